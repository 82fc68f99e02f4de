"""The commands of a round: validate, run, explain, compare."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from matcher.api import Round, Severity
from matcher.cli.common import (
    EXIT_INPUT,
    EXIT_OK,
    EXIT_SOLVE,
    EXIT_USAGE,
    MECHANISM_HELP,
    Applicants,
    Hosts,
    MechanismOpt,
    Quotas,
    RefDate,
    Seed,
    SpreadCommand,
    app,
    backfill_round,
    err,
    has_errors,
    issue_tables,
    load_inputs,
    mechanism_name,
    output_failed,
    override_policy,
    policy_of,
    rules_of,
    scenario_round,
    solve_with_decisions,
    step,
)


@app.command(cls=SpreadCommand)
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
    round_ = load_inputs(applicants, hosts, quotas, rules_of(reference_date))
    if as_json:
        rows = [i.model_dump(mode="json") for i in round_.issues]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
    else:
        _print_issues(round_)
    raise typer.Exit(EXIT_INPUT if has_errors(round_) else EXIT_OK)


def _print_issues(round_: Round) -> None:
    """Every issue, one table per file (so the file name is said once), then a summary."""
    out = Console()
    errors = sum(i.severity is Severity.ERROR for i in round_.issues)
    warnings = len(round_.issues) - errors
    issue_tables(out, round_.issues)
    invalid = sum(round_.applicants.invalid())
    files = sum(f.role == "applicants" for f in round_.inputs)
    out.print(
        f"共读取申请人 {len(round_.applicants)} 人（{files} 个申报文件）；"
        f"错误 {errors} 个，提示 {warnings} 个；{invalid} 人因数据错误将被标为 invalid。"
    )


@app.command(cls=SpreadCommand)
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
            "--mechanism", parser=mechanism_name, help=MECHANISM_HELP + "（默认 optimal）"
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
    from matcher.api import OutputError, PipelineError

    inputs = api.run_inputs(scenario, applicants, hosts, quotas)
    try:
        api.check_output(out, force=force, inputs=inputs)
    except OutputError as exc:
        output_failed(exc)
    console = Console(stderr=True, quiet=quiet)
    decisions = _decisions(scenario)
    if decisions.published is not None:  # a 补录 keeps the published run's settings
        given = (applicants, hosts, quotas) if applicants or hosts or quotas else decisions.base
        backfill_round(console, decisions.published, list(decisions.withdrawn), given, out, force)
        return
    with step(console, "读取并校验输入文件"):
        if scenario is None:
            policy = policy_of(mechanism or "optimal", 2023 if seed is None else seed)
            round_ = load_inputs(applicants, hosts, quotas, rules_of(reference_date), policy)
        else:
            round_ = scenario_round(scenario, applicants, hosts, quotas, reference_date)
            round_ = override_policy(round_, mechanism, seed)
            if decisions.centre is not None:
                from matcher.api import centre_mode

                round_ = centre_mode(round_)  # a 区外 choice unknown to the catalogue: a warning
    erroneous = has_errors(round_)
    if erroneous and strict:
        _print_issues(round_)
        raise typer.Exit(EXIT_INPUT)
    try:
        with step(console, f"匹配（{round_.policy.mechanism}）并独立核验"):
            result = solve_with_decisions(round_, decisions)
        api.release_second_process()  # its part is done: it ends while the files are written
        with step(console, "写出结果文件"):
            paths = api.write(result, out, force=force, months=months, inputs=inputs)
    except PipelineError as exc:
        err.print(f"[red]匹配失败[/red]：{escape(str(exc))}")
        raise typer.Exit(EXIT_SOLVE) from None
    except OutputError as exc:
        output_failed(exc)
    counts: dict[str, int] = {}
    for status in result.outcomes.column("status"):
        counts[status.value] = counts.get(status.value, 0) + 1
    tally = "，".join(f"{k} {v}" for k, v in sorted(counts.items())) or "没有申请人"
    console.print(f"完成：{tally}；结果 {len(paths)} 个文件写入 {out}")
    if erroneous:
        console.print("[yellow]输入有错误，相关申请人已标为 invalid；见 matcher validate[/yellow]")
    raise typer.Exit(EXIT_INPUT if erroneous else EXIT_OK)


def _decisions(scenario: Path | None) -> Any:
    """The overrides, centre answer and 补录 of a scenario file (none without one)."""
    from matcher.api import Decisions

    if scenario is None:
        return Decisions()
    from matcher.api import ScenarioError, scenario_decisions

    try:
        return scenario_decisions(scenario)
    except ScenarioError as exc:
        err.print(f"[red]场景文件有误[/red]：{escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None


@app.command(cls=SpreadCommand)
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
    from matcher.api import PipelineError, explain_applicant, find_applicant

    round_ = load_inputs(
        applicants, hosts, quotas, rules_of(reference_date), policy_of(mechanism, seed)
    )
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
    from matcher.api import (
        CompareError,
        OutputError,
        PipelineError,
        ScenarioError,
        check_comparison_output,
    )
    from matcher.api import compare as compare_runs

    if out is not None:
        try:
            check_comparison_output(out, force=force, inputs=(a, b))
        except OutputError as exc:
            output_failed(exc)
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
            output_failed(exc)
        console.print(f"对比表已写入 {out}")
