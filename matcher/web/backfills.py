"""The 补录 page: after withdrawals, a further round that moves nobody published.

The clerk picks a published run of the round (a 补录 run once published counts too, so a
third round starts from the second), names the withdrawn (姓名, 身份证号 or ``file:row``,
one a line or separated by commas; each must be placed in that run) and gives a reason.
The 补录 is recorded in SQLite (time, who, reason, the withdrawn) and runs `api.backfill`
on the published run's folder (only read) into a new run of the workspace
(`Runner.start_backfill`); its page shows the 补录名单 and offers backfill.csv/.xlsx and
the newcomers' notices.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from matcher import api
from matcher.web.context import Context
from matcher.web.decide import TRAINEES, decided_by, key_of, lookup, shown
from matcher.web.store import now

SEPARATORS = re.compile(r"[\n\r,，;；、]+")
MAX_WITHDRAWN = 500


def withdrawn_keys(rows: list[dict[str, str]], text: str) -> tuple[list[str], list[str]]:
    """The ``file:row`` keys of the withdrawn named in `text`, and a message per bad name.

    Each name must be one placed person of `rows` (the published run's placements).
    """
    keys: list[str] = []
    problems: list[str] = []
    for ref in (r.strip() for r in SEPARATORS.split(text)):
        if not ref:
            continue
        row, problem = lookup(rows, ref)
        if row is None:
            problems.append(str(problem))
        elif row["reason_code"] == "WITHDRAWN":
            problems.append(f"{api.scrub(row['name'])}（{key_of(row)}）已在此前的补录中退出")
        elif row["status"] not in TRAINEES:
            problems.append(
                f"{api.scrub(row['name'])}（{key_of(row)}）在所选的已发布结果中未被录取，"
                "不能作为退出者：请核对姓名，或从名单中删去此人"
            )
        elif key_of(row) not in keys:
            keys.append(key_of(row))
    return keys, problems


def echo(rows: list[dict[str, str]], text: str) -> str:
    """The withdrawn as typed, for the form again: found ones as ``file:row``, IDs masked."""
    out = []
    for ref in (r.strip() for r in SEPARATORS.split(text)):
        if ref:
            row, _problem = lookup(rows, ref)
            out.append(key_of(row) if row is not None else shown(ref))
    return "\n".join(out)


def register(app: FastAPI, ctx: Context) -> None:
    """Add the 补录 page and its form to `app`."""
    ws, runner = ctx.workspace, ctx.runner

    @app.get("/rounds/{round_id}/backfill", response_class=HTMLResponse)
    async def backfill_page(request: Request, round_id: int) -> Response:
        return backfill_view(ctx, request, round_id)

    @app.post("/rounds/{round_id}/backfills")
    async def backfill(request: Request, round_id: int) -> Response:
        form = await ctx.form(request)
        text = str(form.get("withdrawn", ""))[:20000]
        reason = str(form.get("reason", "")).strip()[:500]
        chosen = str(form.get("run", ""))
        published = {str(r["id"]): r for r in published_runs(ctx, round_id)}
        keys: list[str] = []
        problems: list[str] = []
        if chosen not in published:
            problems.append("请选择一次已发布的运行（在结果页“发布此次运行”后才能补录）")
        elif not text.strip():
            problems.append("请给出退出者：姓名、身份证号或“文件名:行号”，每行一个")
        elif not reason:
            problems.append("请写明补录的理由（将记入补录记录）")
        else:
            run = runner.get(published[chosen]["id"])
            keys, problems = withdrawn_keys(runner.placements(run), text)
            if len(keys) > MAX_WITHDRAWN:
                problems.append(f"一次最多 {MAX_WITHDRAWN} 名退出者")
        if problems:
            return backfill_view(
                ctx, request, round_id, 400, messages=problems, reason=reason,
                withdrawn=echo(runner.placements(runner.get(int(chosen))) if chosen in published
                               else [], text),
                chosen=chosen,
            )  # fmt: skip
        run = runner.get(published[chosen]["id"])
        who = decided_by(ctx, request, str(form.get("who", "")))
        record = ws.store.execute(
            "INSERT INTO backfills (round_id, published_run, withdrawn, reason, who, at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (round_id, run["id"], json.dumps(keys), reason, who, now()),
        )
        note = f"补录 #{record}（基于第{run['number']}次）"
        run_id = runner.start_backfill(run, keys, who, note=note)
        ws.store.execute("UPDATE backfills SET run_id = ? WHERE id = ?", (run_id, record))
        return RedirectResponse(f"/runs/{run_id}", status_code=303)


def published_runs(ctx: Context, round_id: int) -> list[dict[str, Any]]:
    """The round's finished, published runs, newest first."""
    return [r for r in ctx.runner.runs(round_id) if r["state"] == "done" and r["published"]]


def backfill_view(
    ctx: Context, request: Request, round_id: int, status: int = 200, **extra: Any
) -> Response:
    """The 补录 page: the form, and every 补录 of the round so far."""
    row = ctx.round(round_id)
    records = ctx.workspace.store.all(
        "SELECT b.*, p.number AS published_number, r.number AS run_number, r.state AS state"
        " FROM backfills b JOIN runs p ON p.id = b.published_run"
        " LEFT JOIN runs r ON r.id = b.run_id WHERE b.round_id = ? ORDER BY b.id DESC",
        (round_id,),
    )
    for record in records:
        record["reason"] = api.scrub(record["reason"])
        record["withdrawn"] = json.loads(record["withdrawn"])
    return ctx.render(
        request, "backfill.html", status, round=row, runs=published_runs(ctx, round_id),
        records=records, **extra,
    )  # fmt: skip
