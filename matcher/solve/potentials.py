"""Node potentials of an optimal flow: shortest distances in its residual graph.

Contract: `residual_potentials` returns int64 potentials `pi` with
``cost + pi[tail] - pi[head] >= 0`` on every residual arc (distances from a virtual root
joined to every node at cost 0), or None when the residual graph has a negative cycle
(the flow was not optimal).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]


def residual_potentials(
    n_nodes: int,
    tail: npt.NDArray[np.integer],
    head: npt.NDArray[np.integer],
    cost: I64,
    flow: I64,
    lo: I64,
    hi: I64,
) -> I64 | None:
    """Shortest-path potentials of the residual graph of `flow` within bounds [lo, hi].

    Steps: residual arcs are `tail→head` at `cost` where flow < hi and `head→tail` at
    `-cost` where flow > lo; start from 0 everywhere (the virtual root); relax all arcs
    at once (Bellman–Ford, vectorised: arcs sorted by head, `np.minimum.reduceat` per
    head) until nothing changes; give up after `n_nodes + 1` rounds (a negative cycle).
    """
    fwd = flow < hi
    bwd = flow > lo
    rt = np.concatenate([tail[fwd], head[bwd]]).astype(np.int64)
    rh = np.concatenate([head[fwd], tail[bwd]]).astype(np.int64)
    rc = np.concatenate([cost[fwd], -cost[bwd]]).astype(np.int64)
    dist = np.zeros(n_nodes, dtype=np.int64)
    if rt.shape[0] == 0:
        return dist
    # Arcs of cost >= 0 out of a node still at 0 can never lower anything at first;
    # all arcs are kept: correctness first, the rounds stop as soon as nothing changes.
    by_head = np.argsort(rh, kind="stable")
    rt, rh, rc = rt[by_head], rh[by_head], rc[by_head]
    heads, starts = np.unique(rh, return_index=True)
    for _ in range(n_nodes + 1):
        best = np.minimum.reduceat(dist[rt] + rc, starts)
        lower = best < dist[heads]
        if not lower.any():
            return dist
        dist[heads[lower]] = best[lower]
    return None
