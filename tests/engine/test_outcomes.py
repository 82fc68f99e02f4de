"""The outcome table: its columns computed as arrays equal the row-by-row reading exactly.

Equal down to the encoded columns (codes, their dtype, the distinct values in order and
their types), so that nothing reading a table's codes can tell the two paths apart; and
the store's shortcuts equal `Column.of` of the values they stand for.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.engine.encode import encode
from matcher.engine.judge import judge
from matcher.engine.outcomes import outcome_table
from matcher.engine.pipeline import resolver, solve_verified
from matcher.engine.result import Outcomes
from matcher.ingest.load import load_round
from matcher.model import Round
from matcher.sample import write_large_round
from matcher.store import Column
from tests.engine.test_judge import rounds


def same_column(a: Column, b: Column) -> bool:
    return (
        a.codes.dtype == b.codes.dtype
        and np.array_equal(a.codes, b.codes)
        and [(type(v), v) for v in a.values.tolist()] == [(type(v), v) for v in b.values.tolist()]
    )


def both_ways(round_: Round) -> tuple[Outcomes, Outcomes]:
    policy = round_.policy
    encoding = encode(round_, judge(round_))
    solution = solve_verified(encoding.instance, policy.mechanism).solution
    resolve = resolver(policy.mechanism)
    return (
        outcome_table(round_, encoding, solution, resolve),
        outcome_table(round_, encoding, solution, resolve, rowwise=True),
    )


def assert_same_tables(a: Outcomes, b: Outcomes) -> None:
    assert len(a) == len(b)
    for name in Outcomes.model.model_fields:
        assert same_column(a.field(name), b.field(name)), name


def test_the_sample_round_both_ways() -> None:
    assert_same_tables(*both_ways(load_round()))


def test_a_large_generated_round_both_ways(tmp_path: Path) -> None:
    # over explain.RESOLVE_LIMIT rows: the reasons of a large round
    path = write_large_round(3500, 7, tmp_path / "round.csv")
    arrays, rows = both_ways(load_round([path]))
    assert_same_tables(arrays, rows)
    assert {o.status for o in arrays} >= {"placed", "unmatched"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds())
def test_generated_rounds_both_ways(round_: Round) -> None:
    keys = [a.key for a in round_.applicants]
    if len(set(keys)) == len(keys):
        assert_same_tables(*both_ways(round_))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 5), max_size=40),
    st.permutations([None, "a", "b", 7, True, ("x",)]),
)
def test_labels_by_codes_equal_the_column_of_the_values(codes: list[int], labels: list) -> None:
    expected = Column.of([labels[c] for c in codes])
    assert same_column(Column.of_labels(np.array(codes, dtype=np.int64), labels), expected)


@given(st.lists(st.text(min_size=1), unique=True, max_size=30))
def test_distinct_items_equal_their_column(items: list[str]) -> None:
    assert same_column(Column.of_distinct(items), Column.of(items))


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint64, bool])
def test_integer_arrays_equal_the_column_of_their_python_values(dtype: type) -> None:
    numbers = np.array([3, 0, 3, 1, 2**31 - 1, 0, 1], dtype=np.int64).astype(dtype)
    assert same_column(Column.of(numbers), Column.of(numbers.tolist()))
    assert same_column(Column.of(numbers[:0]), Column.of([]))


@given(st.lists(st.booleans(), max_size=30), st.randoms())
def test_distinct_items_at_rows_equal_their_column(rows: list[bool], rng) -> None:
    at = np.flatnonzero(np.array(rows, dtype=bool))
    items = rng.sample(range(1000), len(at))
    listed: list[int | None] = [None] * len(rows)
    for k, i in enumerate(at.tolist()):
        listed[i] = items[k]
    assert same_column(Column.of_distinct_at(items, at, len(rows)), Column.of(listed))
