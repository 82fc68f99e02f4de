"""The clerk's workbench: `matcher serve`."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from matcher.cli.common import EXIT_OK, EXIT_USAGE, app, err


@app.command()
def serve(
    workspace: Annotated[
        Path, typer.Option("--workspace", help="工作区文件夹（轮次、上传的文件、运行结果、数据库）")
    ] = Path("matcher-workspace"),
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="端口")] = 8750,
    host: Annotated[
        str, typer.Option("--host", help="监听地址（默认仅本机 127.0.0.1；其他地址需要账户）")
    ] = "127.0.0.1",
    add_user: Annotated[
        str | None, typer.Option("--add-user", help="创建一个账户（询问密码）后退出")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="与 --add-user 同用：从标准输入读密码")
    ] = False,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="不自动打开浏览器")] = False,
) -> None:
    """Start the clerk's workbench (a local web app) on 127.0.0.1 and open the browser.

    Beyond loopback (--host 0.0.0.0) it needs accounts: create one first with --add-user.
    Example: matcher serve --workspace D:/特培/2024
    Example: matcher serve --workspace /srv/tepei --add-user wang
    """
    from matcher.web import serve as run_server
    from matcher.web.security import AccountError, has_users, is_loopback
    from matcher.web.store import Store

    try:
        workspace.mkdir(parents=True, exist_ok=True, mode=0o700)
        store = Store(workspace / "matcher.sqlite3")
    except (OSError, sqlite3.Error) as exc:
        err.print(f"[red]无法使用工作区[/red] {escape(str(workspace))}：{escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None
    if add_user is not None:
        _add_user(store, add_user, password_stdin, AccountError)
        raise typer.Exit(EXIT_OK)
    if not is_loopback(host) and not has_users(store):
        err.print(
            f"监听 {escape(host)} 时需要账户：请先运行 matcher serve --workspace "
            f"{escape(str(workspace))} --add-user 用户名"
        )
        raise typer.Exit(EXIT_USAGE)
    store.close()
    url = f"http://{'127.0.0.1' if is_loopback(host) else host}:{port}/"
    err.print(f"工作台已启动：{url}（按 Ctrl+C 停止）", highlight=False)
    if not no_browser:
        import webbrowser

        webbrowser.open(url)
    try:
        run_server(workspace, host=host, port=port)
    except OSError as exc:
        err.print(f"[red]无法监听[/red] {escape(host)}:{port}：{escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None


def _add_user(store: object, name: str, from_stdin: bool, account_error: type[Exception]) -> None:
    import getpass

    from matcher.web.security import add_user
    from matcher.web.store import Store

    assert isinstance(store, Store)
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"用户 {name} 的密码：")
        if getpass.getpass("再输入一次：") != password:
            err.print("两次输入的密码不一致")
            raise typer.Exit(EXIT_USAGE)
    try:
        add_user(store, name, password)
    except account_error as exc:
        err.print(f"[red]无法创建账户[/red]：{escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None
    err.print(f"已创建账户 {escape(name)}")
