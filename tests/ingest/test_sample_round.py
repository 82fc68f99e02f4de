"""The bundled sample round (written independently): ingest finds exactly its row defects."""

from __future__ import annotations

from datetime import date

import pytest

from matcher.ingest import load_vocabulary, read_applicants, read_hosts, read_quotas
from matcher.model import Track
from matcher.paths import data_dir, sample_round_dir
from tests.ingest.util import sample_column_notices

# Codes found while reading one row; the rest of DEFECTS.md is cross-file (matcher.ingest.validate).
ROW_CODES = {
    "ID_CHECKSUM",
    "ID_EXCEL_MANGLED",
    "ID_GENDER_MISMATCH",
    "DATE_INVALID",
    "YESNO_INVALID",
    "REQUIRED_MISSING",
    "ID_LENGTH",
    "GENDER_INVALID",
}

pytestmark = pytest.mark.skipif(
    not (sample_round_dir() / "DEFECTS.md").is_file(), reason="sample round not generated"
)


def _documented() -> set[tuple[str, int, str, str]]:
    rows = set()
    text = (sample_round_dir() / "DEFECTS.md").read_text(encoding="utf-8")
    section = text.split("## ")[0]  # the defect table only
    for line in section.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[1].isdigit() and cells[3] in ROW_CODES:
            rows.add((cells[0], int(cells[1]), cells[2], cells[3]))
    return rows


def test_sample_round_row_defects() -> None:
    vocab = load_vocabulary()
    found = set()
    people = 0
    for path in sorted(sample_round_dir().glob("*.xlsx")):
        applicants, issues = read_applicants(path, vocab, date(2023, 3, 20))
        assert applicants, path.name
        assert all(a.region and a.track for a in applicants), path.name
        people += len(applicants)
        found |= {(i.file, i.row, i.column, i.code) for i in issues}
    # The documented row defects, and one notice per outcome column a workbook lacks (some
    # regions leave out 健康状况 or 单位性质, as real submissions do: not a defect).
    assert found == _documented() | sample_column_notices(sample_round_dir())
    assert people > 100


def test_bundled_hosts_and_quotas() -> None:
    catalogue, issues = read_hosts(data_dir() / "hosts-2023.csv")
    assert issues == [] and catalogue.hosts
    quotas, issues = read_quotas(data_dir() / "quotas-2023.csv")
    assert issues == []
    assert quotas.total(Track.OUT) == 40 and quotas.total(Track.IN) == 40
