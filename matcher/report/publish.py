"""Publish a set of output files whole, and say clearly when a folder cannot take it.

Contract (docs/contract.md, "Outputs of run"): a run killed at any moment leaves the
previous set or the new one, never a mix, and no temporary file beside the outputs.

An output folder ``P/N`` gets a new set in these steps (`Publication`):

1. Checks before any work (`Publication(...)`, also `check_output`): ``N`` is a folder or
   absent, is neither the current folder nor a mount point, holds no input of the same run
   and lies in no input folder, and is empty unless ``force`` (or it holds a set of the
   same kind that may be replaced, `replaceable`).
2. Entering the publication tidies what killed earlier runs left (`recover`), then
   creates `Publication.staging`, the fresh sibling ``P/.N.partial-<pid>`` (0700): a
   hidden name that no reader takes. The caller writes every file there (0600).
3. `Publication.commit`: entries of the old folder that belong to no set (the user's own
   files) are carried over as hard links (copies where a link fails); the marker
   `MARKER` (the set's kind and the size of every file) is written last and fsynced;
   then ``N`` is renamed to ``P/.N.old-<pid>``, the staging folder to ``N``, and the
   old set is removed.
4. Any error removes the staging folder; an `OSError` becomes an `OutputError` that names
   the folder and says what to do (read-only, disk full, a path under a file, …).

A folder holds a whole set when its marker is there and every file it lists has the
listed size (`whole_set_problem`); readers (``compare``) refuse any other. A kill between
the two renames of step 3 leaves no ``N`` but a complete staging folder (its marker
written): the next publication to ``N`` renames it in (`recover`). Temporary names of
earlier versions (``.placements.csv.k3j9x_2a.tmp``) inside ``N`` are removed there too.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from matcher.report.naming import fit_name

MARKER = ".matcher-set.json"
MARKER_FORMAT = 1
DIR_MODE = 0o700
FILE_MODE = 0o600
STAGING, ASIDE = "partial", "old"
#: A sibling's name at most, in UTF-8 bytes, before ``.partial-<pid>`` (255 in all).
SIBLING_STEM_BYTES = 200
#: Temporary files of earlier versions, written beside their outputs (``tempfile`` names).
_LEGACY_TEMPORARY = re.compile(r"\..+\.(csv|xlsx|json|html)\.[a-z0-9_]{8}\.tmp")

#: errno → (code, what the person can do), for `describe`.
_ADVICE: dict[int, tuple[str, str]] = {
    errno.EROFS: (
        "OUTPUT_READ_ONLY",
        "该位置是只读的（只读挂载的磁盘、光盘或共享）。请用 --out 换一个可写的文件夹，"
        "或请管理员以读写方式挂载",
    ),
    errno.ENOSPC: (
        "OUTPUT_DISK_FULL",
        "磁盘空间已满。请清理该磁盘，或用 --out 换到空间充足的磁盘后重新运行",
    ),
    errno.EDQUOT: (
        "OUTPUT_DISK_FULL",
        "磁盘配额已用完。请清理文件或请管理员增加配额，或用 --out 换一个文件夹",
    ),
    errno.ENOTDIR: (
        "OUTPUT_UNDER_FILE",
        "路径中有一段是文件而不是文件夹。请检查 --out 的路径，或换一个文件夹",
    ),
    errno.EACCES: (
        "OUTPUT_PERMISSION",
        "没有写入权限。请用 --out 换一个有写权限的文件夹，或请管理员授予写权限",
    ),
    errno.EPERM: (
        "OUTPUT_PERMISSION",
        "系统不允许在此写入。请用 --out 换一个有写权限的文件夹，或请管理员授予写权限",
    ),
    errno.ENAMETOOLONG: (
        "OUTPUT_NAME_TOO_LONG",
        "路径过长。请用 --out 换一个较短的路径",
    ),
}
_OTHER = (
    "OUTPUT_NOT_WRITABLE",
    "不能在此创建或写入文件（例如 /proc、/sys 等系统文件夹，或上级路径不存在）。"
    "请用 --out 换一个普通的可写文件夹",
)


class OutputError(Exception):
    """An output folder that cannot or must not take a set of outputs.

    `code` is stable English (``OUTPUT_DISK_FULL`` …), `folder` the output folder, and
    the message (``str``) Chinese, naming the folder and what to do.
    """

    def __init__(self, code: str, folder: Path, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.folder = folder


class OutputExistsError(OutputError):
    """The output folder is not empty (without ``force``), or is a file."""


def describe(error: OSError, folder: Path) -> OutputError:
    """The `OutputError` for an `OSError` met while writing into `folder`."""
    code, advice = _ADVICE.get(error.errno or 0, _OTHER)
    name = errno.errorcode.get(error.errno or 0, "?")
    detail = f"{name}: {error.strerror}" if error.strerror else str(error)
    message = (
        f"无法写入输出文件夹 {folder}：{advice}。原有结果未改动，本次未写出任何文件（{detail}）"
    )
    return OutputError(code, folder, message)


def absolute(path: Path | str) -> Path:
    """`path` made absolute with its existing part's links resolved."""
    return Path(os.path.abspath(path)).resolve()


def check_output(
    out: Path | str,
    *,
    kind: str = "run",
    force: bool = False,
    inputs: Iterable[Path | str] = (),
    replaceable: Callable[[Path], bool] | None = None,
) -> Path:
    """Check that `out` may take a new set, before any work; its absolute path.

    Raises `OutputError` (see the module's step 1), and tries to create and remove the
    staging folder so that a read-only, full or system location is told now, not after
    the solve.
    """
    publication = Publication(out, kind=kind, force=force, inputs=inputs, replaceable=replaceable)
    out = publication.out
    try:
        _mkdir(publication.staging)
        publication.staging.rmdir()
    except OSError as error:
        if out.is_dir() and os.access(out, os.W_OK) and not os.access(out.parent, os.W_OK):
            raise OutputError(
                "OUTPUT_PARENT_NOT_WRITABLE",
                publication.given,
                f"输出文件夹 {publication.given} 可写，但其上级文件夹 {out.parent} 不可写："
                f"结果要先整套写在上级文件夹中的隐藏文件夹里再换入。请给出 {publication.given} "
                f"中的一个子文件夹，例如 --out {publication.given / '结果'}",
            ) from None
        raise describe(error, publication.given) from None
    return out


class Publication:
    """One set of outputs for the folder `out`, staged beside it and swapped in whole.

    Use as a context manager: ``with Publication(out, kind="run") as p:`` write into
    ``p.staging``, then ``p.commit(names)``. Leaving the block by an exception removes
    the staging folder; an `OSError` leaves it as an `OutputError`.
    """

    def __init__(
        self,
        out: Path | str,
        *,
        kind: str,
        force: bool = False,
        inputs: Iterable[Path | str] = (),
        legacy: Callable[[str], bool] | None = None,
        replaceable: Callable[[Path], bool] | None = None,
    ) -> None:
        self.given = Path(out)
        self.kind = kind
        self.force = force
        self.legacy = legacy or (lambda relative: False)
        try:
            self.out = absolute(out)
            _refuse(self.out, self.given, force, kind, list(inputs), replaceable)
        except OSError as error:
            raise describe(error, self.given) from None
        self.staging = sibling(self.out, STAGING, os.getpid())
        self._committed = False

    def __enter__(self) -> Publication:
        """Tidy what killed runs left and create the staging folder."""
        try:
            recover(self.out)
            if self.staging.exists():
                shutil.rmtree(self.staging)
            _mkdir(self.staging)
        except OSError as error:
            raise describe(error, self.given) from None
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """On an error: remove the staging folder; an `OSError` becomes `OutputError`."""
        if error is None:
            return
        if not self._committed:
            shutil.rmtree(self.staging, ignore_errors=True)
        if isinstance(error, OSError):
            raise describe(error, self.given) from None

    def commit(self, files: Sequence[str]) -> list[Path]:
        """Publish the staged `files` (POSIX paths relative to the folder) whole.

        Returns the published paths in `files`' order, then the marker.
        """
        staging, out = self.staging, self.out
        sizes = {name: staging.joinpath(*name.split("/")).stat().st_size for name in files}
        if out.is_dir():
            self._carry_over(out, set(files))
        document = {"format": MARKER_FORMAT, "kind": self.kind, "files": sizes}
        text = json.dumps(document, ensure_ascii=False, indent=1)
        write_private(staging / MARKER, text.encode("utf-8"))
        _fsync_folder(staging)
        aside = None
        if out.exists():
            aside = sibling(out, ASIDE, os.getpid())
            os.rename(out, aside)
        try:
            os.rename(staging, out)
        except OSError:
            if aside is not None:
                os.rename(aside, out)
            raise
        self._committed = True
        _fsync_folder(out.parent)
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)  # what is left, the next run removes
        return [out.joinpath(*name.split("/")) for name in files] + [out / MARKER]

    def _carry_over(self, old: Path, new: set[str]) -> None:
        """Link the old folder's own entries (those of no set) into the staging folder."""
        ours = set_files(old, self.legacy) | new
        for folder, dirs, files in os.walk(old):
            here = Path(folder).relative_to(old)
            for name in sorted(dirs):
                if (Path(folder) / name).is_symlink():
                    files.append(name)
                    dirs.remove(name)
            for name in sorted(files):
                relative = (here / name).as_posix()
                if relative in ours or _LEGACY_TEMPORARY.fullmatch(name):
                    continue
                target = self.staging / here / name
                if target.exists() or target.is_symlink():
                    raise self._clash(here / name)  # a folder of the new set has this name
                _mkdir(target.parent)
                _link(Path(folder) / name, target)
            for name in dirs:
                target = self.staging / here / name
                if target.exists() and not target.is_dir():
                    raise self._clash(here / name)  # a file of the new set has this name
                if not target.exists() and not _holds(ours, here / name):
                    _mkdir(target)

    def _clash(self, relative: Path) -> OutputExistsError:
        return OutputExistsError(
            "OUTPUT_NAME_TAKEN",
            self.given,
            f"{self.given} 中的 {relative.as_posix()} 不属于结果，却与一个结果文件或文件夹同名："
            f"请把它改名或移走后重新运行（为免丢失，没有替换任何文件）",
        )


def publish(
    files: Mapping[str, bytes],
    out: Path | str,
    *,
    kind: str = "files",
    force: bool = False,
    inputs: Iterable[Path | str] = (),
) -> list[Path]:
    """Publish `files` (POSIX path relative to `out` → bytes) into `out` as one whole set.

    The small sets of the commands that read a run folder (settle, forms, letters) go
    through the same `Publication` as a run's outputs; returns the paths in `files`'
    order (the marker left out). Raises `OutputError` as `Publication` does.
    """
    with Publication(out, kind=kind, force=force, inputs=inputs) as publication:
        for relative, content in files.items():
            path = publication.staging.joinpath(*relative.split("/"))
            _mkdir(path.parent)
            write_private(path, content)
        return publication.commit(list(files))[:-1]


def sibling(out: Path, role: str, pid: int) -> Path:
    """The hidden sibling of `out` for `role` (`STAGING` or `ASIDE`) of process `pid`."""
    return out.parent / f"{_prefix(out.name)}.{role}-{pid}"


def _prefix(name: str) -> str:
    return "." + fit_name(name, SIBLING_STEM_BYTES)


def recover(out: Path) -> None:
    """Finish or undo what killed publications to `out` left, and remove their leftovers.

    Siblings of processes no longer alive are stale. When `out` is missing (a kill
    between the two renames), a complete staging folder is renamed in, else the old set
    is renamed back. Every other stale sibling is removed (they hold personal data), and
    so are temporary files of earlier versions inside `out`.
    """
    pattern = re.compile(re.escape(_prefix(out.name)) + r"\.(partial|old)-(\d+)")
    try:
        entries = sorted(out.parent.iterdir())
    except FileNotFoundError:
        return
    stale: list[tuple[str, Path]] = []
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match and not _alive(int(match.group(2))):
            stale.append((match.group(1), entry))
    if not out.exists() and not out.is_symlink():
        whole = [p for role, p in stale if role == STAGING and (p / MARKER).is_file()]
        aside = [p for role, p in stale if role == ASIDE]
        for candidate in whole + aside:
            os.rename(candidate, out)
            break
    for _, entry in stale:
        if entry.exists():
            shutil.rmtree(entry)
    if out.is_dir():
        for folder, _, files in os.walk(out):
            for name in files:
                if _LEGACY_TEMPORARY.fullmatch(name):
                    (Path(folder) / name).unlink(missing_ok=True)


def read_marker(folder: Path) -> dict[str, Any] | None:
    """The marker of `folder` (kind, files and sizes), or None when it has none or it is bad."""
    try:
        document = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or not isinstance(document.get("files"), dict):
        return None
    return document


def set_files(folder: Path, legacy: Callable[[str], bool] | None = None) -> set[str]:
    """Relative paths in `folder` that belong to a set: the marker's files and itself.

    With `legacy`, also every file it recognises as an output (sets written before the
    marker, and lists of hosts no longer in a run).
    """
    marker = read_marker(folder)
    files = {MARKER, *(marker["files"] if marker else ())}
    if legacy is not None:
        for path in folder.rglob("*"):
            relative = path.relative_to(folder).as_posix()
            if legacy(relative):
                files.add(relative)
    return files


def whole_set_problem(folder: Path, kind: str) -> str | None:
    """Why `folder` is not a whole set of outputs of `kind` (Chinese), or None when it is."""
    marker = read_marker(folder)
    if marker is None:
        try:
            siblings = [p.name for p in folder.parent.iterdir()]
        except OSError:
            siblings = []
        interrupted = any(name.startswith(_prefix(folder.name) + ".") for name in siblings)
        why = (
            "上次写出被中断（旁边还有未完成的隐藏文件夹），重新运行一次 matcher run 即可恢复或补全"
            if interrupted
            else "可能是旧版本写的、写出时被中断或被人改动过；请重新运行 matcher run 写出完整结果"
        )
        return f"{folder} 不是完整的一套结果：缺少标记文件 {MARKER}（{why}）"
    if marker.get("kind") != kind:
        return f"{folder} 中是 {marker.get('kind')} 的结果，不是 {kind} 的结果"
    broken = []
    for name, size in sorted(marker["files"].items()):
        path = folder.joinpath(*str(name).split("/"))
        if not path.is_file():
            broken.append(f"缺少 {name}")
        elif path.stat().st_size != size:
            broken.append(f"{name} 与写出时大小不同")
    if broken:
        shown = "；".join(broken[:5]) + ("…" if len(broken) > 5 else "")
        return f"{folder} 不是完整的一套结果：{shown}。请重新运行 matcher run 写出完整结果"
    return None


def _refuse(
    out: Path,
    given: Path,
    force: bool,
    kind: str,
    inputs: list[Path | str],
    replaceable: Callable[[Path], bool] | None,
) -> None:
    """Raise `OutputError` when `out` must not take a set (module step 1)."""
    if out.exists() and not out.is_dir():
        raise OutputExistsError(
            "OUTPUT_NOT_A_FOLDER",
            given,
            f"{given} 已存在且是一个文件，不是文件夹：请用 --out 给出一个文件夹",
        )
    here = Path.cwd().resolve()
    if here == out or out in here.parents:
        raise OutputError(
            "OUTPUT_CURRENT_FOLDER",
            given,
            f"输出文件夹 {given} 是当前所在的文件夹（或其上级）：结果整套替换时不能替换它。"
            f"请给出其中的一个子文件夹，例如 --out {given / '结果'}",
        )
    if out.is_dir() and os.path.ismount(out):
        raise OutputError(
            "OUTPUT_MOUNT_POINT",
            given,
            f"输出文件夹 {given} 是一个挂载点（整个磁盘）：结果整套替换时不能替换它。"
            f"请给出其中的一个子文件夹，例如 --out {given / '结果'}",
        )
    for source in inputs:
        path = absolute(source)
        if path == out or out in path.parents:
            raise OutputError(
                "OUTPUT_HOLDS_INPUTS",
                given,
                f"输入 {source} 在输出文件夹 {given} 之中：写出会覆盖或混入本次的输入文件。"
                f"请用 --out 换一个不含输入文件的文件夹",
            )
        if path.is_dir() and path in out.parents:
            raise OutputError(
                "OUTPUT_IN_INPUTS",
                given,
                f"输出文件夹 {given} 在输入文件夹 {source} 之中：下次读取该文件夹时"
                f"会把结果当作输入。请用 --out 把结果放到它之外",
            )
    if force or not out.is_dir() or not any(out.iterdir()):
        return
    if replaceable is not None and replaceable(out):
        return
    raise OutputExistsError(
        "OUTPUT_NOT_EMPTY",
        given,
        f"输出文件夹 {given} 不为空：加 --force 以新结果整套替换其中的旧结果"
        f"（其中不属于结果的文件会保留），或换一个空文件夹",
    )


def _holds(files: set[str], folder: Path) -> bool:
    prefix = folder.as_posix() + "/"
    return any(name.startswith(prefix) for name in files)


def _alive(pid: int) -> bool:
    """Whether process `pid` runs (on this machine); always True for this process."""
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _mkdir(path: Path) -> None:
    if not path.is_dir():
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(path, DIR_MODE)


def _link(source: Path, target: Path) -> None:
    if source.is_symlink():
        os.symlink(os.readlink(source), target)
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def write_private(path: Path, content: bytes) -> None:
    """Create the file `path` (it must not exist) with `content`, mode 0600, fsynced."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def replace_file(path: Path | str, content: bytes) -> Path:
    """Write one file whole: into a hidden ``.NAME.partial-<pid>`` beside it, then renamed.

    For a single file outside a set (a notebook's `Comparison.write_xlsx`); mode 0600; the
    temporary file is removed on any error. Raises `OutputError` for an `OSError`.
    """
    path = Path(path)
    temporary = path.parent / f".{fit_name(path.name, SIBLING_STEM_BYTES)}.{STAGING}-{os.getpid()}"
    try:
        temporary.unlink(missing_ok=True)
        write_private(temporary, content)
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise describe(error, path.parent) from None
    return path


def _fsync_folder(path: Path) -> None:
    """Make a folder's entries durable (a rename is only as safe as its folder's fsync)."""
    if os.name != "posix":
        return
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
