"""The optimality certificate of `optimal`: the canonical network rebuilt independently.

Contract: `build_network(instance, adjustment, by_choices)` is the network of
docs/engine.md (nodes S, groups, free applicants, hosts, adjustment nodes sorted by
(track, field) — or by (track, field, choices) when split —, T; arc kinds 1–7), written
from the document without any solver code; `arc_flows` derives the arc flows of an
assignment; `check_certificate` checks that the proof's solves name the stages of the asked
order, then per solve the safety of its stage weights, bounds, conservation, complementary
slackness and the stage values in that order, restricting bounds between solves. Used by
`matcher.engine.verify`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from matcher.engine.solve.base import ADJUSTED, STAGES, UNPLACED, Instance
from matcher.model import phases

I64 = npt.NDArray[np.int64]

__all__ = ["Network", "arc_flows", "build_network", "check_certificate", "stage_costs"]


class Checker(Protocol):
    """Records one named check with its Chinese and English failure text."""

    checks: dict[str, bool | int]

    def check(self, name: str, ok: bool, zh: str, en: str) -> bool:
        """Record `ok` under `name`; return it."""
        ...


def weights(instance: Instance) -> I64:
    """The priority-order weight w_i of each applicant (`Instance.weights`)."""
    return instance.weights()


@dataclass(frozen=True)
class Network:
    """The canonical min-cost-flow network of an instance (docs/engine.md).

    Arc arrays are parallel: `tail`, `head`, `cap`; `kind` 1–7 as in the doc; for arcs
    of kinds 3 and 4, `who` is the applicant and `rank` the choice rank (1–3) or
    `ADJUSTED`; elsewhere both are -1. `supply` is per node.
    """

    n_nodes: int
    tail: I64
    head: I64
    cap: I64
    kind: I64
    who: I64
    rank: I64
    supply: I64
    free: I64  # applicant index of each free-applicant node
    adj_pairs: I64  # (track, field) of each adjustment node, shape (a, 2)
    adj_choices: I64  # hosts each adjustment node skips (its choice set), (a, 3), -1 padded
    first_host_node: int
    first_adj_node: int


def split_by_choices(objective: Sequence[str]) -> bool:
    """Whether the order puts adjusted or priority_adjusted before placed_at_choice.

    Then the adjustment nodes are split by the applicants' choice sets (docs/engine.md).
    """
    names = list(objective)
    cut = names.index("placed_at_choice")
    return "adjusted" in names[:cut] or "priority_adjusted" in names[:cut]


def build_network(instance: Instance, adjustment: bool = True, by_choices: bool = False) -> Network:
    """Rebuild the canonical network of docs/engine.md from an instance.

    Steps: fix the pre-arranged (remaining capacities and quotas), number the nodes
    S, groups, free applicants, hosts, adjustment nodes (sorted by track, field, and with
    `by_choices` by the sorted choice hosts), T; then list the arcs of kinds 1–7 in
    order (with `by_choices`, an adjustment node has no arc to a host of its choices).
    """
    inst = instance
    g, h = int(inst.group_cap.shape[0]), inst.n_hosts
    pre = inst.prearranged.astype(np.int64)
    fixed = pre >= 0
    free = np.flatnonzero(~fixed).astype(np.int64)
    nf = int(free.size)
    cap_r = inst.host_cap.astype(np.int64) - np.bincount(pre[fixed], minlength=h)
    quota_r = inst.group_cap.astype(np.int64) - np.bincount(inst.group[fixed], minlength=g)
    fld = inst.field.astype(np.int64)
    n_fields = int(inst.host_fields.shape[1])
    willing = inst.accepts.astype(bool)[free] & (fld[free] >= 0)
    pair_code = inst.track.astype(np.int64)[free] * max(n_fields, 1) + fld[free]
    chosen = np.sort(inst.choices.astype(np.int64).reshape(inst.n, 3)[free], axis=1)
    if by_choices:
        for k in range(3):
            pair_code = pair_code * (h + 1) + chosen[:, k] + 1
    codes, first = np.unique(pair_code[willing], return_index=True)
    base = max(n_fields, 1) * ((h + 1) ** 3 if by_choices else 1)
    adj_pairs = np.stack([codes // base, (codes % base) // (base // max(n_fields, 1))], axis=1)
    adj_choices = (
        chosen[willing][first] if by_choices else np.full((codes.size, 3), -1, dtype=np.int64)
    )
    a = int(codes.size)
    s_node, first_app = 0, 1 + g
    first_host = first_app + nf
    first_adj = first_host + h
    t_node = first_adj + a
    app_node = first_app + np.arange(nf, dtype=np.int64)
    parts: list[tuple[I64, I64, I64, int, I64, I64]] = []

    def add(
        tail: I64, head: I64, cap: I64, kind: int, who: I64 | None = None, rank: I64 | None = None
    ) -> None:
        neg = np.full(tail.size, -1, dtype=np.int64)
        parts.append(
            (tail, head, cap, kind, neg if who is None else who, neg if rank is None else rank)
        )

    grp = np.arange(g, dtype=np.int64)
    add(np.zeros(g, np.int64), 1 + grp, quota_r, 1)
    add(1 + inst.group.astype(np.int64)[free], app_node, np.ones(nf, np.int64), 2, free)
    choices = inst.choices.astype(np.int64)[free]
    for r in range(3):
        has = choices[:, r] >= 0
        add(
            app_node[has],
            first_host + choices[has, r],
            np.ones(int(has.sum()), np.int64),
            3,
            free[has],
            np.full(int(has.sum()), r + 1, np.int64),
        )
    if adjustment:
        node_of = first_adj + np.searchsorted(codes, pair_code[willing])
        k = int(willing.sum())
        add(
            app_node[willing],
            node_of,
            np.ones(k, np.int64),
            4,
            free[willing],
            np.full(k, ADJUSTED, np.int64),
        )
    if a:
        trains = inst.host_fields[:, adj_pairs[:, 1]].T  # (a, h)
        trains = trains & (inst.host_track[None, :] == adj_pairs[:, 0:1])
        for k in range(3):
            skip = adj_choices[:, k] >= 0
            trains[np.flatnonzero(skip), adj_choices[skip, k]] = False
        ai, hj = np.nonzero(trains)
        add(first_adj + ai.astype(np.int64), first_host + hj.astype(np.int64), cap_r[hj], 5)
    hosts = np.arange(h, dtype=np.int64)
    add(first_host + hosts, np.full(h, t_node, np.int64), cap_r, 6)
    add(np.array([s_node], np.int64), np.array([t_node], np.int64), np.array([nf], np.int64), 7)
    cat = [np.concatenate([p[i] for p in parts]).astype(np.int64) for i in (0, 1, 2, 4, 5)]
    kind = np.concatenate([np.full(p[0].size, p[3], np.int64) for p in parts])
    supply = np.zeros(t_node + 1, dtype=np.int64)
    supply[s_node], supply[t_node] = nf, -nf
    return Network(
        t_node + 1,
        cat[0],
        cat[1],
        cat[2],
        kind,
        cat[3],
        cat[4],
        supply,
        free,
        adj_pairs,
        adj_choices,
        first_host,
        first_adj,
    )


def stage_costs(net: Network, instance: Instance, stage: str) -> I64:
    """Arc costs of one stage (minimised), per the table of docs/engine.md."""
    cost = np.zeros(net.tail.size, dtype=np.int64)
    choice = net.kind == 3
    adj = net.kind == 4
    who = net.who
    prio = instance.priority.astype(np.int64)
    r = net.rank
    if stage == "placed_at_choice":
        cost[choice] = -1
    elif stage == "priority_placed_at_choice":
        cost[choice] = -prio[who[choice]]
    elif stage == "first_choice":
        cost[choice & (r == 1)] = -1
    elif stage == "second_choice":
        cost[choice & (r == 2)] = -1
    elif stage == "adjusted":
        cost[adj] = -1
    elif stage == "priority_adjusted":
        cost[adj] = -prio[who[adj]]
    elif stage in ("choice_order", "adjustment_order", "priority_order"):
        w = weights(instance)
        if stage != "adjustment_order":  # choice_order, or both in priority_order
            cost[choice] = -w[who[choice]] * (5 - r[choice])
        if stage != "choice_order":
            cost[adj] = -w[who[adj]]
    else:
        raise ValueError(f"unknown stage {stage!r}")
    return cost


def arc_flows(net: Network, instance: Instance, hs: I64, rk: I64) -> tuple[I64, int]:
    """Arc flows of an assignment; also the number of placements with no arc to carry them.

    Choice arcs from the rank codes, adjustment arcs from `ADJUSTED`, adjustment-to-host
    arcs from the adjusted applicants' hosts, the rest by conservation.
    """
    flow = np.zeros(net.tail.size, dtype=np.int64)
    n_app = instance.n
    kind = net.kind
    # kind 3 and 4: one arc per (applicant, rank)
    k34 = np.flatnonzero((kind == 3) | (kind == 4))
    flow[k34] = (rk[net.who[k34]] == net.rank[k34]).astype(np.int64)
    carried = np.zeros(n_app, dtype=bool)
    carried[net.who[k34][flow[k34] == 1]] = True
    # kind 5: adjustment node -> host, from adjusted applicants' hosts
    k5 = np.flatnonzero(kind == 5)
    k4 = k34[kind[k34] == 4]
    adj_node_of = np.full(n_app, -1, dtype=np.int64)
    adj_node_of[net.who[k4]] = net.head[k4]
    moved = np.flatnonzero((rk == ADJUSTED) & (adj_node_of >= 0) & (hs >= 0))
    missing = 0
    if k5.size and moved.size:
        big = np.int64(net.n_nodes)
        arc_key = net.tail[k5] * big + net.head[k5]
        order = np.argsort(arc_key)
        want = adj_node_of[moved] * big + net.first_host_node + hs[moved]
        pos = np.searchsorted(arc_key[order], want)
        pos = np.clip(pos, 0, k5.size - 1)
        hit = arc_key[order][pos] == want
        np.add.at(flow, k5[order[pos[hit]]], 1)
        missing += int((~hit).sum())
        carried[moved[~hit]] = False
    elif moved.size:
        missing += int(moved.size)
        carried[moved] = False
    free_mask = instance.prearranged < 0
    missing += int((free_mask & (hs >= 0) & ~carried).sum())
    # kind 2: group -> applicant carries the applicant's outflow
    out_of = np.bincount(net.tail, weights=flow, minlength=net.n_nodes).astype(np.int64)
    into = np.bincount(net.head, weights=flow, minlength=net.n_nodes).astype(np.int64)
    k2 = np.flatnonzero(kind == 2)
    flow[k2] = out_of[net.head[k2]]
    # kind 6: host -> T carries the host's inflow
    k6 = np.flatnonzero(kind == 6)
    flow[k6] = into[net.tail[k6]]
    # kind 1: S -> group carries the group's outflow
    out_of = np.bincount(net.tail, weights=flow, minlength=net.n_nodes).astype(np.int64)
    k1 = np.flatnonzero(kind == 1)
    flow[k1] = out_of[net.head[k1]]
    k7 = np.flatnonzero(kind == 7)
    flow[k7] = net.supply[0] - flow[k1].sum()
    return flow, missing


def _entry_names(spec: Any) -> list[str]:
    """The stage names of one proof entry (one solve), as strings; [] when malformed."""
    names = spec.get("names") if isinstance(spec, Mapping) else None
    if not isinstance(names, list | tuple):
        return []
    return [str(name) for name in names]


def _entry_ints(spec: Mapping[str, Any], key: str, k: int) -> list[int] | None:
    """`spec[key]` as k integers, or None when missing or malformed."""
    raw = spec.get(key)
    if not isinstance(raw, list | tuple) or len(raw) != k:
        return None
    try:
        out = [int(x) for x in raw]
    except (TypeError, ValueError):
        return None
    if any(out[i] != raw[i] for i in range(k)):
        return None
    return out


def check_certificate(
    ck: Checker,
    instance: Instance,
    hs: I64,
    rk: I64,
    stages: list[Any],
    objective: Mapping[str, int],
    fixed_part: Mapping[str, int],
    adjustment: bool,
    order: Sequence[str] = STAGES,
) -> None:
    """Check the solve-by-solve certificate; record results through `ck.check`.

    Each proof entry is one solve: `names` (one or more stages), `weights` (one integer
    per stage), `values` (one per stage) and `potentials`. Steps: the entries' names, read
    one after the other, must be exactly `order` (the asked order of stages); rebuild the
    network (split adjustment nodes when the order needs them); derive arc flows from the
    assignment; check conservation; then for each entry in order: its weights are
    lexicographically safe on the current bounds (the last weight >= 1, and each weight
    exceeds the sum over the later stages of weight * R, R = sum of |cost| * (hi - lo), an
    upper bound of how much that stage's total can vary within the bounds); bounds,
    complementary slackness with the entry's potentials for the weighted cost, and each
    stage's value; then restrict the bounds to the optimal face (rc > 0: hi := lo;
    rc < 0: lo := hi). `fixed_part` is the pre-arranged applicants' share of each stage.

    A two-phase order (docs/engine.md, "Two phases") is checked in two parts: the choice
    stages against the assignment's choice placements alone (the adjusted counted as
    unplaced), on the network with the adjustment arcs (kinds 4 and 5) closed; then the
    adjustment stages against the whole assignment, with the choice arcs fixed at their
    flow and every other arc back to [0, capacity].
    """
    ck.checks["certificate"] = False
    asked = [str(name) for name in order]
    groups = [_entry_names(s) for s in stages]
    names = [name for group in groups for name in group]
    if not ck.check(
        "certificate_stages",
        names == asked and all(groups),
        f"证明的阶段顺序不符：证明为{names}，应为{asked}",
        f"certificate stages {names} != the asked order {asked}",
    ):
        return
    net = build_network(instance, adjustment, split_by_choices(asked))
    steps = phases(asked)
    whole, missing = arc_flows(net, instance, hs, rk)
    flow = whole
    if len(steps) > 1:
        by_choice = np.where(rk == ADJUSTED, UNPLACED, rk)
        flow, _ = arc_flows(net, instance, np.where(rk == ADJUSTED, -1, hs), by_choice)
    balance = (
        np.bincount(net.tail, weights=whole, minlength=net.n_nodes)
        - np.bincount(net.head, weights=whole, minlength=net.n_nodes)
    ).astype(np.int64)
    ok = missing == 0 and bool((balance == net.supply).all())
    if not ck.check(
        "certificate_conservation",
        ok,
        f"网络流量不守恒（{missing}个录取无对应弧）",
        f"flow conservation fails ({missing} placements without an arc)",
    ):
        return
    lo = np.zeros(net.tail.size, dtype=np.int64)
    hi = net.cap.copy()
    choice = net.kind == 3
    if len(steps) > 1:
        hi[(net.kind == 4) | (net.kind == 5)] = 0
    second = set(steps[-1]) if len(steps) > 1 else set()
    for group, spec in zip(groups, stages, strict=True):
        label = "+".join(group)
        if second and group[0] in second:  # the adjustment phase begins
            second = set()
            flow = whole
            lo = np.where(choice, flow, 0)
            hi = np.where(choice, flow, net.cap)
        check = f"certificate_{label}"
        pi = np.asarray(spec["potentials"])
        if not ck.check(
            check,
            pi.shape == (net.n_nodes,) and np.issubdtype(pi.dtype, np.integer),
            f"阶段{label}的势长度不符",
            f"stage {label}: potentials must be {net.n_nodes} integers, got {pi.shape} {pi.dtype}",
        ):
            return
        pi = pi.astype(np.int64)
        k = len(group)
        wts = _entry_ints(spec, "weights", k)
        claimed = _entry_ints(spec, "values", k)
        if (
            not ck.check(
                check,
                wts is not None and claimed is not None,
                f"阶段{label}的权重或目标值格式不符",
                f"stage {label}: weights and values must be {k} integers each",
            )
            or wts is None
            or claimed is None
        ):
            return
        costs = [stage_costs(net, instance, stage) for stage in group]
        open_ = hi - lo
        spread = [int((np.abs(c) * open_).sum()) for c in costs]
        later = [
            sum(w * r for w, r in zip(wts[i + 1 :], spread[i + 1 :], strict=True)) for i in range(k)
        ]
        safe = wts[-1] >= 1 and all(wts[i] > later[i] for i in range(k - 1))
        if not ck.check(
            "certificate_weights",
            safe,
            f"阶段{label}的合并权重不安全：权重{wts}，后续阶段的变化上界{spread[1:]}",
            f"stage {label}: unsafe weights {wts} (later stages can vary by {spread[1:]})",
        ):
            return
        cost = np.zeros(net.tail.size, dtype=np.int64)
        for w, c in zip(wts, costs, strict=True):
            cost += np.int64(w) * c
        within = bool(((flow >= lo) & (flow <= hi)).all())
        rc = cost + pi[net.tail] - pi[net.head]
        slack = bool((~((rc > 0) & (flow != lo)) & ~((rc < 0) & (flow != hi))).all())
        values = [
            -int((c * flow).sum()) + fixed_part[stage]
            for stage, c in zip(group, costs, strict=True)
        ]
        val_ok = all(
            v == objective[stage] and v == c
            for stage, v, c in zip(group, values, claimed, strict=True)
        )
        if not ck.check(
            check,
            within and slack and val_ok,
            f"阶段{label}的最优性证明不成立",
            f"stage {label}: certificate fails (bounds {within}, "
            f"complementary slackness {slack}, values {values} vs claim {claimed})",
        ):
            return
        hi = np.where(rc > 0, lo, hi)
        lo = np.where(rc < 0, hi, lo)
    ck.checks["certificate"] = True
