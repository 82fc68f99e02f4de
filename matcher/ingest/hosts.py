"""Reading the host catalogue (培养单位): name, track, location, capacity, fields, aliases."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path

from matcher.ingest.catalogue import MAX_PLACES, find_columns, means_zero, parse_count
from matcher.ingest.cells import parse_track
from matcher.ingest.problems import TableError
from matcher.ingest.sheets import control_issues, read_sheets
from matcher.ingest.text import cell_text, clean_name, clean_text, is_blank, shorten
from matcher.ingest.vocab import Vocabulary, load_vocabulary
from matcher.model import FIELDS, Host, HostCatalogue, Issue, Severity

HOST_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("培养单位", "培养单位名称", "单位名称", "host"),
    "track": ("培养方式", "培养类型", "track"),
    "location": ("所在地", "所在地区", "地点", "location"),
    "capacity": ("接收名额", "名额", "接收人数", "capacity"),
    "fields": ("培养专业", "培养领域", "专业领域", "fields"),
    "aliases": ("别名", "简称", "aliases"),
    # Optional, for the 报到 letters:
    "contact": ("联系人", "contact"),
    "contact_phone": ("联系电话", "contact_phone"),
    "report_address": ("报到地址", "report_address"),
    "report_time": ("报到时间", "report_time"),
}
#: The optional columns the letters read, each kept as its text.
LETTER_KEYS = ("contact", "contact_phone", "report_address", "report_time")
_SPLIT = re.compile(r"[、;；，,\s]+")


def split_list(value: object) -> list[str]:
    """Split a 培养专业/别名 cell on 、 ; ； ， , and spaces (empty parts dropped)."""
    return [p for p in _SPLIT.split(clean_text(cell_text(value))) if p]


def read_hosts(path: Path, vocab: Vocabulary | None = None) -> tuple[HostCatalogue, list[Issue]]:
    """Read a host catalogue: (catalogue of the valid rows, every issue).

    Codes: FILE_UNREADABLE, FILE_TOO_LARGE, HEADER_NOT_FOUND, HOST_NAME_MISSING,
    HOST_CAPACITY_INVALID (not a non-negative integer), HOST_CAPACITY_TOO_LARGE (over
    `MAX_PLACES`), HOST_CAPACITY_EMPTY (warning: empty or — is read as 0),
    HOST_TRACK_INVALID, HOST_DUPLICATE (same name twice: the later row is dropped),
    HOST_FIELD_UNKNOWN (warning; the entry is left out), HOST_ALIAS_COLLISION (the alias
    is dropped), HOSTS_EMPTY (no usable host at all). Invalid rows are dropped from the
    catalogue and reported. Each 培养专业 entry is read with the field vocabulary an
    applicant's 从事专业 is read with
    (`Vocabulary.field_named`: a field's name or any keyword of data/fields.csv; `vocab`
    defaults to `load_vocabulary()`).
    """
    file = path.name
    words = vocab if vocab is not None else load_vocabulary()
    try:
        sheets = read_sheets(path)
    except TableError as exc:
        return HostCatalogue(hosts=()), [_issue(file, None, None, exc.code, str(exc))]
    found = find_columns(sheets, HOST_COLUMNS, "name")
    if found is None:
        return HostCatalogue(hosts=()), [
            _issue(
                file,
                None,
                None,
                "HEADER_NOT_FOUND",
                "没有找到培养单位表的表头，请使用“培养单位, 培养方式, 所在地, "
                "接收名额, 培养专业, 别名”列",
            )
        ]
    sheet, head, cols = found
    issues: list[Issue] = control_issues(file, sheet, head)
    for key, name in (("track", "培养方式"), ("capacity", "接收名额")):
        if key not in cols:
            issues.append(
                _issue(file, head + 1, name, "COLUMN_MISSING", f"培养单位表缺少“{name}”列，请补充")
            )
    hosts: list[Host] = []
    seen: dict[str, int] = {}
    where = {key: col for key, (col, _) in cols.items()}  # an absent column reads as empty

    def column(key: str) -> str:
        return cols.get(key, (0, HOST_COLUMNS[key][0]))[1]

    for index in range(head + 1, len(sheet.rows)):
        row = sheet.rows[index]
        if all(is_blank(v) for v in row):
            continue
        number = index + 1

        def get(key: str, row: Sequence[object] = row) -> object:
            at = where.get(key, -1)
            return row[at] if 0 <= at < len(row) else None

        bad = False
        name = clean_text(cell_text(get("name")))
        if not name:
            issues.append(
                _issue(
                    file,
                    number,
                    column("name"),
                    "HOST_NAME_MISSING",
                    "培养单位名称为空，请填写或删除该行",
                )
            )
            continue
        track_text = cell_text(get("track"))
        track = parse_track(track_text)
        if track is None:
            bad = True
            issues.append(
                _issue(
                    file,
                    number,
                    column("track"),
                    "HOST_TRACK_INVALID",
                    f"“{shorten(name)}”的培养方式“{shorten(clean_text(track_text))}”"
                    "无法识别，请填写“区外”或“区内”",
                )
            )
        capacity = parse_count(get("capacity"))
        if capacity is None or "capacity" not in cols:
            bad = True
            written = shorten(clean_text(cell_text(get("capacity"))))
            issues.append(
                _issue(
                    file,
                    number,
                    column("capacity"),
                    "HOST_CAPACITY_INVALID",
                    f"“{shorten(name)}”的接收名额“{written}”不是非负整数，请填写人数，如 2",
                )
            )
        elif capacity > MAX_PLACES:
            bad = True
            issues.append(
                _issue(
                    file,
                    number,
                    column("capacity"),
                    "HOST_CAPACITY_TOO_LARGE",
                    f"“{shorten(name)}”的接收名额{capacity}超过{MAX_PLACES}，"
                    "请填写本计划的实际接收人数，如 2",
                )
            )
        elif capacity == 0 and means_zero(get("capacity")):
            issues.append(
                _issue(
                    file,
                    number,
                    column("capacity"),
                    "HOST_CAPACITY_EMPTY",
                    f"“{shorten(name)}”的接收名额未填写，按0处理（该单位不接收学员）；"
                    "如接收学员请填写人数，不接收请填0",
                    Severity.WARNING,
                )
            )
        key = clean_name(name).lower()
        if key in seen:
            issues.append(
                _issue(
                    file,
                    number,
                    column("name"),
                    "HOST_DUPLICATE",
                    f"培养单位“{shorten(name)}”与第{seen[key]}行重复，本行已忽略；请合并为一行",
                )
            )
            continue
        seen[key] = number
        host_fields: list[str] = []
        for item in split_list(get("fields")):
            field = words.field_named(item)
            if field is not None:
                host_fields.append(field)
            else:
                issues.append(
                    _issue(
                        file,
                        number,
                        column("fields"),
                        "HOST_FIELD_UNKNOWN",
                        f"“{shorten(name)}”的培养专业“{shorten(item)}”无法归入培养领域，已忽略；"
                        f"请使用领域名称（{'、'.join(FIELDS)}）或专业关键词（如“计算机”“临床医学”）",
                        Severity.WARNING,
                    )
                )
        if bad or track is None or capacity is None:
            continue
        hosts.append(
            Host(
                name=name,
                track=track,
                location=clean_text(cell_text(get("location"))),
                capacity=capacity,
                fields=tuple(dict.fromkeys(host_fields)),
                aliases=tuple(a for a in dict.fromkeys(split_list(get("aliases"))) if a != name),
                **{key: _letter_text(get(key)) if key in where else "" for key in LETTER_KEYS},
            )
        )
    hosts, collisions = _alias_collisions(hosts, seen, file, column("aliases"))
    if not hosts:
        collisions.append(
            _issue(
                file,
                None,
                None,
                "HOSTS_EMPTY",
                "培养单位表中没有可用的培养单位（表头下没有数据行，或每一行都有错误）："
                "请在表头下逐行填写培养单位，并改正上面列出的错误",
            )
        )
    return HostCatalogue(hosts=tuple(hosts)), issues + collisions


def _alias_collisions(
    hosts: list[Host], rows: dict[str, int], file: str, column: str
) -> tuple[list[Host], list[Issue]]:
    """Hosts without the aliases that name another host too, and an error for each.

    An alias equal to another host's name, or shared by two hosts, would send the applicants
    who wrote it to whichever host comes first: HOST_ALIAS_COLLISION names both hosts, and
    the alias is dropped (a choice written so is then an unknown host, reported as such).
    """
    names = {clean_name(h.name).lower(): h.name for h in hosts}
    owners: dict[str, list[str]] = {}
    for host in hosts:
        for alias in host.aliases:
            owners.setdefault(clean_name(alias).lower(), []).append(host.name)
    issues: list[Issue] = []
    dropped: dict[str, set[str]] = {}
    for host in hosts:
        for alias in host.aliases:
            key = clean_name(alias).lower()
            other = names.get(key)
            sharing = [n for n in owners[key] if n != host.name]
            if other is None and not sharing:
                continue
            dropped.setdefault(host.name, set()).add(alias)
            if other is not None and other != host.name:
                at = rows[clean_name(other).lower()]
                what = f"与培养单位“{shorten(other)}”（第{at}行）的名称相同"
            elif other is not None:
                continue  # the host's own name written again: harmless, dropped
            else:
                what = (
                    "同时是"
                    + "、".join(
                        f"“{shorten(n)}”（第{rows[clean_name(n).lower()]}行）" for n in sharing
                    )
                    + "的别名"
                )
            issues.append(
                _issue(
                    file,
                    rows[clean_name(host.name).lower()],
                    column,
                    "HOST_ALIAS_COLLISION",
                    f"“{shorten(host.name)}”的别名“{shorten(alias)}”{what}，"
                    "无法判断申报人所指的单位，该别名已忽略；请删除或改用能区分的别名",
                )
            )
    if not dropped:
        return hosts, issues
    kept = [
        h.model_copy(update={"aliases": tuple(a for a in h.aliases if a not in dropped[h.name])})
        if h.name in dropped
        else h
        for h in hosts
    ]
    return kept, issues


def _letter_text(value: object) -> str:
    """A 联系人/联系电话/报到地址/报到时间 cell as text (a date cell as 2023年9月1日)."""
    if isinstance(value, datetime):
        value = value.date() if value.time() == time() else value
    if isinstance(value, datetime):
        return f"{value.year}年{value.month}月{value.day}日{value.hour:d}:{value.minute:02d}"
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    return clean_text(cell_text(value))


def _issue(
    file: str,
    row: int | None,
    column: str | None,
    code: str,
    message: str,
    severity: Severity = Severity.ERROR,
) -> Issue:
    return Issue(file=file, row=row, column=column, code=code, severity=severity, message=message)
