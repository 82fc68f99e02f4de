"""The repository is self-contained: no tracked file points at a place outside it.

The contract once lived beside the repository (one folder up); it is now
`docs/contract.md`, and every pointer must stay inside the tree a newcomer clones.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEXT = (".py", ".md", ".toml", ".ipynb", ".html", ".txt", ".cfg", ".ini", ".yml", ".yaml")
#: A relative path that climbs at least one folder (`../x`, `../../x/y.md`).
CLIMB = re.compile(r"(?<![\w.%])((?:\.\./)+[\w\-.一-鿿/]*)")
#: The places outside the repository that files used to point at.
OUTSIDE = re.compile(r"CONTRACT\.md|(?<![\w.])\.\./shared/|(?<![\w.])/work/")
#: A relative Markdown link or image: ``[text](target)``.
LINK = re.compile(r"\]\((?!https?:|mailto:|#)([^)\s#]+)")


def _tracked() -> list[Path]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the tracked files are unknown")
    names = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    paths = [ROOT / n.decode() for n in names if n]
    return [p for p in paths if (p.suffix in TEXT or p.name == "Makefile") and p.is_file()]


def _inside(path: Path) -> bool:
    return path.resolve().is_relative_to(ROOT)


def test_no_tracked_file_climbs_out_of_the_repository():
    wrong = []
    for path in _tracked():
        if path == Path(__file__).resolve():
            continue  # this file holds examples of what the patterns catch
        text = path.read_text(encoding="utf-8", errors="replace")
        wrong += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in OUTSIDE.finditer(text)]
        wrong += [
            f"{path.relative_to(ROOT)}: {m.group(1)}"
            for m in CLIMB.finditer(text)
            if not _inside(path.parent / m.group(1))
        ]
    assert not wrong, "point inside the repository (the contract is docs/contract.md):\n" + (
        "\n".join(wrong)
    )


def test_every_markdown_link_names_a_file_of_the_repository():
    broken = []
    for path in _tracked():
        if path.suffix != ".md":
            continue
        for target in LINK.findall(path.read_text(encoding="utf-8")):
            at = path.parent / target
            if not (_inside(at) and at.exists()):
                broken.append(f"{path.relative_to(ROOT)}: {target}")
    assert not broken, "\n".join(broken)


def test_the_checks_catch_a_pointer_outside():
    # the patterns themselves: the old pointer, a climb past the root, a broken link
    assert OUTSIDE.search("see ../shared/CONTRACT.md")
    assert not OUTSIDE.search("see docs/contract.md, docx.shared")
    climb = CLIMB.search("README: ../../elsewhere/notes.md")
    assert climb and not _inside(ROOT / climb.group(1))
    inside = CLIMB.search('applicants = ["../data/sample-2023"]')
    assert inside and _inside(ROOT / "scenarios" / inside.group(1))
    assert LINK.findall("[a](docs/contract.md) [b](https://x.org) [c](#top)") == [
        "docs/contract.md"
    ]


def test_the_contract_page_names_what_the_code_writes():
    from matcher.model import Issue, Status
    from matcher.report.frames import PLACEMENT_COLUMNS

    text = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
    first = re.search(r"Its first columns, in this order: `([^`]+)`", text)
    assert first, "docs/contract.md lists placements.csv's first columns"
    listed = [c.strip() for c in first.group(1).split(",")]
    assert PLACEMENT_COLUMNS[: len(listed)] == listed
    for status in Status:
        assert f"`{status.value}`" in text
    keys = text[text.index("validate --json") :].split("\n\n", 1)[0]
    assert set(re.findall(r"`(\w+)`", keys)) >= set(Issue.model_fields)
