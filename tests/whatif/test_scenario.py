"""Scenario files: overrides change the round as written; mistakes name key and line."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from matcher.engine.pipeline import solve_round
from matcher.engine.rules import age_on
from matcher.ingest.load import load_round
from matcher.model import (
    STAGES,
    Applicant,
    Education,
    Host,
    HostCatalogue,
    Quota,
    QuotaTable,
    Round,
    Status,
    TitleGrade,
    Track,
)
from matcher.paths import data_dir
from matcher.whatif.changes import (
    OverrideError,
    move_quota,
    with_capacity,
    with_pins,
    with_quota,
    without_applicants,
)
from matcher.whatif.scenario import build_round, run_scenario
from matcher.whatif.scenario_file import ScenarioError, key_line, load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
FILE = "tiny.csv"


def applicant(
    row: int, track: Track, region: str, choices: tuple[str, ...], **kw: object
) -> Applicant:
    values: dict[str, object] = dict(
        key=f"{FILE}:{row}",
        source_file=FILE,
        source_row=row,
        name=f"人{row}",
        ethnicity="蒙古族",
        birth=date(1990, 1, 1),
        work_start=date(2012, 7, 1),
        field="教育",
        education=Education.MASTER,
        title_grade=TitleGrade.ASSOCIATE_SENIOR,
        id_number=f"15010219900101{row:04d}",
        region=region,
        track=track,
        choices=choices,
    )
    values.update(kw)
    return Applicant(**values)  # type: ignore[arg-type]


def tiny_round() -> Round:
    """区内: 甲 (cap 1) wanted by 4 of 呼和浩特市 and 1 of 兴安盟; 乙 (cap 2) by 1.

    区外: 丙 (cap 2) wanted by 2 of 兴安盟 (quota 1); 呼和浩特市 has 1 unused 区外 place.
    """
    inn, out = Track.IN, Track.OUT
    hosts = (
        Host(name="甲大学", track=inn, capacity=1, fields=("教育",), aliases=("甲大",)),
        Host(name="乙医院", track=inn, capacity=2, fields=("医疗卫生",)),
        Host(name="丙大学", track=out, capacity=2, fields=("教育",)),
    )
    quotas = (
        Quota(region="呼和浩特市", track=out, places=1),
        Quota(region="呼和浩特市", track=inn, places=4),
        Quota(region="兴安盟", track=out, places=1),
        Quota(region="兴安盟", track=inn, places=2),
    )
    people = [applicant(r, inn, "呼和浩特市", ("甲大学",)) for r in (2, 3, 4, 5)]
    people.append(applicant(6, inn, "兴安盟", ("甲大学",)))
    people.append(applicant(7, inn, "呼和浩特市", ("乙医院",), field="医疗卫生"))
    people += [applicant(r, out, "兴安盟", ("丙大学",)) for r in (8, 9)]
    people.append(applicant(10, inn, "兴安盟", ("甲大学",), birth=date(1980, 1, 1)))
    return Round(
        applicants=tuple(people),
        catalogue=HostCatalogue(hosts=hosts),
        quotas=QuotaTable(quotas=quotas),
    )


def trainees_at(result, host: str) -> int:
    return sum(
        o.host == host for o in result.outcomes if o.status in (Status.PLACED, Status.ADJUSTED)
    )


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ overrides change the result


def test_capacity_add_places_exactly_the_demand_that_fits(tmp_path):
    base = tiny_round()
    path = write(tmp_path, '[capacity.add]\n"甲大" = 3\n')
    changed = build_round(load_scenario(path), base)
    assert changed.catalogue.resolve("甲大学").capacity == 4
    # independent: 甲 is wanted by 5 eligible people (row 10 is over age); quota is not binding
    eligible_demand = sum(
        1
        for a in base.applicants
        if a.choices == ("甲大学",) and age_on(a.birth, base.rules.reference_date) <= 35
    )
    assert trainees_at(solve_round(base), "甲大学") == 1
    assert trainees_at(solve_round(changed), "甲大学") == min(4, eligible_demand)


def test_quota_set_and_move(tmp_path):
    base = tiny_round()
    assert trainees_at(solve_round(base), "丙大学") == 1  # 兴安盟 区外 quota 1 binds
    path = write(tmp_path, '[[quotas.move]]\nfrom = "呼和浩特市"\nto = "兴安盟"\ntrack = "区外"\n')
    moved = build_round(load_scenario(path), base)  # places = "unused": 呼和浩特市 uses none
    assert moved.quotas.places("兴安盟", Track.OUT) == 2
    assert moved.quotas.places("呼和浩特市", Track.OUT) == 0
    assert moved.quotas.total(Track.OUT) == base.quotas.total(Track.OUT)
    assert trainees_at(solve_round(moved), "丙大学") == 2
    path = write(tmp_path, '[quotas.set]\n"兴安盟" = { "区内" = 0 }\n', "t.toml")
    closed = solve_round(build_round(load_scenario(path), base))
    assert not any(
        o.status is Status.PLACED and a.region == "兴安盟" and a.track is Track.IN
        for a, o in zip(closed.round.applicants, closed.outcomes, strict=True)
    )


def test_rules_policy_exclude_and_pin(tmp_path):
    base = tiny_round()
    path = write(
        tmp_path,
        "\n".join(
            [
                "[rules]",
                'age_limit = { "区外" = 45, "区内" = 30 }',
                "[policy]",
                'mechanism = "stable"',
                "seed = 11",
                "[applicants]",
                f'exclude = ["{FILE}:2", "150102199001010003"]',
                f'pin = {{ "{FILE}:4" = "乙医院" }}',
            ]
        ),
    )
    changed = build_round(load_scenario(path), base)
    assert changed.policy.mechanism == "stable" and changed.policy.seed == 11
    keys = [a.key for a in changed.applicants]
    assert (
        f"{FILE}:2" not in keys
        and f"{FILE}:3" not in keys
        and len(keys) == len(base.applicants) - 2
    )
    result = solve_round(changed)
    by_key = dict(zip(keys, result.outcomes, strict=True))
    # independent: aged over 30 on the reference date → ineligible on 区内
    for a in changed.applicants:
        over = a.track is Track.IN and age_on(a.birth, changed.rules.reference_date) > 30
        assert (by_key[a.key].status is Status.INELIGIBLE) == over
    assert all(
        by_key[a.key].status is Status.INELIGIBLE for a in changed.applicants if a.track is Track.IN
    )


def test_pin_places_the_applicant_at_the_host():
    pinned = with_pins(tiny_round(), {f"{FILE}:7": "甲大"})
    assert next(a for a in pinned.applicants if a.key == f"{FILE}:7").prearranged == "甲大学"
    result = solve_round(pinned)
    outcome = next(o for o in result.outcomes if o.key == f"{FILE}:7")
    assert outcome.host == "甲大学" and outcome.status is Status.PLACED


def test_round_functions_reject_what_does_not_fit():
    base = tiny_round()
    with pytest.raises(OverrideError, match="不在培养单位名录"):
        with_capacity(base, "没有这个单位", add=1)
    with pytest.raises(OverrideError, match="不能小于0"):
        with_capacity(base, "甲大学", add=-5)
    with pytest.raises(OverrideError, match="名额分配表"):
        with_quota(base, "火星", Track.IN, add=1)
    with pytest.raises(OverrideError, match="不能调出"):
        move_quota(base, "兴安盟", "呼和浩特市", Track.OUT, places=3)
    with pytest.raises(OverrideError, match="找不到申请人"):
        without_applicants(base, ["nobody.csv:99"])
    with pytest.raises(OverrideError, match="培养方式不符"):
        with_pins(base, {f"{FILE}:2": "丙大学"})


def test_paths_are_relative_to_the_scenario_file(tmp_path):
    folder = tmp_path / "deep"
    folder.mkdir()
    shutil.copy(data_dir() / "hosts-2023.csv", tmp_path / "my-hosts.csv")
    path = write(folder, '[base]\nhosts = "../my-hosts.csv"\n[capacity.set]\n"内蒙古大学" = 9\n')
    round_ = build_round(path)
    assert round_.catalogue.resolve("内蒙古大学").capacity == 9
    assert any(f.path == "my-hosts.csv" for f in round_.inputs)


# ------------------------------------------------------------------ the bundled scenarios


def test_bundled_scenarios_load_and_differ_from_the_baseline_as_described():
    baseline = load_scenario(SCENARIOS / "2023-baseline.toml")
    base_round = build_round(baseline)
    sample = load_round()
    assert len(base_round.applicants) == len(sample.applicants)
    for path in sorted(SCENARIOS.glob("*.toml")):
        scenario = load_scenario(path)
        assert scenario.spec.description, path.name
    imu = build_round(SCENARIOS / "2023-imu-plus-2.toml", base_round)
    assert imu.catalogue.resolve("内蒙古大学").capacity == (
        base_round.catalogue.resolve("内蒙古大学").capacity + 2
    )
    moved = build_round(SCENARIOS / "2023-alxa-2-to-chifeng.toml", base_round)
    for region, delta in (("阿拉善盟", -2), ("赤峰市", 2)):
        assert (
            moved.quotas.places(region, Track.OUT)
            == base_round.quotas.places(region, Track.OUT) + delta
        )
    assert build_round(SCENARIOS / "2023-stable.toml", base_round).policy.mechanism == "stable"
    assert build_round(SCENARIOS / "2023-seed-7.toml", base_round).policy.seed == 7
    first = build_round(SCENARIOS / "2023-priority-first.toml", base_round).policy.objective
    assert first[:2] == ("priority_placed_at_choice", "placed_at_choice")
    assert sorted(first) == sorted(base_round.policy.objective) and first[2:] == STAGES[2:]
    joint = build_round(SCENARIOS / "2023-joint.toml", base_round).policy
    assert joint.joint and not base_round.policy.joint


def test_moving_two_places_moves_placements_in_that_direction():
    base = solve_round(load_round())
    moved = run_scenario(SCENARIOS / "2023-alxa-2-to-chifeng.toml", base.round)

    def filled(result, region):
        return sum(
            o.status in (Status.PLACED, Status.ADJUSTED)
            and a.region == region
            and a.track is Track.OUT
            for a, o in zip(result.round.applicants, result.outcomes, strict=True)
        )

    def eligible(result, region):
        return sum(
            o.status not in (Status.INVALID, Status.INELIGIBLE)
            and a.region == region
            and a.track is Track.OUT
            for a, o in zip(result.round.applicants, result.outcomes, strict=True)
        )

    assert filled(moved, "阿拉善盟") <= moved.round.quotas.places("阿拉善盟", Track.OUT)
    assert filled(moved, "赤峰市") >= filled(base, "赤峰市")
    assert filled(moved, "赤峰市") <= min(
        eligible(base, "赤峰市"), base.round.quotas.places("赤峰市", Track.OUT) + 2
    )


# ------------------------------------------------------------------ errors name key and line


@pytest.mark.parametrize(
    ("text", "key", "line", "words"),
    [
        (
            'name = "x"\n\n[capacity.add]\n"内蒙古大学" = 1\n"不存在大学" = 2\n',
            "capacity.add.不存在大学",
            5,
            "不在培养单位名录",
        ),
        ('[quotas.set]\n"火星" = { "区外" = 1 }\n', "quotas.set.火星.区外", 2, "名额分配表"),
        ('[policy]\nmechanism = "optimal"\nseed = "seven"\n', "policy.seed", 3, "取值不合法"),
        ('[policy]\nmechanism = "magic"\n', "policy.mechanism", 2, "取值不合法"),
        ("[capacty]\nadd = 1\n", "capacty", 1, "未知的键"),
        ('[rules]\nage_limit = { "区外" = "old" }\n', "rules.age_limit.区外", 2, "取值不合法"),
        ("[rules]\nmax_age = 3\n", "rules.max_age", 2, "未知的键"),
        (
            '[[quotas.move]]\nfrom = "赤峰市"\nto = "兴安盟"\ntrack = "区外"\nplaces = 2\n\n'
            '[[quotas.move]]\nfrom = "赤峰市"\nto = "兴安盟"\ntrack = "区外"\nplaces = 9\n',
            "quotas.move.1",
            7,
            "不能调出",
        ),
        ('[applicants]\nexclude = ["x.csv:3"]\n', "applicants.exclude.0", 2, "找不到申请人"),
        (
            '[applicants]\npin = { "nobody" = "内蒙古大学" }\n',
            "applicants.pin.nobody",
            2,
            "找不到申请人",
        ),
        ('extends = "missing.toml"\n', "extends", 1, "找不到文件"),
        (
            '[policy]\nseed = 1\nobjective = ["placed_at_choice", "priority_order"]\n',
            "policy.objective",
            3,
            "exactly once",
        ),
        (
            '[policy]\nobjective = [\n  "priority_order",\n  "placed_at_choice",\n'
            '  "priority_placed_at_choice",\n  "first_choice",\n  "second_choice",\n'
            '  "adjusted",\n  "priority_adjusted",\n]\n',
            "policy.objective",
            2,
            "tie-break",
        ),
        (
            '[policy]\nmechanism = "stable"\nobjective = ["priority_placed_at_choice", '
            '"placed_at_choice", "first_choice", "second_choice", "adjusted", '
            '"priority_adjusted", "priority_order"]\n',
            "policy",
            1,
            "不支持改变目标阶段顺序",
        ),
    ],
)
def test_errors_name_key_and_line(tmp_path, text, key, line, words):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as caught:
        build_round(load_scenario(path), load_round())
    problem = caught.value.problems[0]
    assert (problem.key, problem.line) == (key, line), str(caught.value)
    assert words in problem.message
    assert f"{path}:{line}:" in str(caught.value)


@pytest.mark.parametrize("line", ["内蒙古大学 = 2", '"赤峰市" = { 区外 = 1 }'])
def test_syntax_error_has_line_and_hint_for_bare_chinese_keys(tmp_path, line):
    path = write(tmp_path, f"[capacity.add]\n{line}\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    problem = caught.value.problems[0]
    assert problem.line == 2 and "双引号" in problem.message


def test_error_in_a_parent_names_the_parent_file(tmp_path):
    write(tmp_path, '[capacity.set]\n"无名大学" = 1\n', "parent.toml")
    child = write(tmp_path, 'extends = "parent.toml"\n', "child.toml")
    with pytest.raises(ScenarioError) as caught:
        build_round(child, load_round())
    assert caught.value.path.name == "parent.toml" and caught.value.problems[0].line == 2


def test_circular_extends(tmp_path):
    write(tmp_path, 'extends = "b.toml"\n', "a.toml")
    write(tmp_path, 'extends = "a.toml"\n', "b.toml")
    with pytest.raises(ScenarioError, match="循环"):
        load_scenario(tmp_path / "a.toml")


def test_key_line_finds_tables_arrays_and_inline_keys():
    text = '# c\n[a]\nx = 1\n[[m]]\ny = 2\n[[m]]\ny = 3\n[q]\n"k" = { 区外 = 1, 区内 = 2 }\n'
    assert key_line(text, ("a", "x")) == 3
    assert key_line(text, ("m", 1, "y")) == 7
    assert key_line(text, ("q", "k", "区内")) == 9
    assert key_line(text, ("a", "zzz")) == 2
    assert key_line(text, ("nothing",)) is None


def test_priority_first_places_at_least_as_many_priority_applicants_at_a_choice():
    base = run_scenario(SCENARIOS / "2023-baseline.toml")
    first = run_scenario(SCENARIOS / "2023-priority-first.toml", base.round)
    order = first.round.policy.objective
    assert [name for s in first.solver.proof["stages"] for name in s["names"]] == list(order)
    assert first.solver.verification["ok"]
    a, b = base.solver.objective, first.solver.objective
    assert b["priority_placed_at_choice"] >= a["priority_placed_at_choice"]
    assert b["placed_at_choice"] <= a["placed_at_choice"]
    # the claimed values agree with the outcomes: priority applicants placed at a choice
    from matcher.engine.rules import is_priority

    def priority_at_choice(result):
        return sum(
            o.status is Status.PLACED
            and o.choice_rank in (1, 2, 3)
            and is_priority(p, result.round.rules)
            for p, o in zip(result.round.applicants, result.outcomes, strict=True)
        )

    assert priority_at_choice(base) == a["priority_placed_at_choice"]
    assert priority_at_choice(first) == b["priority_placed_at_choice"]
