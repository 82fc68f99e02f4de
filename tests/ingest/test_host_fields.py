"""One field vocabulary for both sides: a host's 培养专业 is read as an applicant's 从事专业 is."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher import api
from matcher.ingest import load_vocabulary, read_hosts
from matcher.ingest.sheets import read_csv_rows
from matcher.model import FIELDS, Severity, Status
from matcher.paths import data_dir
from tests.ingest.util import write_csv

HOST_HEADER = ["培养单位", "培养方式", "所在地", "接收名额", "培养专业", "别名"]
VOCAB = load_vocabulary()
#: Keyword → field of data/fields.csv (the fields' own names included).
KEYWORDS: dict[str, list[str]] = {}
for _word, _field in [(r[0], r[1]) for r in read_csv_rows(data_dir() / "fields.csv")[1:]]:
    KEYWORDS.setdefault(_field, []).append(_word)
#: How a department writes three fields, and their names.
WRITTEN = {"工程": "工程技术", "计算机": "信息技术", "临床医学": "医疗卫生"}


def test_keywords_in_the_catalogue_count_as_their_fields(tmp_path: Path) -> None:
    path = tmp_path / "hosts.csv"
    write_csv(
        path,
        HOST_HEADER,
        [
            ["甲大学", "区外", "北京", "3", "工程、计算机、临床医学", ""],
            ["乙大学", "区外", "北京", "2", "工程技术；土木工程，信息技术", ""],
            ["丙大学", "区内", "包头", "1", "教育、星际航行", ""],
        ],
    )
    catalogue, issues = read_hosts(path, VOCAB)
    assert [h.fields for h in catalogue.hosts] == [
        ("工程技术", "信息技术", "医疗卫生"),
        ("工程技术", "信息技术"),  # a field named twice (工程技术, 土木工程) counts once
        ("教育",),
    ]
    (issue,) = issues  # an entry that maps to nothing stays a warning
    assert (issue.row, issue.column, issue.code, issue.severity.value) == (
        4,
        "培养专业",
        "HOST_FIELD_UNKNOWN",
        "warning",
    )
    assert "星际航行" in issue.message and "关键词" in issue.message


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=4, unique=True), st.data())
def test_any_keyword_of_a_field_reads_as_that_field(fields: list[str], data: st.DataObject) -> None:
    words = [data.draw(st.sampled_from([f, *KEYWORDS.get(f, [])])) for f in fields]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hosts.csv"
        write_csv(path, HOST_HEADER, [["甲大学", "区外", "北京", "1", "、".join(words), ""]])
        catalogue, issues = read_hosts(path, VOCAB)
    assert issues == []
    assert catalogue.hosts[0].fields == tuple(fields)


def _catalogue(folder: Path, rewrite: dict[str, str | None]) -> Path:
    """The sample catalogue with each 培养专业 entry replaced as `rewrite` says (None: dropped)."""
    source = data_dir() / "hosts-2023.csv"
    rows = read_csv_rows(source)
    at = rows[0].index("培养专业")
    for row in rows[1:]:
        entries = [rewrite.get(e, e) for e in row[at].split("、")]
        row[at] = "、".join(e for e in entries if e)
    path = folder / "hosts.csv"
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _outcomes(hosts: Path) -> list[tuple[str, str, str | None, int | None, str]]:
    sample = data_dir() / "sample-2023"
    result = api.solve(api.load([sample], hosts, data_dir() / "quotas-2023.csv"))
    return [(o.key, o.status.value, o.host, o.choice_rank, o.reason) for o in result.outcomes]


@pytest.fixture(scope="module")
def canonical(tmp_path_factory: pytest.TempPathFactory) -> list[tuple]:
    return _outcomes(_catalogue(tmp_path_factory.mktemp("canonical"), {}))


def test_a_catalogue_written_with_keywords_places_as_the_canonical_one(
    tmp_path: Path, canonical: list[tuple]
) -> None:
    by_keyword = _outcomes(_catalogue(tmp_path, {v: k for k, v in WRITTEN.items()}))
    assert by_keyword == canonical
    # the test can fail: those fields matter to the adjustments of this round
    adjusted = [o for o in canonical if o[1] == Status.ADJUSTED.value]
    assert adjusted
    dropped = _outcomes(_catalogue(tmp_path, dict.fromkeys(WRITTEN.values())))
    assert dropped != canonical


def test_a_catalogue_with_a_header_and_no_usable_row_says_so(tmp_path: Path) -> None:
    path = tmp_path / "hosts.csv"
    path.write_text("培养单位,培养方式,所在地,接收名额,培养专业,别名\n", encoding="utf-8")
    catalogue, issues = read_hosts(path)
    assert catalogue.hosts == () and [i.code for i in issues] == ["HOSTS_EMPTY"]
    assert issues[0].severity == Severity.ERROR and issues[0].file == "hosts.csv"
    path.write_text(
        "培养单位,培养方式,所在地,接收名额,培养专业,别名\n甲大学,区外,,abc,,\n", "utf-8"
    )
    catalogue, issues = read_hosts(path)
    assert catalogue.hosts == () and [i.code for i in issues][-1] == "HOSTS_EMPTY"
    assert "HOST_CAPACITY_INVALID" in {i.code for i in issues}
