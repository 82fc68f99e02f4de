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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import numpy as np
import pandas as pd

from matcher.engine.rules import (
    Facts,
    age_on,
    earliest_day,
    eligibility,
    lenient_notes,
    years_between,
    youngest_day,
)
from matcher.memory import gc_paused
from matcher.model import (
    Applicant,
    Applicants,
    Education,
    Issue,
    Reason,
    Round,
    Rules,
    Severity,
    Status,
    TitleGrade,
    Track,
)
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
    judged, eligible = _exclusions(applicants, round_.rules)
    keys = column(applicants, "key")
    excluded = {keys[i]: judged[i] for i in np.flatnonzero(~eligible).tolist()}
    del judged
    member = np.flatnonzero(eligible)
    members = applicants.take(member)
    tracks: list[Track] = members.column("track")
    regions: list[str] = members.column("region")
    choices = _choices(round_, members)
    prearranged, conflicts = _prearrangements(round_, members, member, excluded)
    notes = lenient_notes(applicants, round_.rules)
    return Judgement(
        member=member,
        excluded=excluded,
        tracks=tuple(tracks),
        regions=tuple(regions),
        choices=choices,
        prearranged=prearranged,
        priority=_priority(round_),
        conflicts=conflicts,
        notes={p: notes[p] for p in sorted(notes) if eligible[p]},
    )


def exclusion(applicant: Applicant, rules: Rules) -> Exclusion | None:
    """Why `applicant` is set aside (None: valid and eligible), judged on its own.

    Invalid: a data error, or no track or region to place them in; ineligible: a rule of
    the notice they fail (`matcher.engine.rules.eligibility`).
    """
    if applicant.invalid:
        return _invalid(applicant.problems)
    return _judged(applicant, rules)


def _invalid(problems: tuple[Issue, ...]) -> Exclusion:
    """The exclusion of a row with a data error: its errors, in order."""
    errors = [p for p in problems if p.severity is Severity.ERROR]
    return Exclusion(Status.INVALID, tuple(Reason(code=p.code, message=p.message) for p in errors))


def _judged(facts: Facts, rules: Rules) -> Exclusion | None:
    """`exclusion` of a row without a data error, from the facts eligibility reads."""
    missing = []
    if facts.track is None:
        missing.append(
            Reason(code="MISSING_TRACK", message="无法确定培养方式（区外/区内），请补填“培养方式”")
        )
    if not facts.region:
        missing.append(Reason(code="MISSING_REGION", message="无法确定选派地区，请补填“选派地区”"))
    if missing:
        return Exclusion(Status.INVALID, tuple(missing))
    reasons = eligibility(facts, rules)
    return Exclusion(Status.INELIGIBLE, reasons) if reasons else None


class _Facts(NamedTuple):
    """The facts of a row that `_judged` reads (`matcher.engine.rules.Facts`)."""

    track: Track | None
    region: str | None
    birth: date | None
    birth_exact: bool
    work_start: date | None
    work_start_exact: bool
    education: Education
    education_text: str | None
    title: str | None
    title_grade: TitleGrade
    ethnicity: str | None
    health_issue: bool | None
    prior_participation: bool | None


#: Facts grouped by their value; birth and work start by the figures read of them.
_GROUPED = (
    "track",
    "region",
    "education",
    "title_grade",
    "ethnicity",
    "health_issue",
    "prior_participation",
)
#: What QUALIFICATION_NOT_MET quotes besides the grouped facts (with the exact years).
_QUOTED = ("education_text", "title", "work_start_exact")
_QUALIFICATION = "QUALIFICATION_NOT_MET"
_NONE = -(1 << 20)  # the figure of an unknown date (below any age or number of years)


def _exclusions(applicants: Applicants, rules: Rules) -> tuple[np.ndarray, np.ndarray]:
    """`exclusion` of every applicant (an object array), and whether it is None (eligible).

    Each row is judged once per distinct set of facts it reads.

    An invalid row's exclusion says its errors alone: judged once per distinct tuple of
    problems. A valid row's reads track, region, education, title grade, 民族, health,
    prior participation, the age and the years in the profession (counted with the
    benefit of the doubt): equal values are equal codes of the table's columns. An age at or under
    the lowest age limit reads as that limit, years at or over the highest minimum as
    that minimum (no rule tells them apart); an age over it of a birth known to the month
    keeps its month (the reason names the day counted). QUALIFICATION_NOT_MET quotes the
    written education and title and the years: its rows are judged again per distinct
    set of those too. Each distinct set is judged once, on the facts of one of its rows.
    """
    n = len(applicants)
    out = np.full(n, None, dtype=object)
    if n == 0:
        return out, np.zeros(0, dtype=bool)
    problems = applicants.field("problems")
    errors = [any(p.severity is Severity.ERROR for p in found) for found in problems.values]
    invalid = np.asarray(errors, dtype=bool)[problems.codes]
    made: dict[int, Exclusion] = {}
    for i, code in zip(*_at(np.flatnonzero(invalid), problems.codes), strict=True):
        if code not in made:
            made[code] = _invalid(problems.values[code])
        out[i] = made[code]
    valid = np.flatnonzero(~invalid)
    if len(valid) == 0:
        return out, ~invalid
    day = rules.reference_date
    lowest = min(rules.age_limit.values(), default=-_NONE)
    highest = max(rules.min_years.values(), default=0)
    age, exact, born = _figures(applicants, "birth", lambda d, e: age_on(youngest_day(d, e), day))
    years, _, _ = _figures(
        applicants, "work_start", lambda d, e: years_between(earliest_day(d, e), day)
    )
    month_only = ~exact & (age > lowest)
    keys = [
        *(applicants.field(name).codes for name in _GROUPED),
        np.where(age == _NONE, _NONE, np.maximum(age, lowest)),
        np.where(month_only, born, -1),
        np.where(years == _NONE, _NONE, np.minimum(years, highest)),
    ]
    groups, first = _groups([k[valid] for k in keys])
    shared = [_judged(facts, rules) for facts in _facts_of(applicants, valid[first])]
    quoted = np.array(
        [why is not None and any(r.code == _QUALIFICATION for r in why.reasons) for why in shared],
        dtype=bool,
    )[groups]
    out[valid] = _as_objects(shared)[groups]
    eligible = np.zeros(n, dtype=bool)
    eligible[valid] = np.array([why is None for why in shared], dtype=bool)[groups]
    if quoted.any():
        rows = valid[quoted]
        more = [groups[quoted], years[rows], *(applicants.field(k).codes[rows] for k in _QUOTED)]
        again, first = _groups(more)
        judged = [_judged(facts, rules) for facts in _facts_of(applicants, rows[first])]
        out[rows] = _as_objects(judged)[again]
        eligible[rows] = np.array([why is None for why in judged], dtype=bool)[again]
    return out, eligible


def _as_objects(items: list[Exclusion | None]) -> np.ndarray:
    """`items` as a 1-d object array."""
    return np.fromiter(items, dtype=object, count=len(items))


def _figures(
    applicants: Applicants, name: str, figure: Callable[[date, bool], int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the `figure` of date field `name` (`_NONE`: no date), its exactness, its code.

    The figure is computed once per distinct date and exactness.
    """
    dates = applicants.field(name)
    exact = np.fromiter(applicants.field(f"{name}_exact").tolist(), bool, len(applicants))
    table = np.full((len(dates.values), 2), _NONE, dtype=np.int64)
    for code, value in enumerate(dates.values.tolist()):
        if value is not None:
            table[code] = (figure(value, False), figure(value, True))
    codes = dates.codes.astype(np.int64)
    return table[codes, exact.astype(np.int64)], exact, codes


def _at(rows: np.ndarray, codes: np.ndarray) -> tuple[list[int], list[int]]:
    """`rows` and the code of each, as lists."""
    return rows.tolist(), codes[rows].tolist()


def _groups(keys: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The group of each row by equal `keys` (numbered by first row), each group's first row."""
    combined = np.zeros(len(keys[0]), dtype=np.int64)
    for key in keys:
        codes, uniques = pd.factorize(key)
        combined, _ = pd.factorize(combined * len(uniques) + codes)  # stays below n²
    first = np.unique(combined, return_index=True)[1]
    return combined, first


def _facts_of(applicants: Applicants, rows: np.ndarray) -> list[_Facts]:
    """The facts of each of `rows` that `_judged` reads."""
    fields = (applicants.field(name) for name in _Facts._fields)
    values = (f.values[f.codes[rows]].tolist() for f in fields)
    return list(map(_Facts._make, zip(*values, strict=True)))


def _choices(round_: Round, members: Applicants) -> np.ndarray:
    """Catalogue position of each member's choices at the written rank (-1: not a choice).

    Each distinct written name is resolved once, the distinct tuples of choices read
    into positions in one pass; the track check and the first mention of a host are numpy over
    the members.
    """
    catalogue = round_.catalogue
    at = {host.name: j for j, host in enumerate(catalogue.hosts)}
    track_code = {track: t for t, track in enumerate(Track)}
    host_track = np.array([track_code[h.track] for h in catalogue.hosts] + [-1], dtype=np.int64)
    written = members.field("choices")
    tuples: list[tuple[str, ...]] = written.values.tolist()
    counts = np.fromiter((min(len(t), MAX_CHOICES) for t in tuples), np.int64, len(tuples))
    flat = np.empty(int(counts.sum()), dtype=object)
    flat[:] = [name for t in tuples for name in t[:MAX_CHOICES]]
    codes, distinct = pd.factorize(flat, use_na_sentinel=False)  # each written name once
    hosts = map(catalogue.resolve, distinct.tolist())
    named = np.array([-1 if h is None else at[h.name] for h in hosts], dtype=np.int64)
    owner = np.repeat(np.arange(len(tuples)), counts)
    rank = np.arange(len(flat)) - (np.cumsum(counts) - counts)[owner]
    table = np.full((len(tuples), MAX_CHOICES), -1, dtype=np.int64)
    table[owner, rank] = named[codes]
    choices = table[written.codes.astype(np.int64)]
    tracks = members.field("track")
    own = np.array([track_code.get(t, -2) for t in tracks.values.tolist()], dtype=np.int64)
    choices[host_track[choices] != own[tracks.codes.astype(np.int64)][:, None]] = -1
    for r in range(1, MAX_CHOICES):  # a repeat keeps its first rank
        repeated = (choices[:, r : r + 1] == choices[:, :r]).any(axis=1)
        choices[repeated, r] = -1
    return choices.astype(np.int32)


def _priority(round_: Round) -> np.ndarray:
    """Whether each row of the round is a priority applicant (基层, or 非公 by 单位性质)."""
    applicants = round_.applicants
    grassroots, units = applicants.field("grassroots"), applicants.field("unit_type")
    # per distinct value (few): 基层, and whether the 单位性质 counts as 非公
    flags = np.array([bool(g) for g in grassroots.values.tolist()], dtype=bool)
    rules = round_.rules
    non_public = np.array([rules.is_non_public(u) for u in units.values.tolist()], dtype=bool)
    return flags[grassroots.codes] | non_public[units.codes]


def _prearrangements(
    round_: Round, members: Sequence[Applicant], at: np.ndarray, excluded: Mapping[str, Exclusion]
) -> tuple[np.ndarray, dict[str, PrearrangedConflict]]:
    """The pre-arranged host of each member (-1: none) and the refusals, by key.

    The 预先接收单位 are read in one pass; only the few rows that name one are visited.
    """
    conflicts: dict[str, PrearrangedConflict] = {}
    applicants = round_.applicants
    written = applicants.field("prearranged")  # each distinct text looked at once
    filled = np.array([bool(text) for text in written.values.tolist()], dtype=bool)
    named: list[int] = np.flatnonzero(filled[written.codes]).tolist()
    texts: dict[int, str] = {p: written.values[written.codes[p]] for p in named}
    for p in named:
        key = applicants[p].key
        if key in excluded:
            status = excluded[key].status
            what = "数据有误" if status is Status.INVALID else "不符合选派条件"
            conflicts[key] = PrearrangedConflict(
                key, texts[p], f"PREARRANGED_{status.name}", f"申请人{what}，预先接收不予安排"
            )
    wanted = np.full(len(members), -1, dtype=np.int32)
    position = {host.name: j for j, host in enumerate(round_.catalogue.hosts)}
    # the members among them: positions found in `at` (both ascending)
    found = np.searchsorted(at, np.asarray(named, dtype=np.int64))
    for p, i in zip(named, found.tolist(), strict=True):
        if i == len(at) or int(at[i]) != p:
            continue  # not a member
        applicant = members[i]
        text = texts[p]
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
