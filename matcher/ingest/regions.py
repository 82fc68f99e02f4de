"""Quota regions of 附件1 and the mapping of written sending units to them.

`region_of` reads the submitting unit (选派地区 or 填表单位), never a 工作单位. A unit of
``data/units.csv`` (区属高校 such as 赤峰学院, 呼伦贝尔学院, 集宁师范学院, and 厅局, each with
its quota region) named in the text decides first, so a city's name inside a 区直 unit's
name does not count. Otherwise the 盟市 the text names (a full or short name, or a
county-level unit with its own 人社局 such as 满洲里市 → 呼伦贝尔市, 二连浩特市 → 锡林郭勒盟).
A unit named 内蒙古… or 自治区…, or 区直, with no 盟市 name in it is 区直 (region-level units).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from matcher.ingest.problems import Problem, TableError, warning
from matcher.ingest.sheets import read_csv_rows
from matcher.ingest.text import clean_name, clean_text, shorten
from matcher.paths import data_dir

REGIONS: tuple[str, ...] = (
    "呼和浩特市",
    "包头市",
    "乌海市",
    "呼伦贝尔市",
    "兴安盟",
    "通辽市",
    "赤峰市",
    "锡林郭勒盟",
    "乌兰察布市",
    "巴彦淖尔市",
    "鄂尔多斯市",
    "阿拉善盟",
    "区直",
)
REGION_LEVEL = "区直"

# Names (full, short, and county-level units or districts) → quota region. Matching is by
# substring; the earliest match in the text wins, then the longest.
_PLACES: dict[str, tuple[str, ...]] = {
    "呼和浩特市": (
        "呼和浩特",
        "呼市",
        "新城区",
        "回民区",
        "玉泉区",
        "赛罕区",
        "土默特左旗",
        "托克托",
        "和林格尔",
        "清水河",
        "武川",
    ),
    "包头市": (
        "包头",
        "昆都仑",
        "青山区",
        "东河区",
        "九原区",
        "石拐",
        "白云鄂博",
        "土默特右旗",
        "固阳",
        "达尔罕茂明安",
        "达茂",
    ),
    "乌海市": ("乌海", "海勃湾", "海南区", "乌达"),
    "呼伦贝尔市": (
        "呼伦贝尔",
        "满洲里",
        "海拉尔",
        "扎赉诺尔",
        "扎兰屯",
        "牙克石",
        "根河",
        "额尔古纳",
        "阿荣旗",
        "莫力达瓦",
        "鄂伦春",
        "鄂温克",
        "陈巴尔虎",
        "新巴尔虎",
        "大兴安岭",
    ),
    "兴安盟": ("兴安盟", "乌兰浩特", "阿尔山", "科尔沁右翼", "科右", "扎赉特", "突泉"),
    "通辽市": (
        "通辽",
        "科尔沁区",
        "霍林郭勒",
        "科尔沁左翼",
        "科左",
        "开鲁",
        "库伦旗",
        "奈曼",
        "扎鲁特",
    ),
    "赤峰市": (
        "赤峰",
        "红山区",
        "元宝山",
        "松山区",
        "阿鲁科尔沁",
        "巴林左旗",
        "巴林右旗",
        "林西",
        "克什克腾",
        "翁牛特",
        "喀喇沁",
        "宁城",
        "敖汉",
    ),
    "锡林郭勒盟": (
        "锡林郭勒",
        "锡盟",
        "二连浩特",
        "锡林浩特",
        "阿巴嘎",
        "苏尼特",
        "东乌珠穆沁",
        "西乌珠穆沁",
        "太仆寺",
        "镶黄旗",
        "正镶白旗",
        "正蓝旗",
        "多伦",
    ),
    "乌兰察布市": (
        "乌兰察布",
        "集宁",
        "丰镇",
        "卓资",
        "化德",
        "商都",
        "兴和",
        "凉城",
        "察哈尔右翼",
        "察右",
        "四子王",
    ),
    "巴彦淖尔市": ("巴彦淖尔", "临河", "五原", "磴口", "乌拉特", "杭锦后旗"),
    "鄂尔多斯市": (
        "鄂尔多斯",
        "东胜",
        "康巴什",
        "达拉特",
        "准格尔",
        "鄂托克",
        "杭锦旗",
        "乌审",
        "伊金霍洛",
    ),
    "阿拉善盟": ("阿拉善", "额济纳"),
    "区直": ("区直", "自治区直属", "区直属"),
}
_REGION_LEVEL_PREFIXES = ("内蒙古", "自治区")


def _table() -> list[tuple[str, str]]:
    pairs = [(region, region) for region in REGIONS]
    pairs += [(name, region) for region, names in _PLACES.items() for name in names]
    return sorted(pairs, key=lambda p: -len(p[0]))


@lru_cache(maxsize=1)
def _names() -> tuple[tuple[str, str], ...]:
    return tuple(_table())


@lru_cache(maxsize=4)
def region_units(folder: Path | None = None) -> tuple[tuple[str, str], ...]:
    """The units of ``units.csv`` (单位, 名额地区) as (cleaned name, region), longest first.

    A row whose 名额地区 is none of `REGIONS` is left out (the table is the department's to
    extend; ``tests/ingest/test_regions.py`` checks the bundled one has none). A missing
    table means no units.
    """
    try:
        rows = read_csv_rows((folder or data_dir()) / "units.csv")
    except TableError:
        return ()
    head = [clean_name(c) for c in rows[0]] if rows else []
    if "单位" not in head or "名额地区" not in head:
        return ()
    name_at, region_at = head.index("单位"), head.index("名额地区")
    pairs = {
        clean_name(row[name_at]): clean_name(row[region_at])
        for row in rows[1:]
        if len(row) > max(name_at, region_at) and clean_name(row[name_at])
    }
    found = [(name, region) for name, region in pairs.items() if region in REGIONS]
    return tuple(sorted(found, key=lambda p: (-len(p[0]), p[0])))


@lru_cache(maxsize=65536)
def unit_region(text: str) -> str | None:
    """The quota region of the ``units.csv`` unit named in `text` (the longest), or None."""
    key = clean_name(text)
    if not key:
        return None
    for name, region in region_units():
        if name in key:
            return region
    return None


@lru_cache(maxsize=65536)
def region_of(text: str) -> str | None:
    """Return the quota region named by `text`, or None.

    Parameters
    ----------
    text
        A sending unit, 选派地区 or region cell as written, e.g. "兴安盟人力资源和社会保障局",
        "满洲里市人社局", "包 头 市", "呼伦贝尔市 (含满洲里市)", "内蒙古大学", "赤峰学院"
        (区直, by ``data/units.csv``).

    Returns
    -------
    str or None
        One of `REGIONS`, or None when no region can be told.
    """
    key = clean_name(text)
    if not key:
        return None
    unit = unit_region(key)
    if unit is not None:
        return unit
    best: tuple[int, int, str] | None = None
    for name, region in _names():
        pos = key.find(name)
        if pos >= 0 and (best is None or (pos, -len(name)) < (best[0], best[1])):
            best = (pos, -len(name), region)
    if best is not None:
        return best[2]
    if key.startswith(_REGION_LEVEL_PREFIXES):
        return REGION_LEVEL
    return None


def sending_region(text: str) -> tuple[str, str | None]:
    """Return (sending unit as written, cleaned; its quota region or None)."""
    unit = clean_text(text)
    return unit, region_of(unit)


def employer_problem(employer: str | None, region: str | None) -> Problem | None:
    """EMPLOYER_REGION_LEVEL when a 盟市's table holds someone of a 区直 unit, else None.

    The region stays the submitting unit's (`region`); the warning asks who should send them.
    """
    if not employer or not region or region == REGION_LEVEL:
        return None
    if unit_region(employer) != REGION_LEVEL:
        return None
    return warning(
        "EMPLOYER_REGION_LEVEL",
        f"工作单位“{shorten(employer)}”是区直单位（见 data/units.csv），本表按报送单位计入"
        f"{region}名额；区直单位人员应由区直单位报送、计入区直名额，请核对",
    )
