"""Residual potentials: the hub-graph shortcut gives the plain Bellman–Ford's distances."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.engine.solve import potentials
from matcher.engine.solve.mcf import min_cost_flow_within
from matcher.engine.solve.network import build_network, stage_costs
from matcher.engine.solve.potentials import residual_potentials
from matcher.model import JOINT_STAGES as STAGES  # one phase: the whole network
from tests.engine.solve.instances import random_instance


def both(net, cost, flow, lo, hi):
    inner = np.zeros(net.n_nodes, dtype=bool)
    inner[net.applicant_node[net.free]] = True
    plain = residual_potentials(net.n_nodes, net.tail, net.head, cost, flow, lo, hi)
    fast = residual_potentials(net.n_nodes, net.tail, net.head, cost, flow, lo, hi, inner=inner)
    return plain, fast


def check_potentials(net, cost, flow, lo, hi, pi):
    reduced = cost + pi[net.tail] - pi[net.head]
    assert (reduced[flow < hi] >= 0).all() and (reduced[flow > lo] <= 0).all()


@pytest.fixture(params=[2000, 3], ids=["dense", "sparse"])
def hubs_at_most(request, monkeypatch):
    """The hub graph as a dense matrix (80 hosts), or as its list of arcs (`MAX_HUBS` 3)."""
    monkeypatch.setattr(potentials, "MAX_HUBS", request.param)
    return request.param


@pytest.mark.parametrize("seed", range(3))
def test_same_distances_as_plain_bellman_ford(seed, hubs_at_most):
    inst = random_instance(800, seed, prearranged=0.02)
    net = build_network(inst)
    lo, hi = np.zeros_like(net.cap), net.cap.copy()
    costs = {name: stage_costs(net, inst, name) for name in STAGES}
    for solved in ("placed_at_choice", "first_choice", "priority_order"):
        flow = min_cost_flow_within(net, lo, hi, costs[solved])
        plain, fast = both(net, costs[solved], flow, lo, hi)
        assert plain is not None and fast is not None
        assert np.array_equal(plain, fast)
        check_potentials(net, costs[solved], flow, lo, hi, fast)
        # the same flow judged by another stage: optimal or not, both agree
        for other in STAGES:
            plain, fast = both(net, costs[other], flow, lo, hi)
            assert (plain is None) == (fast is None)
            if plain is not None:
                assert np.array_equal(plain, fast)


def test_non_optimal_flow_has_a_negative_cycle(hubs_at_most):
    inst = random_instance(500, 9)
    net = build_network(inst)
    lo, hi = np.zeros_like(net.cap), net.cap.copy()
    first = stage_costs(net, inst, "first_choice")
    flow = min_cost_flow_within(net, lo, hi, -first)  # as few first choices as possible
    plain, fast = both(net, first, flow, lo, hi)
    assert plain is None and fast is None


def test_many_hubs_take_the_list_of_hub_arcs(monkeypatch):
    inst = random_instance(400, 2)
    net = build_network(inst)
    lo, hi = np.zeros_like(net.cap), net.cap.copy()
    cost = stage_costs(net, inst, "priority_order")
    flow = min_cost_flow_within(net, lo, hi, cost)
    plain, _ = both(net, cost, flow, lo, hi)
    monkeypatch.setattr(potentials, "MAX_HUBS", 3)
    called = []
    real = potentials._through_inner

    def spy(*args):
        called.append(1)
        return real(*args)

    monkeypatch.setattr(potentials, "_through_inner", spy)
    _, fast = both(net, cost, flow, lo, hi)
    assert called and np.array_equal(plain, fast)


def test_falls_back_when_the_shape_does_not_fit(monkeypatch):
    inst = random_instance(400, 3)
    net = build_network(inst)
    lo, hi = np.zeros_like(net.cap), net.cap.copy()
    cost = stage_costs(net, inst, "priority_order")
    flow = min_cost_flow_within(net, lo, hi, cost)
    plain, _ = both(net, cost, flow, lo, hi)
    # a host counted as inner: the applicants' arcs to it join two inner nodes, so the
    # shortcut must refuse and the plain Bellman–Ford answer
    inner = np.zeros(net.n_nodes, dtype=bool)
    inner[net.applicant_node[net.free]] = True
    inner[net.host_node0] = True
    shortcut = []
    real = potentials._through_inner
    monkeypatch.setattr(
        potentials, "_through_inner", lambda *a: shortcut.append(real(*a)) or shortcut[-1]
    )
    odd = residual_potentials(net.n_nodes, net.tail, net.head, cost, flow, lo, hi, inner=inner)
    assert shortcut and shortcut[0] is potentials.NOT_SMALL
    assert np.array_equal(plain, odd)
