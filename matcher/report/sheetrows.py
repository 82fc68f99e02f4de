"""The data rows of a large worksheet as XML, written into xlsxwriter's workbook.

Cell by cell, xlsxwriter's public API is the slow part of a large round's workbooks
(`bench/bench_workbook.py --compare`, figures in bench/README.md). So for a large book,
xlsxwriter writes each sheet's frame (header row, widths, filter, dropdowns, print
setup, formats) and this module writes the data rows: the XML xlsxwriter's
``constant_memory`` mode writes for the same cells (inline strings, the same escapes and
number format; tests/report/test_sheetrows.py checks it byte for byte), except that a
text shaped like ``<r>…</r>`` stays text, where xlsxwriter would pass it on as rich-text
markup unescaped (and a hostile one breaks the file). `splice` copies the frame's parts
into the final zip with public zipfile calls and streams each generated sheet in,
deflated on a second thread while the next rows are built.
"""

from __future__ import annotations

import io
import numbers
import queue
import re
import threading
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, BinaryIO

import pandas as pd

STRING_MAX = 32_767  # Excel's limit, in UTF-16 units (xlsxwriter truncates longer text)
#: zlib level of the generated sheet parts (the frame's parts keep zipfile's default).
ZIP_LEVEL = 3
_ESCAPE_LIKE = re.compile("(_x[0-9a-fA-F]{4}_)")  # a literal escape gets its "_" escaped
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_LEADING, _TRAILING = re.compile(r"^\s"), re.compile(r"\s$")
_DIMENSION = re.compile('<dimension ref="[A-Z0-9:]+"/>')


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # not a scalar
        return False


def truncated(text: str) -> str:
    """`text` cut to Excel's `STRING_MAX` UTF-16 units (never inside a character)."""
    if len(text) <= STRING_MAX // 2 or len(text.encode("utf-16-le", "surrogatepass")) <= 2 * (
        STRING_MAX
    ):
        return text
    length = 0
    for index, char in enumerate(text):
        length += 2 if ord(char) > 0xFFFF else 1
        if length > STRING_MAX:
            return text[:index]
    return text


def string_xml(text: str, style: str) -> str:
    """An inline string cell's XML after ``<c r="…"``: `style` is "" or `` s="N"``."""
    text = truncated(text)
    if "_x" in text:
        text = _ESCAPE_LIKE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    if "\ufffe" in text or "\uffff" in text:  # not characters in XML
        text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    preserve = ' xml:space="preserve"' if _LEADING.search(text) or _TRAILING.search(text) else ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'{style} t="inlineStr"><is><t{preserve}>{text}</t></is></c>'


def cell_value(value: Any, numeric: bool) -> str | int | float | None:
    """What a cell holds, as `matcher.report.xlsx` writes cells; None: no cell.

    Text as is, missing values skipped, booleans as 是/否, numbers as numbers where
    `numeric` (an int or a float), anything else as its `str`.
    """
    if type(value) is str:
        return value
    if _missing(value):
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if numeric and isinstance(value, numbers.Real):
        return value if isinstance(value, int) else float(value)
    return str(value)


def cell_text(value: str | int | float) -> str:
    """The text of a `cell_value` that sets its column's width."""
    return value if isinstance(value, str) else f"{value:,}"


def cell_xml(value: Any, numeric: bool, style: str) -> str | None:
    """A cell's XML after ``<c r="…"`` (see `cell_value`); None: no cell."""
    held = cell_value(value, numeric)
    if held is None:
        return None
    if isinstance(held, str):
        return string_xml(held, style)
    if held != held or held in (float("inf"), float("-inf")):
        raise TypeError("NAN/INF not supported in write_number()")
    return f"><v>{held:.16G}</v></c>"


def column_xml(
    letter: str, numbers: Sequence[str], values: Sequence[Any], numeric: bool, style: str
) -> list[str]:
    """A column's cells in a block: ``<c r="{letter}{row}"…</c>`` per value, or "" (none).

    `numbers` are the rows' numbers as text; each distinct text is converted once.
    """
    start = f'<c r="{letter}'
    kinds = {*map(type, values)}
    if kinds <= _TEXT_OR_NONE:  # the common case: texts (some missing), one check for all
        texts = values if _NONE not in kinds else [v for v in values if v is not None]
        if _plain(texts):
            text = f'"{style} t="inlineStr"><is><t>'
            return [
                f"{start}{r}{text}{v}</t></is></c>" if v is not None else ""
                for r, v in zip(numbers, values, strict=True)
            ]
    distinct = list({v for v in values if type(v) is str})
    inline = f'{style} t="inlineStr"><is><t>'
    # texts only (1, 1.0 and True are equal keys); plain ones all at once
    cache = {v: f"{inline}{v}</t></is></c>" for v in distinct} if _plain(distinct) else {}
    cells: list[str | None] = []
    for value in values:
        kind = type(value)
        if kind is bool:  # as `cell_value`: 是/否
            value, kind = ("是" if value else "否"), str
        if kind is str:
            cell = cache.get(value)
            if cell is None:
                cell = cache[value] = string_xml(value, style)
            cells.append(cell)
        elif value is None:
            cells.append(None)
        elif kind is int and numeric and -(10**15) < value < 10**15:  # str() is ".16G"
            cells.append(f"><v>{value}</v></c>")
        elif kind is float and numeric and value == value and abs(value) != _INF:
            cells.append(f"><v>{value:.16G}</v></c>")
        else:
            cells.append(cell_xml(value, numeric, style))
    return [f'{start}{r}"{c}' if c is not None else "" for r, c in zip(numbers, cells, strict=True)]


_NONE = type(None)
_TEXT_OR_NONE = frozenset({str, _NONE})
_INF = float("inf")
_JOIN = "\ue000"  # a private-use character: joins texts for one check
#: What `string_xml` changes in a text, checked apart (one pattern each scans fastest):
#: a character it escapes, a literal escape, and (on either side of a `_JOIN`) a leading
#: or trailing space, found as a space after a `_JOIN` in the text and in it reversed.
_SPECIAL = re.compile(r"[\x00-\x08\x0b-\x1f&<>\ufffe\uffff]")
_SPACE_AFTER_JOIN = re.compile(r"\ue000\s")


def _plain(texts: Sequence[str]) -> bool:
    """Whether `string_xml` leaves every one of `texts` as it is (one check for all)."""
    if not texts:
        return True
    if max(map(len, texts)) > STRING_MAX // 2:
        return False
    joined = _JOIN + _JOIN.join(texts) + _JOIN
    return not (
        _SPECIAL.search(joined)
        or ("_x" in joined and _ESCAPE_LIKE.search(joined))
        or _SPACE_AFTER_JOIN.search(joined)
        or _SPACE_AFTER_JOIN.search(joined[::-1])
    )


def row_numbers(first_row: int, count: int) -> list[str]:
    """The numbers of `count` rows from sheet row `first_row` (1-based), as text."""
    return [str(first_row + i) for i in range(count)]


def rows_xml(numbers: Sequence[str], columns: Sequence[Sequence[str]]) -> str:
    """``<row>`` elements of a block from its `column_xml` columns.

    A row without cells is left out, as xlsxwriter leaves it out.
    """
    bodies = map("".join, zip(*columns, strict=True))
    rows = zip(numbers, bodies, strict=False)  # `bodies` is as long as `numbers`
    return "".join(f'<row r="{r}">{body}</row>' for r, body in rows if body)


def splice(
    frame: bytes,
    sheets: Mapping[str, tuple[str, Iterator[str]]],
    handle: BinaryIO,
    *,
    zip64: bool = False,
) -> None:
    """Write workbook `frame` into `handle` with generated rows in some sheets.

    `sheets`: zip part (``xl/worksheets/sheetN.xml``) → (the sheet's ``<dimension>``
    element, its rows' XML a block at a time). The rows go after the frame's own rows
    (the header). `zip64`: give the generated parts Zip64 headers (needed above 2 GiB).
    """
    source = zipfile.ZipFile(io.BytesIO(frame))
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename not in sheets:
                part = zipfile.ZipInfo(info.filename, info.date_time)
                part.compress_type = zipfile.ZIP_DEFLATED
                part.external_attr = info.external_attr
                target.writestr(part, data, compresslevel=6)
                continue
            dimension, rows = sheets[info.filename]
            head, end, tail = data.decode("utf-8").partition("</sheetData>")
            head, found = _DIMENSION.subn(dimension, head, count=1)
            if not end or not found:
                raise RuntimeError(f"unexpected worksheet frame in {info.filename}")
            with target.open(info.filename, "w", force_zip64=zip64) as member:
                _write_through(member, _encoded(head, rows, end + tail))


def _encoded(head: str, rows: Iterator[str], tail: str) -> Iterator[bytes]:
    yield head.encode("utf-8")
    for block in rows:
        yield block.encode("utf-8")
    yield tail.encode("utf-8")


def _write_through(handle: Any, chunks: Iterator[bytes]) -> None:
    """Write `chunks` to `handle` from a second thread (zlib releases the GIL).

    The next block's XML is built while the previous one is deflated; at most two
    blocks wait in between.
    """
    pending: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
    failure: list[BaseException] = []

    def drain() -> None:
        while (chunk := pending.get()) is not None:
            if not failure:
                try:
                    handle.write(chunk)
                except BaseException as error:  # re-raised in the calling thread
                    failure.append(error)

    writer = threading.Thread(target=drain, name="xlsx-deflate", daemon=True)
    writer.start()
    try:
        for chunk in chunks:
            if failure:
                break
            pending.put(chunk)
    finally:
        pending.put(None)
        writer.join()
    if failure:
        raise failure[0]
