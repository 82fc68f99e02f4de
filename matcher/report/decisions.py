"""The decisions made around a solve, as the report shows them: overrides and what they cost.

Contract: `override_rows(manifest)` gives one row per override of ``manifest["overrides"]``
(written by `matcher.whatif.overrides.solve_overrides`) with the people it displaced as text;
`override_sheet(manifest)` the 人工调整记录 sheet's columns and rows (none without
overrides); `overrides_html(manifest)` the report's section ("" without overrides). IDs
are the manifest's masked ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from operator import itemgetter
from typing import Any

from matcher.report.mask import scrub
from matcher.report.xlsx import Column

OVERRIDE_SHEET = "人工调整记录"
CHANGE_LABELS = {
    "lost": "失去名额",
    "gained": "新获名额",
    "moved": "更换培养单位",
    "status": "状态变化",
}
OVERRIDE_HEADERS = {
    "number": "序号", "kind_label": "调整类型", "name": "姓名", "id": "身份证号",
    "key": "来源（文件:行）", "host": "培养单位", "before": "不调整时", "reason": "理由",
    "decided_by": "决定人", "displaced_count": "受影响人数", "displaced_text": "受影响人员",
}  # fmt: skip


def _person(entry: Mapping[str, Any]) -> str:
    label = CHANGE_LABELS.get(str(entry.get("change")), str(entry.get("change")))
    return f"{entry['name']}（{label}：{entry['before']} → {entry['after']}）"


def override_rows(manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per override: `OVERRIDE_HEADERS`' keys, the displaced joined with ；."""
    rows = []
    for number, entry in enumerate(manifest.get("overrides", []), start=1):
        displaced = list(entry.get("displaced", []))
        rows.append(
            {
                "number": number,
                "kind_label": entry.get("kind_label", entry.get("kind", "")),
                "name": entry.get("name", ""),
                "id": entry.get("id", ""),
                "key": entry.get("key", ""),
                "host": entry.get("host") or "",
                "before": entry.get("before", ""),
                "reason": entry.get("reason", ""),
                "decided_by": entry.get("decided_by", ""),
                "displaced_count": len(displaced),
                "displaced_text": "；".join(map(_person, displaced)) or "无",
            }
        )
    return rows


def override_sheet(manifest: Mapping[str, Any]) -> tuple[list[Column], list[dict[str, Any]]]:
    """The 人工调整记录 sheet: its columns and rows (no rows: no overrides)."""
    kinds = {"id": "id"}
    columns = [
        Column(header, itemgetter(key), kinds.get(key, "text"))
        for key, header in OVERRIDE_HEADERS.items()
    ]
    return columns, override_rows(manifest)


def _cells(values: Sequence[Any], people: Sequence[str]) -> str:
    cells = "".join(f"<td>{escape(scrub(str(v)))}</td>" for v in values)
    listed = "<br>".join(escape(scrub(p)) for p in people) or "无"
    return f'<tr>{cells}<td style="white-space:normal;min-width:24em">{listed}</td></tr>'


def overrides_html(manifest: Mapping[str, Any]) -> str:
    """The report's 人工调整 section, or "" when the run has no override."""
    rows = override_rows(manifest)
    if not rows:
        return ""
    head = "".join(
        f"<th>{escape(h)}</th>"
        for h in (
            "序号",
            "类型",
            "姓名",
            "培养单位",
            "理由",
            "决定人",
            "不调整时",
            "因此变化的人员",
        )
    )
    entries = list(manifest.get("overrides", []))
    body = "".join(
        _cells(
            [r["number"], r["kind_label"], r["name"], r["host"], r["reason"], r["decided_by"],
             r["before"]],
            [_person(d) for d in entry.get("displaced", [])],
        )
        for r, entry in zip(rows, entries, strict=True)
    )  # fmt: skip
    note = (
        '<p class="note">每条人工调整均注明理由和决定人（不作为“预先接收”）。“因此变化的人员”是'
        "与不作该项调整（其余调整不变）的结果相比，失去、获得或更换名额的人：两次求解之差。</p>"
    )
    return (
        "<h2 id=overrides>人工调整记录</h2>"
        + note
        + f'<div class="wrap"><table><tr>{head}</tr>{body}</table></div>'
    )
