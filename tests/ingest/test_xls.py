"""Old .xls workbooks (Excel 97–2003) are read like .xlsx ones (calamine reads both)."""

from datetime import date
from pathlib import Path

import pytest

from matcher.ingest import read_applicants
from tests.ingest.util import HEADER, good_row, vocab, write_form

xlwt = pytest.importorskip("xlwt")

TITLE = "2023年度学员汇总表（区外培养）"
UNIT = "填表单位：兴安盟人力资源和社会保障局"


def write_xls(path: Path, rows: list[list[object]]) -> None:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    sheet.write_merge(0, 0, 0, len(HEADER) - 1, TITLE)
    sheet.write(1, 0, UNIT)
    for c, name in enumerate(HEADER):
        sheet.write(2, c, name)
    for r, row in enumerate(rows, start=3):
        for c, value in enumerate(row):
            if isinstance(value, date):
                value = value.strftime("%Y.%m")
            if value is not None:
                sheet.write(r, c, value)
    book.save(str(path))


def test_xls_reads_as_the_same_form_in_xlsx(tmp_path: Path) -> None:
    rows = [good_row(1), good_row(2, 姓名="巴特尔", 出生年月="1985.13")]
    write_xls(tmp_path / "兴安盟.xls", rows)
    write_form(tmp_path / "兴安盟.xlsx", rows, title=TITLE, unit_line=UNIT, instructions=False)
    old, old_issues = read_applicants(tmp_path / "兴安盟.xls", vocab(), date(2023, 3, 20))
    new, new_issues = read_applicants(tmp_path / "兴安盟.xlsx", vocab(), date(2023, 3, 20))
    strip = {"key", "source_file", "problems"}
    assert [a.model_dump(exclude=strip) for a in old] == [a.model_dump(exclude=strip) for a in new]
    assert [(i.row, i.column, i.code) for i in old_issues] == [
        (i.row, i.column, i.code) for i in new_issues
    ]
    assert [i.code for i in old_issues] == ["DATE_INVALID"]
