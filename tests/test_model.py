"""Policy: the order of the objective stages is a setting, checked when it is made."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from matcher.model import (
    JOINT_STAGES,
    STAGES,
    ObjectiveOrderError,
    Policy,
    check_objective,
    phases,
)

PRIORITY_FIRST = ("priority_placed_at_choice", "placed_at_choice", *STAGES[2:])


def test_default_is_the_contracts_two_phase_order() -> None:
    assert Policy().objective == STAGES and not Policy().joint
    assert STAGES[0] == "placed_at_choice" and STAGES[4] == "choice_order"
    assert STAGES[-1] == "adjustment_order"
    assert phases(STAGES) == (STAGES[:5], STAGES[5:])


def test_the_joint_policy_by_name() -> None:
    policy = Policy(objective="joint")
    assert policy.objective == JOINT_STAGES and policy.joint
    assert phases(JOINT_STAGES) == (JOINT_STAGES,)
    assert Policy(objective="two-phase") == Policy()


def test_any_order_within_the_phases_is_accepted() -> None:
    policy = Policy(objective=list(PRIORITY_FIRST))
    assert policy.objective == PRIORITY_FIRST
    assert Policy.model_validate(policy.model_dump(mode="json")) == policy
    swapped = (*STAGES[:5], "priority_adjusted", "adjusted", "adjustment_order")
    assert Policy(objective=swapped).objective == swapped


@pytest.mark.parametrize(
    ("order", "words"),
    [
        ((*JOINT_STAGES[:-2], "priority_order"), "missing priority_adjusted"),
        ((*JOINT_STAGES[:-1], "adjusted", "priority_order"), "repeated adjusted"),
        (("placed", *STAGES[1:]), "unknown placed"),
        ((*STAGES, "bonus"), "unknown bonus"),
        ((*STAGES, "priority_order"), "not a stage of the joint policy"),
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
def test_priority_order_must_stay_last_in_a_joint_order(position: int) -> None:
    rest = [s for s in JOINT_STAGES if s != "priority_order"]
    order = (*rest[:position], "priority_order", *rest[position:])
    with pytest.raises(ValidationError, match="tie-break"):
        Policy(objective=order)


@pytest.mark.parametrize(
    "order",
    [
        ("adjusted", *STAGES[:5], "priority_adjusted", "adjustment_order"),  # phase mixed
        (*STAGES[:4], "adjusted", "choice_order", "priority_adjusted", "adjustment_order"),
        (*STAGES[:5], "adjusted", "adjustment_order", "priority_adjusted"),  # tie-break not last
    ],
)
def test_a_two_phase_order_keeps_each_stage_in_its_phase(order: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError, match="two-phase order"):
        Policy(objective=order)


def test_a_bare_string_is_not_an_order() -> None:
    with pytest.raises(ValidationError):
        Policy(objective="placed_at_choice")
    with pytest.raises(ObjectiveOrderError):
        check_objective("placed_at_choice")
