from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.ingest.cells import (
    MAX_SCORE,
    parse_date,
    parse_education,
    parse_gender,
    parse_health,
    parse_id,
    parse_phone,
    parse_score,
    parse_track,
    parse_yesno,
)
from matcher.ingest.text import clean_name, clean_text, header_key, mask_id
from matcher.model import Education, Severity, Track
from tests.ingest.util import FAST, make_id

REF = date(2026, 11, 27)
days = st.dates(min_value=date(1930, 1, 1), max_value=date(2026, 11, 27))

DAY_FORMS = [
    lambda d: f"{d.year}年{d.month:02d}月{d.day:02d}日",
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f"{d:%Y%m%d}",
    lambda d: f"{d:%Y-%m-%d}",
    lambda d: f"{d.year}-{d.month}-{d.day}",
    lambda d: f"{d.year}.{d.month}.{d.day}",
    lambda d: f"{d:%Y/%m/%d}",
    lambda d: f"{d:%Y-%m-%d} 00:00:00",
    lambda d: d,
    lambda d: datetime(d.year, d.month, d.day),
    lambda d: float((d - date(1899, 12, 30)).days),
    lambda d: f"{d:%Y%m%d}".translate(str.maketrans("0123456789", "０１２３４５６７８９")),
]
MONTH_FORMS = [
    lambda d: f"{d.year}.{d.month:02d}",
    lambda d: f"{d.year}.{d.month}",
    lambda d: f"{d.year}年{d.month}月",
    lambda d: f"{d.year}年{d.month:02d}月",
    lambda d: f"{d.year}{d.month:02d}",
    lambda d: f"{d.year}-{d.month}",
    lambda d: f"{d.year}/{d.month:02d}",
    lambda d: float(f"{d.year}{d.month:02d}"),
    lambda d: f" {d.year} . {d.month:02d} ",
]


@FAST
@given(days, st.sampled_from(range(len(DAY_FORMS))))
def test_dates_round_trip_with_day(day: date, form: int) -> None:
    value, problem = parse_date(DAY_FORMS[form](day), REF)
    assert problem is None
    assert value == day


@FAST
@given(days, st.sampled_from(range(len(MONTH_FORMS))))
def test_dates_round_trip_year_month(day: date, form: int) -> None:
    value, problem = parse_date(MONTH_FORMS[form](day), REF)
    assert problem is None
    assert value == day.replace(day=1)


@FAST
@given(st.integers(1930, 2025), st.integers(1, 12))
def test_float_year_month(year: int, month: int) -> None:
    value, problem = parse_date(float(f"{year}.{month:02d}"), REF)
    assert problem is None
    # one decimal digit (1985.1 from 1985.10) is read as January unless hinted
    assert value == date(year, 1 if month == 10 else month, 1)
    if month == 10:
        assert parse_date(float(f"{year}.{month:02d}"), REF, month_hint=10)[0] == date(year, 10, 1)


@pytest.mark.parametrize(
    "text",
    [
        "1985.13",
        "1985-02-30",
        "1985年3月32日",
        "1899.12",
        "1985",
        "abc",
        "85.03",
        "2027.01",
        "1985.0",
        "19851305",
    ],
)
def test_impossible_dates(text: str) -> None:
    value, problem = parse_date(text, REF)
    assert value is None
    assert problem is not None and problem.code == "DATE_INVALID"
    assert problem.severity is Severity.ERROR


@FAST
@given(st.dates(min_value=REF + timedelta(days=1), max_value=date(2099, 1, 1)))
def test_future_dates_invalid(day: date) -> None:
    assert parse_date(day, REF)[1] is not None
    assert parse_date(f"{day:%Y-%m-%d}", REF)[1] is not None


def test_empty_date() -> None:
    assert parse_date("", REF) == (None, None)
    assert parse_date(None, REF) == (None, None)


YES = ["是", "√", "✓", "Y", "yes", "TRUE", "1", "同意", "服从", "接受", "愿意", " 是 ", 1.0]
NO = ["否", "×", "✗", "N", "no", "false", "0", "不同意", "不服从", "不接受", "不愿意", 0.0]


@pytest.mark.parametrize("value", YES)
def test_yes(value: object) -> None:
    assert parse_yesno(value) == (True, None)


@pytest.mark.parametrize("value", NO)
def test_no(value: object) -> None:
    assert parse_yesno(value) == (False, None)


@FAST
@given(st.text(min_size=1, max_size=6))
def test_yesno_other(text: str) -> None:
    value, problem = parse_yesno(text)
    key = clean_name(text).lower().rstrip("。.")
    if not key:
        assert (value, problem) == (None, None)
    elif value is None:
        assert problem is not None and problem.code == "YESNO_INVALID"
    else:
        assert problem is None


def test_health() -> None:
    assert parse_health("有")[0] is True
    assert parse_health("无")[0] is False
    assert parse_health("健康")[0] is False
    assert parse_health("")[0] is None
    assert parse_health("还行")[1] is not None


@pytest.mark.parametrize("tick", ["√", "✓", "✔", " √ ", "☑"])
def test_a_lone_tick_under_health_asks_which_box_and_does_not_exclude(tick: str) -> None:
    from matcher.model import Applicant, Rules, Track
    from matcher.rules import eligibility

    value, problem = parse_health(tick)
    assert value is None and problem is not None
    assert problem.code == "HEALTH_TICK_AMBIGUOUS" and problem.severity.value == "warning"
    assert "“有”" in problem.message and "“无”" in problem.message
    person = Applicant(key="f:2", source_file="f", source_row=2, track=Track.IN,
                       health_issue=value, ethnicity="蒙古族")
    assert "HEALTH" not in {r.code for r in eligibility(person, Rules())}
    assert parse_health("有")[0] is True  # the 有 box itself still excludes


@pytest.mark.parametrize(
    ("text", "level", "year"),
    [
        ("本科 2008年毕业", Education.BACHELOR, 2008),
        ("硕士研究生/2012", Education.MASTER, 2012),
        ("大学本科（2005.7）", Education.BACHELOR, 2005),
        ("研究生 硕士 2010", Education.MASTER, 2010),
        ("博士", Education.DOCTOR, None),
        ("大专", Education.JUNIOR_COLLEGE, None),
        ("大学专科 2001", Education.JUNIOR_COLLEGE, 2001),
        ("中专", Education.SECONDARY, None),
        ("本科2005年，在职硕士2012年", Education.MASTER, 2012),
    ],
)
def test_education(text: str, level: Education, year: int | None) -> None:
    assert parse_education(text) == (level, year, None)


def test_education_unknown() -> None:
    level, _, problem = parse_education("自学成才")
    assert level is Education.UNKNOWN and problem is not None
    assert problem.code == "EDUCATION_UNKNOWN"


@st.composite
def ids(draw: st.DrawFn) -> tuple[str, date, bool]:
    born = draw(st.dates(min_value=date(1940, 1, 1), max_value=date(2005, 12, 31)))
    male = draw(st.booleans())
    prefix = draw(st.from_regex(r"[1-6][0-9]{5}", fullmatch=True))
    order = draw(st.integers(0, 99))
    return make_id(born, male, prefix, order), born, male


@FAST
@given(ids())
def test_valid_ids_pass(case: tuple[str, date, bool]) -> None:
    number, born, male = case
    gender = "男" if male else "女"
    value, problems = parse_id(number.lower(), gender, born.replace(day=1), REF)
    assert problems == []
    assert value == number.upper()


@FAST
@given(ids(), st.integers(0, 17), st.integers(1, 10))
def test_single_digit_corruption_fails_checksum(
    case: tuple[str, date, bool], at: int, shift: int
) -> None:
    number = case[0]
    chars = "0123456789X" if at == 17 else "0123456789"
    old = chars.index(number[at])
    new = chars[(old + shift) % len(chars)]
    if new == number[at]:
        return
    broken = number[:at] + new + number[at + 1 :]
    _, problems = parse_id(broken, None, None, REF)
    codes = [p.code for p in problems]
    assert codes and codes[0] in ("ID_CHECKSUM", "ID_EXCEL_MANGLED")
    if not broken.endswith("000"):
        assert codes[0] == "ID_CHECKSUM"
    assert broken not in "".join(p.message for p in problems)


@FAST
@given(ids())
def test_gender_digit(case: tuple[str, date, bool]) -> None:
    number, _born, male = case
    _, problems = parse_id(number, "女" if male else "男", None, REF)
    assert [p.code for p in problems] == ["ID_GENDER_MISMATCH"]


@FAST
@given(ids())
def test_birth_mismatch(case: tuple[str, date, bool]) -> None:
    number, born, _ = case
    other = date(born.year - 1, born.month, 1)
    _, problems = parse_id(number, None, other, REF)
    assert [p.code for p in problems] == ["ID_BIRTH_MISMATCH"]


@FAST
@given(ids())
def test_excel_mangled_numbers(case: tuple[str, date, bool]) -> None:
    number = case[0]
    if number.endswith("X"):
        return
    for cell in (float(number), int(number)):
        value, problems = parse_id(cell, None, None, REF)
        assert value is None
        assert [p.code for p in problems] == ["ID_EXCEL_MANGLED"]
        assert "文本格式" in problems[0].message
    as_text = f"{float(number):.5E}"  # what Excel shows: 1.50102E+17
    assert [p.code for p in parse_id(as_text, None, None, REF)[1]] == ["ID_EXCEL_MANGLED"]


def test_excel_mangled_text_ending_000() -> None:
    from stdnum.cn import ric

    checked = 0
    for order in range(10, 40):
        lost = make_id(date(1985, 3, 5), True, order=order)[:15] + "000"
        if ric.calc_check_digit(lost) != "0":
            checked += 1
            assert [p.code for p in parse_id(lost)[1]] == ["ID_EXCEL_MANGLED"]
    assert checked > 10


def test_id_other_codes() -> None:
    assert parse_id("15010219850305123")[1][0].code == "ID_LENGTH"
    assert parse_id("1501021985030512A4")[1][0].code == "ID_FORMAT"
    body = "15010219851305123"  # month 13
    number = body + make_check(body)
    assert [p.code for p in parse_id(number)[1]] == ["ID_BIRTH_INVALID"]
    future = make_id(date(2030, 1, 1), True)
    assert [p.code for p in parse_id(future, reference=REF)[1]] == ["ID_BIRTH_INVALID"]
    # a region code stdnum does not know is still accepted
    assert parse_id(make_id(date(1985, 3, 5), True, prefix="159999"))[1] == []
    assert parse_id("") == (None, [])


def make_check(body: str) -> str:
    from stdnum.cn import ric

    return ric.calc_check_digit(body + "0")


def test_checksum_message_names_expected_digit() -> None:
    number = make_id(date(1985, 3, 5), True)
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    _, problems = parse_id(wrong)
    assert f"应为{number[17]}" in problems[0].message
    assert mask_id(wrong) in problems[0].message and wrong not in problems[0].message


@FAST
@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_mobile_valid(number: str) -> None:
    assert parse_phone(number) == (number, None)
    assert parse_phone(float(number)) == (number, None)
    assert parse_phone(f"{number[:3]} {number[3:7]} {number[7:]}") == (number, None)


@pytest.mark.parametrize(
    "text", ["0471-6944364", "(0471)6944364", "04716944364", "13812345678、0471-6606329"]
)
def test_landline_valid(text: str) -> None:
    assert parse_phone(text)[1] is None


@pytest.mark.parametrize("text", ["12345678901", "1381234567", "6944364", "电话"])
def test_phone_invalid(text: str) -> None:
    _, problem = parse_phone(text)
    assert problem is not None and problem.code == "PHONE_INVALID"
    assert problem.severity is Severity.WARNING
    assert text not in problem.message or len(text) < 8


@pytest.mark.parametrize(
    ("text", "gender"), [("男", "男"), ("女性", "女"), ("M", "男"), ("f", "女"), (" 男 ", "男")]
)
def test_gender(text: str, gender: str) -> None:
    assert parse_gender(text) == (gender, None)


def test_gender_invalid() -> None:
    problem = parse_gender("未知")[1]
    assert problem is not None and problem.code == "GENDER_INVALID"
    assert problem.severity is Severity.ERROR


@FAST
@given(st.floats(allow_nan=False))
def test_score_numbers(x: float) -> None:
    """A score in 0…MAX_SCORE is read as written; any other number is SCORE_OUT_OF_RANGE."""
    for cell in (x, repr(x)):
        value, problem = parse_score(cell)
        if 0 <= x <= MAX_SCORE:
            assert (value, problem) == (x, None)
        else:
            assert value is None and problem is not None
            assert problem.code == ("SCORE_INVALID" if isinstance(cell, str) and x in
                                    (math.inf, -math.inf) else "SCORE_OUT_OF_RANGE")


def test_score_invalid() -> None:
    assert parse_score("优秀")[1].code == "SCORE_INVALID"  # type: ignore[union-attr]
    assert parse_score("") == (None, None)


@pytest.mark.parametrize(
    ("text", "track"),
    [
        ("区外培养", Track.OUT),
        ("内地培养", Track.OUT),
        ("区外", Track.OUT),
        ("区内培养", Track.IN),
        ("区内", Track.IN),
        ("学员汇总表（区 内 培 养）", Track.IN),
        ("区外培养学员和区内培养学员分开填报", None),
        ("汇总表", None),
    ],
)
def test_track(text: str, track: Track | None) -> None:
    assert parse_track(text) is track


def test_text_normalisation() -> None:
    assert clean_name("张  三") == "张三"
    assert clean_name("张\u3000三\n") == "张三"
    assert clean_text("兴安盟\n  农牧局\u3000 畜牧站") == "兴安盟 农牧局 畜牧站"
    assert clean_text("ＡＢＣ１２３（１）") == "ABC123(1)"
    assert header_key("联系方式\n（手机号码）") == "联系方式(手机号码)"
