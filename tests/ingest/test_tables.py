from __future__ import annotations

from pathlib import Path

import pytest

from matcher.ingest import Vocabulary, VocabularyError, load_vocabulary, read_hosts, read_quotas
from matcher.model import TitleGrade, Track
from tests.ingest.util import vocab, write_csv

HOST_HEADER = ["培养单位", "培养方式", "所在地", "接收名额", "培养专业", "别名"]


def test_hosts(tmp_path: Path) -> None:
    path = tmp_path / "hosts.csv"
    write_csv(
        path,
        HOST_HEADER,
        [
            ["中国农业大学", "区外", "北京", "3", "畜牧兽医、农学; 生物技术", "中国农大 农大"],
            ["内蒙古农业大学", "区内培养", "呼和浩特", "2", "畜牧兽医，林草,水利", ""],
            ["甲医院", "区外", "北京", "-1", "医疗卫生", ""],
            ["乙医院", "内外", "北京", "1", "医疗卫生", ""],
            ["中国农业大学", "区外", "北京", "1", "农学", ""],
            ["丙大学", "区内", "包头", "2.5", "教育", ""],
            ["丁大学", "区内", "包头", "1", "教育、星际航行", ""],
            ["", "", "", "", "", ""],
        ],
    )
    catalogue, issues = read_hosts(path)
    assert catalogue.names() == ["中国农业大学", "内蒙古农业大学", "丁大学"]
    first = catalogue.hosts[0]
    assert first.track is Track.OUT and first.capacity == 3
    assert first.fields == ("畜牧兽医", "农学", "生物技术")
    assert first.aliases == ("中国农大", "农大")
    assert catalogue.resolve("农大") is first
    assert catalogue.hosts[1].fields == ("畜牧兽医", "林草", "水利")
    assert catalogue.hosts[2].fields == ("教育",)
    assert sorted((i.row, i.column, i.code) for i in issues) == [
        (4, "接收名额", "HOST_CAPACITY_INVALID"),
        (5, "培养方式", "HOST_TRACK_INVALID"),
        (6, "培养单位", "HOST_DUPLICATE"),
        (7, "接收名额", "HOST_CAPACITY_INVALID"),
        (8, "培养专业", "HOST_FIELD_UNKNOWN"),
    ]


QUOTA_ROWS = [
    ["1", "呼和浩特市", "2", "3"],
    ["2", "包 头 市", "2", "3"],
    ["3", "乌 海 市", "2", "3"],
    ["4", "呼伦贝尔市 (含满洲里市)", "3", "4"],
    ["5", "兴 安 盟", "3", "3"],
    ["6", "通 辽 市", "2", "3"],
    ["7", "赤 峰 市", "2", "3"],
    ["8", "锡林郭勒盟 (含二连浩特市)", "4", "5"],
    ["9", "乌兰察布市", "2", "3"],
    ["10", "巴彦淖尔市", "2", "3"],
    ["11", "鄂尔多斯市", "2", "3"],
    ["12", "阿 拉 善 盟", "4", "4"],
    ["13", "区 直", "10", "—"],
]


def test_quotas_of_the_notice(tmp_path: Path) -> None:
    path = tmp_path / "quotas.csv"
    write_csv(
        path,
        ["序号", "地 区", "区外名额 (名)", "区内名额 (名)"],
        [*QUOTA_ROWS, ["合 计", "", "40", "40"]],
    )
    table, issues = read_quotas(path)
    assert issues == []
    assert table.total(Track.OUT) == 40 and table.total(Track.IN) == 40
    assert table.places("呼伦贝尔市", Track.IN) == 4
    assert table.places("区直", Track.IN) == 0
    assert table.regions()[:2] == ["呼和浩特市", "包头市"]


def test_quota_defects(tmp_path: Path) -> None:
    path = tmp_path / "quotas.csv"
    rows = [list(r) for r in QUOTA_ROWS]
    rows[0][2] = "两"
    rows[1][1] = "北京市"
    write_csv(path, ["序号", "地区", "区外名额", "区内名额"], [*rows, ["合计", "", "40", "41"]])
    table, issues = read_quotas(path)
    found = sorted((i.row, i.column, i.code) for i in issues)
    assert found == [
        (2, "区外名额", "QUOTA_VALUE_INVALID"),
        (3, "地区", "QUOTA_REGION_UNKNOWN"),
        (15, "区内名额", "QUOTA_TOTAL_MISMATCH"),
        (15, "区外名额", "QUOTA_TOTAL_MISMATCH"),
    ]
    mismatch = [i.message for i in issues if i.code == "QUOTA_TOTAL_MISMATCH"]
    assert "40" in mismatch[0] and "36" in mismatch[0]  # both figures
    assert "41" in mismatch[1] and "37" in mismatch[1]
    assert table.places("呼和浩特市", Track.IN) == 3


def test_unreadable_tables(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"nonsense")
    assert [i.code for i in read_hosts(path)[1]] == ["FILE_UNREADABLE"]
    assert [i.code for i in read_quotas(path)[1]] == ["FILE_UNREADABLE"]
    other = tmp_path / "y.csv"
    write_csv(other, ["a", "b"], [["1", "2"]])
    assert [i.code for i in read_hosts(other)[1]] == ["HEADER_NOT_FOUND"]
    assert [i.code for i in read_quotas(other)[1]] == ["HEADER_NOT_FOUND"]


def test_vocabulary_lookups() -> None:
    v = vocab()
    assert v.title_grade("高级畜牧师（副高）") == (TitleGrade.ASSOCIATE_SENIOR, None)
    assert v.title_grade("正高级畜牧师")[0] is TitleGrade.SENIOR
    assert v.title_grade("某某师（中级）")[0] is TitleGrade.INTERMEDIATE
    assert v.title_grade("")[0] is TitleGrade.NONE and v.title_grade("无")[1] is None
    grade, problem = v.title_grade("科长")
    assert grade is TitleGrade.NONE and problem is not None and problem.code == "TITLE_UNKNOWN"
    assert v.field_of("动物医学（兽医）")[0] == "畜牧兽医"
    assert v.field_of("计算机科学")[0] == "信息技术"
    assert v.field_of("") == (None, None)
    assert v.field_of("其他")[1] is not None


def test_load_vocabulary(tmp_path: Path) -> None:
    (tmp_path / "titles.csv").write_text(
        "职称,等级\n高级畜牧师,副高级\n畜牧师,中级\n", encoding="utf-8-sig"
    )
    (tmp_path / "fields.csv").write_text("关键词,领域\n兽医,畜牧兽医\n", encoding="utf-8")
    v = load_vocabulary(tmp_path)
    assert isinstance(v, Vocabulary)
    assert v.title_grade("畜牧师")[0] is TitleGrade.INTERMEDIATE
    assert v.field_of("兽医")[0] == "畜牧兽医"
    (tmp_path / "fields.csv").write_text("关键词,领域\n兽医,宠物\n", encoding="utf-8")
    with pytest.raises(VocabularyError):
        load_vocabulary(tmp_path)
    with pytest.raises(VocabularyError):
        load_vocabulary(tmp_path / "absent")
