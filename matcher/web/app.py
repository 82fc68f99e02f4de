"""The workbench's ASGI application: sessions, security headers, CSRF, pages.

`create_app` builds it over a workspace folder. Every response gets `security.HEADERS`;
every POST is refused (403, CSRF_REFUSED) unless its form carries the session's token;
a request body over `MAX_REQUEST_BYTES` is refused (413) before it is read. With
``require_login`` (a server bound beyond loopback) every page but the login page needs an
account. The pages themselves are in `matcher.web.pages` (round and files) and
`matcher.web.results` (runs, decisions, comparisons).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from matcher.web import security
from matcher.web.runs import Runner
from matcher.web.workspace import Workspace

HERE = Path(__file__).parent
MAX_REQUEST_BYTES = 200 * 1024 * 1024
MAX_FILES = 100
PUBLIC = ("/login", "/static/")
Next = Callable[[Request], Awaitable[Response]]


class PageProblem(Exception):
    """A request that ends on the problem page: an HTTP status, a stable code, a message.

    Raised by the lookups every page starts with (`Context.round`, `Context.run`,
    `Context.form`); the application turns it into `Context.problem`'s page.
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(code)
        self.status, self.code, self.message = status, code, message


class Context:
    """What the pages share: the workspace, the runner, the templates, the settings."""

    def __init__(self, workspace: Workspace, require_login: bool) -> None:
        self.workspace = workspace
        self.runner = Runner(workspace)
        self.require_login = require_login
        env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
        env.filters["when"] = when
        self.templates = Jinja2Templates(env=env)

    def render(
        self, request: Request, name: str, status_code: int = 200, **values: Any
    ) -> HTMLResponse:
        """A page from a template, with the session's CSRF token and user."""
        session = request.state.session
        values.update(
            csrf=session["csrf"] if session else "",
            user=session["user"] if session else None,
            require_login=self.require_login,
        )
        return self.templates.TemplateResponse(request, name, values, status_code=status_code)

    def problem(self, request: Request, status: int, code: str, message: str) -> HTMLResponse:
        """An error page: a stable code and a Chinese message."""
        return self.render(request, "problem.html", status, code=code, message=message)

    def who(self, request: Request, typed: str | None = None) -> str:
        """Who does something: the logged-in user, else the name typed in the form."""
        session = request.state.session
        if session and session["user"]:
            return str(session["user"])
        return (typed or "").strip()[:64] or "本机用户"

    async def form(self, request: Request) -> FormData:
        """The POSTed form; `PageProblem` (403) when its CSRF token is not the session's."""
        form = await request.form(max_files=MAX_FILES, max_fields=2000)
        sent = form.get("csrf")
        if not security.csrf_ok(request.state.session, sent if isinstance(sent, str) else None):
            raise PageProblem(
                403,
                "CSRF_REFUSED",
                "表单已过期或不是从本系统页面提交的，已拒绝；请刷新页面后重新提交",
            )
        return form

    def round(self, round_id: int) -> dict[str, Any]:
        """The round `round_id`; `PageProblem` (404 ROUND_NOT_FOUND) when there is none."""
        row = self.workspace.round(round_id)
        if row is None:
            raise PageProblem(404, "ROUND_NOT_FOUND", "没有这个轮次，请从首页选择")
        return row

    def run(self, run_id: int) -> dict[str, Any]:
        """The run `run_id`; `PageProblem` (404 RUN_NOT_FOUND) when there is none."""
        try:
            return self.runner.get(run_id)
        except KeyError:
            raise PageProblem(404, "RUN_NOT_FOUND", "没有这次运行，请从“运行”页选择") from None


def when(stamp: str | None) -> str:
    """A stored UTC time as the pages show it: ``2023-03-20 08:15 UTC``."""
    if not stamp:
        return ""
    return stamp[:16].replace("T", " ") + " UTC"


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


def set_cookie(response: Response, token: str) -> None:
    """Put the session cookie on a response (HttpOnly, SameSite=Strict)."""
    response.set_cookie(
        security.COOKIE,
        token,
        max_age=security.SESSION_HOURS * 3600,
        httponly=True,
        samesite="strict",
        path="/",
    )
