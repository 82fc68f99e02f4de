from collections import Counter

from matcher.model import Status
from matcher.report.summary import summarize


def test_status_counts_cover_every_applicant(result):
    summary = summarize(result)
    expected = Counter(o.status.value for o in result.outcomes)
    assert summary["status"] == {s.value: expected[s.value] for s in Status}
    assert sum(summary["status"].values()) == summary["applicants"] == len(result.round.applicants)
    assert all(summary["status"][s.value] > 0 for s in Status)  # the fixture has every status


def test_rank_profile(result):
    summary = summarize(result)
    placed = [o for o in result.outcomes if o.status is Status.PLACED]
    assert summary["rank"]["first"] == sum(o.choice_rank == 1 for o in placed)
    assert summary["rank"]["prearranged"] == sum(o.choice_rank is None for o in placed)
    assert summary["rank"]["adjusted"] == summary["status"]["adjusted"]
    assert sum(summary["rank"].values()) == summary["trainees"]


def test_regions_against_quota(result):
    summary = summarize(result)
    for quota in result.round.quotas.quotas:
        figures = summary["regions"][quota.region][quota.track.value]
        mine = [
            o
            for a, o in zip(result.round.applicants, result.outcomes, strict=True)
            if a.region == quota.region and a.track is quota.track
        ]
        filled = sum(o.status in (Status.PLACED, Status.ADJUSTED) for o in mine)
        assert figures["quota"] == quota.places
        assert figures["applicants"] == len(mine)
        assert figures["filled"] == filled
        assert figures["unused"] == quota.places - filled
        assert figures["unplaced"] == len(mine) - filled
    assert list(summary["regions"]) == result.round.quotas.regions()
    assert summary["tracks"]["区外"]["quota"] == result.round.quotas.total(
        result.round.quotas.quotas[0].track
    )


def test_hosts(result):
    summary = summarize(result)
    assert list(summary["hosts"]) == [h.name for h in result.round.hosts]
    for host in result.round.hosts:
        filled = sum(o.host == host.name for o in result.outcomes)
        figures = summary["hosts"][host.name]
        assert figures["filled"] == filled
        assert figures["free"] == host.capacity - filled
        assert filled == sum(
            figures[k] for k in ("first", "second", "third", "prearranged", "adjusted")
        )


def test_issues_counted_once(result):
    summary = summarize(result)
    assert summary["issues"]["total"] == len(result.round.issues)
    assert summary["issues"]["severity"] == {"error": 2, "warning": 2}
    assert summary["issues"]["code"]["ID_CHECKSUM"] == 1
