"""报到通知 letters of a published run: one .docx per trainee and a printable list per host.

`letters_files(run, catalogue, ...)` gives (relative path → bytes):

- ``报到通知/<培养单位>/<序号>-<姓名>.docx``: the department's template (default the bundled
  ``data/templates/报到通知.docx``; any .docx with ``{{ 名称 }}`` fields of
  `matcher.report.letter_template.FIELDS`) filled per trainee with docxtpl, with the host's
  报到时间, 报到地址, 联系人 and 联系电话 from the catalogue (optional columns; missing ones
  read `MISSING`, and `missing_contacts` names the hosts that lack them);
- ``报到名单/<培养单位>.xlsx``: the host's list of trainees to expect (序号, 姓名, 性别, 民族,
  选派地区, 工作单位, 从事专业, 联系方式, 录取方式), printable (A4 landscape).

Letters are written by `matcher letters RUN_DIR`, never by `matcher run`: rendering a
.docx costs milliseconds per trainee, which a large round should not pay on every run.
Every .docx is re-zipped with fixed entry dates, so the same run and template give
byte-identical files.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from docxtpl import DocxTemplate

from matcher.model import HostCatalogue
from matcher.paths import data_dir
from matcher.report.forms import TRACK_TITLES, form_rows, unit_of
from matcher.report.letter_template import FIELDS, fixed_zip
from matcher.report.naming import safe_filename
from matcher.report.printed import PrintBook, PrintColumn
from matcher.report.rundir import RunFolder

MISSING = "另行通知"
LETTERS = "报到通知"
LISTS = "报到名单"
CONTACTS = {
    "报到时间": "report_time",
    "报到地址": "report_address",
    "联系人": "contact",
    "联系电话": "contact_phone",
}
LIST_COLUMNS = [
    PrintColumn("序号", "seq", 5, centre=True),
    PrintColumn("姓名", "name", 10),
    PrintColumn("性别", "gender", 5),
    PrintColumn("民族", "ethnicity", 8),
    PrintColumn("选派地区", "region", 11),
    PrintColumn("工作单位", "employer", 26),
    PrintColumn("从事专业", "profession", 14),
    PrintColumn("联系方式", "phone", 13),
    PrintColumn("培养方式", "track_title", 9),
    PrintColumn("录取方式", "admission", 9),
]


class LetterError(ValueError):
    """The template cannot be used (not a .docx, or a field the letters do not fill)."""


def default_template() -> Path:
    """The bundled template, ``data/templates/报到通知.docx``."""
    return data_dir() / "templates" / "报到通知.docx"


@dataclass(frozen=True)
class Template:
    """A letter template's bytes and the fields it uses."""

    data: bytes
    fields: frozenset[str]

    @classmethod
    def read(cls, path: Path) -> Template:
        """Read and check a .docx template; raise `LetterError` in Chinese when unfit."""
        try:
            data = Path(path).read_bytes()
            fields = DocxTemplate(io.BytesIO(data)).get_undeclared_template_variables()
        except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise LetterError(
                f"模板 {Path(path).name} 无法读取（{type(exc).__name__}）："
                "请给出 Word 的 .docx 文件"
            ) from None
        except jinja2.TemplateSyntaxError as exc:
            raise LetterError(
                f"模板 {Path(path).name} 的字段写法有误（{exc.message}）：字段应写成 {{{{ 姓名 }}}}"
            ) from None
        unknown = sorted(set(fields) - set(FIELDS))
        if unknown:
            raise LetterError(
                f"模板 {Path(path).name} 中的字段 {'、'.join(unknown)} 无法填写："
                f"可用的字段为 {'、'.join(FIELDS)}"
            )
        return cls(data=data, fields=frozenset(fields))

    def render(self, context: Mapping[str, Any]) -> bytes:
        """One filled letter (.docx bytes, fixed zip dates)."""
        document = DocxTemplate(io.BytesIO(self.data))
        document.render(dict(context), autoescape=True)
        buffer = io.BytesIO()
        document.save(buffer)
        return fixed_zip(buffer.getvalue())


def date_text(day: date | None) -> str:
    """A date as the letter prints it (``2023年7月1日``), or blanks to fill by hand."""
    return f"{day.year}年{day.month}月{day.day}日" if day else "    年  月  日"


def contacts(catalogue: HostCatalogue) -> dict[str, dict[str, str]]:
    """Host name → its letter fields (`CONTACTS`), `MISSING` where the catalogue is empty."""
    return {
        host.name: {label: getattr(host, key) or MISSING for label, key in CONTACTS.items()}
        for host in catalogue.hosts
    }


def missing_contacts(run: RunFolder, catalogue: HostCatalogue) -> dict[str, list[str]]:
    """Host of a trainee → the letter fields its catalogue row lacks (hosts lacking none left out).

    A host of the run that is not in the catalogue lacks all four.
    """
    known = {host.name: host for host in catalogue.hosts}
    out: dict[str, list[str]] = {}
    for name in dict.fromkeys(run.trainees()["host"]):
        host = known.get(name)
        lacking = [
            label for label, key in CONTACTS.items() if host is None or not getattr(host, key)
        ]
        if lacking:
            out[name] = lacking
    return out


def run_catalogue(run: RunFolder, hosts: Path | None = None) -> tuple[HostCatalogue, list[str]]:
    """The catalogue the letters read, and warnings (Chinese) about it.

    `hosts` when given, else the run's recorded catalogue when it is the bundled one (the
    manifest records file names only). Raises `LetterError` when neither can be read. A
    file whose SHA-256 differs from the run's is used (contact columns are often added
    after the round), with a warning.
    """
    from matcher.ingest.hosts import read_hosts

    recorded = run.input_path("hosts")
    path = hosts
    if path is None and recorded is not None:
        bundled = data_dir() / recorded.name
        path = bundled if bundled.is_file() else None
    if path is None or not Path(path).is_file():
        named = f"“{recorded.name}”" if recorded else ""
        raise LetterError(
            f"找不到本轮的培养单位目录{named}：请用 --hosts 给出含联系人、联系电话、"
            "报到地址、报到时间列的培养单位目录"
        )
    catalogue, issues = read_hosts(Path(path))
    warnings = [f"{i.file} 第{i.row}行：{i.message}" for i in issues if i.severity.value == "error"]
    if not catalogue.hosts:
        raise LetterError(
            f"培养单位目录 {Path(path).name} 中没有可用的培养单位：{'；'.join(warnings)}"
        )
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    if run.input_sha256("hosts") not in (None, digest):
        warnings.append(
            f"培养单位目录 {Path(path).name} 与本轮匹配时所用的不同（已修改过）："
            "联系信息按此文件填写，请确认培养单位未变"
        )
    return catalogue, warnings


def letter_contexts(
    run: RunFolder, catalogue: HostCatalogue, issued: date | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """(host, the letter's fields) per trainee, in input order."""
    trainees = run.trainees()
    rows = form_rows(trainees)
    units = unit_of(trainees)
    regions = [str(r) for r in trainees["region"]]
    rates = run.funding.get("rates", {})
    known = contacts(catalogue)
    blank = dict.fromkeys(CONTACTS, MISSING)
    out = []
    for row, unit, region in zip(rows, units, regions, strict=True):
        track = next((t for t, title in TRACK_TITLES.items() if title == row["track_title"]), "")
        context = {
            "序号": row["seq"],
            "姓名": row["name"],
            "性别": row["gender"],
            "民族": row["ethnicity"],
            "工作单位": row["employer"],
            "从事专业": row["profession"],
            "选派单位": unit,
            "选派地区": region,
            "培养方式": row["track_title"],
            "培养单位": row["host"],
            "录取方式": row["admission"],
            **known.get(row["host"], blank),
            "生活补贴标准": f"{int(rates.get(track, {}).get('living_per_month', 0)):,}",
            "年度": run.year,
            "发文日期": date_text(issued),
        }
        out.append((row["host"], context))
    return out


def host_lists(run: RunFolder, catalogue: HostCatalogue) -> dict[str, bytes]:
    """Host → its printable list of trainees (one .xlsx)."""
    trainees = run.trainees()
    rows = form_rows(trainees)
    for row, region in zip(rows, trainees["region"], strict=True):
        row["region"] = region
    by_host: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_host.setdefault(row["host"], []).append(row)
    known = contacts(catalogue)
    blank = dict.fromkeys(CONTACTS, MISSING)
    out = {}
    for host, mine in by_host.items():
        for seq, row in enumerate(mine, start=1):
            row["seq"] = seq
        info = known.get(host, blank)
        line = "    ".join(f"{label}：{info[label]}" for label in CONTACTS)
        book = PrintBook(datetime(run.year, 1, 1))
        book.sheet(
            "报到名单",
            f"{run.year}年度特培计划报到学员名单（{host}）",
            line,
            LIST_COLUMNS,
            mine,
            (f"共{len(mine)}人。请培养单位按名单接收学员报到。",),
        )
        out[host] = book.close()
    return out


def letters_files(
    run: RunFolder,
    catalogue: HostCatalogue,
    template: Template | None = None,
    issued: date | None = None,
) -> dict[str, bytes]:
    """Relative path → bytes of every letter and host list (see the module docstring)."""
    template = template or Template.read(default_template())
    files: dict[str, bytes] = {}
    folders: dict[str, str] = {}
    taken_folders: set[str] = set()
    taken: dict[str, set[str]] = {}
    for host, context in letter_contexts(run, catalogue, issued):
        if host not in folders:
            folders[host] = safe_filename(host, taken_folders, suffix="")
            taken[host] = set()
        name = safe_filename(
            f"{context['序号']:03d}-{context['姓名']}", taken[host], suffix=".docx"
        )
        files[f"{LETTERS}/{folders[host]}/{name}"] = template.render(context)
    taken_lists: set[str] = set()
    for host, data in host_lists(run, catalogue).items():
        files[f"{LISTS}/{safe_filename(host, taken_lists, suffix='.xlsx')}"] = data
    return files
