"""One exact min-cost flow of the canonical network within arc bounds (OR-Tools).

Contract: `min_cost_flow_within(net, lo, hi, cost)` returns an optimal flow of `net` with
every arc's flow in [lo, hi] and the given integer costs, or raises `StageFailure`.
When the S → T arc is open over its whole range [0, free applicants], the network falls
apart into independent parts once S and T are set aside (one per track: groups, hosts and
adjustment nodes of a track only meet applicants of that track); each part is then solved
on its own with its own S → T arc, which is exact (a flow of the whole is the sum of flows
of the parts, and costs add up) and cheaper, as OR-Tools' time grows faster than the
network. With two cores or more and a large network, the largest part is solved in a
forked process while this one solves the rest (`PARALLEL_ARCS`); if that process fails,
its part is solved here instead. Every part's solve is deterministic, so the flow is the
same either way.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import warnings
from multiprocessing.connection import Connection

import numpy as np
from ortools.graph.python import min_cost_flow

from matcher.memory import release_memory
from matcher.solve.base import SolveStatus
from matcher.solve.network import GROUP_APPLICANT, I64, SOURCE_SINK, Network

#: From this many open arcs, the largest part is solved in a second process.
PARALLEL_ARCS = 200_000
#: Environment variable: at most this many processes per solve (1: never a second one).
PROCESSES_VARIABLE = "MATCHER_PROCESSES"


class StageFailure(RuntimeError):
    """A stage could not be solved to optimality (carries the status to report)."""

    def __init__(self, status: SolveStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def parts(net: Network) -> I64:
    """Part label per node: the connected pieces of the network without S and T.

    S and T get -1. Every applicant node joins its group's part; the hubs (groups,
    hosts, adjustment nodes) are joined through the applicants' arcs and the adjustment
    arcs: each hub takes the smallest label among its neighbours until nothing changes
    (a few rounds: any two hubs of a part are a few applicants apart).
    """
    m = net.free.shape[0]
    # hub number: S and groups keep their node number, an applicant takes its group's,
    # hosts, adjustment nodes and T move down by the number of applicant nodes
    hub = np.arange(net.n_nodes, dtype=np.int64)
    hub[net.host_node0 :] -= m
    ga = np.flatnonzero(net.kind == GROUP_APPLICANT)
    hub[net.head[ga]] = net.tail[ga]
    n_hubs = net.n_nodes - m
    source, sink = 0, n_hubs - 1
    a, b = hub[net.tail], hub[net.head]
    inner = (a != b) & (a != source) & (a != sink) & (b != source) & (b != sink)
    pairs = np.unique(a[inner] * n_hubs + b[inner])
    a, b = pairs // n_hubs, pairs % n_hubs
    label = np.arange(n_hubs, dtype=np.int64)
    while True:
        lower = label.copy()
        np.minimum.at(lower, a, label[b])
        np.minimum.at(lower, b, label[a])
        lower = lower[lower]  # jump to the label's own label: fewer rounds
        if np.array_equal(lower, label):
            break
        label = lower
    label[[source, sink]] = -1
    return label[hub]


def min_cost_flow_within(net: Network, lo: I64, hi: I64, cost: I64, *, split: bool = True) -> I64:
    """Find an optimal flow of `net` with arc bounds [lo, hi] and costs `cost`.

    Lower bounds are shifted into the supplies; arcs with lo == hi are left out (their
    flow is fixed). With `split` (and the S → T arc open over [0, its capacity]), each
    part of `parts(net)` is solved alone.

    Raises
    ------
    StageFailure
        When OR-Tools does not report OPTIMAL.
    """
    st = np.flatnonzero(net.kind == SOURCE_SINK)
    whole = not split or st.size != 1 or lo[st[0]] != 0 or hi[st[0]] != net.cap[st[0]]
    flow = lo.copy()
    if whole:
        _write(flow, *_solve_part(net, lo, hi, cost, np.arange(net.tail.shape[0]), None))
        return flow
    label = parts(net)
    arc_part = np.maximum(label[net.tail], label[net.head])  # -1 only for S → T
    members = np.bincount(
        label[net.head[net.kind == GROUP_APPLICANT]] + 1, minlength=net.n_nodes + 1
    )
    # labels are hub numbers: small integers, which numpy's stable sort takes by radix
    small = np.int16 if arc_part.max(initial=0) < np.iinfo(np.int16).max else np.int64
    by_part = np.argsort(arc_part.astype(small), kind="stable")
    bounds = np.searchsorted(arc_part[by_part], np.arange(-1, int(arc_part.max()) + 2))
    jobs = [
        (by_part[bounds[part + 1] : bounds[part + 2]], int(members[part + 1]))
        for part in range(int(arc_part.max()) + 1)
        if bounds[part + 2] > bounds[part + 1]
    ]
    opened = [int((hi[arcs] > lo[arcs]).sum()) for arcs, _ in jobs]
    if len(jobs) > 1 and sum(opened) >= PARALLEL_ARCS and _can_fork():
        largest = int(np.argmax(opened))
        _solve_in_two(net, lo, hi, cost, jobs[largest], jobs[:largest] + jobs[largest + 1 :], flow)
    else:
        for arcs, applicants in jobs:
            _write(flow, *_solve_part(net, lo, hi, cost, arcs, applicants))
    # S → T carries whoever is left unplaced in every part.
    placed = flow[net.tail == net.source].sum() - flow[st].sum()
    flow[st] = net.supply[net.source] - placed
    return flow


def _cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _can_fork() -> bool:
    """Whether a second process may take a part: allowed, a second core, fork, no thread.

    `MATCHER_PROCESSES=1` in the environment keeps every solve in one process. (Forking
    while another Python thread holds a lock could leave the child waiting on it forever;
    this module's child only runs numpy and OR-Tools.)
    """
    return (
        os.environ.get(PROCESSES_VARIABLE, "").strip() != "1"
        and _cores() > 1
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
    )


Job = tuple[I64, int]


def _solve_in_two(
    net: Network, lo: I64, hi: I64, cost: I64, away: Job, here: list[Job], flow: I64
) -> None:
    """Solve part `away` in a forked process and the parts `here` in this one."""
    release_memory()  # freed heap pages back to the system: fewer copy-on-write faults
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(net, lo, hi, cost, away, send), daemon=True)
    with warnings.catch_warnings():  # the child only runs OR-Tools and numpy, no threads
        warnings.simplefilter("ignore", DeprecationWarning)
        process.start()
    send.close()
    try:
        for arcs, applicants in here:
            _write(flow, *_solve_part(net, lo, hi, cost, arcs, applicants))
        try:
            answer = receive.recv()
        except EOFError:  # the process died without an answer
            answer = None
    finally:
        receive.close()
        process.join()
    if answer is None:
        _write(flow, *_solve_part(net, lo, hi, cost, *away))
    elif answer[0] == "failed":
        raise StageFailure(SolveStatus(answer[1]), answer[2])
    else:
        _write(flow, answer[1], answer[2])


def _child(net: Network, lo: I64, hi: I64, cost: I64, job: Job, send: Connection) -> None:
    """Solve one part (in the forked process) and send the answer.

    The answer is ("solved", arcs, flows) or ("failed", status, message).
    """
    try:
        send.send(("solved", *_solve_part(net, lo, hi, cost, *job)))
    except StageFailure as exc:
        send.send(("failed", exc.status.value, str(exc)))
    finally:
        send.close()


def _write(flow: I64, arcs: I64, values: I64) -> None:
    flow[arcs] = values


def _solve_part(
    net: Network, lo: I64, hi: I64, cost: I64, arcs: I64, applicants: int | None
) -> tuple[I64, I64]:
    """Solve the sub-network of `arcs`: the open arcs among them and their flows.

    With `applicants` (a part of a split network), S and T get ± that many and the part
    its own S → T arc; without, the network's own supplies are used.

    Raises
    ------
    StageFailure
        When OR-Tools does not report OPTIMAL.
    """
    low, up = lo[arcs], hi[arcs]
    open_arcs = np.flatnonzero(up > low)
    if applicants is not None and open_arcs.shape[0] == 0:
        return arcs[:0], low[:0]  # everything fixed; the caller sets S → T
    tail, head = net.tail[arcs].astype(np.int64), net.head[arcs].astype(np.int64)
    n = net.n_nodes
    if applicants is None:
        supply = net.supply.copy()
    else:
        supply = np.zeros(n, dtype=np.int64)
        supply[net.source], supply[net.sink] = applicants, -applicants
    supply -= np.bincount(tail, weights=low, minlength=n).astype(np.int64)
    supply += np.bincount(head, weights=low, minlength=n).astype(np.int64)
    # Renumber the nodes still in play (an open arc or a supply; S and T of a part) so
    # parts and mostly fixed networks hand OR-Tools a small graph.
    live = supply != 0
    live[tail[open_arcs]] = True
    live[head[open_arcs]] = True
    if applicants is not None:
        live[[net.source, net.sink]] = True
    number = np.cumsum(live, dtype=np.int64) - 1
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(
        number[tail[open_arcs]].astype(np.int32),
        number[head[open_arcs]].astype(np.int32),
        (up - low)[open_arcs],
        cost[arcs[open_arcs]],
    )
    if applicants is not None:
        smcf.add_arc_with_capacity_and_unit_cost(
            int(number[net.source]), int(number[net.sink]), applicants, 0
        )
    smcf.set_nodes_supplies(np.arange(int(live.sum()), dtype=np.int32), supply[live])
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        kind = SolveStatus.INFEASIBLE if status == smcf.INFEASIBLE else SolveStatus.ERROR
        raise StageFailure(kind, f"OR-Tools min-cost flow returned {status!r}")
    got = np.asarray(smcf.flows(np.arange(open_arcs.shape[0], dtype=np.int32)))
    return arcs[open_arcs], low[open_arcs] + got
