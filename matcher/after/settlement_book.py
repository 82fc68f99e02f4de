"""The settlement's files: ``settlement.xlsx`` (printable) and ``settlement.csv``.

settlement.xlsx sheets: 学员生活补贴 (one row per trainee with months, allowance, budget
and the difference, and a 合计 row), 按收款方 (the three payees: budget and settled),
按培养单位 (what each host is paid: tuition and lodging), each printable with its note
at the foot. settlement.csv: the
trainee table with Chinese headers (UTF-8 with BOM, as placements.csv). Both hold full
身份证号: they are the department's own payment records.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from matcher.after.settle import PAYEE_COLUMNS, PAYEE_HEADERS, TRAINEE_HEADERS, Settlement
from matcher.report.csvout import csv_bytes
from matcher.report.printed import PrintBook, PrintColumn

_TRAINEE_WIDTHS = {
    "name": 9,
    "id_number": 20,
    "region": 11,
    "sending_unit": 11,
    "track": 6,
    "host": 20,
    "result": 7,
    "months": 7,
    "living_per_month": 8,
    "living": 10,
    "budget_living": 10,
    "difference": 10,
    "source_row": 7,
}
_NUMBERS = {"months", "living_per_month", "living", "budget_living", "difference"}
TRAINEE_PRINT = [
    PrintColumn("序号", "seq", 5, centre=True),
    *(
        PrintColumn(TRAINEE_HEADERS[key], key, width, key in _NUMBERS)
        for key, width in _TRAINEE_WIDTHS.items()
    ),
]
PAYEE_PRINT = [
    PrintColumn(PAYEE_HEADERS[key], key, 40 if key == "payee" else 12, key not in ("payee", "item"))
    for key in PAYEE_COLUMNS
]
HOST_PRINT = [
    PrintColumn("培养单位", "host", 36),
    PrintColumn("培养方式", "track", 9),
    PrintColumn("人数", "trainees", 8, True),
    PrintColumn("学费住宿费（元）", "tuition_lodging", 16, True),
]


def _str_keys(record: dict[Any, Any]) -> dict[str, Any]:
    return {str(k): v for k, v in record.items()}


def settlement_files(settlement: Settlement) -> dict[str, bytes]:
    """Relative path → bytes: settlement.xlsx and settlement.csv."""
    people = settlement.trainees
    rows = [{"seq": i + 1, **_str_keys(r)} for i, r in enumerate(people.to_dict("records"))]
    total: dict[str, Any] = {"seq": "合计", "name": f"{len(rows)}人"}
    for key in ("living", "budget_living", "difference"):
        total[key] = int(people[key].sum())
    book = PrintBook(datetime(settlement.year, 1, 1))
    title = f"{settlement.year}年度特培计划经费结算"
    line = f"依据：{settlement.months_file}（实际培训月数）"
    book.sheet(
        "学员生活补贴",
        f"{title}：学员生活补贴",
        line,
        TRAINEE_PRINT,
        rows,
        ("生活补贴结业考核合格后按实际培训时间发放；未结业、未通过者不发放。",),
        total=total,
    )
    payees = [_str_keys(r) for r in settlement.payees.to_dict("records")]
    payee_total: dict[str, Any] = {"payee": "合计"}
    for key in ("budget", "settled", "difference"):
        payee_total[key] = int(settlement.payees[key].sum())
    book.sheet(
        "按收款方",
        f"{title}：按收款方",
        line,
        PAYEE_PRINT,
        payees,
        (
            "学费和住宿费直接汇至培养单位，管理费汇至人力资源社会保障部留学人员和专家服务中心，"
            "均按每人每年标准；生活补贴按实际培训月数结算。",
        ),
        total=payee_total,
    )
    hosts = [_str_keys(r) for r in settlement.hosts.to_dict("records")]
    host_total: dict[str, Any] = {"host": "合计"}
    for key in ("trainees", "tuition_lodging"):
        host_total[key] = int(settlement.hosts[key].sum())
    book.sheet(
        "按培养单位",
        f"{title}：按培养单位",
        line,
        HOST_PRINT,
        hosts,
        ("各培养单位只收学费和住宿费（不含管理费和生活补贴）。",),
        total=host_total,
    )
    frame = people.rename(columns=TRAINEE_HEADERS)
    return {"settlement.xlsx": book.close(), "settlement.csv": csv_bytes(frame)}
