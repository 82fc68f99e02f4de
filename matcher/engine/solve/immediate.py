"""`immediate` (顺序志愿, Boston): choice rounds with final acceptance, then adjustment.

Contract: `solve_immediate(instance, adjustment)` fixes the pre-arranged applicants;
in round r = 1, 2, 3 every applicant still unplaced proposes to their r-th choice (as
written; an empty slot proposes nowhere) and hosts accept proposers in priority order
while the host has room and the proposer's quota group has room (quota is taken in the
same global priority order); acceptance is final. Then the adjustment pass. Status
`feasible`; the objective is recomputed from the assignment.
"""

from __future__ import annotations

import numpy as np

from matcher.engine.solve.base import Instance, Solution
from matcher.engine.solve.network import OvercommittedError, choice_matrix
from matcher.engine.solve.sequential import assign, finish, first_open, free_in_order, start
from matcher.engine.solve.stable import failed

METHOD = "immediate acceptance (顺序志愿) in priority order"


def solve_immediate(instance: Instance, adjustment: bool = True) -> Solution:
    """Three rounds of immediate acceptance, then adjustment (see the module docstring).

    Steps: fix pre-arrangements; for each rank r, the unplaced in priority order are
    accepted at their r-th choice if host and quota have room; adjustment of the unplaced
    who accept it.
    """
    try:
        state = start(instance)
    except OvercommittedError as exc:
        return failed(instance.n, str(exc))
    choices = choice_matrix(instance)
    sequence = free_in_order(instance)
    for r in range(choices.shape[1]):
        sequence = sequence[state.host[sequence] < 0]
        who, _ = first_open(
            sequence, choices[:, r : r + 1], instance.group, state.room_h, state.room_g
        )
        assign(state, who, choices[who, r], np.full(who.shape[0], r + 1))
    return finish(instance, state, adjustment, METHOD)
