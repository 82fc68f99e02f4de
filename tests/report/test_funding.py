import pytest

from matcher.model import Status, Track
from matcher.report.funding import funding_frame, funding_summary, trainee_cost


def test_trainee_cost_by_the_notice():
    assert trainee_cost(Track.OUT) == {
        "tuition_lodging": 30_000,
        "management": 3_000,
        "living": 7_200,
        "total": 40_200,
    }
    assert trainee_cost(Track.IN) == {
        "tuition_lodging": 16_000,
        "management": 0,
        "living": 4_800,
        "total": 20_800,
    }
    assert trainee_cost(Track.OUT, months=10)["living"] == 6_000
    with pytest.raises(ValueError):
        trainee_cost(Track.IN, months=-1)


def _expected(result, months):
    per = {Track.OUT: 30_000 + 3_000 + 600 * months, Track.IN: 16_000 + 400 * months}
    trainees = [
        a
        for a, o in zip(result.round.applicants, result.outcomes, strict=True)
        if o.status in (Status.PLACED, Status.ADJUSTED)
    ]
    return trainees, sum(per[a.track] for a in trainees)


@pytest.mark.parametrize("months", [12, 9])
def test_funding_totals_match_an_independent_sum(result, months):
    trainees, total = _expected(result, months)
    summary = funding_summary(result, months)
    assert summary["total"]["trainees"] == len(trainees)
    assert summary["total"]["total"] == total
    assert sum(t["total"] for t in summary["tracks"].values()) == total
    assert sum(r["all"]["total"] for r in summary["regions"].values()) == total
    assert sum(h["total"] for h in summary["hosts"].values()) == total
    frame = funding_frame(result, months)
    assert len(frame) == len(trainees) and int(frame["total"].sum()) == total


def test_funding_by_host_pays_tuition_per_trainee(result):
    summary = funding_summary(result)
    assert summary["hosts"]["中国农业大学"]["tuition_lodging"] == 2 * 30_000
    assert summary["hosts"]["内蒙古大学"]["management"] == 0
