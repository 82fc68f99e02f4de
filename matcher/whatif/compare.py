"""Compare two runs of a round: who moved, who gained or lost a place, and the deltas.

Contract: `compare(a, b)` takes two `RunResult`s, run folders (``placements.csv`` and
``result.json`` written by `matcher run`) or scenario files, and returns a `Comparison`:
one row per person (`people`, with a `change` of `CHANGES`), and deltas by region ×
track, track, host, priority group and funding (DataFrames with ``a``, ``b`` and
``delta`` columns). People are matched by 身份证号 when both rows have the same one
(unique in each run), else by key ``file:row``. `Comparison.render()` gives rich tables
for the terminal (no ID numbers); `write_csv` / `write_xlsx` write every table, and
`Comparison.write` writes them all (CSV and ``compare.xlsx``) as one whole set. A run
folder is read only when it holds a whole set (`matcher.report.publish.whole_set_problem`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from matcher.engine.result import RunResult
from matcher.model import Status, Track
from matcher.report.frames import placements_frame
from matcher.report.funding import trainee_cost

TRAINEE = (Status.PLACED.value, Status.ADJUSTED.value)
CHANGES = ("gained", "lost", "moved", "status", "same", "only_a", "only_b")
CHANGE_LABELS = {
    "gained": "新获名额", "lost": "失去名额", "moved": "更换培养单位", "status": "状态变化",
    "same": "不变", "only_a": "仅在A中", "only_b": "仅在B中",
}  # fmt: skip
PEOPLE_COLUMNS = [
    "change", "match", "name", "id_number", "region", "track", "priority",
    "key_a", "status_a", "host_a", "rank_a", "reason_a",
    "key_b", "status_b", "host_b", "rank_b", "reason_b",
]  # fmt: skip
HEADERS = {
    "region": "地区", "track": "方式", "a": "A", "b": "B", "delta": "增减", "gained": "新获",
    "lost": "失去", "trainees_a": "人数 A", "trainees_b": "人数 B", "funding_a": "经费 A",
    "funding_b": "经费 B",
}  # fmt: skip
_RUN_COLUMNS = [
    "key", "name", "id_number", "region", "track", "priority", "status", "host", "rank", "reason",
]  # fmt: skip


COMPARISON = "compare"
#: The files of `Comparison.write`, in its order.
COMPARISON_FILES = (
    *(f"{name}.csv" for name in ("people", "by_region", "by_track", "by_host", "by_priority")),
    "funding.csv",
    "compare.xlsx",
)


class CompareError(ValueError):
    """A run folder or scenario that cannot be read for a comparison."""


@dataclass(frozen=True)
class RunTable:
    """One run reduced to what a comparison needs: a label and one row per applicant.

    `rows` has the columns key, name, id_number, region, track, priority (bool), status,
    host, rank (Int64). `months` is the funding period of the run (default 12).
    """

    label: str
    rows: pd.DataFrame
    months: int = 12
    overrides: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_result(cls, result: RunResult, label: str = "") -> RunTable:
        """The table of a `RunResult` (via `matcher.report.frames.placements_frame`)."""
        frame = placements_frame(result)
        policy = result.round.policy
        label = label or f"{policy.mechanism}/seed {policy.seed}"
        overrides = tuple(result.manifest.get("overrides", ()))
        return cls(label, _normalise(frame), overrides=overrides)

    @classmethod
    def from_folder(cls, folder: Path | str, label: str = "") -> RunTable:
        """The table of a run folder: its placements.csv (and result.json when present)."""
        from matcher.report.publish import whole_set_problem

        folder = Path(folder)
        csv = folder / "placements.csv"
        if not csv.is_file():
            raise CompareError(f"{folder} 中没有 placements.csv（不是 matcher run 的输出文件夹）")
        problem = whole_set_problem(folder, "run")
        if problem is not None:
            raise CompareError(problem)
        try:
            frame = pd.read_csv(csv, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise CompareError(f"无法读取 {csv}：{exc}") from None
        missing = {"source_file", "source_row", "status", "host"} - set(frame.columns)
        if missing:
            raise CompareError(f"{csv} 缺少列：{', '.join(sorted(missing))}")
        months = 12
        overrides: tuple[dict[str, Any], ...] = ()
        document = folder / "result.json"
        if document.is_file():
            try:
                data = json.loads(document.read_text(encoding="utf-8"))
                months = int(data.get("summary", {}).get("funding", {}).get("months", 12))
                overrides = tuple(data.get("manifest", {}).get("overrides", ()))
            except (OSError, ValueError, AttributeError) as exc:
                raise CompareError(f"无法读取 {document}：{exc}") from None
        return cls(label or folder.name, _normalise(frame), months, overrides)


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Reduce a placements table (frame or CSV text) to `_RUN_COLUMNS`."""

    def text(column: str) -> pd.Series:
        if column not in frame.columns:
            return pd.Series([""] * len(frame), index=frame.index, dtype=object)
        return frame[column].astype(object).where(frame[column].notna(), "").map(str)

    rows = pd.DataFrame(
        {
            "key": text("source_file")
            + ":"
            + text("source_row").str.replace(r"\.0$", "", regex=True),
            "name": text("name"),
            "id_number": text("id_number").str.strip().str.lstrip("'").str.upper(),
            "region": text("region"),
            "track": text("track"),
            "priority": text("priority").isin(["True", "true", "1", "是"]),
            "status": text("status"),
            "host": text("host").str.lstrip("'"),
            "rank": pd.to_numeric(text("choice_rank"), errors="coerce").astype("Int64"),
            "reason": text("reason").str.lstrip("'"),
        },
        columns=_RUN_COLUMNS,
    )
    return rows.reset_index(drop=True)


RunLike = RunResult | RunTable | Path | str


def as_table(run: RunLike, label: str = "") -> RunTable:
    """A `RunTable` from a result, a run folder or a scenario file (solved here)."""
    if isinstance(run, RunTable):
        return run
    if isinstance(run, RunResult):
        return RunTable.from_result(run, label)
    path = Path(run)
    if path.is_dir():
        return RunTable.from_folder(path, label)
    if path.suffix.lower() == ".toml" and path.is_file():
        from matcher.whatif.scenario import run_scenario
        from matcher.whatif.scenario_file import load_scenario

        scenario = load_scenario(path)
        return RunTable.from_result(run_scenario(scenario), label or scenario.name)
    raise CompareError(f"{path} 既不是 matcher run 的输出文件夹，也不是场景文件（.toml）")


def match_rows(a: pd.DataFrame, b: pd.DataFrame) -> list[tuple[int | None, int | None, str]]:
    """Pairs (row of a, row of b, "id" | "key"), then rows of a alone, then rows of b alone.

    Rows are first paired by an ID number that is unique in each run, the rest by key
    (never two rows whose ID numbers are both given and differ).
    """

    def unique_ids(frame: pd.DataFrame) -> dict[str, int]:
        ids = [str(v) for v in frame["id_number"]]
        counts = pd.Series(ids).value_counts()
        return {v: i for i, v in enumerate(ids) if v and counts[v] == 1}

    ids_a, ids_b = unique_ids(a), unique_ids(b)
    pairs: list[tuple[int | None, int | None, str]] = []
    used_a: set[int] = set()
    used_b: set[int] = set()
    for ident, i in ids_a.items():
        if ident in ids_b:
            pairs.append((i, ids_b[ident], "id"))
            used_a.add(i)
            used_b.add(ids_b[ident])
    keys_b = {str(k): j for j, k in enumerate(b["key"]) if j not in used_b}
    id_a, id_b = [str(v) for v in a["id_number"]], [str(v) for v in b["id_number"]]
    for i, key in enumerate(a["key"]):
        if i in used_a or str(key) not in keys_b:
            continue
        j = keys_b[str(key)]
        if id_a[i] and id_b[j] and id_a[i] != id_b[j]:
            continue  # same row, another person
        del keys_b[str(key)]
        pairs.append((i, j, "key"))
        used_a.add(i)
        used_b.add(j)
    pairs += [(i, None, "") for i in range(len(a)) if i not in used_a]
    pairs += [(None, j, "") for j in range(len(b)) if j not in used_b]
    return pairs


def _change(row_a: Any, row_b: Any) -> str:
    if row_a is None:
        return "only_b"
    if row_b is None:
        return "only_a"
    in_a, in_b = row_a["status"] in TRAINEE, row_b["status"] in TRAINEE
    if in_a and in_b:
        return "moved" if row_a["host"] != row_b["host"] else "same"
    if in_b:
        return "gained"
    if in_a:
        return "lost"
    return "status" if row_a["status"] != row_b["status"] else "same"


def people_frame(a: RunTable, b: RunTable) -> pd.DataFrame:
    """One row per person of either run: `PEOPLE_COLUMNS` (a's order, then b's newcomers)."""
    rows = []
    for i, j, how in match_rows(a.rows, b.rows):
        ra = a.rows.loc[i] if i is not None else None
        rb = b.rows.loc[j] if j is not None else None
        who = rb if rb is not None else ra
        assert who is not None
        rows.append(
            {
                "change": _change(ra, rb),
                "match": how,
                "name": who["name"],
                "id_number": who["id_number"],
                "region": who["region"],
                "track": who["track"],
                "priority": bool(who["priority"]),
                "key_a": ra["key"] if ra is not None else "",
                "status_a": ra["status"] if ra is not None else "",
                "host_a": ra["host"] if ra is not None else "",
                "rank_a": ra["rank"] if ra is not None else pd.NA,
                "reason_a": ra["reason"] if ra is not None else "",
                "key_b": rb["key"] if rb is not None else "",
                "status_b": rb["status"] if rb is not None else "",
                "host_b": rb["host"] if rb is not None else "",
                "rank_b": rb["rank"] if rb is not None else pd.NA,
                "reason_b": rb["reason"] if rb is not None else "",
            }
        )
    frame = pd.DataFrame(rows, columns=PEOPLE_COLUMNS)
    for column in ("rank_a", "rank_b"):
        frame[column] = frame[column].astype("Int64")
    return frame


def _delta(by: list[str], people: pd.DataFrame) -> pd.DataFrame:
    counts = people.assign(
        a=people["status_a"].isin(TRAINEE).astype(int),
        b=people["status_b"].isin(TRAINEE).astype(int),
        gained=(people["change"] == "gained").astype(int),
        lost=(people["change"] == "lost").astype(int),
    )
    table = counts.groupby(by, sort=False)[["a", "b", "gained", "lost"]].sum().reset_index()
    table.insert(len(by) + 2, "delta", table["b"] - table["a"])
    return table


def hosts_delta(people: pd.DataFrame) -> pd.DataFrame:
    """Per host: trainees in a and b, delta, moved in (from another host) and moved out."""
    a = people[people["status_a"].isin(TRAINEE)].groupby("host_a").size()
    b = people[people["status_b"].isin(TRAINEE)].groupby("host_b").size()
    moved = people[people["change"] == "moved"]
    into = moved.groupby("host_b").size()
    out = moved.groupby("host_a").size()
    hosts = list(dict.fromkeys([*a.index, *b.index]))
    table = pd.DataFrame({"host": hosts})
    for name, series in (("a", a), ("b", b), ("moved_in", into), ("moved_out", out)):
        table[name] = [int(series.get(h, 0)) for h in hosts]
    table.insert(3, "delta", table["b"] - table["a"])
    return table


def funding_delta(people: pd.DataFrame, months_a: int = 12, months_b: int = 12) -> pd.DataFrame:
    """Per track and in total: trainees and the year's funding (notice rates) in a and b."""
    rows = []
    for track in Track:
        cost_a = trainee_cost(track, months_a)["total"]
        cost_b = trainee_cost(track, months_b)["total"]
        mine = people[people["track"] == track.value]
        na = int(mine["status_a"].isin(TRAINEE).sum())
        nb = int(mine["status_b"].isin(TRAINEE).sum())
        rows.append(
            {
                "track": track.value,
                "trainees_a": na,
                "trainees_b": nb,
                "funding_a": na * cost_a,
                "funding_b": nb * cost_b,
            }
        )
    frame = pd.DataFrame(rows)
    total = {"track": "合计", **{c: int(frame[c].sum()) for c in frame.columns[1:]}}
    frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    frame["delta"] = frame["funding_b"] - frame["funding_a"]
    return frame


@dataclass(frozen=True)
class Comparison:
    """Two runs compared (see the module docstring); every table is a DataFrame."""

    label_a: str
    label_b: str
    people: pd.DataFrame
    by_region: pd.DataFrame
    by_track: pd.DataFrame
    by_host: pd.DataFrame
    by_priority: pd.DataFrame
    funding: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)
    overrides: pd.DataFrame = field(default_factory=lambda: overrides_frame((), ()))

    @property
    def changed(self) -> pd.DataFrame:
        """People whose outcome changed (every `change` except "same")."""
        return self.people[self.people["change"] != "same"].reset_index(drop=True)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Name → table, in the order the writers use (ID numbers included)."""
        return {
            "people": self.people,
            "by_region": self.by_region,
            "by_track": self.by_track,
            "by_host": self.by_host,
            "by_priority": self.by_priority,
            "funding": self.funding,
            "overrides": self.overrides,
        }

    def write_csv(self, folder: Path | str) -> list[Path]:
        """Write every table as ``<name>.csv`` (UTF-8 with BOM, injection-safe) into `folder`.

        Each file is replaced whole and private (0600); `write` publishes the whole set.
        """
        from matcher.report.csvout import csv_bytes
        from matcher.report.publish import replace_file

        folder = Path(folder)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return [
            replace_file(folder / f"{name}.csv", csv_bytes(table))
            for name, table in self.tables().items()
        ]

    def write_xlsx(self, path: Path | str) -> Path:
        """Write every table to one workbook, a sheet per table (no live formulas), 0600."""
        from matcher.report.publish import replace_file

        return replace_file(path, self.xlsx_bytes())

    def xlsx_bytes(self) -> bytes:
        """The workbook of `write_xlsx`."""
        from matcher.report.xlsx import Book

        book = Book(datetime(2000, 1, 1))
        for name, table in self.tables().items():
            columns = [_column(str(c)) for c in table.columns]
            records = [{str(k): v for k, v in r.items()} for r in table.to_dict("records")]
            book.table(name, columns, records)
        book.note_sheet("说明", [f"A = {self.label_a}", f"B = {self.label_b}"])
        return book.close()

    def write(
        self, folder: Path | str, *, force: bool = False, inputs: Iterable[Path | str] = ()
    ) -> list[Path]:
        """Write every table (``<name>.csv`` and ``compare.xlsx``) into `folder`, whole.

        The set is staged beside `folder` and swapped in (`matcher.report.publish`), files
        0o600. A folder that holds a previous comparison is replaced; any other non-empty
        folder only with `force` (its own files are kept). `inputs` (the compared runs)
        may not be or lie in `folder`. Raises `matcher.report.publish.OutputError`.
        """
        from matcher.report.csvout import csv_bytes
        from matcher.report.publish import Publication, write_private

        publication = Publication(
            folder,
            kind=COMPARISON,
            force=force,
            inputs=inputs,
            legacy=_is_comparison_file,
            replaceable=_holds_comparison,
        )
        with publication:
            files = {f"{name}.csv": csv_bytes(table) for name, table in self.tables().items()}
            files["compare.xlsx"] = self.xlsx_bytes()
            for name, content in files.items():
                write_private(publication.staging / name, content)
            return publication.commit(list(files))

    def render(self, limit: int = 40) -> list[Any]:
        """Rich renderables for the terminal: headline, changed people (no ID numbers), deltas."""
        from rich.table import Table

        c = self.counts
        head = Table(title=f"A = {self.label_a}    B = {self.label_b}", show_header=True)
        for label in ("新获名额", "失去名额", "更换培养单位", "状态变化", "录取 A", "录取 B"):
            head.add_column(label, justify="right")
        head.add_row(
            *(
                str(c.get(k, 0))
                for k in ("gained", "lost", "moved", "status", "trainees_a", "trainees_b")
            )
        )
        people = Table(title="变化的人员", show_lines=False)
        for label in ("变化", "姓名", "地区", "方式", "A 结果", "B 结果"):
            people.add_column(label)
        people.add_column("原因", overflow="fold", min_width=24)
        changed = self.changed
        for row in changed.head(limit).to_dict("records"):
            people.add_row(
                CHANGE_LABELS[row["change"]],
                row["name"],
                row["region"],
                row["track"],
                _outcome(row["status_a"], row["host_a"]),
                _outcome(row["status_b"], row["host_b"]),
                why(row),
            )
        if len(changed) > limit:
            people.caption = f"另有 {len(changed) - limit} 人未显示（见 CSV/xlsx）"
        churn = self.by_region[(self.by_region[["delta", "gained", "lost"]] != 0).any(axis=1)]
        regions = _rich(churn, "各地区录取变化")
        if churn.empty:
            regions.caption = "各地区录取人数无变化"
        parts = [head, people, regions, _rich(self.funding, "经费（元/年）")]
        if not self.overrides.empty:
            decided = Table(title="人工调整及其影响（与不作该项调整相比）", show_lines=True)
            for label in ("运行", "调整", "姓名", "培养单位", "理由", "决定人"):
                decided.add_column(label, overflow="fold")
            decided.add_column("因此变化的人员", overflow="fold", ratio=3)
            for row in self.overrides.to_dict("records"):
                decided.add_row(
                    *(str(row[k]) for k in ("run", "kind_label", "name", "host", "reason")),
                    str(row["decided_by"]),
                    str(row["displaced_text"]),
                )
            parts.append(decided)
        return parts


def check_comparison_output(
    folder: Path | str, *, force: bool = False, inputs: Iterable[Path | str] = ()
) -> Path:
    """Check, before any work, that `folder` may take `Comparison.write`'s set; its path.

    Raises `matcher.report.publish.OutputError` as `Comparison.write` would.
    """
    from matcher.report.publish import check_output

    return check_output(
        folder, kind=COMPARISON, force=force, inputs=inputs, replaceable=_holds_comparison
    )


def _is_comparison_file(relative: str) -> bool:
    """Whether `relative` names a file of a comparison's set (as earlier versions wrote it)."""
    return relative in COMPARISON_FILES


def _holds_comparison(folder: Path) -> bool:
    """Whether `folder` holds a comparison's set and nothing else (replaceable without force)."""
    from matcher.report.publish import MARKER, read_marker

    marker = read_marker(folder)
    if marker is not None:
        return marker.get("kind") == COMPARISON
    return all(_is_comparison_file(p.name) or p.name == MARKER for p in folder.iterdir())


def _column(name: str) -> Any:
    from matcher.report.xlsx import Column

    return Column(name, lambda row: row[name], "id" if name == "id_number" else "text")


def why(row: Mapping[Any, Any]) -> str:
    """Why a person's outcome changed: the reason of the run where they are not placed."""
    if row["change"] == "lost":
        return f"B：{row['reason_b']}" if row["reason_b"] else ""
    if row["change"] == "gained":
        return f"A 中未录取：{row['reason_a']}" if row["reason_a"] else ""
    if row["change"] == "moved":
        ranks = (row["rank_a"], row["rank_b"])
        if all(pd.notna(r) for r in ranks):
            return f"志愿{ranks[0]} → 志愿{ranks[1]}"
    return ""


def _outcome(status: str, host: str) -> str:
    if not status:
        return "—"
    return f"{status} {host}".strip()


def _rich(frame: pd.DataFrame, title: str) -> Any:
    from rich.table import Table

    table = Table(title=title)
    for column in frame.columns:
        table.add_column(HEADERS.get(str(column), str(column)))
    for row in frame.itertuples(index=False):
        table.add_row(*("" if pd.isna(v) else str(v) for v in row))
    return table


def compare(a: RunLike, b: RunLike, *, label_a: str = "", label_b: str = "") -> Comparison:
    """Compare run `a` with run `b` (results, run folders or scenario files; see module)."""
    ta, tb = as_table(a, label_a), as_table(b, label_b)
    people = people_frame(ta, tb)
    counts = {k: int((people["change"] == k).sum()) for k in CHANGES}
    counts["trainees_a"] = int(people["status_a"].isin(TRAINEE).sum())
    counts["trainees_b"] = int(people["status_b"].isin(TRAINEE).sum())
    return Comparison(
        label_a=ta.label,
        label_b=tb.label,
        people=people,
        by_region=_delta(["region", "track"], people),
        by_track=_delta(["track"], people),
        by_host=hosts_delta(people),
        by_priority=_delta(["priority"], people),
        funding=funding_delta(people, ta.months, tb.months),
        counts=counts,
        overrides=overrides_frame(ta.overrides, tb.overrides),
    )


OVERRIDE_COLUMNS = ["run", "number", "kind_label", "name", "host", "reason", "decided_by",
                    "before", "displaced_count", "displaced_text"]  # fmt: skip


def overrides_frame(a: tuple[dict[str, Any], ...], b: tuple[dict[str, Any], ...]) -> pd.DataFrame:
    """The overrides of run A and of run B, each with who it displaced (its manifest's)."""
    from matcher.report.decisions import override_rows

    rows = [
        {"run": run, **row}
        for run, entries in (("A", a), ("B", b))
        for row in override_rows({"overrides": list(entries)})
    ]
    return pd.DataFrame(rows, columns=OVERRIDE_COLUMNS)
