"""Benchmark: a whole round end to end (load, solve, verify, reasons, outputs), by size.

Usage: .venv/bin/python bench/bench_round.py [--sizes 10000,100000,1000000] [--repeat N]
       [--shapes today,many-hosts] [--skip-optimal-1m] [--keep DIR] [--no-cli] [--json FILE]
       .venv/bin/python bench/bench_round.py --make 1000000 --keep /tmp/r1m   # files only
       .venv/bin/python bench/bench_round.py --bare /tmp/r1m/r1000000 OUT    # bare pipeline

Rounds: `matcher.sample.write_large_round(n, seed, csv)` (the contract's 附件3 columns,
one consolidated CSV) against the bundled host catalogue and quota table SCALED to n:
every host's 接收名额 and every region's 区外/区内名额 is multiplied by one factor each, so
that host places ≈ 0.30 n and quota places ≈ 0.25 n (rounded up per host / per region, at
least the bundled value). Applicants are drawn per region in proportion to the quotas,
so the quotas bind in every region × track group, the popular hosts are oversubscribed
and about three quarters of the applicants stay unmatched: the unmatched paths (reasons,
tables, page) run at full size.
Shape `many-hosts` (``--shapes``) makes the same round with ≈ n / 25 hosts, as a national
round has (each bundled host becomes n / 25 / 54 branches sharing its places, and each
applicant's choices point at one branch of the hosts they chose: `spread_hosts`).
The scaled tables are written as CSV beside the applicants (hosts.csv, quotas.csv with a
checked 合计 row) and given to `load_round` / `matcher run` like the department's files.

Measured per size, each size in its own subprocess (peak memory = ru_maxrss of that
worker, i.e. the peak over all its in-process steps), median of `--repeat` runs (default
3 below 1,000,000 and 1 from there):

- load: `load_round([csv], hosts, quotas)` (read, validate, cross-file checks);
- encode: `matcher.engine.judge.judge(round)` then `matcher.engine.encode.encode(round, judgement)`;
- solve: `matcher.engine.solve.solve(instance, mechanism)` for `stable` and `optimal`;
- verify: `matcher.engine.verify.verify` on that answer (certificate included for optimal);
- reasons + outcomes: `matcher.engine.pipeline._outcomes` (unplaced reasons, one Outcome each);
- write: `write_outputs(result, tmpdir, force=True)` (every output file);
- end to end: `matcher run -a CSV --hosts --quotas --out DIR --force` as a
  subprocess, `--mechanism stable` and `optimal`; its wall time, its peak RSS (`run MB`:
  ru_maxrss from `os.wait4`, the largest of the process and its forked solver, each
  alone) and the peak of the process tree's memory together (`tree MB`: the sum of the
  proportional set sizes, sampled every 0.1 s by `timing.TreeMemory`, so a forked
  solver's own pages count on top of its parent's), and its stage split as it prints it
  (read + check, solve + verify, write);
- the bare pipeline of issue 16 (`bare_pipeline`: pandas read, one OR-Tools min-cost flow
  of the whole network, CSV write) as a child process, by turns with `matcher run
  --mechanism optimal` (one of each, `--repeat` times: both under the same machine), and
  the ratio of their medians. `--bare ROUND OUT` runs it alone.

The `matching` library's hospital-residents solver (`HospitalResident.solve`,
resident-optimal) is timed at 10,000 as a reference point: residents = the eligible valid
applicants with their valid choices, hospitals = the hosts with their capacities, every
hospital ranking residents by the common priority order. It has no regional quotas or
adjustment, so it is a reference for speed only, not a second implementation.
"""

from __future__ import annotations

import argparse
import compileall
import csv
import functools
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from timing import TreeMemory, default_repeat, peak_rss_mb, timed

ROOT = Path(__file__).resolve().parents[1]
#: The `matcher` command run as a child: this checkout's venv's, else the one beside the
#: running interpreter (a git worktree has no venv of its own: give it its code with
#: PYTHONPATH, which the child inherits).
MATCHER = next(
    (
        p
        for p in (ROOT / ".venv" / "bin" / "matcher", Path(sys.executable).with_name("matcher"))
        if p.is_file()
    ),
    ROOT / ".venv" / "bin" / "matcher",
)
HOST_SHARE = 0.30  # host places / applicants
QUOTA_SHARE = 0.25  # quota places / applicants
APPLICANTS_PER_HOST = 25  # the many-hosts shape: a national round's hosts ≈ n / 25
SHAPES = ("today", "many-hosts")


def write_scaled_tables(n: int, folder: Path) -> tuple[Path, Path]:
    """hosts.csv and quotas.csv in `folder`: the bundled tables scaled to `n` applicants."""
    from matcher.ingest.load import default_hosts, default_quotas

    with default_hosts().open(encoding="utf-8-sig", newline="") as handle:
        hosts = list(csv.DictReader(handle))
    with default_quotas().open(encoding="utf-8-sig", newline="") as handle:
        quotas = list(csv.DictReader(handle))
    places = sum(int(h["接收名额"]) for h in hosts)
    host_factor = max(1.0, HOST_SHARE * n / places)
    for h in hosts:
        h["接收名额"] = str(math.ceil(int(h["接收名额"]) * host_factor))
    rows = [q for q in quotas if q["地区"] != "合计"]

    def places_of(value: str) -> int:
        return int(value) if value.strip().isdigit() else 0

    total = sum(places_of(q["区外名额"]) + places_of(q["区内名额"]) for q in rows)
    quota_factor = max(1.0, QUOTA_SHARE * n / total)
    sums = {"区外名额": 0, "区内名额": 0}
    for q in rows:
        for column in sums:
            if q[column].strip().isdigit():
                q[column] = str(math.ceil(int(q[column]) * quota_factor))
                sums[column] += int(q[column])
    hosts_path, quotas_path = folder / "hosts.csv", folder / "quotas.csv"
    with hosts_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(hosts[0]))
        writer.writeheader()
        writer.writerows(hosts)
    with quotas_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(quotas[0]))
        writer.writeheader()
        writer.writerows(rows)
        writer.writerow(
            {
                "序号": "",
                "地区": "合计",
                "区外名额": str(sums["区外名额"]),
                "区内名额": str(sums["区内名额"]),
            }
        )
    return hosts_path, quotas_path


def branches_for(n: int, hosts: int) -> int:
    """Copies of each of `hosts` bundled hosts that make ≈ n / `APPLICANTS_PER_HOST` hosts."""
    return max(1, round(n / APPLICANTS_PER_HOST / hosts))


def branch_name(host: str, k: int) -> str:
    """The name of copy `k` (1-based) of bundled host `host` in the many-hosts shape."""
    return f"{host}第{k}分部"


def spread_hosts(n: int, seed: int, hosts_path: Path, applicants: Path) -> int:
    """Turn a round of today's shape into the many-hosts shape, in place; the host count.

    Every host of `hosts_path` becomes `branches_for` copies (`branch_name`, no aliases,
    its scaled capacity shared among them, rounded up), and every applicant is given one
    branch number, drawn uniformly from `seed`: each of their choices becomes that
    branch of the host they chose. Fields, tracks and the shares of places stay as in
    today's shape; only the number of hosts grows (≈ n / 25).
    """
    import numpy as np

    with hosts_path.open(encoding="utf-8", newline="") as handle:
        hosts = list(csv.DictReader(handle))
    copies = branches_for(n, len(hosts))
    rows = []
    for k in range(1, copies + 1):
        for h in hosts:
            capacity = math.ceil(int(h["接收名额"]) / copies)
            rows.append(
                {
                    **h,
                    "培养单位": branch_name(h["培养单位"], k),
                    "接收名额": str(capacity),
                    "别名": "",
                }
            )
    with hosts_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(hosts[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = applicants.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    choice_columns = [header.index(f"拟选培养单位{r}") for r in (1, 2, 3)]
    branch = np.random.default_rng(seed).integers(1, copies + 1, size=len(lines) - 1).tolist()
    out = [lines[0]]
    for line, k in zip(lines[1:], branch, strict=True):
        fields = line.split(",")  # the generator writes no quoted field
        for c in choice_columns:
            if fields[c]:
                fields[c] = branch_name(fields[c], k)
        out.append(",".join(fields))
    applicants.write_text("\n".join(out) + "\n", encoding="utf-8")
    return len(rows)


def make_round(n: int, seed: int, folder: Path, shape: str = "today") -> tuple[Path, Path, Path]:
    """(applicants.csv, hosts.csv, quotas.csv) of a scaled round of `n` in `folder`.

    `shape`: "today" (the bundled 54 hosts, scaled) or "many-hosts" (≈ n / 25 hosts, see
    `spread_hosts`).
    """
    from matcher.sample import write_large_round

    folder.mkdir(parents=True, exist_ok=True)
    applicants = folder / "applicants.csv"
    if applicants.is_file():
        return applicants, folder / "hosts.csv", folder / "quotas.csv"
    hosts_path, quotas_path = write_scaled_tables(n, folder)
    write_large_round(n, seed, applicants)
    if shape == "many-hosts":
        spread_hosts(n, seed, hosts_path, applicants)
    return applicants, hosts_path, quotas_path


def matching_reference(round_: Any, encoding: Any) -> dict[str, Any]:
    """Time the `matching` library's hospital-residents solver on the round's instance."""
    from matching.games import HospitalResident

    inst = encoding.instance
    ranked = sorted(range(len(encoding.keys)), key=lambda i: int(inst.order[i]))
    residents = {}
    for i in range(len(encoding.keys)):
        prefs = [f"h{j}" for j in inst.choices[i].tolist() if j >= 0]
        if prefs:
            residents[f"r{i}"] = prefs
    wanted: dict[str, list[str]] = {f"h{j}": [] for j in range(inst.n_hosts)}
    for i in ranked:
        for host in residents.get(f"r{i}", ()):
            wanted[host].append(f"r{i}")
    capacities = {f"h{j}": int(inst.host_cap[j]) for j in range(inst.n_hosts)}
    start = time.perf_counter()
    game = HospitalResident.create_from_dictionaries(residents, wanted, capacities)
    built = time.perf_counter() - start
    start = time.perf_counter()
    matching = game.solve(optimal="resident")
    solved = time.perf_counter() - start
    placed = sum(len(v) for v in matching.values())
    return {"residents": len(residents), "build_s": built, "solve_s": solved, "placed": placed}


def run_steps(
    n: int, folder: Path, repeat: int, mechanisms: list[str], reference: bool
) -> dict[str, Any]:
    """Time the in-process steps at one size; a JSON-able record."""
    from matcher.engine.encode import encode
    from matcher.engine.judge import judge
    from matcher.engine.pipeline import _outcomes, manifest
    from matcher.engine.result import RunResult, SolverReport
    from matcher.engine.solve import solve
    from matcher.engine.verify import verify
    from matcher.ingest.load import load_round
    from matcher.model import Mechanism, Policy
    from matcher.report.write import write_outputs

    applicants, hosts, quotas = make_round(n, 1, folder)
    rec: dict[str, Any] = {"n": n, "repeat": repeat, "steps": {}}
    load_s, round_ = timed(lambda: load_round([applicants], hosts, quotas), repeat)
    rec["load_s"], rec["issues"] = load_s, len(round_.issues)
    rec["encode_s"], encoding = timed(lambda: encode(round_, judge(round_)), repeat)
    rec["members"] = len(encoding.keys)
    if reference:
        rec["matching"] = matching_reference(round_, encoding)
    for name in mechanisms:
        step: dict[str, Any] = {}
        step["solve_s"], sol = timed(functools.partial(solve, encoding.instance, name), repeat)
        step["verify_s"], check = timed(functools.partial(verify, encoding.instance, sol), 1)
        step["ok"] = bool(check.ok)
        step["placed"] = int((sol.host >= 0).sum())
        policy = Policy(mechanism=Mechanism(name))
        rnd = round_.model_copy(update={"policy": policy})
        step["outcomes_s"], outcomes = timed(
            functools.partial(_outcomes, rnd, encoding, sol), repeat
        )
        report = SolverReport(
            mechanism=name,
            status=sol.status.value,
            objective=dict(sol.objective),
            proof=dict(sol.proof),
            verification={"ok": check.ok, "checks": dict(check.checks)},
            message=sol.message,
        )
        result = RunResult(round=rnd, outcomes=outcomes, solver=report, manifest=manifest(rnd))
        with tempfile.TemporaryDirectory() as tmp:
            write = functools.partial(write_outputs, result, Path(tmp), force=True)
            step["write_s"], _ = timed(write, repeat)
        rec["steps"][name] = step
        del sol, check, outcomes, result
    rec["peak_rss_mb"] = peak_rss_mb()
    return rec


def bare_pipeline(folder: Path, out: Path) -> int:
    """Issue 16's bare pipeline on the round in `folder`; the number placed.

    pandas reads the three CSVs, one OR-Tools `SimpleMinCostFlow` of the whole network
    (S → region × track quota → applicant → each of their choices → host capacity → T,
    and S → T for whoever stays out; cost -(4 - rank) per choice arc) is solved, and
    pandas writes every applicant row with its host as CSV into `out`. No validation,
    no adjustment, no reasons: the floor that `matcher run` is measured against.
    """
    import numpy as np
    import pandas as pd
    from ortools.graph.python import min_cost_flow

    people = pd.read_csv(folder / "applicants.csv", dtype=str, keep_default_na=False)
    hosts = pd.read_csv(folder / "hosts.csv", dtype=str, keep_default_na=False)
    quotas = pd.read_csv(folder / "quotas.csv", dtype=str, keep_default_na=False)
    quotas = quotas[quotas["地区"] != "合计"]
    n, h = len(people), len(hosts)
    host_index = pd.Series(np.arange(h), index=hosts["培养单位"])
    track = np.where(people["培养方式"].str.startswith("区外"), 0, 1)
    region_index = pd.Series(np.arange(len(quotas)), index=quotas["地区"])
    region = people["选派地区"].map(region_index).fillna(0).to_numpy(np.int64)
    group = region * 2 + track
    quota = np.column_stack(
        [pd.to_numeric(quotas[c], errors="coerce").fillna(0) for c in ("区外名额", "区内名额")]
    ).astype(np.int64)
    g = quota.size
    source, sink, group0, applicant0, host0 = 0, 1, 2, 2 + g, 2 + g + n
    tails, heads, caps, costs = [], [], [], []

    def arcs(tail: Any, head: Any, cap: Any, cost: Any) -> None:
        size = np.broadcast(tail, head).size
        for values, into in ((tail, tails), (head, heads), (cap, caps), (cost, costs)):
            into.append(np.broadcast_to(np.asarray(values, dtype=np.int64), size))

    arcs(source, group0 + np.arange(g), quota.ravel(), 0)
    arcs(group0 + group, applicant0 + np.arange(n), 1, 0)
    for rank in (1, 2, 3):
        choice = people[f"拟选培养单位{rank}"].map(host_index).to_numpy(np.float64)
        known = ~np.isnan(choice)
        rows = np.flatnonzero(known)
        arcs(applicant0 + rows, host0 + choice[known].astype(np.int64), 1, rank - 4)
    arcs(host0 + np.arange(h), sink, hosts["接收名额"].astype(np.int64).to_numpy(), 0)
    arcs(source, sink, n, 0)
    smcf = min_cost_flow.SimpleMinCostFlow()
    tail, head = np.concatenate(tails), np.concatenate(heads)
    smcf.add_arcs_with_capacity_and_unit_cost(
        tail, head, np.concatenate(caps), np.concatenate(costs)
    )
    supplies = np.zeros(host0 + h, dtype=np.int64)
    supplies[source], supplies[sink] = n, -n
    smcf.set_nodes_supplies(np.arange(supplies.size), supplies)
    if smcf.solve() != smcf.OPTIMAL:
        raise RuntimeError("the bare min-cost flow found no optimum")
    flow = smcf.flows(np.arange(tail.size))
    placed = (flow > 0) & (tail >= applicant0) & (tail < host0) & (head >= host0)
    host = np.full(n, "", dtype=object)
    host[tail[placed] - applicant0] = hosts["培养单位"].to_numpy()[head[placed] - host0]
    people["host"] = host
    out.mkdir(parents=True, exist_ok=True)
    people.to_csv(out / "placements.csv", index=False, encoding="utf-8-sig")
    return int(placed.sum())


def run_bare(folder: Path) -> dict[str, Any]:
    """`bare_pipeline` in a child process (imports included, as for `matcher run`)."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--bare", str(folder), out]
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
    return {"s": seconds, "rc": done.returncode, "stderr": done.stderr[-500:]}


def run_cli(folder: Path, mechanism: str) -> dict[str, Any]:
    """`matcher run` on the round in `folder` as a child process: seconds, peak MB, rc."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [
            str(MATCHER),
            "run",
            "-a",
            str(folder / "applicants.csv"),
            "--hosts",
            str(folder / "hosts.csv"),
            "--quotas",
            str(folder / "quotas.csv"),
            "--mechanism",
            mechanism,
            "--out",
            out,
            "--force",
        ]
        start = time.perf_counter()
        with tempfile.TemporaryFile() as said:  # a file, not a pipe: never full while waiting
            child = subprocess.Popen(cmd, stdout=said, stderr=subprocess.STDOUT)
            with TreeMemory(child.pid) as tree:
                _, status, usage = os.wait4(child.pid, 0)
            seconds = time.perf_counter() - start
            said.seek(0)
            stderr = said.read().decode(errors="replace")
        child.returncode = os.waitstatus_to_exitcode(status)
        files = sorted(p.relative_to(out).as_posix() for p in Path(out).rglob("*") if p.is_file())
        sizes = {name: (Path(out) / name).stat().st_size for name in files if "/" not in name}
    return {
        "s": seconds,
        "peak_mb": usage.ru_maxrss / 1024,
        "tree_mb": tree.peak_mb,
        "rc": child.returncode,
        "files": len(files),
        "sizes": sizes,
        "stderr": stderr[-500:],
        "stages_s": [float(x) for x in re.findall(r"用时 ([0-9.]+) 秒", stderr)],
    }


def _print(records: list[dict[str, Any]]) -> None:
    print(
        f"{'n':>10} {'hosts':>7} {'mech':<8} {'load s':>7} {'encode s':>8} {'solve s':>8} "
        f"{'verify s':>8} {'reasons s':>9} {'write s':>8} {'run s':>7} {'run MB':>7} "
        f"{'tree MB':>7} {'steps MB':>8} {'placed':>9}"
    )
    for rec in records:
        for name, step in rec["steps"].items():
            cli = rec.get("cli", {}).get(name)
            run = (
                f"{cli['s']:>7.1f} {cli['peak_mb']:>7,.0f} {cli['tree_mb']:>7,.0f}"
                if cli
                else f"{'-':>7} {'-':>7} {'-':>7}"
            )
            ok = "" if step["ok"] else "  VERIFY FAILED"
            print(
                f"{rec['n']:>10,} {rec.get('hosts', 0):>7,} {name:<8} {rec['load_s']:>7.2f} "
                f"{rec['encode_s']:>8.2f} "
                f"{step['solve_s']:>8.2f} {step['verify_s']:>8.2f} {step['outcomes_s']:>9.2f} "
                f"{step['write_s']:>8.2f} {run} {rec['peak_rss_mb']:>8,.0f} "
                f"{step['placed']:>9,}{ok}"
            )
        for name, cli in rec.get("cli", {}).items():
            stages = " / ".join(f"{x:.2f}" for x in cli.get("stages_s", []))
            print(
                f"{'':>10}   matcher run {name}: read + check / solve + verify / write {stages} s"
            )
            if cli["rc"] not in (0, 1):
                print(f"{'':>10}   matcher run {name}: exit {cli['rc']}: {cli['stderr']}")
        if "bare" in rec and "optimal" in rec.get("cli", {}):
            bare, run = rec["bare"], rec["cli"]["optimal"]["s"]
            failed = f", exit {bare['rc']}: {bare['stderr']}" if bare["rc"] else ""
            print(
                f"{'':>10}   bare pipeline {bare['s']:.2f} s (median, by turns with matcher run "
                f"optimal): matcher run / bare = {run / bare['s']:.2f}{failed}"
            )
        if "matching" in rec:
            m = rec["matching"]
            print(
                f"{'':>10}   matching.HospitalResident: {m['residents']:,} residents, "
                f"build {m['build_s']:.2f} s, solve {m['solve_s']:.2f} s, placed {m['placed']:,}"
            )


def _folder_name(n: int, shape: str) -> str:
    return f"r{n}" if shape == "today" else f"r{n}-{shape}"


def _count_hosts(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="runs per timing (median); default 3, or 1 from 1,000,000",
    )
    parser.add_argument(
        "--skip-optimal-1m",
        action="store_true",
        help="no optimal solve (in-process or matcher run) from 1,000,000",
    )
    parser.add_argument("--keep", type=Path, help="keep the generated rounds in this folder")
    parser.add_argument("--no-cli", action="store_true", help="skip the matcher run subprocesses")
    parser.add_argument("--make", type=int, metavar="N", help="only write the round of N")
    parser.add_argument(
        "--shapes",
        default="today",
        help="comma-separated: today (54 hosts, scaled), many-hosts (≈ n / 25 hosts)",
    )
    parser.add_argument("--json", type=Path, help="also write the records to this file")
    parser.add_argument(
        "--bare",
        nargs=2,
        type=Path,
        metavar=("ROUND", "OUT"),
        help="only run the bare pipeline on the round in ROUND, writing into OUT",
    )
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--mechanisms", default="stable,optimal", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        print(bare_pipeline(*args.bare))
        return
    if args.make:
        folder = args.keep or Path(tempfile.mkdtemp())
        for shape in args.shapes.split(","):
            made = make_round(args.make, 1, folder / _folder_name(args.make, shape), shape)
            print(*made, sep="\n")
        return
    if args.worker is not None:
        mechanisms = [m for m in args.mechanisms.split(",") if m]
        rec = run_steps(
            args.worker, args.folder, args.repeat, mechanisms, reference=args.worker == 10_000
        )
        print(json.dumps(rec))
        return
    # `matcher run` is timed as a user meets it from the second run on: with the library's
    # bytecode cached (a machine with PYTHONDONTWRITEBYTECODE=1 would compile it each time).
    compileall.compile_dir(ROOT / "matcher", quiet=1)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    print(
        f"bench_round  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}  "
        f"python {platform.python_version()}  {os.cpu_count()} cpus"
    )
    shapes = [s for s in args.shapes.split(",") if s]
    if unknown := set(shapes) - set(SHAPES):
        parser.error(f"unknown shape(s) {sorted(unknown)}; known: {', '.join(SHAPES)}")
    records = []
    with tempfile.TemporaryDirectory() as scratch:
        base = args.keep or Path(scratch)
        for n, shape in [(n, shape) for n in sizes for shape in shapes]:
            repeat = args.repeat or default_repeat(n)
            folder = base / _folder_name(n, shape)
            make_round(n, 1, folder, shape)
            mechanisms = ["stable"]
            if not (args.skip_optimal_1m and n >= 1_000_000):
                mechanisms.append("optimal")
            cmd = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--worker",
                str(n),
                "--folder",
                str(folder),
                "--repeat",
                str(repeat),
                "--mechanisms",
                ",".join(mechanisms),
            ]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"n={n:,}: worker failed ({done.returncode})\n{done.stderr[-2000:]}")
                continue
            rec = json.loads(done.stdout.strip().splitlines()[-1])
            rec["shape"], rec["hosts"] = shape, _count_hosts(folder / "hosts.csv")
            if not args.no_cli:
                rec["cli"] = {}
                bare = []
                for name in mechanisms:
                    runs = []
                    for _ in range(repeat):  # by turns: both under the same machine
                        runs.append(run_cli(folder, name))
                        if name == "optimal":
                            bare.append(run_bare(folder))
                    best = sorted(runs, key=lambda r: r["s"])[len(runs) // 2]
                    rec["cli"][name] = best
                if bare:
                    rec["bare"] = sorted(bare, key=lambda r: r["s"])[len(bare) // 2]
            print(f"  n={n:,} {shape} ({rec['hosts']:,} hosts) done", flush=True)
            records.append(rec)
    print()
    _print(records)
    if args.json:
        args.json.write_text(json.dumps(records, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
