"""Cells that hold a formula instead of a value (FORMULA_CELL, an error of its own).

A clerk pastes ``=HYPERLINK(...)`` or ``=A5`` into a form. Two ways it reaches the reader:

- as text starting with ``=`` (a CSV, or a workbook cell typed as text): `is_formula_text`;
- as a workbook formula without a stored result (a file saved by a program that does not
  calculate): calamine, which reads stored values only, gives an empty cell, or the 0 some
  writers store. Only such suspect cells (an empty required cell, a 0 in a text column) are
  looked up, with openpyxl, in the file's formulas (`formula_cells`), and only when the
  sheets' XML holds a formula element at all.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from matcher.ingest.problems import Problem, error
from matcher.ingest.text import shorten
from matcher.model import Applicant, Applicants, Issue

_EQUALS = ("=", "＝")
#: Workbook types whose formulas openpyxl can read.
FORMULA_SUFFIXES = (".xlsx", ".xlsm")


def is_formula_text(value: object) -> bool:
    """Whether `value` is text that is a formula: ``=`` or ``＝`` first, then something."""
    return type(value) is str and value[:1] in _EQUALS and bool(value[1:].strip())


def formula_problem(column: str, written: str | None = None) -> Problem:
    """FORMULA_CELL for `column` (the formula as written, when it is known)."""
    what = f"（{shorten(written)}）" if written else ""
    return error(
        "FORMULA_CELL",
        f"“{column}”单元格是公式{what}而不是填写的内容，读不出值；"
        "请在Excel中复制该单元格后“选择性粘贴→数值”，或直接填写内容",
    )


def formula_cells(path: Path, sheet: str, cells: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which of `cells` (0-based row, column) of `sheet` hold a formula in the file.

    Read with openpyxl (read-only), rows from the first to the last asked only; a file
    it cannot read gives the empty set (the cells then keep their other problems).
    """
    wanted = set(cells)
    if not wanted or path.suffix.lower() not in FORMULA_SUFFIXES:
        return set()
    if not _has_formulas(path):
        return set()  # most workbooks: openpyxl is not even imported
    from openpyxl import load_workbook  # only a workbook with formulas and suspect cells

    low = min(r for r, _ in wanted)
    high = max(r for r, _ in wanted)
    found: set[tuple[int, int]] = set()
    try:
        book = load_workbook(path, read_only=True, data_only=False)
        try:
            if sheet not in book.sheetnames:
                return set()
            rows = book[sheet].iter_rows(min_row=low + 1, max_row=high + 1)
            for r, row in enumerate(rows, start=low):
                for c, cell in enumerate(row):
                    if (r, c) in wanted and (
                        getattr(cell, "data_type", None) == "f" or is_formula_text(cell.value)
                    ):
                        found.add((r, c))
        finally:
            book.close()
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
        return set()
    return found


_FORMULA_ELEMENT = re.compile(rb"<(?:\w+:)?f[ >]")


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet of the workbook holds a formula element (``<f>``).

    A byte search through the sheets' XML, a block at a time (stdlib zipfile); the cells
    themselves are read by openpyxl. True when in doubt (an unreadable member).
    """
    try:
        with zipfile.ZipFile(path) as book:
            for name in book.namelist():
                if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                    continue
                tail = b""
                with book.open(name) as member:
                    while block := member.read(1 << 20):
                        if _FORMULA_ELEMENT.search(tail + block):
                            return True
                        tail = block[-16:]
    except (OSError, zipfile.BadZipFile, RuntimeError, ValueError):
        return True
    return False


def with_formulas(
    people: Sequence[Applicant],
    issues: Sequence[Issue],
    found: set[tuple[int, int]],
    columns: dict[int, str],
) -> tuple[Applicants, list[Issue]]:
    """`people` and `issues` with FORMULA_CELL in place of a formula cell's other problems.

    `found` holds (0-based row, column) of formula cells, `columns` the header text of
    each column; the problems of other cells are kept.
    """
    at: dict[tuple[int, str], None] = {}
    for r, c in sorted(found):
        if c in columns:
            at[(r + 1, columns[c])] = None
    rows = {r for r, _ in at}
    changed: dict[int, Applicant] = {}
    people = Applicants.coerce(people)
    for i, number in enumerate(people.column("source_row")):
        if number not in rows:
            continue
        person = people[i]
        names = [n for r, n in at if r == number]
        kept = [p for p in person.problems if p.column not in names]
        added = [formula_problem(n).issue(person.source_file, number, n) for n in names]
        changed[i] = person.model_copy(update={"problems": (*kept, *added)})
    fixed = [i for i in issues if (i.row, i.column) not in at]
    fixed += [
        formula_problem(n).issue(p.source_file, p.source_row, n)
        for p in changed.values()
        for n in [m for r, m in at if r == p.source_row]
    ]
    return people.replaced(changed), fixed
