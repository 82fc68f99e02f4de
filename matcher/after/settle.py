"""The year-end settlement (年终结算): each trainee's living allowance and the totals per payee.

Contract: `settle(run, months_file)` takes a published run folder (`matcher.report.rundir`) and a
table of months actually trained — columns 姓名 and/or 身份证号, and 培训月数 (also
实际培训月数, 月数, months) holding a whole number 0–12, or 未结业 / 未通过 (no allowance:
the notice pays it only after passing). It returns a `Settlement`, or raises
`SettleError` listing every problem at once (file, row, column, stable code, a Chinese
message with the fix). Every trainee of the run must appear exactly once; a person is
found by 身份证号 when the row has one, else by 姓名 (which must then be unique among
the trainees).

Amounts by the run's rates (result.json ``summary.funding.rates``): allowance = months ×
the track's monthly rate; tuition and lodging (to the host) and the management fee (to the
centre) are the year's amounts per trainee, as budgeted. The budget column is the run's
(``summary.funding.months``, 12 unless ``--months``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from matcher.ingest.catalogue import find_columns
from matcher.ingest.problems import TableError
from matcher.ingest.sheets import read_sheets
from matcher.ingest.text import cell_text, clean_name, is_blank, shorten
from matcher.model import Issue, Severity
from matcher.report.funding import PAYEES, notice_rates
from matcher.report.rundir import RunFolder

MONTHS_COLUMNS: dict[str, tuple[str, ...]] = {
    "months": ("培训月数", "实际培训月数", "月数", "培训时间", "months"),
    "name": ("姓名", "name"),
    "id_number": ("身份证号", "身份证号码", "id_number"),
}
NOT_PASSED = {"未结业": "未结业", "未通过": "未通过", "不合格": "未通过", "未合格": "未通过"}
PASSED = "合格"
MAX_MONTHS = 12
_MONTHS = re.compile(r"^(\d+)(?:\.0+)?(?:个月|月)?$")

#: Column keys of `Settlement.trainees`, in order.
TRAINEE_COLUMNS = [
    "name",
    "id_number",
    "region",
    "sending_unit",
    "track",
    "host",
    "result",
    "months",
    "living_per_month",
    "living",
    "budget_living",
    "difference",
    "source_row",
]
#: Their Chinese headers (the workbook and the CSV).
TRAINEE_HEADERS = {
    "name": "姓名",
    "id_number": "身份证号",
    "region": "选派地区",
    "sending_unit": "选派单位",
    "track": "培养方式",
    "host": "培养单位",
    "result": "结业情况",
    "months": "实际培训月数",
    "living_per_month": "每月标准（元）",
    "living": "生活补贴（元）",
    "budget_living": "预算（元）",
    "difference": "结余（元）",
    "source_row": "结算表行号",
}
PAYEE_COLUMNS = ["payee", "item", "trainees", "budget", "settled", "difference"]
PAYEE_HEADERS = {
    "payee": "收款方",
    "item": "项目",
    "trainees": "人数",
    "budget": "预算（元）",
    "settled": "结算（元）",
    "difference": "结余（元）",
}
ITEM_NAMES = {"tuition_lodging": "学费住宿费", "management": "管理费", "living": "生活补贴"}


class SettleError(ValueError):
    """The months file cannot be settled against the run; `issues` lists every problem."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__(f"{len(issues)} problem(s) in the months file")
        self.issues = issues


@dataclass(frozen=True)
class Settlement:
    """The settlement of one run: per trainee, per payee, per host (DataFrames)."""

    trainees: pd.DataFrame
    payees: pd.DataFrame
    hosts: pd.DataFrame
    year: int
    months_file: str
    warnings: list[Issue] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Everything settled: the payees' sum."""
        return int(self.payees["settled"].sum())


@dataclass(frozen=True)
class _Row:
    number: int
    name: str
    id_number: str
    months: object


def _issue(
    file: str, row: int | None, column: str | None, code: str, message: str, warn: bool = False
) -> Issue:
    severity = Severity.WARNING if warn else Severity.ERROR
    return Issue(file=file, row=row, column=column, code=code, severity=severity, message=message)


def _mask(id_number: str) -> str:
    return id_number[:4] + "*" * max(len(id_number) - 8, 0) + id_number[-4:]


def read_months(path: Path) -> tuple[list[_Row], dict[str, str], list[Issue]]:
    """The rows of a months file, the headers as written (key → text), and file problems."""
    file = path.name
    try:
        sheets = read_sheets(path)
    except TableError as exc:
        return [], {}, [_issue(file, None, None, "SETTLE_FILE_UNREADABLE", str(exc))]
    found = find_columns(sheets, MONTHS_COLUMNS, "months")
    if found is None:
        message = "没有找到结算表的表头：请用“姓名”或“身份证号”列，加“培训月数”列（0–12 或 未结业）"
        return [], {}, [_issue(file, None, None, "SETTLE_HEADER_NOT_FOUND", message)]
    sheet, head, cols = found
    rows = []
    for index in range(head + 1, len(sheet.rows)):
        row = sheet.rows[index]
        if all(is_blank(v) for v in row):
            continue

        def get(key: str, row: Any = row) -> object:
            at = cols.get(key, (-1, ""))[0]
            return row[at] if 0 <= at < len(row) else None

        rows.append(
            _Row(
                number=index + 1,
                name=clean_name(cell_text(get("name"))),
                id_number=clean_name(cell_text(get("id_number"))).lstrip("'").upper(),
                months=get("months"),
            )
        )
    return rows, {key: text for key, (_, text) in cols.items()}, []


def parse_months(value: object) -> int | str | None:
    """A whole number of months 0–12, a `NOT_PASSED` word (its label), or None (invalid)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if value != value or not float(value).is_integer():
            return None
        number = int(value)
    else:
        text = clean_name(cell_text(value))
        if text in NOT_PASSED:
            return NOT_PASSED[text]
        match = _MONTHS.match(text)
        if match is None:
            return None
        number = int(match.group(1))
    return number if 0 <= number <= MAX_MONTHS else None


def settle(run: RunFolder, months_file: Path) -> Settlement:
    """Settle `run` with the months of `months_file` (see the module docstring)."""
    months_file = Path(months_file)
    file = months_file.name
    rows, headers, issues = read_months(months_file)
    if issues:
        raise SettleError(issues)
    trainees = run.trainees()
    by_id: dict[str, list[int]] = {}
    by_name: dict[str, list[int]] = {}
    names = [clean_name(n) for n in trainees["name"]]
    for i, (name, number) in enumerate(zip(names, trainees["id_number"].str.upper(), strict=True)):
        if number:
            by_id.setdefault(number, []).append(i)
        by_name.setdefault(name, []).append(i)
    everyone = {clean_name(n) for n in run.placements["name"]}
    everyone_ids = {n.upper() for n in run.placements["id_number"] if n}
    months_header = headers.get("months", "培训月数")
    seen: dict[int, int] = {}
    months: dict[int, int | str] = {}
    source_rows: dict[int, int] = {}
    warnings: list[Issue] = []
    for row in rows:
        who = _find(
            row, by_id, by_name, names, everyone, everyone_ids, headers, file, issues, warnings
        )
        value = parse_months(row.months)
        if value is None:
            written = shorten(clean_name(cell_text(row.months))) or "（空）"
            issues.append(
                _issue(
                    file,
                    row.number,
                    months_header,
                    "SETTLE_MONTHS_INVALID",
                    f"培训月数“{written}”无效：请填写0到{MAX_MONTHS}之间的整数月数，"
                    "或“未结业”“未通过”",
                )
            )
        if who is None:
            continue
        if who in seen:
            issues.append(
                _issue(
                    file,
                    row.number,
                    headers.get("id_number") or headers.get("name"),
                    "SETTLE_DUPLICATE",
                    f"{trainees['name'][who]}已在第{seen[who]}行出现：每名学员只填一行，"
                    "请删除重复的行",
                )
            )
            continue
        seen[who] = row.number
        if value is not None:
            months[who] = value
            source_rows[who] = row.number
    for i in range(len(trainees)):
        if i not in seen:
            issues.append(
                _issue(
                    file,
                    None,
                    None,
                    "SETTLE_TRAINEE_MISSING",
                    f"结算表中没有学员{trainees['name'][i]}（{trainees['track'][i]}，"
                    f"{trainees['host'][i]}）：请补上一行，填写培训月数或“未结业”",
                )
            )
    if issues:
        raise SettleError(issues)
    return _settlement(run, trainees, months, source_rows, file, warnings)


def _find(
    row: _Row,
    by_id: Mapping[str, list[int]],
    by_name: Mapping[str, list[int]],
    names: list[str],
    everyone: set[str],
    everyone_ids: set[str],
    headers: Mapping[str, str],
    file: str,
    issues: list[Issue],
    warnings: list[Issue],
) -> int | None:
    """The trainee a row names (their index), or None with the problem recorded."""
    if row.id_number:
        column = headers.get("id_number", "身份证号")
        if len(by_id.get(row.id_number, ())) > 1:  # a run keeps duplicates only as invalid
            issues.append(
                _issue(
                    file,
                    row.number,
                    column,
                    "SETTLE_AMBIGUOUS_ID",
                    f"身份证号{_mask(row.id_number)}对应多名学员：请核对本轮结果中的重复身份证号",
                )
            )
            return None
        if row.id_number in by_id:
            who = by_id[row.id_number][0]
            if row.name and row.name != names[who]:
                warnings.append(
                    _issue(
                        file,
                        row.number,
                        headers.get("name", "姓名"),
                        "SETTLE_NAME_MISMATCH",
                        f"身份证号{_mask(row.id_number)}属于“{shorten(names[who])}”，"
                        f"表中姓名为“{shorten(row.name)}”：已按身份证号结算，请核对姓名",
                        warn=True,
                    )
                )
            return who
        code = "SETTLE_NOT_TRAINEE" if row.id_number in everyone_ids else "SETTLE_UNKNOWN_PERSON"
        what = "未被录取，不是本轮学员" if code == "SETTLE_NOT_TRAINEE" else "不在本轮结果中"
        issues.append(
            _issue(
                file,
                row.number,
                column,
                code,
                f"身份证号{_mask(row.id_number)}{what}：请核对身份证号，或删除该行",
            )
        )
        return None
    column = headers.get("name", "姓名")
    if not row.name:
        issues.append(
            _issue(
                file,
                row.number,
                column,
                "SETTLE_PERSON_MISSING",
                "该行没有姓名和身份证号：请填写学员的身份证号（或姓名）",
            )
        )
        return None
    found = by_name.get(row.name, [])
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        issues.append(
            _issue(
                file,
                row.number,
                column,
                "SETTLE_AMBIGUOUS_NAME",
                f"有{len(found)}名学员名为“{shorten(row.name)}”：请加“身份证号”列区分",
            )
        )
        return None
    code = "SETTLE_NOT_TRAINEE" if row.name in everyone else "SETTLE_UNKNOWN_PERSON"
    what = "未被录取，不是本轮学员" if code == "SETTLE_NOT_TRAINEE" else "不在本轮学员中"
    issues.append(
        _issue(
            file,
            row.number,
            column,
            code,
            f"“{shorten(row.name)}”{what}：请核对姓名（或改用身份证号），或删除该行",
        )
    )
    return None


def _rates(run: RunFolder) -> dict[str, dict[str, int]]:
    recorded = run.funding.get("rates")
    if isinstance(recorded, dict) and recorded:
        return {str(t): {k: int(v) for k, v in r.items()} for t, r in recorded.items()}
    return {
        t.value: {
            "tuition_lodging": r.tuition_lodging,
            "management": r.management,
            "living_per_month": r.living_per_month,
        }
        for t, r in notice_rates().items()
    }


def _settlement(
    run: RunFolder,
    trainees: pd.DataFrame,
    months: Mapping[int, int | str],
    source_rows: Mapping[int, int],
    file: str,
    warnings: list[Issue],
) -> Settlement:
    rates = _rates(run)
    budget_months = int(run.funding.get("months", 12))
    records = []
    for i in range(len(trainees)):
        rate = rates.get(trainees["track"][i], {"living_per_month": 0})
        value = months[i]
        trained = value if isinstance(value, int) else 0
        living = trained * rate["living_per_month"]
        budget = budget_months * rate["living_per_month"]
        records.append(
            {
                "name": trainees["name"][i],
                "id_number": trainees["id_number"][i],
                "region": trainees["region"][i],
                "sending_unit": trainees.get("sending_unit", trainees["region"])[i]
                or trainees["region"][i],
                "track": trainees["track"][i],
                "host": trainees["host"][i],
                "result": PASSED if isinstance(value, int) else value,
                "months": trained,
                "living_per_month": rate["living_per_month"],
                "living": living,
                "budget_living": budget,
                "difference": budget - living,
                "source_row": source_rows[i],
            }
        )
    people = pd.DataFrame(records, columns=TRAINEE_COLUMNS)
    tracks = list(people["track"])
    payees = []
    for item, who in PAYEES.values():
        if item == "living":
            budget = int(people["budget_living"].sum())
            settled = int(people["living"].sum())
            count = int((people["result"] == PASSED).sum())
        else:
            per = [rates.get(t, {}).get(item, 0) for t in tracks]
            budget = settled = int(sum(per))
            count = sum(1 for p in per if p > 0)
        payees.append(
            {
                "payee": who,
                "item": ITEM_NAMES[item],
                "trainees": count,
                "budget": budget,
                "settled": settled,
                "difference": budget - settled,
            }
        )
    hosts: dict[tuple[str, str], list[int]] = {}
    for host, track in zip(people["host"], tracks, strict=True):
        mine = hosts.setdefault((host, track), [0, 0])
        mine[0] += 1
        mine[1] += rates.get(track, {}).get("tuition_lodging", 0)
    host_frame = pd.DataFrame(
        [
            {"host": h, "track": t, "trainees": n, "tuition_lodging": paid}
            for (h, t), (n, paid) in hosts.items()
        ],
        columns=["host", "track", "trainees", "tuition_lodging"],
    )
    return Settlement(
        trainees=people,
        payees=pd.DataFrame(payees, columns=PAYEE_COLUMNS),
        hosts=host_frame,
        year=run.year,
        months_file=file,
        warnings=warnings,
    )
