"""CSV rows are the same whether lines come from `str.splitlines` or a text stream."""

import csv
import io

import pytest

from matcher.ingest.sheets import read_csv_rows


@pytest.mark.parametrize(
    "text",
    [
        "a,b\r\n1,2\r\n",
        "a,b\n1,2",
        "a,b\r1,2\r",
        'a,b\n"x\ny",2\n',
        "a,b\n1\x0c2,3\n",  # form feed: a line boundary for splitlines, not for csv
        "a,b\nx\u2028y,z\x85w\n",
    ],
)
def test_rows_as_a_text_stream_reads_them(tmp_path, text):
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8", newline="")
    expected = list(csv.reader(io.StringIO(text, newline="")))
    assert read_csv_rows(path) == expected
