"""The verifier catches corrupted answers and accepts every mechanism's answers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings

from matcher.engine.solve import solve
from matcher.engine.solve.base import ADJUSTED, PREARRANGED, STAGES, Instance, Solution, SolveStatus
from matcher.engine.solve.cpsat import solve_cpsat
from matcher.engine.solve.optimal import solve_staged
from matcher.engine.verify import (
    Verification,
    count_justified_envy,
    stage_values,
    verify,
)
from matcher.model import JOINT_STAGES
from tests.strategies import (
    CI,
    ApplicantSpec,
    GroupSpec,
    HostSpec,
    build_instance,
    greedy_solution,
    instances,
    random_instance,
)

F0 = (True, False, False, False)
F01 = (True, True, False, False)


def _app(
    group: int = 0,
    choices: tuple[int, ...] = (0,),
    field: int = 0,
    accepts: bool = True,
    prearranged: int = -1,
    priority: bool = False,
    score: int = 0,
) -> ApplicantSpec:
    return ApplicantSpec(group, choices, field, priority, accepts, score, prearranged)


def _answer(inst: Instance, host: list[int], rank: list[int]) -> Solution:
    """A hand-made answer whose claimed objective matches its assignment."""
    h = np.array(host, dtype=np.int32)
    r = np.array(rank, dtype=np.int32)
    claimed = stage_values(inst, r) if r.shape == (inst.n,) else {}
    return Solution(SolveStatus.FEASIBLE, h, r, claimed)


def _failed(v: Verification) -> set[str]:
    return {k for k, val in v.checks.items() if val is False}


def test_over_capacity() -> None:
    inst = build_instance([HostSpec(0, 1, F0)], [GroupSpec(0, 3)], [_app(), _app()])
    v = verify(inst, _answer(inst, [0, 0], [1, 1]))
    assert not v.ok and "capacity" in _failed(v)
    assert any("capacity" in f for f in v.failures)


def test_over_quota() -> None:
    inst = build_instance([HostSpec(0, 2, F0)], [GroupSpec(0, 1)], [_app(), _app()])
    v = verify(inst, _answer(inst, [0, 0], [1, 1]))
    assert not v.ok and _failed(v) == {"quota"}


def _adjust_case(accepts: bool = True, field: int = 0, host1_track: int = 0) -> Instance:
    hosts = [HostSpec(0, 0, F0), HostSpec(host1_track, 1, F0)]
    return build_instance(hosts, [GroupSpec(0, 3)], [_app(accepts=accepts, field=field)])


def test_adjusted_without_consent() -> None:
    inst = _adjust_case(accepts=False)
    v = verify(inst, _answer(inst, [1], [ADJUSTED]))
    assert not v.ok and _failed(v) == {"adjustment_consent"}


def test_adjusted_to_another_field() -> None:
    inst = _adjust_case(field=1)
    v = verify(inst, _answer(inst, [1], [ADJUSTED]))
    assert not v.ok and _failed(v) == {"adjustment_field"}


def test_adjusted_to_another_track() -> None:
    inst = _adjust_case(host1_track=1)
    v = verify(inst, _answer(inst, [1], [ADJUSTED]))
    assert not v.ok and "track" in _failed(v)


def test_adjusted_when_adjustment_is_off() -> None:
    inst = _adjust_case()
    sol = _answer(inst, [1], [ADJUSTED])
    assert verify(inst, sol).ok
    v = verify(inst, sol, adjustment=False)
    assert not v.ok and "adjustment_policy" in _failed(v)


def test_adjusted_to_own_choice() -> None:
    inst = build_instance([HostSpec(0, 1, F0)], [GroupSpec(0, 3)], [_app()])
    v = verify(inst, _answer(inst, [0], [ADJUSTED]))
    assert not v.ok and "adjustment_not_choice" in _failed(v)


def test_wasted_place_unplaced() -> None:
    inst = build_instance([HostSpec(0, 1, F0)], [GroupSpec(0, 3)], [_app(accepts=False)])
    v = verify(inst, _answer(inst, [-1], [-1]))
    assert not v.ok and _failed(v) == {"no_waste"}


def test_wasted_place_lower_choice() -> None:
    inst = build_instance(
        [HostSpec(0, 1, F0), HostSpec(0, 1, F0)], [GroupSpec(0, 3)], [_app(choices=(0, 1))]
    )
    v = verify(inst, _answer(inst, [1], [2]))
    assert not v.ok and _failed(v) == {"no_waste"}


def test_unplaced_with_full_group_is_not_waste() -> None:
    inst = build_instance([HostSpec(0, 2, F0)], [GroupSpec(0, 1)], [_app(), _app()])
    assert verify(inst, _answer(inst, [0, -1], [1, -1])).ok


def test_wasted_adjustment() -> None:
    inst = _adjust_case()
    v = verify(inst, _answer(inst, [-1], [-1]))
    assert not v.ok and _failed(v) == {"no_waste_adjustment"}
    assert verify(inst, _answer(inst, [-1], [-1]), adjustment=False).ok


@pytest.mark.parametrize("delta", [-1, 1])
def test_missing_or_duplicated_row(delta: int) -> None:
    inst = build_instance([HostSpec(0, 3, F0)], [GroupSpec(0, 3)], [_app(), _app()])
    host = [0, 0] + [0] * max(delta, 0)
    host = host[: 2 + delta]
    v = verify(inst, _answer(inst, host, [1] * len(host)))
    assert not v.ok and _failed(v) == {"shape"}


def test_rank_inconsistent_with_host() -> None:
    inst = build_instance(
        [HostSpec(0, 1, F0), HostSpec(0, 1, F0)], [GroupSpec(0, 3)], [_app(choices=(0, 1))]
    )
    v = verify(inst, _answer(inst, [0], [2]))
    assert not v.ok and "rank_choice" in _failed(v)


def test_prearranged_not_honoured() -> None:
    hosts = [HostSpec(0, 1, F0), HostSpec(0, 1, F0)]
    inst = build_instance(hosts, [GroupSpec(0, 3)], [_app(choices=(0,), prearranged=1)])
    assert verify(inst, _answer(inst, [1], [PREARRANGED])).ok
    v = verify(inst, _answer(inst, [0], [1]))
    assert not v.ok and "prearranged" in _failed(v)


@pytest.mark.parametrize("stage", STAGES)
def test_objective_off_by_one(stage: str) -> None:
    inst = random_instance(3, 200, n_hosts=10, n_groups=6)
    sol = solve(inst, "optimal")
    claimed = dict(sol.objective)
    claimed[stage] += 1
    v = verify(inst, dataclasses.replace(sol, objective=claimed), check_proof=False)
    assert not v.ok and _failed(v) == {f"objective_{stage}"}


def test_tampered_potential() -> None:
    inst = random_instance(4, 300, n_hosts=10, n_groups=6)
    sol = solve(inst, "optimal")
    assert verify(inst, sol).checks["certificate"] is True
    # docs/engine.md: S, the groups, then the free applicants in increasing index
    free = np.flatnonzero(inst.prearranged < 0)
    placed_free = np.flatnonzero((sol.host >= 0) & (inst.prearranged < 0))
    node = 1 + inst.group_cap.shape[0] + int(np.searchsorted(free, placed_free[0]))
    stages = [dict(s) for s in sol.proof["stages"]]
    pi = np.array(stages[0]["potentials"], dtype=np.int64)
    pi[node] += 10**6
    stages[0]["potentials"] = pi
    bad = dataclasses.replace(sol, proof={**sol.proof, "stages": stages})
    v = verify(inst, bad)
    first = "certificate_" + "+".join(stages[0]["names"])
    assert not v.ok and _failed(v) == {"certificate", first}
    assert verify(inst, bad, check_proof=False).ok


def test_tampered_stage_value_and_wrong_length() -> None:
    inst = random_instance(4, 100, n_hosts=8, n_groups=4)
    sol = solve_staged(inst)
    stages = [dict(s) for s in sol.proof["stages"]]
    assert stages[1]["names"] == ["first_choice", "second_choice"]
    stages[1]["values"] = [int(stages[1]["values"][0]) + 1, stages[1]["values"][1]]
    v = verify(inst, dataclasses.replace(sol, proof={**sol.proof, "stages": stages}))
    assert not v.ok and _failed(v) == {"certificate", "certificate_first_choice+second_choice"}
    stages = [dict(s) for s in sol.proof["stages"]]
    stages[0]["potentials"] = np.asarray(stages[0]["potentials"])[:-1]
    v = verify(inst, dataclasses.replace(sol, proof={**sol.proof, "stages": stages}))
    assert not v.ok


def _with_stages(sol: Solution, stages: list[dict]) -> Solution:
    return dataclasses.replace(sol, proof={**sol.proof, "stages": stages})


def test_merged_solves_in_the_proof() -> None:
    # the staged method's proof for the contract's order: two merged pairs, choice_order
    # alone, then the adjustment pair and adjustment_order alone
    inst = random_instance(4, 300, n_hosts=10, n_groups=6)
    sol = solve_staged(inst)
    stages = sol.proof["stages"]
    assert [s["names"] for s in stages] == [
        list(STAGES[0:2]),
        list(STAGES[2:4]),
        [STAGES[4]],
        list(STAGES[5:7]),
        [STAGES[7]],
    ]
    assert verify(inst, sol).ok
    joint = solve_staged(inst, objective=JOINT_STAGES)
    assert [s["names"] for s in joint.proof["stages"]][-2:] == [
        list(JOINT_STAGES[4:6]),
        [JOINT_STAGES[6]],
    ]
    assert verify(inst, joint, objective=JOINT_STAGES).ok


def test_wrong_stage_names_are_caught() -> None:
    inst = random_instance(4, 300, n_hosts=10, n_groups=6)
    sol = solve_staged(inst)
    # a stage left out, one repeated, the order inside a merged solve swapped, the pairs
    # regrouped: the names read one after the other must be the asked order
    for change in (
        lambda st: st[0].update(
            names=["placed_at_choice"], weights=[1], values=st[0]["values"][:1]
        ),
        lambda st: st[1].update(names=["first_choice", "first_choice"]),
        lambda st: st[1].update(names=["second_choice", "first_choice"]),
        lambda st: st[0].update(names=[*st[0]["names"], "first_choice"]),
        lambda st: st[1].update(names=[]),
    ):
        stages = [dict(s) for s in sol.proof["stages"]]
        change(stages)
        v = verify(inst, _with_stages(sol, stages))
        assert not v.ok and "certificate_stages" in _failed(v), stages
    # regrouped so the names still read in order: the potentials do not prove it
    stages = [dict(s) for s in sol.proof["stages"]]
    stages[0] = {
        **stages[0],
        "names": ["placed_at_choice"],
        "weights": [1],
        "values": stages[0]["values"][:1],
    }
    stages[1] = {
        **stages[1],
        "names": ["priority_placed_at_choice", *stages[1]["names"]],
        "weights": [10**6, *stages[1]["weights"]],
        "values": [sol.objective["priority_placed_at_choice"], *stages[1]["values"]],
    }
    v = verify(inst, _with_stages(sol, stages))
    assert not v.ok and "certificate_stages" not in _failed(v)
    assert "certificate_placed_at_choice" in _failed(v)


@pytest.mark.parametrize("weights", [[1, 1], [2, 1], [10**9, 0], [-5, 1]])
def test_unsafe_weights_are_caught(weights: list[int]) -> None:
    inst = random_instance(4, 300, n_hosts=10, n_groups=6)
    sol = solve_staged(inst)
    stages = [dict(s) for s in sol.proof["stages"]]
    w, one = stages[0]["weights"]
    assert one == 1 and w > 2  # W = 1 + R_b, R_b = open arcs of priority applicants' choices
    stages[0]["weights"] = weights
    v = verify(inst, _with_stages(sol, stages))
    assert not v.ok and _failed(v) == {"certificate", "certificate_weights"}
    assert any("unsafe weights" in f for f in v.failures)
    # a larger W than needed is still safe (and the potentials then fail to prove it)
    stages[0]["weights"] = [w + 1, 1]
    v = verify(inst, _with_stages(sol, stages))
    assert "certificate_weights" not in _failed(v)


def test_malformed_weights_or_values_are_caught() -> None:
    inst = random_instance(4, 100, n_hosts=8, n_groups=4)
    sol = solve_staged(inst)
    for key, bad in (
        ("weights", [3]),
        ("weights", None),
        ("values", ["x", 1]),
        ("values", [1.5, 2]),
    ):
        stages = [dict(s) for s in sol.proof["stages"]]
        stages[0][key] = bad
        v = verify(inst, _with_stages(sol, stages))
        assert not v.ok and "certificate" in _failed(v), (key, bad)


def test_certificate_rejects_a_non_optimal_answer() -> None:
    # a feasible, non-wasteful answer that is not lexicographically optimal, with the
    # optimal answer's certificate attached: complementary slackness must fail
    inst = random_instance(7, 300, n_hosts=10, n_groups=6)
    opt = solve(inst, "optimal")
    h, r = greedy_solution(inst)
    assert stage_values(inst, r) != opt.objective
    fake = Solution(SolveStatus.OPTIMAL, h, r, stage_values(inst, r), opt.proof)
    v = verify(inst, fake)
    assert not v.ok and any(k.startswith("certificate") for k in _failed(v))


MECHANISMS = ["optimal", "stable", "immediate"]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("adjustment", [True, False])
def test_accepts_every_mechanism(seed: int, adjustment: bool) -> None:
    inst = random_instance(seed, 500, n_hosts=15, n_groups=10)
    for mechanism in MECHANISMS:
        sol = solve(inst, mechanism, adjustment=adjustment)
        v = verify(inst, sol, adjustment=adjustment)
        assert v.ok, (mechanism, v.failures)
    v = verify(inst, solve_cpsat(inst, adjustment), adjustment=adjustment)
    assert v.ok, v.failures


@settings(CI)
@given(inst=instances(max_applicants=8))
def test_accepts_every_mechanism_on_small_instances(inst: Instance) -> None:
    for mechanism in MECHANISMS:
        sol = solve(inst, mechanism)
        v = verify(inst, sol)
        assert v.ok, (mechanism, v.failures)


def _envy_reference(inst: Instance, host: np.ndarray, rank: np.ndarray) -> int:
    used = np.bincount(inst.group[host >= 0], minlength=len(inst.group_cap))
    out = np.where((rank >= 1) & (rank <= 3), rank, 4)
    count = 0
    for i in range(inst.n):
        if inst.prearranged[i] >= 0:
            continue
        for j in range(inst.n):
            hj = host[j]
            if hj < 0 or inst.prearranged[j] >= 0 or inst.order[i] >= inst.order[j]:
                continue
            better = [r + 1 for r in range(3) if inst.choices[i, r] == hj]
            if not better or better[0] >= out[i]:
                continue
            gi = inst.group[i]
            if host[i] >= 0 or gi == inst.group[j] or used[gi] < inst.group_cap[gi]:
                count += 1
    return count


@settings(CI)
@given(inst=instances(max_applicants=10, max_hosts=4, max_groups=3))
def test_justified_envy_matches_pairwise_count(inst: Instance) -> None:
    for mechanism in ("optimal", "immediate"):
        sol = solve(inst, mechanism)
        got = count_justified_envy(inst, sol.host, sol.rank)
        assert got == _envy_reference(inst, sol.host, sol.rank)
        assert verify(inst, sol).justified_envy == got


def test_missing_certificate_is_caught() -> None:
    inst = random_instance(9, 100, n_hosts=8, n_groups=4)
    sol = solve(inst, "optimal")
    stripped = dataclasses.replace(sol, proof={"method": sol.proof["method"]})
    v = verify(inst, stripped)
    assert not v.ok and _failed(v) == {"certificate_present"}
    bad = dataclasses.replace(sol, proof={**sol.proof, "stages": [{"name": "x"}]})
    assert not verify(inst, bad).ok


PRIORITY_FIRST = ("priority_placed_at_choice", "placed_at_choice", *STAGES[2:])
ADJUSTED_FIRST = ("adjusted", *(s for s in JOINT_STAGES if s != "adjusted"))


def test_certificate_must_be_in_the_asked_order() -> None:
    inst = random_instance(4, 200, n_hosts=10, n_groups=6)
    sol = solve(inst, "optimal", objective=PRIORITY_FIRST)
    assert verify(inst, sol, objective=PRIORITY_FIRST).ok
    v = verify(inst, sol)  # asked for the contract's order
    assert not v.ok and _failed(v) == {"certificate", "certificate_stages"}
    default = solve(inst, "optimal")
    v = verify(inst, default, objective=PRIORITY_FIRST)
    assert not v.ok and "certificate_stages" in _failed(v)
    # the names relabelled to the asked order do not make the potentials prove it
    stages = [dict(s) for s in sol.proof["stages"]]
    relabel = iter(STAGES)
    for s in stages:
        s["names"] = [next(relabel) for _ in s["names"]]
    assert [name for s in stages for name in s["names"]] == list(STAGES)
    relabelled = dataclasses.replace(sol, proof={**sol.proof, "stages": stages})
    v = verify(inst, relabelled)
    assert not v.ok and "certificate_stages" not in _failed(v)
    assert verify(inst, relabelled, check_proof=False).ok


def test_a_malformed_order_is_an_argument_error() -> None:
    from matcher.model import ObjectiveOrderError

    inst = random_instance(4, 20, n_hosts=4, n_groups=2)
    with pytest.raises(ObjectiveOrderError):
        verify(inst, solve(inst, "optimal"), objective=STAGES[::-1])


def test_waste_is_judged_in_the_asked_order() -> None:
    # one applicant, choice 甲 (room) or adjustment to 乙: with adjusted first, staying
    # adjusted while the choice has room is the optimum, not waste
    inst = build_instance(
        [HostSpec(0, 1, F0), HostSpec(0, 1, F0)], [GroupSpec(0, 1)], [_app(choices=(0,))]
    )
    adjusted = _answer(inst, [1], [ADJUSTED])
    at_choice = _answer(inst, [0], [1])
    assert _failed(verify(inst, adjusted)) == {"no_waste"}
    assert verify(inst, adjusted, objective=ADJUSTED_FIRST).ok
    assert verify(inst, at_choice).ok
    sol = solve(inst, "optimal", objective=ADJUSTED_FIRST)
    assert list(sol.rank) == [ADJUSTED]
    assert verify(inst, sol, objective=ADJUSTED_FIRST).ok
