"""Each track solved on its own: the canonical network falls apart by track.

Contract: `solve_by_track(instance, run)` calls `run(track)` for each track that has free
applicants and joins the answers into the answer of the whole round's network, or calls
`run(None)` once (the whole network) when the round does not fall apart (`tracks_apart`) or
the answers cannot be joined. The joined answer is lexicographically optimal for the whole
round, as `run(None)`'s is, with a proof on the whole round's network (where equally
optimal answers exist, the two may pick different ones).

Why it is exact (docs/engine.md, "One track at a time"): without S and T, a track's
groups, hosts and adjustment nodes only meet its own applicants, so a flow of the whole
is a flow per track, every stage value is the sum of the tracks' values, and the
lexicographic optimum of the whole is the tracks' optima side by side. Each track's proof
is made with the S → T arc usable both ways (pi[S] = pi[T]) and the same pair weights,
so the potentials of the tracks, shifted to pi[S] = 0, join into potentials of the whole.

Asked for (`MATCHER_PROCESSES=2`), with two cores and a large round
(`PARALLEL_APPLICANTS`), the largest track is solved in a second process
(`concurrent.futures`, a fresh interpreter) while this one solves the others; if that
process fails, its track is solved here. `run` is deterministic, so the answer is the same
either way. A caller that knows a solve is coming starts that process early
(`matcher.processes.start`: it imports the solver while the caller reads and judges the
round); a warm process takes the largest track from `WARM_APPLICANTS` on, as it has no
start-up left to pay, and stays for the next solves until `matcher.processes.stop` or the
end of the program.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any

import numpy as np
import numpy.typing as npt

from matcher import processes
from matcher.engine.solve.base import Instance
from matcher.engine.solve.network import choice_matrix

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]

#: From this many free applicants, the tracks are solved apart (below, two networks and
#: two proofs cost more than one; bench/README.md).
SPLIT_APPLICANTS = 3_000
#: From this many free applicants, the largest track is solved in a second process (below,
#: starting a fresh interpreter costs more than it saves; bench/bench_solve.py).
PARALLEL_APPLICANTS = 400_000
#: From this many free applicants, the largest track goes to a warm second process
#: (`matcher.processes.start`; below, sending the round and its answer costs more than it
#: saves; bench/README.md).
WARM_APPLICANTS = 40_000


@dataclass
class Answer:
    """What one network's solve gives: its free applicants' hosts and ranks, and the proof.

    `free` are instance indices, increasing; `host` and `rank` are theirs. `values` and
    the `stages` entries' values leave out the pre-arranged applicants; the entries'
    potentials are per node of the network solved. `failure` is (status, message) when
    the solve failed (the rest is then empty).
    """

    free: I64
    host: I32
    rank: I32
    values: dict[str, int]
    stages: list[dict[str, Any]]
    adjust_keys: tuple[tuple[int, ...], ...]
    failure: tuple[str, str] | None = field(default=None)

    @classmethod
    def failed(cls, status: str, message: str) -> Answer:
        """The answer of a solve that failed."""
        none = np.zeros(0, dtype=np.int32)
        return cls(none.astype(np.int64), none, none, {}, [], (), (status, message))


Run = Callable[[int | None], Answer]


def tracks_apart(instance: Instance) -> dict[int, int]:
    """The tracks to solve apart, with their numbers of free applicants; {} for the whole.

    Apart when the round has `SPLIT_APPLICANTS` free applicants or more, two tracks or
    more have free applicants, every free applicant's choices are hosts of their own track
    and each quota group's free applicants are of one track (always so for an encoded
    round; a hand-built Instance may differ).
    """
    free = np.flatnonzero(instance.prearranged < 0)
    track = instance.track[free].astype(np.int64)
    counts = np.bincount(track)
    if free.shape[0] < SPLIT_APPLICANTS or np.count_nonzero(counts) < 2:
        return {}
    ch = choice_matrix(instance)[free]
    own = (ch < 0) | (instance.host_track[np.maximum(ch, 0)] == track[:, None])
    n_tracks = counts.shape[0]
    cells = instance.group[free].astype(np.int64) * n_tracks + track
    by_group = np.bincount(cells, minlength=instance.group_cap.shape[0] * n_tracks)
    by_group = by_group.reshape(-1, n_tracks)
    if not own.all() or (np.count_nonzero(by_group, axis=1) > 1).any():
        return {}
    return {t: int(c) for t, c in enumerate(counts.tolist()) if c}


def solve_by_track(instance: Instance, run: Run) -> Answer:
    """The whole round's answer, from each track's `run(track)` joined, or `run(None)`."""
    apart = tracks_apart(instance)
    if not apart:
        return run(None)
    answers = _run_all(run, list(apart), list(apart.values()))
    joined = None
    if all(a.failure is None for a in answers):
        joined = join(instance, list(apart), answers)
    return run(None) if joined is None else joined


def join(instance: Instance, apart: list[int], answers: list[Answer]) -> Answer | None:
    """The tracks' answers as one answer on the whole round's network.

    None when they cannot be joined: their proofs differ in entries (names or weights),
    or a track's potentials differ on S and T.
    """
    shapes = [[(e["names"], e["weights"]) for e in a.stages] for a in answers]
    if any(shape != shapes[0] for shape in shapes[1:]):
        return None
    n_groups, n_hosts = instance.group_cap.shape[0], instance.n_hosts
    free = np.concatenate([a.free for a in answers])
    free.sort(kind="stable")  # sorted runs: merged in one pass
    position = np.empty(instance.n, dtype=np.int64)
    position[free] = np.arange(free.shape[0])
    host = np.empty(free.shape[0], dtype=np.int32)
    rank = np.empty(free.shape[0], dtype=np.int32)
    keys = sorted(set().union(*(a.adjust_keys for a in answers)))
    key_number = {key: q for q, key in enumerate(keys)}
    m = free.shape[0]
    host0 = 1 + n_groups + m
    n_nodes = host0 + n_hosts + len(keys) + 1
    potentials = [np.zeros(n_nodes, dtype=np.int64) for _ in shapes[0]]
    for k, (track, answer) in enumerate(zip(apart, answers, strict=True)):
        at = position[answer.free]
        host[at], rank[at] = answer.host, answer.rank
        m_t = at.shape[0]
        to_whole = np.concatenate(
            [
                np.arange(1 + n_groups),  # S and the groups
                1 + n_groups + at,
                host0 + np.arange(n_hosts),
                [host0 + n_hosts + key_number[key] for key in answer.adjust_keys],
                [n_nodes - 1],  # T
            ]
        ).astype(np.int64)
        # the nodes this track decides: its applicants and adjustment nodes, the groups of
        # its applicants, the hosts of its track; the first track also every other node
        own = np.zeros(to_whole.shape[0], dtype=bool)
        own[1 + n_groups : 1 + n_groups + m_t] = True
        own[1 + n_groups + m_t + n_hosts : -1] = True
        own[1 + np.flatnonzero(np.bincount(instance.group[answer.free], minlength=n_groups))] = True
        own[1 + n_groups + m_t + np.flatnonzero(instance.host_track == track)] = True
        if k == 0:
            own[:] = True
        taken = np.flatnonzero(own)
        into = to_whole[taken]
        for entry, whole in zip(answer.stages, potentials, strict=True):
            pi = entry["potentials"]
            if pi[0] != pi[-1]:
                return None
            whole[into] = pi[taken] - pi[0]
    stages = [
        {
            "names": list(names),
            "weights": list(weights),
            "values": [sum(a.stages[e]["values"][j] for a in answers) for j in range(len(names))],
            "potentials": potentials[e],
        }
        for e, (names, weights) in enumerate(shapes[0])
    ]
    values = {name: sum(a.values[name] for a in answers) for name in answers[0].values}
    return Answer(
        free=free,
        host=host,
        rank=rank,
        values=values,
        stages=stages,
        adjust_keys=tuple(keys),
    )


def _run_all(run: Run, apart: list[int], sizes: list[int]) -> list[Answer]:
    """`run(track)` for every track, the largest in a second process when worth it.

    The second process is the warm one (`matcher.processes`) from `WARM_APPLICANTS` free
    applicants, else, from `PARALLEL_APPLICANTS`, a fresh interpreter (`concurrent.futures`,
    "spawn": no fork, safe beside other threads and under Jupyter) for this solve alone.
    It receives the pickled `run` while this process solves the other tracks. If it fails
    for any reason (it could not start, died, or raised), its track is solved here (and a
    warm process that died is let go); `run` is deterministic, so the answer is the same
    either way.
    """
    warm = processes.pool()
    if not processes.allowed() or sum(sizes) < (
        PARALLEL_APPLICANTS if warm is None else WARM_APPLICANTS
    ):
        return [run(t) for t in apart]
    if warm is not None:
        return _beside(warm, run, apart, int(np.argmax(sizes)))
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return _beside(pool, run, apart, int(np.argmax(sizes)))


def _beside(pool: ProcessPoolExecutor, run: Run, apart: list[int], largest: int) -> list[Answer]:
    """`run` of the track `apart[largest]` in `pool`'s process, of the others here, in order."""
    answers: list[Answer | None] = [None] * len(apart)
    away: Future[Answer] | None
    try:
        away = pool.submit(run, apart[largest])
    except RuntimeError:  # the pool is broken or shut down (BrokenProcessPool is one)
        away = None
    for k, t in enumerate(apart):
        if k != largest:
            answers[k] = run(t)
    try:
        if away is None:
            raise BrokenProcessPool("the second process could not take the track")
        answers[largest] = away.result()
    except Exception as exc:  # BrokenProcessPool, or the track's own error: met again here
        if isinstance(exc, BrokenProcessPool) and processes.pool() is pool:
            processes.stop()
        answers[largest] = run(apart[largest])
    return [a for a in answers if a is not None]  # every one is set
