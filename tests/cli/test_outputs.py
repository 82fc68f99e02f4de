"""Output folders that cannot or must not take the results: exit 2, a message, no traceback."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher.cli import app
from matcher.paths import data_dir, sample_round_dir
from matcher.report.publish import MARKER

runner = CliRunner()


def _refused(done, *words):
    assert done.exit_code == 2, done.output
    assert "Traceback" not in done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)
    for word in words:
        assert word in done.output, (word, done.output)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run"
    done = runner.invoke(app, ["run", "--out", str(out), "--quiet"])
    assert done.exit_code == 1, done.output  # the sample round's documented defects
    return out


def test_a_path_under_a_file_and_proc_are_refused_before_the_solve(tmp_path):
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "out"
    _refused(runner.invoke(app, ["run", "--out", str(out)]), str(out), "文件而不是文件夹")
    assert "读取并校验" not in runner.invoke(app, ["run", "--out", str(out)]).output
    if Path("/proc/self").is_dir():
        _refused(runner.invoke(app, ["run", "--out", "/proc/matcher-out"]), "/proc/matcher-out")


def test_a_full_disk_is_exit_2_and_leaves_nothing(tmp_path, monkeypatch):
    from matcher.report import spool

    def full(descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(spool.os, "fsync", full)
    out = tmp_path / "out"
    _refused(runner.invoke(app, ["run", "--out", str(out), "-q"]), str(out), "磁盘空间已满")
    assert os.listdir(tmp_path) == []


def _mount(where: Path, options: str) -> bool:
    where.mkdir(exist_ok=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True
    )
    return done.returncode == 0


def test_a_read_only_mount_and_a_tiny_disk(tmp_path):
    mounted = tmp_path / "mnt"
    if not _mount(mounted, "size=1m,ro"):
        pytest.skip("cannot mount a tmpfs here")
    try:
        out = mounted / "out"
        _refused(runner.invoke(app, ["run", "--out", str(out)]), str(out), "只读")
    finally:
        subprocess.run(["umount", str(mounted)], check=True)
    assert _mount(mounted, "size=200k")
    try:
        out = mounted / "out"
        _refused(runner.invoke(app, ["run", "--out", str(out), "-q"]), str(out), "磁盘空间已满")
        assert os.listdir(mounted) == []  # the staged part is gone too
    finally:
        subprocess.run(["umount", str(mounted)], check=True)


def test_outputs_are_refused_where_the_inputs_are(tmp_path):
    subs = tmp_path / "subs"
    shutil.copytree(sample_round_dir(), subs)
    before = sorted(os.listdir(subs))
    for out in (subs, subs / "结果"):
        done = runner.invoke(app, ["run", "-a", str(subs), "--out", str(out), "--force"])
        _refused(done, str(out), "--out")
    assert sorted(os.listdir(subs)) == before
    hosts = tmp_path / "o" / "placements.csv"
    hosts.parent.mkdir()
    shutil.copy(data_dir() / "hosts-2023.csv", hosts)
    text = hosts.read_bytes()
    done = runner.invoke(app, ["run", "--hosts", str(hosts), "--out", str(hosts.parent), "--force"])
    _refused(done, str(hosts))
    assert hosts.read_bytes() == text
    bundled = data_dir() / "matcher-out"
    _refused(runner.invoke(app, ["run", "--out", str(bundled)]), str(bundled))
    assert not bundled.exists()


def test_compare_refuses_a_half_set_and_unwritable_folders(run_folder, tmp_path):
    half = tmp_path / "half"
    shutil.copytree(run_folder, half)
    (half / "result.json").unlink()
    _refused(runner.invoke(app, ["compare", str(half), str(run_folder)]), "缺少 result.json")
    (half / MARKER).unlink()
    _refused(runner.invoke(app, ["compare", str(half), str(run_folder)]), MARKER)
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "cmp"
    both = ["compare", str(run_folder), str(run_folder), "--out"]
    _refused(runner.invoke(app, [*both, str(out)]))
    _refused(runner.invoke(app, [*both, str(run_folder)]), str(run_folder))
    assert (run_folder / "placements.csv").is_file() and not (run_folder / "people.csv").exists()


def test_compare_out_replaces_its_own_set_and_keeps_other_folders(run_folder, tmp_path):
    args = ["compare", str(run_folder), str(run_folder), "--out"]
    cmp = tmp_path / "cmp"
    assert runner.invoke(app, [*args, str(cmp)]).exit_code == 0
    assert runner.invoke(app, [*args, str(cmp)]).exit_code == 0  # its own set: replaced
    assert (cmp / "compare.xlsx").is_file() and (cmp / "people.csv").stat().st_mode & 0o077 == 0
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    _refused(runner.invoke(app, [*args, str(other)]), "--force")
    assert runner.invoke(app, [*args, str(other), "--force"]).exit_code == 0
    assert (other / "notes.txt").read_text() == "mine" and (other / "people.csv").is_file()
