"""CSV outputs: placements.csv, unmatched.csv and the notification lists (`notices`).

All CSVs are UTF-8 with BOM (Excel on Windows reads them as UTF-8), CRLF line ends, and
every text cell that starts with ``= + - @``, a tab or a carriage return is prefixed with
``'`` so that a spreadsheet never evaluates it (CSV injection). Numbers are not touched.
"""

from __future__ import annotations

import csv
import io
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from pandas.api.types import infer_dtype, is_object_dtype, is_string_dtype

BOM = "\ufeff"
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: Rows joined and encoded at a time.
CSV_BLOCK_ROWS = 50_000


def neutralise(value: object) -> object:
    """`value` with a leading ``'`` when it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """`frame` as CSV bytes: BOM, header line, CRLF, neutralised text cells."""
    buffer = io.BytesIO()
    write_csv(frame, buffer)
    return buffer.getvalue()


def write_csv(frame: pd.DataFrame, handle: BinaryIO) -> None:
    """Write `frame` as CSV to `handle`: the bytes `csv_bytes` returns, a block at a time.

    Frames of text (str or object columns holding text or missing values), bool, int and
    float columns are written column-wise here, as `DataFrame.to_csv` writes them (same
    bytes), `CSV_BLOCK_ROWS` rows at a time, with pyarrow's compute functions (each field
    made, neutralised, quoted and joined as Arrow strings, not one Python string per
    cell); any other frame through `to_csv` itself.
    """
    columns = range(frame.shape[1])
    if len(columns) < 2 or not all(_supported(frame.iloc[:, i]) for i in columns):
        handle.write(_pandas_csv(frame))
        return
    header = io.StringIO()
    csv.writer(header, lineterminator="\r\n").writerow(
        [str(neutralise(str(c))) for c in frame.columns]
    )
    handle.write((BOM + header.getvalue()).encode("utf-8"))
    for start in range(0, len(frame), CSV_BLOCK_ROWS):
        block = frame.iloc[start : start + CSV_BLOCK_ROWS]
        fields = [_fields(block.iloc[:, i]) for i in columns]
        handle.write(_lines([f for f, _ in fields], plain=all(p for _, p in fields)))


#: The options of pyarrow's CSV writer that give `_lines`'s bytes for plain fields.
_PLAIN = pa_csv.WriteOptions(include_header=False, quoting_style="none", eol="\r\n")


def _lines(fields: list[pa.Array], *, plain: bool = False) -> bytes:
    """The CSV lines (UTF-8) of a block given column by column, each ending with CRLF.

    `plain`: no field holds a comma, quote or line break (none is quoted), so pyarrow's
    CSV writer may join them as they are (it refuses any other).
    """
    if plain:
        sink = pa.BufferOutputStream()
        table = pa.Table.from_arrays(fields, names=[str(i) for i in range(len(fields))])
        pa_csv.write_csv(table, sink, _PLAIN)
        return sink.getvalue().to_pybytes()
    joined = pc.binary_join_element_wise(*fields, _text(","))
    lines = pc.binary_join_element_wise(joined, _text("\r\n"), _text(""))
    return _data(lines)


def _data(values: pa.Array) -> bytes:
    """The bytes of all the strings of `values` (a large-string array), one after another."""
    offsets, data = values.buffers()[1:3]
    ends = np.frombuffer(offsets, dtype=np.int64)
    first, last = int(ends[values.offset]), int(ends[values.offset + len(values)])
    return data.slice(first, last - first).to_pybytes() if data is not None else b""


_QUOTED = '[,"\r\n]'  # a field with one of these is quoted (csv.QUOTE_MINIMAL)
_STRUCTURAL = (b",", b'"', b"\r", b"\n")  # the same, as bytes
_DANGER = "^[=+\\-@\t\r]"  # `DANGEROUS_PREFIXES` (RE2 syntax, for pyarrow.compute)
#: Whether a byte starts a dangerous text (`DANGEROUS_PREFIXES`, all ASCII).
_DANGER_FIRST = np.zeros(256, dtype=bool)
_DANGER_FIRST[[ord(c) for c in DANGEROUS_PREFIXES]] = True


def _supported(series: pd.Series) -> bool:
    """Whether `_fields` writes `series` as `to_csv` would (else `to_csv` writes the frame)."""
    dtype = series.dtype
    if dtype in (np.bool_, np.int64, np.float64) or isinstance(dtype, pd.Int64Dtype):
        return True
    if isinstance(dtype, pd.StringDtype):
        return True
    return is_object_dtype(dtype) and infer_dtype(series, skipna=True) in ("string", "empty")


def _fields(series: pd.Series) -> tuple[pa.Array, bool]:
    """The CSV fields of a `_supported` column, as `to_csv` writes them (large strings).

    With them, whether they are plain: none holds a comma, quote or line break.
    """
    dtype = series.dtype
    if dtype == np.float64:
        return _floats(series.to_numpy()), True
    values = pa.array(series, from_pandas=True)
    if isinstance(values, pa.ChunkedArray):  # an Arrow-backed column in several chunks
        values = values.combine_chunks()
    if dtype == np.bool_:
        return pc.if_else(values, _text("True"), _text("False")), True
    if dtype == np.int64 or isinstance(dtype, pd.Int64Dtype):  # missing → ""
        return pc.fill_null(values.cast(pa.large_string()), _text("")), True
    return _texts(pc.fill_null(values.cast(pa.large_string()), _text("")))


def _floats(numbers: np.ndarray) -> pa.Array:
    """Floats as `to_csv` writes them (NaN as ""), each distinct value formatted once.

    Values are told apart by their bits (so 0.0 and -0.0 stay themselves).
    """
    codes, distinct = pd.factorize(numbers.view(np.int64))
    values = distinct.view(np.float64)
    text = values.astype(str).astype(object)  # what to_csv does with floats
    text[np.isnan(values)] = ""
    return pa.array(text, type=pa.large_string()).take(pa.array(codes))


def _text(value: str) -> pa.Scalar:
    """`value` as a large-string scalar (the type of every field array)."""
    return pa.scalar(value, pa.large_string())


def _texts(values: pa.Array) -> tuple[pa.Array, bool]:
    """A text column's fields (no missing value): neutralised, quoted where needed.

    With them, whether none was quoted. Both checks look at the bytes of the whole column
    first (every character they look for is ASCII, never part of another's UTF-8 bytes),
    and only a column that has one is looked at text by text.
    """
    if _dangerous(values):
        dangerous = pc.match_substring_regex(values, _DANGER)
        prefixed = pc.binary_join_element_wise(_text("'"), values, _text(""))
        values = pc.if_else(dangerous, prefixed, values)
    data = _data(values)
    if not any(character in data for character in _STRUCTURAL):
        return values, True
    quoted = pc.match_substring_regex(values, _QUOTED)
    doubled = pc.replace_substring(values, '"', '""')
    wrapped = pc.binary_join_element_wise(_text('"'), doubled, _text('"'), _text(""))
    return pc.if_else(quoted, wrapped, values), False


def _dangerous(values: pa.Array) -> bool:
    """Whether any text of `values` (a large-string array) starts with a dangerous byte."""
    offsets, data = values.buffers()[1:3]
    if data is None:
        return False
    ends = np.frombuffer(offsets, dtype=np.int64)[values.offset : values.offset + len(values) + 1]
    starts = ends[:-1][ends[1:] > ends[:-1]]  # of the texts that are not empty
    first = np.frombuffer(data, dtype=np.uint8)[starts]
    return bool(_DANGER_FIRST[first].any())


def _pandas_csv(frame: pd.DataFrame) -> bytes:
    """`frame` as CSV bytes through `DataFrame.to_csv` (dangerous text neutralised)."""
    safe = frame.copy(deep=False)  # only replaced columns differ; `frame` is not touched
    for column in safe.columns:
        series = safe[column]
        if is_object_dtype(series) or is_string_dtype(series):
            values = series.tolist()
            if any(type(v) is str and v.startswith(DANGEROUS_PREFIXES) for v in values):
                safe[column] = pd.Series(
                    [neutralise(v) for v in values], index=series.index, dtype=series.dtype
                )
    safe.columns = [str(neutralise(str(c))) for c in safe.columns]
    # Straight into bytes, chunk by chunk: no full-size text and its copies in between.
    buffer = io.BytesIO()
    buffer.write(BOM.encode("utf-8"))
    safe.to_csv(buffer, index=False, lineterminator="\r\n", encoding="utf-8", mode="wb")
    return buffer.getvalue()
