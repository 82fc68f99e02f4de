"""Output sets published whole: kills, leftovers of killed runs, OS errors, inputs, modes."""

import errno
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from matcher.report import publish
from matcher.report.publish import MARKER, OutputError, describe, recover, whole_set_problem
from matcher.report.write import OutputExistsError, write_outputs
from tests.report.conftest import build_result
from tests.strategies import CI

ROOT = Path(__file__).resolve().parents[2]


def _dead_pid() -> int:
    """The id of a process that has ended."""
    done = subprocess.run([sys.executable, "-c", "pass"], check=True)
    assert done.returncode == 0
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_kill_at_any_step_leaves_the_old_set_or_the_new_one(tmp_path):
    """SIGKILL a --force write at each of its file-system calls (tests/report/kill_child.py)."""
    shm = Path("/dev/shm")
    work = Path(tempfile.mkdtemp(dir=shm)) if shm.is_dir() and os.access(shm, os.W_OK) else tmp_path
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tests.report.kill_child", str(work)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=900,
        )
    finally:
        if work != tmp_path:
            shutil.rmtree(work, ignore_errors=True)
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) > 30 and not rows[-1]["killed"] and all(r["killed"] for r in rows[:-1])
    for row in rows:
        assert row["after_kill"] in {"old", "new", "missing"}, row  # never a mix
        assert row["after_recover"] in {"old", "new"}, row
        assert row["left"] == [] and row["whole"], row  # nothing hidden left behind
        assert row["siblings_private"], row
    # A missing folder only in the moment between the two renames, and then recovered
    # to the new set, whose staging folder was complete.
    missing = [r for r in rows if r["after_kill"] == "missing"]
    assert len(missing) == 1 and missing[0]["after_recover"] == "new"
    states = [r["after_recover"] for r in rows]
    assert states == sorted(states, key=lambda s: s == "new")  # old…old, then new…new
    assert states[0] == "old" and states[-1] == "new"


def test_stale_leftovers_of_killed_runs_are_removed_by_the_next_run(tmp_path):
    out = tmp_path / "out"
    write_outputs(build_result(), out)
    dead = _dead_pid()
    staging = publish.sibling(out, publish.STAGING, dead)
    aside = publish.sibling(out, publish.ASIDE, dead)
    for folder in (staging, aside):
        shutil.copytree(out, folder)
    legacy = out / ".placements.csv.k3j9x_2a.tmp"  # an earlier version's temporary file
    legacy.write_text("身份证号 150102198001011234")
    notice_tmp = out / "notices" / "按培养单位" / ".内蒙古大学.csv.abcdefgh.tmp"
    notice_tmp.write_text("x")
    mine = out / "my.tmp"
    mine.write_text("mine")
    write_outputs(build_result(), out, force=True, months=6)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert not legacy.exists() and not notice_tmp.exists()
    assert mine.read_text() == "mine"
    assert whole_set_problem(out, "run") is None


def test_a_live_runs_staging_folder_is_left_alone(tmp_path):
    out = tmp_path / "out"
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        staging = publish.sibling(out, publish.STAGING, live.pid)
        staging.mkdir()
        write_outputs(build_result(), out)
        assert staging.is_dir()
    finally:
        live.kill()
        live.wait()
    recover(out)
    assert not staging.exists()


def test_a_killed_swap_rolls_back_without_a_complete_new_set(tmp_path):
    out = tmp_path / "out"
    write_outputs(build_result(), out)
    before = _files(out)
    dead = _dead_pid()
    out.rename(publish.sibling(out, publish.ASIDE, dead))
    staging = publish.sibling(out, publish.STAGING, dead)
    staging.mkdir()
    (staging / "placements.csv").write_text("half")  # no marker: not complete
    recover(out)
    assert _files(out) == before and sorted(os.listdir(tmp_path)) == ["out"]


@pytest.mark.parametrize(
    ("number", "code"),
    [
        (errno.EROFS, "OUTPUT_READ_ONLY"),
        (errno.ENOSPC, "OUTPUT_DISK_FULL"),
        (errno.EDQUOT, "OUTPUT_DISK_FULL"),
        (errno.ENOTDIR, "OUTPUT_UNDER_FILE"),
        (errno.EACCES, "OUTPUT_PERMISSION"),
        (errno.EPERM, "OUTPUT_PERMISSION"),
        (errno.ENAMETOOLONG, "OUTPUT_NAME_TOO_LONG"),
        (errno.ENOENT, "OUTPUT_NOT_WRITABLE"),
        (errno.EIO, "OUTPUT_NOT_WRITABLE"),
    ],
)
def test_every_os_error_names_the_folder_and_what_to_do(number, code, tmp_path):
    error = describe(OSError(number, os.strerror(number)), tmp_path / "结果")
    assert error.code == code
    text = str(error)
    assert str(tmp_path / "结果") in text and "--out" in text and errno.errorcode[number] in text


@pytest.mark.parametrize("call", ["mkdir", "rename", "open"])
def test_an_os_error_at_any_stage_is_an_output_error_and_changes_nothing(
    tmp_path, monkeypatch, call
):
    out = tmp_path / "out"
    write_outputs(build_result(), out)
    before = _files(out)
    real = getattr(os, call)
    refusals = []

    def refused(*args, **kwargs):  # the first call into the staging folder fails
        if not refusals and any(".out.partial-" in str(a) for a in args):
            refusals.append(args)
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(*args, **kwargs)

    monkeypatch.setattr(os, call, refused)
    with pytest.raises(OutputError) as raised:
        write_outputs(build_result(), out, force=True, months=6)
    monkeypatch.undo()
    assert raised.value.code == "OUTPUT_PERMISSION" and refusals
    assert _files(out) == before and sorted(os.listdir(tmp_path)) == ["out"]


def test_a_path_under_a_file_and_proc_are_output_errors(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError) as raised:
        write_outputs(build_result(), tmp_path / "file" / "out")
    assert raised.value.code == "OUTPUT_UNDER_FILE"
    if Path("/proc/self").is_dir():
        with pytest.raises(OutputError) as raised:
            write_outputs(build_result(), Path("/proc/matcher-out"))
        assert raised.value.code == "OUTPUT_NOT_WRITABLE"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_folder_without_write_permission_is_an_output_error(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(OutputError) as raised:
            write_outputs(build_result(), locked / "out")
        assert raised.value.code == "OUTPUT_PERMISSION"
    finally:
        locked.chmod(0o700)


def test_outputs_never_go_where_the_inputs_are(tmp_path):
    inputs = tmp_path / "subs"
    inputs.mkdir()
    (inputs / "a.xlsx").write_bytes(b"x")
    hosts = tmp_path / "o" / "placements.csv"
    hosts.parent.mkdir()
    hosts.write_text("培养单位\n")
    cases = [
        (inputs, [inputs], "OUTPUT_HOLDS_INPUTS"),
        (inputs / "res", [inputs], "OUTPUT_IN_INPUTS"),
        (tmp_path, [inputs], "OUTPUT_HOLDS_INPUTS"),
        (hosts.parent, [hosts], "OUTPUT_HOLDS_INPUTS"),
    ]
    for out, sources, code in cases:
        with pytest.raises(OutputError) as raised:
            write_outputs(build_result(), out, force=True, inputs=sources)
        assert raised.value.code == code, out
    assert hosts.read_text() == "培养单位\n" and os.listdir(inputs) == ["a.xlsx"]
    write_outputs(build_result(), tmp_path / "res", inputs=[inputs, hosts])  # beside: fine


def test_the_current_folder_is_refused(tmp_path, monkeypatch):
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    for here in (out, out / "sub"):
        monkeypatch.chdir(here)
        with pytest.raises(OutputError) as raised:
            write_outputs(build_result(), out, force=True)
        assert raised.value.code == "OUTPUT_CURRENT_FOLDER"


def test_force_keeps_the_users_files_as_they_were(tmp_path):
    out = tmp_path / "out"
    write_outputs(build_result(), out)
    (out / "备份").mkdir()
    note = out / "备份" / "说明.txt"
    note.write_text("mine")
    (out / "empty").mkdir()
    (out / "link").symlink_to("备份")
    inode = note.stat().st_ino
    write_outputs(build_result(), out, force=True, months=6)
    assert note.read_text() == "mine" and note.stat().st_ino == inode  # a hard link
    assert (out / "empty").is_dir() and (out / "link").is_symlink()
    marker = json.loads((out / MARKER).read_text("utf-8"))
    assert "备份/说明.txt" not in marker["files"] and marker["kind"] == "run"


def test_a_half_set_is_not_whole(tmp_path):
    out = tmp_path / "out"
    write_outputs(build_result(), out)
    assert whole_set_problem(out, "run") is None
    assert "不是 run" not in (whole_set_problem(out, "compare") or "")
    (out / "result.json").write_text("{}")
    assert "result.json" in (whole_set_problem(out, "run") or "")
    (out / "result.json").unlink()
    assert "缺少 result.json" in (whole_set_problem(out, "run") or "")
    (out / MARKER).unlink()
    assert MARKER in (whole_set_problem(out, "run") or "")


def test_files_and_folders_are_private_while_staged(tmp_path, monkeypatch):
    seen = []
    commit = publish.Publication.commit

    def spy(self, files):
        for item in [self.staging, *self.staging.rglob("*")]:
            seen.append((item.name, stat.S_IMODE(item.stat().st_mode), item.is_dir()))
        return commit(self, files)

    monkeypatch.setattr(publish.Publication, "commit", spy)
    write_outputs(build_result(), tmp_path / "out")
    assert seen and all(mode == (0o700 if is_dir else 0o600) for _, mode, is_dir in seen)
    assert all(not name.endswith(".tmp") for name, _, _ in seen)


def test_a_file_as_output_folder_is_refused_before_any_work(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(OutputExistsError) as raised:
        publish.check_output(target, force=True)
    assert raised.value.code == "OUTPUT_NOT_A_FOLDER" and target.read_text() == "x"


def test_a_writable_folder_under_a_read_only_parent_is_told_so(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    real_access = os.access

    def refused(path):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(publish, "_mkdir", refused)
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != tmp_path)
    with pytest.raises(OutputError) as raised:
        publish.check_output(out)
    assert raised.value.code == "OUTPUT_PARENT_NOT_WRITABLE" and "结果" in str(raised.value)
    monkeypatch.setattr(os, "access", real_access)
    with pytest.raises(OutputError) as raised:
        publish.check_output(out)
    assert raised.value.code == "OUTPUT_PERMISSION"


def test_sigterm_removes_the_staged_outputs(tmp_path):
    code = (
        "import os, signal, sys, time; from pathlib import Path;"
        "from matcher.cli import exit_on_terminate; from matcher.report import publish;"
        "from matcher.report.write import write_outputs;"
        "from tests.report.conftest import build_result;"
        "exit_on_terminate();"
        "publish.Publication.commit = lambda self, files: ("
        " os.kill(os.getpid(), signal.SIGTERM), time.sleep(30));"
        "write_outputs(build_result(), Path(sys.argv[1]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "out")], cwd=ROOT, capture_output=True
    )
    assert done.returncode == 128 + 15, done.stderr
    assert os.listdir(tmp_path) == []


def test_one_file_is_replaced_whole_and_privately(tmp_path, monkeypatch):
    target = tmp_path / "compare.xlsx"
    target.write_bytes(b"old")
    publish.replace_file(target, b"new")
    assert target.read_bytes() == b"new" and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["compare.xlsx"]

    def full(descriptor):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError) as raised:
        publish.replace_file(target, b"newer")
    assert raised.value.code == "OUTPUT_DISK_FULL"
    assert target.read_bytes() == b"new" and os.listdir(tmp_path) == ["compare.xlsx"]


_PARTS = st.sampled_from(
    ["a", "备份", "notices", "按培养单位", "placements.csv", "x.csv", "说明.txt"]
)


@settings(CI, max_examples=12)
@given(st.lists(st.lists(_PARTS, min_size=1, max_size=3), max_size=6))
@example([["placements.csv"], ["notices", "按培养单位", "x.csv"], ["notices", "说明.txt"], ["a"]])
def test_force_keeps_every_file_of_the_user_and_none_of_the_old_set(paths):
    """Whatever the user keeps in the folder, --force drops only the old set's files."""
    from matcher.report.write import is_run_output

    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "out"
        write_outputs(build_result(), out, months=12)
        old_set = set(_files(out))
        mine: dict[str, bytes] = {}
        for parts in paths:
            path = out.joinpath(*parts)
            if any(p.is_file() for p in [path, *path.parents]) or path.is_dir():
                continue  # a file where a folder is needed, or the reverse
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"mine " + "/".join(parts).encode())
            mine[path.relative_to(out).as_posix()] = path.read_bytes()
        write_outputs(build_result(), out, force=True, months=6)
        after = _files(out)
        fresh = Path(work) / "fresh"
        write_outputs(build_result(), fresh, months=6)
        new = _files(fresh)
        for name, content in mine.items():
            if name in new:
                assert after[name] == new[name], name  # a file of the set: the new one
            elif is_run_output(name):
                assert name not in after, name  # e.g. the list of a host no longer in the run
            else:
                assert after[name] == content, name  # the user's: kept as it was
        leftover = set(after) - set(new) - set(mine)
        assert not leftover and not (old_set - set(new) - set(mine)) & set(after)
        assert sorted(os.listdir(work)) == ["fresh", "out"]


def test_a_file_of_the_user_named_like_an_output_folder_is_never_lost(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notices").write_text("mine")  # where the set has a folder
    with pytest.raises(OutputExistsError) as raised:
        write_outputs(build_result(), out, force=True)
    assert raised.value.code == "OUTPUT_NAME_TAKEN" and "notices" in str(raised.value)
    assert os.listdir(out) == ["notices"] and sorted(os.listdir(tmp_path)) == ["out"]
    (out / "notices").unlink()
    (out / "placements.csv" / "x").mkdir(parents=True)  # where the set has a file
    with pytest.raises(OutputExistsError):
        write_outputs(build_result(), out, force=True)
    assert (out / "placements.csv" / "x").is_dir()
