"""Fixtures of the workbench tests: an app over a fresh workspace, its CSRF token, uploads."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from matcher import api
from matcher.web.app import create_app

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(client: TestClient, path: str = "/") -> str:
    """The CSRF token of the client's session, read from a page as a browser would."""
    found = CSRF.search(client.get(path).text)
    assert found, "no form with a CSRF token on " + path
    return found.group(1)


def new_round(client: TestClient) -> int:
    token = csrf_of(client)
    response = client.post(
        "/rounds",
        data={"csrf": token, "name": "测试轮次", "year": "2023", "reference_date": "2023-03-20"},
    )
    assert response.status_code == 200
    return int(str(response.url).rstrip("/").rsplit("/", 1)[1])


def upload(client: TestClient, round_id: int, paths: list[Path], token: str | None = None):
    files = [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in paths]
    data = {"csrf": token if token is not None else csrf_of(client)}
    return client.post(f"/rounds/{round_id}/files", data=data, files=files)


def wait_done(client: TestClient, run_id: int, timeout: float = 120.0) -> str:
    """The run's state once it is no longer queued or running."""
    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        state = ctx.runner.get(run_id)["state"]
        if state not in ("queued", "running"):
            return str(state)
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s")


@pytest.fixture
def client(tmp_path: Path):
    app = create_app(tmp_path / "ws")
    with TestClient(app) as test_client:
        yield test_client
    app.state.ctx.runner.shutdown()
    app.state.ctx.workspace.store.close()


@pytest.fixture(scope="session")
def sample() -> list[Path]:
    return api.sample_files()
