"""The centre's export and import: round trip, checks with row numbers, centre mode."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from matcher import api
from matcher.after.centre import (
    ANSWER_HOST,
    ANSWER_VERDICT,
    CENTRE_DECLINED,
    CentreError,
    centre_mode,
    export_rows,
    read_answer,
    solve_centre,
)
from matcher.ingest.sheets import read_sheets
from matcher.model import Status, Track
from matcher.whatif.fixed import TRAINEES


@pytest.fixture(scope="module")
def base_round() -> api.Round:
    return api.load()


@pytest.fixture(scope="module")
def exported(base_round: api.Round, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return api.centre_export(base_round, tmp_path_factory.mktemp("centre") / "export.xlsx")


def _answer(exported: Path, target: Path, fill: dict[int, tuple[str, str]]) -> Path:
    """The export as the centre sends it back: data row n → (host, verdict) written in."""
    rows = [["" if c is None else str(c) for c in r] for r in read_sheets(exported)[0].rows]
    host, verdict = rows[0].index(ANSWER_HOST), rows[0].index(ANSWER_VERDICT)
    for n, (name, word) in fill.items():
        rows[n][host], rows[n][verdict] = name, word
    with target.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return target


def test_the_export_lists_the_approved_out_of_region_applicants(
    base_round: api.Round, exported: Path
) -> None:
    rows = read_sheets(exported)[0].rows
    header = [str(c) for c in rows[0]]
    for column in ("拟选培养单位1", "是否接受调剂", "预先接收单位", "备注（预先接收联系人等）",
                   "厅拟安排培养单位", ANSWER_HOST):  # fmt: skip
        assert column in header
    result = api.solve(centre_mode(base_round))
    approved = [
        a.key
        for a, o in zip(base_round.applicants, result.outcomes, strict=True)
        if a.track is Track.OUT and o.status not in (Status.INVALID, Status.INELIGIBLE)
    ]
    keys = [str(r[header.index("来源（文件:行）")]) for r in rows[1:]]
    assert keys == approved
    proposed = {o.key: o.host or "" for o in result.outcomes}
    assert [str(r[header.index("厅拟安排培养单位")] or "") for r in rows[1:]] == [
        proposed[k] for k in keys
    ]


def test_the_import_round_trips_with_the_export(
    base_round: api.Round, exported: Path, tmp_path: Path
) -> None:
    rows = read_sheets(exported)[0].rows
    header = [str(c) for c in rows[0]]
    proposed = header.index("厅拟安排培养单位")
    placed = [n for n in range(1, len(rows)) if rows[n][proposed]]
    fill = {n: (str(rows[n][proposed]), "接收") for n in placed}
    declined = placed[0]
    fill[declined] = ("", "未接收")
    answer = _answer(exported, tmp_path / "answer.csv", fill)
    result = solve_centre(base_round, answer)
    by_key = {o.key: o for o in result.outcomes}
    key_column = header.index("来源（文件:行）")
    for n in placed:
        outcome = by_key[str(rows[n][key_column])]
        if n == declined:
            assert (outcome.status, outcome.reason_code) == (Status.UNMATCHED, CENTRE_DECLINED)
        else:
            assert outcome.status in TRAINEES and outcome.host == rows[n][proposed]
            assert outcome.reason_code == "CENTRE" and "预先接收" not in outcome.reason
    assert result.manifest["centre"]["placed"] == len(placed) - 1
    assert result.manifest["centre"]["declined"] == 1
    # the freed 区外 place of the declined goes to someone of their region, by the policy
    region = next(a.region for a in base_round.applicants if a.key == rows[declined][key_column])
    out_in_region = [
        o
        for a, o in zip(base_round.applicants, result.outcomes, strict=True)
        if a.region == region and a.track is Track.OUT and o.status in TRAINEES
    ]
    assert len(out_in_region) <= base_round.quotas.places(str(region), Track.OUT)


def test_an_empty_answer_changes_nothing(base_round: api.Round, exported: Path) -> None:
    assert read_answer(exported, centre_mode(base_round)) == {}


def test_every_problem_of_the_answer_is_listed_with_its_row(
    base_round: api.Round, exported: Path, tmp_path: Path
) -> None:
    rows = read_sheets(exported)[0].rows
    header = [str(c) for c in rows[0]]
    ident = header.index("身份证号")
    full = next(h for h in base_round.hosts if h.track is Track.OUT and h.capacity == 1)
    fill = {
        1: ("不存在的大学", ""),
        2: ("内蒙古大学", ""),  # a 区内 host
        3: (full.name, ""),
        4: (full.name, ""),
    }
    answer = _answer(exported, tmp_path / "answer.csv", fill)
    text = answer.read_text(encoding="utf-8").replace(str(rows[5][ident]), "150102198503051234")
    lines = text.splitlines()
    cells = next(csv.reader([lines[5]]))
    cells[header.index(ANSWER_HOST)] = full.name
    lines[5] = ",".join(cells)
    answer.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CentreError) as caught:
        read_answer(answer, centre_mode(base_round))
    found = {(i.code, i.row) for i in caught.value.issues}
    assert ("CENTRE_HOST_UNKNOWN", 2) in found
    assert ("CENTRE_HOST_OTHER_TRACK", 3) in found
    assert ("CENTRE_HOST_FULL", 5) in found  # the second at a host of one place
    assert ("CENTRE_PERSON_UNKNOWN", 6) in found
    message = str(caught.value)
    assert "150102198503051234" not in message  # masked


def test_a_region_over_its_quota_is_refused(
    base_round: api.Round, exported: Path, tmp_path: Path
) -> None:
    rows = read_sheets(exported)[0].rows
    header = [str(c) for c in rows[0]]
    region = header.index("选派地区")
    counts: dict[str, list[int]] = {}
    for n in range(1, len(rows)):
        counts.setdefault(str(rows[n][region]), []).append(n)
    name = next(r for r, ns in counts.items() if len(ns) > base_round.quotas.places(r, Track.OUT))
    mine, places = counts[name], base_round.quotas.places(name, Track.OUT)
    hosts = [h.name for h in base_round.hosts if h.track is Track.OUT and h.capacity >= 2]
    fill = {n: (hosts[k % len(hosts)], "") for k, n in enumerate(mine[: places + 1])}
    assert len(fill) == places + 1
    answer = _answer(exported, tmp_path / "answer.csv", fill)
    with pytest.raises(CentreError) as caught:
        read_answer(answer, centre_mode(base_round))
    codes = [(i.code, i.row) for i in caught.value.issues]
    assert ("CENTRE_QUOTA_FULL", mine[places] + 1) in codes


def test_centre_mode_keeps_the_other_choices_of_an_unknown_host(base_round: api.Round) -> None:
    person = next(
        a
        for a in base_round.applicants
        if any(p.code == "HOST_UNKNOWN" for p in a.problems) and a.track is Track.OUT
    )
    assert person.invalid
    softened = centre_mode(base_round)
    again = next(a for a in softened.applicants if a.key == person.key)
    only_unknown = all(
        p.code == "HOST_UNKNOWN" or p.severity.value == "warning" for p in person.problems
    )
    assert again.invalid is (not only_unknown)
    rows = export_rows(api.solve(softened))
    mine = [r for r in rows if r["key"] == person.key]
    assert mine and "中国农业大字" in (
        mine[0]["choice_1"],
        mine[0]["choice_2"],
        mine[0]["choice_3"],
    )
