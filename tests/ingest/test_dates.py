"""Exact dates: the valid ID's birth date wins, and each date knows whether its day is known."""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.ingest import read_applicants
from matcher.ingest.cells import parse_day
from matcher.ingest.ids import months_apart
from matcher.model import Severity
from tests.ingest.test_columns import _read, _same
from tests.ingest.util import HEADER, REFERENCE, good_row, make_id, vocab, write_csv, write_form

VOCAB = vocab()


def read(path: Path):  # type: ignore[no-untyped-def]
    return read_applicants(path, VOCAB, REFERENCE)


@pytest.mark.parametrize(
    ("cell", "expected", "exact"),
    [
        ("1985.03", date(1985, 3, 1), False),
        ("1985年3月", date(1985, 3, 1), False),
        ("198503", date(1985, 3, 1), False),
        (1985.03, date(1985, 3, 1), False),
        ("1985-03-05", date(1985, 3, 5), True),
        ("1985年3月5日", date(1985, 3, 5), True),
        ("19850301", date(1985, 3, 1), True),  # a written day, even the 1st
        (19850305, date(1985, 3, 5), True),
        (date(1985, 3, 5), date(1985, 3, 5), True),
        (datetime(1985, 3, 5, 0, 0), date(1985, 3, 5), True),
        (date(1985, 3, 1), date(1985, 3, 1), False),  # what Excel stores for a typed 1985.3
        ("1985-03-01 00:00:00", date(1985, 3, 1), False),  # such a cell exported with its time
        ("1985-03-05 00:00:00", date(1985, 3, 5), True),
        (31111, date(1985, 3, 5), True),  # an Excel serial number
        (31107, date(1985, 3, 1), False),
    ],
)
def test_a_date_knows_whether_its_day_is_known(cell: object, expected: date, exact: bool) -> None:
    assert parse_day(cell, REFERENCE) == (expected, exact, None)


def test_day_zero_is_not_read_as_the_first() -> None:
    value, _, problem = parse_day("1985-03-00", REFERENCE)
    assert value is None and problem is not None and problem.code == "DATE_INVALID"


def test_the_valid_ids_birth_day_wins(tmp_path: Path) -> None:
    path = tmp_path / "ids.xlsx"
    broken = make_id(date(1977, 3, 21), False)[:-1] + "Y"
    write_form(
        path,
        [
            good_row(1, 出生年月="1977.03", 身份证号=make_id(date(1977, 3, 21), False)),
            good_row(2, 姓名="其其格", 出生年月="1977.03", 身份证号=None),
            good_row(3, 姓名="巴特尔", 出生年月="1977-03-21", 身份证号=None),
            good_row(4, 姓名="萨仁", 出生年月=None, 身份证号=make_id(date(1977, 3, 21), False)),
            good_row(5, 姓名="阿拉坦", 出生年月="1977.03", 身份证号=broken),
        ],
    )
    people, issues = read(path)
    assert [(p.birth, p.birth_exact) for p in people] == [
        (date(1977, 3, 21), True),  # the ID's day
        (date(1977, 3, 1), False),  # no ID: only the month
        (date(1977, 3, 21), True),  # no ID, a written day
        (date(1977, 3, 21), True),  # 出生年月 left empty: the ID gives it
        (date(1977, 3, 1), False),  # an invalid ID gives nothing
    ]
    assert [(i.row, i.code) for i in issues] == [(people[4].source_row, "ID_FORMAT")]


@pytest.mark.parametrize(
    ("written", "warned"),
    [("1988.05", False), ("1988.04", False), ("1988.06", False), ("1988.03", True),
     ("1988.07", True), ("1987.05", True)],
)
def test_birth_more_than_a_month_from_the_id_is_a_warning(
    tmp_path: Path, written: str, warned: bool
) -> None:
    path = tmp_path / "mismatch.xlsx"
    write_form(path, [good_row(1, 出生年月=written, 身份证号=make_id(date(1988, 5, 3), False))])
    (person,), issues = read(path)
    assert person.birth == date(1988, 5, 3) and person.birth_exact  # the ID wins either way
    assert not person.invalid
    if warned:
        (issue,) = issues
        assert (issue.code, issue.severity) == ("ID_BIRTH_MISMATCH", Severity.WARNING)
        assert f"出生年月{written}" in issue.message and "1988.05" in issue.message  # both named
        assert "按身份证号" in issue.message
    else:
        assert issues == []


def test_excel_number_1977_1_takes_the_ids_month(tmp_path: Path) -> None:
    # 1977.10 typed into a number cell is stored as 1977.1
    path = tmp_path / "float.xlsx"
    write_form(
        path,
        [
            good_row(1, 出生年月=1977.1, 身份证号=make_id(date(1977, 10, 5), False)),
            good_row(2, 姓名="巴特尔", 出生年月=1977.1, 身份证号=make_id(date(1977, 1, 5), False)),
            good_row(3, 姓名="其其格", 出生年月=1977.1, 身份证号=None),
        ],
    )
    people, issues = read(path)
    assert issues == []  # read as October for the first: no mismatch with its ID
    assert [(p.birth, p.birth_exact) for p in people] == [
        (date(1977, 10, 5), True),
        (date(1977, 1, 5), True),
        (date(1977, 1, 1), False),  # no ID to say otherwise: January, only the month known
    ]


MONTHS = ["{y}.{m:02d}", "{y}年{m}月", "{y}{m:02d}"]


@st.composite
def dated_rows(draw: st.DrawFn) -> tuple[list[str], date, int, bool]:
    born = draw(st.dates(date(1960, 3, 1), date(2000, 10, 28)))
    offset = draw(st.integers(-3, 3))
    month = born.year * 12 + born.month - 1 + offset
    written = draw(st.sampled_from(MONTHS)).format(y=month // 12, m=month % 12 + 1)
    with_id = draw(st.booleans())
    row = [str(v) for v in good_row(1, 出生年月=written)]
    row[HEADER.index("身份证号")] = make_id(born, False) if with_id else ""
    return row, born, offset, with_id


@settings(max_examples=30, deadline=None)
@given(st.lists(dated_rows(), min_size=1, max_size=6))
def test_birth_is_the_ids_when_valid_else_the_month_written(
    rows: list[tuple[list[str], date, int, bool]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dates.csv"
        write_csv(path, HEADER, [r for r, *_ in rows])
        people, _ = read(path)
    for person, (_, born, offset, with_id) in zip(people, rows, strict=True):
        warned = [p.code for p in person.problems if p.code == "ID_BIRTH_MISMATCH"]
        assert not [p for p in person.problems if p.column == "出生年月"]
        if with_id:
            assert (person.birth, person.birth_exact) == (born, True)
            assert bool(warned) is (abs(offset) > 1)
        else:
            assert not person.birth_exact and person.birth is not None
            assert person.birth.day == 1 and months_apart(person.birth, born) == abs(offset)
            assert not warned


@pytest.fixture(scope="module")
def mixed_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A large-round CSV whose rows vary the 出生年月 against the ID, and drop IDs."""
    from matcher.sample import write_large_round

    folder = tmp_path_factory.mktemp("dates")
    source = write_large_round(400, 7, folder / "source.csv")
    lines = source.read_text(encoding="utf-8-sig").splitlines()
    out = [lines[0]]
    for i, line in enumerate(lines[1:]):
        cells = line.split(",")
        ident = cells[15]
        year, month, day = int(ident[6:10]), int(ident[10:12]), int(ident[12:14])
        kind = i % 6
        if kind in (1, 2):  # one month and two months away from the ID's
            shifted = year * 12 + month - 1 + kind
            cells[4] = f"{shifted // 12}.{shifted % 12 + 1:02d}"
        elif kind == 3:  # no ID: only the month is known
            cells[15] = ""
        elif kind == 4:  # no ID, the day written
            cells[15] = ""
            cells[4] = f"{year}-{month:02d}-{day:02d}"
        elif kind == 5:  # 参加工作时间 with its day
            cells[6] = cells[6].replace(".", "-") + "-15"
        out.append(",".join(cells))
    path = folder / "mixed.csv"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def test_column_reader_gives_the_row_readers_dates(
    mixed_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_people, fast_issues = _read(mixed_csv, True, monkeypatch)
    row_people, row_issues = _read(mixed_csv, False, monkeypatch)
    assert fast_issues == row_issues
    assert {i.code for i in row_issues} >= {"ID_BIRTH_MISMATCH"}
    _same(fast_people, row_people)
    exact = [(p.birth_exact, p.work_start_exact) for p in row_people]
    assert {(True, False), (False, False), (True, True)} <= set(exact)
