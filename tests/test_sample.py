"""Tests of the bundled data and the synthetic sample round (matcher.sample)."""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from matcher.engine.rules import eligibility
from matcher.model import Applicant, Education, HostCatalogue, Rules, TitleGrade, Track
from matcher.paths import data_dir, sample_round_dir
from matcher.sample import (
    COLUMNS,
    build_sample_round,
    generate_applicants,
    load_hosts,
    load_quotas,
    vocab,
    write_large_round,
    write_region_workbooks,
)
from matcher.sample.idcard import check_digit, gender_of, is_valid, make_id, make_ids
from matcher.sample.large import ENGLISH
from matcher.sample.reference import write_table_workbooks

FIELDS = {
    "教育",
    "医疗卫生",
    "农学",
    "林草",
    "畜牧兽医",
    "水利",
    "工程技术",
    "信息技术",
    "能源",
    "新材料",
    "生物技术",
    "生态环保",
    "经济管理",
    "文化旅游",
    "地质矿产",
    "法律",
    "建筑规划",
}
GRADES = {
    "正高级": TitleGrade.SENIOR,
    "副高级": TitleGrade.ASSOCIATE_SENIOR,
    "中级": TitleGrade.INTERMEDIATE,
    "初级": TitleGrade.JUNIOR,
}
EDUCATION = {
    "大专": Education.JUNIOR_COLLEGE,
    "大学本科": Education.BACHELOR,
    "硕士研究生": Education.MASTER,
    "博士研究生": Education.DOCTOR,
}
YES = {"是", "√", "同意", "服从"}


# --- helpers: an independent, minimal reading of the tables and workbooks --------------


def _csv(name: str) -> list[dict[str, str]]:
    with (data_dir() / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _titles() -> dict[str, str]:
    return {r["职称"]: r["等级"] for r in _csv("titles.csv")}


def _keywords() -> list[tuple[str, str]]:
    return [(r["关键词"], r["领域"]) for r in _csv("fields.csv")]


def field_of(profession: str, keywords: list[tuple[str, str]]) -> set[str]:
    """Fields of the longest keywords contained in `profession` (one when unambiguous)."""
    hits = [(len(k), f) for k, f in keywords if k in profession]
    if not hits:
        return set()
    best = max(n for n, _ in hits)
    return {f for n, f in hits if n == best}


def _norm(text: Any) -> str:
    value = unicodedata.normalize("NFKC", str(text))
    return "".join(value.split()).replace("（", "(").replace("）", ")")


def _month(value: Any) -> tuple[int, int] | None:
    if isinstance(value, date | datetime):
        return value.year, value.month
    match = re.fullmatch(r"(\d{4})(?:\.|年)?(\d{1,2})月?", _norm(value))
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    return int(match.group(1)), int(match.group(2))


def _read_workbook(path: Path) -> tuple[str, str, list[dict[str, Any]]]:
    """Track, sending unit and data rows (with their Excel row) of one 附件3 workbook."""
    book = CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_index(0).to_python()
    header_at = next(i for i, r in enumerate(rows) if "姓名" in r and "序号" in r)
    headers = [_norm(h) for h in rows[header_at]]
    sources = [str(rows[0][0]), book.sheet_names[0], path.stem]
    tracks = {t for s in sources for t in ("区外", "区内") if t in s}
    assert len(tracks) == 1, (path.name, sources)
    unit = next(u.name for u in vocab.UNITS if u.bureau in str(rows[1][0]))
    data = []
    for i, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not isinstance(row[0], float | int):
            break
        record = dict(zip(headers, row, strict=True))
        record["_row"] = i
        data.append(record)
    return tracks.pop(), unit, data


def _documented(table_title: str) -> list[list[str]]:
    """Cells of the table of DEFECTS.md whose header starts with `table_title`."""
    text = (sample_round_dir() / "DEFECTS.md").read_text(encoding="utf-8")
    lines = text.split(table_title, 1)[1].split("\n\n", 1)[0].splitlines()[2:]
    return [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines]


def _check_row(
    record: dict[str, Any],
    track: str,
    catalogue: HostCatalogue,
    titles: dict[str, str],
    keywords: list[tuple[str, str]],
) -> list[str]:
    """Codes of everything wrong with one row, found independently of the generator."""
    codes = []
    month = _month(record["出生年月"])
    if month is None:
        codes.append("DATE_INVALID")
    if _month(record["参加工作时间"]) is None:
        codes.append("DATE_INVALID")
    number = record["身份证号"]
    if isinstance(number, float | int):
        codes.append("ID_EXCEL_MANGLED")
    elif not is_valid(number):
        codes.append("ID_CHECKSUM")
    else:
        if gender_of(number) != record["性别"]:
            codes.append("ID_GENDER_MISMATCH")
        apart = (int(number[6:10]) - month[0]) * 12 + int(number[10:12]) - month[1] if month else 0
        if abs(apart) > 1:  # more than a month from the ID's
            codes.append("ID_BIRTH_MISMATCH")
    if record["是否接受调剂"] not in YES | {"否"}:
        codes.append("YESNO_INVALID")
    if record.get("是否基层", "否") not in {"是", "√", "否"}:
        codes.append("YESNO_INVALID")
    if not str(record["从事专业"]).strip():
        codes.append("REQUIRED_MISSING")
    elif len(field_of(record["从事专业"], keywords)) != 1:
        codes.append("PROFESSION_UNKNOWN")
    if record["职称"] not in titles:
        codes.append("TITLE_UNKNOWN")
    if not re.fullmatch(r"1[3-9]\d{9}", _norm(record["联系方式(手机号码)"])):
        codes.append("PHONE_INVALID")
    if not _norm(record["姓名"]) or record.get("健康状况", "无") != "无":
        codes.append("OTHER")
    if record.get("预先接收单位") and record["预先接收单位"] != record["拟选培养单位1"]:
        codes.append("PREARRANGED_NOT_FIRST")
    for k in (1, 2, 3):
        name = record[f"拟选培养单位{k}"]
        if not name:
            if k < 3:
                codes.append("REQUIRED_MISSING")
            continue
        host = catalogue.resolve(name)
        if host is None:
            codes.append("HOST_UNKNOWN")
        elif host.track.value != track:
            codes.append("HOST_OTHER_TRACK")
    return codes


@pytest.fixture(scope="module")
def sample_rows() -> list[tuple[str, str, str, dict[str, Any]]]:
    out = []
    for path in sorted(sample_round_dir().glob("*.xlsx")):
        track, unit, data = _read_workbook(path)
        out += [(path.name, track, unit, r) for r in data]
    return out


# --- bundled tables ---------------------------------------------------------------------


def test_titles_table_is_broad_and_graded() -> None:
    rows = _csv("titles.csv")
    assert len(rows) >= 150
    assert {r["等级"] for r in rows} == set(GRADES)
    assert len({r["职称"] for r in rows}) == len(rows)
    for title in (
        "教授",
        "主任医师",
        "高级农艺师",
        "一级教师",
        "一级律师",
        "高级实验师",
        "研究馆员",
    ):
        assert title in _titles()


def test_fields_table_uses_the_vocabulary() -> None:
    keywords = _keywords()
    assert len(keywords) >= 200
    assert {f for _, f in keywords} == FIELDS
    assert len({k for k, _ in keywords}) == len(keywords)
    assert field_of("草原畜牧业", keywords) == {"畜牧兽医"}
    assert field_of("草原生态", keywords) == {"林草"}


def test_every_generated_profession_and_title_is_known() -> None:
    keywords, titles = _keywords(), _titles()
    for profile in vocab.PROFILES:
        for profession in profile.professions:
            assert field_of(profession, keywords) == {profile.field}, profession
    for series in vocab.SERIES.values():
        assert [titles[t] for t in series] == ["初级", "中级", "副高级", "正高级"], series
    for field in vocab.DIRECT_EMPLOYERS:
        assert field in FIELDS


def test_quotas_match_the_notice() -> None:
    rows = _csv("quotas-2023.csv")
    assert list(rows[0]) == ["序号", "地区", "区外名额", "区内名额"]
    assert len(rows) == 14 and rows[-1]["地区"] == "合计"
    assert rows[3]["地区"] == "呼伦贝尔市（含满洲里市）" and rows[12]["区内名额"] == "—"
    table = load_quotas()
    assert table.total(Track.OUT) == 40 == int(rows[-1]["区外名额"])
    assert table.total(Track.IN) == 40 == int(rows[-1]["区内名额"])
    assert table.places("锡林郭勒盟", Track.OUT) == 4 and table.places("区直", Track.IN) == 0


def test_hosts_catalogue_is_plausible() -> None:
    catalogue = load_hosts()
    for track, low, high in ((Track.OUT, 55, 60), (Track.IN, 50, 55)):
        hosts = [h for h in catalogue.hosts if h.track is track]
        assert low <= sum(h.capacity for h in hosts) <= high
        assert {f for h in hosts for f in h.fields} == FIELDS
    assert all(2 <= len(h.fields) <= 5 for h in catalogue.hosts)
    names = [n for h in catalogue.hosts for n in (h.name, *h.aliases)]
    assert len(names) == len(set(names))
    grassland = catalogue.resolve("中国农业科学院草原研究所")
    assert grassland is not None and grassland.track is Track.IN
    assert catalogue.resolve("内医附院") == catalogue.resolve("内蒙古医科大学附属医院")


def test_table_workbooks_mirror_their_csv(tmp_path: Path) -> None:
    for name in ("quotas-2023.csv", "hosts-2023.csv"):
        (tmp_path / name).write_bytes((data_dir() / name).read_bytes())
    written = write_table_workbooks(tmp_path)
    for path in written:
        assert path.read_bytes() == (data_dir() / path.name).read_bytes()
    quota_rows = CalamineWorkbook.from_path(str(written[0])).get_sheet_by_index(0).to_python()
    assert "名额分配表" in quota_rows[0][0]
    assert quota_rows[1] == ["序号", "地区", "区外名额", "区内名额"]
    assert [str(r[1]) for r in quota_rows[2:]] == [r["地区"] for r in _csv("quotas-2023.csv")]


# --- ID numbers ---------------------------------------------------------------------------


def test_check_digit_of_the_standard_example() -> None:
    assert check_digit("11010519491231002") == "X"
    assert is_valid("11010519491231002X") and not is_valid("110105194912310021")


@settings(max_examples=50, deadline=None)
@given(
    st.dates(date(1950, 1, 1), date(2005, 12, 31)),
    st.integers(0, 999),
    st.sampled_from(["150102", "152501", "150781"]),
)
def test_make_id_is_valid_and_vectorised_agrees(birth: date, sequence: int, area: str) -> None:
    number = make_id(area, birth, sequence)
    assert is_valid(number) and gender_of(number) == ("男" if sequence % 2 else "女")
    ymd = np.array([int(f"{birth:%Y%m%d}")], dtype=np.int64)
    assert make_ids(np.array([int(area)]), ymd, np.array([sequence]))[0] == number


# --- the generator ------------------------------------------------------------------------


def _digest(frame: pd.DataFrame) -> str:
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()


def test_generator_is_deterministic_for_a_seed() -> None:
    first = generate_applicants(80, 7, ineligible=3)
    assert _digest(first) == _digest(generate_applicants(80, 7, ineligible=3))
    assert _digest(first) != _digest(generate_applicants(80, 8, ineligible=3))
    assert list(first.columns) == list(COLUMNS) and len(first) == 80


def test_generated_people_are_consistent() -> None:
    frame = generate_applicants(300, 11)
    ids = frame["身份证号"].tolist()
    assert len(set(ids)) == len(ids)
    catalogue, keywords = load_hosts(), _keywords()
    for _, row in frame.iterrows():
        number = row["身份证号"]
        assert is_valid(number) and number.startswith("15")
        assert gender_of(number) == row["性别"]
        assert f"{number[6:10]}.{number[10:12]}" == row["出生年月"]
        assert re.fullmatch(r"1[3-9]\d{9}", row["联系方式(手机号码)"])
        track = Track(row["培养方式"].removesuffix("培养"))
        choices = [c for c in row[["拟选培养单位1", "拟选培养单位2", "拟选培养单位3"]] if c]
        assert len(choices) >= 2 and len(set(choices)) == len(choices)
        (field,) = field_of(row["从事专业"], keywords)
        for choice in choices:
            host = catalogue.resolve(choice)
            assert host is not None and host.track is track and field in host.fields
        if row["预先接收单位"]:
            assert row["预先接收单位"] == row["拟选培养单位1"]
    out = frame[frame["培养方式"] == "区外培养"]
    assert (out["民族"] == "汉族").sum() == 0
    assert 0.3 < (frame["是否接受调剂"] == "是").mean() < 0.7
    assert (frame["是否基层"] == "是").any() and (frame["单位性质"] == "民营企业").any()


def test_counts_per_region_and_track_follow_the_quotas() -> None:
    frame = generate_applicants(200, 2023)
    quotas = load_quotas()
    assert not ((frame["选派地区"] == "区直") & (frame["培养方式"] == "区内培养")).any()
    region = frame["选派地区"].map({u.name: u.region for u in vocab.UNITS})
    for (name, mode), count in frame.groupby([region, frame["培养方式"]]).size().items():
        places = quotas.places(str(name), Track(str(mode).removesuffix("培养")))
        assert places <= count <= 4 * places + 2, (name, mode, count)
    assert frame.groupby(["选派地区", "培养方式"]).ngroups == 29


# --- the committed sample round -----------------------------------------------------------


def test_committed_sample_equals_a_fresh_generation(tmp_path: Path) -> None:
    fresh = build_sample_round(tmp_path / "fresh", seed=2023)
    committed = sorted(p.name for p in sample_round_dir().iterdir())
    assert sorted(p.name for p in (tmp_path / "fresh").iterdir()) == committed
    for name in committed:
        left = hashlib.sha256((tmp_path / "fresh" / name).read_bytes()).hexdigest()
        right = hashlib.sha256((sample_round_dir() / name).read_bytes()).hexdigest()
        assert left == right, name
    assert 150 <= len(fresh.frame) <= 250 and 7 <= len(fresh.defects) <= 10


def test_sample_has_exactly_the_documented_defects(sample_rows: list) -> None:
    catalogue, titles, keywords = load_hosts(), _titles(), _keywords()
    found: set[tuple[str, int, str]] = set()
    by_id: dict[str, list[tuple[str, int]]] = {}
    for file, track, _, record in sample_rows:
        for code in _check_row(record, track, catalogue, titles, keywords):
            found.add((file, record["_row"], code))
        by_id.setdefault(str(record["身份证号"]), []).append((file, record["_row"]))
    for places in by_id.values():
        if len(places) > 1:
            found |= {(f, r, "DUPLICATE_PERSON") for f, r in places}
    documented = {
        (f, int(r), code) for f, r, _, code, _ in _documented("| file | Excel row | column")
    }
    assert found == documented
    assert 7 <= len({c for _, _, c in documented}) <= 9


def test_sample_ineligible_are_exactly_the_documented(sample_rows: list) -> None:
    titles, rules = _titles(), Rules()
    defective = {(f, int(r)) for f, r, *_ in _documented("| file | Excel row | column")}
    ineligible = set()
    for file, track, unit, record in sample_rows:
        if (file, record["_row"]) in defective:
            continue
        year, month = _month(record["出生年月"])  # type: ignore[misc]
        start = _month(record["参加工作时间"])
        edu = next(v for k, v in EDUCATION.items() if str(record["学历及毕业年限"]).startswith(k))
        applicant = Applicant(
            key=f"{file}:{record['_row']}",
            source_file=file,
            source_row=record["_row"],
            ethnicity=record["民族"],
            birth=date(year, month, 1),
            work_start=date(start[0], start[1], 1) if start else None,
            education=edu,
            title=record["职称"],
            title_grade=GRADES[titles[record["职称"]]],
            region=next(u.region for u in vocab.UNITS if u.name == unit),
            track=Track(track),
        )
        reasons = eligibility(applicant, rules)
        assert len(reasons) <= 1, reasons
        if reasons:
            ineligible.add((file, record["_row"], reasons[0].code))
    documented = set()
    for place, code, _ in _documented("| applicant (file:Excel row) | expected"):
        file, row = place.rsplit(":", 1)
        documented.add((file, int(row), code))
    assert ineligible == documented
    assert 3 <= len(documented) <= 6


def test_workbooks_carry_the_untidy_but_valid_habits(sample_rows: list) -> None:
    headers = set()
    for path in sample_round_dir().glob("*.xlsx"):
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        headers |= {str(h) for r in rows[:4] for h in r}
        assert any(str(r[0]).startswith("备注：区外培养学员和区内培养学员分开填报") for r in rows)
    assert {"联系方式（手机号码）", "拟选培养单位１"} <= headers and any("\n" in h for h in headers)
    births = [r["出生年月"] for *_, r in sample_rows]
    assert any(isinstance(b, date) for b in births)
    assert any(re.fullmatch(r"\d{4}年\d{1,2}月", str(b)) for b in births)
    assert any(re.fullmatch(r"\d{6}", str(b)) for b in births)
    assert {"√", "同意", "服从"} <= {r["是否接受调剂"] for *_, r in sample_rows}
    phones = [str(r["联系方式(手机号码)"]) for *_, r in sample_rows]
    assert any(p != unicodedata.normalize("NFKC", p) for p in phones)
    assert any(" " in str(r["姓名"]) for *_, r in sample_rows)


def test_region_workbooks_place_every_row(tmp_path: Path) -> None:
    frame = generate_applicants(40, 5)
    written = write_region_workbooks(frame, tmp_path, seed=5)
    assert set(written.rows) == set(frame.index)
    assert len({loc for loc in written.rows.values()}) == len(frame)
    assert len(written.files) == frame.groupby(["选派地区", "培养方式"]).ngroups


# --- the large-round writer ---------------------------------------------------------------


@pytest.mark.parametrize("english", [False, True])
def test_large_round_has_n_valid_rows(tmp_path: Path, english: bool) -> None:
    path = write_large_round(1000, 3, tmp_path / "big.csv", english=english)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    names = [ENGLISH[c] if english else c for c in COLUMNS]
    assert list(frame.columns) == names and len(frame) == 1000
    frame.columns = list(COLUMNS)
    assert frame["身份证号"].map(is_valid).all() and frame["身份证号"].is_unique
    assert (frame["身份证号"].map(gender_of) == frame["性别"]).all()
    assert frame["联系方式(手机号码)"].str.fullmatch(r"1[3-9]\d{9}").all()
    catalogue, titles, keywords = load_hosts(), _titles(), _keywords()
    assert frame["职称"].isin(list(titles)).all()
    assert frame["从事专业"].map(lambda p: len(field_of(p, keywords)) == 1).all()
    fields = frame["从事专业"].map(lambda p: field_of(p, keywords).pop())
    for column in ("拟选培养单位1", "拟选培养单位2", "拟选培养单位3"):
        for choice, mode, field in zip(frame[column], frame["培养方式"], fields, strict=True):
            host = catalogue.resolve(choice)
            if column == "拟选培养单位3" and not choice:
                continue
            assert host is not None and host.track.value == mode[:2] and field in host.fields
    assert frame["选派地区"].isin([u.name for u in vocab.UNITS]).all()
    again = write_large_round(1000, 3, tmp_path / "again.csv", english=english)
    assert again.read_bytes() == path.read_bytes()
