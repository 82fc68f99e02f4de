"""The OR-Tools call: lower bounds shifted into supplies, fixed arcs and idle nodes left out."""

from __future__ import annotations

import numpy as np
import pytest
from ortools.graph.python import min_cost_flow

from matcher.engine.solve.mcf import min_cost_flow_within
from matcher.engine.solve.network import build_network, stage_costs
from matcher.engine.solve.optimal import solve_staged
from tests.engine.solve.instances import random_instance


def feasible(net, flow, lo, hi):
    assert ((flow >= lo) & (flow <= hi)).all()
    balance = np.bincount(net.tail, weights=flow, minlength=net.n_nodes) - np.bincount(
        net.head, weights=flow, minlength=net.n_nodes
    )
    assert (balance == net.supply).all()


def plain_cost(net, lo, hi, cost):
    """The optimum by a second formulation: every arc and node, a fixed arc's flow forced
    by capacity (and supply) alone rather than left out."""
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(net.tail, net.head, hi - lo, cost)
    supply = net.supply - np.bincount(net.tail, weights=lo, minlength=net.n_nodes).astype(int)
    supply += np.bincount(net.head, weights=lo, minlength=net.n_nodes).astype(int)
    smcf.set_nodes_supplies(np.arange(net.n_nodes, dtype=np.int32), supply)
    assert smcf.solve() == smcf.OPTIMAL
    return int(smcf.optimal_cost()) + int((lo * cost).sum())


@pytest.mark.parametrize("seed", range(3))
def test_open_bounds_reach_the_plain_optimum(seed):
    inst = random_instance(1500, seed, prearranged=0.02)
    net = build_network(inst)
    lo, hi = np.zeros_like(net.cap), net.cap.copy()
    for stage in ("placed_at_choice", "priority_order"):
        cost = stage_costs(net, inst, stage)
        flow = min_cost_flow_within(net, lo, hi, cost)
        feasible(net, flow, lo, hi)
        assert int((flow * cost).sum()) == plain_cost(net, lo, hi, cost)


def test_a_face_with_lower_bounds():
    # after the first stages some arcs are fixed at their upper bound: lower bounds shift
    # into the supplies, and the nodes no open arc touches are left out
    inst = random_instance(1500, 7)
    net = build_network(inst)
    sol = solve_staged(inst, objective="joint")  # one phase: the whole network's face
    entry = sol.proof["stages"][0]
    pi = entry["potentials"]
    cost0 = stage_costs(net, inst, "placed_at_choice") * entry["weights"][0]
    cost0 = cost0 + stage_costs(net, inst, "priority_placed_at_choice")
    reduced = cost0 + pi[net.tail] - pi[net.head]
    lo = np.where(reduced < 0, net.cap, 0)
    hi = np.where(reduced > 0, 0, net.cap)
    assert (lo > 0).any() and (hi == lo).sum() > net.tail.shape[0] // 4
    cost = stage_costs(net, inst, "priority_order")
    flow = min_cost_flow_within(net, lo, hi, cost)
    feasible(net, flow, lo, hi)
    assert int((flow * cost).sum()) == plain_cost(net, lo, hi, cost)
