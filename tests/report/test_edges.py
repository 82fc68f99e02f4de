import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from matcher.engine.result import Outcome
from matcher.model import Applicant, Issue, Severity, Status
from matcher.report.summary import summarize
from matcher.report.write import write_outputs
from tests.report.conftest import build_result

ROOT = Path(__file__).resolve().parents[2]


def test_empty_round_writes_every_output(tmp_path):
    full = build_result()
    empty = full.model_copy(
        update={"round": full.round.model_copy(update={"applicants": ()}), "outcomes": ()}
    )
    paths = write_outputs(empty, tmp_path / "out")
    names = {p.name for p in paths}
    assert {"placements.csv", "placements.xlsx", "report.html", "result.json"} <= names
    summary = json.loads((tmp_path / "out" / "result.json").read_text("utf-8"))["summary"]
    assert summary["applicants"] == 0 and summary["funding"]["total"]["total"] == 0
    frame = pd.read_csv(tmp_path / "out" / "placements.csv", encoding="utf-8-sig")
    assert len(frame) == 0 and "status" in frame.columns


def test_rows_without_region_or_track_are_counted_under_unknown():
    full = build_result()
    lost = Applicant(
        key="x.csv:2",
        source_file="x.csv",
        source_row=2,
        name="无名",
        problems=(
            Issue(
                file="x.csv",
                row=2,
                column="选派地区",
                code="NO_REGION",
                severity=Severity.ERROR,
                message="选派地区为空，请填写",
            ),
        ),
    )
    rnd = full.round.model_copy(update={"applicants": (*full.round.applicants, lost)})
    result = full.model_copy(
        update={
            "round": rnd,
            "outcomes": (*full.outcomes, Outcome(key=lost.key, status=Status.INVALID)),
        }
    )
    summary = summarize(result)
    assert summary["regions"]["未识别"]["未识别"]["invalid"] == 1
    assert summary["tracks"]["未识别"]["applicants"] == 1
    assert summary["issues"]["code"]["NO_REGION"] == 1  # a row problem missing from round.issues
    assert sum(t["applicants"] for t in summary["tracks"].values()) == summary["applicants"]


def _write_in_subprocess(out: Path, seed: str) -> None:
    code = (
        "import sys; from pathlib import Path; from tests.report.conftest import build_result;"
        "from matcher.report.write import write_outputs;"
        "write_outputs(build_result(), Path(sys.argv[1]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": seed}
    subprocess.run([sys.executable, "-c", code, str(out)], cwd=ROOT, env=env, check=True)


def test_byte_identical_across_processes_and_hash_seeds(tmp_path):
    _write_in_subprocess(tmp_path / "a", "1")
    _write_in_subprocess(tmp_path / "b", "2")
    files_a = sorted(
        p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file()
    )
    files_b = sorted(
        p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file()
    )
    assert files_a == files_b
    for name in files_a:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
