"""Policy: the order of the objective stages is a setting, checked when it is made."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from matcher.model import STAGES, ObjectiveOrderError, Policy, check_objective

PRIORITY_FIRST = ("priority_placed_at_choice", "placed_at_choice", *STAGES[2:])


def test_default_is_the_contracts_order() -> None:
    assert Policy().objective == STAGES
    assert STAGES[0] == "placed_at_choice" and STAGES[-1] == "priority_order"


def test_any_permutation_with_the_tie_break_last_is_accepted() -> None:
    policy = Policy(objective=list(PRIORITY_FIRST))
    assert policy.objective == PRIORITY_FIRST
    assert Policy.model_validate(policy.model_dump(mode="json")) == policy


@pytest.mark.parametrize(
    ("order", "words"),
    [
        ((*STAGES[:-2], "priority_order"), "missing priority_adjusted"),
        ((*STAGES[:-1], "adjusted", "priority_order"), "repeated adjusted"),
        (("placed", *STAGES[1:]), "unknown placed"),
        ((*STAGES, "bonus"), "unknown bonus"),
        ((), "missing placed_at_choice"),
    ],
)
def test_a_non_permutation_is_rejected(order: tuple[str, ...], words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Policy(objective=order)
    assert words in str(caught.value) and "objective" in str(caught.value)
    with pytest.raises(ObjectiveOrderError):
        check_objective(order)


@pytest.mark.parametrize("position", range(6))
def test_priority_order_must_stay_last(position: int) -> None:
    rest = [s for s in STAGES if s != "priority_order"]
    order = (*rest[:position], "priority_order", *rest[position:])
    with pytest.raises(ValidationError, match="tie-break"):
        Policy(objective=order)


def test_a_bare_string_is_not_an_order() -> None:
    with pytest.raises(ValidationError):
        Policy(objective="placed_at_choice")  # type: ignore[arg-type]
    with pytest.raises(ObjectiveOrderError):
        check_objective("placed_at_choice")
