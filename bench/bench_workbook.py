"""Benchmark: writing the two workbooks of a round (placements.xlsx, notices.xlsx).

Usage: .venv/bin/python bench/bench_workbook.py [--n 100000] [--shape today|many-hosts]
       [--repeat 3] [--keep DIR] [--compare]

Makes the round of `bench_round.make_round` (n applicants, the given shape), solves it
once (`optimal`), prepares the report tables, then times, as the median of `--repeat`
runs, ``placements_book(data).save(file)`` and ``notices_book(data).save(file)`` into a
real file in a temporary folder: wall seconds and CPU seconds (every thread of this
process: the deflating thread too), with the rows of each book, its size and the peak
memory of this process. Only public names of `matcher.report.workbook` are used,
so the same script times any version of the library.

``--compare`` also times each book written cell by cell through xlsxwriter's public API
(``Book(large=False)``, what small books use), against the generated rows of a large book
(`matcher.report.sheetrows`): the measurement that keeps that module.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench_round import make_round
from timing import peak_rss_mb, timed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--shape", default="today", choices=("today", "many-hosts"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the generated round in this folder")
    parser.add_argument("--compare", action="store_true", help="also cell by cell (xlsxwriter)")
    args = parser.parse_args()

    from matcher.engine.pipeline import solve_round
    from matcher.ingest.load import load_round
    from matcher.report import workbook
    from matcher.report.data import prepare
    from matcher.report.workbook import notices_book, placements_book

    with tempfile.TemporaryDirectory() as scratch:
        base = args.keep or Path(scratch)
        name = f"r{args.n}" if args.shape == "today" else f"r{args.n}-{args.shape}"
        applicants, hosts, quotas = make_round(args.n, 1, base / name, args.shape)
        start = time.perf_counter()
        data = prepare(solve_round(load_round([applicants], hosts, quotas)))
        print(f"round of {args.n:,} ({args.shape}) ready in {time.perf_counter() - start:.1f} s")
        print(f"{'book':<16} {'route':<13} {'rows':>9} {'s':>7} {'CPU s':>7} {'MB':>7}")
        routes = [("default", workbook.LARGE_BOOK_ROWS)]
        if args.compare:
            routes.append(("cell by cell", 10**15))
        for label, make, rows, (route, threshold) in [
            (label, make, rows, route)
            for label, make, rows in (
                ("placements.xlsx", placements_book, len(data.placements)),
                ("notices.xlsx", notices_book, 2 * len(data.trainees)),
            )
            for route in routes
        ]:
            workbook.LARGE_BOOK_ROWS = threshold
            target = Path(scratch) / label

            cpu: list[float] = []

            def write(make=make, target=target, cpu=cpu) -> None:  # type: ignore[no-untyped-def]
                start = time.process_time()
                with target.open("wb") as handle:
                    make(data).save(handle)
                cpu.append(time.process_time() - start)

            seconds, _ = timed(write, args.repeat)
            size = target.stat().st_size / 1e6
            line = f"{label:<16} {route:<13} {rows:>9,} {seconds:>7.2f}"
            print(f"{line} {statistics.median(cpu):>7.2f} {size:>7.1f}")
    print(f"peak memory {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
