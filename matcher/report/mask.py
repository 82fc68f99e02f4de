"""Masking of personal numbers for outputs that leave the department's machine.

`mask_id` keeps the first 4 and last 4 characters of an ID number, `mask_phone` the
first 3 and last 4 digits of a phone number; everything between becomes ``*``. Values
too short to mask safely are masked completely; `None` and "" give "".
"""

from __future__ import annotations

import re

_ID_IN_TEXT = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9Xx])")
_PHONE_IN_TEXT = re.compile(r"(?<![0-9])1[0-9]{10}(?![0-9])")
_DIGITS = re.compile(r"[0-9]{11}")


def _mask(value: str | None, head: int, tail: int) -> str:
    if value is None:
        return ""
    text = str(value).strip()
    if not text:
        return ""
    if len(text) <= head + tail:
        return "*" * len(text)
    return text[:head] + "*" * (len(text) - head - tail) + text[-tail:]


def mask_id(value: str | None) -> str:
    """ID number with all but the first 4 and last 4 characters replaced by ``*``.

    ``mask_id("150102198503051234") == "1501**********1234"``; 8 characters or fewer
    are masked completely; None gives "".
    """
    return _mask(value, 4, 4)


def mask_phone(value: str | None) -> str:
    """Phone number with all but the first 3 and last 4 characters replaced by ``*``.

    ``mask_phone("13912345678") == "139****5678"``; 7 characters or fewer are masked
    completely; None gives "".
    """
    return _mask(value, 3, 4)


def scrub(text: str) -> str:
    """Mask every ID number (15 or 18 characters) and mobile number found inside `text`.

    For free text (reasons, messages) that may quote a number; other text is unchanged.
    """
    if _DIGITS.search(text) is None:  # every number masked has 11 digits in a row
        return text
    text = _ID_IN_TEXT.sub(lambda m: mask_id(m.group(0)), text)
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)
