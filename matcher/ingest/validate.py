"""Checks across rows and files: what no single row can tell on its own.

Row-level problems (ID numbers, dates, yes/no, missing fields) are found while reading
(`matcher.ingest`); this module adds, every problem at once:

- DUPLICATE_PERSON: the same 身份证号 in two rows (files);
- HOST_UNKNOWN: a choice that is no host of the catalogue, with the closest names;
- HOST_OTHER_TRACK: a choice that is a host of the other track;
- CHOICE_FIELD_MISMATCH (warning): a choice that does not train the applicant's field;
- PREARRANGED_UNKNOWN (warning): a 预先接收单位 that is no host of the applicant's track;
- REGION_NOT_IN_QUOTAS: a sending region the quota table does not know;
- QUOTA_EXCEEDS_CAPACITY (warning): a track's quotas its hosts cannot hold.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np

from matcher.model import Applicant, Applicants, HostCatalogue, Issue, QuotaTable, Severity, Track
from matcher.store import Column

CHOICE_COLUMNS = ("拟选培养单位1", "拟选培养单位2", "拟选培养单位3")


def check_round(
    applicants: Sequence[Applicant],
    catalogue: HostCatalogue,
    quotas: QuotaTable,
    *,
    quota_file: str = "quotas",
) -> list[Issue]:
    """Every cross-row problem of a round, in applicant order then file-level ones."""
    issues: list[Issue] = []
    table = Applicants.coerce(applicants)
    issues += _duplicates(applicants, table.field("id_number"))
    suggest = _suggester(catalogue)
    regions = set(quotas.regions())
    # A choice issue depends on the hosts the choices and 预先接收单位 name, the track and
    # the field alone: whether a row has any is found over the columns (each written name
    # resolved once); only rows with findings, or whose region is unknown, are visited.
    flagged = _choice_findings(table, catalogue)
    region_of = table.field("region")
    elsewhere = np.array(
        [bool(r and regions and r not in regions) for r in region_of.values], dtype=bool
    )
    if not elsewhere.any() and not flagged.any():
        return issues + _capacity_issues(catalogue, quotas, quota_file)
    unknown = elsewhere[region_of.codes]
    for i in np.flatnonzero(flagged | unknown).tolist():
        a = applicants[i]
        if flagged[i]:
            issues += _choice_issues(a, catalogue, suggest)
        if unknown[i]:
            issues.append(
                _row_issue(
                    a,
                    "选派地区",
                    "REGION_NOT_IN_QUOTAS",
                    Severity.ERROR,
                    f"选派地区“{a.region}”不在名额分配表（附件1）中，请核对地区名称或补充名额表",
                )
            )
    issues += _capacity_issues(catalogue, quotas, quota_file)
    return issues


def _choice_findings(applicants: Sequence[Applicant], catalogue: HostCatalogue) -> np.ndarray:
    """Per applicant: whether `_choice_issues` finds anything (a bool array).

    A finding reads the choices, track, field and 预先接收单位 alone, and each of them
    only through the host a written name resolves to: each distinct name is resolved
    once, and the checks (an unknown host, a host of the other track, a field it does
    not train, a 预先接收单位 not of the track) are numpy over the rows' codes.
    """
    table = Applicants.coerce(applicants)
    n = len(table)
    if n == 0:
        return np.zeros(0, dtype=bool)
    hosts = list(catalogue.hosts)
    position = {id(h): j for j, h in enumerate(hosts)}
    track_code = {track: t for t, track in enumerate(Track)}
    # host -1 (unknown) and -2 (no choice) read the two extra rows at the end
    host_track = np.array([track_code[h.track] for h in hosts] + [-1, -1], dtype=np.int64)
    named: dict[str, int] = {}

    def host_of(name: str | None) -> int:
        """The catalogue position of the host `name` resolves to, -1 for none."""
        if not name:
            return -1
        if name not in named:
            host = catalogue.resolve(name)
            named[name] = -1 if host is None else position[id(host)]
        return named[name]

    choices = table.field("choices")
    rank, names, distinct = _ranked(choices.values.tolist(), len(CHOICE_COLUMNS))
    written = np.full((len(choices.values), len(CHOICE_COLUMNS)), -2, dtype=np.int64)
    written[rank] = np.array([host_of(name) for name in distinct], dtype=np.int64)[names]
    chosen = written[choices.codes.astype(np.int64)]
    tracks = table.field("track")
    track = np.array([track_code.get(t, -1) for t in tracks.values.tolist()], dtype=np.int64)
    track = track[tracks.codes.astype(np.int64)][:, None]
    fields = table.field("field")
    trained = {f: k for k, f in enumerate(dict.fromkeys(f for f in fields.values.tolist() if f))}
    field = np.array([trained.get(f, -1) if f else -1 for f in fields.values.tolist()])
    field = field.astype(np.int64)[fields.codes.astype(np.int64)][:, None]
    # other[j, k]: host j has fields and field k is not one of them (two extra rows: no)
    other = np.zeros((len(hosts) + 2, len(trained) + 1), dtype=bool)
    for j, h in enumerate(hosts):
        if h.fields:
            other[j, : len(trained)] = [f not in h.fields for f in trained]
    known = chosen >= 0
    found = chosen == -1
    found |= known & (track >= 0) & (host_track[chosen] != track)
    found |= known & (field >= 0) & other[chosen, field]
    flagged = found.any(axis=1)
    pre = table.field("prearranged")
    pre_host = np.array([-2 if not p else host_of(p) for p in pre.values.tolist()])
    at = pre_host.astype(np.int64)[pre.codes.astype(np.int64)]
    track = track[:, 0]
    flagged |= (at == -1) | ((at >= 0) & (track >= 0) & (host_track[at] != track))
    return flagged


def _ranked(
    tuples: list[tuple[str, ...]], width: int
) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray, list[str]]:
    """The first `width` names of each tuple, flat.

    Returns the (tuple, rank) of each name, each name's code and the name of each code.
    """
    counts = np.fromiter((min(len(t), width) for t in tuples), np.int64, len(tuples))
    number: dict[str, int] = {}  # each name's code, in order of first appearance
    code = number.setdefault
    total = int(counts.sum())
    codes = np.fromiter(
        (code(name, len(number)) for t in tuples for name in t[:width]), np.int64, total
    )
    owner = np.repeat(np.arange(len(tuples)), counts)
    starts = np.cumsum(counts) - counts
    return (owner, np.arange(total) - starts[owner]), codes, list(number)


class _Row(Protocol):
    """What the choice checks read of a row."""

    @property
    def source_file(self) -> str: ...
    @property
    def source_row(self) -> int: ...
    @property
    def choices(self) -> tuple[str, ...]: ...
    @property
    def track(self) -> Track | None: ...
    @property
    def field(self) -> str | None: ...
    @property
    def prearranged(self) -> str | None: ...


def _row_issue(a: _Row, column: str, code: str, severity: Severity, message: str) -> Issue:
    return Issue(
        file=a.source_file,
        row=a.source_row,
        column=column,
        code=code,
        severity=severity,
        message=message,
    )


def _duplicates(applicants: Sequence[Applicant], ids: Column) -> list[Issue]:
    """One DUPLICATE_PERSON per row whose 身份证号 another row has too, ID by ID.

    Rows are grouped by ID number (linear in the rows); each message names at most
    `NAMED_OTHERS` of the other rows and counts the rest, so a thousand copies of one ID
    cost a thousand short messages, not a million places. `ids` is the rows' 身份证号
    column (equal IDs share a code: a row's ID is on another row when its code is).
    """
    codes = ids.codes.astype(np.int64)
    twice = np.bincount(codes, minlength=len(ids.values))[codes] > 1
    rows: dict[str, list[int]] = defaultdict(list)
    for at in np.flatnonzero(twice).tolist():
        number = ids.values[codes[at]]
        if number and len(number) == 18:
            rows[number].append(at)
    flagged: list[tuple[int, str]] = []
    for same in rows.values():
        if len(same) < 2:
            continue
        places = [_place(applicants[at]) for at in same[: NAMED_OTHERS + 1]]
        for n, at in enumerate(same):
            named = [p for k, p in enumerate(places) if k != n][:NAMED_OTHERS]
            more = len(same) - 1 - len(named)
            others = "、".join(named) + (f"等共{len(same) - 1}行" if more else "")
            flagged.append((at, others))
    return [
        _row_issue(
            applicants[at],
            "身份证号",
            "DUPLICATE_PERSON",
            Severity.ERROR,
            f"{applicants[at].name}的身份证号与{others}相同：同一人重复申报，请只保留一条",
        )
        for at, others in flagged
    ]


#: How many of the other rows with the same 身份证号 a DUPLICATE_PERSON message names.
NAMED_OTHERS = 5


def _place(a: Applicant) -> str:
    return f"{a.source_file}第{a.source_row}行"


def _suggester(catalogue: HostCatalogue):  # type: ignore[no-untyped-def]
    names = catalogue.names()

    @lru_cache(maxsize=4096)
    def suggest(name: str) -> tuple[str, ...]:
        from rapidfuzz import fuzz, process  # only a round with an unknown host needs it

        found = process.extract(name, names, scorer=fuzz.WRatio, limit=3, score_cutoff=60)
        return tuple(match for match, _score, _idx in found)

    return suggest


def _choice_issues(a: _Row, catalogue: HostCatalogue, suggest) -> list[Issue]:  # type: ignore[no-untyped-def]
    issues = []
    for column, name in zip(CHOICE_COLUMNS, a.choices, strict=False):
        host = catalogue.resolve(name)
        if host is None:
            close = suggest(name)
            hint = f"，是否为：{'、'.join(close)}" if close else "，请对照培养单位目录填写全称"
            issues.append(
                _row_issue(
                    a,
                    column,
                    "HOST_UNKNOWN",
                    Severity.ERROR,
                    f"培养单位“{name}”不在培养单位目录中{hint}",
                )
            )
        elif a.track is not None and host.track is not a.track:
            issues.append(
                _row_issue(
                    a,
                    column,
                    "HOST_OTHER_TRACK",
                    Severity.ERROR,
                    f"“{host.name}”是{host.track.value}培养单位，申请人报的是{a.track.value}培养，"
                    f"请改选{a.track.value}培养单位",
                )
            )
        elif a.field and host.fields and a.field not in host.fields:
            issues.append(
                _row_issue(
                    a,
                    column,
                    "CHOICE_FIELD_MISMATCH",
                    Severity.WARNING,
                    f"“{host.name}”的培养专业（{'、'.join(host.fields)}）不含申请人的专业领域"
                    f"“{a.field}”，请确认专业对口",
                )
            )
    if a.prearranged:
        host = catalogue.resolve(a.prearranged)
        if host is None or (a.track is not None and host.track is not a.track):
            issues.append(
                _row_issue(
                    a,
                    "预先接收单位",
                    "PREARRANGED_UNKNOWN",
                    Severity.WARNING,
                    f"预先接收单位“{a.prearranged}”不是本培养方式目录中的培养单位，"
                    "将按志愿正常安排；如确已接收，请先将其补入培养单位目录",
                )
            )
    return issues


def _capacity_issues(catalogue: HostCatalogue, quotas: QuotaTable, quota_file: str) -> list[Issue]:
    issues = []
    for track in Track:
        places = quotas.total(track)
        capacity = sum(h.capacity for h in catalogue.hosts if h.track is track)
        if places > capacity:
            issues.append(
                Issue(
                    file=quota_file,
                    column=f"{track.value}名额",
                    code="QUOTA_EXCEEDS_CAPACITY",
                    severity=Severity.WARNING,
                    message=(
                        f"{track.value}名额合计{places}个，但{track.value}培养单位接收名额"
                        f"合计只有{capacity}个，至少{places - capacity}个名额无法使用；"
                        "请增加培养单位或其接收名额"
                    ),
                )
            )
    return issues
