"""Memory habits for large rounds."""

from __future__ import annotations

import ctypes
import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many acyclic objects.

    With a large round in memory every full collection rescans all its applicants and
    outcomes; building a million outcomes or rendering a million rows would trigger many
    (about a third of the rendering time at 100,000 applicants). Restored afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


#: glibc's malloc_trim once looked up (False where there is none).
_TRIM: Any = None


def release_memory() -> None:
    """Hand memory freed by the C allocator back to the system (glibc's malloc_trim).

    Reading a large file frees hundreds of MB of parser buffers between the objects that
    stay; glibc keeps such holes mapped. Trimming returns their pages, so the steps that
    follow (solving, the reports) start from what the round really holds: at 1,000,000
    rows the resident size after loading drops from ~2.0 to ~1.35 GB. A no-op elsewhere.
    """
    global _TRIM
    if _TRIM is None:
        _TRIM = False
        if sys.platform.startswith("linux"):
            try:
                _TRIM = ctypes.CDLL("libc.so.6").malloc_trim
            except (OSError, AttributeError):
                pass
    if _TRIM:
        _TRIM(0)
