"""The fast routes give what the reference routes give.

Workbooks: rows' XML generated column-wise (`Book(fast=True)`) against xlsxwriter's cell
by cell path: same sheets, cells, types, formats, widths, filters, dropdowns; in a
constant-memory book even the same XML. CSV: column-wise fields against `to_csv`.
"""

from __future__ import annotations

import io
import math
import zipfile
from datetime import datetime

import numpy as np
import openpyxl
import pandas as pd
import pytest

from matcher.report import workbook, xlsx
from matcher.report.csvout import _pandas_csv, csv_bytes, write_csv
from matcher.report.data import prepare
from matcher.report.workbook import Records, notices_xlsx, placements_xlsx
from matcher.report.xlsx import Book, Column

WEIRD_TEXTS = [
    "普通文字",
    "",
    "a & b < c > d",
    "\x01控制\x1f字符\x08",
    "_x0041_ literal escape",
    " leading space",
    "trailing space ",
    "\u3000全角空格",
    "tab\tinside",
    "line\nbreak",
    '=HYPERLINK("http://x","y")',
    "\ufffe\uffff",
    "😀 astral",
    "x" * 40_000,  # over Excel's 32,767: truncated as xlsxwriter truncates
    "丨" * 40,  # wide: sets the column width
]


def _weird_frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    texts = [WEIRD_TEXTS[i % len(WEIRD_TEXTS)] if i % 7 == 0 else f"名字{i}" for i in range(n)]
    ids = [f"{150102198503010000 + i}" for i in range(n)]
    mixed: list[object] = []
    for i in range(n):
        mixed.append(
            [None, float("nan"), pd.NA, True, False, 3, 2.5, 10**17, -7, "文本", np.int64(4)][
                i % 11
            ]
            if i % 3 == 0
            else f"m{i}"
        )
    return pd.DataFrame(
        {
            "text": pd.Series(texts, dtype=object),
            "id": ids,
            "ints": pd.array([None if i % 50 == 0 else i * 1000 for i in range(n)], dtype="Int64"),
            "plain": np.arange(n, dtype=np.int64) - n // 2,
            "big": [10**16 + i if i % 2 else -(10**15) for i in range(n)],
            "edge": [2**53 + 1 if i == n - 1 else 2**53 - i for i in range(n)],
            "score": rng.normal(80, 10, n).round(3),
            "flag": [i % 4 == 0 for i in range(n)],
            "mixed": pd.Series(mixed, dtype=object),
            "empty": [None] * n,
        }
    )


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


def _book(rows, *, fast: bool, large: bool, max_rows: int = xlsx.EXCEL_MAX_DATA_ROWS) -> bytes:
    book = Book(datetime(2023, 1, 1), max_rows, large=large, fast=fast)
    book.table("数据", COLUMNS, rows)
    book.table("小表", COLUMNS[:3], rows[:5])
    book.note_sheet("说明", ["一行说明"])
    return book.close()


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return type(a) is type(b) and a == b


def _assert_same_workbook(reference: bytes, fast: bytes) -> None:
    a = openpyxl.load_workbook(io.BytesIO(reference))
    b = openpyxl.load_workbook(io.BytesIO(fast))
    assert a.sheetnames == b.sheetnames
    for name in a.sheetnames:
        x, y = a[name], b[name]
        assert x.dimensions == y.dimensions, name
        assert x.freeze_panes == y.freeze_panes, name
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
                assert (c.data_type, c.number_format) == (d.data_type, d.number_format), (
                    name,
                    c.coordinate,
                )


@pytest.mark.parametrize("large", [False, True])
def test_fast_rows_equal_the_cell_by_cell_rows(large, monkeypatch):
    monkeypatch.setattr(xlsx, "FAST_BLOCK_ROWS", 1_000)  # three blocks, written by a thread
    rows = Records.of(_weird_frame(3_000))
    # The reference in constant-memory mode: openpyxl reads "_xHHHH_" escapes back from
    # shared strings but not from inline strings, which the fast route writes.
    reference = _book(rows, fast=False, large=True)
    fast = _book(rows, fast=True, large=large)
    assert fast == _book(rows, fast=True, large=large)  # deterministic
    _assert_same_workbook(reference, fast)
    if large:  # constant memory: xlsxwriter writes inline strings as the fast route does
        a, b = zipfile.ZipFile(io.BytesIO(reference)), zipfile.ZipFile(io.BytesIO(fast))
        assert a.namelist() == b.namelist()
        for part in a.namelist():
            assert a.read(part) == b.read(part), part


def test_fast_rows_split_across_sheets(monkeypatch):
    rows = Records.of(_weird_frame(2_500))
    monkeypatch.setattr(xlsx, "FAST_BLOCK_ROWS", 700)  # blocks cross the split
    reference = _book(rows, fast=False, large=True, max_rows=1_000)
    fast = _book(rows, fast=True, large=False, max_rows=1_000)
    assert openpyxl.load_workbook(io.BytesIO(fast)).sheetnames[:3] == ["数据", "数据(2)", "数据(3)"]
    _assert_same_workbook(reference, fast)


@pytest.mark.parametrize("block", [10_000, 400])  # one block; blocks deflated on threads
def test_fast_rows_over_the_zip64_limit(monkeypatch, block):
    rows = Records.of(_weird_frame(1_500))
    reference = _book(rows, fast=False, large=True)
    monkeypatch.setattr(xlsx, "FAST_BLOCK_ROWS", block)
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 200_000)  # the sheet part is larger
    fast = _book(rows, fast=True, large=True)
    _assert_same_workbook(reference, fast)
    assert zipfile.ZipFile(io.BytesIO(fast)).testzip() is None


@pytest.mark.parametrize("large", [False, True])
def test_department_workbooks_on_the_fast_route(result, monkeypatch, large):
    data = prepare(result)
    monkeypatch.setattr(workbook, "LARGE_BOOK_ROWS", 1 if large else 10**9)
    books = {}
    for threshold in (10**9, 1):
        monkeypatch.setattr(workbook, "FAST_BOOK_ROWS", threshold)
        books[threshold] = (placements_xlsx(data), notices_xlsx(data), placements_xlsx(data, 2))
    for reference, fast in zip(books[10**9], books[1], strict=True):
        assert reference != fast  # the fast route was taken
        _assert_same_workbook(reference, fast)


def test_rich_string_lookalike_stays_text():
    frame = pd.DataFrame({"a": ["<r><t>x</t></r>"] * 3, "b": ["y"] * 3})
    columns = [_column(k, k) for k in frame.columns]
    book = Book(datetime(2023, 1, 1), fast=True)
    book.table("t", columns, Records.of(frame))
    sheet = openpyxl.load_workbook(io.BytesIO(book.close()))["t"]
    assert sheet["A2"].value == "<r><t>x</t></r>"  # escaped, not taken as rich text


def test_records_read_column_wise(result):
    frame = prepare(result).placements
    records = Records.of(frame)
    view = records[2:9]
    rows = list(view)
    assert view.column("name", 1, 4) == [r["name"] for r in rows[1:4]]
    assert list(view.column("_seq", 0, 3)) == [r["_seq"] for r in rows[:3]] == [3, 4, 5]
    assert view.column("source_row", 5, 50) == [r["source_row"] for r in rows[5:]]


def _csv_frames() -> list[pd.DataFrame]:
    weird = _weird_frame(500).drop(columns=["mixed"])
    texts = [
        "a,b",
        'say "hi"',
        "line\nbreak",
        "cr\rx",
        "=1+1",
        "+1",
        "-1",
        "@x",
        "\tx",
        "mid=dle",
        "",
        None,
        "普通",
    ]
    hostile = pd.DataFrame(
        {
            "文本": pd.Series(texts * 3, dtype=object),
            "str": pd.Series(texts * 3, dtype="str"),
            "=head": range(len(texts) * 3),
            "f": [1e20, 1e-7, 0.1, float("nan"), 3.0, -0.0] * 6 + [2.5, 1 / 3, 1e16],
        }
    )
    return [
        weird,
        hostile,
        hostile.iloc[:0],
        hostile[["文本"]],  # one column: to_csv itself
        pd.DataFrame({"d": pd.to_datetime(["2023-01-02"]), "x": ["a"]}),  # other dtype
        pd.DataFrame({"o": pd.Series([1, "a"], dtype=object), "x": ["a", "b"]}),
    ]


@pytest.mark.parametrize("index", range(6))
def test_csv_fields_equal_to_csv(index, monkeypatch):
    frame = _csv_frames()[index]
    monkeypatch.setattr("matcher.report.csvout.CSV_BLOCK_ROWS", 7)
    expected = _pandas_csv(frame)
    assert csv_bytes(frame) == expected
    handle = io.BytesIO()
    write_csv(frame, handle)
    assert handle.getvalue() == expected


def test_csv_of_the_round_equal_to_csv(result):
    data = prepare(result)
    for frame in (data.placements, data.unmatched, data.problems, data.funding):
        assert csv_bytes(frame) == _pandas_csv(frame)


def test_saved_into_a_file_as_closed_to_bytes(tmp_path, monkeypatch):
    """`Book.save` writes into a file what `close` returns, the Zip64 rewrite included."""
    rows = Records.of(_weird_frame(1_500))
    monkeypatch.setattr(xlsx, "FAST_BLOCK_ROWS", 400)
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 200_000)  # rewritten after a first try
    path = tmp_path / "book.xlsx"
    with path.open("wb") as handle:
        book = Book(datetime(2023, 1, 1), large=True, fast=True)
        book.table("数据", COLUMNS, rows)
        book.table("小表", COLUMNS[:3], rows[:5])
        book.note_sheet("说明", ["一行说明"])
        book.save(handle)
    assert path.read_bytes() == _book(rows, fast=True, large=True)
