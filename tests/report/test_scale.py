"""What keeps large rounds cheap: capped page lists, lazy records, streamed workbooks."""

import io
import math

import openpyxl
import pytest

from matcher.report import page, workbook
from matcher.report.data import prepare
from matcher.report.workbook import Records, notices_xlsx, placements_xlsx


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("table", ["placements", "unmatched", "problems", "funding"])
def test_records_equal_to_dict_records(result, table):
    frame = getattr(prepare(result), table)
    expected = [{**{str(k): v for k, v in r.items()}, "_seq": i}
                for i, r in enumerate(frame.to_dict("records"), start=1)]
    records = Records.of(frame)
    assert len(records) == len(expected)
    views = [(list(records), expected)]
    if len(records) > 2:  # slices keep their row numbers; indexing from the end works
        views += [(list(records[1:]), expected[1:]), ([records[-1]], expected[-1:])]
    for rows, wanted in views:
        for got, want in zip(rows, wanted, strict=True):
            assert list(got) == list(want)
            assert all(_same(got[k], want[k]) for k in want)


def test_page_lists_are_capped_with_a_note(result, monkeypatch):
    data = prepare(result)
    monkeypatch.setattr(page, "PAGE_ROWS", 1)
    html = page.report_html(data).decode("utf-8")
    assert f"共{len(data.unmatched):,}人，本页只列出前1人" in html
    assert "unmatched.csv" in html
    monkeypatch.setattr(page, "PAGE_ROWS", 10**6)
    assert "本页只列出前" not in page.report_html(data).decode("utf-8")


def test_large_workbooks_hold_the_same_cells(result, monkeypatch):
    data = prepare(result)
    books = {}
    for threshold in (10**9, 1):
        monkeypatch.setattr(workbook, "LARGE_BOOK_ROWS", threshold)
        books[threshold] = (placements_xlsx(data), notices_xlsx(data))
    for small, large in zip(books[10**9], books[1], strict=True):
        assert small != large  # streamed: inline strings instead of a shared-string table
        a = openpyxl.load_workbook(io.BytesIO(small))
        b = openpyxl.load_workbook(io.BytesIO(large))
        assert a.sheetnames == b.sheetnames
        for name in a.sheetnames:
            assert [list(r) for r in a[name].iter_rows(values_only=True)] == [
                list(r) for r in b[name].iter_rows(values_only=True)
            ], name
