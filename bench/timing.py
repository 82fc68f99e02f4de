"""Timing helpers shared by the benchmark scripts (imported beside them, not installed)."""

from __future__ import annotations

import gc
import resource
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median seconds of `fn()` over `repeat` runs (after a collection), and the last result."""
    times, result = [], None
    for _ in range(repeat):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def timed_pair(
    first: Callable[[], Any], second: Callable[[], Any], repeat: int
) -> tuple[float, Any, float, Any]:
    """Median seconds of `first()` and of `second()`, run by turns `repeat` times each.

    Taking turns puts both under the same machine: on a shared machine the speed drifts
    by several percent within minutes. Returns (median first, last result of first,
    median second, last result of second).
    """
    times: tuple[list[float], list[float]] = ([], [])
    results: list[Any] = [None, None]
    for _ in range(repeat):
        for k, fn in enumerate((first, second)):
            results[k] = None
            gc.collect()
            start = time.perf_counter()
            results[k] = fn()
            times[k].append(time.perf_counter() - start)
    return statistics.median(times[0]), results[0], statistics.median(times[1]), results[1]


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def default_repeat(n: int) -> int:
    """Runs per figure: 3 below a million applicants, 1 at a million."""
    return 3 if n < 1_000_000 else 1


class TreeMemory:
    """Peak memory of a process and its descendants together, sampled while it runs.

    Every `interval` seconds (on a thread of this process) the proportional set sizes
    (Pss in /proc/PID/smaps_rollup: a page shared by k processes counts 1/k in each) of
    the process and every process under it are added up; `peak_mb` is the largest sum.
    Unlike ru_maxrss (one process's peak), this counts a forked child's own pages once,
    on top of its parent's. Linux only; elsewhere `peak_mb` stays 0.
    """

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, sum(map(_pss_kb, self._tree())) / 1024)
            self._stop.wait(self.interval)

    def _tree(self) -> list[int]:
        parent: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                parent[int(entry.name)] = int(fields[1])
        tree, grew = {self.pid}, True
        while grew:
            more = {pid for pid, ppid in parent.items() if ppid in tree} - tree
            tree |= more
            grew = bool(more)
        return sorted(tree)


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
