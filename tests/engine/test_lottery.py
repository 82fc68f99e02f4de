"""The lottery: each draw depends only on the seed and that applicant (contract)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.engine.encode import encode
from matcher.engine.judge import judge
from matcher.engine.lottery import (
    draw,
    draw_text,
    draws,
    identities_of,
    identity,
    priority_order,
)
from matcher.ingest.load import load_round
from matcher.model import Applicant, Applicants, Issue, Severity
from tests.strategies import CI


@pytest.fixture(scope="module")
def sample():
    return load_round()


def _draws_by_key(round_) -> dict[str, int]:
    encoding = encode(round_, judge(round_))
    return dict(zip((a.key for a in round_.applicants), encoding.draws.tolist(), strict=True))


def test_a_draw_is_the_published_formula(sample) -> None:
    applicant = next(a for a in sample.applicants if a.id_number and not a.invalid)
    assert identity(applicant) == applicant.id_number
    digest = hashlib.blake2b(applicant.id_number.encode(), key=b"2023", digest_size=8)
    assert draw_text(draw(2023, applicant.id_number)) == digest.hexdigest()
    assert _draws_by_key(sample)[applicant.key] == int(digest.hexdigest(), 16)


def test_without_a_valid_id_the_row_key_is_drawn(sample) -> None:
    broken = next(a for a in sample.applicants if any(p.code == "ID_CHECKSUM" for p in a.problems))
    assert identity(broken) == broken.key


@settings(CI, max_examples=15)
@given(data=st.data())
def test_removing_or_reordering_anyone_changes_no_other_draw(sample, data) -> None:
    applicants = list(sample.applicants)
    gone = data.draw(st.integers(0, len(applicants) - 1))
    seed = data.draw(st.integers(0, 10**9))
    base = sample.model_copy(update={"policy": sample.policy.model_copy(update={"seed": seed})})
    before = _draws_by_key(base)
    rest = applicants[:gone] + applicants[gone + 1 :]
    shuffled = data.draw(st.permutations(rest))
    after = _draws_by_key(base.model_copy(update={"applicants": tuple(shuffled)}))
    assert after == {k: v for k, v in before.items() if k != applicants[gone].key}


def test_the_priority_order_is_priority_then_score_then_draw() -> None:
    drawn = draws(7, ["c", "a", "b", "d", "e"])
    priority = np.array([False, True, False, False, False])
    score = np.array([50.0, 10.0, 90.0, np.nan, 90.0])
    order = priority_order(priority, score, drawn)
    ranking = list(np.argsort(order))
    assert ranking[0] == 1  # the priority applicant, whatever their score
    assert set(ranking[1:3]) == {2, 4}  # the two 90s, by their draws
    assert ranking[1:3] == sorted([2, 4], key=lambda i: int(drawn[i]))
    assert ranking[3:] == [0, 3]  # then 50, then no score


def test_the_draw_and_position_are_shown_in_the_outputs(sample, tmp_path) -> None:
    import csv

    import openpyxl

    from matcher.engine.pipeline import solve_round
    from matcher.report.write import write_outputs

    out = tmp_path / "out"
    write_outputs(solve_round(sample), out)
    with open(out / "placements.csv", encoding="utf-8-sig") as handle:
        rows = {r["id_number"]: r for r in csv.DictReader(handle) if r["status"] == "placed"}
    sheet = openpyxl.load_workbook(out / "placements.xlsx", read_only=True)["区外培养"]
    values = list(sheet.iter_rows(values_only=True))
    header = list(values[0])
    shown = [dict(zip(header, v, strict=True)) for v in values[1:]]
    compared = [row for row in shown if row["身份证号"] in rows]
    assert len(compared) >= 30  # the 区外 trainees placed at a choice
    for row in compared:
        placed = rows[row["身份证号"]]
        assert row["抽签签号"] == placed["draw"] and len(placed["draw"]) == 16
        assert str(row["优先序"]) == placed["priority_position"]


_IDS = st.sampled_from(
    [
        None,
        "",
        "150102199001011234",
        "15010219900101123X",
        "15010219900101123x",
        "1501",
        "ａ",
        "１５０１０２１９９００１０１１２３４",
        "150102199001011234\n",
        "15010219900101123²",
    ]
)
_PROBLEMS = st.sampled_from(
    [
        (),
        (Issue(file="f", code="ID_CHECKSUM", severity=Severity.ERROR, message="m"),),
        (Issue(file="f", code="ID_CHECKSUM", severity=Severity.WARNING, message="m"),),
        (Issue(file="f", code="PHONE", severity=Severity.ERROR, message="m"),),
    ]
)


@settings(CI)
@given(st.lists(st.tuples(_IDS, _PROBLEMS), max_size=20))
def test_the_identities_of_columns_are_each_rows_identity(rows) -> None:
    table = Applicants.from_rows(
        Applicant(key=f"f:{k}", source_file="f", source_row=k, id_number=number, problems=found)
        for k, (number, found) in enumerate(rows)
    )
    expected = [identity(a) for a in table]
    got = identities_of(table.field("id_number"), table.column("key"), table.field("problems"))
    assert got == expected


def test_the_identities_of_the_sample_round_are_each_rows_identity(sample) -> None:
    table = sample.applicants
    got = identities_of(table.field("id_number"), table.column("key"), table.field("problems"))
    assert got == [identity(a) for a in table]
    assert draws(2023, got).tolist() == [draw(2023, who) for who in got]
