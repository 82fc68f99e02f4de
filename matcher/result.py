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
    `remedy` says what would change it.
    """

    key: str
    status: Status
    host: str | None = None
    choice_rank: int | None = None
    reason_code: str = ""
    reason: str = ""
    remedy: str = ""


#: Outcome fields in declaration order (an Outcome's ``__dict__`` holds them in this order).
_FIELDS = ("key", "status", "host", "choice_rank", "reason_code", "reason", "remedy")
_FIELDS_SETS: dict[tuple[str, ...], set[str]] = {}


def outcome_row(
    key: str,
    status: Status,
    host: str | None,
    choice_rank: int | None,
    reason_code: str,
    reason: str,
    remedy: str,
) -> dict[str, Any]:
    """An outcome's fields as a dict in declaration order (what `trusted_outcomes_of` takes)."""
    return {
        "key": key,
        "status": status,
        "host": host,
        "choice_rank": choice_rank,
        "reason_code": reason_code,
        "reason": reason,
        "remedy": remedy,
    }


def trusted_outcome(
    key: str,
    status: Status,
    host: str | None = None,
    choice_rank: int | None = None,
    reason_code: str = "",
    reason: str = "",
    remedy: str = "",
    *,
    given: tuple[str, ...] = ("key", "status"),
) -> Outcome:
    """An `Outcome` of values already of their declared types, built without validation.

    Equal to ``Outcome.model_construct(**the fields named in given)``: same values, same
    fields set (`given`, shared by every outcome given the same names). A million outcomes
    cost about a tenth of `model_construct`'s time.
    """
    fields_set = _FIELDS_SETS.get(given)
    if fields_set is None:
        fields_set = _FIELDS_SETS[given] = set(given)
    outcome = Outcome.__new__(Outcome)
    setter = object.__setattr__
    setter(
        outcome,
        "__dict__",
        outcome_row(key, status, host, choice_rank, reason_code, reason, remedy),
    )
    setter(outcome, "__pydantic_fields_set__", fields_set)
    setter(outcome, "__pydantic_extra__", None)
    setter(outcome, "__pydantic_private__", None)
    return outcome


def trusted_outcomes(
    values: Sequence[tuple[Any, ...]], given: Sequence[tuple[str, ...]]
) -> list[Outcome]:
    """`trusted_outcome` of many rows: each row's values in `_FIELDS` order, its `given`.

    Built in passes of C-level loops (the dicts, the objects, each attribute), a few
    times faster than one call per outcome.
    """
    return trusted_outcomes_of(list(map(dict, map(zip, repeat(_FIELDS), values))), given)


def trusted_outcomes_of(
    dicts: Sequence[dict[str, Any]], given: Sequence[tuple[str, ...]]
) -> list[Outcome]:
    """`trusted_outcomes` of rows given as dicts of the fields in `_FIELDS` order.

    Each dict becomes its outcome's ``__dict__`` (not copied). A caller that builds
    each row as a dict display (one presized dict, keys in order) saves the dict of
    zipped values: about half the time of a million rows.
    """
    fields_sets = []
    for names in given:
        fields_set = _FIELDS_SETS.get(names)
        if fields_set is None:
            fields_set = _FIELDS_SETS[names] = set(names)
        fields_sets.append(fields_set)
    made: list[Outcome] = list(map(Outcome.__new__, repeat(Outcome, len(dicts))))
    setter = object.__setattr__
    deque(map(setter, made, repeat("__dict__"), dicts), maxlen=0)
    deque(map(setter, made, repeat("__pydantic_fields_set__"), fields_sets), maxlen=0)
    deque(map(setter, made, repeat("__pydantic_extra__"), repeat(None)), maxlen=0)
    deque(map(setter, made, repeat("__pydantic_private__"), repeat(None)), maxlen=0)
    return made


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
