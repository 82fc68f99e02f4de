"""Benchmark: solve time of every mechanism, verify time and peak memory, by size.

Usage: .venv/bin/python bench/bench_solve.py [--sizes 10000,100000,1000000] [--repeat N]
       [--seed 1] [--mechanisms optimal,stable,immediate] [--bare-stage priority_order]
       [--staged] [--processes 2]
       .venv/bin/python bench/bench_solve.py --profile 100000   # where optimal's time goes

Instances come from `tests.engine.solve.instances.random_instance` (80 hosts, 28 quota groups,
Zipf-like host popularity, binding quotas, half accepting adjustment). Each size runs in
its own subprocess so the peak RSS (ru_maxrss at the end of the worker) is per size.

Measured per size: the median wall time of `solve(instance, mechanism)` over the repeats
(default 3 below 1,000,000 applicants, 1 from there), the time of `matcher.engine.verify.verify`
on each answer (certificate included for `optimal`), and the reference point: one bare
OR-Tools `SimpleMinCostFlow` solve of the SAME canonical network (built once with
`matcher.engine.solve.network.build_network`, bounds [0, cap]) with one weighted objective, the
`--bare-stage` costs alone (default `priority_order`: -w_i*(5-r) on choice arcs, -w_i on
adjustment arcs). The bare time is add_arcs + supplies + solve; network building is shown
apart. `optimal` and the bare solve are timed by turns (one of each, `repeat` times), so
both see the same machine (its speed drifts by several percent within minutes); `opt/bare`
is the median optimal time over the median bare time.

With `--processes 2`, each size's worker starts the solver's warm second process first
(`optimal.start_worker`, as a large `matcher run` does before judging the round) and waits
until it is ready: `optimal` then hands it the largest track from
`tracks.WARM_APPLICANTS` free applicants (the default: one process, as a library call).

For `optimal` also: `1 core s`, the same solve with the tracks solved one after the other
in this process (no second process); `cpu s`, the CPU seconds of one solve in this process
and in a spawned second process once it has ended (a warm one's are not counted);
`staged s`, the staged method alone (`optimal.solve_staged`, one OR-Tools solve per pair
of stages: the engine before the fast path), below 1,000,000 or with `--staged`; its stage
values must equal optimal's.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import gc
import io
import json
import os
import platform
import pstats
import resource
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from timing import default_repeat, peak_rss_mb, timed, timed_pair

ROOT = Path(__file__).resolve().parents[1]
MECHANISMS = ("optimal", "stable", "immediate")


def _generator() -> Callable[..., Any]:
    """`random_instance` from the tests package (the repo root put on sys.path)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.engine.solve.instances import random_instance

    return random_instance


def bare_solve(net: Any, cost: np.ndarray) -> tuple[bool, int]:
    """One OR-Tools min-cost flow of `net` on bounds [0, cap]; (optimal?, total cost)."""
    from ortools.graph.python import min_cost_flow

    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(net.tail, net.head, net.cap, cost)
    smcf.set_nodes_supplies(np.arange(net.n_nodes, dtype=np.int32), net.supply)
    status = smcf.solve()
    optimal = status == smcf.OPTIMAL
    return optimal, int(smcf.optimal_cost()) if optimal else 0


def run_size(n: int, seed: int, repeat: int, mechanisms: list[str], bare_stage: str) -> dict:
    """Time everything at one size in this process; a JSON-able record."""
    from matcher.engine.solve import solve
    from matcher.engine.solve.network import build_network, stage_costs
    from matcher.engine.verify import verify

    if PROCESSES[0] > 1:  # the warm second process, ready before anything is timed
        from matcher import processes
        from matcher.engine.solve import optimal

        os.environ[processes.PROCESSES_VARIABLE] = str(PROCESSES[0])
        ready = optimal.start_worker()
        if ready is not None:
            ready.result()
    start = time.perf_counter()
    instance = _generator()(n, seed)
    rec: dict[str, Any] = {"n": n, "repeat": repeat, "generate_s": time.perf_counter() - start}
    rec["processes"] = PROCESSES[0]
    rec["places"] = int(instance.host_cap.sum())
    rec["quota"] = int(instance.group_cap.sum())
    start = time.perf_counter()
    net = build_network(instance, True)
    rec["build_s"] = time.perf_counter() - start
    rec["nodes"], rec["arcs"] = int(net.n_nodes), int(net.tail.shape[0])
    cost = stage_costs(net, instance, bare_stage)
    rec["mechanisms"] = {}
    for name in mechanisms:
        run = functools.partial(solve, instance, name)
        if name == "optimal":  # by turns with the bare solve: the ratio under one machine
            seconds, sol, rec["bare_s"], (optimal, total) = timed_pair(
                run, lambda: bare_solve(net, cost), repeat
            )
        else:
            seconds, sol = timed(run, repeat)
        gc.collect()
        start = time.perf_counter()
        check = verify(instance, sol)
        verify_s = time.perf_counter() - start
        placed = sol.host >= 0
        fill_g = np.bincount(instance.group[placed], minlength=instance.group_cap.shape[0])
        fill_h = np.bincount(sol.host[placed], minlength=instance.n_hosts)
        rec["mechanisms"][name] = {
            "solve_s": seconds,
            "verify_s": verify_s,
            "status": str(sol.status),
            "ok": check.ok,
            "failures": check.failures[:3],
            "placed": int(placed.sum()),
            "groups_full": int((fill_g >= instance.group_cap).sum()),
            "hosts_full": int((fill_h >= instance.host_cap).sum()),
            "objective": sol.objective,
        }
        del sol, check
    if "optimal" not in mechanisms:
        rec["bare_s"], (optimal, total) = timed(lambda: bare_solve(net, cost), repeat)
    rec["bare_stage"], rec["bare_optimal"], rec["bare_value"] = bare_stage, optimal, -total
    if "optimal" in mechanisms:
        # the same answer on one core (no second process), and the staged method alone
        # (the engine before the fast path), when asked or below a million
        from matcher.engine.solve import optimal as optimal_module
        from matcher.engine.solve import tracks

        before = tracks.PARALLEL_APPLICANTS, tracks.WARM_APPLICANTS
        tracks.PARALLEL_APPLICANTS = tracks.WARM_APPLICANTS = 2**62
        try:
            rec["one_core_s"], _ = timed(functools.partial(solve, instance, "optimal"), repeat)
        finally:
            tracks.PARALLEL_APPLICANTS, tracks.WARM_APPLICANTS = before
        cpu = _cpu_seconds()
        solve(instance, "optimal")
        rec["optimal_cpu_s"] = _cpu_seconds() - cpu
        if STAGED[0] or n < 1_000_000:
            rec["staged_s"], staged = timed(
                functools.partial(optimal_module.solve_staged, instance), repeat
            )
            assert staged.objective == rec["mechanisms"]["optimal"]["objective"]
    rec["peak_rss_mb"] = peak_rss_mb()
    return rec


#: Time the staged method at 1,000,000 too (`--staged`; about 90 s).
STAGED = [False]
#: Processes a solve may use (`--processes`; 2: the warm second process).
PROCESSES = [1]


def _cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (the forked part solves)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def profile_optimal(n: int, seed: int, top: int) -> None:
    """Profile one `optimal` solve: time per part, then cProfile's top functions.

    The breakdown wraps module-level helpers of `matcher.engine.solve.optimal` for the duration
    of the run (no source is changed): `build_network`, `stage_cost_table`,
    `min_cost_flow_within` (model + OR-Tools solve), `residual_potentials` (the
    certificate), `decode_flow`; the rest of `solve_optimal` is weights, bound restriction,
    values and joining the tracks. Both tracks are solved in this process (no second
    process), so the parts add up to the CPU time of a solve, not to its wall time.
    """
    from matcher.engine.solve import optimal, tracks

    tracks.PARALLEL_APPLICANTS = 2**62

    instance = _generator()(n, seed)
    parts: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])

    def wrap(attr: str, label: str) -> Callable[[], None]:
        inner = getattr(optimal, attr)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                parts[label][0] += time.perf_counter() - start
                parts[label][1] += 1

        setattr(optimal, attr, timed)
        return lambda: setattr(optimal, attr, inner)

    restore = [
        wrap("build_network", "build network"),
        wrap("stage_cost_table", "stage costs"),
        wrap("min_cost_flow_within", "OR-Tools (model, solve)"),
        wrap("residual_potentials", "potentials"),
        wrap("decode_flow", "decode"),
    ]
    try:
        start = time.perf_counter()
        sol = optimal.solve_optimal(instance, True)
        total = time.perf_counter() - start
    finally:
        for undo in restore:
            undo()
    groups = [s["names"] for s in sol.proof["stages"]]
    print(f"optimal, n={n:,}, seed={seed}: {total:.2f} s, status {sol.status}")
    print(f"proof groups: {groups}")
    print(f"{'part':<32} {'calls':>5} {'s':>7} {'%':>5}")
    for label, (secs, calls) in parts.items():
        print(f"{label:<32} {calls:>5} {secs:>7.3f} {100 * secs / total:>5.1f}")
    rest = total - sum(secs for secs, _ in parts.values())
    print(
        f"{'(rest: weights, bounds, values)':<32} {'':>5} {rest:>7.3f} {100 * rest / total:>5.1f}"
    )

    if top <= 0:
        return
    profiler = cProfile.Profile()
    profiler.enable()
    optimal.solve_optimal(instance, True)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    print(out.getvalue())


def _print_tables(records: list[dict], mechanisms: list[str]) -> None:
    print(
        f"{'n':>10} {'mechanism':<10} {'solve s':>8} {'verify s':>9} {'ok':>3} "
        f"{'placed':>9} {'groups full':>11} {'hosts full':>10}"
    )
    for rec in records:
        for name in mechanisms:
            m = rec["mechanisms"][name]
            ok = "yes" if m["ok"] else "NO"
            print(
                f"{rec['n']:>10,} {name:<10} {m['solve_s']:>8.3f} {m['verify_s']:>9.3f} "
                f"{ok:>3} {m['placed']:>9,} {m['groups_full']:>8}/28 {m['hosts_full']:>7}/80"
            )
            if m["failures"]:
                print(f"{'':>10}   failures: {'; '.join(m['failures'])}")
    print()
    print(
        f"{'n':>10} {'rep':>3} {'nodes':>10} {'arcs':>10} {'build s':>8} {'bare s':>7} "
        f"{'optimal s':>9} {'opt/bare':>8} {'1 core s':>8} {'cpu s':>6} {'staged s':>8} "
        f"{'peak RSS MB':>11}"
    )
    for rec in records:
        opt = rec["mechanisms"].get("optimal")
        opt_s = f"{opt['solve_s']:>9.3f}" if opt else f"{'-':>9}"
        ratio = f"{opt['solve_s'] / rec['bare_s']:>8.2f}" if opt else f"{'-':>8}"
        extra = [rec.get(k) for k in ("one_core_s", "optimal_cpu_s", "staged_s")]
        one, cpu, staged = (f"{x:.3f}" if x is not None else "-" for x in extra)
        print(
            f"{rec['n']:>10,} {rec['repeat']:>3} {rec['nodes']:>10,} {rec['arcs']:>10,} "
            f"{rec['build_s']:>8.3f} {rec['bare_s']:>7.3f} {opt_s} {ratio} "
            f"{one:>8} {cpu:>6} {staged:>8} {rec['peak_rss_mb']:>11,.0f}"
        )
        if not rec["bare_optimal"]:
            print(f"{'':>10}   bare solve NOT optimal")
        elif opt:
            # The bare solve optimises that one stage alone, so it bounds optimal's value.
            staged = opt["objective"].get(rec["bare_stage"], 0)
            print(
                f"{'':>10}   bare {rec['bare_stage']} = {rec['bare_value']:,} "
                f"(optimal's, after the earlier stages: {staged:,})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default="10000,100000,1000000", help="comma-separated applicant counts"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="runs per timing (median); default 3, or 1 from 1,000,000",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mechanisms", default=",".join(MECHANISMS))
    parser.add_argument(
        "--bare-stage",
        default="priority_order",
        help="stage whose costs the bare OR-Tools reference solves",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run every size in this process (peak RSS is then cumulative)",
    )
    parser.add_argument("--json", type=Path, help="also write the records to this file")
    parser.add_argument(
        "--profile", type=int, metavar="N", help="only profile one optimal solve of N applicants"
    )
    parser.add_argument(
        "--top", type=int, default=25, help="cProfile rows with --profile (0: breakdown only)"
    )
    parser.add_argument(
        "--staged", action="store_true", help="time the staged method at 1,000,000 too"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="2: optimal hands the largest track to a warm second process (optimal.start_worker)",
    )
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    STAGED[0] = args.staged
    PROCESSES[0] = args.processes
    mechanisms = [m.strip() for m in args.mechanisms.split(",") if m.strip()]
    if args.profile:
        profile_optimal(args.profile, args.seed, args.top)
        return
    if args.worker is not None:
        repeat = args.repeat or default_repeat(args.worker)
        rec = run_size(args.worker, args.seed, repeat, mechanisms, args.bare_stage)
        print(json.dumps(rec))
        return
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    print(
        f"bench_solve  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}  {platform.processor() or ''}"
        f"  python {platform.python_version()}  seed {args.seed}  bare stage {args.bare_stage}"
        f"  processes {args.processes}"
    )
    records = []
    for n in sizes:
        repeat = args.repeat or default_repeat(n)
        if args.in_process:
            rec = run_size(n, args.seed, repeat, mechanisms, args.bare_stage)
        else:
            cmd = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--worker",
                str(n),
                "--seed",
                str(args.seed),
                "--repeat",
                str(repeat),
                "--mechanisms",
                ",".join(mechanisms),
                "--bare-stage",
                args.bare_stage,
                *(["--staged"] if args.staged else []),
                "--processes",
                str(args.processes),
            ]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"n={n:,}: worker failed ({done.returncode})\n{done.stderr[-2000:]}")
                continue
            rec = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"  n={n:,} done: generate {rec['generate_s']:.2f} s, places {rec['places']:,}, "
            f"quota {rec['quota']:,}",
            flush=True,
        )
        records.append(rec)
    print()
    _print_tables(records, mechanisms)
    if args.json:
        args.json.write_text(json.dumps(records, indent=1))


if __name__ == "__main__":
    main()
