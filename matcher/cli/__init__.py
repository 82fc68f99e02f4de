"""The command line: thin wrappers over the library, exceptions turned into messages.

One module per group of commands (`round`: validate, run, explain, compare; `after`:
settle, forms, letters, backfill, centre; `serve`), all on the one Typer `app` of
`common`. Exit status (docs/contract.md): 0 success; 1 the input has errors; 2 wrong
usage, or the output cannot be written; 3 no solution or verification failed.

Importing this package loads none of them: `main` does, or the first use of a name of
`__all__`. So a large `run` can start the solver's second process before the library
loads (`start_solver`), and the new interpreter, which imports the command's script
again, finds this package light.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matcher import processes

__all__ = ["app", "exit_on_terminate", "main", "override_policy", "spread_applicants"]

#: From this many bytes of applicant files, `run` starts the solver's second process as
#: the command starts (about 30,000 rows of CSV; a workbook, compressed, holds more rows in
#: as many bytes): a round this large hands its larger track to that process once it is read
#: (`tracks.WARM_APPLICANTS`).
EARLY_SOLVER_BYTES = 10_000_000
_APPLICANT_OPTIONS = ("-a", "--applicants")
_SOLVER = "matcher.engine.solve.optimal"


def main() -> None:
    """Entry point of the `matcher` console script.

    The command may solve a large round's larger track in a second process (its entry point
    is guarded, as a spawned interpreter needs): `MATCHER_PROCESSES=2` unless set. Arrow
    allocates from the system's malloc (`matcher.memory.batch_allocator`).
    """
    os.environ.setdefault(processes.PROCESSES_VARIABLE, "2")
    start_solver(sys.argv[1:])
    _commands()
    from matcher.api import batch_allocator
    from matcher.cli.common import app, exit_on_terminate

    exit_on_terminate()
    batch_allocator()
    app()


def start_solver(argv: Sequence[str]) -> None:
    """Start the solver's second process now when `argv` is a large `run` under `optimal`.

    Large: the applicant files given (``-a``/``--applicants``; a folder's files counted)
    take `EARLY_SOLVER_BYTES` or more. Only a guess from the command line, made before
    anything is parsed or read: a round that turns out smaller leaves the process idle, and
    `run` lets it go after the solve (`matcher.processes`).
    """
    if not argv or argv[0] != "run" or "--help" in argv:
        return
    mechanism = _option(argv, ("--mechanism",))
    if mechanism and mechanism != ["optimal"]:
        return
    size = 0
    for given in _option(argv, _APPLICANT_OPTIONS):
        size += _bytes(Path(given))
    if size >= EARLY_SOLVER_BYTES:
        processes.start(_SOLVER)


def _option(argv: Sequence[str], names: Sequence[str]) -> list[str]:
    """The values given to the options `names` in `argv`.

    ``--applicants=X``, or every word after the option up to the next option (``-a X Y``:
    the applicant option takes several paths, as a shell glob gives them).
    """
    values: list[str] = []
    taking = False
    for word in argv:
        if word.startswith("-"):
            taking = word in names
            values += [word.partition("=")[2] for name in names if word.startswith(name + "=")]
        elif taking:
            values.append(word)
    return values


def _bytes(path: Path) -> int:
    """The size of file `path`, or of the files directly in folder `path` (0 if neither)."""
    try:
        if path.is_dir():
            return sum(entry.stat().st_size for entry in os.scandir(path) if entry.is_file())
        return path.stat().st_size
    except OSError:
        return 0


def _commands() -> None:
    """Register every command on `common.app` (they register as their module is imported)."""
    from matcher.cli import round  # noqa: F401  (a round's commands come first in --help)

    # isort: split
    from matcher.cli import after, serve  # noqa: F401


def __getattr__(name: str) -> Any:
    """The names of `__all__` other than `main`, from `common` once the commands load."""
    if name in __all__:
        _commands()
        from matcher.cli import common

        return getattr(common, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
