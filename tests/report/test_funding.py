import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.model import Status, Track
from matcher.report.funding import CENTRE, funding_frame, funding_summary, trainee_cost
from tests.strategies import CI, build_result, result_rows


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
    tuition = sum(30_000 if a.track is Track.OUT else 16_000 for a in trainees)
    assert sum(h["total"] for h in summary["hosts"].values()) == tuition
    assert sum(p["total"] for p in summary["payees"].values()) == total
    frame = funding_frame(result, months)
    assert len(frame) == len(trainees) and int(frame["total"].sum()) == total


def test_funding_by_host_pays_tuition_per_trainee(result):
    summary = funding_summary(result)
    assert summary["hosts"]["中国农业大学"]["tuition_lodging"] == 2 * 30_000
    assert summary["hosts"]["中国农业大学"]["total"] == 2 * 30_000
    assert summary["hosts"]["内蒙古大学"]["management"] == 0
    assert summary["hosts"]["中国农业大学"]["living"] == 0


@settings(CI)
@given(rows=result_rows(), months=st.integers(0, 12))
def test_payee_totals_add_up_to_the_budget(rows, months):
    """Property: hosts + centre + trainees = the budget; a host is paid tuition alone."""
    result = build_result(rows)
    summary = funding_summary(result, months)
    payees = summary["payees"]
    assert set(payees) == {"hosts", "centre", "trainees"}
    assert sum(p["total"] for p in payees.values()) == summary["total"]["total"]
    placed = [
        (a.track, o.host)
        for a, o in zip(result.round.applicants, result.outcomes, strict=True)
        if o.status in (Status.PLACED, Status.ADJUSTED)
    ]
    out = sum(t is Track.OUT for t, _ in placed)
    assert payees["centre"] == {
        "payee": CENTRE, "item": "management", "trainees": out, "total": 3_000 * out,
    }  # fmt: skip
    assert payees["trainees"]["total"] == sum(
        (600 if t is Track.OUT else 400) * months for t, _ in placed
    )
    for host, figures in summary["hosts"].items():
        mine = [t for t, h in placed if h == host]
        paid = sum(30_000 if t is Track.OUT else 16_000 for t in mine)
        assert figures == {
            "trainees": len(mine), "tuition_lodging": paid, "management": 0, "living": 0,
            "total": paid,
        }  # fmt: skip
    assert sum(h["total"] for h in summary["hosts"].values()) == payees["hosts"]["total"]


def test_funding_sheet_has_a_row_per_payee_and_hosts_paid_tuition_only(result):
    from matcher.report.frames import funding_table

    table = funding_table({"funding": funding_summary(result), "hosts": {}})
    payees = table[table["scope"] == "收款方"]
    assert list(payees["name"])[1] == CENTRE
    assert int(payees["total"].sum()) == int(table.loc[table["scope"] == "合计", "total"].iloc[0])
    hosts = table[table["scope"] == "培养单位"]
    assert hosts["management"].isna().all() and hosts["living"].isna().all()
    assert (hosts["total"] == hosts["tuition_lodging"]).all()
