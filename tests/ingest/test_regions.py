from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.ingest.regions import REGIONS, region_of, region_units, sending_region, unit_region
from matcher.ingest.tables import read_csv_rows
from matcher.paths import data_dir
from tests.ingest.util import FAST


@pytest.mark.parametrize(("text", "region"), [
    ("兴安盟人力资源和社会保障局", "兴安盟"),
    ("呼伦贝尔", "呼伦贝尔市"),
    ("满洲里市人社局", "呼伦贝尔市"),
    ("满洲里市人力资源和社会保障局", "呼伦贝尔市"),
    ("二连浩特市", "锡林郭勒盟"),
    ("自治区直属单位", "区直"),
    ("区直", "区直"),
    ("区 直", "区直"),
    ("内蒙古大学", "区直"),
    ("自治区农牧厅", "区直"),
    ("内蒙古自治区兴安盟人社局", "兴安盟"),
    ("包 头 市", "包头市"),
    ("呼伦贝尔市 (含满洲里市)", "呼伦贝尔市"),
    ("锡林郭勒盟（含二连浩特市）", "锡林郭勒盟"),
    ("科尔沁右翼前旗人社局", "兴安盟"),
    ("通辽市科尔沁区", "通辽市"),
    ("阿 拉 善 盟", "阿拉善盟"),
    ("北京市", None),
    ("", None),
    ("赤峰学院", "区直"),
    ("赤峰学院人事处", "区直"),
    ("呼伦贝尔学院", "区直"),
    ("集宁师范学院", "区直"),
    ("包头医学院第一附属医院", "区直"),
    ("内蒙古科技大学包头医学院", "区直"),
    ("鄂尔多斯应用技术学院", "区直"),
    ("河套学院", "区直"),
    ("赤峰市人力资源和社会保障局", "赤峰市"),
    ("赤峰市第二中学", "赤峰市"),
])
def test_region_of(text: str, region: str | None) -> None:
    assert region_of(text) == region


def test_every_region_names_itself() -> None:
    assert [region_of(r) for r in REGIONS] == list(REGIONS)


def test_sending_region_keeps_unit() -> None:
    assert sending_region(" 满洲里市  人社局 ") == ("满洲里市 人社局", "呼伦贝尔市")


def test_the_units_table_is_region_level_units_with_valid_regions() -> None:
    rows = read_csv_rows(data_dir() / "units.csv")
    assert rows[0] == ["单位", "类别", "名额地区"]
    written = [r for r in rows[1:] if r]
    assert len(region_units()) == len(written)  # no row left out for an unknown region
    assert {r[2] for r in written} == {"区直"}
    names = {r[0] for r in written}
    assert {"赤峰学院", "呼伦贝尔学院", "集宁师范学院", "内蒙古大学"} <= names


@FAST
@given(st.sampled_from(sorted(region_units())),
       st.sampled_from(["", "人事处", "（盖章）", "附属医院"]), st.sampled_from(REGIONS[:-1]))
def test_a_unit_of_the_table_decides_whatever_place_it_names(
    unit: tuple[str, str], suffix: str, city: str
) -> None:
    """A 区直 unit's own quota region wins over any city in its name (issue 13, item 7)."""
    name, region = unit
    assert region_of(name + suffix) == region
    assert region_of(city + "人力资源和社会保障局") == city  # a city's own office stays the city


def test_a_table_unit_added_by_the_department(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for name in ("units.csv", "titles.csv", "fields.csv", "ethnicities.csv"):
        source = data_dir() / name
        (tmp_path / name).write_bytes(source.read_bytes())
    with (tmp_path / "units.csv").open("a", encoding="utf-8") as handle:
        handle.write("赤峰市某区属研究所,区直事业单位,区直\n满洲里某口岸单位,口岸,火星\n")
    region_units.cache_clear()
    unit_region.cache_clear()
    region_of.cache_clear()
    monkeypatch.setenv("MATCHER_DATA", str(tmp_path))
    try:
        assert region_of("赤峰市某区属研究所") == "区直"
        assert region_of("满洲里某口岸单位") == "呼伦贝尔市"  # an unknown 名额地区 is left out
    finally:
        monkeypatch.delenv("MATCHER_DATA")
        region_units.cache_clear()
        unit_region.cache_clear()
        region_of.cache_clear()
