"""Independent verification of a mechanism's answer, recomputed from the arrays alone.

`verify(instance, solution, objective=...)` re-checks every claim of a `Solution` from the
instance's arrays, the policy (adjustment on or off, the order of the stages) and
docs/engine.md, importing no solver code (a test reads the imports): shapes, rank codes,
pre-arrangements, capacities, quotas, adjustment rules, waste, the tie-break weights, the
value of every stage, and, when the proof carries stage potentials, the lexicographic
min-cost-flow certificate replayed solve by solve in the asked order (`matcher.engine.certificate`,
which rebuilds the network its own way). Justified envy under the priority order is
counted (it is reported, not a failure: the default policy places more people before it
respects priority). docs/engine.md, "The verifier", says how this differs from the solver.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from matcher.engine.certificate import (
    ADJUSTED,
    PREARRANGED,
    UNPLACED,
    Arrays,
    check_certificate,
    tie_weights,
)
from matcher.model import ALL_STAGES, STAGES, check_objective

I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

#: `Solution.proof["method"]` of a solution that carries the min-cost-flow certificate.
FLOW_METHOD = "lexicographic min-cost flow"

__all__ = [
    "Answer",
    "Verification",
    "count_justified_envy",
    "stage_values",
    "verify",
]


class Answer(Protocol):
    """What the verifier reads of a mechanism's answer (a `Solution` has it)."""

    @property
    def host(self) -> npt.NDArray[Any]: ...  # noqa: D102
    @property
    def rank(self) -> npt.NDArray[Any]: ...  # noqa: D102
    @property
    def objective(self) -> Mapping[str, Any]: ...  # noqa: D102
    @property
    def proof(self) -> Any: ...  # noqa: D102


@dataclass(frozen=True)
class Verification:
    """What the verifier found.

    `ok` is True when every boolean check passed. `checks` maps each check to its result
    (booleans) or to a count (integers, for information). `failures` names every failed
    check in plain words (Chinese / English). `objective` is recomputed from the
    assignment; `justified_envy` counts pairs (i, j) where i envies j with justification.
    """

    ok: bool
    checks: dict[str, bool | int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    objective: dict[str, int] = field(default_factory=dict)
    justified_envy: int = 0


def _examples(mask: Bools, limit: int = 5) -> str:
    idx = np.flatnonzero(mask)[:limit]
    more = " …" if int(mask.sum()) > limit else ""
    return ", ".join(str(int(i)) for i in idx) + more


def stage_values(instance: Arrays, rank: npt.ArrayLike) -> dict[str, int]:
    """Value of every stage of `ALL_STAGES` for an assignment given by its rank codes.

    Counted by rank class (docs/engine.md, "Stage costs" and the stage value paragraph):
    for each choice rank r = 1, 2, 3 the number placed there, how many of them have
    priority and the sum of their weights w_i; likewise for `ADJUSTED`. `PREARRANGED` and
    `UNPLACED` count in no stage. choice_order = Σ_r (5 − r)·(weights at r),
    adjustment_order = weights adjusted, priority_order both.
    """
    r = np.asarray(rank, dtype=np.int64)
    prio = np.asarray(instance.priority, dtype=bool)
    w = tie_weights(instance)
    heads, prios, mass = {}, {}, {}
    for code in (1, 2, 3, ADJUSTED):
        at = r == code
        heads[code] = int(np.count_nonzero(at))
        prios[code] = int(np.count_nonzero(at & prio))
        mass[code] = int(w[at].sum())
    by_choice = sum((5 - code) * mass[code] for code in (1, 2, 3))
    return {
        "placed_at_choice": heads[1] + heads[2] + heads[3],
        "priority_placed_at_choice": prios[1] + prios[2] + prios[3],
        "first_choice": heads[1],
        "second_choice": heads[2],
        "adjusted": heads[ADJUSTED],
        "priority_adjusted": prios[ADJUSTED],
        "choice_order": by_choice,
        "adjustment_order": mass[ADJUSTED],
        "priority_order": by_choice + mass[ADJUSTED],
    }


def _outcome_rank(instance: Arrays, rank: I64) -> I64:
    """Rank of each outcome for comparisons with choices: 1–3, else 4 (below all)."""
    return np.where((rank >= 1) & (rank <= 3), rank, 4)


def count_justified_envy(instance: Arrays, host: npt.ArrayLike, rank: npt.ArrayLike) -> int:
    """Count pairs (i, j) where i has justified envy of j, in O(n log n).

    i envies j at host h = host[j] when h is a choice of i ranked above i's outcome
    (adjusted and unplaced rank below every choice), order[i] < order[j], and i could take
    j's place: i is placed, or i's group is j's group, or i's group has room. Pre-arranged
    applicants are fixed and neither envy nor are envied.
    """
    n = instance.n
    hs = np.asarray(host, dtype=np.int64)
    rk = np.asarray(rank, dtype=np.int64)
    order = instance.order.astype(np.int64)
    group = instance.group.astype(np.int64)
    free = instance.prearranged < 0
    placed = hs >= 0
    used = np.bincount(group[placed], minlength=instance.group_cap.shape[0])
    room = used < instance.group_cap
    # seats that can be envied: free applicants placed anywhere
    seat = free & placed
    seat_host = hs[seat]
    seat_order = order[seat]
    seat_group = group[seat]
    g = max(1, int(instance.group_cap.shape[0]))
    key_h = np.sort(seat_host * n + seat_order)
    key_hg = np.sort((seat_host * g + seat_group) * n + seat_order)
    out = _outcome_rank(instance, rk)
    total = 0
    for r in range(3):
        c = instance.choices[:, r].astype(np.int64)
        want = free & (c >= 0) & (r + 1 < out)
        if not want.any():
            continue
        i_idx = np.flatnonzero(want)
        ch, oi, gi = c[i_idx], order[i_idx], group[i_idx]
        anyone = placed[i_idx] | room[gi]
        # i may take any later seat at ch
        a = i_idx[anyone]
        # Only the sum of the counts matters: the bounds are looked up in increasing
        # order (numpy's binary search then starts from the previous bound).
        if a.size:
            end = np.searchsorted(key_h, np.sort((ch[anyone] + 1) * n), side="left")
            start = np.searchsorted(key_h, np.sort(ch[anyone] * n + oi[anyone]), side="right")
            total += int(end.sum() - start.sum())
        # i unplaced with a full group: only seats of the same group
        sg = ~anyone
        if sg.any():
            base = (ch[sg] * g + gi[sg]) * n
            end = np.searchsorted(key_hg, np.sort(base + n), side="left")
            start = np.searchsorted(key_hg, np.sort(base + oi[sg]), side="right")
            total += int(end.sum() - start.sum())
    return total


class _Checker:
    """Collects named checks and bilingual failure messages."""

    def __init__(self) -> None:
        self.checks: dict[str, bool | int] = {}
        self.failures: list[str] = []

    def check(self, name: str, ok: bool, zh: str, en: str) -> bool:
        ok = bool(ok)
        self.checks[name] = ok and bool(self.checks.get(name, True))
        if not ok:
            self.failures.append(f"{zh} / {en}")
        return ok

    def result(self, objective: dict[str, int], envy: int) -> Verification:
        ok = all(v for v in self.checks.values() if isinstance(v, bool))
        return Verification(ok, self.checks, self.failures, objective, envy)


def verify(
    instance: Arrays,
    solution: Answer,
    *,
    adjustment: bool = True,
    objective: Sequence[str] = STAGES,
    check_proof: bool = True,
) -> Verification:
    """Re-check a solution against its instance; never raises on a bad solution.

    Parameters
    ----------
    instance, solution
        The problem and a mechanism's answer to it.
    adjustment
        Whether the policy allowed adjustment (调剂); if not, any adjusted row fails.
    objective
        The order of the objective stages the solution was asked for (default: the
        contract's). The certificate is replayed in this order and fails unless the
        proof's stage names, read across its solves, are exactly this order.
    check_proof
        Check the stage-by-stage min-cost-flow certificate when the proof has one.

    Returns
    -------
    Verification
        `ok` False names every failed check in `failures`.

    Raises
    ------
    ObjectiveOrderError
        `objective` is not a valid order of the stages (`check_objective`; a wrong
        argument, not a wrong solution).
    """
    order = check_objective(objective)
    ck = _Checker()
    n, h = instance.n, instance.n_hosts
    host = np.asarray(solution.host)
    rank = np.asarray(solution.rank)
    shape_ok = (
        host.shape == (n,)
        and rank.shape == (n,)
        and np.issubdtype(host.dtype, np.integer)
        and np.issubdtype(rank.dtype, np.integer)
    )
    if not ck.check(
        "shape",
        shape_ok,
        f"结果行数不符：应为{n}行，host为{host.shape}、rank为{rank.shape}",
        f"every applicant exactly once: expected {n} integer rows, "
        f"got host {host.shape} {host.dtype}, rank {rank.shape} {rank.dtype}",
    ):
        return ck.result({}, 0)
    hs = host.astype(np.int64)
    rk = rank.astype(np.int64)
    placed = hs >= 0
    if not ck.check(
        "host_range",
        bool(((hs >= -1) & (hs < h)).all()),
        f"培养单位编号越界（行 {_examples((hs < -1) | (hs >= h))}）",
        "host index out of range",
    ):
        return ck.result({}, 0)
    if not _check_weights(ck, instance):
        return ck.result({}, 0)
    _check_ranks(ck, instance, hs, rk, adjustment)
    _check_limits(ck, instance, hs)
    _check_waste(ck, instance, hs, rk, adjustment, order)
    values = stage_values(instance, rk)
    _check_objective(ck, values, solution.objective, order)
    envy = count_justified_envy(instance, hs, rk)
    ck.checks["justified_envy"] = envy
    ck.checks["placed"] = int(placed.sum())
    proof = solution.proof if isinstance(solution.proof, Mapping) else {}
    stages = proof.get("stages")
    if check_proof and (stages is not None or proof.get("method") == FLOW_METHOD):
        listed = list(stages) if isinstance(stages, list | tuple) else []
        well_formed = bool(listed) and all(
            isinstance(s, Mapping) and "potentials" in s for s in listed
        )
        if ck.check(
            "certificate_present",
            well_formed,
            "最优性证明缺失或格式不符",
            "the optimality certificate is missing or malformed",
        ):
            pre_rank = np.where(instance.prearranged >= 0, rk, UNPLACED)
            fixed_part = stage_values(instance, pre_rank)
            check_certificate(ck, instance, hs, rk, listed, values, fixed_part, adjustment, order)
    return ck.result(values, envy)


def _check_weights(ck: _Checker, inst: Arrays) -> bool:
    """The priority order is a permutation and the weights fall strictly along it.

    docs/engine.md, "Stage costs": w_i decreases along the order (n − order[i], or the
    instance's `weight` column), so the tie-break stages favour earlier applicants.
    """
    n = inst.n
    order = np.asarray(inst.order, dtype=np.int64)
    ok = order.shape == (n,) and np.array_equal(np.sort(order), np.arange(n))
    if ok:
        w = tie_weights(inst)
        ok = w.shape == (n,)
        if ok and n:
            by_order = np.empty_like(w)
            by_order[order] = w
            ok = bool((by_order[-1] >= 1) and (np.diff(by_order) < 0).all())
    return ck.check(
        "weights",
        ok,
        "优先序或权重无效：权重须沿优先序严格递减",
        "the priority order must be a permutation and the weights strictly decrease along it",
    )


def _check_ranks(ck: _Checker, inst: Arrays, hs: I64, rk: I64, adjustment: bool) -> None:
    n = inst.n
    rows = np.arange(n)
    choices = inst.choices.astype(np.int64)
    placed = hs >= 0
    known = np.isin(rk, (UNPLACED, ADJUSTED, 1, 2, 3, PREARRANGED))
    ck.check(
        "rank_code",
        bool(known.all()),
        f"名次代码无效（行 {_examples(~known)}）",
        "unknown rank code",
    )
    unplaced_bad = (rk == UNPLACED) != ~placed
    ck.check(
        "rank_unplaced",
        not unplaced_bad.any(),
        f"未录取与培养单位不一致（行 {_examples(unplaced_bad)}）",
        "rank -1 must go with host -1 and only with it",
    )
    is_choice = (rk >= 1) & (rk <= 3)
    at = choices[rows, np.clip(rk - 1, 0, 2)]
    bad = is_choice & (at != hs)
    ck.check(
        "rank_choice",
        not bad.any(),
        f"志愿名次与培养单位不符（行 {_examples(bad)}）",
        "rank r must mean host == r-th choice",
    )
    among = (choices == hs[:, None]).any(axis=1) & placed
    pre = inst.prearranged.astype(np.int64)
    bad = (rk == PREARRANGED) & ((pre < 0) | (hs != pre) | among)
    ck.check(
        "rank_prearranged",
        not bad.any(),
        f"预先接收代码与预先接收单位不符（行 {_examples(bad)}）",
        "PREARRANGED must mean host == prearranged host, not among the choices",
    )
    bad = (pre >= 0) & (hs != pre)
    ck.check(
        "prearranged",
        not bad.any(),
        f"预先接收未兑现（行 {_examples(bad)}）",
        "a pre-arranged host was not honoured",
    )
    bad = np.zeros(n, dtype=bool)
    bad[placed] = np.asarray(inst.host_track)[hs[placed]] != np.asarray(inst.track)[placed]
    ck.check(
        "track",
        not bad.any(),
        f"培养方式不符（行 {_examples(bad)}）",
        "placed at a host of another track",
    )
    adj = rk == ADJUSTED
    if not adj.any():
        for name in (
            "adjustment_policy",
            "adjustment_consent",
            "adjustment_field",
            "adjustment_not_choice",
        ):
            ck.checks[name] = True
        return
    ck.check(
        "adjustment_policy",
        adjustment,
        "本轮不调剂却有调剂录取",
        "adjusted rows although adjustment is off",
    )
    bad = adj & ~inst.accepts.astype(bool)
    ck.check(
        "adjustment_consent",
        not bad.any(),
        f"未同意调剂却被调剂（行 {_examples(bad)}）",
        "adjusted without consent",
    )
    fld = inst.field.astype(np.int64)
    trains = np.zeros(n, dtype=bool)
    ok_rows = adj & placed & (fld >= 0)
    trains[ok_rows] = inst.host_fields[hs[ok_rows], fld[ok_rows]]
    bad = adj & ~trains
    ck.check(
        "adjustment_field",
        not bad.any(),
        f"调剂单位专业不对口（行 {_examples(bad)}）",
        "adjusted to a host that does not train the applicant's field",
    )
    bad = adj & among
    ck.check(
        "adjustment_not_choice",
        not bad.any(),
        f"调剂单位是本人志愿（行 {_examples(bad)}）",
        "adjusted to a host among the applicant's choices",
    )


def _fill(inst: Arrays, hs: I64) -> tuple[I64, I64]:
    placed = hs >= 0
    host_used = np.bincount(hs[placed], minlength=inst.n_hosts).astype(np.int64)
    group_used = np.bincount(inst.group[placed], minlength=inst.group_cap.shape[0])
    return host_used, group_used.astype(np.int64)


def _check_limits(ck: _Checker, inst: Arrays, hs: I64) -> None:
    host_used, group_used = _fill(inst, hs)
    over = host_used > inst.host_cap
    ck.check(
        "capacity",
        not over.any(),
        f"培养单位超出接收名额（单位 {_examples(over)}）",
        "over capacity at host(s) " + _examples(over),
    )
    over = group_used > inst.group_cap
    ck.check(
        "quota",
        not over.any(),
        f"地区名额超限（名额组 {_examples(over)}）",
        "over quota in group(s) " + _examples(over),
    )


def _moves_improve(inst: Arrays, rk: I64, order: Sequence[str]) -> list[Bools]:
    """For r = 1, 2, 3: whether moving each applicant to its choice r improves it in `order`.

    The move's stage deltas are read in `order`: the first non-zero one decides.

    Under the contract's order every move to a better choice is one; under others, e.g.
    adjusted before placed_at_choice, leaving an adjusted applicant there is not waste.
    """
    prio = inst.priority.astype(np.int64)
    w = tie_weights(inst)
    at_choice = ((rk >= 1) & (rk <= 3)).astype(np.int64)
    adjusted = (rk == ADJUSTED).astype(np.int64)
    held = np.where(at_choice == 1, w * (5 - rk), 0)
    before = held + w * adjusted
    # the deltas that do not depend on r, once
    same = {
        "placed_at_choice": 1 - at_choice,
        "priority_placed_at_choice": prio * (1 - at_choice),
        "adjusted": -adjusted,
        "priority_adjusted": -prio * adjusted,
        "adjustment_order": -w * adjusted,
    }
    moves = []
    for r in (1, 2, 3):
        delta = {
            **same,
            "first_choice": int(r == 1) - (rk == 1).astype(np.int64),
            "second_choice": int(r == 2) - (rk == 2).astype(np.int64),
            "choice_order": w * (5 - r) - held,
            "priority_order": w * (5 - r) - before,
        }
        better = np.zeros(inst.n, dtype=bool)
        undecided = np.ones(inst.n, dtype=bool)
        for stage in order:
            better |= undecided & (delta[stage] > 0)
            undecided &= delta[stage] == 0
        moves.append(better)
    return moves


def _check_waste(
    ck: _Checker, inst: Arrays, hs: I64, rk: I64, adjustment: bool, order: Sequence[str]
) -> None:
    host_used, group_used = _fill(inst, hs)
    host_room = host_used < inst.host_cap
    group_room = group_used < inst.group_cap
    free = inst.prearranged < 0
    placed = hs >= 0
    out = _outcome_rank(inst, rk)
    choices = inst.choices.astype(np.int64)
    wasted = np.zeros(inst.n, dtype=bool)
    for r, improves in enumerate(_moves_improve(inst, rk, order)):
        c = choices[:, r]
        better = free & (c >= 0) & (r + 1 < out) & improves
        room = np.zeros(inst.n, dtype=bool)
        room[better] = host_room[c[better]]
        wasted |= room & (placed | group_room[inst.group])
    ck.check(
        "no_waste",
        not wasted.any(),
        f"有空余名额未用：更高志愿单位有余额（行 {_examples(wasted)}）",
        "waste: a higher choice with room was left (rows " + _examples(wasted) + ")",
    )
    if not adjustment:
        ck.checks["no_waste_adjustment"] = True
        return
    # an unplaced applicant who accepts adjustment, with a fitting host with room
    cand = free & ~placed & inst.accepts.astype(bool) & (inst.field >= 0)
    cand &= group_room[inst.group]
    if cand.any():
        idx = np.flatnonzero(cand)
        fld = inst.field[idx].astype(np.int64)
        n_fields = inst.host_fields.shape[1]
        fits_room = inst.host_fields & host_room[:, None]  # (h, f)
        per_pair = np.zeros((2, n_fields), dtype=np.int64)
        for t in (0, 1):
            per_pair[t] = fits_room[inst.host_track == t].sum(axis=0)
        avail = per_pair[inst.track[idx], fld]
        for r in range(3):
            c = choices[idx, r]
            has = c >= 0
            sub = np.zeros(idx.size, dtype=bool)
            sub[has] = fits_room[c[has], fld[has]]
            avail -= sub
        cand[idx] = avail > 0
    ck.check(
        "no_waste_adjustment",
        not cand.any(),
        f"同意调剂者未被调剂，但有对口单位有余额（行 {_examples(cand)}）",
        "waste: a willing applicant left unplaced while a fitting host had room",
    )


def _check_objective(
    ck: _Checker, objective: dict[str, int], claimed: Mapping[str, Any], order: Sequence[str]
) -> None:
    """Every stage of the order, and any other stage the solution claims, recomputed."""
    for stage in ALL_STAGES:
        if stage not in order and stage not in claimed:
            continue
        got = claimed.get(stage)
        try:
            same = got is not None and int(got) == objective[stage]
        except (TypeError, ValueError):
            same = False
        ck.check(
            f"objective_{stage}",
            same,
            f"目标值{stage}不符：声称{got}，重算为{objective[stage]}",
            f"objective {stage}: claimed {got}, recomputed {objective[stage]}",
        )
