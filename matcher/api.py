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
from matcher.backfill import Backfill, BackfillError, Published, read_published
from matcher.centre import CentreError, centre_mode
from matcher.compare import Comparison, compare
from matcher.decided import Decisions, scenario_decisions, solve_decided
from matcher.fixed import FixedError
from matcher.load import load_round
from matcher.model import Round
from matcher.overrides import DecisionError, Override
from matcher.pipeline import PipelineError, solve_round
from matcher.report import tables
from matcher.report.funding import funding_frame
from matcher.report.summary import summarize
from matcher.report.write import OutputExistsError, write_outputs
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
    "Backfill",
    "BackfillError",
    "CentreError",
    "Comparison",
    "DecisionError",
    "Decisions",
    "FixedError",
    "OutputExistsError",
    "Override",
    "PipelineError",
    "Published",
    "Round",
    "RunResult",
    "Scenario",
    "Suggestion",
    "Variant",
    "advice_frame",
    "advise",
    "backfill",
    "capacity_variants",
    "centre_export",
    "centre_import",
    "centre_mode",
    "check_backfill_output",
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
    "read_published",
    "scenario",
    "scenario_decisions",
    "seed_variants",
    "solve",
    "solve_decided",
    "solve_with_overrides",
    "summary",
    "sweep",
    "unmatched",
    "unused_places",
    "with_capacity",
    "with_pins",
    "with_policy",
    "with_quota",
    "with_rules",
    "without_applicants",
    "write_backfill",
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


def backfill(
    published: Published | Path | str,
    withdrawn: Iterable[str],
    *,
    applicants: Iterable[Path | str] | None = None,
    hosts: Path | str | None = None,
    quotas: Path | str | None = None,
) -> Backfill:
    """补录 on a published run folder: nobody published moves (`matcher.backfill`).

    `withdrawn`: 身份证号, ``file:row`` or files listing them. The inputs (default: the
    bundled sample round) must be the published run's, checked by SHA-256.
    """
    from matcher.backfill import backfill as run_backfill
    from matcher.backfill import published_round, withdrawn_refs

    source = published if isinstance(published, Published) else read_published(published)
    files = [Path(p) for p in applicants] if applicants is not None else None
    round_ = published_round(
        source, files, Path(hosts) if hosts else None, Path(quotas) if quotas else None
    )
    return run_backfill(round_, source, withdrawn_refs(withdrawn))


def check_backfill_output(out: Path | str, published: Published) -> None:
    """Raise `BackfillError` when `out` is the published folder or inside it."""
    from matcher.backfill import check_output

    check_output(Path(out), published)


def write_backfill(
    done: Backfill, published: Published, out: Path | str, *, force: bool = False
) -> list[Path]:
    """Write a 补录's full output set and its lists into `out` (never into `published`)."""
    from matcher.backfill import backfill_files, check_output

    check_output(Path(out), published)
    return write_outputs(done.result, Path(out), force=force, extra=backfill_files(done))


def solve_with_overrides(round_: Round, overrides: Iterable[Override]) -> RunResult:
    """Solve with decisions by hand (`Override`: place, fix, exclude; reason and who decided).

    The manifest records each override with who it displaced against the run without it
    (`matcher.overrides.solve_overrides`).
    """
    from matcher.overrides import solve_overrides

    return solve_overrides(round_, overrides)


def centre_export(round_: Round, path: Path | str) -> Path:
    """Write the workbook for 留学人员和专家服务中心 (approved 区外 applicants, proposals)."""
    from matcher.centre import export_book

    result = solve_round(centre_mode(round_))
    target = Path(path)
    target.write_bytes(export_book(result))
    return target


def centre_import(
    round_: Round, answer: Path | str, overrides: Iterable[Override] = ()
) -> RunResult:
    """Solve `round_` with the centre's answer fixed (raises `CentreError` with every row)."""
    from matcher.centre import solve_centre

    return solve_centre(round_, Path(answer), list(overrides))
