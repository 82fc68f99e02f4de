"""One exact min-cost flow of the canonical network within arc bounds (OR-Tools).

Contract: `min_cost_flow_within(net, lo, hi, cost)` returns an optimal flow of `net` with
every arc's flow in [lo, hi] and the given integer costs, or raises `StageFailure`.
Each track's network is its own `net` (`matcher.engine.solve.tracks`): OR-Tools' time grows
faster than the network, and the tracks can be solved side by side.
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import min_cost_flow

from matcher.engine.solve.base import SolveStatus
from matcher.engine.solve.network import I64, Network


class StageFailure(RuntimeError):
    """A stage could not be solved to optimality (carries the status to report)."""

    def __init__(self, status: SolveStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def min_cost_flow_within(net: Network, lo: I64, hi: I64, cost: I64) -> I64:
    """Find an optimal flow of `net` with arc bounds [lo, hi] and costs `cost`.

    Lower bounds are shifted into the supplies; arcs with lo == hi are left out (their
    flow is fixed), and so are the nodes no open arc touches. With every arc open from 0,
    the network goes to OR-Tools as it is.

    Raises
    ------
    StageFailure
        When OR-Tools does not report OPTIMAL.
    """
    arcs, values = _solve(net, lo, hi, cost)
    flow = lo.copy()
    flow[arcs] = values
    return flow


def _solve(net: Network, lo: I64, hi: I64, cost: I64) -> tuple[I64, I64]:
    """The open arcs (lo < hi) and their optimal flows.

    Raises
    ------
    StageFailure
        When OR-Tools does not report OPTIMAL.
    """
    open_arcs = np.flatnonzero(hi > lo)
    smcf = min_cost_flow.SimpleMinCostFlow()
    if open_arcs.shape[0] == hi.shape[0] and not lo.any():
        # every arc open from 0 (the first solve): the network as it is, no copies
        smcf.add_arcs_with_capacity_and_unit_cost(net.tail, net.head, hi, cost)
        smcf.set_nodes_supplies(np.arange(net.n_nodes, dtype=np.int32), net.supply)
    else:
        n = net.n_nodes
        tail, head = net.tail, net.head
        supply = net.supply - np.bincount(tail, weights=lo, minlength=n).astype(np.int64)
        supply += np.bincount(head, weights=lo, minlength=n).astype(np.int64)
        # Renumber the nodes still in play (an open arc or a supply) so a mostly fixed
        # network hands OR-Tools a small graph.
        live = supply != 0
        live[tail[open_arcs]] = True
        live[head[open_arcs]] = True
        number = (np.cumsum(live, dtype=np.int64) - 1).astype(np.int32)
        smcf.add_arcs_with_capacity_and_unit_cost(
            number[tail[open_arcs]], number[head[open_arcs]], (hi - lo)[open_arcs], cost[open_arcs]
        )
        smcf.set_nodes_supplies(np.arange(int(live.sum()), dtype=np.int32), supply[live])
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        kind = SolveStatus.INFEASIBLE if status == smcf.INFEASIBLE else SolveStatus.ERROR
        raise StageFailure(kind, f"OR-Tools min-cost flow returned {status!r}")
    got = np.asarray(smcf.flows(np.arange(open_arcs.shape[0], dtype=np.int32)))
    return open_arcs, lo[open_arcs] + got
