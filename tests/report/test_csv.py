import io

import pandas as pd
import pytest

from matcher.report.csvout import _pandas_csv, csv_bytes, neutralise, write_csv
from matcher.report.data import prepare
from tests.report.conftest import HOSTILE, HOSTILE_UNMATCHED
from tests.report.frames import weird_frame


def _read(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_neutralise_dangerous_cells(value):
    assert neutralise(value) == "'" + value


def test_neutralise_leaves_safe_values():
    assert neutralise("巴特尔") == "巴特尔" and neutralise(-3) == -3 and neutralise(None) is None


def test_placements_csv_has_one_row_per_applicant_in_input_order(result, written):
    out, _ = written
    raw = (out / "placements.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    frame = _read(out / "placements.csv")
    applicants = result.round.applicants
    assert len(frame) == len(applicants)
    assert list(frame["source_row"]) == [str(a.source_row) for a in applicants]
    assert list(frame["status"]) == [o.status.value for o in result.outcomes]
    assert list(frame.columns[:11]) == [
        "source_file",
        "source_row",
        "name",
        "id_number",
        "region",
        "track",
        "status",
        "choice_rank",
        "host",
        "reason_code",
        "reason",
    ]
    # full ID numbers (as text, leading digits kept) for the department's own machine
    assert list(frame["id_number"]) == [a.id_number or "" for a in applicants]
    assert frame.loc[1, "name"] == "'" + HOSTILE
    assert frame.loc[0, "choice_rank"] == "1" and frame.loc[1, "choice_rank"] == ""
    # 二连浩特市's applicant reads 锡林郭勒盟
    assert frame.loc[2, "region"] == "锡林郭勒盟" and frame.loc[2, "sending_unit"] == "二连浩特市"


def test_placements_csv_counts_match_summary(written):
    import json

    out, _ = written
    summary = json.loads((out / "result.json").read_text("utf-8"))["summary"]
    counts = _read(out / "placements.csv")["status"].value_counts().to_dict()
    assert {k: v for k, v in summary["status"].items() if v} == counts


def test_unmatched_csv_lists_everyone_not_placed_with_reasons(written):
    import json

    out, _ = written
    summary = json.loads((out / "result.json").read_text("utf-8"))["summary"]
    frame = _read(out / "unmatched.csv")
    status = summary["status"]
    assert len(frame) == status["unmatched"] + status["ineligible"] + status["invalid"]
    assert set(frame["status"]) == {"unmatched", "ineligible", "invalid"}
    assert (frame["reason"] != "").all() and (frame["remedy"] != "").all()
    assert "'" + HOSTILE_UNMATCHED in set(frame["name"])
    assert (out / "unmatched.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_notice_lists_per_host_and_region(result, written):
    out, _ = written
    by_host = sorted((out / "notices" / "按培养单位").glob("*.csv"))
    by_region = sorted((out / "notices" / "按选派地区").glob("*.csv"))
    trainees = [o for o in result.outcomes if o.host]
    for folder in (by_host, by_region):
        frames = [_read(p) for p in folder]
        assert sum(len(f) for f in frames) == len(trainees)
        for f in frames:
            assert list(f.columns) == [
                "序号",
                "姓名",
                "性别",
                "民族",
                "选派地区",
                "工作单位",
                "从事专业",
                "培养方式",
                "培养单位",
                "联系方式",
            ]
            assert list(f["序号"]) == [str(i) for i in range(1, len(f) + 1)]
    farmer = _read(out / "notices" / "按培养单位" / "中国农业大学.csv")
    assert dict(zip(farmer["姓名"], farmer["从事专业"], strict=True))["其其格"] == "农艺"
    assert set(farmer["民族"]) == {"蒙古族"}
    hosts = {p.stem: set(_read(p)["培养单位"]) for p in by_host}
    assert all(v == {k} for k, v in hosts.items())
    assert "'" + HOSTILE in set(_read(out / "notices" / "按培养单位" / "中国农业大学.csv")["姓名"])


def test_csv_bytes_writes_nullable_ints_without_decimals():
    frame = pd.DataFrame({"a": pd.array([1, None], dtype="Int64"), "b": ["=x", "y"]})
    text = csv_bytes(frame).decode("utf-8-sig")
    assert text == "a,b\r\n1,'=x\r\n,y\r\n"


# --- The column-wise CSV writer against DataFrame.to_csv -----------------------


def _csv_frames() -> list[pd.DataFrame]:
    weird = weird_frame(500).drop(columns=["mixed"])
    texts = [
        "a,b",
        'say "hi"',
        "line\nbreak",
        "cr\rx",
        "=1+1",
        "+1",
        "-1",
        "@x",
        "\tx",
        "mid=dle",
        "",
        None,
        "普通",
    ]
    hostile = pd.DataFrame(
        {
            "文本": pd.Series(texts * 3, dtype=object),
            "str": pd.Series(texts * 3, dtype="str"),
            "=head": range(len(texts) * 3),
            "f": [1e20, 1e-7, 0.1, float("nan"), 3.0, -0.0] * 6 + [2.5, 1 / 3, 1e16],
        }
    )
    chunked = pd.concat([hostile, hostile], ignore_index=True)  # Arrow columns in two chunks
    plain = pd.DataFrame(  # no field quoted: the lines joined by pyarrow's CSV writer
        {
            "t": pd.Series(["普通", "=1", "", "-x", "a b", "@", "普通"] * 3, dtype="str"),
            "o": pd.Series(["x", None, "+1", "y", "", "z", "\tq"] * 3, dtype=object),
            "f": [0.0, -0.0, float("nan"), 0.1, 1e20, -0.0, 0.0] * 3,
            "b": [True, False, True, True, False, False, True] * 3,
            "n": pd.array([1, None, -3, 0, 2**40, None, 7] * 3, dtype="Int64"),
        }
    )
    return [
        plain,
        weird,
        chunked,
        hostile,
        hostile.iloc[:0],
        hostile[["文本"]],  # one column: to_csv itself
        pd.DataFrame({"d": pd.to_datetime(["2023-01-02"]), "x": ["a"]}),  # other dtype
        pd.DataFrame({"o": pd.Series([1, "a"], dtype=object), "x": ["a", "b"]}),
    ]


@pytest.mark.parametrize("index", range(8))
def test_csv_fields_equal_to_csv(index, monkeypatch):
    frame = _csv_frames()[index]
    monkeypatch.setattr("matcher.report.csvout.CSV_BLOCK_ROWS", 7)
    expected = _pandas_csv(frame)
    assert csv_bytes(frame) == expected
    handle = io.BytesIO()
    write_csv(frame, handle)
    assert handle.getvalue() == expected


def test_csv_of_the_round_equal_to_csv(result):
    data = prepare(result)
    for frame in (data.placements, data.unmatched, data.problems, data.funding):
        assert csv_bytes(frame) == _pandas_csv(frame)
