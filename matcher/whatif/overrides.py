"""Overrides with reasons: placing, excluding or fixing someone by decision, and its cost.

Contract: an `Override` names an applicant (``file:row`` or 身份证号), what was decided
(``place`` at a host, ``fix`` at a host or where the run without overrides puts them,
``exclude``), the reason and who decided; both are required. `solve_overrides(round_,
overrides)` solves the round with every override as a decided outcome
(`matcher.whatif.fixed.solve_fixed`), then solves it once without each override (the others
kept) and records in the manifest, for each override, who lost or changed a place because
of it: exactly the difference of the two runs, the overridden person aside.
`explain_overridden(round_, key, overrides)` explains one applicant of that same run. An override
is shown as 人工调整 (reason code ``OVERRIDE_PLACE``/``OVERRIDE_FIX``/``OVERRIDE_EXCLUDE``),
never as 预先接收.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from matcher.engine.result import Outcome, RunResult
from matcher.model import Round, Status
from matcher.whatif.fixed import REST_NOTE, TRAINEES, remainder, solve_fixed, who

KINDS = {"place": "人工安排", "fix": "固定录取", "exclude": "不予安排"}
CODES = {"place": "OVERRIDE_PLACE", "fix": "OVERRIDE_FIX", "exclude": "OVERRIDE_EXCLUDE"}


class DecisionError(ValueError):
    """An override that does not fit the round (unknown person or host, two for one)."""


class Override(BaseModel):
    """One decision by hand (also the schema of a scenario's ``[[overrides]]`` entry)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["place", "fix", "exclude"]
    applicant: str = Field(min_length=1)
    host: str | None = None
    reason: str = Field(min_length=1)
    decided_by: str = Field(min_length=1)

    @field_validator("reason", "decided_by", "applicant")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("不能为空 / must not be blank")
        return value.strip()


def _outcome(
    round_: Round, key: str, override: Override, base: RunResult | None, excluded: Any
) -> Outcome:
    """The decided outcome of `override` for the applicant `key`."""
    person = next(a for a in round_.applicants if a.key == key)
    note = f"人工调整（{KINDS[override.kind]}）：{override.reason}（{override.decided_by}决定）"
    code = CODES[override.kind]
    if override.kind == "exclude":
        if override.host:
            raise DecisionError(f"{who(round_, key)}：不予安排（exclude）不需要培养单位（host）")
        return Outcome(key=key, status=Status.UNMATCHED, reason_code=code, reason=note)
    name = override.host
    if name is None:
        if override.kind == "place":
            raise DecisionError(f"{who(round_, key)}：人工安排须给出培养单位（host）")
        current = next(o for o in base.outcomes if o.key == key) if base else None
        if current is None or current.status not in TRAINEES:
            raise DecisionError(f"{who(round_, key)}：未给出培养单位，且不调整时未被录取，无法固定")
        name = current.host
    host = round_.catalogue.resolve(name)
    if host is None:
        raise DecisionError(f"{who(round_, key)}：培养单位“{name}”不在培养单位名录中")
    if key in excluded:
        raise DecisionError(f"{who(round_, key)}：数据无效或不符合选派条件，不能人工安排")
    if person.track is not host.track:
        raise DecisionError(
            f"{who(round_, key)}：培养单位“{host.name}”属于{host.track.value}培养，"
            "与申请人的培养方式不符"
        )
    ranks = [round_.catalogue.resolve(c) for c in person.choices]
    rank = next((r + 1 for r, h in enumerate(ranks) if h is not None and h.name == host.name), None)
    status = Status.PLACED if rank is not None else Status.ADJUSTED
    return Outcome(
        key=key, status=status, host=host.name, choice_rank=rank, reason_code=code, reason=note
    )


def decided(
    round_: Round, overrides: Sequence[Override], base: RunResult | None = None
) -> dict[str, Outcome]:
    """Applicant key → decided outcome of each override (raises `DecisionError`)."""
    from matcher.engine.judge import judge
    from matcher.engine.pipeline import find_applicant

    excluded = judge(round_).excluded if any(o.kind != "exclude" for o in overrides) else {}
    out: dict[str, Outcome] = {}
    for override in overrides:
        key = find_applicant(round_, override.applicant)
        if key is None:
            from matcher.report.mask import scrub

            raise DecisionError(
                f"找不到申请人“{scrub(override.applicant)}”：请给出身份证号或“文件名:行号”"
            )
        if key in out:
            raise DecisionError(f"{who(round_, key)} 有两条人工调整：每人只能有一条")
        out[key] = _outcome(round_, key, override, base, excluded)
    return out


def decided_around(
    round_: Round, overrides: Sequence[Override], fixed: dict[str, Outcome] | None = None
) -> dict[str, Outcome]:
    """`decided`, with the run that a ``fix`` without a host keeps solved around `fixed`."""
    base = None
    if any(o.kind == "fix" and o.host is None for o in overrides):
        base = solve_fixed(round_, dict(fixed or {}))
    return decided(round_, overrides, base)


def explain_overridden(round_: Round, key: str, overrides: Iterable[Override]) -> str:
    """`matcher explain` of applicant `key` in the run `solve_overrides` makes.

    An overridden applicant: the decision, its reason and who decided. Anyone else: the
    account of the solve that placed them, the one `solve_fixed` makes around the decided
    outcomes (their places taken out first, which the text then says).
    """
    from matcher.engine.pipeline import explain_applicant

    outcomes = decided_around(round_, list(overrides))
    outcome = outcomes.get(key)
    if outcome is not None:
        person = next(a for a in round_.applicants if a.key == key)
        where = f"，{_label(outcome)}" if outcome.status in TRAINEES else "，未录取"
        why = f"{outcome.reason}（{outcome.reason_code}）"
        return f"{person.name}（{key}）：人工调整{where}\n  原因：{why}"
    text = explain_applicant(remainder(round_, outcomes), key)
    if any(o.status in TRAINEES for o in outcomes.values()):
        text += f"\n  {REST_NOTE}"
    return text


def _label(outcome: Outcome) -> str:
    if outcome.status in TRAINEES:
        return f"{outcome.host}（{'调剂' if outcome.status is Status.ADJUSTED else '志愿'}）"
    return {"unmatched": "未录取", "ineligible": "不符合条件", "invalid": "数据无效"}[
        outcome.status.value
    ]


def displaced(without: RunResult, with_: RunResult, subject: str) -> list[dict[str, Any]]:
    """Who lost or changed a place from run `without` to run `with_` (`subject` aside).

    One entry per person who has a place in one run only, or places at two hosts, in input
    order: key, name, masked ID, ``before`` and ``after`` (a host and how, or 未录取),
    ``change`` (lost, gained, moved), as `matcher.whatif.compare` names the changes.
    """
    from matcher.report.mask import mask_id

    people = {a.key: a for a in with_.round.applicants}
    old = {o.key: o for o in without.outcomes}
    out = []
    for outcome in with_.outcomes:
        before = old[outcome.key]
        if outcome.key == subject:
            continue
        was, now = before.status in TRAINEES, outcome.status in TRAINEES
        if was == now and (not was or before.host == outcome.host):
            continue  # the same place, or no place in either run
        change = "moved" if was and now else "lost" if was else "gained"
        person = people[outcome.key]
        out.append(
            {
                "key": outcome.key,
                "name": person.name,
                "id": mask_id(person.id_number),
                "change": change,
                "before": _label(before),
                "after": _label(outcome),
            }
        )
    return out


def record(round_: Round, key: str, override: Override, outcome: Outcome) -> dict[str, Any]:
    """The manifest's entry of one override (no displacement yet)."""
    from matcher.report.mask import mask_id

    person = next(a for a in round_.applicants if a.key == key)
    return {
        "kind": override.kind,
        "kind_label": KINDS[override.kind],
        "key": key,
        "name": person.name,
        "id": mask_id(person.id_number),
        "host": outcome.host,
        "status": outcome.status.value,
        "reason": override.reason,
        "decided_by": override.decided_by,
    }


def solve_overrides(
    round_: Round, overrides: Iterable[Override], *, fixed: dict[str, Outcome] | None = None
) -> RunResult:
    """Solve `round_` with `overrides` decided; each one's displacement in the manifest.

    `fixed`: other outcomes decided before (the centre's answer), kept in every run.
    Solves 1 + len(overrides) runs (one more when a ``fix`` names no host). Raises
    `DecisionError`, `matcher.whatif.fixed.FixedError` or `matcher.engine.pipeline.PipelineError`.
    """
    items = list(overrides)
    others = dict(fixed or {})
    outcomes = decided_around(round_, items, others)
    clash = set(outcomes) & set(others)
    if clash:
        raise DecisionError(f"{who(round_, min(clash))} 的结果已由留学人员和专家服务中心确定")
    keys = list(outcomes)
    entries = [
        record(round_, key, item, outcomes[key]) for key, item in zip(keys, items, strict=True)
    ]
    result = solve_fixed(round_, {**others, **outcomes}, {"overrides": entries})
    for key, entry in zip(keys, entries, strict=True):
        rest = {k: v for k, v in outcomes.items() if k != key}
        without = solve_fixed(round_, {**others, **rest})
        entry["displaced"] = displaced(without, result, key)
        entry["before"] = _label(next(o for o in without.outcomes if o.key == key))
    return result.model_copy(update={"manifest": {**result.manifest, "overrides": entries}})
