"""Optimality against brute force: every feasible assignment of a tiny instance is
enumerated and the lexicographic maximum of the stage vector is compared with the
mechanisms' answers (`optimal` and `cpsat`); the verifier must accept both. The same
holds for every order of the first six stages (`Policy.objective`)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.solve import solve
from matcher.solve.base import ADJUSTED, STAGES, Instance, SolveStatus
from matcher.solve.cpsat import solve_cpsat
from matcher.verify import verify
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


def _value(inst: Instance, assignment: tuple[tuple[int, int], ...]) -> tuple[int, ...]:
    n = inst.n
    v = [0] * 7
    for i, (j, r) in enumerate(assignment):
        if r == 99:  # pre-arranged: counts at its rank when the host is a choice
            hits = [k + 1 for k in range(3) if inst.choices[i, k] == j]
            r = hits[0] if hits else -1
        w = n - int(inst.order[i])
        p = bool(inst.priority[i])
        if 1 <= r <= 3:
            v[0] += 1
            v[1] += p
            v[2] += r == 1
            v[3] += r == 2
            v[6] += w * (5 - r)
        elif r == ADJUSTED:
            v[4] += 1
            v[5] += p
            v[6] += w
    return tuple(v)


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


def brute_force_best(
    inst: Instance, adjustment: bool, order: tuple[str, ...] = STAGES
) -> tuple[int, ...]:
    """Lexicographic maximum of the stage vector, read in `order`, over every feasible
    assignment (the vector is returned in `order` too)."""
    per = [_options(inst, i, adjustment) for i in range(inst.n)]
    pick = [STAGES.index(s) for s in order]
    best: tuple[int, ...] | None = None
    for assignment in itertools.product(*per):
        if _feasible(inst, assignment):
            full = _value(inst, assignment)
            val = tuple(full[k] for k in pick)
            if best is None or val > best:
                best = val
    assert best is not None  # the all-unplaced assignment is always feasible
    return best


def _vector(objective: dict[str, int], order: tuple[str, ...] = STAGES) -> tuple[int, ...]:
    return tuple(objective[s] for s in order)


#: Any order of the first six stages, the tie-break last (`Policy.objective`).
orders = st.permutations(STAGES[:6]).map(lambda p: (*p, "priority_order"))


@settings(CI)
@given(inst=instances(), adjustment=st.booleans())
def test_optimal_matches_brute_force(inst: Instance, adjustment: bool) -> None:
    best = brute_force_best(inst, adjustment)
    sol = solve(inst, "optimal", adjustment=adjustment)
    assert sol.status == "optimal"
    assert _vector(sol.objective) == best
    v = verify(inst, sol, adjustment=adjustment)
    assert v.ok, v.failures
    assert _vector(v.objective) == best


@settings(CI)
@given(inst=instances(), adjustment=st.booleans())
def test_cpsat_matches_brute_force(inst: Instance, adjustment: bool) -> None:
    best = brute_force_best(inst, adjustment)
    sol = solve_cpsat(inst, adjustment, time_limit=10)
    assert sol.status == "optimal"
    assert _vector(sol.objective) == best
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
    best = brute_force_best(inst, adjustment, order)
    sol = solve(inst, "optimal", adjustment=adjustment, objective=order)
    assert sol.status == SolveStatus.OPTIMAL, sol.message
    assert _vector(sol.objective, order) == best
    assert [name for s in sol.proof["stages"] for name in s["names"]] == list(order)
    v = verify(inst, sol, adjustment=adjustment, objective=order)
    assert v.ok, v.failures
    assert _vector(v.objective, order) == best


@settings(CI)
@given(inst=instances(), adjustment=st.booleans(), order=orders)
def test_cpsat_matches_brute_force_in_any_order(
    inst: Instance, adjustment: bool, order: tuple[str, ...]
) -> None:
    best = brute_force_best(inst, adjustment, order)
    sol = solve(inst, "cpsat", adjustment=adjustment, objective=order)
    assert sol.status == SolveStatus.OPTIMAL, sol.message
    assert _vector(sol.objective, order) == best
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
    order = ("adjusted", *(s for s in STAGES if s != "adjusted"))
    best = brute_force_best(inst, True, order)
    assert best[:2] == (0, 1)  # (adjusted, placed_at_choice)
    for mechanism in ("optimal", "cpsat"):
        sol = solve(inst, mechanism, objective=order)
        assert _vector(sol.objective, order) == best, mechanism
        assert verify(inst, sol, objective=order).ok
