"""The command line: thin wrappers over the library, exceptions turned into messages.

Exit status (../shared/CONTRACT.md): 0 success; 1 the input has errors; 2 wrong usage,
or the output cannot be written; 3 no solution or verification failed.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import sys
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

from matcher.load import APPLICANT_SUFFIXES, InputError, load_round
from matcher.model import Issue, Mechanism, Policy, Round, Rules, Severity
from matcher.rundir import RunFolder

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


class _SpreadCommand(typer.core.TyperCommand):
    """A command whose ``--applicants`` takes several paths after one flag."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # a click Context
        """Spread the paths after ``--applicants`` (`spread_applicants`), then parse."""
        return super().parse_args(ctx, spread_applicants(args))


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


def _output_failed(exc: Exception) -> NoReturn:
    """Say why the output folder cannot take the results (an `OutputError`); exit 2."""
    err.print(f"[red]无法写出结果[/red]：{escape(str(exc))}", highlight=False)
    raise typer.Exit(EXIT_USAGE) from None


def _has_errors(round_: Round) -> bool:
    return any(i.severity is Severity.ERROR for i in round_.issues)


@app.command(cls=_SpreadCommand)
def validate(
    applicants: Applicants = None,
    hosts: Hosts = None,
    quotas: Quotas = None,
    reference_date: RefDate = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 数组输出问题清单")] = False,
) -> None:
    """Check the input files and list every problem at once.

    Example: matcher validate -a 附件3-赤峰市-区外.xlsx --json
    Example: matcher validate -a 报送/*.xlsx 区直/   (several files and folders after one -a)
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
    _issue_tables(out, round_.issues)
    invalid = sum(a.invalid for a in round_.applicants)
    files = sum(f.role == "applicants" for f in round_.inputs)
    out.print(
        f"共读取申请人 {len(round_.applicants)} 人（{files} 个申报文件）；"
        f"错误 {errors} 个，提示 {warnings} 个；{invalid} 人因数据错误将被标为 invalid。"
    )


def _issue_tables(out: Console, issues: Sequence[Issue]) -> None:
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


@app.command(cls=_SpreadCommand)
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
    from matcher import api
    from matcher.pipeline import PipelineError
    from matcher.report.publish import OutputError

    inputs = api.run_inputs(scenario, applicants, hosts, quotas)
    try:
        api.check_output(out, force=force, inputs=inputs)
    except OutputError as exc:
        _output_failed(exc)
    console = Console(stderr=True, quiet=quiet)
    decisions = _decisions(scenario)
    if decisions.published is not None:  # a 补录 keeps the published run's settings
        given = (applicants, hosts, quotas) if applicants or hosts or quotas else decisions.base
        _backfill(console, decisions.published, list(decisions.withdrawn), given, out, force)
        return
    with _step(console, "读取并校验输入文件"):
        if scenario is None:
            policy = _policy(mechanism or "optimal", 2023 if seed is None else seed)
            round_ = _load(applicants, hosts, quotas, _rules(reference_date), policy)
        else:
            round_ = _scenario_round(scenario, applicants, hosts, quotas, reference_date)
            round_ = _override_policy(round_, mechanism, seed)
            if decisions.centre is not None:
                from matcher.centre import centre_mode

                round_ = centre_mode(round_)  # a 区外 choice unknown to the catalogue: a warning
    has_errors = _has_errors(round_)
    if has_errors and strict:
        _print_issues(round_)
        raise typer.Exit(EXIT_INPUT)
    try:
        with _step(console, f"匹配（{round_.policy.mechanism.value}）并独立核验"):
            result = _solve(round_, decisions)
        with _step(console, "写出结果文件"):
            paths = api.write(result, out, force=force, months=months, inputs=inputs)
    except PipelineError as exc:
        err.print(f"[red]匹配失败[/red]：{escape(str(exc))}")
        raise typer.Exit(EXIT_SOLVE) from None
    except OutputError as exc:
        _output_failed(exc)
    counts: dict[str, int] = {}
    for o in result.outcomes:
        counts[o.status.value] = counts.get(o.status.value, 0) + 1
    tally = "，".join(f"{k} {v}" for k, v in sorted(counts.items())) or "没有申请人"
    console.print(f"完成：{tally}；结果 {len(paths)} 个文件写入 {out}")
    if has_errors:
        console.print("[yellow]输入有错误，相关申请人已标为 invalid；见 matcher validate[/yellow]")
    raise typer.Exit(EXIT_INPUT if has_errors else EXIT_OK)


def _decisions(scenario: Path | None) -> Any:
    """The overrides, centre answer and 补录 of a scenario file (none without one)."""
    from matcher.decided import Decisions, scenario_decisions
    from matcher.scenario import ScenarioError

    if scenario is None:
        return Decisions()
    try:
        return scenario_decisions(scenario)
    except ScenarioError as exc:
        err.print(f"[red]场景文件有误[/red]：{escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None


def _solve(round_: Round, decisions: Any) -> Any:
    """Solve with the scenario's decisions; their errors become messages and exit codes."""
    from matcher.centre import CentreError
    from matcher.decided import solve_decided
    from matcher.fixed import FixedError
    from matcher.overrides import DecisionError

    try:
        return solve_decided(round_, decisions)
    except CentreError as exc:
        _print_problems(exc.issues, "中心答复有误")
        raise typer.Exit(EXIT_INPUT) from None
    except (DecisionError, FixedError) as exc:
        err.print(f"[red]人工调整有误[/red]：{escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None


def _print_problems(issues: Any, title: str) -> None:
    table = Table(title=title, title_justify="left", expand=True)
    for column in ("文件", "行", "列", "代码"):
        table.add_column(column, overflow="fold")
    table.add_column("问题及修改方法", overflow="fold", ratio=4)
    for i in issues:
        table.add_row(i.file, str(i.row or ""), i.column or "", i.code, i.message)
    err.print(table)


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


@app.command(cls=_SpreadCommand)
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
    force: Annotated[
        bool, typer.Option("--force", help="--out 不为空（且不是上次的对比表）时整套替换")
    ] = False,
) -> None:
    """Compare two runs: who moved, who gained or lost a place, deltas by region, host, funding.

    Example: matcher compare scenarios/2023-baseline.toml scenarios/2023-stable.toml --out cmp
    """
    from matcher.compare import CompareError, check_comparison_output
    from matcher.compare import compare as compare_runs
    from matcher.pipeline import PipelineError
    from matcher.report.publish import OutputError
    from matcher.scenario import ScenarioError

    if out is not None:
        try:
            check_comparison_output(out, force=force, inputs=(a, b))
        except OutputError as exc:
            _output_failed(exc)
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
        try:
            result.write(out, force=force, inputs=(a, b))
        except OutputError as exc:
            _output_failed(exc)
        console.print(f"对比表已写入 {out}")


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


RunDir = Annotated[Path, typer.Argument(help="matcher run 的输出文件夹（只读取，不写入）")]
Force = Annotated[bool, typer.Option("--force", help="覆盖非空的输出文件夹")]


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        err.print(f"{option} 应为 YYYY-MM-DD，收到 {text!r}", markup=False, highlight=False)
        raise typer.Exit(EXIT_USAGE) from None


def _out_dir(run_dir: Path, out: Path | None, suffix: str) -> Path:
    """`out`, or a folder beside the run folder named after it (never inside it)."""
    return (
        out
        if out is not None
        else run_dir.resolve().with_name(f"{run_dir.resolve().name}-{suffix}")
    )


def _read(run_dir: Path) -> RunFolder:
    from matcher.rundir import RunFolderError, read_run

    try:
        return read_run(run_dir)
    except RunFolderError as exc:
        err.print(f"[red]无法读取运行结果[/red]：{escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None


@contextmanager
def _publishing() -> Iterator[None]:
    """Turn an unwritable output folder into a message and exit status 2."""
    from matcher.report.publish import OutputError

    try:
        yield
    except OutputError as exc:
        _output_failed(exc)
    except OSError as exc:
        err.print(f"[red]无法写出[/red]：{escape(exc.strerror or type(exc).__name__)}")
        raise typer.Exit(EXIT_USAGE) from None


@app.command()
def settle(
    run_dir: RunDir,
    months: Annotated[
        Path,
        typer.Option(
            "--months", help="实际培训月数表（.xlsx/.csv：姓名或身份证号，培训月数 0–12 或 未结业）"
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="输出文件夹（默认：运行文件夹旁的 <名称>-settlement）"),
    ] = None,
    force: Force = False,
) -> None:
    """Year-end settlement: each trainee's living allowance and the totals per payee.

    Writes settlement.xlsx and settlement.csv. Every trainee must appear once in the months
    file; an unknown person, months outside 0–12 or a duplicate is an error (exit 1, nothing
    written).
    Example: matcher settle out/2023 --months 培训月数.xlsx --out out/2023-结算
    """
    from matcher.api import settle as settle_run
    from matcher.settle import SettleError

    folder = _read(run_dir)
    if not months.is_file():
        err.print(f"找不到培训月数表：{months}", markup=False, highlight=False)
        raise typer.Exit(EXIT_USAGE)
    target = _out_dir(run_dir, out, "settlement")
    try:
        with _publishing():
            result = settle_run(folder, months, target, force=force)
    except SettleError as exc:
        _issue_tables(Console(), exc.issues)
        err.print(f"[red]结算表有 {len(exc.issues)} 个错误，未写出结算结果[/red]")
        raise typer.Exit(EXIT_INPUT) from None
    console = Console()
    for issue in result.warnings:
        console.print(f"提示：第{issue.row}行 {issue.message}", markup=False, highlight=False)
    for payee in result.payees.to_dict("records"):
        console.print(
            f"{payee['payee']}（{payee['item']}）：{payee['trainees']}人，"
            f"结算 {payee['settled']:,} 元（预算 {payee['budget']:,} 元）",
            markup=False,
            highlight=False,
        )
    console.print(f"合计 {result.total:,} 元；结算表写入 {target}", markup=False, highlight=False)


@app.command()
def forms(
    run_dir: RunDir,
    out: Annotated[
        Path | None, typer.Option("--out", help="输出文件夹（默认：运行文件夹旁的 <名称>-forms）")
    ] = None,
    filled_on: Annotated[
        str | None, typer.Option("--date", help="填表时间 YYYY-MM-DD（默认留空，手写）")
    ] = None,
    unit: Annotated[
        str | None,
        typer.Option("--unit", help="填表单位（默认：内蒙古自治区人力资源和社会保障厅）"),
    ] = None,
    force: Force = False,
) -> None:
    """The printable 附件3 per track and a return package per sending unit.

    附件3-区外培养学员汇总表.xlsx, 附件3-区内培养学员汇总表.xlsx (A4 landscape, fit to width,
    header repeated on every page) and 回执/<选派单位>.xlsx (录取名单, 未录取名单, 需更正).
    Example: matcher forms out/2023 --date 2023-07-01
    """
    from matcher.api import official_forms
    from matcher.report.forms import package_counts

    folder = _read(run_dir)
    day = _day(filled_on, "--date")
    target = _out_dir(run_dir, out, "forms")
    with _publishing():
        paths = official_forms(folder, target, unit=unit, filled_on=day, force=force)
    console = Console()
    for name, counts in package_counts(folder).items():
        console.print(
            f"{name}：录取 {counts['selected']}，未录取 {counts['not_selected']}，"
            f"需更正 {counts['to_correct']}",
            markup=False,
            highlight=False,
        )
    console.print(f"{len(paths)} 个文件写入 {target}", markup=False, highlight=False)


@app.command()
def letters(
    run_dir: RunDir,
    hosts: Annotated[
        Path | None,
        typer.Option("--hosts", help="含联系人、联系电话、报到地址、报到时间列的培养单位目录"),
    ] = None,
    template: Annotated[
        Path | None,
        typer.Option("--template", help="报到通知模板 .docx（默认：data/templates/报到通知.docx）"),
    ] = None,
    issued: Annotated[
        str | None, typer.Option("--date", help="发文日期 YYYY-MM-DD（默认留空，手写）")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="输出文件夹（默认：运行文件夹旁的 <名称>-letters）")
    ] = None,
    force: Force = False,
) -> None:
    """报到通知: one .docx letter per trainee from an editable template, and a list per host.

    A separate command (not part of `run`), so a large round's run never waits for letters.
    Example: matcher letters out/2023 --hosts 培养单位目录.xlsx --date 2023-07-01
    """
    from matcher.api import letters as write_letters
    from matcher.report.letters import LetterError

    folder = _read(run_dir)
    day = _day(issued, "--date")
    target = _out_dir(run_dir, out, "letters")
    try:
        with _publishing():
            paths, warnings = write_letters(
                folder, target, hosts=hosts, template=template, issued=day, force=force
            )
    except LetterError as exc:
        err.print(f"[red]无法生成报到通知[/red]：{escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None
    console = Console()
    for warning in warnings:
        console.print(f"提示：{warning}", markup=False, highlight=False)
    count = sum(p.suffix == ".docx" for p in paths)
    console.print(
        f"报到通知 {count} 份、报到名单 {len(paths) - count} 份写入 {target}",
        markup=False,
        highlight=False,
    )


@app.command()
def backfill(
    published: Annotated[Path, typer.Argument(help="已发布的 matcher run 输出文件夹（只读）")],
    withdrawn: Annotated[
        list[str],
        typer.Option("--withdrawn", "-w", help="退出者：身份证号、文件名:行号或名单文件"),
    ],
    applicants: Applicants = None,
    hosts: Hosts = None,
    quotas: Quotas = None,
    out: Annotated[Path, typer.Option("--out", help="补录结果的输出文件夹")] = Path("out-backfill"),
    force: Annotated[bool, typer.Option("--force", help="覆盖非空的输出文件夹")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="不显示进度")] = False,
) -> None:
    """补录: keep every published placement, give the withdrawn's places to the unplaced.

    The inputs must be the published run's files (checked by SHA-256; give the same
    --applicants/--hosts/--quotas as for the published run). Writes a full output set plus
    backfill.csv (who gains and where), withdrawn.csv, backfill.xlsx and the newcomers'
    notification lists. The published folder is only read; the new folder can itself be
    backfilled (a third round).
    Example: matcher backfill out/2023 --withdrawn 150102198503051234 --out out/2023-r2
    """
    console = Console(stderr=True, quiet=quiet)
    inputs = (applicants, hosts, quotas)
    _backfill(console, published, withdrawn, inputs, out, force)


def _backfill(
    console: Console,
    published: Path,
    withdrawn: list[str],
    inputs: tuple[list[Path] | None, Path | None, Path | None] | None,
    out: Path,
    force: bool,
) -> None:
    from matcher import api

    applicants, hosts, quotas = inputs or (None, None, None)
    try:
        with _step(console, "读取已发布结果并核对输入文件"):
            source = api.read_published(published)
            api.check_backfill_output(out, source)
        with _step(console, "补录匹配并独立核验"):
            done = api.backfill(
                source, withdrawn, applicants=applicants, hosts=hosts, quotas=quotas
            )
        with _step(console, "写出补录结果"):
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


centre_app = typer.Typer(
    help="区外培养与留学人员和专家服务中心：导出给中心的表格，导入中心的答复。",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(centre_app, name="centre")


@centre_app.command("export")
def centre_export(
    applicants: Applicants = None,
    hosts: Hosts = None,
    quotas: Quotas = None,
    reference_date: RefDate = None,
    out: Annotated[Path, typer.Option("--out", help="导出的工作簿")] = Path(
        "区外学员-留学中心.xlsx"
    ),
    force: Annotated[bool, typer.Option("--force", help="覆盖已有文件")] = False,
) -> None:
    """Write the workbook for the centre: approved 区外 applicants and the proposed placement.

    A 区外 choice missing from the catalogue is passed on (the centre may know the host);
    the applicant's other choices stand.
    Example: matcher centre export -a submissions/ --out 区外学员.xlsx
    """
    from matcher import api

    if out.exists() and not force:
        err.print(f"[red]文件已存在[/red]：{escape(str(out))}（加 --force 覆盖）")
        raise typer.Exit(EXIT_USAGE)
    round_ = _load(applicants, hosts, quotas, _rules(reference_date))
    try:
        api.centre_export(round_, out)
    except api.PipelineError as exc:
        err.print(f"[red]匹配失败[/red]：{escape(str(exc))}")
        raise typer.Exit(EXIT_SOLVE) from None
    except OSError as exc:
        err.print(f"[red]无法写出[/red]：{escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None
    Console(stderr=True).print(f"已写出 {out}", highlight=False)


@centre_app.command("import")
def centre_import(
    answer: Annotated[Path, typer.Argument(help="中心的答复（centre export 的表格，已填写）")],
    applicants: Applicants = None,
    hosts: Hosts = None,
    quotas: Quotas = None,
    reference_date: RefDate = None,
    out: Annotated[Path, typer.Option("--out", help="输出文件夹")] = Path("out"),
    force: Annotated[bool, typer.Option("--force", help="覆盖非空的输出文件夹")] = False,
) -> None:
    """Run the round with the centre's answer fixed (name/ID → host, or 未接收).

    Every problem of the answer is listed with its row (unknown person or host, a host
    over capacity, a region over quota); then nothing is written (exit 1). Otherwise the
    outputs are written; the exit status is 1 when the input files have errors, as for run.
    Example: matcher centre import 中心答复.xlsx -a submissions/ --out results/2023
    """
    from matcher.decided import Decisions
    from matcher.pipeline import PipelineError
    from matcher.report.write import OutputExistsError, write_outputs

    if not answer.is_file():
        err.print(f"[red]找不到文件[/red]：{escape(str(answer))}")
        raise typer.Exit(EXIT_USAGE)
    round_ = _load(applicants, hosts, quotas, _rules(reference_date))
    try:
        result = _solve(round_, Decisions(centre=answer))
        paths = write_outputs(result, out, force=force)
    except PipelineError as exc:
        err.print(f"[red]匹配失败[/red]：{escape(str(exc))}")
        raise typer.Exit(EXIT_SOLVE) from None
    except OutputExistsError as exc:
        err.print(f"[red]输出文件夹不为空[/red]：{escape(str(exc))}（加 --force 覆盖）")
        raise typer.Exit(EXIT_USAGE) from None
    note = result.manifest["centre"]
    Console(stderr=True).print(
        f"中心答复：安排 {note['placed']} 人，未接收 {note['declined']} 人；"
        f"结果 {len(paths)} 个文件写入 {out}",
        highlight=False,
    )
    raise typer.Exit(EXIT_INPUT if _has_errors(result.round) else EXIT_OK)


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
    exit_on_terminate()
    app()
