"""The placements table, made once per distinct value, equals one made row by row."""

from __future__ import annotations

import pandas as pd
import pytest

from matcher.engine.lottery import draw_text
from matcher.engine.result import Outcome, RunResult
from matcher.model import Applicant, Severity, Status
from matcher.report.frames import (
    INVALID_REMEDY,
    PLACEMENT_COLUMNS,
    PREARRANGED_FROM,
    ReportError,
    pairs,
    placements_frame,
)
from matcher.report.funding import tally
from matcher.store import Column


def _reason(applicant: Applicant, outcome: Outcome) -> tuple[str, str, str]:
    """The reason of one row, as the table made it row by row."""
    code, reason, remedy = outcome.reason_code, outcome.reason, outcome.remedy
    if outcome.status is Status.INVALID:
        errors = [p for p in applicant.problems if p.severity is Severity.ERROR]
        code = code or ";".join(dict.fromkeys(p.code for p in errors))
        reason = reason or "；".join(
            f"{p.column}：{p.message}" if p.column and p.column not in p.message else p.message
            for p in errors
        )
        remedy = remedy or INVALID_REMEDY
    return code, reason, remedy


def _row(applicant: Applicant, outcome: Outcome, result: RunResult) -> dict[str, object]:
    trains = {h.name: h.fields for h in result.round.hosts}
    code, reason, remedy = _reason(applicant, outcome)
    choices = applicant.choices
    field = applicant.field or ""
    adjusted = outcome.status is Status.ADJUSTED and field in trains.get(outcome.host or "", ())
    return {
        "name": applicant.name,
        "id_number": applicant.id_number or "",
        "status": outcome.status.value,
        "host": outcome.host or "",
        "reason_code": code,
        "reason": reason,
        "remedy": remedy,
        "birth": f"{applicant.birth:%Y-%m}" if applicant.birth else "",
        "choice_1": choices[0] if choices else "",
        "choice_3": choices[2] if len(choices) > 2 else "",
        "priority": applicant.grassroots or result.round.rules.is_non_public(applicant.unit_type),
        "prearranged_from": (
            PREARRANGED_FROM[applicant.prearranged_from_remark] if applicant.prearranged else ""
        ),
        "problems": ";".join(dict.fromkeys(p.code for p in applicant.problems)),
        "draw": draw_text(outcome.draw),
        "adjustment_field": field if adjusted else "",
    }


def _row_by_row(result: RunResult) -> pd.DataFrame:
    return pd.DataFrame([_row(a, o, result) for a, o in pairs(result)])


def _with(result: RunResult, changes: dict[int, dict[str, object]]) -> RunResult:
    outcomes = list(result.outcomes)
    for i, update in changes.items():
        outcomes[i] = outcomes[i].model_copy(update=update)
    return result.model_copy(update={"outcomes": tuple(outcomes)})


def _compare(result: RunResult) -> pd.DataFrame:
    frame = placements_frame(result)
    expected = _row_by_row(result)
    assert list(frame.columns) == PLACEMENT_COLUMNS
    for column in expected.columns:
        assert frame[column].tolist() == expected[column].tolist(), column
    return frame


def test_the_table_equals_the_rows(result: RunResult) -> None:
    frame = _compare(result)
    assert (frame["status"] == Status.INVALID.value).any()  # the fixture has invalid rows


def test_invalid_rows_alike_but_for_their_outcome_keep_their_own_reasons(
    result: RunResult,
) -> None:
    invalid = Status.INVALID
    changes = {
        0: {"status": invalid, "reason": "", "remedy": ""},
        1: {"status": invalid, "reason": "人工判定无效", "remedy": ""},
        2: {"status": invalid, "reason_code": "X", "reason": "", "remedy": "改正"},
        3: {"status": invalid, "reason": "", "remedy": ""},
    }
    frame = _compare(_with(result, changes))
    assert frame.loc[1, "reason"] == "人工判定无效" and frame.loc[2, "remedy"] == "改正"
    assert frame.loc[0, "remedy"] == INVALID_REMEDY


@pytest.mark.parametrize(
    "draws",
    [
        [0, 1, 2**64 - 1, 0xABCDEF, 2**63],  # 64-bit draws: made at once
        [5, -1],  # a negative draw: as draw_text writes it
        [2**64, 3],  # above 64 bits
        [True, 7],  # not all whole numbers of one kind
    ],
)
def test_draws_as_draw_text_writes_them(result: RunResult, draws: list[int]) -> None:
    changed = _with(result, {i: {"draw": d} for i, d in enumerate(draws)})
    frame = _compare(changed)
    assert frame["draw"].tolist()[: len(draws)] == [draw_text(d) for d in draws]


def test_an_adjusted_row_with_a_host_outside_the_catalogue_has_no_field(
    result: RunResult,
) -> None:
    changed = _with(result, {0: {"status": Status.ADJUSTED, "host": "不存在的单位"}})
    frame = _compare(changed)
    assert frame.loc[0, "adjustment_field"] == ""


def test_outcomes_of_other_rows_are_refused(result: RunResult) -> None:
    changed = _with(result, {0: {"key": "other:1"}})
    with pytest.raises(ReportError):
        placements_frame(changed)


def test_tally_counts_combinations_in_order_of_first_appearance() -> None:
    a = Column.of(["x", "y", "x", None, "y", "x"])
    b = Column.of([1, 2, 1, 1, 3, 1])
    assert tally([a, b]) == [(("x", 1), 3), (("y", 2), 1), ((None, 1), 1), (("y", 3), 1)]
    rows = pd.Series([4, 1, 3]).to_numpy()
    assert tally([a, b], rows) == [(("y", 3), 1), (("y", 2), 1), ((None, 1), 1)]
    assert tally([a], rows[:0]) == [] and tally([]) == []


def test_tally_of_many_distinct_values_renumbers_before_it_overflows() -> None:
    wide = Column.of(range(1000))
    columns = [wide] * 7  # 1000 ** 7 combinations could not be numbered in 64 bits
    assert tally(columns) == [((i,) * 7, 1) for i in range(1000)]
