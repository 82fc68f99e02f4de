"""Text normalisation of cell values and headers, and masking of personal data.

Every function here is pure. NFKC turns full-width digits, letters, brackets and the
ideographic space into their half-width forms, so ``（１）`` becomes ``(1)``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime
from functools import lru_cache

_SPACE = re.compile(r"\s+")

# Values that mean "nothing written" in optional text columns (never for 健康状况).
EMPTY_MARKERS = frozenset(
    {"", "无", "/", "\\", "-", "--", "—", "——", "－", "暂无", "空", "none", "n/a"}
)


def nfkc(text: str) -> str:
    """NFKC form of `text` (full-width → half-width, ideographic space → space)."""
    return unicodedata.normalize("NFKC", text)


def cell_text(value: object) -> str:
    """Return the text of a cell as a person reads it: ``''`` for empty, ``3`` for the number 3.0.

    Dates become ISO text; integral floats lose their ``.0``; other floats keep Python's
    shortest repr (``1985.1``).
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@lru_cache(maxsize=65536)
def clean_text(text: str) -> str:
    """NFKC, whitespace runs (line breaks, ideographic spaces) collapsed to one space, stripped.

    For free text such as 工作单位, 从事专业, host names.
    """
    return _SPACE.sub(" ", nfkc(text)).strip()


@lru_cache(maxsize=65536)
def clean_name(text: str) -> str:
    """NFKC with every whitespace removed: ``"张  三"`` → ``"张三"``.

    For person names, 民族, 性别 and other short codes where spaces carry no meaning.
    """
    return "".join(nfkc(text).split())


@lru_cache(maxsize=4096)
def header_key(text: str) -> str:
    """Key of a header for alias matching: NFKC, no whitespace, ``（）``→``()``, lower case."""
    key = "".join(nfkc(text).split())
    return key.replace("（", "(").replace("）", ")").replace("：", ":").lower()


def is_blank(value: object) -> bool:
    """Tell whether a cell is empty (None, NaN, or only whitespace)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    return False


def optional_text(value: object) -> str | None:
    """Return the cleaned text of an optional cell; None when empty or 无, /, —."""
    if value is None:
        return None
    return _optional(value if isinstance(value, str) else cell_text(value))


@lru_cache(maxsize=65536)
def _optional(text: str) -> str | None:
    text = clean_text(text)
    return None if text.lower() in EMPTY_MARKERS else text


def mask_id(text: str) -> str:
    """Mask an ID number for messages: first 4 and last 4 characters, the rest ``*``."""
    text = text.strip()
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def mask_phone(text: str) -> str:
    """Mask a phone number for messages: first 3 and last 2 characters kept."""
    text = text.strip()
    if len(text) <= 5:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 5) + text[-2:]


def shorten(text: str, limit: int = 30) -> str:
    """`text` cut to `limit` characters for quoting in a message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
