"""The verifier shares no code with the solver, so a bug in the solver is caught.

The import check reads the verifier's source; the mutation tests make the solver wrong on
purpose (weights in the wrong order, a stage lost, priority swapped, capacity breached)
and need the verifier to reject the answer, also when the answer's claimed stage values
are corrected so that only the certificate can catch it.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import matcher.engine.certificate as certificate
import matcher.engine.verify as verifier
from matcher.engine.certificate import Layout
from matcher.engine.solve import base, network, optimal, solve
from matcher.engine.solve.base import Instance, Solution
from matcher.engine.verify import Verification, stage_values, verify
from tests.strategies import random_instance

#: The only project modules the verifier may import, and what it may take from each.
ALLOWED = {
    "model": {"ALL_STAGES", "STAGES", "check_objective"},
    "certificate": None,  # the verifier's own
}


def _imports(module: ModuleType) -> list[tuple[str, set[str] | None]]:
    """(module path, names taken or None for a plain import) of every import in a file."""
    tree = ast.parse(inspect.getsource(module))
    package = module.__name__.rsplit(".", 1)[0]
    found: list[tuple[str, set[str] | None]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            path = node.module or ""
            if node.level:  # relative: resolved against the verifier's package
                base_pkg = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                path = f"{base_pkg}.{path}" if path else base_pkg
            found.append((path, {alias.name for alias in node.names}))
    return found


@pytest.mark.parametrize("module", [verifier, certificate], ids=lambda m: m.__name__)
def test_the_verifier_imports_no_solver_code(module: ModuleType) -> None:
    for path, names in _imports(module):
        if path.split(".")[0] != "matcher":
            continue
        last = path.rsplit(".", 1)[-1]
        assert "solve" not in path.split(".") and "encode" not in path.split("."), path
        assert last in ALLOWED, f"{module.__name__} imports {path}"
        allowed = ALLOWED[last]
        assert allowed is None or (names is not None and names <= allowed), (path, names)
    # nor does it ask an instance for the solver's weights (`Instance.weights`)
    calls = [
        node.func.attr
        for node in ast.walk(ast.parse(inspect.getsource(module)))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    ]
    assert "weights" not in calls


def test_the_rank_codes_are_the_solvers() -> None:
    assert (certificate.UNPLACED, certificate.ADJUSTED, certificate.PREARRANGED) == (
        base.UNPLACED,
        base.ADJUSTED,
        base.PREARRANGED,
    )


@pytest.mark.parametrize("by_choices", [False, True])
@pytest.mark.parametrize("seed", [3, 11])
def test_the_layout_is_the_solvers_network(seed: int, by_choices: bool) -> None:
    # written from docs/engine.md; the solver's network must have the same nodes and
    # the same adjustment-to-host arcs
    inst = random_instance(seed, 400, n_hosts=12, n_groups=6)
    pre = inst.prearranged.copy()
    pre[:7] = inst.choices[:7, 0]
    inst = dataclasses.replace(inst, prearranged=np.where(pre >= 0, pre, -1).astype(np.int32))
    lay = Layout.of(inst, by_choices)
    net = network.build_network(inst, by_choices=by_choices)
    assert lay.sink + 1 == net.n_nodes
    assert (lay.host0, lay.adj0) == (net.host_node0, net.adjust_node0)
    k5 = net.kind == network.ADJUST_HOST
    theirs = sorted(
        zip(net.tail[k5] - net.adjust_node0, net.head[k5] - net.host_node0, strict=True)
    )
    assert theirs == sorted(zip(lay.arc_node.tolist(), lay.arc_host.tolist(), strict=True))


def _instance() -> Instance:
    """A scarce round: every stage has something to decide."""
    return random_instance(5, 600, n_hosts=12, n_groups=8, scarcity=0.5)


def _failed(v: Verification) -> set[str]:
    return {k for k, val in v.checks.items() if val is False}


def _rejected(inst: Instance, wrong: Solution) -> None:
    """The wrong answer fails, and fails its certificate once its claims are corrected."""
    right = solve(inst, "optimal")
    assert verify(inst, right).ok
    assert not np.array_equal(wrong.host, right.host), "the mutation changed nothing"
    v = verify(inst, wrong)
    assert not v.ok
    honest = dataclasses.replace(wrong, objective=stage_values(inst, wrong.rank))
    failed = _failed(verify(inst, honest))
    assert failed and (failed & {"capacity", "quota"} or "certificate" in failed), failed


def _patched(
    monkeypatch: pytest.MonkeyPatch, module: ModuleType, name: str, wrap: Callable[..., Any]
) -> None:
    monkeypatch.setattr(module, name, wrap(getattr(module, name)))


def test_weights_in_the_wrong_order_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    # the solver's weights favour the last of the priority order
    inst = _instance()

    def reversed_weights(real: Callable[[Instance], Any]) -> Callable[[Instance], Any]:
        return lambda self: 1 + self.order.astype(np.int64)

    with monkeypatch.context() as patch:
        _patched(patch, Instance, "weights", reversed_weights)
        wrong = solve(inst, "optimal")
    _rejected(inst, wrong)


def test_a_lost_stage_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    # the solver's costs of first_choice are all zero: that stage is never optimised
    inst = _instance()

    def without_first(real: Callable[..., Any]) -> Callable[..., Any]:
        def table(net: Any, instance: Instance, stages: Any) -> dict[str, Any]:
            out = real(net, instance, stages)
            if "first_choice" in out:
                out["first_choice"] = np.zeros_like(out["first_choice"])
            return dict(out)

        return table

    with monkeypatch.context() as patch:
        _patched(patch, optimal, "stage_cost_table", without_first)
        wrong = solve(inst, "optimal")
    _rejected(inst, wrong)


def test_swapped_priority_is_rejected() -> None:
    # the solver read 是否基层/单位性质 the wrong way round
    inst = _instance()
    swapped = dataclasses.replace(inst, priority=~inst.priority)
    _rejected(inst, solve(swapped, "optimal"))


def test_a_capacity_breach_is_rejected() -> None:
    # the solver gave every host one more place than it has
    inst = _instance()
    roomier = dataclasses.replace(inst, host_cap=(inst.host_cap + 1).astype(inst.host_cap.dtype))
    wrong = solve(roomier, "optimal")
    _rejected(inst, wrong)
    assert "capacity" in _failed(verify(inst, wrong))


def test_weights_that_do_not_fall_along_the_order_are_refused() -> None:
    inst = _instance()
    sol = solve(inst, "optimal")
    w = inst.n - inst.order.astype(np.int64)
    for bad in (w[::-1].copy(), np.zeros_like(w), w[:-1]):
        v = verify(dataclasses.replace(inst, weight=bad), sol)
        assert not v.ok and "weights" in _failed(v)
        assert v.failures  # named, never a traceback
    shifted = dataclasses.replace(inst, weight=w + 1000)  # still falling: accepted
    assert verify(shifted, solve(shifted, "optimal")).ok


def test_a_round_without_hosts_is_verified() -> None:
    # nobody can be placed; the certificate still replays (bad input never a traceback)
    one = np.zeros(1, dtype=np.int32)
    inst = Instance(
        choices=np.full((1, 3), -1, dtype=np.int32),
        group=one,
        group_cap=one + 1,
        host_cap=np.zeros(0, dtype=np.int32),
        host_track=np.zeros(0, dtype=np.int32),
        track=one,
        field=one,
        host_fields=np.zeros((0, 1), dtype=bool),
        priority=np.ones(1, dtype=bool),
        accepts=np.ones(1, dtype=bool),
        order=one,
        prearranged=one - 1,
    )
    sol = solve(inst, "optimal")
    v = verify(inst, sol)
    assert v.ok and v.checks["certificate"] is True and v.objective["adjusted"] == 0
