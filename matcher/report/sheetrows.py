"""The data rows of a large worksheet as XML, written into xlsxwriter's workbook.

Cell by cell, xlsxwriter's public API is the slow part of a large round's workbooks
(`bench/bench_workbook.py --compare`, figures in bench/README.md). So for a large book,
xlsxwriter writes each sheet's frame (header row, widths, filter, dropdowns, print
setup, formats) and this module writes the data rows: the XML xlsxwriter's
``constant_memory`` mode writes for the same cells (inline strings, the same escapes and
number format; tests/report/test_sheetrows.py checks it byte for byte), except that a
text shaped like ``<r>…</r>`` stays text, where xlsxwriter would pass it on as rich-text
markup unescaped (and a hostile one breaks the file). `matcher.report.splice` puts the
frame and the generated rows together into the workbook's zip.

`block_xml` builds a block's rows with pyarrow.compute, a column at a time (`arrow_cells`:
the constant pieces, the row numbers and the texts joined element-wise, no Python object
per cell) and takes the block's UTF-8 bytes from the result's data buffer; only the texts
that `string_xml` may change (found by their bytes, `may_change`) go through Python. A column
that Arrow cannot hold as one type (mixed kinds, floats, odd objects) is converted cell by
cell (`column_xml`), and a block with a value Arrow cannot encode at all is written the
Python way whole (`rows_xml`).
"""

from __future__ import annotations

import functools
import numbers
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

STRING_MAX = 32_767  # Excel's limit, in UTF-16 units (xlsxwriter truncates longer text)
_ESCAPE_LIKE = re.compile("(_x[0-9a-fA-F]{4}_)")  # a literal escape gets its "_" escaped
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_LEADING, _TRAILING = re.compile(r"^\s"), re.compile(r"\s$")


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


_LARGE = pa.large_string()


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, _LARGE)


def to_arrow(values: Sequence[Any] | pa.Array | pa.ChunkedArray) -> pa.Array | None:
    """`values` as one Arrow array of texts, integers, booleans or nothing (null: none).

    None when they are of another kind or of several (but missing values): those cells
    are converted one by one. Texts become ``large_string``, integers ``int64``.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        kind = values.type
        try:
            if pa.types.is_string(kind) or pa.types.is_large_string(kind):
                return values.cast(_LARGE)
            if pa.types.is_integer(kind):
                return values.cast(pa.int64())
        except pa.ArrowInvalid:  # an unsigned integer beyond int64
            return None
        if pa.types.is_boolean(kind) or pa.types.is_null(kind):
            return values
        return None
    if isinstance(values, range):
        return pa.array(np.arange(values.start, values.stop, values.step, dtype=np.int64))
    kinds = {*map(type, values)} - {_NONE}
    kind = _KINDS.get(frozenset(kinds))
    if kind is None:
        return None
    try:
        return pa.array(values, type=kind)
    except (pa.ArrowException, OverflowError, UnicodeEncodeError):  # e.g. a lone surrogate
        return None


_KINDS = {
    frozenset(): pa.null(),
    frozenset({str}): _LARGE,
    frozenset({int}): pa.int64(),
    frozenset({bool}): pa.bool_(),
}


def arrow_texts(values: pa.Array) -> pa.Array:
    """The texts of a `to_arrow` array's cells as `cell_value` holds them (not numbers)."""
    if pa.types.is_boolean(values.type):
        return pc.if_else(values, _text("是"), _text("否"))
    if pa.types.is_null(values.type):
        return pa.nulls(len(values), _LARGE)
    return values.cast(_LARGE)


#: Pieces whose element-wise join gives a column's cells: constant texts and arrays.
Pieces = list[str | pa.Array]


def arrow_cells(
    letter: str, numbers: pa.Array, values: pa.Array, numeric: bool, style: str
) -> Pieces | None:
    """`column_xml`'s cells for a `to_arrow` array, as `Pieces` (null: no cell there).

    `numbers`: the rows' numbers (``large_string``). A column with a cell in every row
    and no text that `string_xml` changes gives the constant pieces and the arrays
    (joined once with the other columns' in `block_xml`); any other, one array of
    cells. None: integers this path does not write (beyond ±10**15, which `cell_xml`
    writes in the ".16G" format).
    """
    start = f'<c r="{letter}'
    if pa.types.is_integer(values.type) and numeric:
        low, high = pc.min_max(values).values()
        if low.is_valid and not -(10**15) < low.as_py() <= high.as_py() < 10**15:
            return None
        pieces: Pieces = [start, numbers, '"><v>', values.cast(_LARGE), "</v></c>"]
        return pieces if not values.null_count else [_joined(pieces)]
    texts = arrow_texts(values)
    pieces = [start, numbers, f'"{style} t="inlineStr"><is><t>', texts, "</t></is></c>"]
    rows = np.flatnonzero(may_change(texts))
    if not len(rows):
        return pieces if not values.null_count else [_joined(pieces)]
    changed = np.zeros(len(texts), dtype=np.bool_)
    changed[rows] = True
    wanted = zip(numbers.take(rows).to_pylist(), texts.take(rows).to_pylist(), strict=True)
    escaped = [f'<c r="{letter}{r}"{string_xml(t, style)}' for r, t in wanted]
    cells = _joined(pieces)
    return [pc.replace_with_mask(cells, pa.array(changed), pa.array(escaped, _LARGE))]


def may_change(texts: pa.Array) -> npt.NDArray[np.bool_]:
    r"""Which of `texts` (``large_string``) `string_xml` may change: a superset, by bytes.

    A text with a character it escapes, a literal escape, a leading or trailing space
    (as Python's ``\s`` finds it) or more than ``STRING_MAX // 2`` bytes (it may be cut).
    """
    count = len(texts)
    _, offsets, buffer = texts.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64)[texts.offset : texts.offset + count + 1]
    if buffer is None or bounds[-1] == bounds[0]:
        return np.zeros(count, dtype=np.bool_)
    data = np.frombuffer(buffer, dtype=np.uint8)
    first, last = int(bounds[0]), int(bounds[-1])
    lengths = np.diff(bounds)
    found = lengths > STRING_MAX // 2
    part = data[first:last]
    # bytes that may begin a change: a control character (or tab, line feed), "&", "<",
    # ">", "_" (of "_x") and 0xEF (of U+FFFE, U+FFFF)
    suspect = part < 0x20
    np.bitwise_or(suspect, part == ord("&"), out=suspect)
    np.bitwise_or(suspect, (part | 2) == ord(">"), out=suspect)  # ">" or "<"
    np.bitwise_or(suspect, part == ord("_"), out=suspect)
    np.bitwise_or(suspect, part == 0xEF, out=suspect)
    at = np.flatnonzero(suspect) + first
    if len(at):
        byte = data[at]
        after = data[np.minimum(at + 1, last - 1)]
        then = data[np.minimum(at + 2, last - 1)]
        real = (
            ((byte < 0x20) & (byte != 0x09) & (byte != 0x0A))
            | (byte == ord("&"))
            | ((byte | 2) == ord(">"))
            | ((byte == ord("_")) & (after == ord("x")))
            | ((byte == 0xEF) & (after == 0xBF) & (then >= 0xBE))
        )
        found[np.searchsorted(bounds, at[real], side="right") - 1] = True
    filled = np.flatnonzero(lengths)
    starts, ends = bounds[filled], bounds[filled + 1]
    heads, tails = _space_ends()
    maybe = filled[heads[data[starts]] | tails[data[ends - 1]]]  # by a first or last byte
    if len(maybe):
        starts, ends = bounds[maybe], bounds[maybe + 1]
        for size, codes in enumerate(_space_codes(), start=1):
            if last - first < size:
                break
            head = _code(data, np.minimum(starts, last - size), size)
            tail = _code(data, np.maximum(ends - size, first), size)
            found[maybe[np.isin(head, codes) | np.isin(tail, codes)]] = True
    if texts.null_count:  # a null may still span bytes
        found &= texts.is_valid().to_numpy(zero_copy_only=False)
    return found


@functools.cache
def _space_ends() -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    r"""Which bytes begin, and which end, the UTF-8 of a character Python's ``\s`` finds."""
    heads, tails = np.zeros(256, dtype=np.bool_), np.zeros(256, dtype=np.bool_)
    for size, codes in enumerate(_space_codes(), start=1):
        heads[codes >> (8 * (size - 1))] = True
        tails[codes & 0xFF] = True
    return heads, tails


def _code(data: npt.NDArray[np.uint8], at: npt.NDArray[np.int64], size: int) -> npt.NDArray[Any]:
    """The `size` bytes from each of `at` as one integer (big-endian)."""
    code = data[at].astype(np.int64)
    for k in range(1, size):
        code = (code << 8) | data[at + k]
    return code


@functools.cache
def _space_codes() -> tuple[npt.NDArray[np.int64], ...]:
    r"""The characters Python's ``\s`` finds, as `_code`s of 1, 2 and 3 UTF-8 bytes.

    (Every one is in the BMP, so takes at most 3 bytes.)
    """
    bmp = "".join(map(chr, range(0x10000)))
    spaces = [c.encode("utf-8", "surrogatepass") for c in re.findall(r"\s", bmp)]
    return tuple(
        np.array([int.from_bytes(b, "big") for b in spaces if len(b) == size], dtype=np.int64)
        for size in (1, 2, 3)
    )


def _joined(pieces: Pieces, *, nulls: str | None = None) -> pa.Array:
    """The element-wise join of `pieces` (adjacent texts merged first).

    Null where an array is, or with `nulls`, a null array element taken as that text.
    """
    merged: list[str | pa.Array] = []
    for piece in pieces:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)
    args = [_text(p) if isinstance(p, str) else p for p in merged]
    if nulls is None:
        return pc.binary_join_element_wise(*args, _text(""))
    return pc.binary_join_element_wise(
        *args, _text(""), null_handling="replace", null_replacement=nulls
    )


def block_xml(
    letters: Sequence[str],
    first_row: int,
    block: Sequence[Sequence[Any] | pa.Array],
    numeric: Sequence[bool],
    styles: Sequence[str],
) -> str | memoryview:
    """The ``<row>`` elements of a block of rows from sheet row `first_row` (1-based).

    `block`: each column's values (`to_arrow` arrays or Python values). The same XML as
    `rows_xml` over `column_xml`, as UTF-8 bytes where every column could be converted,
    else as text (the Python way, cell by cell).
    """
    count = len(block[0]) if block else 0
    if not count:
        return ""
    numbers = pa.array(np.arange(first_row, first_row + count, dtype=np.int64)).cast(_LARGE)
    pieces: Pieces = ['<row r="', numbers, '">']
    full = False  # some column has a cell in every row
    present: pa.Array | None = None  # else: the rows with a cell
    for letter, values, number, style in zip(letters, block, numeric, styles, strict=True):
        array = values if isinstance(values, pa.Array) else to_arrow(values)
        cells = None if array is None else arrow_cells(letter, numbers, array, number, style)
        if cells is None:
            python = values.to_pylist() if isinstance(values, pa.Array) else values
            xml = column_xml(letter, numbers.to_pylist(), python, number, style)
            try:
                cells = [pa.array([c or None for c in xml], _LARGE)]
            except (pa.ArrowException, UnicodeEncodeError):  # e.g. a lone surrogate
                return _python_rows(letters, first_row, block, numeric, styles)
        pieces += cells
        only = cells[0] if len(cells) == 1 else None  # else: a cell in every row
        if not isinstance(only, pa.Array) or not only.null_count:
            full = True
        elif not full:
            valid = only.is_valid()
            present = valid if present is None else pc.or_(present, valid)
    rows = _joined([*pieces, "</row>"], nulls="")
    if not full:
        rows = rows.filter(present) if present is not None else rows.slice(0, 0)
    return text_bytes(rows)


def _python_rows(
    letters: Sequence[str],
    first_row: int,
    block: Sequence[Sequence[Any] | pa.Array],
    numeric: Sequence[bool],
    styles: Sequence[str],
) -> str:
    numbers = row_numbers(first_row, len(block[0]) if block else 0)
    python = [v.to_pylist() if isinstance(v, pa.Array) else v for v in block]
    columns = [
        column_xml(letter, numbers, values, number, style)
        for letter, values, number, style in zip(letters, python, numeric, styles, strict=True)
    ]
    return rows_xml(numbers, columns)


def text_bytes(texts: pa.Array) -> memoryview:
    """The UTF-8 bytes of a ``large_string`` array's texts, one after the other."""
    if not len(texts):
        return memoryview(b"")
    _, offsets, data = texts.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64)
    start, stop = int(bounds[texts.offset]), int(bounds[texts.offset + len(texts)])
    return memoryview(data)[start:stop]


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
