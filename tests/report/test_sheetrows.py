"""Generated rows (`matcher.report.sheetrows`) against xlsxwriter's own constant_memory XML."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

from matcher.report import sheetrows
from matcher.report.workbook import Records
from matcher.report.xlsx import Book, Column
from tests.report.frames import WEIRD_TEXTS, weird_frame
from tests.strategies import CI

KINDS = {"text": True, "id": False}  # numeric or not


def _library_rows(columns: list[list[object]], numeric: list[bool]) -> tuple[str, object]:
    """The ``<row>`` elements xlsxwriter's constant_memory mode writes for these cells."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    text = book.add_format({"num_format": "@"})
    sheet = book.add_worksheet()
    sheet.write_string(0, 0, "header")  # as in a frame: the data rows come after it
    for r, row in enumerate(zip(*columns, strict=True), start=1):
        for c, value in enumerate(row):
            held = sheetrows.cell_value(value, numeric[c])
            if held is None:
                continue
            if isinstance(held, str):
                sheet.write_string(r, c, held, None if numeric[c] else text)
            else:
                sheet.write_number(r, c, held)
    book.close()
    xml = zipfile.ZipFile(buffer).read("xl/worksheets/sheet1.xml").decode("utf-8")
    header = '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>header</t></is></c></row>'
    return xml[xml.index(header) + len(header) : xml.index("</sheetData>")], text


def _generated_rows(columns: list[list[object]], numeric: list[bool], style: str) -> str:
    numbers = sheetrows.row_numbers(2, len(columns[0]))
    cells = [
        sheetrows.column_xml(
            xlsxwriter.utility.xl_col_to_name(c),
            numbers,
            values,
            numeric[c],
            "" if numeric[c] else style,
        )
        for c, values in enumerate(columns)
    ]
    return sheetrows.rows_xml(numbers, cells)


def _block_rows(columns: list[list[object]], numeric: list[bool], style: str) -> str:
    """The same rows from `sheetrows.block_xml` (Arrow where it can, as a large book)."""
    letters = [xlsxwriter.utility.xl_col_to_name(c) for c in range(len(columns))]
    styles = ["" if n else style for n in numeric]
    xml = sheetrows.block_xml(letters, 2, columns, numeric, styles)
    return xml if isinstance(xml, str) else bytes(xml).decode("utf-8")


def _same_as_library(columns: list[list[object]], numeric: list[bool]) -> None:
    library, text = _library_rows(columns, numeric)
    style = f' s="{text.xf_index}"'
    assert _generated_rows(columns, numeric, style) == library
    assert _block_rows(columns, numeric, style) == library


def test_rows_are_the_librarys_xml_byte_for_byte():
    frame = weird_frame(600)
    rich = frame["text"].map(lambda t: t.startswith("<r>") and t.endswith("</r>"))
    assert not rich.any()  # xlsxwriter passes those on as markup: see the test below
    columns = [list(frame[c]) for c in frame.columns] + [list(frame["mixed"])]
    _same_as_library(columns, [True, False, True, True, True, True, True, True, True, True, False])


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**60), 2**60),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=10),
    st.sampled_from([t for t in WEIRD_TEXTS if len(t) < 100]),
)


@CI
@given(st.lists(st.tuples(_values, _values), min_size=1, max_size=20))
def test_rows_equal_the_library_for_any_cells(rows):
    """Property: for any cells (but ``<r>…</r>`` texts), the same XML as xlsxwriter."""
    columns = [[r[0] for r in rows], [r[1] for r in rows]]
    flat = [v for c in columns for v in c if isinstance(v, str)]
    if any(v.startswith("<r>") and v.endswith("</r>") for v in flat):
        return
    _same_as_library(columns, [True, False])


@pytest.mark.parametrize("hostile", ["<r><t>x</t></r>", "<r></t></is></c></row></sheetData></r>"])
def test_rich_text_lookalike_stays_text(hostile):
    frame = pd.DataFrame({"a": [hostile, "y"], "b": ["1", hostile]})
    columns = [
        Column(k, lambda r, k=k: r[k], "text", lambda rows, a, b, k=k: rows.column(k, a, b))
        for k in frame.columns
    ]
    book = Book(datetime(2023, 1, 1), large=True)
    book.table("t", columns, Records.of(frame))
    sheet = openpyxl.load_workbook(io.BytesIO(book.close()))["t"]
    assert sheet["A2"].value == hostile and sheet["B3"].value == hostile


@CI
@given(
    st.lists(
        st.lists(
            st.sampled_from(
                [
                    "a",
                    " ",
                    "\u3000",
                    "&",
                    "<",
                    "_x0041_",
                    "\x01",
                    "\n",
                    "名",
                    "\ue000",
                    "\ufffe",
                    "_x",
                    "41_",
                ]
            ),
            max_size=6,
        ).map("".join),
        min_size=1,
        max_size=8,
    )
)
def test_texts_checked_at_once_are_written_as_one_by_one(texts):
    """Property: a column of texts gets, cell for cell, `string_xml` of each text."""
    numbers = sheetrows.row_numbers(5, len(texts))
    assert sheetrows.column_xml("B", numbers, texts, True, ' s="1"') == [
        f'<c r="B{r}"' + sheetrows.string_xml(t, ' s="1"')
        for r, t in zip(numbers, texts, strict=True)
    ]


_short_weird = [t for t in WEIRD_TEXTS if len(t) < 100]


@CI
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.sampled_from(["是", "plain", "名 ", *_short_weird])),
            st.one_of(st.none(), st.booleans(), st.sampled_from(["是", "否", "&"])),
            st.one_of(st.none(), st.floats(allow_infinity=False), st.integers(-99, 99)),
        ),
        min_size=1,
        max_size=20,
    ),
    st.booleans(),
)
def test_texts_with_gaps_flags_and_numbers_equal_the_library(rows, numeric):
    """Property: columns of texts or missing, flags among texts, floats (NaN too) among ints."""
    columns = [[r[k] for r in rows] for k in range(3)]
    flat = [v for c in columns for v in c if isinstance(v, str)]
    if any(v.startswith("<r>") and v.endswith("</r>") for v in flat):
        return
    _same_as_library(columns, [numeric, not numeric, numeric])


def test_arrow_columns_give_the_librarys_xml():
    """A frame's columns read as Arrow (texts, Int64 with gaps, flags) as xlsxwriter writes."""
    frame = weird_frame(600).astype({"text": "str", "id": "str"})
    frame.loc[::5, "text"] = None  # gaps in a text column
    records = Records.of(frame)
    keys = ["text", "id", "ints", "plain", "big", "edge", "flag", "empty"]
    arrays = [records.arrow(k, 0, len(records)) for k in keys]
    assert [a is None for a in arrays] == [False] * 7 + [True]  # object column: Python values
    python = [list(records.column(k, 0, len(records))) for k in keys]
    numeric = [True, False, True, True, True, True, True, True]
    library, text = _library_rows(python, numeric)
    letters = [xlsxwriter.utility.xl_col_to_name(c) for c in range(len(keys))]
    styles = ["" if n else f' s="{text.xf_index}"' for n in numeric]
    block = [a if a is not None else p for a, p in zip(arrays, python, strict=True)]
    xml = sheetrows.block_xml(letters, 2, block, numeric, styles)
    assert not isinstance(xml, str) and bytes(xml).decode("utf-8") == library


def test_a_text_arrow_cannot_encode_is_written_the_python_way():
    columns = [["a", "b\ud800"], [1, 2]]  # a lone surrogate: no UTF-8 (nor a valid file)
    xml = sheetrows.block_xml(["A", "B"], 2, columns, [True, True], ["", ""])
    assert xml == _generated_rows(columns, [True, True], "")


def test_rows_without_a_cell_are_left_out():
    columns = [[None, "a", None], [None, None, None]]
    xml = sheetrows.block_xml(["A", "B"], 7, columns, [True, True], ["", ""])
    assert bytes(xml).decode("utf-8") == (
        '<row r="8"><c r="A8" t="inlineStr"><is><t>a</t></is></c></row>'
    )
    assert bytes(sheetrows.block_xml(["A"], 2, [[None]], [True], [""])) == b""


def _plain(text: str) -> bool:
    return sheetrows.string_xml(text, "") == f' t="inlineStr"><is><t>{text}</t></is></c>'


def test_every_text_string_xml_changes_is_found_by_its_bytes():
    """`may_change` misses no character of the BMP, alone, leading, trailing or inside."""
    assert not any(chr(c).isspace() for c in range(0x10000, 0x110000))  # no space beyond
    chars = [chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000]
    texts = [t for c in chars for t in (c, f"a{c}", f"{c}a", f"名{c}名", f"{c}{c}")]
    found = sheetrows.may_change(pa.array(texts, pa.large_string()))
    missed = [t for t, f in zip(texts, found, strict=True) if not f and not _plain(t)]
    assert missed == []
    assert found.mean() < 0.01  # a superset, but a close one


@CI
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.text(
                st.sampled_from(
                    [
                        "a",
                        " ",
                        "\u3000",
                        "\x85",
                        "\t",
                        "\n",
                        "_",
                        "x",
                        "&",
                        "名",
                        "\ufffe",
                        "\uffef",
                        "0",
                        "\x1f",
                        "😀",
                        "\u2028",
                    ]
                ),
                max_size=6,
            ),
        ),
        min_size=1,
        max_size=12,
    ),
    st.integers(0, 3),
)
def test_texts_found_by_bytes_are_a_superset_in_any_slice(texts, skip):
    """Property: in a slice of an array too (offsets), every text string_xml changes is found."""
    array = pa.array(["_x0041_ ", *texts], pa.large_string()).slice(1)
    found = sheetrows.may_change(array)
    for text, flagged in zip(texts, found, strict=True):
        assert flagged or text is None or _plain(text)
    assert not found[[i for i, t in enumerate(texts) if t is None]].any()


def test_arrow_values_keep_their_kind():
    assert sheetrows.to_arrow(range(3, 6)).to_pylist() == [3, 4, 5]
    assert sheetrows.to_arrow([None, None]).type == pa.null()
    assert sheetrows.to_arrow(["a", None]).type == pa.large_string()
    assert sheetrows.to_arrow([True, None]).type == pa.bool_()
    assert sheetrows.to_arrow([1, None, -(2**63)]).type == pa.int64()
    for mixed in ([1, 2.5], [True, 1], ["a", 1], [2**64], [np.int64(3)], [float("nan")]):
        assert sheetrows.to_arrow(mixed) is None, mixed
    assert sheetrows.to_arrow(pa.array([2**64 - 1], pa.uint64())) is None
    assert sheetrows.to_arrow(pa.array([1.5])) is None
