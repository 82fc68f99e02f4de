"""The Decide page: overrides with a reason (place, fix, exclude), each making a new run.

A decision names an applicant (姓名, 身份证号 or ``file:row``, found in the round's latest
finished run), its kind, a host (for place; for fix, default: where that run placed them),
the reason and who decided (the logged-in user, else the name typed, else 本机). It is
checked against the round with the decisions before it (`api.check_overrides`), recorded
in SQLite with its time, and a new run solves the round with every decision so far
(`api.solve_with_overrides`), so the reason lands in result.json's manifest and the
人工调整记录 sheet; no run that exists is changed.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from matcher import api
from matcher.web.context import Context
from matcher.web.runs import overrides_of
from matcher.web.store import now

KINDS = {"exclude": "不予安排", "place": "人工安排", "fix": "固定录取"}
TRAINEES = ("placed", "adjusted")


def decision_label(d: dict[str, Any]) -> str:
    """A decision's kind in words, with its host (不予安排, 人工安排到 X, 固定录取于 X)."""
    if d["kind"] == "exclude":
        return KINDS["exclude"]
    return f"{KINDS[d['kind']]}{'到' if d['kind'] == 'place' else '于'}{d['host']}"


def shown(ref: str) -> str:
    """A reference typed by the clerk, fit for a message (an ID number masked)."""
    ref = ref.strip()
    return api.mask_id(ref) if ref.isalnum() and len(ref) >= 15 else api.scrub(ref)


def lookup(rows: list[dict[str, str]], ref: str) -> tuple[dict[str, str] | None, str | None]:
    """The one row named by ``file:row``, 身份证号 or 姓名; else None and a Chinese message."""
    found = find_rows(rows, ref)
    if not found:
        return None, f"找不到“{shown(ref)}”：请给出姓名、身份证号或“文件名:行号”"
    if len(found) > 1:
        keys = "、".join(f"{r['source_file']}:{r['source_row']}" for r in found)
        return None, f"“{shown(ref)}”有 {len(found)} 人（{keys}）：请用身份证号或“文件名:行号”"
    return found[0], None


def find_rows(rows: list[dict[str, str]], q: str) -> list[dict[str, str]]:
    """Rows named by ``file:row``, 身份证号 or 姓名 (exact), in that order of preference."""
    q = q.strip()
    for match in (
        lambda r: f"{r['source_file']}:{r['source_row']}" == q,
        lambda r: (r.get("id_number") or "").upper() == q.upper(),
        lambda r: r.get("name") == q,
    ):
        found = [r for r in rows if match(r)]
        if found:
            return found
    return []


def key_of(row: dict[str, str]) -> str:
    """The applicant key (``file:row``) of a placements row."""
    return f"{row['source_file']}:{row['source_row']}"


def decided_by(ctx: Context, request: Request, typed: str) -> str:
    """Who decides: the logged-in user, else the name typed in the form, else 本机."""
    return ctx.who(request, typed.strip() or "本机")


def register(app: FastAPI, ctx: Context) -> None:
    """Add the Decide page and its form to `app`."""
    ws, runner = ctx.workspace, ctx.runner

    @app.get("/rounds/{round_id}/decide", response_class=HTMLResponse)
    async def decide_page(request: Request, round_id: int, applicant: str = "") -> Response:
        return decide_view(ctx, request, round_id, applicant=applicant.strip()[:200])

    @app.post("/rounds/{round_id}/decisions")
    async def decide(request: Request, round_id: int) -> Response:
        form = await ctx.form(request)
        kind = str(form.get("kind", ""))
        applicant = str(form.get("applicant", "")).strip()[:200]
        host = str(form.get("host", "")).strip()[:200] or None
        reason = str(form.get("reason", "")).strip()[:500]
        base = [r for r in runner.runs(round_id) if r["state"] == "done"]
        problem, row = None, None
        if kind not in KINDS:
            problem = "请选择决定的种类：不予安排、人工安排或固定录取"
        elif not applicant:
            problem = "请给出申请人（姓名、身份证号，或“文件名:行号”）"
        elif kind == "place" and not host:
            problem = "人工安排时请填写培养单位名称"
        elif not reason:
            problem = "每个决定都要写明理由（将记入决定记录和结果文件）"
        elif not base:
            problem = "还没有完成的运行：请先在“运行”页运行一次"
        else:
            row, problem = lookup(runner.placements(base[0]), applicant)
        if row is not None and kind == "fix" and not host:
            if row["status"] in TRAINEES:
                host = row["host"]
            else:
                problem = (
                    f"{api.scrub(row['name'])} 在第{base[0]['number']}次运行中未被录取："
                    "固定录取须填写培养单位"
                )
        if problem is None and row is not None:
            earlier = runner.decisions(sorted(d["id"] for d in _decisions(ctx, round_id)))
            who = decided_by(ctx, request, str(form.get("who", "")))
            decision = {
                "kind": kind, "applicant": key_of(row), "host": host if kind != "exclude" else None,
                "reason": reason, "who": who,
            }  # fmt: skip
            try:
                api.check_overrides(
                    runner.round_of(runner.get(base[0]["id"])), overrides_of([*earlier, decision])
                )
            except (api.DecisionError, api.PipelineError, api.InputError) as exc:
                problem = api.scrub(str(exc))
        if problem is not None or row is None:
            typed = key_of(row) if row is not None else shown(applicant)
            return decide_view(ctx, request, round_id, 400, message=problem, applicant=typed)
        decision_id = ws.store.execute(
            "INSERT INTO decisions (round_id, kind, applicant, host, reason, who, at, base_run)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (round_id, kind, decision["applicant"], decision["host"], reason, who, now(),
             base[0]["id"]),
        )  # fmt: skip
        run_id = runner.start(round_id, who, note=f"决定 #{decision_id}")
        ws.store.execute("UPDATE decisions SET run_id = ? WHERE id = ?", (run_id, decision_id))
        return RedirectResponse(f"/runs/{run_id}", status_code=303)


def _decisions(ctx: Context, round_id: int) -> list[dict[str, Any]]:
    """The round's decisions, newest first, with the numbers of their runs."""
    return ctx.workspace.store.all(
        "SELECT d.*, r.number AS run_number, b.number AS base_number FROM decisions d"
        " LEFT JOIN runs r ON r.id = d.run_id LEFT JOIN runs b ON b.id = d.base_run"
        " WHERE d.round_id = ? ORDER BY d.id DESC",
        (round_id,),
    )


def decide_view(
    ctx: Context, request: Request, round_id: int, status: int = 200, **extra: Any
) -> Response:
    """The Decide page (the form, the decisions so far, the form to compare two runs)."""
    ws, runner = ctx.workspace, ctx.runner
    row = ctx.round(round_id)
    decisions = _decisions(ctx, round_id)
    for d in decisions:
        d["reason"] = api.scrub(d["reason"])
        d["applicant"] = api.scrub(d["applicant"])
        d["label"] = decision_label(d)
    runs = [r for r in runner.runs(round_id) if r["state"] == "done"]
    hosts = sorted({h.name for h in ws.hosts_catalogue(row).hosts}) if runs else []
    return ctx.render(
        request, "decide.html", status, round=row, decisions=decisions, runs=runs, hosts=hosts,
        kinds=KINDS, **extra,
    )  # fmt: skip
