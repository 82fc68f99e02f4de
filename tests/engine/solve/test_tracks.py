"""Each track solved on its own, the answers joined: the whole network's optimum and a
valid proof of it, in one process or two."""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings

from matcher import processes
from matcher.engine.solve import optimal, tracks
from matcher.engine.solve.base import STAGES, SolveStatus
from matcher.engine.solve.optimal import solve_optimal
from matcher.engine.verify import verify
from matcher.model import JOINT_STAGES
from tests.engine.solve.checks import assert_certificate, assert_feasible, recount
from tests.engine.solve.gaps import gappy_instances
from tests.engine.solve.instances import random_instance
from tests.strategies import CI

#: The solver module a warm second process imports first.
SOLVER = "matcher.engine.solve.optimal"


@pytest.fixture(autouse=True)
def split_any_round(monkeypatch):
    """Small rounds are solved apart too (by default only from `SPLIT_APPLICANTS`)."""
    monkeypatch.setattr(tracks, "SPLIT_APPLICANTS", 0)


def whole(monkeypatch, inst, **kwargs):
    """The answer with the whole network solved at once (no split by track)."""
    with monkeypatch.context() as m:
        m.setattr(tracks, "tracks_apart", lambda instance: {})
        return solve_optimal(inst, **kwargs)


def runs(monkeypatch) -> list:
    """The networks `optimal` solves, by track (None: the whole)."""
    seen: list = []
    real = optimal._solve_network

    def spy(*args):
        seen.append(args[-1])
        return real(*args)

    monkeypatch.setattr(optimal, "_solve_network", spy)
    return seen


def test_tracks_of_a_round():
    inst = random_instance(3000, 1, prearranged=0.02)
    found = tracks.tracks_apart(inst)
    free = inst.prearranged < 0
    assert found == {t: int((free & (inst.track == t)).sum()) for t in (0, 1)}


def test_small_rounds_are_solved_whole(monkeypatch):
    inst = random_instance(1000, 1)
    assert tracks.tracks_apart(inst) != {}
    monkeypatch.setattr(tracks, "SPLIT_APPLICANTS", 1001)
    assert tracks.tracks_apart(inst) == {}
    seen = runs(monkeypatch)
    assert verify(inst, solve_optimal(inst)).ok and seen == [None]


def test_no_split_when_the_round_does_not_fall_apart():
    inst = random_instance(400, 2)
    # one track only, or one track with free applicants (the other's all pre-arranged)
    assert tracks.tracks_apart(replace(inst, track=np.zeros(inst.n, dtype=np.int32))) == {}
    assert tracks.tracks_apart(replace(inst, prearranged=np.where(inst.track == 0, -1, 0))) == {}
    # a choice at a host of the other track joins the tracks' networks
    choices = np.array(inst.choices).copy()
    i = int(np.flatnonzero(inst.track == 0)[0])
    choices[i, 0] = int(np.flatnonzero(inst.host_track == 1)[0])
    assert tracks.tracks_apart(replace(inst, choices=choices)) == {}
    # so does a quota group with applicants of both tracks
    group = inst.group.copy()
    group[np.flatnonzero(inst.track == 1)[0]] = inst.group[i]
    assert tracks.tracks_apart(replace(inst, group=group)) == {}


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"prearranged": 0.03}, {"places": 0.7, "quota": 0.8}, {"n_hosts": 10, "n_groups": 4}],
)
def test_joined_tracks_equal_the_whole(monkeypatch, kwargs):
    inst = random_instance(2500, 3, **kwargs)
    seen = runs(monkeypatch)
    split = solve_optimal(inst)
    assert seen == [0, 1]  # joined: the whole network was not needed
    alone = whole(monkeypatch, inst)
    # the same optimum (an adjusted applicant's host among the fitting ones may differ)
    assert split.objective == alone.objective
    shape = [(s["names"], s["weights"], s["values"]) for s in split.proof["stages"]]
    assert shape == [(s["names"], s["weights"], s["values"]) for s in alone.proof["stages"]]
    assert_feasible(inst, split)
    assert_certificate(inst, split)
    assert verify(inst, split).ok


@settings(CI, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(gappy_instances(max_applicants=10, max_hosts=5, max_groups=4))
def test_joined_answers_are_proven_optima(inst):
    # small hand-shaped rounds with free applicants in both tracks (split by the fixture):
    # the joined answer is feasible, its values recount, its joined proof holds, and it
    # has the whole's values
    assume(tracks.tracks_apart(inst))
    for adjustment in (True, False):
        split = solve_optimal(inst, adjustment)
        assert split.status == SolveStatus.OPTIMAL
        assert_feasible(inst, split, adjustment)
        assert split.objective == recount(inst, split)
        assert_certificate(inst, split, adjustment)
        with pytest.MonkeyPatch.context() as m:
            m.setattr(tracks, "tracks_apart", lambda instance: {})
            assert split.objective == solve_optimal(inst, adjustment).objective


@pytest.mark.parametrize("order_seed", range(3))
def test_tracks_join_in_any_order(monkeypatch, order_seed):
    # other orders of the stages pair them differently, and adjustment-first orders split
    # the adjustment nodes by choices: the tracks' proofs still join, to the whole's optimum
    rng = np.random.default_rng(order_seed)
    inst = random_instance(600, order_seed, n_hosts=14, n_groups=6, prearranged=0.02)
    if order_seed == 2:  # a two-phase order, its counts shuffled within the phases
        order = [*rng.permutation(STAGES[:4]), STAGES[4], *STAGES[6:4:-1], STAGES[7]]
    else:  # joint orders, adjustment first (split adjustment nodes) or last
        rest = [s for s in JOINT_STAGES[:-1] if s != "adjusted"]
        order = ["adjusted", *rng.permutation(rest)]
        order = [*(order if order_seed else order[1:] + order[:1]), JOINT_STAGES[-1]]
    seen = runs(monkeypatch)
    split = solve_optimal(inst, objective=order)
    assert seen == [0, 1]
    assert split.objective == whole(monkeypatch, inst, objective=order).objective
    assert verify(inst, split, objective=order).ok


def test_everyone_placed_and_nobody_placed(monkeypatch):
    # the whole round's S -> T arc carries nobody, or everybody: the joined potentials
    # still prove both ends (they hold with S -> T usable both ways)
    inst = random_instance(500, 4, gaps=0.0)
    roomy = replace(
        inst,
        host_cap=np.full(inst.n_hosts, inst.n, dtype=np.int32),
        group_cap=np.full(inst.group_cap.shape[0], inst.n, dtype=np.int32),
    )
    seen = runs(monkeypatch)
    sol = solve_optimal(roomy)
    assert (sol.host >= 0).all() and seen == [0, 1]
    assert verify(roomy, sol).ok
    closed = replace(inst, host_cap=np.zeros(inst.n_hosts, dtype=np.int32))
    sol = solve_optimal(closed)
    assert (sol.host < 0).all()
    assert verify(closed, sol).ok


def test_proofs_that_differ_are_not_joined(monkeypatch):
    # one track proves the first pair stage by stage, the other as a pair: the entries
    # differ, so the whole network is solved instead
    inst = random_instance(1200, 5)
    real = optimal.Face.certify

    def pairs_refused_on_track_0(self, names, weights, flow, cost=None):
        if len(names) == 2 and self.two_way and 1 not in set(self.instance.track[self.net.free]):
            return False
        return real(self, names, weights, flow, cost)

    monkeypatch.setattr(optimal.Face, "certify", pairs_refused_on_track_0)
    seen = runs(monkeypatch)
    sol = solve_optimal(inst)
    assert seen == [0, 1, None]
    assert sol.status == SolveStatus.OPTIMAL
    assert verify(inst, sol).ok


@pytest.fixture
def two_cores(monkeypatch):
    """Every round takes the two-process route, as asked for on a machine with two cores."""
    monkeypatch.setattr(tracks, "PARALLEL_APPLICANTS", 0)
    monkeypatch.setattr(processes, "cores", lambda: 2)
    monkeypatch.setenv("MATCHER_PROCESSES", "2")


def test_two_processes_give_the_same_solution(monkeypatch, two_cores):
    inst = random_instance(3000, 11, prearranged=0.02)
    pools: list = []
    real = tracks.ProcessPoolExecutor
    monkeypatch.setattr(tracks, "ProcessPoolExecutor", lambda **kw: pools.append(kw) or real(**kw))
    two = solve_optimal(inst)
    assert pools and pools[0]["mp_context"].get_start_method() == "spawn"
    monkeypatch.setenv("MATCHER_PROCESSES", "1")
    one = solve_optimal(inst)
    assert len(pools) == 1  # the switch keeps the second solve in this process
    assert np.array_equal(two.host, one.host) and np.array_equal(two.rank, one.rank)
    assert two.objective == one.objective
    for a, b in zip(two.proof["stages"], one.proof["stages"], strict=True):
        assert a["names"] == b["names"] and a["weights"] == b["weights"]
        assert np.array_equal(a["potentials"], b["potentials"])
    assert verify(inst, two).ok


class _BrokenPool:
    """A pool whose process dies before answering."""

    def __init__(self, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def submit(self, fn, *args):
        future: Future = Future()
        future.set_exception(BrokenProcessPool("the second process died"))
        return future


def test_a_second_process_that_fails_is_replaced_by_this_one(monkeypatch, two_cores):
    inst = random_instance(2000, 12)
    monkeypatch.setattr(tracks, "ProcessPoolExecutor", _BrokenPool)
    died = solve_optimal(inst)
    monkeypatch.setenv("MATCHER_PROCESSES", "1")
    alone = solve_optimal(inst)
    assert np.array_equal(died.host, alone.host) and died.objective == alone.objective
    assert verify(inst, died).ok


def test_a_second_process_only_when_asked_beside_other_threads_too(monkeypatch):
    monkeypatch.setattr(processes, "cores", lambda: 2)
    monkeypatch.delenv("MATCHER_PROCESSES", raising=False)
    assert not processes.allowed()  # the default: one process
    monkeypatch.setenv("MATCHER_PROCESSES", "2")
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert processes.allowed()  # no fork: a thread beside it is harmless
    finally:
        stop.set()
        other.join()
    monkeypatch.setenv("MATCHER_PROCESSES", "1")
    assert not processes.allowed()
    monkeypatch.setenv("MATCHER_PROCESSES", "2")
    monkeypatch.setattr(processes, "cores", lambda: 1)
    assert not processes.allowed()


@pytest.fixture
def warm_worker(monkeypatch):
    """A warm second process that takes the largest track of any round (never a fresh one)."""
    monkeypatch.setattr(tracks, "PARALLEL_APPLICANTS", 2**62)
    monkeypatch.setattr(tracks, "WARM_APPLICANTS", 0)
    monkeypatch.setattr(processes, "cores", lambda: 2)
    monkeypatch.setenv("MATCHER_PROCESSES", "2")
    ready = processes.start(SOLVER)
    assert ready is not None
    ready.result(timeout=120)
    yield processes.pool()
    processes.stop()


def _same_answer(a, b) -> None:
    assert np.array_equal(a.host, b.host) and np.array_equal(a.rank, b.rank)
    assert a.objective == b.objective
    for x, y in zip(a.proof["stages"], b.proof["stages"], strict=True):
        assert x["names"] == y["names"] and x["weights"] == y["weights"]
        assert np.array_equal(x["potentials"], y["potentials"])


def test_a_warm_worker_takes_the_largest_track_solve_after_solve(monkeypatch, warm_worker):
    inst = random_instance(3000, 13, prearranged=0.02)
    pools: list = []
    real_beside = tracks._beside
    monkeypatch.setattr(
        tracks, "_beside", lambda pool, *args: pools.append(pool) or real_beside(pool, *args)
    )
    fresh: list = []
    monkeypatch.setattr(tracks, "ProcessPoolExecutor", lambda **kw: fresh.append(kw))
    first, second = solve_optimal(inst), solve_optimal(inst)
    assert pools == [warm_worker, warm_worker] and not fresh  # the same process, kept
    assert processes.start(SOLVER) is not None and processes.pool() is warm_worker
    monkeypatch.setenv("MATCHER_PROCESSES", "1")
    alone = solve_optimal(inst)
    assert len(pools) == 2  # not asked for: this process alone, the worker left idle
    _same_answer(first, alone)
    _same_answer(second, alone)
    assert verify(inst, first).ok


def test_a_warm_worker_that_died_is_let_go_and_its_track_solved_here(warm_worker):
    inst = random_instance(2500, 14)
    warm_worker.submit(os._exit, 1)  # the process ends without a word
    died = solve_optimal(inst)
    assert processes.pool() is None  # let go; the next large solve starts afresh
    assert processes.start(SOLVER) is not None and processes.pool() is not warm_worker
    processes.stop()
    alone = solve_optimal(inst)
    _same_answer(died, alone)
    assert verify(inst, died).ok


def test_no_warm_worker_unless_a_second_process_is_allowed(monkeypatch):
    monkeypatch.setattr(processes, "cores", lambda: 2)
    monkeypatch.setenv("MATCHER_PROCESSES", "1")
    assert processes.start(SOLVER) is None and processes.pool() is None
    monkeypatch.setenv("MATCHER_PROCESSES", "2")
    monkeypatch.setattr(processes, "cores", lambda: 1)
    assert processes.start(SOLVER) is None and processes.pool() is None
    processes.stop()  # nothing to stop: no error
