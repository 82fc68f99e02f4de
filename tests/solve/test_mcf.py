"""The OR-Tools call: the network split into independent parts gives the whole's optimum."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.solve.mcf import min_cost_flow_within, parts
from matcher.solve.network import (
    ADJUST_HOST,
    GROUP_APPLICANT,
    HOST_SINK,
    SOURCE_GROUP,
    SOURCE_SINK,
    build_network,
    stage_costs,
)
from matcher.solve.optimal import solve_staged
from tests.solve.instances import random_instance


def test_parts_are_the_tracks():
    inst = random_instance(3000, 1)
    net = build_network(inst)
    label = parts(net)
    assert label[net.source] == -1 and label[net.sink] == -1
    host_label = label[net.host_node0 + np.arange(inst.n_hosts)]
    group_label = label[1 + np.arange(inst.group_cap.shape[0])]
    for t in (0, 1):
        hosts = host_label[(inst.host_track == t) & (inst.host_cap > 0)]
        assert np.unique(hosts).size == 1
    assert np.unique(host_label[inst.host_cap > 0]).size == 2
    # every applicant is in its group's part, and its group in its track's part
    ga = np.flatnonzero(net.kind == GROUP_APPLICANT)
    assert (label[net.head[ga]] == label[net.tail[ga]]).all()
    track_label = {int(inst.track[i]): int(label[net.applicant_node[i]]) for i in range(50)}
    assert len(set(track_label.values())) == 2
    assert set(np.unique(group_label).tolist()) <= set(track_label.values())
    # an arc never joins two parts (S and T aside)
    a, b = label[net.tail], label[net.head]
    inner = (a >= 0) & (b >= 0)
    assert (a[inner] == b[inner]).all()
    assert not np.isin(net.kind[~inner], [GROUP_APPLICANT, ADJUST_HOST]).any()
    assert set(net.kind[~inner].tolist()) <= {SOURCE_GROUP, HOST_SINK, SOURCE_SINK}


def cost_of(flow, cost):
    return int((flow * cost).sum())


def feasible(net, flow, lo, hi):
    assert ((flow >= lo) & (flow <= hi)).all()
    balance = np.bincount(net.tail, weights=flow, minlength=net.n_nodes) - np.bincount(
        net.head, weights=flow, minlength=net.n_nodes
    )
    assert (balance == net.supply).all()


@pytest.mark.parametrize("seed", range(4))
def test_split_equals_whole(seed):
    inst = random_instance(1500, seed, prearranged=0.02)
    net = build_network(inst)
    lo, hi = np.zeros_like(net.cap), net.cap.copy()
    for stage in ("placed_at_choice", "priority_order"):
        cost = stage_costs(net, inst, stage)
        split = min_cost_flow_within(net, lo, hi, cost)
        whole = min_cost_flow_within(net, lo, hi, cost, split=False)
        feasible(net, split, lo, hi)
        assert cost_of(split, cost) == cost_of(whole, cost)


def test_split_on_a_face_with_lower_bounds():
    # after the first stages some arcs are fixed at their upper bound: lower bounds
    # shift into the parts' supplies
    inst = random_instance(1500, 7)
    net = build_network(inst)
    sol = solve_staged(inst)
    pi = sol.proof["stages"][0]["potentials"]
    cost0 = stage_costs(net, inst, "placed_at_choice") * sol.proof["stages"][0]["weights"][0]
    cost0 = cost0 + stage_costs(net, inst, "priority_placed_at_choice")
    reduced = cost0 + pi[net.tail] - pi[net.head]
    lo = np.where(reduced < 0, net.cap, 0)
    hi = np.where(reduced > 0, 0, net.cap)
    assert (lo > 0).any()
    cost = stage_costs(net, inst, "priority_order")
    split = min_cost_flow_within(net, lo, hi, cost)
    whole = min_cost_flow_within(net, lo, hi, cost, split=False)
    feasible(net, split, lo, hi)
    assert cost_of(split, cost) == cost_of(whole, cost)


def solved_alone(n, seed, stage, **kwargs):
    """A network, open bounds, a stage's costs and their flow solved in this process."""
    inst = random_instance(n, seed, **kwargs)
    net = build_network(inst)
    lo, hi = np.zeros_like(net.cap), net.cap.copy()
    cost = stage_costs(net, inst, stage)
    return net, lo, hi, cost, min_cost_flow_within(net, lo, hi, cost)


@pytest.fixture
def two_cores(monkeypatch):
    """Any network takes the two-process route, as on a machine with two cores."""
    import matcher.solve.mcf as mcf

    monkeypatch.setattr(mcf, "PARALLEL_ARCS", 0)
    monkeypatch.setattr(mcf, "_cores", lambda: 2)
    return mcf


def test_parts_in_two_processes_give_the_same_flow(monkeypatch, two_cores):
    net, lo, hi, cost, alone = solved_alone(3000, 11, "priority_order", prearranged=0.02)
    forked = []
    real = two_cores._solve_in_two
    monkeypatch.setattr(two_cores, "_solve_in_two", lambda *a: forked.append(1) or real(*a))
    assert np.array_equal(min_cost_flow_within(net, lo, hi, cost), alone)
    assert forked


def test_a_failed_second_process_is_replaced_by_this_one(monkeypatch, two_cores):
    import os

    net, lo, hi, cost, alone = solved_alone(2000, 12, "first_choice")
    monkeypatch.setattr(two_cores, "_child", lambda *a: os._exit(3))  # dies, no answer
    assert np.array_equal(min_cost_flow_within(net, lo, hi, cost), alone)


def test_parts_with_adjustment_split_by_choices():
    # adjustment-first orders split the adjustment nodes by choice set: many more hubs,
    # still one part per track
    inst = random_instance(2000, 5)
    net = build_network(inst, by_choices=True)
    label = parts(net)
    hubs = label[net.host_node0 : net.sink]
    hubs = hubs[hubs >= 0]
    assert len(net.adjust_keys) > 100
    assert np.unique(hubs).size == 2
    cost = stage_costs(net, inst, "adjusted")
    lo, hi = np.zeros_like(net.cap), net.cap.copy()
    split = min_cost_flow_within(net, lo, hi, cost)
    whole = min_cost_flow_within(net, lo, hi, cost, split=False)
    assert cost_of(split, cost) == cost_of(whole, cost)


def test_no_second_process_while_another_thread_runs(monkeypatch):
    import threading

    import matcher.solve.mcf as mcf

    monkeypatch.setattr(mcf, "_cores", lambda: 2)
    assert mcf._can_fork()
    monkeypatch.setenv("MATCHER_PROCESSES", "1")  # the operator's switch
    assert not mcf._can_fork()
    monkeypatch.delenv("MATCHER_PROCESSES")
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not mcf._can_fork()
    finally:
        stop.set()
        other.join()
