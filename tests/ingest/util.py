"""Builders of small department files for the ingest tests."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import xlsxwriter
from hypothesis import HealthCheck, settings
from stdnum.cn import ric

from matcher.ingest.vocab import Vocabulary
from matcher.model import TitleGrade

HEADER = ["序号", "姓名", "性别", "民族", "出生年月", "工作单位", "参加工作时间", "从事专业",
          "学历及毕业年限", "职称", "联系方式(手机号码)", "拟选培养单位1", "拟选培养单位2",
          "身份证号", "是否接受调剂", "是否基层", "单位性质", "健康状况"]
REFERENCE = date(2023, 3, 20)


def make_id(birth: date, male: bool, prefix: str = "150102", order: int = 12) -> str:
    body = f"{prefix}{birth:%Y%m%d}{order:02d}{1 if male else 2}"
    return body + ric.calc_check_digit(body + "0")


def good_row(seq: int = 1, **change: object) -> list[object]:
    values: dict[str, object] = {
        "序号": seq, "姓名": "乌 日 娜", "性别": "女", "民族": "蒙古族", "出生年月": "1988.05",
        "工作单位": "兴安盟  农牧局", "参加工作时间": "2010.07", "从事专业": "畜牧兽医",
        "学历及毕业年限": "硕士研究生 2010年毕业", "职称": "高级畜牧师",
        "联系方式(手机号码)": "13812345678", "拟选培养单位1": "中国农业大学",
        "拟选培养单位2": "内蒙古农业大学", "身份证号": make_id(date(1988, 5, 3), male=False),
        "是否接受调剂": "是", "是否基层": "否", "单位性质": "事业单位", "健康状况": "无",
    }
    values.update(change)
    return [values[h] for h in HEADER]


def vocab() -> Vocabulary:
    return Vocabulary(
        {"高级畜牧师": TitleGrade.ASSOCIATE_SENIOR, "畜牧师": TitleGrade.INTERMEDIATE,
         "正高级畜牧师": TitleGrade.SENIOR, "主治医师": TitleGrade.INTERMEDIATE},
        {"畜牧": "畜牧兽医", "兽医": "畜牧兽医", "临床医学": "医疗卫生", "计算机": "信息技术"},
    )


def write_form(
    path: Path,
    rows: Sequence[Sequence[object]],
    *,
    title: str = "2023年度“内蒙古少数民族地区专业技术人才特培计划”学员汇总表（区外培养）",
    unit_line: str | None = "填表单位：兴安盟人力资源和社会保障局      填表时间：2023年3月10日",
    header: Sequence[str] = HEADER,
    sheet: str = "Sheet1",
    footer: str | None = "备注：区外培养学员和区内培养学员分开填报。",
    instructions: bool = True,
    id_as_number: bool = False,
) -> dict[str, int]:
    """Write a 附件3 workbook; return the Excel row numbers of the data rows (name → row)."""
    book = xlsxwriter.Workbook(str(path))
    if instructions:
        book.add_worksheet("填表说明").write(0, 0, "填表说明：请按要求填写")
    ws = book.add_worksheet(sheet)
    fmt = book.add_format({"bold": True})
    ws.merge_range(0, 0, 0, len(header) - 1, title, fmt)
    r = 1
    if unit_line is not None:
        ws.write(1, 0, unit_line)
        r = 2
    for c, h in enumerate(header):
        ws.write(r, c, h)
    placed: dict[str, int] = {}
    for row in rows:
        r += 1
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, date):
                ws.write_datetime(r, c, v, book.add_format({"num_format": "yyyy.mm"}))
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                ws.write_number(r, c, v)
            elif id_as_number and header[c] == "身份证号" and str(v).isdigit():
                ws.write_number(r, c, int(str(v)))
            else:
                ws.write_string(r, c, str(v))
        placed[str(row[1])] = r + 1
    if footer:
        ws.write(r + 2, 0, footer)
    book.close()
    return placed


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]],
              encoding: str = "utf-8-sig") -> None:
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


#: The optional columns whose absence a file-level OPTIONAL_COLUMN_MISSING notice names.
OUTCOME_COLUMNS = ("是否接受调剂", "身份证号", "是否基层", "单位性质", "健康状况")


def sample_column_notices(folder: Path) -> set[tuple[str, None, str, str]]:
    """(file, None, column, OPTIONAL_COLUMN_MISSING) for each outcome column a workbook lacks.

    Read independently of matcher: the header is the first row with a 姓名 cell, its
    cells compared without whitespace.
    """
    from python_calamine import CalamineWorkbook

    expected = set()
    for path in sorted(folder.glob("*.xlsx")):
        book = CalamineWorkbook.from_path(str(path))
        headers: set[str] = set()
        for name in book.sheet_names:
            for row in book.get_sheet_by_name(name).to_python():
                texts = {"".join(str(c).split()) for c in row}
                if "姓名" in texts:
                    headers |= texts
                    break
        expected |= {(path.name, None, c, "OPTIONAL_COLUMN_MISSING")
                     for c in OUTCOME_COLUMNS if c not in headers}
    return expected


def read_one(path: Path):  # type: ignore[no-untyped-def]
    """`read_applicants` of one file with the test vocabulary on `REFERENCE`."""
    from matcher.ingest import read_applicants

    return read_applicants(path, vocab(), REFERENCE)
