"""The workspace database: migrations recorded, WAL, writes kept across a reopen."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from matcher.web import store as store_module
from matcher.web.store import MIGRATIONS, Store


def test_migrations_are_recorded_and_run_once(tmp_path: Path):
    path = tmp_path / "db.sqlite3"
    first = Store(path)
    assert first.version == len(MIGRATIONS)
    first.execute(
        "INSERT INTO rounds (name, year, reference_date, created) VALUES ('r', 2023, "
        "'2023-03-20', 'now')"
    )
    first.close()
    again = Store(path)  # a second open applies nothing again and keeps the row
    assert again.version == len(MIGRATIONS)
    assert again.all("SELECT name FROM rounds") == [{"name": "r"}]
    assert again.one("PRAGMA journal_mode")["journal_mode"] == "wal"


def test_a_new_migration_is_applied_to_an_old_database(tmp_path: Path, monkeypatch):
    path = tmp_path / "db.sqlite3"
    Store(path).close()
    monkeypatch.setattr(
        store_module, "MIGRATIONS", (*MIGRATIONS, "ALTER TABLE rounds ADD COLUMN extra TEXT")
    )
    upgraded = Store(path)
    assert upgraded.version == len(MIGRATIONS) + 1
    columns = {row["name"] for row in upgraded.all("PRAGMA table_info(rounds)")}
    assert "extra" in columns


def test_a_failed_migration_leaves_the_old_version(tmp_path: Path, monkeypatch):
    path = tmp_path / "db.sqlite3"
    Store(path).close()
    monkeypatch.setattr(
        store_module, "MIGRATIONS", (*MIGRATIONS, "CREATE TABLE t (a INT); NOT SQL AT ALL")
    )
    try:
        Store(path)
    except sqlite3.Error:
        pass
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS)
    reopened = Store(path)
    assert reopened.version == len(MIGRATIONS)
    assert reopened.one("SELECT name FROM sqlite_master WHERE name = 't'") is None


def test_a_write_is_on_disk_when_it_returns(tmp_path: Path):
    path = tmp_path / "db.sqlite3"
    store = Store(path)
    store.execute("INSERT INTO users (name, hash) VALUES ('a', 'h')")
    other = sqlite3.connect(path)  # another connection sees it without any close
    assert other.execute("SELECT name FROM users").fetchall() == [("a",)]


def test_an_old_pin_decision_becomes_a_place_override(tmp_path: Path, monkeypatch):
    path = tmp_path / "db.sqlite3"
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS[:2])
    old = Store(path)
    old.execute(
        "INSERT INTO rounds (name, year, reference_date, created) VALUES ('r', 2023, "
        "'2023-03-20', 'now')"
    )
    old.execute(
        "INSERT INTO decisions (round_id, kind, applicant, host, reason, who, at)"
        " VALUES (1, 'pin', 'a.xlsx:5', '内蒙古大学', '同意接收', '王', 'now')"
    )
    old.close()
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS)
    new = Store(path)
    (row,) = new.all("SELECT kind, host, reason FROM decisions")
    assert row == {"kind": "place", "host": "内蒙古大学", "reason": "同意接收"}
    assert new.all("SELECT * FROM backfills") == []
