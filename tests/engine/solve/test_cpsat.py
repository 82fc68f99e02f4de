"""The two exact methods (flow `optimal` and `cpsat`) agree on the stage vector."""

from __future__ import annotations

import pytest

from matcher.engine.solve import solve
from matcher.engine.solve.base import STAGES, SolveStatus
from matcher.engine.solve.cpsat import solve_cpsat
from matcher.engine.verify import verify
from tests.strategies import random_instance


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("adjustment", [True, False])
def test_flow_and_cpsat_agree(seed: int, adjustment: bool) -> None:
    inst = random_instance(seed, 300, n_hosts=12, n_groups=8)
    flow = solve(inst, "optimal", adjustment=adjustment)
    cp = solve_cpsat(inst, adjustment, time_limit=20)
    assert flow.status == SolveStatus.OPTIMAL
    assert cp.status == SolveStatus.OPTIMAL
    assert [flow.objective[s] for s in STAGES] == [cp.objective[s] for s in STAGES]
    v = verify(inst, cp, adjustment=adjustment)
    assert v.ok, v.failures


def test_cpsat_is_deterministic() -> None:
    inst = random_instance(5, 200, n_hosts=10, n_groups=6)
    a = solve_cpsat(inst)
    b = solve_cpsat(inst)
    assert (a.host == b.host).all() and (a.rank == b.rank).all()


def test_cpsat_time_limit_reports_non_optimal() -> None:
    inst = random_instance(6, 2000, n_hosts=30, n_groups=10)
    sol = solve_cpsat(inst, time_limit=0.001)
    assert sol.status != SolveStatus.OPTIMAL
    assert sol.message


def test_registered_by_name() -> None:
    from matcher.engine.solve import known

    assert "cpsat" in known()
    inst = random_instance(8, 60, n_hosts=6, n_groups=4)
    by_name = solve(inst, "cpsat")
    assert by_name.status == SolveStatus.OPTIMAL
    assert by_name.objective == solve(inst, "optimal").objective


PRIORITY_FIRST = ("priority_placed_at_choice", "placed_at_choice", *STAGES[2:])
ADJUSTED_FIRST = (
    "adjusted",
    "second_choice",
    "placed_at_choice",
    "priority_adjusted",
    "first_choice",
    "priority_placed_at_choice",
    "priority_order",
)


@pytest.mark.parametrize("order", [PRIORITY_FIRST, ADJUSTED_FIRST])
def test_flow_and_cpsat_agree_in_another_order(order: tuple[str, ...]) -> None:
    inst = random_instance(11, 200, n_hosts=10, n_groups=6)
    flow = solve(inst, "optimal", objective=order)
    cp = solve(inst, "cpsat", objective=order)
    assert flow.status == SolveStatus.OPTIMAL and cp.status == SolveStatus.OPTIMAL
    assert [name for s in flow.proof["stages"] for name in s["names"]] == list(order)
    assert cp.proof["order"] == list(order)
    vector = [flow.objective[s] for s in order]
    assert vector == [cp.objective[s] for s in order]
    # read in the asked order, the answer is at least as good as the contract's answer
    default = solve(inst, "optimal")
    assert vector >= [default.objective[s] for s in order]
    for sol in (flow, cp):
        v = verify(inst, sol, objective=order)
        assert v.ok, v.failures
