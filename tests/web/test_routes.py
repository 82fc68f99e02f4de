"""Route and service tests of the workbench through FastAPI's TestClient.

A whole round (upload, validate, run, download, explain, decide, compare), bad uploads
(a zip bomb, a file too large, a wrong type, a path in the name), CSRF refused, downloads
outside a run refused, personal data masked, and a restart that keeps what was confirmed.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from matcher import api
from matcher.web import uploads
from matcher.web.app import create_app

from .conftest import csrf_of, new_round, upload, wait_done

ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9Xx])")
PHONE = re.compile(r"(?<![0-9])1[0-9]{10}(?![0-9])")


def _run(client: TestClient, round_id: int) -> int:
    response = client.post(f"/rounds/{round_id}/runs", data={"csrf": csrf_of(client)})
    assert response.status_code == 200, response.text
    run_id = int(str(response.url).rsplit("/", 1)[1])
    assert wait_done(client, run_id) == "done"
    return run_id


def _full_ids(sample: list[Path]) -> set[str]:
    people = api.placements(api.solve(api.load(sample)))
    return {str(v) for v in people["id_number"] if isinstance(v, str) and len(v) == 18}


def test_every_response_carries_the_security_headers(client: TestClient):
    for path in ("/", "/static/style.css", "/rounds/999", "/login"):
        response = client.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"


def test_no_inline_script_in_any_template():
    folder = Path(__file__).resolve().parents[2] / "matcher" / "web" / "templates"
    for template in folder.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template.name
        assert not re.search(r"\son[a-z]+=", text), template.name  # no onclick= …
        assert "style=" not in text, template.name


def test_a_post_without_the_sessions_csrf_token_is_refused(client: TestClient):
    csrf_of(client)  # the session exists
    for data in ({}, {"csrf": "forged"}):
        response = client.post(
            "/rounds", data={**data, "year": "2023", "reference_date": "2023-03-20"}
        )
        assert response.status_code == 403
        assert "CSRF_REFUSED" in response.text
    assert client.app.state.ctx.workspace.rounds() == []  # type: ignore[attr-defined]


def test_another_sessions_token_is_refused(client: TestClient, tmp_path: Path):
    token = csrf_of(client)
    other = TestClient(client.app)
    csrf_of(other)
    response = other.post(
        "/rounds", data={"csrf": token, "year": "2023", "reference_date": "2023-03-20"}
    )
    assert response.status_code == 403


def test_upload_shows_each_files_region_track_rows_and_problems(client, sample):
    round_id = new_round(client)
    response = upload(client, round_id, sample)
    assert response.status_code == 200
    page = response.text
    assert f"已上传 {len(sample)} 个文件" in page
    # the sample's documented defects, by file and row (data/sample-2023/DEFECTS.md)
    for name, row, code in (
        ("包头市区内汇总表.xlsx", 8, "YESNO_INVALID"),
        ("区直区外汇总表.xlsx", 13, "HOST_UNKNOWN"),
        ("通辽市区内汇总表.xlsx", 8, "ID_EXCEL_MANGLED"),
    ):
        block = page[page.index(f"{name}：") :]
        block = block[: block.index("</section>")]
        assert code in block and f'<td class="num">{row}</td>' in block
    files, _, missing = client.app.state.ctx.workspace.overview(round_id)
    by_name = {f.name: f for f in files}
    assert by_name["满洲里市区外汇总表.xlsx"].regions == ["呼伦贝尔市"]
    assert by_name["满洲里市区外汇总表.xlsx"].tracks == ["区外"]
    assert sum(f.rows for f in files) == len(api.load(sample).applicants)
    assert missing == []


def test_regions_that_sent_nothing_are_listed(client, sample):
    round_id = new_round(client)
    kept = [p for p in sample if "阿拉善盟" not in p.name]
    page = upload(client, round_id, kept).text
    assert "尚未报来的地区与方式（2）" in page
    assert "阿拉善盟 · 区外" in page and "阿拉善盟 · 区内" in page


def test_a_file_of_the_same_name_replaces_the_old_one(client, sample, tmp_path):
    round_id = new_round(client)
    name = "包头市区内汇总表.xlsx"
    source = next(p for p in sample if p.name == name)
    upload(client, round_id, [source])
    book = openpyxl.load_workbook(source)
    sheet = book.worksheets[0]
    column = next(c.column for c in sheet[3] if c.value and "调剂" in str(c.value))
    sheet.cell(8, column).value = "是"
    fixed = tmp_path / name
    book.save(fixed)
    ws = client.app.state.ctx.workspace
    first = ws.active_files(round_id)[0]
    response = client.post(
        f"/rounds/{round_id}/files/{first['id']}/replace",
        data={"csrf": csrf_of(client)},
        files={"file": ("anything.xlsx", fixed.read_bytes())},
    )
    assert response.status_code == 200
    active = ws.active_files(round_id)
    assert [f["name"] for f in active] == [name]  # kept under the old file's name
    assert active[0]["id"] != first["id"]
    assert (ws.root / first["stored"]).is_file()  # the old file is kept
    assert "YESNO_INVALID" not in response.text


def _bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (uploads.MAX_UNPACKED_BYTES + 1))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("炸弹.xlsx", _bomb(), "UPLOAD_ZIP_BOMB"),
        ("假的.xlsx", b"this is not a workbook", "UPLOAD_WRONG_TYPE"),
        ("图片.png", b"\x89PNG\r\n", "UPLOAD_WRONG_TYPE"),
        ("表.csv", b"PK\x03\x04 a zip renamed to csv", "UPLOAD_WRONG_TYPE"),
        ("旧.xls", b"<html>not ole2</html>", "UPLOAD_WRONG_TYPE"),
        ("空.csv", b"", "UPLOAD_EMPTY"),
        ("../../etc/passwd.csv", b"a,b\n", "UPLOAD_NAME_INVALID"),
        ("..\\..\\boot.csv", b"a,b\n", "UPLOAD_NAME_INVALID"),
        (".hidden.csv", b"a,b\n", "UPLOAD_NAME_INVALID"),
    ],
)
def test_bad_uploads_are_refused_with_a_clear_message(client, name, content, code):
    round_id = new_round(client)
    response = client.post(
        f"/rounds/{round_id}/files",
        data={"csrf": csrf_of(client)},
        files=[("files", (name, content))],
    )
    assert response.status_code == 400
    assert code in response.text
    assert "上传" in response.text  # the message says what to do
    ws = client.app.state.ctx.workspace
    assert ws.active_files(round_id) == []
    inputs = ws.round_dir(round_id) / "inputs"
    assert not inputs.exists() or not any(inputs.rglob("*"))  # nothing left behind
    assert not (ws.root.parent / "etc").exists()


def test_a_file_over_the_limit_is_refused(client, monkeypatch):
    monkeypatch.setattr("matcher.web.workspace.MAX_FILE_BYTES", 1000)
    round_id = new_round(client)
    response = client.post(
        f"/rounds/{round_id}/files",
        data={"csrf": csrf_of(client)},
        files=[("files", ("大.csv", b"a,b\n" * 1000))],
    )
    assert response.status_code == 400 and "UPLOAD_TOO_LARGE" in response.text


def test_a_request_over_the_limit_is_refused_before_it_is_read(client, monkeypatch):
    monkeypatch.setattr("matcher.web.app.MAX_REQUEST_BYTES", 10_000)
    round_id = new_round(client)
    response = client.post(
        f"/rounds/{round_id}/files",
        data={"csrf": csrf_of(client)},
        files=[("files", ("大.csv", b"a,b\n" * 5000))],
    )
    assert response.status_code == 413 and "UPLOAD_TOO_LARGE" in response.text


def test_run_download_and_masking(client, sample):
    round_id = new_round(client)
    upload(client, round_id, sample)
    run_id = _run(client, round_id)
    page = client.get(f"/runs/{run_id}").text
    summary = api.summary(api.solve(api.load(sample)))
    assert f'<span class="n">{summary["status"]["placed"]}</span>' in page
    assert not ID.search(page) and not PHONE.search(page)  # masked everywhere
    links = re.findall(rf'href="/runs/{run_id}/files/([^"]+)"', page)
    assert {"placements.xlsx", "placements.csv", "report.html", "result.json"} <= set(links)
    workbook = client.get(f"/runs/{run_id}/files/placements.xlsx")
    assert workbook.status_code == 200
    assert "attachment" in workbook.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(workbook.content), read_only=True)
    assert "未录取名单" in book.sheetnames
    report = client.get(f"/runs/{run_id}/files/report.html")
    assert report.headers["content-security-policy"].startswith("default-src 'none'")
    assert "script-src" not in report.headers["content-security-policy"]
    data = json.loads(client.get(f"/runs/{run_id}/files/result.json").content)
    assert data["summary"]["status"] == summary["status"]


@pytest.mark.parametrize(
    "name",
    ["../../matcher.sqlite3", "..%2F..%2Fmatcher.sqlite3", "/etc/passwd", "notices", "x.csv"],
)
def test_a_download_outside_the_runs_files_is_refused(client, sample, name):
    round_id = new_round(client)
    upload(client, round_id, sample[:2])
    run_id = _run(client, round_id)
    response = client.get(f"/runs/{run_id}/files/{name}")
    assert response.status_code == 404
    assert b"SQLite" not in response.content and b"root:" not in response.content


def test_explain_by_name_masked_and_full_on_request(client, sample):
    round_id = new_round(client)
    upload(client, round_id, sample)
    run_id = _run(client, round_id)
    people = api.placements(api.solve(api.load(sample)))
    names = people["name"].value_counts()
    person = people[people["name"] == names[names == 1].index[0]].iloc[0]
    page = client.get(f"/runs/{run_id}/explain", params={"q": person["name"]}).text
    assert "原因" in page or "录取" in page
    assert person["id_number"] not in page
    full = client.get(f"/runs/{run_id}/explain", params={"q": person["name"], "full": 1}).text
    assert person["id_number"] in full
    assert len(set(ID.findall(full))) == 1  # only that one applicant's number
    missing = client.get(f"/runs/{run_id}/explain", params={"q": "没有这个人"}).text
    assert "找不到" in missing


def test_a_decision_makes_a_new_run_and_leaves_the_old_one(client, sample):
    round_id = new_round(client)
    upload(client, round_id, sample)
    first = _run(client, round_id)
    ws, runner = client.app.state.ctx.workspace, client.app.state.ctx.runner
    client.post(f"/runs/{first}/publish", data={"csrf": csrf_of(client)})
    folder = runner.folder(runner.get(first))
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    rows = runner.placements(runner.get(first))
    placed = next(r for r in rows if r["status"] == "placed")
    key = f"{placed['source_file']}:{placed['source_row']}"
    refused = client.post(
        f"/rounds/{round_id}/decisions",
        data={"csrf": csrf_of(client), "kind": "exclude", "applicant": key, "reason": ""},
    )
    assert refused.status_code == 400 and "理由" in refused.text
    response = client.post(
        f"/rounds/{round_id}/decisions",
        data={
            "csrf": csrf_of(client), "kind": "exclude", "applicant": key,
            "reason": "本人放弃", "who": "王科员",
        },
    )  # fmt: skip
    assert response.status_code == 200
    second = int(str(response.url).rsplit("/", 1)[1])
    assert second != first and wait_done(client, second) == "done"
    after = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == before  # the published run is untouched
    decision = ws.store.one("SELECT * FROM decisions")
    assert decision["who"] == "王科员" and decision["reason"] == "本人放弃"
    assert decision["run_id"] == second and decision["base_run"] == first
    assert decision["at"]
    new_rows = {f"{r['source_file']}:{r['source_row']}": r for r in runner.placements(
        runner.get(second))}  # fmt: skip
    assert len(new_rows) == len(rows)  # every input row stays in the outputs
    assert new_rows[key]["status"] == "unmatched"
    assert new_rows[key]["reason_code"] == "OVERRIDE_EXCLUDE"
    manifest = runner.manifest(runner.get(second))
    (entry,) = manifest["overrides"]
    assert entry["reason"] == "本人放弃" and entry["decided_by"] == "王科员"
    assert entry["key"] == key and entry["kind"] == "exclude"
    compare = client.get("/compare", params={"a": first, "b": second}).text
    assert placed["name"] in compare and not ID.search(compare)
    assert "决定 #" in compare and "本人放弃" in compare  # why they left: the decision
    # a pin to a host of the other track is refused with the library's message
    other = "内蒙古大学" if placed["track"] == "区外" else "中国农业大学"
    pin = client.post(
        f"/rounds/{round_id}/decisions",
        data={"csrf": csrf_of(client), "kind": "place", "applicant": key, "host": other,
              "reason": "试"},
    )  # fmt: skip
    assert pin.status_code == 400


def test_a_pin_places_the_applicant_at_the_host(client, sample):
    round_id = new_round(client)
    upload(client, round_id, sample)
    first = _run(client, round_id)
    runner = client.app.state.ctx.runner
    rows = runner.placements(runner.get(first))
    person = next(r for r in rows if r["status"] == "unmatched" and r["track"] == "区内")
    key = f"{person['source_file']}:{person['source_row']}"
    host = person["choice_1"]
    response = client.post(
        f"/rounds/{round_id}/decisions",
        data={"csrf": csrf_of(client), "kind": "place", "applicant": key, "host": host,
              "reason": "培养单位已同意接收"},
    )  # fmt: skip
    second = int(str(response.url).rsplit("/", 1)[1])
    assert wait_done(client, second) == "done"
    after = {f"{r['source_file']}:{r['source_row']}": r for r in runner.placements(
        runner.get(second))}  # fmt: skip
    assert after[key]["host"] == host


def test_quotas_are_edited_and_the_total_is_checked(client):
    round_id = new_round(client)
    ws = client.app.state.ctx.workspace
    table, total = ws.quota_rows(round_id)
    assert total == {"区外": 40, "区内": 40}
    data: dict[str, object] = {
        "csrf": csrf_of(client),
        "region": [r["region"] for r in table],
        "out": [str(r["区外"] or "—") for r in table],
        "in": [str(r["区内"] or "—") for r in table],
        "total_out": "41",
        "total_in": "40",
    }
    page = client.post(f"/rounds/{round_id}/quotas", data=data).text
    assert "QUOTA_TOTAL_MISMATCH" in page
    data["out"] = ["3", *data["out"][1:]]  # type: ignore[index]
    client.post(f"/rounds/{round_id}/quotas", data=data)
    table, total = ws.quota_rows(round_id)
    assert table[0]["区外"] == 3 and total["区外"] == 41
    quotas, issues = api.read_quotas(ws.quotas_path(round_id))
    assert issues == [] and quotas.total(api.Track.OUT) == 41


def test_settings_are_checked(client):
    round_id = new_round(client)
    bad = client.post(
        f"/rounds/{round_id}/settings",
        data={"csrf": csrf_of(client), "year": "2024", "reference_date": "2024-03-20",
              "seed": "7", "mechanism": "lottery"},
    )  # fmt: skip
    assert bad.status_code == 400 and "机制" in bad.text
    client.post(
        f"/rounds/{round_id}/settings",
        data={"csrf": csrf_of(client), "year": "2024", "reference_date": "2024-03-20",
              "seed": "7", "mechanism": "stable"},
    )  # fmt: skip
    row = client.app.state.ctx.workspace.round(round_id)
    assert (row["year"], row["reference_date"], row["seed"], row["mechanism"]) == (
        2024, "2024-03-20", 7, "stable",
    )  # fmt: skip


def test_a_restart_keeps_rounds_files_runs_and_decisions(tmp_path, sample):
    app = create_app(tmp_path / "ws")
    with TestClient(app) as client:
        round_id = new_round(client)
        upload(client, round_id, sample[:3])
        run_id = _run(client, round_id)
    app.state.ctx.runner.shutdown()
    app.state.ctx.workspace.store.close()
    again = create_app(tmp_path / "ws")
    with TestClient(again) as client:
        assert [r["id"] for r in again.state.ctx.workspace.rounds()] == [round_id]
        assert len(again.state.ctx.workspace.active_files(round_id)) == 3
        assert client.get(f"/runs/{run_id}").status_code == 200
        assert again.state.ctx.runner.get(run_id)["state"] == "done"
    again.state.ctx.runner.shutdown()


def test_an_uploaded_host_catalogue_is_used_and_its_problems_shown(client, sample, tmp_path):
    round_id = new_round(client)
    upload(client, round_id, sample[:2])
    bundled = api.bundled_hosts().read_text(encoding="utf-8-sig").splitlines()
    broken = [bundled[0], bundled[1].replace(",3,", ",两,"), *bundled[2:]]
    assert broken[1] != bundled[1]
    response = client.post(
        f"/rounds/{round_id}/hosts",
        data={"csrf": csrf_of(client)},
        files={"file": ("培养单位目录2024.csv", "\n".join(broken).encode())},
    )
    assert "培养单位目录2024.csv" in response.text
    files = client.get(f"/rounds/{round_id}/files").text
    assert "HOST_CAPACITY_INVALID" in files and "培养单位目录2024.csv" in files
    client.post(f"/rounds/{round_id}/hosts", data={"csrf": csrf_of(client), "bundled": "1"})
    assert "HOST_CAPACITY_INVALID" not in client.get(f"/rounds/{round_id}/files").text


def test_the_pin_form_offers_the_catalogues_hosts(client, sample):
    round_id = new_round(client)
    upload(client, round_id, sample[:2])
    _run(client, round_id)
    page = client.get(f"/rounds/{round_id}/decide", params={"applicant": "a.xlsx:5"}).text
    assert '<option value="内蒙古大学">' in page and 'value="a.xlsx:5"' in page


def test_a_file_sent_by_mistake_is_taken_out_and_kept(client, sample):
    round_id = new_round(client)
    upload(client, round_id, sample[:3])
    ws = client.app.state.ctx.workspace
    wrong = ws.active_files(round_id)[0]
    page = client.post(
        f"/rounds/{round_id}/files/{wrong['id']}/remove", data={"csrf": csrf_of(client)}
    ).text
    assert "已上传 2 个文件" in page
    assert wrong["id"] not in {f["id"] for f in ws.active_files(round_id)}
    assert (ws.root / wrong["stored"]).is_file()
    again = client.post(
        f"/rounds/{round_id}/files/{wrong['id']}/remove", data={"csrf": csrf_of(client)}
    )
    assert again.status_code == 404 and "FILE_NOT_FOUND" in again.text
    upload(client, round_id, [sample[0]])  # sent again: in the round again
    assert len(ws.active_files(round_id)) == 3


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/rounds/999", "ROUND_NOT_FOUND"),
        ("/rounds/999/files", "ROUND_NOT_FOUND"),
        ("/rounds/999/runs", "ROUND_NOT_FOUND"),
        ("/rounds/999/decide", "ROUND_NOT_FOUND"),
        ("/rounds/999/backfill", "ROUND_NOT_FOUND"),
        ("/runs/999", "RUN_NOT_FOUND"),
        ("/runs/999/explain", "RUN_NOT_FOUND"),
        ("/compare?a=998&b=999", "RUN_NOT_FOUND"),
    ],
)
def test_a_round_or_run_that_is_not_there_is_a_404_page(client: TestClient, path: str, code: str):
    response = client.get(path)
    assert response.status_code == 404 and code in response.text
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # the guard still ran


def test_a_post_to_a_missing_round_with_a_good_token_is_a_404_page(client: TestClient):
    response = client.post("/rounds/999/settings", data={"csrf": csrf_of(client)})
    assert response.status_code == 404 and "ROUND_NOT_FOUND" in response.text
