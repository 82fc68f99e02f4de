"""Cell parsers of the applicant tables: each returns (value, problem or None).

Every parser is a pure function of the cell value (and, where stated, a reference date or
the vocabulary). A `Problem` carries a stable code, a severity and a Chinese message that
says how to fix the cell; the reader adds file, row and column.

Date choice (documented): Excel turns the text ``1985.10`` typed into a number cell into
the float ``1985.1``. A float with one decimal digit is read as that month (``1985.1`` →
January) unless the caller passes a `month_hint` of 10 for a ``.1`` (the reader passes the
birth month of a valid ID number for 出生年月), in which case October is taken.

Precision (`parse_day`): a date is exact when its day is written; a year-month is day 1
and not exact, and so is a date cell on the 1st (what Excel stores for a typed month).
The rules give a not-exact date the benefit of the doubt (`matcher.engine.rules`).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from functools import lru_cache

from matcher.ingest.ids import parse_id
from matcher.ingest.problems import Problem, error, warning
from matcher.ingest.regions import region_of, sending_region
from matcher.ingest.text import cell_text, clean_name, clean_text, mask_phone, nfkc, shorten
from matcher.model import Education, Track

__all__ = [
    "Problem",
    "parse_date",
    "parse_day",
    "parse_education",
    "parse_gender",
    "parse_health",
    "parse_id",
    "parse_phone",
    "parse_score",
    "parse_track",
    "parse_yesno",
    "region_of",
    "sending_region",
]


# ---------------------------------------------------------------------------- dates

_EXCEL_EPOCH = date(1899, 12, 30)
_DATE_FIX = "请按“1985.03”或“1985年3月”格式填写"
_SEPARATORS = re.compile(r"[年月./\-_、,，]")
_TIME = re.compile(r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")


def _invalid_date(written: str, why: str) -> tuple[None, bool, Problem]:
    return None, False, error("DATE_INVALID", f"日期“{shorten(written)}”无效（{why}），{_DATE_FIX}")


def _make_date(
    year: int, month: int, day: int | None, written: str, reference: date | None
) -> tuple[date | None, bool, Problem | None]:
    """(the date, whether its day is known, problem); `day` None: only the month is known."""
    if year < 1900:
        return _invalid_date(written, "年份早于1900年")
    if not 1 <= month <= 12:
        return _invalid_date(written, f"月份{month}不在1–12之间")
    try:
        value = date(year, month, 1 if day is None else day)
    except ValueError:
        return _invalid_date(written, f"{year}年{month}月没有{day}日")
    if reference is not None and value > reference:
        return _invalid_date(written, f"晚于参照日期{reference.isoformat()}")
    return value, day is not None, None


def parse_date(
    value: object, reference: date | None = None, month_hint: int | None = None
) -> tuple[date | None, Problem | None]:
    """Parse a date cell (出生年月, 参加工作时间) into (date, problem).

    Accepts date/datetime cells, Excel serial numbers (e.g. 31107), numbers such as
    1985.03, 198503, 19850305, and text such as 1985.3, 1985年3月, 1985年03月05日, 1985-3,
    1985/03, 1985-03-05. A year-month gives day 1. Empty → (None, None). Impossible dates
    (month 13, day 32, year before 1900, after `reference`) → DATE_INVALID.
    """
    value, _, problem = parse_day(value, reference, month_hint)
    return value, problem


def parse_day(
    value: object, reference: date | None = None, month_hint: int | None = None
) -> tuple[date | None, bool, Problem | None]:
    """`parse_date`, and whether the day is known: (date, exact, problem).

    Exact: a written day (19850305, 1985-03-05, 1985年3月5日) or a date cell (or Excel
    serial) on any day but the 1st. Not exact (only the month is known, the date is the
    1st): a year-month (1985.03, 198503, 1985年3月) or a date cell on the 1st, which is
    what Excel makes of a month typed into a date cell.
    """
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        day = value.day if value.day != 1 else None
        return _make_date(value.year, value.month, day, value.isoformat(), reference)
    if isinstance(value, bool):
        return _invalid_date(cell_text(value), "不是日期")
    if isinstance(value, (int, float)):
        return _parse_number(value, reference, month_hint)
    text = cell_text(value).strip()
    if not text:
        return None, False, None
    return _parse_text(text, reference)


def _parse_number(
    value: float, reference: date | None, month_hint: int | None
) -> tuple[date | None, bool, Problem | None]:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None, False, None
    written = cell_text(value)
    if isinstance(value, float) and not value.is_integer():
        if not 1900 <= value < 2200:
            return _invalid_date(written, "不是日期")
        year, _, fraction = f"{value:.6f}".rstrip("0").partition(".")
        if len(fraction) == 1:  # 1985.1 is 1985.10 or 1985.01: January unless hinted
            month = 10 if fraction == "1" and month_hint == 10 else int(fraction)
        elif len(fraction) == 2:
            month = int(fraction)
        else:
            return _invalid_date(written, "月份位数不对")
        return _make_date(int(year), month, None, written, reference)
    number = int(value)
    if 10000 <= number < 100000:  # Excel serial day number
        serial = _EXCEL_EPOCH + timedelta(days=number)
        day = serial.day if serial.day != 1 else None
        return _make_date(serial.year, serial.month, day, written, reference)
    return _parse_digits(str(number), written, reference)


def _parse_digits(
    digits: str, written: str, reference: date | None
) -> tuple[date | None, bool, Problem | None]:
    if len(digits) == 6:
        return _make_date(int(digits[:4]), int(digits[4:]), None, written, reference)
    if len(digits) == 8:
        return _make_date(int(digits[:4]), int(digits[4:6]), int(digits[6:]), written, reference)
    if len(digits) == 4:
        return _invalid_date(written, "缺少月份")
    return _invalid_date(written, "不是日期")


@lru_cache(maxsize=65536)
def _parse_text(text: str, reference: date | None) -> tuple[date | None, bool, Problem | None]:
    written = text
    text, timed = _TIME.subn("", nfkc(text).strip())
    text = "".join(text.split())
    if text.endswith("日"):
        text = text[:-1]
    parts = [p for p in _SEPARATORS.split(text)]
    while parts and parts[-1] == "":
        parts.pop()
    if not parts or not all(p.isdigit() for p in parts):
        return _invalid_date(written, "不是日期")
    if len(parts) == 1:
        return _parse_digits(parts[0], written, reference)
    if len(parts[0]) != 4 or len(parts) > 3 or any(len(p) > 2 for p in parts[1:]):
        return _invalid_date(written, "年份应为4位，月、日各1–2位")
    day = int(parts[2]) if len(parts) == 3 else None
    if timed and day == 1:  # a date cell exported with its time: the 1st is a typed month
        day = None
    return _make_date(int(parts[0]), int(parts[1]), day, written, reference)


# ---------------------------------------------------------------------------- yes/no

_YES = frozenset(
    {
        "是",
        "√",
        "✓",
        "✔",
        "☑",
        "y",
        "yes",
        "true",
        "1",
        "同意",
        "服从",
        "接受",
        "愿意",
        "是的",
        "对",
        "有",
    }
)
_NO = frozenset(
    {
        "否",
        "×",
        "✗",
        "✘",
        "x",
        "n",
        "no",
        "false",
        "0",
        "不同意",
        "不服从",
        "不接受",
        "不愿意",
        "不是",
        "无",
    }
)


@lru_cache(maxsize=4096)
def _yesno_text(text: str) -> tuple[bool | None, Problem | None]:
    key = clean_name(text).lower().rstrip("。.")
    if not key:
        return None, None
    if key in _YES:
        return True, None
    if key in _NO:
        return False, None
    return None, warning(
        "YESNO_INVALID", f"“{shorten(text)}”不是“是/否”，已按未填写处理；请填写“是”或“否”"
    )


def parse_yesno(value: object) -> tuple[bool | None, Problem | None]:
    """Parse a yes/no cell into (True/False, problem); empty → (None, None).

    Yes: 是 √ ✓ Y yes true 1 同意 服从 接受 愿意; no: 否 × ✗ N no false 0 不同意 不服从 不接受
    不愿意. Anything else → (None, YESNO_INVALID warning).
    """
    if isinstance(value, bool):
        return value, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value in (0, 1):
            return bool(value), None
    return _yesno_text(cell_text(value))


_HEALTHY = frozenset(
    {"无", "否", "健康", "良好", "正常", "身体健康", "无疾病", "没有", "×", "0", "no", "n"}
)
_ILL = frozenset({"有", "是", "1", "yes", "y"})
#: A tick alone: the form has two boxes (有, 无), so it does not say which was ticked.
_TICKS = frozenset({"√", "✓", "✔", "☑", "✅", "v"})


@lru_cache(maxsize=1024)
def _health_text(text: str) -> tuple[bool | None, Problem | None]:
    key = clean_name(text).lower()
    if not key:
        return None, None
    if key in _HEALTHY:
        return False, None
    if key in _ILL:
        return True, None
    if key in _TICKS:
        return None, warning(
            "HEALTH_TICK_AMBIGUOUS",
            f"健康状况只填了“{shorten(text)}”：表中有“有”“无”两个选项，无法判断勾选的是哪一项，"
            "暂不作为不符合条件处理；请填写“有”（有影响培训的疾病）或“无”",
        )
    return None, warning(
        "HEALTH_INVALID",
        f"健康状况“{shorten(text)}”无法判断，请填写“有”（有影响培训的疾病）或“无”",
    )


def parse_health(value: object) -> tuple[bool | None, Problem | None]:
    """Parse 健康状况 有/无 into (True when 有, problem).

    健康/良好 count as 无; empty → (None, None); a tick alone (√) → (None,
    HEALTH_TICK_AMBIGUOUS warning): it does not say which box was meant, so it does not
    exclude; anything else → HEALTH_INVALID warning.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value in (0, 1):
        return bool(value), None
    return _health_text(cell_text(value))


# ---------------------------------------------------------------------------- education

_EDUCATION_WORDS: tuple[tuple[str, Education], ...] = (
    ("博士", Education.DOCTOR),
    ("硕士", Education.MASTER),
    ("研究生", Education.MASTER),
    ("专科", Education.JUNIOR_COLLEGE),
    ("大专", Education.JUNIOR_COLLEGE),
    ("高职", Education.JUNIOR_COLLEGE),
    ("本科", Education.BACHELOR),
    ("学士", Education.BACHELOR),
    ("中专", Education.SECONDARY),
    ("中职", Education.SECONDARY),
    ("高中", Education.SECONDARY),
    ("技校", Education.SECONDARY),
    ("phd", Education.DOCTOR),
    ("doctor", Education.DOCTOR),
    ("master", Education.MASTER),
    ("bachelor", Education.BACHELOR),
)
_YEAR = re.compile(r"(?<!\d)(19[4-9]\d|20\d\d)(?!\d)")


@lru_cache(maxsize=65536)
def parse_education(text: str) -> tuple[Education, int | None, Problem | None]:
    """Parse 学历及毕业年限 into (education, graduation year, problem).

    The highest level named wins (博士 > 硕士/研究生 > 本科/大学 > 大专/专科 > 中专/高中);
    the graduation year is the latest 4-digit year in the text. "本科 2008年毕业" →
    (BACHELOR, 2008). Empty → (UNKNOWN, None, None); no level found →
    EDUCATION_UNKNOWN error.
    """
    key = clean_name(text).lower()
    if not key:
        return Education.UNKNOWN, None, None
    years = [int(y) for y in _YEAR.findall(key)]
    year = max(years) if years else None
    level = max((lvl for word, lvl in _EDUCATION_WORDS if word in key), default=None)
    if level is None and "大学" in key:  # 大学 alone is 本科; 大学专科 is 大专
        level = Education.BACHELOR
    if level is None:
        return (
            Education.UNKNOWN,
            year,
            error(
                "EDUCATION_UNKNOWN",
                f"学历“{shorten(clean_text(text))}”无法识别，请写明“中专/大专/本科/硕士研究生/博士研究生”"
                "及毕业年份，如“本科 2008年毕业”",
            ),
        )
    return level, year, None


# ---------------------------------------------------------------------------- phone, gender, score

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(?:-\d{1,6})?$")
_PHONE_SPLIT = re.compile(r"[,，/、;；]+|\s{2,}")


@lru_cache(maxsize=65536)
def _phone_text(text: str) -> tuple[str | None, Problem | None]:
    written = clean_text(text)
    if not written:
        return None, None
    numbers: list[str] = []
    for part in _PHONE_SPLIT.split(written):
        number = re.sub(r"[\s()（）]", "", part.strip())
        if number.startswith("+86"):
            number = number[3:]
        elif number.startswith("86") and len(number) == 13:
            number = number[2:]
        if not number:
            continue
        digits = number.replace("-", "")
        if _MOBILE.match(digits) or (_LANDLINE.match(number) or _LANDLINE.match(digits)):
            numbers.append(digits if _MOBILE.match(digits) else number)
        else:
            return written, warning(
                "PHONE_INVALID",
                f"联系电话“{mask_phone(number)}”不是11位手机号或带区号的固定电话，请核对",
            )
    return "、".join(numbers) or None, None


def parse_phone(value: object) -> tuple[str | None, Problem | None]:
    """Parse 联系方式 into (normalised number(s), problem).

    Valid: an 11-digit mobile 1[3-9]xxxxxxxxx or a landline with area code (0471-6944364).
    Several numbers may be separated by 、 , / ; . Otherwise PHONE_INVALID warning and the
    text as written. Numeric cells (13812345678.0) are read as their digits.
    """
    text = cell_text(value)
    if len(text) == 11 and _MOBILE.match(text):
        return text, None
    return _phone_text(text)


_GENDER = {
    "男": "男",
    "女": "女",
    "男性": "男",
    "女性": "女",
    "m": "男",
    "f": "女",
    "male": "男",
    "female": "女",
}


@lru_cache(maxsize=256)
def parse_gender(text: str) -> tuple[str | None, Problem | None]:
    """Parse 性别 into ("男"/"女", problem); 男性/女性/M/F accepted; empty → (None, None).

    Anything else → GENDER_INVALID error.
    """
    key = clean_name(text).lower()
    if not key:
        return None, None
    found = _GENDER.get(key)
    if found is None:
        return None, error("GENDER_INVALID", f"性别“{shorten(text)}”无效，请填写“男”或“女”")
    return found, None


def parse_score(value: object) -> tuple[float | None, Problem | None]:
    """Parse 审核评分 into (number, problem).

    Empty → (None, None); not a number → SCORE_INVALID error; a number outside
    0…`MAX_SCORE` → SCORE_OUT_OF_RANGE error.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if math.isnan(value):
            return None, None
        return _score_in_range(float(value), cell_text(value))
    text = clean_name(cell_text(value))
    if not text:
        return None, None
    try:
        number = float(text.rstrip("分"))
    except ValueError:
        number = math.nan
    if math.isnan(number) or math.isinf(number):
        return None, error(
            "SCORE_INVALID", f"审核评分“{shorten(text)}”不是数字，请填写数字，如 85.5"
        )
    return _score_in_range(number, text)


#: The largest 审核评分 read (百分制 and 千分制 both fit; an ID number or a date does not).
MAX_SCORE = 1000.0


def _score_in_range(number: float, text: str) -> tuple[float | None, Problem | None]:
    if 0 <= number <= MAX_SCORE:
        return number, None
    return None, error(
        "SCORE_OUT_OF_RANGE",
        f"审核评分“{shorten(text)}”不在0到{MAX_SCORE:g}之间，请核对（是否填错了列），如 85.5",
    )


# ---------------------------------------------------------------------------- track


@lru_cache(maxsize=4096)
def parse_track(text: str) -> Track | None:
    """Find 培养方式 in any text (a cell, title line, sheet or file name): Track or None.

    区外培养/内地培养/区外/内地/out → 区外; 区内培养/区内/in → 区内; both or neither → None.
    """
    key = clean_name(text).lower()
    out = "区外" in key or "内地" in key or key in ("out", "outside")
    inside = "区内" in key or key in ("in", "inside")
    if out == inside:
        return None
    return Track.OUT if out else Track.IN
