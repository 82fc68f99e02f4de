"""A published run folder read back: what `matcher run` wrote, for the work after the run.

The settlement, the official forms and the 报到 letters start from a run folder (the
department's decision, as published), never from a new solve: `read_run(folder)` reads its
``placements.csv`` (every column as text, the contract's columns) and ``result.json``
(summary and manifest). Nothing in the folder is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from matcher.model import Status

TRAINEE_STATUSES = (Status.PLACED.value, Status.ADJUSTED.value)
#: placements.csv columns the work after the run needs.
REQUIRED = ("source_file", "source_row", "name", "id_number", "region", "track", "status", "host")


class RunFolderError(ValueError):
    """A folder that is not a readable `matcher run` output."""


@dataclass(frozen=True)
class RunFolder:
    """One published run: its folder, placements (text columns) and result.json."""

    path: Path
    placements: pd.DataFrame
    document: dict[str, Any]

    @property
    def summary(self) -> dict[str, Any]:
        """result.json's ``summary``."""
        return dict(self.document.get("summary", {}))

    @property
    def manifest(self) -> dict[str, Any]:
        """result.json's ``manifest``."""
        return dict(self.document.get("manifest", {}))

    @property
    def year(self) -> int:
        """The round's year (summary ``year``; 2023 when absent)."""
        return int(self.summary.get("year", 2023))

    @property
    def funding(self) -> dict[str, Any]:
        """The run's ``summary.funding`` (months, rates, totals, payees)."""
        return dict(self.summary.get("funding", {}))

    def trainees(self) -> pd.DataFrame:
        """The placed and adjusted rows, in input order (index reset)."""
        frame = self.placements
        return frame[frame["status"].isin(TRAINEE_STATUSES)].reset_index(drop=True)

    def input_path(self, role: str) -> Path | None:
        """The recorded path of the run's input of `role` (``hosts``, ``quotas``), if any."""
        for item in self.manifest.get("inputs", []):
            if isinstance(item, dict) and item.get("role") == role and item.get("path"):
                return Path(str(item["path"]))
        return None

    def input_sha256(self, role: str) -> str | None:
        """The recorded SHA-256 of the run's input of `role`, if any."""
        for item in self.manifest.get("inputs", []):
            if isinstance(item, dict) and item.get("role") == role:
                return str(item.get("sha256") or "") or None
        return None


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo the CSV's injection guard (a leading ``'`` before ``= + - @``)."""
    guarded = ("'=", "'+", "'-", "'@", "'\t", "'\r")
    for column in frame.columns:
        values = frame[column]
        if values.str.startswith(guarded).any():
            frame[column] = values.where(~values.str.startswith(guarded), values.str[1:])
    return frame


def read_run(folder: Path | str) -> RunFolder:
    """Read the run folder `folder`; raise `RunFolderError` with a Chinese message if unfit."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RunFolderError(f"{folder} 不是文件夹：请给出 matcher run 的输出文件夹")
    csv = folder / "placements.csv"
    document_path = folder / "result.json"
    if not csv.is_file() or not document_path.is_file():
        raise RunFolderError(
            f"{folder} 中没有 placements.csv 和 result.json：请给出 matcher run 的输出文件夹"
        )
    try:
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        document = json.loads(document_path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise RunFolderError(f"无法读取 {folder} 中的结果文件：{type(exc).__name__}") from None
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise RunFolderError(f"{csv} 缺少列：{', '.join(missing)}（不是 matcher run 的输出）")
    if not isinstance(document, dict):
        raise RunFolderError(f"{document_path} 不是 matcher run 写出的 result.json")
    return RunFolder(path=folder, placements=_text(frame), document=document)
