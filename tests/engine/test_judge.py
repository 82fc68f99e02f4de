"""`judge`: the rule decisions of a round, before and apart from the encoder.

The judgement judges each distinct set of eligibility facts once; these tests hold it to
the row-by-row `exclusion`, to the outcomes a run reports, and keep the encoder free of
rule decisions.
"""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matcher.engine.encode
from matcher.engine.judge import MAX_CHOICES, exclusion, judge
from matcher.engine.pipeline import solve_round
from matcher.engine.rules import lenient_notes
from matcher.ingest.load import load_round
from matcher.model import (
    Applicant,
    Education,
    Host,
    HostCatalogue,
    Issue,
    Quota,
    QuotaTable,
    Round,
    Rules,
    Severity,
    Status,
    TitleGrade,
    Track,
)

HOSTS = (
    Host(name="甲大学", track=Track.OUT, capacity=1, fields=("教育",), aliases=("甲大",)),
    Host(name="乙医院", track=Track.OUT, capacity=2, fields=("医疗卫生",)),
    Host(name="丙学院", track=Track.IN, capacity=1, fields=("教育",)),
)
REGIONS = ("呼和浩特市", "包头市", "区直")
QUOTAS = tuple(Quota(region=r, track=t, places=2) for r in REGIONS[:2] for t in Track)
# shared objects, as a large round repeats them (the judgement compares facts by identity)
BIRTHS = (date(1970, 5, 1), date(1977, 3, 1), date(1987, 3, 1), date(1990, 12, 1), None)
STARTS = (date(2000, 1, 1), date(2015, 3, 1), date(2018, 7, 1), None)
WRITTEN_HOSTS = ("甲大学", "甲大", "乙医院", "丙学院", "无名大学")
ERROR = Issue(file="a.csv", row=2, code="BAD_ID", severity=Severity.ERROR, message="身份证号有误")


@st.composite
def applicants(draw: st.DrawFn, row: int) -> Applicant:
    """One applicant of generated facts, some read two ways (a date known to the month)."""
    return Applicant(
        key=f"a.csv:{row}",
        source_file="a.csv",
        source_row=row,
        ethnicity=draw(st.sampled_from(("蒙古族", "汉族", None))),
        birth=draw(st.sampled_from(BIRTHS) | st.dates(date(1960, 1, 1), date(2000, 1, 1))),
        birth_exact=draw(st.booleans()),
        work_start=draw(st.sampled_from(STARTS)),
        work_start_exact=draw(st.booleans()),
        education=draw(st.sampled_from(list(Education))),
        education_text=draw(st.sampled_from(("本科", "大学本科", None))),  # quoted, not judged
        title=draw(st.sampled_from(("讲师", "副教授", None))),
        title_grade=draw(st.sampled_from(list(TitleGrade))),
        region=draw(st.sampled_from((*REGIONS, None))),
        track=draw(st.sampled_from((Track.OUT, Track.IN, None))),
        choices=tuple(draw(st.lists(st.sampled_from(WRITTEN_HOSTS), max_size=4))),
        accepts_adjustment=draw(st.booleans()),
        grassroots=draw(st.booleans()),
        unit_type=draw(st.sampled_from(("民营企业", "事业单位", None))),
        prearranged=draw(st.sampled_from((None, None, *WRITTEN_HOSTS))),
        health_issue=draw(st.sampled_from((None, False, True))),
        prior_participation=draw(st.sampled_from((None, False, True))),
        problems=draw(st.sampled_from(((), (), (ERROR,)))),
        field="教育",
    )


@st.composite
def rounds(draw: st.DrawFn) -> Round:
    """A small round of generated applicants, under rules that judge every fact.

    Some rows copy another's facts (shared objects, as a large round repeats them) with
    their own texts, choices and pre-arrangement.
    """
    people = [draw(applicants(row)) for row in range(2, draw(st.integers(0, 8)) + 2)]
    for row in range(len(people) + 2, len(people) + 2 + draw(st.integers(0, 8 if people else 0))):
        other = draw(applicants(row))
        copied = other.model_dump(include=_OWN)
        people.append(draw(st.sampled_from(people)).model_copy(update=copied))
    return Round(
        applicants=tuple(people),
        catalogue=HostCatalogue(hosts=HOSTS),
        quotas=QuotaTable(quotas=QUOTAS),
        rules=Rules(exclude_prior_participants=draw(st.booleans())),
    )


_OWN = {"key", "source_row", "education_text", "title", "choices", "prearranged", "unit_type"}


def joined(round_: Round, key: str) -> tuple[Status, str, str]:
    """The status, codes and reason the judgement gives an excluded row, as outcomes say."""
    why = judge(round_).excluded[key]
    codes = "+".join(dict.fromkeys(r.code for r in why.reasons))
    return why.status, codes, "；".join(r.message for r in why.reasons)


def choices_by_hand(round_: Round, applicant: Applicant) -> list[int]:
    """Catalogue positions of the written choices: known, own track, first mention only."""
    names = [h.name for h in round_.catalogue.hosts]
    out, seen = [], set()
    for name in applicant.choices[:MAX_CHOICES]:
        host = round_.catalogue.resolve(name)
        ok = host is not None and host.track is applicant.track and host.name not in seen
        out.append(names.index(host.name) if ok and host else -1)
        if ok and host:
            seen.add(host.name)
    return out + [-1] * (MAX_CHOICES - len(out))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds())
def test_the_judgement_equals_judging_each_row_on_its_own(round_):
    judgement = judge(round_)
    rows = [exclusion(a, round_.rules) for a in round_.applicants]
    assert judgement.member.tolist() == [i for i, why in enumerate(rows) if why is None]
    assert judgement.excluded == {
        a.key: why for a, why in zip(round_.applicants, rows, strict=True) if why is not None
    }
    members = [round_.applicants[i] for i in judgement.member.tolist()]
    assert list(judgement.tracks) == [a.track for a in members]
    assert list(judgement.regions) == [a.region for a in members]
    assert judgement.choices.shape == (len(members), MAX_CHOICES)
    assert judgement.choices.tolist() == [choices_by_hand(round_, a) for a in members]
    notes = lenient_notes(round_.applicants, round_.rules)  # on the eligible rows only
    assert dict(judgement.notes) == {p: note for p, note in notes.items() if rows[p] is None}
    priority = [a.grassroots or round_.rules.is_non_public(a.unit_type) for a in round_.applicants]
    assert judgement.priority.tolist() == priority
    for i, a in enumerate(members):  # a pre-arranged host of the own track is wanted
        host = round_.catalogue.resolve(a.prearranged) if a.prearranged else None
        ok = host is not None and host.track is a.track
        assert (judgement.prearranged[i] >= 0) == ok
        assert (a.key in judgement.conflicts) == (bool(a.prearranged) and not ok)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds())
def test_outcomes_report_the_judgements_reasons_on_generated_rounds(round_):
    result = solve_round(round_)
    excluded = judge(round_).excluded
    for outcome in result.outcomes:
        if outcome.key in excluded:
            status, codes, reason = joined(round_, outcome.key)
            assert (outcome.status, outcome.reason_code, outcome.reason) == (status, codes, reason)
        else:
            assert outcome.status not in (Status.INVALID, Status.INELIGIBLE)


def test_outcomes_report_the_judgements_reasons_on_the_sample_round():
    round_ = load_round()
    judgement = judge(round_)
    result = solve_round(round_)
    seen = {Status.INVALID: 0, Status.INELIGIBLE: 0}
    for outcome in result.outcomes:
        if outcome.key in judgement.excluded:
            status, codes, reason = joined(round_, outcome.key)
            assert (outcome.status, outcome.reason_code, outcome.reason) == (status, codes, reason)
            seen[status] += 1
        else:
            assert outcome.status not in seen
    assert all(seen.values())  # the sample round has rows of both kinds


def test_a_repeated_choice_keeps_its_first_rank_and_the_others_theirs():
    person = Applicant(
        key="a.csv:2",
        source_file="a.csv",
        source_row=2,
        ethnicity="蒙古族",
        birth=date(1985, 1, 1),
        title_grade=TitleGrade.ASSOCIATE_SENIOR,
        region="呼和浩特市",
        track=Track.OUT,
        choices=("甲大", "丙学院", "甲大学", "乙医院"),
    )
    round_ = Round(
        applicants=(person,), catalogue=HostCatalogue(hosts=HOSTS), quotas=QuotaTable(quotas=QUOTAS)
    )
    # 丙学院 is an 区内 host; 甲大学 repeats 甲大; 乙医院 is a 4th choice, not counted
    assert judge(round_).choices.tolist() == [[0, -1, -1]]


@pytest.mark.parametrize("name", ["rules", "age_of", "eligibility", "is_non_public"])
def test_the_encoder_decides_no_rule(name):
    tree = ast.parse(Path(matcher.engine.encode.__file__).read_text(encoding="utf-8"))
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert "matcher.engine.rules" not in imported
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert name not in names


def test_an_empty_round():
    judgement = judge(
        Round(applicants=(), catalogue=HostCatalogue(hosts=HOSTS), quotas=QuotaTable(quotas=QUOTAS))
    )
    assert judgement.member.shape == (0,) and judgement.choices.shape == (0, MAX_CHOICES)
    assert not judgement.excluded and not judgement.conflicts
    assert np.array_equal(judgement.priority, np.zeros(0, dtype=bool))


def person(row: int, **facts: object) -> Applicant:
    """An eligible 区外 applicant of 呼和浩特市, changed by `facts`."""
    given: dict[str, object] = {
        "key": f"a.csv:{row}",
        "source_file": "a.csv",
        "source_row": row,
        "ethnicity": "蒙古族",
        "birth": date(1985, 1, 1),
        "title_grade": TitleGrade.ASSOCIATE_SENIOR,
        "region": "呼和浩特市",
        "track": Track.OUT,
        **facts,
    }
    return Applicant.model_validate(given)


def judged(*people: Applicant) -> dict[str, str]:
    """The reasons' messages of each excluded row, by key."""
    round_ = Round(
        applicants=people, catalogue=HostCatalogue(hosts=HOSTS), quotas=QuotaTable(quotas=QUOTAS)
    )
    return {
        k: "；".join(r.message for r in why.reasons) for k, why in judge(round_).excluded.items()
    }


def test_a_birth_known_to_the_month_names_its_own_day_at_the_same_age():
    # both 47 on the reference day, counted from the last day of their own month
    may, june = (person(r, birth=date(1976, m, 1), birth_exact=False) for r, m in ((2, 1), (3, 2)))
    found = judged(may, june)
    assert "1976-01-31" in found["a.csv:2"] and "1976-02-29" in found["a.csv:3"]
    assert found == {k: judged(p)[k] for k, p in (("a.csv:2", may), ("a.csv:3", june))}


def test_the_qualification_reason_quotes_each_rows_own_years_and_texts():
    unqualified = {"title_grade": TitleGrade.NONE, "education": Education.BACHELOR}
    people = [
        person(2, work_start=date(2019, 1, 1), education_text="本科", **unqualified),
        person(3, work_start=date(2020, 1, 1), education_text="本科", **unqualified),
        person(4, work_start=date(2019, 1, 1), education_text="大学本科", **unqualified),
        person(5, work_start=date(2019, 1, 1), education_text="本科", title="助教", **unqualified),
    ]
    found = judged(*people)
    assert len(set(found.values())) == 4
    assert found == {p.key: judged(p)[p.key] for p in people}
    assert "从事本专业3年" in found["a.csv:3"]


def test_ages_under_every_limit_and_years_over_every_minimum_judge_alike():
    started = {"work_start": date(2001, 5, 1), "work_start_exact": False}
    people = [
        person(2, birth=date(1990, 1, 1), work_start=date(2000, 1, 1), health_issue=True),
        person(3, birth=date(1995, 6, 1), work_start=date(2005, 1, 1), health_issue=True),
        person(4, birth=date(1995, 6, 1), birth_exact=False, health_issue=True, **started),
    ]
    round_ = Round(
        applicants=people, catalogue=HostCatalogue(hosts=HOSTS), quotas=QuotaTable(quotas=QUOTAS)
    )
    excluded = judge(round_).excluded
    assert len(excluded) == 3 and len({id(why) for why in excluded.values()}) == 1
    assert excluded["a.csv:2"] == exclusion(people[0], round_.rules)


def test_invalid_rows_are_told_their_own_errors():
    other = ERROR.model_copy(update={"code": "BAD_DATE", "message": "出生年月有误"})
    people = [
        person(2, problems=(ERROR,)),
        person(3, problems=(other,)),
        person(4, problems=(ERROR,)),
    ]
    assert judged(*people) == {
        "a.csv:2": "身份证号有误",
        "a.csv:3": "出生年月有误",
        "a.csv:4": "身份证号有误",
    }
