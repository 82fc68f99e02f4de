"""Reading the quota table (附件1): places per sending region and track."""

from __future__ import annotations

from pathlib import Path

from matcher.ingest.catalogue import MAX_PLACES, find_columns, parse_count
from matcher.ingest.problems import TableError
from matcher.ingest.regions import region_of
from matcher.ingest.sheets import control_issues, read_sheets
from matcher.ingest.text import cell_text, clean_name, clean_text, is_blank, shorten
from matcher.model import Issue, Quota, QuotaTable, Severity, Track

QUOTA_COLUMNS: dict[str, tuple[str, ...]] = {
    "seq": ("序号",),
    "region": ("地区", "盟市", "选派地区", "region"),
    Track.OUT.value: ("区外名额", "区外", "内地名额", "out"),
    Track.IN.value: ("区内名额", "区内", "in"),
}
_TOTAL = ("合计", "总计")


def read_quotas(path: Path) -> tuple[QuotaTable, list[Issue]]:
    """Read a quota table: (quotas of every region and track, every issue).

    `—`, `-` and empty mean 0. A 合计 row is checked, not read: QUOTA_TOTAL_MISMATCH when
    its figure differs from the sum. Other codes: FILE_UNREADABLE, FILE_TOO_LARGE,
    HEADER_NOT_FOUND, QUOTA_VALUE_INVALID, QUOTA_VALUE_TOO_LARGE (over `MAX_PLACES`),
    QUOTA_REGION_UNKNOWN, QUOTA_DUPLICATE (rows with these are left out). Regions are
    normalised (包 头 市 → 包头市; 呼伦贝尔市 (含满洲里市) → 呼伦贝尔市).
    """
    file = path.name
    try:
        sheets = read_sheets(path)
    except TableError as exc:
        return QuotaTable(quotas=()), [_issue(file, None, None, exc.code, str(exc))]
    found = find_columns(sheets, QUOTA_COLUMNS, "region")
    if found is None:
        message = "没有找到名额表的表头，请使用“地区, 区外名额, 区内名额”列"
        return QuotaTable(quotas=()), [_issue(file, None, None, "HEADER_NOT_FOUND", message)]
    sheet, head, cols = found
    tracks = [t for t in Track if t.value in cols]
    issues: list[Issue] = control_issues(file, sheet, head)
    quotas: list[Quota] = []
    seen: dict[str, int] = {}
    sums = dict.fromkeys(tracks, 0)
    totals: list[tuple[int, dict[Track, object]]] = []
    region_col = cols["region"][0]
    for index in range(head + 1, len(sheet.rows)):
        row = sheet.rows[index]
        number = index + 1
        texts = [clean_name(cell_text(v)) for v in row[: region_col + 1]]
        if all(is_blank(v) for v in row):
            continue
        values = {t: row[cols[t.value][0]] if cols[t.value][0] < len(row) else None for t in tracks}
        if any(t.startswith(_TOTAL) for t in texts if t):
            totals.append((number, values))
            continue
        written = clean_text(cell_text(row[region_col] if region_col < len(row) else None))
        region = region_of(written) if written else None
        if region is None:
            issues.append(
                _issue(
                    file,
                    number,
                    cols["region"][1],
                    "QUOTA_REGION_UNKNOWN",
                    f"地区“{shorten(written)}”不是附件1中的盟市或区直，请核对地区名称",
                )
            )
            continue
        if region in seen:
            issues.append(
                _issue(
                    file,
                    number,
                    cols["region"][1],
                    "QUOTA_DUPLICATE",
                    f"地区“{region}”与第{seen[region]}行重复，本行已忽略；请合并为一行",
                )
            )
            continue
        seen[region] = number
        for track in tracks:
            places = parse_count(values[track])
            if places is None:
                issues.append(
                    _issue(
                        file,
                        number,
                        cols[track.value][1],
                        "QUOTA_VALUE_INVALID",
                        f"{region}的{track.value}名额“{shorten(cell_text(values[track]))}”"
                        "不是非负整数，请填写人数（无名额填“—”或0）",
                    )
                )
                continue
            if places > MAX_PLACES:
                issues.append(
                    _issue(
                        file,
                        number,
                        cols[track.value][1],
                        "QUOTA_VALUE_TOO_LARGE",
                        f"{region}的{track.value}名额{places}超过{MAX_PLACES}，"
                        "请填写附件1中的实际名额",
                    )
                )
                continue
            sums[track] += places
            quotas.append(Quota(region=region, track=track, places=places))
    for number, values in totals:
        for track in tracks:
            declared = parse_count(values[track])
            if declared is not None and declared != sums[track]:
                issues.append(
                    _issue(
                        file,
                        number,
                        cols[track.value][1],
                        "QUOTA_TOTAL_MISMATCH",
                        f"合计行的{track.value}名额为{declared}，但各地区相加为{sums[track]}；"
                        "请核对各地区名额或合计",
                    )
                )
    return QuotaTable(quotas=tuple(quotas)), issues


def _issue(file: str, row: int | None, column: str | None, code: str, message: str) -> Issue:
    return Issue(
        file=file, row=row, column=column, code=code, severity=Severity.ERROR, message=message
    )
