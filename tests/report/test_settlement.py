"""The year-end settlement: allowance by months trained, totals per payee, clear errors."""

from __future__ import annotations

import csv

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.after.settle import SettleError, parse_months, settle
from matcher.after.settlement_book import settlement_files
from matcher.api import settle as settle_api
from matcher.report.funding import CENTRE
from matcher.report.publish import MARKER, OutputError, whole_set_problem
from matcher.report.rundir import read_run
from tests.report.runs import run_of
from tests.strategies import CI, build_result, result_rows


def _months_file(tmp_path, rows, header=("姓名", "身份证号", "培训月数"), name="m.csv"):
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


@pytest.fixture()
def run(written):
    return read_run(written[0])


def _trainee_rows(run, months=12):
    trainees = run.trainees()
    return [(n, "", months) for n in trainees["name"]]


def test_parse_months():
    assert parse_months(12) == 12 and parse_months("10") == 10 and parse_months("9个月") == 9
    assert parse_months(0) == 0 and parse_months(11.0) == 11
    assert parse_months("未结业") == "未结业" and parse_months("不合格") == "未通过"
    for bad in (13, -1, 10.5, "十", "", None, True):
        assert parse_months(bad) is None


def test_allowance_by_months_and_payees(run, tmp_path):
    rows = _trainee_rows(run)
    rows[0] = (rows[0][0], "", 10)  # 巴特尔, 区外: 10 × 600
    rows[3] = (rows[3][0], "", "未结业")  # 阿拉坦, 区内: nothing
    done = settle(run, _months_file(tmp_path, rows))
    people = done.trainees.set_index("name")
    assert people.loc["巴特尔", "living"] == 6_000 and people.loc["巴特尔", "difference"] == 1_200
    assert people.loc["阿拉坦", "living"] == 0 and people.loc["阿拉坦", "result"] == "未结业"
    assert people.loc["萨仁", "living"] == 4_800
    payees = done.payees.set_index("payee")
    assert payees.loc[CENTRE, "settled"] == 3 * 3_000  # the three 区外 trainees
    assert payees.loc["培养单位", "settled"] == 3 * 30_000 + 4 * 16_000
    living = 2 * 7_200 + 6_000 + 3 * 4_800
    assert payees.loc[payees["item"] == "生活补贴", "settled"].item() == living
    assert done.total == 9_000 + 154_000 + living
    assert int(done.hosts["tuition_lodging"].sum()) == 154_000


def test_every_problem_at_once(run, tmp_path):
    rows = _trainee_rows(run)[1:]  # 巴特尔 missing
    rows += [
        ("无此人", "", 12),  # unknown
        ("乌云", "", 12),  # applied, not placed
        (rows[0][0], "", 12),  # duplicate
        ("萨仁", "", 13),  # out of range … and a duplicate of 萨仁
        ("", "", 12),  # nobody named
        ("", "150102198503019998", 12),  # unknown ID
    ]
    with pytest.raises(SettleError) as caught:
        settle(run, _months_file(tmp_path, rows))
    codes = [(i.code, i.row) for i in caught.value.issues]
    assert ("SETTLE_UNKNOWN_PERSON", 8) in codes
    assert ("SETTLE_NOT_TRAINEE", 9) in codes
    assert ("SETTLE_DUPLICATE", 10) in codes
    assert ("SETTLE_MONTHS_INVALID", 11) in codes
    assert ("SETTLE_PERSON_MISSING", 12) in codes
    assert ("SETTLE_UNKNOWN_PERSON", 13) in codes
    assert ("SETTLE_TRAINEE_MISSING", None) in codes
    messages = " ".join(i.message for i in caught.value.issues)
    assert "巴特尔" in messages and "150102198503019998" not in messages  # IDs masked


def test_by_id_number_and_a_name_mismatch_warns(run, tmp_path):
    rows = [r for r in _trainee_rows(run) if r[0] != "萨仁"]
    rows.append(("萨日", "150102198503010003", 12))  # 萨仁's ID, name misspelt
    done = settle(run, _months_file(tmp_path, rows))
    assert [w.code for w in done.warnings] == ["SETTLE_NAME_MISMATCH"]
    assert done.trainees.set_index("name").loc["萨仁", "months"] == 12


def test_a_file_without_the_months_column(run, tmp_path):
    with pytest.raises(SettleError) as caught:
        settle(run, _months_file(tmp_path, [("巴特尔", "x")], header=("姓名", "备注")))
    assert [i.code for i in caught.value.issues] == ["SETTLE_HEADER_NOT_FOUND"]


@settings(CI)
@given(data=st.data(), rows=result_rows(max_rows=20))
def test_settled_totals_add_up(tmp_path_factory, data, rows):
    """Property: allowance = Σ months × rate; the payees' settled sum = host + centre + living."""
    result = build_result(rows)
    tmp = tmp_path_factory.mktemp("settle")
    run = run_of(result, tmp)
    trainees = run.trainees()
    values = data.draw(
        st.lists(
            st.one_of(st.integers(0, 12), st.just("未结业")),
            min_size=len(trainees),
            max_size=len(trainees),
        )
    )
    pairs = zip(trainees["id_number"], values, strict=True)
    path = _months_file(tmp, [("", number, v) for number, v in pairs])
    done = settle(run, path)
    rate = {"区外": 600, "区内": 400}
    expected = sum(
        rate[t] * v for t, v in zip(trainees["track"], values, strict=True) if isinstance(v, int)
    )
    assert int(done.trainees["living"].sum()) == expected
    assert list(done.trainees["id_number"]) == list(trainees["id_number"])  # each once, in order
    out = int((trainees["track"] == "区外").sum())
    tuition = sum(30_000 if t == "区外" else 16_000 for t in trainees["track"])
    assert done.total == tuition + 3_000 * out + expected


def test_files_written_beside_never_into_the_run(run, written, tmp_path):
    months = _months_file(tmp_path, _trainee_rows(run, 11))
    with pytest.raises(OutputError, match="输入文件夹"):
        settle_api(written[0], months, written[0] / "settlement")
    out = tmp_path / "out"
    done = settle_api(written[0], months, out)
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "settlement.csv", "settlement.xlsx"]
    assert whole_set_problem(out, "files") is None  # published whole, like a run
    book = openpyxl.load_workbook(out / "settlement.xlsx")
    assert book.sheetnames == ["学员生活补贴", "按收款方", "按培养单位"]
    sheet = book["按收款方"]
    assert sheet.page_setup.orientation == "landscape"
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    total = next(r for r in values if r[0] == "合计")
    assert total[4] == done.total
    csv = pd.read_csv(out / "settlement.csv", dtype=str, encoding="utf-8-sig")
    assert len(csv) == len(run.trainees()) and "生活补贴（元）" in csv.columns
    assert settlement_files(done) == settlement_files(done)  # deterministic bytes


def test_a_workbook_of_months_with_number_cells(run, tmp_path):
    import xlsxwriter

    path = tmp_path / "months.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("结算")
    sheet.write_row(0, 0, ["2023年度特培学员培训月数"])  # a title row above the header
    sheet.write_row(1, 0, ["序号", "姓名", "实际培训月数"])
    for i, name in enumerate(run.trainees()["name"], start=2):
        sheet.write_number(i, 0, i - 1)
        sheet.write_string(i, 1, name)
        sheet.write_number(i, 2, 12 if i % 2 else 9.0)
    book.close()
    done = settle(run, path)
    assert set(done.trainees["months"]) == {12, 9}
    assert list(done.trainees["source_row"]) == list(range(3, 3 + len(run.trainees())))
