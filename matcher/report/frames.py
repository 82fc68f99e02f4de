"""The DataFrames every writer uses, built from a `RunResult`.

`placements_frame` has one row per input applicant row, in input order, with the
contract's columns first (source_file, source_row, name, id_number, region, track,
status, choice_rank, host, reason_code, reason) and then the applicant's other fields.
The other frames are selections or aggregates of it, or of the summary dict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from operator import attrgetter
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import infer_dtype

from matcher.engine.lottery import draw_text
from matcher.engine.result import Outcome, RunResult
from matcher.model import Applicant, Issue, Severity, Status, Track
from matcher.store import Column, Columns
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


def _invalid_reason(
    problems: Sequence[Issue], code: str, reason: str, remedy: str
) -> tuple[str, str, str]:
    """An invalid row's (reason_code, reason, remedy): the outcome's, else from its errors."""
    errors = [p for p in problems if p.severity is Severity.ERROR]
    code = code or ";".join(dict.fromkeys(p.code for p in errors))
    reason = reason or "；".join(
        f"{p.column}：{p.message}" if p.column and p.column not in p.message else p.message
        for p in errors
    )
    return code, reason, remedy or INVALID_REMEDY


def _encoded(rows: Sequence[Any], name: str) -> Column:
    """Field `name` of `rows` as an encoded `Column` (a table's own, else encoded here)."""
    if isinstance(rows, Columns):
        return rows.field(name)
    return Column.of(map(attrgetter(name), rows))


def _texts(codes: npt.NDArray[np.integer[Any]], texts: Sequence[str | None]) -> pa.Array:
    """Row ``i``'s text ``texts[codes[i]]``, as one large-string Arrow array."""
    return pa.array(texts, type=pa.large_string()).take(pa.array(codes))


def _each(column: Column, text: Callable[[Any], str | None]) -> pa.Array:
    """`text` of each row's value, computed once per distinct value."""
    return _texts(column.codes, [text(value) for value in column.values])


def _each_text(column: Column) -> pa.Array:
    """Each row's text, None as "" (a column of texts or None)."""
    values = pa.array(column.values, type=pa.large_string())
    return pc.fill_null(values, "").take(pa.array(column.codes))


def _each_flag(column: Column, flag: Callable[[Any], bool] = bool) -> npt.NDArray[np.bool_]:
    """`flag` of each row's value (once per distinct value), as a bool array."""
    values = np.fromiter(map(flag, column.values), dtype=bool, count=len(column.values))
    return values[column.codes]


def _integers(column: Column) -> pd.api.extensions.ExtensionArray:
    """A column of whole numbers or None as a nullable ``Int64`` array (None → <NA>)."""
    values = column.values
    missing = np.fromiter((v is None for v in values), dtype=bool, count=len(values))
    numbers = np.array([0 if v is None else v for v in values], dtype=np.float64)
    return pd.array(
        np.where(missing, np.nan, numbers)[column.codes], dtype="Int64"
    )  # whole numbers far below 2**53, as before


#: The two hexadecimal digits of each byte value.
_HEX_PAIRS = np.frombuffer(
    "".join(f"{b:02x}" for b in range(256)).encode("ascii"), dtype=np.uint8
).reshape(256, 2)


def _draws(column: Column) -> pa.Array:
    """`draw_text` of each row's draw: 16 hex digits, made at once for 64-bit draws.

    Any other value (which the lottery never gives: a negative or larger number, not a
    whole number) is written by `draw_text` itself.
    """
    if infer_dtype(column.values, skipna=False) != "integer":
        return _each(column, draw_text)
    try:
        numbers = np.array(column.values.tolist(), dtype=np.uint64)
    except OverflowError:  # below 0 or above 2**64 - 1
        return _each(column, draw_text)
    digits = _HEX_PAIRS[numbers.astype(">u8").view(np.uint8)].reshape(-1)
    offsets = np.arange(0, 16 * len(numbers) + 1, 16, dtype=np.int64)
    texts = pa.Array.from_buffers(
        pa.large_string(), len(numbers), [None, pa.py_buffer(offsets), pa.py_buffer(digits)]
    )
    return texts.take(pa.array(column.codes))


def _reasons(
    applicants: Sequence[Applicant], outcomes: Sequence[Outcome], statuses: Column
) -> tuple[pa.Array, pa.Array, pa.Array]:
    """reason_code, reason and remedy of each row (an invalid row's from its errors).

    The texts of an invalid row are made once per distinct (problems, code, reason,
    remedy) it has.
    """
    invalid = _each_flag(statuses, lambda s: s is Status.INVALID)
    rows = np.flatnonzero(invalid)
    names = ("reason_code", "reason", "remedy")
    columns = [_encoded(outcomes, name) for name in names]
    if not len(rows):
        code, reason, remedy = (_texts(c.codes, c.values.tolist()) for c in columns)
        return code, reason, remedy
    problems = _encoded(applicants, "problems")
    keys = np.stack([problems.codes[rows], *(c.codes[rows] for c in columns)]).astype(np.int64)
    distinct, which = np.unique(keys, axis=1, return_inverse=True)
    made = [
        _invalid_reason(
            problems.values[p], *(c.values[k] for c, k in zip(columns, ks, strict=True))
        )
        for p, *ks in distinct.T.tolist()
    ]
    out = []
    for k, column in enumerate(columns):
        codes, texts = _parts(column)
        codes[rows] = len(texts) + which.reshape(-1)
        out.append(_texts(codes, [*texts, *(m[k] for m in made)]))
    return out[0], out[1], out[2]


def _parts(column: Column) -> tuple[npt.NDArray[np.int64], list[Any]]:
    """A column's codes (a copy, int64) and its distinct values (a list)."""
    return column.codes.astype(np.int64), column.values.tolist()


def placement_columns(result: RunResult) -> dict[str, Any]:
    """The columns of `placements_frame`, typed (`PLACEMENT_COLUMNS` order).

    Each is computed once per distinct value of the fields it is made of and spread to the
    rows at once (`matcher.store`: the distinct values and a code per row). Raises
    `ReportError` when the outcomes do not match the applicants.
    """
    applicants, outcomes = matched(result)
    if not len(applicants):
        return _empty_columns()
    rules = result.round.rules

    def field(name: str) -> Column:
        return _encoded(applicants, name)

    statuses = _encoded(outcomes, "status")
    codes, reasons, remedies = _reasons(applicants, outcomes, statuses)
    choices = field("choices")
    units = field("unit_type")
    grassroots = _each_flag(field("grassroots"))
    prearranged = field("prearranged")
    from_remark = _each_flag(field("prearranged_from_remark"))
    source = np.where(_each_flag(prearranged), from_remark.astype(np.int64), 2)
    tracks = {Track.OUT: Track.OUT.value, Track.IN: Track.IN.value, None: ""}
    texts: dict[str, pa.Array] = {
        "source_file": _each(field("source_file"), lambda v: v),
        "name": _each(field("name"), lambda v: v),
        "id_number": _each_text(field("id_number")),
        "region": _each_text(field("region")),
        "track": _each(field("track"), tracks.__getitem__),
        "status": _each(statuses, lambda s: s.value),
        "host": _each_text(_encoded(outcomes, "host")),
        "reason_code": codes,
        "reason": reasons,
        "remedy": remedies,
        "phone": _each_text(field("phone")),
        "gender": _each_text(field("gender")),
        "ethnicity": _each_text(field("ethnicity")),
        "birth": _each(field("birth"), _month),
        "employer": _each_text(field("employer")),
        "work_start": _each(field("work_start"), _month),
        "profession": _each_text(field("profession")),
        "field": _each_text(field("field")),
        "education": _each_text(field("education_text")),
        "title": _each_text(field("title")),
        "sending_unit": _each_text(field("sending_unit")),
        "choice_1": _each(choices, lambda c: c[0] if c else ""),
        "choice_2": _each(choices, lambda c: c[1] if len(c) > 1 else ""),
        "choice_3": _each(choices, lambda c: c[2] if len(c) > 2 else ""),
        "unit_type": _each_text(units),
        "prearranged": _each_text(prearranged),
        "prearranged_from": _texts(source, [PREARRANGED_FROM[False], PREARRANGED_FROM[True], ""]),
        "remark": _each_text(field("remark")),
        "problems": _each(
            field("problems"), lambda ps: ";".join(dict.fromkeys(p.code for p in ps)) if ps else ""
        ),
        "draw": _draws(_encoded(outcomes, "draw")),
        "adjustment_field": _adjustment_fields(result, statuses, field("field")),
    }
    scores = field("score")
    numbers = np.array([np.nan if v is None else v for v in scores.values], dtype=np.float64)
    typed: dict[str, Any] = {
        "source_row": _integers(field("source_row")),
        "choice_rank": _integers(_encoded(outcomes, "choice_rank")),
        "graduation_year": _integers(field("graduation_year")),
        "priority_position": _integers(_encoded(outcomes, "priority_position")),
        "score": numbers[scores.codes],
        "accepts_adjustment": _each_flag(field("accepts_adjustment")),
        "priority": grassroots | _each_flag(units, rules.is_non_public),
        "grassroots": grassroots,
    }
    # Every text column: pandas' inferred "str" dtype, from its Arrow array as it is.
    typed.update((name, pd.array(values, dtype="str")) for name, values in texts.items())
    return {name: typed[name] for name in PLACEMENT_COLUMNS}


def _empty_columns() -> dict[str, Any]:
    """The columns of no rows, in the dtypes pandas gives empty lists (texts as objects)."""
    frame = pd.DataFrame({name: [] for name in PLACEMENT_COLUMNS}, columns=PLACEMENT_COLUMNS)
    for column in _INTEGERS:
        frame[column] = frame[column].astype("Int64")
    frame["score"] = frame["score"].astype("float64")
    for column in _FLAGS:
        frame[column] = frame[column].astype(bool)
    return {name: frame[name].array for name in PLACEMENT_COLUMNS}


def _adjustment_fields(result: RunResult, statuses: Column, fields: Column) -> pa.Array:
    """Per row: the field an adjustment was made by (the applicant's, which the host trains).

    Empty for every row not adjusted, and for an adjusted row whose host does not train
    its field (which the verifier rejects), so that a clerk sees the gap. Decided once per
    distinct (field, host) of the adjusted rows.
    """
    rows = np.flatnonzero(_each_flag(statuses, lambda s: s is Status.ADJUSTED))
    codes = np.zeros(len(statuses), dtype=np.int64)
    if not len(rows):
        return _texts(codes, [""])
    trains = {h.name: frozenset(h.fields) for h in result.round.hosts}
    hosts = _encoded(result.outcomes, "host")
    pairs = np.stack([fields.codes[rows], hosts.codes[rows]]).astype(np.int64)
    distinct, which = np.unique(pairs, axis=1, return_inverse=True)
    texts = [""]
    for f, h in distinct.T.tolist():
        field, host = fields.values[f], hosts.values[h]
        texts.append(field if field and field in trains.get(host or "", ()) else "")
    codes[rows] = 1 + which.reshape(-1)
    return _texts(codes, texts)


def placements_frame(result: RunResult) -> pd.DataFrame:
    """One row per input applicant row, in input order, columns `PLACEMENT_COLUMNS`.

    `choice_rank`, `graduation_year` and `priority_position` are nullable integers;
    `score` a float or NaN; `draw` the lottery draw in hexadecimal (`matcher.engine.lottery`);
    for `invalid` rows without a reason on the outcome, the reason lists the row's errors.
    Built column by column from the applicants' and outcomes' columns (no per-row models).
    """
    return pd.DataFrame(placement_columns(result), columns=PLACEMENT_COLUMNS, copy=False)


_INTEGERS = ("choice_rank", "graduation_year", "source_row", "priority_position")
_FLAGS = ("accepts_adjustment", "priority", "grassroots")


def _select(frame: pd.DataFrame, statuses: tuple[Status, ...], columns: list[str]) -> pd.DataFrame:
    """The rows of `statuses` (input order), `columns` only: only those columns are taken."""
    rows = np.flatnonzero(frame["status"].isin([s.value for s in statuses]).to_numpy())
    return frame.reindex(columns=columns).take(rows).reset_index(drop=True)


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
