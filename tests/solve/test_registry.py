"""The mechanism registry: names, errors that list the known ones, declared support."""

from __future__ import annotations

import pytest

from matcher.model import Mechanism
from matcher.solve import (
    REGISTRY,
    MechanismSpec,
    Supports,
    UnknownMechanismError,
    UnsupportedInstanceError,
    get,
    known,
    register,
    solve,
)
from matcher.solve.base import Solution, SolveStatus
from tests.solve.checks import make_instance


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


def test_register_and_declared_support_checked(monkeypatch):
    monkeypatch.setattr("matcher.solve.REGISTRY", dict(REGISTRY))
    calls = []

    def run(inst, adjustment):
        calls.append(adjustment)
        return Solution(SolveStatus.FEASIBLE, inst.prearranged.copy(), inst.prearranged.copy())

    register(MechanismSpec("toy", run, Supports(prearranged=False, adjustment=False,
                                                certificate=False)))
    with pytest.raises(ValueError):
        register(MechanismSpec("toy", run, Supports(False, False, False)))
    assert solve(make_instance([[0]], [1]), "toy", adjustment=False).status == "feasible"
    with pytest.raises(UnsupportedInstanceError):
        solve(make_instance([[0]], [1]), "toy", adjustment=True)
    with pytest.raises(UnsupportedInstanceError):
        solve(make_instance([[0]], [1], prearranged=[0]), "toy", adjustment=False)
    assert calls == [False]
