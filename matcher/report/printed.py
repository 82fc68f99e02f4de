"""Printable sheets: a table laid out as the notice prints it, ready to stamp.

`PrintBook` is a small xlsxwriter workbook (public API only) whose sheets each carry a
title row merged across the columns, a line such as ``填表单位：…（盖章）  填表时间：…``,
the header row, the rows with borders and wrapped text, and footer lines (``备注：…``).
Page setup: A4 landscape, fit to the page width (as many pages down as needed), the header
row repeated on every page, centred, with ``第 N 页 共 M 页`` at the foot. Text cells are
written as strings, so nothing is ever evaluated as a formula. The bytes depend only on
the content and the creation date given.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from matcher.report.naming import display_width, safe_sheet_name

A4 = 9
FONT = "宋体"
LINE_HEIGHT = 13.5


@dataclass(frozen=True)
class PrintColumn:
    """A column of a printed table: its header, the row key it shows, its width (chars)."""

    header: str
    key: str
    width: float = 10
    number: bool = False
    centre: bool = False


def _height(values: Sequence[Any], columns: Sequence[PrintColumn]) -> float:
    """A row's height in points: enough lines for its longest wrapped cell.

    Viewers do not grow a row to its wrapped text when opening a file (LibreOffice prints
    such rows one line high), so the height is set from the text's display width.
    """
    lines = 1
    for value, column in zip(values, columns, strict=True):
        if value is None or value == "":
            continue
        per_line = max(int(column.width) - 1, 2)
        lines = max(lines, -(-display_width(value) // per_line))
    return LINE_HEIGHT * lines + 2


class PrintBook:
    """A workbook of printable sheets (see the module docstring)."""

    def __init__(self, created: datetime) -> None:
        self._buffer = io.BytesIO()
        self.workbook = xlsxwriter.Workbook(
            self._buffer, {"in_memory": True, "strings_to_formulas": False}
        )
        self.workbook.set_properties({"created": created, "author": "matcher"})
        self._taken: set[str] = set()
        add = self.workbook.add_format
        base = {"font_name": FONT, "font_size": 10, "valign": "vcenter"}
        self.title = add({**base, "bold": True, "font_size": 16, "align": "center"})
        self.line = add({**base, "font_size": 11})
        self.head = add({**base, "bold": True, "border": 1, "align": "center", "text_wrap": True})
        self.cell = add({**base, "border": 1, "text_wrap": True})
        self.centred = add({**base, "border": 1, "text_wrap": True, "align": "center"})
        self.number = add({**base, "border": 1, "align": "right", "num_format": "#,##0"})
        self.total = add({**base, "border": 1, "bold": True, "num_format": "#,##0"})
        self.foot = add({**base, "text_wrap": True})

    def sheet(
        self,
        name: str,
        title: str,
        line: str,
        columns: Sequence[PrintColumn],
        rows: Sequence[Mapping[str, Any]],
        footer: Sequence[str] = (),
        total: Mapping[str, Any] | None = None,
    ) -> Worksheet:
        """Add a printable sheet; `total` (optional) is a last bold row of sums."""
        sheet = self.workbook.add_worksheet(safe_sheet_name(name, self._taken))
        last = len(columns) - 1
        sheet.merge_range(0, 0, 0, last, title, self.title)
        sheet.set_row(0, 30)
        if last > 0:
            sheet.merge_range(1, 0, 1, last, line, self.line)
        else:
            sheet.write_string(1, 0, line, self.line)
        sheet.set_row(1, 22)
        head = 2
        for c, column in enumerate(columns):
            sheet.write_string(head, c, column.header, self.head)
            sheet.set_column(c, c, column.width)
        sheet.set_row(head, _height([c.header for c in columns], columns))
        for r, row in enumerate(rows, start=head + 1):
            values = [row.get(column.key) for column in columns]
            for c, column in enumerate(columns):
                self._write(sheet, r, c, values[c], column, self.number)
            sheet.set_row(r, _height(values, columns))
        end = head + len(rows)
        if total is not None:
            end += 1
            for c, column in enumerate(columns):
                self._write(sheet, end, c, total.get(column.key), column, self.total)
        for offset, text in enumerate(footer, start=1):
            at = end + offset
            if last > 0:
                sheet.merge_range(at, 0, at, last, text, self.foot)
            else:
                sheet.write_string(at, 0, text, self.foot)
            sheet.set_row(at, 15 * max(1, len(text) // 120 + 1))
        sheet.set_landscape()
        sheet.set_paper(A4)
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(head)
        sheet.center_horizontally()
        sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        sheet.set_footer("&C第 &P 页 共 &N 页")
        sheet.print_area(0, 0, max(end + len(footer), head), last)
        return sheet

    def _write(
        self, sheet: Worksheet, r: int, c: int, value: Any, column: PrintColumn, style: Any
    ) -> None:
        text = self.centred if column.centre else self.cell
        if column.number and isinstance(value, int) and not isinstance(value, bool):
            sheet.write_number(r, c, value, style)
        elif value is None:
            sheet.write_blank(r, c, None, text)
        else:
            sheet.write_string(r, c, str(value), text)

    def close(self) -> bytes:
        """Finish the workbook and return its bytes."""
        self.workbook.close()
        return self._buffer.getvalue()
