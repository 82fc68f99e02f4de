"""The command line over the bundled sample round: help, validate, run, explain."""

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher.cli import app, spread_applicants
from matcher.paths import sample_round_dir
from tests.ingest.util import sample_column_notices

runner = CliRunner()


@pytest.mark.parametrize(
    "command",
    ["run", "validate", "explain", "compare", "settle", "forms", "letters", "backfill", "serve"],
)
def test_every_command_has_help_with_an_example(command):
    done = runner.invoke(app, [command, "--help"])
    assert done.exit_code == 0
    assert "Example:" in done.output


def test_validate_json_reports_exactly_the_documented_defects():
    done = runner.invoke(app, ["validate", "--json"])
    assert done.exit_code == 1  # the sample round carries deliberate errors
    issues = json.loads(done.stdout)
    assert all(set(i) == {"file", "row", "column", "code", "severity", "message"} for i in issues)
    documented = _documented_defects() | sample_column_notices(sample_round_dir())
    assert {(i["file"], i["row"], i["column"], i["code"]) for i in issues} == documented
    whole = [i for i in issues if i["row"] is None]
    assert whole and all(i["severity"] == "warning" for i in whole)


def _documented_defects():
    """(file, row, column, code) rows of the table in data/sample-2023/DEFECTS.md."""
    rows = set()
    for line in (sample_round_dir() / "DEFECTS.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[1].isdigit():
            rows.add((cells[0], int(cells[1]), cells[2], cells[3]))
    assert rows, "DEFECTS.md has no table rows"
    return rows


def test_unknown_mechanism_is_a_usage_error_listing_the_known_ones(tmp_path):
    done = runner.invoke(app, ["run", "--mechanism", "magic", "--out", str(tmp_path / "o")])
    assert done.exit_code == 2
    assert "optimal" in done.output


def test_missing_input_file_is_a_usage_error_not_a_traceback(tmp_path):
    done = runner.invoke(app, ["validate", "-a", str(tmp_path / "nope.xlsx")])
    assert done.exit_code == 2
    assert "Traceback" not in done.output


def test_run_writes_every_row_once_and_refuses_a_non_empty_folder(tmp_path):
    out = tmp_path / "out"
    done = runner.invoke(app, ["run", "--out", str(out), "--quiet"])
    assert done.exit_code == 1, done.output  # outputs written despite the input errors
    with (out / "placements.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    result = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert len(rows) == sum(result["summary"]["status"].values())
    assert len({(r["source_file"], r["source_row"]) for r in rows}) == len(rows)
    assert {r["status"] for r in rows} >= {"placed", "invalid", "ineligible"}
    again = runner.invoke(app, ["run", "--out", str(out), "--quiet"])
    assert again.exit_code == 2


def test_explain_by_file_and_row():
    defects = sorted(_documented_defects())
    file, row = defects[0][0], defects[0][1]
    done = runner.invoke(app, ["explain", f"{file}:{row}"])
    assert done.exit_code == 0, done.output
    assert "invalid" in done.output or "数据" in done.output


def test_run_scenario_applies_its_overrides_and_options_beside_it(tmp_path):
    from pathlib import Path

    scenario = Path(__file__).resolve().parents[2] / "scenarios" / "2023-alxa-2-to-chifeng.toml"
    out = tmp_path / "moved"
    done = runner.invoke(app, ["run", str(scenario), "--seed", "11", "--out", str(out), "-q"])
    assert done.exit_code == 1, done.output  # the sample's data errors, outputs written
    summary = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert summary["manifest"]["seed"] == 11
    regions = summary["summary"]["regions"]
    assert regions["赤峰市"]["区外"]["quota"] == 4 and regions["阿拉善盟"]["区外"]["quota"] == 2


def test_bad_scenario_names_key_and_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n\n[capacity]\nnot_a_key = 3\n', encoding="utf-8")
    done = runner.invoke(app, ["run", str(bad), "--out", str(tmp_path / "o")])
    assert done.exit_code == 2
    assert "bad.toml:4" in done.output and "Traceback" not in done.output


def test_months_set_the_living_allowance(tmp_path):
    nine, twelve = tmp_path / "nine", tmp_path / "twelve"
    for months, out in ((9, nine), (12, twelve)):
        runner.invoke(app, ["run", "--out", str(out), "-q", "--months", str(months)])
    f9 = json.loads((nine / "result.json").read_text(encoding="utf-8"))["summary"]["funding"]
    f12 = json.loads((twelve / "result.json").read_text(encoding="utf-8"))["summary"]["funding"]
    trainees = json.loads((nine / "result.json").read_text(encoding="utf-8"))["summary"]["tracks"]
    # three months less allowance: 区外 600 and 区内 400 a month per trainee
    expected = 3 * (600 * trainees["区外"]["filled"] + 400 * trainees["区内"]["filled"])
    assert f12["total"]["total"] - f9["total"]["total"] == expected


def test_options_beside_a_scenario_keep_its_order_of_the_stages(tmp_path):
    from pathlib import Path

    from matcher.cli import override_policy
    from matcher.ingest.load import load_round
    from matcher.whatif.scenario import build_round

    path = Path(__file__).resolve().parents[2] / "scenarios" / "2023-priority-first.toml"
    round_ = build_round(path, load_round())
    assert round_.policy.objective[0] == "priority_placed_at_choice"
    for mechanism, seed in ((None, 7), ("cpsat", None)):
        changed = override_policy(round_, mechanism, seed).policy
        assert changed.objective == round_.policy.objective
        assert changed.adjustment == round_.policy.adjustment
    done = runner.invoke(
        app, ["run", str(path), "--mechanism", "stable", "--out", str(tmp_path / "o")]
    )
    assert done.exit_code == 2 and "objective" in done.output
    assert not (tmp_path / "o").exists()


def test_run_says_each_step_and_its_time_and_leaves_the_solver_alone(tmp_path, monkeypatch):
    import re
    import threading

    import matcher.engine.pipeline

    threads_while_solving = []
    solve_round = matcher.engine.pipeline.solve_round

    def watched(round_):
        threads_while_solving.append(threading.active_count())
        return solve_round(round_)

    monkeypatch.setattr(matcher.engine.pipeline, "solve_round", watched)
    done = runner.invoke(app, ["run", "--out", str(tmp_path / "a")])
    assert done.exit_code == 1  # the sample's documented defects
    steps = re.findall(r"^(\S+)…\n  用时 (\d+(?:\.\d+)?) 秒$", done.stderr, flags=re.M)
    names = ["读取并校验输入文件", "匹配（optimal）并独立核验", "写出结果文件"]
    assert [s for s, _ in steps] == names
    # no progress thread runs beside the solver: it may start its second process
    assert threads_while_solving == [1]
    quiet = runner.invoke(app, ["run", "--out", str(tmp_path / "b"), "-q"])
    assert quiet.exit_code == 1 and "秒" not in quiet.stderr
    absent = str(tmp_path / "none.csv")
    missing = runner.invoke(app, ["run", "-a", absent, "--out", str(tmp_path / "c")])
    assert missing.exit_code == 2
    assert missing.stderr.splitlines()[:1] == ["读取并校验输入文件…"]  # the error on its own line


def _sample_files(pattern):
    return sorted(str(p) for p in sample_round_dir().glob(pattern))


def test_several_paths_after_one_applicants_flag_as_a_glob_gives_them(tmp_path):
    """`-a submissions/*.xlsx other/` as a shell expands it: files and folders after one flag."""
    folder = tmp_path / "区直"
    folder.mkdir()
    for name in _sample_files("区直*.xlsx"):
        (folder / Path(name).name).write_bytes(Path(name).read_bytes())
    files = _sample_files("阿拉善盟*.xlsx")
    assert len(files) == 2
    one_flag = runner.invoke(app, ["validate", "--json", "-a", *files, str(folder)])
    repeated = runner.invoke(
        app, ["validate", "--json", "-a", files[0], "--applicants", files[1], "-a", str(folder)]
    )
    assert one_flag.exit_code == repeated.exit_code == 1  # 区直's table has a HOST_UNKNOWN
    assert json.loads(one_flag.stdout) == json.loads(repeated.stdout)
    assert {i["file"] for i in json.loads(one_flag.stdout)} == {
        "阿拉善盟区外汇总表.xlsx",
        "阿拉善盟区内汇总表.xlsx",
        "区直区外汇总表.xlsx",
    }
    table = runner.invoke(app, ["validate", "-a", *files, str(folder)])
    assert "（3 个申报文件）" in table.stdout

    out = tmp_path / "out"
    done = runner.invoke(app, ["run", "-a", *files, "--out", str(out), "--quiet"])
    assert done.exit_code == 1, done.output
    with (out / "placements.csv").open(encoding="utf-8-sig") as handle:
        assert {r["source_file"] for r in csv.DictReader(handle)} == {Path(f).name for f in files}

    done = runner.invoke(app, ["explain", "-a", *files, "阿拉善盟区外汇总表.xlsx:5"])
    assert done.exit_code == 0, done.output
    assert "阿拉善盟" in done.stdout


def test_a_missing_path_among_several_is_a_usage_error(tmp_path):
    files = _sample_files("阿拉善盟*.xlsx")
    done = runner.invoke(app, ["validate", "-a", *files, str(tmp_path / "nope.xlsx")])
    assert done.exit_code == 2 and "nope.xlsx" in done.output


@pytest.mark.parametrize(("args", "spread"), [
    (["run", "-a", "a.xlsx", "b.csv", "s.toml"], ["run", "-a", "a.xlsx", "--applicants", "b.csv",
                                                  "s.toml"]),
    (["explain", "-a", "a.xlsx", "b.xls", "a.xlsx:5"],
     ["explain", "-a", "a.xlsx", "--applicants", "b.xls", "a.xlsx:5"]),
    (["validate", "--applicants=a.xlsx", "b.xlsm", "--json"],
     ["validate", "--applicants=a.xlsx", "--applicants", "b.xlsm", "--json"]),
    (["validate", "-a", "a.xlsx", "--", "b.xlsx"], ["validate", "-a", "a.xlsx", "--", "b.xlsx"]),
    (["explain", "-a", "a.xlsx", "150102198805031221"],
     ["explain", "-a", "a.xlsx", "150102198805031221"]),
])  # fmt: skip
def test_spread_applicants_keeps_positional_arguments(args, spread):
    assert spread_applicants(args) == spread


def test_run_scenario_with_an_override_of_nobody_says_so(tmp_path):
    # The hand decisions' errors are told apart only once raised (their modules load then).
    scenario = tmp_path / "nobody.toml"
    scenario.write_text(
        '[[overrides]]\nkind = "exclude"\napplicant = "110101190001010000"\n'
        'reason = "材料不实"\ndecided_by = "专技处"\n',
        encoding="utf-8",
    )
    done = runner.invoke(app, ["run", str(scenario), "--out", str(tmp_path / "o"), "-q"])
    assert done.exit_code == 2, done.output
    assert "人工调整有误" in done.output and "Traceback" not in done.output
    assert not (tmp_path / "o").exists()
