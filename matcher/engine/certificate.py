"""The optimality certificate of `optimal`, checked from docs/engine.md alone.

Contract: `check_certificate` replays a proof's solves on the canonical network of
docs/engine.md, rebuilt here from the instance's arrays and the policy without any solver
code: `Layout` numbers the nodes as the document lists them; the arcs are never put in one
list but kept as seven blocks, one per arc kind, each with its own shape (the choice arcs
an m × 3 table, the adjustment-to-host arcs a sorted (node, host) list, the others one
entry per group, applicant or host), with their own bounds, flows and reduced costs;
`Block` holds one kind. Stage costs come from the document's table (`STAGE_TABLE`), the
tie-break weights from `tie_weights` (the instance's `weight` column, else n − order),
the two phases from the asked order (`phases_of`). Rank codes are the contract's.
Used by `matcher.engine.verify`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

#: Rank codes of an answer (`Solution.rank`) besides the choice ranks 1, 2, 3.
UNPLACED, ADJUSTED, PREARRANGED = -1, 0, 4

#: |costs|, potentials and weighted costs stay below this, so int64 never wraps.
LIMIT = 2**61

__all__ = [
    "ADJUSTED",
    "PREARRANGED",
    "UNPLACED",
    "Arrays",
    "Layout",
    "check_certificate",
    "phases_of",
    "stage_costs",
    "tie_weights",
]


class Arrays(Protocol):
    """What the verifier reads of an instance: its arrays (an `Instance` has them)."""

    @property
    def choices(self) -> npt.NDArray[Any]: ...  # noqa: D102
    @property
    def group(self) -> npt.NDArray[Any]: ...  # noqa: D102
    @property
    def group_cap(self) -> npt.NDArray[Any]: ...  # noqa: D102
    @property
    def host_cap(self) -> npt.NDArray[Any]: ...  # noqa: D102
    @property
    def host_track(self) -> npt.NDArray[Any]: ...  # noqa: D102
    @property
    def track(self) -> npt.NDArray[Any]: ...  # noqa: D102
    @property
    def field(self) -> npt.NDArray[Any]: ...  # noqa: D102
    @property
    def host_fields(self) -> npt.NDArray[Any]: ...  # noqa: D102
    @property
    def priority(self) -> npt.NDArray[Any]: ...  # noqa: D102
    @property
    def accepts(self) -> npt.NDArray[Any]: ...  # noqa: D102
    @property
    def order(self) -> npt.NDArray[Any]: ...  # noqa: D102
    @property
    def prearranged(self) -> npt.NDArray[Any]: ...  # noqa: D102
    @property
    def weight(self) -> npt.NDArray[Any] | None: ...  # noqa: D102
    @property
    def n(self) -> int: ...  # noqa: D102
    @property
    def n_hosts(self) -> int: ...  # noqa: D102


class Checker(Protocol):
    """Records one named check with its Chinese and English failure text."""

    checks: dict[str, bool | int]

    def check(self, name: str, ok: bool, zh: str, en: str) -> bool:
        """Record `ok` under `name`; return it."""
        ...


def tie_weights(inst: Arrays) -> I64:
    """w_i of the tie-break stages: the instance's `weight` column, or n − order[i]."""
    if inst.weight is not None:
        return np.asarray(inst.weight, dtype=np.int64)
    order = np.asarray(inst.order, dtype=np.int64)
    return order.size - order


def phases_of(order: Sequence[str]) -> list[list[str]]:
    """The phases of an order: up to and including choice_order, then the rest.

    docs/engine.md, "Two phases": an order with choice_order is two-phase (the choices,
    then adjustment); a joint order (priority_order last) is one phase.
    """
    names = list(order)
    if "choice_order" not in names:
        return [names]
    cut = names.index("choice_order") + 1
    return [names[:cut], names[cut:]]


ChoiceCost = Callable[[I64, I64, I64], "I64 | int"]
AdjustCost = Callable[[I64, I64], "I64 | int"]

#: docs/engine.md, "Stage costs", column by column: per stage, the cost of a choice arc
#: as a function of (p_i, w_i, r) and of an adjustment arc of (p_i, w_i); None is 0.
STAGE_TABLE: dict[str, tuple[ChoiceCost | None, AdjustCost | None]] = {
    "placed_at_choice": (lambda p, w, r: -1, None),
    "priority_placed_at_choice": (lambda p, w, r: -p, None),
    "first_choice": (lambda p, w, r: -(r == 1).astype(np.int64), None),
    "second_choice": (lambda p, w, r: -(r == 2).astype(np.int64), None),
    "choice_order": (lambda p, w, r: -w * (5 - r), None),
    "adjusted": (None, lambda p, w: -1),
    "priority_adjusted": (None, lambda p, w: -p),
    "adjustment_order": (None, lambda p, w: -w),
    "priority_order": (lambda p, w, r: -w * (5 - r), lambda p, w: -w),
}


def stage_costs(stage: str, p: I64, w: I64) -> tuple[I64, I64]:
    """One stage's costs for free applicants with priorities p and weights w.

    Returns the choice arcs' costs (m × 3, by rank 1–3) and the adjustment arcs' (m).
    """
    on_choice, on_adjust = STAGE_TABLE[stage]
    ranks = np.array([[1, 2, 3]], dtype=np.int64)
    c3 = np.zeros((p.size, 3), dtype=np.int64)
    c4 = np.zeros(p.size, dtype=np.int64)
    if on_choice is not None:
        c3[:] = on_choice(p[:, None], w[:, None], ranks)
    if on_adjust is not None:
        c4[:] = on_adjust(p, w)
    return c3, c4


@dataclass(frozen=True)
class Layout:
    """The nodes of docs/engine.md, "Nodes, in this order", for one instance and order.

    S is 0, group k is 1 + k, the j-th free applicant `app0` + j, host h `host0` + h,
    adjustment node q `adj0` + q, T last (`sink`). `adj_of[j]` is the adjustment node of
    the j-th free applicant (-1 when it has none); the arcs of kind 5 are (`arc_node`,
    `arc_host`), sorted by node then host.
    """

    free: I64
    groups: int
    hosts: int
    adj_of: I64
    arc_node: I64
    arc_host: I64
    n_adj: int

    @property
    def app0(self) -> int:
        """Node of the first free applicant."""
        return 1 + self.groups

    @property
    def host0(self) -> int:
        """Node of host 0."""
        return self.app0 + self.free.size

    @property
    def adj0(self) -> int:
        """Node of the first adjustment node."""
        return self.host0 + self.hosts

    @property
    def sink(self) -> int:
        """Node T."""
        return self.adj0 + self.n_adj

    @classmethod
    def of(cls, inst: Arrays, by_choices: bool) -> Layout:
        """Number the nodes; with `by_choices` split adjustment nodes by choice set.

        An adjustment node per distinct row (track, field) — or (track, field, sorted
        choices) — of the free applicants who accept adjustment with a known field, rows
        sorted lexicographically; its arcs go to the hosts of that track training that
        field (minus the row's choices when split).
        """
        pre = np.asarray(inst.prearranged)
        free = np.flatnonzero(pre < 0).astype(np.int64)
        fld = np.asarray(inst.field, dtype=np.int64)[free]
        willing = np.asarray(inst.accepts, dtype=bool)[free] & (fld >= 0)
        cols = [np.asarray(inst.track, dtype=np.int64)[free], fld]
        if by_choices:
            chosen = np.sort(_choices(inst)[free], axis=1)
            cols += [chosen[:, k] for k in range(3)]
        rows = np.stack(cols, axis=1)[willing]
        adj_of = np.full(free.size, -1, dtype=np.int64)
        if rows.shape[0]:
            order = np.lexsort(rows.T[::-1])
            ranked = rows[order]
            starts = np.ones(ranked.shape[0], dtype=bool)
            starts[1:] = (ranked[1:] != ranked[:-1]).any(axis=1)
            ids = np.cumsum(starts) - 1
            node_rows = ranked[starts]
            at = np.empty_like(ids)
            at[order] = ids
            adj_of[np.flatnonzero(willing)] = at
        else:
            node_rows = rows
        h = int(np.asarray(inst.host_cap).size)
        fits = np.asarray(inst.host_fields, dtype=bool)
        if fits.ndim != 2:  # a round without hosts may come with a flat empty table
            fits = fits.reshape(h, -1) if h else np.zeros((0, 0), dtype=bool)
        host_track = np.asarray(inst.host_track, dtype=np.int64)
        nodes, hosts_of = [], []
        for q, row in enumerate(node_rows.tolist()):
            if row[1] >= fits.shape[1]:
                continue
            ok = fits[:, row[1]] & (host_track == row[0])
            for c in row[2:]:
                if c >= 0:
                    ok[c] = False
            js = np.flatnonzero(ok)
            nodes.append(np.full(js.size, q, dtype=np.int64))
            hosts_of.append(js.astype(np.int64))
        empty = np.zeros(0, dtype=np.int64)
        return cls(
            free,
            int(np.asarray(inst.group_cap).size),
            h,
            adj_of,
            np.concatenate(nodes) if nodes else empty,
            np.concatenate(hosts_of) if hosts_of else empty,
            int(node_rows.shape[0]),
        )


def _choices(inst: Arrays) -> I64:
    n = int(np.asarray(inst.group).size)
    return np.asarray(inst.choices, dtype=np.int64).reshape(n, 3)


@dataclass
class Block:
    """One arc kind: its flows and bounds, parallel arrays of the block's own shape."""

    flow: I64
    lo: I64
    hi: I64

    def within(self) -> bool:
        """Every flow inside its bounds."""
        return bool(((self.flow >= self.lo) & (self.flow <= self.hi)).all())

    def slack(self, rc: I64) -> bool:
        """Complementary slackness: rc > 0 only at lo, rc < 0 only at hi."""
        return not (((rc > 0) & (self.flow != self.lo)) | ((rc < 0) & (self.flow != self.hi))).any()

    def restrict(self, rc: I64) -> None:
        """Keep the optimal face: rc > 0 fixes the arc at lo, rc < 0 at hi."""
        self.hi = np.where(rc > 0, self.lo, self.hi)
        self.lo = np.where(rc < 0, self.hi, self.lo)


class _Replay:
    """The network's seven blocks for one assignment, replayed entry by entry."""

    def __init__(
        self, inst: Arrays, hs: I64, rk: I64, lay: Layout, adjustment: bool, two: bool
    ) -> None:
        self.lay = lay
        f = lay.free
        m, g, h = f.size, lay.groups, lay.hosts
        self.group = np.asarray(inst.group, dtype=np.int64)[f]
        self.choice = _choices(inst)[f]
        self.p = np.asarray(inst.priority, dtype=np.int64)[f]
        self.w = tie_weights(inst)[f]
        pre = np.asarray(inst.prearranged, dtype=np.int64)
        taken = pre[pre >= 0]
        self.cap = np.asarray(inst.host_cap, dtype=np.int64) - np.bincount(taken, minlength=h)
        quota = np.asarray(inst.group_cap, dtype=np.int64)
        quota = quota - np.bincount(np.asarray(inst.group)[pre >= 0], minlength=g)
        host, rank = hs[f], rk[f]
        exists = self.choice >= 0
        self.open4 = (lay.adj_of >= 0) & adjustment
        # who each placement is carried by: a choice arc, or an adjustment arc then kind 5
        by_choice = exists & (rank[:, None] == np.arange(1, 4)) & (self.choice == host[:, None])
        want5 = self.open4 & (rank == ADJUSTED) & (host >= 0)
        key = lay.arc_node * h + lay.arc_host  # sorted: by node, then host
        wanted = lay.adj_of * h + host
        pos = np.minimum(np.searchsorted(key, wanted), max(key.size - 1, 0))
        by_adj = want5 & (key[pos] == wanted) if key.size else np.zeros(m, dtype=bool)
        self.missing = int(((host >= 0) & ~by_choice.any(axis=1) & ~by_adj).sum())
        f5 = np.bincount(pos[by_adj], minlength=key.size).astype(np.int64)
        self.whole = self._flows(by_choice, by_adj, f5, host)
        no = np.zeros_like(by_adj)
        self.first = self._flows(by_choice, no, np.zeros_like(f5), host) if two else self.whole
        one = np.ones(m, dtype=np.int64)
        self.caps = {
            1: quota,
            2: one,
            3: exists.astype(np.int64),
            4: self.open4.astype(np.int64),
            5: self.cap[lay.arc_host],
            6: self.cap,
            7: np.array([m], dtype=np.int64),
        }
        start = self.first
        self.blocks = {k: Block(start[k], np.zeros_like(c), c.copy()) for k, c in self.caps.items()}
        if two:  # phase 1: the adjustment arcs closed
            for k in (4, 5):
                self.blocks[k].hi = np.zeros_like(self.caps[k])

    def _flows(self, f3: Bools, f4: Bools, f5: I64, host: I64) -> dict[int, I64]:
        lay = self.lay
        by_choice = f3.any(axis=1)
        placed = by_choice | f4
        into = np.bincount(host[by_choice], minlength=lay.hosts).astype(np.int64)
        into += np.bincount(lay.arc_host, weights=f5, minlength=lay.hosts).astype(np.int64)
        f1 = np.bincount(self.group[placed], minlength=lay.groups).astype(np.int64)
        return {
            1: f1,
            2: placed.astype(np.int64),
            3: f3.astype(np.int64),
            4: f4.astype(np.int64),
            5: f5,
            6: into,
            7: np.array([lay.free.size - int(f1.sum())], dtype=np.int64),
        }

    def adjustment_phase(self) -> None:
        """docs/engine.md step 2: choice arcs fixed at their flow, the rest [0, cap]."""
        for k, c in self.caps.items():
            flow = self.whole[k]
            self.blocks[k] = (
                Block(flow, flow.copy(), flow.copy())
                if k == 3
                else Block(flow, np.zeros_like(c), c.copy())
            )

    def reduced(self, pi: I64, c3: I64, c4: I64) -> dict[int, I64]:
        """Reduced costs rc = cost + pi[tail] − pi[head] of every block (absent arcs: 0)."""
        lay = self.lay
        app = pi[lay.app0 : lay.app0 + lay.free.size]
        host = pi[lay.host0 : lay.host0 + lay.hosts]
        s, t = pi[0], pi[lay.sink]
        grp = pi[1 : 1 + lay.groups]
        # absent arcs look up a node that exists (their rc is then set to 0)
        to_host = pi[lay.host0 + np.maximum(self.choice, 0)]
        rc3 = np.where(self.choice >= 0, c3 + app[:, None] - to_host, 0)
        to_adj = pi[lay.adj0 + np.maximum(lay.adj_of, 0)]
        rc4 = np.where(self.open4, c4 + app - to_adj, 0)
        adj = pi[lay.adj0 : lay.adj0 + lay.n_adj]
        return {
            1: s - grp,
            2: grp[self.group] - app,
            3: rc3,
            4: rc4,
            5: adj[lay.arc_node] - host[lay.arc_host],
            6: host - t,
            7: np.array([s - t], dtype=np.int64),
        }

    def spreads(self, costs: Sequence[tuple[I64, I64]]) -> list[int]:
        """R = Σ |c|·(hi − lo) of each stage: how much it can vary on the current bounds."""
        b3, b4 = self.blocks[3], self.blocks[4]
        open3, open4 = b3.hi - b3.lo, b4.hi - b4.lo
        return [
            int((np.abs(c3) * open3).sum()) + int((np.abs(c4) * open4).sum()) for c3, c4 in costs
        ]

    def cost_of(self, c3: I64, c4: I64) -> int:
        """The stage's total cost of the current flow."""
        return int((c3 * self.blocks[3].flow).sum()) + int((c4 * self.blocks[4].flow).sum())


def _names(spec: Any) -> list[str]:
    names = spec.get("names") if isinstance(spec, Mapping) else None
    return [str(x) for x in names] if isinstance(names, list | tuple) else []


def _ints(spec: Mapping[str, Any], key: str, k: int) -> list[int] | None:
    """`spec[key]` as exactly k integers, or None."""
    raw = spec.get(key)
    if not isinstance(raw, list | tuple) or len(raw) != k:
        return None
    try:
        out = [int(x) for x in raw]
    except (TypeError, ValueError, OverflowError):
        return None
    return out if all(o == x for o, x in zip(out, raw, strict=True)) else None


def check_certificate(
    ck: Checker,
    inst: Arrays,
    hs: I64,
    rk: I64,
    entries: list[Any],
    objective: Mapping[str, int],
    fixed_part: Mapping[str, int],
    adjustment: bool,
    order: Sequence[str],
) -> None:
    """Replay the proof's solves (docs/engine.md, "Staged solve and the certificate").

    Steps: the entries' names read one after the other are `order`, no entry straddling
    the two phases; build the layout (adjustment nodes split by choices when adjusted or
    priority_adjusted comes before placed_at_choice); derive the blocks' flows from the
    assignment (phase 1 with the adjusted counted unplaced); every placement carried by an
    arc; then per entry: safe weights on the current bounds, bounds, complementary
    slackness with the entry's potentials, each stage's value (`fixed_part` is the
    pre-arranged applicants' share), and restrict the bounds to the optimal face.
    """
    ck.checks["certificate"] = False
    asked = [str(x) for x in order]
    groups = [_names(s) for s in entries]
    names = [x for grp in groups for x in grp]
    steps = phases_of(asked)
    phase = {x: i for i, step in enumerate(steps) for x in step}
    if not ck.check(
        "certificate_stages",
        names == asked and all(groups) and all(len({phase[x] for x in grp}) == 1 for grp in groups),
        f"证明的阶段顺序不符：证明为{names}，应为{asked}",
        f"certificate stages {names} != the asked order {asked}",
    ):
        return
    cut = asked.index("placed_at_choice")
    by_choices = bool({"adjusted", "priority_adjusted"} & set(asked[:cut]))
    lay = Layout.of(inst, by_choices)
    play = _Replay(inst, hs, rk, lay, adjustment, len(steps) > 1)
    if not ck.check(
        "certificate_conservation",
        play.missing == 0,
        f"网络流量不守恒（{play.missing}个录取无对应弧）",
        f"flow conservation fails ({play.missing} placements without an arc)",
    ):
        return
    n_nodes = lay.sink + 1
    in_phase = 0
    for grp, spec in zip(groups, entries, strict=True):
        label = "+".join(grp)
        if phase[grp[0]] != in_phase:
            in_phase = phase[grp[0]]
            play.adjustment_phase()
        check = f"certificate_{label}"
        pi = np.asarray(spec["potentials"])
        if not ck.check(
            check,
            pi.shape == (n_nodes,)
            and np.issubdtype(pi.dtype, np.integer)
            and bool((np.abs(pi.astype(np.int64)) < LIMIT).all()),
            f"阶段{label}的势长度不符",
            f"stage {label}: potentials must be {n_nodes} integers, got {pi.shape} {pi.dtype}",
        ):
            return
        pi = pi.astype(np.int64)
        wts, claimed = _ints(spec, "weights", len(grp)), _ints(spec, "values", len(grp))
        if (
            not ck.check(
                check,
                wts is not None and claimed is not None,
                f"阶段{label}的权重或目标值格式不符",
                f"stage {label}: weights and values must be {len(grp)} integers each",
            )
            or wts is None
            or claimed is None
        ):
            return
        costs = [stage_costs(x, play.p, play.w) for x in grp]
        spread = play.spreads(costs)
        safe = wts[-1] >= 1 and all(
            wts[i] > sum(w * r for w, r in zip(wts[i + 1 :], spread[i + 1 :], strict=True))
            for i in range(len(grp) - 1)
        )
        top = sum(
            w * max(int(np.abs(c3).max(initial=0)), int(np.abs(c4).max(initial=0)))
            for w, (c3, c4) in zip(wts, costs, strict=True)
        )
        if not ck.check(
            "certificate_weights",
            safe and top < LIMIT,
            f"阶段{label}的合并权重不安全：权重{wts}，后续阶段的变化上界{spread[1:]}",
            f"stage {label}: unsafe weights {wts} (later stages can vary by {spread[1:]})",
        ):
            return
        c3 = np.zeros_like(costs[0][0])
        c4 = np.zeros_like(costs[0][1])
        for w, (a, b) in zip(wts, costs, strict=True):
            c3 += np.int64(w) * a
            c4 += np.int64(w) * b
        rc = play.reduced(pi, c3, c4)
        within = all(b.within() for b in play.blocks.values())
        slack = all(play.blocks[k].slack(rc[k]) for k in play.blocks)
        values = [-play.cost_of(a, b) + fixed_part[x] for x, (a, b) in zip(grp, costs, strict=True)]
        val_ok = values == claimed and all(
            v == objective[x] for x, v in zip(grp, values, strict=True)
        )
        if not ck.check(
            check,
            within and slack and val_ok,
            f"阶段{label}的最优性证明不成立",
            f"stage {label}: certificate fails (bounds {within}, "
            f"complementary slackness {slack}, values {values} vs claim {claimed})",
        ):
            return
        for k, block in play.blocks.items():
            block.restrict(rc[k])
    ck.checks["certificate"] = True
