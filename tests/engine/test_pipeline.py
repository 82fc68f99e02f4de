"""The pipeline end to end: every row once, determinism, verification gate, empty rounds."""

from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

import matcher.engine.pipeline as pipeline
from matcher.engine.pipeline import PipelineError, solve_round
from matcher.engine.rules import eligibility
from matcher.ingest.load import load_round
from matcher.model import Policy, Status


@pytest.fixture(scope="module")
def sample():
    return load_round()


@pytest.fixture(scope="module")
def solved(sample):
    return solve_round(sample)


def test_every_row_exactly_once_in_input_order(sample, solved):
    assert [o.key for o in solved.outcomes] == [a.key for a in sample.applicants]


def test_statuses_follow_the_rows(sample, solved):
    for a, o in zip(sample.applicants, solved.outcomes, strict=True):
        if a.invalid:
            assert o.status is Status.INVALID and o.reason
        elif eligibility(a, sample.rules):
            assert o.status is Status.INELIGIBLE and o.reason
        elif o.status is Status.UNMATCHED:
            assert o.reason_code and o.reason and o.remedy
        else:
            assert o.host is not None


def test_quotas_and_capacities_hold(sample, solved):
    placed = [
        (a, o)
        for a, o in zip(sample.applicants, solved.outcomes, strict=True)
        if o.status in (Status.PLACED, Status.ADJUSTED)
    ]
    per_group = Counter((a.region, a.track) for a, _ in placed)
    for (region, track), count in per_group.items():
        assert count <= sample.quotas.places(region, track)
    per_host = Counter(o.host for _, o in placed)
    for host in sample.hosts:
        assert per_host.get(host.name, 0) <= host.capacity


def test_same_round_same_outcomes(sample, solved):
    assert solve_round(sample).outcomes == solved.outcomes


def test_seed_is_recorded_and_changes_only_ties(sample):
    other = solve_round(sample.model_copy(update={"policy": Policy(seed=7)}))
    assert other.manifest["seed"] == 7
    assert (
        other.solver.objective["placed_at_choice"]
        == solve_round(sample).solver.objective["placed_at_choice"]
    )


def test_failed_verification_stops_the_run(sample, monkeypatch):
    real = pipeline.solve

    def overfill(instance, mechanism, **options):
        solution = real(instance, mechanism, **options)
        host = solution.host.copy()
        rank = solution.rank.copy()
        unplaced = np.flatnonzero(rank == -1)
        first = int(instance.choices[unplaced[0], 0])
        host[unplaced[0]], rank[unplaced[0]] = first, 1  # one more at a full host
        return replace(solution, host=host, rank=rank)

    monkeypatch.setattr(pipeline, "solve", overfill)
    with pytest.raises(PipelineError, match="核验"):
        solve_round(sample)


def test_empty_round_is_a_clean_result(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("name,region,track,choice_1\n", encoding="utf-8")
    result = solve_round(load_round([empty]))
    assert result.outcomes == ()
    assert result.solver.status == "optimal"
    assert result.solver.verification["ok"] is True


def test_a_mechanism_that_cannot_honour_the_policy_is_a_pipeline_error(sample):
    order = (
        "priority_placed_at_choice",
        "placed_at_choice",
        "first_choice",
        "second_choice",
        "adjusted",
        "priority_adjusted",
        "priority_order",
    )
    policy = Policy(mechanism="stable", objective=order)
    with pytest.raises(PipelineError, match="stable"):
        solve_round(sample.model_copy(update={"policy": policy}))


def test_sample_round_shows_adjustment_within_its_rules(sample, solved):
    # the sample is built so that adjustment (调剂) happens; each one must obey the contract
    adjusted = [
        (a, o)
        for a, o in zip(sample.applicants, solved.outcomes, strict=True)
        if o.status is Status.ADJUSTED
    ]
    assert adjusted
    for a, o in adjusted:
        host = sample.catalogue.resolve(o.host)
        assert a.accepts_adjustment and host.track is a.track and a.field in host.fields
        assert all(sample.catalogue.resolve(c) is not host for c in a.choices)


def test_outcomes_table_rows_equal_their_models(solved):
    from matcher.engine.result import Outcome, Outcomes

    rows = list(solved.outcomes)
    assert isinstance(solved.outcomes, Outcomes) and rows
    remade = Outcomes.from_rows(Outcome.model_validate(o.model_dump()) for o in rows)
    assert remade == solved.outcomes and list(remade) == rows
    for name in Outcome.model_fields:
        assert [type(v) for v in remade.column(name)] == [type(getattr(o, name)) for o in rows]
    copied = rows[0].model_copy(update={"reason": "x"})
    assert copied.reason == "x" and copied != rows[0] and solved.outcomes[0] == rows[0]
