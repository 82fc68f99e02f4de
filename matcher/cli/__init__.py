"""The command line: thin wrappers over the library, exceptions turned into messages.

One module per group of commands (`round`: validate, run, explain, compare; `after`:
settle, forms, letters, backfill, centre; `serve`), all on the one Typer `app` of
`common`. Exit status (docs/contract.md): 0 success; 1 the input has errors; 2 wrong
usage, or the output cannot be written; 3 no solution or verification failed.
"""

from __future__ import annotations

import os

# The commands register on `app` when their module is imported; a round's come first in --help.
from matcher.cli import round  # noqa: F401

# isort: split
from matcher.api import PROCESSES_VARIABLE, batch_allocator
from matcher.cli import after, serve  # noqa: F401
from matcher.cli.common import app, exit_on_terminate, override_policy, spread_applicants

__all__ = ["app", "exit_on_terminate", "main", "override_policy", "spread_applicants"]


def main() -> None:
    """Entry point of the `matcher` console script.

    The command may solve a large round's larger track in a second process (its entry point
    is guarded, as a spawned interpreter needs): `MATCHER_PROCESSES=2` unless set. Arrow
    allocates from the system's malloc (`matcher.memory.batch_allocator`).
    """
    exit_on_terminate()
    os.environ.setdefault(PROCESSES_VARIABLE, "2")
    batch_allocator()
    app()
