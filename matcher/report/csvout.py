"""CSV outputs: placements.csv, unmatched.csv and the notification lists (报到通知名单).

All CSVs are UTF-8 with BOM (Excel on Windows reads them as UTF-8), CRLF line ends, and
every text cell that starts with ``= + - @``, a tab or a carriage return is prefixed with
``'`` so that a spreadsheet never evaluates it (CSV injection). Numbers are not touched.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import BinaryIO

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype, is_object_dtype, is_string_dtype

from matcher.report.naming import safe_filename

BOM = "\ufeff"
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NOTICE_COLUMNS = [
    "序号",
    "姓名",
    "性别",
    "民族",
    "选派地区",
    "工作单位",
    "从事专业",
    "培养方式",
    "培养单位",
    "联系方式",
]
#: The trainee columns a notification list is built from.
NOTICE_SOURCE = (
    "name",
    "gender",
    "ethnicity",
    "region",
    "employer",
    "profession",
    "track",
    "host",
    "phone",
)
NOTICE_BY_HOST = "notices/按培养单位"
NOTICE_BY_REGION = "notices/按选派地区"
#: Rows joined and encoded at a time.
CSV_BLOCK_ROWS = 50_000


def neutralise(value: object) -> object:
    """`value` with a leading ``'`` when it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """`frame` as CSV bytes: BOM, header line, CRLF, neutralised text cells."""
    buffer = io.BytesIO()
    write_csv(frame, buffer)
    return buffer.getvalue()


def write_csv(frame: pd.DataFrame, handle: BinaryIO) -> None:
    """Write `frame` as CSV to `handle`: the bytes `csv_bytes` returns, a block at a time.

    Frames of text (str or object columns holding text or missing values), bool, int and
    float columns are written column-wise here, as `DataFrame.to_csv` writes them (same
    bytes), `CSV_BLOCK_ROWS` rows at a time; any other frame through `to_csv` itself.
    """
    columns = range(frame.shape[1])
    if len(columns) < 2 or not all(_supported(frame.iloc[:, i]) for i in columns):
        handle.write(_pandas_csv(frame))
        return
    header = io.StringIO()
    csv.writer(header, lineterminator="\r\n").writerow(
        [str(neutralise(str(c))) for c in frame.columns]
    )
    handle.write((BOM + header.getvalue()).encode("utf-8"))
    for start in range(0, len(frame), CSV_BLOCK_ROWS):
        block = frame.iloc[start : start + CSV_BLOCK_ROWS]
        handle.write(_lines([_fields(block.iloc[:, i]) for i in columns]).encode("utf-8"))


def _lines(fields: list[list[str]]) -> str:
    """The CSV lines of a block given column by column (each line ends with CRLF)."""
    return "\r\n".join(map(",".join, zip(*fields, strict=True))) + "\r\n"


_QUOTED = re.compile('[,"\r\n]')  # a field with one of these is quoted (csv.QUOTE_MINIMAL)
_QUOTE_CHARS = (",", '"', "\r", "\n")
_DANGER = re.compile("\x00[=+\\-@\t\r]")  # a dangerous prefix after the separator


def _supported(series: pd.Series) -> bool:
    """Whether `_fields` writes `series` as `to_csv` would (else `to_csv` writes the frame)."""
    dtype = series.dtype
    if dtype in (np.bool_, np.int64, np.float64) or isinstance(dtype, pd.Int64Dtype):
        return True
    if isinstance(dtype, pd.StringDtype):
        return True
    return is_object_dtype(dtype) and infer_dtype(series, skipna=True) in ("string", "empty")


def _fields(series: pd.Series) -> list[str]:
    """The CSV fields of a `_supported` column, as `to_csv` writes them."""
    dtype = series.dtype
    if dtype == np.bool_:
        return np.where(series.to_numpy(), "True", "False").tolist()
    if dtype == np.int64:
        return series.to_numpy().astype(str).astype(object).tolist()
    if isinstance(dtype, pd.Int64Dtype):
        text = series.to_numpy(dtype=np.int64, na_value=0).astype(str).astype(object)
        text[series.isna().to_numpy()] = ""
        return text.tolist()
    if dtype == np.float64:
        numbers = series.to_numpy()
        text = numbers.astype(str).astype(object)  # what to_csv does with floats
        text[np.isnan(numbers)] = ""
        return text.tolist()
    return _texts(series)


def _texts(series: pd.Series) -> list[str]:
    """A text column's fields: missing → "", neutralised, quoted where needed."""
    values = series.tolist()
    if series.hasnans:
        missing = series.isna().tolist()
        values = ["" if m else v for v, m in zip(values, missing, strict=True)]
    joined = "\x00" + "\x00".join(values)
    if _DANGER.search(joined):
        values = [neutralise(v) for v in values]  # type: ignore[misc]
        joined = "\x00".join(values)
    if any(char in joined for char in _QUOTE_CHARS):  # faster than `_QUOTED.search`
        values = ['"' + v.replace('"', '""') + '"' if _QUOTED.search(v) else v for v in values]
    return values


def _pandas_csv(frame: pd.DataFrame) -> bytes:
    """`frame` as CSV bytes through `DataFrame.to_csv` (dangerous text neutralised)."""
    safe = frame.copy(deep=False)  # only replaced columns differ; `frame` is not touched
    for column in safe.columns:
        series = safe[column]
        if is_object_dtype(series) or is_string_dtype(series):
            values = series.tolist()
            if any(type(v) is str and v.startswith(DANGEROUS_PREFIXES) for v in values):
                safe[column] = pd.Series(
                    [neutralise(v) for v in values], index=series.index, dtype=series.dtype
                )
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
            "姓名": trainees["name"].tolist(),
            "性别": trainees["gender"].tolist(),
            "民族": trainees["ethnicity"].tolist(),
            "选派地区": trainees["region"].tolist(),
            "工作单位": trainees["employer"].tolist(),
            "从事专业": trainees["profession"].tolist(),
            "培养方式": [f"{t}培养" if t else "" for t in trainees["track"].tolist()],
            "培养单位": trainees["host"].tolist(),
            "联系方式": trainees["phone"].tolist(),
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
    slim = trainees[list(NOTICE_SOURCE)]  # selecting rows of a few columns, not of all
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
