"""report.html: one self-contained page (inline CSS and SVG, no scripts, no external loads).

ID and phone numbers are masked; every text is HTML-escaped; every figure that is also in
result.json carries ``data-key="summary.…"`` (or ``solver.…``), the path of the figure in
result.json, so a browser test can compare the page with the JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

import pandas as pd

from matcher.report.data import ReportData
from matcher.report.decisions import overrides_html
from matcher.report.frames import STATUS_LABELS
from matcher.report.mask import mask_id, mask_phone, scrub
from matcher.report.policy_text import policy_lines
from matcher.report.svg import Series, bar_chart, fill_chart
from matcher.report.xlsx import clean

FONT_STACK = (
    '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", '
    '"Source Han Sans SC", "WenQuanYi Micro Hei", "Noto Sans SC", sans-serif'
)
CSS = """
body{font-family:FONTS;margin:0;padding:24px 32px;color:#1f2328;background:#fff;line-height:1.5}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:19px;margin:28px 0 8px;border-bottom:2px solid #2f6db5;padding-bottom:4px}
.meta{color:#57606a;margin:0 0 12px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid #d0d7de;border-radius:6px;padding:6px 12px;min-width:80px}
.card .n{font-size:26px;font-weight:600}.card .t{color:#57606a;font-size:13px}
table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}
th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
th,td{white-space:nowrap}
td.long{white-space:normal;min-width:14em;max-width:28em}
th{background:#eef4fb}td.num{text-align:right;font-variant-numeric:tabular-nums}
.chart text{font-family:FONTS;font-size:13px;fill:#1f2328}.chart .value{font-size:12px}
.wrap{overflow-x:auto}.note{color:#57606a;font-size:13px}
@media print{body{padding:0}h2{break-after:avoid}}
""".replace("FONTS", FONT_STACK)

RANK_NAMES = {
    "first": "第一志愿",
    "second": "第二志愿",
    "third": "第三志愿",
    "prearranged": "预先接收",
    "adjusted": "调剂",
}
STATUS_NAMES = {s.value: label for s, label in STATUS_LABELS.items()}
#: Rows of a list of people shown on the page; longer lists are cut, with a note
#: pointing to the CSV or workbook that holds every row (the page stays readable).
PAGE_ROWS = 2000
STAGE_NAMES = {
    "placed_at_choice": "按志愿录取人数",
    "priority_placed_at_choice": "优先对象（基层、非公）按志愿录取人数",
    "first_choice": "第一志愿录取人数",
    "second_choice": "第二志愿录取人数",
    "adjusted": "调剂录取人数",
    "priority_adjusted": "优先对象调剂录取人数",
    "choice_order": "志愿名额的优先顺序得分",
    "adjustment_order": "调剂的优先顺序得分",
    "priority_order": "优先顺序得分（联合规则）",
}
STATUS_WORDS = {
    "optimal": "最优 ",
    "feasible": "可行（未证明最优） ",
    "infeasible": "无解 ",
    "error": "出错 ",
}
FUNDING_NAMES = {
    "trainees": "人数",
    "tuition_lodging": "学费住宿费（元）",
    "management": "管理费（元）",
    "living": "生活补贴（元）",
    "total": "合计（元）",
}


def _nums(figures: Mapping[str, Any], columns: Sequence[str], prefix: str) -> str:
    """`_num` of each of `columns` of `figures`, keyed ``prefix + column`` (escaped once)."""
    head = escape(prefix)
    return "".join([_num(figures[c], "", head + escape(c)) for c in columns])


def _num(value: Any, key: str = "", escaped: str = "") -> str:
    """A number's cell; `key` its data-key (or `escaped`, a key escaped already)."""
    attr = f' data-key="{escaped or escape(key)}"' if key or escaped else ""
    text = f"{value:,}" if isinstance(value, int) else escape(str(value))
    return f'<td class="num"{attr}>{text}</td>'


def _text(value: Any, css: str = "") -> str:
    if type(value) is not str:
        value = clean(value)
        value = "" if value is None else str(value)
    attr = f' class="{css}"' if css else ""
    return f"<td{attr}>{escape(scrub(value))}</td>"


def _head(headers: Iterable[str]) -> str:
    return "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in headers) + "</tr>"


def _table(headers: Sequence[str], rows: Iterable[str]) -> str:
    body = "".join(rows)
    if not body:
        return '<p class="note">无。</p>'
    return f'<div class="wrap"><table>{_head(headers)}{body}</table></div>'


def _cards(summary: Mapping[str, Any]) -> str:
    cards = [
        ("申报人数", summary["applicants"], "summary.applicants"),
        ("录取合计", summary["trainees"], "summary.trainees"),
    ]
    cards += [(STATUS_NAMES[s], n, f"summary.status.{s}") for s, n in summary["status"].items()]
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="n" data-key="{escape(k)}">{n:,}</div>'
            f'<div class="t">{escape(t)}</div></div>'
            for t, n, k in cards
        )
        + "</div>"
    )


def _rank(summary: Mapping[str, Any]) -> str:
    keys = list(RANK_NAMES)
    chart = bar_chart(
        "录取志愿分布",
        [RANK_NAMES[k] for k in keys],
        [Series("人数", [(summary["rank"][k], f"summary.rank.{k}") for k in keys])],
    )
    return f"<h2 id=rank>录取志愿分布</h2>{chart}"


def _regions(summary: Mapping[str, Any]) -> str:
    groups = [
        (r, t, f)
        for r, tracks in summary["regions"].items()
        for t, f in tracks.items()
        if f["quota"] or f["applicants"]  # 区直·区内 has neither: nothing to show
    ]
    chart = fill_chart(
        "各地区名额与录取",
        [
            (
                f"{r}·{t}",
                f["quota"],
                f["filled"],
                f"summary.regions.{r}.{t}.quota",
                f"summary.regions.{r}.{t}.filled",
            )
            for r, t, f in groups
        ],
    )
    columns = ["quota", "applicants", "placed", "adjusted", "filled", "unplaced", "unused"]
    headers = [
        "地区",
        "培养方式",
        "名额",
        "申报人数",
        "按志愿录取",
        "调剂录取",
        "录取合计",
        "未录取合计",
        "剩余名额",
    ]
    rows = (
        "<tr>" + _text(r) + _text(t) + _nums(f, columns, f"summary.regions.{r}.{t}.") + "</tr>"
        for r, t, f in groups
    )
    tracks = summary["tracks"]
    track_rows = (
        "<tr>" + _text("合计") + _text(t) + _nums(f, columns, f"summary.tracks.{t}.") + "</tr>"
        for t, f in tracks.items()
    )
    return f"<h2 id=regions>各地区名额使用</h2>{chart}" + _table(headers, [*rows, *track_rows])


def _hosts(summary: Mapping[str, Any]) -> str:
    hosts = summary["hosts"]
    chart = fill_chart(
        "各培养单位接收名额与录取",
        [
            (
                h,
                f["capacity"],
                f["filled"],
                f"summary.hosts.{h}.capacity",
                f"summary.hosts.{h}.filled",
            )
            for h, f in hosts.items()
        ],
        limit_name="接收名额",
        fill_name="已录取",
    )
    columns = ["capacity", "filled", "first", "second", "third", "prearranged", "adjusted", "free"]
    headers = [
        "培养单位",
        "培养方式",
        "接收名额",
        "已录取",
        "第一志愿",
        "第二志愿",
        "第三志愿",
        "预先接收",
        "调剂",
        "剩余名额",
    ]
    rows = (
        "<tr>" + _text(h) + _text(f["track"]) + _nums(f, columns, f"summary.hosts.{h}.") + "</tr>"
        for h, f in hosts.items()
    )
    return f"<h2 id=hosts>各培养单位</h2>{chart}" + _table(headers, rows)


def _people(frame: pd.DataFrame, columns: Sequence[tuple[str, str]], where: str = "") -> str:
    """A table of people (at most `PAGE_ROWS` rows).

    A longer list shows its first `PAGE_ROWS` rows under a note saying how many people
    there are and where (`where`) the full list is.
    """
    headers = ["序号", *(h for h, _ in columns)]
    rows = []
    shown = frame.head(PAGE_ROWS) if len(frame) > PAGE_ROWS else frame
    needed = list(dict.fromkeys(column for _, column in columns))
    values = {column: shown[column].tolist() for column in needed}
    records = [dict(zip(needed, row, strict=True)) for row in zip(*values.values(), strict=True)]
    for i, record in enumerate(records, start=1):
        cells = [_num(i)]
        for _, column in columns:
            value = record[column]
            if column == "id_number":
                value = mask_id(value)
            elif column == "phone":
                value = mask_phone(value)
            elif column == "status":
                value = STATUS_NAMES.get(value, value)
            elif column == "name" and not value:
                value = "（姓名未填）"
            cells.append(_text(value, "long" if column in ("reason", "remedy") else ""))
        rows.append("<tr>" + "".join(cells) + "</tr>")
    if len(shown) < len(frame):
        note = (
            f'<p class="note">共{len(frame):,}人，本页只列出前{len(shown):,}人；'
            f"全部{len(frame):,}人见{escape(where)}。</p>"
        )
        return note + _table(headers, rows)
    return _table(headers, rows)


def _funding(summary: Mapping[str, Any]) -> str:
    funding = summary["funding"]
    items = list(FUNDING_NAMES)
    rows = [
        "<tr>"
        + _text("合计")
        + "".join(_num(funding["total"][k], f"summary.funding.total.{k}") for k in items)
        + "</tr>"
    ]
    rows += [
        "<tr>"
        + _text(t)
        + "".join(_num(f[k], f"summary.funding.tracks.{t}.{k}") for k in items)
        + "</tr>"
        for t, f in funding["tracks"].items()
    ]
    note = (
        f'<p class="note">按通知标准、培养<span data-key="summary.funding.months">'
        f"{funding['months']}</span>个月计算；生活补贴结业考核合格后按实际培训时间发放。</p>"
    )
    payees = [
        "<tr>"
        + _text(f["payee"])
        + _text(FUNDING_NAMES[f["item"]].removesuffix("（元）"))
        + _num(f["trainees"], f"summary.funding.payees.{key}.trainees")
        + _num(f["total"], f"summary.funding.payees.{key}.total")
        + "</tr>"
        for key, f in funding.get("payees", {}).items()
    ]
    return (
        "<h2 id=funding>经费预算</h2>"
        + _table(["范围", *FUNDING_NAMES.values()], rows)
        + "<h3>按收款方</h3>"
        + _table(["收款方", "项目", "人数", "金额（元）"], payees)
        + note
    )


def _solver(data: ReportData) -> str:
    solver = data.result.solver
    verification = solver.verification
    verdict = verification.get("ok", verification.get("passed")) if verification else None
    rows = [
        "<tr>"
        + _text("机制")
        + f'<td data-key="solver.mechanism">{escape(solver.mechanism)}</td></tr>',
        "<tr>"
        + _text("状态")
        + f"<td>{escape(STATUS_WORDS.get(solver.status, ''))}"
        + f'<span data-key="solver.status">{escape(solver.status)}</span></td></tr>',
        "<tr>"
        + _text("独立校验")
        + _text("通过" if verdict is True else "未通过" if verdict is False else "—")
        + "</tr>",
    ]
    rows += [
        "<tr>"
        + _text(f"{STAGE_NAMES.get(stage, stage)}（{stage}）")
        + _num(value, f"solver.objective.{stage}")
        + "</tr>"
        for stage, value in solver.objective.items()
        if isinstance(value, int)
    ]
    message = f'<p class="note">{escape(solver.message)}</p>' if solver.message else ""
    rules = "".join(f"<p>{escape(line)}</p>" for line in policy_lines(data.result))
    return (
        "<h2 id=solver>求解情况</h2>"
        + _table(["项目", "值"], rows)
        + message
        + "<h2 id=rules>录取规则</h2>"
        + rules
    )


def _issues(summary: Mapping[str, Any], data: ReportData) -> str:
    issues = summary["issues"]
    rows = ["<tr>" + _text("合计") + _num(issues["total"], "summary.issues.total") + "</tr>"]
    rows += [
        "<tr>"
        + _text({"error": "错误", "warning": "警告"}[s])
        + _num(n, f"summary.issues.severity.{s}")
        + "</tr>"
        for s, n in issues["severity"].items()
    ]
    rows += [
        "<tr>" + _text(code) + _num(n, f"summary.issues.code.{code}") + "</tr>"
        for code, n in issues["code"].items()
    ]
    whole = [  # problems of a whole file (a missing column): few, and said in full
        "<tr>"
        + _text(i.file)
        + _text(i.column or "")
        + _text(i.code)
        + _text(i.message, "long")
        + "</tr>"
        for i in data.result.round.issues
        if i.row is None
    ]
    heads = ["文件", "列", "代码", "问题及处理"]
    files = "<h3>整个文件的问题（如缺少的列）</h3>" + _table(heads, whole) if whole else ""
    return (
        "<h2 id=issues>数据问题</h2>"
        + _table(["类别", "条数"], rows)
        + files
        + '<p class="note">每条问题的文件、行、列和改正方法见 placements.xlsx 的'
        + "“数据问题”工作表。</p>"
    )


def report_html(data: ReportData) -> bytes:
    """report.html's bytes (UTF-8)."""
    summary = data.summary
    rnd = data.result.round
    title = f"{summary['year']}年度内蒙古少数民族地区专业技术人才特培计划 选派结果"
    not_placed = [
        ("姓名", "name"),
        ("身份证号", "id_number"),
        ("选派地区", "region"),
        ("培养方式", "track"),
        ("状态", "status"),
        ("原因", "reason"),
        ("改进建议", "remedy"),
    ]
    adjusted = [
        ("姓名", "name"),
        ("选派地区", "region"),
        ("培养方式", "track"),
        ("专业领域", "field"),
        ("拟选培养单位1", "choice_1"),
        ("拟选培养单位2", "choice_2"),
        ("拟选培养单位3", "choice_3"),
        ("调剂至", "host"),
        ("该单位培养专业", "host_fields"),
        ("调剂依据专业", "adjustment_field"),
    ]
    trainees = [
        ("姓名", "name"),
        ("身份证号", "id_number"),
        ("联系方式", "phone"),
        ("选派地区", "region"),
        ("培养方式", "track"),
        ("培养单位", "host"),
        ("状态", "status"),
    ]
    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">资格审核基准日 {escape(rnd.rules.reference_date.isoformat())} · '
        f"机制 {escape(data.result.solver.mechanism)} · 身份证号与手机号已部分隐藏</p>",
        "<h2 id=overview>总览</h2>",
        _cards(summary),
        _rank(summary),
        _regions(summary),
        _hosts(summary),
        '<h2 id=unmatched>未录取名单</h2><p class="note">所有未被录取的申报人（未录取、不符合条件、'
        "数据无效），及其原因和改进建议。</p>",
        _people(
            data.unmatched, not_placed, "unmatched.csv（及 placements.xlsx 的“未录取名单”工作表）"
        ),
        "<h2 id=adjusted>调剂名单</h2>",
        _people(data.adjustments, adjusted, "placements.xlsx 的“调剂名单”工作表"),
        overrides_html(data.result.manifest),
        "<h2 id=trainees>录取名单</h2>",
        _people(
            data.trainees,
            trainees,
            "placements.csv（及 placements.xlsx 的“区外培养”“区内培养”工作表）",
        ),
        _funding(summary),
        _solver(data),
        _issues(summary, data),
    ]
    page = (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
    return page.encode("utf-8")
