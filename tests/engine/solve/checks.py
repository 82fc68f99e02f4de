"""Checks shared by the mechanism tests: feasibility invariants, a plain-loop reference
of the sequential mechanisms, and a re-check of `optimal`'s certificate from the arcs'
flows derived from the assignment alone."""

from __future__ import annotations

import numpy as np

from matcher.engine.solve.base import ADJUSTED, PREARRANGED, STAGES, UNPLACED, Instance, Solution
from matcher.engine.solve.network import (
    ADJUST_HOST,
    CHOICE,
    GROUP_APPLICANT,
    HOST_SINK,
    SOURCE_GROUP,
    SOURCE_SINK,
    TO_ADJUST,
    build_network,
    stage_costs,
)
from matcher.model import ALL_STAGES


def assert_feasible(inst: Instance, sol: Solution, adjustment: bool = True) -> None:
    """Capacities, quotas, one host each, rank codes consistent, adjustment rules."""
    n = inst.n
    assert sol.host.shape == (n,) and sol.rank.shape == (n,)
    placed = sol.host >= 0
    assert np.array_equal(placed, sol.rank != UNPLACED)
    used = np.bincount(sol.host[placed], minlength=inst.n_hosts)
    assert (used <= inst.host_cap).all(), "host capacity exceeded"
    quota = np.bincount(inst.group[placed], minlength=inst.group_cap.shape[0])
    assert (quota <= inst.group_cap).all(), "quota exceeded"
    for i in range(n):
        j, r = int(sol.host[i]), int(sol.rank[i])
        ch = [int(c) for c in inst.choices[i]]
        if inst.prearranged[i] >= 0:
            assert j == inst.prearranged[i], "pre-arranged applicant moved"
            assert r == (ch.index(j) + 1 if j in ch else PREARRANGED)
            continue
        if j < 0:
            continue
        assert inst.host_track[j] == inst.track[i], "host of the other track"
        if 1 <= r <= 3:
            assert ch[r - 1] == j, "rank does not match the choice"
        else:
            assert r == ADJUSTED
            assert adjustment and inst.accepts[i], "adjusted without consent"
            assert inst.field[i] >= 0 and inst.host_fields[j, inst.field[i]], "field misfit"
            assert j not in ch, "adjusted to one of their choices"


def arc_flows(
    inst: Instance, sol: Solution, adjustment: bool = True, choices_only: bool = False
) -> np.ndarray:
    """Flow on every arc of the canonical network, derived from the assignment (with
    `choices_only`, of its choice placements alone: the adjusted counted as unplaced)."""
    net = build_network(inst, adjustment)
    flow = np.zeros(net.tail.shape[0], dtype=np.int64)
    rank = sol.rank.astype(np.int64)
    host = sol.host.astype(np.int64)
    if choices_only:
        host = np.where(rank == ADJUSTED, -1, host)
        rank = np.where(rank == ADJUSTED, UNPLACED, rank)
    app = net.applicant
    free = np.zeros(inst.n, dtype=bool)
    free[net.free] = True
    placed_free = free & (host >= 0)
    k = net.kind
    flow[k == CHOICE] = rank[app[k == CHOICE]] == net.rank[k == CHOICE]
    flow[k == TO_ADJUST] = rank[app[k == TO_ADJUST]] == ADJUSTED
    flow[k == GROUP_APPLICANT] = placed_free[app[k == GROUP_APPLICANT]]
    per_group = np.bincount(inst.group[placed_free], minlength=inst.group_cap.shape[0])
    flow[k == SOURCE_GROUP] = per_group
    per_host = np.bincount(host[placed_free], minlength=inst.n_hosts)
    flow[k == HOST_SINK] = per_host
    flow[k == SOURCE_SINK] = int((free & (host < 0)).sum())
    adjusted = np.flatnonzero(free & (rank == ADJUSTED))
    for a in np.flatnonzero(k == ADJUST_HOST):
        q = net.tail[a] - net.adjust_node0
        j = net.head[a] - net.host_node0
        flow[a] = int(((net.adjust_of[adjusted] == q) & (host[adjusted] == j)).sum())
    return flow


def assert_certificate(inst: Instance, sol: Solution, adjustment: bool = True) -> None:
    """Each stage: bounds, conservation, complementary slackness; then restrict. The
    choice stages on the choice placements alone with the adjustment arcs closed; the
    adjustment stages with the choice arcs fixed and the rest open again."""
    net = build_network(inst, adjustment)
    whole = arc_flows(inst, sol, adjustment)
    balance = np.bincount(net.tail, weights=whole, minlength=net.n_nodes) - np.bincount(
        net.head, weights=whole, minlength=net.n_nodes
    )
    assert np.array_equal(balance.astype(np.int64), net.supply), "conservation"
    stages = sol.proof["stages"]
    assert proof_names(sol) == list(STAGES)
    flow = arc_flows(inst, sol, adjustment, choices_only=True)
    lo = np.zeros_like(net.cap)
    hi = net.cap.copy()
    hi[(net.kind == TO_ADJUST) | (net.kind == ADJUST_HOST)] = 0
    for stage in stages:
        names, weights, label = stage["names"], stage["weights"], "+".join(stage["names"])
        if names[0] == "adjusted":  # the adjustment phase
            flow = whole
            lo = np.where(net.kind == CHOICE, flow, 0)
            hi = np.where(net.kind == CHOICE, flow, net.cap)
        pi = stage["potentials"]
        assert pi.dtype == np.int64 and pi.shape == (net.n_nodes,)
        assert (lo <= flow).all() and (flow <= hi).all(), label
        costs = [stage_costs(net, inst, name) for name in names]
        # lexicographically safe: one unit of a stage outweighs any change of the later ones
        spread = [int((np.abs(c) * (hi - lo)).sum()) for c in costs]
        assert weights[-1] >= 1, label
        for k in range(len(names) - 1):
            later = sum(w * r for w, r in zip(weights[k + 1 :], spread[k + 1 :], strict=True))
            assert weights[k] > later, label
        cost = sum((w * c for w, c in zip(weights, costs, strict=True)), np.zeros_like(net.cap))
        rc = cost + pi[net.tail] - pi[net.head]
        assert (flow[rc > 0] == lo[rc > 0]).all(), label
        assert (flow[rc < 0] == hi[rc < 0]).all(), label
        lo, hi = np.where(rc < 0, hi, lo), np.where(rc > 0, lo, hi)


def proof_names(sol: Solution) -> list[str]:
    """The stage names of `optimal`'s proof, one solve after the other."""
    return [name for stage in sol.proof["stages"] for name in stage["names"]]


def proof_values(sol: Solution) -> list[int]:
    """The stage values of `optimal`'s proof, one solve after the other."""
    return [value for stage in sol.proof["stages"] for value in stage["values"]]


def recount(inst: Instance, sol: Solution) -> dict[str, int]:
    """Stage values from the assignment, written out per applicant (independent loop)."""
    value = dict.fromkeys(ALL_STAGES, 0)
    for i in range(inst.n):
        r = int(sol.rank[i])
        p = bool(inst.priority[i])
        w = int(inst.weights()[i])
        if 1 <= r <= 3:
            value["placed_at_choice"] += 1
            value["priority_placed_at_choice"] += p
            value["first_choice"] += r == 1
            value["second_choice"] += r == 2
            value["choice_order"] += w * (5 - r)
        elif r == ADJUSTED:
            value["adjusted"] += 1
            value["priority_adjusted"] += p
            value["adjustment_order"] += w
    value["priority_order"] = value["choice_order"] + value["adjustment_order"]
    return value


def reference_sequential(
    inst: Instance, rounds: bool, adjustment: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Plain-loop reference: `stable` (rounds=False) or `immediate` (rounds=True)."""
    n = inst.n
    host = np.full(n, -1, dtype=np.int64)
    rank = np.full(n, UNPLACED, dtype=np.int64)
    room_h = inst.host_cap.astype(np.int64).copy()
    room_g = inst.group_cap.astype(np.int64).copy()
    for i in range(n):
        j = int(inst.prearranged[i])
        if j >= 0:
            ch = [int(c) for c in inst.choices[i]]
            host[i], rank[i] = j, (ch.index(j) + 1 if j in ch else PREARRANGED)
            room_h[j] -= 1
            room_g[inst.group[i]] -= 1
    in_order = sorted(range(n), key=lambda i: int(inst.order[i]))

    def take(i: int, r: int) -> bool:
        j = int(inst.choices[i, r])
        if j >= 0 and room_h[j] > 0 and room_g[inst.group[i]] > 0:
            host[i], rank[i] = j, r + 1
            room_h[j] -= 1
            room_g[inst.group[i]] -= 1
            return True
        return False

    if rounds:
        for r in range(3):
            for i in in_order:
                if host[i] < 0 and inst.prearranged[i] < 0:
                    take(i, r)
    else:
        for i in in_order:
            if inst.prearranged[i] < 0:
                any(take(i, r) for r in range(3))
    if adjustment:
        for i in in_order:
            f = int(inst.field[i])
            if host[i] >= 0 or not inst.accepts[i] or f < 0 or room_g[inst.group[i]] <= 0:
                continue
            best = -1
            for j in range(inst.n_hosts):
                ok = (
                    inst.host_track[j] == inst.track[i]
                    and inst.host_fields[j, f]
                    and j not in inst.choices[i]
                    and room_h[j] > 0
                )
                if ok and (best < 0 or room_h[j] > room_h[best]):
                    best = j
            if best >= 0:
                host[i], rank[i] = best, ADJUSTED
                room_h[best] -= 1
                room_g[inst.group[i]] -= 1
    return host, rank


def make_instance(
    choices: list[list[int]],
    host_cap: list[int],
    *,
    group: list[int] | None = None,
    group_cap: list[int] | None = None,
    host_track: list[int] | None = None,
    track: list[int] | None = None,
    field: list[int] | None = None,
    host_fields: list[list[bool]] | None = None,
    priority: list[bool] | None = None,
    accepts: list[bool] | None = None,
    order: list[int] | None = None,
    prearranged: list[int] | None = None,
) -> Instance:
    """A hand-built instance; defaults: one group with ample quota, one track, no fields."""
    n, h = len(choices), len(host_cap)
    padded = np.full((n, 3), -1, dtype=np.int32)
    for i, row in enumerate(choices):
        padded[i, : len(row)] = row
    grp = group if group is not None else [0] * n
    return Instance(
        choices=padded,
        group=np.array(grp, dtype=np.int32),
        group_cap=np.array(group_cap if group_cap is not None else [n], dtype=np.int32),
        host_cap=np.array(host_cap, dtype=np.int32),
        host_track=np.array(host_track or [0] * h, dtype=np.int32),
        track=np.array(track or [0] * n, dtype=np.int32),
        field=np.array(field or [-1] * n, dtype=np.int32),
        host_fields=np.array(host_fields or [[False]] * h, dtype=bool).reshape(h, -1),
        priority=np.array(priority or [False] * n, dtype=bool),
        accepts=np.array(accepts or [False] * n, dtype=bool),
        order=np.array(order if order is not None else list(range(n)), dtype=np.int32),
        prearranged=np.array(prearranged or [-1] * n, dtype=np.int32),
    )
