"""The default mechanism: lexicographic min-cost flow with a stage-by-stage dual certificate.

Contract: `solve_optimal(instance, adjustment, objective)` returns a `Solution` that is
lexicographically optimal for the stages in the order `objective` (default `STAGES`, the
contract's) on the canonical network of docs/engine.md, with `proof["stages"]` holding one
entry per stage or per merged pair of stages, in order: the stage names, their weights,
their values and the node potentials that prove it.

How (docs/engine.md, "Staged solve and the certificate"): each track's network is solved
on its own (`matcher.engine.solve.tracks`: the canonical network falls apart by track; the
largest track in a second process on a large round) and the proofs are joined. On one
network, phase by phase (a two-phase order: the choices with the adjustment arcs closed,
then adjustment with the choice arcs fixed; docs/engine.md, "Two phases"): one OR-Tools
solve with a weighted sum of the phase's stages (heuristic weights),
then the stages are certified in turn on the face the earlier ones leave, a pair of 0/-1
stages at a time with lexicographically safe weights: shortest-path potentials of the
residual graph for those costs, which exist exactly when the flow is optimal for them.
The first stage that fails (the weights were not large enough for this instance) and the
stages after it are solved the exact staged way (`solve_staged`): one OR-Tools solve per
pair. Last, the adjustments are handed out to the fitting hosts canonically
(`canonical_adjustment`: catalogue order, a fixed tie-break), on the final face.
It never raises on solver trouble: a non-optimal OR-Tools status, an over-committed
pre-arrangement or a negative residual cycle give a Solution with status `error` or
`infeasible` and a message.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

import numpy as np

from matcher import processes
from matcher.engine.solve.base import ADJUSTED, STAGES, UNPLACED, Instance, Solution, SolveStatus
from matcher.engine.solve.mcf import StageFailure, min_cost_flow_within
from matcher.engine.solve.network import (
    ADJUST_HOST,
    CHOICE,
    GROUP_APPLICANT,
    HOST_SINK,
    I64,
    TO_ADJUST,
    Network,
    OvercommittedError,
    adjustment_by_choices,
    build_network,
    prearranged_ranks,
    remaining_capacity,
    stage_cost_table,
    stage_values,
)
from matcher.engine.solve.potentials import residual_potentials
from matcher.engine.solve.tracks import Answer, solve_by_track
from matcher.model import ALL_STAGES, check_objective, phases

METHOD = "lexicographic min-cost flow"

#: The stages whose arc costs are all 0 or -1 (docs/engine.md's table).
UNIT_STAGES = frozenset(ALL_STAGES) - {"choice_order", "adjustment_order", "priority_order"}


#: Costs of OR-Tools' min-cost flow are multiplied by about the node count inside; merged
#: weights stay below this bound after that scaling (far from int64's 2^63).
COST_LIMIT = 2**62


def is_unit(cost: I64) -> bool:
    """Whether every arc cost is 0 or -1 (every stage except the priority-order ones)."""
    return bool(((cost == 0) | (cost == -1)).all())


def solve_groups(order: Sequence[str]) -> list[list[str]]:
    """The stages of `order` in solves: adjacent unit-cost stages paired, in order.

    Walking the order, a stage of 0/-1 costs is paired with the next one when that one is
    too; any other stage (a priority-order tie-break) is solved alone.
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
    """Lexicographically safe weights [W, 1] for solving two stages' costs on bounds [lo, hi].

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


#: Arcs that cost in a 0/-1 stage, at most, per free applicant: 3 choices or 1 adjustment.
UNIT_ARCS = 3


def proof_weights(names: Sequence[str], free: int, n_nodes: int) -> list[int] | None:
    """The weights a proof entry of `names` states: [1] alone, [W, 1] for a pair.

    W = 1 + UNIT_ARCS × (free applicants of the whole round): a 0/-1 stage's total varies
    by at most that much on any face (each of its costing arcs has capacity 1), so W is
    lexicographically safe on every face, and the same for each track's network of the
    round: the tracks' proofs then join into one. None as for `merge_weights`.
    """
    if len(names) == 1:
        return [1]
    if len(names) != 2 or not all(name in UNIT_STAGES for name in names):
        return None
    w = 1 + UNIT_ARCS * free
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


class Face:
    """The arc bounds [lo, hi] of the flows still optimal, and the proof so far.

    `certify` adds one proof entry for a flow and a (weighted) cost: potentials of the
    residual graph, the stage values, then the bounds restricted to the optimal face
    (arcs with positive reduced cost fixed at lo, negative at hi; docs/engine.md step 3).
    `open` lists the arcs with lo < hi: only they have residual arcs, and only they can
    still change, so potentials and restrictions look at them alone.

    `free` is the number of free applicants of the whole round (the proof's pair weights,
    `proof_weights`). With `two_way` (a track's network, to be joined with the others),
    the potentials also hold with the S → T arc usable both ways, so pi[S] = pi[T]: the
    whole round's S → T arc carries the unplaced of every track, and the tracks' proofs
    agree on S and T.
    """

    def __init__(self, net: Network, instance: Instance, free: int, two_way: bool) -> None:
        self.net = net
        self.instance = instance
        self.free = free
        self.two_way = two_way
        self.lo = np.zeros_like(net.cap)
        self.hi = net.cap.copy()
        self.open = np.flatnonzero(self.hi > self.lo)
        self.tail = net.tail.astype(np.int64)
        self.head = net.head.astype(np.int64)
        self.stages: list[dict[str, Any]] = []
        self.values: dict[str, int] = {}
        self.costs: dict[str, I64] = {}
        # Every simple path of the network has at most 2 arcs per node that is not an
        # applicant (an applicant node only touches those): Bellman–Ford's bound.
        self.max_rounds = 2 * (net.n_nodes - net.free.shape[0]) + 2
        self.applicants = np.zeros(net.n_nodes, dtype=bool)
        self.applicants[net.applicant_node[net.free]] = True

    def cost(self, name: str) -> I64:
        """Arc costs of stage `name` (all stages computed together, once)."""
        if name not in self.costs:
            self.costs = stage_cost_table(self.net, self.instance, ALL_STAGES)
        return self.costs[name]

    def close_adjustment(self) -> None:
        """Phase 1 of a two-phase order: no flow on the adjustment arcs (kinds 4 and 5).

        What OR-Tools and the proofs then see is the choices' network alone, the same
        whatever anyone answered to 是否接受调剂 (docs/engine.md, "Two phases").
        """
        shut = (self.net.kind == TO_ADJUST) | (self.net.kind == ADJUST_HOST)
        self.hi[shut] = self.lo[shut]
        self.open = np.flatnonzero(self.hi > self.lo)

    def fix_choices(self, flow: I64) -> None:
        """Phase 2: the choice arcs fixed at `flow`, every other arc back to [0, capacity].

        Adjustment then fills what capacity and quota the choice placements leave.
        """
        choice = self.net.kind == CHOICE
        self.lo = np.where(choice, flow, 0)
        self.hi = np.where(choice, flow, self.net.cap)
        self.open = np.flatnonzero(self.hi > self.lo)

    def solve_bounds(self) -> tuple[I64, I64]:
        """The face's bounds with the flows conservation forces at applicant nodes fixed.

        An applicant node passes on at most the one unit its group arc brings: when one of
        its choice or adjustment arcs already carries a unit, the group arc carries it too
        and its other arcs none; when none of them may carry one, neither does the group
        arc. Fixing these changes no flow of the face, so an optimum of these bounds is one
        of the face (and is certified on the face itself); what OR-Tools gets is smaller:
        in phase 2, only the applicants still free to be adjusted.
        """
        net = self.net
        kind, who = net.kind, net.applicant
        out = (kind == CHOICE) | (kind == TO_ADJUST)
        if not out.any():
            return self.lo, self.hi
        size = self.instance.n
        carried = np.bincount(who[out], weights=self.lo[out], minlength=size) > 0
        possible = np.bincount(who[out], weights=self.hi[out], minlength=size) > 0
        lo, hi = self.lo.copy(), self.hi.copy()
        into = np.flatnonzero(kind == GROUP_APPLICANT)
        busy, idle = carried[who[into]], ~possible[who[into]]
        lo[into[busy]] = hi[into[busy]] = 1
        hi[into[idle]] = lo[into[idle]] = 0
        spare = np.flatnonzero(out)
        spare = spare[carried[who[spare]] & (self.lo[spare] == 0)]
        hi[spare] = 0
        return lo, hi

    def weighted(self, names: Sequence[str], weights: Sequence[int]) -> I64:
        """The weighted sum of the stages' arc costs."""
        if list(weights) == [1]:
            return self.cost(names[0])
        cost = np.zeros_like(self.net.cap)
        for name, w in zip(names, weights, strict=True):
            cost += w * self.cost(name)
        return cost

    def open_cost_free(self, cost: I64) -> bool:
        """Whether no open arc (lo < hi) costs anything."""
        return not cost[self.open].any()

    def proof_weights(self, names: Sequence[str]) -> list[int] | None:
        """`proof_weights` for this round."""
        return proof_weights(names, self.free, self.net.n_nodes)

    def certify(
        self, names: Sequence[str], weights: Sequence[int], flow: I64, cost: I64 | None = None
    ) -> bool:
        """Prove `flow` optimal for the weighted stages on the face and restrict the face.

        `cost`, when the caller has it, is `weighted(names, weights)`. False (and nothing
        recorded) when the residual graph has a negative cycle: the flow is not optimal
        for these stages on this face.
        """
        n_nodes = self.net.n_nodes
        # every arc open (the first proof): views instead of copies
        arcs: I64 | slice = self.open if self.open.shape[0] < self.lo.shape[0] else slice(None)
        tail, head = self.tail[arcs], self.head[arcs]
        cost = (self.weighted(names, weights) if cost is None else cost)[arcs]
        lo, hi = self.lo[arcs], self.hi[arcs]
        if not cost.any():
            # the current flow is optimal with pi = 0: open arcs have rc = 0, fixed arcs
            # satisfy slackness trivially
            pi: I64 | None = np.zeros(n_nodes, dtype=np.int64)
        else:
            at = flow[arcs]
            low, up = lo, hi
            last = self.lo.shape[0] - 1  # S → T, open while its reduced cost is 0
            if self.two_way and (isinstance(arcs, slice) or arcs[-1] == last):
                low, up = lo.copy(), hi.copy()
                low[-1], up[-1] = min(low[-1], at[-1] - 1), max(up[-1], at[-1] + 1)
            pi = residual_potentials(
                n_nodes, tail, head, cost, at, low, up, self.max_rounds, self.applicants
            )
        if pi is None:
            return False
        got = [-int(self.cost(name) @ flow) for name in names]
        self.values.update(zip(names, got, strict=True))
        self.stages.append(
            {"names": list(names), "weights": list(weights), "values": got, "potentials": pi}
        )
        reduced = cost + pi[tail] - pi[head]
        new_lo, new_hi = np.where(reduced < 0, hi, lo), np.where(reduced > 0, lo, hi)
        self.lo[arcs], self.hi[arcs] = new_lo, new_hi
        still = self.hi[arcs] > self.lo[arcs]
        self.open = np.flatnonzero(still) if isinstance(arcs, slice) else arcs[still]
        return True


#: How many times the largest arc cost of the later stages' weighted sum each stage weighs
#: in the combined solve (plus 1), by stage (see `combined_weights`).
RATIOS = {
    "placed_at_choice": 8,
    "priority_placed_at_choice": 8,
    "first_choice": 4,
    "second_choice": 4,
    "choice_order": 1,
    "adjusted": 1,
    "priority_adjusted": 1,
    "adjustment_order": 1,
    "priority_order": 1,
}


def combined_weights(names: Sequence[str], costs: Sequence[I64], n_nodes: int) -> list[int] | None:
    """Weights for one solve of several stages' weighted sum, the first stage heaviest.

    Heuristic, not a proof: the last stage weighs 1, and each earlier stage `RATIOS[name]`
    times the largest cost an arc can have in the weighted sum of the stages after it,
    plus 1; the ratios are halved (down to 1) while the weighted costs, scaled by OR-Tools
    (about the node count), would pass `COST_LIMIT`. With such weights one applicant's
    gain in a stage outweighs anything one applicant can change in the later ones;
    exchanges along longer paths may still trade a stage for later ones, which the
    stage-by-stage certificate then detects. The ratios are as small as random rounds
    allowed (bench/README.md): a smaller cost range is fewer OR-Tools scaling rounds.
    None when even ratios of 1 do not fit.
    """
    peaks = [int(np.abs(c).max(initial=0)) for c in costs]
    for halving in (1, 2, 4, 8):
        weights = [1]
        peak = peaks[-1]
        for k in range(len(costs) - 2, -1, -1):
            w = max(RATIOS[names[k]] // halving, 1) * peak + 1
            weights.append(w)
            peak += w * peaks[k]
        if peak * (n_nodes + 1) < COST_LIMIT:
            return weights[::-1]
    return None


def start_worker() -> Future[None] | None:
    """Start the warm second process for this mechanism's large solves (`matcher.processes`)."""
    return processes.start(__name__)


def solve_optimal(
    instance: Instance, adjustment: bool = True, objective: Sequence[str] = STAGES
) -> Solution:
    """Solve the lexicographic policy exactly, in the order `objective`: fast path first.

    Steps: check the order (`check_objective`); each track's network on its own
    (`solve_by_track`), and on each: build the network (adjustment nodes split by choices
    when the order needs it); per phase, one min-cost flow with `combined_weights` of its
    stages;
    then certify the stages on the shrinking face (`_combined`: by the pairs of
    `solve_groups` with `proof_weights`, a failed pair stage by stage). From the first
    stage whose certificate fails, `_staged` solves the rest exactly. The flow is decoded
    into hosts and ranks, and the tracks' answers and proofs are joined.

    Raises
    ------
    ObjectiveOrderError
        `objective` is not a valid order of the stages (`check_objective`).
    """
    return _solve(instance, adjustment, check_objective(objective), fast=True)


def solve_staged(
    instance: Instance, adjustment: bool = True, objective: Sequence[str] = STAGES
) -> Solution:
    """The same answer's exact staged solve alone: one OR-Tools solve per pair of stages.

    Steps: `_staged` from the start on each track's network (adjacent stages of 0/-1 costs
    merged in pairs with `merge_weights`: [W, 1], W = 1 + R_b on the current bounds, or one
    by one when W would be unsafe for int64). The fallback of `solve_optimal`, and its
    second method in tests.

    Raises
    ------
    ObjectiveOrderError
        `objective` is not a valid order of the stages (`check_objective`).
    """
    return _solve(instance, adjustment, check_objective(objective), fast=False)


def _solve(instance: Instance, adjustment: bool, order: tuple[str, ...], fast: bool) -> Solution:
    n = instance.n
    try:
        remaining_capacity(instance)
    except OvercommittedError as exc:
        return _failed(n, SolveStatus.INFEASIBLE, str(exc))
    pre = np.where(instance.prearranged >= 0, prearranged_ranks(instance), UNPLACED)
    run = functools.partial(_solve_network, instance, adjustment, order, fast)
    answer = solve_by_track(instance, run)
    if answer.failure is not None:
        return _failed(n, SolveStatus(answer.failure[0]), answer.failure[1])
    host = np.where(instance.prearranged >= 0, instance.prearranged, -1).astype(np.int32)
    rank = pre.astype(np.int32)
    host[answer.free], rank[answer.free] = answer.host, answer.rank
    # the pre-arranged applicants' share of each stage, outside every network
    fixed = stage_values(instance, pre)
    for entry in answer.stages:
        named = zip(entry["names"], entry["values"], strict=True)
        entry["values"] = [v + fixed[name] for name, v in named]
    return Solution(
        status=SolveStatus.OPTIMAL,
        host=host,
        rank=rank,
        # every stage's value; those of the order as proven (the same numbers)
        objective={
            **stage_values(instance, rank),
            **{name: answer.values[name] + fixed[name] for name in order},
        },
        proof={"method": METHOD, "stages": answer.stages},
    )


def _solve_network(
    instance: Instance, adjustment: bool, order: tuple[str, ...], fast: bool, track: int | None
) -> Answer:
    """Solve the network of one track (or, with None, the whole round's) and prove it.

    The values in the answer leave out the pre-arranged applicants; a track's potentials
    are joined by `solve_by_track`.
    """
    net = build_network(instance, adjustment, by_choices=adjustment_by_choices(order), track=track)
    free = int((instance.prearranged < 0).sum())
    face = Face(net, instance, free, two_way=track is not None)
    flow = face.lo.copy()
    steps = phases(order)
    try:
        for k, pending in enumerate(steps):
            if len(steps) > 1:
                if k == 0:
                    face.close_adjustment()
                else:
                    face.fix_choices(flow)
            flow = _phase(face, list(pending), flow, fast)
        flow = canonical_adjustment(face, flow)
    except StageFailure as exc:
        return Answer.failed(exc.status.value, str(exc))
    host, rank = decode_flow(net, instance, flow)
    return Answer(
        free=net.free,
        host=host[net.free].astype(np.int32),
        rank=rank[net.free].astype(np.int32),
        values=face.values,
        stages=face.stages,
        adjust_keys=net.adjust_keys,
    )


def host_preference(net: Network) -> I64:
    """The cost of each adjustment arc (kind 5) in the canonical hand-out; 0 elsewhere.

    The catalogue's order first (a host listed earlier is preferred), then a fixed mix
    of the arc's (track, field, host) that makes ties between equal sums of catalogue
    positions practically impossible: the hand-out depends on the adjusted and the room
    alone, never on who else is in the round or on the order OR-Tools meets the arcs.
    """
    cost = np.zeros(net.tail.shape[0], dtype=np.int64)
    arcs = np.flatnonzero(net.kind == ADJUST_HOST)
    if not arcs.size:
        return cost
    keys = np.asarray(net.adjust_keys, dtype=np.int64).reshape(len(net.adjust_keys), -1)
    node = net.tail[arcs].astype(np.int64) - net.adjust_node0
    host = net.head[arcs].astype(np.int64) - net.host_node0
    mix = (keys[node, 0] * 1_000_003 + keys[node, 1]) * 2_654_435_761 + host * 40_503
    mix = (mix ^ (mix >> 13)) * 1_274_126_177 & (2**20 - 1)
    cost[arcs] = host * 2**20 + mix
    return cost


def canonical_adjustment(face: Face, flow: I64) -> I64:
    """The same assignment but for which fitting host each adjustment goes to.

    On the final face, with every arc but adjustment-to-host (kind 5) and host-to-sink
    (kind 6) fixed at `flow`, one min-cost flow of `host_preference`: the hosts the
    adjusted get are then a function of who is adjusted and of the hosts' room. Every
    flow of the face keeps every stage value and satisfies every proof entry, so the
    certificate stands. Rounds without adjustment flow are returned as they are.
    """
    net = face.net
    moving = (net.kind == ADJUST_HOST) | (net.kind == HOST_SINK)
    if not flow[net.kind == ADJUST_HOST].any():
        return flow
    lo = np.where(moving, face.lo, flow)
    hi = np.where(moving, face.hi, flow)
    return min_cost_flow_within(net, lo, hi, host_preference(net))


def _phase(face: Face, pending: list[str], flow: I64, fast: bool) -> I64:
    """The flow of one phase's stages on the face: the fast path, then the staged rest."""
    if fast:
        flow, pending = _combined(face, pending)
    if pending:
        flow = _staged(face, pending, flow)
    return flow


def _combined(face: Face, pending: list[str]) -> tuple[I64, list[str]]:
    """One solve of all `pending` stages' weighted sum, certified on the face in turn.

    The certificate goes by the solves of `solve_groups` (a pair of 0/-1 stages with
    `proof_weights`, one Bellman–Ford for both); a pair that fails is tried stage by
    stage, to find the first stage the flow is not optimal for.
    Returns the flow and the stages left uncertified (empty when all passed).
    """
    every = face.open.shape[0] == face.lo.shape[0]
    costs = [face.cost(name) if every else face.cost(name)[face.open] for name in pending]
    weights = combined_weights(pending, costs, face.net.n_nodes)
    if weights is None:
        return face.lo.copy(), pending
    try:
        flow = min_cost_flow_within(face.net, *face.solve_bounds(), face.weighted(pending, weights))
    except StageFailure as exc:
        raise StageFailure(exc.status, f"all stages weighted: {exc}") from None
    done = 0
    for names in solve_groups(pending):
        if len(names) == 2:
            pair = face.proof_weights(names)
            if pair is not None and face.certify(names, pair, flow):
                done += 2
                continue
        for name in names:
            if not face.certify([name], [1], flow):
                return flow, pending[done:]
            done += 1
    return flow, []


def _staged(face: Face, pending: list[str], flow: I64) -> I64:
    """Solve `pending` exactly on the face, one solve per merged pair (or stage).

    A pair is solved with `merge_weights` on the current bounds (the smallest safe W: a
    smaller cost range for OR-Tools) and proved with `proof_weights`; both weights make
    the same face optimal.

    Raises
    ------
    StageFailure
        OR-Tools failed, or an optimal flow's residual graph had a negative cycle.
    """
    for names in solve_groups(pending):
        costs = [face.cost(name) for name in names]
        weights = merge_weights(face.net.n_nodes, costs, face.lo, face.hi)
        proved = face.proof_weights(names)
        # not safe to merge (never at realistic sizes): one by one
        if weights is None or proved is None:
            plan = [([x], [1], [1]) for x in names]
        else:
            plan = [(names, weights, proved)]
        for group, wts, proof_wts in plan:
            cost = face.weighted(group, wts)
            label = "+".join(group)
            if not (face.stages and face.open_cost_free(cost)):
                try:
                    flow = min_cost_flow_within(face.net, *face.solve_bounds(), cost)
                except StageFailure as exc:
                    raise StageFailure(exc.status, f"stage {label}: {exc}") from None
            same = list(proof_wts) == list(wts)
            if not face.certify(group, proof_wts, flow, cost if same else None):
                raise StageFailure(SolveStatus.ERROR, f"stage {label}: negative residual cycle")
    return flow


def _failed(n: int, status: SolveStatus, message: str) -> Solution:
    return Solution(
        status=status,
        host=np.full(n, -1, dtype=np.int32),
        rank=np.full(n, UNPLACED, dtype=np.int32),
        message=message,
    )
