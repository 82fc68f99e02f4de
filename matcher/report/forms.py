"""The official forms of a published run: 附件3 per track and a return package per unit.

`forms_files(run, ...)` gives (relative path → bytes):

- ``附件3-区外培养学员汇总表.xlsx``, ``附件3-区内培养学员汇总表.xlsx``: the notice's summary
  table (附件3) of the selected trainees of each track — title row, ``填表单位：…（盖章）
  填表时间：…`` line, the official columns in the notice's order plus 培养单位 and 录取方式,
  the 备注 footer — ordered by region (附件1's order) then input order; A4
  landscape, fit to width, header repeated on every page (`matcher.report.printed`).
- ``回执/<选派单位>.xlsx``: one workbook per sending unit (满洲里市 and 二连浩特市 their own,
  beside 呼伦贝尔市 and 锡林郭勒盟; a row without a unit goes to its region's): 录取名单 per
  track (the same form, the unit as 填表单位), 未录取名单 (every row not placed, with the
  reason and what would change it), 需更正 (the rows rejected as invalid data, with the
  problems and the source row). Every row of the run is in exactly one unit's package, on
  exactly one of these sheets. No 身份证号 leaves in a package.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd

from matcher.forms import ENGLISH, OFFICIAL_COLUMNS
from matcher.ingest.regions import REGIONS
from matcher.report.naming import safe_filename
from matcher.report.printed import PrintBook, PrintColumn
from matcher.report.rundir import TRAINEE_STATUSES, RunFolder

DEPARTMENT = "内蒙古自治区人力资源和社会保障厅"
TRACK_TITLES = {"区外": "区外培养", "区内": "区内培养"}
PACKAGES = "回执"
UNKNOWN_UNIT = "未识别选派单位"
#: County-level cities with a return package of their own (附件1: 含满洲里市, 含二连浩特市).
SEPARATE_CITIES = {"满洲里": "满洲里市", "二连浩特": "二连浩特市"}
RANKS = {"1": "第一志愿", "2": "第二志愿", "3": "第三志愿"}
STATUS_NAMES = {"unmatched": "未录取", "ineligible": "不符合条件", "invalid": "数据无效"}
FOOTER = (
    "备注：区外培养学员和区内培养学员分开填报。",
    "培养单位经自治区人力资源和社会保障厅审核确定；录取方式为第一、二、三志愿，调剂（依据学员调剂意愿），"
    "或预先接收（培养单位已同意接收）。",
)
_WIDTHS = {
    "序号": 5,
    "姓名": 9,
    "性别": 5,
    "民族": 7,
    "出生年月": 9,
    "工作单位": 20,
    "参加工作时间": 9,
    "从事专业": 12,
    "学历及毕业年限": 14,
    "职称": 12,
    "联系方式(手机号码)": 13,
    "拟选培养单位1": 18,
    "拟选培养单位2": 18,
}
_CENTRED = {"序号", "性别", "民族", "出生年月", "参加工作时间"}
FORM_COLUMNS = [
    *(PrintColumn(h, ENGLISH[h], _WIDTHS[h], centre=h in _CENTRED) for h in OFFICIAL_COLUMNS),
    PrintColumn("培养单位", "host", 18),
    PrintColumn("录取方式", "admission", 9),
]
NOT_SELECTED_COLUMNS = [
    PrintColumn("序号", "seq", 5, centre=True),
    PrintColumn("姓名", "name", 9),
    PrintColumn("培养方式", "track_title", 9),
    PrintColumn("拟选培养单位1", "choice_1", 18),
    PrintColumn("拟选培养单位2", "choice_2", 18),
    PrintColumn("拟选培养单位3", "choice_3", 18),
    PrintColumn("结果", "status_name", 9),
    PrintColumn("原因", "reason", 36),
    PrintColumn("改进建议", "remedy", 30),
]
CORRECT_COLUMNS = [
    PrintColumn("序号", "seq", 5, centre=True),
    PrintColumn("姓名", "name", 9),
    PrintColumn("培养方式", "track_title", 9),
    PrintColumn("报送文件", "source_file", 28),
    PrintColumn("行号", "source_row", 6),
    PrintColumn("问题", "reason", 48),
    PrintColumn("修改方法", "remedy", 28),
]


def filled_on_text(day: date | None) -> str:
    """填表时间 as printed: ``2023年7月1日``, or blanks to fill by hand."""
    return f"{day.year}年{day.month}月{day.day}日" if day else "      年    月    日"


def form_title(year: int, track: str) -> str:
    """The 附件3 title of `track` (区外/区内)."""
    return (
        f"{year}年度“内蒙古少数民族地区专业技术人才特培计划”学员汇总表"
        f"（{TRACK_TITLES.get(track, track)}）"
    )


def _month(text: str) -> str:
    return text.replace("-", ".")


def _education(text: str, year: str) -> str:
    if year and year not in text:
        return f"{text} {year}年毕业".strip()
    return text


def _admission(status: str, rank: str) -> str:
    if status == "adjusted":
        return "调剂"
    return RANKS.get(rank.removesuffix(".0"), "预先接收")


def _column(frame: pd.DataFrame, key: str) -> list[str]:
    if key not in frame.columns:
        return [""] * len(frame)
    return [str(v) for v in frame[key].tolist()]


def form_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The printed rows of `frame` (placements rows as text), numbered from 1."""
    get = {key: _column(frame, key) for key in frame.columns}
    blank = [""] * len(frame)
    rows = []
    for i in range(len(frame)):

        def value(key: str, i: int = i) -> str:
            return get.get(key, blank)[i]

        rows.append(
            {
                "seq": i + 1,
                "name": value("name"),
                "gender": value("gender"),
                "ethnicity": value("ethnicity"),
                "birth": _month(value("birth")),
                "employer": value("employer"),
                "work_start": _month(value("work_start")),
                "profession": value("profession"),
                "education": _education(value("education"), value("graduation_year")),
                "title": value("title"),
                "phone": value("phone"),
                "choice_1": value("choice_1"),
                "choice_2": value("choice_2"),
                "choice_3": value("choice_3"),
                "host": value("host"),
                "admission": _admission(value("status"), value("choice_rank")),
                "track_title": TRACK_TITLES.get(value("track"), value("track")),
                "status_name": STATUS_NAMES.get(value("status"), value("status")),
                "reason": value("reason"),
                "remedy": value("remedy"),
                "source_file": value("source_file"),
                "source_row": value("source_row"),
            }
        )
    return rows


def _by_region(frame: pd.DataFrame, regions: Sequence[str]) -> pd.DataFrame:
    order = {r: i for i, r in enumerate(regions)}
    rank = [order.get(r, len(order)) for r in frame["region"]]
    return frame.assign(_r=rank).sort_values("_r", kind="stable").drop(columns="_r")


def unit_of(frame: pd.DataFrame) -> list[str]:
    """Each row's sending unit: its quota region, but 满洲里市 and 二连浩特市 their own.

    The unit is told from 填表单位/选派单位 (sending_unit) for the two cities, else the
    region (a row without one: `UNKNOWN_UNIT`). At most 15 units.
    """
    units = _column(frame, "sending_unit")
    regions = _column(frame, "region")
    out = []
    for unit, region in zip(units, regions, strict=True):
        city = next((name for key, name in SEPARATE_CITIES.items() if key in unit), None)
        out.append(city or region or UNKNOWN_UNIT)
    return out


def _line(unit: str | None, filler: str, day: date | None) -> str:
    sent = f"选派单位：{unit}" + " " * 12 if unit else ""
    return sent + f"填表单位：{filler}（盖章）" + " " * 16 + f"填表时间：{filled_on_text(day)}"


def _form_sheet(
    book: PrintBook, name: str, year: int, track: str, line: str, rows: list[Any]
) -> None:
    book.sheet(name, form_title(year, track), line, FORM_COLUMNS, rows, FOOTER)


def official_form(
    run: RunFolder, track: str, *, unit: str = DEPARTMENT, filled_on: date | None = None
) -> bytes:
    """The 附件3 workbook of `track`'s selected trainees (one printable sheet)."""
    trainees = run.trainees()
    mine = _by_region(trainees[trainees["track"] == track], REGIONS)
    book = PrintBook(datetime(run.year, 1, 1))
    line = _line(None, unit, filled_on)
    _form_sheet(book, TRACK_TITLES[track], run.year, track, line, form_rows(mine))
    return book.close()


def return_package(
    run: RunFolder,
    unit: str,
    rows: pd.DataFrame,
    *,
    filled_on: date | None = None,
    filler: str = DEPARTMENT,
) -> bytes:
    """The workbook sent back to `unit` for its `rows` (placements rows of that unit)."""
    book = PrintBook(datetime(run.year, 1, 1))
    selected = rows[rows["status"].isin(TRAINEE_STATUSES)]
    line = _line(unit, filler, filled_on)
    for track, title in TRACK_TITLES.items():
        mine = selected[selected["track"] == track]
        if len(mine):
            _form_sheet(book, f"{title}录取名单", run.year, track, line, form_rows(mine))
    if not len(selected):
        book.sheet(
            "录取名单",
            f"{run.year}年度特培计划录取名单（{unit}）",
            line,
            FORM_COLUMNS,
            [],
            ("本单位本年度无录取学员。",),
        )
    not_selected = rows[rows["status"].isin(("unmatched", "ineligible"))]
    book.sheet(
        "未录取名单",
        f"{run.year}年度特培计划未录取人员名单（{unit}）",
        line,
        NOT_SELECTED_COLUMNS,
        form_rows(not_selected),
        (
            "未录取：名额或志愿已满；不符合条件：不符合通知规定的选拔条件。“改进建议”说明怎样才能录取。",
        ),
    )
    invalid = rows[rows["status"] == "invalid"]
    book.sheet(
        "需更正",
        f"{run.year}年度特培计划需更正的申报数据（{unit}）",
        line,
        CORRECT_COLUMNS,
        form_rows(invalid),
        ("以上各行数据有误，未参加匹配：请按“修改方法”改正后重新报送（行号同 Excel 显示）。",),
    )
    return book.close()


def packages(run: RunFolder) -> dict[str, pd.DataFrame]:
    """Sending unit → its rows of the run (input order); units in order of first row."""
    frame = run.placements
    units = unit_of(frame)
    groups: dict[str, list[int]] = {}
    for i, unit in enumerate(units):
        groups.setdefault(unit, []).append(i)
    order = {r: i for i, r in enumerate(REGIONS)}
    region_of = dict(zip(units, _column(frame, "region"), strict=True))
    ranked = sorted(
        groups, key=lambda u: (order.get(region_of[u], len(order)), u != region_of[u], u)
    )
    return {unit: frame.iloc[groups[unit]] for unit in ranked}


def forms_files(
    run: RunFolder, *, unit: str = DEPARTMENT, filled_on: date | None = None
) -> dict[str, bytes]:
    """Relative path → bytes of every form (see the module docstring)."""
    files: dict[str, bytes] = {}
    for track, title in TRACK_TITLES.items():
        files[f"附件3-{title}学员汇总表.xlsx"] = official_form(
            run, track, unit=unit, filled_on=filled_on
        )
    taken: set[str] = set()
    for name, rows in packages(run).items():
        path = f"{PACKAGES}/{safe_filename(name, taken, suffix='.xlsx')}"
        files[path] = return_package(run, name, rows, filled_on=filled_on, filler=unit)
    return files


def package_counts(run: RunFolder) -> Mapping[str, dict[str, int]]:
    """Per sending unit: rows selected, not selected and to correct (for the CLI's summary)."""
    out: dict[str, dict[str, int]] = {}
    for unit, rows in packages(run).items():
        status = rows["status"]
        out[unit] = {
            "selected": int(status.isin(TRAINEE_STATUSES).sum()),
            "not_selected": int(status.isin(("unmatched", "ineligible")).sum()),
            "to_correct": int((status == "invalid").sum()),
        }
    return out
