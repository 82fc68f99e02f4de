"""补录: nobody published moves; the freed places go to the unplaced; errors name people."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher import api
from matcher.after.backfill import (
    WITHDRAWN,
    BackfillError,
    backfill,
    published_from,
    published_outcomes,
    published_round,
    read_published,
)
from matcher.model import Status, Track
from matcher.paths import sample_round_dir
from matcher.whatif.fixed import TRAINEES
from tests.strategies import CI


@pytest.fixture(scope="module")
def sample() -> api.RunResult:
    return api.solve(api.load())


@pytest.fixture(scope="module")
def published(sample: api.RunResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("published") / "run"
    api.write_outputs(sample, folder)
    return folder


def _trainees(result: api.RunResult) -> list[str]:
    return [o.key for o in result.outcomes if o.status in TRAINEES]


@settings(CI, max_examples=40)  # each example solves the sample round
@given(data=st.data())
def test_no_published_placement_changes_and_newcomers_were_unplaced(
    sample: api.RunResult, data: st.DataObject
) -> None:
    placed = _trainees(sample)
    gone = data.draw(st.lists(st.sampled_from(placed), min_size=1, max_size=6, unique=True))
    source = published_from(sample)
    round_ = published_round(source)
    done = backfill(round_, source, gone)
    before = {o.key: o for o in sample.outcomes}
    after = {o.key: o for o in done.result.outcomes}
    assert list(after) == [a.key for a in sample.round.applicants]
    for key, old in before.items():
        new = after[key]
        if key in gone:
            assert (new.status, new.reason_code) == (Status.UNMATCHED, WITHDRAWN)
        elif old.status in TRAINEES:  # exactly as published
            assert new == old
        elif new.status in TRAINEES:  # a newcomer: unplaced before, not ineligible/invalid
            assert old.status is Status.UNMATCHED
    newcomers = [
        k for k in after if after[k].status in TRAINEES and before[k].status not in TRAINEES
    ]
    assert sorted(newcomers) == sorted(
        f"{f}:{r}"
        for f, r in zip(done.gained["source_file"], done.gained["source_row"], strict=True)
    )
    assert len(newcomers) <= len(gone)  # no place is made up
    assert done.result.solver.verification["ok"]


def test_freed_places_are_filled_when_someone_can_take_them(sample: api.RunResult) -> None:
    # On the sample round every quota is full: a newcomer can only take a freed quota
    # place of their own region and track, and many wait, so some place is taken.
    placed = _trainees(sample)
    gone = [placed[0], placed[10], placed[40]]
    source = published_from(sample)
    done = backfill(published_round(source), source, gone)
    assert 1 <= len(done.gained) <= 3
    people = {a.key: a for a in sample.round.applicants}
    freed = [(people[k].region, people[k].track.value) for k in gone]  # type: ignore[union-attr]
    for pair in zip(done.gained["region"], done.gained["track"], strict=True):
        assert pair in freed
        freed.remove(pair)


def test_withdrawn_never_placed_is_an_error_naming_them(sample: api.RunResult) -> None:
    source = published_from(sample)
    round_ = published_round(source)
    person = next(
        a
        for a, o in zip(sample.round.applicants, sample.outcomes, strict=True)
        if o.status is Status.UNMATCHED and a.id_number
    )
    with pytest.raises(BackfillError) as caught:
        backfill(round_, source, [person.id_number or ""])
    message = str(caught.value)
    assert person.name in message and "未被录取" in message
    assert person.id_number not in message  # masked
    assert person.id_number[:4] + "**********" + person.id_number[-4:] in message
    with pytest.raises(BackfillError, match="找不到退出者"):
        backfill(round_, source, ["150102198503051234"])


def test_changed_input_is_refused(published: Path, tmp_path: Path) -> None:
    copy = tmp_path / "round"
    shutil.copytree(sample_round_dir(), copy)
    victim = sorted(copy.glob("*.xlsx"))[0]
    victim.write_bytes(victim.read_bytes() + b"\0")
    with pytest.raises(BackfillError, match=f"{victim.name}.*与发布时不同"):
        api.backfill(published, ["x"], applicants=[copy])
    with pytest.raises(BackfillError, match=r"未给出|不在已发布结果的输入中"):
        api.backfill(published, ["x"], applicants=[sorted(sample_round_dir().glob("*.xlsx"))[0]])


def test_a_third_round_reads_the_second_and_keeps_its_withdrawn(
    published: Path, tmp_path: Path
) -> None:
    source = read_published(published)
    placed = [
        f"{r['source_file']}:{r['source_row']}"
        for r in source.rows.to_dict("records")
        if r["status"] in ("placed", "adjusted")
    ]
    second = api.backfill(source, [placed[0]])
    out2 = tmp_path / "r2"
    paths = api.write_backfill(second, source, out2)
    assert {p.name for p in paths} >= {"backfill.csv", "withdrawn.csv", "backfill.xlsx"}
    newcomer = f"{second.gained['source_file'][0]}:{second.gained['source_row'][0]}"
    by_host = list((out2 / "backfill_notices" / "按培养单位").glob("*.csv"))
    assert [p.stem for p in by_host] == [second.gained["host"][0]]  # newcomers only
    source2 = read_published(out2)
    assert source2.round_number == 2
    with pytest.raises(BackfillError, match="已在此前的补录中退出"):
        api.backfill(source2, [placed[0]])
    third = api.backfill(source2, [newcomer])
    assert third.round_number == 3
    kept = published_outcomes(published_round(source2), source2)
    after = {o.key: o for o in third.result.outcomes}
    assert after[placed[0]].reason_code == WITHDRAWN  # withdrawn in round 2 stays out
    for key, old in kept.items():
        if old.status in TRAINEES and key != newcomer:
            assert after[key] == old
    document = third.result.manifest["backfill"]
    assert [w["round"] for w in document["withdrawn"]] == [2, 3]


def test_the_published_folder_is_only_read(published: Path) -> None:
    source = read_published(published)
    placed = next(
        f"{r['source_file']}:{r['source_row']}"
        for r in source.rows.to_dict("records")
        if r["status"] == "placed"
    )
    done = api.backfill(source, [placed])
    before = {p: p.stat().st_mtime_ns for p in published.rglob("*")}
    for target in (published, published / "sub"):
        with pytest.raises(BackfillError, match="只读"):
            api.write_backfill(done, source, target, force=True)
    assert {p: p.stat().st_mtime_ns for p in published.rglob("*")} == before


def test_same_backfill_gives_identical_files(published: Path, tmp_path: Path) -> None:
    source = read_published(published)
    placed = [
        f"{r['source_file']}:{r['source_row']}"
        for r in source.rows.to_dict("records")
        if r["status"] == "placed"
    ][:2]
    for name in ("a", "b"):
        api.write_backfill(api.backfill(source, placed), source, tmp_path / name)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.*"))
    for relative in files:
        assert (tmp_path / "a" / relative).read_bytes() == (tmp_path / "b" / relative).read_bytes()
    data = json.loads((tmp_path / "a" / "result.json").read_text(encoding="utf-8"))
    assert data["manifest"]["backfill"]["round"] == 2


def test_a_withdrawn_list_as_a_workbook(published: Path, tmp_path: Path) -> None:
    import xlsxwriter

    source = read_published(published)
    placed = [r for r in source.rows.to_dict("records") if r["status"] == "placed"][:2]
    listing = tmp_path / "退出名单.xlsx"
    book = xlsxwriter.Workbook(str(listing))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["身份证号", "姓名"])
    for n, row in enumerate(placed, start=1):
        sheet.write_string(n, 0, row["id_number"])
        sheet.write_string(n, 1, row["name"])
    book.close()
    done = api.backfill(source, [str(listing)])
    assert sorted(done.withdrawn["name"]) == sorted(r["name"] for r in placed)


def test_a_damaged_published_table_is_refused_not_a_traceback(
    published: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "damaged"
    shutil.copytree(published, copy)
    table = copy / "placements.csv"
    text = table.read_text(encoding="utf-8-sig")
    table.write_text(text.replace(",placed,", ",录取,", 1), encoding="utf-8-sig")
    with pytest.raises(BackfillError, match="status"):
        api.backfill(copy, ["x"])
    (copy / "result.json").write_text("[]", encoding="utf-8")
    with pytest.raises(BackfillError, match="manifest"):
        read_published(copy)


def test_the_published_capacities_and_quotas_carry_over(sample: api.RunResult) -> None:
    changed = api.with_quota(
        api.with_capacity(sample.round, "内蒙古大学", add=2), "赤峰市", "区外", add=1
    )
    source = published_from(api.solve(changed))
    again = published_round(source)
    assert again.catalogue.resolve("内蒙古大学").capacity == (  # type: ignore[union-attr]
        sample.round.catalogue.resolve("内蒙古大学").capacity + 2  # type: ignore[union-attr]
    )
    assert (
        again.quotas.places("赤峰市", Track.OUT)
        == sample.round.quotas.places("赤峰市", Track.OUT) + 1
    )


def test_decisions_of_the_published_run_stay_decided(sample: api.RunResult) -> None:
    from matcher.whatif.overrides import Override

    placed = _trainees(sample)
    excluded = Override(kind="exclude", applicant=placed[1], reason="材料不实", decided_by="专技处")
    decided = api.solve_with_overrides(sample.round, [excluded])
    source = published_from(decided)
    done = backfill(published_round(source), source, [placed[0]])
    after = {o.key: o for o in done.result.outcomes}
    assert after[placed[1]].reason_code == "OVERRIDE_EXCLUDE"  # not a newcomer of the 补录
    assert placed[1] not in set(
        done.gained["source_file"] + ":" + done.gained["source_row"].astype(str)
    )
