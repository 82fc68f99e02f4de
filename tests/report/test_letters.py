"""报到通知 letters from the editable template, the hosts' lists, the catalogue's contacts."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
import xlsxwriter
from docx import Document
from hypothesis import given, settings

from matcher.api import letters as letters_api
from matcher.ingest.hosts import read_hosts
from matcher.model import HostCatalogue
from matcher.report.letter_template import FIELDS, PARAGRAPHS, build_template
from matcher.report.letters import (
    MISSING,
    LetterError,
    Template,
    default_template,
    letters_files,
    missing_contacts,
)
from matcher.report.rundir import read_run
from tests.report.conftest import HOSTS
from tests.report.runs import run_of
from tests.strategies import CI, build_result, result_rows


@pytest.fixture()
def run(written):
    return read_run(written[0])


def _catalogue() -> HostCatalogue:
    first = HOSTS[0].model_copy(
        update={
            "contact": "王老师",
            "contact_phone": "010-82800000",
            "report_address": "北京市海淀区学院路38号",
            "report_time": "2023年9月1日上午9:00",
        }
    )
    return HostCatalogue(hosts=(first, *HOSTS[1:]))


def _text(data: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


def test_one_letter_per_trainee_with_the_hosts_contact(run):
    files = letters_files(run, _catalogue(), issued=date(2023, 7, 1))
    letters = {p: d for p, d in files.items() if p.endswith(".docx")}
    assert len(letters) == len(run.trainees())
    bater = _text(letters["报到通知/北京大学医学部/001-巴特尔.docx"])
    assert bater.startswith("报到通知\n巴特尔同志：")
    for expected in ("王老师", "010-82800000", "北京市海淀区学院路38号", "2023年9月1日上午9:00"):
        assert expected in bater
    assert "每月600元" in bater and "2023年7月1日" in bater and "区外培养" in bater
    other = _text(letters["报到通知/内蒙古大学/004-阿拉坦.docx"])
    assert f"报到时间：{MISSING}" in other and "每月400元" in other
    hostile = next(p for p in letters if p.startswith("报到通知/中国农业大学/002-"))
    assert '=HYPERLINK("http://x","y")同志' in _text(letters[hostile])  # escaped, kept as text
    lists = sorted(p for p in files if p.startswith("报到名单/"))
    assert lists == sorted(f"报到名单/{h}.xlsx" for h in set(run.trainees()["host"]))
    sheet = openpyxl.load_workbook(io.BytesIO(files["报到名单/北京大学医学部.xlsx"])).active
    assert "联系人：王老师" in sheet["A2"].value and sheet["B4"].value == "巴特尔"


def test_missing_contacts_are_named(run):
    lacking = missing_contacts(run, _catalogue())
    assert "北京大学医学部" not in lacking
    assert lacking["内蒙古大学"] == ["报到时间", "报到地址", "联系人", "联系电话"]


def test_letters_are_byte_identical(run):
    catalogue = _catalogue()
    assert letters_files(run, catalogue) == letters_files(run, catalogue)
    data = next(iter(letters_files(run, catalogue).values()))
    assert {i.date_time for i in zipfile.ZipFile(io.BytesIO(data)).infolist()} == {
        (1980, 1, 1, 0, 0, 0)
    }


def test_the_bundled_template_is_the_generated_one():
    template = Template.read(default_template())
    assert template.fields <= set(FIELDS)
    bundled = [p.text for p in Document(str(default_template())).paragraphs]
    built = [p.text for p in Document(io.BytesIO(build_template())).paragraphs]
    assert bundled == built and len(built) == len(PARAGRAPHS)


def test_an_edited_template_with_an_unknown_field_is_refused(tmp_path):
    document = Document()
    document.add_paragraph("{{ 姓名 }}同志，请于{{ 报道时间 }}报到")  # 报道: a typo
    path = tmp_path / "t.docx"
    document.save(str(path))
    with pytest.raises(LetterError, match="报道时间"):
        Template.read(path)
    (tmp_path / "bad.docx").write_text("not a docx")
    with pytest.raises(LetterError, match="无法读取"):
        Template.read(tmp_path / "bad.docx")


def test_an_edited_template_is_used(run, tmp_path):
    document = Document()
    document.add_paragraph("致{{ 姓名 }}（{{ 民族 }}，{{ 从事专业 }}）：到{{ 培养单位 }}报到")
    path = tmp_path / "mine.docx"
    document.save(str(path))
    files = letters_files(run, _catalogue(), Template.read(path))
    text = _text(files["报到通知/内蒙古农业大学/005-萨仁.docx"])
    assert text == "致萨仁（蒙古族，林学）：到内蒙古农业大学报到"


def test_catalogue_contact_columns_are_read(tmp_path):
    path = tmp_path / "hosts.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    header = ["培养单位", "培养方式", "接收名额", "培养专业"]
    header += ["联系人", "联系电话", "报到地址", "报到时间"]
    sheet.write_row(0, 0, header)
    sheet.write_row(1, 0, ["内蒙古大学", "区内", 2, "教育", "李老师", ""])
    sheet.write_string(1, 6, "呼和浩特市大学西街235号")
    sheet.write_number(1, 5, 4714992000)
    sheet.write_datetime(1, 7, datetime(2023, 9, 1), book.add_format({"num_format": "yyyy-mm-dd"}))
    sheet.write_row(2, 0, ["内蒙古农业大学", "区内", 1, "农学"])
    book.close()
    catalogue, issues = read_hosts(path)
    assert issues == []
    first, second = catalogue.hosts
    assert (first.contact, first.contact_phone) == ("李老师", "4714992000")
    assert (first.report_address, first.report_time) == ("呼和浩特市大学西街235号", "2023年9月1日")
    assert (second.contact, second.report_time) == ("", "")


def test_letters_need_a_catalogue_when_the_run_used_another(written, tmp_path):
    with pytest.raises(LetterError, match="--hosts"):
        letters_api(written[0], tmp_path / "letters")  # the fixture's run names no real file


@settings(CI, max_examples=10)
@given(rows=result_rows(max_rows=8))
def test_exactly_one_letter_per_trainee(tmp_path_factory, rows):
    """Property: one letter per trainee, under their host; one list per host with trainees."""
    run = run_of(build_result(rows), tmp_path_factory.mktemp("letters"))
    files = letters_files(run, HostCatalogue(hosts=()))
    trainees = run.trainees()
    letters = [p for p in files if p.startswith("报到通知/")]
    assert len(letters) == len(trainees)
    assert sorted(p.split("/")[1] for p in letters) == sorted(trainees["host"])
    assert sorted(p for p in files if p.startswith("报到名单/")) == sorted(
        f"报到名单/{h}.xlsx" for h in set(trainees["host"])
    )
