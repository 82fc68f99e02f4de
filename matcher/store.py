"""Many rows of one small pydantic model held as columns, a row's model built on demand.

A round's applicants and a run's outcomes are a million rows of a few dozen fields, most
of them repeating (regions, units, months, choices, statuses). `Columns` keeps each field
as one dictionary-encoded `Column` (the distinct values once, and a small integer per row)
and is a `Sequence` of the model: ``rows[i]`` and iteration build the row's model with
`model_construct` (public pydantic API; the values were typed when they were read).
Hot paths read whole fields with `column` (a list) or `Column.codes` and `Column.values`
(to compute once per distinct value) instead of building a million models.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from operator import attrgetter
from typing import Any, ClassVar, Generic, Self, TypeVar, overload

import numpy as np
import pandas as pd
from pydantic import BaseModel, GetCoreSchemaHandler
from pydantic_core import core_schema

M = TypeVar("M", bound=BaseModel)


def _objects(items: Iterable[Any], count: int = -1) -> np.ndarray:
    """A 1-d object array of `items` (tuples stay items, not rows of a 2-d array)."""
    return np.fromiter(items, dtype=object, count=count)


def _smallest(codes: np.ndarray, distinct: int) -> np.ndarray:
    """`codes` in the smallest unsigned integer type that holds `distinct` codes."""
    return codes.astype(np.min_scalar_type(max(distinct - 1, 0)), copy=False)


class Column:
    """One field of many rows: `values` (distinct, object array) and `codes` (one per row).

    Row ``i`` holds ``values[codes[i]]``: the value object itself, not a copy. Values are
    told apart by equality (as dict keys are), None and NaN each being their own value.
    """

    __slots__ = ("codes", "values")

    def __init__(self, codes: np.ndarray, values: np.ndarray) -> None:
        self.codes = codes
        self.values = values

    @classmethod
    def of(cls, items: Iterable[Any]) -> Column:
        """Encode `items` (any iterable of hashable values), in row order."""
        if isinstance(items, np.ndarray) and items.dtype.kind in "biu":
            # integers and flags have no missing value: factorized as they are (the same
            # first-use order), their values as Python numbers
            found_codes, distinct = pd.factorize(items)
            numbers = distinct.tolist()
            return cls(_smallest(found_codes, len(numbers)), _objects(numbers, len(numbers)))
        if isinstance(items, np.ndarray):  # other numbers as Python values
            cells = items if items.dtype == object else _objects(items.tolist(), len(items))
        else:
            cells = _objects(items)
        codes, found = pd.factorize(cells)  # None and NaN: code -1, told apart below
        values = list(found)
        missing = np.flatnonzero(codes < 0)
        if len(missing):
            codes = codes.copy()
            nones = np.fromiter((c is None for c in cells[missing]), dtype=bool, count=len(missing))
            for which in (nones, ~nones):  # None, then NaN: each its own value
                if which.any():
                    at = missing[which]
                    codes[at] = len(values)
                    values.append(cells[at[0]])
        return cls(_smallest(codes, len(values)), _objects(values, len(values)))

    @classmethod
    def of_labels(cls, codes: np.ndarray, labels: Sequence[Any]) -> Column:
        """`Column.of` of the rows ``labels[codes[i]]``, found from the integer `codes` alone.

        `labels` must be distinct (as dict keys tell them apart), with no NaN among them;
        None may be one (numbered after every other value, as `of` numbers it).
        """
        first, found = pd.factorize(np.asarray(codes, dtype=np.int64))
        used = [labels[c] for c in found.tolist()]
        nones = [k for k, value in enumerate(used) if value is None]
        if nones:
            z = nones[0]
            renumber = np.arange(len(used), dtype=np.int64)
            renumber[z] = len(used) - 1
            renumber[z + 1 :] -= 1
            first = renumber[first]
            used = [*used[:z], *used[z + 1 :], None]
        return cls(_smallest(first, len(used)), _objects(used, len(used)))

    @classmethod
    def of_distinct(cls, items: Sequence[Any]) -> Column:
        """`Column.of` of `items` known to be distinct and never None or NaN: row i is value i."""
        n = len(items)
        return cls(_smallest(np.arange(n), n), _objects(items, n))

    @classmethod
    def of_distinct_at(cls, items: Sequence[Any], at: np.ndarray, length: int) -> Column:
        """`Column.of` of `length` rows: row ``at[k]`` holds ``items[k]``, every other None.

        `items` must be distinct and never None or NaN, `at` increasing.
        """
        k = len(items)
        codes = np.full(length, k, dtype=np.int64)
        codes[at] = np.arange(k)
        values = [*items, None] if k < length else list(items)
        return cls(_smallest(codes, len(values)), _objects(values, len(values)))

    def __len__(self) -> int:
        """The number of rows."""
        return len(self.codes)

    def tolist(self) -> list[Any]:
        """The value of every row, in order."""
        return list(self.values[self.codes])

    def take(self, rows: np.ndarray | slice) -> Column:
        """The column of the rows `rows` (positions or a slice), sharing the values."""
        return Column(self.codes[rows], self.values)

    @classmethod
    def join(cls, parts: Sequence[Column]) -> Column:
        """The rows of `parts`, one after the other, re-encoded over all their values."""
        if len(parts) == 1:
            return parts[0]
        values = [p.values for p in parts]
        joined = Column.of(np.concatenate(values) if values else _objects(()))
        offsets = np.cumsum([0, *(len(v) for v in values)])
        codes = [joined.codes[offsets[k] + p.codes.astype(np.int64)] for k, p in enumerate(parts)]
        merged = np.concatenate(codes) if codes else np.zeros(0, dtype=np.uint8)
        return cls(_smallest(merged, len(joined.values)), joined.values)


class Columns(Sequence[M], Generic[M]):
    """Rows of `model` held as one `Column` per field, in the model's field order.

    A `Sequence` of the model: ``len``, ``rows[i]`` (the row's model, built on demand),
    slices, iteration, equality with another table or any sequence of equal models.
    """

    model: ClassVar[type[BaseModel]]
    __slots__ = ("_columns", "_length")

    def __init__(self, columns: Mapping[str, Column], length: int) -> None:
        names = tuple(self.model.model_fields)
        if tuple(columns) != names or any(len(c) != length for c in columns.values()):
            raise ValueError(f"columns must be {', '.join(names)}, {length} rows each")
        self._columns = dict(columns)
        self._length = length

    # --- building ---------------------------------------------------------------------

    @classmethod
    def from_columns(cls, values: Mapping[str, Iterable[Any] | Column], length: int) -> Self:
        """A table of `length` rows from per-field values; an absent field is its default.

        Every value must already be of its field's type (it is not validated again).
        """
        columns: dict[str, Column] = {}
        for name, info in cls.model.model_fields.items():
            given = values.get(name)
            if given is None:
                default = info.get_default(call_default_factory=True)
                columns[name] = Column(np.zeros(length, dtype=np.uint8), _objects([default], 1))
            else:
                columns[name] = given if isinstance(given, Column) else Column.of(given)
        return cls(columns, length)

    @classmethod
    def from_rows(cls, rows: Iterable[M]) -> Self:
        """A table of the models `rows`, in order."""
        items = list(rows)
        names = tuple(cls.model.model_fields)
        values = {name: Column.of(map(attrgetter(name), items)) for name in names}
        return cls(values, len(items))

    @classmethod
    def join(cls, parts: Sequence[Self]) -> Self:
        """The rows of `parts`, one table after the other."""
        names = tuple(cls.model.model_fields)
        columns = {n: Column.join([p._columns[n] for p in parts]) for n in names}
        return cls(columns, sum(len(p) for p in parts))

    def replaced(self, rows: Mapping[int, M]) -> Self:
        """The table with the row at each position of `rows` replaced by its model."""
        if not rows:
            return self
        at = np.fromiter(rows, dtype=np.int64, count=len(rows))
        columns = {}
        for name, col in self._columns.items():
            new = Column.of(map(attrgetter(name), rows.values()))
            both = Column.join([col, new])
            codes = both.codes[: len(col)].copy()
            codes[at] = both.codes[len(col) :]
            columns[name] = Column(codes, both.values)
        return type(self)(columns, self._length)

    # --- reading ------------------------------------------------------------------------

    def field(self, name: str) -> Column:
        """The encoded column of field `name` (codes per row, distinct values)."""
        return self._columns[name]

    def column(self, name: str) -> list[Any]:
        """The value of field `name` of every row, in order."""
        return self._columns[name].tolist()

    def take(self, rows: np.ndarray | slice) -> Self:
        """The rows at `rows` (positions or a slice), in that order."""
        columns = {n: c.take(rows) for n, c in self._columns.items()}
        length = len(next(iter(columns.values()))) if columns else 0
        return type(self)(columns, length)

    def _row(self, i: int) -> M:
        values = {n: c.values[c.codes[i]] for n, c in self._columns.items()}
        return self.model.model_construct(**values)  # type: ignore[return-value]

    def __len__(self) -> int:
        """The number of rows."""
        return self._length

    @overload
    def __getitem__(self, index: int) -> M: ...

    @overload
    def __getitem__(self, index: slice) -> Self: ...

    def __getitem__(self, index: int | slice) -> M | Self:
        """The row's model at `index`, or the table of a slice."""
        if isinstance(index, slice):
            return self.take(index)
        i = index + self._length if index < 0 else index
        if not 0 <= i < self._length:
            raise IndexError(f"row {index} of {self._length}")
        return self._row(i)

    def __iter__(self) -> Iterator[M]:
        """The rows' models, in order (each built when reached)."""
        names = tuple(self._columns)
        construct = self.model.model_construct
        for values in zip(*(c.tolist() for c in self._columns.values()), strict=True):
            yield construct(**dict(zip(names, values, strict=True)))  # type: ignore[misc]

    def __eq__(self, other: object) -> bool:
        """Equal to a table or a sequence holding equal rows in the same order."""
        if isinstance(other, Columns):
            return (
                type(other) is type(self)
                and len(other) == len(self)
                and all(self.column(n) == other.column(n) for n in self._columns)
            )
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        """The class and the number of rows."""
        return f"{type(self).__name__}({self._length} rows)"

    # --- as a pydantic field ------------------------------------------------------------

    @classmethod
    def coerce(cls, value: Any) -> Self:
        """`value` as a table: a table as it is, or any sequence of models (or their dicts)."""
        if isinstance(value, cls):
            return value
        if isinstance(value, Columns | str | bytes | Mapping) or not isinstance(value, Iterable):
            raise ValueError(f"expected a sequence of {cls.model.__name__}")
        model = cls.model
        rows = [row if isinstance(row, model) else model.model_validate(row) for row in value]
        return cls.from_rows(rows)  # type: ignore[arg-type]

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Validated by `coerce`; serialised as the list of the rows' models."""
        return core_schema.no_info_plain_validator_function(
            cls.coerce,
            serialization=core_schema.plain_serializer_function_ser_schema(list),
        )


def column(rows: Sequence[Any], name: str) -> list[Any]:
    """Field `name` of every row of `rows`: a table's column, or read from each model."""
    if isinstance(rows, Columns):
        return rows.column(name)
    return list(map(attrgetter(name), rows))
