"""The year's funding by the notice's rates (内人社办发〔2023〕21号, 八、经费保障).

Per trainee (status `placed` or `adjusted`) and year:

- 区外: 30,000 tuition and lodging (to the host) + 3,000 management fee (to the ministry's
  centre) + 600 per month living allowance;
- 区内: 16,000 tuition and lodging + 400 per month living allowance.

The living allowance is paid by months actually trained; `months` (default 12) gives the
budget figure. Amounts are whole yuan (int).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from matcher.model import Status, Track
from matcher.result import RunResult

DEFAULT_MONTHS = 12
ITEMS = ("tuition_lodging", "management", "living", "total")


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
    for applicant, outcome in zip(result.round.applicants, result.outcomes, strict=True):
        if outcome.status not in (Status.PLACED, Status.ADJUSTED) or applicant.track is None:
            continue
        rows.append(
            {
                "key": applicant.key,
                "name": applicant.name,
                "region": applicant.region or "",
                "track": applicant.track.value,
                "host": outcome.host or "",
                **trainee_cost(applicant.track, months, rates),
            }
        )
    columns = ["key", "name", "region", "track", "host", *ITEMS]
    return pd.DataFrame(rows, columns=columns)


def _totals(records: Iterable[Mapping[Any, Any]]) -> dict[str, int]:
    out = {"trainees": 0, **dict.fromkeys(ITEMS, 0)}
    for rec in records:
        out["trainees"] += 1
        for item in ITEMS:
            out[item] += int(rec[item])
    return out


def _grouped(frame: pd.DataFrame, column: str) -> dict[str, dict[str, int]]:
    groups: dict[str, list[dict[Any, Any]]] = {}  # one pass, groups in order of appearance
    for record in frame.to_dict("records"):
        groups.setdefault(str(record[column]), []).append(record)
    return {k: _totals(mine) for k, mine in groups.items()}


def funding_summary(
    result: RunResult, months: int = DEFAULT_MONTHS, rates: Mapping[Track, Rates] | None = None
) -> dict[str, Any]:
    """Funding totals: grand total, per track, per region (× track) and per host.

    Returns plain JSON-ready dicts: ``{"months", "rates", "total", "tracks", "regions",
    "hosts"}``; each total is ``{"trainees", "tuition_lodging", "management", "living",
    "total"}``; ``regions[region][track]`` and ``regions[region]["all"]``.
    """
    frame = funding_frame(result, months, rates)
    records = frame.to_dict("records")
    regions: dict[str, dict[str, dict[str, int]]] = {}
    by_region: dict[str, list[dict[Any, Any]]] = {}  # regions are text: str() is the value
    for record in records:
        by_region.setdefault(str(record["region"]), []).append(record)
    for region, mine in by_region.items():
        regions[region] = {"all": _totals(mine), **_grouped(pd.DataFrame(mine), "track")}
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
        "total": _totals(records),
        "tracks": {t.value: _totals(r for r in records if r["track"] == t.value) for t in Track},
        "regions": regions,
        "hosts": _grouped(frame, "host"),
    }
