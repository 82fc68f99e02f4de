"""Missing optional columns that change the outcome are said once per file (issue 13, item 2)."""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from matcher.cli import app
from matcher.forms import OFFICIAL_COLUMNS
from matcher.ingest.absent import ASSUMED_WHEN_ABSENT
from matcher.ingest.headers import label
from matcher.load import load_round
from matcher.pipeline import solve_round
from matcher.report.write import write_outputs
from tests.ingest.util import FAST, OUTCOME_COLUMNS, good_row, make_id, read_one, write_form

OFFICIAL = list(OFFICIAL_COLUMNS)  # the notice's 13 columns, nothing else
PLAIN_TITLE = "2023年度“内蒙古少数民族地区专业技术人才特培计划”学员汇总表（区外培养）"


def _plain(path: Path, sheets: int = 1) -> None:
    """A consolidated 附件3 workbook with the notice's 13 columns only."""
    rows = [good_row(1, 拟选培养单位2="西北农林科技大学")[:13],
            good_row(2, 姓名="巴特尔", 性别="男", 出生年月="1980.01",
                     拟选培养单位2="西北农林科技大学",
                     身份证号=make_id(date(1980, 1, 2), True))[:13]]  # fmt: skip
    write_form(path, rows, header=OFFICIAL, title=PLAIN_TITLE)
    if sheets > 1:  # the same table twice (a second sheet): still one notice per column
        import openpyxl

        book = openpyxl.load_workbook(path)
        book.copy_worksheet(book["Sheet1"]).title = "Sheet2"
        book.save(path)


def test_the_outcome_columns_are_the_contracts() -> None:
    assert tuple(label(k) for k in ASSUMED_WHEN_ABSENT) == OUTCOME_COLUMNS


def test_a_13_column_file_gets_every_notice_once(tmp_path: Path) -> None:
    path = tmp_path / "附件3-兴安盟.xlsx"
    _plain(path, sheets=2)
    people, issues = read_one(path)
    assert len(people) == 4 and not any(p.problems for p in people)
    notices = [(i.file, i.row, i.column, i.code, i.severity.value) for i in issues]
    assert notices == [(path.name, None, c, "OPTIONAL_COLUMN_MISSING", "warning")
                       for c in OUTCOME_COLUMNS]
    by_column = {i.column: i.message for i in issues}
    adjustment = by_column["是否接受调剂"]
    assert "不接受调剂" in adjustment and "增加“是否接受调剂”列" in adjustment
    assert "不按基层" in by_column["是否基层"] and "非公" in by_column["单位性质"]


@FAST
@given(st.sets(st.sampled_from(OUTCOME_COLUMNS)))
def test_notices_name_exactly_the_absent_outcome_columns(present: set[str]) -> None:
    header = OFFICIAL + [c for c in OUTCOME_COLUMNS if c in present]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.xlsx"
        names = [*OFFICIAL, "身份证号", "是否接受调剂", "是否基层", "单位性质", "健康状况"]
        values = dict(zip(names, good_row(1), strict=True))
        write_form(path, [[values[h] for h in header]], header=header)
        _, issues = read_one(path)
    assert all(i.row is None for i in issues)
    assert {i.column for i in issues} == set(OUTCOME_COLUMNS) - present


def test_validate_and_the_outputs_show_the_notices(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _plain(folder / "附件3-兴安盟.xlsx")
    runner = CliRunner()
    done = runner.invoke(app, ["validate", "--json", "-a", str(folder)])
    assert done.exit_code == 0, done.output  # warnings only
    issues = json.loads(done.stdout)
    mine = [i for i in issues if i["file"] == "附件3-兴安盟.xlsx"]
    assert sorted((i["row"], i["column"], i["code"]) for i in mine) == sorted(
        (None, c, "OPTIONAL_COLUMN_MISSING") for c in OUTCOME_COLUMNS)
    table = runner.invoke(app, ["validate", "-a", str(folder)])
    assert "附件3-兴安盟.xlsx（5 个问题）" in table.stdout and "提示 5 个" in table.stdout

    result = solve_round(load_round([folder]))
    write_outputs(result, tmp_path / "out", force=True)
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(tmp_path / "out" / "placements.xlsx"))
    sheet = book.get_sheet_by_name("数据问题").to_python()
    codes = [r for r in sheet if "OPTIONAL_COLUMN_MISSING" in r]
    assert len(codes) == 5 and all("" in r or None in r for r in codes)
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "整个文件的问题" in page
    assert all(ASSUMED_WHEN_ABSENT[k].split("；")[0] in page for k in ASSUMED_WHEN_ABSENT)
