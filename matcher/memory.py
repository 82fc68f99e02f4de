"""Memory habits for large rounds."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


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
