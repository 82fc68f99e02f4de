"""民族: the 56 ethnic groups of China with their usual short forms (``data/ethnicities.csv``).

The table has the columns 代码 (GB/T 3304), 民族 (the full name) and 简称 (short forms
separated by 、, e.g. ``蒙古、蒙、蒙族``); the department may add forms to it. A cell is read
as the group it names: its full name or a short form, after `clean_name` (spaces and
full-width forms removed). Anything else (汗族, 其他, 未知) is ETHNICITY_UNKNOWN, an
error: the 区外 track takes minorities only, so a value that names no group cannot be judged.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from matcher.ingest.problems import Problem, TableError, error
from matcher.ingest.sheets import read_csv_rows
from matcher.ingest.text import clean_name, shorten
from matcher.paths import data_dir

#: Suggested when nothing written is close to a name: the groups most common in the region.
COMMON = ("蒙古族", "汉族", "满族", "回族", "达斡尔族", "鄂温克族", "鄂伦春族")


class EthnicityTableError(Exception):
    """``ethnicities.csv`` is missing a column or gives one form to two groups."""


@lru_cache(maxsize=4)
def ethnic_groups(folder: Path | None = None) -> dict[str, str]:
    """Every accepted form (full names and short forms) → the full name of its group.

    Raises `EthnicityTableError` when the table cannot be read, lacks 民族/简称, or gives
    one form to two groups (`matcher.ingest.load.load_round` turns it into an `InputError`).
    """
    try:
        rows = read_csv_rows((folder or data_dir()) / "ethnicities.csv")
    except TableError as exc:
        raise EthnicityTableError(f"民族表 ethnicities.csv 无法读取：{exc}") from exc
    head = [clean_name(c) for c in rows[0]] if rows else []
    if "民族" not in head or "简称" not in head:
        raise EthnicityTableError("ethnicities.csv 需要“民族”和“简称”两列")
    name_at, short_at = head.index("民族"), head.index("简称")
    forms: dict[str, str] = {}
    for row in rows[1:]:
        if len(row) <= max(name_at, short_at) or not clean_name(row[name_at]):
            continue
        name = clean_name(row[name_at])
        for form in (name, *row[short_at].split("、")):
            key = clean_name(form)
            if not key:
                continue
            if forms.setdefault(key, name) != name:
                raise EthnicityTableError(
                    f"ethnicities.csv：简称“{key}”同时属于{forms[key]}和{name}"
                )
    return forms


def full_names(folder: Path | None = None) -> tuple[str, ...]:
    """The full names of the groups, in the table's order."""
    return tuple(dict.fromkeys(ethnic_groups(folder).values()))


@lru_cache(maxsize=4096)
def parse_ethnicity(text: str) -> tuple[str | None, Problem | None]:
    """Read a 民族 cell: (the group's full name, None), or (None, problem).

    Empty → (None, None) (the reader reports the required cell). A form of the table →
    its full name (蒙 → 蒙古族, 达斡尔 → 达斡尔族). Anything else → ETHNICITY_UNKNOWN with
    up to three suggestions: the closest names, else the groups common in the region.
    """
    key = clean_name(text)
    if not key:
        return None, None
    forms = ethnic_groups()
    found = forms.get(key)
    if found is not None:
        return found, None
    close = _closest(key)
    hint = "、".join(close)
    return None, error(
        "ETHNICITY_UNKNOWN",
        f"民族“{shorten(text)}”不是56个民族之一，是否为：{hint}？"
        "请填写民族全称（如“蒙古族”“汉族”），可用的名称见 data/ethnicities.csv",
    )


def _closest(key: str) -> tuple[str, ...]:
    """Up to three full names close to `key` (by the names without 族), else `COMMON`."""
    from rapidfuzz import fuzz, process  # only a row with an unknown 民族 needs it

    names = full_names()
    stems = {name.removesuffix("族") or name: name for name in names}
    stem = key.removesuffix("族") or key
    if len(stem) < 2:
        return COMMON[:3]
    found = process.extract(stem, list(stems), scorer=fuzz.ratio, limit=3, score_cutoff=60)
    close = tuple(dict.fromkeys(stems[match] for match, _score, _ in found))
    return close or COMMON[:3]
