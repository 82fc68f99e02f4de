"""`stable` (平行志愿): hand-built cases, the plain-loop reference, the `matching`
library's resident-optimal hospital–resident matching, invariants, speed-independent
determinism."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from matching.games import HospitalResident

from matcher.engine.solve import solve
from matcher.engine.solve.base import ADJUSTED, UNPLACED, SolveStatus
from matcher.engine.solve.stable import solve_stable
from tests.engine.solve.checks import assert_feasible, make_instance, recount, reference_sequential
from tests.engine.solve.gaps import gappy_instances
from tests.engine.solve.instances import random_instance
from tests.strategies import CI


def test_earlier_in_order_takes_the_seat():
    # Both want h0 (one place): the applicant first in the order (index 1) gets it and
    # the other falls to her 2nd choice h1.
    inst = make_instance([[0, 1], [0]], [1, 1], order=[1, 0])
    sol = solve_stable(inst)
    assert sol.status == SolveStatus.FEASIBLE
    assert list(sol.host) == [1, 0] and list(sol.rank) == [2, 1]


def test_serial_dictatorship_is_not_placement_maximal():
    # A (first) takes h0 although h1 would do; B, who only wants h0, is left out.
    inst = make_instance([[0, 1], [0]], [1, 1])
    sol = solve_stable(inst)
    assert list(sol.host) == [0, -1]
    assert sol.objective["placed_at_choice"] == 1


def test_quota_stops_later_applicants():
    inst = make_instance([[0], [1]], [1, 1], group_cap=[1])
    assert list(solve_stable(inst).host) == [0, -1]


def test_adjustment_prefers_most_room_then_lowest_index():
    # B cannot have h0; h1 and h2 both train her field, h2 has more room: B → h2.
    # C likewise, now h1 and h2 both have 1 place left: lowest index h1.
    inst = make_instance(
        [[0], [0], [0]],
        [1, 1, 2],
        field=[0, 0, 0],
        host_fields=[[True], [True], [True]],
        accepts=[False, True, True],
    )
    sol = solve_stable(inst)
    assert list(sol.host) == [0, 2, 1]
    assert list(sol.rank) == [1, ADJUSTED, ADJUSTED]


def test_prearranged_fixed_first():
    # P (last in the order) is pre-arranged at h0 and keeps it against A.
    inst = make_instance([[0], [0]], [1], prearranged=[-1, 0])
    sol = solve_stable(inst)
    assert list(sol.host) == [-1, 0] and list(sol.rank) == [UNPLACED, 1]


def test_empty_instance():
    sol = solve(make_instance([], [1]), "stable")
    assert sol.host.shape == (0,) and all(v == 0 for v in sol.objective.values())


@CI
@given(gappy_instances(max_applicants=8))
def test_matches_plain_loop_reference_and_invariants(inst):
    for adjustment in (True, False):
        sol = solve_stable(inst, adjustment)
        host, rank = reference_sequential(inst, rounds=False, adjustment=adjustment)
        assert list(sol.host) == list(host) and list(sol.rank) == list(rank)
        assert_feasible(inst, sol, adjustment)
        assert sol.objective == recount(inst, sol)


def _resident_optimal(inst):
    """Resident-optimal stable matching of the `matching` library (hospitals rank by order)."""
    residents = {i: [int(c) for c in inst.choices[i] if c >= 0] for i in range(inst.n)}
    residents = {i: prefs for i, prefs in residents.items() if prefs}
    hospitals = {
        j: sorted((i for i, p in residents.items() if j in p), key=lambda i: inst.order[i])
        for j in range(inst.n_hosts)
    }
    hospitals = {j: p for j, p in hospitals.items() if p and inst.host_cap[j] > 0}
    residents = {i: [j for j in p if j in hospitals] for i, p in residents.items()}
    residents = {i: p for i, p in residents.items() if p}
    host = np.full(inst.n, -1)
    if not residents:
        return host
    game = HospitalResident.create_from_dictionaries(
        residents, hospitals, {j: int(inst.host_cap[j]) for j in hospitals}
    )
    for hospital, matched in game.solve(optimal="resident").items():
        for resident in matched:
            host[resident.name] = hospital.name
    return host


@CI
@given(gappy_instances(max_applicants=10, max_hosts=4))
def test_equals_resident_optimal_stable_matching_without_binding_quotas(inst):
    loose = replace(
        inst,
        group_cap=np.full_like(inst.group_cap, inst.n + 1),
        prearranged=np.full_like(inst.prearranged, -1),
    )
    sol = solve_stable(loose, adjustment=False)
    assert list(sol.host) == list(_resident_optimal(loose))


def test_generated_round_against_reference_and_determinism():
    inst = random_instance(4000, 7, prearranged=0.01)
    sol = solve_stable(inst)
    again = solve_stable(inst)
    host, rank = reference_sequential(inst, rounds=False)
    assert np.array_equal(sol.host, host) and np.array_equal(sol.rank, rank)
    assert np.array_equal(sol.host, again.host) and sol.objective == again.objective
    assert sol.objective["adjusted"] > 0
    assert_feasible(inst, sol)


def test_small_chunks_give_the_same_answer(monkeypatch):
    # Many chunks and fill events inside chunks: the vectorised pass must still equal
    # the one-by-one reference.
    inst = random_instance(3000, 11, prearranged=0.01)
    monkeypatch.setattr("matcher.engine.solve.sequential.CHUNK", 37)
    sol = solve_stable(inst)
    host, rank = reference_sequential(inst, rounds=False)
    assert np.array_equal(sol.host, host) and np.array_equal(sol.rank, rank)


@pytest.mark.parametrize(("chunk", "smallest"), [(4096, 1), (64, 8), (16384, 256)])
def test_chunks_that_shrink_after_fill_events_give_the_same_answer(monkeypatch, chunk, smallest):
    # Hosts of one to three places: a fill event every few applicants, so the chunks
    # shrink to twice the stretch the last one decided and grow again.
    inst = random_instance(3000, 12)
    small = replace(inst, host_cap=np.minimum(inst.host_cap, 1 + np.arange(inst.n_hosts) % 3))
    monkeypatch.setattr("matcher.engine.solve.sequential.CHUNK", chunk)
    monkeypatch.setattr("matcher.engine.solve.sequential.MIN_CHUNK", smallest)
    for case in (inst, small):
        sol = solve_stable(case)
        assert sol.status == SolveStatus.FEASIBLE
        host, rank = reference_sequential(case, rounds=False)
        assert np.array_equal(sol.host, host) and np.array_equal(sol.rank, rank)
