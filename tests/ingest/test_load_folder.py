"""The applicants folder walk: odd entries and the tool's own outputs are skipped (issue 15)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from matcher.ingest.load import InputError, applicant_entries, load_round
from tests.ingest.util import good_row, write_form


def folder(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    write_form(d / "a.xlsx", [good_row(1)])
    return d


def test_odd_entries_are_skipped_with_a_notice(tmp_path: Path) -> None:
    d = folder(tmp_path)
    (d / "sub.csv").mkdir()
    os.symlink(tmp_path / "missing.csv", d / "dangling.csv")
    os.mkfifo(d / "fifo.csv")  # opening it would block forever
    os.symlink("/dev/zero", d / "zero.csv")  # reading it would never end
    files, notices = applicant_entries([d])
    assert files == [d / "a.xlsx"]
    assert [(n.file, n.code, n.severity.value) for n in notices] == [
        ("dangling.csv", "FOLDER_ENTRY_SKIPPED", "warning"),
        ("fifo.csv", "FOLDER_ENTRY_SKIPPED", "warning"),
        ("sub.csv", "FOLDER_ENTRY_SKIPPED", "warning"),
        ("zero.csv", "FOLDER_ENTRY_SKIPPED", "warning"),
    ]
    assert "文件夹" in notices[2].message
    round_ = load_round([d])
    assert len(round_.applicants) == 1
    assert {"FOLDER_ENTRY_SKIPPED"} <= {i.code for i in round_.issues}


def test_the_tools_own_outputs_are_skipped(tmp_path: Path) -> None:
    d = folder(tmp_path)
    (d / "placements.csv").write_text("\ufeffsource_file,source_row,name\na.xlsx,4,x\n")
    (d / "unmatched.csv").write_text("source_file,source_row,name\n")
    (d / "notices.xlsx").write_bytes(b"PK")
    files, notices = applicant_entries([d])
    assert files == [d / "a.xlsx"]
    assert {n.file: n.code for n in notices} == dict.fromkeys(
        ["notices.xlsx", "placements.csv", "unmatched.csv"], "OUTPUT_FILE_SKIPPED"
    )


def test_a_region_file_that_only_shares_an_output_name_is_read(tmp_path: Path) -> None:
    d = folder(tmp_path)
    (d / "placements.csv").write_text("序号,姓名\n1,张三\n", encoding="utf-8")
    files, notices = applicant_entries([d])
    assert d / "placements.csv" in files and notices == []


def test_a_special_file_named_directly_is_a_usage_error(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.csv")
    with pytest.raises(InputError, match="不是普通文件"):
        applicant_entries([tmp_path / "fifo.csv"])
