"""The commands after a run: settle, forms, letters, backfill (补录), centre export/import."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from matcher.cli.common import (
    EXIT_INPUT,
    EXIT_OK,
    EXIT_SOLVE,
    EXIT_USAGE,
    Applicants,
    Hosts,
    Quotas,
    RefDate,
    app,
    backfill_round,
    err,
    has_errors,
    issue_tables,
    load_inputs,
    output_failed,
    rules_of,
    solve_with_decisions,
)

if TYPE_CHECKING:
    from matcher.api import RunFolder

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
    from matcher.api import RunFolderError, read_run

    try:
        return read_run(run_dir)
    except RunFolderError as exc:
        err.print(f"[red]无法读取运行结果[/red]：{escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None


@contextmanager
def _publishing() -> Iterator[None]:
    """Turn an unwritable output folder into a message and exit status 2."""
    from matcher.api import OutputError

    try:
        yield
    except OutputError as exc:
        output_failed(exc)
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
    from matcher.api import SettleError
    from matcher.api import settle as settle_run

    folder = _read(run_dir)
    if not months.is_file():
        err.print(f"找不到培训月数表：{months}", markup=False, highlight=False)
        raise typer.Exit(EXIT_USAGE)
    target = _out_dir(run_dir, out, "settlement")
    try:
        with _publishing():
            result = settle_run(folder, months, target, force=force)
    except SettleError as exc:
        issue_tables(Console(), exc.issues)
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
    from matcher.api import official_forms, package_counts

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
    from matcher.api import LetterError
    from matcher.api import letters as write_letters

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
    backfill_round(console, published, withdrawn, inputs, out, force)


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
    round_ = load_inputs(applicants, hosts, quotas, rules_of(reference_date))
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
    from matcher.api import Decisions, OutputExistsError, PipelineError, write_outputs

    if not answer.is_file():
        err.print(f"[red]找不到文件[/red]：{escape(str(answer))}")
        raise typer.Exit(EXIT_USAGE)
    round_ = load_inputs(applicants, hosts, quotas, rules_of(reference_date))
    try:
        result = solve_with_decisions(round_, Decisions(centre=answer))
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
    raise typer.Exit(EXIT_INPUT if has_errors(result.round) else EXIT_OK)
