"""A large workbook's zip: xlsxwriter's frame with generated sheet rows spliced in.

Contract: `splice(frame, sheets, handle)` writes into `handle` the workbook `frame` (the
bytes xlsxwriter wrote: header rows, widths, filters, formats) with each generated sheet's
rows (`matcher.report.sheetrows`) after its header, as one zip. The parts' XML is what
xlsxwriter's constant_memory mode would write for the same cells; the container is
written by `stream_zip` (parts in the frame's order, the frame's dates and modes, each
part followed by a data descriptor, as Go's and Java's streaming zip writers do) and
deflated by ISA-L (`isal.isal_zlib`, level `DEFLATE_LEVEL`): at level 1 about four times
zlib's speed at level 1, and a smaller file (bench/README.md). The rows are built on the
calling thread while a second thread deflates and writes the blocks before them (ISA-L
and the file writes release the GIL).
"""

from __future__ import annotations

import io
import itertools
import queue
import re
import threading
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, BinaryIO

from isal import isal_zlib
from stream_zip import ZIP_32, ZIP_64, MemberFile, stream_zip

#: ISA-L's deflate level for every part (0–3).
DEFLATE_LEVEL = 1
#: Bytes of the zip handed to the file at a time.
WRITE_BYTES = 1 << 20
_DIMENSION = re.compile('<dimension ref="[A-Z0-9:]+"/>')
_PART_END = object()  # after one generated part's blocks
_DONE = object()  # after the last generated part


class _Abandoned(Exception):
    """The rows stopped before their part was complete (the caller raises why)."""


def splice(
    frame: bytes,
    sheets: Mapping[str, tuple[str, Iterator[str | memoryview]]],
    handle: BinaryIO,
    *,
    zip64: bool = False,
) -> None:
    """Write workbook `frame` into `handle` with generated rows in some sheets.

    `sheets`: zip part (``xl/worksheets/sheetN.xml``) → (the sheet's ``<dimension>``
    element, its rows' XML a block at a time, as text or UTF-8 bytes). The rows go after
    the frame's own rows (the header). `zip64`: give the generated parts Zip64 headers
    (needed above 4 GiB).
    """
    source = zipfile.ZipFile(io.BytesIO(frame))
    blocks: queue.Queue[Any] = queue.Queue(maxsize=2)
    members: list[MemberFile] = []
    generated: list[Iterator[bytes | memoryview]] = []
    for info in source.infolist():
        data = source.read(info)
        when, mode = datetime(*info.date_time), info.external_attr >> 16
        if info.filename not in sheets:
            members.append((info.filename, when, mode, ZIP_32, (data,)))
            continue
        dimension, rows = sheets[info.filename]
        head, end, tail = data.decode("utf-8").partition("</sheetData>")
        head, found = _DIMENSION.subn(dimension, head, count=1)
        if not end or not found:
            raise RuntimeError(f"unexpected worksheet frame in {info.filename}")
        members.append((info.filename, when, mode, ZIP_64 if zip64 else ZIP_32, _taken(blocks)))
        generated.append(_encoded(head, rows, end + tail))
    zipped = stream_zip(
        members, chunk_size=WRITE_BYTES, get_compressobj=_deflater, extended_timestamps=False
    )
    _write_through(handle, zipped, generated, blocks)


def _deflater() -> Any:
    return isal_zlib.compressobj(DEFLATE_LEVEL, isal_zlib.DEFLATED, -isal_zlib.MAX_WBITS)


def _encoded(
    head: str, rows: Iterator[str | memoryview], tail: str
) -> Iterator[bytes | memoryview]:
    yield head.encode("utf-8")
    for block in rows:
        yield block.encode("utf-8") if isinstance(block, str) else block
    yield tail.encode("utf-8")


def _taken(blocks: queue.Queue[Any]) -> Iterator[bytes]:
    """One generated part's blocks as bytes, as the calling thread puts them in `blocks`."""
    while (block := blocks.get()) is not _PART_END:
        if block is _DONE:
            raise _Abandoned
        yield block if isinstance(block, bytes) else bytes(block)


def _write_through(
    handle: BinaryIO,
    zipped: Iterable[bytes],
    generated: list[Iterator[bytes | memoryview]],
    blocks: queue.Queue[Any],
) -> None:
    """Write `zipped` to `handle` on a second thread while this one builds the rows.

    This thread puts each generated part's blocks in `blocks` (at most two wait), in the
    order of the parts, the end of each marked; the second thread takes them as
    `stream_zip` reaches the part. Whichever thread fails first stops both: the error of
    the rows, else of the writing, is raised here.
    """
    failure: list[BaseException] = []

    def drain() -> None:
        done = False  # `_DONE` taken
        try:
            for chunk in zipped:
                handle.write(chunk)
        except _Abandoned:
            done = True
        except BaseException as error:  # re-raised in the calling thread
            failure.append(error)
        while not done:  # let the calling thread finish putting
            done = blocks.get() is _DONE

    writer = threading.Thread(target=drain, name="xlsx-deflate", daemon=True)
    writer.start()
    marked = itertools.chain.from_iterable(
        itertools.chain(part, (_PART_END,)) for part in generated
    )
    try:
        for block in marked:
            if failure:
                break
            blocks.put(block)
    finally:
        blocks.put(_DONE)
        writer.join()
    if failure:
        raise failure[0]
