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
from typing import Any, overload

import numpy as np

from matcher.ingest.limits import check_csv, check_workbook
from matcher.ingest.problems import TableError
from matcher.model import Issue, Severity

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
#: Line boundaries of `str.splitlines` other than \n and \r (not line ends in a CSV).
_OTHER_SEPARATORS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
Merge = tuple[tuple[int, int], tuple[int, int]]
#: Control characters no cell keeps (tab, line feed and carriage return stay): they are
#: removed when a sheet is read, and the cells where they were are on `Sheet.cleaned`.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Sheet:
    """One sheet: its name, its rows of cell values (row i = Excel row i+1), merged ranges.

    `columns` is set for a CSV read column by column (`read_csv_columns`): column j's
    cells of every row, the same values `rows` gives row by row. `cleaned` holds the
    (row, column) indexes of the cells whose control characters were removed.
    """

    name: str
    rows: Sequence[Sequence[object]]
    merged: list[Merge] = field(default_factory=list)
    columns: Sequence[np.ndarray] | None = None
    cleaned: tuple[tuple[int, int], ...] = ()
    #: With `columns`: column j as a code per row and the distinct cells (code i's cell).
    coded: list[tuple[np.ndarray, np.ndarray]] | None = None


class CodedColumns(Sequence[np.ndarray]):
    """Column j's cell of every row, built from its codes and distinct cells when read.

    Only the columns a reader asks for as cells are built (the column reader reads the
    codes): no object array of every cell of every column is held.
    """

    def __init__(self, coded: list[tuple[np.ndarray, np.ndarray]]) -> None:
        self.coded = coded

    def __len__(self) -> int:
        return len(self.coded)

    @overload
    def __getitem__(self, index: int) -> np.ndarray: ...

    @overload
    def __getitem__(self, index: slice) -> list[np.ndarray]: ...

    def __getitem__(self, index: int | slice) -> np.ndarray | list[np.ndarray]:
        if isinstance(index, slice):
            return [self[j] for j in range(*index.indices(len(self)))]
        codes, texts = self.coded[index]
        return texts[codes]


class ColumnRows(Sequence[list[str]]):
    """The rows of a CSV read column by column: row i is built when it is read.

    A blank line is ``[]`` (as `csv.reader` gives it); every other line has one cell
    per column.
    """

    def __init__(self, coded: list[tuple[np.ndarray, np.ndarray]], blank: np.ndarray) -> None:
        self.coded = coded
        self.columns = CodedColumns(coded)
        self.blank = blank

    def __len__(self) -> int:
        return len(self.blank)

    @overload
    def __getitem__(self, index: int) -> list[str]: ...

    @overload
    def __getitem__(self, index: slice) -> list[list[str]]: ...

    def __getitem__(self, index: int | slice) -> list[str] | list[list[str]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if self.blank[index]:
            return []
        return [texts[codes[index]] for codes, texts in self.coded]


def read_sheets(path: Path) -> list[Sheet]:
    """Read every sheet of `path` (a CSV file is one sheet named after the file).

    Raises `TableError` with a Chinese message when the file cannot be read.
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        check_csv(path)  # before the whole file is read into memory
        columns = read_csv_columns(path)
        if columns is not None:
            return [Sheet(path.stem, columns, columns=columns.columns, coded=columns.coded)]
        rows, controls = _csv_rows(path)
        return [Sheet(path.stem, rows, cleaned=remove_controls(rows) if controls else ())]
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path)
    raise TableError(f"不支持的文件类型“{path.suffix}”，请另存为 .xlsx 或 .csv")


def read_csv_rows(path: Path) -> list[list[str]]:
    """Read a CSV file as rows of strings (UTF-8 with or without BOM, else GB18030)."""
    return _csv_rows(path)[0]


def _csv_rows(path: Path) -> tuple[list[list[str]], bool]:
    """`read_csv_rows`, and whether the text holds a `CONTROL` character (one search)."""
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
    if text.count("\x00") * 100 > len(text):  # UTF-16 or binary, not a few stray NULs
        raise TableError(f"文件 {path.name} 不是文本格式的 CSV，请另存为 UTF-8 编码的 CSV")
    controls = CONTROL.search(text) is not None
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
    reader = csv.reader(lines)
    try:
        return [[share(cell, cell) for cell in row] for row in reader], controls
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise TableError(
                f"文件 {path.name} 第{reader.line_num}行附近有超过{csv.field_size_limit():,}个字符"
                "的单元格（多为引号不配对），请检查该处的引号后重新保存"
            ) from exc
        raise TableError(f"文件 {path.name} 不是有效的 CSV：{exc}") from exc


def remove_controls(rows: Sequence[list[Any]]) -> tuple[tuple[int, int], ...]:
    """Remove `CONTROL` characters from the text cells of `rows` in place; their places.

    A NUL or other control character would reach placements.csv, which no reader takes
    back; a cell keeps its other characters.
    """
    cleaned: list[tuple[int, int]] = []
    search = CONTROL.search
    for r, row in enumerate(rows):
        if not any(type(v) is str and search(v) for v in row):
            continue
        for c, value in enumerate(row):
            if type(value) is str and search(value):
                row[c] = CONTROL.sub("", value)
                cleaned.append((r, c))
    return tuple(cleaned)


def control_issues(file: str, sheet: Sheet, header: int | None = None) -> list[Issue]:
    """A CONTROL_CHARACTERS_REMOVED warning for each cleaned cell of `sheet`.

    The column is named by the header row (0-based index `header`) where there is one.
    """
    out = []
    for r, c in sheet.cleaned:
        named = None
        if header is not None and header < len(sheet.rows) and c < len(sheet.rows[header]):
            named = " ".join(str(sheet.rows[header][c] or "").split()) or None
        out.append(
            Issue(
                file=file,
                row=r + 1,
                column=named or f"第{c + 1}列",
                code="CONTROL_CHARACTERS_REMOVED",
                severity=Severity.WARNING,
                message="该单元格含有不可见的控制字符（如NUL），已删除；请核对该单元格的内容",
            )
        )
    return out


#: Smallest file read column by column (below it the row reader is as fast).
COLUMN_READ_BYTES = 1 << 20


def read_csv_columns(path: Path, minimum: int | None = None) -> ColumnRows | None:
    """Read a plain CSV file column by column (pyarrow's CSV reader), or None.

    Plain: UTF-8 (with or without BOM), at least `minimum` bytes (default
    `COLUMN_READ_BYTES`), no quote character, no
    carriage return nor other line separator, and every non-empty line with the same
    number of cells (at least 2). In such a file every line is its cells split at the
    commas, which is what `csv.reader` gives, so the cells are exactly `read_csv_rows`'
    (equal cells of a column share one string). Any other file gives None: the caller
    reads it row by row.
    """
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if minimum is None:
        minimum = COLUMN_READ_BYTES
    if len(data) < minimum or b'"' in data or b"\r" in data or b"\x00" in data:
        return None
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == 10)
    if _controls(data, raw, len(ends)) or _line_separators(data, raw):
        return None  # (an invalid UTF-8 text fails in the parser below: None too)
    if len(ends) == 0 or ends[-1] != len(raw) - 1:
        ends = np.append(ends, len(raw))
    starts = np.concatenate(([0], ends[:-1] + 1))
    del raw
    blank = (ends - starts) == 0
    if data.startswith(b"\xef\xbb\xbf"):
        blank[0] = ends[0] == 3
    longest = int((ends - starts).max())
    if longest > csv.field_size_limit():
        return None  # a cell may pass the row reader's field limit: it decides
    # The other lines' cells are counted by the parser: a line of another width fails it.
    width = data.count(b",", 0, int(ends[0])) + 1
    if width < 2 or blank[0]:
        return None
    import pyarrow as pa  # only a large plain CSV needs it
    from pyarrow import csv as arrow_csv

    names = [str(j) for j in range(width)]
    # Every line its cells as text: no quotes, no nulls, blank lines left out. The blocks
    # are parsed on Arrow's threads; the cells come out the same as on one thread (the
    # dictionaries are unified in the file's order below).
    try:
        table = arrow_csv.read_csv(
            pa.py_buffer(data),
            read_options=arrow_csv.ReadOptions(
                column_names=names, use_threads=True, block_size=max(1 << 22, 2 * longest + 16)
            ),
            parse_options=arrow_csv.ParseOptions(quote_char=False, ignore_empty_lines=True),
            convert_options=arrow_csv.ConvertOptions(  # each column's distinct cells once
                column_types=dict.fromkeys(names, pa.dictionary(pa.int32(), pa.string())),
                strings_can_be_null=False,
            ),
        )  # the reader drops a leading BOM itself; an invalid UTF-8 text raises
    except (pa.ArrowException, ValueError):
        return None
    del data
    filled = np.flatnonzero(~blank)
    if table.num_rows != len(filled):
        return None
    coded = []
    for j in range(width):
        # one dictionary over the parser's blocks, its cells in order of first appearance
        encoded = table.column(j).unify_dictionaries().combine_chunks()
        texts = encoded.dictionary.to_numpy(zero_copy_only=False)  # str objects
        codes = encoded.indices.to_numpy()
        if len(filled) < len(blank):  # a blank line reads as a line of empty cells
            empty = np.flatnonzero(texts == "")
            if not len(empty):
                texts = np.append(texts, np.array([""], dtype=object))
            full = np.full(len(blank), empty[0] if len(empty) else len(texts) - 1, codes.dtype)
            full[filled] = codes
            codes = full
        codes = codes.astype(np.min_scalar_type(max(len(texts) - 1, 0)))
        coded.append((codes, texts))
    del table, encoded
    pa.default_memory_pool().release_unused()  # the parsed text is all copied out
    return ColumnRows(coded, blank)


def _controls(data: bytes, raw: np.ndarray, newlines: int) -> bool:
    """Whether UTF-8 `data` (its bytes `raw`, `newlines` of them LF) holds a `CONTROL`.

    Tab, LF and CR are none; the one-byte line separators of `_OTHER_SEPARATORS` and
    U+0085 are. A byte search first: most files hold no byte below 32 but LF, no DEL and
    no C2 lead byte (U+0080…U+00BF).
    """
    if b"\x7f" in data:
        return True
    if np.count_nonzero(raw < 32) != newlines:  # a tab, CR or control: which one
        low = raw[raw < 32]
        if np.any((low != 9) & (low != 10) & (low != 13)):
            return True
    if b"\xc2" not in data:
        return False
    at = np.flatnonzero(raw[:-1] == 0xC2)  # U+0080…U+009F are C2 80…C2 9F
    return bool(len(at)) and bool(np.any(raw[at + 1] < 0xA0))


def _line_separators(data: bytes, raw: np.ndarray) -> bool:
    """Whether UTF-8 `data` holds U+2028 or U+2029 (E2 80 A8/A9), line separators.

    The other separators of `_OTHER_SEPARATORS` are `CONTROL` characters (`_controls`).
    """
    if b"\xe2" not in data:
        return False
    at = np.flatnonzero(raw[:-2] == 0xE2)
    return bool(len(at)) and bool(
        np.any((raw[at + 1] == 0x80) & ((raw[at + 2] == 0xA8) | (raw[at + 2] == 0xA9)))
    )


def _read_excel(path: Path) -> list[Sheet]:
    from python_calamine import CalamineWorkbook

    check_workbook(path)  # before calamine allocates a sheet's whole rectangle
    try:
        book = CalamineWorkbook.from_path(str(path))
        sheets = []
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False)
            merged = list(getattr(sheet, "merged_cell_ranges", None) or [])
            sheets.append(Sheet(name, rows, merged, cleaned=remove_controls(rows)))
    except Exception as exc:  # calamine raises several types for corrupt files
        raise TableError(
            f"无法读取文件 {path.name}（文件已损坏、已加密或不是Excel文件），"
            "请用Excel打开后另存为 .xlsx 再提交"
        ) from exc
    return sheets
