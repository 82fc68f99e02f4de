"""民族 against the 56 groups of data/ethnicities.csv, short forms read as what they mean."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.ingest.ethnicity import (
    COMMON,
    EthnicityTableError,
    ethnic_groups,
    full_names,
    parse_ethnicity,
)
from matcher.model import Track
from matcher.rules import is_minority
from tests.ingest.util import FAST, good_row, read_one, write_form

FORMS = sorted(ethnic_groups().items())


def test_the_table_has_the_56_groups_with_their_codes() -> None:
    names = full_names()
    assert len(names) == 56 and len(set(names)) == 56
    assert names[0] == "汉族" and names[1] == "蒙古族" and names[-1] == "基诺族"
    assert all(name.endswith("族") for name in names)


@pytest.mark.parametrize(("written", "group"), [
    ("蒙古族", "蒙古族"), ("蒙古", "蒙古族"), ("蒙", "蒙古族"), ("蒙族", "蒙古族"),
    ("满", "满族"), ("回", "回族"), ("达斡尔", "达斡尔族"), ("达斡尔族", "达斡尔族"),
    ("鄂温克", "鄂温克族"), ("鄂伦春", "鄂伦春族"), ("俄罗斯", "俄罗斯族"), ("汉", "汉族"),
    (" 蒙 古 族 ", "蒙古族"), ("朝鲜", "朝鲜族"), ("维族", "维吾尔族"), ("畬族", "畲族"),
])  # fmt: skip
def test_short_forms_read_as_what_they_mean(written: str, group: str) -> None:
    assert parse_ethnicity(written) == (group, None)


@pytest.mark.parametrize(("written", "suggested"), [
    ("汗族", "汉族"), ("其他", "蒙古族"), ("未知", "汉族"), ("达翰尔族", "达斡尔族"),
    ("鄂温可族", "鄂温克族"), ("穿青人", "蒙古族"),
])  # fmt: skip
def test_unknown_value_is_an_error_with_suggestions(written: str, suggested: str) -> None:
    group, problem = parse_ethnicity(written)
    assert group is None and problem is not None
    assert problem.code == "ETHNICITY_UNKNOWN" and problem.severity.value == "error"
    assert written in problem.message and suggested in problem.message


@FAST
@given(st.sampled_from(FORMS), st.sampled_from(["", " ", "\u3000"]))
def test_every_form_of_the_table_reads_as_its_group(form: tuple[str, str], pad: str) -> None:
    written, group = form
    assert parse_ethnicity(pad + written + pad) == (group, None)


@FAST
@given(st.text(min_size=1, max_size=6))
def test_any_text_is_a_group_or_an_error_naming_groups(text: str) -> None:
    group, problem = parse_ethnicity(text)
    if problem is None:
        assert group is None or group in full_names()
    else:
        assert group is None and problem.code == "ETHNICITY_UNKNOWN"
        suggested = problem.message.split("是否为：", 1)[1].split("？", 1)[0].split("、")
        assert 1 <= len(suggested) <= 3 and set(suggested) <= set(full_names())


def test_a_form_given_to_two_groups_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ethnicities.csv").write_text("代码,民族,简称\n01,汉族,汉\n02,回族,汉\n",
                                              encoding="utf-8")
    with pytest.raises(EthnicityTableError, match="同时属于"):
        ethnic_groups(tmp_path)


def test_the_common_fallback_names_real_groups() -> None:
    assert set(COMMON) <= set(full_names())


def test_a_short_form_counts_as_a_minority_and_an_unknown_one_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "兴安盟.xlsx"
    rows = write_form(path, [good_row(1, 民族="蒙"), good_row(2, 姓名="巴特尔", 民族="汗族")])
    people, _ = read_one(path)
    assert people[0].ethnicity == "蒙古族" and is_minority(people[0].ethnicity)
    assert people[0].track is Track.OUT and not people[0].problems
    assert people[1].invalid  # never silently a minority for 区外
    assert [(i.row, i.column, i.code) for i in people[1].problems] == [
        (rows["巴特尔"], "民族", "ETHNICITY_UNKNOWN")]


def test_a_broken_table_is_a_usage_error_not_a_traceback(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from matcher.cli import app
    from matcher.paths import data_dir

    for name in ("titles.csv", "fields.csv", "units.csv", "hosts-2023.csv", "quotas-2023.csv"):
        (tmp_path / name).write_bytes((data_dir() / name).read_bytes())
    (tmp_path / "ethnicities.csv").write_text("代码,民族\n01,汉族\n", encoding="utf-8")
    path = tmp_path / "兴安盟.xlsx"
    write_form(path, [good_row(1)])
    monkeypatch.setenv("MATCHER_DATA", str(tmp_path))
    ethnic_groups.cache_clear()
    try:
        done = CliRunner().invoke(app, ["validate", "-a", str(path)])
    finally:
        monkeypatch.delenv("MATCHER_DATA")
        ethnic_groups.cache_clear()
    assert done.exit_code == 2 and "简称" in done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)
