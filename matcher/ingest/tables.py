"""Reading a file into sheets of cell values, keeping the row numbers Excel shows.

.xlsx/.xlsm/.xls/.ods go through python-calamine (numbers come back as float, date cells
as `date`/`datetime`); .csv is read as UTF-8 (with or without BOM), else GB18030, every cell
a string. Row ``i`` of `Sheet.rows` is Excel row ``i + 1`` (for CSV: line ``i + 1``, the
header being line 1).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
#: Line boundaries of `str.splitlines` other than \n and \r (not line ends in a CSV).
_OTHER_SEPARATORS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
Merge = tuple[tuple[int, int], tuple[int, int]]


class TableError(Exception):
    """A file that cannot be read as a table (missing, corrupt, unknown format)."""


@dataclass(frozen=True)
class Sheet:
    """One sheet: its name, its rows of cell values (row i = Excel row i+1), merged ranges."""

    name: str
    rows: Sequence[Sequence[object]]
    merged: list[Merge] = field(default_factory=list)


def read_sheets(path: Path) -> list[Sheet]:
    """Read every sheet of `path` (a CSV file is one sheet named after the file).

    Raises `TableError` with a Chinese message when the file cannot be read.
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return [Sheet(path.stem, read_csv_rows(path))]
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path)
    raise TableError(f"不支持的文件类型“{path.suffix}”，请另存为 .xlsx 或 .csv")


def read_csv_rows(path: Path) -> list[list[str]]:
    """Read a CSV file as rows of strings (UTF-8 with or without BOM, else GB18030)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TableError(f"无法读取文件 {path.name}：{exc.strerror or exc}") from exc
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes almost anything
        raise TableError(f"文件 {path.name} 的编码无法识别，请另存为 UTF-8 编码的 CSV")
    del data
    if "\x00" in text:
        raise TableError(f"文件 {path.name} 不是文本格式的 CSV，请另存为 UTF-8 编码的 CSV")
    # `str.splitlines` splits where a newline="" text stream does (\n, \r\n, \r) unless the
    # text holds one of the other separators it knows; it avoids the stream's copy of the
    # whole text. Equal cells (regions, yes/no, hosts, titles…) share one string: a large
    # round holds far less while its rows are read.
    if _OTHER_SEPARATORS.search(text):
        lines: Iterable[str] = io.StringIO(text, newline="")
    else:
        lines = text.splitlines(keepends=True)
    del text
    seen: dict[str, str] = {}
    share = seen.setdefault
    try:
        return [[share(cell, cell) for cell in row] for row in csv.reader(lines)]
    except csv.Error as exc:
        raise TableError(f"文件 {path.name} 不是有效的 CSV：{exc}") from exc


def _read_excel(path: Path) -> list[Sheet]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        sheets = []
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False)
            merged = list(getattr(sheet, "merged_cell_ranges", None) or [])
            sheets.append(Sheet(name, rows, merged))
    except Exception as exc:  # calamine raises several types for corrupt files
        raise TableError(
            f"无法读取文件 {path.name}（文件已损坏、已加密或不是Excel文件），"
            "请用Excel打开后另存为 .xlsx 再提交"
        ) from exc
    return sheets
