"""The workbook layer over xlsxwriter's public API (`matcher.report.xlsx`)."""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.report import xlsx
from matcher.report.workbook import Records
from matcher.report.xlsx import Book, Column
from tests.report.frames import weird_frame
from tests.strategies import CI

REPORT = Path(__file__).resolve().parents[2] / "matcher" / "report"


def _column(header: str, key: str, kind: str = "text") -> Column:
    return Column(header, lambda r: r[key], kind, lambda rows, a, b: rows.column(key, a, b))


COLUMNS = [
    _column("序号", "_seq"),
    _column("文本", "text"),
    _column("身份证号", "id", "id"),
    _column("整数", "ints"),
    _column("整数2", "plain"),
    _column("大数", "big"),
    _column("边界", "edge"),
    _column("分数", "score"),
    _column("是否", "flag", "yesno"),
    _column("混合", "mixed"),
    _column("混合文本", "mixed", "id"),
    _column("空", "empty", "yesno"),
]


def _book(rows, *, large: bool, columns=COLUMNS, max_rows: int = xlsx.EXCEL_MAX_DATA_ROWS):
    book = Book(datetime(2023, 1, 1), max_rows, large=large)
    book.table("数据", columns, rows)
    book.table("小表", columns[:3], rows[:5])
    book.note_sheet("说明", ["一行说明"])
    return book.close()


@pytest.mark.parametrize("large", [False, True])
def test_columnwise_reading_gives_the_same_bytes(large, monkeypatch):
    """Rows read a block of columns at a time (`Column.many`) make the same workbook."""
    monkeypatch.setattr(xlsx, "BLOCK_ROWS", 700)  # blocks cross the sheet split
    records = Records.of(weird_frame(2_500))
    columnwise = _book(records, large=large, max_rows=1_000)
    rowwise = _book(list(records), large=large, max_rows=1_000)
    assert columnwise == rowwise
    assert columnwise == _book(records, large=large, max_rows=1_000)  # deterministic
    book = openpyxl.load_workbook(io.BytesIO(columnwise))
    assert book.sheetnames == ["数据", "数据(2)", "数据(3)", "小表", "说明"]
    assert sum(book[n].max_row - 1 for n in book.sheetnames[:3]) == 2_500


_cells = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
)


@CI
@given(st.lists(st.tuples(_cells, _cells), min_size=1, max_size=25), st.integers(1, 7))
def test_columnwise_equals_rowwise_for_any_cells(rows, block):
    """Property: whatever the cells, column-wise and row-wise reading write the same bytes."""
    frame = pd.DataFrame(
        {
            "a": pd.Series([r[0] for r in rows], dtype=object),
            "b": pd.Series([r[1] for r in rows], dtype=object),
        }
    )
    columns = [_column("甲", "a"), _column("乙", "b", "id")]
    records = Records.of(frame)
    original = xlsx.BLOCK_ROWS
    xlsx.BLOCK_ROWS = block
    try:
        for large in (False, True):
            assert _book(records, large=large, columns=columns) == _book(
                list(records), large=large, columns=columns
            )
    finally:
        xlsx.BLOCK_ROWS = original


def test_cells_keep_their_kind_and_text():
    frame = pd.DataFrame(
        {
            "t": pd.Series(["=1+1", "x" * 40_000, None, True, 12, 2.5], dtype=object),
            "id": ["150102198503010011", "0042", "", "x", "y", "z"],
        }
    )
    columns = [_column("文本", "t"), _column("身份证号", "id", "id")]
    for large in (False, True):
        sheet = openpyxl.load_workbook(
            io.BytesIO(_book(Records.of(frame), large=large, columns=columns))
        )["数据"]
        values = [sheet.cell(r, 1).value for r in range(2, 8)]
        assert values[0] == "=1+1" and sheet.cell(2, 1).data_type == "s"  # text, no formula
        assert len(values[1]) == 32_767  # Excel's limit: xlsxwriter truncates
        assert values[2:] == [None, "是", 12, 2.5]
        assert sheet.cell(2, 2).value == "150102198503010011"
        assert sheet.cell(3, 2).number_format == "@"
        assert sheet.auto_filter.ref == "A1:B7" and sheet.freeze_panes == "A2"


def test_saved_into_a_file_as_closed_to_bytes(tmp_path):
    rows = Records.of(weird_frame(1_500))
    for large in (False, True):
        path = tmp_path / f"book-{large}.xlsx"
        book = Book(datetime(2023, 1, 1), large=large)
        book.table("数据", COLUMNS, rows)
        book.table("小表", COLUMNS[:3], rows[:5])
        book.note_sheet("说明", ["一行说明"])
        with path.open("wb") as handle:
            book.save(handle)
        assert path.read_bytes() == _book(rows, large=large)


def test_a_large_book_leaves_no_temporary_file(tmp_path, monkeypatch):
    """constant_memory's files go to a private folder that is removed, even after an error."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    _book(Records.of(weird_frame(300)), large=True)
    assert list(tmp_path.iterdir()) == []

    def broken(row):
        raise RuntimeError("broken getter")

    book = Book(datetime(2023, 1, 1), large=True)
    book.table("t", [Column("a", broken)], [{"a": 1}])
    with pytest.raises(RuntimeError):
        book.close()
    assert list(tmp_path.iterdir()) == []


#: Private names of dependencies the report once reached into (issue 16).
PRIVATE = re.compile(
    r"_utf16_len|_utf16_truncate|_preserve_whitespace|_escape_\w+|\._write_string"
    r"|\._write_number|_compresslevel|compress_level|_compressor"
)
PRIVATE_IMPORT = re.compile(r"^\s*from\s+(?!matcher)[\w.]+\s+import\s+.*\b_\w+", re.MULTILINE)


def test_report_uses_public_library_names_only():
    for path in sorted(REPORT.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert not PRIVATE.search(text), (path.name, PRIVATE.search(text))
        assert not PRIVATE_IMPORT.search(text), (path.name, PRIVATE_IMPORT.search(text))


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and a != a:
        return isinstance(b, float) and b != b
    return type(a) is type(b) and a == b


def test_large_book_has_the_small_books_sheets_cells_and_widths():
    """Generated rows (large) and xlsxwriter cell by cell (small): the same workbook."""
    frame = weird_frame(1_200)
    # openpyxl reads "_xHHHH_" escapes back from shared strings only (Excel from both).
    frame["text"] = frame["text"].map(lambda t: t.replace("_x0041_", "x0041"))
    rows = Records.of(frame)
    small = openpyxl.load_workbook(io.BytesIO(_book(rows, large=False, max_rows=500)))
    large = openpyxl.load_workbook(io.BytesIO(_book(rows, large=True, max_rows=500)))
    assert small.sheetnames == large.sheetnames
    for name in small.sheetnames:
        x, y = small[name], large[name]
        assert x.dimensions == y.dimensions and x.freeze_panes == y.freeze_panes, name
        assert x.auto_filter.ref == y.auto_filter.ref, name
        assert [(str(v.sqref), v.formula1) for v in x.data_validations.dataValidation] == [
            (str(v.sqref), v.formula1) for v in y.data_validations.dataValidation
        ], name
        assert {k: d.width for k, d in x.column_dimensions.items()} == {
            k: d.width for k, d in y.column_dimensions.items()
        }, name
        for row_a, row_b in zip(x.iter_rows(), y.iter_rows(), strict=True):
            for c, d in zip(row_a, row_b, strict=True):
                assert _same(c.value, d.value), (name, c.coordinate, c.value, d.value)
                assert (c.data_type, c.number_format) == (d.data_type, d.number_format)


@pytest.mark.parametrize("large", [False, True])
@pytest.mark.parametrize(
    "hostile", ["<r><t>x</t></r>", "<r></t></r></si><si><t>x</r>", "<r></t></is></c></row></r>"]
)
def test_text_shaped_like_rich_text_markup_stays_text(hostile, large):
    """xlsxwriter would write such a text as raw markup; a hostile one broke the file."""
    frame = pd.DataFrame({"a": [hostile, "y"], "b": ["1", hostile]})
    columns = [_column("甲", "a"), _column("乙", "b", "id")]
    sheet = openpyxl.load_workbook(
        io.BytesIO(_book(Records.of(frame), large=large, columns=columns))
    )["数据"]
    assert sheet["A2"].value == hostile and sheet["B3"].value == hostile
    assert sheet["B3"].number_format == "@"


def _arrow_column(header: str, key: str, kind: str = "text") -> Column:
    return Column(
        header,
        lambda r: r[key],
        kind,
        lambda rows, a, b: rows.column(key, a, b),
        lambda rows, a, b: rows.arrow(key, a, b),
    )


#: Texts whose display width their bytes do not tell (the widest first in each column).
WIDTH_TEXTS = {
    "cjk": ["名" * 5, "ab"],
    "unassigned": ["\u0378" * 12, "a" * 20],  # 2 bytes a character, yet fullwidth: 24
    "astral": ["😀" * 7, "𠀀a"],
    "ambiguous": ["—" * 15, "名" * 7],  # 3 bytes a character, yet narrow: 15
    "mixed": ["内蒙古电力(集团)有限责任公司第38分部", "x" * 10],
    "long": ["名" * 40, "a"],
    "gaps": [None, "名名名"],
}


def _cols(book: bytes) -> str:
    xml = zipfile.ZipFile(io.BytesIO(book)).read("xl/worksheets/sheet1.xml").decode("utf-8")
    return xml[xml.index("<cols>") : xml.index("</cols>")]


def test_widths_read_as_arrow_equal_the_small_books():
    """A frame's columns read as Arrow get the widths xlsxwriter's cell by cell path gets."""
    frame = pd.DataFrame({k: pd.Series(v, dtype="str") for k, v in WIDTH_TEXTS.items()})
    frame["ints"] = pd.array([-1_234_567, 999], dtype="Int64")
    frame["id_ints"] = [-12_345, 7]
    columns = [_arrow_column("列", k) for k in WIDTH_TEXTS]
    columns += [_arrow_column("整数", "ints"), _arrow_column("号", "id_ints", "id")]
    records = Records.of(frame)
    assert all(records.arrow(k, 0, 2) is not None for k in frame.columns)
    small = _book(records, large=False, columns=columns)
    assert _cols(_book(records, large=True, columns=columns)) == _cols(small)
    assert _cols(_book(list(records), large=True, columns=columns)) == _cols(small)
    widths = re.findall(r'width="([\d.]+)"', _cols(small))
    assert widths[:4] == ["12.7109375", "26.7109375", "16.7109375", "17.7109375"]


def _frame_of_sheet(book: bytes) -> tuple[str, str]:
    """Sheet 1's dimension and column widths."""
    xml = zipfile.ZipFile(io.BytesIO(book)).read("xl/worksheets/sheet1.xml").decode("utf-8")
    return re.findall("<dimension [^>]*>", xml)[0], _cols(book)


_texts = st.one_of(
    st.none(),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30),
    st.sampled_from(["名" * 31, "\u0378" * 9, "—" * 20, " 前后 ", "a&b", "_x0041_"]),
)


@CI
@given(
    st.lists(
        st.tuples(_texts, _texts, st.one_of(st.none(), st.integers(-(10**14), 10**14))),
        min_size=1,
        max_size=25,
    ),
    st.integers(1, 7),
)
def test_arrow_columns_frame_the_sheet_as_the_small_book(rows, block):
    """Property: texts (with gaps) and integers read as Arrow: the small book's frame."""
    frame = pd.DataFrame(
        {
            "a": pd.Series([r[0] for r in rows], dtype="str"),
            "b": pd.Series([r[1] for r in rows], dtype="str"),
            "n": pd.array([r[2] for r in rows], dtype="Int64"),
        }
    )
    columns = [_arrow_column("甲", "a"), _arrow_column("乙", "b", "id"), _arrow_column("丙", "n")]
    records = Records.of(frame)
    original = xlsx.BLOCK_ROWS
    xlsx.BLOCK_ROWS = block
    try:
        small = _book(records, large=False, columns=columns)
        large = _book(records, large=True, columns=columns)
        assert _frame_of_sheet(large) == _frame_of_sheet(small)
        assert large == _book(list(records), large=True, columns=columns)
    finally:
        xlsx.BLOCK_ROWS = original


@pytest.mark.parametrize("large", [False, True])
def test_arrow_reading_gives_the_same_bytes(large, monkeypatch):
    """A frame's columns read as Arrow (`Column.arrow`) make the same workbook as row-wise."""
    monkeypatch.setattr(xlsx, "BLOCK_ROWS", 700)  # blocks cross the sheet split
    frame = weird_frame(2_500).astype({"text": "str", "id": "str"})
    frame.loc[::9, "id"] = None
    columns = [_arrow_column(c.header, k, c.kind) for c, k in zip(COLUMNS, _KEYS, strict=True)]
    records = Records.of(frame)
    assert records.arrow("text", 0, 10) is not None and records.arrow("mixed", 0, 10) is None
    arrow = _book(records, large=large, columns=columns, max_rows=1_000)
    assert arrow == _book(list(records), large=large, columns=columns, max_rows=1_000)


_KEYS = ["_seq", "text", "id", "ints", "plain", "big", "edge", "score", "flag", "mixed", "mixed"]
_KEYS += ["empty"]
