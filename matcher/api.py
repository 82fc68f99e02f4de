"""The notebook-facing API: load a round or scenario, change it, solve, look, compare.

Everything here is a thin name over the library; the frames are the report's own
(`matcher.report.tables`), so a notebook shows the figures the department's files show.

Example::

    from matcher import api
    base = api.load()                                   # the bundled 2023 sample round
    more = api.with_capacity(base, "内蒙古大学", add=2)
    a, b = api.solve(base), api.solve(more)
    api.per_region(b)
    api.compare(a, b).changed
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from matcher.advisor import Suggestion, advice_frame, advise
from matcher.compare import Comparison, compare
from matcher.load import load_round
from matcher.model import Round
from matcher.pipeline import solve_round
from matcher.report import tables
from matcher.report.funding import funding_frame
from matcher.report.summary import summarize
from matcher.result import RunResult
from matcher.scenario import (
    Scenario,
    build_round,
    load_scenario,
    move_quota,
    unused_places,
    with_capacity,
    with_pins,
    with_policy,
    with_quota,
    with_rules,
    without_applicants,
)
from matcher.sweep import Variant, capacity_variants, grid, seed_variants, sweep

__all__ = [
    "Comparison",
    "Round",
    "RunResult",
    "Scenario",
    "Suggestion",
    "Variant",
    "advice_frame",
    "advise",
    "capacity_variants",
    "compare",
    "funding",
    "funding_by_trainee",
    "grid",
    "load",
    "load_scenario",
    "mechanisms",
    "move_quota",
    "per_host",
    "per_region",
    "placements",
    "scenario",
    "seed_variants",
    "solve",
    "summary",
    "sweep",
    "to_confirm",
    "unmatched",
    "unused_places",
    "with_capacity",
    "with_pins",
    "with_policy",
    "with_quota",
    "with_rules",
    "without_applicants",
]


def load(
    applicants: Iterable[Path | str] | None = None,
    hosts: Path | str | None = None,
    quotas: Path | str | None = None,
    **settings: Any,
) -> Round:
    """Read a round (no applicants: the bundled 2023 sample); `settings`: rules=, policy=."""
    files = [Path(p) for p in applicants] if applicants is not None else None
    return load_round(
        files, Path(hosts) if hosts else None, Path(quotas) if quotas else None, **settings
    )


def to_confirm(round_: Round) -> pd.DataFrame:
    """Pre-arrangements read from 备注, for the clerk to confirm (one row per applicant).

    Columns: file, row, name, track, region, host (the proposed 预先接收单位), remark.
    """
    rows = [
        {
            "file": a.source_file,
            "row": a.source_row,
            "name": a.name,
            "track": a.track.value if a.track else "",
            "region": a.region or "",
            "host": a.prearranged,
            "remark": a.remark,
        }
        for a in round_.applicants
        if a.prearranged_from_remark
    ]
    columns = ["file", "row", "name", "track", "region", "host", "remark"]
    return pd.DataFrame(rows, columns=columns)


def scenario(path: Path | str, base: Round | None = None) -> Round:
    """The round of a scenario file (its base files, or `base`, with its overrides)."""
    return build_round(path, base)


def solve(round_: Round) -> RunResult:
    """Place, verify and explain: `matcher.pipeline.solve_round`."""
    return solve_round(round_)


def placements(result: RunResult) -> pd.DataFrame:
    """One row per applicant row (placements.csv's columns)."""
    return tables.placements_frame(result)


def unmatched(result: RunResult) -> pd.DataFrame:
    """Everyone not placed, with reason and remedy (unmatched.csv)."""
    return tables.unmatched_frame(tables.placements_frame(result))


def summary(result: RunResult) -> dict[str, Any]:
    """result.json's ``summary`` dict."""
    return summarize(result)


def per_region(result: RunResult) -> pd.DataFrame:
    """Per region × track against quota."""
    return tables.regions_frame(summarize(result))


def per_host(result: RunResult) -> pd.DataFrame:
    """Per host against capacity."""
    return tables.hosts_frame(summarize(result))


def funding(result: RunResult) -> pd.DataFrame:
    """The year's funding: total, per track, per region, per host (the workbook's table)."""
    return tables.funding_table(summarize(result))


def funding_by_trainee(result: RunResult) -> pd.DataFrame:
    """One row per trainee with the funding items."""
    return funding_frame(result)


def mechanisms(round_: Round, names: Iterable[str] = ("optimal", "stable", "immediate")) -> Any:
    """One sweep row per mechanism on `round_`, solved in this process.

    Columns: `matcher.sweep.ROW_COLUMNS` (placed, first-choice rate, priority placed,
    justified envy, funding …).
    """
    variants = [Variant(name=name, mechanism=name) for name in names]
    return sweep(round_, variants, workers=1, progress=False)
