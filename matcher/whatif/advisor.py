"""Relaxation advisor: the smallest changes of places that would place the most unplaced.

Contract: `advise(round)` returns `Suggestion`s ranked by how many more trainees they
give (most first), then by size (one change before two), then by kind (moving an
unused quota place costs nothing in total, then one more host place, then one more quota
place), then by the funding they add. Each suggestion's figures come from re-solving the
round with the change, on the arrays (`matcher.whatif.sweep.ArrayBase`), solved and verified by
`matcher.engine.pipeline.solve_verified` (a rejected answer raises `RejectedSolutionError`);
suggestions that place nobody more, or that the mechanism cannot solve, are dropped.

Steps: solve the round; collect the unplaced (eligible, valid, not placed); candidate
single changes are +1 place at a host an unplaced applicant could take (a choice, or a
host fit for adjustment when they accept it), +1 quota place of an unplaced applicant's
region × track, and moving one unused quota place of a track to such a region; with
``max_size=2``, a quota change (+1 or a move) together with +1 at a host that one of
that region's unplaced applicants could take; re-solve each and keep the gains.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from matcher.engine.pipeline import NoSolutionError, solve_verified
from matcher.engine.solve.base import UNPLACED, Instance, Solution
from matcher.model import Round, Track
from matcher.report.funding import trainee_cost
from matcher.whatif.sweep import ArrayBase, Variant

Kind = Literal["move", "host", "quota"]
KIND_ORDER: dict[str, int] = {"move": 0, "host": 1, "quota": 2}


@dataclass(frozen=True)
class Change:
    """One relaxation of the round's places.

    `kind` "host": +1 place at `host`; "quota": +1 place of `region` × `track`; "move":
    one place of `track` moved from `source` to `region`.
    """

    kind: Kind
    track: str
    host: str = ""
    region: str = ""
    source: str = ""

    def describe(self) -> str:
        """The change in Chinese, for the department."""
        if self.kind == "host":
            return f"{self.host}接收名额 +1"
        if self.kind == "quota":
            return f"{self.region}{self.track}名额 +1"
        return f"{self.source}{self.track}未用名额 1 个调给{self.region}"

    def apply(self, round_: Round) -> Round:
        """`round_` with this change (through `matcher.whatif.changes`), for a fresh solve."""
        from matcher.whatif.changes import move_quota, with_capacity, with_quota

        if self.kind == "host":
            return with_capacity(round_, self.host, add=1)
        if self.kind == "quota":
            return with_quota(round_, self.region, self.track, add=1)
        return move_quota(round_, self.source, self.region, self.track, places=1)


@dataclass(frozen=True)
class Suggestion:
    """A set of changes, verified by a re-solve: `gain` more trainees, who they are.

    `newly_placed` / `displaced` are applicant keys (trainees in the new solution and
    not in the base one, and the reverse); `funding_delta` is the year's extra funding.
    """

    changes: tuple[Change, ...]
    gain: int
    trainees: int
    newly_placed: tuple[str, ...]
    displaced: tuple[str, ...]
    funding_delta: int
    verified: bool

    @property
    def text(self) -> str:
        """All changes in one line."""
        return "；".join(c.describe() for c in self.changes)

    def sort_key(self) -> tuple[int, int, int, int, str]:
        """Ranking: most gained, fewest changes, cheapest kind, least funding, text."""
        kind = max(KIND_ORDER[c.kind] for c in self.changes)
        return (-self.gain, len(self.changes), kind, self.funding_delta, self.text)


class _Advisor:
    def __init__(self, round_: Round) -> None:
        self.base = ArrayBase(round_, check=True)
        self.round = round_
        inst = self.base.instance
        self.mechanism = round_.policy.mechanism
        self.adjustment = round_.policy.adjustment
        self.order = round_.policy.objective
        self.solution = solve_verified(
            inst, self.mechanism, adjustment=self.adjustment, objective=self.order
        ).solution
        self.trainee = self.solution.rank != UNPLACED
        self.used = np.bincount(inst.group[self.trainee], minlength=inst.group_cap.shape[0])
        self.cost = {t.value: trainee_cost(t)["total"] for t in Track}

    def unplaced(self) -> np.ndarray:
        return np.flatnonzero(~self.trainee)

    def reachable_hosts(self, i: int) -> list[int]:
        """Hosts applicant i could take: choices, and adjustment hosts when willing."""
        inst = self.base.instance
        hosts = [int(j) for j in inst.choices[i] if j >= 0]
        if self.adjustment and inst.accepts[i] and inst.field[i] >= 0:
            fit = inst.host_fields[:, inst.field[i]] & (inst.host_track == inst.track[i])
            hosts += [int(j) for j in np.flatnonzero(fit) if j not in hosts]
        return hosts

    def evaluate(self, changes: tuple[Change, ...]) -> Suggestion | None:
        inst = self.base.instance
        enc = self.base.encoding
        host_cap = inst.host_cap.copy()
        group_cap = inst.group_cap.copy()
        for c in changes:
            if c.kind == "host":
                host_cap[self.base.host_index[c.host]] += 1
            else:
                group_cap[self.base.group_index[(c.region, c.track)]] += 1
                if c.kind == "move":
                    group_cap[self.base.group_index[(c.source, c.track)]] -= 1
        caps = tuple(
            (name, int(host_cap[j]))
            for name, j in self.base.host_index.items()
            if host_cap[j] != inst.host_cap[j]
        )
        quotas = tuple(
            (r, t.value, int(group_cap[k]))
            for k, (r, t) in enumerate(enc.groups)
            if group_cap[k] != inst.group_cap[k]
        )
        patched = self.base.patched(Variant("advice", capacity=caps, quota=quotas))
        try:
            solution, checked = solve_verified(
                patched, self.mechanism, adjustment=self.adjustment, objective=self.order
            )
        except NoSolutionError:  # e.g. a move that leaves a pre-arrangement no place
            return None
        trainee = solution.rank != UNPLACED
        gain = int(trainee.sum() - self.trainee.sum())
        if gain <= 0:
            return None
        keys = np.array(enc.keys, dtype=object)
        return Suggestion(
            changes=changes,
            gain=gain,
            trainees=int(trainee.sum()),
            newly_placed=tuple(keys[trainee & ~self.trainee].tolist()),
            displaced=tuple(keys[~trainee & self.trainee].tolist()),
            funding_delta=self._funding(patched, solution) - self._funding(inst, self.solution),
            verified=checked.ok,
        )

    def _funding(self, inst: Instance, solution: Solution) -> int:
        trainee = solution.rank != UNPLACED
        return sum(
            int((trainee & (inst.track == k)).sum()) * self.cost[t]
            for k, t in enumerate(("区外", "区内"))
        )

    def candidates(self, max_size: int) -> list[tuple[Change, ...]]:
        inst, enc = self.base.instance, self.base.encoding
        names = enc.host_names
        singles: dict[tuple[Change, ...], None] = {}
        pairs: dict[tuple[Change, ...], None] = {}
        room = inst.group_cap - self.used
        for i in self.unplaced().tolist():
            region, track = enc.groups[int(inst.group[i])]
            quota_changes = [Change("quota", track.value, region=region)]
            for k, (src, src_track) in enumerate(enc.groups):
                if src_track is track and src != region and room[k] > 0:
                    quota_changes.append(Change("move", track.value, region=region, source=src))
            hosts = [Change("host", track.value, host=names[j]) for j in self.reachable_hosts(i)]
            for c in (*quota_changes, *hosts):
                singles.setdefault((c,), None)
            if max_size >= 2:
                for q in quota_changes:
                    for h in hosts:
                        pairs.setdefault((q, h), None)
        return [*singles, *pairs]


def advise(round_: Round, *, max_size: int = 2, limit: int | None = 20) -> list[Suggestion]:
    """Ranked suggestions for `round_` (see the module docstring); at most `limit`.

    A pair of changes is only kept when it places more than each of its parts alone.
    """
    advisor = _Advisor(round_)
    if not len(advisor.unplaced()):
        return []
    found: dict[tuple[Change, ...], Suggestion] = {}
    for changes in advisor.candidates(max_size):
        if len(changes) > 1:
            best_part = max((found[(c,)].gain for c in changes if (c,) in found), default=0)
            suggestion = advisor.evaluate(changes)
            if suggestion is not None and suggestion.gain > best_part:
                found[changes] = suggestion
            continue
        suggestion = advisor.evaluate(changes)
        if suggestion is not None:
            found[changes] = suggestion
    ranked = sorted(found.values(), key=Suggestion.sort_key)
    return ranked[:limit] if limit is not None else ranked


def advice_frame(suggestions: Iterable[Suggestion]) -> Any:
    """Suggestions as a DataFrame, one row each in rank order.

    Columns: rank, change, size, gain, trainees, funding_delta, verified, newly_placed and
    displaced (applicant keys joined by ``;``).
    """
    import pandas as pd

    rows = [
        {
            "rank": n,
            "change": s.text,
            "size": len(s.changes),
            "gain": s.gain,
            "trainees": s.trainees,
            "funding_delta": s.funding_delta,
            "verified": s.verified,
            "newly_placed": ";".join(s.newly_placed),
            "displaced": ";".join(s.displaced),
        }
        for n, s in enumerate(suggestions, start=1)
    ]
    columns = [
        "rank",
        "change",
        "size",
        "gain",
        "trainees",
        "funding_delta",
        "verified",
        "newly_placed",
        "displaced",
    ]
    return pd.DataFrame(rows, columns=columns)
