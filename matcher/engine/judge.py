"""Judge a round before it is encoded: who is eligible, and why each other row is not.

Contract: `judge(round)` returns a `Judgement`, every rule decision the encoder needs and
nothing it translates: the rows set aside (`invalid` or `ineligible`, with their reasons),
for each eligible row its track, its quota region, its choices after the host and track
checks (kept at the written rank), the host it is pre-arranged with, and every row's
priority status (基层 or 非公). Hosts are named by their position in
`round.catalogue.hosts`. The pre-arrangements that fail whatever the places are judged
here too (the applicant set aside, a host not in the catalogue or of the other track);
whether a pre-arranged host still has room is the encoder's, as it depends on the
priority order. The same round always gives the same judgement.

Choices are not checked against the applicant's field: 专业对口 binds adjustment only,
and the solver reads it from the encoded fields.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import setitem
from typing import Any

import numpy as np
import pandas as pd

from matcher.engine.rules import age_of, eligibility, lenient_notes, years_of
from matcher.memory import gc_paused
from matcher.model import Applicant, Applicants, Reason, Round, Rules, Severity, Status, Track
from matcher.store import column

#: The ranked choices that count (拟选培养单位1–3).
MAX_CHOICES = 3


@dataclass(frozen=True)
class Exclusion:
    """Why an applicant is not placed at all: `invalid` or `ineligible`, with reasons."""

    status: Status
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class PrearrangedConflict:
    """A pre-arrangement that is not honoured: applicant key, host as written, code, why."""

    key: str
    host: str
    code: str
    why: str


@dataclass(frozen=True)
class Judgement:
    """The rule decisions of a round, in columns over its eligible rows ("members").

    `member[i]` is the position in `round.applicants` of member i (ascending);
    `excluded` maps the key of every other row to its `Exclusion` (rows excluded for the
    same facts share one object). `tracks[i]` and `regions[i]` are member i's track
    and quota region; `choices[i, r]` the catalogue position of their choice r + 1, -1
    where it names no host of the catalogue, a host of the other track, or one named
    before; `prearranged[i]` the catalogue position of their 预先接收单位 when it is a
    host of their track, else -1. `priority[p]` tells whether row p of the round (every
    row) is a priority applicant. `conflicts` holds the pre-arrangements refused
    whatever the places, by key. `notes[p]` says what the benefit of the doubt decided
    for eligible row p (`matcher.engine.rules.lenient_note`), for the rows it decided something.
    """

    member: np.ndarray
    excluded: Mapping[str, Exclusion]
    tracks: tuple[Track, ...]
    regions: tuple[str, ...]
    choices: np.ndarray
    prearranged: np.ndarray
    priority: np.ndarray
    conflicts: Mapping[str, PrearrangedConflict]
    notes: Mapping[int, str]


def judge(round_: Round) -> Judgement:
    """Judge every row of `round_` (see the module docstring)."""
    with gc_paused():  # a large round: no full scans of its applicants while judging
        return _judge(round_)


def _judge(round_: Round) -> Judgement:
    applicants = round_.applicants
    judged, read = _exclusions(round_)
    at = [i for i, why in enumerate(judged) if why is None]
    keys = column(applicants, "key")
    excluded = {keys[i]: why for i, why in enumerate(judged) if why is not None}
    tracks: list[Track] = list(map(read["track"].__getitem__, at))
    regions: list[str] = list(map(read["region"].__getitem__, at))
    del judged, read
    members = Applicants.coerce(applicants).take(np.asarray(at, dtype=np.int64))
    choices = _choices(round_, members, tracks)
    prearranged, conflicts = _prearrangements(round_, members, at, excluded)
    notes = lenient_notes(applicants, round_.rules)
    return Judgement(
        member=np.asarray(at, dtype=np.int64),
        excluded=excluded,
        tracks=tuple(tracks),
        regions=tuple(regions),
        choices=choices,
        prearranged=prearranged,
        priority=_priority(round_),
        conflicts=conflicts,
        notes={p: notes[p] for p in np.intersect1d(list(notes), at).tolist()},
    )


def exclusion(applicant: Applicant, rules: Rules) -> Exclusion | None:
    """Why `applicant` is set aside (None: valid and eligible), judged on its own.

    Invalid: a data error, or no track or region to place them in; ineligible: a rule of
    the notice they fail (`matcher.engine.rules.eligibility`).
    """
    if applicant.invalid:
        errors = [p for p in applicant.problems if p.severity is Severity.ERROR]
        return Exclusion(
            Status.INVALID, tuple(Reason(code=p.code, message=p.message) for p in errors)
        )
    missing = []
    if applicant.track is None:
        missing.append(
            Reason(code="MISSING_TRACK", message="无法确定培养方式（区外/区内），请补填“培养方式”")
        )
    if not applicant.region:
        missing.append(Reason(code="MISSING_REGION", message="无法确定选派地区，请补填“选派地区”"))
    if missing:
        return Exclusion(Status.INVALID, tuple(missing))
    reasons = eligibility(applicant, rules)
    return Exclusion(Status.INELIGIBLE, reasons) if reasons else None


def _exclusions(round_: Round) -> tuple[list[Exclusion | None], dict[str, list[Any]]]:
    """`exclusion` of every applicant, judged once per distinct set of eligibility facts.

    Also returns the track and region of every applicant (read here anyway: the caller
    needs them again).

    Eligibility reads track, region, age and years in the profession on the reference
    date, education, title grade, 民族, health and prior participation; its texts name
    only these, except QUALIFICATION_NOT_MET's (it quotes the written education and
    title), which is judged row by row. A large round repeats these facts (as shared
    objects: compared by identity here, ages and years by value), so each distinct set
    is judged once, on one of its rows. Invalid rows are judged one by one.
    """
    applicants, rules = round_.applicants, round_.rules
    n = len(applicants)
    out: list[Exclusion | None] = [None] * n
    read: dict[str, list[Any]] = {name: [] for name in _KEPT}
    if n == 0:
        return out, read
    invalid = np.fromiter(map(bool, column(applicants, "problems")), dtype=bool, count=n)
    for i in np.flatnonzero(invalid).tolist():
        invalid[i] = applicants[i].invalid
    day = rules.reference_date
    combined = np.zeros(n, dtype=np.int64)
    for name in _ELIGIBILITY_FACTS:
        values = column(applicants, name)  # equal values share one object in a table
        if name in _KEPT:
            read[name] = values
        codes, uniques = pd.factorize(np.fromiter(map(id, values), np.int64, n))
        if name in ("birth", "work_start"):  # by age and years on the reference day
            # …and whether the day is known (the reason says when it is not)
            exact = np.fromiter(column(applicants, f"{name}_exact"), bool, n)
            codes, _ = pd.factorize(codes * 2 + exact)
            first = np.unique(codes, return_index=True)[1]
            at = age_of if name == "birth" else years_of
            figures = []
            for i in first.tolist():
                figure = at(applicants[i], day)
                figures.append(2 * (-1 if figure is None else figure) + int(exact[i]))
            codes, uniques = pd.factorize(np.asarray(figures, dtype=np.int64)[codes])
        combined, _ = pd.factorize(combined * len(uniques) + codes)  # stays below n²
    valid = np.flatnonzero(~invalid)
    _, first, inverse = np.unique(combined[valid], return_index=True, return_inverse=True)
    shared = [exclusion(applicants[i], rules) for i in valid[first].tolist()]
    # out[i] = shared[k] for every valid row, as one C-level pass (maxlen=0 keeps nothing)
    deque(
        map(setitem, repeat(out), valid.tolist(), map(shared.__getitem__, inverse.tolist())),
        maxlen=0,
    )
    quoted = [
        why is not None and any(r.code == _QUALIFICATION for r in why.reasons) for why in shared
    ]
    if any(quoted):
        for i in valid[np.asarray(quoted, dtype=bool)[inverse]].tolist():
            out[i] = exclusion(applicants[i], rules)
    for i in np.flatnonzero(invalid).tolist():
        out[i] = exclusion(applicants[i], rules)
    return out, read


_ELIGIBILITY_FACTS = (
    "track",
    "region",
    "birth",
    "work_start",
    "education",
    "title_grade",
    "ethnicity",
    "health_issue",
    "prior_participation",
)
_QUALIFICATION = "QUALIFICATION_NOT_MET"
_KEPT = ("track", "region")  # facts `_exclusions` returns for every applicant


def _choices(round_: Round, members: Sequence[Applicant], tracks: list[Track]) -> np.ndarray:
    """Catalogue position of each member's choices at the written rank (-1: not a choice).

    Equal (choices, track) pairs resolve alike: each distinct pair is resolved once.
    """
    at = {host.name: j for j, host in enumerate(round_.catalogue.hosts)}
    pairs = list(zip(column(members, "choices"), tracks, strict=True))
    number = {pair: u for u, pair in enumerate(dict.fromkeys(pairs))}
    rows: list[list[int]] = []
    for written, track in number:
        row = [-1] * MAX_CHOICES
        for r, name in enumerate(written[:MAX_CHOICES]):
            host = round_.catalogue.resolve(name)
            if host is None or host.track is not track:
                continue  # unknown, or a host of the other track
            if at[host.name] not in row:  # a repeat keeps its first rank
                row[r] = at[host.name]
        rows.append(row)
    resolved = np.array(rows, dtype=np.int32).reshape(len(rows), MAX_CHOICES)
    choices = resolved[np.fromiter(map(number.__getitem__, pairs), np.int64, len(pairs))]
    return choices.reshape(len(pairs), MAX_CHOICES)


def _priority(round_: Round) -> np.ndarray:
    """Whether each row of the round is a priority applicant (基层, or 非公 by 单位性质)."""
    grassroots: list[bool] = column(round_.applicants, "grassroots")
    units: list[str | None] = column(round_.applicants, "unit_type")
    non_public = {}  # 单位性质 → counts as 非公 (few distinct values)
    for text in {u for g, u in zip(grassroots, units, strict=True) if not g}:
        non_public[text] = round_.rules.is_non_public(text)
    return np.array(
        [g or non_public[u] for g, u in zip(grassroots, units, strict=True)], dtype=bool
    )


def _prearrangements(
    round_: Round, members: Sequence[Applicant], at: list[int], excluded: Mapping[str, Exclusion]
) -> tuple[np.ndarray, dict[str, PrearrangedConflict]]:
    """The pre-arranged host of each member (-1: none) and the refusals, by key.

    The 预先接收单位 are read in one pass; only the few rows that name one are visited.
    """
    conflicts: dict[str, PrearrangedConflict] = {}
    applicants = round_.applicants
    texts: list[str | None] = column(applicants, "prearranged")
    named = [p for p, text in enumerate(texts) if text]
    for p in named:
        key = applicants[p].key
        if key in excluded:
            status = excluded[key].status
            what = "数据有误" if status is Status.INVALID else "不符合选派条件"
            conflicts[key] = PrearrangedConflict(
                key, texts[p] or "", f"PREARRANGED_{status.name}", f"申请人{what}，预先接收不予安排"
            )
    wanted = np.full(len(members), -1, dtype=np.int32)
    position = {host.name: j for j, host in enumerate(round_.catalogue.hosts)}
    # the members among them: positions found in `at` (both ascending)
    found = np.searchsorted(np.asarray(at, dtype=np.int64), np.asarray(named, dtype=np.int64))
    for p, i in zip(named, found.tolist(), strict=True):
        if i == len(at) or at[i] != p:
            continue  # not a member
        applicant = members[i]
        text = texts[p] or ""
        host = round_.catalogue.resolve(text)
        if host is None:
            conflicts[applicant.key] = PrearrangedConflict(
                applicant.key,
                text,
                "PREARRANGED_UNKNOWN_HOST",
                f"预先接收单位“{text}”不在培养单位名录中",
            )
        elif host.track is not applicant.track:
            conflicts[applicant.key] = PrearrangedConflict(
                applicant.key,
                text,
                "PREARRANGED_OTHER_TRACK",
                f"预先接收单位“{host.name}”属于{host.track.value}培养，与申请人的培养方式不符",
            )
        else:
            wanted[i] = position[host.name]
    return wanted, conflicts
