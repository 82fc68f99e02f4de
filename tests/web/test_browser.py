"""A whole round in a real browser: Playwright driving Debian's Chromium.

Upload the sample files, see a file's problems, replace it with a corrected one, run,
download the workbook and read it, decide (an override with its reason), publish, compare
two runs, 补录 after a withdrawal and download its list. Screenshots go to
``out/screenshots/`` (test artefacts). Skipped only when chromium is absent, and never
when CI is set.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import openpyxl
import pytest

from matcher import api

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FIXED = "包头市区内汇总表.xlsx"  # row 8: 是否接受调剂 is 看情况 (YESNO_INVALID)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="chromium is not installed (apt-get install chromium); required when CI is set",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path):
    import uvicorn

    from matcher.web.app import create_app

    app = create_app(tmp_path / "ws", allowed_hosts=("127.0.0.1",))
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=30)
    app.state.ctx.runner.shutdown()


def _corrected(folder: Path) -> Path:
    """包头市区内汇总表.xlsx with row 8's 是否接受调剂 corrected to 是."""
    source = next(p for p in api.sample_files() if p.name == FIXED)
    book = openpyxl.load_workbook(source)
    sheet = book.worksheets[0]
    header = next(r for r in range(1, 6) if sheet.cell(r, 1).value == "序号")
    column = next(
        c
        for c in range(1, sheet.max_column + 1)
        if "调剂" in str(sheet.cell(header, c).value or "")
    )
    assert str(sheet.cell(8, column).value) == "看情况"
    sheet.cell(8, column).value = "是"
    target = folder / "fixed" / FIXED
    target.parent.mkdir()
    book.save(target)
    return target


def test_a_whole_round_in_the_browser(server: str, tmp_path: Path):
    from playwright.sync_api import expect, sync_playwright

    assert CHROMIUM is not None, "CI is set but chromium is not installed"
    SHOTS.mkdir(parents=True, exist_ok=True)
    corrected = _corrected(tmp_path)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.set_default_timeout(60_000)
        expect.set_options(timeout=60_000)

        page.goto(server + "/")
        page.get_by_label("名称").fill("2023年特培计划")
        page.get_by_label("年度").fill("2023")
        page.get_by_label("基准日（计算年龄与工作年限）").fill("2023-03-20")
        page.get_by_role("button", name="新建").click()
        expect(page.get_by_role("heading", name="轮次设置")).to_be_visible()
        page.screenshot(path=SHOTS / "1-round.png", full_page=True)

        # Files: drop every sample workbook at once, see the problems by row
        page.get_by_role("link", name="② 申报文件").click()
        page.locator("#files-input").set_input_files(api.sample_files())
        page.get_by_role("button", name="上传", exact=True).click()
        expect(page.get_by_text(f"已上传 {len(api.sample_files())} 个文件")).to_be_visible()
        block = page.locator("section.file-issues", has_text=FIXED)
        expect(block).to_contain_text("YESNO_INVALID")
        expect(block.locator("tbody tr").first.locator("td").first).to_have_text("8")
        page.screenshot(path=SHOTS / "2-files.png", full_page=True)
        page.screenshot(path=SHOTS / "docs-files.png")

        # replace the file with the corrected one: its problem is gone
        row = page.locator("table.files tr", has_text=FIXED)
        row.locator("input[type=file]").set_input_files(corrected)
        row.get_by_role("button", name="替换", exact=True).click()
        expect(page.get_by_text(f"已上传 {len(api.sample_files())} 个文件")).to_be_visible()
        expect(page.locator("table.files tr", has_text=FIXED)).not_to_contain_text("错误")
        expect(page.locator("section.file-issues", has_text=FIXED)).to_have_count(0)

        # Run: one button, then the result page
        page.get_by_role("link", name="③ 运行与结果").click()
        page.get_by_role("button", name="开始运行").click()
        expect(page.get_by_role("heading", name="第1次运行的结果")).to_be_visible()
        expect(page.locator("#unplaced")).to_contain_text("原因")
        assert "**********" in page.locator("#unplaced").inner_text()  # IDs masked
        page.screenshot(path=SHOTS / "3-result.png", full_page=True)
        page.screenshot(path=SHOTS / "docs-result.png")

        # download the workbook and read it
        with page.expect_download() as info:
            page.get_by_role("link", name="placements.xlsx", exact=True).click()
        saved = tmp_path / "placements.xlsx"
        info.value.save_as(saved)
        book = openpyxl.load_workbook(saved, read_only=True)
        assert {"区外培养", "区内培养", "未录取名单"} <= set(book.sheetnames)
        placed = sum(
            1 for r in book["区外培养"].iter_rows(values_only=True) if r and isinstance(r[0], int)
        )
        assert placed > 0

        # explain one unplaced applicant by name
        first = page.locator("#unplaced tbody tr").first
        name = first.locator("td").first.inner_text()
        page.get_by_label("姓名、身份证号或“文件名:行号”").fill(name)
        page.get_by_role("button", name="查询原因").click()
        expect(page.locator("pre.explain")).to_contain_text("原因")
        page.screenshot(path=SHOTS / "5-explain.png", full_page=True)

        # Decide: exclude a placed trainee, with a reason: a new run
        person = api.placements(api.solve(api.load()))
        placed_row = person[person["status"] == "placed"].iloc[0]
        page.get_by_role("link", name="④ 决定与对比").click()
        page.get_by_label("申请人（姓名、身份证号，或“文件名:行号”）").fill(
            f"{placed_row['source_file']}:{placed_row['source_row']}"
        )
        page.get_by_label("理由").fill("本人书面申请放弃")
        page.get_by_label("经办人").fill("王科员")
        page.screenshot(path=SHOTS / "6-decide.png", full_page=True)
        page.get_by_role("button", name="记录决定并重新运行").click()
        expect(page.get_by_role("heading", name="第2次运行的结果")).to_be_visible()
        expect(page.locator("#overrides")).to_contain_text("本人书面申请放弃")
        expect(page.locator("#overrides")).to_contain_text("王科员")
        page.screenshot(path=SHOTS / "7-override.png", full_page=True)
        second = page.url
        table = page.request.get(second + "/files/placements.csv").text()
        rows = list(csv.DictReader(io.StringIO(table.lstrip("\ufeff"))))
        excluded = f"{placed_row['source_file']}:{placed_row['source_row']}"
        assert any(f"{r['source_file']}:{r['source_row']}" == excluded for r in rows)
        page.get_by_role("button", name=re.compile("发布此次运行")).click()
        expect(page.get_by_text("已发布")).to_be_visible()

        # compare the two runs
        page.get_by_role("link", name="④ 决定与对比").click()
        page.get_by_role("button", name="对比").click()
        expect(page.locator("#changed")).to_contain_text(str(placed_row["name"]))
        page.screenshot(path=SHOTS / "4-compare.png", full_page=True)

        # 补录: one placed trainee of the published second run withdraws
        leaving = next(r for r in rows if r["status"] == "placed" and r["track"] == "区内")
        page.get_by_role("link", name="⑤ 补录").click()
        page.get_by_label(re.compile("^退出者")).fill(
            f"{leaving['source_file']}:{leaving['source_row']}"
        )
        page.get_by_label("理由").fill("本人放弃培养")
        page.get_by_label("经办人").fill("王科员")
        page.get_by_role("button", name="补录", exact=True).click()
        expect(page.get_by_role("heading", name="第3次运行的结果")).to_be_visible()
        expect(page.locator("#backfill")).to_contain_text("补录名单")
        expect(page.locator("#backfill")).to_contain_text(leaving["name"])  # 退出名单
        page.screenshot(path=SHOTS / "8-backfill.png", full_page=True)
        with page.expect_download() as info:
            page.locator("#backfill").get_by_role("link", name="backfill.xlsx").click()
        listing = tmp_path / "backfill.xlsx"
        info.value.save_as(listing)
        assert "补录名单" in openpyxl.load_workbook(listing, read_only=True).sheetnames
        browser.close()
    assert not problems, problems  # no script error, no CSP violation
