"""Write docs/checks.md: every check, its severity and the message the user sees.

The messages are produced by running the real readers and validator on one-defect files
(the same cases as tests/ingest/test_applicants.py), so the table cannot drift from the
code. Run: .venv/bin/python docs/make_checks.py
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import xlsxwriter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matcher.forms import OFFICIAL_COLUMNS  # noqa: E402
from matcher.ingest.absent import ASSUMED_WHEN_ABSENT  # noqa: E402
from matcher.ingest.headers import label  # noqa: E402
from matcher.ingest.load import load_round  # noqa: E402
from tests.ingest.test_applicants import DEFECTS  # noqa: E402
from tests.ingest.util import HEADER, good_row, make_id, write_form  # noqa: E402

CROSS = [
    ({"拟选培养单位1": "中国农业大字"}, "unknown host (typo)"),
    ({"拟选培养单位2": "内蒙古大学"}, "a host of the other track"),
    ({"拟选培养单位2": "北京协和医院"}, "a choice that does not train the field"),
    ({"出生年月": date(1970, 1, 1), "身份证号": None}, "(ineligible, not an issue)"),
    ({"工作单位": "兴安盟\x01农牧局"}, "a control character in a cell"),
]


def _file_cases(tmp: Path) -> list[tuple[Path, Callable[[Path], object]]]:
    ident = str(good_row(1)[HEADER.index("身份证号")])
    wrong = ident[:-1] + ("0" if ident[-1] != "0" else "1")
    quotas = (ROOT / "data" / "quotas-2023.csv").read_text(encoding="utf-8")
    hosts = (ROOT / "data" / "hosts-2023.csv").read_text(encoding="utf-8").splitlines()
    first = hosts[1].split(",")
    first[3] = "两"
    first[4] = "教育、计算机、星际航行"  # 计算机 is a keyword of 信息技术; 星际航行 is no field

    def hosts_with(row: int, col: int, value: str) -> Callable[[Path], object]:
        cells = [line.split(",") for line in hosts]
        cells[row][col] = value
        text = "\n".join(",".join(line) for line in cells)
        return lambda p: p.write_text(text, encoding="utf-8")

    def stray_cell(p: Path) -> None:
        book = xlsxwriter.Workbook(str(p))
        sheet = book.add_worksheet("Sheet1")
        sheet.write(0, 0, "序号")
        sheet.write(11999, 16383, "x")
        book.close()

    footer = good_row("合计", 姓名=None, 性别=None, 民族=None, 工作单位="共1人")
    return [
        (tmp / "stray.xlsx", stray_cell),
        (tmp / "footer.xlsx", lambda p: write_form(p, [good_row(1), footer], footer=None)),
        (tmp / "hosts-big.csv", hosts_with(1, 3, str(2**31))),
        (tmp / "hosts-empty.csv", hosts_with(1, 3, "—")),
        (tmp / "hosts-alias.csv", hosts_with(1, 5, hosts[2].split(",")[0])),
        (tmp / "hosts-none.csv", lambda p: p.write_text(hosts[0] + "\n", encoding="utf-8")),
        (tmp / "checksum.xlsx", lambda p: write_form(p, [good_row(1, 身份证号=wrong)])),
        (tmp / "unreadable.xlsx", lambda p: p.write_bytes(b"PK not a workbook")),
        (tmp / "notrack.xlsx", lambda p: write_form(p, [good_row(1)], title="学员汇总表")),
        (tmp / "noregion.xlsx", lambda p: write_form(p, [good_row(1)], unit_line=None)),
        (  # the notice's 13 columns only: what a missing optional column means
            tmp / "plain.xlsx",
            lambda p: write_form(p, [good_row(1)[:13]], header=list(OFFICIAL_COLUMNS)),
        ),
        (  # pre-arrangements written in 备注: one host, then two
            tmp / "remarks.xlsx",
            lambda p: write_form(
                p,
                [
                    [*good_row(1), "已与北京大学联系并获准接收，联系人王老师"],
                    [
                        *good_row(
                            2, 姓名="巴特尔", 身份证号=make_id(date(1988, 5, 3), False, order=7)
                        ),
                        "已联系北京大学和清华大学，均同意接收",
                    ],
                ],
                header=[*HEADER, "备注"],
            ),
        ),
        (
            tmp / "quotas-bad.csv",
            lambda p: p.write_text(quotas.replace(",40,40", ",40,39"), encoding="utf-8"),
        ),
        (
            tmp / "hosts-bad.csv",
            lambda p: p.write_text(
                "\n".join([hosts[0], ",".join(first), *hosts[2:]]), encoding="utf-8"
            ),
        ),
        (
            tmp / "quotas-big.csv",
            lambda p: p.write_text(quotas.replace(",2,3", ",2147483648,3", 1), encoding="utf-8"),
        ),
    ]


def main() -> None:
    rows: dict[str, tuple[str, str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        cases = [(change, code) for change, code, _col, _sev in DEFECTS] + CROSS
        for n, (change, _code) in enumerate(cases):
            path = Path(tmp) / f"case{n}.xlsx"
            write_form(path, [good_row(1, **change)])
            for issue in load_round([path]).issues:
                if issue.file == path.name:
                    rows.setdefault(
                        issue.code, (issue.severity.value, issue.column or "", issue.message)
                    )
        for path, make in _file_cases(Path(tmp)):
            make(path)
            applicants = [path] if path.suffix == ".xlsx" else None
            hosts = path if path.name.startswith("hosts") else None
            quotas = path if path.name.startswith("quotas") else None
            for issue in load_round(applicants, hosts, quotas).issues:
                if issue.file == path.name:
                    rows.setdefault(
                        issue.code, (issue.severity.value, issue.column or "", issue.message)
                    )
        dup = Path(tmp) / "dup"
        dup.mkdir()
        write_form(dup / "a.xlsx", [good_row(1)])
        write_form(dup / "b.xlsx", [good_row(1)])
        for issue in load_round([dup]).issues:
            rows.setdefault(issue.code, (issue.severity.value, issue.column or "", issue.message))
        odd = Path(tmp) / "odd"
        odd.mkdir()
        write_form(odd / "a.xlsx", [good_row(1)])
        (odd / "sub.csv").mkdir()
        (odd / "placements.csv").write_text("source_file,source_row\n", encoding="utf-8")
        for issue in load_round([odd]).issues:
            rows.setdefault(issue.code, (issue.severity.value, issue.column or "", issue.message))
    lines = [
        "# Checks and what the user sees",
        "",
        "Generated by `docs/make_checks.py` from the real readers on one-defect files.",
        "`error` makes the row `invalid` (kept, with its reasons, in every output);",
        "`warning` is reported and the row is placed as usual.",
        "",
        "| code | severity | column | message (as shown) |",
        "|---|---|---|---|",
    ]
    for code, (severity, column, message) in sorted(rows.items()):
        lines.append(f"| `{code}` | {severity} | {column} | {message} |")
    lines += [
        "",
        "`OPTIONAL_COLUMN_MISSING` is said once per file (`row` null) for each of these",
        "columns the file lacks; after “表中没有“…”列：” the message says:",
        "",
        "| column | what is assumed, and how to supply it |",
        "|---|---|",
        *(f"| {label(key)} | {text} |" for key, text in ASSUMED_WHEN_ABSENT.items()),
    ]
    (ROOT / "docs" / "checks.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(rows)} checks written to docs/checks.md")


if __name__ == "__main__":
    main()
