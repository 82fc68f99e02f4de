"""Header aliases of the applicant tables (附件3 and its extensions) and header-row detection.

Canonical keys are the English snake_case names of `Applicant` fields (``name``,
``choice_1`` …). A header cell maps to a key after `header_key` normalisation; failing an
exact alias, a trailing annotation in brackets is dropped (``出生年月(1985.03)`` →
``出生年月``). Two-row headers (a merged ``拟选培养单位`` over ``1``/``2``/``3``) are joined.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from matcher.ingest.text import cell_text, header_key

# canonical key → (Chinese name used in messages, aliases as written in real files)
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "seq": ("序号", ("序号", "编号", "序")),
    "name": ("姓名", ("姓名", "学员姓名", "申报人姓名", "申报人")),
    "gender": ("性别", ("性别",)),
    "ethnicity": ("民族", ("民族", "族别")),
    "birth": ("出生年月", ("出生年月", "出生日期", "出生年月日", "出生时间")),
    "employer": (
        "工作单位",
        ("工作单位", "工作单位及部门", "单位", "所在单位", "单位名称", "工作单位及职务"),
    ),
    "work_start": ("参加工作时间", ("参加工作时间", "参加工作年月", "参加工作日期", "工作时间")),
    "profession": ("从事专业", ("从事专业", "现从事专业", "专业", "从事专业领域", "专业领域")),
    "education": (
        "学历及毕业年限",
        (
            "学历及毕业年限",
            "学历及毕业时间",
            "学历",
            "最高学历",
            "学历学位",
            "学历(学位)",
            "学历及毕业年份",
        ),
    ),
    "graduation": ("毕业时间", ("毕业时间", "毕业年限", "毕业年份", "毕业年月")),
    "title": (
        "职称",
        (
            "职称",
            "职称/职务",
            "职称(职务)",
            "专业技术职称",
            "专业技术职务",
            "专业技术职称及行政职务",
            "职务/职称",
            "职称职务",
        ),
    ),
    "phone": (
        "联系方式(手机号码)",
        (
            "联系方式(手机号码)",
            "联系方式",
            "手机号码",
            "联系电话",
            "手机",
            "电话",
            "本人手机",
            "手机号",
        ),
    ),
    "choice_1": ("拟选培养单位1", ()),
    "choice_2": ("拟选培养单位2", ()),
    "choice_3": ("拟选培养单位3", ()),
    "accepts_adjustment": (
        "是否接受调剂",
        ("是否接受调剂", "是否服从调剂", "是否同意调剂", "接受调剂", "服从调剂", "是否调剂"),
    ),
    "id_number": (
        "身份证号",
        ("身份证号", "身份证号码", "公民身份号码", "身份证", "居民身份证号码", "证件号码"),
    ),
    "region": ("选派地区", ("选派地区", "地区", "盟市", "选派单位", "所属地区", "推荐地区")),
    "track": ("培养方式", ("培养方式", "培养类型", "培养类别")),
    "grassroots": ("是否基层", ("是否基层", "基层", "是否为基层", "是否基层单位")),
    "unit_type": ("单位性质", ("单位性质", "单位类型")),
    "score": ("审核评分", ("审核评分", "评分", "审核得分", "得分", "分数")),
    "prearranged": (
        "预先接收单位",
        ("预先接收单位", "已联系接收单位", "预接收单位", "已获准接收单位", "接收单位"),
    ),
    "health": (
        "健康状况",
        ("健康状况", "有无传染性疾病、精神类疾病史等影响正常培训的情况", "有无影响正常培训的疾病"),
    ),
    "prior_participation": (
        "是否参加过特培学习",
        ("是否参加过特培学习", "是否参加过特培", "参加过特培学习"),
    ),
    "remark": ("备注", ("备注", "说明")),
}
_NUMERALS = {"1": 1, "2": 2, "3": 3, "一": 1, "二": 2, "三": 3}
_CHOICE = re.compile(
    r"^(?:拟选培养单位|拟选择培养单位|拟选培养单位志愿|培养单位志愿|申报培养单位|培养单位|志愿|choice_?)"
    r"(?:\(?第?([123一二三])\)?(?:志愿)?)$"
    r"|^第([123一二三])志愿(?:培养单位)?$"
)
_ANNOTATION = re.compile(r"\([^()]*\)")


def _alias_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for key, (label, aliases) in COLUMNS.items():
        for alias in (key, label, *aliases):
            table.setdefault(header_key(alias), key)
    return table


_ALIASES = _alias_table()


def label(key: str) -> str:
    """Return the Chinese column name of a canonical key (for messages about a missing column)."""
    return COLUMNS[key][0] if key in COLUMNS else key


@lru_cache(maxsize=4096)
def canonical(header: str) -> str | None:
    """Return the canonical key of a header cell as written, or None when it is not known."""
    key = header_key(header)
    if not key:
        return None
    found = _ALIASES.get(key)
    if found is None:
        stripped = _ANNOTATION.sub("", key)
        for candidate in (key, stripped):
            match = _CHOICE.match(candidate)
            if match:
                return f"choice_{_NUMERALS[match.group(1) or match.group(2)]}"
        if stripped and stripped != key:
            found = _ALIASES.get(stripped)
    return found


@dataclass(frozen=True)
class Header:
    """A detected header: where it is and which column holds which key.

    `row` and `data_start` are 0-based indexes into the sheet's rows; `columns` maps a
    canonical key to (0-based column, header text as written).
    """

    row: int
    data_start: int
    columns: dict[str, tuple[int, str]] = field(default_factory=dict)
    duplicates: tuple[tuple[int, str], ...] = ()


def _map_row(texts: Sequence[str]) -> tuple[dict[str, tuple[int, str]], list[tuple[int, str]]]:
    columns: dict[str, tuple[int, str]] = {}
    duplicates: list[tuple[int, str]] = []
    for col, text in enumerate(texts):
        key = canonical(text) if text else None
        if key is None:
            continue
        if key in columns:
            duplicates.append((col, text))
        else:
            columns[key] = (col, " ".join(text.split()))
    return columns, duplicates


def _joined(top: Sequence[str], bottom: Sequence[str], spans: dict[int, int]) -> list[str]:
    """Join a two-row header: a child cell takes its merged (or carried) parent as prefix."""
    out: list[str] = []
    parent = ""
    for col in range(max(len(top), len(bottom))):
        upper = top[col] if col < len(top) else ""
        lower = bottom[col] if col < len(bottom) else ""
        if upper:
            parent = upper
        elif col not in spans and not lower:
            parent = ""
        if not lower:
            out.append(upper)
        elif canonical(lower) is not None:
            out.append(lower)
        else:
            out.append((upper or parent) + lower)
    return out


def find_header(
    rows: Sequence[Sequence[object]],
    merged: Sequence[tuple[tuple[int, int], tuple[int, int]]] = (),
    *,
    scan: int = 10,
    minimum: int = 4,
    required: str = "name",
) -> Header | None:
    """Find the header of an applicant sheet, or None when the sheet holds no data table.

    The header is the first row among the first `scan` rows where at least `minimum`
    cells map to known columns, one of them `required`. When the next row completes it
    (merged parents such as 拟选培养单位 over 1/2/3), both rows are joined and data starts
    two rows below.
    """
    limit = min(scan, len(rows))
    for index in range(limit):
        texts = [cell_text(v).strip() for v in rows[index]]
        columns, duplicates = _map_row(texts)
        if len(columns) < minimum or required not in columns:
            continue
        if index + 1 < len(rows):
            spans = _spans(merged, index)
            below = [cell_text(v).strip() for v in rows[index + 1]]
            joined = _joined(texts, below, spans)
            columns2, duplicates2 = _map_row(joined)
            name_col = columns["name"][0]
            name_below = below[name_col] if name_col < len(below) else ""
            if len(columns2) > len(columns) and not name_below:
                return Header(index, index + 2, columns2, tuple(duplicates2))
        return Header(index, index + 1, columns, tuple(duplicates))
    return None


def _spans(merged: Sequence[tuple[tuple[int, int], tuple[int, int]]], row: int) -> dict[int, int]:
    """Columns of `row` covered by a horizontal merge (column → first column of the merge)."""
    spans: dict[int, int] = {}
    for (r0, c0), (r1, c1) in merged:
        if r0 <= row <= r1 and c1 > c0:
            for col in range(c0 + 1, c1 + 1):
                spans[col] = c0
    return spans


#: How a footer line under the data begins (备注, 合计, 填表人 …): the rows end there.
FOOTERS = (
    "备注",
    "注:",
    "注：",
    "说明",
    "填表人",
    "审核人",
    "负责人",
    "联系人",
    "合计",
    "总计",
    "小计",
    "制表",
    "单位负责人",
    "附注",
)
#: The first characters of a footer or a 填表单位 line: a quick test before the full one.
FOOTER_LEADS = frozenset(f[0] for f in (*FOOTERS, "填表单位", "填报单位"))
