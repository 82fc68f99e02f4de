"""CSV outputs: placements.csv, unmatched.csv and the notification lists (报到通知名单).

All CSVs are UTF-8 with BOM (Excel on Windows reads them as UTF-8), CRLF line ends, and
every text cell that starts with ``= + - @``, a tab or a carriage return is prefixed with
``'`` so that a spreadsheet never evaluates it (CSV injection). Numbers are not touched.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from pandas.api.types import is_object_dtype, is_string_dtype

from matcher.report.naming import safe_filename

BOM = "\ufeff"
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NOTICE_COLUMNS = [
    "序号",
    "姓名",
    "性别",
    "选派地区",
    "工作单位",
    "培养方式",
    "培养单位",
    "联系方式",
]
NOTICE_BY_HOST = "notices/按培养单位"
NOTICE_BY_REGION = "notices/按选派地区"


def neutralise(value: object) -> object:
    """`value` with a leading ``'`` when it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """`frame` as CSV bytes: BOM, header line, CRLF, neutralised text cells."""
    safe = frame.copy()
    for column in safe.columns:
        if is_object_dtype(safe[column]) or is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    safe.columns = [str(neutralise(str(c))) for c in safe.columns]
    text = safe.to_csv(index=False, lineterminator="\r\n")
    return (BOM + text).encode("utf-8")


def notice_frame(trainees: pd.DataFrame) -> pd.DataFrame:
    """Build the notification list's columns (序号 … 联系方式) for `trainees` in their order."""
    return pd.DataFrame(
        {
            "序号": range(1, len(trainees) + 1),
            "姓名": list(trainees["name"]),
            "性别": list(trainees["gender"]),
            "选派地区": list(trainees["region"]),
            "工作单位": list(trainees["employer"]),
            "培养方式": [f"{t}培养" if t else "" for t in trainees["track"]],
            "培养单位": list(trainees["host"]),
            "联系方式": list(trainees["phone"]),
        },
        columns=NOTICE_COLUMNS,
    )


def notice_groups(
    trainees: pd.DataFrame, hosts: Iterable[str], regions: Iterable[str]
) -> list[tuple[str, str, pd.DataFrame]]:
    """(kind, name, list) per host and per sending region that has trainees.

    `kind` is "培养单位" or "选派地区"; hosts in `hosts` order (then any other), regions in
    `regions` order (then any other). A host's list is ordered by region then input
    order; a region's list by host then input order.
    """
    groups: list[tuple[str, str, pd.DataFrame]] = []
    for kind, column, order_of, then in (
        ("培养单位", "host", list(hosts), "region"),
        ("选派地区", "region", list(regions), "host"),
    ):
        names = [*order_of, *trainees[column]]
        other = [*(list(regions) if then == "region" else list(hosts)), *trainees[then]]
        rank = {name: i for i, name in enumerate(dict.fromkeys(other))}
        for name in dict.fromkeys(names):
            mine = trainees[trainees[column] == name]
            if mine.empty:
                continue
            mine = mine.assign(_order=[rank[v] for v in mine[then]]).sort_values(
                "_order", kind="stable"
            )
            groups.append((kind, name, notice_frame(mine.drop(columns="_order"))))
    return groups


def notice_files(groups: list[tuple[str, str, pd.DataFrame]]) -> dict[str, bytes]:
    """Relative path → CSV bytes, one file per group under notices/按培养单位 or 按选派地区."""
    files: dict[str, bytes] = {}
    taken: dict[str, set[str]] = {NOTICE_BY_HOST: set(), NOTICE_BY_REGION: set()}
    for kind, name, frame in groups:
        folder = NOTICE_BY_HOST if kind == "培养单位" else NOTICE_BY_REGION
        files[f"{folder}/{safe_filename(name, taken[folder])}"] = csv_bytes(frame)
    return files
