"""A workspace folder: its database and one folder per round, and what a round holds.

Layout::

    WORKSPACE/matcher.sqlite3            rounds, files, runs, decisions, accounts
    WORKSPACE/rounds/<id>/inputs/<token>/<name>     each uploaded file, never overwritten
    WORKSPACE/rounds/<id>/quotas/<token>/quotas.csv each saved quota table
    WORKSPACE/rounds/<id>/runs/<number>/            each run's outputs (matcher run's files)

An upload is stored in a folder with a generated name (``secrets.token_hex``) under the
file name it was sent with, once `uploads.clean_name` has accepted that name: the readers
take a file's region and track from its name, and the messages name the file the clerk
sent. Replacing a file stores the new one beside it and marks the old row replaced;
nothing confirmed is deleted.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from matcher import api
from matcher.web.store import Store, now
from matcher.web.uploads import MAX_FILE_BYTES, check_content, clean_name, copy_limited

TRACKS = ("区外", "区内")


@dataclass
class FileView:
    """One applicant file of a round as the Files page shows it."""

    id: int
    name: str
    size: int
    uploaded: str
    who: str
    rows: int = 0
    regions: list[str] = field(default_factory=list)
    tracks: list[str] = field(default_factory=list)
    errors: int = 0
    warnings: int = 0
    issues: list[dict[str, Any]] = field(default_factory=list)


class Workspace:
    """The workspace at `root` (created when missing)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.store = Store(self.root / "matcher.sqlite3")

    # ------------------------------------------------------------ rounds

    def round_dir(self, round_id: int) -> Path:
        """The folder of a round."""
        return self.root / "rounds" / str(int(round_id))

    def create_round(self, name: str, year: int, reference_date: date) -> int:
        """A new round with the bundled host catalogue and quota table; its id."""
        round_id = self.store.execute(
            "INSERT INTO rounds (name, year, reference_date, created) VALUES (?, ?, ?, ?)",
            (name, year, reference_date.isoformat(), now()),
        )
        self.round_dir(round_id).mkdir(parents=True, exist_ok=True, mode=0o700)
        return round_id

    def rounds(self) -> list[dict[str, Any]]:
        """Every round, newest first."""
        return self.store.all("SELECT * FROM rounds ORDER BY id DESC")

    def round(self, round_id: int) -> dict[str, Any] | None:
        """One round's row, or None."""
        return self.store.one("SELECT * FROM rounds WHERE id = ?", (round_id,))

    def update_round(self, round_id: int, **values: Any) -> None:
        """Change settings of a round (year, reference_date, mechanism, seed, …)."""
        allowed = {"name", "year", "reference_date", "mechanism", "seed", "hosts_file"}
        changes = {k: v for k, v in values.items() if k in allowed}
        if not changes:
            return
        sets = ", ".join(f"{k} = ?" for k in changes)
        self.store.execute(f"UPDATE rounds SET {sets} WHERE id = ?", (*changes.values(), round_id))

    # ------------------------------------------------------------ stored files

    def _new_folder(self, round_id: int, kind: str) -> Path:
        folder = self.round_dir(round_id) / kind / secrets.token_hex(8)
        folder.mkdir(parents=True, mode=0o700)
        return folder

    def store_upload(
        self, round_id: int, sent_name: str, source: BinaryIO, who: str, kind: str = "inputs"
    ) -> tuple[str, Path, int, str]:
        """Check and store one upload; (name, path, size, sha256) or `UploadRefused`."""
        name = clean_name(sent_name)
        folder = self._new_folder(round_id, kind)
        path = folder / name
        try:
            with path.open("xb") as target:
                os.chmod(path, 0o600)
                size = copy_limited(source, target, name, MAX_FILE_BYTES)
            check_content(path, name)
        except BaseException:
            path.unlink(missing_ok=True)
            folder.rmdir()
            raise
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return name, path, size, digest

    def add_file(self, round_id: int, sent_name: str, source: BinaryIO, who: str) -> int:
        """Store an applicant file; a file of the same name is replaced by it. The new id."""
        name, path, size, digest = self.store_upload(round_id, sent_name, source, who)
        stored = str(path.relative_to(self.root))
        with self.store.transaction() as db:
            cursor = db.execute(
                "INSERT INTO files (round_id, name, stored, size, sha256, uploaded, who)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (round_id, name, stored, size, digest, now(), who),
            )
            new = int(cursor.lastrowid or 0)
            db.execute(
                "UPDATE files SET replaced_by = ? WHERE round_id = ? AND name = ?"
                " AND replaced_by IS NULL AND removed IS NULL AND id != ?",
                (new, round_id, name, new),
            )
        return new

    def replace_file(self, round_id: int, file_id: int, source: BinaryIO, who: str) -> int:
        """Replace file `file_id` with a corrected one (kept under the old file's name)."""
        old = self.store.one(
            "SELECT * FROM files WHERE id = ? AND round_id = ? AND replaced_by IS NULL"
            " AND removed IS NULL",
            (file_id, round_id),
        )
        if old is None:
            raise KeyError(file_id)
        return self.add_file(round_id, old["name"], source, who)

    def remove_file(self, round_id: int, file_id: int, who: str) -> None:
        """Take a file out of the round (KeyError when it is not in use); it stays on disk."""
        with self.store.transaction() as db:
            cursor = db.execute(
                "UPDATE files SET removed = ?, removed_by = ? WHERE id = ? AND round_id = ?"
                " AND replaced_by IS NULL AND removed IS NULL",
                (now(), who, file_id, round_id),
            )
            if cursor.rowcount != 1:
                raise KeyError(file_id)

    def active_files(self, round_id: int) -> list[dict[str, Any]]:
        """The applicant files in use (not replaced), by name."""
        return self.store.all(
            "SELECT * FROM files WHERE round_id = ? AND replaced_by IS NULL AND removed IS NULL"
            " ORDER BY name",
            (round_id,),
        )

    def file_paths(self, round_id: int) -> list[Path]:
        """Paths of the active applicant files."""
        return [self.root / f["stored"] for f in self.active_files(round_id)]

    def set_hosts(self, round_id: int, sent_name: str, source: BinaryIO, who: str) -> None:
        """Store an uploaded host catalogue and use it for the round."""
        _, path, _, _ = self.store_upload(round_id, sent_name, source, who, kind="hosts")
        self.update_round(round_id, hosts_file=str(path.relative_to(self.root)))

    def hosts_path(self, round_: dict[str, Any]) -> Path:
        """The round's host catalogue (the bundled one unless one was uploaded)."""
        return self.root / round_["hosts_file"] if round_["hosts_file"] else api.bundled_hosts()

    def hosts_catalogue(self, round_: dict[str, Any]) -> Any:
        """The round's host catalogue as read (for the names a pin may use)."""
        return api.read_hosts(self.hosts_path(round_))[0]

    # ------------------------------------------------------------ quotas

    def quotas_path(self, round_id: int) -> Path:
        """The round's newest saved quota table, or the bundled 附件1."""
        row = self.store.one(
            "SELECT value FROM settings WHERE round_id = ? AND key = 'quotas'", (round_id,)
        )
        return self.root / row["value"] if row else api.bundled_quotas()

    def quota_rows(self, round_id: int) -> tuple[list[dict[str, Any]], dict[str, int | None]]:
        """The quota table as the Round page edits it: rows and the stated 合计 per track."""
        path = self.quotas_path(round_id)
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        table: list[dict[str, Any]] = []
        total: dict[str, int | None] = dict.fromkeys(TRACKS)
        for row in rows:
            region = (row.get("地区") or "").strip()
            values = {t: _count(row.get(f"{t}名额")) for t in TRACKS}
            if region in ("合计", "总计"):
                total = values
            elif region:
                table.append({"region": region, **values})
        return table, total

    def save_quotas(
        self,
        round_id: int,
        rows: list[tuple[str, str, str]],
        total: tuple[str, str],
    ) -> tuple[Path, list[Any]]:
        """Save an edited quota table (region, 区外, 区内 as typed; the stated 合计).

        The table is written as a 附件1 CSV and read back by the ordinary reader, so the
        合计 and every value are checked as in a file; (path, issues).
        """
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["序号", "地区", "区外名额", "区内名额"])
        for number, (region, out, inside) in enumerate(rows, start=1):
            writer.writerow([number, region.strip(), out.strip(), inside.strip()])
        if any(t.strip() for t in total):
            writer.writerow(["", "合计", total[0].strip(), total[1].strip()])
        folder = self._new_folder(round_id, "quotas")
        path = folder / "quotas.csv"
        path.write_text(buffer.getvalue(), encoding="utf-8-sig")
        os.chmod(path, 0o600)
        _, issues = api.read_quotas(path)
        with self.store.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO settings (round_id, key, value) VALUES (?, 'quotas', ?)",
                (round_id, str(path.relative_to(self.root))),
            )
        return path, issues

    # ------------------------------------------------------------ the round as read

    def settings(self, round_: dict[str, Any]) -> tuple[api.Rules, api.Policy]:
        """The rules and policy of a round's row."""
        rules = api.Rules(reference_date=date.fromisoformat(round_["reference_date"]))
        policy = api.Policy(mechanism=round_["mechanism"], seed=round_["seed"])
        return rules, policy

    def load(self, round_id: int) -> api.Round | None:
        """The round as read from its active files (None when no file was uploaded)."""
        row = self.round(round_id)
        paths = self.file_paths(round_id)
        if row is None or not paths:
            return None
        rules, policy = self.settings(row)
        return api.load(
            paths, self.hosts_path(row), self.quotas_path(round_id), rules=rules, policy=policy
        )

    def overview(self, round_id: int) -> tuple[list[FileView], list[Any], list[tuple[str, str]]]:
        """(each file with its rows and problems, issues of no file, regions×tracks missing)."""
        files = self.active_files(round_id)
        views = {
            f["name"]: FileView(f["id"], f["name"], f["size"], f["uploaded"], f["who"])
            for f in files
        }
        loaded = self.load(round_id)
        other: list[Any] = []
        sent: set[tuple[str, str]] = set()
        if loaded is not None:
            for name, view in views.items():
                people = [a for a in loaded.applicants if a.source_file == name]
                view.rows = len(people)
                view.regions = _common(a.region for a in people)
                view.tracks = _common(a.track.value if a.track else None for a in people)
                sent.update((a.region, a.track.value) for a in people if a.region and a.track)
            for issue in loaded.issues:
                view_of = views.get(issue.file)
                if view_of is None:
                    other.append(issue)
                    continue
                view_of.issues.append(_issue_row(issue))
                if issue.severity is api.Severity.ERROR:
                    view_of.errors += 1
                else:
                    view_of.warnings += 1
        table, _ = self.quota_rows(round_id)
        missing = [
            (row["region"], track)
            for row in table
            for track in TRACKS
            if (row[track] or 0) > 0 and (_region(row["region"]), track) not in sent
        ]
        return list(views.values()), other, missing


def _count(text: str | None) -> int | None:
    value = (text or "").strip()
    if value in ("", "—", "-", "–"):
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _region(written: str) -> str:
    """The quota region of a written name (呼伦贝尔市（含满洲里市） → 呼伦贝尔市)."""
    return written.split("（")[0].split("(")[0].strip()


def _common(values: Any) -> list[str]:
    return [v for v, _ in Counter(v for v in values if v).most_common()]


def _issue_row(issue: Any) -> dict[str, Any]:
    return {
        "row": issue.row,
        "column": issue.column or "",
        "code": issue.code,
        "error": issue.severity is api.Severity.ERROR,
        "message": api.scrub(issue.message),
    }
