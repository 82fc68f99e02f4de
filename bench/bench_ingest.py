"""Benchmark: load + validate time of a large applicant file, from CSV and from xlsx.

Usage: .venv/bin/python bench/bench_ingest.py [--rows 100000] [--repeat 3]
Prints one line per format: rows, median seconds, rows per second. Targets (issue 2):
CSV ≤ 5 s and xlsx ≤ 30 s for 100,000 rows on a 2-core machine.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import tempfile
import time
from pathlib import Path

import xlsxwriter

from matcher.ingest.load import load_round
from matcher.sample import write_large_round


def csv_to_xlsx(source: Path, target: Path) -> None:
    """Copy a CSV into a one-sheet workbook (every cell as text, like a typed table)."""
    book = xlsxwriter.Workbook(str(target), {"constant_memory": True})
    sheet = book.add_worksheet("汇总表")
    with source.open(encoding="utf-8-sig", newline="") as handle:
        for r, row in enumerate(csv.reader(handle)):
            for c, value in enumerate(row):
                sheet.write_string(r, c, value)
    book.close()


def timed(path: Path, repeat: int) -> tuple[float, int, int]:
    times, rows, issues = [], 0, 0
    for _ in range(repeat):
        start = time.perf_counter()
        round_ = load_round([path])
        times.append(time.perf_counter() - start)
        rows, issues = len(round_.applicants), len(round_.issues)
    return statistics.median(times), rows, issues


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "applicants.csv"
        start = time.perf_counter()
        write_large_round(args.rows, args.seed, csv_path)
        print(f"generate {args.rows:,} rows: {time.perf_counter() - start:.2f} s")
        xlsx_path = Path(tmp) / "applicants.xlsx"
        csv_to_xlsx(csv_path, xlsx_path)
        print(f"{'format':<6} {'rows':>9} {'issues':>8} {'median s':>9} {'rows/s':>10}")
        for path in (csv_path, xlsx_path):
            seconds, rows, issues = timed(path, args.repeat)
            fmt = path.suffix.lstrip(".")
            print(f"{fmt:<6} {rows:>9,} {issues:>8,} {seconds:>9.2f} {rows / seconds:>10,.0f}")


if __name__ == "__main__":
    main()
