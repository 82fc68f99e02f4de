from __future__ import annotations

import pytest

from matcher.ingest.regions import REGIONS, region_of, sending_region


@pytest.mark.parametrize(
    ("text", "region"),
    [
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
    ],
)
def test_region_of(text: str, region: str | None) -> None:
    assert region_of(text) == region


def test_every_region_names_itself() -> None:
    assert [region_of(r) for r in REGIONS] == list(REGIONS)


def test_sending_region_keeps_unit() -> None:
    assert sending_region(" 满洲里市  人社局 ") == ("满洲里市 人社局", "呼伦贝尔市")
