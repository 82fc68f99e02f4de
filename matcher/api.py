"""The notebook-facing API: load a round or scenario, change it, solve, look, compare.

Everything here is a thin name over the library; the frames are the report's own
(`matcher.report.frames`), so a notebook shows the figures the department's files show.

Example::

    from matcher import api
    base = api.load()                                   # the bundled 2023 sample round
    more = api.with_capacity(base, "内蒙古大学", add=2)
    a, b = api.solve(base), api.solve(more)
    api.per_region(b)
    api.compare(a, b).changed
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from matcher import processes
from matcher.after.decided import Decisions, scenario_decisions, solve_decided
from matcher.engine.pipeline import PipelineError, explain_applicant, find_applicant, solve_round
from matcher.engine.result import RunResult
from matcher.engine.solve import MechanismSpec, Supports, get, known, register
from matcher.ingest.load import (
    APPLICANT_SUFFIXES,
    InputError,
    default_hosts,
    default_quotas,
    load_round,
)
from matcher.memory import batch_allocator
from matcher.model import (
    MECHANISM_NAMES,
    HostCatalogue,
    Issue,
    Mechanism,
    Policy,
    QuotaTable,
    Round,
    Rules,
    Severity,
    Track,
    UnknownMechanismError,
    check_mechanism,
)
from matcher.paths import data_dir, sample_round_dir
from matcher.processes import PROCESSES_VARIABLE
from matcher.report import frames
from matcher.report.funding import DEFAULT_MONTHS, funding_frame
from matcher.report.mask import mask_id, mask_phone, scrub
from matcher.report.publish import OutputError, publish
from matcher.report.summary import summarize
from matcher.report.write import OutputExistsError, check_run_output, write_outputs

if TYPE_CHECKING:  # loaded on first use (`__getattr__`): a `matcher run` never needs them
    from matcher.after.backfill import Backfill, BackfillError, Published, read_published
    from matcher.after.centre import CentreError, centre_mode
    from matcher.after.settle import SettleError, Settlement
    from matcher.report.forms import package_counts
    from matcher.report.letters import LetterError
    from matcher.report.rundir import RunFolder, RunFolderError
    from matcher.whatif.advisor import Suggestion, advice_frame, advise
    from matcher.whatif.changes import (
        OverrideError,
        move_quota,
        unused_places,
        with_capacity,
        with_pins,
        with_policy,
        with_quota,
        with_rules,
        without_applicants,
    )
    from matcher.whatif.compare import (
        CHANGE_LABELS,
        CompareError,
        Comparison,
        check_comparison_output,
        compare,
    )
    from matcher.whatif.fixed import FixedError
    from matcher.whatif.overrides import DecisionError, Override
    from matcher.whatif.scenario import build_round
    from matcher.whatif.scenario_file import Scenario, ScenarioError, load_scenario
    from matcher.whatif.sweep import Variant, capacity_variants, grid, seed_variants, sweep

#: Names of the after-the-run, scenario and analysis modules, imported when first asked
#: for: the command line imports this module for every command, and these pull in docx,
#: the sweep's process pools, the advisor, the scenario schema and the comparison.
_LAZY = {
    **dict.fromkeys(("CentreError", "centre_mode"), "matcher.after.centre"),
    **dict.fromkeys(("RunFolder", "RunFolderError"), "matcher.report.rundir"),
    **dict.fromkeys(
        (
            "OverrideError",
            "move_quota",
            "unused_places",
            "with_capacity",
            "with_pins",
            "with_policy",
            "with_quota",
            "with_rules",
            "without_applicants",
        ),
        "matcher.whatif.changes",
    ),
    **dict.fromkeys(
        ("CHANGE_LABELS", "CompareError", "Comparison", "check_comparison_output", "compare"),
        "matcher.whatif.compare",
    ),
    "FixedError": "matcher.whatif.fixed",
    "DecisionError": "matcher.whatif.overrides",
    "Override": "matcher.whatif.overrides",
    "build_round": "matcher.whatif.scenario",
    **dict.fromkeys(("Scenario", "ScenarioError", "load_scenario"), "matcher.whatif.scenario_file"),
    "Backfill": "matcher.after.backfill",
    "BackfillError": "matcher.after.backfill",
    "Published": "matcher.after.backfill",
    "read_published": "matcher.after.backfill",
    "SettleError": "matcher.after.settle",
    "Settlement": "matcher.after.settle",
    "package_counts": "matcher.report.forms",
    "LetterError": "matcher.report.letters",
    "Suggestion": "matcher.whatif.advisor",
    "advice_frame": "matcher.whatif.advisor",
    "advise": "matcher.whatif.advisor",
    "Variant": "matcher.whatif.sweep",
    "capacity_variants": "matcher.whatif.sweep",
    "grid": "matcher.whatif.sweep",
    "seed_variants": "matcher.whatif.sweep",
    "sweep": "matcher.whatif.sweep",
}


def __getattr__(name: str) -> Any:
    """A lazily imported name of `__all__` (PEP 562)."""
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "APPLICANT_SUFFIXES", "CHANGE_LABELS", "MECHANISM_NAMES", "PROCESSES_VARIABLE", "Backfill",
    "BackfillError", "CentreError", "CompareError", "Comparison", "DecisionError", "Decisions",
    "FixedError", "HostCatalogue", "InputError", "Issue", "LetterError", "Mechanism",
    "MechanismSpec", "OutputError", "OutputExistsError", "Override", "OverrideError",
    "PipelineError", "Policy", "Published", "QuotaTable", "Round", "Rules", "RunFolder",
    "RunFolderError", "RunResult", "Scenario", "ScenarioError", "SettleError", "Severity",
    "Suggestion", "Supports", "Track", "UnknownMechanismError", "Variant", "advice_frame",
    "advise", "backfill", "batch_allocator", "build_round", "bundled_hosts", "bundled_quotas",
    "capacity_variants",
    "centre_export", "centre_import", "centre_mode", "change_reason", "check_backfill_output",
    "check_comparison_output", "check_mechanism", "check_output", "check_overrides", "compare",
    "explain", "explain_applicant", "find", "find_applicant", "funding", "funding_by_payee",
    "funding_by_trainee", "grid", "letters", "load", "load_round", "load_scenario", "mask_id",
    "mask_phone", "mechanisms", "move_quota", "official_forms", "package_counts", "per_host",
    "per_region", "placements", "read_hosts", "read_published", "read_quotas", "read_run",
    "register_mechanism", "registered_mechanisms", "release_second_process", "run_inputs",
    "sample_files", "scenario",
    "scenario_decisions", "scrub", "seed_variants", "settle", "solve", "solve_decided",
    "solve_with_overrides", "summary", "sweep", "to_confirm", "unmatched", "unused_places",
    "with_capacity", "with_pins", "with_policy", "with_quota", "with_rules",
    "without_applicants", "write", "write_backfill", "write_outputs"
]  # fmt: skip


def load(
    applicants: Iterable[Path | str] | None = None,
    hosts: Path | str | None = None,
    quotas: Path | str | None = None,
    **settings: Any,
) -> Round:
    """Read a round (no applicants: the bundled 2023 sample); `settings`: rules=, policy=."""
    files = [Path(p) for p in applicants] if applicants is not None else None
    return load_round(
        files, Path(hosts) if hosts else None, Path(quotas) if quotas else None, **settings
    )


def to_confirm(round_: Round) -> pd.DataFrame:
    """Pre-arrangements read from 备注, for the clerk to confirm (one row per applicant).

    Columns: file, row, name, track, region, host (the proposed 预先接收单位), remark.
    """
    rows = [
        {
            "file": a.source_file,
            "row": a.source_row,
            "name": a.name,
            "track": a.track.value if a.track else "",
            "region": a.region or "",
            "host": a.prearranged,
            "remark": a.remark,
        }
        for a in round_.applicants
        if a.prearranged_from_remark
    ]
    columns = ["file", "row", "name", "track", "region", "host", "remark"]
    return pd.DataFrame(rows, columns=columns)


def scenario(path: Path | str, base: Round | None = None) -> Round:
    """The round of a scenario file (its base files, or `base`, with its overrides)."""
    from matcher.whatif.scenario import build_round

    return build_round(path, base)


def register_mechanism(spec: MechanismSpec, *, replace: bool = False) -> None:
    """Add a mechanism (`matcher.engine.solve.register`): selectable by name from then on.

    Its name is accepted by `Policy`, `with_policy`, a scenario's ``[policy]``, the CLI's
    ``--mechanism`` and the web page's select; its answers are verified like the
    built-ins'. Example::

        api.register_mechanism(api.MechanismSpec("mine", run, api.Supports(True, True, False)))
        api.solve(api.with_policy(api.load(), mechanism="mine"))
    """
    register(spec, replace=replace)


def registered_mechanisms() -> dict[str, str]:
    """Each registered mechanism's name and its one line of description, built-ins first."""
    return {name: get(name).description for name in known()}


def release_second_process() -> None:
    """Let the solver's warm second process go, if one runs (it ends as soon as it is idle).

    `matcher run` calls it after the solve, so the process ends while the files are written.
    """
    processes.stop()


def solve(round_: Round) -> RunResult:
    """Place, verify and explain: `matcher.engine.pipeline.solve_round`."""
    return solve_round(round_)


def placements(result: RunResult) -> pd.DataFrame:
    """One row per applicant row (placements.csv's columns)."""
    return frames.placements_frame(result)


def unmatched(result: RunResult) -> pd.DataFrame:
    """Everyone not placed, with reason and remedy (unmatched.csv)."""
    return frames.unmatched_frame(frames.placements_frame(result))


def summary(result: RunResult) -> dict[str, Any]:
    """result.json's ``summary`` dict."""
    return summarize(result)


def per_region(result: RunResult) -> pd.DataFrame:
    """Per region × track against quota."""
    return frames.regions_frame(summarize(result))


def per_host(result: RunResult) -> pd.DataFrame:
    """Per host against capacity."""
    return frames.hosts_frame(summarize(result))


def funding(result: RunResult) -> pd.DataFrame:
    """The year's funding: total, per track, per region, per host (the workbook's table)."""
    return frames.funding_table(summarize(result))


def funding_by_trainee(result: RunResult) -> pd.DataFrame:
    """One row per trainee with the funding items."""
    return funding_frame(result)


def funding_by_payee(result: RunResult) -> pd.DataFrame:
    """The year's budget by payee: host (学费住宿费), the ministry's centre (管理费), trainees.

    Columns payee, item, trainees, total; the totals add up to the budget.
    """
    payees = summarize(result)["funding"]["payees"]
    return pd.DataFrame(
        [{"key": key, **figures} for key, figures in payees.items()],
        columns=["key", "payee", "item", "trainees", "total"],
    )


def read_run(folder: Path | str) -> RunFolder:
    """A published run folder read back (placements.csv and result.json); nothing written."""
    from matcher.report.rundir import read_run as read_folder

    return read_folder(folder)


def _run(run: RunFolder | Path | str) -> RunFolder:
    from matcher.report.rundir import RunFolder, read_run

    return run if isinstance(run, RunFolder) else read_run(run)


def settle(
    run: RunFolder | Path | str,
    months_file: Path | str,
    out: Path | str | None = None,
    *,
    force: bool = False,
) -> Settlement:
    """The year-end settlement of a run from a file of months trained (`matcher.after.settle`).

    With `out`, also writes settlement.xlsx and settlement.csv there (never into the run
    folder). Raises `matcher.after.settle.SettleError` listing every problem of the file.
    """
    from matcher.after.settle import settle as settle_run
    from matcher.after.settlement_book import settlement_files

    folder = _run(run)
    settlement = settle_run(folder, Path(months_file))
    if out is not None:
        publish(settlement_files(settlement), Path(out), force=force, inputs=[folder.path])
    return settlement


def official_forms(
    run: RunFolder | Path | str,
    out: Path | str,
    *,
    unit: str | None = None,
    filled_on: date | None = None,
    force: bool = False,
) -> list[Path]:
    """Write the printable 附件3 per track and a return package per sending unit into `out`.

    See `matcher.report.forms`; `unit` is the 填表单位 printed (default the department).
    """
    from matcher.report.forms import DEPARTMENT, forms_files

    folder = _run(run)
    files = forms_files(folder, unit=unit or DEPARTMENT, filled_on=filled_on)
    return publish(files, Path(out), force=force, inputs=[folder.path])


def letters(
    run: RunFolder | Path | str,
    out: Path | str,
    *,
    hosts: Path | str | None = None,
    template: Path | str | None = None,
    issued: date | None = None,
    force: bool = False,
) -> tuple[list[Path], list[str]]:
    """Write the 报到通知 letters (one .docx per trainee) and the hosts' lists into `out`.

    Returns the written paths and warnings (Chinese): hosts whose 报到时间, 报到地址,
    联系人 or 联系电话 the catalogue lacks, a catalogue changed since the run. Raises
    `matcher.report.letters.LetterError` for an unusable template or catalogue.
    """
    from matcher.report.letters import (
        Template,
        letters_files,
        missing_contacts,
        run_catalogue,
    )

    folder = _run(run)
    catalogue, warnings = run_catalogue(folder, Path(hosts) if hosts else None)
    chosen = Template.read(Path(template)) if template else None
    by_lack: dict[tuple[str, ...], list[str]] = {}
    for host, lacks in missing_contacts(folder, catalogue).items():
        by_lack.setdefault(tuple(lacks), []).append(host)
    for lacking, hosts_lacking in by_lack.items():
        shown = "、".join(hosts_lacking[:5])
        if len(hosts_lacking) > 5:
            shown += f"等{len(hosts_lacking)}个"
        warnings.append(
            f"培养单位{shown}在目录中没有{'、'.join(lacking)}：信中写“另行通知”"
            "（在培养单位目录中补上这些列后重新生成）"
        )
    files = letters_files(folder, catalogue, chosen, issued)
    return publish(files, Path(out), force=force, inputs=[folder.path]), warnings


def mechanisms(round_: Round, names: Iterable[str] = ("optimal", "stable", "immediate")) -> Any:
    """One sweep row per mechanism on `round_`, solved in this process.

    Columns: `matcher.whatif.sweep.ROW_COLUMNS` (placed, first-choice rate, priority placed,
    justified envy, funding …).
    """
    from matcher.whatif.sweep import Variant, sweep

    variants = [Variant(name=name, mechanism=name) for name in names]
    return sweep(round_, variants, workers=1, progress=False)


def run_inputs(
    scenario: Path | str | None = None,
    applicants: Iterable[Path | str] | None = None,
    hosts: Path | str | None = None,
    quotas: Path | str | None = None,
) -> list[Path]:
    """Every file and folder a run with these options reads (outputs may not go there).

    Where a default is used (no applicants, hosts or quotas given), the bundled data
    folder is among them. A scenario that cannot be read adds only its own path.
    """
    paths = [Path(p) for p in applicants or ()]
    paths += [Path(p) for p in (hosts, quotas) if p is not None]
    if scenario is not None:
        from matcher.whatif.scenario import base_paths
        from matcher.whatif.scenario_file import ScenarioError, load_scenario

        try:
            paths += base_paths(load_scenario(scenario))
        except (ScenarioError, OSError):
            paths.append(Path(scenario))
    if not applicants or hosts is None or quotas is None:
        paths.append(data_dir())
    return paths


def write(
    result: RunResult,
    out: Path | str,
    *,
    force: bool = False,
    months: int = DEFAULT_MONTHS,
    inputs: Iterable[Path | str] = (),
) -> list[Path]:
    """Write `result`'s outputs into `out`, whole (`matcher.report.write.write_outputs`).

    `inputs` (e.g. `run_inputs(...)`) may not be or lie in `out`, nor `out` in them.
    Raises `matcher.report.publish.OutputError` with a message that names the folder and
    says what to do. `check_output` says the same before a long solve.
    """
    return write_outputs(result, out, force=force, months=months, inputs=inputs)


def check_output(
    out: Path | str, *, force: bool = False, inputs: Iterable[Path | str] = ()
) -> Path:
    """Raise `matcher.report.publish.OutputError` now if `write` could not write into `out`."""
    return check_run_output(out, force=force, inputs=inputs)


def backfill(
    published: Published | Path | str,
    withdrawn: Iterable[str],
    *,
    applicants: Iterable[Path | str] | None = None,
    hosts: Path | str | None = None,
    quotas: Path | str | None = None,
) -> Backfill:
    """补录 on a published run folder: nobody published moves (`matcher.after.backfill`).

    `withdrawn`: 身份证号, ``file:row`` or files listing them. The inputs (default: the
    bundled sample round) must be the published run's, checked by SHA-256.
    """
    from matcher.after.backfill import Published, published_round, read_published, withdrawn_refs
    from matcher.after.backfill import backfill as run_backfill

    source = published if isinstance(published, Published) else read_published(published)
    files = [Path(p) for p in applicants] if applicants is not None else None
    round_ = published_round(
        source, files, Path(hosts) if hosts else None, Path(quotas) if quotas else None
    )
    return run_backfill(round_, source, withdrawn_refs(withdrawn))


def check_backfill_output(out: Path | str, published: Published) -> None:
    """Raise `BackfillError` when `out` is the published folder or inside it."""
    from matcher.after.backfill import check_output

    check_output(Path(out), published)


def write_backfill(
    done: Backfill, published: Published, out: Path | str, *, force: bool = False
) -> list[Path]:
    """Write a 补录's full output set and its lists into `out` (never into `published`)."""
    from matcher.after.backfill import backfill_files, check_output

    check_output(Path(out), published)
    return write_outputs(done.result, Path(out), force=force, extra=backfill_files(done))


def solve_with_overrides(round_: Round, overrides: Iterable[Override]) -> RunResult:
    """Solve with decisions by hand (`Override`: place, fix, exclude; reason and who decided).

    The manifest records each override with who it displaced against the run without it
    (`matcher.whatif.overrides.solve_overrides`).
    """
    from matcher.whatif.overrides import solve_overrides

    return solve_overrides(round_, overrides)


def check_overrides(round_: Round, overrides: Iterable[Override]) -> list[str]:
    """The applicant keys of `overrides`, in order, once they are checked against `round_`.

    Raises `DecisionError` (unknown person or host, a host of the other track, someone
    invalid or ineligible, two overrides for one person) without solving; a ``fix``
    without a host is checked when solved (it needs the run without overrides).
    """
    from matcher.whatif.overrides import decided

    items = list(overrides)
    named = [o for o in items if not (o.kind == "fix" and o.host is None)]
    return list(decided(round_, named))


def centre_export(round_: Round, path: Path | str) -> Path:
    """Write the workbook for 留学人员和专家服务中心 (approved 区外 applicants, proposals)."""
    from matcher.after.centre import centre_mode, export_book

    result = solve_round(centre_mode(round_))
    target = Path(path)
    target.write_bytes(export_book(result))
    return target


def centre_import(
    round_: Round, answer: Path | str, overrides: Iterable[Override] = ()
) -> RunResult:
    """Solve `round_` with the centre's answer fixed (raises `CentreError` with every row)."""
    from matcher.after.centre import solve_centre

    return solve_centre(round_, Path(answer), list(overrides))


# ---------------------------------------------------------------- for the clerk's workbench


def sample_files() -> list[Path]:
    """The bundled 2023 sample round's applicant workbooks (sorted)."""
    return sorted(p for p in sample_round_dir().iterdir() if p.suffix.lower() == ".xlsx")


def bundled_hosts() -> Path:
    """The bundled 2023 host catalogue."""
    return default_hosts()


def bundled_quotas() -> Path:
    """The bundled 2023 quota table (附件1)."""
    return default_quotas()


def read_quotas(path: Path | str) -> tuple[QuotaTable, list[Issue]]:
    """A quota table (附件1) and its issues (a 合计 row is checked, QUOTA_TOTAL_MISMATCH)."""
    from matcher.ingest import read_quotas as read

    return read(Path(path))


def read_hosts(path: Path | str) -> tuple[HostCatalogue, list[Issue]]:
    """A host catalogue and its issues."""
    from matcher.ingest import read_hosts as read

    return read(Path(path))


def find(round_: Round, ref: str) -> str | None:
    """The key of the applicant named by 身份证号 or ``file:row``; None when not found."""
    return find_applicant(round_, ref)


def explain(round_: Round, ref: str, overrides: Iterable[Override] = ()) -> str | None:
    """`matcher explain` for one applicant (身份证号 or ``file:row``); None when not found.

    Solves and verifies the round (raises `PipelineError` when that fails), with
    `overrides` decided as `solve_with_overrides` decides them (raises `DecisionError`),
    so the account is of the very run those overrides make.
    """
    from matcher.whatif.overrides import explain_overridden

    key = find_applicant(round_, ref)
    if key is None:
        return None
    items = list(overrides)
    return explain_overridden(round_, key, items) if items else explain_applicant(round_, key)


def change_reason(row: Any) -> str:
    """Why one person's outcome changed between two runs (a row of `Comparison.people`)."""
    from matcher.whatif.compare import why

    return why(row)
