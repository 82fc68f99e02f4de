from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.ingest.headers import COLUMNS, canonical, find_header
from tests.ingest.util import FAST


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("姓 名", "name"),
        ("联系方式\n（手机号码）", "phone"),
        ("联系方式", "phone"),
        ("手机号码", "phone"),
        ("联系电话", "phone"),
        ("出生日期", "birth"),
        ("出生年月\n(1985.03)", "birth"),
        ("身份证号码", "id_number"),
        ("公民身份号码", "id_number"),
        ("拟选培养单位1", "choice_1"),
        ("拟选培养单位 2", "choice_2"),
        ("拟选培养单位一", "choice_1"),
        ("拟选培养单位（3）", "choice_3"),
        ("志愿1", "choice_1"),
        ("第二志愿", "choice_2"),
        ("是否服从调剂", "accepts_adjustment"),
        ("学历", "education"),
        ("职称/职务", "title"),
        ("name", "name"),
        ("ID_NUMBER", "id_number"),
        ("choice_3", "choice_3"),
        ("accepts_adjustment", "accepts_adjustment"),
        ("prior_participation", "prior_participation"),
        ("审核评分", "score"),
        ("预先接收单位", "prearranged"),
        ("健康状况", "health"),
        ("是否参加过特培学习", "prior_participation"),
        ("备注", "remark"),
        ("seq", "seq"),
        ("照片", None),
        ("", None),
    ],
)
def test_canonical(text: str, key: str | None) -> None:
    assert canonical(text) == key


def test_find_header_skips_title_and_unit_line() -> None:
    rows = [
        ["学员汇总表", "", "", ""],
        ["填表单位：兴安盟", "", "", ""],
        ["序号", "姓名", "性别", "民族", "出生年月"],
        ["1", "张三", "男", "蒙古族", "1985.03"],
    ]
    header = find_header(rows)
    assert header is not None
    assert (header.row, header.data_start) == (2, 3)
    assert header.columns["name"] == (1, "姓名")


def test_find_header_needs_name() -> None:
    rows = [["序号", "性别", "民族", "出生年月", "工作单位"]]
    assert find_header(rows) is None


def test_two_row_header_with_merge() -> None:
    rows = [
        ["序号", "姓名", "性别", "民族", "拟选培养单位", "", "", "备注"],
        ["", "", "", "", "1", "2", "3", ""],
        ["1", "张三", "男", "蒙古族", "甲大学", "乙大学", "", ""],
    ]
    merged = [((0, 4), (0, 6)), ((0, 1), (1, 1))]
    header = find_header(rows, merged)
    assert header is not None
    assert header.data_start == 2
    assert header.columns["choice_1"][0] == 4
    assert header.columns["choice_3"][0] == 6
    assert header.columns["remark"][0] == 7
    # without merge information (CSV) the parent is carried to the right
    header = find_header(rows)
    assert header is not None and header.columns["choice_2"][0] == 5


FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


@FAST
@given(
    st.sampled_from([(k, a) for k, (_, names) in COLUMNS.items() for a in (k, *names)]),
    st.lists(st.sampled_from([" ", "\n", "\u3000", "\t"]), max_size=3),
    st.booleans(),
    st.data(),
)
def test_aliases_survive_spaces_and_full_width(
    pair: tuple[str, str], spaces: list[str], wide: bool, data: st.DataObject
) -> None:
    key, alias = pair
    text = alias.translate(FULL_WIDTH) if wide else alias
    for space in spaces:
        at = data.draw(st.integers(0, len(text)))
        text = text[:at] + space + text[at:]
    assert canonical(text) == key


@FAST
@given(
    st.sampled_from(["1", "2", "3"]),
    st.sampled_from(["拟选培养单位{}", "拟选培养单位（{}）", "志愿{}", "choice_{}"]),
)
def test_choice_headers(rank: str, form: str) -> None:
    assert canonical(form.format(rank)) == f"choice_{rank}"
