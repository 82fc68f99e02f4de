"""Hypothesis strategies of hostile input files, in layers: cells → tables → files.

A `Table` knows which of its rows are data rows (each has a name), so a run can be
checked to account for every one; junk files (random bytes, broken zips) only must not
crash anything.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import xlsxwriter
from hypothesis import strategies as st

from tests.ingest.util import HEADER, good_row

EXTRA = ["选派地区", "培养方式", "审核评分", "是否基层", "健康状况", "备注"]
FOOTERS = ["合计", "备注", "说明", "小计", "注：", "填表人"]
#: Text that tends to break readers: control characters, footer words, huge numbers, formulas.
NASTY = st.sampled_from(
    [
        "",
        " ",
        "—",
        "合计",
        "备注：见附件",
        "\x00",
        "\x07bell",
        "a\x1fb",
        "\u2028",
        "\x85",
        "=1+1",
        "9" * 40,
        "2147483648",
        "-1",
        "1e400",
        "NaN",
        "是",
        "否",
        "无",
        "区外",
        "区内",
        "兴安盟",
        "北京师范大学",
        "1988.05",
        "2023-13-45",
        "150102198805031234",
        "𠀀𠀁",
        "\ufeff",
    ]
)
TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\r\n\x00"), max_size=12)


@st.composite
def cell(draw: st.DrawFn, for_csv: bool) -> object:
    """One cell: a plausible value, a nasty text, random text, a number or a date."""
    kind = draw(st.sampled_from(["good", "nasty", "text", "number", "date", "none"]))
    if kind == "nasty":
        value = draw(NASTY)
        return value.replace("\x00", "") if for_csv else value
    if kind == "text":
        return draw(TEXT)
    if kind == "number":
        return draw(
            st.one_of(
                st.integers(-(2**40), 2**40), st.floats(allow_nan=False, allow_infinity=False)
            )
        )
    if kind == "date":
        return draw(st.dates(date(1900, 3, 1), date(2100, 1, 1)))
    if kind == "none":
        return None
    return "good"


@dataclass
class Table:
    """A 附件3-like table: where it starts, its header and rows (each row has a name)."""

    header: list[str]
    rows: list[list[object]]
    top: int  # lines above the header
    title: bool
    footer: bool
    stray: tuple[int, int] | None  # a cell outside the table (0-based row, column)
    refused: bool = False  # the stray cell is past the readers' limits
    names: list[str] = field(default_factory=list)


@st.composite
def tables(draw: st.DrawFn, for_csv: bool) -> Table:
    """A table whose every data row has a unique name; cells drawn by `cell`."""
    others = [h for h in HEADER + EXTRA if h != "姓名"]
    chosen = draw(st.lists(st.sampled_from(others), unique=True, min_size=5, max_size=12))
    header = chosen[:]
    header.insert(draw(st.integers(0, len(header))), "姓名")
    template = dict(zip(HEADER, good_row(1), strict=True))
    rows = []
    names = []
    for n in range(draw(st.integers(0, 8))):
        row: list[object] = []
        for h in header:
            value = draw(cell(for_csv))
            if value == "good":
                value = template.get(h, "是")
            row.append(value)
        name = f"学员{n}" + draw(st.sampled_from(["", "\x01", " ", "·"]))
        if for_csv:
            name = name.replace("\x00", "")
        row[header.index("姓名")] = name
        if "序号" in header and draw(st.booleans()):
            row[header.index("序号")] = draw(st.sampled_from(FOOTERS))
        rows.append(row)
        names.append(name)
    stray = None
    refused = False
    if not for_csv and draw(st.booleans()):
        far = draw(st.booleans())
        if far:
            stray = (draw(st.sampled_from([11999, 1048575, 700000])), 16383)
            refused = True
        else:
            stray = (draw(st.integers(0, 3000)), len(header) + draw(st.integers(1, 200)))
    return Table(
        header,
        rows,
        draw(st.integers(0, 3)),
        draw(st.booleans()),
        draw(st.booleans()),
        stray,
        refused,
        names,
    )


def first_row(table: Table) -> int:
    """Row (as Excel or the CSV shows it) of the header."""
    return table.top + 1


def write_table(path: Path, table: Table) -> list[int]:
    """Write `table` as .csv or .xlsx (by suffix); the row numbers of its data rows."""
    lines: list[list[object]] = []
    for i in range(table.top):
        if i == 0 and table.title:
            lines.append(["2023年特培计划学员汇总表（区外培养）"])
        elif i == 1:
            lines.append(["填表单位：兴安盟人社局   填表时间：2023年3月10日"])
        else:
            lines.append([])
    lines.append(list(table.header))
    numbers = [len(lines) + 1 + n for n in range(len(table.rows))]
    lines += table.rows
    if table.footer:
        lines += [[], ["备注：区外培养学员和区内培养学员分开填报。"]]
    if path.suffix == ".csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        for line in lines:
            writer.writerow(["" if v is None else v for v in line])
        path.write_text(buffer.getvalue(), encoding="utf-8-sig")
        return numbers
    book = xlsxwriter.Workbook(
        str(path), {"strings_to_numbers": False, "strings_to_formulas": True}
    )
    sheet = book.add_worksheet("学员")
    dates = book.add_format({"num_format": "yyyy.mm"})
    for r, line in enumerate(lines):
        for c, v in enumerate(line):
            if v is None:
                continue
            if isinstance(v, (date, datetime)):
                sheet.write_datetime(r, c, v, dates)
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                sheet.write_number(r, c, v)
            else:
                sheet.write(r, c, v)
    if table.stray:
        sheet.write(*table.stray, "x")
    book.close()
    return numbers


@st.composite
def junk(draw: st.DrawFn, good: bytes) -> tuple[str, bytes]:
    """(suffix, content) of a file no reader should choke on: random bytes or a broken zip."""
    kind = draw(st.sampled_from(["bytes", "truncated", "flipped", "zip-of-junk"]))
    suffix = draw(st.sampled_from([".csv", ".xlsx", ".xls"]))
    if kind == "bytes":
        return suffix, draw(st.binary(max_size=2000))
    if kind == "truncated":
        return ".xlsx", good[: draw(st.integers(0, len(good)))]
    if kind == "flipped":
        data = bytearray(good)
        for at in draw(st.lists(st.integers(0, len(good) - 1), min_size=1, max_size=20)):
            data[at] ^= draw(st.integers(1, 255))
        return ".xlsx", bytes(data)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        for name in ("[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml"):
            book.writestr(name, draw(st.binary(max_size=300)))
    return ".xlsx", buffer.getvalue()
