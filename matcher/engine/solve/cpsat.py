"""A second exact method: staged lexicographic CP-SAT solve of the default policy.

For small and medium instances (a few thousand applicants). It shares nothing with the
flow-based `optimal` mechanism except the `Instance` arrays, so the two can check each
other. Deterministic: one worker and a fixed random seed by default.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from matcher.engine.solve.base import ADJUSTED, PREARRANGED, STAGES, Instance, Solution, SolveStatus
from matcher.model import ALL_STAGES, check_objective, phases

__all__ = ["solve_cpsat"]


def _options(instance: Instance, adjustment: bool) -> list[list[tuple[int, int]]]:
    """Per applicant, its (host, rank) options: choices 1–3, then adjustment hosts."""
    inst = instance
    out: list[list[tuple[int, int]]] = []
    for i in range(inst.n):
        if inst.prearranged[i] >= 0:
            out.append([])
            continue
        chosen = [int(c) for c in inst.choices[i] if c >= 0]
        opts = [(c, r + 1) for r, c in enumerate(inst.choices[i]) if c >= 0]
        f = int(inst.field[i])
        if adjustment and inst.accepts[i] and f >= 0:
            fit = np.flatnonzero(inst.host_fields[:, f] & (inst.host_track == inst.track[i]))
            opts += [(int(j), ADJUSTED) for j in fit if int(j) not in chosen]
        out.append([(int(j), int(r)) for j, r in opts])
    return out


def _stage_coef(inst: Instance, weights: np.ndarray, i: int, rank: int, stage: str) -> int:
    p = int(inst.priority[i])
    choice = 1 <= rank <= 3
    if stage == "placed_at_choice":
        return int(choice)
    if stage == "priority_placed_at_choice":
        return p * int(choice)
    if stage == "first_choice":
        return int(rank == 1)
    if stage == "second_choice":
        return int(rank == 2)
    if stage == "adjusted":
        return int(rank == ADJUSTED)
    if stage == "priority_adjusted":
        return p * int(rank == ADJUSTED)
    w = int(weights[i])
    if stage == "choice_order":
        return w * (5 - rank) if choice else 0
    if stage == "adjustment_order":
        return 0 if choice else w
    return w * (5 - rank) if choice else w  # priority_order


def solve_cpsat(
    instance: Instance,
    adjustment: bool = True,
    *,
    objective: Sequence[str] = STAGES,
    time_limit: float = 60.0,
    num_workers: int = 1,
    random_seed: int = 0,
) -> Solution:
    """Solve the lexicographic policy stage by stage with CP-SAT, in the order `objective`.

    Steps: fix the pre-arranged; one boolean per (applicant, option), options being the
    choice hosts and, for willing applicants with a known field, the hosts of their track
    that train it and are not among their choices; at most one option each; host
    capacities and group quotas net of the pre-arranged; then for each stage of
    `objective` (checked by `check_objective`; default `STAGES`) maximise it and add
    "stage == optimum" before the next. A two-phase order solves the choice stages on
    the choice options alone, then the adjustment stages on what those placements leave
    (a model of its own, the choice placements fixed). `time_limit` (seconds) applies
    to each stage. Status is OPTIMAL only when every stage was proven optimal; FEASIBLE
    when a stage stopped at the limit with a solution (later stages then are skipped);
    INFEASIBLE/ERROR otherwise. The proof records the order (`proof["order"]`).

    Raises
    ------
    ObjectiveOrderError
        `objective` is not a valid order of the stages (`check_objective`).
    """
    order = check_objective(objective)
    inst = instance
    n, h, g = inst.n, inst.n_hosts, int(inst.group_cap.shape[0])
    host = np.full(n, -1, dtype=np.int32)
    rank = np.full(n, -1, dtype=np.int32)
    pre = np.flatnonzero(inst.prearranged >= 0)
    for p in pre.tolist():
        j = int(inst.prearranged[p])
        host[p] = j
        hit = np.flatnonzero(inst.choices[p] == j)
        rank[p] = int(hit[0]) + 1 if hit.size else PREARRANGED
    cap_left = inst.host_cap.astype(np.int64) - np.bincount(host[pre], minlength=h)
    quota_left = inst.group_cap.astype(np.int64) - np.bincount(inst.group[pre], minlength=g)
    if (cap_left < 0).any() or (quota_left < 0).any():
        return Solution(
            SolveStatus.INFEASIBLE,
            host,
            rank,
            message="pre-arranged placements exceed capacity or quota",
        )
    opts = _options(inst, adjustment)
    steps = phases(order)
    status, message = SolveStatus.OPTIMAL, ""
    chosen: list[tuple[int, int, int]] = []
    for k, stages in enumerate(steps):
        if len(steps) > 1:  # two phases: the choices alone, then adjustment on the rest
            taken = {i for i, _j, _r in chosen}
            allowed = [
                [(j, r) for j, r in row if (r != ADJUSTED) == (k == 0) and i not in taken]
                for i, row in enumerate(opts)
            ]
        else:
            allowed = opts
        got, status, message = _staged(
            inst, allowed, stages, cap_left, quota_left, time_limit, num_workers, random_seed
        )
        chosen += got
        for i, j, _r in got:  # what this phase took, the next one does not have
            cap_left[j] -= 1
            quota_left[int(inst.group[i])] -= 1
        if status is not SolveStatus.OPTIMAL:
            break
    for i, j, r in chosen:
        host[i], rank[i] = j, r
    values = _objective(inst, rank)
    proof = {
        "method": "CP-SAT staged lexicographic",
        "order": list(order),
        "num_workers": int(num_workers),
        "random_seed": int(random_seed),
        "stages_proven": status == SolveStatus.OPTIMAL,
    }
    return Solution(status, host, rank, values, proof, message)


def _staged(
    inst: Instance,
    opts: list[list[tuple[int, int]]],
    stages: Sequence[str],
    cap_left: np.ndarray,
    quota_left: np.ndarray,
    time_limit: float,
    num_workers: int,
    random_seed: int,
) -> tuple[list[tuple[int, int, int]], SolveStatus, str]:
    """Maximise `stages` in turn over the options, each optimum kept as a constraint."""
    h, g = inst.n_hosts, int(inst.group_cap.shape[0])
    w = inst.weights()
    model = cp_model.CpModel()
    xs: list[tuple[int, int, int, Any]] = []
    by_host: list[list[Any]] = [[] for _ in range(h)]
    by_group: list[list[Any]] = [[] for _ in range(g)]
    for i, row in enumerate(opts):
        own = []
        for j, r in row:
            x = model.new_bool_var(f"x_{i}_{j}_{r}")
            xs.append((i, j, r, x))
            own.append(x)
            by_host[j].append(x)
            by_group[int(inst.group[i])].append(x)
        if len(own) > 1:
            model.add_at_most_one(own)
    for j in range(h):
        if by_host[j]:
            model.add(sum(by_host[j]) <= int(cap_left[j]))
    for k in range(g):
        if by_group[k]:
            model.add(sum(by_group[k]) <= int(quota_left[k]))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = int(num_workers)
    solver.parameters.random_seed = int(random_seed)
    solver.parameters.linearization_level = 2  # the LP is integral here: use it fully
    status, message = SolveStatus.OPTIMAL, ""
    chosen: list[tuple[int, int, int]] = []
    for stage in stages:
        terms = [(c, x) for i, _j, r, x in xs if (c := _stage_coef(inst, w, i, r, stage))]
        expr = sum(c * x for c, x in terms) if terms else 0
        model.maximize(expr)
        code = solver.solve(model)
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            chosen = [(i, j, r) for i, j, r, x in xs if solver.boolean_value(x)]
        if code == cp_model.OPTIMAL:
            model.add(expr == round(solver.objective_value))
            if xs:
                model.clear_hints()
                for _i, _j, _r, x in xs:
                    model.add_hint(x, solver.boolean_value(x))
            continue
        if code == cp_model.FEASIBLE:
            status = SolveStatus.FEASIBLE
            message = f"CP-SAT stopped at the time limit in stage {stage}"
        elif code == cp_model.INFEASIBLE:
            status, message = SolveStatus.INFEASIBLE, f"CP-SAT: infeasible at stage {stage}"
        else:
            status, message = SolveStatus.ERROR, f"CP-SAT: {solver.status_name(code)} at {stage}"
        break
    return chosen, status, message


def _objective(inst: Instance, rank: np.ndarray) -> dict[str, int]:
    """Stage values of the assignment (pre-arranged at a choice count at that rank)."""
    counted = [(i, int(r)) for i, r in enumerate(rank) if 1 <= r <= 3 or r == ADJUSTED]
    w = inst.weights()
    return {
        stage: sum(_stage_coef(inst, w, i, r, stage) for i, r in counted) for stage in ALL_STAGES
    }
