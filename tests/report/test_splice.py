"""The large workbook's zip (matcher.report.splice): frame and generated rows together."""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Iterator

import openpyxl
import pytest
import xlsxwriter

from matcher.report.splice import splice

SHEET = "xl/worksheets/sheet1.xml"


def _frame() -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("名单")
    sheet.write_string(0, 0, "姓名")
    sheet.write_string(0, 1, "序号")
    book.add_worksheet("说明").write_string(0, 0, "说明")
    book.close()
    return buffer.getvalue()


def _rows(count: int, start: int = 2) -> Iterator[str | memoryview]:
    for r in range(start, start + count, 100):
        block = "".join(
            f'<row r="{k}"><c r="A{k}" t="inlineStr"><is><t>名{k}</t></is></c>'
            f'<c r="B{k}"><v>{k}</v></c></row>'
            for k in range(r, min(r + 100, start + count))
        )
        yield block if r % 200 else memoryview(block.encode("utf-8"))  # both kinds


def _spliced(count: int = 1_000, **options: bool) -> bytes:
    out = io.BytesIO()
    dimension = f'<dimension ref="A1:B{count + 1}"/>'
    splice(_frame(), {SHEET: (dimension, _rows(count))}, out, **options)
    return out.getvalue()


def test_the_rows_follow_the_header_and_every_other_part_is_the_frames():
    frame = zipfile.ZipFile(io.BytesIO(_frame()))
    book = zipfile.ZipFile(io.BytesIO(_spliced()))
    assert book.testzip() is None
    assert book.namelist() == frame.namelist()
    for name in frame.namelist():
        if name != SHEET:
            assert book.read(name) == frame.read(name)
    sheet = openpyxl.load_workbook(io.BytesIO(_spliced()), read_only=True)["名单"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("姓名", "序号")
    assert values[1:] == [(f"名{k}", k) for k in range(2, 1_002)]
    assert sheet.max_row == 1_001  # the dimension given


def test_the_same_rows_give_the_same_bytes():
    assert _spliced() == _spliced()


def test_a_large_sheet_part_can_take_zip64_headers():
    for zip64 in (False, True):
        book = zipfile.ZipFile(io.BytesIO(_spliced(300, zip64=zip64)))
        assert book.testzip() is None
        info = book.getinfo(SHEET)
        # a Zip64 extra field (header id 0x0001) exactly when asked for
        assert (info.extra[:2] == b"\x01\x00") is zip64
        assert b'<row r="301">' in book.read(SHEET)


class _FullDisk(io.BytesIO):
    """A file that takes `room` bytes, then fails as a full disk does."""

    def __init__(self, room: int) -> None:
        super().__init__()
        self.room = room

    def write(self, data) -> int:  # type: ignore[no-untyped-def, override]
        if self.tell() + len(data) > self.room:
            raise OSError(28, "No space left on device")
        return super().write(data)


@pytest.mark.parametrize("room", [0, 2_000, 40_000])
def test_a_failing_write_is_raised_here_and_both_threads_end(room):
    before = threading.active_count()
    with pytest.raises(OSError, match="No space left"):
        dimension = '<dimension ref="A1:B100001"/>'
        splice(_frame(), {SHEET: (dimension, _rows(100_000))}, _FullDisk(room))
    assert threading.active_count() == before


def test_rows_that_fail_are_raised_here_and_no_zip_is_finished():
    def failing() -> Iterator[str]:
        yield from _rows(500)
        raise ValueError("a cell could not be written")

    before = threading.active_count()
    out = io.BytesIO()
    with pytest.raises(ValueError, match="could not be written"):
        splice(_frame(), {SHEET: ('<dimension ref="A1:B501"/>', failing())}, out)
    assert threading.active_count() == before
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(out.getvalue()))


def test_a_part_that_is_no_worksheet_frame_is_refused():
    with pytest.raises(RuntimeError, match="unexpected worksheet frame"):
        splice(_frame(), {"xl/workbook.xml": ('<dimension ref="A1"/>', iter([]))}, io.BytesIO())
