"""Write every output of `matcher run` into an output folder, atomically and privately.

Files (see ../shared/CONTRACT.md "Outputs of run"): placements.csv, unmatched.csv,
placements.parquet, unmatched.parquet, placements.xlsx, notices.xlsx, notices/按培养单位.csv,
notices/按选派地区.csv (and, while there are few, notices/按培养单位/<host>.csv and
notices/按选派地区/<region>.csv), result.json, report.html. The same `RunResult` always gives
byte-identical files.
"""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from matcher.memory import gc_paused
from matcher.report.csvout import write_csv
from matcher.report.data import ReportData, prepare
from matcher.report.funding import DEFAULT_MONTHS
from matcher.report.jsonout import result_json
from matcher.report.notices import NOTICE_BY_HOST, NOTICE_BY_REGION, notice_files, notice_tables
from matcher.report.page import report_html
from matcher.report.parquet import write_parquet
from matcher.report.spool import Spool
from matcher.report.workbook import notices_book, placements_book
from matcher.result import RunResult

DIR_MODE = 0o700


class OutputExistsError(FileExistsError):
    """The output folder is not empty and `force` was not given."""


@dataclass(frozen=True)
class Seekable:
    """Content that needs a seekable file (a zip): written into it on the calling thread."""

    write: Callable[[BinaryIO], None]


#: A file's content: its bytes, a function that writes them to a binary handle (which
#: only takes `write`), or one that needs a seekable file.
Content = bytes | Callable[[BinaryIO], None] | Seekable


def render(data: ReportData) -> dict[str, bytes]:
    """Relative path (POSIX) → bytes of every output, in a fixed order."""
    return {relative: _bytes(content) for relative, content in rendered(data)}


def _bytes(content: Content) -> bytes:
    if isinstance(content, bytes):
        return content
    buffer = io.BytesIO()
    (content.write if isinstance(content, Seekable) else content)(buffer)
    return buffer.getvalue()


def rendered(data: ReportData) -> Iterator[tuple[str, Content]]:
    """(relative path, content) of every output in `render`'s order, one file at a time.

    The two large CSVs and the workbooks are written straight into their file (never
    whole in memory).
    """
    yield "placements.csv", functools.partial(write_csv, data.placements)
    yield "unmatched.csv", functools.partial(write_csv, data.unmatched)
    yield "placements.parquet", Seekable(functools.partial(write_parquet, data.placements))
    yield "unmatched.parquet", Seekable(functools.partial(write_parquet, data.unmatched))
    yield "placements.xlsx", Seekable(placements_book(data).save)
    tables = notice_tables(data.trainees, data.summary["hosts"].keys(), data.region_order())
    yield "notices.xlsx", Seekable(notices_book(data, tables=tables).save)
    yield from notice_files(tables)
    yield "result.json", result_json(data.result, data.summary)
    yield "report.html", report_html(data)


def _mkdir(path: Path) -> None:
    if not path.is_dir():
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(path, DIR_MODE)


def _stage(spool: Spool, path: Path, content: Content) -> Path:
    """Hand `content` to `spool` for a private temporary file beside `path`; its path."""
    staged = spool.open(path)
    if isinstance(content, bytes):
        staged.write(content)
    elif isinstance(content, Seekable):
        staged.direct(content.write)
    else:
        content(cast(BinaryIO, staged))
    staged.close()
    return staged.temporary


def _remove_stale_notices(out_dir: Path, files: Collection[str]) -> None:
    for folder in (NOTICE_BY_HOST, NOTICE_BY_REGION):
        directory = out_dir / folder
        if directory.is_dir():
            for old in directory.glob("*.csv"):
                if f"{folder}/{old.name}" not in files:
                    old.unlink()


def write_outputs(
    result: RunResult, out_dir: Path, *, force: bool = False, months: int = DEFAULT_MONTHS
) -> list[Path]:
    """Write all outputs of `result` into `out_dir`; return the written paths in order.

    Refuses a non-empty `out_dir` (raises `OutputExistsError`) unless `force`; with
    `force`, files are replaced and notification lists of hosts or regions no longer in
    the run are removed (nothing else is). Each file is written to a temporary name in
    its folder and moved into place with `os.replace`; files get mode 0o600, folders
    created here 0o700. Raises `matcher.report.tables.ReportError` when the outcomes do
    not match the applicants (nothing is written then).
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputExistsError(f"{out_dir} exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise OutputExistsError(f"{out_dir} is not empty (use --force to overwrite)")
    # Every file is rendered and staged under a temporary name before any is moved into
    # place, one at a time: a large round never holds all its outputs in memory at once.
    with gc_paused():
        data = prepare(result, months)  # raises ReportError before anything is touched
        _mkdir(out_dir)
        staged: list[tuple[str, Path, Path]] = []
        spool = Spool()  # files are written on its thread while the next one renders
        try:
            for relative, content in rendered(data):
                path = out_dir.joinpath(*relative.split("/"))
                for parent in reversed(path.relative_to(out_dir).parents):
                    _mkdir(out_dir / parent)
                staged.append((relative, path, _stage(spool, path, content)))
                del content
            spool.close()
        except BaseException:
            spool.abandon()
            raise
    written: list[Path] = []
    for _, path, temporary in staged:
        os.replace(temporary, path)
        written.append(path)
    files = {relative for relative, _, _ in staged}
    if force:
        _remove_stale_notices(out_dir, files)
    return written
