"""Workbook size limits: checked before calamine gets a sheet (issue 15)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from matcher.ingest import read_applicants, read_hosts, read_quotas
from matcher.ingest.limits import MIB, Limits, check_workbook, column_letters, column_number
from matcher.ingest.tables import TableError
from tests.ingest.util import HEADER, REFERENCE, good_row, vocab, write_form

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?><worksheet '
    'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)


def sparse(path: Path, row: int, col: int) -> Path:
    """A small 附件3 table and one stray cell at (row, col), 0-based."""
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("申报表")
    for c, h in enumerate(HEADER):
        ws.write(0, c, h)
    for c, v in enumerate(good_row(1)):
        ws.write(1, c, v)
    ws.write(row, col, "x")
    book.close()
    return path


def with_sheet_xml(source: Path, target: Path, sheet_data: str, compress: int = 6) -> Path:
    """`source` with the sheetData of its (only) worksheet replaced by `sheet_data`."""
    with (
        zipfile.ZipFile(source) as zin,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=compress) as zout,
    ):
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(
                    rb"<sheetData>.*</sheetData>|<sheetData/>",
                    b"<sheetData>" + sheet_data.encode() + b"</sheetData>",
                    data,
                    flags=re.S,
                )
            zout.writestr(info.filename, data)
    return target


def blank(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Sheet1").write(0, 0, "a")
    book.close()
    return path


@pytest.mark.parametrize(("row", "col"), [(1048575, 16383), (11999, 16383), (600000, 20)])
def test_a_stray_far_cell_is_refused_before_calamine(tmp_path: Path, row: int, col: int) -> None:
    path = sparse(tmp_path / "far.xlsx", row, col)
    people, issues = read_applicants(path, vocab(), REFERENCE)
    assert people == []
    assert [i.code for i in issues] == ["FILE_TOO_LARGE"]
    where = f"{column_letters(col + 1)}{row + 1}"
    assert where in issues[0].message and "申报表" in issues[0].message
    assert "Ctrl+End" in issues[0].message


def test_the_hosts_and_quota_files_go_through_the_same_guard(tmp_path: Path) -> None:
    path = sparse(tmp_path / "hosts.xlsx", 1048575, 16383)
    assert [i.code for i in read_hosts(path)[1]] == ["FILE_TOO_LARGE"]
    assert [i.code for i in read_quotas(path)[1]] == ["FILE_TOO_LARGE"]


def test_a_row_number_past_excels_grid(tmp_path: Path) -> None:
    path = with_sheet_xml(
        blank(tmp_path / "a.xlsx"),
        tmp_path / "b.xlsx",
        '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>'
        '<row r="4000000000"><c r="A4000000000" t="inlineStr"><is><t>x</t></is></c></row>',
    )
    with pytest.raises(TableError, match="第4000000000行") as caught:
        check_workbook(path)
    assert caught.value.code == "FILE_TOO_LARGE"


def test_a_declared_dimension_past_the_grid(tmp_path: Path) -> None:
    source = blank(tmp_path / "a.xlsx")
    target = tmp_path / "b.xlsx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFE9"/>', data)
            zout.writestr(info.filename, data)
    with pytest.raises(TableError, match="XFE9"):
        check_workbook(target)
    check_workbook(source)  # the untouched book passes


def test_cells_without_references_are_placed_as_calamine_places_them(tmp_path: Path) -> None:
    row = "<row>" + '<c t="inlineStr"><is><t>v</t></is></c>' * 6 + "</row>"
    path = with_sheet_xml(blank(tmp_path / "a.xlsx"), tmp_path / "b.xlsx", row * 5)
    check_workbook(path, Limits(max_cells=30))
    with pytest.raises(TableError, match="F5"):
        check_workbook(path, Limits(max_cells=29))


def test_an_inflating_part_is_refused_from_the_directory(tmp_path: Path) -> None:
    """A part inflating far past the limit is refused without inflating it."""
    body = '<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 100_000  # 5 MB of XML
    path = with_sheet_xml(blank(tmp_path / "a.xlsx"), tmp_path / "bomb.xlsx", body, 9)
    small = Limits(max_part_bytes=MIB, max_total_bytes=4 * MIB, ratio_from_bytes=MIB)
    with pytest.raises(TableError, match="MB") as caught:
        check_workbook(path, small)
    assert caught.value.code == "FILE_TOO_LARGE"
    with pytest.raises(TableError, match="压缩比"):
        check_workbook(path, Limits(ratio_from_bytes=MIB, max_ratio=20))
    check_workbook(path)  # within the default limits


def test_a_broken_zip_is_unreadable_not_a_crash(tmp_path: Path) -> None:
    good = tmp_path / "good.xlsx"
    write_form(good, [good_row(1)])
    data = good.read_bytes()
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(data[: len(data) // 2])
    people, issues = read_applicants(broken, vocab(), REFERENCE)
    assert people == [] and [i.code for i in issues] == ["FILE_UNREADABLE"]


def test_column_letters_round_trip() -> None:
    for n in (1, 26, 27, 52, 702, 703, 16384):
        assert column_number(column_letters(n)) == n
    assert column_letters(16384) == "XFD"


cells = st.lists(
    st.tuples(st.integers(1, 40), st.integers(1, 30), st.booleans()), min_size=1, max_size=25
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(cells=cells)
def test_the_scan_finds_calamines_last_cell(tmp_path_factory, cells) -> None:
    """Property: the scan's last row × column is what calamine reads, with or without refs."""
    rows: dict[int, dict[int, bool]] = {}
    for r, c, ref in cells:
        rows.setdefault(r, {})[c] = ref
    xml = []
    for r in sorted(rows):
        xml.append(f'<row r="{r}">')
        previous = 0
        for c in sorted(rows[r]):
            # a cell without `r` is only placed right when it follows the one before it
            explicit = rows[r][c] or c != previous + 1
            attr = f' r="{column_letters(c)}{r}"' if explicit else ""
            xml.append(f'<c{attr} t="inlineStr"><is><t>v</t></is></c>')
            previous = c
        xml.append("</row>")
    tmp = tmp_path_factory.mktemp("scan")
    path = with_sheet_xml(blank(tmp / "a.xlsx"), tmp / "b.xlsx", "".join(xml))
    read = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Sheet1")
    grid = read.to_python(skip_empty_area=False)
    area = len(grid) * max(len(r) for r in grid)
    check_workbook(path, Limits(max_cells=area))
    with pytest.raises(TableError):
        check_workbook(path, Limits(max_cells=area - 1))


def test_a_csv_past_the_size_limit(tmp_path: Path) -> None:
    from matcher.ingest.limits import check_csv

    path = tmp_path / "a.csv"
    path.write_bytes(b"x" * 2048)
    check_csv(path, Limits(max_csv_bytes=2048))
    with pytest.raises(TableError, match="拆分") as caught:
        check_csv(path, Limits(max_csv_bytes=2047))
    assert caught.value.code == "FILE_TOO_LARGE"


def test_a_sparse_xls_is_measured_before_calamine(tmp_path: Path) -> None:
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook()
    sheet = book.add_sheet("申报表")
    for c, h in enumerate(HEADER):
        sheet.write(0, c, h)
    sheet.write(65535, 255, "x")  # calamine would take 1.2 GB for this 6 KB file
    path = tmp_path / "far.xls"
    book.save(str(path))
    people, issues = read_applicants(path, vocab(), REFERENCE)
    assert people == [] and [i.code for i in issues] == ["FILE_TOO_LARGE"]
    assert "IV65536" in issues[0].message and "申报表" in issues[0].message
    check_workbook(path, Limits(max_cells=65536 * 256))
    junk = tmp_path / "junk.xls"
    junk.write_bytes(b"\xd0\xcf\x11\xe0 not really")
    check_workbook(junk)  # left to calamine, which reports it unreadable
    assert [i.code for i in read_applicants(junk, vocab(), REFERENCE)[1]] == ["FILE_UNREADABLE"]


def test_a_directory_that_lies_about_a_parts_size(tmp_path: Path) -> None:
    """A part declared at 1 KB that inflates to 10 MB never reaches calamine."""
    import struct

    body = '<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 200_000
    path = with_sheet_xml(blank(tmp_path / "a.xlsx"), tmp_path / "b.xlsx", body)
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    for signature, length_at, size_at, name_at in ((b"PK\x03\x04", 26, 22, 30),
                                                   (b"PK\x01\x02", 28, 24, 46)):
        at = data.find(signature)
        while at >= 0:
            length = struct.unpack_from("<H", data, at + length_at)[0]
            if data[at + name_at : at + name_at + length] == name:
                struct.pack_into("<I", data, at + size_at, 1000)
            at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))
    with pytest.raises(TableError) as caught:
        check_workbook(path, Limits(max_part_bytes=MIB))
    assert caught.value.code in ("FILE_UNREADABLE", "FILE_TOO_LARGE")
