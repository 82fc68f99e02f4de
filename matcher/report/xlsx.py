"""A thin, safe layer over xlsxwriter for the department's workbooks.

Every workbook is written in memory with ``strings_to_formulas``, ``strings_to_numbers``
and ``strings_to_urls`` off, every text through ``write_string`` (so no cell can hold a
live formula) and a fixed creation date (same input → same bytes). Each table gets its
header in row 1, a frozen header row, an autofilter, column widths from the text (wide
CJK characters count double), optional 是/否 dropdowns, and is split across sheets
``名称``, ``名称(2)``… when it has more data rows than a sheet holds.
"""

from __future__ import annotations

import io
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
import xlsxwriter

from matcher.report.naming import SHEET_NAME_MAX, display_width

EXCEL_MAX_DATA_ROWS = 1_048_575  # 1,048,576 rows minus the header
#: From this many rows in a book, `Book(..., large=True)`: rows are streamed to disk.
LARGE_BOOK_ROWS = 200_000
YES_NO = ["是", "否"]
MAX_WIDTH = 60
MIN_WIDTH = 6


@dataclass(frozen=True)
class Column:
    """One column of a sheet: header, how to get the value from a row, and its kind.

    `kind`: "text" (default), "id" (text format ``@``, e.g. ID and phone numbers) or
    "yesno" (text with a 是/否 dropdown for staff to edit).
    """

    header: str
    get: Callable[[Mapping[str, Any]], Any]
    kind: str = "text"


def clean(value: Any) -> Any:
    """None for missing values (None, NaN, pandas NA), else `value`."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


class Book:
    """A workbook being built in memory; `close()` returns its bytes.

    With ``large=True`` (for books of `LARGE_BOOK_ROWS` rows or more) xlsxwriter's
    constant-memory mode writes each finished row to a temporary file; the cells are then
    inline strings rather than a shared-string table (the same content, other bytes).
    """

    def __init__(
        self, created: datetime, max_rows: int = EXCEL_MAX_DATA_ROWS, *, large: bool = False
    ) -> None:
        self._buffer = io.BytesIO()
        self.workbook = xlsxwriter.Workbook(
            self._buffer,
            {
                # A large book streams each row to a temporary file as it is written
                # (cells as inline strings) instead of holding every cell in memory.
                "in_memory": not large,
                "constant_memory": large,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        self.workbook.set_properties({"created": created, "author": "matcher"})
        self.max_rows = max(1, max_rows)
        self.notes: list[str] = []
        self.header = self.workbook.add_format(
            {
                "bold": True,
                "bg_color": "#DDEBF7",
                "border": 1,
                "text_wrap": True,
                "valign": "vcenter",
            }
        )
        self.text = self.workbook.add_format({"num_format": "@"})
        self.sheet_names: list[str] = []

    def table(
        self, name: str, columns: Sequence[Column], rows: Sequence[Mapping[str, Any]]
    ) -> list[str]:
        """Write `rows` under `columns` to sheet `name` (split when too long); sheet names."""
        chunks = [rows[i : i + self.max_rows] for i in range(0, len(rows), self.max_rows)] or [[]]
        names = [
            name if k == 0 else f"{name[: SHEET_NAME_MAX - 4]}({k + 1})" for k in range(len(chunks))
        ]
        for sheet_name, chunk in zip(names, chunks, strict=True):
            self._sheet(sheet_name, columns, chunk)
        if len(chunks) > 1:
            self.notes.append(
                f"“{name}”共{len(rows)}行，超过单个工作表的行数上限（{self.max_rows}行），"
                f"已依次分在工作表：{'、'.join(names)}。"
            )
        return names

    def _sheet(
        self, name: str, columns: Sequence[Column], rows: Sequence[Mapping[str, Any]]
    ) -> None:
        sheet = self.workbook.add_worksheet(name)
        self.sheet_names.append(name)
        widths = [display_width(c.header) for c in columns]
        for col, column in enumerate(columns):
            sheet.write_string(0, col, column.header, self.header)
        # The private writers are what `write_string`/`write_number` call after parsing
        # A1-style arguments, which integer row/column indices never need.
        write_string, write_number = sheet._write_string, sheet._write_number
        plan = [
            (col, column.get, self.text if column.kind == "id" else None, column.kind != "id")
            for col, column in enumerate(columns)
        ]
        for r, row in enumerate(rows, start=1):
            for col, get, fmt, numeric in plan:
                value = get(row)
                if type(value) is str:  # the common case: text, never missing
                    text = value
                    write_string(r, col, text, fmt)
                else:
                    value = clean(value)
                    if value is None:
                        continue
                    if isinstance(value, bool):
                        value = "是" if value else "否"
                    if numeric and isinstance(value, numbers.Real):
                        write_number(r, col, float(value) if not isinstance(value, int) else value)
                        text = f"{value:,}"
                    else:
                        text = str(value)
                        write_string(r, col, text, fmt)
                # A column's width only grows while under MAX_WIDTH - 2, and a text is at
                # most 2 columns per character wide: skip what cannot widen it.
                width = widths[col]
                if width < MAX_WIDTH - 2 and 2 * len(text) > width:
                    widths[col] = max(width, display_width(text))
        last = max(len(rows), 1)
        for col, column in enumerate(columns):
            width = min(max(widths[col] + 2, MIN_WIDTH), MAX_WIDTH)
            sheet.set_column(col, col, width, self.text if column.kind == "id" else None)
            if column.kind == "yesno":
                sheet.data_validation(
                    1,
                    col,
                    last,
                    col,
                    {
                        "validate": "list",
                        "source": YES_NO,
                        "error_title": "请选择",
                        "error_message": "请从下拉列表中选择“是”或“否”。",
                    },
                )
        sheet.freeze_panes(1, 0)
        sheet.set_landscape()  # printing: A4 landscape, one page wide, header on every page
        sheet.set_paper(9)
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(0)
        sheet.autofilter(0, 0, len(rows), max(len(columns) - 1, 0))

    def note_sheet(self, name: str, lines: Sequence[str]) -> None:
        """Add a one-column sheet with `lines` (and any split notes) under a header."""
        rows = [{"说明": line} for line in [*lines, *self.notes]]
        self._sheet(name, [Column("说明", lambda r: r["说明"])], rows)

    def close(self) -> bytes:
        """Finish the workbook and return its bytes."""
        self.workbook.close()
        return self._buffer.getvalue()
