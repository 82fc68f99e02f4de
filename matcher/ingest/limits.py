"""Size limits of a workbook, checked before any reader gets it (`check_workbook`).

A native reader allocates a sheet's whole rectangle, from A1 to its last cell, before it
reads a value: one stray cell far from A1 can ask for more memory than the machine has
and abort the process, and a small workbook may inflate to far more XML than it holds
(bench/README.md has the figures). So an .xlsx (.xlsm) is checked first, cheaply and in
constant memory:

1. the zip directory: the declared inflated size of each part, of all parts, and the
   ratio of inflated to compressed size;
2. every part is inflated in chunks, counting what it really holds (a directory may lie),
   and stopped at the first limit passed;
3. each worksheet's XML is scanned while it streams by: its declared ``<dimension>``, the
   reference of every cell and row (a cell or row without one is placed as the readers
   place it: after the one before), so the real last row and column are known.

An .xls is measured by xlrd (`_check_xls`); a CSV file is read whole, so only its size is
limited (`check_csv`). A file past a
limit raises `TableError` with the code FILE_TOO_LARGE, naming the sheet, the
limit and how to fix it; a zip that cannot be read raises it with FILE_UNREADABLE.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import defusedxml.ElementTree as SafeTree

from matcher.ingest.problems import TableError

MIB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """The limits of a workbook (defaults: Excel's own grid, a bounded reader memory)."""

    #: Excel's grid: 1,048,576 rows × 16,384 columns (XFD).
    max_rows: int = 1_048_576
    max_columns: int = 16_384
    #: Cells from A1 to a sheet's last row and column (the readers allocate them all).
    max_cells: int = 10_000_000
    #: Inflated bytes of one part, and of all parts together.
    max_part_bytes: int = 512 * MIB
    max_total_bytes: int = 1024 * MIB
    #: Inflated ÷ compressed size of a part larger than `ratio_from_bytes`.
    max_ratio: int = 200
    ratio_from_bytes: int = 16 * MIB
    #: Bytes of a CSV file (read whole; a million applicants' file stays well below it).
    max_csv_bytes: int = 1024 * MIB


LIMITS = Limits()
_CHUNK = MIB
_MAX_TAG = 4 * MIB
_NS = rb"(?:[A-Za-z_][\w.-]*:)?"
_CELL_TAG = re.compile(rb"<" + _NS + rb"c[\s/>]")
_CELL_REF = re.compile(
    rb"<" + _NS + rb"c\s[^>]*?\br\s*=\s*[\"']\$?([A-Za-z]{1,4})\$?(\d{1,10})[\"']"
)
_ROW_TAG = re.compile(rb"<" + _NS + rb"row[\s/>]")
_ROW_REF = re.compile(rb"<" + _NS + rb"row\s[^>]*?\br\s*=\s*[\"'](\d{1,10})[\"']")
_DIMENSION = re.compile(rb"<" + _NS + rb"dimension\s[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")
#: Row starts, row ends and cell starts, in order (for a sheet with cells without `r`).
_SEQUENCE = re.compile(rb"<(/?)" + _NS + rb"(row|c)(?=[\s/>])([^>]*)>")
_R_ATTR = re.compile(rb"\br\s*=\s*[\"']\$?([A-Za-z]*)\$?(\d+)[\"']")
_A1 = re.compile(r"\$?([A-Za-z]{1,4})\$?(\d{1,10})")


def column_number(letters: str) -> int:
    """The 1-based column of ``A``…``XFD`` (``AA`` → 27)."""
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


def column_letters(number: int) -> str:
    """The letters of 1-based column `number` (27 → ``AA``)."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def check_csv(path: Path, limits: Limits = LIMITS) -> None:
    """Raise `TableError` (FILE_TOO_LARGE) for a CSV file larger than `max_csv_bytes`."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise TableError(f"无法读取文件 {path.name}：{exc.strerror or exc}") from exc
    if size > limits.max_csv_bytes:
        raise _too_large(
            path,
            f"文件大小 {size // MIB} MB，超过 {limits.max_csv_bytes // MIB} MB 的上限",
            "请按盟市或培养方式拆分为几个文件后再提交",
        )


def check_workbook(path: Path, limits: Limits = LIMITS) -> None:
    """Raise `TableError` (FILE_TOO_LARGE) when an .xlsx/.xlsm/.xls workbook passes a limit.

    An .xls (at most 65,536 × 256 cells by its format, yet calamine allocates them all for
    one far cell) is measured by xlrd, which keeps only the cells there are.
    """
    suffix = path.suffix.lower()
    if suffix == ".xls":
        _check_xls(path, limits)
        return
    if suffix not in (".xlsx", ".xlsm"):
        return
    try:
        with zipfile.ZipFile(path) as book:
            _check_directory(path, book, limits)
            names = _sheet_names(book)
            total = 0
            for info in book.infolist():
                if info.is_dir():
                    continue
                part = info.filename
                sheet = part.startswith("xl/worksheets/") and part.endswith(".xml")
                total += _check_part(path, book, info, limits, total, names if sheet else None)
    except TableError:
        raise
    except (NotImplementedError, RuntimeError) as exc:  # an unknown compression, a password
        raise TableError(
            f"无法读取文件 {path.name}（压缩方式不受支持或已加密），"
            "请用Excel打开后另存为 .xlsx 再提交",
            code="FILE_UNREADABLE",
        ) from exc
    except Exception as exc:  # a corrupt zip raises zlib.error, struct.error, BadZipFile…
        raise TableError(
            f"无法读取文件 {path.name}（文件已损坏、已加密或不是Excel文件），"
            "请用Excel打开后另存为 .xlsx 再提交",
            code="FILE_UNREADABLE",
        ) from exc


def _check_xls(path: Path, limits: Limits) -> None:
    """The rectangle of each sheet of an .xls, from its cells (xlrd, ragged rows).

    A file xlrd cannot read is left to calamine, which reads some that xlrd refuses (its
    sheets cannot pass 65,536 × 256 cells, so the worst is bounded).
    """
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), on_demand=True, ragged_rows=True)
    except Exception:  # corrupt, encrypted or not BIFF: calamine decides
        return
    try:
        for index in range(book.nsheets):
            try:
                sheet = book.sheet_by_index(index)
            except Exception:
                continue
            scan = _SheetScan(path, sheet.name, limits)
            scan.max_row, scan.max_col = sheet.nrows, sheet.ncols
            book.unload_sheet(index)
            scan.finish()
    finally:
        book.release_resources()


def _sheet_names(book: zipfile.ZipFile) -> dict[str, str]:
    """Part name → sheet name as Excel shows it (empty where the workbook cannot tell)."""
    try:
        with book.open("xl/workbook.xml") as stream:
            workbook = SafeTree.fromstring(stream.read(_MAX_TAG))
        with book.open("xl/_rels/workbook.xml.rels") as stream:
            rels = SafeTree.fromstring(stream.read(_MAX_TAG))
    except Exception:  # no such part, a corrupt one; defusedxml refuses entities and DTDs
        return {}
    targets = {}
    for rel in rels:
        target = rel.get("Target") or ""
        target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        targets[rel.get("Id")] = target
    names = {}
    for element in workbook.iter():
        if element.tag.rsplit("}", 1)[-1] == "sheet":
            rid = next((v for k, v in element.attrib.items() if k.endswith("}id")), None)
            if rid in targets and element.get("name"):
                names[targets[rid]] = str(element.get("name"))
    return names


def _too_large(path: Path, what: str, fix: str) -> TableError:
    return TableError(f"文件 {path.name} 超出读取限制：{what}；{fix}", code="FILE_TOO_LARGE")


_RESAVE = "请删除多余的行列和单元格后重新保存，或另存为 CSV 再提交"


def _check_directory(path: Path, book: zipfile.ZipFile, limits: Limits) -> None:
    """Declared sizes of the zip directory: per part, in total, and the ratio."""
    declared = 0
    for info in book.infolist():
        declared += info.file_size
        if info.file_size > limits.max_part_bytes:
            raise _too_large(
                path,
                f"其中的 {info.filename} 解压后为 {info.file_size // MIB} MB，"
                f"超过单个部件 {limits.max_part_bytes // MIB} MB 的上限",
                _RESAVE,
            )
        if info.file_size > limits.ratio_from_bytes and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise _too_large(
                path,
                f"其中的 {info.filename} 压缩比超过 {limits.max_ratio} 倍（疑似压缩炸弹）",
                "请用Excel打开后另存为 .xlsx 再提交",
            )
    if declared > limits.max_total_bytes:
        raise _too_large(
            path,
            f"解压后共 {declared // MIB} MB，超过 {limits.max_total_bytes // MIB} MB 的上限",
            _RESAVE,
        )


def _check_part(
    path: Path,
    book: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    limits: Limits,
    before: int,
    names: dict[str, str] | None,
) -> int:
    """Inflate one part in chunks (stopping at a limit); scan a worksheet. Its real size."""
    scan = None
    if names is not None:
        scan = _SheetScan(path, names.get(info.filename, info.filename.rsplit("/", 1)[-1]), limits)
    size = 0
    carry: list[bytes] = []  # an unfinished tag (and the text before the next one)
    held = 0
    with book.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > limits.max_part_bytes or before + size > limits.max_total_bytes:
                raise _too_large(
                    path,
                    f"其中的 {info.filename} 解压后超过 "
                    f"{min(limits.max_part_bytes, limits.max_total_bytes - before) // MIB} MB",
                    _RESAVE,
                )
            if scan is None:
                continue
            cut = chunk.rfind(b"<")
            if cut < 0:
                carry.append(chunk)
                held += len(chunk)
                if held > _MAX_TAG:  # Excel's cells hold 32,767 characters at most
                    raise _too_large(
                        path, f"工作表“{scan.sheet}”中有超过 {_MAX_TAG // MIB} MB 的单元格", _RESAVE
                    )
                continue
            scan.feed(b"".join((*carry, chunk[:cut])))
            carry, held = [chunk[cut:]], len(chunk) - cut
        if scan is not None:
            scan.feed(b"".join(carry))
            scan.finish()
    if size > limits.ratio_from_bytes and size > limits.max_ratio * max(info.compress_size, 1):
        raise _too_large(
            path,
            f"其中的 {info.filename} 压缩比超过 {limits.max_ratio} 倍（疑似压缩炸弹）",
            "请用Excel打开后另存为 .xlsx 再提交",
        )
    return size


class _SheetScan:
    """The last row and column of one worksheet's cells, fed its XML in whole tags."""

    def __init__(self, path: Path, sheet: str, limits: Limits) -> None:
        self.path = path
        self.sheet = sheet
        self.limits = limits
        self.max_row = 0
        self.max_col = 0
        self.row = 0  # the current row (for cells and rows without a reference)
        self.col = 0
        self.dimension_seen = False

    def feed(self, text: bytes) -> None:
        """Scan a run of whole tags."""
        if not self.dimension_seen and (found := _DIMENSION.search(text)):
            self.dimension_seen = True
            self._dimension(found.group(1).decode("ascii", "replace"))
        cells = len(_CELL_TAG.findall(text))
        rows = len(_ROW_TAG.findall(text))
        refs = _CELL_REF.findall(text)
        row_refs = _ROW_REF.findall(text)
        if len(refs) == cells and len(row_refs) == rows:
            # Every cell and row has its reference: the largest ones are the last cell.
            if refs:
                letters = {c.upper() for c, _ in refs}
                widest = max(letters, key=lambda c: (len(c), c))
                self.max_col = max(self.max_col, column_number(widest.decode()))
                self.max_row = max(self.max_row, max(int(r) for r in {r for _, r in refs}))
                self.row = int(refs[-1][1])
                self.col = column_number(refs[-1][0].decode())
            if row_refs:
                self.row = max(self.row, int(row_refs[-1]))
        else:
            self._sequence(text)
        self._check()

    def _sequence(self, text: bytes) -> None:
        """Place rows and cells one by one, as the readers do (no reference: after the last)."""
        for match in _SEQUENCE.finditer(text):
            closing, tag, attrs = match.groups()
            if closing:
                continue
            ref = _R_ATTR.search(attrs)
            if ref and (len(ref.group(1)) > 3 or len(ref.group(2)) > 10):
                self.max_row = self.limits.max_rows + 1  # past the grid: refused below
                return
            if tag == b"row":
                self.row = int(ref.group(2)) if ref and not ref.group(1) else self.row + 1
                self.col = 0
                continue
            if ref and ref.group(1):
                self.col = column_number(ref.group(1).decode())
                self.row = int(ref.group(2))
            else:
                self.col += 1
            self.max_row = max(self.max_row, self.row)
            self.max_col = max(self.max_col, self.col)

    def finish(self) -> None:
        """Final check (after the last chunk)."""
        self._check()

    def _dimension(self, ref: str) -> None:
        """A declared dimension past Excel's grid is no Excel sheet."""
        for found in _A1.finditer(ref):
            col, row = column_number(found.group(1)), int(found.group(2))
            if row > self.limits.max_rows or col > self.limits.max_columns:
                raise _too_large(
                    self.path,
                    f"工作表“{self.sheet}”声明的区域 {ref[:40]} 超出Excel的"
                    f"{self.limits.max_rows}行×{self.limits.max_columns}列",
                    "请用Excel打开后另存为 .xlsx 再提交",
                )

    def _check(self) -> None:
        limits = self.limits
        where = f"{column_letters(min(self.max_col, 10**6))}{self.max_row}"
        if self.max_row > limits.max_rows or self.max_col > limits.max_columns:
            past = (
                f"第{self.max_row}行" if self.max_row > limits.max_rows else f"第{self.max_col}列"
            )
            raise _too_large(
                self.path,
                f"工作表“{self.sheet}”有单元格位于{past}，超出Excel的"
                f"{limits.max_rows}行×{limits.max_columns}列",
                "请用Excel打开后另存为 .xlsx 再提交",
            )
        if self.max_row * self.max_col > limits.max_cells:
            raise _too_large(
                self.path,
                f"工作表“{self.sheet}”的最后一个单元格在 {where}，从A1到该处共"
                f"{self.max_row * self.max_col:,}个单元格，超过{limits.max_cells:,}个的上限"
                "（多为表格远处的零星内容或格式）",
                "请在Excel中按 Ctrl+End 找到该单元格，删除数据区域以外的行和列后重新保存"
                "，或另存为 CSV 再提交",
            )
