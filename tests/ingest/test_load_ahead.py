"""The first applicant file, read on a second thread, reads as it does in place."""

from __future__ import annotations

from pathlib import Path

from matcher.ingest.applicants import read_applicants
from matcher.ingest.load import load_round
from matcher.ingest.sheets import read_sheets
from tests.ingest.util import HEADER, REFERENCE, good_row, vocab, write_csv, write_form


def test_sheets_read_elsewhere_give_the_same_applicants(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    write_csv(path, HEADER, [good_row(1), good_row(2, 性别="外星")])
    here = read_applicants(path, vocab(), REFERENCE)
    assert read_applicants(path, vocab(), REFERENCE, lambda: read_sheets(path)) == here


def test_an_unreadable_first_file_is_an_issue_and_the_others_are_read(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    bad = folder / "a.csv"  # read ahead: its TableError comes back as FILE_UNREADABLE
    bad.write_bytes("序号,姓名\n1,张三\n".encode("utf-16"))
    write_form(folder / "b.xlsx", [good_row(1)])
    round_ = load_round([folder])
    assert [a.source_file for a in round_.applicants] == ["b.xlsx"]
    assert [(i.file, i.code) for i in round_.issues if i.file == "a.csv"] == [
        ("a.csv", "FILE_UNREADABLE")
    ]
