"""What a sheet says above its header: the sending unit (填表单位), its region, the track."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from matcher.ingest.cells import parse_track
from matcher.ingest.regions import region_of
from matcher.ingest.text import cell_text, clean_text, nfkc
from matcher.model import Track

_FILL_UNIT = re.compile(
    r"(?:填表单位|填报单位|选派单位|推荐单位)\s*[:：]?\s*(.*?)\s*"
    r"(?:填表时间|填报时间|填表日期|填报日期|日期|时间|$)"
)
_SEAL = re.compile(r"[(（][^()（）]*(?:盖章|公章)[^()（）]*[)）]")


@dataclass
class Context:
    """What a sheet says above its header: sending unit, its region, the track."""

    unit: str | None
    region: str | None
    track: Track | None


def context_of(lines: Sequence[str], sheet_name: str, file_stem: str) -> Context:
    """Find sending unit, region and track (lines above the header, sheet and file name).

    The 填表单位：… line gives the unit (its region by `region_of`); the track comes from
    the title lines, else the sheet name, else the file name.
    """
    unit = None
    for line in lines:
        match = _FILL_UNIT.search(nfkc(line))
        if match:
            unit = clean_text(_SEAL.sub("", match.group(1))).strip(" :：_") or None
            break
    title = " ".join(lines)
    track = parse_track(title) or parse_track(sheet_name) or parse_track(file_stem)
    return Context(unit, region_of(unit) if unit else None, track)


def line_text(row: Sequence[object]) -> str:
    """The filled cells of `row` as one line of text (for the lines above a header)."""
    return " ".join(t for t in (cell_text(v).strip() for v in row) if t)
