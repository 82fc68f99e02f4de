"""The bundled reference tables (hosts, quotas): minimal loaders and their workbook copies.

The loaders here serve the generator only (the readers proper live in `matcher.ingest`);
they read the bundled CSV files, whose layout the contract fixes.
"""

from __future__ import annotations

import csv
import re
from datetime import datetime
from pathlib import Path

import xlsxwriter

from matcher.model import Host, HostCatalogue, Quota, QuotaTable, Track
from matcher.paths import data_dir

YEAR = 2023
FIXED_CREATED = datetime(2023, 3, 18, 9, 0, 0)
QUOTAS_TITLE = f"{YEAR}年度“内蒙古少数民族地区专业技术人才特培计划”学员名额分配表"
_SPLIT = re.compile(r"[、;；,，]")


def hosts_path(year: int = YEAR) -> Path:
    """Return the path of the bundled host catalogue CSV of `year`."""
    return data_dir() / f"hosts-{year}.csv"


def quotas_path(year: int = YEAR) -> Path:
    """Return the path of the bundled quota table CSV (附件1) of `year`."""
    return data_dir() / f"quotas-{year}.csv"


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    """Read a UTF-8 (optionally BOM) CSV file as dicts of stripped strings."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def load_hosts(path: Path | None = None) -> HostCatalogue:
    """Read a host catalogue CSV with the contract's columns (bundled 2023 by default)."""
    hosts = []
    for row in read_csv_rows(path or hosts_path()):
        hosts.append(
            Host(
                name=row["培养单位"],
                track=Track(row["培养方式"].removesuffix("培养")),
                location=row.get("所在地", ""),
                capacity=int(row["接收名额"]),
                fields=tuple(f for f in _SPLIT.split(row["培养专业"]) if f),
                aliases=tuple(a for a in _SPLIT.split(row.get("别名", "")) if a),
            )
        )
    return HostCatalogue(hosts=tuple(hosts))


def quota_region(name: str) -> str:
    """Strip spaces and the （含…） note: 呼伦贝尔市（含满洲里市） → 呼伦贝尔市."""
    text = "".join(name.split())
    return re.sub(r"[（(].*?[)）]", "", text)


def load_quotas(path: Path | None = None) -> QuotaTable:
    """Read a quota table CSV with the contract's columns (the 合计 row is skipped)."""
    quotas = []
    for row in read_csv_rows(path or quotas_path()):
        region = quota_region(row["地区"])
        if region == "合计":
            continue
        for track, column in ((Track.OUT, "区外名额"), (Track.IN, "区内名额")):
            value = row[column]
            quotas.append(
                Quota(region=region, track=track, places=int(value) if value.isdigit() else 0)
            )
    return QuotaTable(quotas=tuple(quotas))


def _new_workbook(path: Path) -> xlsxwriter.Workbook:
    workbook = xlsxwriter.Workbook(str(path))
    workbook.set_properties({"created": FIXED_CREATED, "author": "matcher.sample"})
    return workbook


def write_quotas_workbook(csv_path: Path, xlsx_path: Path) -> None:
    """Write 附件1 as a workbook: the notice's title row, then the CSV's header and rows."""
    rows = read_csv_rows(csv_path)
    columns = list(rows[0])
    workbook = _new_workbook(xlsx_path)
    sheet = workbook.add_worksheet("附件1")
    title = workbook.add_format({"bold": True, "font_size": 14, "align": "center"})
    cell = workbook.add_format({"border": 1, "align": "center"})
    head = workbook.add_format({"border": 1, "align": "center", "bold": True})
    sheet.merge_range(0, 0, 0, len(columns) - 1, QUOTAS_TITLE, title)
    sheet.write_row(1, 0, columns, head)
    for r, row in enumerate(rows, start=2):
        for c, column in enumerate(columns):
            value = row[column]
            if value.isdigit():
                sheet.write_number(r, c, int(value), cell)
            else:
                sheet.write_string(r, c, value, cell)
    sheet.set_column(1, 1, 28)
    sheet.set_column(2, 3, 12)
    workbook.close()


def write_hosts_workbook(csv_path: Path, xlsx_path: Path) -> None:
    """Write the host catalogue as a workbook: the CSV's header in row 1, then its rows."""
    rows = read_csv_rows(csv_path)
    columns = list(rows[0])
    workbook = _new_workbook(xlsx_path)
    sheet = workbook.add_worksheet("培养单位")
    head = workbook.add_format({"bold": True, "border": 1})
    cell = workbook.add_format({"border": 1})
    sheet.write_row(0, 0, columns, head)
    for r, row in enumerate(rows, start=1):
        for c, column in enumerate(columns):
            value = row[column]
            if column == "接收名额" and value.isdigit():
                sheet.write_number(r, c, int(value), cell)
            elif value:
                sheet.write_string(r, c, value, cell)
            else:
                sheet.write_blank(r, c, None, cell)
    sheet.set_column(0, 0, 32)
    sheet.set_column(2, 2, 16)
    sheet.set_column(4, 4, 44)
    sheet.set_column(5, 5, 16)
    workbook.close()


def write_table_workbooks(directory: Path | None = None, year: int = YEAR) -> list[Path]:
    """Write ``quotas-YEAR.xlsx`` and ``hosts-YEAR.xlsx`` beside their CSV files."""
    folder = directory or data_dir()
    quotas = folder / f"quotas-{year}.xlsx"
    hosts = folder / f"hosts-{year}.xlsx"
    write_quotas_workbook(folder / f"quotas-{year}.csv", quotas)
    write_hosts_workbook(folder / f"hosts-{year}.csv", hosts)
    return [quotas, hosts]
