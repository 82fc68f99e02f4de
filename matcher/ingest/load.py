"""Build a checked `Round` from the department's files (or the bundled sample round).

Steps: expand the applicant paths (folders → their .xlsx/.xls/.csv files, sorted); read
the host catalogue and the quota table; read every applicant file; read pre-arrangements
written in 备注 (`matcher.ingest.remarks`); run the cross-file checks of
`matcher.ingest.validate`; attach each row's issues to its applicant; hash every input for the
manifest.
"""

from __future__ import annotations

import hashlib
import stat
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from matcher.ingest import (
    VocabularyError,
    load_vocabulary,
    read_applicants,
    read_hosts,
    read_quotas,
)
from matcher.ingest.ethnicity import EthnicityTableError, ethnic_groups
from matcher.ingest.remarks import prearranged_from_remarks
from matcher.ingest.sheets import read_sheets
from matcher.ingest.validate import check_round
from matcher.memory import gc_paused
from matcher.model import (
    Applicant,
    Applicants,
    HostCatalogue,
    InputFile,
    Issue,
    Policy,
    QuotaTable,
    Round,
    Rules,
    Severity,
)
from matcher.paths import data_dir, sample_round_dir

APPLICANT_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")


class InputError(Exception):
    """An input path that cannot be used at all (missing file, empty folder)."""


def default_hosts() -> Path:
    """The bundled 2023 host catalogue."""
    return data_dir() / "hosts-2023.csv"


def default_quotas() -> Path:
    """The bundled 2023 quota table (附件1)."""
    return data_dir() / "quotas-2023.csv"


#: What `matcher run` writes into its output folder (never read back as applicant tables).
OWN_OUTPUTS = ("placements.csv", "unmatched.csv", "placements.xlsx", "notices.xlsx")


def applicant_files(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, and the applicant files inside named folders (sorted).

    Raises `InputError` for a path that does not exist or a folder with no such file.
    """
    return applicant_entries(paths)[0]


def applicant_entries(paths: Iterable[Path]) -> tuple[list[Path], list[Issue]]:
    """`applicant_files`, and a notice for each folder entry skipped.

    In a folder, an entry with an applicant suffix is skipped with a warning when it is no
    regular file (a subfolder named x.csv, a dangling link, a FIFO, a device:
    FOLDER_ENTRY_SKIPPED; never opened, so nothing hangs) or when it is an output of
    `matcher run` (OUTPUT_FILE_SKIPPED). A path named directly must be a regular file.
    """
    files: list[Path] = []
    notices: list[Issue] = []
    for path in paths:
        if path.is_dir():
            found = []
            for entry in sorted(path.iterdir()):
                if entry.suffix.lower() not in APPLICANT_SUFFIXES or entry.name.startswith(
                    ("~$", ".")
                ):
                    continue
                skipped = _skipped(entry)
                if skipped is None:
                    found.append(entry)
                else:
                    notices.append(skipped)
            if not found:
                raise InputError(f"文件夹 {path} 中没有 .xlsx/.xls/.csv 申报文件")
            files += found
        elif path.is_file():
            files.append(path)
        elif path.exists():
            raise InputError(f"{path} 不是普通文件（如管道、设备），请给出申报表文件或文件夹")
        else:
            raise InputError(f"找不到文件 {path}")
    return files, notices


def _skipped(entry: Path) -> Issue | None:
    """The notice of a folder entry that is not read, or None for an applicant file."""
    try:
        mode = entry.stat().st_mode  # follows a link: what the link points at
    except OSError:
        what = "是失效的链接或无法访问"
    else:
        if stat.S_ISREG(mode):
            if entry.name.lower() in OWN_OUTPUTS and _is_own_output(entry):
                return Issue(
                    file=entry.name,
                    code="OUTPUT_FILE_SKIPPED",
                    severity=Severity.WARNING,
                    message=f"{entry.name} 是本工具以前运行的输出，不是申报表，已跳过；"
                    "请不要把输出文件夹当作申报文件夹",
                )
            return None
        what = "是文件夹" if stat.S_ISDIR(mode) else "不是普通文件（如管道、设备）"
    return Issue(
        file=entry.name,
        code="FOLDER_ENTRY_SKIPPED",
        severity=Severity.WARNING,
        message=f"申报文件夹中的 {entry.name} {what}，已跳过；如是申报表请放入正常的文件",
    )


def _is_own_output(entry: Path) -> bool:
    """Whether `entry` (named as an output) is one: a CSV must start with its columns."""
    if entry.suffix.lower() != ".csv":
        return True
    try:
        with entry.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return b"source_file" in head and b"source_row" in head


def load_round(
    applicants: Sequence[Path] | None = None,
    hosts: Path | None = None,
    quotas: Path | None = None,
    *,
    rules: Rules | None = None,
    policy: Policy | None = None,
) -> Round:
    """Read, normalise and check a round; with no applicant paths, the bundled sample round.

    Never raises on bad content: problems become `Issue`s (rows with errors are kept and
    end `invalid`). Raises `InputError` only for paths that do not exist, and for a
    broken table of ``data/`` (titles, fields, ethnicities).
    """
    rules = rules or Rules()
    files, notices = applicant_entries(applicants or [sample_round_dir()])
    hosts_path = hosts or default_hosts()
    quotas_path = quotas or default_quotas()
    for path in (hosts_path, quotas_path):
        if not path.is_file():
            raise InputError(f"找不到文件 {path}")

    # The inputs are hashed on a second thread while they are parsed (hashlib releases
    # the GIL), in chunks: the load does not wait for it, and no copy of a file is kept.
    hashing = ThreadPoolExecutor(max_workers=1)
    roles = [*((p, "applicants") for p in files), (hosts_path, "hosts"), (quotas_path, "quotas")]
    digests = [hashing.submit(_input, path, role) for path, role in roles]
    try:
        with gc_paused():  # acyclic objects: no full collection rescans all that is loaded
            people, cross, file_issues, catalogue, quota_table = _read(
                files, hosts_path, quotas_path, rules
            )
        inputs = [digest.result() for digest in digests]
    finally:
        hashing.shutdown(cancel_futures=True)

    every = {_issue_key(i): i for i in (*notices, *file_issues)}
    problems = people.field("problems").values  # each distinct tuple of problems once
    every.update({_issue_key(i): i for found in problems for i in found})
    every.update({_issue_key(i): i for i in cross})
    return Round(
        applicants=people,
        catalogue=catalogue,
        quotas=quota_table,
        rules=rules,
        policy=policy or Policy(),
        issues=tuple(sorted(every.values(), key=_issue_key)),
        inputs=tuple(inputs),
    )


def _read(
    files: list[Path], hosts_path: Path, quotas_path: Path, rules: Rules
) -> tuple[Applicants, list[Issue], list[Issue], HostCatalogue, QuotaTable]:
    """Applicants (cross-file issues attached), cross-file issues, file issues, tables."""
    try:  # the department's own tables: a broken one is said, never a traceback
        vocab = load_vocabulary()
        ethnic_groups()
    except (VocabularyError, EthnicityTableError) as exc:
        raise InputError(str(exc)) from exc
    # The first applicant file is read on a second thread while the host catalogue and the
    # quota table are read here: its parse (pyarrow's CSV reader, numpy) releases the GIL.
    with ThreadPoolExecutor(max_workers=1) as ahead:
        first = ahead.submit(read_sheets, files[0]) if files else None
        catalogue, host_issues = read_hosts(hosts_path, vocab)
        quota_table, quota_issues = read_quotas(quotas_path)
        tables: list[Applicants] = []
        file_issues: list[Issue] = [*host_issues, *quota_issues]
        for k, path in enumerate(files):
            sheets = first.result if first is not None and k == 0 else None
            rows, issues = read_applicants(path, vocab, rules.reference_date, sheets)
            tables.append(rows)
            file_issues += issues
    people = prearranged_from_remarks(Applicants.join(tables), catalogue)
    cross = check_round(people, catalogue, quota_table, quota_file=quotas_path.name)
    return _attach(people, cross), cross, file_issues, catalogue, quota_table


def _attach(people: Applicants, issues: list[Issue]) -> Applicants:
    """Applicants with the cross-file issues of their row added to `problems`."""
    by_row: dict[tuple[str, int | None], list[Issue]] = defaultdict(list)
    for issue in issues:
        if issue.row is not None:
            by_row[(issue.file, issue.row)].append(issue)
    if not by_row:
        return people
    changed: dict[int, Applicant] = {}
    files, numbers = people.column("source_file"), people.column("source_row")
    for i, at in enumerate(zip(files, numbers, strict=True)):
        if extra := by_row.get(at):
            a = people[i]
            changed[i] = a.model_copy(update={"problems": (*a.problems, *extra)})
    return people.replaced(changed)


def _issue_key(issue: Issue) -> tuple[str, int, str, str, str]:
    return (issue.file, issue.row or 0, issue.column or "", issue.code, issue.message)


def _input(path: Path, role: str) -> InputFile:
    with path.open("rb") as handle:  # in chunks: never the whole file in memory
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    return InputFile(path=path.name, role=role, sha256=digest)
