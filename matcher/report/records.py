"""A frame's rows as records, read row by row, a column at a time or as Arrow.

The workbooks' tables (`matcher.report.workbook`) read their rows through `Records`: a
large sheet a block of rows at a time, column-wise (`matcher.report.xlsx.ColumnSource`),
and where a column holds text, integers or flags, as Arrow arrays (`ArrowSource`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa


class Records(Sequence[dict[str, Any]]):
    """The rows of a frame as dicts (str keys, Python values, ``_seq`` = 1-based row).

    Equal, row for row, to ``frame.to_dict("records")`` with ``_seq`` added; but a row's
    dict is built only when it is read (a million rows are never a million dicts), and
    a column's Python values only when read (`arrow` reads a frame's column without
    them). Slices are views with the same ``_seq`` numbers.
    """

    def __init__(
        self,
        keys: Sequence[str],
        columns: Sequence[Sequence[Any]],
        start: int = 0,
        stop: int | None = None,
    ) -> None:
        self._keys = [*keys, "_seq"]
        self._columns = columns
        self._start = start
        self._stop = len(columns[0]) if stop is None and columns else (stop or 0)

    @classmethod
    def of(cls, frame: pd.DataFrame) -> Records:
        """The records of `frame` (numpy scalars become Python values, as in `to_dict`)."""
        return cls([str(k) for k in frame.columns], FrameColumns(frame), 0, len(frame))

    def __len__(self) -> int:
        return max(self._stop - self._start, 0)

    def _bounds(self, start: int, stop: int) -> tuple[int, int]:
        return self._start + start, self._start + min(stop, len(self))

    def column(self, key: str, start: int, stop: int) -> Sequence[Any]:
        """Field `key` of rows ``start:stop`` (``_seq``: the row numbers), as a list."""
        start, stop = self._bounds(start, stop)
        if key == "_seq":
            return range(start + 1, stop + 1)
        return self._columns[self._keys.index(key)][start:stop]

    def arrow(self, key: str, start: int, stop: int) -> pa.Array | None:
        """Field `key` of rows ``start:stop`` as Arrow (null: missing), as `column` has it.

        None (read it by `column`) unless it is a frame's column of texts, integers or flags.
        """
        start, stop = self._bounds(start, stop)
        if key == "_seq":
            return pa.array(np.arange(start + 1, max(stop, start) + 1, dtype=np.int64))
        if not isinstance(self._columns, FrameColumns):
            return None
        whole = self._columns.arrow(self._keys.index(key))
        part = None if whole is None else whole.slice(start, max(stop - start, 0))
        return part.combine_chunks() if isinstance(part, pa.ChunkedArray) else part  # rows only

    def _row(self, i: int) -> dict[str, Any]:
        return dict(zip(self._keys, [*(c[i] for c in self._columns), i + 1], strict=True))

    def __getitem__(self, index):  # type: ignore[no-untyped-def,override]
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return Records(
                self._keys[:-1], self._columns, self._start + start, self._start + max(stop, start)
            )
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._row(self._start + index)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        keys, columns = self._keys, self._columns
        for i, values in enumerate(
            zip(*(c[self._start : self._stop] for c in columns), strict=True),
            start=self._start + 1,
        ):
            yield dict(zip(keys, (*values, i), strict=True))


class FrameColumns(Sequence[list[Any]]):
    """A frame's columns as `_python_values` lists (and Arrow arrays), each made when read."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._series = [frame.iloc[:, i] for i in range(frame.shape[1])]
        self._lists: dict[int, list[Any]] = {}
        self._arrays: dict[int, pa.Array | pa.ChunkedArray | None] = {}

    def __len__(self) -> int:
        return len(self._series)

    def __getitem__(self, index):  # type: ignore[no-untyped-def,override]
        if index not in self._lists:  # an index past the end: IndexError, as a list
            self._lists[index] = _python_values(self._series[index])
        return self._lists[index]

    def arrow(self, index: int) -> pa.Array | pa.ChunkedArray | None:
        """Column `index` as Arrow if it holds text, integers or booleans (else None)."""
        if index not in self._arrays:
            self._arrays[index] = _arrow_values(self._series[index])
        return self._arrays[index]


def _arrow_values(series: pd.Series) -> pa.Array | pa.ChunkedArray | None:
    """`series` as Arrow (missing values null) if it holds text, integers or booleans."""
    dtype = series.dtype
    kinds = (pd.StringDtype, pd.Int64Dtype, pd.Int32Dtype, pd.BooleanDtype)
    if not isinstance(dtype, kinds) and not (isinstance(dtype, np.dtype) and dtype.kind in "ib"):
        return None
    return pa.array(series)


def _python_values(series: pd.Series) -> list[Any]:
    """The values of `series` as `to_dict` gives them (numpy scalars as Python ones)."""
    values = series.tolist()
    if series.dtype == object:
        if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
            return values  # text and missing values only: nothing to convert
        return [v.item() if isinstance(v, np.generic) else v for v in values]
    if isinstance(series.dtype, pd.api.extensions.ExtensionDtype):  # e.g. Int64: NA → None
        if not series.hasnans:
            return values
        return [None if v is pd.NA else v for v in values]
    return values
