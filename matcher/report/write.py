"""Write every output of `matcher run` into an output folder, as one whole set, privately.

Files (see docs/contract.md "Outputs of run"): placements.csv, unmatched.csv,
placements.parquet, unmatched.parquet, placements.xlsx, notices.xlsx, notices/按培养单位.csv,
notices/按选派地区.csv (and, while there are few, notices/按培养单位/<host>.csv and
notices/按选派地区/<region>.csv), result.json, report.html, and the marker
``.matcher-set.json`` that `matcher.report.publish` writes last. The same `RunResult` always
gives byte-identical files.
"""

from __future__ import annotations

import functools
import io
import itertools
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from matcher.engine.result import RunResult
from matcher.memory import gc_paused
from matcher.report.csvout import write_csv
from matcher.report.data import ReportData, prepare
from matcher.report.funding import DEFAULT_MONTHS
from matcher.report.jsonout import result_json
from matcher.report.notices import (
    NOTICE_BY_HOST,
    NOTICE_BY_REGION,
    NoticeTable,
    notice_files,
    notice_tables,
)
from matcher.report.page import report_html
from matcher.report.parquet import write_parquet
from matcher.report.publish import OutputError, OutputExistsError, Publication, check_output
from matcher.report.spool import Spool, SpoolFile
from matcher.report.workbook import notices_book, placements_book

DIR_MODE = 0o700
#: Threads that render the streamed files (CSV, Parquet, workbooks) beside the calling one.
RENDER_THREADS = 2
#: The streamed files that take longest to render, longest first: they are handed to the
#: threads in this order, each as soon as it is rendered's (the others after them, in
#: `rendered`'s order), so that the longest does not wait for the short ones.
LONGEST_FIRST = ("placements.xlsx", "notices.xlsx", "placements.parquet", "placements.csv")
RUN = "run"
#: The files of a run's set, as earlier versions wrote them (without the marker).
RUN_FILES = frozenset(
    {"placements.csv", "unmatched.csv", "placements.xlsx", "notices.xlsx", "result.json"}
    | {"report.html"}
)
_NOTICE_LIST = re.compile(f"({NOTICE_BY_HOST}|{NOTICE_BY_REGION})/[^/]+\\.csv")

__all__ = ["OutputError", "OutputExistsError", "check_run_output", "write_outputs"]


def is_run_output(relative: str) -> bool:
    """Whether `relative` (POSIX, in an output folder) names a file of a run's set.

    Lists of hosts or regions that a later run no longer has count too, so that
    ``--force`` removes them.
    """
    return relative in RUN_FILES or _NOTICE_LIST.fullmatch(relative) is not None


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
    yield "placements.xlsx", Seekable(functools.partial(_save_placements, data))
    tables = notice_tables(data.trainees, data.summary["hosts"].keys(), data.region_order())
    yield "notices.xlsx", Seekable(functools.partial(_save_notices, data, tables))
    yield from notice_files(tables)
    yield "result.json", result_json(data.result, data.summary)
    yield "report.html", report_html(data)


def _save_placements(data: ReportData, handle: BinaryIO) -> None:
    placements_book(data).save(handle)  # the book is built on the thread that writes it


def _save_notices(
    data: ReportData, tables: tuple[NoticeTable, NoticeTable], handle: BinaryIO
) -> None:
    notices_book(data, tables=tables).save(handle)


def _mkdir(path: Path) -> None:
    if not path.is_dir():
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(path, DIR_MODE)


def _stage(staged: SpoolFile, content: Content) -> None:
    """Write `content` into the staged file `staged` and close it."""
    if isinstance(content, bytes):
        staged.write(content)
    elif isinstance(content, Seekable):
        staged.direct(content.write)
    else:
        content(cast(BinaryIO, staged))
    staged.close()


def _rank(relative: str) -> int:
    """Where a streamed file comes in `LONGEST_FIRST` (any other: after them)."""
    return LONGEST_FIRST.index(relative) if relative in LONGEST_FIRST else len(LONGEST_FIRST)


def _raise_failed(pending: Sequence[Future[None]]) -> None:
    """Raise the error of the first streamed file that failed so far (stop early)."""
    for future in pending:
        if future.done() and future.exception() is not None:
            future.result()


def check_run_output(
    out_dir: Path | str, *, force: bool = False, inputs: Iterable[Path | str] = ()
) -> Path:
    """Check, before any work, that `out_dir` may take a run's outputs; its absolute path.

    Raises `OutputError` as `write_outputs` would (see `matcher.report.publish`).
    """
    return check_output(out_dir, kind=RUN, force=force, inputs=inputs)


def write_outputs(
    result: RunResult,
    out_dir: Path | str,
    *,
    force: bool = False,
    months: int = DEFAULT_MONTHS,
    inputs: Iterable[Path | str] = (),
    extra: Callable[[ReportData], Iterator[tuple[str, Content]]] | None = None,
) -> list[Path]:
    """Write all outputs of `result` into `out_dir` as one whole set; the paths in order.

    Refuses (raises `OutputExistsError`) a file, or a non-empty `out_dir` unless `force`;
    refuses (raises `OutputError`) a folder that is or holds one of `inputs` or lies in one
    of them, the current folder and a mount point. Every file is written into a hidden
    sibling folder, which then replaces `out_dir` whole (`matcher.report.publish`): a kill
    at any moment leaves the old set or the new one. With `force`, the old set's files go
    (notification lists of hosts or regions no longer in the run too) and everything else
    in the folder is kept. Files get mode 0o600, folders 0o700; the last path is the
    marker. An `OSError` on the way becomes an `OutputError` that names the folder and
    says what to do (nothing is changed then). Raises
    `matcher.report.frames.ReportError` when the outcomes do not match the applicants
    (nothing is written then).
    `extra` gives more files of the set (e.g. a 补录's lists) from the same `ReportData`;
    they are published with the rest.
    """
    publication = Publication(out_dir, kind=RUN, force=force, inputs=inputs, legacy=is_run_output)
    # The files are rendered and staged a few at a time before the set is swapped in: a
    # large round never holds all its outputs in memory at once.
    with gc_paused():
        data = prepare(result, months)  # raises ReportError before anything is touched
        with publication:
            staging = publication.staging
            names: list[str] = []
            spool = Spool()  # files are written on its thread while the next one renders
            # The streamed files (CSV, Parquet, workbooks) are rendered on `RENDER_THREADS`
            # threads while this one makes the small ones: zlib, pyarrow and the file writes
            # release the GIL, so both cores work. Each file is still written by one thread
            # in order, so the bytes do not depend on the threads.
            streams = ThreadPoolExecutor(RENDER_THREADS, thread_name_prefix="render")
            pending: list[Future[None]] = []
            waiting: list[tuple[str, SpoolFile, Content]] = []  # streamed, not yet handed over
            ahead = list(LONGEST_FIRST)  # the longest files still to come

            def hand_over(everything: bool = False) -> None:
                # A waiting file goes as soon as no longer one is still to come; all of them
                # before a small file is made and at the end.
                waiting.sort(key=lambda w: _rank(w[0]))
                while waiting and (everything or not ahead or waiting[0][0] == ahead[0]):
                    relative, file, streamed = waiting.pop(0)
                    if relative in ahead:
                        ahead.remove(relative)
                    pending.append(streams.submit(_stage, file, streamed))

            try:
                more = extra(data) if extra is not None else iter(())
                for relative, content in itertools.chain(rendered(data), more):
                    path = staging.joinpath(*relative.split("/"))
                    for parent in reversed(path.relative_to(staging).parents):
                        _mkdir(staging / parent)
                    staged = spool.open(path)
                    names.append(relative)
                    if isinstance(content, bytes):
                        hand_over(everything=True)
                        _stage(staged, content)
                    else:
                        waiting.append((relative, staged, content))
                        hand_over()
                    del content
                    _raise_failed(pending)
                hand_over(everything=True)
                for future in pending:
                    future.result()
                streams.shutdown()
                spool.close()
            except BaseException:
                for future in pending:
                    future.cancel()
                streams.shutdown()
                spool.abandon()
                raise
            return publication.commit(names)
