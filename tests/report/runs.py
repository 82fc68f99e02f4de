"""A published run folder built in memory, for the tests of what comes after a run."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from matcher.engine.result import RunResult
from matcher.report.csvout import csv_bytes
from matcher.report.frames import placements_frame
from matcher.report.rundir import RunFolder
from matcher.report.summary import summarize


def run_of(result: RunResult, folder: Path) -> RunFolder:
    """A RunFolder as `read_run` gives it, without writing every output."""
    text = csv_bytes(placements_frame(result)).decode("utf-8-sig")
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    return RunFolder(path=folder, placements=frame, document={"summary": summarize(result)})
