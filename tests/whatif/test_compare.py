"""compare(a, b) finds exactly the people whose outcome changed, from results or folders."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from matcher.engine.pipeline import solve_round
from matcher.engine.result import Outcome, RunResult
from matcher.model import Status, Track
from matcher.report.funding import trainee_cost
from matcher.report.write import write_outputs
from matcher.whatif.compare import CompareError, compare, match_rows
from tests.whatif.test_scenario import tiny_round

TRAINEE = (Status.PLACED, Status.ADJUSTED)


@pytest.fixture(scope="module")
def base() -> RunResult:
    return solve_round(tiny_round())


def edited(result: RunResult, changes: dict[str, Outcome]) -> RunResult:
    outcomes = tuple(changes.get(o.key, o) for o in result.outcomes)
    return result.model_copy(update={"outcomes": outcomes})


def test_finds_exactly_the_constructed_movers(base):
    placed = [o for o in base.outcomes if o.status in TRAINEE]
    unplaced = [o for o in base.outcomes if o.status is Status.UNMATCHED]
    mover, loser = placed[0], placed[1]
    gainer = unplaced[0]
    other_host = next(h.name for h in base.round.hosts if h.name != mover.host)
    b = edited(
        base,
        {
            mover.key: mover.model_copy(update={"host": other_host}),
            loser.key: Outcome(key=loser.key, status=Status.UNMATCHED, reason_code="X"),
            gainer.key: Outcome(key=gainer.key, status=Status.ADJUSTED, host=other_host),
        },
    )
    c = compare(base, b)
    changed = dict(zip(c.changed["key_a"], c.changed["change"], strict=True))
    assert changed == {mover.key: "moved", loser.key: "lost", gainer.key: "gained"}
    assert c.counts["same"] == len(base.outcomes) - 3
    hosts = c.by_host.set_index("host")
    expected = 2 - (loser.host == other_host)
    assert hosts.loc[other_host, "delta"] == expected and hosts.loc[other_host, "moved_in"] == 1
    assert hosts.loc[mover.host, "moved_out"] == 1
    assert int(c.by_region["delta"].sum()) == 0 and int(c.by_track["delta"].sum()) == 0


def test_funding_and_region_deltas_are_recomputed_independently(base):
    placed = [o for o in base.outcomes if o.status in TRAINEE]
    b = edited(base, {o.key: Outcome(key=o.key, status=Status.UNMATCHED) for o in placed[:2]})
    c = compare(base, b)
    track_of = {a.key: a.track for a in base.round.applicants}
    lost = sum(trainee_cost(track_of[o.key])["total"] for o in placed[:2])
    total = c.funding.set_index("track").loc["合计"]
    assert int(total["delta"]) == -lost
    region_of = {a.key: (a.region, a.track.value) for a in base.round.applicants}
    expected = pd.Series([region_of[o.key] for o in placed[:2]]).value_counts()
    got = c.by_region.set_index(["region", "track"])["delta"]
    for pair, count in expected.items():
        assert got.loc[pair] == -count
    assert int(c.by_priority["delta"].sum()) == -2


def test_people_are_matched_by_id_when_rows_move(base):
    rows = base.round.applicants
    renamed = tuple(
        a.model_copy(
            update={
                "key": f"other.csv:{a.source_row + 10}",
                "source_file": "other.csv",
                "source_row": a.source_row + 10,
            }
        )
        for a in reversed(rows)
    )
    outcomes = {o.key: o for o in base.outcomes}
    moved_outcomes = tuple(
        outcomes[a.key].model_copy(update={"key": r.key})
        for a, r in zip(reversed(rows), renamed, strict=True)
    )
    b = base.model_copy(
        update={
            "round": base.round.model_copy(update={"applicants": renamed}),
            "outcomes": moved_outcomes,
        }
    )
    c = compare(base, b)
    assert set(c.people["match"]) == {"id"} and c.counts["same"] == len(rows)


def test_rows_without_a_partner_are_reported():
    a = pd.DataFrame({"key": ["f:2", "f:3"], "id_number": ["", "X1"]})
    b = pd.DataFrame({"key": ["f:3", "f:9"], "id_number": ["", "X1"]})
    pairs = match_rows(a, b)
    assert (1, 1, "id") in pairs and (0, None, "") in pairs and (None, 0, "") in pairs
    assert len(pairs) == 3
    other = pd.DataFrame({"key": ["f:2"], "id_number": ["X2"]})
    same_row = pd.DataFrame({"key": ["f:2"], "id_number": ["X3"]})
    assert match_rows(other, same_row) == [(0, None, ""), (None, 0, "")]


def test_run_folder_round_trip_and_writers(base, tmp_path):
    write_outputs(base, tmp_path / "run")
    c = compare(tmp_path / "run", base)
    assert (
        c.counts["same"] == len(base.outcomes) and c.counts["trainees_a"] == c.counts["trainees_b"]
    )
    assert c.label_a == "run"
    written = c.write_csv(tmp_path / "cmp")
    assert {p.name for p in written} >= {"people.csv", "by_region.csv", "funding.csv"}
    assert c.write_xlsx(tmp_path / "cmp.xlsx").stat().st_size > 0
    # the terminal view holds no ID numbers
    from rich.console import Console

    console = Console(record=True, width=200)
    b = edited(
        base,
        {
            o.key: Outcome(key=o.key, status=Status.UNMATCHED)
            for o in base.outcomes
            if o.status in TRAINEE
        },
    )
    for part in compare(base, b).render():
        console.print(part)
    text = console.export_text()
    assert "人2" in text or "人" in text
    assert not any(a.id_number in text for a in base.round.applicants if a.id_number)


def test_bad_inputs_raise_compare_error(tmp_path):
    with pytest.raises(CompareError, match=r"placements\.csv"):
        compare(tmp_path, tmp_path)
    with pytest.raises(CompareError):
        compare(tmp_path / "nothing.txt", tmp_path)


def test_scenario_files_can_be_compared():
    root = Path(__file__).resolve().parents[2] / "scenarios"
    c = compare(root / "2023-baseline.toml", root / "2023-stable.toml")
    assert c.label_b == "平行志愿（stable）"
    moved = c.changed
    assert set(moved["change"]) <= {"gained", "lost", "moved"}
    # every change is consistent with the two runs' own statuses
    for row in moved.to_dict("records"):
        in_a, in_b = (
            row["status_a"] in ("placed", "adjusted"),
            row["status_b"] in ("placed", "adjusted"),
        )
        assert (row["change"] == "gained") == (in_b and not in_a)
        assert (row["change"] == "lost") == (in_a and not in_b)
    assert Track.OUT.value in set(c.funding["track"])


def test_cli_compare(tmp_path):
    from typer.testing import CliRunner

    from matcher.cli import app

    runner = CliRunner()
    assert "Example:" in runner.invoke(app, ["compare", "--help"]).output
    root = Path(__file__).resolve().parents[2] / "scenarios"
    done = runner.invoke(
        app,
        [
            "compare",
            str(root / "2023-baseline.toml"),
            str(root / "2023-seed-7.toml"),
            "--out",
            str(tmp_path / "c"),
        ],
    )
    assert done.exit_code == 0, done.output
    assert (tmp_path / "c" / "compare.xlsx").is_file()
    bad = tmp_path / "bad.toml"
    bad.write_text("[policy]\nseed = 'x'\n", encoding="utf-8")
    done = runner.invoke(app, ["compare", str(bad), str(root / "2023-seed-7.toml")])
    assert done.exit_code == 2 and "policy.seed" in done.output and "Traceback" not in done.output


def test_why_names_the_reason_of_the_run_without_a_place():
    from matcher.whatif.compare import why

    lost = {"change": "lost", "reason_a": "", "reason_b": "赤峰市区外名额（2个）已用完"}
    gained = {"change": "gained", "reason_a": "志愿单位已满", "reason_b": ""}
    moved = {"change": "moved", "rank_a": 2, "rank_b": 1, "reason_a": "", "reason_b": ""}
    assert why(lost) == "B：赤峰市区外名额（2个）已用完"
    assert why(gained) == "A 中未录取：志愿单位已满"
    assert why(moved) == "志愿2 → 志愿1"
