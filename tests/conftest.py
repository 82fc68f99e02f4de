"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from matcher.engine.solve import REGISTRY
from matcher.model import MECHANISM_NAMES


@pytest.fixture
def isolated_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Mechanisms registered inside the test are forgotten after it (runners and names)."""
    monkeypatch.setattr("matcher.engine.solve.REGISTRY", dict(REGISTRY))
    names = list(MECHANISM_NAMES)
    yield
    MECHANISM_NAMES[:] = names
