"""The DataFrames every writer uses, built from a `RunResult`.

`placements_frame` has one row per input applicant row, in input order, with the
contract's columns first (source_file, source_row, name, id_number, region, track,
status, choice_rank, host, reason_code, reason) and then the applicant's other fields.
The other frames are selections or aggregates of it, or of the summary dict.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from matcher.engine.lottery import draw_text
from matcher.engine.result import Outcome, RunResult
from matcher.model import Applicant, Issue, Severity, Status, Track
from matcher.store import column as field_values

UNKNOWN = "未识别"

STATUS_LABELS = {
    Status.PLACED: "按志愿录取",
    Status.ADJUSTED: "调剂录取",
    Status.UNMATCHED: "未录取",
    Status.INELIGIBLE: "不符合条件",
    Status.INVALID: "数据无效",
}
RANK_LABELS = {1: "第一志愿", 2: "第二志愿", 3: "第三志愿"}
PREARRANGED_LABEL = "预先接收"
#: Where a pre-arrangement came from (placements' ``prearranged_from``): by from-remark.
PREARRANGED_FROM = {False: "预先接收单位列", True: "备注"}
ADJUSTED_LABEL = "调剂"
TRAINEE_STATUSES = (Status.PLACED, Status.ADJUSTED)
NOT_PLACED_STATUSES = (Status.UNMATCHED, Status.INELIGIBLE, Status.INVALID)
INVALID_REMEDY = "按数据问题中的说明改正该行后重新报送"

PLACEMENT_COLUMNS = [
    "source_file",
    "source_row",
    "name",
    "id_number",
    "region",
    "track",
    "status",
    "choice_rank",
    "host",
    "reason_code",
    "reason",
    "remedy",
    "phone",
    "gender",
    "ethnicity",
    "birth",
    "employer",
    "work_start",
    "profession",
    "field",
    "education",
    "graduation_year",
    "title",
    "sending_unit",
    "choice_1",
    "choice_2",
    "choice_3",
    "accepts_adjustment",
    "priority",
    "grassroots",
    "unit_type",
    "score",
    "prearranged",
    "prearranged_from",
    "remark",
    "problems",
    "draw",
    "priority_position",
    "adjustment_field",
]
UNMATCHED_COLUMNS = [
    "source_file",
    "source_row",
    "name",
    "id_number",
    "phone",
    "region",
    "track",
    "status",
    "reason_code",
    "reason",
    "remedy",
    "choice_1",
    "choice_2",
    "choice_3",
    "accepts_adjustment",
    "priority_position",
    "draw",
    "field",
]
ADJUSTMENT_COLUMNS = [
    "source_file",
    "source_row",
    "name",
    "id_number",
    "region",
    "track",
    "profession",
    "field",
    "choice_1",
    "choice_2",
    "choice_3",
    "host",
    "host_fields",
    "adjustment_field",
]
INELIGIBLE_COLUMNS = [
    "source_file",
    "source_row",
    "name",
    "id_number",
    "region",
    "track",
    "reason_code",
    "reason",
    "remedy",
]
PROBLEM_COLUMNS = ["file", "row", "column", "code", "severity", "message"]
#: Figures per region × track (also `result.json`'s summary per region and track).
GROUP_KEYS = (
    "quota",
    "applicants",
    "placed",
    "adjusted",
    "filled",
    "unmatched",
    "ineligible",
    "invalid",
    "unplaced",
    "unused",
)
REGION_COLUMNS = ["region", "track", *GROUP_KEYS]
HOST_COLUMNS = [
    "host",
    "track",
    "location",
    "capacity",
    "filled",
    "first",
    "second",
    "third",
    "prearranged",
    "adjusted",
    "free",
]
FUNDING_COLUMNS = [
    "scope",
    "name",
    "track",
    "trainees",
    "tuition_lodging",
    "management",
    "living",
    "total",
]


class ReportError(ValueError):
    """The RunResult cannot be reported (outcomes do not match the applicants)."""


def pairs(result: RunResult) -> Iterator[tuple[Applicant, Outcome]]:
    """(applicant, outcome) in input order; raise `ReportError` when they do not match."""
    applicants, outcomes = matched(result)
    yield from zip(applicants, outcomes, strict=True)


def matched(result: RunResult) -> tuple[Sequence[Applicant], Sequence[Outcome]]:
    """The applicants and their outcomes (same order); `ReportError` when they do not match."""
    applicants, outcomes = result.round.applicants, result.outcomes
    if len(applicants) != len(outcomes):
        raise ReportError(f"{len(applicants)} applicants but {len(outcomes)} outcomes")
    if field_values(applicants, "key") != field_values(outcomes, "key"):
        for applicant, outcome in zip(applicants, outcomes, strict=True):
            if applicant.key != outcome.key:
                raise ReportError(f"outcome {outcome.key!r} does not match row {applicant.key!r}")
    return applicants, outcomes


def region_of(applicant: Applicant) -> str:
    """Return the quota region, or `UNKNOWN`."""
    return applicant.region or UNKNOWN


def track_of(applicant: Applicant) -> str:
    """Return the track's value (区外/区内), or `UNKNOWN`."""
    return applicant.track.value if applicant.track is not None else UNKNOWN


def all_issues(result: RunResult) -> list[Issue]:
    """Every issue of the round once: the round's, then any row problem it lacks."""
    found = dict.fromkeys(result.round.issues)
    rows = result.round.applicants.field("problems")
    for code in dict.fromkeys(rows.codes.tolist()):  # each distinct tuple, in row order
        problems = rows.values[code]
        if problems:
            found.update(dict.fromkeys(problems))
    return list(found)


def _month(day: date | None) -> str:
    return f"{day.year:04d}-{day.month:02d}" if day else ""


def _reason(applicant: Applicant, outcome: Outcome) -> tuple[str, str, str]:
    code, reason, remedy = outcome.reason_code, outcome.reason, outcome.remedy
    if outcome.status is Status.INVALID:
        errors = [p for p in applicant.problems if p.severity is Severity.ERROR]
        code = code or ";".join(dict.fromkeys(p.code for p in errors))
        reason = reason or "；".join(
            f"{p.column}：{p.message}" if p.column and p.column not in p.message else p.message
            for p in errors
        )
        remedy = remedy or INVALID_REMEDY
    return code, reason, remedy


def _texts(values: Iterable[str | None]) -> list[str]:
    """`values` with None as ""."""
    return [value or "" for value in values]


def _months(days: Iterable[date | None]) -> list[str]:
    """`_month` of each day, computed once per distinct day."""
    seen: dict[date | None, str] = {}
    out = []
    for day in days:
        text = seen.get(day)
        if text is None:
            text = seen[day] = _month(day)
        out.append(text)
    return out


def placement_columns(result: RunResult) -> dict[str, list[Any]]:
    """The values of `placements_frame`, column by column (`PLACEMENT_COLUMNS` order).

    Raises `ReportError` when the outcomes do not match the applicants.
    """
    applicants, outcomes = matched(result)
    rules = result.round.rules

    def column(name: str, rows: Sequence[Any] | None = None) -> list[Any]:
        return field_values(applicants if rows is None else rows, name)

    statuses = column("status", outcomes)
    codes, reasons, remedies = (
        column("reason_code", outcomes),
        column("reason", outcomes),
        column("remedy", outcomes),
    )
    for i, status in enumerate(statuses):
        if status is Status.INVALID:
            codes[i], reasons[i], remedies[i] = _reason(applicants[i], outcomes[i])
    choices = column("choices")
    units = column("unit_type")
    non_public = {unit: rules.is_non_public(unit) for unit in set(units)}
    grassroots = column("grassroots")
    tracks = {Track.OUT: Track.OUT.value, Track.IN: Track.IN.value, None: ""}
    return {
        "source_file": column("source_file"),
        "source_row": column("source_row"),
        "name": column("name"),
        "id_number": _texts(column("id_number")),
        "region": _texts(column("region")),
        "track": [tracks[t] for t in column("track")],
        "status": [s.value for s in statuses],
        "choice_rank": column("choice_rank", outcomes),
        "host": _texts(column("host", outcomes)),
        "reason_code": codes,
        "reason": reasons,
        "remedy": remedies,
        "phone": _texts(column("phone")),
        "gender": _texts(column("gender")),
        "ethnicity": _texts(column("ethnicity")),
        "birth": _months(column("birth")),
        "employer": _texts(column("employer")),
        "work_start": _months(column("work_start")),
        "profession": _texts(column("profession")),
        "field": _texts(column("field")),
        "education": _texts(column("education_text")),
        "graduation_year": column("graduation_year"),
        "title": _texts(column("title")),
        "sending_unit": _texts(column("sending_unit")),
        "choice_1": [c[0] if c else "" for c in choices],
        "choice_2": [c[1] if len(c) > 1 else "" for c in choices],
        "choice_3": [c[2] if len(c) > 2 else "" for c in choices],
        "accepts_adjustment": column("accepts_adjustment"),
        "priority": [g or non_public[u] for g, u in zip(grassroots, units, strict=True)],
        "grassroots": grassroots,
        "unit_type": _texts(units),
        "score": column("score"),
        "prearranged": _texts(column("prearranged")),
        "prearranged_from": [
            PREARRANGED_FROM[bool(r)] if p else ""
            for p, r in zip(column("prearranged"), column("prearranged_from_remark"), strict=True)
        ],
        "remark": _texts(column("remark")),
        "problems": [
            ";".join(dict.fromkeys(p.code for p in problems)) if problems else ""
            for problems in column("problems")
        ],
        "draw": list(map(draw_text, column("draw", outcomes))),
        "priority_position": column("priority_position", outcomes),
        "adjustment_field": _adjustment_fields(result, statuses, column("field")),
    }


def _adjustment_fields(
    result: RunResult, statuses: Sequence[Status], fields: Sequence[str | None]
) -> list[str]:
    """Per row: the field an adjustment was made by (the applicant's, which the host trains).

    Empty for every row not adjusted, and for an adjusted row whose host does not train
    its field (which the verifier rejects), so that a clerk sees the gap.
    """
    out = [""] * len(statuses)
    trains = {h.name: frozenset(h.fields) for h in result.round.hosts}
    hosts = field_values(result.outcomes, "host")
    for i, status in enumerate(statuses):
        if status is Status.ADJUSTED:
            field = fields[i]
            if field and field in trains.get(hosts[i] or "", ()):
                out[i] = field
    return out


def placements_frame(result: RunResult) -> pd.DataFrame:
    """One row per input applicant row, in input order, columns `PLACEMENT_COLUMNS`.

    `choice_rank`, `graduation_year` and `priority_position` are nullable integers;
    `score` a float or NaN; `draw` the lottery draw in hexadecimal (`matcher.engine.lottery`);
    for `invalid` rows without a reason on the outcome, the reason lists the row's errors.
    Built column by column from the applicants and outcomes (no per-row dicts).
    """
    columns = placement_columns(result)
    if not columns["source_row"]:  # no rows: the dtypes pandas gives empty lists
        frame = pd.DataFrame(columns, columns=PLACEMENT_COLUMNS)
        for column in _INTEGERS:
            frame[column] = frame[column].astype("Int64")
        frame["score"] = frame["score"].astype("float64")
        for column in _FLAGS:
            frame[column] = frame[column].astype(bool)
        return frame
    # Each column converted straight to its dtype (not inferred by pandas, then cast).
    typed: dict[str, Any] = {}
    for name in PLACEMENT_COLUMNS:
        values = columns.pop(name)
        if name in _INTEGERS:  # None → <NA>; whole numbers far below 2**53
            typed[name] = pd.array(np.array(values, dtype=np.float64), dtype="Int64")
        elif name == "score":
            typed[name] = np.array(values, dtype=np.float64)  # None → NaN
        elif name in _FLAGS:
            typed[name] = np.array(values, dtype=bool)
        else:  # every other column holds texts only: pandas' inferred "str" dtype,
            # from an Arrow array made at once (pandas would check each value first)
            typed[name] = pd.array(pa.array(values, type=pa.large_string()), dtype="str")
        del values
    return pd.DataFrame(typed, columns=PLACEMENT_COLUMNS, copy=False)


_INTEGERS = ("choice_rank", "graduation_year", "source_row", "priority_position")
_FLAGS = ("accepts_adjustment", "priority", "grassroots")


def _select(frame: pd.DataFrame, statuses: tuple[Status, ...], columns: list[str]) -> pd.DataFrame:
    mask = frame["status"].isin([s.value for s in statuses])
    return frame.loc[mask].reset_index(drop=True).reindex(columns=columns)


def trainees_frame(placements: pd.DataFrame) -> pd.DataFrame:
    """Placed and adjusted rows of `placements` (all columns), input order."""
    return _select(placements, TRAINEE_STATUSES, list(placements.columns))


def unmatched_frame(placements: pd.DataFrame) -> pd.DataFrame:
    """Everyone not placed (unmatched, ineligible, invalid) with reason and remedy."""
    return _select(placements, NOT_PLACED_STATUSES, UNMATCHED_COLUMNS)


def ineligible_frame(placements: pd.DataFrame) -> pd.DataFrame:
    """Ineligible applicants with the rules they fail."""
    return _select(placements, (Status.INELIGIBLE,), INELIGIBLE_COLUMNS)


def adjustments_frame(result: RunResult, placements: pd.DataFrame) -> pd.DataFrame:
    """Applicants placed by adjustment, with the fields their new host trains.

    `adjustment_field` is the field the adjustment was made by: the applicant's field,
    which the host trains (专业对口), so that a clerk can check each adjustment.
    """
    columns = [c for c in ADJUSTMENT_COLUMNS if c != "host_fields"]
    frame = _select(placements, (Status.ADJUSTED,), columns)
    fields = {h.name: "、".join(h.fields) for h in result.round.hosts}
    frame.insert(
        columns.index("host") + 1, "host_fields", [fields.get(h, "") for h in frame["host"]]
    )
    return frame


def problems_frame(result: RunResult) -> pd.DataFrame:
    """Every data problem: file, row, column, code, severity, message."""
    rows = [
        {
            "file": i.file,
            "row": i.row,
            "column": i.column or "",
            "code": i.code,
            "severity": i.severity.value,
            "message": i.message,
        }
        for i in all_issues(result)
    ]
    frame = pd.DataFrame(rows, columns=PROBLEM_COLUMNS)
    frame["row"] = frame["row"].astype("Int64")
    return frame


def regions_frame(summary: Mapping[str, Any]) -> pd.DataFrame:
    """Per region and track, in the summary's region order: `REGION_COLUMNS`."""
    rows = [
        {"region": region, "track": track, **figures}
        for region, tracks in summary["regions"].items()
        for track, figures in tracks.items()
    ]
    return pd.DataFrame(rows, columns=REGION_COLUMNS)


def hosts_frame(summary: Mapping[str, Any]) -> pd.DataFrame:
    """Per host, in catalogue order: `HOST_COLUMNS`."""
    rows = [{"host": name, **figures} for name, figures in summary["hosts"].items()]
    return pd.DataFrame(rows, columns=HOST_COLUMNS)


def funding_table(summary: Mapping[str, Any]) -> pd.DataFrame:
    """Funding as one flat table: scope 合计 / 收款方 / 培养方式 / 地区 / 培养单位, the items.

    A 收款方 (payee) row and a 培养单位 row show only the item paid to it (the others
    empty): a host is paid tuition and lodging alone.
    """
    funding = summary["funding"]
    rows: list[dict[str, Any]] = [
        {"scope": "合计", "name": "全部", "track": "", **funding["total"]}
    ]
    for figures in funding.get("payees", {}).values():
        paid = dict.fromkeys(("tuition_lodging", "management", "living"))
        paid[figures["item"]] = figures["total"]
        rows.append(
            {
                "scope": "收款方",
                "name": figures["payee"],
                "track": "",
                "trainees": figures["trainees"],
                **paid,
                "total": figures["total"],
            }
        )
    for track, figures in funding["tracks"].items():
        rows.append({"scope": "培养方式", "name": track, "track": track, **figures})
    for region, tracks in funding["regions"].items():
        for track, figures in tracks.items():
            if track != "all":
                rows.append({"scope": "地区", "name": region, "track": track, **figures})
    host_track = {name: figures["track"] for name, figures in summary["hosts"].items()}
    for host, figures in funding["hosts"].items():
        rows.append(
            {
                "scope": "培养单位",
                "name": host,
                "track": host_track.get(host, ""),
                **figures,
                "management": None,
                "living": None,
            }
        )
    frame = pd.DataFrame(rows, columns=FUNDING_COLUMNS)
    for column in FUNDING_COLUMNS[3:]:  # whole yuan; empty where not paid to that payee
        frame[column] = frame[column].astype("Int64")
    return frame
