"""Parquet copies of the large tables (placements.parquet, unmatched.parquet), via pyarrow.

For analysts: the same rows and columns as the CSV of the same name, with their types
(integers, booleans, floats, text; missing values as nulls, no CSV-injection prefix, since
no spreadsheet evaluates Parquet). Written for every run: it costs a fraction of the CSV.
The same frame gives the same bytes (for one pyarrow version).
"""

from __future__ import annotations

from typing import BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

#: Rows per row group (readers can skip groups; memory while writing stays bounded).
ROW_GROUP_ROWS = 250_000


def _array(series: pd.Series) -> pa.Array:
    """`series` as an Arrow array; a column of mixed values becomes text (nulls kept)."""
    try:
        return pa.Array.from_pandas(series)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([_text(v) for v in series], type=pa.large_string())


def _text(value: object) -> str | None:
    try:
        if pd.isna(value):  # type: ignore[call-overload]
            return None
    except (TypeError, ValueError):  # not a scalar
        pass
    return str(value)


def parquet_table(frame: pd.DataFrame) -> pa.Table:
    """`frame` as an Arrow table: its columns in order, named as text, no index."""
    arrays = [_array(frame.iloc[:, i]) for i in range(frame.shape[1])]
    return pa.Table.from_arrays(arrays, names=[str(c) for c in frame.columns])


def write_parquet(frame: pd.DataFrame, handle: BinaryIO) -> None:
    """Write `frame` as Parquet (zstd) into `handle`, `ROW_GROUP_ROWS` rows per group."""
    pq.write_table(parquet_table(frame), handle, compression="zstd", row_group_size=ROW_GROUP_ROWS)
