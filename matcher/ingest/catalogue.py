"""Shared helpers of the small department tables (hosts, quotas): header lookup, integers."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from matcher.ingest.sheets import Sheet
from matcher.ingest.text import cell_text, clean_name, header_key

_ANNOTATION = re.compile(r"\([^()]*\)")
#: The largest capacity or quota read (a round places tens; ≥ 2³¹ would not fit the arrays).
MAX_PLACES = 1_000_000
#: What a count cell may hold to mean 0 (`parse_count`).
ZERO_MARKS = ("", "—", "-", "——", "－", "/", "无")


def find_columns(
    sheets: Sequence[Sheet], aliases: Mapping[str, tuple[str, ...]], required: str, scan: int = 10
) -> tuple[Sheet, int, dict[str, tuple[int, str]]] | None:
    """Find the first sheet and row (0-based) whose cells name `required` and another column.

    Returns (sheet, header row, key → (column, header text as written)) or None.
    Headers match after `header_key`, also with bracketed annotations removed
    (``区外名额 (名)`` → ``区外名额``).
    """
    table = {header_key(a): key for key, names in aliases.items() for a in (key, *names)}
    for sheet in sheets:
        for index, row in enumerate(sheet.rows[:scan]):
            found: dict[str, tuple[int, str]] = {}
            for col, value in enumerate(row):
                text = cell_text(value).strip()
                key = header_key(text)
                hit = table.get(key) or table.get(_ANNOTATION.sub("", key))
                if hit and hit not in found:
                    found[hit] = (col, " ".join(text.split()))
            if required in found and len(found) >= 2:
                return sheet, index, found
    return None


def parse_count(value: object) -> int | None:
    """Read a non-negative whole number (3, 3.0, "3", "3名"); `—`, `-`, empty → 0; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if value == value and float(value).is_integer() and value >= 0 else None
    text = clean_name(cell_text(value)).rstrip("名人个")
    if text in ZERO_MARKS:
        return 0
    if text.isdigit():
        return int(text)
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() and number >= 0 else None


def means_zero(value: object) -> bool:
    """Whether a count cell is empty or a dash (`parse_count` reads it as 0)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != value  # NaN: an empty cell
    return clean_name(cell_text(value)).rstrip("名人个") in ZERO_MARKS
