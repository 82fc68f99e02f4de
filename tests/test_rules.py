from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.model import Applicant, Education, Rules, TitleGrade, Track
from matcher.rules import age_on, eligibility, is_priority

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
