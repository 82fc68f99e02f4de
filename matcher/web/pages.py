"""Pages of a round before it is run: the rounds, the Round page, the Files page, login.

Every POST handler reads its form through `Context.form` (the CSRF check) and answers with
a redirect to the page that shows what changed (post/redirect/get), or with the page and a
message when the input was refused.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from matcher import api
from matcher.web import security
from matcher.web.context import Context, set_cookie
from matcher.web.uploads import UploadRefused
from matcher.web.workspace import TRACKS

#: The clerk's words for the built-in mechanisms; a registered one shows its description.
BUILTIN_TEXTS = {
    "optimal": "最优（默认）：先使按志愿录取人数最多，再照顾基层和非公领域，再使第一、第二志愿"
    "人数最多；之后才做调剂。回答“服从调剂”绝不会让任何人失去一个志愿。",
    "stable": "稳定匹配：按优先序（优先群体、审核评分、抽签）逐个录取，没有人会被优先序更低的人"
    "挤掉志愿。",
    "immediate": "即时录取（波士顿式）：按志愿轮次录取，供对比分析使用。",
    "cpsat": "与“最优”相同的政策，用另一种求解器（CP-SAT）求解，供核对使用。",
}


def register(app: FastAPI, ctx: Context) -> None:
    """Add the pages of this module to `app`."""
    ws = ctx.workspace

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> Response:
        return ctx.render(request, "home.html", rounds=ws.rounds(), today=date.today())

    @app.post("/rounds")
    async def new_round(request: Request) -> Response:
        form = await ctx.form(request)
        try:
            year = int(str(form.get("year", "")))
            reference = date.fromisoformat(str(form.get("reference_date", "")))
        except ValueError:
            return ctx.problem(
                request, 400, "ROUND_SETTINGS_INVALID", "年度应为数字，基准日应为 年-月-日"
            )
        name = str(form.get("name") or f"{year}年特培计划").strip()[:80]
        round_id = ws.create_round(name, year, reference)
        return RedirectResponse(f"/rounds/{round_id}", status_code=303)

    @app.get("/rounds/{round_id}", response_class=HTMLResponse)
    async def round_page(request: Request, round_id: int) -> Response:
        row = ctx.round(round_id)
        return _round_view(ctx, request, row)

    @app.post("/rounds/{round_id}/settings")
    async def settings(request: Request, round_id: int) -> Response:
        row = ctx.round(round_id)
        form = await ctx.form(request)
        try:
            year = int(str(form.get("year", "")))
            reference = date.fromisoformat(str(form.get("reference_date", "")))
            seed = int(str(form.get("seed", "")))
            mechanism = api.check_mechanism(str(form.get("mechanism", "")))
        except ValueError:
            return _round_view(
                ctx,
                request,
                row,
                400,
                message="设置有误：年度与随机种子应为整数，基准日应为 年-月-日，机制从列表中选",
            )
        ws.update_round(
            round_id,
            year=year,
            reference_date=reference.isoformat(),
            seed=seed,
            mechanism=mechanism,
            name=str(form.get("name") or row["name"]).strip()[:80],
        )
        return RedirectResponse(f"/rounds/{round_id}", status_code=303)

    @app.post("/rounds/{round_id}/quotas")
    async def quotas(request: Request, round_id: int) -> Response:
        ctx.round(round_id)
        form = await ctx.form(request)
        regions = form.getlist("region")
        outs, ins = form.getlist("out"), form.getlist("in")
        rows = [
            (str(r), str(o), str(i))
            for r, o, i in zip(regions, outs, ins, strict=False)
            if str(r).strip()
        ]
        total = (str(form.get("total_out", "")), str(form.get("total_in", "")))
        ws.save_quotas(round_id, rows, total)
        return RedirectResponse(f"/rounds/{round_id}#quotas", status_code=303)

    @app.post("/rounds/{round_id}/hosts")
    async def hosts(request: Request, round_id: int) -> Response:
        row = ctx.round(round_id)
        form = await ctx.form(request)
        upload = form.get("file")
        if form.get("bundled") or not isinstance(upload, UploadFile):
            ws.update_round(round_id, hosts_file=None)
        else:
            try:
                ws.set_hosts(round_id, upload.filename or "", upload.file, ctx.who(request))
            except UploadRefused as refused:
                return _round_view(ctx, request, row, 400, refused=[refused])
        return RedirectResponse(f"/rounds/{round_id}#hosts", status_code=303)

    @app.get("/rounds/{round_id}/files", response_class=HTMLResponse)
    async def files_page(request: Request, round_id: int) -> Response:
        row = ctx.round(round_id)
        return _files_view(ctx, request, row)

    @app.post("/rounds/{round_id}/files")
    async def upload(request: Request, round_id: int) -> Response:
        row = ctx.round(round_id)
        form = await ctx.form(request)
        refused: list[UploadRefused] = []
        stored = 0
        for item in form.getlist("files"):
            if not isinstance(item, UploadFile) or not item.filename:
                continue
            try:
                ws.add_file(round_id, item.filename, item.file, ctx.who(request))
                stored += 1
            except UploadRefused as exc:
                refused.append(exc)
        if refused or not stored:
            return _files_view(
                ctx, request, row, 400 if refused else 200, refused=refused, stored=stored
            )
        return RedirectResponse(f"/rounds/{round_id}/files", status_code=303)

    @app.post("/rounds/{round_id}/files/{file_id}/replace")
    async def replace(request: Request, round_id: int, file_id: int) -> Response:
        row = ctx.round(round_id)
        form = await ctx.form(request)
        item = form.get("file")
        if not isinstance(item, UploadFile) or not item.filename:
            return _files_view(ctx, request, row, 400, message="请选择用来替换的文件")
        try:
            ws.replace_file(round_id, file_id, item.file, ctx.who(request))
        except KeyError:
            return ctx.problem(request, 404, "FILE_NOT_FOUND", "没有这个文件（可能已被替换）")
        except UploadRefused as exc:
            return _files_view(ctx, request, row, 400, refused=[exc])
        return RedirectResponse(f"/rounds/{round_id}/files", status_code=303)

    @app.post("/rounds/{round_id}/files/{file_id}/remove")
    async def remove(request: Request, round_id: int, file_id: int) -> Response:
        ctx.round(round_id)
        await ctx.form(request)
        try:
            ws.remove_file(round_id, file_id, ctx.who(request))
        except KeyError:
            return ctx.problem(request, 404, "FILE_NOT_FOUND", "没有这个文件（可能已被替换或移除）")
        return RedirectResponse(f"/rounds/{round_id}/files", status_code=303)

    @app.post("/rounds/{round_id}/sample")
    async def sample(request: Request, round_id: int) -> Response:
        ctx.round(round_id)
        await ctx.form(request)
        for path in api.sample_files():
            with path.open("rb") as handle:
                ws.add_file(round_id, path.name, handle, ctx.who(request))
        return RedirectResponse(f"/rounds/{round_id}/files", status_code=303)

    @app.get("/login", response_class=HTMLResponse)
    async def login_page(request: Request) -> Response:
        return ctx.render(request, "login.html")

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = await ctx.form(request)
        ok, message = security.login(
            ws.store, str(form.get("name", "")), str(form.get("password", ""))
        )
        if not ok:
            return ctx.render(request, "login.html", 401, message=message)
        old = request.state.session
        if old:
            security.end_session(ws.store, old["token"])
        session = security.new_session(ws.store, str(form.get("name", "")).strip())
        response = RedirectResponse("/", status_code=303)
        set_cookie(response, session["token"])
        return response

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        await ctx.form(request)
        security.end_session(ws.store, request.state.session["token"])
        response = RedirectResponse("/login" if ctx.require_login else "/", status_code=303)
        response.delete_cookie(security.COOKIE, path="/")
        return response


def _round_view(
    ctx: Context, request: Request, row: dict[str, Any], status: int = 200, **extra: Any
) -> HTMLResponse:
    ws = ctx.workspace
    table, total = ws.quota_rows(row["id"])
    sums = {t: sum(r[t] or 0 for r in table) for t in TRACKS}
    hosts_name = ws.hosts_path(row).name if row["hosts_file"] else None
    extra.setdefault("quota_issues", api.read_quotas(ws.quotas_path(row["id"]))[1])
    return ctx.render(
        request,
        "round.html",
        status,
        round=row,
        quotas=table,
        total=total,
        sums=sums,
        tracks=TRACKS,
        mechanisms={
            name: BUILTIN_TEXTS.get(name, text)
            for name, text in api.registered_mechanisms().items()
        },
        hosts_name=hosts_name,
        **extra,
    )


def _files_view(
    ctx: Context, request: Request, row: dict[str, Any], status: int = 200, **extra: Any
) -> HTMLResponse:
    files, other, missing = ctx.workspace.overview(row["id"])
    other_rows = [
        {
            "file": i.file,
            "row": i.row,
            "code": i.code,
            "message": api.scrub(i.message),
            "error": i.severity is api.Severity.ERROR,
        }
        for i in other
    ]
    return ctx.render(
        request,
        "files.html",
        status,
        round=row,
        files=files,
        other=other_rows,
        missing=missing,
        **extra,
    )
