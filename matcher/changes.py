"""Changes of a round, for what-if analysis: capacities, quotas, rules, policy, applicants.

Each function returns a new `Round` (inputs are frozen) or raises `OverrideError` with a
Chinese message naming what is wrong (an unknown host or region, a negative number of
places, an order of the stages a mechanism does not support). Scenarios
(`matcher.scenario`) apply them in their order; notebooks call them through `matcher.api`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import ValidationError

from matcher.model import (
    STAGES,
    Host,
    HostCatalogue,
    Mechanism,
    Policy,
    Quota,
    QuotaTable,
    Round,
    Rules,
    Track,
    check_objective,
)


class OverrideError(ValueError):
    """A change that does not fit the round (unknown host, region or applicant, < 0)."""


def _host(round_: Round, name: str) -> Host:
    host = round_.catalogue.resolve(name)
    if host is None:
        raise OverrideError(f"培养单位“{name}”不在培养单位名录中")
    return host


def _region(round_: Round, name: str) -> str:
    regions = round_.quotas.regions()
    if name in regions:
        return name
    from matcher.ingest.regions import region_of

    found = region_of(name)
    if found in regions:
        return found
    raise OverrideError(f"地区“{name}”不在名额分配表中；可用：{'、'.join(regions)}")


def with_capacity(
    round_: Round, host: str, *, places: int | None = None, add: int | None = None
) -> Round:
    """`round_` with the capacity of `host` (name or alias) set to `places` or changed by `add`.

    Raises `OverrideError` for an unknown host or a capacity below 0.
    """
    target = _host(round_, host)
    new = places if places is not None else target.capacity + (add or 0)
    if new < 0:
        raise OverrideError(f"培养单位“{target.name}”的接收名额不能小于0（得到 {new}）")
    hosts = tuple(
        h.model_copy(update={"capacity": new}) if h.name == target.name else h for h in round_.hosts
    )
    # a new catalogue, not model_copy: its name index is a cached_property
    return round_.model_copy(update={"catalogue": HostCatalogue(hosts=hosts)})


def with_quota(
    round_: Round,
    region: str,
    track: Track | str,
    *,
    places: int | None = None,
    add: int | None = None,
) -> Round:
    """`round_` with the quota of `region` × `track` set to `places` or changed by `add`.

    Raises `OverrideError` for an unknown region or a quota below 0.
    """
    name, track = _region(round_, region), Track(track)
    new = places if places is not None else round_.quotas.places(name, track) + (add or 0)
    if new < 0:
        raise OverrideError(f"{name}{track.value}名额不能小于0（得到 {new}）")
    quotas = [q for q in round_.quotas.quotas if not (q.region == name and q.track is track)]
    position = next(
        (i for i, q in enumerate(round_.quotas.quotas) if q.region == name and q.track is track),
        len(quotas),
    )
    quotas.insert(position, Quota(region=name, track=track, places=new))
    return round_.model_copy(update={"quotas": QuotaTable(quotas=tuple(quotas))})


def unused_places(round_: Round, region: str, track: Track | str) -> int:
    """Places of `region` × `track` left unused when `round_` is solved (arrays only)."""
    from matcher.encode import encode
    from matcher.judge import judge
    from matcher.solve import solve

    name, track = _region(round_, region), Track(track)
    encoding = encode(round_, judge(round_))
    solution = solve(
        encoding.instance,
        round_.policy.mechanism,
        adjustment=round_.policy.adjustment,
        objective=round_.policy.objective,
    )
    k = encoding.groups.index((name, track)) if (name, track) in encoding.groups else -1
    used = int(((encoding.instance.group == k) & (solution.host >= 0)).sum()) if k >= 0 else 0
    return round_.quotas.places(name, track) - used


def move_quota(
    round_: Round,
    source: str,
    target: str,
    track: Track | str,
    places: int | Literal["unused"] = "unused",
) -> Round:
    """Move `places` of `track` from `source` to `target` ("unused": what `source` leaves).

    Raises `OverrideError` for unknown regions or moving more places than `source` has.
    """
    track = Track(track)
    count = unused_places(round_, source, track) if places == "unused" else int(places)
    have = round_.quotas.places(_region(round_, source), track)
    if count < 0 or count > have:
        raise OverrideError(f"{source}{track.value}只有 {have} 个名额，不能调出 {count} 个")
    changed = with_quota(round_, source, track, add=-count)
    return with_quota(changed, target, track, add=count)


def with_rules(round_: Round, **changes: Any) -> Round:
    """`round_` with these `Rules` fields changed (validated; raises `OverrideError`)."""
    try:
        rules = Rules.model_validate({**round_.rules.model_dump(), **changes})
    except ValidationError as exc:
        raise OverrideError(str(exc)) from None
    return round_.model_copy(update={"rules": rules})


def with_policy(
    round_: Round,
    *,
    mechanism: Mechanism | str | None = None,
    seed: int | None = None,
    adjustment: bool | None = None,
    objective: Sequence[str] | None = None,
) -> Round:
    """`round_` with the mechanism, seed, adjustment or order of the objective stages changed.

    Raises `OverrideError` for an unknown mechanism, an order that is not one of `STAGES`
    (see `check_objective`), or an order other than the contract's with a mechanism that
    does not support it.
    """
    from matcher.solve import get, known

    update: dict[str, Any] = {}
    if mechanism is not None:
        try:
            update["mechanism"] = Mechanism(mechanism)
        except ValueError:
            names = ", ".join(m.value for m in Mechanism)
            raise OverrideError(f"未知的匹配机制 {mechanism!r}；可用：{names}") from None
    if seed is not None:
        update["seed"] = int(seed)
    if adjustment is not None:
        update["adjustment"] = bool(adjustment)
    if objective is not None:
        try:
            update["objective"] = check_objective(objective)
        except ValueError as exc:
            raise OverrideError(str(exc)) from None
    policy = Policy.model_validate({**round_.policy.model_dump(), **update})
    spec = get(policy.mechanism)
    if policy.objective != STAGES and not spec.supports.objective_order:
        able = "、".join(n for n in known() if get(n).supports.objective_order)
        raise OverrideError(
            f"匹配机制 {spec.name} 不支持改变目标阶段顺序（objective）；请改用 {able}，"
            f"或删去 objective / mechanism {spec.name!r} does not support another order of "
            "the objective stages"
        )
    return round_.model_copy(update={"policy": policy})


def applicant_key(round_: Round, ref: str) -> str:
    """The key of the applicant named by ``file:row`` or 身份证号 (raises `OverrideError`)."""
    from matcher.pipeline import find_applicant

    key = find_applicant(round_, ref)
    if key is None:
        raise OverrideError(f"找不到申请人“{ref}”：请给出“文件名:行号”或身份证号")
    return key


def without_applicants(round_: Round, refs: Iterable[str]) -> Round:
    """`round_` without the applicants named by ``file:row`` or 身份证号."""
    keys = {applicant_key(round_, ref) for ref in refs}
    kept = tuple(a for a in round_.applicants if a.key not in keys)
    return round_.model_copy(update={"applicants": kept})


def with_pins(round_: Round, pins: Mapping[str, str]) -> Round:
    """`round_` with applicants pinned to hosts as pre-arranged (预先接收) placements.

    Raises `OverrideError` for an unknown applicant or host, or a host of another track.
    """
    wanted: dict[str, str] = {}
    for ref, name in pins.items():
        key, host = applicant_key(round_, ref), _host(round_, name)
        person = next(a for a in round_.applicants if a.key == key)
        if person.track is not None and person.track is not host.track:
            raise OverrideError(
                f"培养单位“{host.name}”属于{host.track.value}培养，与申请人的培养方式不符"
            )
        wanted[key] = host.name
    people = tuple(
        a.model_copy(update={"prearranged": wanted[a.key]}) if a.key in wanted else a
        for a in round_.applicants
    )
    return round_.model_copy(update={"applicants": people})


# ---------------------------------------------------------------- building a round
