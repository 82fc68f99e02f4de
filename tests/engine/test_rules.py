from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.engine.rules import age_on, eligibility, is_priority
from matcher.model import Applicant, Education, Rules, TitleGrade, Track

REF = date(2023, 3, 20)


def person(**kw):
    base = dict(
        key="f.xlsx:5",
        source_file="f.xlsx",
        source_row=5,
        name="巴特尔",
        ethnicity="蒙古族",
        birth=date(1985, 3, 1),
        work_start=date(2005, 7, 1),
        education=Education.MASTER,
        title_grade=TitleGrade.INTERMEDIATE,
        region="赤峰市",
        track=Track.OUT,
    )
    base.update(kw)
    return Applicant(**base)


def codes(a, rules=None):
    return [r.code for r in eligibility(a, rules or Rules())]


@given(
    st.dates(date(1950, 1, 1), date(2020, 12, 31)), st.dates(date(2000, 1, 1), date(2030, 12, 31))
)
def test_age_is_completed_years(birth, day):
    age = age_on(birth, day)
    # the birthday of year `birth.year + age` has passed, the next one has not
    assert (birth.year + age, birth.month, birth.day) <= (day.year, day.month, day.day) or (
        birth.month == 2 and birth.day == 29
    )
    assert (day.year, day.month, day.day) < (birth.year + age + 1, birth.month, birth.day)


@pytest.mark.parametrize(
    ("birth", "eligible"),
    [(date(1977, 3, 20), False), (date(1977, 3, 21), True), (date(1978, 1, 1), True)],
)
def test_out_track_age_limit_is_45_or_under_on_reference_date(birth, eligible):
    # born 1977-03-20 turns 46 on 2023-03-20: over; a day later is still 45
    assert ("AGE_OVER_LIMIT" not in codes(person(birth=birth))) is eligible


def test_age_message_names_the_figure():
    reasons = eligibility(person(birth=date(1976, 5, 1)), Rules())
    assert any("年龄超过45周岁（以2023-03-20计为46周岁）" == r.message for r in reasons)


def test_reference_date_is_a_setting():
    a = person(birth=date(1977, 6, 1))
    assert "AGE_OVER_LIMIT" not in codes(a)
    assert "AGE_OVER_LIMIT" in codes(a, Rules(reference_date=date(2023, 7, 1)))


def test_out_track_qualification_master_and_8_years_or_associate_senior():
    assert codes(person()) == []  # master's, 17 years
    young = person(work_start=date(2016, 1, 1))  # 7 years
    assert "QUALIFICATION_NOT_MET" in codes(young)
    assert codes(young.model_copy(update={"title_grade": TitleGrade.ASSOCIATE_SENIOR})) == []
    bachelor = person(education=Education.BACHELOR)
    assert "QUALIFICATION_NOT_MET" in codes(bachelor)


def test_in_track_rules():
    a = person(
        track=Track.IN,
        birth=date(1990, 1, 1),
        education=Education.BACHELOR,
        work_start=date(2018, 3, 20),
        title_grade=TitleGrade.JUNIOR,
        ethnicity="汉族",
    )
    assert codes(a) == []  # 33, bachelor, 5 years exactly; minority not required
    assert "QUALIFICATION_NOT_MET" in codes(a.model_copy(update={"work_start": date(2018, 3, 21)}))
    assert "AGE_OVER_LIMIT" in codes(a.model_copy(update={"birth": date(1987, 3, 1)}))


def test_out_track_needs_minority_and_region_level_has_no_in_track():
    assert codes(person(ethnicity="汉族")) == ["NOT_MINORITY"]
    a = person(track=Track.IN, region="区直", birth=date(1992, 1, 1))
    assert "NO_IN_REGION_TRACK" in codes(a)


def test_health_and_prior_participation_flags():
    assert "HEALTH" in codes(person(health_issue=True))
    assert codes(person(prior_participation=True)) == []
    assert "PRIOR_PARTICIPATION" in codes(
        person(prior_participation=True), Rules(exclude_prior_participants=True)
    )


def test_priority_grassroots_or_non_public():
    rules = Rules()
    assert is_priority(person(grassroots=True), rules)
    assert is_priority(person(unit_type="民营企业"), rules)
    assert not is_priority(person(unit_type="事业单位"), rules)


# ---------------------------------------------------------------------------- exact dates


@pytest.mark.parametrize(("track", "limit_year"), [(Track.OUT, 1977), (Track.IN, 1987)])
@pytest.mark.parametrize(
    ("day", "exact", "eligible"),
    [
        (20, True, False),  # born on the reference day: turns 46 (36) that day
        (21, True, True),  # the day after: still 45 (35)
        (1, False, True),  # only the month of the reference date known: benefit of the doubt
    ],
)
def test_age_at_the_boundaries(track, limit_year, day, exact, eligible):
    a = person(
        track=track,
        birth=date(limit_year, 3, day),
        birth_exact=exact,
        ethnicity="蒙古族",
        title_grade=TitleGrade.SENIOR,
    )
    assert ("AGE_OVER_LIMIT" not in codes(a)) is eligible


def test_a_month_only_birth_that_still_fails_says_it_was_counted_leniently():
    a = person(birth=date(1977, 2, 1), birth_exact=False)
    (reason,) = [r for r in eligibility(a, Rules()) if r.code == "AGE_OVER_LIMIT"]
    assert "计为46周岁" in reason.message
    assert "仅知到月" in reason.message and "1977-02-28" in reason.message
    exact = [r for r in eligibility(a.model_copy(update={"birth_exact": True}), Rules())]
    assert all("仅知到月" not in r.message for r in exact)


@pytest.mark.parametrize(
    ("track", "start_year", "education"),
    [(Track.OUT, 2015, Education.MASTER), (Track.IN, 2018, Education.BACHELOR)],
)
@pytest.mark.parametrize(
    ("month", "day", "exact", "qualified"),
    [
        (3, 20, True, True),  # 8 (5) years to the day
        (3, 21, True, False),  # a day short
        (3, 1, False, True),  # the month of the reference date: counted from its 1st
        (4, 1, False, False),  # the month after: short even from its 1st
    ],
)
def test_years_in_the_profession_at_the_boundaries(
    track, start_year, education, month, day, exact, qualified
):
    a = person(
        track=track,
        birth=date(1990, 1, 1),
        education=education,
        title_grade=TitleGrade.JUNIOR,
        work_start=date(start_year, month, day),
        work_start_exact=exact,
    )
    assert ("QUALIFICATION_NOT_MET" not in codes(a)) is qualified
    if not qualified:
        (reason,) = [r for r in eligibility(a, Rules()) if r.code == "QUALIFICATION_NOT_MET"]
        assert ("仅知到月" in reason.message) is (not exact)


@given(
    st.dates(date(1950, 1, 1), date(2005, 12, 1)),
    st.dates(date(2020, 1, 1), date(2030, 12, 31)),
)
def test_a_month_only_date_gets_the_most_favourable_day_of_its_month(first, day):
    import calendar

    from matcher.engine.rules import age_of, years_of

    month = first.replace(day=1)
    last = calendar.monthrange(month.year, month.month)[1]
    days = [month.replace(day=d) for d in range(1, last + 1)]
    a = person(birth=month, birth_exact=False, work_start=month, work_start_exact=False)
    assert age_of(a, day) == min(age_on(d, day) for d in days)  # the youngest they can be
    assert years_of(a, day) == max(max(0, age_on(d, day)) for d in days)  # the longest worked
    exact = a.model_copy(
        update={"birth": first, "birth_exact": True, "work_start": first, "work_start_exact": True}
    )
    assert age_of(exact, day) == age_on(first, day)
    assert years_of(exact, day) == max(0, age_on(first, day))


def test_a_round_judges_the_same_date_by_its_precision():
    # the same date object, exact on two rows and month-only on two others: a large round
    # judges each distinct set of facts once, and precision is one of the facts
    from matcher import api
    from matcher.model import Host, HostCatalogue, Quota, QuotaTable, Round

    born = date(1977, 3, 1)
    rows = [
        person(
            key=f"f.xlsx:{i}",
            source_row=i,
            birth=born,
            birth_exact=i % 2 == 0,
            title_grade=TitleGrade.SENIOR,
            choices=("北京大学",),
        )
        for i in range(2, 6)
    ]
    host = Host(name="北京大学", track=Track.OUT, capacity=4, fields=("教育",))
    result = api.solve(
        Round(
            applicants=tuple(rows),
            catalogue=HostCatalogue(hosts=(host,)),
            quotas=QuotaTable(quotas=(Quota(region="赤峰市", track=Track.OUT, places=4),)),
        )
    )
    statuses = [(o.status.value, "仅知到月" in o.reason) for o in result.outcomes]
    assert statuses == [("ineligible", False), ("placed", True)] * 2  # placed, with a note


def test_an_eligible_applicant_the_doubt_decided_for_is_noted():
    from matcher import api
    from matcher.engine.outcomes import LENIENT_DATE
    from matcher.model import Host, HostCatalogue, Quota, QuotaTable, Round

    rows = [
        person(key="f.xlsx:2", source_row=2, birth=date(1977, 3, 1), birth_exact=False),
        person(key="f.xlsx:3", source_row=3, birth=date(1977, 3, 21)),  # exact: nothing to note
        person(key="f.xlsx:4", source_row=4, birth=date(1977, 4, 1), birth_exact=False),  # 45
        person(key="f.xlsx:5", source_row=5, work_start=date(2015, 3, 1), work_start_exact=False),
        person(
            key="f.xlsx:6",
            source_row=6,
            work_start=date(2015, 3, 1),
            work_start_exact=False,
            title_grade=TitleGrade.ASSOCIATE_SENIOR,
        ),  # qualified by title: years not needed
    ]
    rows = [r.model_copy(update={"choices": ("北京大学",)}) for r in rows]
    host = Host(name="北京大学", track=Track.OUT, capacity=9, fields=("教育",))
    result = api.solve(
        Round(
            applicants=tuple(rows),
            catalogue=HostCatalogue(hosts=(host,)),
            quotas=QuotaTable(quotas=(Quota(region="赤峰市", track=Track.OUT, places=9),)),
        )
    )
    assert [o.status.value for o in result.outcomes] == ["placed"] * 5
    assert [o.reason_code for o in result.outcomes] == [LENIENT_DATE, "", "", LENIENT_DATE, ""]
    assert "按该月最后一天计为45周岁" in result.outcomes[0].reason
    assert "（按该月1日计为46周岁）" in result.outcomes[0].reason
    assert "按该月1日计从事本专业8年" in result.outcomes[3].reason
    assert "（按该月最后一天计为7年）" in result.outcomes[3].reason


@given(
    st.lists(
        st.tuples(
            st.dates(date(1970, 1, 1), date(1995, 12, 1)),
            st.booleans(),
            st.dates(date(2005, 1, 1), date(2021, 12, 1)),
            st.booleans(),
        ),
        min_size=1,
        max_size=12,
    ),
    st.dates(date(2020, 1, 1), date(2030, 12, 31)),
)
def test_the_notes_of_a_round_are_those_of_each_applicant(facts, day):
    from matcher.engine.rules import lenient_note, lenient_notes

    rules = Rules(reference_date=day)
    people = [
        person(
            birth=b if exact_b else b.replace(day=1),
            birth_exact=exact_b,
            work_start=w if exact_w else w.replace(day=1),
            work_start_exact=exact_w,
            title_grade=TitleGrade.JUNIOR,
        )
        for b, exact_b, w, exact_w in facts
    ]
    expected = {i: n for i, a in enumerate(people) if (n := lenient_note(a, rules))}
    assert lenient_notes(people, rules) == expected
    for i, note in expected.items():
        assert not people[i].birth_exact or not people[i].work_start_exact
        assert "仅知到月" in note
