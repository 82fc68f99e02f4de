"""备注 read for pre-arranged acceptance (issue 13, item 3), applied and listed to confirm."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.ingest import read_hosts
from matcher.ingest.remarks import prearranged_from_remarks
from matcher.load import default_hosts, load_round
from matcher.model import Applicant, Track
from matcher.pipeline import solve_round
from matcher.report.write import write_outputs
from tests.ingest.util import FAST, HEADER, good_row, make_id, write_form

CATALOGUE = read_hosts(default_hosts())[0]
OUT_HOSTS = CATALOGUE.names(Track.OUT)


def _person(remark: str | None, prearranged: str | None = None) -> Applicant:
    return Applicant(key="f.xlsx:5", source_file="f.xlsx", source_row=5, name="乌日娜",
                     track=Track.OUT, choices=("清华大学",), remark=remark,
                     prearranged=prearranged)


@pytest.mark.parametrize(("remark", "host"), [
    ("已与北京大学联系并获准接收，联系人王老师，电话13912345678", "北京大学"),
    ("北大已同意接收", "北京大学"),
    ("经联系，中国农业大学同意接收", "中国农业大学"),
    ("已联系北京师范大学教育学部，获准接收", "北京师范大学"),
])  # fmt: skip
def test_a_host_named_with_words_of_acceptance_is_proposed(remark: str, host: str) -> None:
    [a] = prearranged_from_remarks([_person(remark)], CATALOGUE)
    assert a.prearranged == host and a.prearranged_from_remark
    [problem] = a.problems
    assert (problem.row, problem.column, problem.code) == (5, "备注", "PREARRANGED_FROM_REMARK")
    assert problem.severity.value == "warning" and host in problem.message
    assert "13912345678" not in problem.message  # the contact's phone stays in the remark


@pytest.mark.parametrize("remark", [
    "北京大学", "曾在北京大学进修", "已与北京大学联系，尚未答复", "北京大学未同意接收",
    "已联系某某研究所，获准接收", "", "同意调剂",
])  # fmt: skip
def test_no_host_or_no_acceptance_is_no_pre_arrangement(remark: str) -> None:
    person = _person(remark)
    assert prearranged_from_remarks([person], CATALOGUE) == [person]


def test_two_hosts_are_not_applied_but_said() -> None:
    [a] = prearranged_from_remarks([_person("已联系北京大学和清华大学，均同意接收")], CATALOGUE)
    assert a.prearranged is None and not a.prearranged_from_remark
    assert [p.code for p in a.problems] == ["PREARRANGED_REMARK_AMBIGUOUS"]


def test_the_column_wins_over_the_remark() -> None:
    person = _person("已与北京大学联系并获准接收", prearranged="清华大学")
    assert prearranged_from_remarks([person], CATALOGUE) == [person]


@FAST
@given(st.sampled_from(OUT_HOSTS), st.sampled_from(["已与{}联系并获准接收", "{}同意接收",
                                                    "{}已接收", "已联系{}，准予接收"]),
       st.text(alphabet="联系人王老师电话办公室：，。", max_size=12), st.booleans())
def test_remark_property(host: str, form: str, filler: str, deny: bool) -> None:
    """Named with acceptance: that host, from the remark; with a denial: nothing."""
    remark = form.format(host) + ("，但尚未答复" if deny else "") + filler
    [a] = prearranged_from_remarks([_person(remark)], CATALOGUE)
    if deny:
        assert a.prearranged is None and not a.problems
    else:
        assert a.prearranged == host and a.prearranged_from_remark


def test_a_remark_pre_arrangement_is_honoured_and_shown_in_the_outputs(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    header = [*HEADER, "备注"]
    remark = "已与北京大学联系并获准接收，联系人王老师"
    write_form(folder / "兴安盟.xlsx", [
        [*good_row(1, 拟选培养单位1="清华大学", 拟选培养单位2="中国人民大学", 从事专业="计算机"),
         remark],
        [*good_row(2, 姓名="巴特尔", 性别="男", 出生年月="1980.01", 拟选培养单位2="中国人民大学",
                   身份证号=make_id(date(1980, 1, 2), True)), "材料齐全"],
    ], header=header)  # fmt: skip
    round_ = load_round([folder])
    first = round_.applicants[0]
    assert (first.prearranged, first.prearranged_from_remark) == ("北京大学", True)
    assert any(i.code == "PREARRANGED_FROM_REMARK" for i in round_.issues)
    result = solve_round(round_)
    assert result.outcomes[0].host == "北京大学" and result.outcomes[0].status.value == "placed"
    write_outputs(result, tmp_path / "out", force=True)
    with (tmp_path / "out" / "placements.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["prearranged"], r["prearranged_from"], r["remark"]) for r in rows] == [
        ("北京大学", "备注", first.remark), ("", "", "材料齐全")]
    assert first.remark and "北京大学联系并获准接收" in first.remark
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(tmp_path / "out" / "placements.xlsx"))
    sheet = book.get_sheet_by_name("区外培养").to_python()
    head = next(r for r in sheet if "预先接收" in r)
    values = sheet[sheet.index(head) + 1]
    assert values[head.index("预先接收")] == "北京大学（来自备注，待确认）"
    assert values[head.index("备注")] == first.remark


def test_the_api_lists_what_the_clerk_is_to_confirm(tmp_path: Path) -> None:
    from matcher import api

    path = tmp_path / "兴安盟.xlsx"
    write_form(path, [[*good_row(1), "北大已同意接收"],
                      [*good_row(2, 姓名="巴特尔", 性别="男", 出生年月="1980.01",
                                 身份证号=make_id(date(1980, 1, 2), True)), "材料齐全"]],
               header=[*HEADER, "备注"])  # fmt: skip
    frame = api.to_confirm(api.load([path]))
    assert frame.to_dict("records") == [
        {"file": "兴安盟.xlsx", "row": 4, "name": "乌日娜", "track": "区外", "region": "兴安盟",
         "host": "北京大学", "remark": "北大已同意接收"}]
    assert api.to_confirm(api.load()).empty  # the sample round writes no 备注
