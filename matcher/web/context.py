"""What every page of the workbench shares: the `Context`, the problem page, the cookie.

`matcher.web.app` builds the application and the page modules (`pages`, `results`,
`decide`, `backfills`) register their routes; all of them take what they share from here,
so no page module imports the application.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from starlette.datastructures import FormData

from matcher.web import security
from matcher.web.runs import Runner
from matcher.web.workspace import Workspace

HERE = Path(__file__).parent
MAX_FILES = 100


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
