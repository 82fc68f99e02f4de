"""Hostile and unlucky department tables (issue 15): ranges, empty capacities, aliases."""

from __future__ import annotations

import csv
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.engine.encode import encode
from matcher.engine.judge import judge
from matcher.ingest import read_hosts, read_quotas
from matcher.ingest.catalogue import MAX_PLACES
from matcher.ingest.load import load_round

ROOT = Path(__file__).resolve().parents[2]
HOSTS = ROOT / "data" / "hosts-2023.csv"
QUOTAS = ROOT / "data" / "quotas-2023.csv"
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def table(source: Path) -> list[list[str]]:
    with source.open(encoding="utf-8-sig", newline="") as handle:
        return [list(r) for r in csv.reader(handle)]


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


@SETTINGS
@given(places=st.integers(0, 2**70))
def test_a_capacity_past_the_limit_is_an_error_not_an_overflow(tmp_path: Path, places: int):
    """Property: any capacity is read when ≤ MAX_PLACES, else refused; encode never overflows."""
    rows = table(HOSTS)
    rows[1][3] = str(places)
    catalogue, issues = read_hosts(write(tmp_path / "hosts.csv", rows))
    codes = [i.code for i in issues if i.row == 2]
    if places <= MAX_PLACES:
        assert codes == [] and catalogue.hosts[0].capacity == places
    else:
        assert codes == ["HOST_CAPACITY_TOO_LARGE"] and str(places) in issues[0].message
        assert rows[1][0] not in catalogue.names()


@SETTINGS
@given(places=st.integers(0, 2**70))
def test_a_quota_past_the_limit_is_an_error(tmp_path: Path, places: int):
    rows = table(QUOTAS)
    rows[1][2] = str(places)
    quotas, issues = read_quotas(write(tmp_path / "quotas.csv", rows))
    codes = [i.code for i in issues if i.row == 2]
    if places <= MAX_PLACES:
        assert (
            codes == [] and quotas.places("呼和浩特市", next(iter(quotas.quotas)).track) == places
        )
    else:
        assert codes == ["QUOTA_VALUE_TOO_LARGE"]


def test_a_huge_capacity_and_quota_reach_encode_only_as_errors(tmp_path: Path):
    hosts, quotas = table(HOSTS), table(QUOTAS)
    hosts[1][3] = str(2**31)
    quotas[1][2] = str(2**31)
    round_ = load_round(
        hosts=write(tmp_path / "hosts.csv", hosts), quotas=write(tmp_path / "quotas.csv", quotas)
    )
    codes = {i.code for i in round_.issues}
    assert {"HOST_CAPACITY_TOO_LARGE", "QUOTA_VALUE_TOO_LARGE"} <= codes
    encode(round_, judge(round_))  # no OverflowError


def test_an_empty_or_dash_capacity_is_a_warning(tmp_path: Path):
    rows = table(HOSTS)
    rows[1][3], rows[2][3], rows[3][3] = "", "—", "0"
    catalogue, issues = read_hosts(write(tmp_path / "hosts.csv", rows))
    found = [(i.row, i.code, i.severity.value) for i in issues]
    assert found == [(2, "HOST_CAPACITY_EMPTY", "warning"), (3, "HOST_CAPACITY_EMPTY", "warning")]
    assert "按0处理" in issues[0].message
    assert [h.capacity for h in catalogue.hosts[:3]] == [0, 0, 0]


def test_an_alias_equal_to_another_hosts_name_is_an_error_naming_both(tmp_path: Path):
    rows = table(HOSTS)
    rows[1][5] = rows[2][0]  # 北京师范大学's alias: 华东师范大学
    catalogue, issues = read_hosts(write(tmp_path / "hosts.csv", rows))
    [issue] = issues
    assert issue.code == "HOST_ALIAS_COLLISION" and issue.row == 2
    assert rows[1][0] in issue.message and rows[2][0] in issue.message and "第3行" in issue.message
    assert catalogue.resolve(rows[2][0]).name == rows[2][0]  # no longer the first host


def test_two_hosts_sharing_an_alias(tmp_path: Path):
    rows = table(HOSTS)
    rows[1][5] = rows[2][5] = "师大"
    catalogue, issues = read_hosts(write(tmp_path / "hosts.csv", rows))
    assert [(i.row, i.code) for i in issues] == [
        (2, "HOST_ALIAS_COLLISION"),
        (3, "HOST_ALIAS_COLLISION"),
    ]
    assert rows[2][0] in issues[0].message and rows[1][0] in issues[1].message
    assert catalogue.resolve("师大") is None  # ambiguous: an unknown host, reported so


@SETTINGS
@given(picks=st.lists(st.tuples(st.integers(1, 20), st.integers(1, 20)), max_size=6))
def test_after_reading_every_alias_names_one_host(tmp_path: Path, picks):
    """Property: whatever aliases are written, each resolves to the host that owns it only."""
    rows = table(HOSTS)
    for owner, other in picks:
        rows[owner][5] = rows[other][0] if owner % 2 else rows[other][5] or "共用别名"
    catalogue, issues = read_hosts(write(tmp_path / "hosts.csv", rows))
    names = {h.name for h in catalogue.hosts}
    for host in catalogue.hosts:
        for alias in host.aliases:
            assert alias not in names - {host.name}
            assert catalogue.resolve(alias) == host
    collisions = [i for i in issues if i.code == "HOST_ALIAS_COLLISION"]
    assert all(i.severity.value == "error" for i in collisions)
