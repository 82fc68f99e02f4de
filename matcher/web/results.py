"""Pages of runs: start a run, its progress and result, downloads, explain, compare.

Every page shows ID and phone numbers masked (`api.mask_id`, `api.mask_phone`, reasons
through `api.scrub`); only the explain page, when asked for one applicant's full row
(``full=1``), shows that one row unmasked. A download is served only when its path is one
of the run's own output files (the list is made from the folder, and the request must
name one of its entries exactly), so no name can reach outside the run's folder.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from matcher import api
from matcher.web import security
from matcher.web.context import Context
from matcher.web.decide import decision_label, find_rows
from matcher.web.runs import RunError, overrides_of
from matcher.web.store import now

STATUS_LABELS = {
    "placed": "按志愿录取", "adjusted": "调剂录取", "unmatched": "未录取",
    "ineligible": "不符合条件", "invalid": "数据有误",
}  # fmt: skip
COLUMN_LABELS = {
    "source_file": "文件", "source_row": "行", "name": "姓名", "id_number": "身份证号",
    "region": "地区", "track": "培养方式", "status": "状态", "choice_rank": "录取志愿",
    "host": "培养单位", "reason_code": "原因代码", "reason": "原因", "remedy": "如何改变",
    "phone": "手机号码", "gender": "性别", "ethnicity": "民族", "birth": "出生年月",
    "employer": "工作单位", "work_start": "参加工作时间", "profession": "从事专业",
    "field": "专业领域", "education": "学历", "graduation_year": "毕业年份", "title": "职称",
    "sending_unit": "填表单位", "choice_1": "志愿1", "choice_2": "志愿2", "choice_3": "志愿3",
    "accepts_adjustment": "接受调剂", "priority": "优先群体", "grassroots": "基层",
    "unit_type": "单位性质", "score": "审核评分", "prearranged": "预先接收单位",
    "problems": "数据问题",
}  # fmt: skip
MEDIA = {
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".parquet": "application/vnd.apache.parquet",
}


def masked(row: dict[str, str]) -> dict[str, Any]:
    """A placements row for a page: ID and phone masked, reason and remedy scrubbed."""
    view = dict(row)
    view["key"] = f"{row.get('source_file', '')}:{row.get('source_row', '')}"
    view["id_number"] = api.mask_id(row.get("id_number"))
    view["phone"] = api.mask_phone(row.get("phone"))
    for column in ("reason", "remedy", "problems", "name"):
        view[column] = api.scrub(row.get(column) or "")
    view["status_label"] = STATUS_LABELS.get(row.get("status", ""), row.get("status", ""))
    return view


def readable(row: dict[str, Any]) -> dict[str, Any]:
    """A row with the status in Chinese and True/False as 是/否 (for one person's table)."""
    view = {k: {"True": "是", "False": "否"}.get(str(v), v) for k, v in row.items()}
    view["status"] = STATUS_LABELS.get(str(row.get("status")), row.get("status"))
    return view


def register(app: FastAPI, ctx: Context) -> None:
    """Add the pages of this module to `app`."""
    ws, runner = ctx.workspace, ctx.runner

    @app.get("/rounds/{round_id}/runs", response_class=HTMLResponse)
    async def runs_page(request: Request, round_id: int) -> Response:
        row = ctx.round(round_id)
        return ctx.render(
            request, "runs.html", round=row, runs=runner.runs(round_id),
            files=len(ws.active_files(round_id)),
        )  # fmt: skip

    @app.post("/rounds/{round_id}/runs")
    async def start(request: Request, round_id: int) -> Response:
        form = await ctx.form(request)
        try:
            run_id = runner.start(round_id, ctx.who(request), str(form.get("note") or "")[:200])
        except RunError as exc:
            return ctx.problem(request, 400, "RUN_NO_FILES", str(exc))
        return RedirectResponse(f"/runs/{run_id}", status_code=303)

    @app.get("/runs/{run_id}", response_class=HTMLResponse)
    async def run_page(request: Request, run_id: int) -> Response:
        run = ctx.run(run_id)
        round_ = ws.round(run["round_id"])
        if run["state"] != "done":
            return ctx.render(request, "progress.html", round=round_, run=run)
        summary = runner.summary(run)
        rows = runner.placements(run)
        unplaced = [masked(r) for r in rows if r["status"] not in ("placed", "adjusted")]
        decisions = runner.decisions(run["inputs"]["decisions"])
        for d in decisions:
            d["label"] = decision_label(d)
        manifest = runner.manifest(run)
        return ctx.render(
            request, "run.html", round=round_, run=run, summary=summary, unplaced=unplaced,
            outputs=runner.outputs(run), labels=STATUS_LABELS,
            nested=[n for n in runner.outputs(run) if "/" in n], decisions=decisions,
            regions=_flat(summary.get("regions", {})), tracks=summary.get("tracks", {}),
            rank=summary.get("rank", {}), funding=summary.get("funding", {}).get("total", {}),
            overrides=overrides_view(manifest), backfill=backfill_view(ctx, run, manifest),
        )  # fmt: skip

    @app.get("/runs/{run_id}/status", response_class=HTMLResponse)
    async def status(request: Request, run_id: int) -> Response:
        run = ctx.run(run_id)
        response = ctx.render(request, "status.html", run=run)
        if run["state"] == "done":
            response.headers["HX-Redirect"] = f"/runs/{run_id}"
        return response

    @app.get("/runs/{run_id}/files/{name:path}")
    async def download(request: Request, run_id: int, name: str) -> Response:
        run = ctx.run(run_id)
        if name not in runner.outputs(run):
            return ctx.problem(
                request, 404, "OUTPUT_NOT_FOUND", "此次运行没有这个文件；请从结果页的列表下载"
            )
        path = runner.folder(run) / name
        suffix = path.suffix.lower()
        if name == "report.html":
            headers = {"Content-Security-Policy": security.REPORT_CSP}
            return FileResponse(path, media_type=MEDIA[".html"], headers=headers)
        return FileResponse(
            path,
            media_type=MEDIA.get(suffix, "application/octet-stream"),
            filename=f"第{run['number']}次运行-{path.name}",
        )

    @app.get("/runs/{run_id}/explain", response_class=HTMLResponse)
    async def explain(request: Request, run_id: int, q: str = "", full: int = 0) -> Response:
        run = ctx.run(run_id)
        round_ = ws.round(run["round_id"])
        q = q.strip()[:100]
        found = find_rows(runner.placements(run), q) if q and run["state"] == "done" else []
        text, person = "", None
        if len(found) == 1:
            row = found[0]
            key = f"{row['source_file']}:{row['source_row']}"
            person = readable(row if full else masked(row))
            decided = overrides_of(runner.decisions(run["inputs"]["decisions"]))
            try:
                text = api.scrub(api.explain(runner.round_of(run), key, decided) or "")
            except (
                api.PipelineError, api.OverrideError, api.InputError, api.DecisionError,
                api.FixedError,
            ) as exc:  # fmt: skip
                text = api.scrub(str(exc))
        return ctx.render(
            request, "explain.html", round=round_, run=run, q=q, text=text, person=person,
            full=bool(full and person), matches=[masked(r) for r in found], labels=COLUMN_LABELS,
            key=f"{found[0]['source_file']}:{found[0]['source_row']}" if len(found) == 1 else "",
        )  # fmt: skip

    @app.post("/runs/{run_id}/publish")
    async def publish(request: Request, run_id: int) -> Response:
        await ctx.form(request)
        run = ctx.run(run_id)
        if run["state"] == "done" and not run["published"]:
            ws.store.execute("UPDATE runs SET published = ? WHERE id = ?", (now(), run_id))
        return RedirectResponse(f"/runs/{run_id}", status_code=303)

    @app.get("/compare", response_class=HTMLResponse)
    async def compare(request: Request, a: int, b: int) -> Response:
        run_a, run_b = ctx.run(a), ctx.run(b)
        if run_a["state"] != "done" or run_b["state"] != "done":
            return ctx.problem(request, 400, "RUN_NOT_DONE", "只能比较已完成的运行")
        result = api.compare(
            runner.folder(run_a), runner.folder(run_b),
            label_a=f"第{run_a['number']}次", label_b=f"第{run_b['number']}次",
        )  # fmt: skip
        decided = {
            d["applicant"]: d
            for d in runner.decisions(run_b["inputs"]["decisions"])
            if d["id"] not in set(run_a["inputs"]["decisions"])
        }
        changed = []
        for row in result.changed.to_dict("records"):
            view = {k: ("" if _missing(v) else v) for k, v in row.items()}
            view["id_number"] = api.mask_id(str(view["id_number"]))
            view["label"] = api.CHANGE_LABELS.get(row["change"], row["change"])
            view["why"] = api.scrub(api.change_reason(row))
            decision = decided.get(str(view["key_a"])) or decided.get(str(view["key_b"]))
            if decision is not None:
                what = decision_label(decision)
                view["why"] = f"决定 #{decision['id']}：{what}（{api.scrub(decision['reason'])}）"
            for side in ("a", "b"):
                status = str(view[f"status_{side}"])
                view[f"status_{side}"] = STATUS_LABELS.get(status, status)
            changed.append(view)
        regions = [
            {k: ("" if _missing(v) else v) for k, v in r.items()}
            for r in result.by_region.to_dict("records")
            if r.get("gained") or r.get("lost") or r.get("delta")
        ]
        overrides = [
            {k: ("" if _missing(v) else api.scrub(str(v))) for k, v in r.items()}
            for r in result.overrides.to_dict("records")
        ]
        return ctx.render(
            request, "compare.html", round=ws.round(run_b["round_id"]), a=run_a, b=run_b,
            changed=changed, counts=result.counts, labels=api.CHANGE_LABELS, regions=regions,
            overrides=overrides,
        )  # fmt: skip


def overrides_view(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The manifest's overrides for a page: each with whom it displaced (IDs masked)."""
    out = []
    for entry in manifest.get("overrides", []):
        view: dict[str, Any] = {
            k: api.scrub(str(v or "")) for k, v in entry.items() if k != "displaced"
        }
        view["displaced"] = [
            {k: api.scrub(str(v or "")) for k, v in person.items()}
            for person in entry.get("displaced", [])
        ]
        out.append(view)
    return out


def backfill_view(ctx: Context, run: dict[str, Any], manifest: dict[str, Any]) -> Any:
    """A 补录 run's round, record, 补录名单 and 退出名单 for its page (None for other runs)."""
    if "backfill" not in run["inputs"]:
        return None
    runner = ctx.runner
    record = ctx.workspace.store.one(
        "SELECT b.*, r.number AS published_number FROM backfills b"
        " JOIN runs r ON r.id = b.published_run WHERE b.run_id = ?",
        (run["id"],),
    )
    if record is not None:
        record["reason"] = api.scrub(record["reason"])
    return {
        "round": manifest.get("backfill", {}).get("round", ""),
        "record": record,
        "gained": [masked(r) for r in runner.placements(run, "backfill.csv")],
        "withdrawn": [masked(r) for r in runner.placements(run, "withdrawn.csv")],
        "files": [n for n in runner.outputs(run) if n.startswith(("backfill", "withdrawn"))],
    }


def _flat(regions: dict[str, dict[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """summary["regions"] (region → track → figures) as one row per region and track."""
    return [
        {"region": region, "track": track, **figures}
        for region, tracks in regions.items()
        for track, figures in tracks.items()
    ]


def _missing(value: Any) -> bool:
    try:
        return bool(value != value) or value is None or str(value) == "<NA>"
    except (TypeError, ValueError):
        return True
