"""Overrides with reasons: recorded, never 预先接收, and their displacement is the difference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from python_calamine import CalamineWorkbook

from matcher import api
from matcher.model import Status
from matcher.whatif.fixed import TRAINEES
from matcher.whatif.overrides import DecisionError, Override
from tests.strategies import CI


@pytest.fixture(scope="module")
def base_round() -> api.Round:
    return api.load()


@pytest.fixture(scope="module")
def plain(base_round: api.Round) -> api.RunResult:
    return api.solve(base_round)


def _pick(plain: api.RunResult, data: st.DataObject) -> Override:
    people = {a.key: a for a in plain.round.applicants}
    kind = data.draw(st.sampled_from(["exclude", "place", "fix"]))
    if kind == "exclude":
        key = data.draw(st.sampled_from([o.key for o in plain.outcomes if o.status in TRAINEES]))
        return Override(kind="exclude", applicant=key, reason="放弃", decided_by="专技处")
    waiting = [o.key for o in plain.outcomes if o.status is Status.UNMATCHED]
    key = data.draw(st.sampled_from(waiting))
    hosts = [h.name for h in plain.round.hosts if h.track is people[key].track and h.capacity]
    host = data.draw(st.sampled_from(hosts))
    return Override(kind=kind, applicant=key, host=host, reason="单位同意", decided_by="处长")


@settings(CI, max_examples=40)  # each example solves the sample round
@given(data=st.data())
def test_displacement_is_the_difference_of_the_two_runs(
    plain: api.RunResult, data: st.DataObject
) -> None:
    override = _pick(plain, data)
    result = api.solve_with_overrides(plain.round, [override])
    (entry,) = result.manifest["overrides"]
    # the run without it is the plain run; the difference is read by `compare`
    changed = api.compare(plain, result).changed
    expected = {
        f"{k}" for k in changed["key_b"] if k != override.applicant
    }  # same rows in both runs: key_b == key_a
    assert {d["key"] for d in entry["displaced"]} == expected
    for d in entry["displaced"]:
        row = changed[changed["key_b"] == d["key"]].iloc[0]
        assert d["change"] == row["change"]
    subject = next(o for o in result.outcomes if o.key == override.applicant)
    assert subject.reason_code.startswith("OVERRIDE_") and override.reason in subject.reason
    if override.kind == "exclude":
        assert subject.status is Status.UNMATCHED
    else:
        assert subject.status in TRAINEES and subject.host == override.host


def test_each_of_several_overrides_is_costed_against_the_others(plain: api.RunResult) -> None:
    trainees = [o.key for o in plain.outcomes if o.status in TRAINEES]
    first = Override(kind="exclude", applicant=trainees[0], reason="材料不实", decided_by="甲")
    second = Override(kind="exclude", applicant=trainees[5], reason="放弃", decided_by="乙")
    both = api.solve_with_overrides(plain.round, [first, second])
    only_second = api.solve_with_overrides(plain.round, [second])
    changed = api.compare(only_second, both).changed
    cost = {d["key"] for d in both.manifest["overrides"][0]["displaced"]}
    assert cost == set(changed["key_b"]) - {trainees[0]}


def test_overrides_are_recorded_and_never_shown_as_prearranged(
    plain: api.RunResult, tmp_path: Path
) -> None:
    people = {a.key: a for a in plain.round.applicants}
    waiting = next(
        o.key for o in plain.outcomes if o.status is Status.UNMATCHED and people[o.key].choices
    )
    outside = next(
        h.name
        for h in plain.round.hosts
        if h.track is people[waiting].track and h.name not in people[waiting].choices
    )
    decision = Override(
        kind="place", applicant=waiting, host=outside, reason="专业对口", decided_by="专技处 张三"
    )
    result = api.solve_with_overrides(plain.round, [decision])
    placed = next(o for o in result.outcomes if o.key == waiting)
    assert placed.status is Status.ADJUSTED and placed.reason_code == "OVERRIDE_PLACE"
    assert "预先接收" not in placed.reason
    api.write_outputs(result, tmp_path / "out")
    document = json.loads((tmp_path / "out" / "result.json").read_text(encoding="utf-8"))
    (entry,) = document["manifest"]["overrides"]
    assert (entry["reason"], entry["decided_by"], entry["host"]) == (
        "专业对口",
        "专技处 张三",
        outside,
    )
    assert people[waiting].id_number not in json.dumps(document, ensure_ascii=False)
    book = CalamineWorkbook.from_path(str(tmp_path / "out" / "placements.xlsx"))
    rows = book.get_sheet_by_name("人工调整记录").to_python()
    assert rows[1][2] == people[waiting].name and rows[1][7] == "专业对口"
    sheet = "区外培养" if people[waiting].track.value == "区外" else "区内培养"  # type: ignore[union-attr]
    track = book.get_sheet_by_name(sheet).to_python()
    mine = [r for r in track if people[waiting].name in r]
    assert mine and not any("预先接收" in str(cell) for cell in mine[0])
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "人工调整记录" in html and "专技处 张三" in html


def test_an_override_needs_a_reason_and_who_decided() -> None:
    with pytest.raises(ValidationError):
        Override(kind="exclude", applicant="a.xlsx:4", reason=" ", decided_by="甲")
    with pytest.raises(ValidationError):
        Override.model_validate({"kind": "exclude", "applicant": "a.xlsx:4", "reason": "放弃"})


def test_impossible_overrides_are_refused_with_the_person(plain: api.RunResult) -> None:
    people = {a.key: a for a in plain.round.applicants}
    ineligible = next(o.key for o in plain.outcomes if o.status is Status.INELIGIBLE)
    host = next(h.name for h in plain.round.hosts if h.track is people[ineligible].track)
    with pytest.raises(DecisionError, match="不符合选派条件"):
        api.solve_with_overrides(
            plain.round,
            [Override(kind="place", applicant=ineligible, host=host, reason="x", decided_by="y")],
        )
    with pytest.raises(DecisionError, match="找不到申请人"):
        api.solve_with_overrides(
            plain.round,
            [Override(kind="exclude", applicant="nobody:1", reason="x", decided_by="y")],
        )
    full = next(h for h in plain.round.hosts if h.capacity == 1)
    waiting = [
        o.key
        for o in plain.outcomes
        if o.status is Status.UNMATCHED and people[o.key].track is full.track
    ][:2]
    from matcher.whatif.fixed import FixedError

    with pytest.raises(FixedError, match="超出接收名额"):
        api.solve_with_overrides(
            plain.round,
            [
                Override(kind="place", applicant=k, host=full.name, reason="x", decided_by="y")
                for k in waiting
            ],
        )


def test_scenario_overrides_run_from_the_command_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from matcher.cli import app

    plain = api.solve(api.load())
    trainee = next(o.key for o in plain.outcomes if o.status in TRAINEES)
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        f'[[overrides]]\nkind = "exclude"\napplicant = "{trainee}"\nreason = "放弃"\n'
        'decided_by = "专技处"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    done = CliRunner().invoke(app, ["run", str(scenario), "--out", str(out), "-q"])
    assert done.exit_code == 1, done.output  # the sample round's input errors
    document = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert document["manifest"]["overrides"][0]["reason"] == "放弃"
    scenario.write_text('[[overrides]]\nkind = "exclude"\napplicant = "x"\n', encoding="utf-8")
    done = CliRunner().invoke(app, ["run", str(scenario), "--out", str(out), "-q"])
    assert done.exit_code == 2 and "overrides" in done.output


def test_compare_shows_what_each_override_displaced(plain: api.RunResult, tmp_path: Path) -> None:
    trainee = next(o.key for o in plain.outcomes if o.status in TRAINEES)
    decision = Override(kind="exclude", applicant=trainee, reason="放弃", decided_by="专技处")
    result = api.solve_with_overrides(plain.round, [decision])
    api.write_outputs(result, tmp_path / "b")
    comparison = api.compare(plain, tmp_path / "b")
    (row,) = comparison.overrides.to_dict("records")
    entry = result.manifest["overrides"][0]
    assert (row["run"], row["reason"], row["displaced_count"]) == (
        "B",
        "放弃",
        len(entry["displaced"]),
    )
    for person in entry["displaced"]:
        assert person["name"] in row["displaced_text"]
    from rich.console import Console

    console = Console(record=True, width=200)
    for part in comparison.render():
        console.print(part)
    assert "人工调整及其影响" in console.export_text()
    comparison.write_csv(tmp_path / "cmp")
    assert (tmp_path / "cmp" / "overrides.csv").is_file()


def test_fix_without_a_host_keeps_the_place_the_run_gives(plain: api.RunResult) -> None:
    trainee = next(o for o in plain.outcomes if o.status is Status.PLACED)
    decision = Override(
        kind="fix", applicant=trainee.key, reason="已与单位确认", decided_by="处务会"
    )
    result = api.solve_with_overrides(plain.round, [decision])
    kept = next(o for o in result.outcomes if o.key == trainee.key)
    assert (kept.host, kept.choice_rank, kept.reason_code) == (
        trainee.host,
        trainee.choice_rank,
        "OVERRIDE_FIX",
    )
    waiting = next(o.key for o in plain.outcomes if o.status is Status.UNMATCHED)
    with pytest.raises(DecisionError, match="无法固定"):
        api.solve_with_overrides(
            plain.round, [Override(kind="fix", applicant=waiting, reason="x", decided_by="y")]
        )


STATUS_WORDS = {Status.PLACED: "已录取", Status.ADJUSTED: "调剂录取", Status.UNMATCHED: "未录取"}


def test_explain_tells_each_outcome_of_the_run_with_the_overrides(plain: api.RunResult) -> None:
    round_ = plain.round
    people = {a.key: a for a in round_.applicants}
    placed = next(o for o in plain.outcomes if o.status is Status.PLACED)
    waiting = next(
        o for o in plain.outcomes if o.status is Status.UNMATCHED and people[o.key].choices
    )
    overrides = [
        Override(kind="exclude", applicant=placed.key, reason="本人放弃", decided_by="专技处"),
        Override(
            kind="place", applicant=waiting.key, host=people[waiting.key].choices[0],
            reason="单位书面同意接收", decided_by="处长",
        ),
    ]  # fmt: skip
    result = api.solve_with_overrides(round_, overrides)
    before = {o.key: o for o in plain.outcomes}
    moved = [
        o for o in result.outcomes
        if o.key not in (placed.key, waiting.key)
        and (o.status, o.host) != (before[o.key].status, before[o.key].host)
    ]  # fmt: skip
    assert moved  # the two decisions move someone else: the case the explanation must follow
    for key, why in ((placed.key, "本人放弃"), (waiting.key, "单位书面同意接收")):
        text = api.explain(round_, key, overrides) or ""
        assert "人工调整" in text.splitlines()[0] and why in text
    for o in moved:
        head = (api.explain(round_, o.key, overrides) or "").splitlines()[0]
        assert STATUS_WORDS[o.status] in head and (o.host or "") in head
        plain_head = (api.explain(round_, o.key) or "").splitlines()[0]
        assert plain_head != head  # the run without the overrides tells another outcome
