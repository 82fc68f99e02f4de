"""Solving around fixed outcomes: the fixed ones stay, everyone else keeps their lottery."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher import api
from matcher.engine.result import Outcome
from matcher.model import Status
from matcher.whatif.fixed import TRAINEES, FixedError, remainder, solve_fixed
from tests.strategies import CI


@pytest.fixture(scope="module")
def plain() -> api.RunResult:
    return api.solve(api.load())


@settings(CI, max_examples=40)  # each example solves the sample round
@given(data=st.data())
def test_fixing_outcomes_the_run_gives_anyway_changes_no_status_and_no_choice(
    plain: api.RunResult, data: st.DataObject
) -> None:
    # The stages are sums over applicants, so the rest of an optimal run is optimal on what
    # the fixed part leaves; with everyone's draw unchanged, the same people are placed at
    # the same choices. (Which host an adjusted trainee gets can be a tie of the engine.)
    trainees = [o for o in plain.outcomes if o.status in TRAINEES]
    fixed = data.draw(st.lists(st.sampled_from(trainees), max_size=12, unique_by=lambda o: o.key))
    result = solve_fixed(plain.round, {o.key: o for o in fixed})
    for before, after in zip(plain.outcomes, result.outcomes, strict=True):
        assert (before.key, before.status) == (after.key, after.status)
        if before.status is Status.PLACED:
            assert (before.host, before.choice_rank) == (after.host, after.choice_rank)
    assert result.solver.verification["ok"]


def test_the_remainder_takes_the_fixed_places_and_sets_the_fixed_aside(
    plain: api.RunResult,
) -> None:
    placed = next(o for o in plain.outcomes if o.status is Status.PLACED)
    person = next(a for a in plain.round.applicants if a.key == placed.key)
    rest = remainder(plain.round, {placed.key: placed})
    host = rest.catalogue.resolve(placed.host)
    assert host is not None
    assert host.capacity == plain.round.catalogue.resolve(placed.host).capacity - 1  # type: ignore[union-attr]
    assert rest.quotas.places(str(person.region), person.track) == (  # type: ignore[arg-type]
        plain.round.quotas.places(str(person.region), person.track) - 1  # type: ignore[arg-type]
    )
    again = next(a for a in rest.applicants if a.key == placed.key)
    assert again.invalid and len(rest.applicants) == len(plain.round.applicants)


def test_fixed_placements_that_overfill_are_refused(plain: api.RunResult) -> None:
    host = next(h for h in plain.round.hosts if h.capacity == 1)
    people = [a for a in plain.round.applicants if a.track is host.track][:2]
    fixed = {a.key: Outcome(key=a.key, status=Status.ADJUSTED, host=host.name) for a in people}
    with pytest.raises(FixedError, match=f"{host.name}.*超出接收名额"):
        solve_fixed(plain.round, fixed)
