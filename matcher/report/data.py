"""Everything the writers need, computed once from a `RunResult`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from matcher.engine.result import RunResult
from matcher.report import frames
from matcher.report.funding import DEFAULT_MONTHS
from matcher.report.summary import summarize


@dataclass(frozen=True)
class ReportData:
    """The summary dict and every table of a run (see `matcher.report.frames`)."""

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
    """Compute the summary and all tables of `result` (raises `frames.ReportError`)."""
    summary = summarize(result, months)
    placements = frames.placements_frame(result)
    return ReportData(
        result=result,
        summary=summary,
        placements=placements,
        trainees=frames.trainees_frame(placements),
        unmatched=frames.unmatched_frame(placements),
        adjustments=frames.adjustments_frame(result, placements),
        ineligible=frames.ineligible_frame(placements),
        problems=frames.problems_frame(result),
        regions=frames.regions_frame(summary),
        hosts=frames.hosts_frame(summary),
        funding=frames.funding_table(summary),
    )
