"""The outcome of a run: one `Outcome` per input applicant row (held as columns), the report.

Every applicant of the round appears exactly once, in input order, with a status of
`Status`; reports and the verifier read this, never the solver's arrays.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from matcher.model import Frozen, Round, Status
from matcher.store import Columns


class Outcome(Frozen):
    """What happened to one applicant row.

    `host` is the canonical host name when placed or adjusted; `choice_rank` is 1–3 for
    `placed` at a ranked choice (None for a pre-arranged host outside the choices);
    `reason_code`/`reason` say why an applicant is not placed (or note a pre-arrangement);
    `remedy` says what would change it. `draw` is the applicant's lottery draw
    (`matcher.engine.lottery`, every row has one); `priority_position` their place (1 first) in
    the priority order (优先序) of everyone who took part in the placement (None for the
    invalid and the ineligible), the position the reasons quote.
    """

    key: str
    status: Status
    host: str | None = None
    choice_rank: int | None = None
    reason_code: str = ""
    reason: str = ""
    remedy: str = ""
    draw: int = 0
    priority_position: int | None = None


class Outcomes(Columns[Outcome]):
    """A run's outcomes as columns (`matcher.store`); ``outcomes[i]`` is an `Outcome`."""

    model = Outcome
    __slots__ = ()


class SolverReport(Frozen):
    """What the mechanism claims and what the verifier found.

    `alternatives` holds the round's figures under this policy and under others, for the
    trade-off the report states (`matcher.engine.pipeline.alternatives`).
    """

    mechanism: str
    status: str  # optimal | feasible | infeasible | error
    objective: dict[str, int] = Field(default_factory=dict)
    proof: dict[str, Any] = Field(default_factory=dict)
    verification: dict[str, Any] = Field(default_factory=dict)
    message: str = ""
    alternatives: dict[str, Any] = Field(default_factory=dict)


class RunResult(Frozen):
    """A solved round: the round, one outcome per applicant (same order), the solver report.

    `outcomes` is a table (`Outcomes`); any sequence of `Outcome` given to the constructor
    or to `model_copy` becomes one. `manifest` records what is needed to reproduce the
    run (input hashes, settings, seed, versions).
    """

    round: Round
    outcomes: Outcomes
    solver: SolverReport
    manifest: dict[str, Any] = Field(default_factory=dict)
