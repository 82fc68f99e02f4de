"""Memory habits for large rounds."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager

#: Arrow's own variable: when it is set, its choice of allocator stands.
ARROW_POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many acyclic objects.

    With a large round in memory every full collection rescans all its applicants and
    outcomes; building a million outcomes or rendering a million rows would trigger many
    (a large share of the rendering time). Restored afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def batch_allocator() -> str:
    """Let Arrow allocate from the system's malloc in a batch run; the pool's name.

    Arrow's default pool (mimalloc) keeps what a stage freed for later, so a run that
    builds large tables one after another holds each stage's memory: with the system
    allocator a 100,000-applicant `matcher run` peaks about a fifth lower and runs about a
    tenth faster (bench/README.md). Nothing changes when `ARROW_DEFAULT_MEMORY_POOL` is
    set, so an operator can choose otherwise. The `matcher` command calls it for every
    command (the workbench it serves included); a notebook keeps Arrow's default.
    """
    import pyarrow as pa

    if not os.environ.get(ARROW_POOL_VARIABLE):
        pa.set_memory_pool(pa.system_memory_pool())
    return pa.default_memory_pool().backend_name
