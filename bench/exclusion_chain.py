"""Exclude each placed trainee of the sample round in turn: who else changes, and how.

For the department's question "if one trainee withdraws and we re-run, who moves?": each
run excludes one placed (or adjusted) trainee and re-solves; every other applicant whose
outcome differs is counted as gaining (unplaced → placed), improving (a better choice),
worsening (a worse choice or adjusted instead of a choice) or losing (placed → unplaced),
and as moving host at the same rank. Prints one line per policy.

    .venv/bin/python bench/exclusion_chain.py [--objective two-phase|joint]
        [--mechanism optimal|stable|…] [--seed N]
"""

from __future__ import annotations

import argparse
from collections import Counter

from matcher.engine.pipeline import solve_round
from matcher.ingest.load import load_round
from matcher.model import Status
from matcher.whatif.changes import with_policy, without_applicants

PLACED = (Status.PLACED, Status.ADJUSTED)


def _score(status: Status, rank: int | None) -> int:
    """Higher is better: a choice rank 1–3 (or pre-arranged) > adjusted > not placed."""
    if status is Status.PLACED:
        return 5 - (rank or 4)
    return 0 if status is Status.ADJUSTED else -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objective", default="two-phase")
    parser.add_argument("--mechanism", default="optimal")
    parser.add_argument("--seed", type=int, default=2023)
    args = parser.parse_args()
    base = with_policy(
        load_round(), mechanism=args.mechanism, objective=args.objective, seed=args.seed
    )
    first = solve_round(base)
    before = {o.key: o for o in first.outcomes}
    totals: Counter[str] = Counter()
    runs = worst = 0
    for outcome in first.outcomes:
        if outcome.status not in PLACED:
            continue
        runs += 1
        after = solve_round(without_applicants(base, [outcome.key])).outcomes
        changed = 0
        for o in after:
            b = before[o.key]
            if (o.status, o.host, o.choice_rank) == (b.status, b.host, b.choice_rank):
                continue
            changed += 1
            old, new = _score(b.status, b.choice_rank), _score(o.status, o.choice_rank)
            kind = "gained" if old < 0 <= new else "lost" if new < 0 <= old else (
                "improved" if new > old else "worsened" if new < old else "moved host"
            )  # fmt: skip
            totals[kind] += 1
        totals["changed"] += changed
        worst = max(worst, changed)
    parts = ", ".join(f"{k} {totals[k]}" for k in ("gained", "improved", "worsened", "lost"))
    print(
        f"{args.mechanism} {args.objective}: {runs} exclusions, "
        f"{totals['changed']} other outcomes changed (at most {worst} in one run): {parts}, "
        f"moved host {totals['moved host']}"
    )


if __name__ == "__main__":
    main()
