"""CSV outputs: placements.csv, unmatched.csv and the notification lists (`notices`).

All CSVs are UTF-8 with BOM (Excel on Windows reads them as UTF-8), CRLF line ends, and
every text cell that starts with ``= + - @``, a tab or a carriage return is prefixed with
``'`` so that a spreadsheet never evaluates it (CSV injection). Numbers are not touched.
"""

from __future__ import annotations

import csv
import io
import re
from typing import BinaryIO

import numpy as np
import pandas as pd
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
    bytes), `CSV_BLOCK_ROWS` rows at a time; any other frame through `to_csv` itself.
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
        handle.write(_lines([_fields(block.iloc[:, i]) for i in columns]).encode("utf-8"))


def _lines(fields: list[list[str]]) -> str:
    """The CSV lines of a block given column by column (each line ends with CRLF)."""
    return "\r\n".join(map(",".join, zip(*fields, strict=True))) + "\r\n"


_QUOTED = re.compile('[,"\r\n]')  # a field with one of these is quoted (csv.QUOTE_MINIMAL)
_QUOTE_CHARS = (",", '"', "\r", "\n")
_DANGER = re.compile("\x00[=+\\-@\t\r]")  # a dangerous prefix after the separator


def _supported(series: pd.Series) -> bool:
    """Whether `_fields` writes `series` as `to_csv` would (else `to_csv` writes the frame)."""
    dtype = series.dtype
    if dtype in (np.bool_, np.int64, np.float64) or isinstance(dtype, pd.Int64Dtype):
        return True
    if isinstance(dtype, pd.StringDtype):
        return True
    return is_object_dtype(dtype) and infer_dtype(series, skipna=True) in ("string", "empty")


def _fields(series: pd.Series) -> list[str]:
    """The CSV fields of a `_supported` column, as `to_csv` writes them."""
    dtype = series.dtype
    if dtype == np.bool_:
        return np.where(series.to_numpy(), "True", "False").tolist()
    if dtype == np.int64:
        return series.to_numpy().astype(str).astype(object).tolist()
    if isinstance(dtype, pd.Int64Dtype):
        text = series.to_numpy(dtype=np.int64, na_value=0).astype(str).astype(object)
        text[series.isna().to_numpy()] = ""
        return text.tolist()
    if dtype == np.float64:
        numbers = series.to_numpy()
        text = numbers.astype(str).astype(object)  # what to_csv does with floats
        text[np.isnan(numbers)] = ""
        return text.tolist()
    return _texts(series)


def _texts(series: pd.Series) -> list[str]:
    """A text column's fields: missing → "", neutralised, quoted where needed."""
    values = series.tolist()
    if series.hasnans:
        missing = series.isna().tolist()
        values = ["" if m else v for v, m in zip(values, missing, strict=True)]
    joined = "\x00" + "\x00".join(values)
    if _DANGER.search(joined):
        values = [neutralise(v) for v in values]  # type: ignore[misc]
        joined = "\x00".join(values)
    if any(char in joined for char in _QUOTE_CHARS):  # then quote only where needed
        values = ['"' + v.replace('"', '""') + '"' if _QUOTED.search(v) else v for v in values]
    return values


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
