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
from matcher.compare import CHANGE_LABELS, CompareError, Comparison, compare, why
from matcher.load import InputError, default_hosts, default_quotas, load_round
from matcher.model import (
    HostCatalogue,
    Issue,
    Mechanism,
    Policy,
    QuotaTable,
    Round,
    Rules,
    Severity,
    Track,
)
from matcher.paths import sample_round_dir
from matcher.pipeline import PipelineError, explain_applicant, find_applicant, solve_round
from matcher.report import tables
from matcher.report.funding import funding_frame
from matcher.report.mask import mask_id, mask_phone, scrub
from matcher.report.summary import summarize
from matcher.report.write import OutputExistsError, write_outputs
from matcher.result import RunResult
from matcher.scenario import (
    OverrideError,
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
    "CHANGE_LABELS",
    "CompareError",
    "Comparison",
    "HostCatalogue",
    "InputError",
    "Issue",
    "Mechanism",
    "OutputExistsError",
    "OverrideError",
    "PipelineError",
    "Policy",
    "QuotaTable",
    "Round",
    "Rules",
    "RunResult",
    "Scenario",
    "Severity",
    "Suggestion",
    "Track",
    "Variant",
    "advice_frame",
    "advise",
    "bundled_hosts",
    "bundled_quotas",
    "capacity_variants",
    "change_reason",
    "compare",
    "explain",
    "find",
    "funding",
    "funding_by_trainee",
    "grid",
    "load",
    "load_scenario",
    "mask_id",
    "mask_phone",
    "mechanisms",
    "move_quota",
    "per_host",
    "per_region",
    "placements",
    "read_hosts",
    "read_quotas",
    "sample_files",
    "scenario",
    "scrub",
    "seed_variants",
    "solve",
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
    "write",
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


# ---------------------------------------------------------------- for the clerk's workbench


def sample_files() -> list[Path]:
    """The bundled 2023 sample round's applicant workbooks (sorted)."""
    return sorted(p for p in sample_round_dir().iterdir() if p.suffix.lower() == ".xlsx")


def bundled_hosts() -> Path:
    """The bundled 2023 host catalogue."""
    return default_hosts()


def bundled_quotas() -> Path:
    """The bundled 2023 quota table (附件1)."""
    return default_quotas()


def read_quotas(path: Path | str) -> tuple[QuotaTable, list[Issue]]:
    """A quota table (附件1) and its issues (a 合计 row is checked, QUOTA_TOTAL_MISMATCH)."""
    from matcher.ingest import read_quotas as read

    return read(Path(path))


def read_hosts(path: Path | str) -> tuple[HostCatalogue, list[Issue]]:
    """A host catalogue and its issues."""
    from matcher.ingest import read_hosts as read

    return read(Path(path))


def find(round_: Round, ref: str) -> str | None:
    """The key of the applicant named by 身份证号 or ``file:row``; None when not found."""
    return find_applicant(round_, ref)


def explain(round_: Round, ref: str) -> str | None:
    """`matcher explain` for one applicant (身份证号 or ``file:row``); None when not found.

    Solves and verifies the round (raises `PipelineError` when that fails).
    """
    key = find_applicant(round_, ref)
    return None if key is None else explain_applicant(round_, key)


def write(
    result: RunResult, out_dir: Path | str, *, force: bool = False, months: int = 12
) -> list[Path]:
    """Write every output of `result` into `out_dir` (`matcher run`'s files), published whole."""
    return write_outputs(result, Path(out_dir), force=force, months=months)


def change_reason(row: Any) -> str:
    """Why one person's outcome changed between two runs (a row of `Comparison.people`)."""
    return why(row)
