"""The mechanism registry: names, errors that list the known ones, declared support."""

from __future__ import annotations

import pytest

from matcher.engine.solve import (
    MechanismSpec,
    Supports,
    UnknownMechanismError,
    UnsupportedInstanceError,
    get,
    known,
    register,
    solve,
)
from matcher.engine.solve.base import Solution, SolveStatus
from matcher.model import Mechanism
from tests.engine.solve.checks import make_instance


def test_builtins_by_enum_and_name():
    assert {"optimal", "stable", "immediate"} <= set(known())
    for m in Mechanism:
        assert get(m) is get(m.value)
    assert get("optimal").supports.certificate
    assert not get("stable").supports.certificate


def test_unknown_name_lists_known_ones():
    with pytest.raises(UnknownMechanismError) as err:
        solve(make_instance([[0]], [1]), "simplex")
    assert "simplex" in str(err.value) and "optimal" in str(err.value)


@pytest.mark.usefixtures("isolated_registry")
def test_register_and_declared_support_checked():
    calls = []

    def run(inst, adjustment):
        calls.append(adjustment)
        return Solution(SolveStatus.FEASIBLE, inst.prearranged.copy(), inst.prearranged.copy())

    register(
        MechanismSpec("toy", run, Supports(prearranged=False, adjustment=False, certificate=False))
    )
    with pytest.raises(ValueError):
        register(MechanismSpec("toy", run, Supports(False, False, False)))
    assert solve(make_instance([[0]], [1]), "toy", adjustment=False).status == "feasible"
    with pytest.raises(UnsupportedInstanceError):
        solve(make_instance([[0]], [1]), "toy", adjustment=True)
    with pytest.raises(UnsupportedInstanceError):
        solve(make_instance([[0]], [1], prearranged=[0]), "toy", adjustment=False)
    assert calls == [False]


PRIORITY_FIRST = (
    "priority_placed_at_choice",
    "placed_at_choice",
    "first_choice",
    "second_choice",
    "adjusted",
    "priority_adjusted",
    "priority_order",
)


def test_declared_support_for_the_order_of_the_stages():
    assert get("optimal").supports.objective_order
    assert get("cpsat").supports.objective_order
    assert not get("stable").supports.objective_order
    assert not get("immediate").supports.objective_order


@pytest.mark.parametrize("mechanism", ["stable", "immediate"])
def test_another_order_is_refused_before_any_work(mechanism, monkeypatch):
    from matcher.engine.solve.base import STAGES

    calls = []
    monkeypatch.setattr(
        f"matcher.engine.solve.{mechanism}.solve_{mechanism}", lambda *args: calls.append(args)
    )
    inst = make_instance([[0]], [1])
    with pytest.raises(UnsupportedInstanceError) as err:
        solve(inst, mechanism, objective=PRIORITY_FIRST)
    assert repr(mechanism) in str(err.value) and "optimal" in str(err.value)
    assert calls == []
    solve(inst, mechanism, objective=list(STAGES))  # the contract's order, spelled out
    assert len(calls) == 1


@pytest.mark.parametrize("mechanism", ["optimal", "stable"])
def test_a_malformed_order_is_refused_by_name(mechanism):
    from matcher.model import ObjectiveOrderError

    with pytest.raises(ObjectiveOrderError, match="tie-break"):
        solve(make_instance([[0]], [1]), mechanism, objective=PRIORITY_FIRST[::-1])


@pytest.mark.usefixtures("isolated_registry")
def test_a_registered_mechanism_does_not_support_the_order_unless_it_says_so():
    seen = []

    def run(inst, adjustment, objective):
        seen.append(objective)
        return Solution(SolveStatus.FEASIBLE, inst.prearranged.copy(), inst.prearranged.copy())

    register(MechanismSpec("ordered", run, Supports(True, True, False, objective_order=True)))
    solve(make_instance([[0]], [1]), "ordered", objective=list(PRIORITY_FIRST))
    assert seen == [PRIORITY_FIRST]
    assert not Supports(True, True, False).objective_order
