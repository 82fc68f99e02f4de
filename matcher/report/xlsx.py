"""A thin, safe layer over xlsxwriter for the department's workbooks.

Every workbook is written in memory with ``strings_to_formulas``, ``strings_to_numbers``
and ``strings_to_urls`` off, every text through ``write_string`` (so no cell can hold a
live formula) and a fixed creation date (same input → same bytes). Each table gets its
header in row 1, a frozen header row, an autofilter, column widths from the text (wide
CJK characters count double), optional 是/否 dropdowns, and is split across sheets
``名称``, ``名称(2)``… when it has more data rows than a sheet holds.

In a book of `FAST_BOOK_ROWS` rows or more (``Book(..., fast=True)``) every table whose
rows can be read a column at a time (`ColumnSource`), with a column-wise getter for every
column (`Column.many`), takes a faster route to the same cells: xlsxwriter writes the
sheet's frame (header, widths, filter, dropdowns, print setup, the text format), and the
data rows' XML is generated here, a block of rows at a time, one string build per row,
and streamed into that sheet's part when the zip is assembled (a second thread hands the
blocks to zipfile, which deflates them on worker threads: `matcher.report.deflate`). The
generated XML is what xlsxwriter's constant-memory mode writes for the same cells (inline
strings, text escaped as xlsxwriter escapes it), except that a text shaped like
``<r>…</r>`` stays text (xlsxwriter would take it as rich-text markup).
"""

from __future__ import annotations

import functools
import io
import numbers
import queue
import re
import sys
import threading
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO, Protocol, runtime_checkable

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import _utf16_len, _utf16_truncate, xl_col_to_name
from xlsxwriter.worksheet import Worksheet, _preserve_whitespace
from xlsxwriter.xmlwriter import XMLwriter

from matcher.report.deflate import parallel_member
from matcher.report.naming import SHEET_NAME_MAX, display_width, utf16_prefix

EXCEL_MAX_DATA_ROWS = 1_048_575  # 1,048,576 rows minus the header
#: From this many rows in a book, `Book(..., large=True)`: rows are streamed to disk.
LARGE_BOOK_ROWS = 200_000
#: From this many rows in a book, `Book(..., fast=True)`: rows' XML generated here.
FAST_BOOK_ROWS = 1_000
#: Rows generated (and compressed) at a time on the fast route.
FAST_BLOCK_ROWS = 10_000
#: zlib level of the fast route's sheet parts (3: about twice as fast as the default 6,
#: parts ~20 % larger; the other parts keep xlsxwriter's default).
ZIP_LEVEL = 3
YES_NO = ["是", "否"]
MAX_WIDTH = 60
MIN_WIDTH = 6
STRING_MAX = 32_767  # Excel's limit, in UTF-16 units (xlsxwriter truncates longer text)
NUMBER_MAX = 2**53  # integers up to this print the same with str() as xlsxwriter's ".16G"


@runtime_checkable
class ColumnSource(Protocol):
    """Rows that can also be read a column at a time (see `workbook.Records`)."""

    def __len__(self) -> int: ...

    def column(self, key: str, start: int, stop: int) -> Sequence[Any]:
        """The values of field `key` in rows ``start:stop`` (``row[key]`` for each)."""
        ...


#: A column's values for rows ``start:stop`` of a `ColumnSource`, read column-wise.
Many = Callable[[ColumnSource, int, int], Sequence[Any]]


@dataclass(frozen=True)
class Column:
    """One column of a sheet: header, how to get the value from a row, and its kind.

    `kind`: "text" (default), "id" (text format ``@``, e.g. ID and phone numbers) or
    "yesno" (text with a 是/否 dropdown for staff to edit). `many`, when given, gets the
    same values as `get` for a block of rows at once (``many(rows, a, b)[i] ==
    get(rows[a + i])``): it lets a large sheet take the fast route.
    """

    header: str
    get: Callable[[Mapping[str, Any]], Any]
    kind: str = "text"
    many: Many | None = None


def clean(value: Any) -> Any:
    """None for missing values (None, NaN, pandas NA), else `value`."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


class Book:
    """A workbook being built in memory; `close()` returns its bytes.

    With ``large=True`` (for books of `LARGE_BOOK_ROWS` rows or more) xlsxwriter's
    constant-memory mode writes each finished row to a temporary file; the cells are then
    inline strings rather than a shared-string table (the same content, other bytes).
    With ``fast=True`` tables take the fast route (see the module docstring) where they
    can; their cells are inline strings too.
    """

    def __init__(
        self,
        created: datetime,
        max_rows: int = EXCEL_MAX_DATA_ROWS,
        *,
        large: bool = False,
        fast: bool = False,
    ) -> None:
        self._buffer = io.BytesIO()
        self.workbook = xlsxwriter.Workbook(
            self._buffer,
            {
                # A large book streams each row to a temporary file as it is written
                # (cells as inline strings) instead of holding every cell in memory.
                "in_memory": not large,
                "constant_memory": large,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        self.workbook.set_properties({"created": created, "author": "matcher"})
        self.max_rows = max(1, max_rows)
        self.fast = fast
        self.notes: list[str] = []
        self.header = self.workbook.add_format(
            {
                "bold": True,
                "bg_color": "#DDEBF7",
                "border": 1,
                "text_wrap": True,
                "valign": "vcenter",
            }
        )
        self.text = self.workbook.add_format({"num_format": "@"})
        self.sheet_names: list[str] = []
        self._fast: dict[str, _FastSheet] = {}  # zip part name → rows to generate

    def table(
        self, name: str, columns: Sequence[Column], rows: Sequence[Mapping[str, Any]]
    ) -> list[str]:
        """Write `rows` under `columns` to sheet `name` (split when too long); sheet names."""
        chunks = [rows[i : i + self.max_rows] for i in range(0, len(rows), self.max_rows)] or [[]]
        names = [
            name if k == 0 else f"{utf16_prefix(name, SHEET_NAME_MAX - 4)}({k + 1})"
            for k in range(len(chunks))
        ]
        for sheet_name, chunk in zip(names, chunks, strict=True):
            self._sheet(sheet_name, columns, chunk)
        if len(chunks) > 1:
            self.notes.append(
                f"“{name}”共{len(rows)}行，超过单个工作表的行数上限（{self.max_rows}行），"
                f"已依次分在工作表：{'、'.join(names)}。"
            )
        return names

    def _sheet(
        self, name: str, columns: Sequence[Column], rows: Sequence[Mapping[str, Any]]
    ) -> None:
        sheet = self.workbook.add_worksheet(name)
        self.sheet_names.append(name)
        widths = [display_width(c.header) for c in columns]
        for col, column in enumerate(columns):
            sheet.write_string(0, col, column.header, self.header)
        if (
            self.fast
            and rows
            and isinstance(rows, ColumnSource)
            and columns
            and all(c.many is not None for c in columns)
        ):
            fast = _FastSheet(columns, rows)
            widths = fast.measure(widths)
            self._fast[f"xl/worksheets/sheet{sheet.index + 1}.xml"] = fast
        else:
            self._cells(sheet, columns, rows, widths)
        last = max(len(rows), 1)
        for col, column in enumerate(columns):
            width = min(max(widths[col] + 2, MIN_WIDTH), MAX_WIDTH)
            sheet.set_column(col, col, width, self.text if column.kind == "id" else None)
            if column.kind == "yesno":
                sheet.data_validation(
                    1,
                    col,
                    last,
                    col,
                    {
                        "validate": "list",
                        "source": YES_NO,
                        "error_title": "请选择",
                        "error_message": "请从下拉列表中选择“是”或“否”。",
                    },
                )
        sheet.freeze_panes(1, 0)
        sheet.set_landscape()  # printing: A4 landscape, one page wide, header on every page
        sheet.set_paper(9)
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(0)
        sheet.autofilter(0, 0, len(rows), max(len(columns) - 1, 0))

    def _cells(
        self,
        sheet: Worksheet,
        columns: Sequence[Column],
        rows: Sequence[Mapping[str, Any]],
        widths: list[int],
    ) -> None:
        """Write the data rows cell by cell through xlsxwriter; widen `widths` in place."""
        # The private writers are what `write_string`/`write_number` call after parsing
        # A1-style arguments, which integer row/column indices never need.
        write_string, write_number = sheet._write_string, sheet._write_number
        plan = [
            (col, column.get, self.text if column.kind == "id" else None, column.kind != "id")
            for col, column in enumerate(columns)
        ]
        for r, row in enumerate(rows, start=1):
            for col, get, fmt, numeric in plan:
                value = get(row)
                if type(value) is str:  # the common case: text, never missing
                    text = value
                    write_string(r, col, text, fmt)
                else:
                    value = clean(value)
                    if value is None:
                        continue
                    if isinstance(value, bool):
                        value = "是" if value else "否"
                    if numeric and isinstance(value, numbers.Real):
                        write_number(r, col, float(value) if not isinstance(value, int) else value)
                        text = f"{value:,}"
                    else:
                        text = str(value)
                        write_string(r, col, text, fmt)
                # A column's width only grows while under MAX_WIDTH - 2, and a text is at
                # most 2 columns per character wide: skip what cannot widen it.
                width = widths[col]
                if width < MAX_WIDTH - 2 and 2 * len(text) > width:
                    widths[col] = max(width, display_width(text))

    def note_sheet(self, name: str, lines: Sequence[str]) -> None:
        """Add a one-column sheet with `lines` (and any split notes) under a header."""
        rows = [{"说明": line} for line in [*lines, *self.notes]]
        self._sheet(name, [Column("说明", lambda r: r["说明"])], rows)

    def close(self) -> bytes:
        """Finish the workbook and return its bytes."""
        buffer = io.BytesIO()
        self.save(buffer)
        return buffer.getvalue()

    def save(self, handle: BinaryIO) -> None:
        """Finish the workbook and write it into `handle` (a seekable binary file).

        A large book goes straight into its file: never whole in memory as bytes.
        """
        self.workbook.close()
        frame = self._buffer.getvalue()
        if not self._fast:
            handle.write(frame)
            return
        text_style = self.text.xf_index
        _assemble(frame, self._fast, "" if text_style is None else f' s="{text_style}"', handle)


# --- The fast route ------------------------------------------------------------------

_ESCAPE_LIKE = re.compile("_x[0-9a-fA-F]{4}_")  # xlsxwriter escapes these too
_SEP = "\ue000"  # joins texts for `str.isascii` (a private-use character)
_XML = XMLwriter()
_DIMENSION = re.compile('<dimension ref="[A-Z0-9:]+"/>')


def _string_tail(text: str, style: str) -> str:
    """A string cell after its ``r`` attribute, as xlsxwriter's constant-memory mode."""
    if len(text) > STRING_MAX // 2 and _utf16_len(text) > STRING_MAX:
        text = _utf16_truncate(text, STRING_MAX)
    text = _XML._escape_control_characters(text)
    preserve = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
    return f'{style} t="inlineStr"><is><t{preserve}>{_XML._escape_data(text)}</t></is></c>'


def _cell(value: Any, numeric: bool, style: str) -> tuple[str, str] | None:
    """(cell XML after ``<c r="..."``, its text for the width) of `value`; None: no cell.

    The same decisions as `Book._cells`: text as is, missing values skipped, booleans as
    是/否, numbers as numbers (except in "id" columns), anything else as its `str`.
    """
    if type(value) is str:
        return _string_tail(value, style), value
    value = clean(value)
    if value is None:
        return None
    if isinstance(value, bool):
        value = "是" if value else "否"
    if numeric and isinstance(value, numbers.Real):
        number = float(value) if not isinstance(value, int) else value
        if number != number or number in (float("inf"), float("-inf")):
            raise TypeError("NAN/INF not supported in write_number()")
        return f"><v>{number:.16G}</v></c>", f"{value:,}"
    text = str(value)
    return _string_tail(text, style), text


@dataclass
class _Block:
    """One column's cells in a block of rows.

    `mode`: "text" (every value a clean string, written as is), "int" (every value a
    small integer), "tail" (every cell present: `values` hold the XML after ``r``),
    "sparse" (some cells missing: `values` hold that XML or None) or "none" (no cell).
    `texts`: the texts that may set the width; `last`: index of the last cell, or -1.
    """

    mode: str
    values: Sequence[Any]
    texts: Sequence[str]
    last: int


_WIDE, _ESCAPED, _SPACE = 1, 2, 4  # flags of a character (see `_char_flags`)


@functools.cache
def _char_flags() -> np.ndarray:
    """Flags of every character of the BMP: wide (CJK), escaped in XML, whitespace."""
    flags = [
        (_WIDE if unicodedata.east_asian_width(ch) in "WF" else 0)
        | (_SPACE if ch.isspace() else 0)
        | (_ESCAPED if ch in "&<>\ufffe\uffff" or (ch < " " and ch not in "\t\n") else 0)
        for ch in map(chr, range(0x10000))
    ]
    return np.array(flags, dtype=np.uint8)


#: From this many texts `_scan` looks at each distinct text once when most repeat.
_DISTINCT_FROM = 64


def _scan(texts: Sequence[str]) -> tuple[int, bool]:
    """(the largest `display_width` of `texts`, whether all go into the XML as they are).

    Clean texts (see `_string_tail`) have no character XML escapes or xlsxwriter turns
    into ``_xHHHH_``, no ``_xHHHH_`` lookalike, no whitespace at either end (which would
    need ``xml:space``) and fit Excel's length limit.
    """
    if not texts:
        return 0, True
    if len(texts) >= _DISTINCT_FROM:
        distinct = list(dict.fromkeys(texts))  # both answers depend on the values only
        if 2 * len(distinct) <= len(texts):
            texts = distinct
    joined = "".join(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    ends = np.cumsum(lengths)
    if joined.isascii():
        flags = _char_flags()[np.frombuffer(joined.encode("ascii"), dtype=np.uint8)]
        widest = int(lengths.max())
    else:
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
        flags = _char_flags()[np.minimum(codes, 0xFFFF)]
        for i in np.flatnonzero(codes > 0xFFFF):  # beyond the BMP: rare; never whitespace
            wide = unicodedata.east_asian_width(chr(int(codes[i]))) in "WF"
            flags[i] = _WIDE if wide else 0
        wide_so_far = np.concatenate(([0], np.cumsum(flags & _WIDE, dtype=np.int64)))
        widest = int((lengths + wide_so_far[ends] - wide_so_far[ends - lengths]).max())
    filled = lengths > 0
    space = (flags & _SPACE) != 0
    clean = not (
        (flags & _ESCAPED).any()
        or ("_x" in joined and _ESCAPE_LIKE.search(joined))
        or space[(ends - lengths)[filled]].any()
        or space[ends[filled] - 1].any()
        or int(lengths.max()) > STRING_MAX // 2
    )
    return widest, clean


def _block(
    values: Sequence[Any],
    numeric: bool,
    style: str,
    *,
    clean: bool | None = None,
    kind: str | None = None,
) -> _Block:
    """Classify one column's `values` in a block (see `_Block`).

    `clean`: whether its texts are known to be clean (from `_scan`); None: not checked
    (then they are taken as they are: for `_Block.texts` only, not for XML). `kind`:
    ``infer_dtype(values)`` when known.
    """
    n = len(values)
    if kind is None:
        kind = pd.api.types.infer_dtype(values, skipna=False)
    if kind == "string" and clean is not False:
        return _Block("text", values, values, n - 1)
    if kind == "integer" and numeric:  # Python or numpy integers, no bool, none missing
        low, high = min(values), max(values)
        if -NUMBER_MAX <= low and high <= NUMBER_MAX:
            return _Block("int", values, [f"{low:,}", f"{high:,}"], n - 1)
    cache: dict[Any, tuple[str, str] | None] = {}
    cells: list[tuple[str, str] | None] = []
    for value in values:
        try:
            cell = cache[value]
        except KeyError:
            cell = cache[value] = _cell(value, numeric, style)
        except TypeError:  # unhashable
            cell = _cell(value, numeric, style)
        cells.append(cell)
    present = [i for i, c in enumerate(cells) if c is not None]
    texts = [c[1] for c in cells if c is not None]
    if not present:
        return _Block("none", [], [], -1)
    if len(present) == n:
        return _Block("tail", [c[0] for c in cells if c is not None], texts, n - 1)
    return _Block("sparse", [c[0] if c is not None else None for c in cells], texts, present[-1])


_KIND_OF_MODE = {"text": "string", "int": "integer"}


def _widen(width: int, texts: Sequence[str]) -> int:
    """`width` widened to the widest of `texts` (as `Book._cells` would; capped)."""
    if width >= MAX_WIDTH - 2 or not texts:
        return width
    lengths = list(map(len, texts))
    if 2 * max(lengths) <= width:
        return width
    if _SEP.join(texts).isascii():
        return max(width, max(lengths))
    candidates = {t for t, n in zip(texts, lengths, strict=True) if 2 * n > width}
    for text in sorted(candidates, key=len, reverse=True):
        if 2 * len(text) <= width or width >= MAX_WIDTH - 2:
            break
        width = max(width, display_width(text))
    return width


class _FastSheet:
    """A sheet's data rows, generated as XML a block at a time (see the module docstring)."""

    def __init__(self, columns: Sequence[Column], rows: ColumnSource) -> None:
        self.columns = list(columns)
        self.rows = rows
        self.letters = [xl_col_to_name(i) for i in range(len(columns))]
        self.last_row = 1  # 1-based sheet row of the last row with a cell (the header: 1)
        # (block start, column) → (texts clean, mode) as `measure` found them
        self.seen: dict[tuple[int, int], tuple[bool, str]] = {}

    def dimension(self) -> str:
        """The sheet's ``<dimension>`` element, as xlsxwriter writes it for these cells."""
        last = self.letters[-1]
        ref = "A1" if self.last_row == 1 and last == "A" else f"A1:{last}{self.last_row}"
        return f'<dimension ref="{ref}"/>'

    def _blocks(self, style: str, *, xml: bool) -> Iterator[tuple[int, list[_Block]]]:
        for start in range(0, len(self.rows), FAST_BLOCK_ROWS):
            stop = min(start + FAST_BLOCK_ROWS, len(self.rows))
            blocks = []
            for col, c in enumerate(self.columns):
                values = c.many(self.rows, start, stop)  # type: ignore[misc]
                if len(values) != stop - start:
                    raise ValueError(
                        f"column {c.header!r}: {len(values)} values for {stop - start} rows"
                    )
                numeric, own = c.kind != "id", style if c.kind == "id" else ""
                if xml:  # as measured: the texts' check and the values' kind
                    clean, mode = self.seen[start, col]
                    kind = _KIND_OF_MODE.get(mode)
                    blocks.append(_block(values, numeric, own, clean=clean, kind=kind))
                else:
                    blocks.append(_block(values, numeric, own))
            yield start, blocks

    def measure(self, widths: list[int]) -> list[int]:
        """Column widths grown by every cell's text; also finds the last row with a cell.

        Notes which blocks of text are clean (see `_scan`) for `xml`.
        """
        widths = list(widths)
        for start, blocks in self._blocks("", xml=False):
            for col, block in enumerate(blocks):
                clean = False
                if block.mode == "text":
                    widest, clean = _scan(block.texts)
                    widths[col] = max(widths[col], widest)
                else:
                    widths[col] = _widen(widths[col], block.texts)
                self.seen[start, col] = (clean, block.mode)
                if block.last >= 0:
                    self.last_row = max(self.last_row, start + block.last + 2)
        return widths

    def xml(self, style: str) -> Iterator[str]:
        """The rows' XML (``<row>`` elements), a block of rows at a time."""
        for start, blocks in self._blocks(style, xml=True):
            numbers = list(map(str, range(start + 2, start + 2 + len(blocks[0].values))))
            modes = tuple(
                (b.mode, style if c.kind == "id" else "")
                for b, c in zip(blocks, self.columns, strict=True)
            )
            args: list[Sequence[Any]] = [numbers]
            for letter, block in zip(self.letters, blocks, strict=True):
                if block.mode == "sparse":
                    args.append(
                        [
                            f'<c r="{letter}{r}"{v}' if v is not None else ""
                            for r, v in zip(numbers, block.values, strict=True)
                        ]
                    )
                elif block.mode != "none":
                    args.append(block.values)
            yield "".join(_renderer(tuple(self.letters), modes)(*args))


_RENDERERS: dict[tuple[Any, ...], Callable[..., list[str]]] = {}


def _renderer(
    letters: tuple[str, ...], modes: tuple[tuple[str, str], ...]
) -> Callable[..., list[str]]:
    """A function of (row numbers, one sequence per column with cells) → the rows' XML.

    Built from an f-string so that a row costs one string build. Only fixed markup,
    column letters and style numbers go into its source; cell values are arguments.
    """
    key = (letters, modes)
    if key in _RENDERERS:
        return _RENDERERS[key]
    names = ["r_"]
    parts = ['<row r="{r_}">']
    for j, (letter, (mode, style)) in enumerate(zip(letters, modes, strict=True)):
        if mode == "none":
            continue
        v = f"v{j}_"
        names.append(v)
        if mode == "text":
            parts.append(f'<c r="{letter}{{r_}}"{style} t="inlineStr"><is><t>{{{v}}}</t></is></c>')
        elif mode == "int":
            parts.append(f'<c r="{letter}{{r_}}"><v>{{{v}}}</v></c>')
        elif mode == "tail":
            parts.append(f'<c r="{letter}{{r_}}"{{{v}}}')
        else:  # sparse: whole cells or ""
            parts.append(f"{{{v}}}")
    parts.append("</row>")
    template = "".join(parts)
    if not re.fullmatch(r'[<>/="A-Za-z0-9_{} :]*', template):
        raise ValueError(f"unexpected markup in a row template: {template!r}")
    source = f"lambda *columns: [f'{template}' for {', '.join(names)} in zip(*columns)]"
    render: Callable[..., list[str]] = eval(source, {})  # fixed markup only (checked above)
    _RENDERERS[key] = render
    return render


def _assemble(
    frame: bytes, fast: Mapping[str, _FastSheet], text_style: str, handle: BinaryIO
) -> None:
    """Write the workbook `frame` (xlsxwriter's) with the `fast` sheets' rows put in."""
    start = handle.tell()
    try:
        _zip(frame, fast, text_style, set(), handle)
    except _TooLarge as large:  # a part over 2 GB: written again with Zip64 extensions
        handle.seek(start)
        handle.truncate()
        _zip(frame, fast, text_style, {large.part}, handle)


class _TooLarge(Exception):
    def __init__(self, part: str) -> None:
        super().__init__(part)
        self.part = part


def _zip(
    frame: bytes,
    fast: Mapping[str, _FastSheet],
    text_style: str,
    zip64: set[str],
    out: BinaryIO,
) -> None:
    source = zipfile.ZipFile(io.BytesIO(frame))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = zipfile.ZipInfo(info.filename, info.date_time)
            part.compress_type = zipfile.ZIP_DEFLATED
            part.external_attr = info.external_attr
            part.create_system = info.create_system
            data = source.read(info)
            sheet = fast.get(info.filename)
            if sheet is None:
                target.writestr(part, data)
                continue
            parts = data.decode("utf-8").split("</sheetData>")
            head, found = _DIMENSION.subn(sheet.dimension(), parts[0], count=1)
            if len(parts) != 2 or not found:
                raise RuntimeError(f"unexpected worksheet frame in {info.filename}")
            # ZipInfo's level: "_compresslevel" before Python 3.13, "compress_level" since.
            level = "compress_level" if sys.version_info >= (3, 13) else "_compresslevel"
            setattr(part, level, ZIP_LEVEL)
            try:
                with target.open(part, "w", force_zip64=info.filename in zip64) as handle:
                    chunks = _encoded(head, sheet.xml(text_style), parts[1])
                    if len(sheet.rows) > FAST_BLOCK_ROWS:
                        parallel_member(handle, ZIP_LEVEL)
                        _write_through(handle, chunks)
                    else:  # one block: nothing to overlap
                        for chunk in chunks:
                            handle.write(chunk)
            except RuntimeError as error:
                if "force_zip64" not in str(error) or info.filename in zip64:
                    raise
                raise _TooLarge(info.filename) from error


def _encoded(head: str, rows: Iterator[str], tail: str) -> Iterator[bytes]:
    yield head.encode("utf-8")
    for block in rows:
        yield block.encode("utf-8")
    yield ("</sheetData>" + tail).encode("utf-8")


def _write_through(handle: Any, chunks: Iterator[bytes]) -> None:
    """Write `chunks` to `handle` from a second thread (compression beside generation).

    zlib releases the GIL while it checksums and compresses, so the next block's XML is
    built while the previous ones are deflated (on the worker threads of
    `parallel_member`, where it took the member). At most a few blocks wait in between.
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
