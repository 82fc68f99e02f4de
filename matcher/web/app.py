"""The workbench's ASGI application: sessions, security headers, CSRF, pages.

`create_app` builds it over a workspace folder (what the pages share is in
`matcher.web.context`). Every response gets `security.HEADERS`;
every POST is refused (403, CSRF_REFUSED) unless its form carries the session's token;
a request body over `MAX_REQUEST_BYTES` is refused (413) before it is read. With
``require_login`` (a server bound beyond loopback) every page but the login page needs an
account. The pages themselves are in `matcher.web.pages` (round and files) and
`matcher.web.results` (runs, decisions, comparisons).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from matcher.web import security
from matcher.web.context import HERE, Context, PageProblem, set_cookie
from matcher.web.workspace import Workspace

MAX_REQUEST_BYTES = 200 * 1024 * 1024
PUBLIC = ("/login", "/static/")
Next = Callable[[Request], Awaitable[Response]]


def create_app(
    workspace: Path,
    *,
    require_login: bool = False,
    allowed_hosts: tuple[str, ...] | None = None,
) -> FastAPI:
    """The workbench over `workspace` (created when missing).

    `allowed_hosts`: the Host header values accepted (None: any; `matcher serve` passes
    the address it binds, so a page of another site cannot reach it by DNS rebinding).
    """
    ctx = Context(Workspace(workspace), require_login)
    security.forget_expired(ctx.workspace.store)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ctx = ctx
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.middleware("http")
    async def guard(request: Request, call_next: Next) -> Response:
        response = await _guarded(ctx, allowed_hosts, request, call_next)
        for name, value in security.HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(PageProblem)
    async def problem(request: Request, exc: PageProblem) -> Response:
        return ctx.problem(request, exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def bad_address(request: Request, exc: RequestValidationError) -> Response:
        return ctx.problem(request, 404, "PAGE_NOT_FOUND", "没有这个页面；请从首页进入")

    @app.exception_handler(StarletteHTTPException)
    async def not_found(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return ctx.problem(request, 404, "PAGE_NOT_FOUND", "没有这个页面；请从首页进入")
        return ctx.problem(request, exc.status_code, "REQUEST_REFUSED", "请求无法处理")

    from matcher.web import backfills, decide, pages, results

    pages.register(app, ctx)
    results.register(app, ctx)
    decide.register(app, ctx)
    backfills.register(app, ctx)
    return app


async def _guarded(
    ctx: Context,
    allowed_hosts: tuple[str, ...] | None,
    request: Request,
    call_next: Next,
) -> Response:
    store = ctx.workspace.store
    request.state.session = None
    host = (request.headers.get("host") or "").rsplit(":", 1)[0].strip("[]")
    if allowed_hosts is not None and host not in allowed_hosts:
        return Response("Host not allowed", status_code=400, media_type="text/plain")
    if request.method == "POST":
        length = request.headers.get("content-length")
        if length is None or not length.isdigit():
            return Response("Content-Length required", status_code=411, media_type="text/plain")
        if int(length) > MAX_REQUEST_BYTES:
            session = security.find_session(store, request.cookies.get(security.COOKIE))
            request.state.session = session
            return ctx.problem(
                request,
                413,
                "UPLOAD_TOO_LARGE",
                f"一次上传的文件合计超过 {MAX_REQUEST_BYTES // (1024 * 1024)} MB；"
                "请分几次上传，或删去多余的工作表后另存",
            )
    session = security.find_session(store, request.cookies.get(security.COOKIE))
    path = request.url.path
    public = path.startswith(PUBLIC)
    fresh = None
    if (
        session is None
        and not path.startswith("/static/")
        and (not ctx.require_login or path == "/login")
    ):
        session = fresh = security.new_session(store)
    request.state.session = session
    if ctx.require_login and not public and not (session and session["user"]):
        return RedirectResponse("/login", status_code=303)
    response = await call_next(request)
    if fresh is not None:
        set_cookie(response, fresh["token"])
    return response
