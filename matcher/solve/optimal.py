"""The default mechanism: staged lexicographic min-cost flow with a dual certificate.

Contract: `solve_optimal(instance, adjustment, objective)` returns a `Solution` that is
lexicographically optimal for the stages in the order `objective` (default `STAGES`, the
contract's) on the canonical network of docs/engine.md, with `proof["stages"]` holding one
entry per solve, in solve order: the stage names, their weights, their values and the node
potentials (adjacent stages of 0/-1 costs are merged in pairs with lexicographically safe
weights [W, 1]).
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

#: The stages whose arc costs are all 0 or -1 (docs/engine.md's table).
UNIT_STAGES = frozenset(STAGES) - {"priority_order"}


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


#: Costs of OR-Tools' min-cost flow are multiplied by about the node count inside; merged
#: weights stay below this bound after that scaling (far from int64's 2^63).
COST_LIMIT = 2**62


def is_unit(cost: I64) -> bool:
    """Whether every arc cost is 0 or -1 (every stage except priority_order)."""
    return bool(((cost == 0) | (cost == -1)).all())


def solve_groups(order: Sequence[str]) -> list[list[str]]:
    """The stages of `order` in solves: adjacent unit-cost stages paired, in order.

    Walking the order, a stage of 0/-1 costs is paired with the next one when that one is
    too; any other stage (priority_order) is solved alone.
    """
    groups: list[list[str]] = []
    k = 0
    while k < len(order):
        pair = order[k : k + 2]
        if len(pair) == 2 and all(name in UNIT_STAGES for name in pair):
            groups.append(list(pair))
            k += 2
        else:
            groups.append([order[k]])
            k += 1
    return groups


def merge_weights(n_nodes: int, costs: Sequence[I64], lo: I64, hi: I64) -> list[int] | None:
    """Lexicographically safe weights [W, 1] for two stages' costs on bounds [lo, hi].

    W = 1 + R_b with R_b = sum of |c_b| * (hi - lo): an upper bound on how much stage b's
    total can vary between flows within the bounds, so that one unit of stage a outweighs
    any change of stage b: every optimum of W*c_a + c_b is lexicographically optimal for
    (a, b), and its optimal face is the lexicographic face. A single stage gets [1].
    None when the merged costs, scaled by OR-Tools (about the node count), could
    approach int64's limit, or when a stage is not of 0/-1 costs.
    """
    if len(costs) == 1:
        return [1]
    if len(costs) != 2 or not all(is_unit(c) for c in costs):
        return None
    r_b = int((np.abs(costs[1]) * (hi - lo)).sum())
    w = 1 + r_b
    if (w + 1) * (n_nodes + 1) >= COST_LIMIT:
        return None
    return [w, 1]


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
    by choices when the order needs it); group the stages into solves (`solve_groups`:
    adjacent stages of 0/-1 costs in pairs); then, for each solve in order: weights
    (`merge_weights`: [W, 1] with W = 1 + R_b on the current bounds, or the two stages
    one by one when W would be unsafe for int64); min-cost flow with the weighted costs
    within the current bounds; potentials from the residual graph; arcs with positive
    reduced cost are fixed at their lower bound, negative at their upper bound. The flow
    of the last solve is decoded into hosts and ranks.

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
    for names in solve_groups(order):
        costs = {name: stage_costs(net, instance, name) for name in names}
        weights = merge_weights(net.n_nodes, [costs[name] for name in names], lo, hi)
        if weights is None:  # not safe to merge (never at realistic sizes): one by one
            groups = [[name] for name in names]
            weight_lists = [[1] for _ in names]
        else:
            groups, weight_lists = [names], [weights]
        for group, wts in zip(groups, weight_lists, strict=True):
            cost = np.zeros_like(net.cap)
            for name, w in zip(group, wts, strict=True):
                cost += w * costs[name]
            label = "+".join(group)
            if stages and not cost[hi > lo].any():
                # Nothing open costs anything: the current flow is optimal, with pi = 0
                # (open arcs have rc = 0, fixed arcs satisfy slackness trivially).
                pi = np.zeros(net.n_nodes, dtype=np.int64)
            else:
                try:
                    flow = min_cost_flow_within(net, lo, hi, cost)
                except StageFailure as exc:
                    return _failed(n, exc.status, f"stage {label}: {exc}")
                pi = residual_potentials(net.n_nodes, net.tail, net.head, cost, flow, lo, hi)
            if pi is None:
                return _failed(n, SolveStatus.ERROR, f"stage {label}: negative residual cycle")
            group_values = [-int((costs[name] * flow).sum()) + pre_values[name] for name in group]
            values.update(zip(group, group_values, strict=True))
            stages.append(
                {
                    "names": list(group),
                    "weights": list(wts),
                    "values": group_values,
                    "potentials": pi,
                }
            )
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
