"""The July report-to-host lists (报到通知名单): one table by host, one by sending region.

Each table holds every trainee once, grouped by host (or region) with that name as its
first column, so a clerk filters it to one host; 序号 counts within each group. Hosts come
in the catalogue's order, regions in the quota table's (then any other, in input order);
within a host, trainees are ordered by region then input order, within a region by host
then input order. Building them costs two sorts of the trainees, whatever the number of
hosts. Files per host (and per region) are written beside the tables only while there are
at most `NOTICE_FILES_MAX` of them: a folder of thousands of files is not something a
person opens.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from matcher.report.csvout import csv_bytes
from matcher.report.naming import safe_filename

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
#: Files per host (per region) are written only up to this many hosts (regions).
NOTICE_FILES_MAX = 200
KINDS = {"培养单位": NOTICE_BY_HOST, "选派地区": NOTICE_BY_REGION}


@dataclass(frozen=True)
class NoticeTable:
    """The trainees grouped by host or by region (see the module docstring).

    `frame` has the group's column first, then the other `NOTICE_COLUMNS`; `names` are
    the groups in order and ``frame.iloc[starts[k]:starts[k + 1]]`` is group ``names[k]``.
    """

    kind: str
    frame: pd.DataFrame
    names: list[str]
    starts: npt.NDArray[np.int64]

    @property
    def folder(self) -> str:
        """Where its files per group go (``notices/按培养单位`` or ``notices/按选派地区``)."""
        return KINDS[self.kind]

    def groups(self) -> Iterator[tuple[str, int, int]]:
        """(name, first row, end row) of each group, in order."""
        for k, name in enumerate(self.names):
            yield name, int(self.starts[k]), int(self.starts[k + 1])

    def group_frame(self, start: int, stop: int) -> pd.DataFrame:
        """Rows ``start:stop`` with `NOTICE_COLUMNS` in their order (one group's list)."""
        return self.frame.iloc[start:stop][NOTICE_COLUMNS].reset_index(drop=True)


def _ranks(values: pd.Series, order: Iterable[object]) -> npt.NDArray[np.int64]:
    """Each value's position in `order`, then after it in order of first appearance.

    Decided once per distinct value.
    """
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    rank = {name: i for i, name in enumerate(dict.fromkeys([*order, *distinct]))}
    ranks = np.fromiter((rank[v] for v in distinct), dtype=np.int64, count=len(distinct))
    return ranks[codes]


def _track_texts(tracks: pd.Series) -> pd.Series:
    """培养方式 of each track (区外 → 区外培养, "" stays ""), once per distinct track."""
    codes, distinct = pd.factorize(tracks, use_na_sentinel=False)
    texts = pd.array([f"{t}培养" if t else "" for t in distinct], dtype="str")
    return pd.Series(texts.take(codes))


def notice_tables(
    trainees: pd.DataFrame, hosts: Iterable[str], regions: Iterable[str]
) -> tuple[NoticeTable, NoticeTable]:
    """The table by host and the table by region of `trainees` (in input order)."""
    hosts, regions = list(hosts), list(regions)
    slim = trainees[list(NOTICE_SOURCE)]
    host_rank = _ranks(slim["host"], hosts)
    region_rank = _ranks(slim["region"], regions)
    position = np.arange(len(slim), dtype=np.int64)
    tables = []
    for kind, column, group, then in (
        ("培养单位", "host", host_rank, region_rank),
        ("选派地区", "region", region_rank, host_rank),
    ):
        order = np.lexsort((position, then, group))
        sorted_group = group[order]
        changes = sorted_group[1:] != sorted_group[:-1]
        firsts = np.flatnonzero(np.r_[len(order) > 0, changes]).astype(np.int64)
        starts = np.r_[firsts, len(order)].astype(np.int64)
        sizes = np.diff(starts)
        seq = np.arange(len(order), dtype=np.int64) - np.repeat(firsts, sizes) + 1
        rows = slim.take(order).reset_index(drop=True)
        texts: dict[str, Any] = {
            "姓名": rows["name"],
            "性别": rows["gender"],
            "民族": rows["ethnicity"],
            "选派地区": rows["region"],
            "工作单位": rows["employer"],
            "从事专业": rows["profession"],
            "培养方式": _track_texts(rows["track"]),
            "培养单位": rows["host"],
            "联系方式": rows["phone"],
        }
        if rows.empty:  # the dtypes pandas gives empty lists
            texts = {name: [] for name in texts}
        frame = pd.DataFrame({"序号": seq, **texts})
        lead = "培养单位" if kind == "培养单位" else "选派地区"
        frame = frame[[lead, *(c for c in NOTICE_COLUMNS if c != lead)]]
        names = rows[column].iloc[firsts].tolist()
        tables.append(NoticeTable(kind, frame, names, starts))
    return tables[0], tables[1]


def notice_files(tables: Iterable[NoticeTable]) -> Iterator[tuple[str, bytes]]:
    """(relative path, CSV bytes): each whole table, then one file per group where few.

    ``notices/按培养单位.csv`` and ``notices/按选派地区.csv`` always; files under
    ``notices/按培养单位/`` (``按选派地区/``) while there are at most `NOTICE_FILES_MAX`.
    """
    tables = list(tables)
    for table in tables:
        yield f"{table.folder}.csv", csv_bytes(table.frame)
    for table in tables:
        if len(table.names) > NOTICE_FILES_MAX:
            continue
        taken: set[str] = set()
        for name, start, stop in table.groups():
            stem = name if isinstance(name, str) else ""
            path = f"{table.folder}/{safe_filename(stem, taken)}"
            yield path, csv_bytes(table.group_frame(start, stop))
