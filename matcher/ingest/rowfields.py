"""The fields of an applicant row that need more than one cell parser: choices, 调剂, region, track.

Each takes the row's cells through `get` (or the cell itself) and reports problems through
`add` as (column key, problem); `context` is the sheet's 填表单位 line, title, sheet name and
file name (`matcher.ingest.context`).
"""

from __future__ import annotations

from collections.abc import Callable

from matcher.ingest.cells import parse_track, parse_yesno
from matcher.ingest.context import Context
from matcher.ingest.problems import Problem, error, warning
from matcher.ingest.regions import region_of
from matcher.ingest.text import cell_text, clean_name, clean_text, optional_text, shorten
from matcher.model import Track

Getter = Callable[[str], object]
Adder = Callable[[tuple[str, Problem]], None]


def choices_of(get: Getter, add: Adder) -> tuple[str, ...]:
    """The written choices in rank order, a repeated one dropped with CHOICE_REPEATED."""
    choices: list[str] = []
    seen: dict[str, int] = {}
    for rank in (1, 2, 3):
        key = f"choice_{rank}"
        text = optional_text(get(key))
        if text is None:
            continue
        same = clean_name(text).lower()
        if same in seen:
            add(
                (
                    key,
                    warning(
                        "CHOICE_REPEATED",
                        (
                            f"拟选培养单位{rank}“{shorten(text)}”与拟选培养单位{seen[same]}相同，"
                            "已忽略；请填写不同的培养单位或留空"
                        ),
                    ),
                )
            )
            continue
        seen[same] = rank
        choices.append(text)
    return tuple(choices)


def adjustment_of(present: bool, value: object, add: Adder) -> bool:
    """是否接受调剂 (False without the column; unanswered → 否 with a warning)."""
    if not present:
        return False
    accepts, problem = parse_yesno(value)
    if problem is not None:
        add(("accepts_adjustment", problem))
    elif accepts is None:
        message = "是否接受调剂未填写，按“否”（不接受调剂）处理；请填写“是”或“否”"
        add(("accepts_adjustment", warning("ADJUSTMENT_UNANSWERED", message)))
    return bool(accepts)


def region_of_row(value: object, context: Context, add: Adder) -> tuple[str | None, str | None]:
    """(sending unit as written, quota region) from 选派地区, else the 填表单位 line."""
    text = clean_text(cell_text(value))
    if text:
        region = region_of(text)
        if region is None:
            add(
                (
                    "region",
                    error(
                        "REGION_UNKNOWN",
                        (
                            f"选派地区“{shorten(text)}”不是附件1中的盟市或区直，"
                            "请填写如“兴安盟”“满洲里市”“区直”"
                        ),
                    ),
                )
            )
        return text, region
    unit, region = context.unit, context.region
    if region is None:
        where = (
            f"填表单位“{shorten(unit)}”无法对应到盟市"
            if unit
            else "没有选派地区列，也没有“填表单位：…”行"
        )
        add(
            (
                "region",
                error(
                    "REGION_UNKNOWN",
                    (
                        f"无法确定选派地区（{where}），"
                        "请增加“选派地区”列或在表头上方填写“填表单位：XX盟人社局”"
                    ),
                ),
            )
        )
    return unit, region


def track_of_row(value: object, context: Context, add: Adder) -> Track | None:
    """培养方式 from its column, else from the title, sheet or file name (the context)."""
    text = clean_text(cell_text(value))
    if text:
        track = parse_track(text)
        if track is None:
            add(
                (
                    "track",
                    error(
                        "TRACK_UNKNOWN",
                        (f"培养方式“{shorten(text)}”无法识别，请填写“区外培养”或“区内培养”"),
                    ),
                )
            )
        return track
    if context.track is None:
        add(
            (
                "track",
                error(
                    "TRACK_UNKNOWN",
                    (
                        "无法确定培养方式（区外/区内）：请增加“培养方式”列，或在标题、工作表名或文件名中"
                        "注明“区外培养”或“区内培养”"
                    ),
                ),
            )
        )
    return context.track


def id_month(value: object) -> int | None:
    """Birth month of an 18-character ID text (a hint for an ambiguous 1985.1), or None."""
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 18 and text[10:12].isdigit():
            return int(text[10:12])
    return None
