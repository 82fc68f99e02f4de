"""Everything the writers need, computed once from a `RunResult`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from matcher.report import tables
from matcher.report.funding import DEFAULT_MONTHS
from matcher.report.summary import summarize
from matcher.result import RunResult


@dataclass(frozen=True)
class ReportData:
    """The summary dict and every table of a run (see `matcher.report.tables`)."""

    result: RunResult
    summary: dict[str, Any]
    placements: pd.DataFrame
    trainees: pd.DataFrame
    unmatched: pd.DataFrame
    adjustments: pd.DataFrame
    ineligible: pd.DataFrame
    problems: pd.DataFrame
    regions: pd.DataFrame
    hosts: pd.DataFrame
    funding: pd.DataFrame

    @property
    def created(self) -> datetime:
        """Fixed creation date of the workbooks (1 January of the round's year)."""
        return datetime(self.result.round.year, 1, 1)

    def region_order(self) -> list[str]:
        """Regions in the summary's order (quota table first)."""
        return list(self.summary["regions"])


def prepare(result: RunResult, months: int = DEFAULT_MONTHS) -> ReportData:
    """Compute the summary and all tables of `result` (raises `tables.ReportError`)."""
    summary = summarize(result, months)
    placements = tables.placements_frame(result)
    return ReportData(
        result=result,
        summary=summary,
        placements=placements,
        trainees=tables.trainees_frame(placements),
        unmatched=tables.unmatched_frame(placements),
        adjustments=tables.adjustments_frame(result, placements),
        ineligible=tables.ineligible_frame(placements),
        problems=tables.problems_frame(result),
        regions=tables.regions_frame(summary),
        hosts=tables.hosts_frame(summary),
        funding=tables.funding_table(summary),
    )
