"""Where the bundled data lives, installed or in a checkout."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """The bundled `data/` folder (``MATCHER_DATA`` overrides it)."""
    override = os.environ.get("MATCHER_DATA")
    if override:
        return Path(override)
    here = Path(__file__).resolve().parent
    installed = here / "_data"
    return installed if installed.is_dir() else here.parent / "data"


def sample_round_dir() -> Path:
    """The bundled sample round of 2023 (the regions' 附件3 workbooks)."""
    return data_dir() / "sample-2023"
