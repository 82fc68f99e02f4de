import os
import stat

import pytest

from matcher.report.frames import ReportError
from matcher.report.write import OutputError, OutputExistsError, write_outputs
from tests.report.conftest import HOSTILE, build_result

EXPECTED = {
    "placements.csv",
    "unmatched.csv",
    "placements.parquet",
    "unmatched.parquet",
    "notices/按培养单位.csv",
    "notices/按选派地区.csv",
    "placements.xlsx",
    "notices.xlsx",
    "result.json",
    "report.html",
}


def _snapshot(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_writes_every_output_privately(written):
    out, paths = written
    names = {p.relative_to(out).as_posix() for p in paths}
    assert EXPECTED <= names
    assert "notices/按培养单位/内蒙古大学.csv" in names and "notices/按选派地区/兴安盟.csv" in names
    assert set(_snapshot(out)) == names  # no temporary files left
    for path in paths:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for folder in (out, out / "notices", out / "notices" / "按培养单位"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_byte_identical_across_writes(tmp_path):
    write_outputs(build_result(), tmp_path / "a")
    write_outputs(build_result(), tmp_path / "b")
    assert _snapshot(tmp_path / "a") == _snapshot(tmp_path / "b")


def test_refuses_non_empty_folder_unless_forced(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(OutputExistsError):
        write_outputs(build_result(), out)
    assert os.listdir(out) == ["keep.txt"]
    write_outputs(build_result(), out, force=True)
    assert (out / "keep.txt").read_text() == "mine"
    assert (out / "result.json").exists()


def test_force_removes_stale_notice_lists_only(tmp_path):
    out = tmp_path / "out"
    write_outputs(build_result(), out)
    stale = out / "notices" / "按培养单位" / "旧单位.csv"
    stale.write_text("old")
    other = out / "notices" / "readme.txt"
    other.write_text("mine")
    write_outputs(build_result(), out, force=True)
    assert not stale.exists() and other.exists()


def test_refuses_a_file_as_folder(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(OutputExistsError):
        write_outputs(build_result(), target, force=True)


def test_mismatched_outcomes_write_nothing(tmp_path):
    result = build_result()
    broken = result.model_copy(update={"outcomes": result.outcomes[:-1]})
    with pytest.raises(ReportError):
        write_outputs(broken, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_hostile_name_is_text_in_every_file_that_lists_trainees(written):
    out, _ = written
    for name in (
        "placements.csv",
        "report.html",
        "notices/按培养单位/中国农业大学.csv",
        "notices/按选派地区/兴安盟.csv",
    ):
        text = (out / name).read_text("utf-8-sig")
        assert "HYPERLINK(" in text, name
        assert HOSTILE not in text.replace('""', '"').replace("'" + HOSTILE, ""), name


def test_large_csvs_are_streamed_to_their_files(written, result):
    from matcher.report.csvout import csv_bytes
    from matcher.report.data import prepare
    from matcher.report.write import render, rendered

    out, _ = written
    data = prepare(result)
    contents = dict(rendered(data))
    assert callable(contents["placements.csv"]) and callable(contents["unmatched.csv"])
    files = render(data)
    assert files["placements.csv"] == csv_bytes(data.placements)
    assert files["unmatched.csv"] == csv_bytes(data.unmatched)
    assert all(files[name] == (out / name).read_bytes() for name in files)


def test_a_failed_disk_write_leaves_nothing_behind(tmp_path, monkeypatch):
    from matcher.report import spool

    calls = []

    def failing_fsync(descriptor):
        calls.append(descriptor)
        if len(calls) == 3:  # the third file: raised on the spool's thread
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(spool.os, "fsync", failing_fsync)
    with pytest.raises(OutputError, match="磁盘空间已满") as raised:
        write_outputs(build_result(), tmp_path / "out")
    assert raised.value.code == "OUTPUT_DISK_FULL" and str(tmp_path / "out") in str(raised.value)
    assert os.listdir(tmp_path) == []  # no output, no staging folder, no temporary file


def test_a_failed_rendering_leaves_nothing_behind(tmp_path, monkeypatch):
    from matcher.report import write

    def failing(data):
        yield from list(rendered(data))[:3]
        raise RuntimeError("renderer failed")

    rendered = write.rendered
    monkeypatch.setattr(write, "rendered", failing)
    with pytest.raises(RuntimeError, match="renderer failed"):
        write_outputs(build_result(), tmp_path / "out")
    assert os.listdir(tmp_path) == []


def test_a_streamed_file_rendered_on_a_thread_fails_whole(tmp_path, monkeypatch):
    # Parquet, the workbooks and the large CSVs are rendered on their own threads: an
    # error there reaches the caller, nothing is published and no thread is left.
    import threading

    from matcher.report import write

    where: list[str] = []

    def failing(frame, handle):
        where.append(threading.current_thread().name)
        raise RuntimeError("parquet failed")

    monkeypatch.setattr(write, "write_parquet", failing)
    with pytest.raises(RuntimeError, match="parquet failed"):
        write_outputs(build_result(), tmp_path / "out")
    assert where and all(name.startswith("render") for name in where)
    assert os.listdir(tmp_path) == []
    assert not [t.name for t in threading.enumerate() if t.name.startswith(("render", "spool"))]


def test_parquet_holds_the_csv_rows_with_their_types(written):
    import pandas as pd
    import pyarrow.parquet as pq

    from matcher.report.csvout import neutralise

    out, _ = written
    for name in ("placements", "unmatched"):
        table = pq.read_table(out / f"{name}.parquet")
        text = pd.read_csv(
            out / f"{name}.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
        )
        assert table.column_names == list(text.columns) and len(table) == len(text)
        for column in table.column_names:
            as_text = [
                "" if v is None else str(neutralise(v) if isinstance(v, str) else v)
                for v in table.column(column).to_pylist()
            ]
            assert as_text == list(text[column]), (name, column)
    schema = pq.read_schema(out / "placements.parquet")
    assert str(schema.field("choice_rank").type) == "int64"  # nulls where no rank
    assert str(schema.field("accepts_adjustment").type) == "bool"


def test_parquet_of_a_mixed_column_is_text():
    import io

    import pandas as pd

    from matcher.report.parquet import write_parquet

    frame = pd.DataFrame({"m": pd.Series([1, "a", None, 2.5], dtype=object), "n": [1, 2, 3, 4]})
    handle = io.BytesIO()
    write_parquet(frame, handle)
    back = pd.read_parquet(io.BytesIO(handle.getvalue()))
    assert back["m"].tolist()[:2] == ["1", "a"] and pd.isna(back["m"][2])
    assert back["n"].tolist() == [1, 2, 3, 4]


def test_files_per_host_go_when_there_are_many(tmp_path, monkeypatch):
    """Above NOTICE_FILES_MAX hosts, a forced rewrite leaves only the two whole lists."""
    from matcher.report import notices

    out = tmp_path / "out"
    write_outputs(build_result(), out)
    assert list((out / "notices" / "按培养单位").glob("*.csv"))
    monkeypatch.setattr(notices, "NOTICE_FILES_MAX", 1)
    written = write_outputs(build_result(), out, force=True)
    names = {p.relative_to(out).as_posix() for p in written}
    assert not [n for n in names if n.count("/") > 1]
    assert not list((out / "notices").glob("*/*.csv"))  # the old ones are removed
    assert {"notices/按培养单位.csv", "notices/按选派地区.csv"} <= names


def test_no_thread_of_the_spool_outlives_a_write(tmp_path, monkeypatch):
    # Files are fsynced on several threads at once; every one is stopped when the write
    # ends, whether it succeeded or failed (a fork after a write must meet none).
    import threading

    from matcher.report import spool

    synced: list[str] = []
    fsync = spool.os.fsync

    def counting(descriptor):
        synced.append(threading.current_thread().name)
        fsync(descriptor)

    monkeypatch.setattr(spool.os, "fsync", counting)
    write_outputs(build_result(), tmp_path / "out")
    staged = [name for name in synced if name != threading.main_thread().name]
    assert staged and all(name.startswith("spool-sync") for name in staged)  # the marker
    # and the folders are fsynced by the publication, on the calling thread
    assert not [t.name for t in threading.enumerate() if t.name.startswith("spool")]

    def failing(descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(spool.os, "fsync", failing)
    with pytest.raises(OutputError):
        write_outputs(build_result(), tmp_path / "other")
    assert not [t.name for t in threading.enumerate() if t.name.startswith("spool")]
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_the_longest_streamed_files_are_handed_over_first(tmp_path, monkeypatch):
    # The threads take the streamed files longest first, placements.xlsx as soon as it
    # comes (before the notification lists are made); the set's order stays rendered's.
    import threading

    from matcher.report import write
    from matcher.report.data import prepare

    handed: list[str] = []
    started = threading.Event()
    stage, tables = write._stage, write.notice_tables
    before_tables: list[bool] = []

    def recording(staged, content):
        if not isinstance(content, bytes):
            handed.append(staged.path.name)  # every streamed file lies at the top
            started.set()
        stage(staged, content)

    def waiting_tables(*args, **kwargs):
        before_tables.append(started.wait(timeout=30))
        return tables(*args, **kwargs)

    out = tmp_path / "out"
    monkeypatch.setattr(write, "RENDER_THREADS", 1)
    monkeypatch.setattr(write, "_stage", recording)
    monkeypatch.setattr(write, "notice_tables", waiting_tables)
    result = build_result()
    paths = write_outputs(result, out)
    assert before_tables == [True] and handed[0] == "placements.xlsx"
    streamed = [n for n, c in write.rendered(prepare(result)) if not isinstance(c, bytes)]
    assert handed == [*write.LONGEST_FIRST, *(n for n in streamed if n not in write.LONGEST_FIRST)]
    order = list(write.render(prepare(result)))
    assert [p.relative_to(out).as_posix() for p in paths[:-1]] == order
