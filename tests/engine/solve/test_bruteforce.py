"""Optimality against brute force: every feasible assignment of a tiny instance is
enumerated and the lexicographic maximum of the stage vector is compared with the
mechanisms' answers (`optimal` and `cpsat`); the verifier must accept both. For the
two-phase default, brute force finds the best choice placements (no adjustment), then the
best adjustment given the answer's own choice placements; for the joint policy, the best
of everything at once. The same holds for every valid order (`Policy.objective`)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.engine.solve import solve
from matcher.engine.solve.base import ADJUSTED, STAGES, Instance, SolveStatus
from matcher.engine.solve.cpsat import solve_cpsat
from matcher.engine.verify import verify
from matcher.model import ADJUSTMENT_COUNTS, ALL_STAGES, CHOICE_COUNTS, JOINT_STAGES, phases
from tests.strategies import CI, instances


def _options(inst: Instance, i: int, adjustment: bool) -> list[tuple[int, int]]:
    if inst.prearranged[i] >= 0:
        return [(int(inst.prearranged[i]), 99)]  # fixed; counted separately
    opts = [(-1, -1)]
    chosen = [int(c) for c in inst.choices[i] if c >= 0]
    opts += [(c, r + 1) for r, c in enumerate(chosen)]
    f = int(inst.field[i])
    if adjustment and inst.accepts[i] and f >= 0:
        for j in range(inst.n_hosts):
            if inst.host_track[j] == inst.track[i] and inst.host_fields[j, f] and j not in chosen:
                opts.append((j, ADJUSTED))
    return opts


def _value(inst: Instance, assignment: tuple[tuple[int, int], ...]) -> dict[str, int]:
    weight = inst.weights()
    v = dict.fromkeys(ALL_STAGES, 0)
    for i, (j, r) in enumerate(assignment):
        if r == 99:  # pre-arranged: counts at its rank when the host is a choice
            hits = [k + 1 for k in range(3) if inst.choices[i, k] == j]
            r = hits[0] if hits else -1
        w = int(weight[i])
        p = bool(inst.priority[i])
        if 1 <= r <= 3:
            v["placed_at_choice"] += 1
            v["priority_placed_at_choice"] += p
            v["first_choice"] += r == 1
            v["second_choice"] += r == 2
            v["choice_order"] += w * (5 - r)
        elif r == ADJUSTED:
            v["adjusted"] += 1
            v["priority_adjusted"] += p
            v["adjustment_order"] += w
    v["priority_order"] = v["choice_order"] + v["adjustment_order"]
    return v


def _feasible(inst: Instance, assignment: tuple[tuple[int, int], ...]) -> bool:
    host_use = [0] * inst.n_hosts
    group_use = [0] * len(inst.group_cap)
    for i, (j, _r) in enumerate(assignment):
        if j >= 0:
            host_use[j] += 1
            group_use[int(inst.group[i])] += 1
    return all(u <= c for u, c in zip(host_use, inst.host_cap, strict=True)) and all(
        u <= c for u, c in zip(group_use, inst.group_cap, strict=True)
    )


def _best(inst: Instance, per: list[list[tuple[int, int]]], order: tuple[str, ...]) -> tuple:
    """Lexicographic maximum of the stage vector read in `order` over the feasible
    assignments drawn from `per` (the options of each applicant)."""
    best: tuple[int, ...] | None = None
    for assignment in itertools.product(*per):
        if _feasible(inst, assignment):
            full = _value(inst, assignment)
            val = tuple(full[s] for s in order)
            if best is None or val > best:
                best = val
    assert best is not None  # the all-unplaced assignment is always feasible
    return best


def brute_force_best(
    inst: Instance, adjustment: bool, order: tuple[str, ...] = STAGES
) -> tuple[int, ...]:
    """The joint policy's answer, or a two-phase order's first phase: the lexicographic
    maximum of the stage vector read in `order` over every feasible assignment (with
    adjustment only in a joint order); the vector in `order`, first phase only for a
    two-phase order."""
    first = phases(order)[0]
    joint = len(phases(order)) == 1
    per = [
        [o for o in _options(inst, i, adjustment and joint) if o[1] != ADJUSTED or joint]
        for i in range(inst.n)
    ]
    return _best(inst, per, first)


def brute_force_second_phase(
    inst: Instance, adjustment: bool, host, rank, order: tuple[str, ...] = STAGES
) -> tuple[int, ...]:
    """The best second phase given the answer's own choice placements (fixed): the
    lexicographic maximum of the adjustment stages over every feasible adjustment of the
    others."""
    per = []
    for i in range(inst.n):
        if 1 <= int(rank[i]) <= 3 and inst.prearranged[i] < 0:
            per.append([(int(host[i]), int(rank[i]))])
        else:
            per.append([o for o in _options(inst, i, adjustment) if o[1] in (-1, 99, ADJUSTED)])
    return _best(inst, per, phases(order)[1])


def check_against_brute_force(sol, inst: Instance, adjustment: bool, order=STAGES) -> None:
    """Both phases of `sol` (or the joint vector) equal brute force's."""
    assert sol.status == SolveStatus.OPTIMAL, sol.message
    steps = phases(order)
    assert _vector(sol.objective, steps[0]) == brute_force_best(inst, adjustment, order)
    if len(steps) > 1:
        best2 = brute_force_second_phase(inst, adjustment, sol.host, sol.rank, order)
        assert _vector(sol.objective, steps[1]) == best2


def _vector(objective: dict[str, int], order: tuple[str, ...] = STAGES) -> tuple[int, ...]:
    return tuple(objective[s] for s in order)


#: Any order of the two-phase policy: the choice counts in any order, then the
#: adjustment counts in any order (each phase's tie-break last); and any joint order.
two_phase_orders = st.tuples(
    st.permutations(CHOICE_COUNTS), st.permutations(ADJUSTMENT_COUNTS)
).map(lambda p: (*p[0], "choice_order", *p[1], "adjustment_order"))
joint_orders = st.permutations(JOINT_STAGES[:6]).map(lambda p: (*p, "priority_order"))
orders = st.one_of(two_phase_orders, joint_orders)


@settings(CI)
@given(inst=instances(), adjustment=st.booleans())
def test_optimal_matches_brute_force(inst: Instance, adjustment: bool) -> None:
    sol = solve(inst, "optimal", adjustment=adjustment)
    check_against_brute_force(sol, inst, adjustment)
    v = verify(inst, sol, adjustment=adjustment)
    assert v.ok, v.failures
    assert v.objective == {k: sol.objective[k] for k in v.objective}


@settings(CI)
@given(inst=instances(), adjustment=st.booleans())
def test_cpsat_matches_brute_force(inst: Instance, adjustment: bool) -> None:
    sol = solve_cpsat(inst, adjustment, time_limit=10)
    check_against_brute_force(sol, inst, adjustment)
    v = verify(inst, sol, adjustment=adjustment)
    assert v.ok, v.failures


@pytest.mark.parametrize("adjustment", [True, False])
def test_brute_force_helper_finds_a_known_optimum(adjustment: bool) -> None:
    # one host with one place, two applicants wanting it: exactly one is placed, at rank 1
    from tests.strategies import ApplicantSpec, GroupSpec, HostSpec, build_instance

    inst = build_instance(
        [HostSpec(0, 1, (True, False, False, False))],
        [GroupSpec(0, 2)],
        [
            ApplicantSpec(0, (0,), 0, False, True, 1, -1),
            ApplicantSpec(0, (0,), 0, True, True, 0, -1),
        ],
    )
    best = brute_force_best(inst, adjustment)
    assert best[:4] == (1, 1, 1, 0)


@settings(CI)
@given(inst=instances(), adjustment=st.booleans(), order=orders)
def test_optimal_matches_brute_force_in_any_order(
    inst: Instance, adjustment: bool, order: tuple[str, ...]
) -> None:
    sol = solve(inst, "optimal", adjustment=adjustment, objective=order)
    check_against_brute_force(sol, inst, adjustment, order)
    assert [name for s in sol.proof["stages"] for name in s["names"]] == list(order)
    v = verify(inst, sol, adjustment=adjustment, objective=order)
    assert v.ok, v.failures


@settings(CI)
@given(inst=instances(), adjustment=st.booleans(), order=orders)
def test_cpsat_matches_brute_force_in_any_order(
    inst: Instance, adjustment: bool, order: tuple[str, ...]
) -> None:
    sol = solve(inst, "cpsat", adjustment=adjustment, objective=order)
    check_against_brute_force(sol, inst, adjustment, order)
    v = verify(inst, sol, adjustment=adjustment, objective=order)
    assert v.ok, v.failures


def test_adjustment_first_does_not_adjust_to_an_own_choice() -> None:
    # one host, the applicant's only choice, training their field: with adjusted first,
    # the pooled adjustment node would "adjust" them to their own choice (adjusted = 1);
    # the rules forbid it, so the optimum is placed at the choice, adjusted = 0
    from tests.strategies import ApplicantSpec, GroupSpec, HostSpec, build_instance

    inst = build_instance(
        [HostSpec(0, 1, (True, False, False, False))],
        [GroupSpec(0, 1)],
        [ApplicantSpec(0, (0,), 0, False, True, 1, -1)],
    )
    order = ("adjusted", *(s for s in JOINT_STAGES if s != "adjusted"))
    best = brute_force_best(inst, True, order)
    assert best[:2] == (0, 1)  # (adjusted, placed_at_choice)
    for mechanism in ("optimal", "cpsat"):
        sol = solve(inst, mechanism, objective=order)
        assert _vector(sol.objective, order) == best, mechanism
        assert verify(inst, sol, objective=order).ok
