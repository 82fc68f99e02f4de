"""The two-phase default: choices decided first, adjustment on what they leave.

The guarantee of the contract, as properties: whatever anyone answers to 是否接受调剂, every
choice placement is the same (answering 是 never costs a choice); the joint option can
cost one; the verifier rejects a second phase that is not optimal.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.engine.solve import solve
from matcher.engine.solve.base import ADJUSTED, UNPLACED, Instance
from matcher.engine.verify import verify
from matcher.model import JOINT_STAGES
from tests.engine.solve.instances import random_instance
from tests.strategies import CI, ApplicantSpec, GroupSpec, HostSpec, build_instance, instances


def choice_places(host: np.ndarray, rank: np.ndarray) -> list[tuple[int, int]]:
    """(host, rank) of every applicant at a choice, (-1, 0) for the others."""
    at = (rank >= 1) & (rank <= 3)
    return [(int(h), int(r)) if a else (-1, 0) for h, r, a in zip(host, rank, at, strict=True)]


@settings(CI)
@given(inst=instances(max_applicants=7), flips=st.lists(st.booleans(), min_size=7, max_size=7))
def test_answers_to_adjustment_never_change_a_choice_placement(
    inst: Instance, flips: list[bool]
) -> None:
    accepts = inst.accepts ^ np.array(flips[: inst.n], dtype=bool)
    other = replace(inst, accepts=accepts)
    a, b = solve(inst, "optimal"), solve(other, "optimal")
    assert choice_places(a.host, a.rank) == choice_places(b.host, b.rank)
    assert verify(other, b).ok
    for mechanism in ("cpsat", "stable"):  # the same rule, by other methods
        c, d = solve(other, mechanism), solve(inst, mechanism)
        assert choice_places(c.host, c.rank) == choice_places(d.host, d.rank), mechanism


def test_on_large_rounds_every_answer_flipped_changes_no_choice_placement() -> None:
    # both tracks solved apart and proved; everyone's answer reversed
    for seed in (1, 2):
        inst = random_instance(6000, seed, n_hosts=120)
        flipped = replace(inst, accepts=~inst.accepts)
        a, b = solve(inst, "optimal"), solve(flipped, "optimal")
        assert choice_places(a.host, a.rank) == choice_places(b.host, b.rank)
        assert verify(flipped, b).ok and (b.rank == ADJUSTED).any()


def _the_issue_round() -> Instance:
    # five applicants of one region want host 0 (3 places); host 1 trains their field;
    # the three who accept adjustment have the higher 审核评分
    hosts = [HostSpec(0, 3, (True, False, False, False)), HostSpec(0, 5, (True,) * 4)]
    apps = [ApplicantSpec(0, (0,), 0, False, willing, score, -1) for willing, score in
            [(True, 90), (True, 80), (True, 70), (False, 60), (False, 50)]]  # fmt: skip
    return build_instance(hosts, [GroupSpec(0, 5)], apps)


def test_the_default_gives_the_choice_to_the_higher_priority_whatever_they_answer() -> None:
    inst = _the_issue_round()
    default = solve(inst, "optimal")
    assert list(default.rank) == [1, 1, 1, UNPLACED, UNPLACED]
    assert verify(inst, default).ok
    joint = solve(inst, "optimal", objective=JOINT_STAGES)
    # the joint option adjusts two willing applicants away from their first choice so that
    # the two unwilling ones are placed too: saying 是 cost them their choice
    assert sorted(joint.rank.tolist()) == [ADJUSTED, ADJUSTED, 1, 1, 1]
    assert list(joint.rank[3:]) == [1, 1]
    assert verify(inst, joint, objective=JOINT_STAGES).ok


def _corrupt(sol, host, rank):
    return replace(sol, host=np.asarray(host, dtype=np.int32), rank=np.asarray(rank, np.int32))


def test_the_verifier_rejects_a_second_phase_that_is_not_optimal() -> None:
    inst = random_instance(400, 3, n_hosts=16, n_groups=6, places=0.5, quota=0.6)
    sol = solve(inst, "optimal")
    assert verify(inst, sol).ok
    adjusted = np.flatnonzero(sol.rank == ADJUSTED)
    assert adjusted.size >= 2
    # 1. one adjusted applicant left out: fewer adjusted than possible
    host, rank = sol.host.copy(), sol.rank.copy()
    host[adjusted[0]], rank[adjusted[0]] = -1, UNPLACED
    bad = _corrupt(sol, host, rank)
    bad = replace(bad, objective=verify(inst, bad, check_proof=False).objective)
    failed = verify(inst, bad)
    assert not failed.ok and not failed.checks["certificate"]
    # 2. the place of the adjusted applicant first in priority order handed to a lower one
    willing = np.flatnonzero(
        inst.accepts & (sol.rank == UNPLACED) & (inst.field >= 0) & (inst.prearranged < 0)
    )
    top = adjusted[np.argmin(inst.order[adjusted])]
    later = [
        i for i in willing
        if inst.order[i] > inst.order[top] and inst.field[i] == inst.field[top]
        and inst.track[i] == inst.track[top] and inst.group[i] == inst.group[top]
        and int(sol.host[top]) not in inst.choices[i]
    ]  # fmt: skip
    assert later
    host, rank = sol.host.copy(), sol.rank.copy()
    host[later[0]], rank[later[0]] = host[top], ADJUSTED
    host[top], rank[top] = -1, UNPLACED
    swapped = _corrupt(sol, host, rank)
    swapped = replace(swapped, objective=verify(inst, swapped, check_proof=False).objective)
    failed = verify(inst, swapped)
    assert not failed.ok and not failed.checks["certificate"]


@pytest.mark.parametrize(("n", "hosts", "seed"), [(2000, 40, 18), (6000, 80, 17)])
def test_removing_an_applicant_nobody_placed_changes_no_other_outcome(n, hosts, seed) -> None:
    # the contract's guarantee: with the others' weights kept (they come from the round's
    # rows, `Instance.weight`) the answer without them is the same, hosts of the adjusted
    # included (`canonical_adjustment`)
    inst = random_instance(n, seed, n_hosts=hosts, n_groups=8)
    sol = solve(inst, "optimal")
    for p in np.flatnonzero(sol.rank == UNPLACED)[
        :: max(1, int((sol.rank == UNPLACED).sum()) // 5)
    ]:
        keep = np.arange(inst.n) != p
        order = np.empty(inst.n - 1, dtype=np.int32)
        order[np.argsort(inst.order[keep])] = np.arange(inst.n - 1)
        fewer = replace(
            inst,
            choices=inst.choices[keep],
            group=inst.group[keep],
            track=inst.track[keep],
            field=inst.field[keep],
            priority=inst.priority[keep],
            accepts=inst.accepts[keep],
            order=order,
            prearranged=inst.prearranged[keep],
            weight=inst.weights()[keep],
        )
        again = solve(fewer, "optimal")
        assert np.array_equal(again.host, sol.host[keep])
        assert np.array_equal(again.rank, sol.rank[keep])
