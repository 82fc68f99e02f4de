"""The department's workbooks: placements.xlsx and notices.xlsx.

placements.xlsx sheets, in order: 区外培养, 区内培养 (附件3's columns in their order, then
拟选培养单位3, 培养单位, 录取志愿, 是否调剂, 选派地区, 身份证号, 是否确认; placed and adjusted
trainees by region then input order), 未录取名单, 调剂名单, 不符合条件, 数据问题, 各地区名额,
各培养单位, 经费预算, 说明. notices.xlsx: 目录 (each host and sending region with its
number of trainees and where its rows are), 按培养单位 and 按选派地区 (every trainee once in
each, grouped by host or region, with a filter: `matcher.report.notices`), 说明.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from matcher.forms import OFFICIAL_COLUMNS
from matcher.model import Status
from matcher.report.data import ReportData
from matcher.report.decisions import OVERRIDE_SHEET, override_sheet
from matcher.report.frames import (
    ADJUSTED_LABEL,
    PREARRANGED_LABEL,
    RANK_LABELS,
    STATUS_LABELS,
)
from matcher.report.notices import NoticeTable, notice_tables
from matcher.report.policy_text import policy_lines
from matcher.report.records import FrameColumns, Records
from matcher.report.xlsx import (
    EXCEL_MAX_DATA_ROWS,
    LARGE_BOOK_ROWS,
    Arrows,
    ArrowSource,
    Book,
    Column,
    ColumnSource,
    Many,
)

TRACK_SHEETS = {"区外": "区外培养", "区内": "区内培养"}
OFFICIAL_HEADERS = list(OFFICIAL_COLUMNS)
SEVERITY_LABELS = {"error": "错误", "warning": "警告"}
STATUS_BY_VALUE = {s.value: label for s, label in STATUS_LABELS.items()}


def _get(key: str) -> Any:
    return lambda row: row[key]


def _field(header: str, key: str, kind: str = "text") -> Column:
    """A column that shows field `key` of each row as it is."""
    return Column(
        header,
        _get(key),
        kind,
        lambda rows, a, b: rows.column(key, a, b),
        lambda rows, a, b: rows.arrow(key, a, b),
    )


def _seq(row: Mapping[str, Any]) -> int:
    return int(row["_seq"])


def _seqs(rows: ColumnSource, a: int, b: int) -> list[Any]:
    return [int(v) for v in rows.column("_seq", a, b)]


def _month_dot(value: str) -> str:
    return value.replace("-", ".") if value else ""


def _month_dots(key: str) -> tuple[Many, Arrows]:
    """Column-wise `_month_dot` of field `key`, as Python values and as Arrow."""

    def many(rows: ColumnSource, a: int, b: int) -> list[Any]:
        return [_month_dot(v) for v in rows.column(key, a, b)]

    def arrow(rows: ArrowSource, a: int, b: int) -> pa.Array | None:
        values = _texts(rows.arrow(key, a, b))
        return None if values is None else pc.replace_substring(values, "-", ".")

    return many, arrow


def _texts(values: pa.Array | None, *, gaps: bool = False) -> pa.Array | None:
    """`values` if they are texts (with no missing value unless `gaps`), else None."""
    if values is None or not pa.types.is_large_string(values.type):
        return None
    return values if gaps or not values.null_count else None


def _large(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def _education_of(text: Any, year: Any) -> str:
    text = text or ""
    if isinstance(year, int) and str(year) not in text:
        return f"{text} {year}年毕业".strip()
    return str(text)


def _education(row: Mapping[str, Any]) -> str:
    """学历及毕业年限 as the applicant wrote it; the year added only when it is missing."""
    return _education_of(row["education"], row["graduation_year"])


def _educations(rows: ColumnSource, a: int, b: int) -> list[Any]:
    return list(
        map(_education_of, rows.column("education", a, b), rows.column("graduation_year", a, b))
    )


def _admission_of(status: Any, rank: Any) -> str:
    if status == Status.ADJUSTED.value:
        return ADJUSTED_LABEL
    return RANK_LABELS.get(rank, PREARRANGED_LABEL) if isinstance(rank, int) else PREARRANGED_LABEL


def _admission(row: Mapping[str, Any]) -> str:
    return _admission_of(row["status"], row["choice_rank"])


def _admissions(rows: ColumnSource, a: int, b: int) -> list[Any]:
    return list(map(_admission_of, rows.column("status", a, b), rows.column("choice_rank", a, b)))


def _admissions_arrow(rows: ArrowSource, a: int, b: int) -> pa.Array | None:
    statuses, ranks = _texts(rows.arrow("status", a, b), gaps=True), rows.arrow("choice_rank", a, b)
    if statuses is None or ranks is None or not pa.types.is_integer(ranks.type):
        return None
    labels = pa.array(list(RANK_LABELS.values()), pa.large_string())
    found = labels.take(pc.index_in(ranks, value_set=pa.array(list(RANK_LABELS), ranks.type)))
    adjusted = pc.equal(statuses, Status.ADJUSTED.value).fill_null(False)
    return pc.if_else(adjusted, _large(ADJUSTED_LABEL), found.fill_null(PREARRANGED_LABEL))


def _is_adjusted(row: Mapping[str, Any]) -> str:
    return "是" if row["status"] == Status.ADJUSTED.value else "否"


def _are_adjusted(rows: ColumnSource, a: int, b: int) -> list[Any]:
    adjusted = Status.ADJUSTED.value
    return ["是" if v == adjusted else "否" for v in rows.column("status", a, b)]


def _are_adjusted_arrow(rows: ArrowSource, a: int, b: int) -> pa.Array | None:
    statuses = _texts(rows.arrow("status", a, b), gaps=True)
    if statuses is None:
        return None
    adjusted = pc.equal(statuses, Status.ADJUSTED.value).fill_null(False)
    return pc.if_else(adjusted, _large("是"), _large("否"))


def _status_label(row: Mapping[str, Any]) -> str:
    return STATUS_BY_VALUE.get(row["status"], row["status"])


def _severity_label(row: Mapping[str, Any]) -> str:
    return SEVERITY_LABELS.get(row["severity"], row["severity"])


def _nothing(row: Mapping[str, Any]) -> None:
    return None


def _nothings(rows: ColumnSource, a: int, b: int) -> list[Any]:
    return [None] * (b - a)


def _labels(key: str, labels: Mapping[str, str]) -> tuple[Many, Arrows]:
    """Column-wise ``labels.get(v, v)`` for field `key`, as Python values and as Arrow."""

    def many(rows: ColumnSource, a: int, b: int) -> list[Any]:
        get = labels.get
        return [get(v, v) for v in rows.column(key, a, b)]

    def arrow(rows: ArrowSource, a: int, b: int) -> pa.Array | None:
        values = _texts(rows.arrow(key, a, b), gaps=True)
        if values is None:
            return None
        keys, shown = (pa.array(list(t), pa.large_string()) for t in (labels, labels.values()))
        return pc.coalesce(shown.take(pc.index_in(values, value_set=keys)), values)

    return many, arrow


def _prearranged_text(host: Any, source: Any) -> str:
    """预先接收 as shown: the host and where it came from (a remark's: to confirm)."""
    if not host:
        return ""
    return f"{host}（来自备注，待确认）" if source == "备注" else f"{host}（来自{source}）"


def _prearranged(row: Mapping[str, Any]) -> str:
    return _prearranged_text(row["prearranged"], row["prearranged_from"])


def _prearrangeds(rows: ColumnSource, a: int, b: int) -> list[Any]:
    hosts, sources = rows.column("prearranged", a, b), rows.column("prearranged_from", a, b)
    return [_prearranged_text(h, s) for h, s in zip(hosts, sources, strict=True)]


def _prearrangeds_arrow(rows: ArrowSource, a: int, b: int) -> pa.Array | None:
    hosts, sources = (_texts(rows.arrow(k, a, b)) for k in ("prearranged", "prearranged_from"))
    if hosts is None or sources is None:
        return None
    empty = _large("")
    remark = pc.binary_join_element_wise(hosts, _large("（来自备注，待确认）"), empty)
    named = pc.binary_join_element_wise(hosts, _large("（来自"), sources, _large("）"), empty)
    shown = pc.if_else(pc.equal(sources, "备注"), remark, named)
    return pc.if_else(pc.equal(hosts, ""), empty, shown)


SEQ = Column("序号", _seq, "text", _seqs, lambda rows, a, b: rows.arrow("_seq", a, b))
CONFIRMED = Column("是否确认", _nothing, "yesno", _nothings, lambda rows, a, b: pa.nulls(b - a))
TRACK_COLUMNS = [
    SEQ,
    _field("姓名", "name"),
    _field("性别", "gender"),
    _field("民族", "ethnicity"),
    Column("出生年月", lambda r: _month_dot(r["birth"]), "text", *_month_dots("birth")),
    _field("工作单位", "employer"),
    Column(
        "参加工作时间", lambda r: _month_dot(r["work_start"]), "text", *_month_dots("work_start")
    ),
    _field("从事专业", "profession"),
    Column("学历及毕业年限", _education, "text", _educations),
    _field("职称", "title"),
    _field("联系方式(手机号码)", "phone", "id"),
    _field("拟选培养单位1", "choice_1"),
    _field("拟选培养单位2", "choice_2"),
    _field("拟选培养单位3", "choice_3"),
    _field("培养单位", "host"),
    Column("录取志愿", _admission, "text", _admissions, _admissions_arrow),
    Column("是否调剂", _is_adjusted, "yesno", _are_adjusted, _are_adjusted_arrow),
    _field("选派地区", "region"),
    _field("身份证号", "id_number", "id"),
    Column("预先接收", _prearranged, "text", _prearrangeds, _prearrangeds_arrow),
    _field("备注", "remark"),
    _field("优先序", "priority_position"),
    _field("抽签签号", "draw"),
    CONFIRMED,
]
_SOURCE = [_field("来源文件", "source_file"), _field("行号", "source_row")]
_PERSON = [SEQ, _field("姓名", "name"), _field("身份证号", "id_number", "id")]
UNMATCHED_COLUMNS = [
    *_PERSON,
    _field("联系方式", "phone", "id"),
    _field("选派地区", "region"),
    _field("培养方式", "track"),
    Column("状态", _status_label, "text", *_labels("status", STATUS_BY_VALUE)),
    _field("原因代码", "reason_code"),
    _field("原因", "reason"),
    _field("改进建议", "remedy"),
    _field("拟选培养单位1", "choice_1"),
    _field("拟选培养单位2", "choice_2"),
    _field("拟选培养单位3", "choice_3"),
    _field("是否接受调剂", "accepts_adjustment"),
    _field("优先序", "priority_position"),
    _field("抽签签号", "draw"),
    *_SOURCE,
]
ADJUSTMENT_COLUMNS = [
    *_PERSON,
    _field("选派地区", "region"),
    _field("培养方式", "track"),
    _field("从事专业", "profession"),
    _field("专业领域", "field"),
    _field("拟选培养单位1", "choice_1"),
    _field("拟选培养单位2", "choice_2"),
    _field("拟选培养单位3", "choice_3"),
    _field("调剂至", "host"),
    _field("该单位培养专业", "host_fields"),
    _field("调剂依据专业", "adjustment_field"),
    *_SOURCE,
    CONFIRMED,
]
INELIGIBLE_COLUMNS = [
    *_PERSON,
    _field("选派地区", "region"),
    _field("培养方式", "track"),
    _field("原因代码", "reason_code"),
    _field("原因", "reason"),
    _field("改进建议", "remedy"),
    *_SOURCE,
]
PROBLEM_COLUMNS = [
    _field("文件", "file"),
    _field("行号", "row"),
    _field("列", "column"),
    _field("代码", "code"),
    Column("严重程度", _severity_label, "text", *_labels("severity", SEVERITY_LABELS)),
    _field("说明", "message"),
]
REGION_COLUMNS = [
    _field("地区", "region"),
    _field("培养方式", "track"),
    _field("名额", "quota"),
    _field("申报人数", "applicants"),
    _field("按志愿录取", "placed"),
    _field("调剂录取", "adjusted"),
    _field("录取合计", "filled"),
    _field("未录取", "unmatched"),
    _field("不符合条件", "ineligible"),
    _field("数据无效", "invalid"),
    _field("未录取合计", "unplaced"),
    _field("剩余名额", "unused"),
]
HOST_COLUMNS = [
    _field("培养单位", "host"),
    _field("培养方式", "track"),
    _field("所在地", "location"),
    _field("接收名额", "capacity"),
    _field("已录取", "filled"),
    _field("第一志愿", "first"),
    _field("第二志愿", "second"),
    _field("第三志愿", "third"),
    _field("预先接收", "prearranged"),
    _field("调剂", "adjusted"),
    _field("剩余名额", "free"),
]
FUNDING_COLUMNS = [
    _field("类别", "scope"),
    _field("名称", "name"),
    _field("培养方式", "track"),
    _field("人数", "trainees"),
    _field("学费住宿费（元）", "tuition_lodging"),
    _field("管理费（元）", "management"),
    _field("生活补贴（元）", "living"),
    _field("合计（元）", "total"),
]
NOTICE_SHEETS = {"培养单位": "按培养单位", "选派地区": "按选派地区"}


def _records(frame: pd.DataFrame) -> Records:
    return Records.of(frame)


def _with_total(frame: pd.DataFrame, label_column: str, numeric: Sequence[str]) -> Records:
    """The records of `frame` and a total row: `label_column` 合计, `numeric` summed, else ""."""
    keys, values = [str(k) for k in frame.columns], FrameColumns(frame)
    columns: list[list[Any]] = []
    for key, column in zip(keys, values, strict=True):
        if key in numeric:
            total: Any = int(sum(int(v) for v in column))
        else:
            total = "合计" if key == label_column else ""
        columns.append([*column, total])
    return Records(keys, columns, 0, len(frame) + 1)


def track_rows(data: ReportData, track: str) -> Records:
    """Return the trainees of `track`, ordered by region (quota table order) then input order.

    A region outside the quota table, or missing, comes after those in it (an empty one
    counts as 未识别). Each distinct region is ranked once.
    """
    trainees = data.trainees
    rows = np.flatnonzero((trainees["track"] == track).to_numpy(bool, na_value=False))
    order = {r: i for i, r in enumerate(data.region_order())}
    codes, regions = pd.factorize(trainees["region"].take(rows))  # a missing region: -1
    ranks = np.array([*(order.get(r or "未识别", len(order)) for r in regions), len(order)])
    return _records(trainees.take(rows[np.argsort(ranks[codes], kind="stable")]))


def notes(data: ReportData) -> list[str]:
    """Return the lines of the 说明 sheet."""
    funding = data.summary["funding"]
    rates = funding["rates"]
    lines = [
        f"{data.summary['year']}年度特培计划选派结果（由 matcher 生成；"
        "工作簿中没有公式，合计均为计算后的数值）。",
        "状态：按志愿录取、调剂录取、未录取、不符合条件、数据无效；"
        "每个申报行在 placements.csv 中恰好出现一次。",
        "“是否调剂”“是否确认”列可从下拉列表中选择“是”或“否”。",
        f"经费按通知标准、培养{funding['months']}个月计算（生活补贴结业考核合格后按实际培训时间发放）：",
    ]
    for track, rate in rates.items():
        lines.append(
            f"{track}：学费和住宿费每人每年{rate['tuition_lodging']:,}元，管理费每人每年"
            f"{rate['management']:,}元，生活补贴每人每月{rate['living_per_month']:,}元。"
        )
    return lines + policy_lines(data.result)


def placements_xlsx(data: ReportData, max_rows: int = EXCEL_MAX_DATA_ROWS) -> bytes:
    """placements.xlsx's bytes (see the module docstring for the sheets)."""
    return placements_book(data, max_rows).close()


def placements_book(data: ReportData, max_rows: int = EXCEL_MAX_DATA_ROWS) -> Book:
    """placements.xlsx's sheets, ready to `Book.save` into a file."""
    rows = len(data.placements)
    book = Book(data.created, max_rows, large=rows >= LARGE_BOOK_ROWS)
    for track, sheet in TRACK_SHEETS.items():
        book.table(sheet, TRACK_COLUMNS, track_rows(data, track))
    book.table("未录取名单", UNMATCHED_COLUMNS, _records(data.unmatched))
    book.table("调剂名单", ADJUSTMENT_COLUMNS, _records(data.adjustments))
    book.table("不符合条件", INELIGIBLE_COLUMNS, _records(data.ineligible))
    book.table("数据问题", PROBLEM_COLUMNS, _records(data.problems))
    region_numbers = [c for c in data.regions.columns if c not in ("region", "track")]
    book.table("各地区名额", REGION_COLUMNS, _with_total(data.regions, "region", region_numbers))
    host_numbers = [c for c in data.hosts.columns if c not in ("host", "track", "location")]
    book.table("各培养单位", HOST_COLUMNS, _with_total(data.hosts, "host", host_numbers))
    book.table("经费预算", FUNDING_COLUMNS, _records(data.funding))
    columns, decisions = override_sheet(data.result.manifest)
    if decisions:
        book.table(OVERRIDE_SHEET, columns, decisions)
    book.note_sheet("说明", notes(data))
    return book


def notices_xlsx(
    data: ReportData,
    max_rows: int = EXCEL_MAX_DATA_ROWS,
    tables: tuple[NoticeTable, NoticeTable] | None = None,
) -> bytes:
    """notices.xlsx's bytes: 目录, 按培养单位, 按选派地区 (and 说明 when a list is split).

    `tables`: the notification lists, when the caller has them (`notice_tables`'s).
    """
    return notices_book(data, max_rows, tables).close()


def notices_book(
    data: ReportData,
    max_rows: int = EXCEL_MAX_DATA_ROWS,
    tables: tuple[NoticeTable, NoticeTable] | None = None,
) -> Book:
    """notices.xlsx's sheets, ready to `Book.save` into a file (see `notices_xlsx`).

    Three sheets whatever the number of hosts: 目录 has a row per host and per region
    (类型, 名称, 人数, and the sheet and rows that hold its list).
    """
    rows = 2 * len(data.trainees)
    book = Book(data.created, max_rows, large=rows >= LARGE_BOOK_ROWS)
    if tables is None:
        tables = notice_tables(data.trainees, data.summary["hosts"].keys(), data.region_order())
    index: list[dict[str, Any]] = []
    sheets: list[tuple[NoticeTable, str]] = []
    for table in tables:
        sheet = NOTICE_SHEETS[table.kind]
        sheets.append((table, sheet))
        limit = book.max_rows
        for name, start, stop in table.groups():
            first, last = start // limit, (stop - 1) // limit
            index.append(
                {
                    "类型": table.kind,
                    "名称": name,
                    "人数": stop - start,
                    "工作表": _split_name(sheet, first),
                    "起始行": start % limit + 2,
                    "结束行": (stop - 1) % limit + 2,
                    "续表": _split_name(sheet, last) if last != first else "",
                }
            )
    index_columns = [Column(h, _get(h)) for h in ("类型", "名称", "人数", "工作表", "起始行")]
    index_columns.append(Column("结束行", _get("结束行")))
    if any(r["续表"] for r in index):
        index_columns.append(Column("结束行所在工作表", _get("续表")))
    book.table("目录", index_columns, index)
    for table, sheet in sheets:
        columns = [_field(h, h, "id" if h == "联系方式" else "text") for h in table.frame.columns]
        book.table(sheet, columns, Records.of(table.frame))
    if book.notes:
        book.note_sheet("说明", [])
    return book


def _split_name(sheet: str, k: int) -> str:
    """The name of part `k` (0-based) of `sheet` as `Book.table` names a split sheet."""
    return sheet if k == 0 else f"{sheet}({k + 1})"
