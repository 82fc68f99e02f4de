"""A real headless browser renders report.html: the figures it shows equal result.json's."""

import json
import os
import shutil
import struct
import subprocess
import zlib

import pytest

from tests.report.conftest import HOSTILE, lookup
from tests.report.test_html import parse

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="chromium is not installed (apt-get install chromium); required when CI is set",
)


def _chromium(tmp_path, *args):
    assert CHROMIUM is not None, "CI is set but chromium is not installed"
    profile = tmp_path / "profile"
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_rendered_dom_matches_result_json(written, tmp_path):
    out, _ = written
    dom = _chromium(tmp_path, "--dump-dom", (out / "report.html").as_uri())
    document = json.loads((out / "result.json").read_text("utf-8"))
    keys = parse(dom).keys
    assert len(keys) > 50
    for key, text in keys.items():
        assert text.replace(",", "").strip() == str(lookup(document, key)), key
    assert 'HYPERLINK("http://x","y")' in dom.replace("&quot;", '"')
    assert HOSTILE.startswith("=")


def _png_size_and_colours(data: bytes) -> tuple[int, int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    chunks, pos = [], 8
    while pos < len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            chunks.append(data[pos + 8 : pos + 8 + length])
        pos += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    return width, height, len(set(raw[i : i + 3] for i in range(0, min(len(raw), 3_000_000), 3)))


def test_screenshot_is_a_real_picture(written, tmp_path):
    out, _ = written
    shot = tmp_path / "report.png"
    _chromium(
        tmp_path, f"--screenshot={shot}", "--window-size=1200,2400", (out / "report.html").as_uri()
    )
    data = shot.read_bytes()
    width, height, colours = _png_size_and_colours(data)
    assert (width, height) == (1200, 2400)
    assert len(data) > 20_000 and colours > 50  # text, bars and tables, not a blank page
