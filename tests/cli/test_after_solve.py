"""The commands after the solve: backfill, centre export, centre import (exit codes, help)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher.cli import app

runner = CliRunner()


@pytest.mark.parametrize("command", [["backfill"], ["centre", "export"], ["centre", "import"]])
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    done = runner.invoke(app, [*command, "--help"])
    assert done.exit_code == 0
    assert "Example:" in done.output


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli") / "published"
    done = runner.invoke(app, ["run", "--out", str(folder), "-q"])
    assert done.exit_code == 1  # the sample round's documented input errors
    return folder


def _rows(folder: Path) -> list[dict[str, str]]:
    with (folder / "placements.csv").open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_backfill_from_a_list_file_and_its_exit_codes(published: Path, tmp_path: Path) -> None:
    rows = _rows(published)
    placed = [r for r in rows if r["status"] == "placed"]
    unplaced = next(r for r in rows if r["status"] == "unmatched")
    listing = tmp_path / "退出名单.csv"
    listing.write_text(f"身份证号\n{placed[0]['id_number']}\n# 备注行\n", encoding="utf-8")
    out = tmp_path / "r2"
    done = runner.invoke(app, ["backfill", str(published), "-w", str(listing), "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "第2轮补录" in done.output and (out / "backfill.csv").is_file()
    assert placed[0]["id_number"] not in done.output
    never = runner.invoke(
        app, ["backfill", str(published), "-w", unplaced["id_number"], "--out", str(tmp_path / "x")]
    )
    assert never.exit_code == 2
    assert unplaced["name"] in never.output and unplaced["id_number"] not in never.output
    inside = runner.invoke(
        app, ["backfill", str(published), "-w", placed[1]["id_number"], "--out", str(published)]
    )
    assert inside.exit_code == 2 and "只读" in inside.output
    missing = runner.invoke(app, ["backfill", str(tmp_path / "none"), "-w", "1"])
    assert missing.exit_code == 2 and "result.json" in missing.output


def test_centre_export_then_import_with_a_bad_row(tmp_path: Path) -> None:
    book = tmp_path / "centre.xlsx"
    done = runner.invoke(app, ["centre", "export", "--out", str(book)])
    assert done.exit_code == 0, done.output
    again = runner.invoke(app, ["centre", "export", "--out", str(book)])
    assert again.exit_code == 2  # no silent overwrite
    answer = tmp_path / "answer.csv"
    answer.write_text("身份证号,中心确定培养单位\n150102198503051234,北京大学\n", encoding="utf-8")
    bad = runner.invoke(app, ["centre", "import", str(answer), "--out", str(tmp_path / "o")])
    assert bad.exit_code == 1
    assert "CENTRE_PERSON_UNKNOWN" in bad.output and not (tmp_path / "o").exists()
    good = runner.invoke(app, ["centre", "import", str(book), "--out", str(tmp_path / "ok")])
    assert good.exit_code == 1, good.output  # written; the sample's input errors remain
    assert (tmp_path / "ok" / "placements.xlsx").is_file()


def test_backfill_and_centre_as_scenario_keys(published: Path, tmp_path: Path) -> None:
    placed = next(r for r in _rows(published) if r["status"] == "placed")
    scenario = tmp_path / "r2.toml"
    scenario.write_text(
        f'name = "补录"\n[backfill]\npublished = "{published}"\n'
        f'withdrawn = ["{placed["source_file"]}:{placed["source_row"]}"]\n',
        encoding="utf-8",
    )
    out = tmp_path / "r2"
    done = runner.invoke(app, ["run", str(scenario), "--out", str(out), "-q"])
    assert done.exit_code == 0, done.output
    assert (out / "backfill.csv").is_file() and (out / "withdrawn.csv").is_file()
    scenario.write_text(
        scenario.read_text(encoding="utf-8") + "[policy]\nseed = 7\n", encoding="utf-8"
    )
    refused = runner.invoke(app, ["run", str(scenario), "--out", str(tmp_path / "x"), "-q"])
    assert refused.exit_code == 2 and "r2.toml:5" in refused.output
    outside = next(r for r in _rows(published) if r["status"] == "placed" and r["track"] == "区外")
    inside = next(r for r in _rows(published) if r["track"] == "区内")
    answer = tmp_path / "answer.csv"
    answer.write_text(
        f"来源（文件:行）,中心意见\n{outside['source_file']}:{outside['source_row']},未接收\n",
        encoding="utf-8",
    )
    centre = tmp_path / "centre.toml"
    centre.write_text('[centre]\nanswer = "answer.csv"\n', encoding="utf-8")
    done = runner.invoke(app, ["run", str(centre), "--out", str(tmp_path / "c"), "-q"])
    assert done.exit_code == 1, done.output  # written; the sample's input errors remain
    with (tmp_path / "c" / "placements.csv").open(encoding="utf-8-sig") as handle:
        mine = (outside["source_file"], outside["source_row"])
        row = next(r for r in csv.DictReader(handle) if (r["source_file"], r["source_row"]) == mine)
    assert (row["status"], row["reason_code"]) == ("unmatched", "CENTRE_DECLINED")
    answer.write_text(
        f"来源（文件:行）,中心意见\n{inside['source_file']}:{inside['source_row']},未接收\n",
        encoding="utf-8",
    )
    done = runner.invoke(app, ["run", str(centre), "--out", str(tmp_path / "d"), "-q"])
    assert done.exit_code == 1 and "CENTRE_NOT_APPROVED" in done.output
    assert not (tmp_path / "d").exists()
