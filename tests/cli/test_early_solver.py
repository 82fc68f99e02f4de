"""The command starts the solver's second process early for a large `run`, and lets it go."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

import matcher.cli as cli
from matcher import processes


@pytest.fixture
def started(monkeypatch):
    """The modules `processes.start` was asked to load (nothing is started)."""
    calls: list[str] = []
    monkeypatch.setattr(processes, "start", calls.append)
    monkeypatch.setattr(cli, "EARLY_SOLVER_BYTES", 1_000)
    return calls


@pytest.fixture
def files(tmp_path):
    big, small = tmp_path / "big.csv", tmp_path / "small.csv"
    big.write_bytes(b"x" * 1_000)
    small.write_bytes(b"x" * 999)
    folder = tmp_path / "regions"
    folder.mkdir()
    for k in range(4):
        (folder / f"{k}.csv").write_bytes(b"x" * 250)
    return big, small, folder


def test_a_large_run_under_optimal_starts_the_solver(started, files):
    big, small, folder = files
    cli.start_solver(["run", "-a", str(big), "--out", "o"])
    cli.start_solver(["run", "--applicants", str(small), "-a", str(small)])  # 1,998 bytes
    cli.start_solver(["run", f"--applicants={folder}", "--mechanism", "optimal"])  # 4 × 250
    cli.start_solver(["run", "-a", str(small), str(folder / "0.csv"), "--force"])  # a glob's
    assert started == ["matcher.engine.solve.optimal"] * 4


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "-a", "SMALL"],  # too small
        ["run", "-a", "SMALL", "--out", "BIG"],  # the output folder is no input
        ["run", "-a", "BIG", "--mechanism", "stable"],  # another mechanism
        ["validate", "-a", "BIG"],  # no solve
        ["run", "-a", "BIG", "--help"],
        ["run", "-a", "/no/such/file.csv"],
        ["run"],  # the sample round
        [],
    ],
)
def test_anything_else_starts_nothing(started, files, argv):
    big, small, _ = files
    cli.start_solver([{"BIG": str(big), "SMALL": str(small)}.get(a, a) for a in argv])
    assert started == []


def test_importing_the_command_line_loads_no_library():
    """So that a spawned interpreter, which imports the command's script again, starts light."""
    heavy = "{'matcher.api', 'pandas', 'numpy'}"
    code = f"import sys, matcher.cli; print(sorted({heavy} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_run_lets_the_second_process_go_after_the_solve(monkeypatch, tmp_path):
    stopped: list[bool] = []
    monkeypatch.setattr(processes, "stop", lambda: stopped.append(True))
    done = CliRunner().invoke(cli.app, ["run", "--out", str(tmp_path / "out"), "-q"])
    assert done.exit_code == 1  # the sample round's documented defects
    assert stopped == [True]


def test_a_process_the_system_cannot_make_leaves_every_solve_here(monkeypatch):
    class Refused:
        def __init__(self, **options):
            pass

        def submit(self, *args):
            raise OSError(11, "Resource temporarily unavailable")

        def shutdown(self, **options):
            pass

    monkeypatch.setattr(processes, "ProcessPoolExecutor", Refused)
    monkeypatch.setattr(processes, "cores", lambda: 2)
    monkeypatch.setenv(processes.PROCESSES_VARIABLE, "2")
    assert processes.start("matcher.engine.solve.optimal") is None
    assert processes.pool() is None
