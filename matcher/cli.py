"""The command line: thin wrappers over the library, exceptions turned into messages.

Exit status (../shared/CONTRACT.md): 0 success; 1 the input has errors; 2 wrong usage;
3 no solution or verification failed.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from matcher.load import InputError, load_round
from matcher.model import Issue, Mechanism, Policy, Round, Rules, Severity

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="特培计划培养单位匹配工具 matcher：读取、校验、匹配、出表。",
    rich_markup_mode=None,
)
err = Console(stderr=True, soft_wrap=True)

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_SOLVE = 0, 1, 2, 3

Applicants = Annotated[
    list[Path] | None,
    typer.Option("--applicants", "-a", help="申报汇总表（附件3）文件或文件夹，可多次给出"),
]
Hosts = Annotated[Path | None, typer.Option("--hosts", help="培养单位目录（默认：内置2023目录）")]
Quotas = Annotated[Path | None, typer.Option("--quotas", help="名额分配表（附件1）")]
RefDate = Annotated[
    str | None, typer.Option("--reference-date", help="计算年龄与工作年限的基准日 YYYY-MM-DD")
]
MechanismOpt = Annotated[
    str, typer.Option("--mechanism", help="匹配机制：optimal|stable|immediate|cpsat")
]
Seed = Annotated[int, typer.Option("--seed", help="同分抽签的随机种子（记录在 manifest 中）")]


def _rules(reference_date: str | None) -> Rules:
    if reference_date is None:
        return Rules()
    try:
        return Rules(reference_date=date.fromisoformat(reference_date))
    except ValueError:
        err.print(f"--reference-date 应为 YYYY-MM-DD，收到 {reference_date!r}")
        raise typer.Exit(EXIT_USAGE) from None


def _policy(mechanism: str, seed: int) -> Policy:
    try:
        return Policy(mechanism=Mechanism(mechanism), seed=seed)
    except ValueError:
        known = ", ".join(m.value for m in Mechanism)
        err.print(f"未知的匹配机制 {mechanism!r}；可用：{known}")
        raise typer.Exit(EXIT_USAGE) from None


def _load(
    applicants: list[Path] | None,
    hosts: Path | None,
    quotas: Path | None,
    rules: Rules,
    policy: Policy | None = None,
) -> Round:
    try:
        return load_round(applicants, hosts, quotas, rules=rules, policy=policy)
    except InputError as exc:
        err.print(f"[red]输入错误[/red]：{escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None


def _scenario_round(
    scenario: Path,
    applicants: list[Path] | None,
    hosts: Path | None,
    quotas: Path | None,
    reference_date: str | None,
) -> Round:
    """The round of a scenario file; input options given beside it replace its base."""
    from matcher.scenario import OverrideError, ScenarioError, build_round, with_rules

    try:
        base = None
        if applicants or hosts or quotas:
            base = _load(applicants, hosts, quotas, Rules())
        round_ = build_round(scenario, base)
        if reference_date is not None:
            round_ = with_rules(round_, reference_date=_rules(reference_date).reference_date)
        return round_
    except (ScenarioError, OverrideError) as exc:
        err.print(f"[red]场景文件有误[/red]：{escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None


def _override_policy(round_: Round, mechanism: str | None, seed: int | None) -> Round:
    """`round_` with the mechanism and seed given on the command line, if any.

    The rest of the scenario's policy (adjustment, order of the objective stages) is kept.
    """
    from matcher.scenario import OverrideError, with_policy

    if mechanism is None and seed is None:
        return round_
    try:
        return with_policy(round_, mechanism=mechanism, seed=seed)
    except OverrideError as exc:
        err.print(str(exc), highlight=False, markup=False)
        raise typer.Exit(EXIT_USAGE) from None


def _has_errors(round_: Round) -> bool:
    return any(i.severity is Severity.ERROR for i in round_.issues)


@app.command()
def validate(
    applicants: Applicants = None,
    hosts: Hosts = None,
    quotas: Quotas = None,
    reference_date: RefDate = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 数组输出问题清单")] = False,
) -> None:
    """Check the input files and list every problem at once.

    Example: matcher validate -a 附件3-赤峰市-区外.xlsx --json
    """
    round_ = _load(applicants, hosts, quotas, _rules(reference_date))
    if as_json:
        rows = [i.model_dump(mode="json") for i in round_.issues]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
    else:
        _print_issues(round_)
    raise typer.Exit(EXIT_INPUT if _has_errors(round_) else EXIT_OK)


def _print_issues(round_: Round) -> None:
    """Every issue, one table per file (so the file name is said once), then a summary."""
    out = Console()
    errors = sum(i.severity is Severity.ERROR for i in round_.issues)
    warnings = len(round_.issues) - errors
    by_file: dict[str, list[Issue]] = {}
    for issue in round_.issues:
        by_file.setdefault(issue.file, []).append(issue)
    for file, issues in by_file.items():
        table = Table(title=f"{file}（{len(issues)} 个问题）", title_justify="left", expand=True)
        table.add_column("行", justify="right", no_wrap=True)
        table.add_column("列", overflow="fold", ratio=2)
        table.add_column("代码", overflow="fold", ratio=2)
        table.add_column("级别", no_wrap=True)
        table.add_column("问题及修改方法", overflow="fold", ratio=6)
        for i in issues:
            level = "[red]错误[/red]" if i.severity is Severity.ERROR else "[yellow]提示[/yellow]"
            table.add_row(str(i.row or ""), i.column or "", i.code, level, i.message)
        out.print(table)
    invalid = sum(a.invalid for a in round_.applicants)
    out.print(
        f"共读取申请人 {len(round_.applicants)} 人（{len(round_.inputs)} 个文件）；"
        f"错误 {errors} 个，提示 {warnings} 个；{invalid} 人因数据错误将被标为 invalid。"
    )


@app.command()
def run(
    scenario: Annotated[
        Path | None, typer.Argument(help="场景文件（.toml，见 docs/whatif.md）；不给则用输入选项")
    ] = None,
    applicants: Applicants = None,
    hosts: Hosts = None,
    quotas: Quotas = None,
    reference_date: RefDate = None,
    mechanism: Annotated[
        str | None,
        typer.Option(
            "--mechanism", help="匹配机制：optimal|stable|immediate|cpsat（默认 optimal）"
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="同分抽签的随机种子（默认 2023）")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="输出文件夹")] = Path("out"),
    force: Annotated[bool, typer.Option("--force", help="覆盖非空的输出文件夹")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="输入有错误时不出结果")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="不显示进度")] = False,
    months: Annotated[
        int, typer.Option("--months", min=1, max=12, help="生活补贴按培训月数计算（默认12）")
    ] = 12,
) -> None:
    """Place the round's applicants and write every output into --out.

    With no input options the bundled 2023 sample round is used. A scenario file gives the
    base round and its overrides; options given beside it override the scenario.
    Example: matcher run -a submissions/ --out results/2023 --seed 7
    Example: matcher run scenarios/2023-neimenggu-plus2.toml --out results/plus2
    """
    from matcher.pipeline import PipelineError, solve_round
    from matcher.report.write import OutputExistsError, write_outputs

    console = Console(stderr=True, quiet=quiet)
    with _step(console, "读取并校验输入文件"):
        if scenario is None:
            policy = _policy(mechanism or "optimal", 2023 if seed is None else seed)
            round_ = _load(applicants, hosts, quotas, _rules(reference_date), policy)
        else:
            round_ = _scenario_round(scenario, applicants, hosts, quotas, reference_date)
            round_ = _override_policy(round_, mechanism, seed)
    has_errors = _has_errors(round_)
    if has_errors and strict:
        _print_issues(round_)
        raise typer.Exit(EXIT_INPUT)
    try:
        with _step(console, f"匹配（{round_.policy.mechanism.value}）并独立核验"):
            result = solve_round(round_)
        with _step(console, "写出结果文件"):
            paths = write_outputs(result, out, force=force, months=months)
    except PipelineError as exc:
        err.print(f"[red]匹配失败[/red]：{escape(str(exc))}")
        raise typer.Exit(EXIT_SOLVE) from None
    except OutputExistsError as exc:
        err.print(f"[red]输出文件夹不为空[/red]：{escape(str(exc))}（加 --force 覆盖）")
        raise typer.Exit(EXIT_USAGE) from None
    counts: dict[str, int] = {}
    for o in result.outcomes:
        counts[o.status.value] = counts.get(o.status.value, 0) + 1
    tally = "，".join(f"{k} {v}" for k, v in sorted(counts.items())) or "没有申请人"
    console.print(f"完成：{tally}；结果 {len(paths)} 个文件写入 {out}")
    if has_errors:
        console.print("[yellow]输入有错误，相关申请人已标为 invalid；见 matcher validate[/yellow]")
    raise typer.Exit(EXIT_INPUT if has_errors else EXIT_OK)


@contextmanager
def _step(console: Console, what: str) -> Iterator[None]:
    """Say what the run starts doing, then how long it took (stderr; none with --quiet).

    Plain lines rather than an animated status: a batch log keeps them, and an animation
    runs a thread, beside which the solver does not start its second process.
    """
    console.print(f"{what}…", highlight=False)
    start = time.perf_counter()
    yield
    seconds = time.perf_counter() - start
    took = f"{seconds:.2f}" if seconds < 10 else f"{seconds:.0f}"
    console.print(f"  用时 {took} 秒", highlight=False)


@app.command()
def explain(
    applicant: Annotated[str, typer.Argument(help="身份证号，或 文件名:行号")],
    applicants: Applicants = None,
    hosts: Hosts = None,
    quotas: Quotas = None,
    reference_date: RefDate = None,
    mechanism: MechanismOpt = "optimal",
    seed: Seed = 2023,
) -> None:
    """Explain one applicant's outcome: their choices, each host's state, the reason.

    Example: matcher explain 附件3-赤峰市-区外培养学员汇总表.xlsx:5
    """
    from matcher.pipeline import PipelineError, explain_applicant, find_applicant

    round_ = _load(applicants, hosts, quotas, _rules(reference_date), _policy(mechanism, seed))
    key = find_applicant(round_, applicant)
    if key is None:
        err.print("找不到该申请人：请给出身份证号，或“文件名:行号”（行号同 Excel 显示）")
        raise typer.Exit(EXIT_USAGE)
    try:
        text = explain_applicant(round_, key)
    except PipelineError as exc:
        err.print(f"[red]匹配失败[/red]：{escape(str(exc))}")
        raise typer.Exit(EXIT_SOLVE) from None
    Console().print(text, highlight=False)


@app.command()
def compare(
    a: Annotated[Path, typer.Argument(help="A：场景文件（.toml）或 matcher run 的输出文件夹")],
    b: Annotated[Path, typer.Argument(help="B：场景文件（.toml）或 matcher run 的输出文件夹")],
    out: Annotated[
        Path | None, typer.Option("--out", help="把对比表写入此文件夹（CSV 与 compare.xlsx）")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="终端中最多列出的变化人数")] = 40,
) -> None:
    """Compare two runs: who moved, who gained or lost a place, deltas by region, host, funding.

    Example: matcher compare scenarios/2023-baseline.toml scenarios/2023-stable.toml --out cmp
    """
    from matcher.compare import CompareError
    from matcher.compare import compare as compare_runs
    from matcher.pipeline import PipelineError
    from matcher.scenario import ScenarioError

    try:
        result = compare_runs(a, b)
    except (CompareError, ScenarioError) as exc:
        err.print(f"[red]无法比较[/red]：{escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None
    except PipelineError as exc:
        err.print(f"[red]匹配失败[/red]：{escape(str(exc))}")
        raise typer.Exit(EXIT_SOLVE) from None
    console = Console()
    for part in result.render(limit):
        console.print(part)
    if out is not None:
        result.write_csv(out)
        result.write_xlsx(out / "compare.xlsx")
        console.print(f"对比表已写入 {out}")


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


def main() -> None:
    """Entry point of the `matcher` console script."""
    app()
