"""Kill a `--force` write at every step and report what each kill left (run as a script).

``python -m tests.report.kill_child WORKDIR`` writes an old set (12 months) and a new one
(6 months) for reference, then, for k = 1, 2, …: puts the old set (and a file of the
user's) in ``WORKDIR/out``, forks a process that writes the new set with ``force`` and
SIGKILLs itself at its k-th file-system call, and records what the folder holds right
after the kill and after `recover`. One JSON object per k on stdout; the last k is the
first whose write was not killed. Fresh interpreter, forks from a process with no other
thread alive (the spool's thread is joined after each write).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import sys
from pathlib import Path
from typing import Any

from matcher.report.publish import recover, whole_set_problem
from matcher.report.write import write_outputs
from tests.report.conftest import build_result

MINE = "mine.txt"
CALLS = ("open", "fsync", "rename", "replace", "link", "mkdir", "unlink", "rmdir")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Relative path → bytes of every file under `folder`."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def state(out: Path, old: dict[str, bytes], new: dict[str, bytes]) -> str:
    """ "old", "new", "missing" or "mixed": what `out` holds (the user's file aside)."""
    if not out.exists():
        return "missing"
    files = snapshot(out)
    if files.pop(MINE, None) != b"mine":
        return "mixed"
    return "old" if files == old else "new" if files == new else "mixed"


def private(path: Path) -> bool:
    """Whether every folder under `path` is 0700 and every file 0600."""
    for item in [path, *path.rglob("*")]:
        mode = stat.S_IMODE(item.lstat().st_mode)
        if mode != (0o700 if item.is_dir() else 0o600):
            return False
    return True


def killed_at(k: int, out: Path, result: Any) -> bool:
    """Write the new set into `out` in a fork that kills itself at call k; whether it died."""
    pid = os.fork()
    if pid == 0:  # the child: count the calls, die at the k-th
        count = [0]

        def counted(function: Any) -> Any:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                count[0] += 1
                if count[0] == k:
                    os.kill(os.getpid(), signal.SIGKILL)
                return function(*args, **kwargs)

            return wrapper

        for name in CALLS:
            setattr(os, name, counted(getattr(os, name)))
        shutil.rmtree = counted(shutil.rmtree)
        try:
            write_outputs(result, out, force=True, months=6)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.WIFSIGNALED(status)


def main(work: Path) -> None:
    """Print one JSON line per kill point (see the module)."""
    result = build_result()
    write_outputs(result, work / "old", months=12)
    write_outputs(result, work / "new", months=6)
    old, new = snapshot(work / "old"), snapshot(work / "new")
    out = work / "out"
    for k in range(1, 1000):
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(work / "old", out)
        (out / MINE).write_bytes(b"mine")
        os.chmod(out / MINE, 0o600)
        died = killed_at(k, out, result)
        siblings = sorted(p for p in work.iterdir() if p.name.startswith(".out."))
        row = {
            "k": k,
            "killed": died,
            "after_kill": state(out, old, new),
            "siblings": [p.name.rsplit("-", 1)[0] for p in siblings],
            "siblings_private": all(private(p) for p in siblings),
        }
        recover(out)
        row["after_recover"] = state(out, old, new)
        row["left"] = sorted(p.name for p in work.iterdir() if p.name.startswith(".out."))
        row["whole"] = whole_set_problem(out, "run") is None
        sys.stdout.write(json.dumps(row) + "\n")
        if not died:
            return


if __name__ == "__main__":
    main(Path(sys.argv[1]))
