"""Reasons and remedies for unplaced applicants, one tiny instance per reason code."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import matcher.engine.explain as explain_mod
from matcher.engine.encode import Encoding
from matcher.engine.explain import explain, reasons, render_explanation
from matcher.engine.judge import Exclusion
from matcher.engine.pipeline import resolver
from matcher.engine.solve import solve
from matcher.engine.solve.base import UNPLACED, Instance
from matcher.model import HostCatalogue, QuotaTable, Reason, Round, Status, Track
from tests.strategies import (
    N_FIELDS,
    ApplicantSpec,
    GroupSpec,
    HostSpec,
    build_instance,
    random_instance,
)

F0 = (True, False, False, False)
NAMES = {"k0": "张三", "k1": "李四", "k2": "王五"}


def _app(
    choices: tuple[int, ...] = (0,),
    field: int = 0,
    accepts: bool = False,
    score: int = 0,
    group: int = 0,
) -> ApplicantSpec:
    return ApplicantSpec(group, choices, field, False, accepts, score, -1)


def _encoding(inst: Instance, excluded: dict[str, Exclusion] | None = None) -> Encoding:
    return Encoding(
        instance=inst,
        keys=tuple(f"k{i}" for i in range(inst.n)),
        host_names=tuple(f"H{j}" for j in range(inst.n_hosts)),
        groups=tuple(
            ("赤峰市", Track.OUT if t == 0 else Track.IN) for t in [0] * len(inst.group_cap)
        ),
        fields=tuple(f"F{f}" for f in range(N_FIELDS)),
        excluded=excluded or {},
        prearranged_conflicts=(),
    )


Why = dict[str, tuple[str, str, str]]


def _run(inst: Instance, adjustment: bool = True) -> tuple[Encoding, Why]:
    enc = _encoding(inst)
    sol = solve(inst, "optimal", adjustment=adjustment)
    resolve = resolver("optimal", adjustment=adjustment)
    return enc, reasons(enc, sol, names=NAMES, adjustment=adjustment, resolve=resolve)


def test_quota_full_names_the_last_placed() -> None:
    inst = build_instance([HostSpec(0, 2, F0)], [GroupSpec(0, 1)], [_app(score=2), _app(score=1)])
    _, why = _run(inst)
    code, reason, remedy = why["k1"]
    assert code == "QUOTA_FULL"
    assert "已录取1人" in reason and "张三" in reason
    assert remedy == "若赤峰市区外名额增加1个即可录取"


def test_without_a_resolver_a_remedy_is_stated_not_solved() -> None:
    inst = build_instance([HostSpec(0, 2, F0)], [GroupSpec(0, 1)], [_app(score=2), _app(score=1)])
    why = reasons(_encoding(inst), solve(inst, "optimal"), names=NAMES)
    assert why["k1"][0] == "QUOTA_FULL" and why["k1"][2] == "若赤峰市区外名额增加1个，可能录取"


def test_choices_full_when_adjustment_is_off() -> None:
    inst = build_instance(
        [HostSpec(0, 1, F0), HostSpec(0, 1, F0)],
        [GroupSpec(0, 3)],
        [_app(score=2), _app(score=1, accepts=True)],
    )
    _, why = _run(inst, adjustment=False)
    code, reason, remedy = why["k1"]
    assert code == "CHOICES_FULL"
    assert "H0" in reason and "第1位" in reason
    assert remedy == "若H0增加1个名额即可录取（其志愿1）"


def test_declined_adjustment_names_a_fitting_host() -> None:
    inst = build_instance(
        [HostSpec(0, 1, F0), HostSpec(0, 1, F0)],
        [GroupSpec(0, 3)],
        [_app(score=2), _app(score=1, accepts=False)],
    )
    _, why = _run(inst)
    code, _reason, remedy = why["k1"]
    assert code == "DECLINED_ADJUSTMENT"
    assert remedy == "若本人接受调剂，可调剂至H1（专业对口且有余额）"
    # the remedy is true: accepting adjustment places them
    accepts = inst.accepts.copy()
    accepts[1] = True
    assert solve(dataclasses.replace(inst, accepts=accepts), "optimal").rank[1] != UNPLACED


def test_no_field_host() -> None:
    inst = build_instance(
        [HostSpec(0, 1, F0), HostSpec(0, 1, F0)],
        [GroupSpec(0, 3)],
        [_app(score=2), _app(score=1, accepts=True, field=2)],
    )
    _, why = _run(inst)
    code, reason, remedy = why["k1"]
    assert code == "NO_FIELD_HOST" and "F2" in reason
    assert remedy == "若H0增加1个名额即可录取（其志愿1）"


def test_field_unknown() -> None:
    inst = build_instance(
        [HostSpec(0, 1, F0), HostSpec(0, 1, F0)],
        [GroupSpec(0, 3)],
        [_app(score=2), _app(score=1, accepts=True, field=-1)],
    )
    _, why = _run(inst)
    assert why["k1"][0] == "FIELD_UNKNOWN"


def test_no_valid_choice() -> None:
    inst = build_instance(
        [HostSpec(0, 1, (False,) * 4)], [GroupSpec(0, 3)], [_app(choices=(), accepts=False)]
    )
    _, why = _run(inst)
    assert why["k0"][0] == "NO_VALID_CHOICE"


def test_structural_remedy_above_the_resolve_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(explain_mod, "RESOLVE_LIMIT", 0)
    inst = build_instance([HostSpec(0, 1, F0)], [GroupSpec(0, 3)], [_app(score=2), _app(score=1)])
    _, why = _run(inst)
    assert why["k1"][0] == "DECLINED_ADJUSTMENT"
    assert "可能录取" in why["k1"][2]


@pytest.mark.parametrize("seed", [0, 1])
def test_every_unplaced_row_has_a_true_reason(seed: int) -> None:
    inst = random_instance(seed, 300, n_hosts=10, n_groups=6, n_fields=N_FIELDS)
    enc = _encoding(inst)
    sol = solve(inst, "optimal")
    why = reasons(enc, sol, resolve=resolver("optimal"))
    unplaced = {enc.keys[i] for i in np.flatnonzero(sol.rank == UNPLACED)}
    assert set(why) == unplaced
    known = {
        "QUOTA_FULL",
        "CHOICES_FULL",
        "DECLINED_ADJUSTMENT",
        "NO_FIELD_HOST",
        "FIELD_UNKNOWN",
        "NO_VALID_CHOICE",
    }
    assert {code for code, _, _ in why.values()} <= known
    # check every "one more place at H" remedy by an independent re-solve
    checked = 0
    for key, (_code, _reason, remedy) in why.items():
        i = enc.keys.index(key)
        for j, host in enumerate(enc.host_names):
            if remedy.startswith(f"若{host}增加1个名额即可录取"):
                cap = inst.host_cap.copy()
                cap[j] += 1
                again = solve(dataclasses.replace(inst, host_cap=cap), "optimal")
                assert again.rank[i] != UNPLACED
                checked += 1
                break
        if checked >= 5:
            break


def test_explain_and_render() -> None:
    inst = build_instance([HostSpec(0, 2, F0)], [GroupSpec(0, 1)], [_app(score=2), _app(score=1)])
    age = Reason(code="AGE", message="年龄超过45周岁")
    excluded = {"bad": Exclusion(Status.INELIGIBLE, (age,))}
    enc = _encoding(inst, excluded)
    sol = solve(inst, "optimal")
    e = explain(enc, sol, "k1", names=NAMES, resolve=resolver("optimal"))
    assert e is not None and e.status == "unmatched" and e.reason_code == "QUOTA_FULL"
    assert e.quota == 1 and e.quota_used == 1 and e.choices[0].filled == 1
    assert e.choices[0].last_position == 1 and e.position == 2
    round_ = Round(applicants=(), catalogue=HostCatalogue(hosts=()), quotas=QuotaTable(quotas=()))
    text = render_explanation(round_, enc, sol, "k1", names=NAMES, resolve=resolver("optimal"))
    assert "李四" in text and "QUOTA_FULL" in text and "名额增加1个" in text
    placed = render_explanation(round_, enc, sol, "k0", names=NAMES)
    assert "已录取" in placed and "H0" in placed
    assert "年龄超过45周岁" in render_explanation(round_, enc, sol, "bad")
    assert explain(enc, sol, "nobody") is None


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_large_rounds_reasons_are_each_rows_own(seed: int, monkeypatch: pytest.MonkeyPatch):
    # without re-solves, the quota texts of a large round (formatted in bulk, the other
    # rows one by one) are those every row gets on its own
    inst = random_instance(seed, 300, n_hosts=10, n_groups=6, n_fields=N_FIELDS, quota_ratio=0.4)
    enc = _encoding(inst)
    sol = solve(inst, "optimal")
    one_by_one = reasons(enc, sol)
    monkeypatch.setattr(explain_mod, "RESOLVE_LIMIT", 0)
    in_bulk = reasons(enc, sol)
    assert in_bulk == one_by_one
    codes = {code for code, _, _ in in_bulk.values()}
    assert "QUOTA_FULL" in codes and len(codes) > 1  # both kinds of rows
