"""Runs of a round: started from a page, done on one background thread, kept for good.

A run reads the round's active files with its settings, solves and verifies with every
decision of the round so far as an override with its reason and who decided
(`api.solve_with_overrides`: place, fix, exclude; every input row stays in the outputs and
the manifest records whom each override displaced), and writes ``matcher run``'s outputs
into its own folder (`api.write`, published whole). A 补录 run (`Runner.start_backfill`)
reads a published run's folder (only reads it) and writes `api.backfill`'s outputs into
its own folder, from the published run's own input files; a 补录 run is itself a run that
a further 补录 can start from. What it used is recorded in the run's ``inputs`` (file
paths, quota and host tables, settings, decision ids), so a run can be explained and
compared later, after files were replaced. A run's folder is never written again: a
decision makes a new run. Runs left unfinished by a stop of the server are marked failed
at the next start.
"""

from __future__ import annotations

import csv
import json
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from matcher import api
from matcher.web.store import now
from matcher.web.workspace import Workspace

STEPS = ("读取并校验输入文件，应用决定", "匹配并独立核验", "写出结果文件")
BACKFILL_STEPS = ("读取已发布结果和输入文件", "补录匹配并独立核验", "写出补录结果文件")


class RunError(Exception):
    """A run that cannot start (no files); the message is Chinese."""


class Runner:
    """Starts runs on one worker thread (one run at a time) and reports their state."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="matcher-run")
        self._lock = threading.Lock()
        self.futures: dict[int, Future[None]] = {}
        workspace.store.execute(
            "UPDATE runs SET state = 'failed', error = ?, finished = ?"
            " WHERE state IN ('queued', 'running')",
            ("服务在运行结束前停止，此次运行未完成；请重新运行", now()),
        )

    def shutdown(self) -> None:
        """Wait for the current run, then stop the worker."""
        self._pool.shutdown(wait=True)

    def start(self, round_id: int, who: str, note: str = "") -> int:
        """Queue a run of the round; its id (raises `RunError` when it has no files)."""
        store = self.workspace.store
        round_ = self.workspace.round(round_id)
        files = self.workspace.active_files(round_id)
        if round_ is None or not files:
            raise RunError("还没有上传任何申报文件，请先在“文件”页上传各地区的汇总表")
        decisions = store.all(
            "SELECT id FROM decisions WHERE round_id = ? ORDER BY id", (round_id,)
        )
        inputs = {
            "files": [f["stored"] for f in files],
            "hosts": str(self.workspace.hosts_path(round_)),
            "quotas": str(self.workspace.quotas_path(round_id)),
            "reference_date": round_["reference_date"],
            "mechanism": round_["mechanism"],
            "seed": round_["seed"],
            "decisions": [d["id"] for d in decisions],
        }
        return self._queue(round_id, who, note, inputs)

    def start_backfill(
        self, published: dict[str, Any], withdrawn: list[str], who: str, note: str = ""
    ) -> int:
        """Queue a 补录 on the finished run `published` (its inputs; `withdrawn`: file:row keys)."""
        inputs = {
            **published["inputs"],
            "backfill": {"published": published["id"], "withdrawn": list(withdrawn)},
        }
        return self._queue(published["round_id"], who, note, inputs)

    def _queue(self, round_id: int, who: str, note: str, inputs: dict[str, Any]) -> int:
        store = self.workspace.store
        with self._lock, store.transaction() as db:
            number = db.execute(
                "SELECT coalesce(max(number), 0) + 1 FROM runs WHERE round_id = ?", (round_id,)
            ).fetchone()[0]
            folder = self.workspace.round_dir(round_id) / "runs" / str(number)
            cursor = db.execute(
                "INSERT INTO runs (round_id, number, state, folder, started, who, note, inputs)"
                " VALUES (?, ?, 'queued', ?, ?, ?, ?, ?)",
                (
                    round_id,
                    number,
                    str(folder.relative_to(self.workspace.root)),
                    now(),
                    who,
                    note,
                    json.dumps(inputs, ensure_ascii=False),
                ),
            )
            run_id = int(cursor.lastrowid or 0)
        self.futures[run_id] = self._pool.submit(self._run, run_id)
        return run_id

    def _step(self, run_id: int, step: str) -> None:
        self.workspace.store.execute(
            "UPDATE runs SET state = 'running', step = ? WHERE id = ?", (step, run_id)
        )

    def _run(self, run_id: int) -> None:
        store = self.workspace.store
        run = self.get(run_id)
        try:
            if "backfill" in run["inputs"]:
                self._backfill(run)
            else:
                self._step(run_id, STEPS[0])
                round_ = self.round_of(run)
                overrides = overrides_of(self.decisions(run["inputs"]["decisions"]))
                self._step(run_id, STEPS[1])
                if overrides:
                    result = api.solve_with_overrides(round_, overrides)
                else:
                    result = api.solve(round_)
                self._step(run_id, STEPS[2])
                api.write(result, self.workspace.root / run["folder"])
        except (
            api.PipelineError, api.OverrideError, api.InputError, api.DecisionError,
            api.FixedError, api.BackfillError,
        ) as exc:  # fmt: skip
            store.execute(
                "UPDATE runs SET state = 'failed', error = ?, finished = ? WHERE id = ?",
                (api.scrub(str(exc)), now(), run_id),
            )
            return
        except Exception as exc:  # a run must end with a state, whatever went wrong
            message = f"运行出错（{type(exc).__name__}）；请把此次运行的编号告知维护人员"
            store.execute(
                "UPDATE runs SET state = 'failed', error = ?, finished = ? WHERE id = ?",
                (message, now(), run_id),
            )
            return
        store.execute(
            "UPDATE runs SET state = 'done', step = '', finished = ? WHERE id = ?",
            (now(), run_id),
        )

    def _backfill(self, run: dict[str, Any]) -> None:
        """Do the 补录 of `run`: read its published run's folder, write into its own."""
        inputs, root = run["inputs"], self.workspace.root
        self._step(run["id"], BACKFILL_STEPS[0])
        published = api.read_published(self.folder(self.get(inputs["backfill"]["published"])))
        self._step(run["id"], BACKFILL_STEPS[1])
        done = api.backfill(
            published, inputs["backfill"]["withdrawn"],
            applicants=[root / f for f in inputs["files"]],
            hosts=inputs["hosts"], quotas=inputs["quotas"],
        )  # fmt: skip
        self._step(run["id"], BACKFILL_STEPS[2])
        api.write_backfill(done, published, root / run["folder"])

    # ------------------------------------------------------------ reading runs

    def get(self, run_id: int) -> dict[str, Any]:
        """One run's row with ``inputs`` decoded (KeyError when there is none)."""
        row = self.workspace.store.one("SELECT * FROM runs WHERE id = ?", (run_id,))
        if row is None:
            raise KeyError(run_id)
        row["inputs"] = json.loads(row["inputs"])
        return row

    def runs(self, round_id: int) -> list[dict[str, Any]]:
        """Every run of a round, newest first."""
        return self.workspace.store.all(
            "SELECT * FROM runs WHERE round_id = ? ORDER BY number DESC", (round_id,)
        )

    def decisions(self, ids: list[int]) -> list[dict[str, Any]]:
        """The decisions with these ids, in order."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return self.workspace.store.all(
            f"SELECT * FROM decisions WHERE id IN ({marks}) ORDER BY id", ids
        )

    def round_of(self, run: dict[str, Any]) -> api.Round:
        """The round as `run` read it: its files, tables and settings (decisions aside)."""
        inputs = run["inputs"]
        root = self.workspace.root
        rules = api.Rules(reference_date=date.fromisoformat(inputs["reference_date"]))
        policy = api.Policy(mechanism=inputs["mechanism"], seed=inputs["seed"])
        round_ = api.load(
            [root / f for f in inputs["files"]],
            Path(inputs["hosts"]),
            Path(inputs["quotas"]),
            rules=rules,
            policy=policy,
        )
        return round_

    def folder(self, run: dict[str, Any]) -> Path:
        """The run's output folder."""
        return self.workspace.root / run["folder"]

    def outputs(self, run: dict[str, Any]) -> list[str]:
        """The run's output files, as paths relative to its folder (sorted)."""
        folder = self.folder(run)
        if run["state"] != "done" or not folder.is_dir():
            return []
        return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())

    def summary(self, run: dict[str, Any]) -> dict[str, Any]:
        """result.json's ``summary`` of a finished run."""
        data = json.loads((self.folder(run) / "result.json").read_text(encoding="utf-8"))
        return dict(data["summary"])

    def manifest(self, run: dict[str, Any]) -> dict[str, Any]:
        """result.json's ``manifest`` of a finished run (overrides, 补录)."""
        data = json.loads((self.folder(run) / "result.json").read_text(encoding="utf-8"))
        return dict(data["manifest"])

    def placements(self, run: dict[str, Any], name: str = "placements.csv") -> list[dict[str, str]]:
        """A CSV of a finished run (placements.csv, backfill.csv…), one dict per row.

        Full values: mask them to show them. No file (a run that is no 补录): no rows.
        """
        path = self.folder(run) / name
        if not path.is_file():
            return []
        with path.open(encoding="utf-8-sig", newline="") as f:
            return list(csv.DictReader(f))


def overrides_of(decisions: list[dict[str, Any]]) -> list[api.Override]:
    """The decisions (rows of the ``decisions`` table) as the library's overrides."""
    out = []
    for d in decisions:
        host = d["host"] or None
        out.append(api.Override(kind=d["kind"], applicant=d["applicant"], host=host,
                                reason=d["reason"], decided_by=d["who"]))  # fmt: skip
    return out
