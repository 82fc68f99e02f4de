"""The outcome of a run: one `Outcome` per input applicant row, plus the solver's report.

Every applicant of the round appears exactly once, in input order, with a status of
`Status`; reports and the verifier read this, never the solver's arrays.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from itertools import repeat
from typing import Any

from pydantic import Field

from matcher.model import Frozen, Round, Status


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


#: The fields set of outcomes, one set per tuple of field names.
_FIELDS_SETS: dict[tuple[str, ...], set[str]] = {}


def outcome_row(
    key: str,
    status: Status,
    host: str | None,
    choice_rank: int | None,
    reason_code: str,
    reason: str,
    remedy: str,
    draw: int = 0,
    priority_position: int | None = None,
) -> dict[str, Any]:
    """An outcome's fields as a dict in declaration order (what `trusted_outcomes` takes)."""
    return {
        "key": key,
        "status": status,
        "host": host,
        "choice_rank": choice_rank,
        "reason_code": reason_code,
        "reason": reason,
        "remedy": remedy,
        "draw": draw,
        "priority_position": priority_position,
    }


def trusted_outcomes(
    rows: Sequence[dict[str, Any]], given: Sequence[tuple[str, ...]]
) -> list[Outcome]:
    """Outcomes of values already of their declared types, built without validation.

    Each row is an `outcome_row` (the fields in declaration order) and becomes its
    outcome's ``__dict__`` (not copied); `given` names the fields set of each row (the
    same names share one set). Each outcome equals ``Outcome.model_construct`` of the
    given fields. Built in passes of C-level loops, a million outcomes cost about a tenth
    of `model_construct`'s time.
    """
    fields_sets = []
    for names in given:
        fields_set = _FIELDS_SETS.get(names)
        if fields_set is None:
            fields_set = _FIELDS_SETS[names] = set(names)
        fields_sets.append(fields_set)
    made: list[Outcome] = list(map(Outcome.__new__, repeat(Outcome, len(rows))))
    setter = object.__setattr__
    deque(map(setter, made, repeat("__dict__"), rows), maxlen=0)
    deque(map(setter, made, repeat("__pydantic_fields_set__"), fields_sets), maxlen=0)
    deque(map(setter, made, repeat("__pydantic_extra__"), repeat(None)), maxlen=0)
    deque(map(setter, made, repeat("__pydantic_private__"), repeat(None)), maxlen=0)
    return made


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

    `manifest` records what is needed to reproduce the run (input hashes, settings, seed,
    versions).
    """

    round: Round
    outcomes: tuple[Outcome, ...]
    solver: SolverReport
    manifest: dict[str, Any] = Field(default_factory=dict)
