"""The figures of a run: `summarize(result)` is result.json's ``summary``.

Every figure of the HTML report and the workbook's aggregate sheets comes from this dict,
so tests can compare every output against it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from matcher.engine.result import RunResult
from matcher.model import Status, Track
from matcher.report.frames import GROUP_KEYS, UNKNOWN, all_issues, matched
from matcher.report.funding import DEFAULT_MONTHS, funding_summary, tally

RANK_KEYS = {1: "first", 2: "second", 3: "third"}


def _rank_key(status: Status, choice_rank: int | None) -> str | None:
    if status is Status.ADJUSTED:
        return "adjusted"
    if status is Status.PLACED:
        return RANK_KEYS.get(choice_rank or 0, "prearranged")
    return None


def _group(quota: int, statuses: Counter[str]) -> dict[str, int]:
    placed, adjusted = statuses[Status.PLACED.value], statuses[Status.ADJUSTED.value]
    applicants = sum(statuses.values())
    return {
        "quota": quota,
        "applicants": applicants,
        "placed": placed,
        "adjusted": adjusted,
        "filled": placed + adjusted,
        "unmatched": statuses[Status.UNMATCHED.value],
        "ineligible": statuses[Status.INELIGIBLE.value],
        "invalid": statuses[Status.INVALID.value],
        "unplaced": applicants - placed - adjusted,
        "unused": quota - placed - adjusted,
    }


def summarize(result: RunResult, months: int = DEFAULT_MONTHS) -> dict[str, Any]:
    """Every figure of the run as plain JSON-ready dicts (str keys, int values).

    Keys: ``year``, ``applicants``, ``trainees`` (placed + adjusted), ``status`` (count per
    `Status`), ``rank`` (first/second/third/prearranged/adjusted), ``tracks[track]`` and
    ``regions[region][track]`` (quota, applicants, placed, adjusted, filled, unmatched,
    ineligible, invalid, unplaced = applicants − filled, unused = quota − filled),
    ``hosts[host]`` (track, location, capacity, filled, first, second, third,
    prearranged, adjusted, free), ``funding`` (see `funding_summary`), ``issues``
    (total, severity, code). A region or track that could not be read is "未识别".
    """
    rnd = result.round
    matched(result)  # raises ReportError when the outcomes do not match the applicants
    people, outcomes = rnd.applicants, result.outcomes
    statuses = outcomes.field("status")
    # Counted at once per (region, track, status) of the rows, in order of first
    # appearance, which gives the groups in order of first appearance.
    tracks_of = {Track.OUT: Track.OUT.value, Track.IN: Track.IN.value, None: UNKNOWN}
    status: Counter[str] = Counter()
    by_group: dict[tuple[str, str], Counter[str]] = {}
    triples = tally([people.field("region"), people.field("track"), statuses])
    for (region, track, state), count in triples:
        status[state.value] += count
        group = by_group.setdefault((region or UNKNOWN, tracks_of[track]), Counter())
        group[state.value] += count
    rank: Counter[str] = Counter()
    by_host: dict[str, Counter[str]] = {}
    placed = [k for k, s in enumerate(statuses.values) if s in (Status.PLACED, Status.ADJUSTED)]
    rows = np.flatnonzero(np.isin(statuses.codes, placed))
    hits = tally([statuses, outcomes.field("choice_rank"), outcomes.field("host")], rows)
    for (state, choice_rank, host_name), count in hits:
        rank_key = _rank_key(state, choice_rank)
        if rank_key is not None:
            rank[rank_key] += count
            if host_name:
                by_host.setdefault(host_name, Counter())[rank_key] += count

    groups = {(q.region, q.track.value) for q in rnd.quotas.quotas} | set(by_group)
    region_order = [*rnd.quotas.regions(), *(r for r, _ in by_group)]
    track_order = ["区外", "区内", UNKNOWN]
    regions: dict[str, dict[str, dict[str, int]]] = {}
    for region in dict.fromkeys(region_order):
        for track in track_order:
            if (region, track) in groups:
                quota = rnd.quotas.places(region, Track(track)) if track != UNKNOWN else 0
                regions.setdefault(region, {})[track] = _group(
                    quota, by_group.get((region, track), Counter())
                )

    tracks: dict[str, dict[str, int]] = {}
    for track in track_order:
        figures = [r[track] for r in regions.values() if track in r]
        if figures:
            tracks[track] = {k: sum(f[k] for f in figures) for k in GROUP_KEYS}

    hosts: dict[str, dict[str, Any]] = {}
    for host in rnd.hosts:
        counts = by_host.get(host.name, Counter())
        filled = sum(counts.values())
        hosts[host.name] = {
            "track": host.track.value,
            "location": host.location,
            "capacity": host.capacity,
            "filled": filled,
            **{k: counts[k] for k in ("first", "second", "third", "prearranged", "adjusted")},
            "free": host.capacity - filled,
        }
    for name in sorted(
        by_host.keys() - hosts.keys()
    ):  # a host outside the catalogue: shown, not lost
        counts = by_host[name]
        hosts[name] = {
            "track": UNKNOWN,
            "location": "",
            "capacity": 0,
            "filled": sum(counts.values()),
            **{k: counts[k] for k in ("first", "second", "third", "prearranged", "adjusted")},
            "free": -sum(counts.values()),
        }

    issues = all_issues(result)
    return {
        "year": rnd.year,
        "applicants": len(rnd.applicants),
        "trainees": status[Status.PLACED.value] + status[Status.ADJUSTED.value],
        "status": {s.value: status[s.value] for s in Status},
        "rank": {k: rank[k] for k in ("first", "second", "third", "prearranged", "adjusted")},
        "tracks": tracks,
        "regions": regions,
        "hosts": hosts,
        "funding": funding_summary(result, months),
        "issues": {
            "total": len(issues),
            "severity": {
                s: sum(1 for i in issues if i.severity.value == s) for s in ("error", "warning")
            },
            "code": dict(sorted(Counter(i.code for i in issues).items())),
        },
    }
