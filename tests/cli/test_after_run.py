"""settle, forms and letters on a run of the bundled sample round: exit codes and files."""

from __future__ import annotations

import csv

import pytest
from typer.testing import CliRunner

from matcher.cli import app
from matcher.paths import data_dir

runner = CliRunner()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample") / "run"
    done = runner.invoke(app, ["run", "--out", str(out), "--quiet"])
    assert done.exit_code == 1, done.output  # the sample's deliberate defects
    return out


def _trainees(run_dir):
    with (run_dir / "placements.csv").open(encoding="utf-8-sig") as handle:
        return [r for r in csv.DictReader(handle) if r["status"] in ("placed", "adjusted")]


def test_forms_write_the_two_tables_and_fifteen_packages(run_dir, tmp_path):
    out = tmp_path / "forms"
    done = runner.invoke(app, ["forms", str(run_dir), "--out", str(out), "--date", "2023-07-01"])
    assert done.exit_code == 0, done.output
    assert (out / "附件3-区外培养学员汇总表.xlsx").is_file()
    packages = sorted(p.stem for p in (out / "回执").glob("*.xlsx"))
    assert len(packages) == 15
    assert {"满洲里市", "二连浩特市", "呼伦贝尔市", "锡林郭勒盟"} <= set(packages)
    assert "满洲里市：录取" in done.output


def test_forms_refuse_the_run_folder_and_bad_dates(run_dir):
    done = runner.invoke(app, ["forms", str(run_dir), "--out", str(run_dir / "forms")])
    assert done.exit_code == 2 and "输入文件夹" in done.output
    assert runner.invoke(app, ["forms", str(run_dir), "--date", "7月1日"]).exit_code == 2
    assert runner.invoke(app, ["forms", str(run_dir.parent / "nothing")]).exit_code == 2


def test_letters_with_a_catalogue_that_has_contacts(run_dir, tmp_path):
    source = (data_dir() / "hosts-2023.csv").read_text(encoding="utf-8-sig").splitlines()
    rows = [source[0] + ",联系人,联系电话,报到地址,报到时间"]
    rows += [line + ",张老师,0471-1234567,某地,2023年9月1日" for line in source[1:]]
    hosts = tmp_path / "hosts.csv"
    hosts.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "letters"
    done = runner.invoke(app, ["letters", str(run_dir), "--hosts", str(hosts), "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert len(list((out / "报到通知").rglob("*.docx"))) == len(_trainees(run_dir)) == 80
    assert "与本轮匹配时所用的不同" in done.output  # the catalogue changed since the run
    bundled = runner.invoke(app, ["letters", str(run_dir), "--out", str(tmp_path / "b")])
    assert bundled.exit_code == 0 and "另行通知" in bundled.output  # no contacts in data/


def test_settle_errors_exit_1_and_write_nothing(run_dir, tmp_path):
    months = tmp_path / "months.csv"
    months.write_text("姓名,培训月数\n无此人,12\n", encoding="utf-8")
    out = tmp_path / "settle"
    args = ["settle", str(run_dir), "--months", str(months), "--out", str(out)]
    done = runner.invoke(app, args, env={"COLUMNS": "400"})
    assert done.exit_code == 1
    assert "结算表有 81 个错误" in done.output  # one unknown + the 80 trainees missing
    assert "SETTLE_UNKNOWN_PERSON" in done.output and "SETTLE_TRAINEE_MISSING" in done.output
    assert not out.exists()


def test_settle_writes_the_workbook_and_csv(run_dir, tmp_path):
    months = tmp_path / "months.csv"
    trainees = _trainees(run_dir)
    lines = ["身份证号,培训月数", *(f"{t['id_number']},12" for t in trainees)]
    lines[1] = lines[1].rsplit(",", 1)[0] + ",未结业"
    months.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "settle"
    done = runner.invoke(app, ["settle", str(run_dir), "--months", str(months), "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert (out / "settlement.xlsx").is_file() and (out / "settlement.csv").is_file()
    first = 600 if trainees[0]["track"] == "区外" else 400
    assert f"合计 {2_440_000 - 12 * first:,} 元" in done.output
