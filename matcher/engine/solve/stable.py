"""`stable` (平行志愿): serial dictatorship in the common priority order, then adjustment.

Contract: `solve_stable(instance, adjustment)` fixes the pre-arranged applicants, then
lets every other applicant, in priority order, take their highest choice whose host has
room while their quota group has room; with one common priority order at every host this
is the applicant-optimal stable matching. Then the adjustment pass
(`sequential.adjust_pass`). Status `feasible` (no optimality claim for the contract's
policy); the objective is recomputed from the assignment.
"""

from __future__ import annotations

import numpy as np

from matcher.engine.solve.base import UNPLACED, Instance, Solution, SolveStatus
from matcher.engine.solve.network import OvercommittedError, choice_matrix
from matcher.engine.solve.sequential import assign, finish, first_open, free_in_order, start

METHOD = "serial dictatorship (平行志愿) in priority order"


def solve_stable(instance: Instance, adjustment: bool = True) -> Solution:
    """Run serial dictatorship over the choices, then adjustment (module docstring).

    Steps: fix pre-arrangements; applicants in priority order take their first choice
    with host and quota room; adjustment of the unplaced who accept it.
    """
    try:
        state = start(instance)
    except OvercommittedError as exc:
        return failed(instance.n, str(exc))
    choices = choice_matrix(instance)
    who, col = first_open(
        free_in_order(instance), choices, instance.group, state.room_h, state.room_g
    )
    assign(state, who, choices[who, col].astype(np.int64), col + 1)
    return finish(instance, state, adjustment, METHOD)


def failed(n: int, message: str) -> Solution:
    """Return an `infeasible` Solution: nobody placed, with the reason."""
    return Solution(
        status=SolveStatus.INFEASIBLE,
        host=np.full(n, -1, dtype=np.int32),
        rank=np.full(n, UNPLACED, dtype=np.int32),
        message=message,
    )
