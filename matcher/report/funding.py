"""The year's funding by the notice's rates (内人社办发〔2023〕21号, 八、经费保障).

Per trainee (status `placed` or `adjusted`) and year:

- 区外: 30,000 tuition and lodging (to the host) + 3,000 management fee (to the ministry's
  centre) + 600 per month living allowance;
- 区内: 16,000 tuition and lodging + 400 per month living allowance.

The living allowance is paid by months actually trained; `months` (default 12) gives the
budget figure. Amounts are whole yuan (int).

The three payees of the notice (`PAYEES`): tuition and lodging go to the host, the
management fee to 人力资源社会保障部留学人员和专家服务中心, the living allowance to the
trainee after passing. A host's total is therefore its tuition and lodging alone; the
payees' totals add up to the budget.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from matcher.engine.result import RunResult
from matcher.model import Status, Track
from matcher.store import Column, column

DEFAULT_MONTHS = 12
ITEMS = ("tuition_lodging", "management", "living", "total")
CENTRE = "人力资源社会保障部留学人员和专家服务中心"
#: payee key → (the item paid to it, who it is).
PAYEES: dict[str, tuple[str, str]] = {
    "hosts": ("tuition_lodging", "培养单位"),
    "centre": ("management", CENTRE),
    "trainees": ("living", "学员"),
}


@dataclass(frozen=True)
class Rates:
    """Per-trainee rates of one track, in yuan."""

    tuition_lodging: int
    management: int
    living_per_month: int


def notice_rates() -> dict[Track, Rates]:
    """Return the 2023 notice's rates per track (a new dict on every call)."""
    return {
        Track.OUT: Rates(tuition_lodging=30_000, management=3_000, living_per_month=600),
        Track.IN: Rates(tuition_lodging=16_000, management=0, living_per_month=400),
    }


def trainee_cost(
    track: Track, months: int = DEFAULT_MONTHS, rates: Mapping[Track, Rates] | None = None
) -> dict[str, int]:
    """Cost of one trainee of `track` for `months`: the items of `ITEMS`."""
    if months < 0:
        raise ValueError("months must be non-negative")
    rate = (rates or notice_rates())[track]
    living = rate.living_per_month * months
    return {
        "tuition_lodging": rate.tuition_lodging,
        "management": rate.management,
        "living": living,
        "total": rate.tuition_lodging + rate.management + living,
    }


def funding_frame(
    result: RunResult, months: int = DEFAULT_MONTHS, rates: Mapping[Track, Rates] | None = None
) -> pd.DataFrame:
    """One row per trainee (placed or adjusted), in input order.

    Columns: key, name, region, track, host, tuition_lodging, management, living, total.
    """
    rows = []
    people, outcomes = result.round.applicants, result.outcomes
    for key, name, region, track, state, host in zip(
        column(people, "key"),
        column(people, "name"),
        column(people, "region"),
        column(people, "track"),
        column(outcomes, "status"),
        column(outcomes, "host"),
        strict=True,
    ):
        if state not in (Status.PLACED, Status.ADJUSTED) or track is None:
            continue
        rows.append(
            {
                "key": key,
                "name": name,
                "region": region or "",
                "track": track.value,
                "host": host or "",
                **trainee_cost(track, months, rates),
            }
        )
    columns = ["key", "name", "region", "track", "host", *ITEMS]
    return pd.DataFrame(rows, columns=columns)


def tally(
    columns: Sequence[Column], rows: npt.NDArray[np.int64] | None = None
) -> list[tuple[tuple[Any, ...], int]]:
    """Each distinct combination of the `columns`' values with its count, counted at once.

    Over the positions `rows` (every row when None); combinations in the order of their
    first row. Values are told apart as `matcher.store.Column` tells them apart.
    """
    if not columns:
        return []
    count = len(columns[0]) if rows is None else len(rows)
    key = np.zeros(count, dtype=np.int64)
    size = 1
    for col in columns:
        codes = col.codes if rows is None else col.codes[rows]
        if size * max(len(col.values), 1) >= 2**62:  # renumber the combinations so far
            key, found = pd.factorize(key)
            size = max(len(found), 1)
        key = key * len(col.values) + codes
        size *= max(len(col.values), 1)
    which, found = pd.factorize(key)
    counts = np.bincount(which, minlength=len(found))
    # Combination k first appears where the running maximum of `which` reaches k.
    firsts = np.searchsorted(np.maximum.accumulate(which), np.arange(len(found)))
    at = firsts if rows is None else rows[firsts]
    values = [col.values[col.codes[at]].tolist() for col in columns]
    return list(zip(zip(*values, strict=True), counts.tolist(), strict=True))


def funding_summary(
    result: RunResult, months: int = DEFAULT_MONTHS, rates: Mapping[Track, Rates] | None = None
) -> dict[str, Any]:
    """Funding totals: grand total, per track, per region (× track), per host, per payee.

    Returns plain JSON-ready dicts: ``{"months", "rates", "total", "tracks", "regions",
    "hosts", "payees"}``; each total is ``{"trainees", "tuition_lodging", "management",
    "living", "total"}``; ``regions[region][track]`` and ``regions[region]["all"]``.
    ``hosts[host]`` is what that host is paid: the same keys, with management and living 0
    and total = tuition_lodging (the centre's fee and the allowance go to other payees).
    ``payees[key]`` for each key of `PAYEES`: ``{"payee", "item", "trainees", "total"}``
    (trainees: those the payee is paid for); the payees' totals add up to ``total``.
    Regions, their tracks and hosts appear in the order of their first trainee (input
    order), as in `funding_frame`.
    """
    costs: dict[Track, dict[str, int]] = {}
    # A trainee's cost depends on the track alone: count trainees per (region, track, host)
    # in order of first appearance, then multiply.
    counts: dict[tuple[str, Track, str], int] = {}
    trainee = (Status.PLACED, Status.ADJUSTED)
    people, outcomes = result.round.applicants, result.outcomes
    states, tracks = outcomes.field("status"), people.field("track")
    rows = np.flatnonzero(
        _among(states, trainee) & ~_among(tracks, (None,))  # a trainee of a known track
    )
    regions_hosts = [people.field("region"), tracks, outcomes.field("host")]
    for (region, track, host), count in tally(regions_hosts, rows):
        key = (region or "", track, host or "")
        counts[key] = counts.get(key, 0) + count
    by_track: dict[Track, int] = {}
    regions_count: dict[str, dict[Track, int]] = {}
    hosts_count: dict[str, dict[Track, int]] = {}
    for (region, track, host), count in counts.items():
        by_track[track] = by_track.get(track, 0) + count
        mine = regions_count.setdefault(region, {})
        mine[track] = mine.get(track, 0) + count
        theirs = hosts_count.setdefault(host, {})
        theirs[track] = theirs.get(track, 0) + count

    def totals(per_track: Mapping[Track, int]) -> dict[str, int]:
        out = {"trainees": sum(per_track.values()), **dict.fromkeys(ITEMS, 0)}
        for track, count in per_track.items():
            if count:
                if track not in costs:
                    costs[track] = trainee_cost(track, months, rates)
                for item in ITEMS:
                    out[item] += count * costs[track][item]
        return out

    regions = {
        region: {"all": totals(mine), **{t.value: totals({t: n}) for t, n in mine.items()}}
        for region, mine in regions_count.items()
    }
    table = rates or notice_rates()
    return {
        "months": months,
        "rates": {
            t.value: {
                "tuition_lodging": r.tuition_lodging,
                "management": r.management,
                "living_per_month": r.living_per_month,
            }
            for t, r in table.items()
        },
        "total": totals(by_track),
        "tracks": {t.value: totals({t: by_track.get(t, 0)}) for t in Track},
        "regions": regions,
        "hosts": {host: _host_total(totals(mine)) for host, mine in hosts_count.items()},
        "payees": payee_totals(
            totals(by_track),
            sum(n for t, n in by_track.items() if table[t].management > 0),
        ),
    }


def _among(column: Column, values: Iterable[Any]) -> npt.NDArray[np.bool_]:
    """Whether each row's value is one of `values` (decided once per distinct value)."""
    wanted = tuple(values)
    chosen = [k for k, v in enumerate(column.values) if any(v is w or v == w for w in wanted)]
    return np.isin(column.codes, chosen)


def _host_total(figures: Mapping[str, int]) -> dict[str, int]:
    """What a host is paid: its trainees' tuition and lodging (no fee, no allowance)."""
    paid = int(figures["tuition_lodging"])
    return {
        "trainees": int(figures["trainees"]),
        "tuition_lodging": paid,
        "management": 0,
        "living": 0,
        "total": paid,
    }


def payee_totals(total: Mapping[str, int], centre_trainees: int) -> dict[str, dict[str, Any]]:
    """The budget `total` (a `funding_summary` total) split by `PAYEES`.

    `centre_trainees`: the trainees the centre is paid for (those of a track with a
    management fee: 区外 by the notice).
    """
    trainees = {"hosts": total["trainees"], "centre": centre_trainees}
    return {
        key: {
            "payee": who,
            "item": item,
            "trainees": int(trainees.get(key, total["trainees"])),
            "total": int(total[item]),
        }
        for key, (item, who) in PAYEES.items()
    }
