"""Hostile and unlucky applicant rows (issue 15): footers, control characters, long cells."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.ingest import read_applicants
from matcher.ingest.sheets import CONTROL, read_csv_columns, read_sheets
from tests.ingest.util import HEADER, REFERENCE, good_row, vocab, write_form

SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
EXTRA = ["选派地区", "培养方式"]


def test_a_full_data_row_led_by_a_footer_word_is_read(tmp_path: Path) -> None:
    rows = [
        good_row(1),
        good_row("合计", 姓名="李四"),
        good_row("备注", 姓名="王五"),
        good_row("说明：", 姓名="赵六"),
    ]
    write_form(tmp_path / "a.xlsx", rows, footer="备注：区外培养学员和区内培养学员分开填报。")
    people, issues = read_applicants(tmp_path / "a.xlsx", vocab(), REFERENCE)
    assert [p.name for p in people] == ["乌日娜", "李四", "王五", "赵六"]
    assert not [i for i in issues if i.code == "ROW_SKIPPED_AS_FOOTER"]  # the real footer: silent


def test_a_footer_row_with_data_but_no_name_is_skipped_on_record(tmp_path: Path) -> None:
    rows = [
        good_row(1),
        good_row("合计", 姓名=None, 性别=None, 民族=None, 出生年月=None, 工作单位="共1人"),
    ]
    write_form(tmp_path / "a.xlsx", rows, footer=None)
    people, issues = read_applicants(tmp_path / "a.xlsx", vocab(), REFERENCE)
    assert [p.name for p in people] == ["乌日娜"]
    [skipped] = [i for i in issues if i.code == "ROW_SKIPPED_AS_FOOTER"]
    assert skipped.row == 5 and skipped.severity.value == "warning" and "合计" in skipped.message


@SETTINGS
@given(
    leads=st.lists(
        st.sampled_from(["合计", "备注", "说明", "小计", "注：", None, 7]), min_size=1, max_size=6
    )
)
def test_every_row_with_a_name_is_an_applicant(tmp_path: Path, leads) -> None:
    """Property: whatever its 序号 says, a row with a name is read (and in order)."""
    rows = [good_row(lead, 姓名=f"学员{n}") for n, lead in enumerate(leads)]
    write_form(tmp_path / "a.xlsx", rows)
    people, _ = read_applicants(tmp_path / "a.xlsx", vocab(), REFERENCE)
    assert [p.name for p in people] == [f"学员{n}" for n in range(len(leads))]


@SETTINGS
@given(junk=st.text(st.characters(codec="utf-8", categories=["Cc"]), min_size=1, max_size=4))
def test_control_characters_are_removed_with_a_warning(tmp_path: Path, junk: str) -> None:
    """Property: no control character (but tab/LF/CR) survives reading, each cell on record."""
    path = tmp_path / "a.xlsx"
    write_form(path, [good_row(1, 姓名=f"张{junk}三", 工作单位=f"兴安盟{junk}农牧局"), good_row(2)])
    people, issues = read_applicants(path, vocab(), REFERENCE)
    cleaned = [(i.row, i.column) for i in issues if i.code == "CONTROL_CHARACTERS_REMOVED"]
    for sheet in read_sheets(path):
        for row in sheet.rows:
            assert not any(isinstance(v, str) and CONTROL.search(v) for v in row)
    if CONTROL.search(junk):
        assert cleaned == [(4, "姓名"), (4, "工作单位")]
        assert people[0].name == "张三"
    else:
        assert cleaned == []


def write_csv(path: Path, rows: list[list[object]], **kw: object) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n", **kw).writerows(rows)  # type: ignore[arg-type]
    return path


def test_a_nul_in_a_csv_cell_is_removed_not_the_file_refused(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "a.csv", [HEADER + EXTRA, [*good_row(1, 姓名="张\x00三"), "兴安盟", "区外"]]
    )
    people, issues = read_applicants(path, vocab(), REFERENCE)
    assert people[0].name == "张三"
    assert [(i.row, i.code) for i in issues] == [(2, "CONTROL_CHARACTERS_REMOVED")]
    utf16 = tmp_path / "b.csv"
    utf16.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    assert [i.code for i in read_applicants(utf16, vocab(), REFERENCE)[1]] == ["FILE_UNREADABLE"]


@pytest.mark.parametrize("quoted", [True, False])
def test_the_field_size_limit_is_the_same_on_both_csv_paths(tmp_path: Path, quoted: bool) -> None:
    """A cell past csv's field limit refuses the file on the row and the column path alike."""
    limit = csv.field_size_limit()
    rows: list[list[object]] = [
        HEADER + EXTRA,
        [*good_row(1, 工作单位="农" * (limit + 1)), "兴安盟", "区外"],
    ]
    rows += [[*good_row(i, 姓名=f"某{i}"), "兴安盟", "区外"] for i in range(2, 400)]
    path = write_csv(
        tmp_path / "a.csv", rows, quoting=csv.QUOTE_ALL if quoted else csv.QUOTE_MINIMAL
    )
    assert read_csv_columns(path, minimum=0) is None  # the column path declines the file
    people, issues = read_applicants(path, vocab(), REFERENCE)
    assert people == [] and [i.code for i in issues] == ["FILE_UNREADABLE"]
    assert f"{limit:,}" in issues[0].message and "第2行" in issues[0].message
    rows[1] = [*good_row(1, 工作单位="农" * (limit - 10)), "兴安盟", "区外"]
    people, _ = read_applicants(write_csv(path, rows), vocab(), REFERENCE)
    assert len(people) == 399
