"""`optimal`: hand-built cases reasoned out, invariants and the certificate on generated
instances, lexicographic dominance over the sequential mechanisms, determinism."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from matcher.engine.solve import optimal, solve
from matcher.engine.solve.base import ADJUSTED, PREARRANGED, STAGES, UNPLACED, SolveStatus
from matcher.engine.solve.network import build_network
from matcher.engine.solve.optimal import solve_optimal, solve_staged
from matcher.engine.verify import verify
from matcher.model import JOINT_STAGES
from tests.engine.solve.checks import (
    assert_certificate,
    assert_feasible,
    make_instance,
    proof_names,
    proof_values,
    recount,
)
from tests.engine.solve.gaps import gappy_instances
from tests.engine.solve.instances import random_instance
from tests.strategies import CI


def vector(sol):
    return [sol.objective[s] for s in STAGES]


def test_two_applicants_one_seat_priority_gets_it():
    # Stage 1 is 1 either way; stage 2 counts priority applicants placed: the priority
    # applicant (index 1, though later in the order) must be the one placed.
    inst = make_instance([[0], [0]], [1], priority=[False, True], order=[1, 0])
    sol = solve_optimal(inst)
    assert sol.status == SolveStatus.OPTIMAL
    assert list(sol.host) == [-1, 0] and list(sol.rank) == [UNPLACED, 1]


def test_more_placed_beats_first_choices():
    # A (first in order) wants h0 then h1; B only h0; one place each. Placing both
    # (A at her 2nd choice) beats giving A her 1st choice and leaving B out.
    inst = make_instance([[0, 1], [0]], [1, 1])
    sol = solve_optimal(inst)
    assert list(sol.host) == [1, 0] and list(sol.rank) == [2, 1]
    assert sol.objective["placed_at_choice"] == 2
    assert sol.objective["first_choice"] == 1


def test_priority_order_breaks_remaining_ties():
    # Symmetric: both want h0 only, neither is priority; the earlier in the order wins.
    inst = make_instance([[0], [0]], [1], order=[1, 0])
    assert list(solve_optimal(inst).host) == [-1, 0]


def test_quota_binds_across_hosts():
    # Two applicants of one group at two different hosts, quota 1: one is placed.
    inst = make_instance([[0], [1]], [1, 1], group_cap=[1], order=[1, 0])
    sol = solve_optimal(inst)
    assert (sol.host >= 0).sum() == 1 and sol.host[1] == 1


def test_adjustment_to_fitting_host_not_among_choices():
    # A takes h0; B (wants h0 too, accepts adjustment, field 0) cannot; h1 trains field
    # 0 and h2 does not: B is adjusted to h1. C refuses adjustment: stays unplaced.
    inst = make_instance(
        [[0], [0], [0]],
        [1, 1, 1],
        field=[0, 0, 0],
        host_fields=[[True], [True], [False]],
        accepts=[False, True, False],
    )
    sol = solve_optimal(inst)
    assert list(sol.host) == [0, 1, -1]
    assert list(sol.rank) == [1, ADJUSTED, UNPLACED]
    assert solve_optimal(inst, adjustment=False).host[1] == -1


def test_rank_is_the_written_position():
    # Choice 1 was dropped by the encoder (gap): the host in slot 2 counts as rank 2.
    inst = make_instance([[-1, 0]], [1])
    sol = solve_optimal(inst)
    assert list(sol.rank) == [2] and sol.objective["second_choice"] == 1


def test_prearranged_kept_and_counted():
    # P is pre-arranged at h0 (her 2nd choice) and takes its only place; A, who is
    # earlier in the order and wants h0, cannot have it.
    inst = make_instance([[1, 0], [0]], [1, 1], prearranged=[0, -1], order=[1, 0])
    sol = solve_optimal(inst)
    assert list(sol.host) == [0, -1] and list(sol.rank) == [2, UNPLACED]
    assert sol.objective["placed_at_choice"] == 1 and sol.objective["second_choice"] == 1
    other = make_instance([[1]], [1, 1], prearranged=[0])
    assert list(solve_optimal(other).rank) == [PREARRANGED]
    assert solve_optimal(other).objective["placed_at_choice"] == 0


def test_overcommitted_prearrangement_is_reported_not_raised():
    inst = make_instance([[0], [0]], [1], prearranged=[0, 0])
    sol = solve_optimal(inst)
    assert sol.status == SolveStatus.INFEASIBLE and sol.message


def test_empty_instance():
    inst = make_instance([], [2, 1])
    sol = solve(inst, "optimal")
    assert sol.status == SolveStatus.OPTIMAL
    assert sol.host.shape == (0,) and sol.rank.shape == (0,)
    assert all(v == 0 for v in sol.objective.values())
    n_nodes = build_network(inst).n_nodes
    assert all(s["potentials"].shape == (n_nodes,) for s in sol.proof["stages"])


@CI
@given(gappy_instances())
def test_invariants_and_certificate(inst):
    for adjustment in (True, False):
        sol = solve_optimal(inst, adjustment)
        assert sol.status == SolveStatus.OPTIMAL
        assert_feasible(inst, sol, adjustment)
        assert sol.objective == recount(inst, sol)
        assert proof_values(sol) == vector(sol)
        assert_certificate(inst, sol, adjustment)


@CI
@given(gappy_instances())
def test_fast_path_and_staged_method_agree(inst):
    for adjustment in (True, False):
        fast, staged = solve_optimal(inst, adjustment), solve_staged(inst, adjustment)
        assert fast.objective == staged.objective
        assert_certificate(inst, fast, adjustment)


@CI
@given(gappy_instances())
def test_lexicographically_dominates_sequential_mechanisms(inst):
    best = solve(inst, "optimal")
    for other in ("stable", "immediate"):
        sol = solve(inst, other)
        assert best.objective["placed_at_choice"] >= sol.objective["placed_at_choice"]
        assert vector(best) >= vector(sol)


@pytest.mark.parametrize("seed", [0, 1])
def test_generated_round_certificate_and_determinism(seed):
    inst = random_instance(3000, seed, prearranged=0.01)
    a = solve_optimal(inst)
    b = solve_optimal(inst)
    assert a.status == SolveStatus.OPTIMAL
    assert np.array_equal(a.host, b.host) and np.array_equal(a.rank, b.rank)
    assert a.objective == b.objective
    assert_feasible(inst, a)
    assert_certificate(inst, a)
    assert a.objective == recount(inst, a)
    assert a.objective["adjusted"] > 0  # the generator exercises adjustment
    stable = solve(inst, "stable")
    assert vector(a) >= vector(stable)


def test_stage_without_open_costs_is_skipped_soundly():
    # No priority applicant and nobody accepts adjustment: stages 2, 5, 6 cost nothing
    # on any arc; the certificate must still hold stage by stage.
    inst = make_instance([[0, 1], [0], [1, 0]], [1, 1], order=[2, 0, 1])
    sol = solve_optimal(inst)
    assert_certificate(inst, sol)
    assert sol.objective == recount(inst, sol)
    assert sol.objective["placed_at_choice"] == 2


def test_staged_method_needs_five_solves():
    # adjacent stages of 0/-1 costs are merged in pairs with safe weights [W, 1]:
    # (placed_at_choice, priority_placed_at_choice), (first_choice, second_choice),
    # choice_order alone; then (adjusted, priority_adjusted), adjustment_order alone
    inst = random_instance(2000, 3, prearranged=0.01)
    sol = solve_staged(inst)
    stages = sol.proof["stages"]
    assert [s["names"] for s in stages] == [
        list(STAGES[0:2]),
        list(STAGES[2:4]),
        [STAGES[4]],
        list(STAGES[5:7]),
        [STAGES[7]],
    ]
    assert proof_names(sol) == list(STAGES)
    assert [len(s["weights"]) for s in stages] == [2, 2, 1, 2, 1]
    assert all(s["weights"][-1] == 1 and s["weights"][0] > 1 for s in (stages[0], stages[1]))
    assert_certificate(inst, sol)
    assert sol.objective == recount(inst, sol)


def count_solves(monkeypatch) -> list[int]:
    """Count OR-Tools solves made through `optimal.min_cost_flow_within`."""
    calls: list[int] = []
    real = optimal.min_cost_flow_within

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(optimal, "min_cost_flow_within", counted)
    return calls


@pytest.mark.parametrize("seed", [3, 4])
def test_fast_path_one_solve_then_certificates(monkeypatch, seed):
    # one weighted solve per phase, then the stages proved on their faces, in the
    # staged method's groups (pairs of 0/-1 stages with safe weights); one more solve
    # hands the adjustments out to hosts (`canonical_adjustment`)
    inst = random_instance(2000, seed, prearranged=0.01)
    calls = count_solves(monkeypatch)
    sol = solve_optimal(inst)
    assert len(calls) == 3
    staged = solve_staged(inst)
    assert [s["names"] for s in sol.proof["stages"]] == [s["names"] for s in staged.proof["stages"]]
    assert_certificate(inst, sol)
    assert verify(inst, sol).ok
    assert sol.objective == staged.objective


def test_a_pair_that_fails_is_certified_stage_by_stage(monkeypatch):
    # a pair's merged certificate refused: each stage alone is proved instead
    inst = random_instance(1000, 6)
    real = optimal.Face.certify

    def no_pairs(self, names, weights, flow):
        return len(names) == 1 and real(self, names, weights, flow)

    monkeypatch.setattr(optimal.Face, "certify", no_pairs)
    calls = count_solves(monkeypatch)
    sol = solve_optimal(inst)
    assert len(calls) == 3  # a solve per phase, the hand-out
    assert [s["names"] for s in sol.proof["stages"]] == [[name] for name in STAGES]
    assert verify(inst, sol).ok


def test_weights_too_small_fall_back_to_the_staged_solve(monkeypatch):
    # with every stage weighing 1 the weighted solve trades the first stages for the
    # priority order; the certificate catches the first stage that is not optimal and
    # the staged method solves it and the rest, to the same optimum
    inst = random_instance(2000, 5, prearranged=0.01)
    monkeypatch.setattr(optimal, "RATIOS", dict.fromkeys(STAGES, 0))
    calls = count_solves(monkeypatch)
    sol = solve_optimal(inst)
    assert len(calls) > 1  # the weighted solve, then the staged method's
    assert proof_names(sol) == list(STAGES)
    assert_certificate(inst, sol)
    assert verify(inst, sol).ok
    assert sol.objective == solve_staged(inst).objective


def test_no_weights_fit_means_the_staged_solve(monkeypatch):
    inst = random_instance(500, 4, prearranged=0.01)
    monkeypatch.setattr(optimal, "COST_LIMIT", 1)  # neither combined nor merged weights fit
    alone = solve_optimal(inst)
    assert [s["names"] for s in alone.proof["stages"]] == [[name] for name in STAGES]
    assert alone.objective == solve_staged(inst).objective
    assert_certificate(inst, alone)
    assert verify(inst, alone).ok


@pytest.mark.parametrize("seed", range(6))
def test_fast_and_staged_methods_agree_in_any_order(seed):
    # a second exact method: equal stage values, both certified, for random stage orders
    rng = np.random.default_rng(seed)
    inst = random_instance(300, seed, n_hosts=12, n_groups=6, prearranged=0.02)
    if seed % 2:  # a joint order
        order = [*rng.permutation(JOINT_STAGES[:-1]).tolist(), JOINT_STAGES[-1]]
    else:  # a two-phase order: the counts of each phase in any order
        order = [
            *rng.permutation(STAGES[:4]).tolist(),
            "choice_order",
            *rng.permutation(STAGES[5:7]).tolist(),
            "adjustment_order",
        ]
    fast, staged = solve_optimal(inst, objective=order), solve_staged(inst, objective=order)
    assert fast.objective == staged.objective
    assert verify(inst, fast, objective=order).ok and verify(inst, staged, objective=order).ok


@pytest.mark.parametrize("seed", range(6))
def test_the_forced_bounds_keep_every_flow_of_the_face(seed):
    # `Face.solve_bounds` fixes what conservation forces at applicant nodes; every
    # optimum of the plain face (here: phase 2's) must lie within them, and the bounds
    # must leave OR-Tools fewer arcs than the face does.
    from matcher.engine.solve.mcf import min_cost_flow_within
    from matcher.engine.solve.optimal import Face

    inst = random_instance(600, seed, n_hosts=12)
    net = build_network(inst, True)
    face = Face(net, inst, int((inst.prearranged < 0).sum()), two_way=False)
    face.close_adjustment()
    flow = min_cost_flow_within(net, face.lo, face.hi, face.cost("placed_at_choice"))
    lo, hi = face.solve_bounds()
    assert (lo <= flow).all() and (flow <= hi).all()
    face.fix_choices(flow)
    plain = min_cost_flow_within(net, face.lo, face.hi, face.cost("adjusted"))
    lo, hi = face.solve_bounds()
    assert (face.lo <= lo).all() and (hi <= face.hi).all()
    assert (lo <= plain).all() and (plain <= hi).all()
    assert int((hi > lo).sum()) < int((face.hi > face.lo).sum())
    tight = min_cost_flow_within(net, lo, hi, face.cost("adjusted"))
    assert int(face.cost("adjusted") @ tight) == int(face.cost("adjusted") @ plain)
