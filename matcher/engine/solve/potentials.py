"""Node potentials of an optimal flow: shortest distances in its residual graph.

Contract: `residual_potentials` returns int64 potentials `pi` with
``cost + pi[tail] - pi[head] >= 0`` on every residual arc (distances from a virtual root
joined to every node at cost 0), or None when the residual graph has a negative cycle
(the flow was not optimal). Shortest distances are unique, so every way of computing them
gives the same array.
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
    max_rounds: int | None = None,
    inner: npt.NDArray[np.bool_] | None = None,
) -> I64 | None:
    """Shortest-path potentials of the residual graph of `flow` within bounds [lo, hi].

    Steps: residual arcs are `tail→head` at `cost` where flow < hi and `head→tail` at
    `-cost` where flow > lo; start from 0 everywhere (the virtual root); relax all arcs
    at once (Bellman–Ford, vectorised: arcs sorted by head, `np.minimum.reduceat` per
    head) until nothing changes; after `max_rounds` rounds (default `n_nodes + 1`) still
    changing means a negative cycle. A caller that knows every simple path has at most
    L arcs may pass L + 2 (the canonical network: L = 2 × the nodes that are not
    applicants, since an applicant node only touches those).

    `inner` (optional) marks nodes that only touch nodes outside it, like the applicant
    nodes of the canonical network: when each of them has at most one residual arc in,
    the distances are found on the smaller graph of the other nodes (`_through_inner`:
    a dense matrix up to `MAX_HUBS` of them, else their arcs), with the same result.
    """
    fwd = np.flatnonzero(flow < hi)  # each mask read into positions once
    bwd = np.flatnonzero(flow > lo)
    rt = np.concatenate([tail[fwd], head[bwd]]).astype(np.int64, copy=False)
    rh = np.concatenate([head[fwd], tail[bwd]]).astype(np.int64, copy=False)
    rc = np.concatenate([cost[fwd], -cost[bwd]]).astype(np.int64, copy=False)
    dist = np.zeros(n_nodes, dtype=np.int64)
    if rt.shape[0] == 0:
        return dist
    if inner is not None:
        found = _through_inner(n_nodes, rt, rh, rc, inner)
        if found is not NOT_SMALL:
            return found
    # Arcs of cost >= 0 out of a node still at 0 can never lower anything at first;
    # all arcs are kept: correctness first, the rounds stop as soon as nothing changes.
    by_head = np.argsort(rh, kind="stable")
    rt, rh, rc = rt[by_head], rh[by_head], rc[by_head]
    return _relaxed(dist, rt, rh, rc, n_nodes + 1 if max_rounds is None else max_rounds)


def _relaxed(dist: I64, tail: I64, head: I64, cost: I64, rounds: int) -> I64 | None:
    """`dist` lowered along the arcs (sorted by head) until nothing changes, in place.

    None when it still changes after `rounds` rounds (a negative cycle).
    """
    heads, starts = np.unique(head, return_index=True)
    if heads.shape[0] == 0:
        return dist
    for _ in range(rounds):
        best = np.minimum.reduceat(dist[tail] + cost, starts)
        lower = best < dist[heads]
        if not lower.any():
            return dist
        dist[heads[lower]] = best[lower]
    return None


#: `_through_inner` works on a dense matrix of the other nodes up to this many (beyond,
#: on the list of their arcs, the cheapest per pair).
MAX_HUBS = 2000
#: No arc: larger than any path cost, and far from overflow when added to a distance <= 0.
NO_ARC = np.int64(2**62)
#: `_through_inner` cannot be used here (an inner-to-inner arc, or an inner node with two
#: ways in).
NOT_SMALL = np.zeros(0, dtype=np.int64)


def _through_inner(
    n_nodes: int, rt: I64, rh: I64, rc: I64, inner: npt.NDArray[np.bool_]
) -> I64 | None:
    """Residual distances via the graph of the hubs (the nodes outside `inner`).

    Steps: each inner node has at most one residual arc in (from hub u at cost a); each
    of its arcs out (to hub v at cost b) gives a hub arc u -> v at cost a + b, and, as
    a path may start at the inner node itself (the virtual root reaches it at 0), hub v
    a start value b. Keep the cheapest hub arc per (u, v) with the hub-to-hub arcs, run
    Bellman–Ford on them (a dense matrix up to `MAX_HUBS` hubs, else the list of arcs,
    relaxed all at once; a negative cycle when still changing after as many rounds as
    hubs), and give each inner node min(0, dist[u] + a).
    Returns `NOT_SMALL` when the shape does not allow it.
    """
    hubs = np.flatnonzero(~inner)
    n_hubs = hubs.shape[0]
    tail_inner, head_inner = inner[rt], inner[rh]
    if (tail_inner & head_inner).any():
        return NOT_SMALL
    into = np.flatnonzero(head_inner)
    entered = rh[into]
    if np.bincount(entered, minlength=n_nodes).max(initial=0) > 1:
        return NOT_SMALL
    hub_id = np.full(n_nodes, -1, dtype=np.int64)
    hub_id[hubs] = np.arange(n_hubs)
    in_hub = np.full(n_nodes, -1, dtype=np.int64)
    in_cost = np.zeros(n_nodes, dtype=np.int64)
    in_hub[entered] = hub_id[rt[into]]
    in_cost[entered] = rc[into]

    direct = np.flatnonzero(~tail_inner & ~head_inner)
    out = np.flatnonzero(tail_inner)
    start = np.zeros(n_hubs, dtype=np.int64)
    np.minimum.at(start, hub_id[rh[out]], rc[out])
    via = out[in_hub[rt[out]] >= 0]
    arc_tail = np.concatenate([hub_id[rt[direct]], in_hub[rt[via]]])
    arc_head = np.concatenate([hub_id[rh[direct]], hub_id[rh[via]]])
    arc_cost = np.concatenate([rc[direct], in_cost[rt[via]] + rc[via]])
    if n_hubs <= MAX_HUBS:
        dist_h = _dense_distances(n_hubs, arc_tail, arc_head, arc_cost, start)
    else:
        dist_h = _sparse_distances(n_hubs, arc_tail, arc_head, arc_cost, start)
    if dist_h is None:
        return None
    dist = np.zeros(n_nodes, dtype=np.int64)
    dist[hubs] = dist_h
    entered_all = np.flatnonzero(in_hub >= 0)
    dist[entered_all] = np.minimum(0, dist_h[in_hub[entered_all]] + in_cost[entered_all])
    return dist


def _dense_distances(n_hubs: int, tail: I64, head: I64, cost: I64, start: I64) -> I64 | None:
    """Distances of the hub graph from `start` (values <= 0), on its dense matrix."""
    matrix = np.full(n_hubs * n_hubs, NO_ARC, dtype=np.int64)
    np.minimum.at(matrix, tail * n_hubs + head, cost)
    square = matrix.reshape(n_hubs, n_hubs)
    dist_h = start
    for _ in range(n_hubs + 1):
        lower = np.minimum(dist_h, (dist_h[:, None] + square).min(axis=0, initial=0))
        if (lower == dist_h).all():
            return dist_h
        dist_h = lower
    return None


def _sparse_distances(n_hubs: int, tail: I64, head: I64, cost: I64, start: I64) -> I64 | None:
    """`_dense_distances` on the list of arcs (the cheapest per pair), for many hubs."""
    key = head * n_hubs + tail
    if key.shape[0] == 0:
        return start.copy()
    by_key = np.argsort(key)  # by head, then tail
    ranked = key[by_key]
    runs = np.flatnonzero(np.concatenate(([True], ranked[1:] != ranked[:-1])))
    cheapest = np.minimum.reduceat(cost[by_key], runs)
    pair = ranked[runs]
    return _relaxed(start.copy(), pair % n_hubs, pair // n_hubs, cheapest, n_hubs + 1)
