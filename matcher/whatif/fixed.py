"""Solve a round around outcomes decided before the solve (补录, overrides, the centre).

Contract: `solve_fixed(round_, fixed)` takes outcomes already decided for some applicants
(a published placement kept, a place by decision, an exclusion, the centre's answer) and
places everyone else by the round's own policy on what the fixed outcomes leave: each
fixed placement takes one place of its host and one of its applicant's region × track
quota before the solve, and the fixed applicants are not in the solve at all, so nothing
the solve does can move them (a pin through 预先接收 is honoured in priority order and
could be bumped by a newcomer's own pre-arrangement). The rest is solved and verified by
`matcher.engine.pipeline.solve_round` on the reduced round; the joined outcomes are checked
again against the full round's capacities and quotas. The returned `RunResult` is of the
full round (every row once, in input order, the catalogue's own capacities).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from matcher.engine.pipeline import PipelineError, manifest, solve_round
from matcher.engine.result import Outcome, RunResult
from matcher.model import HostCatalogue, Issue, Quota, QuotaTable, Round, Severity, Status, Track
from matcher.report.mask import mask_id

TRAINEES = (Status.PLACED, Status.ADJUSTED)
#: Reason codes of outcomes decided by hand or by leaving: a later 补录 keeps them as they are.
KEPT_CODES = ("WITHDRAWN", "OVERRIDE_EXCLUDE", "CENTRE_DECLINED")


class FixedError(ValueError):
    """Fixed outcomes that do not fit the round (unknown host, over capacity or quota)."""


def who(round_: Round, key: str) -> str:
    """An applicant as a message names them: name, masked 身份证号 and ``file:row``."""
    person = next((a for a in round_.applicants if a.key == key), None)
    if person is None:
        return key
    masked = f"，身份证号 {mask_id(person.id_number)}" if person.id_number else ""
    return f"{person.name}（{person.key}{masked}）"


def room_left(round_: Round, fixed: Mapping[str, Outcome]) -> tuple[Counter[str], Counter[Any]]:
    """Places each host and each (region, track) has left after the fixed placements.

    Raises `FixedError` naming every host over its capacity and every region over its
    quota, and every fixed placement at an unknown host or a host of another track.
    """
    people = {a.key: a for a in round_.applicants}
    hosts: Counter[str] = Counter({h.name: h.capacity for h in round_.hosts})
    groups: Counter[Any] = Counter({(q.region, q.track): q.places for q in round_.quotas.quotas})
    problems: list[str] = []
    for key, outcome in fixed.items():
        if outcome.status not in TRAINEES:
            continue
        person = people.get(key)
        host = round_.catalogue.resolve(outcome.host)
        if person is None:
            problems.append(f"找不到申请人 {key}")
            continue
        if host is None:
            problems.append(f"{who(round_, key)}：培养单位“{outcome.host}”不在培养单位名录中")
            continue
        if person.track is not host.track:
            problems.append(
                f"{who(round_, key)}：培养单位“{host.name}”属于{host.track.value}培养，"
                "与申请人的培养方式不符"
            )
            continue
        hosts[host.name] -= 1
        groups[(person.region, person.track)] -= 1
    for name, left in hosts.items():
        if left < 0:
            capacity = round_.catalogue.resolve(name).capacity  # type: ignore[union-attr]
            problems.append(
                f"培养单位“{name}”超出接收名额：名额 {capacity} 个，已确定 {capacity - left} 人"
            )
    for (region, track), left in groups.items():
        if left < 0:
            places = round_.quotas.places(region, track)
            problems.append(
                f"{region}{track.value}超出名额：名额 {places} 个，已确定 {places - left} 人"
            )
    if problems:
        raise FixedError("；".join(problems))
    return hosts, groups


def remainder(round_: Round, fixed: Mapping[str, Outcome]) -> Round:
    """`round_` with the fixed applicants set aside and the places they take removed.

    The fixed applicants stay in the round, marked with an error of code `SET_ASIDE`, so
    the solve leaves them out as it leaves out an invalid row; the lottery, drawn over
    every applicant of the round, stays the same for everyone else.
    """
    hosts, groups = room_left(round_, fixed)
    catalogue = HostCatalogue(
        hosts=tuple(h.model_copy(update={"capacity": hosts[h.name]}) for h in round_.hosts)
    )
    quotas = QuotaTable(
        quotas=tuple(
            Quota(region=q.region, track=q.track, places=groups[(q.region, q.track)])
            for q in round_.quotas.quotas
        )
    )
    people = tuple(
        a.model_copy(update={"problems": (*a.problems, _aside(a.source_file, a.source_row))})
        if a.key in fixed
        else a
        for a in round_.applicants
    )
    return round_.model_copy(
        update={"applicants": people, "catalogue": catalogue, "quotas": quotas}
    )


SET_ASIDE = "SET_ASIDE"


def _aside(file: str, row: int) -> Issue:
    return Issue(
        file=file, row=row, code=SET_ASIDE, severity=Severity.ERROR, message="结果已事先确定"
    )


def solve_fixed(
    round_: Round, fixed: Mapping[str, Outcome], notes: Mapping[str, Any] | None = None
) -> RunResult:
    """Solve `round_` with the outcomes of `fixed` (applicant key → `Outcome`) decided.

    Steps: check the fixed placements against capacities and quotas (`room_left`); solve
    and verify the remainder (`remainder`, `matcher.engine.pipeline.solve_round`); join the
    outcomes in the full round's order; check the joined placements once more. `notes`
    are added to the manifest (e.g. ``{"backfill": …}``).

    Raises
    ------
    FixedError
        The fixed outcomes do not fit the round.
    matcher.engine.pipeline.PipelineError
        The remainder cannot be solved, its verification fails, or the joined
        placements break a capacity or quota.
    """
    solved = solve_round(remainder(round_, fixed))
    taken = any(o.status in TRAINEES for o in fixed.values())
    outcomes = tuple(
        fixed[a.key].model_copy(update={"key": a.key})
        if a.key in fixed
        else (_noted(o) if taken else o)
        for a, o in zip(round_.applicants, solved.outcomes, strict=True)
    )
    _check_joined(round_, outcomes)
    report = solved.solver.model_copy(
        update={
            "verification": {
                **solved.solver.verification,
                "fixed_outcomes": len(fixed),
                "joined_capacity_and_quota": True,
            }
        }
    )
    document = {**manifest(round_), **(dict(notes) if notes else {})}
    return RunResult(round=round_, outcomes=outcomes, solver=report, manifest=document)


#: Said after the reason of an applicant left unplaced around fixed placements.
REST_NOTE = "（所述名额为扣除已确定录取后的剩余名额）"


def _noted(outcome: Outcome) -> Outcome:
    if outcome.status is not Status.UNMATCHED or not outcome.reason:
        return outcome
    return outcome.model_copy(update={"reason": outcome.reason + REST_NOTE})


def _check_joined(round_: Round, outcomes: tuple[Outcome, ...]) -> None:
    """Every applicant once; no host over capacity, no region over quota, own track only."""
    if len(outcomes) != len(round_.applicants):
        raise PipelineError("补录/调整后的结果行数与申请人行数不一致")
    hosts: Counter[str] = Counter()
    groups: Counter[tuple[str | None, Track | None]] = Counter()
    for person, outcome in zip(round_.applicants, outcomes, strict=True):
        if outcome.key != person.key:
            raise PipelineError(f"结果顺序与申请人不一致：{outcome.key} ≠ {person.key}")
        if outcome.status in TRAINEES:
            host = round_.catalogue.resolve(outcome.host)
            if host is None or host.track is not person.track:
                raise PipelineError(f"{person.key}：录取单位“{outcome.host}”不可用")
            hosts[host.name] += 1
            groups[(person.region, person.track)] += 1
    for host in round_.hosts:
        if hosts[host.name] > host.capacity:
            raise PipelineError(f"独立核验未通过：培养单位“{host.name}”超出接收名额")
    for (region, track), count in groups.items():
        if region is None or track is None or count > round_.quotas.places(region, track):
            raise PipelineError(f"独立核验未通过：{region}{getattr(track, 'value', '')}超出名额")
