"""The outcome of a run: one `Outcome` per input applicant row, plus the solver's report.

Every applicant of the round appears exactly once, in input order, with a status of
`Status`; reports and the verifier read this, never the solver's arrays.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from matcher.model import Frozen, Round, Status


class Outcome(Frozen):
    """What happened to one applicant row.

    `host` is the canonical host name when placed or adjusted; `choice_rank` is 1–3 for
    `placed` at a ranked choice (None for a pre-arranged host outside the choices);
    `reason_code`/`reason` say why an applicant is not placed (or note a pre-arrangement);
    `remedy` says what would change it.
    """

    key: str
    status: Status
    host: str | None = None
    choice_rank: int | None = None
    reason_code: str = ""
    reason: str = ""
    remedy: str = ""


class SolverReport(Frozen):
    """What the mechanism claims and what the verifier found."""

    mechanism: str
    status: str  # optimal | feasible | infeasible | error
    objective: dict[str, int] = Field(default_factory=dict)
    proof: dict[str, Any] = Field(default_factory=dict)
    verification: dict[str, Any] = Field(default_factory=dict)
    message: str = ""


class RunResult(Frozen):
    """A solved round: the round, one outcome per applicant (same order), the solver report.

    `manifest` records what is needed to reproduce the run (input hashes, settings, seed,
    versions).
    """

    round: Round
    outcomes: tuple[Outcome, ...]
    solver: SolverReport
    manifest: dict[str, Any] = Field(default_factory=dict)
