import io
import json

import openpyxl
import pandas as pd
import pytest

from matcher.report.data import prepare
from matcher.report.workbook import OFFICIAL_HEADERS, notices_xlsx, placements_xlsx
from tests.report.conftest import HOSTILE, HOSTILE_UNMATCHED

SHEETS = [
    "区外培养",
    "区内培养",
    "未录取名单",
    "调剂名单",
    "不符合条件",
    "数据问题",
    "各地区名额",
    "各培养单位",
    "经费预算",
    "说明",
]


@pytest.fixture(scope="module")
def book(written):
    out, _ = written
    return openpyxl.load_workbook(out / "placements.xlsx")


@pytest.fixture(scope="module")
def summary(written):
    out, _ = written
    return json.loads((out / "result.json").read_text("utf-8"))["summary"]


def _rows(sheet):
    values = list(sheet.iter_rows(values_only=True))
    header = list(values[0])
    return header, [dict(zip(header, r, strict=True)) for r in values[1:]]


def test_sheet_names(book):
    assert book.sheetnames == SHEETS


def test_track_sheets_have_official_columns_and_trainees(book, summary):
    shown: set[str] = set()
    for track, name in (("区外", "区外培养"), ("区内", "区内培养")):
        header, rows = _rows(book[name])
        assert header[: len(OFFICIAL_HEADERS)] == OFFICIAL_HEADERS
        assert header[len(OFFICIAL_HEADERS) :] == [
            "拟选培养单位3",
            "培养单位",
            "录取志愿",
            "是否调剂",
            "选派地区",
            "身份证号",
            "预先接收",
            "备注",
            "优先序",
            "抽签签号",
            "是否确认",
        ]
        # each trainee's 优先序 and draw as in placements.csv (contract: the lottery shown)
        assert all(r["优先序"] is None or isinstance(r["优先序"], int) for r in rows)
        assert all(len(r["抽签签号"]) == 16 and int(r["抽签签号"], 16) >= 0 for r in rows)
        # the sample's pre-arrangements come from the 预先接收单位 column, and say so
        shown |= {r["预先接收"] for r in rows if r["预先接收"]}
        figures = summary["tracks"][track]
        assert len(rows) == figures["placed"] + figures["adjusted"]
        assert sum(r["是否调剂"] == "是" for r in rows) == figures["adjusted"]
        assert [r["序号"] for r in rows] == list(range(1, len(rows) + 1))
        assert book[name].freeze_panes == "A2"
    assert shown and all(v.endswith("（来自预先接收单位列）") for v in shown)


def test_id_numbers_are_text(book):
    sheet = book["区外培养"]
    header = [c.value for c in sheet[1]]
    col = header.index("身份证号") + 1
    cells = [sheet.cell(row=r, column=col) for r in range(2, sheet.max_row + 1)]
    assert cells and all(c.data_type == "s" and c.number_format == "@" for c in cells)
    assert cells[0].value == "150102198503010004"


def test_yes_no_dropdowns(book):
    for name in ("区外培养", "区内培养", "调剂名单"):
        validations = book[name].data_validations.dataValidation
        assert validations, name
        assert all(v.type == "list" and v.formula1 == '"是,否"' for v in validations)
    header = [c.value for c in book["区外培养"][1]]
    letters = {
        openpyxl.utils.get_column_letter(header.index(h) + 1) for h in ("是否调剂", "是否确认")
    }
    covered = {
        str(v.sqref).split(":")[0].rstrip("0123456789")
        for v in book["区外培养"].data_validations.dataValidation
    }
    assert covered == letters


def test_not_placed_sheets(book, summary):
    _, rows = _rows(book["未录取名单"])
    status = summary["status"]
    assert len(rows) == status["unmatched"] + status["ineligible"] + status["invalid"]
    assert all(r["原因"] and r["改进建议"] for r in rows)
    assert HOSTILE_UNMATCHED in {r["姓名"] for r in rows}
    assert len(_rows(book["调剂名单"])[1]) == status["adjusted"]
    assert len(_rows(book["不符合条件"])[1]) == status["ineligible"]
    header, problems = _rows(book["数据问题"])
    assert header == ["文件", "行号", "列", "代码", "严重程度", "说明"]
    assert len(problems) == summary["issues"]["total"]


def test_aggregate_sheets_match_summary(book, summary):
    _, regions = _rows(book["各地区名额"])
    for row in regions[:-1]:
        figures = summary["regions"][row["地区"]][row["培养方式"]]
        assert (row["名额"], row["录取合计"], row["剩余名额"]) == (
            figures["quota"],
            figures["filled"],
            figures["unused"],
        )
    assert regions[-1]["地区"] == "合计"
    assert regions[-1]["录取合计"] == summary["trainees"]
    _, hosts = _rows(book["各培养单位"])
    assert {r["培养单位"]: r["已录取"] for r in hosts[:-1]} == {
        h: f["filled"] for h, f in summary["hosts"].items()
    }
    _, funding = _rows(book["经费预算"])
    assert funding[0]["类别"] == "合计"
    assert funding[0]["合计（元）"] == summary["funding"]["total"]["total"]


def test_no_live_formula_anywhere(written):
    out, _ = written
    for name in ("placements.xlsx", "notices.xlsx"):
        book = openpyxl.load_workbook(out / name)
        seen = False
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (name, sheet.title, cell.coordinate)
                    if isinstance(cell.value, str) and cell.value.startswith("="):
                        assert cell.data_type == "s"
                        seen = seen or cell.value == HOSTILE
        assert seen, f"{name}: hostile name not found as text"


def test_split_across_sheets_when_too_long(result):
    data = prepare(result)
    book = openpyxl.load_workbook(io.BytesIO(placements_xlsx(data, max_rows=2)))
    assert "区内培养(2)" in book.sheetnames
    total = sum(book[n].max_row - 1 for n in book.sheetnames if n.startswith("区内培养"))
    assert total == data.summary["tracks"]["区内"]["filled"]
    notes = [c.value for c in book["说明"]["A"]]
    assert any("区内培养(2)" in str(v) for v in notes)


def test_notices_workbook(result, written):
    """目录 + one list by host + one by region, each with a filter; 目录 points at the rows."""
    out, _ = written
    book = openpyxl.load_workbook(out / "notices.xlsx")
    assert book.sheetnames == ["目录", "按培养单位", "按选派地区"]
    index = list(book["目录"].iter_rows(min_row=2, values_only=True))
    assert len(index) == len(list((out / "notices").glob("*/*.csv")))  # few: files too
    trainees = sum(1 for o in result.outcomes if o.host)
    for kind, sheet, column in (
        ("培养单位", "按培养单位", "培养单位"),
        ("选派地区", "按选派地区", "选派地区"),
    ):
        rows = list(book[sheet].iter_rows(values_only=True))
        assert rows[0][0] == column and len(rows) - 1 == trainees
        assert book[sheet].auto_filter.ref == f"A1:J{trainees + 1}"  # 10 columns
        assert {"民族", "从事专业"} <= set(rows[0])
        mine = [r for r in index if r[0] == kind]
        assert sum(r[2] for r in mine) == trainees
        for _, name, count, where, start, stop in mine:
            assert where == sheet and stop - start + 1 == count
            assert {r[0] for r in rows[start - 1 : stop]} == {name}
            assert [r[1] for r in rows[start - 1 : stop]] == list(range(1, count + 1))


def test_workbooks_are_deterministic(result):
    data = prepare(result)
    assert placements_xlsx(data) == placements_xlsx(prepare(result))
    assert notices_xlsx(data) == notices_xlsx(prepare(result))


def test_education_year_written_once():
    from matcher.report.workbook import _education

    with_year = {"education": "硕士研究生,2012年毕业", "graduation_year": 2012}
    assert _education(with_year) == "硕士研究生,2012年毕业"
    without = {"education": "大学本科", "graduation_year": 2008}
    assert _education(without) == "大学本科 2008年毕业"
    assert _education({"education": "博士", "graduation_year": None}) == "博士"


def _edge_placements(result):
    """The sample's placements with the odd values a derived column must read alike."""
    frame = prepare(result).placements.head(12).reset_index(drop=True)
    frame["status"] = ["adjusted", "placed", "unmatched", "谁知道", *frame["status"][4:]]
    frame["choice_rank"] = pd.array([1, 2, 3, 4, None, 1, *frame["choice_rank"][6:]], "Int64")
    frame["prearranged"] = ["", "某医院", "某医院", *frame["prearranged"][3:]]
    frame["prearranged_from"] = ["备注", "备注", "预先接收单位列", *frame["prearranged_from"][3:]]
    frame["birth"] = ["", "1990-01", "1990-01-02", *frame["birth"][3:]]
    return frame


def test_columns_read_as_arrow_equal_their_python_values(result):
    """Each column's `arrow` gives, value for value, its `many` (None: no cell)."""
    from matcher.report.workbook import TRACK_COLUMNS, UNMATCHED_COLUMNS, Records
    from matcher.report.xlsx import clean

    frame = _edge_placements(result)
    records = Records.of(frame)
    read = 0
    for column in [*TRACK_COLUMNS, *UNMATCHED_COLUMNS]:
        arrow = None if column.arrow is None else column.arrow(records, 2, len(records))
        if arrow is None:
            continue
        read += 1
        many = [clean(v) for v in column.many(records, 2, len(records))]
        assert arrow.to_pylist() == many, column.header
        assert many == [clean(column.get(r)) for r in records[2:]], column.header
    assert read >= 30
    frame["birth"] = None  # gaps: read as Python values
    assert TRACK_COLUMNS[4].arrow(Records.of(frame), 0, 3) is None


def test_a_slice_of_records_reads_its_own_rows_as_arrow(result):
    from matcher.report.workbook import Records

    records = Records.of(prepare(result).placements)
    part = records[3:9]
    assert part.arrow("name", 1, 99).to_pylist() == list(records.column("name", 4, 9))
    assert part.arrow("_seq", 0, 3).to_pylist() == [4, 5, 6]
    assert part.arrow("score", 0, 3) is None  # floats: read as Python values
    assert Records(["a"], [["x", "y"]]).arrow("a", 0, 2) is None  # not from a frame


def test_a_frame_in_chunks_reads_a_block_across_them():
    from matcher.report.workbook import Records

    parts = [pd.DataFrame({"a": pd.Series(t, dtype="str")}) for t in (["x", "y"], ["z", None])]
    records = Records.of(pd.concat(parts, ignore_index=True))
    assert records.arrow("a", 1, 4).to_pylist() == ["y", "z", None]
    assert records.arrow("a", 4, 9).to_pylist() == []


def _same(a, b):
    if a is b:
        return True
    if isinstance(a, float) and a != a:
        return isinstance(b, float) and b != b
    return type(a) is type(b) and a == b


def test_records_read_a_slice_of_a_column_as_the_whole_column_gives_it():
    # Each slice is converted on its own: a block of texts only, of numbers with or without
    # NA, of numpy scalars among texts, must give what converting the whole column gives.
    import numpy as np
    import pandas as pd

    from matcher.report.workbook import Records
    from tests.report.frames import weird_frame

    frame = weird_frame(40)
    frame["str"] = pd.array(["a", None, "丙", "d"] * 10, dtype="str")
    frame["np"] = pd.Series(["x"] * 20 + [np.int64(5)] * 20, dtype=object)
    records = Records.of(frame)
    rows = list(records)
    for key in frame.columns:
        whole = list(records.column(key, 0, len(frame)))
        assert all(_same(row[key], value) for row, value in zip(rows, whole, strict=True))
        for start, stop in [(0, 20), (20, 40), (13, 14), (39, 40), (5, 5)]:
            got = list(records.column(key, start, stop))
            want = whole[start:stop]
            assert len(got) == len(want)
            assert all(_same(g, w) for g, w in zip(got, want, strict=True)), (key, start)
    assert type(records.column("np", 20, 21)[0]) is int  # a numpy scalar as a Python value
    assert records.column("str", 1, 2)[0] != records.column("str", 1, 2)[0]  # NaN stays NaN
    assert all(_same(records[-1][k], v) for k, v in rows[-1].items())
    assert rows == list(Records.of(frame)[0:40])


def test_track_rows_order_regions_as_the_quota_table_even_odd_ones(result):
    # Ranked once per distinct region: the same rows, in the same order, as ranking each
    # row (an empty region as 未识别, a missing or unknown one after the known ones).
    import dataclasses

    from matcher.report.workbook import track_rows

    data = prepare(result)
    trainees = data.trainees.copy()
    odd = ["", None, "某地", "未识别", data.region_order()[-1]]
    regions = trainees["region"].astype(object).to_numpy().copy()
    for i in range(0, len(regions), 2):  # every other row: an odd region
        regions[i] = odd[i // 2 % len(odd)]
    trainees["region"] = pd.array(regions, dtype="str")
    data = dataclasses.replace(data, trainees=trainees)
    order = {r: i for i, r in enumerate(data.region_order())}
    for track in ("区外", "区内"):
        mine = trainees[trainees["track"] == track]
        ranks = [order.get(r or "未识别", len(order)) for r in mine["region"]]
        expected = mine.assign(_r=ranks).sort_values("_r", kind="stable").drop(columns="_r")
        rows = track_rows(data, track)
        assert len(rows) == len(expected)
        for key in ("source_row", "region", "name"):
            got = [None if pd.isna(v) else v for v in rows.column(key, 0, len(rows))]
            assert got == [None if pd.isna(v) else v for v in expected[key]], key
