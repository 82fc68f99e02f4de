"""Placement mechanisms, pluggable by name.

Contract: `solve(instance, mechanism, adjustment=..., objective=...)` looks the mechanism
up in the registry (a `Mechanism` or its string name, e.g. ``"optimal"``), checks the
instance and the order of the objective stages against what that mechanism declares it
supports, and runs it. An unknown name raises `UnknownMechanismError` listing the known
ones; there is no fallback.

Another mechanism is added with `register(MechanismSpec(name=..., run=..., supports=...))`
(e.g. ``"cpsat"``), or by adding a line to `_BUILTIN` with a lazy runner like the ones below.
A registered name is then selectable everywhere a mechanism is named: `Policy`, a scenario's
``[policy]``, ``matcher run --mechanism``, the web page's select, `matcher.api`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

from matcher.engine.solve.base import STAGES, Instance, Solution
from matcher.model import MECHANISM_NAMES, Mechanism, UnknownMechanismError, check_objective

#: `run(instance, adjustment)`: a mechanism with its own, fixed way of ranking answers.
Runner = Callable[[Instance, bool], Solution]
#: `run(instance, adjustment, objective)`: a mechanism that declares `objective_order`.
OrderedRunner = Callable[[Instance, bool, tuple[str, ...]], Solution]


class UnsupportedInstanceError(ValueError):
    """The instance needs a feature the chosen mechanism does not support."""


@dataclass(frozen=True)
class Supports:
    """What a mechanism handles.

    `prearranged`: pre-arranged applicants; `adjustment`: the adjustment pass;
    `certificate`: it proves optimality for the contract's lexicographic policy;
    `objective_order`: it solves the objective stages in any order `check_objective`
    accepts (its runner is then an `OrderedRunner`, called with the order).
    """

    prearranged: bool
    adjustment: bool
    certificate: bool
    objective_order: bool = False


@dataclass(frozen=True)
class MechanismSpec:
    """A registered mechanism.

    `run(instance, adjustment) -> Solution`, or `run(instance, adjustment, objective)`
    when `supports.objective_order`; `supports` is checked by `solve` before `run` is
    called; `description` is one line for help texts.
    """

    name: str
    run: Runner | OrderedRunner
    supports: Supports
    description: str = ""


def _run_optimal(instance: Instance, adjustment: bool, objective: tuple[str, ...]) -> Solution:
    from matcher.engine.solve.optimal import solve_optimal

    return solve_optimal(instance, adjustment, objective)


def _run_stable(instance: Instance, adjustment: bool) -> Solution:
    from matcher.engine.solve.stable import solve_stable

    return solve_stable(instance, adjustment)


def _run_immediate(instance: Instance, adjustment: bool) -> Solution:
    from matcher.engine.solve.immediate import solve_immediate

    return solve_immediate(instance, adjustment)


def _run_cpsat(instance: Instance, adjustment: bool, objective: tuple[str, ...]) -> Solution:
    from matcher.engine.solve.cpsat import solve_cpsat

    return solve_cpsat(instance, adjustment, objective=objective)


_BUILTIN: tuple[MechanismSpec, ...] = (
    MechanismSpec(
        Mechanism.OPTIMAL.value,
        _run_optimal,
        Supports(prearranged=True, adjustment=True, certificate=True, objective_order=True),
        "lexicographic min-cost flow with a stage-by-stage dual certificate",
    ),
    MechanismSpec(
        Mechanism.STABLE.value,
        _run_stable,
        Supports(prearranged=True, adjustment=True, certificate=False),
        "平行志愿: serial dictatorship in priority order, then adjustment",
    ),
    MechanismSpec(
        Mechanism.IMMEDIATE.value,
        _run_immediate,
        Supports(prearranged=True, adjustment=True, certificate=False),
        "顺序志愿: immediate acceptance by choice rounds, then adjustment",
    ),
    MechanismSpec(
        Mechanism.CPSAT.value,
        _run_cpsat,
        Supports(prearranged=True, adjustment=True, certificate=False, objective_order=True),
        "the default policy by staged CP-SAT: a second exact method for small rounds",
    ),
)

#: Registered mechanisms by name, the built-ins first; `register` adds to it.
REGISTRY: dict[str, MechanismSpec] = {spec.name: spec for spec in _BUILTIN}


def register(spec: MechanismSpec, *, replace: bool = False) -> None:
    """Add a mechanism to the registry under `spec.name`; a `Policy` accepts it from then on.

    Raises
    ------
    ValueError
        When the name is empty or taken and `replace` is False.
    """
    if not spec.name or spec.name != spec.name.strip():
        raise ValueError(f"a mechanism's name is a word without surrounding spaces: {spec.name!r}")
    if spec.name in REGISTRY and not replace:
        raise ValueError(f"mechanism {spec.name!r} is already registered")
    REGISTRY[spec.name] = spec
    if spec.name not in MECHANISM_NAMES:
        MECHANISM_NAMES.append(spec.name)


def known() -> tuple[str, ...]:
    """Names of the registered mechanisms, in registration order."""
    return tuple(REGISTRY)


def get(mechanism: Mechanism | str) -> MechanismSpec:
    """Look up the registered mechanism of that name.

    Raises
    ------
    UnknownMechanismError
        When no mechanism of that name is registered (the message lists the known ones).
    """
    name = mechanism.value if isinstance(mechanism, Mechanism) else str(mechanism)
    if name not in REGISTRY:
        raise UnknownMechanismError(name, known())
    return REGISTRY[name]


def solve(
    instance: Instance,
    mechanism: Mechanism | str,
    *,
    adjustment: bool = True,
    objective: Sequence[str] = STAGES,
) -> Solution:
    """Run `mechanism` on `instance`, after checking it supports what the instance needs.

    `objective` is the order of the objective stages (default: the contract's); a
    mechanism that declares `objective_order` solves them in that order, any other
    accepts only the contract's.

    Raises
    ------
    UnknownMechanismError
        Unknown mechanism name.
    ObjectiveOrderError
        `objective` is not a valid order of the stages (`check_objective`).
    UnsupportedInstanceError
        The instance has pre-arranged applicants, adjustment is asked for, or the
        objective stages are in another order than the contract's, and the mechanism
        does not declare support for it.
    """
    spec = get(mechanism)
    order = check_objective(objective)
    if order != STAGES and not spec.supports.objective_order:
        able = [s.name for s in REGISTRY.values() if s.supports.objective_order]
        raise UnsupportedInstanceError(
            f"mechanism {spec.name!r} does not support another order of the objective "
            f"stages (it ranks answers its own way); use one of: {', '.join(able)}"
        )
    if not spec.supports.prearranged and bool(np.any(instance.prearranged >= 0)):
        raise UnsupportedInstanceError(
            f"mechanism {spec.name!r} does not support pre-arranged applicants"
        )
    if adjustment and not spec.supports.adjustment:
        raise UnsupportedInstanceError(f"mechanism {spec.name!r} does not support adjustment")
    if spec.supports.objective_order:
        return cast(OrderedRunner, spec.run)(instance, adjustment, order)
    return cast(Runner, spec.run)(instance, adjustment)


__all__ = [
    "MechanismSpec",
    "OrderedRunner",
    "Runner",
    "Supports",
    "UnknownMechanismError",
    "UnsupportedInstanceError",
    "get",
    "known",
    "register",
    "solve",
]
