"""The canonical network of docs/engine.md, its stage costs and stage values.

Contract: `build_network(instance, adjustment, by_choices=...)` returns the nodes and arcs
of the document in its order (S, groups, free applicants, hosts, adjustment nodes, T; arc
kinds 1–7); `adjustment_by_choices(objective)` says which adjustment nodes an order of the
stages needs; `stage_costs` gives one stage's arc costs; `stage_values` recomputes every stage
value from an assignment (pre-arranged applicants included). `optimal` and the tests
use these; the verifier rebuilds the network on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from matcher.engine.solve.base import ADJUSTED, PREARRANGED, UNPLACED, Instance
from matcher.model import ALL_STAGES

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]

#: Arc kinds, numbered as in docs/engine.md.
SOURCE_GROUP, GROUP_APPLICANT, CHOICE, TO_ADJUST, ADJUST_HOST, HOST_SINK, SOURCE_SINK = range(1, 8)


class OvercommittedError(ValueError):
    """Pre-arranged applicants take more places than a host or a quota group has."""


@dataclass(frozen=True)
class Network:
    """Nodes and arcs of the canonical network.

    Node layout: `source` = 0, group k at `group_node0 + k`, the j-th free applicant at
    `applicant_node0 + j`, host at `host_node0 + h`, adjustment node q at
    `adjust_node0 + q` (`adjust_keys[q]` is its (track, field), or (track, field, c1, c2,
    c3) with the sorted choice hosts, -1 first for a missing choice, when the adjustment
    nodes are split by choices), `sink` last.
    Per arc: `tail`, `head`, `cap` (upper bound), `kind` (1–7), `applicant` (index in the
    Instance for kinds 2–4, else -1), `rank` (1–3 for kind 3, else 0). `supply` per node.
    """

    n_nodes: int
    free: I64  # indices of free applicants, increasing
    applicant_node: I64  # node per applicant, -1 when pre-arranged
    host_node0: int
    adjust_node0: int
    adjust_keys: tuple[tuple[int, ...], ...]
    adjust_of: I64  # adjustment node index (0-based among adj nodes) per applicant, or -1
    tail: I32
    head: I32
    cap: I64
    kind: npt.NDArray[np.int8]
    applicant: I64
    rank: npt.NDArray[np.int8]
    supply: I64

    @property
    def source(self) -> int:
        """Index of S."""
        return 0

    @property
    def sink(self) -> int:
        """Index of T."""
        return self.n_nodes - 1


def remaining_capacity(instance: Instance) -> tuple[I64, I64]:
    """`cap'` per host and `quota'` per group after the pre-arranged applicants.

    Raises
    ------
    OvercommittedError
        When pre-arrangements take more than a host's capacity or a group's quota.
    """
    pre = np.flatnonzero(instance.prearranged >= 0)
    used_h = np.bincount(instance.prearranged[pre], minlength=instance.n_hosts)
    used_g = np.bincount(instance.group[pre], minlength=instance.group_cap.shape[0])
    cap = instance.host_cap.astype(np.int64) - used_h
    quota = instance.group_cap.astype(np.int64) - used_g
    if (cap < 0).any() or (quota < 0).any():
        raise OvercommittedError(
            "pre-arranged applicants exceed the capacity of a host or the quota of a group"
        )
    return cap, quota


def adjustment_by_choices(objective: Sequence[str]) -> bool:
    """Whether an order of the stages needs adjustment nodes split by the choices.

    The pooled adj(track, field) nodes may carry an applicant's adjustment to a host among
    their own choices; a flow optimal for placed_at_choice never does so while only
    stages that cannot lose by placing someone at a choice came before it. When adjusted
    or priority_adjusted comes before placed_at_choice, the nodes are split (docs/engine.md).
    """
    order = list(objective)
    first = order.index("placed_at_choice")
    return any(order.index(s) < first for s in ("adjusted", "priority_adjusted"))


def build_network(
    instance: Instance,
    adjustment: bool = True,
    *,
    by_choices: bool = False,
    track: int | None = None,
) -> Network:
    """Build the canonical network of docs/engine.md for `instance`.

    Steps: remaining capacities after pre-arrangements; number the nodes; emit arcs of
    kinds 1–7 in the document's order; supplies ±(number of free applicants) on S and T.
    With `by_choices`, one adjustment node per (track, field, set of choices), whose
    arcs skip the hosts of that set. With `track`, only the free applicants of that track
    and their adjustment nodes are in it (every group and host stays a node, so node
    numbers keep the layout): the network of one track, solved on its own by
    `matcher.engine.solve.tracks`.
    """
    n = instance.n
    cap_h, quota = remaining_capacity(instance)
    g = quota.shape[0]
    h = instance.n_hosts
    taken = instance.prearranged < 0
    if track is not None:
        taken &= instance.track == track
    free = np.flatnonzero(taken).astype(np.int64)
    m = free.shape[0]
    group_node0 = 1
    applicant_node0 = group_node0 + g
    host_node0 = applicant_node0 + m
    applicant_node = np.full(n, -1, dtype=np.int64)
    applicant_node[free] = applicant_node0 + np.arange(m)

    field = instance.field.astype(np.int64)
    track_of = instance.track.astype(np.int64)
    wants = np.zeros(n, dtype=bool)
    wants[free] = instance.accepts[free] & (field[free] >= 0)
    n_fields = int(instance.host_fields.shape[1]) if instance.host_fields.ndim == 2 else 0
    # one integer code per adjustment node, increasing in (track, field[, c1, c2, c3])
    digits = [(track_of, 2), (field, max(n_fields, 1))]
    if by_choices:
        ordered = np.sort(choice_matrix(instance).astype(np.int64), axis=1)  # -1 first
        digits += [(ordered[:, k] + 1, h + 1) for k in range(3)]
    pair = np.zeros(n, dtype=np.int64)
    for value, base in digits:
        pair = pair * base + value
    pairs = np.unique(pair[wants])
    keys = []
    for code in pairs.tolist():
        parts = []
        for _value, base in reversed(digits):
            code, part = divmod(code, base)
            parts.append(part)
        parts.reverse()
        keys.append((parts[0], parts[1], *(p - 1 for p in parts[2:])))
    adjust_keys = tuple(keys)
    adjust_of = np.full(n, -1, dtype=np.int64)
    adjust_of[wants] = np.searchsorted(pairs, pair[wants])
    adjust_node0 = host_node0 + h
    sink = adjust_node0 + len(adjust_keys)
    n_nodes = sink + 1

    tails: list[npt.NDArray[np.int64]] = []
    heads: list[npt.NDArray[np.int64]] = []
    caps: list[npt.NDArray[np.int64]] = []
    kinds: list[npt.NDArray[np.int64]] = []
    apps: list[npt.NDArray[np.int64]] = []
    ranks: list[npt.NDArray[np.int64]] = []

    def emit(
        kind: int,
        t: npt.ArrayLike,
        hd: npt.ArrayLike,
        c: npt.ArrayLike,
        app: npt.ArrayLike | None = None,
        rank: npt.ArrayLike | None = None,
    ) -> None:
        t_arr = np.asarray(t, dtype=np.int64)
        k = t_arr.shape[0]
        tails.append(t_arr)
        heads.append(np.asarray(hd, dtype=np.int64))
        caps.append(np.broadcast_to(np.asarray(c, dtype=np.int64), (k,)))
        kinds.append(np.full(k, kind, dtype=np.int64))
        apps.append(np.full(k, -1, dtype=np.int64) if app is None else np.asarray(app, np.int64))
        ranks.append(np.zeros(k, dtype=np.int64) if rank is None else np.asarray(rank, np.int64))

    # 1. S -> group k
    emit(SOURCE_GROUP, np.zeros(g), group_node0 + np.arange(g), quota)
    # 2. group(i) -> i
    emit(GROUP_APPLICANT, group_node0 + instance.group[free], applicant_node[free], 1, free)
    # 3. i -> choices[i, r]
    ch = choice_matrix(instance)[free].astype(np.int64)
    rows, cols = np.nonzero(ch >= 0)
    emit(CHOICE, applicant_node[free[rows]], host_node0 + ch[rows, cols], 1, free[rows], cols + 1)
    # 4. i -> adj(track_i, field_i)
    if adjustment:
        who = free[wants[free]]
        emit(TO_ADJUST, applicant_node[who], adjust_node0 + adjust_of[who], 1, who)
    # 5. adj(t, f) -> host j
    for q, (t, f, *chosen) in enumerate(adjust_keys):
        fits = (instance.host_track == t) & instance.host_fields[:, f]
        fits[[c for c in chosen if c >= 0]] = False
        hosts = np.flatnonzero(fits)
        emit(
            ADJUST_HOST, np.full(hosts.shape[0], adjust_node0 + q), host_node0 + hosts, cap_h[hosts]
        )
    # 6. host j -> T
    emit(HOST_SINK, host_node0 + np.arange(h), np.full(h, sink), cap_h)
    # 7. S -> T
    emit(SOURCE_SINK, [0], [sink], m)

    supply = np.zeros(n_nodes, dtype=np.int64)
    supply[0] += m
    supply[sink] -= m
    return Network(
        n_nodes=n_nodes,
        free=free,
        applicant_node=applicant_node,
        host_node0=host_node0,
        adjust_node0=adjust_node0,
        adjust_keys=adjust_keys,
        adjust_of=adjust_of,
        tail=np.concatenate(tails).astype(np.int32),
        head=np.concatenate(heads).astype(np.int32),
        cap=np.concatenate(caps).astype(np.int64),
        kind=np.concatenate(kinds).astype(np.int8),
        applicant=np.concatenate(apps),
        rank=np.concatenate(ranks).astype(np.int8),
        supply=supply,
    )


def choice_matrix(instance: Instance) -> I32:
    """`instance.choices` as an n × 3 matrix (also when n is 0)."""
    choices = np.asarray(instance.choices)
    return choices.reshape(instance.n, -1) if instance.n else choices.reshape(0, 3)


def weights(instance: Instance) -> I64:
    """The priority-order weight w_i of each applicant (`Instance.weights`)."""
    return instance.weights()


def stage_costs(net: Network, instance: Instance, stage: str) -> I64:
    """Arc costs of `stage` (one of `ALL_STAGES`); only choice and adjustment arcs cost."""
    return stage_cost_table(net, instance, [stage])[stage]


def stage_cost_table(net: Network, instance: Instance, stages: Sequence[str]) -> dict[str, I64]:
    """Arc costs of several stages at once (the arc lookups shared), by stage name.

    Raises
    ------
    ValueError
        A name that is not one of `STAGES`.
    """
    unknown = [stage for stage in stages if stage not in ALL_STAGES]
    if unknown:
        raise ValueError(f"unknown stage {unknown[0]!r}; known: {', '.join(ALL_STAGES)}")
    choice = np.flatnonzero(net.kind == CHOICE)
    adjust = np.flatnonzero(net.kind == TO_ADJUST)
    who_c, who_a = net.applicant[choice], net.applicant[adjust]
    r = net.rank[choice].astype(np.int64)
    table: dict[str, I64] = {}
    for stage in stages:
        cost = np.zeros(net.tail.shape[0], dtype=np.int64)
        if stage == "placed_at_choice":
            cost[choice] = -1
        elif stage == "priority_placed_at_choice":
            cost[choice] = -instance.priority[who_c].astype(np.int64)
        elif stage == "first_choice":
            cost[choice] = -(r == 1).astype(np.int64)
        elif stage == "second_choice":
            cost[choice] = -(r == 2).astype(np.int64)
        elif stage == "adjusted":
            cost[adjust] = -1
        elif stage == "priority_adjusted":
            cost[adjust] = -instance.priority[who_a].astype(np.int64)
        else:  # choice_order, adjustment_order, or both: priority_order
            w = weights(instance)
            if stage != "adjustment_order":
                cost[choice] = -w[who_c] * (5 - r)
            if stage != "choice_order":
                cost[adjust] = -w[who_a]
        table[stage] = cost
    return table


def stage_values(instance: Instance, rank: npt.ArrayLike) -> dict[str, int]:
    """Every stage value of an assignment given by its rank codes (all applicants).

    A rank 1–3 counts as placed at that choice (pre-arranged applicants too, when their
    host is that choice), `ADJUSTED` as adjusted; `PREARRANGED` and `UNPLACED` count in
    no stage.
    """
    rk = np.asarray(rank, dtype=np.int64)
    pri = instance.priority.astype(bool)
    at_choice = (rk >= 1) & (rk <= 3)
    adjusted = rk == ADJUSTED
    w = weights(instance)
    choice_order = int(np.where(at_choice, w * (5 - rk), 0).sum())
    adjustment_order = int(np.where(adjusted, w, 0).sum())
    return {
        "placed_at_choice": int(at_choice.sum()),
        "priority_placed_at_choice": int((at_choice & pri).sum()),
        "first_choice": int((rk == 1).sum()),
        "second_choice": int((rk == 2).sum()),
        "adjusted": int(adjusted.sum()),
        "priority_adjusted": int((adjusted & pri).sum()),
        "choice_order": choice_order,
        "adjustment_order": adjustment_order,
        "priority_order": choice_order + adjustment_order,
    }


def prearranged_ranks(instance: Instance) -> I64:
    """Rank code of each pre-arranged applicant (choice 1–3 or `PREARRANGED`); -1 for others."""
    rank = np.full(instance.n, UNPLACED, dtype=np.int64)
    pre = np.flatnonzero(instance.prearranged >= 0)
    ch = choice_matrix(instance)[pre]
    hit = ch == instance.prearranged[pre][:, None]
    rank[pre] = np.where(hit.any(axis=1), hit.argmax(axis=1) + 1, PREARRANGED)
    return rank
