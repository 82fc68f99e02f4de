"""The relaxation advisor: each suggestion's gain is confirmed by an independent re-solve."""

from __future__ import annotations

import pytest

from matcher.engine.pipeline import solve_round
from matcher.ingest.load import load_round
from matcher.model import Round, Status, Track
from matcher.whatif.advisor import Change, advice_frame, advise
from matcher.whatif.changes import with_quota
from tests.whatif.test_scenario import tiny_round

TRAINEE = (Status.PLACED, Status.ADJUSTED)


def trainees(round_: Round) -> int:
    return sum(o.status in TRAINEE for o in solve_round(round_).outcomes)


def confirm(round_: Round, suggestion) -> None:
    """Apply the changes to the Round and solve through the full pipeline."""
    changed = round_
    for change in suggestion.changes:
        changed = change.apply(changed)
    result = solve_round(changed)
    assert sum(o.status in TRAINEE for o in result.outcomes) == trainees(round_) + suggestion.gain
    placed = {o.key for o in result.outcomes if o.status in TRAINEE}
    assert set(suggestion.newly_placed) <= placed
    assert not set(suggestion.displaced) & placed


def test_tiny_round_suggestions_are_verified_and_ranked():
    base = tiny_round()
    found = advise(base)
    assert found, "甲大学 is full and 兴安盟 区外 is short: something must help"
    for s in found:
        assert s.verified and s.gain > 0
        confirm(base, s)
    keys = [s.sort_key() for s in found]
    assert keys == sorted(keys)
    texts = {s.text for s in found}
    assert "甲大学接收名额 +1" in texts
    # 呼和浩特市 leaves its 区外 place unused: moving it to 兴安盟 costs no extra place
    move = Change("move", "区外", region="兴安盟", source="呼和浩特市")
    assert any(s.changes == (move,) for s in found)
    assert min(i for i, s in enumerate(found) if s.changes == (move,)) < min(
        i for i, s in enumerate(found) if s.changes == (Change("quota", "区外", region="兴安盟"),)
    )


def test_pairs_are_kept_only_when_both_parts_are_needed():
    # 兴安盟 区内 quota 1 is used by row 6 at 甲 (cap 1): one more 兴安盟 person wanting 甲 needs
    # both +1 quota and +1 at 甲
    base = with_quota(tiny_round(), "兴安盟", Track.IN, places=1)
    base = with_quota(base, "呼和浩特市", Track.IN, places=1)
    found = advise(base, max_size=2, limit=None)
    singles = {s.changes[0]: s.gain for s in found if len(s.changes) == 1}
    for s in (s for s in found if len(s.changes) == 2):
        assert s.gain > max(singles.get(c, 0) for c in s.changes)
        confirm(base, s)
    assert any(len(s.changes) == 2 for s in found)


def test_no_unplaced_no_advice():
    base = tiny_round()
    everyone = base.model_copy(update={"applicants": base.applicants[:1]})
    assert advise(everyone) == []


@pytest.mark.parametrize("top", [3])
def test_sample_round_top_suggestions_confirmed(top):
    base = load_round()
    found = advise(base, limit=top)
    assert len(found) == top
    for s in found:
        confirm(base, s)
    frame = advice_frame(found)
    assert list(frame["rank"]) == [1, 2, 3] and frame["verified"].all()
