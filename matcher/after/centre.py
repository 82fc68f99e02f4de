"""The 区外 track and 留学人员和专家服务中心: the export for the centre, the import of its answer.

Contract: `centre_mode(round_)` is the round as the centre track reads it: a 区外 choice
missing from the catalogue is a warning, not an error, so the applicant's other choices
stand (the centre may know hosts the catalogue lacks). `export_rows(result)` /
`export_book(result)` list the approved 区外 applicants (valid and eligible) with their
choices, 调剂意愿, pre-arrangement (预先接收单位, 备注 with its contacts) and the
department's proposed placement, with empty answer columns for the centre. `read_answer(
path, round_)` reads the centre's answer (身份证号, else 来源 ``file:row``, else 姓名 → host, or
未接收) and returns the decided outcomes, or raises `CentreError` with every problem at
once (row numbers as Excel shows them). `solve_centre` fixes them for the rest of the round.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

from matcher.engine.result import Outcome, RunResult
from matcher.model import Issue, Round, Severity, Status, Track
from matcher.whatif.fixed import TRAINEES

CENTRE = "人力资源社会保障部留学人员和专家服务中心"
CENTRE_PLACED, CENTRE_DECLINED = "CENTRE", "CENTRE_DECLINED"
ANSWER_HOST, ANSWER_VERDICT, ANSWER_NOTE = "中心确定培养单位", "中心意见", "中心备注"
DECLINED_WORDS = ("未接收", "不接收", "放弃", "不予接收", "拒绝", "declined", "否")
EXPORT_COLUMNS = {
    "number": "序号", "name": "姓名", "gender": "性别", "ethnicity": "民族",
    "id_number": "身份证号", "region": "选派地区", "employer": "工作单位",
    "profession": "从事专业", "title": "职称", "education": "学历及毕业年限",
    "phone": "联系方式(手机号码)", "choice_1": "拟选培养单位1", "choice_2": "拟选培养单位2",
    "choice_3": "拟选培养单位3", "accepts": "是否接受调剂", "prearranged": "预先接收单位",
    "remark": "备注（预先接收联系人等）", "proposed": "厅拟安排培养单位", "how": "拟安排方式",
    "key": "来源（文件:行）", "answer_host": ANSWER_HOST, "answer_verdict": ANSWER_VERDICT,
    "answer_note": ANSWER_NOTE,
}  # fmt: skip
_ALIASES = {
    "id": ("身份证号", "身份证号码", "id_number"),
    "key": ("来源（文件:行）", "来源", "key"),
    "name": ("姓名", "name"),
    "host": (ANSWER_HOST, "培养单位", "host"),
    "verdict": (ANSWER_VERDICT, "是否接收", "verdict"),
}


class CentreError(ValueError):
    """The centre's answer cannot be used: `issues` names each row and column."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues = tuple(issues)
        super().__init__("；".join(f"{i.file} 第{i.row or '?'}行：{i.message}" for i in issues))


def centre_mode(round_: Round) -> Round:
    """`round_` with a 区外 applicant's unknown choice (HOST_UNKNOWN) a warning, not an error."""
    note = "（区外由留学人员和专家服务中心安排：此志愿交中心处理，其余志愿照常）"

    def softened(issue: Issue, track: Track | None) -> Issue:
        if issue.code != "HOST_UNKNOWN" or track is not Track.OUT:
            return issue
        return issue.model_copy(
            update={"severity": Severity.WARNING, "message": issue.message + note}
        )

    track_of = {(a.source_file, a.source_row): a.track for a in round_.applicants}
    people = tuple(
        a.model_copy(update={"problems": tuple(softened(p, a.track) for p in a.problems)})
        if any(p.code == "HOST_UNKNOWN" for p in a.problems)
        else a
        for a in round_.applicants
    )
    issues = tuple(softened(i, track_of.get((i.file, i.row or 0))) for i in round_.issues)
    return round_.model_copy(update={"applicants": people, "issues": issues})


def export_rows(result: RunResult) -> list[dict[str, Any]]:
    """One row per approved 区外 applicant (input order): `EXPORT_COLUMNS`' keys."""
    from matcher.report.frames import RANK_LABELS

    rows: list[dict[str, Any]] = []
    for person, outcome in zip(result.round.applicants, result.outcomes, strict=True):
        if person.track is not Track.OUT or outcome.status in (Status.INVALID, Status.INELIGIBLE):
            continue
        choices = [*person.choices, "", "", ""][:3]
        if outcome.status is Status.ADJUSTED:
            how = "调剂"
        elif outcome.status is Status.PLACED:
            how = RANK_LABELS.get(outcome.choice_rank or 0, "预先接收")
        else:
            how = "未安排：" + outcome.reason
        education = person.education_text or ""
        rows.append(
            {
                "number": len(rows) + 1,
                "name": person.name,
                "gender": person.gender or "",
                "ethnicity": person.ethnicity or "",
                "id_number": person.id_number or "",
                "region": person.region or "",
                "employer": person.employer or "",
                "profession": person.profession or "",
                "title": person.title or "",
                "education": education,
                "phone": person.phone or "",
                "choice_1": choices[0],
                "choice_2": choices[1],
                "choice_3": choices[2],
                "accepts": "是" if person.accepts_adjustment else "否",
                "prearranged": person.prearranged or "",
                "remark": person.remark or "",
                "proposed": outcome.host or "",
                "how": how,
                "key": person.key,
                "answer_host": "",
                "answer_verdict": "",
                "answer_note": "",
            }
        )
    return rows


def export_book(result: RunResult) -> bytes:
    """The workbook for the centre: sheets 区外学员 and 说明 (no live formulas)."""
    from matcher.report.xlsx import Book, Column

    kinds = {"id_number": "id", "phone": "id"}
    columns = [
        Column(header, itemgetter(key), kinds.get(key, "text"))
        for key, header in EXPORT_COLUMNS.items()
    ]
    book = Book(datetime(result.round.year, 1, 1))
    book.table("区外学员", columns, export_rows(result))
    book.note_sheet(
        "说明",
        [
            f"{result.round.year}年度特培计划区外培养：经审核符合条件的申请人，请{CENTRE}安排培养单位。",
            "“厅拟安排培养单位”是自治区人力资源和社会保障厅按志愿和调剂意愿提出的建议。",
            f"请在“{ANSWER_HOST}”填写确定的培养单位全称；不能安排的，在“{ANSWER_VERDICT}”"
            "填“未接收”。两列都空的，视为尚未答复。请勿修改身份证号和“来源”列。",
        ],
    )
    return book.close()


def _issue(file: str, row: int | None, column: str, code: str, message: str) -> Issue:
    return Issue(
        file=file, row=row, column=column, code=code, severity=Severity.ERROR, message=message
    )


def read_answer(path: Path, round_: Round) -> dict[str, Outcome]:
    """The centre's answer as decided outcomes (key → `Outcome`); raises `CentreError`.

    Checks, all at once: unreadable file or no such columns; unknown person; a person
    who is not an approved 区外 applicant; a person answered twice; unknown host or a
    host of the other track; a host over its capacity; a region over its 区外 quota.
    """
    from matcher.engine.judge import judge
    from matcher.ingest.catalogue import find_columns
    from matcher.ingest.problems import TableError
    from matcher.ingest.sheets import read_sheets
    from matcher.ingest.text import cell_text

    file = path.name
    try:
        sheets = read_sheets(path)
    except (TableError, OSError) as exc:
        raise CentreError([_issue(file, None, "", "CENTRE_UNREADABLE", str(exc))]) from None
    found = find_columns(sheets, _ALIASES, "host") or find_columns(sheets, _ALIASES, "verdict")
    if found is None or not ({"id", "key", "name"} & set(found[2])):
        raise CentreError(
            [
                _issue(
                    file,
                    None,
                    "",
                    "CENTRE_COLUMNS_MISSING",
                    f"找不到“{ANSWER_HOST}”（或“{ANSWER_VERDICT}”）列和“身份证号”（或“来源”“姓名”）"
                    "列：请使用 matcher centre export 导出的表格填写",
                )
            ]
        )
    sheet, header, columns = found
    people = {a.key: a for a in round_.applicants}
    excluded = judge(round_).excluded
    by_id = {a.id_number.upper(): a.key for a in round_.applicants if a.id_number}
    names = Counter(a.name for a in round_.applicants if a.track is Track.OUT)
    by_name = {a.name: a.key for a in round_.applicants if a.track is Track.OUT}
    issues: list[Issue] = []
    out: dict[str, Outcome] = {}
    rows_of: dict[str, int] = {}

    def cell(row: Sequence[object], name: str) -> str:
        if name not in columns or columns[name][0] >= len(row):
            return ""
        return cell_text(row[columns[name][0]]).strip()

    for index in range(header + 1, len(sheet.rows)):
        row, number = sheet.rows[index], index + 1
        host_text, verdict = cell(row, "host"), cell(row, "verdict")
        ident, ref, name = cell(row, "id").upper(), cell(row, "key"), cell(row, "name")
        if not (host_text or verdict):
            continue
        key: str | None = None
        if ident:
            key = by_id.get(ident)
        elif ref:
            key = ref if ref in people else None
        elif name and names[name] == 1:
            key = by_name.get(name)
        column = "身份证号" if ident else "来源" if ref else "姓名"
        if key is None:
            from matcher.report.mask import mask_id

            shown = mask_id(ident) if ident else ref or name
            issues.append(
                _issue(file, number, column, "CENTRE_PERSON_UNKNOWN",
                       f"找不到申请人“{shown}”：请核对身份证号（或来源、姓名）与导出表一致")
            )  # fmt: skip
            continue
        person = people[key]
        if person.track is not Track.OUT or key in excluded:
            issues.append(
                _issue(file, number, column, "CENTRE_NOT_APPROVED",
                       f"{person.name} 不是经审核符合条件的区外申请人，不能由中心安排")
            )  # fmt: skip
            continue
        if key in rows_of:
            issues.append(
                _issue(file, number, column, "CENTRE_DUPLICATE",
                       f"{person.name} 在第{rows_of[key]}行已有答复：每人只保留一行")
            )  # fmt: skip
            continue
        rows_of[key] = number
        declined = any(w in (host_text or verdict).lower() for w in DECLINED_WORDS) and not (
            host_text and round_.catalogue.resolve(host_text)
        )
        if declined:
            note = f"{CENTRE}答复：未接收" + (f"（{verdict}）" if verdict and host_text else "")
            out[key] = Outcome(key=key, status=Status.UNMATCHED, reason_code=CENTRE_DECLINED,
                               reason=note, remedy="可在补录中安排他人")  # fmt: skip
            continue
        host = round_.catalogue.resolve(host_text)
        if host is None:
            issues.append(
                _issue(file, number, ANSWER_HOST, "CENTRE_HOST_UNKNOWN",
                       f"培养单位“{host_text}”不在培养单位名录中：请写名录中的全称，"
                       "或先把该单位（及接收名额）加入培养单位名录")
            )  # fmt: skip
            continue
        if host.track is not Track.OUT:
            issues.append(
                _issue(file, number, ANSWER_HOST, "CENTRE_HOST_OTHER_TRACK",
                       f"“{host.name}”是区内培养单位，中心只安排区外培养")
            )  # fmt: skip
            continue
        resolved = [round_.catalogue.resolve(c) for c in person.choices]
        rank = next((r + 1 for r, h in enumerate(resolved) if h and h.name == host.name), None)
        out[key] = Outcome(
            key=key, status=Status.PLACED if rank else Status.ADJUSTED, host=host.name,
            choice_rank=rank, reason_code=CENTRE_PLACED, reason=f"{CENTRE}确定",
        )  # fmt: skip
    issues += _over(file, round_, out, rows_of)
    if issues:
        raise CentreError(issues)
    return out


def _over(
    file: str, round_: Round, out: dict[str, Outcome], rows_of: dict[str, int]
) -> list[Issue]:
    """A host over its capacity and a region over its 区外 quota, at the rows that overfill."""
    people = {a.key: a for a in round_.applicants}
    issues = []
    for what, name_of, limit_of, code in (
        ("培养单位", lambda k: out[k].host, lambda n: round_.catalogue.resolve(n).capacity,  # type: ignore[union-attr]
         "CENTRE_HOST_FULL"),
        ("地区", lambda k: people[k].region, lambda n: round_.quotas.places(n, Track.OUT),
         "CENTRE_QUOTA_FULL"),
    ):  # fmt: skip
        groups: dict[str, list[str]] = {}
        for key in sorted(out, key=rows_of.__getitem__):
            if out[key].status in TRAINEES:
                groups.setdefault(str(name_of(key)), []).append(key)
        for name, keys in groups.items():
            limit = limit_of(name)
            if len(keys) > limit:
                rows = "、".join(str(rows_of[k]) for k in keys)
                issues.append(
                    _issue(
                        file, rows_of[keys[limit]], ANSWER_HOST, code,
                        f"{what}“{name}”的区外名额为 {limit} 个，中心答复安排了 {len(keys)} 人"
                        f"（第{rows}行）：请减少安排，或先增加名额",
                    )
                )  # fmt: skip
    return issues


def solve_centre(round_: Round, answer: Path, overrides: Sequence[Any] = ()) -> RunResult:
    """Solve `round_` (in `centre_mode`) with the centre's answer fixed; raises `CentreError`.

    `overrides` (`matcher.whatif.overrides.Override`) are decided too, each with its cost.
    """
    from matcher.whatif.overrides import solve_overrides

    round_ = centre_mode(round_)
    fixed = read_answer(answer, round_)
    digest = hashlib.sha256(answer.read_bytes()).hexdigest()
    placed = sum(o.status in TRAINEES for o in fixed.values())
    note = {"answer": answer.name, "sha256": digest, "placed": placed,
            "declined": len(fixed) - placed}  # fmt: skip
    result = solve_overrides(round_, overrides, fixed=fixed)
    return result.model_copy(update={"manifest": {**result.manifest, "centre": note}})
