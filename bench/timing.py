"""Timing helpers shared by the benchmark scripts (imported beside them, not installed)."""

from __future__ import annotations

import gc
import resource
import statistics
import time
from collections.abc import Callable
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


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def default_repeat(n: int) -> int:
    """Runs per figure: 3 below a million applicants, 1 at a million."""
    return 3 if n < 1_000_000 else 1
