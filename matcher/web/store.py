"""The workbench's database: rounds, files, runs, decisions, accounts, in SQLite.

One file ``matcher.sqlite3`` in the workspace, in WAL mode, with a ``schema_version`` table
and numbered migrations (`MIGRATIONS`; a new version appends one, never edits one). Every
write goes through one connection under one lock (one writer); every write commits before
it returns, so a restart loses nothing that a page confirmed. Rows are plain dicts.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema
    """
    CREATE TABLE rounds (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        year INTEGER NOT NULL,
        reference_date TEXT NOT NULL,
        mechanism TEXT NOT NULL DEFAULT 'optimal',
        seed INTEGER NOT NULL DEFAULT 2023,
        hosts_file TEXT,
        created TEXT NOT NULL
    );
    CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        round_id INTEGER NOT NULL REFERENCES rounds(id),
        name TEXT NOT NULL,
        stored TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        uploaded TEXT NOT NULL,
        who TEXT NOT NULL,
        replaced_by INTEGER REFERENCES files(id)
    );
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        round_id INTEGER NOT NULL REFERENCES rounds(id),
        number INTEGER NOT NULL,
        state TEXT NOT NULL,
        step TEXT NOT NULL DEFAULT '',
        folder TEXT NOT NULL,
        started TEXT NOT NULL,
        finished TEXT,
        who TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        error TEXT,
        published TEXT,
        inputs TEXT NOT NULL DEFAULT '{}',
        UNIQUE (round_id, number)
    );
    CREATE TABLE settings (
        round_id INTEGER NOT NULL REFERENCES rounds(id),
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (round_id, key)
    );
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        round_id INTEGER NOT NULL REFERENCES rounds(id),
        kind TEXT NOT NULL CHECK (kind IN ('exclude', 'pin')),
        applicant TEXT NOT NULL,
        host TEXT,
        reason TEXT NOT NULL,
        who TEXT NOT NULL,
        at TEXT NOT NULL,
        base_run INTEGER REFERENCES runs(id),
        run_id INTEGER REFERENCES runs(id)
    );
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        hash TEXT NOT NULL,
        failures INTEGER NOT NULL DEFAULT 0,
        locked_until TEXT
    );
    CREATE TABLE sessions (
        token TEXT PRIMARY KEY,
        user TEXT,
        csrf TEXT NOT NULL,
        expires TEXT NOT NULL
    );
    """,
    # 2: a file can be taken out of a round (kept on disk, recorded)
    """
    ALTER TABLE files ADD COLUMN removed TEXT;
    ALTER TABLE files ADD COLUMN removed_by TEXT
    """,
    # 3: decisions are the library's overrides (place, fix, exclude; a pin became place),
    # and a 补录 after withdrawals is recorded with its published run, who, when and why
    """
    CREATE TABLE decisions_v3 (
        id INTEGER PRIMARY KEY,
        round_id INTEGER NOT NULL REFERENCES rounds(id),
        kind TEXT NOT NULL CHECK (kind IN ('exclude', 'place', 'fix')),
        applicant TEXT NOT NULL,
        host TEXT,
        reason TEXT NOT NULL,
        who TEXT NOT NULL,
        at TEXT NOT NULL,
        base_run INTEGER REFERENCES runs(id),
        run_id INTEGER REFERENCES runs(id)
    );
    INSERT INTO decisions_v3 SELECT id, round_id,
        CASE kind WHEN 'pin' THEN 'place' ELSE kind END,
        applicant, host, reason, who, at, base_run, run_id FROM decisions;
    DROP TABLE decisions;
    ALTER TABLE decisions_v3 RENAME TO decisions;
    CREATE TABLE backfills (
        id INTEGER PRIMARY KEY,
        round_id INTEGER NOT NULL REFERENCES rounds(id),
        published_run INTEGER NOT NULL REFERENCES runs(id),
        withdrawn TEXT NOT NULL,
        reason TEXT NOT NULL,
        who TEXT NOT NULL,
        at TEXT NOT NULL,
        run_id INTEGER REFERENCES runs(id)
    )
    """,
)


def now() -> str:
    """The current UTC time as ISO 8601 seconds (how every time is stored)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class Store:
    """The workspace database (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        path.chmod(0o600)  # before WAL: SQLite gives -wal and -shm the database's mode
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA synchronous=FULL")
        self.migrate()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    @property
    def version(self) -> int:
        """The schema version of the database (0 before any migration)."""
        row = self._db.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def migrate(self) -> None:
        """Apply every migration newer than the database's version, each in a transaction."""
        with self._lock:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
                " applied TEXT NOT NULL)"
            )
            for number, script in enumerate(MIGRATIONS, start=1):
                if number <= self.version:
                    continue
                statements = [s for s in script.split(";") if s.strip()]
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    for statement in statements:
                        self._db.execute(statement)
                    self._db.execute("INSERT INTO schema_version VALUES (?, ?)", (number, now()))
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (committed on leaving, rolled back on an exception)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> int:
        """Run one write statement in its own transaction; the new row's id."""
        with self.transaction() as db:
            cursor = db.execute(sql, params)
            return int(cursor.lastrowid or 0)

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        """The first row of a query, or None."""
        with self._lock:
            row = self._db.execute(sql, params).fetchone()
        return dict(row) if row is not None else None

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Every row of a query."""
        with self._lock:
            return [dict(r) for r in self._db.execute(sql, params).fetchall()]
