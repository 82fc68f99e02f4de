"""What every command shares: the Typer app, the input options, loading, messages.

Exit status (docs/contract.md): 0 success; 1 the input has errors; 2 wrong usage,
or the output cannot be written; 3 no solution or verification failed.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from matcher.api import (
    APPLICANT_SUFFIXES,
    MECHANISM_NAMES,
    InputError,
    Issue,
    Policy,
    Round,
    Rules,
    Severity,
    UnknownMechanismError,
    check_mechanism,
    load_round,
)

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
    typer.Option(
        "--applicants",
        "-a",
        help=(
            "申报汇总表（附件3）文件或文件夹；一个选项后可跟多个（如 -a 报送/*.xlsx 区直/），"
            "也可多次给出"
        ),
    ),
]
_APPLICANT_FLAGS = ("--applicants", "-a")


def spread_applicants(args: list[str]) -> list[str]:
    """`args` with every path after one ``--applicants``/``-a`` given its own flag.

    A shell expands ``-a submissions/*.xlsx`` into one flag and many paths; click takes
    one value per flag. A token after the flag's value is taken as one more path while it
    is no option and names a folder or ends in .xlsx/.xlsm/.xls/.csv (so a scenario .toml
    or explain's ``文件名:行号``/身份证号 stays the positional argument it is).
    """
    out: list[str] = []
    taking = False
    at = 0
    while at < len(args):
        token = args[at]
        at += 1
        if token == "--":
            out += args[at - 1 :]
            break
        if taking and not token.startswith("-") and _applicant_path(token):
            out += ["--applicants", token]
            continue
        taking = False
        out.append(token)
        if token in _APPLICANT_FLAGS and at < len(args):
            out.append(args[at])
            at += 1
            taking = True
        elif token.startswith("--applicants="):
            taking = True
    return out


def _applicant_path(token: str) -> bool:
    path = Path(token)
    return path.suffix.lower() in APPLICANT_SUFFIXES or path.is_dir()


class SpreadCommand(typer.core.TyperCommand):
    """A command whose ``--applicants`` takes several paths after one flag."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # a click Context
        """Spread the paths after ``--applicants`` (`spread_applicants`), then parse."""
        return super().parse_args(ctx, spread_applicants(args))


Hosts = Annotated[Path | None, typer.Option("--hosts", help="培养单位目录（默认：内置2023目录）")]
Quotas = Annotated[Path | None, typer.Option("--quotas", help="名额分配表（附件1）")]
RefDate = Annotated[
    str | None, typer.Option("--reference-date", help="计算年龄与工作年限的基准日 YYYY-MM-DD")
]
#: The help of --mechanism: every mechanism registered when the CLI is loaded.
MECHANISM_HELP = "匹配机制（已注册的机制）：" + "|".join(MECHANISM_NAMES)


def mechanism_name(value: str) -> str:
    """The --mechanism value when it is registered; else a usage error listing the names."""
    try:
        return check_mechanism(value)
    except UnknownMechanismError as exc:
        raise typer.BadParameter(str(exc)) from None


#: --mechanism: a registered name, checked when the options are parsed (exit status 2).
MechanismOpt = Annotated[
    str, typer.Option("--mechanism", parser=mechanism_name, help=MECHANISM_HELP)
]
Seed = Annotated[int, typer.Option("--seed", help="同分抽签的随机种子（记录在 manifest 中）")]


def rules_of(reference_date: str | None) -> Rules:
    """The notice's rules, on `reference_date` (YYYY-MM-DD) when given; exit 2 when malformed."""
    if reference_date is None:
        return Rules()
    try:
        return Rules(reference_date=date.fromisoformat(reference_date))
    except ValueError:
        err.print(f"--reference-date 应为 YYYY-MM-DD，收到 {reference_date!r}")
        raise typer.Exit(EXIT_USAGE) from None


def policy_of(mechanism: str, seed: int) -> Policy:
    """The policy of the command line (`mechanism` is checked by `MechanismOpt`)."""
    return Policy(mechanism=mechanism, seed=seed)


def load_inputs(
    applicants: list[Path] | None,
    hosts: Path | None,
    quotas: Path | None,
    rules: Rules,
    policy: Policy | None = None,
) -> Round:
    """The checked round of the given files (the sample round's for those not given)."""
    try:
        return load_round(applicants, hosts, quotas, rules=rules, policy=policy)
    except InputError as exc:
        err.print(f"[red]输入错误[/red]：{escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None


def scenario_round(
    scenario: Path,
    applicants: list[Path] | None,
    hosts: Path | None,
    quotas: Path | None,
    reference_date: str | None,
) -> Round:
    """The round of a scenario file; input options given beside it replace its base."""
    from matcher.api import OverrideError, ScenarioError, build_round, with_rules

    try:
        base = None
        if applicants or hosts or quotas:
            base = load_inputs(applicants, hosts, quotas, Rules())
        round_ = build_round(scenario, base)
        if reference_date is not None:
            round_ = with_rules(round_, reference_date=rules_of(reference_date).reference_date)
        return round_
    except (ScenarioError, OverrideError) as exc:
        err.print(f"[red]场景文件有误[/red]：{escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None


def override_policy(round_: Round, mechanism: str | None, seed: int | None) -> Round:
    """`round_` with the mechanism and seed given on the command line, if any.

    The rest of the scenario's policy (adjustment, order of the objective stages) is kept.
    """
    from matcher.api import OverrideError, with_policy

    if mechanism is None and seed is None:
        return round_
    try:
        return with_policy(round_, mechanism=mechanism, seed=seed)
    except OverrideError as exc:
        err.print(str(exc), highlight=False, markup=False)
        raise typer.Exit(EXIT_USAGE) from None


def output_failed(exc: Exception) -> NoReturn:
    """Say why the output folder cannot take the results (an `OutputError`); exit 2."""
    err.print(f"[red]无法写出结果[/red]：{escape(str(exc))}", highlight=False)
    raise typer.Exit(EXIT_USAGE) from None


def has_errors(round_: Round) -> bool:
    """Whether any input issue of `round_` is an error."""
    return any(i.severity is Severity.ERROR for i in round_.issues)


@contextmanager
def step(console: Console, what: str) -> Iterator[None]:
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


def exit_on_terminate() -> None:
    """Let SIGTERM end the command like an error, so that the outputs being staged are removed.

    Python's default for SIGTERM ends the process at once; raising `SystemExit` (status
    143, as a shell reports a terminated command) runs the clean-up of
    `matcher.report.publish` instead. A SIGKILL cannot be caught: the next run removes
    what it left.
    """

    def terminate(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)


def issue_tables(out: Console, issues: Sequence[Issue]) -> None:
    """Every issue, one table per file (so the file name is said once)."""
    by_file: dict[str, list[Issue]] = {}
    for issue in issues:
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


def solve_with_decisions(round_: Round, decisions: Any) -> Any:
    """Solve with the scenario's decisions; their errors become messages and exit codes."""
    from matcher.api import solve_decided

    try:
        return solve_decided(round_, decisions)
    except Exception as exc:
        # Only the centre's answer and the overrides raise these; their modules (and the
        # scenario machinery) load here, never for a plain run.
        from matcher.api import CentreError, DecisionError, FixedError

        if isinstance(exc, CentreError):
            _print_problems(exc.issues, "中心答复有误")
            raise typer.Exit(EXIT_INPUT) from None
        if isinstance(exc, DecisionError | FixedError):
            err.print(f"[red]人工调整有误[/red]：{escape(str(exc))}", highlight=False)
            raise typer.Exit(EXIT_USAGE) from None
        raise


def _print_problems(issues: Any, title: str) -> None:
    table = Table(title=title, title_justify="left", expand=True)
    for column in ("文件", "行", "列", "代码"):
        table.add_column(column, overflow="fold")
    table.add_column("问题及修改方法", overflow="fold", ratio=4)
    for i in issues:
        table.add_row(i.file, str(i.row or ""), i.column or "", i.code, i.message)
    err.print(table)


def backfill_round(
    console: Console,
    published: Path,
    withdrawn: list[str],
    inputs: tuple[list[Path] | None, Path | None, Path | None] | None,
    out: Path,
    force: bool,
) -> None:
    """`matcher backfill`: a 补录 on the published run `published` after `withdrawn`."""
    from matcher import api

    applicants, hosts, quotas = inputs or (None, None, None)
    try:
        with step(console, "读取已发布结果并核对输入文件"):
            source = api.read_published(published)
            api.check_backfill_output(out, source)
        with step(console, "补录匹配并独立核验"):
            done = api.backfill(
                source, withdrawn, applicants=applicants, hosts=hosts, quotas=quotas
            )
        with step(console, "写出补录结果"):
            paths = api.write_backfill(done, source, out, force=force)
    except api.BackfillError as exc:
        err.print(f"[red]无法补录[/red]：{escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None
    except api.FixedError as exc:
        err.print(f"[red]无法补录[/red]：{escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_INPUT) from None
    except api.PipelineError as exc:
        err.print(f"[red]匹配失败[/red]：{escape(str(exc))}")
        raise typer.Exit(EXIT_SOLVE) from None
    except api.OutputExistsError as exc:
        err.print(f"[red]输出文件夹不为空[/red]：{escape(str(exc))}（加 --force 覆盖）")
        raise typer.Exit(EXIT_USAGE) from None
    gained = "、".join(f"{r['name']}→{r['host']}" for r in done.gained.to_dict("records"))
    console.print(
        f"第{done.round_number}轮补录：退出 {len(done.withdrawn)} 人，新录取 {len(done.gained)} 人"
        f"（{gained or '无'}）；结果 {len(paths)} 个文件写入 {out}",
        highlight=False,
    )
