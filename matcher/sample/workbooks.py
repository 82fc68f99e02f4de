"""The regions' 附件3 summary workbooks (学员汇总表), one per sending unit and track.

Each file looks like a real submission: a merged title row, the ``填表单位：… 填表时间：…``
line, the header row (附件3's 13 columns, then extras), data rows, the footer
``备注：区外培养学员和区内培养学员分开填报。`` and sometimes a 填表说明 sheet. Each file has
its own untidy but valid habits (header spellings, date forms, yes/no words, spaces in names,
full-width digits in phones), drawn from a generator seeded by (seed, unit, track), so the
same input gives byte-identical files.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from matcher.forms import OFFICIAL_COLUMNS
from matcher.sample import vocab
from matcher.sample.reference import FIXED_CREATED

YEAR = 2023
TITLE = f"{YEAR}年度“内蒙古少数民族地区专业技术人才特培计划”学员汇总表"
FOOTER = "备注：区外培养学员和区内培养学员分开填报。"
BASE_COLUMNS: tuple[str, ...] = OFFICIAL_COLUMNS
EXTRA_COLUMNS: tuple[str, ...] = (
    "拟选培养单位3",
    "是否接受调剂",
    "身份证号",
    "是否基层",
    "单位性质",
    "预先接收单位",
    "健康状况",
)
INSTRUCTIONS = (
    "填表说明",
    "1. 本表由各盟市人力资源和社会保障局、满洲里市、二连浩特市人力资源和社会保障局"
    "及区直各单位填写。",
    "2. 区外培养学员和区内培养学员分开填报，材料分开报送。",
    "3. 出生年月、参加工作时间填写到月。",
    "4. 联系方式填写本人手机号码；身份证号填写18位。",
    "5. 拟选培养单位按志愿顺序填写，须与《申报培养单位志愿表》一致。",
    "6. 已与培养单位联系并获准接收的，在“预先接收单位”栏填写该单位名称。",
)
_FILE_NAMES = (
    "附件3-{unit}-{track}培养学员汇总表.xlsx",
    "{unit}{track}汇总表.xlsx",
    "{unit}特培{track}.xlsx",
    "{year}年特培计划学员汇总表（{unit}{track}培养）.xlsx",
)
_HEADER_VARIANTS: dict[str, tuple[str, ...]] = {
    "联系方式(手机号码)": ("联系方式(手机号码)", "联系方式（手机号码）", "联系方式\n（手机号码）"),
    "出生年月": ("出生年月", "出生\n年月"),
    "参加工作时间": ("参加工作时间", "参加工\n作时间"),
    "学历及毕业年限": ("学历及毕业年限", "学历及\n毕业年限"),
    "是否接受调剂": ("是否接受调剂", "是否接受\n调剂"),
}
_CANONICAL_MONTH = re.compile(r"^(\d{4})\.(\d{2})$")
_CANONICAL_EDU = re.compile(r"^(\S+) (\d{4})年$")
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass(frozen=True)
class FileStyle:
    """How one region writes its workbook (all choices valid, none an error)."""

    file_name: str
    sheet_name: str
    title: str
    headers: dict[str, str]
    columns: tuple[str, ...]
    date_style: str  # dot | cn | compact | excel
    education_style: int
    yes_word: str
    spaced_names: bool
    full_width_phones: bool
    instructions: bool
    footer_gap: int
    fill_day: int


@dataclass
class WrittenRound:
    """What `write_region_workbooks` wrote: the files, and where each input row went."""

    files: list[Path] = field(default_factory=list)
    rows: dict[int, tuple[str, int]] = field(default_factory=dict)  # index -> (file, Excel row)


def _unit(name: str) -> tuple[int, vocab.Unit]:
    for i, unit in enumerate(vocab.UNITS):
        if unit.name == name:
            return i, unit
    raise KeyError(name)


def _style(
    rng: np.random.Generator, unit: vocab.Unit, track: str, group: pd.DataFrame, year: int
) -> FileStyle:
    where = str(rng.choice(["title", "title", "sheet", "file"]))
    pattern = _FILE_NAMES[int(rng.integers(len(_FILE_NAMES)))]
    generic_sheet = str(rng.choice(["Sheet1", "汇总表", "学员汇总表"]))
    title = TITLE.replace(f"{YEAR}", f"{year}", 1)
    headers = {c: c for c in (*BASE_COLUMNS, *EXTRA_COLUMNS)}
    for column, variants in _HEADER_VARIANTS.items():
        headers[column] = variants[int(rng.integers(len(variants)))]
    choice_style = int(rng.integers(3))
    for k in (1, 2, 3):
        label = f"拟选培养单位{k}"
        headers[label] = (label, label.translate(_FULL_WIDTH), f"拟选培养\n单位{k}")[choice_style]
    omit: set[str] = set()
    if rng.random() < 0.3:
        omit.add("健康状况")
    if rng.random() < 0.4 and (group["单位性质"] == "事业单位").all():
        omit.add("单位性质")
    if rng.random() < 0.5 and (group["预先接收单位"] == "").all():
        omit.add("预先接收单位")
    return FileStyle(
        file_name=pattern.format(unit=unit.name, track=track, year=year),
        sheet_name=f"{track}培养" if where == "sheet" else generic_sheet,
        title=f"{title}（{track}培养）" if where == "title" else title,
        headers=headers,
        columns=(*BASE_COLUMNS, *(c for c in EXTRA_COLUMNS if c not in omit)),
        date_style=str(rng.choice(["dot", "dot", "cn", "compact", "excel"])),
        education_style=int(rng.integers(3)),
        yes_word=str(rng.choice(["是", "是", "√", "同意", "服从"])),
        spaced_names=bool(rng.random() < 0.3),
        full_width_phones=bool(rng.random() < 0.25),
        instructions=bool(rng.random() < 0.4),
        footer_gap=int(rng.integers(2)),
        fill_day=int(rng.integers(13, 21)),
    )


class _Formats:
    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.title = workbook.add_format({"bold": True, "font_size": 16, "align": "center"})
        self.line = workbook.add_format({"align": "left"})
        self.head = workbook.add_format(
            {"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True}
        )
        self.cell = workbook.add_format({"border": 1, "align": "center"})
        self.number = workbook.add_format({"border": 1, "align": "center", "num_format": "0"})
        self.dot_date = workbook.add_format(
            {"border": 1, "align": "center", "num_format": "yyyy.mm"}
        )
        self.cn_date = workbook.add_format(
            {"border": 1, "align": "center", "num_format": 'yyyy"年"m"月"'}
        )


def _month_text(value: str, style: str) -> str | datetime:
    match = _CANONICAL_MONTH.match(value)
    if not match or not 1 <= int(match.group(2)) <= 12:
        return value  # not canonical (e.g. a planted defect): written as given
    year, month = int(match.group(1)), int(match.group(2))
    if style == "cn":
        return f"{year}年{month}月"
    if style == "compact":
        return f"{year}{month:02d}"
    if style == "excel":
        return datetime(year, month, 1)
    return value


def _cell_value(column: str, value: Any, style: FileStyle, rng: np.random.Generator) -> Any:
    if isinstance(value, float | int) and not isinstance(value, bool):
        return value
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    if column in ("出生年月", "参加工作时间"):
        return _month_text(text, style.date_style)
    if column == "学历及毕业年限":
        match = _CANONICAL_EDU.match(text)
        if match:
            edu, year = match.groups()
            return (f"{edu} {year}年", f"{edu}，{year}年毕业", f"{edu}（{year}年）")[
                style.education_style
            ]
        return text
    if column == "是否接受调剂" and text == "是":
        return style.yes_word
    if column == "是否基层" and text == "是":
        return "√" if style.yes_word == "√" else "是"
    if column == "姓名" and style.spaced_names:
        if len(text) == 2:
            text = f"{text[0]} {text[1]}"
        if rng.random() < 0.15:
            text += " "
        return text
    if column == "联系方式(手机号码)" and style.full_width_phones and rng.random() < 0.5:
        return text.translate(_FULL_WIDTH)
    return text


def _write_instructions(workbook: xlsxwriter.Workbook) -> None:
    sheet = workbook.add_worksheet("填表说明")
    sheet.set_column(0, 0, 90)
    for r, line in enumerate(INSTRUCTIONS):
        sheet.write_string(r, 0, line)


def _write_cell(
    sheet: Worksheet, r: int, c: int, value: Any, fmt: _Formats, style: FileStyle
) -> None:
    if isinstance(value, datetime):
        sheet.write_datetime(r, c, value, fmt.dot_date if style.fill_day % 2 else fmt.cn_date)
    elif isinstance(value, float | int):
        sheet.write_number(r, c, value, fmt.number)
    elif value == "":
        sheet.write_blank(r, c, None, fmt.cell)
    else:
        sheet.write_string(r, c, value, fmt.cell)


def write_workbook(
    path: Path, unit: vocab.Unit, style: FileStyle, group: pd.DataFrame, seed: int, year: int
) -> dict[int, int]:
    """Write one region's workbook; return the Excel row of each row index of `group`."""
    workbook = xlsxwriter.Workbook(str(path))
    workbook.set_properties({"created": FIXED_CREATED, "author": unit.bureau})
    fmt = _Formats(workbook)
    sheet = workbook.add_worksheet(style.sheet_name)
    last = len(style.columns) - 1
    sheet.merge_range(0, 0, 0, last, style.title, fmt.title)
    sheet.set_row(0, 30)
    line = f"填表单位：{unit.bureau}        填表时间：{year}年3月{style.fill_day}日"
    sheet.merge_range(1, 0, 1, last, line, fmt.line)
    sheet.write_row(2, 0, [style.headers[c] for c in style.columns], fmt.head)
    sheet.set_row(2, 36)
    rng = np.random.default_rng([seed, len(group), style.fill_day])
    rows: dict[int, int] = {}
    for i, (index, (_, record)) in enumerate(zip(group.index, group.iterrows(), strict=True)):
        r = 3 + i
        rows[int(index)] = r + 1  # rows as Excel numbers them
        for c, column in enumerate(style.columns):
            value = i + 1 if column == "序号" else _cell_value(column, record[column], style, rng)
            _write_cell(sheet, r, c, value, fmt, style)
    footer_row = 3 + len(group) + style.footer_gap
    sheet.merge_range(footer_row, 0, footer_row, last, FOOTER, fmt.line)
    widths = {
        "序号": 5,
        "姓名": 10,
        "性别": 5,
        "民族": 8,
        "工作单位": 30,
        "从事专业": 14,
        "学历及毕业年限": 20,
        "职称": 14,
        "身份证号": 21,
        "联系方式(手机号码)": 15,
    }
    for c, column in enumerate(style.columns):
        default = 24 if column.startswith("拟选") or column == "预先接收单位" else 11
        sheet.set_column(c, c, widths.get(column, default))
    if style.instructions:
        _write_instructions(workbook)
    workbook.close()
    return rows


def write_region_workbooks(
    df: pd.DataFrame, out_dir: Path, *, seed: int = 2023, year: int = YEAR
) -> WrittenRound:
    """Write one 附件3 workbook per sending unit (选派地区) and track (培养方式) of `df`.

    Parameters
    ----------
    df
        Applicants with the contract's columns and canonical values (as from
        `generate_applicants`); a cell may hold a number to be written as a number cell.
    out_dir
        Folder for the files (created if missing). Files are named after unit and track.
    seed
        Seed of each file's habits; the same arguments give byte-identical files.
    year
        Year of the round, in titles and the 填表时间 line.

    Returns
    -------
    WrittenRound
        The paths written and, for each row index of `df`, its file name and Excel row.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result = WrittenRound()
    for (unit_name, mode), group in df.groupby(["选派地区", "培养方式"], sort=False):
        index, unit = _unit(str(unit_name))
        track = str(mode).removesuffix("培养")
        track_index = 0 if track == "区外" else 1
        rng = np.random.default_rng([seed, index, track_index])
        style = _style(rng, unit, track, group, year)
        path = out / style.file_name
        rows = write_workbook(path, unit, style, group, seed, year)
        result.files.append(path)
        for row_index, excel_row in rows.items():
            result.rows[row_index] = (path.name, excel_row)
    return result


def normalise_header(text: str) -> str:
    """Normalise a header as the contract does: NFKC, no spaces or breaks, ASCII brackets."""
    value = unicodedata.normalize("NFKC", text)
    return "".join(value.split()).replace("（", "(").replace("）", ")")


def fill_date(style: FileStyle, year: int = YEAR) -> date:
    """Return the 填表时间 of a file."""
    return date(year, 3, style.fill_day)
