"""The solver's warm second process: one fresh interpreter kept for the large solves.

Contract: `start(module)` starts, once, a pool of one process ("spawn": a fresh
interpreter, no fork, so it is safe beside other threads and under Jupyter) that imports
`module` at once, and returns the future of that import; it returns None, and starts
nothing, unless a second process is allowed (`allowed`). `pool()` is the running pool or
None; `stop()` lets it go (it ends as soon as it is idle). The solver hands the pool the
largest track of a large round (`matcher.engine.solve.tracks`). This module uses the
standard library alone, so a caller can start the process before it imports anything
heavy: the `matcher` command does so for a large `run`, and the new interpreter then loads
on the second core while this one loads the library.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ProcessPoolExecutor
from importlib import import_module
from multiprocessing import get_context

#: Environment variable: how many processes a solve may use (default 1; 2: a second one for
#: the largest track of a large round).
PROCESSES_VARIABLE = "MATCHER_PROCESSES"

#: The warm process's pool, under "pool" while it runs.
_WORKER: dict[str, ProcessPoolExecutor] = {}


def allowed() -> bool:
    """Whether a second process may take a track: asked for, and a second core.

    Only with `MATCHER_PROCESSES=2` (or more) in the environment. A spawned interpreter
    imports the calling script's main module again, so a batch script must keep its work
    under ``if __name__ == "__main__":`` (the `matcher` command and notebooks do); by
    default every solve stays in this process.
    """
    try:
        wanted = int(os.environ.get(PROCESSES_VARIABLE, "1").strip() or "1")
    except ValueError:
        wanted = 1
    return wanted > 1 and cores() > 1


def cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def start(module: str) -> Future[None] | None:
    """Start the warm process now, importing `module`; None when it is not `allowed`.

    Returns the future of that import (done when the process is ready); while one runs, a
    done future, and nothing is started. Never raises: when the system cannot make the
    process, None (and every solve stays in this process).
    """
    if not allowed():
        return None
    if "pool" in _WORKER:
        ready: Future[None] = Future()
        ready.set_result(None)
        return ready
    pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"))
    try:
        ready = pool.submit(_warm_up, module)
    except (OSError, RuntimeError):  # no process could be made: every solve stays here
        pool.shutdown(wait=False, cancel_futures=True)
        return None
    _WORKER["pool"] = pool
    return ready


def _warm_up(module: str) -> None:
    """In the new process: import `module`, so that the first track finds it loaded."""
    import_module(module)


def pool() -> ProcessPoolExecutor | None:
    """The warm process's pool while it runs, else None."""
    return _WORKER.get("pool")


def stop() -> None:
    """Let the warm process go (it ends when idle); nothing when none runs."""
    running = _WORKER.pop("pool", None)
    if running is not None:
        running.shutdown(wait=False, cancel_futures=True)
