"""Fuzz: generated hostile files fed to `matcher validate` and `matcher run` (issue 15).

Each example runs the real command in a subprocess under a memory cap (RLIMIT_AS) and a
timeout, and asserts: exit status 0–3, no traceback or native panic on stderr, and every
data row of every readable table in placements.csv exactly once (a table refused as a
whole is refused by `validate` too). MATCHER_FUZZ_EXAMPLES sets the examples per test
(default 4: one to two minutes of CI in all).
"""

from __future__ import annotations

import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.inputs import junk, tables, write_table
from tests.ingest.util import good_row, write_form

CAP = 2 << 30  # bytes of address space for the child (a sheet past the limits needs 4+ GB)
TIMEOUT = 180
FUZZ = settings(
    max_examples=int(os.environ.get("MATCHER_FUZZ_EXAMPLES", "4")),
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=list(HealthCheck),
)
REFUSED = {"FILE_UNREADABLE", "FILE_TOO_LARGE", "HEADER_NOT_FOUND"}


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))


def matcher(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "matcher", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        preexec_fn=_cap,
        env={**os.environ, "RUST_BACKTRACE": "0"},
    )
    assert done.returncode in (0, 1, 2, 3), (done.returncode, done.stderr[-2000:])
    for sign in ("Traceback", "panicked", "memory allocation of"):
        assert sign not in done.stderr, done.stderr[-2000:]
    return done


@cache
def good_workbook() -> bytes:
    """One small valid 附件3 workbook (the same bytes for every example)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "good.xlsx"
        write_form(path, [good_row(1)])
        return path.read_bytes()


def inputs(paths: list[Path]) -> list[str]:
    return [a for p in paths for a in ("--applicants", str(p))]


@FUZZ
@given(data=st.data())
def test_generated_tables_never_crash_and_every_row_is_accounted_for(tmp_path_factory, data):
    tmp = tmp_path_factory.mktemp("fuzz")
    count = data.draw(st.integers(1, 4), label="files")
    expected: dict[str, tuple[list[int], bool]] = {}
    paths = []
    for n in range(count):
        suffix = data.draw(st.sampled_from([".csv", ".xlsx"]), label="suffix")
        table = data.draw(tables(suffix == ".csv"), label=f"table{n}")
        path = tmp / f"t{n}{suffix}"
        expected[path.name] = (write_table(path, table), table.refused)
        paths.append(path)
    checked = matcher("validate", *inputs(paths), "--json")
    issues = json.loads(checked.stdout)
    refused = {i["file"] for i in issues if i["code"] in REFUSED and i["row"] is None}
    for name, (_rows, too_large) in expected.items():
        assert (name in refused) == too_large, [i for i in issues if i["file"] == name][:3]
    out = tmp / "out"
    ran = matcher("run", *inputs(paths), "--out", str(out))
    if ran.returncode not in (0, 1):
        return  # no solution (3) or usage (2): nothing to account for
    with (out / "placements.csv").open(encoding="utf-8-sig", newline="") as handle:
        placed = list(csv.DictReader(handle))
    for name, (rows, too_large) in expected.items():
        seen = sorted(int(r["source_row"]) for r in placed if r["source_file"] == name)
        assert seen == ([] if too_large else rows), name
    for row in placed:  # nothing in the outputs that the reader would refuse
        assert not any(ch in v for v in row.values() for ch in "\x00\x01\x07\x1f"), row


@FUZZ
@given(data=st.data())
def test_junk_files_never_crash(tmp_path_factory, data):
    tmp = tmp_path_factory.mktemp("junk")
    paths = []
    for n in range(data.draw(st.integers(1, 5), label="files")):
        suffix, content = data.draw(junk(good_workbook()), label=f"junk{n}")
        path = tmp / f"j{n}{suffix}"
        path.write_bytes(content)
        paths.append(path)
    role = data.draw(st.sampled_from(["--applicants", "--hosts", "--quotas"]), label="role")
    args = inputs(paths) if role == "--applicants" else [role, str(paths[0])]
    checked = matcher("validate", *args, "--json")
    assert isinstance(json.loads(checked.stdout), list)
    matcher("run", *args, "--out", str(tmp / "out"))
