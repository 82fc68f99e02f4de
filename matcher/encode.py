"""Round ⇄ arrays: the one place where the domain is translated for the solvers.

Contract: `encode(round)` returns an `Encoding`: the `Instance` of the valid, eligible
applicants (input order) plus everything needed to read a `Solution` back: applicant
keys, host names, quota groups, fields, the applicants left out (invalid or ineligible,
with reasons) and the pre-arrangements that could not be honoured (with why). The same
round (and seed) always gives identical arrays, whatever the order of the input files.
`decode(encoding, solution)` maps each instance row back to (host name, rank code).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter, setitem
from typing import Any

import numpy as np
import pandas as pd

from matcher.lottery import draws, identity_of, priority_order
from matcher.memory import gc_paused
from matcher.model import (
    FIELDS,
    Applicant,
    Applicants,
    Host,
    Reason,
    Round,
    Severity,
    Status,
    Track,
)
from matcher.rules import age_of, eligibility, years_of
from matcher.solve.base import ADJUSTED, PREARRANGED, UNPLACED, Instance, Solution
from matcher.store import column

#: Track → index in the arrays (`Instance.track`, `Instance.host_track`).
TRACK_INDEX: dict[Track, int] = {Track.OUT: 0, Track.IN: 1}
TRACKS: tuple[Track, ...] = (Track.OUT, Track.IN)

MAX_CHOICES = 3


@dataclass(frozen=True)
class Exclusion:
    """Why an applicant is not in the Instance: `invalid` or `ineligible`, with reasons."""

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
class Encoding:
    """The arrays of a round and the labels to read them back.

    `keys[i]` is the applicant key of instance row i; `host_names[j]` the canonical name
    of host j; `groups[k]` the (region, track) of quota group k; `fields[f]` field f.
    `excluded` maps the key of every applicant not in the instance to its `Exclusion`;
    `prearranged_conflicts` lists the pre-arrangements not honoured (those applicants
    are ordinary applicants in the instance when valid and eligible). `draws` holds the
    lottery draw of every applicant of the round, in input order (`matcher.lottery`).
    """

    instance: Instance
    keys: tuple[str, ...]
    host_names: tuple[str, ...]
    groups: tuple[tuple[str, Track], ...]
    fields: tuple[str, ...]
    excluded: Mapping[str, Exclusion]
    prearranged_conflicts: tuple[PrearrangedConflict, ...]
    draws: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))


def encode(round: Round) -> Encoding:
    """Translate `round` into an `Encoding` (see the module docstring).

    Steps: set aside invalid and ineligible applicants; number hosts (catalogue order),
    fields (vocabulary, then any other sorted) and groups (quota-table regions, then
    others sorted; 区外 before 区内); resolve choices keeping the written rank; draw the
    priority order; honour pre-arrangements in priority order while host and quota
    have room.
    """
    with gc_paused():  # a large round: no full scans of its applicants while encoding
        return _encode(round)


def _encode(round: Round) -> Encoding:
    excluded: dict[str, Exclusion] = {}
    at: list[int] = []  # position of each member in round.applicants
    every_key: list[str] = column(round.applicants, "key")
    judged, read = _exclusions(round)
    for i, why in enumerate(judged):
        if why is None:
            at.append(i)
        else:
            excluded[every_key[i]] = why
    keys = tuple(map(every_key.__getitem__, at))
    members = Applicants.coerce(round.applicants).take(np.asarray(at, dtype=np.int64))
    # Each member fact is read once, in a C-level pass over the members (reading a
    # field of a million objects costs about 0.1 s, whatever is done with it next).
    tracks: list[Track | None] = list(map(read["track"].__getitem__, at))
    regions: list[str | None] = list(map(read["region"].__getitem__, at))
    del judged, read
    written_fields: list[str | None] = column(members, "field")
    hosts = round.catalogue.hosts
    host_index = {host.name: j for j, host in enumerate(hosts)}
    fields = _fields(hosts, written_fields)
    field_index = {name: f for f, name in enumerate(fields)}
    groups = _groups(round, regions)
    n, h = len(members), len(hosts)

    # Equal (choices, track) pairs resolve alike: each distinct pair is resolved once.
    pairs = list(zip(column(members, "choices"), tracks, strict=True))
    number = {pair: u for u, pair in enumerate(dict.fromkeys(pairs))}
    resolved = np.full((len(number), MAX_CHOICES), -1, dtype=np.int32)
    for (written, track_of), u in number.items():
        for r, j in _resolved_choices(written, track_of, round, host_index).items():
            resolved[u, r] = j
    choices = resolved[np.fromiter(map(number.__getitem__, pairs), np.int64, n)]
    choices = choices.reshape(n, MAX_CHOICES)
    del pairs, number, resolved
    host_fields = np.zeros((h, len(fields)), dtype=bool)
    for j, host in enumerate(hosts):
        for name in host.fields:
            host_fields[j, field_index[name]] = True
    # groups are (region, track) for each region, 区外 then 区内: index 2·region + track
    region_at = {region: k // len(TRACKS) for k, (region, _) in enumerate(groups)}
    track = np.array([t is Track.IN for t in tracks], dtype=np.int32)
    group = np.array([region_at[r or ""] for r in regions], dtype=np.int32)
    group = group * len(TRACKS) + track
    rules = round.rules
    # The priority order over every row of the round: the members' order is its
    # restriction, and their tie-break weights are taken from it (`Instance.weight`), so
    # a row set aside (a decision, a fixed outcome) moves nobody's weight.
    grassroots: list[bool] = column(round.applicants, "grassroots")
    units: list[str | None] = column(round.applicants, "unit_type")
    non_public = {}  # 单位性质 → counts as 非公 (few distinct values)
    for text in {u for g, u in zip(grassroots, units, strict=True) if not g}:
        non_public[text] = rules.is_non_public(text)
    everyone = np.array(
        [g or non_public[u] for g, u in zip(grassroots, units, strict=True)], dtype=bool
    )
    del grassroots, units
    applicants = round.applicants
    who = map(
        identity_of, column(applicants, "id_number"), every_key, column(applicants, "problems")
    )
    drawn = draws(round.policy.seed, list(who))
    scores = np.array(column(applicants, "score"), dtype=np.float64)  # None → NaN
    position = priority_order(everyone, scores, drawn).astype(np.int64)
    member = np.asarray(at, dtype=np.int64)
    priority = everyone[member]
    order = _members_order(position[member])
    weight = len(round.applicants) - position[member]
    group_cap = np.array([round.quotas.places(r, t) for r, t in groups], dtype=np.int32)
    host_cap = np.array([host.capacity for host in hosts], dtype=np.int32)
    prearranged, conflicts = _prearrangements(
        round, members, excluded, host_index, group, order, host_cap, group_cap, every_key, at
    )
    instance = Instance(
        choices=choices,
        group=group,
        group_cap=group_cap,
        host_cap=host_cap,
        host_track=np.array([TRACK_INDEX[host.track] for host in hosts], dtype=np.int32),
        track=track,
        field=np.array([field_index.get(f or "", -1) for f in written_fields], dtype=np.int32),
        host_fields=host_fields,
        priority=priority,
        accepts=np.array(column(members, "accepts_adjustment"), dtype=bool),
        order=order,
        prearranged=prearranged,
        weight=weight,
    )
    return Encoding(
        instance=instance,
        keys=keys,
        host_names=tuple(host.name for host in hosts),
        groups=groups,
        fields=fields,
        excluded=excluded,
        prearranged_conflicts=conflicts,
        draws=drawn,
    )


def decode(encoding: Encoding, solution: Solution) -> dict[str, tuple[str | None, int]]:
    """Applicant key → (host name or None, rank code) for every instance row."""
    out: dict[str, tuple[str | None, int]] = {}
    for key, j, rank in zip(
        encoding.keys, solution.host.tolist(), solution.rank.tolist(), strict=True
    ):
        out[key] = (encoding.host_names[j] if j >= 0 else None, int(rank))
    return out


def outcome_status(rank: int) -> Status:
    """Return the `Status` of a rank code (a choice or pre-arranged host is `placed`)."""
    if rank == ADJUSTED:
        return Status.ADJUSTED
    if rank == UNPLACED:
        return Status.UNMATCHED
    if 1 <= rank <= MAX_CHOICES or rank == PREARRANGED:
        return Status.PLACED
    raise ValueError(f"unknown rank code {rank}")


def _exclusions(round: Round) -> tuple[list[Exclusion | None], dict[str, list[Any]]]:
    """`_exclusion` of every applicant, judged once per distinct set of eligibility facts.

    Also returns the track and region of every applicant (read here anyway: the caller
    needs them again).

    Eligibility reads track, region, age and years in the profession on the reference
    date, education, title grade, 民族, health and prior participation; its texts name
    only these, except QUALIFICATION_NOT_MET's (it quotes the written education and
    title), which is judged row by row. A large round repeats these facts (as shared
    objects: compared by identity here, ages and years by value), so each distinct set
    is judged once, on one of its rows. Invalid rows are judged one by one.
    """
    applicants = round.applicants
    n = len(applicants)
    out: list[Exclusion | None] = [None] * n
    read: dict[str, list[Any]] = {name: [] for name in _KEPT}
    if n == 0:
        return out, read
    invalid = np.fromiter(map(bool, column(applicants, "problems")), dtype=bool, count=n)
    for i in np.flatnonzero(invalid).tolist():
        invalid[i] = applicants[i].invalid
    day = round.rules.reference_date
    combined = np.zeros(n, dtype=np.int64)
    for name in _ELIGIBILITY_FACTS:
        values = column(applicants, name)
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
    shared = [_exclusion(applicants[i], round) for i in valid[first].tolist()]
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
            out[i] = _exclusion(applicants[i], round)
    for i in np.flatnonzero(invalid).tolist():
        out[i] = _exclusion(applicants[i], round)
    return out, read


_PROBLEMS = attrgetter("problems")
_KEY = attrgetter("key")
_FIELD = attrgetter("field")
_CHOICES, _ACCEPTS = attrgetter("choices"), attrgetter("accepts_adjustment")
_GRASSROOTS, _UNIT_TYPE = attrgetter("grassroots"), attrgetter("unit_type")
_PREARRANGED = attrgetter("prearranged")
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


def _exclusion(applicant: Applicant, round: Round) -> Exclusion | None:
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
    reasons = eligibility(applicant, round.rules)
    return Exclusion(Status.INELIGIBLE, reasons) if reasons else None


def _fields(hosts: tuple[Host, ...], written: list[str | None]) -> tuple[str, ...]:
    seen = {name for host in hosts for name in host.fields}
    seen |= {field for field in set(written) if field}
    return FIELDS + tuple(sorted(seen - set(FIELDS)))


def _groups(round: Round, regions: list[str | None]) -> tuple[tuple[str, Track], ...]:
    table = round.quotas.regions()
    extra = sorted({region for region in set(regions) if region} - set(table))
    return tuple((region, track) for region in (*table, *extra) for track in TRACKS)


def _resolved_choices(
    choices: tuple[str, ...],
    track: Track | None,
    round: Round,
    host_index: dict[str, int],
) -> dict[int, int]:
    """Written position (0-based) → host index, dropping unknown, other-track, repeats."""
    out: dict[int, int] = {}
    for r, name in enumerate(choices[:MAX_CHOICES]):
        host = round.catalogue.resolve(name)
        if host is None or host.track is not track:
            continue
        j = host_index[host.name]
        if j not in out.values():
            out[r] = j
    return out


def _members_order(positions: np.ndarray) -> np.ndarray:
    """Each member's place (0 first) among the members, from their places among all rows."""
    order = np.empty(positions.shape[0], dtype=np.int32)
    order[np.argsort(positions, kind="stable")] = np.arange(positions.shape[0], dtype=np.int32)
    return order


def _prearrangements(
    round: Round,
    members: Applicants,
    excluded: dict[str, Exclusion],
    host_index: dict[str, int],
    group: np.ndarray,
    order: np.ndarray,
    host_cap: np.ndarray,
    group_cap: np.ndarray,
    every_key: list[str],
    at: list[int],
) -> tuple[np.ndarray, tuple[PrearrangedConflict, ...]]:
    """Honoured pre-arranged host per member (-1: none) and the conflicts, input order.

    `every_key` holds the key of every applicant and `at` each member's position. The
    预先接收单位 are read in one pass; only the few rows that name one are visited.
    """
    conflicts: dict[str, PrearrangedConflict] = {}
    wanted: dict[int, int] = {}
    texts: list[str | None] = column(round.applicants, "prearranged")
    named = [p for p, text in enumerate(texts) if text]
    for p in named:
        text, key = texts[p] or "", every_key[p]
        if key in excluded:
            status = excluded[key].status
            what = "数据有误" if status is Status.INVALID else "不符合选派条件"
            conflicts[key] = PrearrangedConflict(
                key, text, f"PREARRANGED_{status.name}", f"申请人{what}，预先接收不予安排"
            )
    # the members among them: positions found in `at` (both ascending)
    found = np.searchsorted(np.asarray(at, dtype=np.int64), np.asarray(named, dtype=np.int64))
    for p, i in zip(named, found.tolist(), strict=True):
        if i == len(at) or at[i] != p:
            continue  # not a member
        applicant = members[i]
        text = applicant.prearranged
        if not text:
            continue
        host = round.catalogue.resolve(text)
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
            wanted[i] = host_index[host.name]
    prearranged = np.full(len(members), -1, dtype=np.int32)
    room_h = host_cap.astype(np.int64).copy()
    room_g = group_cap.astype(np.int64).copy()
    for i in sorted(wanted, key=lambda i: int(order[i])):
        j, k, key = wanted[i], int(group[i]), members[i].key
        name = round.catalogue.hosts[j].name
        if room_h[j] <= 0:
            conflicts[key] = PrearrangedConflict(
                key,
                members[i].prearranged or name,
                "PREARRANGED_HOST_FULL",
                f"预先接收单位“{name}”的接收名额已用完",
            )
        elif room_g[k] <= 0:
            conflicts[key] = PrearrangedConflict(
                key,
                members[i].prearranged or name,
                "PREARRANGED_QUOTA_FULL",
                "所在地区该培养方式的名额已用完",
            )
        else:
            prearranged[i] = j
            room_h[j] -= 1
            room_g[k] -= 1
    if not conflicts:
        return prearranged, ()
    in_input = [key for key in every_key if key in conflicts]
    return prearranged, tuple(conflicts[key] for key in in_input)
