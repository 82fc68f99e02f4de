"""Column-wise reading of the data rows of a plain CSV sheet (`sheets.read_csv_columns`).

A large consolidated round is mostly clean rows repeating the same regions, units,
months, titles and choices. Here every cell parser of the row reader
(`matcher.ingest.applicants`) runs once per distinct value of its column (ID numbers are
checked with numpy), and a row whose every cell parses without a problem, with every
required value present, becomes a row of an `Applicants` table straight from the columns:
the same values `row` gives it and no problems.
Every other row (any problem, any missing value, a region or track taken from the
填表单位 line, a footer, a repeated header) is left to the row reader, so its messages,
codes and row numbers are the row reader's own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, Protocol

import numpy as np
import pandas as pd

from matcher.ingest.cells import (
    parse_day,
    parse_education,
    parse_gender,
    parse_health,
    parse_phone,
    parse_score,
    parse_yesno,
)
from matcher.ingest.context import Context
from matcher.ingest.ethnicity import parse_ethnicity
from matcher.ingest.formulas import is_formula_text
from matcher.ingest.headers import FOOTER_LEADS, Header
from matcher.ingest.problems import Problem
from matcher.ingest.regions import REGION_LEVEL, unit_region
from matcher.ingest.rowfields import adjustment_of, region_of_row, track_of_row
from matcher.ingest.sheets import Sheet
from matcher.ingest.text import cell_text, clean_name, clean_text, optional_text
from matcher.ingest.vocab import Vocabulary
from matcher.model import Applicant, Applicants
from matcher.store import Column


class SheetRows(Protocol):
    """What the column reader needs of the sheet reader of `matcher.ingest.applicants`."""

    file: str
    sheet: Sheet
    header: Header
    vocab: Vocabulary
    reference: date
    context: Context
    col: dict[str, int]
    missing: list[str]


#: Applicant fields in declaration order (the columns of `Applicants`).
FIELDS: tuple[str, ...] = tuple(Applicant.model_fields)
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ID_CHECK = np.array([ord(c) for c in "10X98765432"], dtype=np.uint32)
_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_MALE, _FEMALE = "男", "女"


class _Column:
    """One column's cells for the candidate rows, factorised: codes and distinct values."""

    def __init__(
        self,
        cells: np.ndarray | None,
        fresh: bool = True,
        coded: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        # `coded`: the cells as codes and the distinct cells (of a column the sheet reader
        # encoded), factorised as codes: the same numbering, at the cost of numbers.
        # Missing cells (None, NaN) get the code -1 in the same pass: cheaper than the
        # separate scan for them that `use_na_sentinel=False` makes. They become one
        # distinct value, placed where that option places it (at its first appearance).
        if coded is not None:
            codes, which = pd.factorize(coded[0])
            found: Any = coded[1][which]
        else:
            codes, found = pd.factorize(np.asarray(cells))
        uniques: list[Any] = list(found)
        missing = codes < 0
        if missing.any():
            first = int(np.argmax(missing))
            at = int(codes[:first].max()) + 1 if first else 0
            codes = np.where(missing, at, codes + (codes >= at))
            uniques.insert(at, None)
        # in their smallest type: a million rows' codes of a few dozen columns are alive
        self.codes = codes.astype(np.min_scalar_type(max(len(uniques) - 1, 0)), copy=False)
        # factorize turns None (an absent column, a missing date) into NaN: back to None.
        # With `fresh`, texts are new equal strings: the values an applicant keeps (often
        # the cell itself) then pin none of the parser's memory, which is all released.
        self.uniques: list[Any] = [
            None if u is None or u != u else (u + "\x00")[:-1] if fresh and type(u) is str else u
            for u in uniques
        ]

    def parse(self, parse: Callable[[Any], tuple[Any, bool]]) -> tuple[np.ndarray, np.ndarray]:
        """(value, ok) of `parse` per distinct cell; a formula's text is never ok."""
        values = np.empty(len(self.uniques), dtype=object)
        ok = np.empty(len(self.uniques), dtype=bool)
        for u, cell in enumerate(self.uniques):
            values[u], ok[u] = parse(cell)
            if ok[u] and is_formula_text(cell):
                ok[u] = False  # FORMULA_CELL: row by row
        return values, ok

    def apply(self, parse: Callable[[Any], tuple[Any, bool]]) -> tuple[np.ndarray, np.ndarray]:
        """(value per row, ok per row) of `parse` run once per distinct cell."""
        values, ok = self.parse(parse)
        return values[self.codes], ok[self.codes]


def _column_of(
    reader: SheetRows,
    columns: Sequence[np.ndarray],
    col: int,
    rows: np.ndarray | slice,
    fresh: bool = True,
) -> _Column:
    """`_Column` of column `col`'s cells at `rows`, from the sheet's codes when it has them."""
    coded = reader.sheet.coded
    if coded is None:
        return _Column(columns[col][rows], fresh)
    codes, texts = coded[col]
    return _Column(None, fresh, (codes[rows], texts))


def fast_candidates(reader: SheetRows, columns: Sequence[np.ndarray], start: int) -> np.ndarray:
    """Indexes (from `start`) of rows that are surely data rows for the row loop.

    The first cell is filled and starts with no footer or 填表单位 character (so it is
    the row's lead), and the name cell is filled and not the header's text.
    """
    name_header = cell_text(reader.sheet.rows[reader.header.row][reader.col["name"]]).strip()
    first = _column_of(reader, columns, 0, slice(start, None), fresh=False)
    lead_ok = np.array(
        [bool(c.strip()) and c.lstrip()[:1] not in FOOTER_LEADS for c in first.uniques], dtype=bool
    )
    name = _column_of(reader, columns, reader.col["name"], slice(start, None), fresh=False)
    name_ok = np.array([bool(c.strip()) and c.strip() != name_header for c in name.uniques])
    keep = lead_ok[first.codes] & name_ok[name.codes]
    return np.flatnonzero(keep) + start


def usable(reader: SheetRows) -> bool:
    """Whether the sheet's columns allow the column-wise path at all."""
    return (
        not reader.missing
        and "graduation" not in reader.col
        and "region" in reader.col
        and "track" in reader.col
    )


def read_rows(
    reader: SheetRows, columns: Sequence[np.ndarray], rows: np.ndarray
) -> tuple[np.ndarray, Applicants]:
    """Parse `rows` column-wise: (ok mask over `rows`, the table of the ok rows)."""
    n = len(rows)
    absent = np.full(n, None, dtype=object)

    def cells(key: str) -> np.ndarray:
        col = reader.col.get(key)
        return absent if col is None else columns[col][rows]

    def column(key: str) -> _Column:
        col = reader.col.get(key)
        return _Column(absent) if col is None else _column_of(reader, columns, col, rows)

    ok = np.ones(n, dtype=bool)
    out: dict[str, Any] = {}

    # field → (code per row, value per code) of the fields kept as `take` parsed them
    encoded: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def parts(
        key: str, parse: Callable[[Any], tuple[Any, bool]], fields: tuple[str, ...]
    ) -> list[np.ndarray]:
        """`take` of a parse whose value is a tuple: one array per item, for `fields`.

        A field named "" is not kept as it is (it is computed on).
        """
        nonlocal ok
        read = column(key)
        values, fine = read.parse(parse)
        ok &= fine[read.codes]
        items = [_part(values, i) for i in range(len(fields))]
        encoded.update((f, (read.codes, v)) for f, v in zip(fields, items, strict=True) if f)
        return [v[read.codes] for v in items]

    def take(
        field: str, parse: Callable[[Any], tuple[Any, bool]], key: str | None = None
    ) -> np.ndarray:
        """The value per row of field `field` parsed from column `key` (default `field`)."""
        nonlocal ok
        read = column(key or field)
        values, fine = read.parse(parse)
        ok &= fine[read.codes]
        encoded[field] = (read.codes, values)
        return values[read.codes]

    out["name"] = take("name", lambda c: (v := clean_name(cell_text(c)), bool(v)))

    def gender(c: object) -> tuple[Any, bool]:
        value, problem = parse_gender(cell_text(c))
        return value, problem is None and value is not None

    out["gender"] = take("gender", gender)

    def ethnicity(c: object) -> tuple[Any, bool]:
        value, problem = parse_ethnicity(clean_name(cell_text(c)))
        return value, problem is None and value is not None

    out["ethnicity"] = take("ethnicity", ethnicity)
    reference = reader.reference

    def day(c: object) -> tuple[Any, bool]:
        if not isinstance(c, str):
            return (None, False), False  # numbers and dates read the ID's month hint: row by row
        value, exact, problem = parse_day(c, reference)
        return (value, exact), problem is None and value is not None

    births = column("birth")
    days, fine = births.parse(day)
    ok &= fine[births.codes]
    written = _stamps(_part(days, 0))[births.codes]
    out["work_start"], out["work_start_exact"] = parts(
        "work_start", day, ("work_start", "work_start_exact")
    )
    genders, given = encoded["gender"]
    sexes = np.array([{_MALE: 1, _FEMALE: 0}.get(g, -1) for g in given], dtype=np.int8)
    ids = column("id_number")
    encoded["id_number"], born = _ids(ids, sexes[genders], written, reference, ok)
    # The ID's birth date (day included) wins over 出生年月 when the ID is valid.
    from_id = born > 0
    stamps = np.where(from_id, born, written)
    codes, found = pd.factorize(stamps)
    dates = np.empty(len(found), dtype=object)
    dates[:] = [date(s // 10000, s // 100 % 100, s % 100) if s else None for s in found.tolist()]
    encoded["birth"] = (codes, dates)
    exact = np.fromiter((bool(e) for e in _part(days, 1)), dtype=bool, count=len(days))
    flags = np.array([False, True], dtype=object)
    encoded["birth_exact"] = ((from_id | exact[births.codes]).astype(np.uint8), flags)
    if ok.any():
        started, starts = encoded["work_start"]
        ok &= ~(_stamps(starts)[started] // 10000 < stamps // 10000 + 14)

    vocab = reader.vocab

    def profession(c: object) -> tuple[Any, bool]:
        text = clean_text(cell_text(c)) or None
        if text is None:
            return (None, None), False
        field, problem = vocab.field_of(text)
        return (text, field), problem is None

    out["profession"], out["field"] = parts("profession", profession, ("profession", "field"))

    def education(c: object) -> tuple[Any, bool]:
        text = clean_text(cell_text(c)) or None
        level, graduation, problem = parse_education(text or "")
        return (level, text, graduation), problem is None and text is not None

    out["education"], out["education_text"], out["graduation_year"] = parts(
        "education", education, ("education", "education_text", "graduation_year")
    )

    def title(c: object) -> tuple[Any, bool]:
        text = optional_text(c)
        grade, problem = vocab.title_grade(text or "")
        return (text, grade), problem is None

    out["title"], out["title_grade"] = parts("title", title, ("title", "title_grade"))

    def checked(
        parse: Callable[[object], tuple[Any, Problem | None]],
    ) -> Callable[[Any], tuple[Any, bool]]:
        def run(c: object) -> tuple[Any, bool]:
            value, problem = parse(c)
            return value, problem is None

        return run

    out["phone"] = _phones(cells("phone"), ok)
    encoded["choices"] = _choices(column, n, ok)

    def with_problems(
        method: Callable[[object, Callable[[Any], None]], Any],
    ) -> Callable[[Any], tuple[Any, bool]]:
        def run(c: object) -> tuple[Any, bool]:
            found: list[Any] = []
            value = method(c, found.append)
            return value, not found

        return run

    present = "accepts_adjustment" in reader.col
    out["accepts_adjustment"] = take(
        "accepts_adjustment", with_problems(functools.partial(adjustment_of, present))
    )

    def region(c: object) -> tuple[Any, bool]:
        if not clean_text(cell_text(c)):
            return (None, None), False  # the 填表单位 line decides: row by row
        found: list[Any] = []
        value = region_of_row(c, reader.context, found.append)
        return value, not found

    out["sending_unit"], out["region"] = parts("region", region, ("sending_unit", "region"))

    def track(c: object) -> tuple[Any, bool]:
        if not clean_text(cell_text(c)):
            return None, False
        found: list[Any] = []
        value = track_of_row(c, reader.context, found.append)
        return value, not found

    out["track"] = take("track", track)

    def grassroots(c: object) -> tuple[Any, bool]:
        value, problem = parse_yesno(c)
        return bool(value), problem is None

    out["grassroots"] = take("grassroots", grassroots)
    out["score"] = take("score", checked(parse_score))
    out["health_issue"] = take("health_issue", checked(parse_health), "health")
    out["prior_participation"] = take("prior_participation", checked(parse_yesno))

    # A 区直 工作单位 in a 盟市's table is an EMPLOYER_REGION_LEVEL warning: row by row.
    employers = column("employer")
    units, fine = employers.parse(lambda c: (optional_text(c), True))
    region_level = np.array([bool(u) and unit_region(u) == REGION_LEVEL for u in units])
    ok &= fine[employers.codes]
    ok &= ~(region_level[employers.codes] & (out["region"] != REGION_LEVEL))
    out["employer"] = units[employers.codes]
    encoded["employer"] = (employers.codes, units)
    for key in ("unit_type", "prearranged", "remark"):
        out[key] = take(key, lambda c: (optional_text(c), True))

    good = np.flatnonzero(ok)
    file = reader.file
    numbers = (rows[good] + 1).tolist()
    per_row: dict[str, Any] = {  # distinct keys and rows, one file, no problems
        "key": Column.of_distinct([f"{file}:{number}" for number in numbers]),
        "source_file": _same(file, len(good)),
        "source_row": Column.of_distinct(numbers),
        "problems": _same((), len(good)),
        "prearranged_from_remark": _same(False, len(good)),  # see matcher.ingest.remarks
    }
    # each column's codes of the ok rows, and those present, once: fields parsed from one
    # column (profession and field, the region and its unit…) share its codes
    taken: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def rows_of(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if id(codes) not in taken:
            at = codes[good]
            taken[id(codes)] = at, pd.unique(at)
        return taken[id(codes)]

    values = {
        name: per_row[name]
        if name in per_row
        else _encoded(*rows_of(encoded[name][0]), encoded[name][1], name == "id_number")
        if name in encoded
        else out[name][good]
        for name in FIELDS
    }
    del out
    encoded.clear()
    return ok, Applicants.from_columns(values, len(good))


def _same(value: object, count: int) -> Column:
    """``Column.of`` of `count` rows holding `value` (no value for no row)."""
    if count == 0:
        return Column.of(())
    return Column(np.zeros(count, dtype=np.uint8), np.fromiter([value], dtype=object, count=1))


def _encoded(
    codes: np.ndarray, present: np.ndarray, values: np.ndarray, distinct: bool = False
) -> Column:
    """``Column.of(values[codes])``, encoded from the few `values` and their codes.

    `present` holds the distinct `codes` in order of their first row (`pd.unique`).
    Equal values are one value, numbered in order of their first row, the missing ones
    (None, then NaN) last, as `Column.of` numbers them. With `distinct`, `values` are
    known to be distinct, None at most once (the IDs of `_ids`): they are not hashed.
    """
    # Per row only arrays of the codes' smallest type: few large temporaries.
    if distinct:
        known = Column(np.arange(len(values)), values)
    else:
        known = Column.of(values)  # equal values once, the missing ones last
    seen = pd.unique(known.codes[present]).astype(np.int64)  # values by first row
    missing = np.asarray(pd.isna(known.values), dtype=bool)
    order = np.concatenate([seen[~missing[seen]], np.sort(seen[missing[seen]])])
    kind = np.min_scalar_type(max(len(order) - 1, 0))
    number = np.zeros(len(known.values), dtype=kind)
    number[order] = np.arange(len(order))
    return Column(number[known.codes][codes], known.values[order])


def _part(values: np.ndarray, index: int) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = [v[index] for v in values]
    return out


def _choices(
    column_of: Callable[[str], _Column], n: int, ok: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Choices per row (a tuple), as a code per row and the tuple of each code.

    Rows `choices_of` would question are marked not ok. Each distinct cell of a column
    is read once (its text, the name it is compared by, whether it is a formula); a row
    is ok when its 拟选培养单位1 is filled, no choice repeats an earlier one
    (CHOICE_REPEATED) and no cell is a formula. The tuple of each distinct written
    triple of an ok row is built once; other rows get ``()`` (the last code).
    """
    columns = [column_of(k) for k in ("choice_1", "choice_2", "choice_3")]
    names: dict[str, int] = {}  # the name a choice is compared by → its number
    texts: list[list[str | None]] = []
    same: list[np.ndarray] = []  # per column: the compared name's number per row, -1: none
    formula = np.zeros(n, dtype=bool)
    for column in columns:
        written = [optional_text(c) for c in column.uniques]
        compared = [
            -1 if t is None else names.setdefault(clean_name(t).lower(), len(names))
            for t in written
        ]
        texts.append(written)
        same.append(np.asarray(compared, dtype=np.int64)[column.codes])
        formula |= np.array([is_formula_text(c) for c in column.uniques], dtype=bool)[column.codes]
    first, second, third = same
    repeated = (second >= 0) & (second == first)
    repeated |= (third >= 0) & ((third == first) | (third == second))
    fine = (first >= 0) & ~repeated & ~formula
    ok &= fine
    rows = np.flatnonzero(fine)
    combined = np.zeros(len(rows), dtype=np.int64)
    for column in columns:
        combined = combined * len(column.uniques) + column.codes[rows]
    # each written triple's number, in order of first row: a first row raises the maximum
    inverse, _ = pd.factorize(combined)
    at = np.flatnonzero(np.diff(np.maximum.accumulate(inverse), prepend=-1) > 0)
    first_rows = rows[at]
    one, two, three = (
        np.asarray(t, dtype=object)[c.codes[first_rows]]
        for t, c in zip(texts, columns, strict=True)
    )
    made = np.empty(len(at) + 1, dtype=object)
    made[-1] = ()
    made[:-1] = [  # the filled texts in order (the first is always filled)
        (a, b, c)
        if b is not None and c is not None
        else (a, b)
        if b is not None
        else (a, c)
        if c is not None
        else (a,)
        for a, b, c in zip(one.tolist(), two.tolist(), three.tolist(), strict=True)
    ]
    codes = np.full(n, len(at), dtype=np.int64)
    codes[rows] = inverse.ravel()
    return codes, made


def _ids(
    ids: _Column, sex: np.ndarray, birth: np.ndarray, reference: date, ok: np.ndarray
) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """The ID numbers as a code per row and the ID of each code, and each ID's birth date.

    Checked once per distinct cell of `ids`; rows `parse_id` would question are not ok.
    `sex` is each row's 性别 (1 男, 0 女, -1 other), `birth` its 出生年月 as yyyymmdd (0:
    none). The IDs are distinct texts and one None (an empty cell: no ID, no problem); the
    birth date is yyyymmdd of a kept ID, else 0.

    Not ok: any problem, or a text it would normalise (spaces, x, full-width digits).

    A clean ID is 18 ASCII characters, 17 digits and a digit or X, with the right check
    digit, a real birth date from 1900 to `reference`, the 17th digit's sex equal to a
    given 性别 and its month at most one month from a given 出生年月's.
    """
    cells = ids.uniques
    n = len(ids.codes)
    none = np.full(n, len(cells), dtype=np.int64)
    values = np.array([None], dtype=object)
    if all(c is None for c in cells):
        return (none, values), np.zeros(n, dtype=np.int64)  # no 身份证号 column: no ID
    # empty text: no ID, no problem; anything that is not text: row by row
    kind = np.array([len(c) if type(c) is str else -1 for c in cells], dtype=np.int64)
    sure = np.flatnonzero(kind == 18)
    texts = [cells[i] for i in sure.tolist()]
    joined = "".join(texts).encode("utf-8", "surrogatepass")
    if len(joined) == 18 * len(texts):  # all ASCII: a byte per character
        codes = np.frombuffer(joined, dtype=np.uint8).reshape(len(sure), 18).astype(np.int64)
    else:
        written = np.array(texts, dtype="<U18")
        codes = written.view(np.uint32).reshape(len(sure), 18).astype(np.int64)
    digits = codes - 48
    good = np.all((digits[:, :17] >= 0) & (digits[:, :17] <= 9), axis=1)
    last = codes[:, 17]
    good &= ((last >= 48) & (last <= 57)) | (last == 88)
    good &= _ID_CHECK[(digits[:, :17] @ _ID_WEIGHTS) % 11] == last
    year = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    safe_month = np.clip(month, 0, 12)
    days = _DAYS[safe_month] + ((safe_month == 2) & leap)
    good &= (month >= 1) & (month <= 12) & (day >= 1) & (day <= days) & (year >= 1900)
    ref = reference.year * 10000 + reference.month * 100 + reference.day
    stamp = year * 10000 + month * 100 + day
    good &= stamp <= ref
    kept = sure[good]
    # per distinct cell: the ID's code (the empty cell's and the others' is None's), sex,
    # months since year 0 and birth date
    code = np.full(len(cells), len(kept), dtype=np.int64)
    code[kept] = np.arange(len(kept))
    odd = np.full(len(cells), -1, dtype=np.int8)
    odd[kept] = digits[good, 16] % 2
    months = np.zeros(len(cells), dtype=np.int64)
    months[kept] = (year * 12 + month)[good]
    stamps = np.zeros(len(cells), dtype=np.int64)
    stamps[kept] = stamp[good]
    rows = ids.codes
    valid = odd[rows] >= 0
    given = birth // 10000 * 12 + birth // 100 % 100
    fine = ((sex < 0) | (sex == odd[rows])) & ((birth == 0) | (np.abs(given - months[rows]) <= 1))
    ok &= (kind[rows] == 0) | (valid & fine)
    values = np.empty(len(kept) + 1, dtype=object)  # `ids`' new strings (`_Column`'s `fresh`)
    values[:-1] = [cells[i] for i in kept.tolist()]
    return (code[rows], values), np.where(valid & fine, stamps[rows], 0)


def _phones(cells: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """`parse_phone` of each row's cell; rows with a problem are marked not ok.

    An 11-digit ASCII mobile number (1[3-9]…) is its own value (checked with numpy, a
    new equal string kept); any other cell is parsed, once per distinct cell.
    """
    n = len(cells)
    out = np.full(n, None, dtype=object)
    texts = cells.tolist()
    if all(t is None for t in texts):
        return out  # no 联系方式 column: parse_phone(None) is (None, None)
    mobile = np.zeros(n, dtype=bool)
    eleven = np.flatnonzero([type(t) is str and len(t) == 11 for t in texts])
    if len(eleven):
        written = np.array(cells[eleven].tolist(), dtype="<U11")
        codes = written.view(np.uint32).reshape(len(eleven), 11)
        digits = np.all((codes >= 48) & (codes <= 57), axis=1)
        good = digits & (codes[:, 0] == 49) & (codes[:, 1] >= 51)
        mobile[eleven[good]] = True
        out[eleven[good]] = written[good].tolist()
    rest = np.flatnonzero(~mobile)
    if len(rest):

        def phone(c: object) -> tuple[Any, bool]:
            value, problem = parse_phone(c)
            return value, problem is None

        values, fine = _Column(cells[rest]).apply(phone)
        out[rest] = values
        ok[rest] &= fine
    return out


def _stamps(days: np.ndarray) -> np.ndarray:
    """Each date of `days` as yyyymmdd (0 for None)."""
    return np.fromiter(
        (0 if d is None else d.year * 10000 + d.month * 100 + d.day for d in days.tolist()),
        dtype=np.int64,
        count=len(days),
    )
