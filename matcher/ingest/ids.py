"""Resident ID numbers (居民身份证号码): format, checksum, birth date, gender digit.

Checksum and birth date use `stdnum.cn.ric`; the region code is deliberately not checked
(a county code created after the birth year is still a real number, and stdnum's
`validate` rejects codes it does not know).

Excel stores numbers with 15 significant digits: an 18-digit ID typed into a number cell
loses its last digits (…051234 → …051000) or shows as 1.50102E+17. Such cells are
ID_EXCEL_MANGLED: the number cannot be recovered and must be re-entered as text.
"""

from __future__ import annotations

import math
import re
from datetime import date
from decimal import Decimal

from stdnum.cn import ric

from matcher.ingest.problems import Problem
from matcher.ingest.text import mask_id, nfkc
from matcher.model import Severity

_SCIENTIFIC = re.compile(r"^\d(?:\.\d+)?e\+?\d+$", re.IGNORECASE)
_MANGLED_FIX = "Excel已将其当作数字保存，末尾数字已丢失；请把该列设为“文本格式”后重新录入身份证号"


def _problem(code: str, message: str, severity: Severity = Severity.ERROR) -> Problem:
    return Problem(code, severity, message)


def parse_id(
    value: object,
    gender: str | None = None,
    birth: date | None = None,
    reference: date | None = None,
) -> tuple[str | None, list[Problem]]:
    """Check a 身份证号 cell: (cleaned number or None, problems).

    Steps: a numeric cell or text in scientific notation → ID_EXCEL_MANGLED (number None);
    strip spaces, upper-case x; length 18 → else ID_LENGTH; 17 digits + digit/X → else
    ID_FORMAT; check digit → ID_CHECKSUM (an 18-digit text ending in 000 with a wrong
    check digit → ID_EXCEL_MANGLED); birth date real and not after `reference` → else
    ID_BIRTH_INVALID; 17th digit odd = 男, even = 女 against `gender` →
    ID_GENDER_MISMATCH (warning); `birth` (出生年月) more than a month from the ID's →
    ID_BIRTH_MISMATCH (warning: the ID's birth date is the one used).
    Empty → (None, []). Messages never hold the whole number.
    """
    if value is None or isinstance(value, bool):
        return None, []
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return None, []
        digits = f"{Decimal(f'{value:.15g}'):f}" if isinstance(value, float) else str(value)
        message = f"身份证号（{mask_id(digits)}）是数字单元格，" + _MANGLED_FIX
        return None, [_problem("ID_EXCEL_MANGLED", message)]
    text = "".join(nfkc(str(value)).split()).upper()
    if not text:
        return None, []
    if _SCIENTIFIC.match(text):
        message = f"身份证号显示为科学计数法（{text}），" + _MANGLED_FIX
        return None, [_problem("ID_EXCEL_MANGLED", message)]
    if len(text) != 18:
        hint = "旧的15位号码请换成18位号码" if len(text) == 15 else "请核对位数"
        message = f"身份证号（{mask_id(text)}）有{len(text)}位，应为18位，{hint}"
        return text, [_problem("ID_LENGTH", message)]
    if not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        message = f"身份证号（{mask_id(text)}）含有非数字字符（末位可为X），请核对"
        return text, [_problem("ID_FORMAT", message)]
    expected = ric.calc_check_digit(text)
    if text[17] != expected:
        if text.endswith("000"):
            message = (
                f"身份证号（{mask_id(text)}）末三位为000且校验位不符，很可能曾被Excel当作数字保存；"
            )
            return None, [_problem("ID_EXCEL_MANGLED", message + _MANGLED_FIX)]
        message = f"身份证号（{mask_id(text)}）校验位错误（应为{expected}），请核对身份证号"
        return text, [_problem("ID_CHECKSUM", message)]
    problems: list[Problem] = []
    born = id_birth(text)
    if born is None or born.year < 1900 or (reference is not None and born > reference):
        written = f"{text[6:10]}-{text[10:12]}-{text[12:14]}"
        message = f"身份证号（{mask_id(text)}）中的出生日期{written}不是有效日期，请核对身份证号"
        problems.append(_problem("ID_BIRTH_INVALID", message))
        born = None
    sex = "男" if int(text[16]) % 2 else "女"
    if gender in ("男", "女") and gender != sex:
        message = f"身份证号第17位表示“{sex}”，与性别“{gender}”不符，请核对性别或身份证号"
        problems.append(_problem("ID_GENDER_MISMATCH", message, Severity.WARNING))
    if born is not None and birth is not None and months_apart(born, birth) > 1:
        message = (
            f"出生年月{birth.year}.{birth.month:02d}与身份证号中的出生日期"
            f"（{born.year}.{born.month:02d}）相差超过一个月，已按身份证号计算年龄；"
            "请核对出生年月或身份证号"
        )
        problems.append(_problem("ID_BIRTH_MISMATCH", message, Severity.WARNING))
    return text, problems


def months_apart(a: date, b: date) -> int:
    """Whole calendar months between the months of `a` and `b` (0: the same month)."""
    return abs((a.year * 12 + a.month) - (b.year * 12 + b.month))


def id_birth(text: str | None) -> date | None:
    """Return the birth date encoded in a cleaned 18-digit ID number, or None."""
    if not text or len(text) != 18 or not text[:14].isdigit():
        return None
    try:
        return date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return None
