"""Safe names for files and worksheets, and the display width of text.

Host and region names come from the department's files; they may hold any character.
"""

from __future__ import annotations

import re
import unicodedata

_FILE_BAD = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_SHEET_BAD = re.compile(r"[\x00-\x1f\x7f\[\]:*?/\\]")
_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
SHEET_NAME_MAX = 31
FILE_STEM_MAX = 80


def safe_filename(name: str, taken: set[str], *, suffix: str = ".csv") -> str:
    """Return a file name for `name` that is valid on Windows, macOS and Linux and not in `taken`.

    Forbidden characters become ``_``; leading dots and trailing dots/spaces are removed;
    reserved device names get a ``_`` prefix; the stem is cut to `FILE_STEM_MAX`; a clash
    with `taken` (compared case-insensitively) gets ``(2)``, ``(3)``…. The result is added
    to `taken` (lower-cased).
    """
    stem = _FILE_BAD.sub("_", unicodedata.normalize("NFC", name or "")).strip()
    stem = stem.lstrip(".").rstrip(". ")
    if not stem:
        stem = "_"
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = "_" + stem
    stem = stem[:FILE_STEM_MAX]
    return _unique(stem, suffix, taken, FILE_STEM_MAX)


def safe_sheet_name(name: str, taken: set[str]) -> str:
    r"""Return a worksheet name for `name`: no ``[]:*?/\``, at most 31 characters, not in `taken`.

    Names may not start or end with an apostrophe, nor be empty or ``History``. Clashes
    (case-insensitive) get ``(2)``, ``(3)``…. The result is added to `taken` (lower-cased).
    """
    text = _SHEET_BAD.sub("_", name or "").strip().strip("'")
    if not text or text.lower() == "history":
        text = text + "_" if text else "_"
    return _unique(text[:SHEET_NAME_MAX], "", taken, SHEET_NAME_MAX)


def _unique(stem: str, suffix: str, taken: set[str], limit: int) -> str:
    candidate = stem + suffix
    number = 2
    while candidate.lower() in taken:
        tag = f"({number})"
        candidate = stem[: limit - len(tag)] + tag + suffix
        number += 1
    taken.add(candidate.lower())
    return candidate


def display_width(text: object) -> int:
    """Columns `text` takes in a fixed-width rendering: wide (CJK) characters count 2."""
    if text is None:
        return 0
    string = str(text)
    if string.isascii():
        return len(string)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in string)
