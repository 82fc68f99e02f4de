"""`encode`: exclusions, choice resolution at written rank, groups, fields, the priority
order and its lottery, pre-arrangements and their conflicts, decode."""

from __future__ import annotations

import random
from datetime import date

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.engine.encode import FIELDS, Encoding, Lottery, decode, encode, outcome_status
from matcher.engine.judge import judge
from matcher.engine.lottery import priority_order
from matcher.engine.solve import solve
from matcher.engine.solve.base import ADJUSTED, PREARRANGED, UNPLACED
from matcher.model import (
    Applicant,
    Host,
    HostCatalogue,
    Issue,
    Policy,
    Quota,
    QuotaTable,
    Round,
    Severity,
    Status,
    TitleGrade,
    Track,
)

HOSTS = (
    Host(name="北京大学", track=Track.OUT, capacity=2, fields=("教育", "法律"), aliases=("北大",)),
    Host(name="清华大学", track=Track.OUT, capacity=1, fields=("工程技术",)),
    Host(name="内蒙古大学", track=Track.IN, capacity=1, fields=("教育", "冷门专业")),
)
QUOTAS = (
    Quota(region="呼和浩特市", track=Track.OUT, places=2),
    Quota(region="呼和浩特市", track=Track.IN, places=1),
    Quota(region="包头市", track=Track.OUT, places=1),
)


def person(key: str, **kw) -> Applicant:
    """An eligible 区外 applicant of 呼和浩特市 unless overridden."""
    base = dict(
        key=key,
        source_file="a.csv",
        source_row=int(key.split(":")[1]),
        ethnicity="蒙古族",
        birth=date(1985, 1, 1),
        title_grade=TitleGrade.ASSOCIATE_SENIOR,
        region="呼和浩特市",
        track=Track.OUT,
        field="教育",
    )
    base.update(kw)
    return Applicant(**base)


def encoded(round_: Round) -> Encoding:
    """The round judged, then encoded."""
    return encode(round_, judge(round_))


def make_round(applicants, seed=2023, quotas=QUOTAS) -> Round:
    return Round(
        applicants=tuple(applicants),
        catalogue=HostCatalogue(hosts=HOSTS),
        quotas=QuotaTable(quotas=quotas),
        policy=Policy(seed=seed),
    )


def test_choices_keep_written_rank_and_drop_unknown_other_track_repeats():
    a = person("a.csv:2", choices=("不存在大学", "北大", "北京大学"))
    b = person("a.csv:3", choices=("内蒙古大学", "清华大学", "北京大学"))
    enc = encoded(make_round([a, b]))
    assert enc.host_names == ("北京大学", "清华大学", "内蒙古大学")
    # a: choice 1 unknown, choice 2 is 北大 (alias) → rank 2, choice 3 repeats it → dropped
    assert enc.instance.choices[0].tolist() == [-1, 0, -1]
    # b: choice 1 is an 区内 host → dropped; 清华 keeps rank 2, 北京 rank 3
    assert enc.instance.choices[1].tolist() == [-1, 1, 0]


def test_excluded_invalid_and_ineligible_with_reasons():
    bad = person(
        "a.csv:2",
        problems=(
            Issue(
                file="a.csv", row=2, code="BAD_ID", severity=Severity.ERROR, message="身份证号有误"
            ),
        ),
    )
    warned = person(
        "a.csv:3",
        problems=(
            Issue(file="a.csv", row=3, code="ODD", severity=Severity.WARNING, message="注意"),
        ),
    )
    old = person("a.csv:4", birth=date(1960, 1, 1))
    han = person("a.csv:5", ethnicity="汉族")
    enc = encoded(make_round([bad, warned, old, han]))
    assert enc.keys == ("a.csv:3",)
    assert enc.excluded["a.csv:2"].status is Status.INVALID
    assert [r.code for r in enc.excluded["a.csv:2"].reasons] == ["BAD_ID"]
    assert enc.excluded["a.csv:4"].status is Status.INELIGIBLE
    assert "AGE_OVER_LIMIT" in [r.code for r in enc.excluded["a.csv:4"].reasons]
    assert [r.code for r in enc.excluded["a.csv:5"].reasons] == ["NOT_MINORITY"]


def test_groups_fields_and_capacities():
    a = person("a.csv:2", region="鄂尔多斯市", field="冷门专业")
    b = person(
        "a.csv:3", track=Track.IN, birth=date(1995, 1, 1), title_grade=TitleGrade.INTERMEDIATE
    )
    enc = encoded(make_round([a, b]))
    assert enc.groups == (
        ("呼和浩特市", Track.OUT),
        ("呼和浩特市", Track.IN),
        ("包头市", Track.OUT),
        ("包头市", Track.IN),
        ("鄂尔多斯市", Track.OUT),
        ("鄂尔多斯市", Track.IN),
    )
    inst = enc.instance
    assert inst.group_cap.tolist() == [2, 1, 1, 0, 0, 0]
    assert inst.group.tolist() == [4, 1] and inst.track.tolist() == [0, 1]
    assert enc.fields[: len(FIELDS)] == FIELDS and enc.fields[len(FIELDS) :] == ("冷门专业",)
    assert inst.field.tolist() == [len(FIELDS), FIELDS.index("教育")]
    assert inst.host_cap.tolist() == [2, 1, 1] and inst.host_track.tolist() == [0, 0, 1]
    assert inst.host_fields[2, len(FIELDS)] and inst.host_fields[0, FIELDS.index("法律")]


def test_fields_and_answers_are_the_members_own():
    # a field written only by a row set aside is not one of the round's fields
    old = person("a.csv:2", birth=date(1960, 1, 1), field="无人专业")
    a = person("a.csv:3", field="冷门专业", accepts_adjustment=True)
    b = person("a.csv:4", field=None)
    enc = encoded(make_round([old, a, b]))
    assert enc.keys == ("a.csv:3", "a.csv:4")
    assert enc.fields[len(FIELDS) :] == ("冷门专业",)
    assert enc.instance.field.tolist() == [len(FIELDS), -1]
    assert enc.instance.accepts.tolist() == [True, False]


def test_priority_order_priority_then_score_then_lottery():
    people = [
        person("a.csv:2", score=90.0),
        person("a.csv:3", score=None, grassroots=True),
        person("a.csv:4", score=95.0),
        person("a.csv:5", score=None),
        person("a.csv:6", score=80.0, unit_type="民营企业"),
    ]
    enc = encoded(make_round(people))
    inst = enc.instance
    assert inst.priority.tolist() == [False, True, False, False, True]
    ranked = [enc.keys[i] for i in np.argsort(inst.order)]
    # priority (80 before missing score), then 95, 90, then the unscored one
    assert ranked == ["a.csv:6", "a.csv:3", "a.csv:4", "a.csv:2", "a.csv:5"]


def test_lottery_is_seeded_and_independent_of_file_order():
    people = [person(f"a.csv:{r}", score=50.0) for r in range(2, 40)]

    def ranked(applicants, seed):
        enc = encoded(make_round(applicants, seed=seed))
        return [enc.keys[i] for i in np.argsort(enc.instance.order)]

    first = ranked(people, 7)
    shuffled = people[:]
    random.Random(1).shuffle(shuffled)
    assert ranked(shuffled, 7) == first
    assert ranked(people, 7) == first
    assert ranked(people, 8) != first
    a = encoded(make_round(people, seed=7)).instance
    b = encoded(make_round(people, seed=7)).instance
    assert all(np.array_equal(getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__)


def test_prearranged_honoured_in_priority_order_and_conflicts_reported():
    people = [
        person("a.csv:2", prearranged="清华大学", score=60.0),  # loses 清华 to a.csv:3
        person("a.csv:3", prearranged="清华大学", score=90.0),
        person("a.csv:4", prearranged="某研究所"),
        person("a.csv:5", prearranged="内蒙古大学"),
        person("a.csv:6", prearranged="北京大学", ethnicity="汉族"),
        person("a.csv:7", prearranged="北京大学", region="包头市", score=99.0),
        person("a.csv:8", prearranged="北京大学", region="包头市", score=10.0),
    ]
    enc = encoded(make_round(people))
    inst = enc.instance
    index = {k: i for i, k in enumerate(enc.keys)}
    assert inst.prearranged[index["a.csv:3"]] == 1
    assert inst.prearranged[index["a.csv:7"]] == 0
    assert inst.prearranged[index["a.csv:2"]] == -1
    codes = {c.key: c.code for c in enc.prearranged_conflicts}
    assert codes == {
        "a.csv:2": "PREARRANGED_HOST_FULL",
        "a.csv:4": "PREARRANGED_UNKNOWN_HOST",
        "a.csv:5": "PREARRANGED_OTHER_TRACK",
        "a.csv:6": "PREARRANGED_INELIGIBLE",
        "a.csv:8": "PREARRANGED_QUOTA_FULL",
    }
    assert [c.key for c in enc.prearranged_conflicts] == sorted(codes)  # input order
    sol = solve(inst, "optimal")
    out = decode(enc, sol)
    assert out["a.csv:3"] == ("清华大学", PREARRANGED)


def test_decode_and_outcome_status():
    a = person("a.csv:2", choices=("北京大学",))
    b = person("a.csv:3", choices=("清华大学",), accepts_adjustment=True)
    c = person("a.csv:4", choices=("清华大学",))
    enc = encoded(
        make_round([a, b, c], quotas=(Quota(region="呼和浩特市", track=Track.OUT, places=3),))
    )
    out = decode(enc, solve(enc.instance, "optimal"))
    # 清华 has one place for b or c (stage 1 ties). Only b accepts adjustment, and 北京
    # (field 教育, not among b's choices) has a second place: the adjustment stage puts
    # c at 清华 and adjusts b to 北京.
    assert out["a.csv:2"] == ("北京大学", 1)
    assert out["a.csv:3"] == ("北京大学", ADJUSTED)
    assert out["a.csv:4"] == ("清华大学", 1)
    assert outcome_status(1) is Status.PLACED and outcome_status(PREARRANGED) is Status.PLACED
    assert outcome_status(ADJUSTED) is Status.ADJUSTED
    assert outcome_status(UNPLACED) is Status.UNMATCHED
    with pytest.raises(ValueError):
        outcome_status(7)


def test_empty_round():
    enc = encoded(make_round([]))
    assert enc.instance.n == 0 and enc.instance.choices.shape == (0, 3)
    assert solve(enc.instance, "optimal").host.shape == (0,)


@given(
    st.lists(
        st.tuples(st.booleans(), st.sampled_from([None, 1.0, 2.0]), st.booleans()), max_size=40
    ),
    st.integers(0, 99),
)
def test_the_members_order_is_their_order_among_all_rows(rows, seed) -> None:
    priority = np.array([p for p, _, _ in rows], dtype=bool)
    score = np.array([np.nan if s is None else s for _, s, _ in rows], dtype=np.float64)
    member = np.flatnonzero(np.array([m for _, _, m in rows], dtype=bool))
    lottery = Lottery([f"f:{k}" for k in range(len(rows))], score, priority, member)
    drawn, order, weight = lottery.drawn(seed)
    ranked = priority_order(priority, score, drawn)[member]
    assert order.tolist() == np.argsort(np.argsort(ranked, kind="stable")).tolist()
    assert weight.tolist() == (len(rows) - ranked).tolist()
