"""The clerk's workbench: a local web app over `matcher.api` (``matcher serve``).

`matcher.web.app.create_app` builds the ASGI app over a workspace folder; `serve` runs it
with uvicorn. Modules: `store` (SQLite, migrations), `workspace` (round folders, uploads),
`uploads` (checks of an upload), `runs` (background runs), `security` (accounts,
sessions, CSRF, headers), `pages` and `results` (the pages).
"""

from __future__ import annotations

from pathlib import Path


def serve(workspace: Path, host: str = "127.0.0.1", port: int = 8750) -> None:
    """Run the workbench with uvicorn until interrupted (accounts required off loopback)."""
    import uvicorn

    from matcher.web.app import create_app
    from matcher.web.security import is_loopback

    local = is_loopback(host)
    allowed = ("127.0.0.1", "localhost", "::1") if local else None
    app = create_app(workspace, require_login=not local, allowed_hosts=allowed)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        app.state.ctx.runner.shutdown()
