"""A cell holding a formula is FORMULA_CELL, never REQUIRED_MISSING (issue 13, item 5)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

from matcher.ingest import fast, tables
from matcher.ingest.formulas import formula_cells, is_formula_text
from tests.ingest.util import FAST, HEADER, good_row, read_one, write_csv

TITLE = "2023年度特培计划学员汇总表（区外培养）"
UNIT = "填表单位：兴安盟人力资源和社会保障局"


def _openpyxl_form(path: Path, rows: list[list[object]]) -> None:
    """A form saved by openpyxl: its formulas have no stored value (calamine reads none)."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([TITLE])
    sheet.append([UNIT])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)


def test_formula_without_stored_value_is_its_own_error(tmp_path: Path) -> None:
    path = tmp_path / "openpyxl.xlsx"
    _openpyxl_form(path, [good_row(1), good_row(2, 姓名="=A5"),
                          good_row(3, 姓名="其其格", 拟选培养单位1='=HYPERLINK("https://x","中国农业大学")')])
    people, issues = read_one(path)
    assert [(i.row, i.column, i.code, i.severity.value) for i in issues if i.row] == [
        (5, "姓名", "FORMULA_CELL", "error"), (6, "拟选培养单位1", "FORMULA_CELL", "error")]
    assert "REQUIRED_MISSING" not in {i.code for i in issues}
    assert not people[0].problems and people[1].invalid and people[2].invalid
    assert people[1].problems == tuple(i for i in issues if i.row == 5)
    assert "选择性粘贴" in issues[0].message


def test_formula_with_a_stored_zero_is_its_own_error(tmp_path: Path) -> None:
    path = tmp_path / "zero.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Sheet1")
    sheet.write(0, 0, TITLE)
    sheet.write(1, 0, UNIT)
    sheet.write_row(2, 0, HEADER)
    sheet.write_row(3, 0, good_row(1))
    sheet.write_row(4, 0, good_row(2, 姓名="巴特尔"))
    sheet.write_formula(4, HEADER.index("从事专业"), "=H4")  # xlsxwriter stores 0 as result
    book.close()
    _, issues = read_one(path)
    assert [(i.row, i.column, i.code) for i in issues if i.row] == [(5, "从事专业", "FORMULA_CELL")]


def test_an_empty_cell_without_formula_stays_required_missing(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    _openpyxl_form(path, [good_row(1, 从事专业=None)])
    _, issues = read_one(path)
    assert [(i.row, i.column, i.code) for i in issues if i.row] == [
        (4, "从事专业", "REQUIRED_MISSING")]


def test_formula_text_in_a_csv(tmp_path: Path) -> None:
    path = tmp_path / "all.csv"
    header = [*HEADER, "选派地区", "培养方式"]
    where = ["兴安盟", "区外"]
    write_csv(path, header, [good_row(1, 姓名="=A5") + where,
                             good_row(2, 姓名="巴特尔", 民族="＝VLOOKUP(B2,S!A:B,2,0)") + where])
    _, issues = read_one(path)
    assert [(i.row, i.column, i.code) for i in issues if i.row] == [
        (2, "姓名", "FORMULA_CELL"), (3, "民族", "FORMULA_CELL")]
    assert "=A5" in issues[0].message


def test_formula_text_by_column_equals_by_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    path = tmp_path / "big.csv"
    header = [*HEADER, "选派地区", "培养方式"]
    rows = [[*good_row(i), "兴安盟", "区外"] for i in range(1, 40)]
    rows[7][HEADER.index("从事专业")] = "=A5"
    rows[9][HEADER.index("拟选培养单位2")] = "=B3"
    lines = [header, *rows]  # plain: no quotes, \n line ends (what is read by column)
    path.write_text("".join(",".join(map(str, r)) + "\n" for r in lines), encoding="utf-8")
    monkeypatch.setattr(tables, "COLUMN_READ_BYTES", 0)
    seen: list[int] = []
    real = fast.read_rows

    def counted(*args: object) -> object:
        ok, people = real(*args)  # type: ignore[arg-type]
        seen.append(len(people))
        return ok, people

    monkeypatch.setattr(fast, "read_rows", counted)
    people, issues = read_one(path)
    assert seen == [37]  # the two formula rows went to the row reader
    assert [(i.row, i.column, i.code) for i in issues if i.row] == [
        (9, "从事专业", "FORMULA_CELL"), (11, "拟选培养单位2", "FORMULA_CELL")]
    assert [p.source_row for p in people] == list(range(2, 41))


def test_formula_cells_of_a_file_that_is_no_workbook(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a zip")
    assert formula_cells(path, "Sheet1", [(3, 1)]) == set()
    assert formula_cells(tmp_path / "x.csv", "x", [(3, 1)]) == set()


@FAST
@given(st.text(max_size=8))
def test_formula_text_is_text_starting_with_an_equals_sign(text: str) -> None:
    assert is_formula_text("=" + text) is bool(text.strip())
    if not text.lstrip().startswith(("=", "＝")):
        assert not is_formula_text(text)
    assert not is_formula_text(1.0) and not is_formula_text(None)


def test_a_round_without_formulas_never_imports_openpyxl() -> None:
    """The sample has an empty required cell (a suspect) but no formula: no openpyxl."""
    import subprocess
    import sys

    code = ("import sys; from matcher.load import load_round; load_round(); "
            "sys.exit('openpyxl' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
