"""Regenerate synthetic data: ``python -m matcher.sample --out DIR --seed N``.

Examples
--------
``python -m matcher.sample --out data/sample-2023 --seed 2023`` rewrites the bundled sample
round; ``--tables data`` rewrites quotas-2023.xlsx and hosts-2023.xlsx from their CSV files;
``--large 1000000 --csv big.csv`` writes a consolidated CSV for benchmarks.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from matcher.sample.defects import build_sample_round
from matcher.sample.large import write_large_round
from matcher.sample.reference import write_table_workbooks


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and write what they ask for; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m matcher.sample", description=__doc__)
    parser.add_argument("--out", type=Path, help="folder of the sample round to (re)write")
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--n", type=int, default=200, help="applicants in the sample round")
    parser.add_argument(
        "--tables", type=Path, help="folder with quotas/hosts CSV to mirror as xlsx"
    )
    parser.add_argument("--large", type=int, help="rows of a consolidated CSV (with --csv)")
    parser.add_argument("--csv", type=Path, help="path of the large consolidated CSV")
    parser.add_argument("--english", action="store_true", help="English headers in --csv")
    args = parser.parse_args(argv)
    if not (args.out or args.tables or args.large):
        parser.print_usage(sys.stderr)
        return 2
    if args.large and not args.csv:
        parser.error("--large needs --csv")
    if args.tables:
        for path in write_table_workbooks(args.tables):
            print(f"wrote {path}")
    if args.out:
        sample = build_sample_round(args.out, seed=args.seed, n=args.n)
        print(f"wrote {len(sample.written.files)} workbooks and {sample.markdown}")
    if args.large:
        write_large_round(args.large, args.seed, args.csv, english=args.english)
        print(f"wrote {args.large} rows to {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
