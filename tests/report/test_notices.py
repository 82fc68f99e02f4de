"""The notification lists: one table by host and one by region, at any number of hosts."""

from __future__ import annotations

import io
from datetime import datetime
from types import SimpleNamespace

import openpyxl
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from matcher.report import notices
from matcher.report.notices import NOTICE_COLUMNS, notice_files, notice_tables
from matcher.report.workbook import notices_xlsx
from tests.strategies import CI

HOSTS = ["甲大学", "乙医院", "丙研究所", "丁学院"]
REGIONS = ["赤峰市", "通辽市", "兴安盟"]


def _trainees(pairs: list[tuple[str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": [f"t{i}" for i in range(len(pairs))],
            "gender": ["女"] * len(pairs),
            "ethnicity": ["蒙古族"] * len(pairs),
            "region": [r for _, r in pairs],
            "employer": ["单位"] * len(pairs),
            "profession": ["畜牧兽医"] * len(pairs),
            "track": ["区外"] * len(pairs),
            "host": [h for h, _ in pairs],
            "phone": ["13900000000"] * len(pairs),
        }
    )


def _rank(order: list[object], values: list[object]) -> dict[object, int]:
    return {v: i for i, v in enumerate(dict.fromkeys([*order, *values]))}


@CI
@given(
    st.lists(
        st.tuples(st.sampled_from([*HOSTS, "戊中心"]), st.sampled_from([*REGIONS, None])),
        max_size=40,
    ),
    st.permutations(HOSTS),
    st.permutations(REGIONS),
)
def test_every_trainee_once_per_table_grouped_in_order(pairs, hosts, regions):
    """Property: each table lists every trainee once, grouped in the given order.

    Groups are contiguous, in the order of the catalogue (then others by first
    appearance); within a group by the other column's order, then input order; 序号
    counts 1… within each group; `names` and `starts` describe the groups.
    """
    trainees = _trainees(pairs)
    host_rank = _rank(list(hosts), trainees["host"].tolist())
    region_rank = _rank(list(regions), trainees["region"].tolist())
    for table, key, then, first in zip(
        notice_tables(trainees, hosts, regions),
        (host_rank, region_rank),
        (region_rank, host_rank),
        ("培养单位", "选派地区"),
        strict=True,
    ):
        frame = table.frame
        assert list(frame.columns) == [first, *(c for c in NOTICE_COLUMNS if c != first)]
        group_of = "host" if first == "培养单位" else "region"
        other_of = "region" if group_of == "host" else "host"
        expected = sorted(
            range(len(pairs)),
            key=lambda i: (
                key[trainees[group_of][i]],
                then[trainees[other_of][i]],
                i,
            ),
        )
        assert frame["姓名"].tolist() == [f"t{i}" for i in expected]
        groups = list(table.groups())
        assert [n for n, _, _ in groups] == list(
            dict.fromkeys(trainees[group_of][i] for i in expected)
        )
        assert sum(b - a for _, a, b in groups) == len(pairs)
        for name, a, b in groups:
            part = frame.iloc[a:b]
            assert set(part[first].tolist()) == {name}
            assert part["序号"].tolist() == list(range(1, b - a + 1))


def test_files_per_host_only_while_few(monkeypatch):
    trainees = _trainees([("甲大学", "赤峰市"), ("乙医院", "赤峰市"), ("甲大学", "通辽市")])
    tables = notice_tables(trainees, HOSTS, REGIONS)
    files = dict(notice_files(tables))
    assert {"notices/按培养单位.csv", "notices/按选派地区.csv"} <= set(files)
    assert {p for p in files if p.startswith("notices/按培养单位/")} == {
        "notices/按培养单位/甲大学.csv",
        "notices/按培养单位/乙医院.csv",
    }
    one = pd.read_csv(io.BytesIO(files["notices/按培养单位/甲大学.csv"]), encoding="utf-8-sig")
    assert list(one.columns) == NOTICE_COLUMNS and one["序号"].tolist() == [1, 2]
    monkeypatch.setattr(notices, "NOTICE_FILES_MAX", 2)  # 2 hosts and 2 regions: still files
    assert set(dict(notice_files(tables))) == set(files)
    monkeypatch.setattr(notices, "NOTICE_FILES_MAX", 1)
    assert set(dict(notice_files(tables))) == {"notices/按培养单位.csv", "notices/按选派地区.csv"}


def test_many_hosts_make_three_sheets_and_an_index():
    """5,000 hosts: still 目录 + two lists, and the index points at each host's rows."""
    n = 5_000
    hosts = [f"单位{i:04d}" for i in range(n)]
    pairs = [(hosts[(7 * i) % n], REGIONS[i % 3]) for i in range(2 * n)]
    trainees = _trainees(pairs)
    data = SimpleNamespace(
        trainees=trainees,
        created=datetime(2023, 1, 1),
        summary={"hosts": dict.fromkeys(hosts)},
        region_order=lambda: REGIONS,
    )
    book = openpyxl.load_workbook(io.BytesIO(notices_xlsx(data)), read_only=True)  # type: ignore[arg-type]
    assert book.sheetnames == ["目录", "按培养单位", "按选派地区"]
    index = list(book["目录"].iter_rows(min_row=2, values_only=True))
    assert len(index) == n + len(REGIONS)
    by_host = list(book["按培养单位"].iter_rows(values_only=True))
    for kind, name, count, sheet, start, stop in index[:: n // 7]:
        assert kind == "培养单位" and sheet == "按培养单位" and stop - start + 1 == count == 2
        assert {row[0] for row in by_host[start - 1 : stop]} == {name}
    assert sum(c for k, _, c, *_ in index if k == "选派地区") == 2 * n


def test_a_split_list_says_where_it_continues():
    trainees = _trainees([("甲大学", "赤峰市")] * 3 + [("乙医院", "通辽市")] * 2)
    data = SimpleNamespace(
        trainees=trainees,
        created=datetime(2023, 1, 1),
        summary={"hosts": dict.fromkeys(HOSTS)},
        region_order=lambda: REGIONS,
    )
    book = openpyxl.load_workbook(io.BytesIO(notices_xlsx(data, max_rows=2)))  # type: ignore[arg-type]
    assert book.sheetnames == [
        "目录",
        "目录(2)",
        "按培养单位",
        "按培养单位(2)",
        "按培养单位(3)",
        "按选派地区",
        "按选派地区(2)",
        "按选派地区(3)",
        "说明",
    ]
    index = list(book["目录"].iter_rows(min_row=1, values_only=True))
    assert index[0][-1] == "结束行所在工作表"
    assert index[1] == ("培养单位", "甲大学", 3, "按培养单位", 2, 2, "按培养单位(2)")
    assert index[2] == ("培养单位", "乙医院", 2, "按培养单位(2)", 3, 2, "按培养单位(3)")
