"""Publishing a small set of files whole: the outputs of settle, forms and letters.

`publish(files, out_dir, force=..., inputs=...)` stages every file under a private
temporary name beside its place (mode 0600, folders 0700), then moves them into place; a
failure before the moves leaves nothing behind. A non-empty `out_dir` is refused unless
`force`; an `out_dir` that is or lies inside one of `inputs` (the run folder read) is
always refused, so a published run is only read.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


class PublishError(OSError):
    """The output folder cannot be used (not empty, an input folder, not a folder)."""


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def check_out_dir(out_dir: Path, *, force: bool, inputs: Iterable[Path] = ()) -> None:
    """Raise `PublishError` (a Chinese message) when `out_dir` may not be written."""
    target = Path(os.path.abspath(out_dir))
    for folder in inputs:
        source = Path(os.path.abspath(folder))
        if _inside(target, source):
            raise PublishError(f"输出文件夹 {out_dir} 位于输入文件夹 {folder} 中：请换一个 --out")
    if out_dir.exists() and not out_dir.is_dir():
        raise PublishError(f"{out_dir} 已存在且不是文件夹")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise PublishError(f"输出文件夹 {out_dir} 不为空（加 --force 覆盖）")


def _mkdir(path: Path) -> None:
    if not path.is_dir():
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(path, DIR_MODE)


def publish(
    files: Mapping[str, bytes],
    out_dir: Path,
    *,
    force: bool = False,
    inputs: Iterable[Path] = (),
) -> list[Path]:
    """Write `files` (relative POSIX path → bytes) into `out_dir`; the paths, in order."""
    out_dir = Path(out_dir)
    check_out_dir(out_dir, force=force, inputs=inputs)
    staged: list[tuple[Path, str]] = []
    try:
        for relative, content in files.items():
            path = out_dir.joinpath(*relative.split("/"))
            _mkdir(out_dir)
            for parent in reversed(path.relative_to(out_dir).parents):
                _mkdir(out_dir / parent)
            handle, temporary = tempfile.mkstemp(prefix=".matcher-", dir=path.parent)
            staged.append((path, temporary))
            with os.fdopen(handle, "wb") as stream:
                stream.write(content)
            os.chmod(temporary, FILE_MODE)
    except BaseException:
        for _, temporary in staged:
            Path(temporary).unlink(missing_ok=True)
        raise
    for path, temporary in staged:
        os.replace(temporary, path)
    return [path for path, _ in staged]
