"""The Decide and 补录 pages: overrides with reasons, and 补录 runs on a published run.

Through FastAPI's TestClient on the sample round: an override's reason and who decided in
result.json and the 人工调整记录 sheet, every input row kept, whom it displaced on the run
page; a 补录 that keeps every published placement, shows the 补录名单 and offers its files,
a third round from the second, and clear messages for a bad 补录.
"""

from __future__ import annotations

import io
import re

import openpyxl
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.web.backfills import withdrawn_keys

from .conftest import csrf_of, new_round, upload, wait_done

ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9Xx])")


def _run(client: TestClient, round_id: int) -> int:
    response = client.post(f"/rounds/{round_id}/runs", data={"csrf": csrf_of(client)})
    run_id = int(str(response.url).rsplit("/", 1)[1])
    assert wait_done(client, run_id) == "done"
    return run_id


def _key(row: dict[str, str]) -> str:
    return f"{row['source_file']}:{row['source_row']}"


def _rows(client: TestClient, run_id: int) -> dict[str, dict[str, str]]:
    runner = client.app.state.ctx.runner
    return {_key(r): r for r in runner.placements(runner.get(run_id))}


def _explained(client: TestClient, run_id: int, key: str) -> list[str]:
    """The lines of the explain page's account of one applicant."""
    page = client.get(f"/runs/{run_id}/explain", params={"q": key}).text
    found = re.search(r'<pre class="explain">(.*?)</pre>', page, re.S)
    assert found, page
    return found.group(1).splitlines()


def _new_run(response) -> int:
    assert response.status_code == 200, response.text
    return int(str(response.url).rsplit("/", 1)[1])


def test_an_override_keeps_every_row_records_its_reason_and_shows_whom_it_displaced(client, sample):
    round_id = new_round(client)
    upload(client, round_id, sample)
    first = _run(client, round_id)
    before = _rows(client, first)
    # someone unplaced whose first choice is full: placing them there displaces someone
    person = next(
        r for r in before.values()
        if r["status"] == "unmatched" and r["track"] == "区内" and r["choice_1"]
    )  # fmt: skip
    response = client.post(
        f"/rounds/{round_id}/decisions",
        data={"csrf": csrf_of(client), "kind": "place", "applicant": _key(person),
              "host": person["choice_1"], "reason": "培养单位书面同意接收"},
    )  # fmt: skip
    second = _new_run(response)
    assert wait_done(client, second) == "done"
    after = _rows(client, second)
    assert after.keys() == before.keys()  # every input row stays in the outputs
    assert after[_key(person)]["host"] == person["choice_1"]
    assert after[_key(person)]["reason_code"] == "OVERRIDE_PLACE"
    runner = client.app.state.ctx.runner
    (entry,) = runner.manifest(runner.get(second))["overrides"]
    assert entry["reason"] == "培养单位书面同意接收" and entry["decided_by"] == "本机"
    moved = {
        k for k in before
        if k != _key(person) and (before[k]["status"], before[k]["host"])
        != (after[k]["status"], after[k]["host"])
    }  # fmt: skip
    assert {d["key"] for d in entry["displaced"]} == moved  # the difference of the two runs
    page = client.get(f"/runs/{second}").text
    assert "人工调整及其影响" in page and "培养单位书面同意接收" in page
    for d in entry["displaced"]:
        assert d["name"] in page
    assert not ID.search(page)
    book = client.get(f"/runs/{second}/files/placements.xlsx")
    sheets = openpyxl.load_workbook(io.BytesIO(book.content), read_only=True).sheetnames
    assert "人工调整记录" in sheets
    for run_id, decided in ((first, False), (second, True)):  # explain says what it explains
        text = client.get(f"/runs/{run_id}/explain", params={"q": _key(person)}).text
        assert "explain-note" not in text and ("explain-decided" in text) is decided
    told = _explained(client, second, _key(person))
    assert "人工调整" in told[0] and "培养单位书面同意接收" in "\n".join(told)
    words = {"placed": "已录取", "adjusted": "调剂录取", "unmatched": "未录取"}
    for d in entry["displaced"]:  # explain follows the run's overrides, as its files do
        row = after[d["key"]]
        assert words[row["status"]] in _explained(client, second, d["key"])[0]
        assert words[before[d["key"]]["status"]] in _explained(client, first, d["key"])[0]
    compare = client.get("/compare", params={"a": first, "b": second}).text
    assert "人工调整及其影响" in compare and "培养单位书面同意接收" in compare


def test_a_fix_without_a_host_keeps_the_latest_runs_place(client, sample):
    round_id = new_round(client)
    upload(client, round_id, sample)
    first = _run(client, round_id)
    rows = _rows(client, first)
    placed = next(r for r in rows.values() if r["status"] == "placed")
    unplaced = next(r for r in rows.values() if r["status"] == "unmatched")
    refused = client.post(
        f"/rounds/{round_id}/decisions",
        data={"csrf": csrf_of(client), "kind": "fix", "applicant": _key(unplaced),
              "reason": "固定"},
    )  # fmt: skip
    assert refused.status_code == 400 and "固定录取须填写培养单位" in refused.text
    response = client.post(
        f"/rounds/{round_id}/decisions",
        data={"csrf": csrf_of(client), "kind": "fix", "applicant": placed["id_number"],
              "reason": "已签培养协议", "who": "李处长"},
    )  # fmt: skip
    second = _new_run(response)
    assert wait_done(client, second) == "done"
    decision = client.app.state.ctx.workspace.store.one("SELECT * FROM decisions")
    assert decision["kind"] == "fix" and decision["host"] == placed["host"]
    assert decision["who"] == "李处长" and decision["applicant"] == _key(placed)
    assert _rows(client, second)[_key(placed)]["reason_code"] == "OVERRIDE_FIX"


def test_bad_decisions_get_a_clear_message_and_record_nothing(client, sample):
    round_id = new_round(client)
    upload(client, round_id, sample)
    first = _run(client, round_id)
    rows = _rows(client, first)
    person = next(iter(rows.values()))
    other = "内蒙古大学" if person["track"] == "区外" else "中国农业大学"
    for data, text in (
        ({"kind": "exclude", "applicant": "没有这个人"}, "找不到“没有这个人”"),
        ({"kind": "place", "applicant": _key(person)}, "请填写培养单位"),
        ({"kind": "place", "applicant": person["id_number"], "host": other}, "培养方式不符"),
        ({"kind": "place", "applicant": _key(person), "host": other}, "培养方式不符"),
        ({"kind": "place", "applicant": _key(person), "host": "不存在大学"}, "不在培养单位名录"),
        ({"kind": "pin", "applicant": _key(person)}, "请选择决定的种类"),
    ):
        response = client.post(
            f"/rounds/{round_id}/decisions",
            data={"csrf": csrf_of(client), "reason": "试", **data},
        )
        assert response.status_code == 400 and text in response.text, data
        assert not ID.search(response.text)  # an ID typed is not shown back in full
    assert client.app.state.ctx.workspace.store.all("SELECT * FROM decisions") == []


def test_a_backfill_keeps_the_published_places_and_a_third_round_follows(client, sample):
    round_id = new_round(client)
    upload(client, round_id, sample)
    first = _run(client, round_id)
    ctx = client.app.state.ctx
    runner, store = ctx.runner, ctx.workspace.store
    page = client.get(f"/rounds/{round_id}/backfill").text
    assert "还没有已发布的运行" in page
    client.post(f"/runs/{first}/publish", data={"csrf": csrf_of(client)})
    folder = runner.folder(runner.get(first))
    files = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    rows = _rows(client, first)
    placed = [r for r in rows.values() if r["status"] in ("placed", "adjusted")]
    names = [r["name"] for r in rows.values()]
    by_name = next(r for r in placed if names.count(r["name"]) == 1)
    by_id = next(r for r in placed if r is not by_name and r["track"] == by_name["track"])
    response = client.post(
        f"/rounds/{round_id}/backfills",
        data={"csrf": csrf_of(client), "run": str(first), "reason": "两人书面放弃",
              "withdrawn": f"{by_name['name']}\n{by_id['id_number']}", "who": "王科员"},
    )  # fmt: skip
    second = _new_run(response)
    assert wait_done(client, second) == "done", runner.get(second)["error"]
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == files
    after = _rows(client, second)
    assert after.keys() == rows.keys()
    withdrawn = {_key(by_name), _key(by_id)}
    for key, row in rows.items():  # nobody published moves
        if row["status"] in ("placed", "adjusted") and key not in withdrawn:
            assert (after[key]["status"], after[key]["host"]) == (row["status"], row["host"])
    gained = [k for k in rows if k not in withdrawn and after[k]["status"] != rows[k]["status"]]
    assert gained, "two freed places of one track go to someone"
    record = store.one("SELECT * FROM backfills")
    assert record["who"] == "王科员" and record["reason"] == "两人书面放弃" and record["at"]
    assert record["run_id"] == second and record["published_run"] == first
    page = client.get(f"/runs/{second}").text
    assert "补录名单：新录取" in page and not ID.search(page)
    for key in gained:
        assert after[key]["name"] in page and after[key]["host"] in page
    outputs = runner.outputs(runner.get(second))
    assert any(n.startswith("backfill_notices/") for n in outputs)
    for name in ("backfill.csv", "backfill.xlsx", "withdrawn.csv"):
        assert f"/runs/{second}/files/{name}" in page
        assert client.get(f"/runs/{second}/files/{name}").status_code == 200
    sheets = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/runs/{second}/files/backfill.xlsx").content), read_only=True
    ).sheetnames
    assert "补录名单" in sheets
    # a third round, from the second once published
    client.post(f"/runs/{second}/publish", data={"csrf": csrf_of(client)})
    again = client.post(
        f"/rounds/{round_id}/backfills",
        data={"csrf": csrf_of(client), "run": str(second), "reason": "再次放弃",
              "withdrawn": _key(by_name)},
    )  # fmt: skip
    assert again.status_code == 400 and "已在此前的补录中退出" in again.text
    third_key = _key(next(r for r in placed if _key(r) not in withdrawn))
    third = _new_run(client.post(
        f"/rounds/{round_id}/backfills",
        data={"csrf": csrf_of(client), "run": str(second), "reason": "再次放弃",
              "withdrawn": third_key},
    ))  # fmt: skip
    assert wait_done(client, third) == "done", runner.get(third)["error"]
    assert runner.manifest(runner.get(third))["backfill"]["round"] == 3
    final = _rows(client, third)
    assert all(final[k]["reason_code"] == "WITHDRAWN" for k in {*withdrawn, third_key})
    assert "第3轮补录" in client.get(f"/runs/{third}").text


def test_a_bad_backfill_is_a_clear_message(client, sample):
    round_id = new_round(client)
    upload(client, round_id, sample)
    first = _run(client, round_id)
    rows = _rows(client, first)
    never = next(r for r in rows.values() if r["status"] == "unmatched")
    refused = client.post(
        f"/rounds/{round_id}/backfills",
        data={"csrf": csrf_of(client), "run": str(first), "reason": "放弃",
              "withdrawn": _key(never)},
    )  # fmt: skip
    assert refused.status_code == 400 and "已发布的运行" in refused.text  # not published
    client.post(f"/runs/{first}/publish", data={"csrf": csrf_of(client)})
    for withdrawn, text in (
        (_key(never), f"{never['name']}（{_key(never)}）在所选的已发布结果中未被录取"),
        ("查无此人", "找不到“查无此人”"),
        (never["id_number"], "未被录取"),
        ("", "请给出退出者"),
    ):
        response = client.post(
            f"/rounds/{round_id}/backfills",
            data={"csrf": csrf_of(client), "run": str(first), "reason": "放弃",
                  "withdrawn": withdrawn},
        )  # fmt: skip
        assert response.status_code == 400 and text in response.text, withdrawn
        assert not ID.search(response.text)
    assert client.app.state.ctx.workspace.store.all("SELECT * FROM backfills") == []


ROWS = [
    {"source_file": f"{f}.xlsx", "source_row": str(r), "name": f"人{f}{r}",
     "id_number": f"1501{f}{r:02d}", "status": "placed", "reason_code": ""}
    for f in ("a", "b") for r in range(5, 10)
]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    picks=st.lists(st.sampled_from(range(len(ROWS))), unique=True, min_size=1),
    how=st.lists(st.sampled_from(["key", "id", "name"]), min_size=len(ROWS), max_size=len(ROWS)),
    seps=st.lists(st.sampled_from(["\n", ",", "，", "；", "、", " \r\n "]), min_size=len(ROWS),
                  max_size=len(ROWS)),
)  # fmt: skip
def test_withdrawn_named_any_way_are_found_once_in_order(picks, how, seps):
    refs = {"key": _key, "id": lambda r: r["id_number"], "name": lambda r: r["name"]}
    text = "".join(refs[how[i]](ROWS[i]) + seps[i] for i in picks)
    text += refs["key"](ROWS[picks[0]])  # named twice: once
    keys, problems = withdrawn_keys(ROWS, text)
    assert problems == [] and keys == [_key(ROWS[i]) for i in picks]
