"""The default mechanism: staged lexicographic min-cost flow with a dual certificate.

Contract: `solve_optimal(instance, adjustment, objective)` returns a `Solution` that is
lexicographically optimal for the stages in the order `objective` (default `STAGES`, the
contract's) on the canonical network of docs/engine.md, with `proof["stages"]` holding
each stage's name, value and node potentials in solve order.
It never raises on solver trouble: a non-optimal OR-Tools status, an over-committed
pre-arrangement or a negative residual cycle give a Solution with status `error` or
`infeasible` and a message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from ortools.graph.python import min_cost_flow

from matcher.model import check_objective
from matcher.solve.base import ADJUSTED, STAGES, UNPLACED, Instance, Solution, SolveStatus
from matcher.solve.network import (
    ADJUST_HOST,
    CHOICE,
    I64,
    TO_ADJUST,
    Network,
    OvercommittedError,
    adjustment_by_choices,
    build_network,
    prearranged_ranks,
    stage_costs,
    stage_values,
)
from matcher.solve.potentials import residual_potentials

METHOD = "lexicographic min-cost flow"


class StageFailure(RuntimeError):
    """A stage could not be solved to optimality (carries the status to report)."""

    def __init__(self, status: SolveStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def min_cost_flow_within(net: Network, lo: I64, hi: I64, cost: I64) -> I64:
    """Find an optimal flow of `net` with arc bounds [lo, hi] and costs `cost`.

    Lower bounds are shifted into the supplies; arcs with lo == hi are left out of the
    OR-Tools model (their flow is fixed).

    Raises
    ------
    StageFailure
        When OR-Tools does not report OPTIMAL.
    """
    supply = net.supply.copy()
    supply -= np.bincount(net.tail, weights=lo, minlength=net.n_nodes).astype(np.int64)
    supply += np.bincount(net.head, weights=lo, minlength=net.n_nodes).astype(np.int64)
    open_arcs = np.flatnonzero(hi > lo)
    # Renumber the nodes still in play (an open arc or a supply) so later, mostly
    # fixed stages hand OR-Tools a small graph.
    live = np.zeros(net.n_nodes, dtype=bool)
    live[net.tail[open_arcs]] = True
    live[net.head[open_arcs]] = True
    live |= supply != 0
    number = np.cumsum(live, dtype=np.int64) - 1
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(
        number[net.tail[open_arcs]].astype(np.int32),
        number[net.head[open_arcs]].astype(np.int32),
        (hi - lo)[open_arcs],
        cost[open_arcs],
    )
    smcf.set_nodes_supplies(np.arange(int(live.sum()), dtype=np.int32), supply[live])
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        kind = SolveStatus.INFEASIBLE if status == smcf.INFEASIBLE else SolveStatus.ERROR
        raise StageFailure(kind, f"OR-Tools min-cost flow returned {status!r}")
    flow = lo.copy()
    flow[open_arcs] += np.asarray(smcf.flows(np.arange(open_arcs.shape[0], dtype=np.int32)))
    return flow


def decode_flow(net: Network, instance: Instance, flow: I64) -> tuple[I64, I64]:
    """Host and rank code per applicant from the arc flows (engine.md's hand-out rule).

    Pre-arranged applicants keep their host; a choice arc with flow gives that choice;
    the flow from adj(t, f) to hosts (increasing index) goes to that node's adjusted
    applicants in priority order.
    """
    n = instance.n
    host = np.full(n, -1, dtype=np.int64)
    rank = prearranged_ranks(instance)
    pre = instance.prearranged >= 0
    host[pre] = instance.prearranged[pre]
    used = flow > 0
    chosen = np.flatnonzero((net.kind == CHOICE) & used)
    who = net.applicant[chosen]
    host[who] = net.head[chosen] - net.host_node0
    rank[who] = net.rank[chosen]
    to_adjust = np.flatnonzero((net.kind == TO_ADJUST) & used)
    adjusted = net.applicant[to_adjust]
    adjusted = adjusted[np.lexsort((instance.order[adjusted], net.adjust_of[adjusted]))]
    handed = np.flatnonzero((net.kind == ADJUST_HOST) & used)  # by adj node, then host
    places = np.repeat(net.head[handed] - net.host_node0, flow[handed])
    host[adjusted] = places
    rank[adjusted] = ADJUSTED
    return host, rank


def solve_optimal(
    instance: Instance, adjustment: bool = True, objective: Sequence[str] = STAGES
) -> Solution:
    """Solve the lexicographic policy exactly, stage by stage, in the order `objective`.

    Steps: check the order (`check_objective`); build the network (adjustment nodes split
    by choices when the order needs it); then, for each stage in order: min-cost flow
    with that stage's costs within the current bounds; potentials from the residual
    graph; arcs with positive reduced cost are fixed at their lower bound, negative at
    their upper bound. The flow of the last stage is decoded into hosts and ranks.

    Raises
    ------
    ObjectiveOrderError
        `objective` is not an order of `STAGES` with priority_order last.
    """
    n = instance.n
    order = check_objective(objective)
    try:
        net = build_network(instance, adjustment, by_choices=adjustment_by_choices(order))
    except OvercommittedError as exc:
        return _failed(n, SolveStatus.INFEASIBLE, str(exc))
    pre_values = stage_values(
        instance, np.where(instance.prearranged >= 0, prearranged_ranks(instance), UNPLACED)
    )
    lo = np.zeros_like(net.cap)
    hi = net.cap.copy()
    stages: list[dict[str, Any]] = []
    values: dict[str, int] = {}
    flow = lo
    pi: I64 | None
    for name in order:
        cost = stage_costs(net, instance, name)
        if stages and not cost[hi > lo].any():
            # Nothing open costs anything: the current flow is optimal, with pi = 0
            # (open arcs have rc = 0, fixed arcs satisfy slackness trivially).
            pi = np.zeros(net.n_nodes, dtype=np.int64)
        else:
            try:
                flow = min_cost_flow_within(net, lo, hi, cost)
            except StageFailure as exc:
                return _failed(n, exc.status, f"stage {name}: {exc}")
            pi = residual_potentials(net.n_nodes, net.tail, net.head, cost, flow, lo, hi)
        if pi is None:
            return _failed(n, SolveStatus.ERROR, f"stage {name}: negative residual cycle")
        value = -int((cost * flow).sum()) + pre_values[name]
        values[name] = value
        stages.append({"name": name, "value": value, "potentials": pi})
        reduced = cost + pi[net.tail] - pi[net.head]
        lo, hi = np.where(reduced < 0, hi, lo), np.where(reduced > 0, lo, hi)
    host, rank = decode_flow(net, instance, flow)
    return Solution(
        status=SolveStatus.OPTIMAL,
        host=host.astype(np.int32),
        rank=rank.astype(np.int32),
        objective=values,
        proof={"method": METHOD, "stages": stages},
    )


def _failed(n: int, status: SolveStatus, message: str) -> Solution:
    return Solution(
        status=status,
        host=np.full(n, -1, dtype=np.int32),
        rank=np.full(n, UNPLACED, dtype=np.int32),
        message=message,
    )
