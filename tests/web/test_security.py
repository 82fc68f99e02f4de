"""Accounts and sessions: login required beyond loopback, scrypt hashes, lockout, logout;
`matcher serve` refusing a shared address without accounts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from matcher.cli import app as cli
from matcher.web import security
from matcher.web.app import create_app
from matcher.web.store import Store

from ..strategies import CI
from .conftest import csrf_of

PASSWORD = "correct horse battery"


@pytest.fixture
def shared(tmp_path: Path):
    """The app as `matcher serve --host 0.0.0.0` builds it, with one account."""
    app = create_app(tmp_path / "ws", require_login=True)
    security.add_user(app.state.ctx.workspace.store, "wang", PASSWORD)
    with TestClient(app) as client:
        yield client
    app.state.ctx.runner.shutdown()


def _login(client: TestClient, password: str = PASSWORD, name: str = "wang"):
    token = csrf_of(client, "/login")
    return client.post("/login", data={"csrf": token, "name": name, "password": password})


@pytest.mark.parametrize("path", ["/", "/rounds/1", "/rounds/1/files", "/runs/1", "/compare"])
def test_every_page_needs_a_login_beyond_loopback(shared: TestClient, path: str):
    response = shared.get(path, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"


def test_a_post_without_login_is_not_carried_out(shared: TestClient):
    response = shared.post(
        "/rounds", data={"year": "2023", "reference_date": "2023-03-20"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert shared.app.state.ctx.workspace.rounds() == []  # type: ignore[attr-defined]


def test_login_opens_the_pages_and_logout_closes_them(shared: TestClient):
    assert _login(shared).status_code == 200
    page = shared.get("/")
    assert page.status_code == 200 and "wang" in page.text
    shared.post("/logout", data={"csrf": csrf_of(shared)})
    assert shared.get("/", follow_redirects=False).status_code == 303


def test_the_login_form_needs_its_csrf_token(shared: TestClient):
    csrf_of(shared, "/login")
    response = shared.post("/login", data={"name": "wang", "password": PASSWORD})
    assert response.status_code == 403
    assert shared.get("/", follow_redirects=False).status_code == 303


def test_a_wrong_password_is_refused_and_the_account_locks(shared: TestClient):
    for _ in range(security.LOCK_AFTER - 1):
        response = _login(shared, "wrong password!")
        assert response.status_code == 401 and "用户名或密码错误" in response.text
    response = _login(shared, "wrong password!")
    assert "锁定" in response.text
    locked = _login(shared)  # even the right password, while locked
    assert locked.status_code == 401 and "锁定" in locked.text
    assert shared.get("/", follow_redirects=False).status_code == 303


def test_an_unknown_user_reads_like_a_wrong_password(shared: TestClient):
    response = _login(shared, PASSWORD, name="nobody")
    assert response.status_code == 401 and "用户名或密码错误" in response.text


def test_the_session_cookie_is_httponly_and_strict(shared: TestClient):
    response = _login(shared)
    cookie = response.history[0].headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()


def test_passwords_are_stored_as_scrypt_hashes(tmp_path: Path):
    store = Store(tmp_path / "db.sqlite3")
    security.add_user(store, "li", PASSWORD)
    stored = store.one("SELECT hash FROM users WHERE name = 'li'")["hash"]
    assert stored.startswith("scrypt$") and PASSWORD not in stored
    assert security.check_password(PASSWORD, stored)
    assert not security.check_password(PASSWORD + "x", stored)
    with pytest.raises(security.AccountError):
        security.add_user(store, "li", PASSWORD)
    with pytest.raises(security.AccountError):
        security.add_user(store, "zhao", "short")


@CI
@given(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30))
def test_a_hash_accepts_its_password_only(password: str, other: str):
    stored = security.hash_password(password)
    assert security.check_password(password, stored)
    assert security.check_password(other, stored) is (other == password)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.9.1", True), ("::1", True), ("localhost", True),
     ("0.0.0.0", False), ("192.168.1.5", False), ("::", False), ("example.org", False)],
)  # fmt: skip
def test_loopback_addresses(host: str, loopback: bool):
    assert security.is_loopback(host) is loopback


def test_serve_beyond_loopback_needs_an_account(tmp_path: Path):
    runner = CliRunner()
    ws = tmp_path / "ws"
    refused = runner.invoke(cli, ["serve", "--workspace", str(ws), "--host", "0.0.0.0"])
    assert refused.exit_code == 2 and "--add-user" in refused.output
    made = runner.invoke(
        cli,
        ["serve", "--workspace", str(ws), "--add-user", "wang", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert made.exit_code == 0, made.output
    db = sqlite3.connect(ws / "matcher.sqlite3")
    assert db.execute("SELECT name FROM users").fetchall() == [("wang",)]
    short = runner.invoke(
        cli, ["serve", "--workspace", str(ws), "--add-user", "li", "--password-stdin"],
        input="short\n",
    )  # fmt: skip
    assert short.exit_code == 2 and "密码" in short.output


def test_a_foreign_host_header_is_refused(tmp_path: Path):
    app = create_app(tmp_path / "ws", allowed_hosts=("127.0.0.1",))
    with TestClient(app, base_url="http://evil.example") as client:
        assert client.get("/").status_code == 400
    with TestClient(app, base_url="http://127.0.0.1:8750") as client:
        assert client.get("/").status_code == 200
    app.state.ctx.runner.shutdown()
