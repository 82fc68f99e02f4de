"""`immediate` (顺序志愿, Boston): hand-built cases, the plain-loop reference, invariants."""

from __future__ import annotations

import numpy as np
from hypothesis import given

from matcher.engine.solve import solve
from matcher.engine.solve.base import ADJUSTED, UNPLACED, SolveStatus
from matcher.engine.solve.immediate import solve_immediate
from matcher.engine.solve.stable import solve_stable
from tests.engine.solve.checks import assert_feasible, make_instance, recount, reference_sequential
from tests.engine.solve.gaps import gappy_instances
from tests.engine.solve.instances import random_instance
from tests.strategies import CI


def test_second_choice_already_taken_in_round_one():
    # Z (1st) and A (2nd) both put h0 first; C (3rd) puts h1 first. Round 1: Z gets h0,
    # C gets h1 (acceptance is final). Round 2: A proposes to h1, which is full: A is
    # unplaced. Under `stable` A would have taken h1 before C.
    inst = make_instance([[0], [0, 1], [1]], [1, 1])
    sol = solve_immediate(inst)
    assert sol.status == SolveStatus.FEASIBLE
    assert list(sol.host) == [0, -1, 1] and list(sol.rank) == [1, UNPLACED, 1]
    assert list(solve_stable(inst).host) == [0, 1, -1]


def test_gap_proposes_nowhere_in_that_round():
    # A's 1st slot is empty: in round 1 only B proposes to h0 and gets it.
    inst = make_instance([[-1, 0], [0]], [1])
    assert list(solve_immediate(inst).host) == [-1, 0]


def test_quota_taken_in_priority_order_across_hosts():
    # One group, quota 1; A (2nd) proposes to h0, B (1st) to h1: B gets the quota.
    inst = make_instance([[0], [1]], [1, 1], group_cap=[1], order=[1, 0])
    assert list(solve_immediate(inst).host) == [-1, 1]


def test_adjustment_after_rounds():
    inst = make_instance(
        [[0], [0]], [1, 1], field=[0, 0], host_fields=[[True], [True]], accepts=[True, True]
    )
    sol = solve_immediate(inst)
    assert list(sol.host) == [0, 1] and list(sol.rank) == [1, ADJUSTED]


def test_empty_instance():
    sol = solve(make_instance([], [1]), "immediate")
    assert sol.host.shape == (0,) and all(v == 0 for v in sol.objective.values())


@CI
@given(gappy_instances(max_applicants=8))
def test_matches_plain_loop_reference_and_invariants(inst):
    for adjustment in (True, False):
        sol = solve_immediate(inst, adjustment)
        host, rank = reference_sequential(inst, rounds=True, adjustment=adjustment)
        assert list(sol.host) == list(host) and list(sol.rank) == list(rank)
        assert_feasible(inst, sol, adjustment)
        assert sol.objective == recount(inst, sol)


def test_generated_round_against_reference_and_determinism():
    inst = random_instance(4000, 8, prearranged=0.01)
    sol = solve_immediate(inst)
    host, rank = reference_sequential(inst, rounds=True)
    assert np.array_equal(sol.host, host) and np.array_equal(sol.rank, rank)
    again = solve_immediate(inst)
    assert np.array_equal(sol.host, again.host) and sol.objective == again.objective
    assert_feasible(inst, sol)


def test_small_chunks_give_the_same_answer(monkeypatch):
    # Many chunks and fill events inside chunks: the vectorised pass must still equal
    # the one-by-one reference.
    inst = random_instance(3000, 11, prearranged=0.01)
    monkeypatch.setattr("matcher.engine.solve.sequential.CHUNK", 37)
    sol = solve_immediate(inst)
    host, rank = reference_sequential(inst, rounds=True)
    assert np.array_equal(sol.host, host) and np.array_equal(sol.rank, rank)
