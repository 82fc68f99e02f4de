"""Safe names for files and worksheets, and the display width of text.

Host and region names come from the department's files; they may hold any character.
"""

from __future__ import annotations

import hashlib
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
#: Excel's limit on a worksheet name, in UTF-16 code units (a character outside the BMP,
#: such as 𠀀, counts two).
SHEET_NAME_MAX = 31
FILE_STEM_MAX = 80
#: A file name's stem at most, in UTF-8 bytes: file systems allow 255 bytes a name, and the
#: suffix, a ``(n)`` and a temporary wrapper must still fit.
FILE_STEM_BYTES = 180
#: Characters of the hash that ends a shortened name (``~`` and 8 hex digits).
HASH_LENGTH = 8


def safe_filename(name: str, taken: set[str], *, suffix: str = ".csv") -> str:
    """Return a file name for `name` that is valid on Windows, macOS and Linux and not in `taken`.

    Forbidden characters become ``_``; leading dots and trailing dots/spaces are removed;
    reserved device names get a ``_`` prefix; a stem over `FILE_STEM_MAX` characters or
    `FILE_STEM_BYTES` UTF-8 bytes is shortened with `fit_name` (so the name depends only on
    `name`); a clash with `taken` (compared case-insensitively) gets ``(2)``, ``(3)``….
    The result is added to `taken` (lower-cased).
    """
    stem = _FILE_BAD.sub("_", unicodedata.normalize("NFC", name or "")).strip()
    stem = stem.lstrip(".").rstrip(". ")
    if not stem:
        stem = "_"
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = "_" + stem
    stem = fit_name(stem, FILE_STEM_BYTES, key=name, chars=FILE_STEM_MAX)
    return _unique(stem, suffix, taken, FILE_STEM_MAX)


def fit_name(text: str, limit: int, *, key: str | None = None, chars: int | None = None) -> str:
    """`text` if it fits `limit` UTF-8 bytes (and `chars` characters), else a stable short form.

    The short form is the longest prefix that leaves room for ``~`` and `HASH_LENGTH` hex
    digits of the SHA-256 of `key` (default `text`), then that suffix: two long names that
    share their beginning still differ, and the same name always gives the same result.
    """
    chars = len(text) if chars is None else chars
    if len(text) <= chars and len(text.encode("utf-8")) <= limit:
        return text
    digest = hashlib.sha256((text if key is None else key).encode("utf-8")).hexdigest()
    tail = "~" + digest[:HASH_LENGTH]
    budget, room = limit - len(tail), chars - len(tail)
    head = []
    for character in text[: max(room, 0)]:
        budget -= len(character.encode("utf-8"))
        if budget < 0:
            break
        head.append(character)
    return "".join(head) + tail


def utf16_prefix(text: str, units: int) -> str:
    """The longest prefix of `text` of at most `units` UTF-16 code units (Excel's count).

    A character outside the BMP (two units) is never split.
    """
    total = 0
    for index, character in enumerate(text):
        total += 2 if ord(character) > 0xFFFF else 1
        if total > units:
            return text[:index]
    return text


def utf16_length(text: str) -> int:
    """Length of `text` in UTF-16 code units, as Excel counts a sheet name."""
    return len(text) + sum(ord(c) > 0xFFFF for c in text)


def safe_sheet_name(name: str, taken: set[str]) -> str:
    r"""Return a worksheet name for `name`: no ``[]:*?/\``, at most 31 UTF-16 units, not in `taken`.

    Names may not start or end with an apostrophe, nor be empty or ``History``. The
    length is counted as Excel counts it (a character outside the BMP is two units) and a
    cut never splits one. Clashes (case-insensitive) get ``(2)``, ``(3)``…. The result is
    added to `taken` (lower-cased).
    """
    text = _SHEET_BAD.sub("_", name or "").strip().strip("'")
    if not text or text.lower() == "history":
        text = text + "_" if text else "_"
    text = utf16_prefix(text, SHEET_NAME_MAX).rstrip("'") or "_"
    return _unique(text, "", taken, SHEET_NAME_MAX, sheet=True)


def _unique(stem: str, suffix: str, taken: set[str], limit: int, *, sheet: bool = False) -> str:
    candidate = stem + suffix
    number = 2
    while candidate.lower() in taken:
        tag = f"({number})"
        head = utf16_prefix(stem, limit - len(tag)) if sheet else stem[: limit - len(tag)]
        candidate = head + tag + suffix
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
