"""The printable 附件3 per track and the return package per sending unit."""

from __future__ import annotations

import io
from collections import Counter

import openpyxl
import pytest
from hypothesis import given, settings

from matcher.forms import OFFICIAL_COLUMNS
from matcher.report.forms import forms_files, package_counts, packages
from matcher.report.rundir import read_run
from tests.report.runs import run_of
from tests.strategies import CI, build_result, result_rows


@pytest.fixture()
def run(written):
    return read_run(written[0])


def _book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _values(sheet) -> list[list[object]]:
    return [[c.value for c in row] for row in sheet.iter_rows()]


def test_official_form_is_laid_out_as_the_notice_prints_it(run):
    files = forms_files(run)
    book = _book(files["附件3-区外培养学员汇总表.xlsx"])
    sheet = book.worksheets[0]
    rows = _values(sheet)
    assert rows[0][0] == "2023年度“内蒙古少数民族地区专业技术人才特培计划”学员汇总表（区外培养）"
    assert rows[1][0].startswith("填表单位：内蒙古自治区人力资源和社会保障厅（盖章）")
    assert "填表时间：" in rows[1][0]
    assert rows[2] == [*OFFICIAL_COLUMNS, "培养单位", "录取方式"]
    body = [r for r in rows[3:] if isinstance(r[0], str) and r[0].isdigit()]
    assert [r[1] for r in body] == ["巴特尔", '=HYPERLINK("http://x","y")', "其其格"]
    assert [r[-1] for r in body] == ["第一志愿", "调剂", "第二志愿"]
    assert body[0][4] == "1985.03" and body[0][8] == "硕士研究生 2008年毕业"
    assert rows[-2][0] == "备注：区外培养学员和区内培养学员分开填报。"
    # print setup: A4 landscape, one page wide, header row on every page
    assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth in (None, 1)  # OOXML's default is 1 page wide
    assert sheet.page_setup.fitToHeight == 0  # as many pages down as needed
    assert sheet.print_title_rows == "$3:$3"
    assert "A1:" in str(sheet.merged_cells)  # the title merged across the columns
    # nothing is a formula: the hostile name is a string cell
    cell = sheet.cell(row=5, column=2)
    assert cell.data_type == "s"


def test_filled_on_and_unit_are_printed(run):
    from datetime import date

    files = forms_files(run, unit="某某局", filled_on=date(2023, 7, 1))
    line = _values(_book(files["附件3-区内培养学员汇总表.xlsx"]).worksheets[0])[1][0]
    assert line.startswith("填表单位：某某局（盖章）") and line.endswith("填表时间：2023年7月1日")


def test_each_unit_gets_its_own_package_and_erlian_is_apart(run):
    files = forms_files(run)
    names = sorted(p for p in files if p.startswith("回执/"))
    assert names == sorted(
        ["回执/呼和浩特市.xlsx", "回执/兴安盟.xlsx", "回执/锡林郭勒盟.xlsx", "回执/二连浩特市.xlsx"]
    )
    erlian = _book(files["回执/二连浩特市.xlsx"])
    assert erlian.sheetnames == ["区外培养录取名单", "未录取名单", "需更正"]
    selected = _values(erlian["区外培养录取名单"])
    assert selected[1][0].startswith("选派单位：二连浩特市")
    assert "其其格" in [r[1] for r in selected]
    xilin = _book(files["回执/锡林郭勒盟.xlsx"])
    correct = _values(xilin["需更正"])
    assert any("出生年月" in str(r[5]) for r in correct[3:])  # the invalid row's problem
    counts = package_counts(run)
    assert counts["二连浩特市"] == {"selected": 1, "not_selected": 0, "to_correct": 0}


def test_no_id_number_leaves_in_a_package(run):
    numbers = {n for n in run.placements["id_number"] if n}
    for path, data in forms_files(run).items():
        for sheet in _book(data).worksheets:
            for row in _values(sheet):
                assert not numbers & {str(v) for v in row}, path


def _package_rows(data: bytes) -> int:
    count = 0
    for sheet in _book(data).worksheets:
        count += sum(1 for r in _values(sheet)[3:] if isinstance(r[0], str) and r[0].isdigit())
    return count


@settings(CI, max_examples=25)
@given(rows=result_rows(max_rows=25))
def test_every_row_is_in_exactly_one_package(tmp_path_factory, rows):
    """Property: the packages' printed rows are the run's rows, each once; ≤ 15 units."""
    run = run_of(build_result(rows), tmp_path_factory.mktemp("forms"))
    files = forms_files(run)
    per_unit = packages(run)
    assert sum(len(f) for f in per_unit.values()) == len(run.placements)
    assert len(per_unit) <= 15
    keys = Counter(k for f in per_unit.values() for k in f["source_row"])
    assert all(v == 1 for v in keys.values())
    printed = sum(_package_rows(d) for p, d in files.items() if p.startswith("回执/"))
    assert printed == len(run.placements)
    for track in ("区外", "区内"):
        form = files[f"附件3-{track}培养学员汇总表.xlsx"]
        selected = run.trainees()
        assert _package_rows(form) == int((selected["track"] == track).sum())


def test_forms_are_byte_identical(run):
    assert forms_files(run) == forms_files(run)
