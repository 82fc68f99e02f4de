"""CSV outputs: placements.csv, unmatched.csv and the notification lists (报到通知名单).

All CSVs are UTF-8 with BOM (Excel on Windows reads them as UTF-8), CRLF line ends, and
every text cell that starts with ``= + - @``, a tab or a carriage return is prefixed with
``'`` so that a spreadsheet never evaluates it (CSV injection). Numbers are not touched.
"""

from __future__ import annotations

import io
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
#: The trainee columns a notification list is built from.
NOTICE_SOURCE = ("name", "gender", "region", "employer", "track", "host", "phone")
NOTICE_BY_HOST = "notices/按培养单位"
NOTICE_BY_REGION = "notices/按选派地区"


def neutralise(value: object) -> object:
    """`value` with a leading ``'`` when it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """`frame` as CSV bytes: BOM, header line, CRLF, neutralised text cells."""
    safe = frame.copy(deep=False)  # only replaced columns differ; `frame` is not touched
    for column in safe.columns:
        series = safe[column]
        if is_object_dtype(series):
            values = series.tolist()
            if any(type(v) is str and v.startswith(DANGEROUS_PREFIXES) for v in values):
                safe[column] = pd.Series(
                    [neutralise(v) for v in values], index=series.index, dtype=object
                )
        elif is_string_dtype(series):
            safe[column] = series.map(neutralise)
    safe.columns = [str(neutralise(str(c))) for c in safe.columns]
    # Straight into bytes, chunk by chunk: no full-size text and its copies in between.
    buffer = io.BytesIO()
    buffer.write(BOM.encode("utf-8"))
    safe.to_csv(buffer, index=False, lineterminator="\r\n", encoding="utf-8", mode="wb")
    return buffer.getvalue()


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
    slim = trainees[list(NOTICE_SOURCE)]  # selecting rows of 7 columns, not of all
    for kind, column, order_of, then in (
        ("培养单位", "host", list(hosts), "region"),
        ("选派地区", "region", list(regions), "host"),
    ):
        values, then_values = trainees[column].tolist(), trainees[then].tolist()
        names = [*order_of, *values]
        other = [*(list(regions) if then == "region" else list(hosts)), *then_values]
        rank = {name: i for i, name in enumerate(dict.fromkeys(other))}
        order = [rank[v] for v in then_values]
        rows: dict[object, list[int]] = {}
        for i, value in enumerate(values):
            rows.setdefault(value, []).append(i)
        for name in dict.fromkeys(names):
            mine = rows.get(name)
            if not mine:
                continue
            mine.sort(key=order.__getitem__)  # stable: input order within a rank
            groups.append((kind, name, notice_frame(slim.iloc[mine])))
    return groups


def notice_files(groups: list[tuple[str, str, pd.DataFrame]]) -> dict[str, bytes]:
    """Relative path → CSV bytes, one file per group under notices/按培养单位 or 按选派地区."""
    files: dict[str, bytes] = {}
    taken: dict[str, set[str]] = {NOTICE_BY_HOST: set(), NOTICE_BY_REGION: set()}
    for kind, name, frame in groups:
        folder = NOTICE_BY_HOST if kind == "培养单位" else NOTICE_BY_REGION
        files[f"{folder}/{safe_filename(name, taken[folder])}"] = csv_bytes(frame)
    return files
