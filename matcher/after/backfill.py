"""补录: a further round on a published run that moves nobody already notified.

Contract: `read_published(folder)` reads a run folder (its ``result.json`` and
``placements.csv``); `published_round(published, …)` re-reads the inputs its manifest
names (each file's SHA-256 must match, else `BackfillError`) with the published rules,
policy, capacities and quotas; `backfill(round_, published, withdrawn)` keeps every
published placement exactly, frees the places of the withdrawn (and their region's quota
place) and gives them to applicants not yet placed, by the round's policy, verified like
any run (`matcher.whatif.fixed.solve_fixed`). Its folder is itself a published run: a third
round reads it the same way (the withdrawn of every earlier round stay withdrawn).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

import pandas as pd

from matcher.engine.result import Outcome, RunResult
from matcher.model import Policy, Round, Rules, Status, Track
from matcher.whatif.fixed import KEPT_CODES, TRAINEES, who

WITHDRAWN = "WITHDRAWN"
GAINED_COLUMNS = [
    "source_file", "source_row", "name", "id_number", "phone", "region", "track", "status",
    "choice_rank", "host", "reason_before",
]  # fmt: skip
WITHDRAWN_COLUMNS = ["source_file", "source_row", "name", "id_number", "region", "track", "host"]


class BackfillError(ValueError):
    """A published run that cannot be backfilled, or a withdrawal that does not fit it."""


@dataclass(frozen=True)
class Published:
    """A published run folder: its manifest, summary and placements.csv rows (as text)."""

    folder: Path
    manifest: dict[str, Any]
    summary: dict[str, Any]
    rows: pd.DataFrame
    digests: dict[str, str]

    @property
    def round_number(self) -> int:
        """1 for a first run, n for the folder of the (n − 1)-th 补录."""
        return int(self.manifest.get("backfill", {}).get("round", 1))


@dataclass(frozen=True)
class Backfill:
    """A 补录: its full `result`, who gains (`gained`) and who withdrew (`withdrawn`)."""

    result: RunResult
    gained: pd.DataFrame
    withdrawn: pd.DataFrame
    round_number: int


def read_published(folder: Path | str) -> Published:
    """Read a published run folder (raises `BackfillError` naming what is missing)."""
    folder = Path(folder)
    document, csv = folder / "result.json", folder / "placements.csv"
    for path in (document, csv):
        if not path.is_file():
            raise BackfillError(f"{folder} 中没有 {path.name}：请给出 matcher run 的输出文件夹")
    try:
        raw = document.read_bytes()
        data = json.loads(raw.decode("utf-8"))
        table = csv.read_bytes()
        rows = pd.read_csv(csv, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise BackfillError(f"无法读取 {folder} 中的结果文件：{exc}") from None
    if not isinstance(data, dict) or "manifest" not in data or "summary" not in data:
        raise BackfillError(f"{document} 不是 matcher run 写出的 result.json（缺少 manifest）")
    missing = {"source_file", "source_row", "status", "host", "choice_rank"} - set(rows.columns)
    if missing:
        raise BackfillError(f"{csv} 缺少列：{', '.join(sorted(missing))}")
    digests = {
        "result.json": hashlib.sha256(raw).hexdigest(),
        "placements.csv": hashlib.sha256(table).hexdigest(),
    }
    return Published(folder, data["manifest"], data["summary"], rows, digests)


def published_round(
    published: Published,
    applicants: Sequence[Path] | None = None,
    hosts: Path | None = None,
    quotas: Path | None = None,
) -> Round:
    """The published run's round: its inputs re-read and checked against the manifest.

    The files are the ones given (default: the bundled sample round and tables, as for
    `matcher run`); each must have the name and SHA-256 the manifest records, and every
    input of the manifest must be given. Rules and policy are the manifest's; capacities
    and quotas are the published summary's (so a scenario's changes carry over).
    """
    from matcher.ingest.load import InputError, load_round

    try:
        settings = published.manifest.get("settings", {})
        rules = Rules.model_validate(settings.get("rules", {}))
        policy = Policy.model_validate(settings.get("policy", {}))
    except (ValueError, TypeError, AttributeError) as exc:
        raise BackfillError(f"已发布结果的设置无法读取：{exc}") from None
    try:
        round_ = load_round(applicants, hosts, quotas, rules=rules, policy=policy)
    except InputError as exc:
        raise BackfillError(str(exc)) from None
    _check_inputs(published, round_)
    if "centre" in published.manifest:  # run with the centre's answer: read as it was
        from matcher.after.centre import centre_mode

        round_ = centre_mode(round_)
    return _published_tables(round_, published.summary)


def _check_inputs(published: Published, round_: Round) -> None:
    try:
        recorded = {
            (f["role"], f["path"]): f["sha256"] for f in published.manifest.get("inputs", [])
        }
    except (KeyError, TypeError, AttributeError):
        raise BackfillError(
            "已发布结果的 manifest.inputs 无法读取：请给出 matcher run 写出的原文件"
        ) from None
    given = {(f.role, f.path): f.sha256 for f in round_.inputs}
    problems = []
    for (role, name), digest in recorded.items():
        if (role, name) not in given:
            problems.append(f"已发布结果的输入文件“{name}”（{role}）未给出")
        elif given[(role, name)] != digest:
            problems.append(
                f"输入文件“{name}”的内容与发布时不同（SHA-256 {digest[:12]}… → "
                f"{given[(role, name)][:12]}…）：补录须使用发布时的原文件"
            )
    problems += [
        f"输入文件“{name}”（{role}）不在已发布结果的输入中"
        for role, name in given
        if (role, name) not in recorded
    ]
    if problems:
        raise BackfillError("；".join(problems))


def _published_tables(round_: Round, summary: dict[str, Any]) -> Round:
    from matcher.whatif.changes import OverrideError, with_capacity, with_quota

    try:
        for name, figures in summary.get("hosts", {}).items():
            host = round_.catalogue.resolve(name)
            if host is not None and host.capacity != int(figures["capacity"]):
                round_ = with_capacity(round_, name, places=int(figures["capacity"]))
        for region, tracks in summary.get("regions", {}).items():
            for track, figures in tracks.items():
                if round_.quotas.places(region, Track(track)) != int(figures["quota"]):
                    round_ = with_quota(round_, region, track, places=int(figures["quota"]))
    except (OverrideError, KeyError, ValueError) as exc:
        raise BackfillError(f"已发布结果的名额表无法读取：{exc}") from None
    return round_


def _text(value: str) -> str:
    """A placements.csv cell as written before its injection guard (a leading ')."""
    return value[1:] if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@") else value


def published_outcomes(round_: Round, published: Published) -> dict[str, Outcome]:
    """Applicant key → the outcome published for them (every applicant of the round)."""
    rows = published.rows
    out: dict[str, Outcome] = {}
    for line, row in enumerate(rows.to_dict("records"), start=2):
        key = f"{row['source_file']}:{row['source_row']}"
        rank = row["choice_rank"].strip()
        position = str(row.get("priority_position", "")).strip()
        try:
            out[key] = Outcome(
                key=key,
                status=Status(row["status"]),
                host=_text(row["host"]) or None,
                choice_rank=int(float(rank)) if rank else None,
                reason_code=row.get("reason_code", ""),
                reason=_text(row.get("reason", "")),
                remedy=_text(row.get("remedy", "")),
                draw=int(row.get("draw") or "0", 16),  # the published draw and 优先序 stay
                priority_position=int(float(position)) if position else None,
            )
        except ValueError:
            raise BackfillError(
                f"{published.folder / 'placements.csv'} 第{line}行的 status 或 choice_rank 无法读取"
                f"（{row['status']!r}, {rank!r}）：请给出 matcher run 写出的原文件"
            ) from None
    keys = [a.key for a in round_.applicants]
    if len(rows) != len(keys) or set(keys) != set(out):
        raise BackfillError(
            f"{published.folder / 'placements.csv'} 的行（{len(rows)} 行）与输入文件的申请人"
            f"（{len(keys)} 行）不一致：请给出发布时的原文件"
        )
    return out


def withdrawn_refs(items: Iterable[str]) -> list[str]:
    """The references given to ``--withdrawn``: each an ID, ``file:row``, or a file of them.

    A file holds one reference a line (a CSV's first cell); blank lines, ``#`` comments
    and a header line (身份证号, id_number, 姓名…) are skipped.
    """
    refs: list[str] = []
    for item in items:
        path = Path(item)
        if item.strip() and path.is_file():
            for cell in _first_cells(path):
                if cell and not cell.startswith("#") and cell not in _HEADERS:
                    refs.append(cell)
        elif item.strip():
            refs.append(item.strip())
    return refs


_HEADERS = {"身份证号", "id_number", "姓名", "name", "key", "申请人", "来源（文件:行）"}


def _first_cells(path: Path) -> list[str]:
    """The first cell of every line of a text/CSV file, or of every row of a workbook."""
    from matcher.ingest.problems import TableError
    from matcher.ingest.sheets import EXCEL_SUFFIXES, read_sheets
    from matcher.ingest.text import cell_text

    try:
        if path.suffix.lower() in EXCEL_SUFFIXES:
            rows = read_sheets(path)[0].rows
            return [cell_text(row[0]).strip() if row else "" for row in rows]
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError, TableError, IndexError) as exc:
        raise BackfillError(f"无法读取退出名单 {path.name}：{exc}") from None
    return [line.split(",", 1)[0].strip().strip('"') for line in lines]


def _masked_ref(ref: str) -> str:
    from matcher.report.mask import mask_id, scrub

    return mask_id(ref) if ref.isalnum() and len(ref) >= 15 else scrub(ref)


def backfill(round_: Round, published: Published, withdrawn: Iterable[str]) -> Backfill:
    """Keep every published placement, free the withdrawn's places, place the unplaced.

    `withdrawn`: 身份证号 or ``file:row`` of people placed in the published run. Raises
    `BackfillError` for a reference that names nobody, someone not placed in the published
    run, or someone who withdrew in an earlier round; `matcher.whatif.fixed.FixedError` or
    `matcher.engine.pipeline.PipelineError` when the round cannot be solved.
    """
    from matcher.engine.pipeline import find_applicant
    from matcher.report.frames import placements_frame
    from matcher.whatif.fixed import solve_fixed

    before = published_outcomes(round_, published)
    refs = list(withdrawn)
    if not refs:
        raise BackfillError("没有给出退出者（--withdrawn 身份证号、文件名:行号或名单文件）")
    keys: list[str] = []
    problems = []
    for ref in refs:
        key = find_applicant(round_, ref)
        if key is None:
            problems.append(f"找不到退出者“{_masked_ref(ref)}”：请给出身份证号或“文件名:行号”")
        elif before[key].reason_code == WITHDRAWN:
            problems.append(f"{who(round_, key)} 已在此前的补录中退出")
        elif before[key].status not in TRAINEES:
            problems.append(
                f"{who(round_, key)} 在已发布结果中未被录取（{before[key].status.value}），"
                "不能作为退出者"
            )
        elif key not in keys:
            keys.append(key)
    if problems:
        raise BackfillError("；".join(problems))
    number = published.round_number + 1
    fixed: dict[str, Outcome] = {}
    for key, outcome in before.items():
        if key in keys:
            fixed[key] = Outcome(
                key=key,
                status=Status.UNMATCHED,
                reason_code=WITHDRAWN,
                reason=f"已退出（第{number}轮补录前；原录取培养单位：{outcome.host}）",
                remedy="",
                draw=outcome.draw,
            )
        elif outcome.status in TRAINEES or outcome.reason_code in KEPT_CODES:
            fixed[key] = outcome
    people = {a.key: a for a in round_.applicants}
    earlier = list(published.manifest.get("backfill", {}).get("withdrawn", []))
    now = [_person(people[k], before[k].host, number) for k in keys]
    notes = {
        "backfill": {
            "round": number,
            "published": {"folder": published.folder.name, "sha256": published.digests},
            "withdrawn": [*earlier, *now],
        }
    }
    result = solve_fixed(round_, fixed, notes)
    frame = placements_frame(result)
    row_keys = [f"{f}:{r}" for f, r in zip(frame["source_file"], frame["source_row"], strict=True)]
    trainee = [s.value for s in TRAINEES]
    gains = [
        s in trainee and before[k].status not in TRAINEES
        for k, s in zip(row_keys, frame["status"], strict=True)
    ]
    gained = frame[gains].copy()
    gained["reason_before"] = [before[k].reason for k, g in zip(row_keys, gains, strict=True) if g]
    gained = gained[GAINED_COLUMNS].reset_index(drop=True)
    leaving = [k in keys for k in row_keys]
    went = frame[leaving].copy()
    went["host"] = [before[k].host for k, w in zip(row_keys, leaving, strict=True) if w]
    went = went[WITHDRAWN_COLUMNS]
    listing = [
        {"key": f"{r['source_file']}:{r['source_row']}", "name": r["name"], "host": r["host"]}
        for r in gained.to_dict("records")
    ]
    manifest = {**result.manifest}
    manifest["backfill"] = {**manifest["backfill"], "gained": listing}
    result = result.model_copy(update={"manifest": manifest})
    return Backfill(result, gained, went.reset_index(drop=True), number)


def _person(person: Any, host: str | None, number: int) -> dict[str, Any]:
    from matcher.report.mask import mask_id

    return {
        "key": person.key,
        "name": person.name,
        "id": mask_id(person.id_number),
        "host": host,
        "round": number,
    }


GAINED_HEADERS = {
    "source_file": "来源文件", "source_row": "行号", "name": "姓名", "id_number": "身份证号",
    "phone": "联系方式", "region": "选派地区", "track": "培养方式", "status": "录取方式",
    "choice_rank": "录取志愿", "host": "培养单位", "reason_before": "补录前未录取原因",
}  # fmt: skip
BACKFILL_NOTICES = "backfill_notices"


def backfill_files(backfill_: Backfill) -> Any:
    """The 补录's own files of its output set, for `write_outputs(extra=…)`.

    backfill.csv (who gains and where), withdrawn.csv, backfill.xlsx (sheets 补录名单,
    退出名单, 说明) and the notification lists of the newcomers only
    (backfill_notices/按培养单位.csv and 按选派地区.csv, and while few, files per host and
    per region under backfill_notices/按培养单位/ and 按选派地区/).
    """
    from matcher.report.csvout import csv_bytes
    from matcher.report.notices import notice_files, notice_tables

    def files(data: Any) -> Any:
        yield "backfill.csv", csv_bytes(backfill_.gained)
        yield "withdrawn.csv", csv_bytes(backfill_.withdrawn)
        yield "backfill.xlsx", _book(backfill_, data.created)
        gained = backfill_.gained
        keys = set(zip(gained["source_file"], gained["source_row"], strict=True))
        trainees = data.trainees
        mine = [
            (f, r) in keys
            for f, r in zip(trainees["source_file"], trainees["source_row"], strict=True)
        ]
        tables = notice_tables(trainees[mine], data.summary["hosts"].keys(), data.region_order())
        for relative, content in notice_files(tables):
            yield f"{BACKFILL_NOTICES}/{relative.split('/', 1)[1]}", content

    return files


def _book(backfill_: Backfill, created: Any) -> bytes:
    from matcher.report.xlsx import Book, Column

    def columns(names: Sequence[str]) -> list[Column]:
        kinds = {"id_number": "id", "phone": "id"}
        return [Column(GAINED_HEADERS[n], itemgetter(n), kinds.get(n, "text")) for n in names]

    from matcher.report.frames import RANK_LABELS, STATUS_LABELS

    labels = {status.value: label for status, label in STATUS_LABELS.items()}
    gained = backfill_.gained.copy()
    gained["status"] = gained["status"].map(lambda v: labels.get(v, v))
    gained["choice_rank"] = gained["choice_rank"].map(
        lambda v: "" if pd.isna(v) else RANK_LABELS.get(int(v), str(v))
    )
    book = Book(created)
    for sheet, frame in (("补录名单", gained), ("退出名单", backfill_.withdrawn)):
        records = [
            {str(k): ("" if pd.isna(v) else v) for k, v in r.items()}
            for r in frame.to_dict("records")
        ]
        book.table(sheet, columns(list(frame.columns)), records)
    book.note_sheet(
        "说明",
        [
            f"第{backfill_.round_number}轮补录：已发布的录取结果一律不变；退出者让出的培养单位名额"
            "和所在地区名额，按本轮的匹配规则（先志愿，后调剂）安排给此前未录取的申请人。",
            f"新录取 {len(backfill_.gained)} 人，退出 {len(backfill_.withdrawn)} 人。",
        ],
    )
    return book.close()


def check_output(out: Path, published: Published) -> None:
    """Refuse an output folder that is the published folder or inside it."""
    target, source = Path(out).resolve(), published.folder.resolve()
    if target == source or source in target.parents:
        raise BackfillError(
            f"输出文件夹 {out} 位于已发布结果 {published.folder} 中：已发布的结果只读，"
            "请用 --out 指定另一个文件夹"
        )


def published_from(result: RunResult, name: str = "") -> Published:
    """A `Published` of a result in memory: what `read_published` reads of its folder."""
    import io

    from matcher.report.csvout import csv_bytes
    from matcher.report.frames import placements_frame
    from matcher.report.jsonout import result_document, result_json
    from matcher.report.summary import summarize

    summary = summarize(result)
    table = csv_bytes(placements_frame(result))
    rows = pd.read_csv(io.BytesIO(table), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    document = result_document(result, summary)
    digests = {
        "result.json": hashlib.sha256(result_json(result, summary)).hexdigest(),
        "placements.csv": hashlib.sha256(table).hexdigest(),
    }
    folder = Path(name or f"round-{result.manifest.get('backfill', {}).get('round', 1)}")
    return Published(folder, document["manifest"], document["summary"], rows, digests)
