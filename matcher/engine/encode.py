"""Round ⇄ arrays: the one place where the domain is translated for the solvers.

Contract: `encode(round, judgement)` returns an `Encoding`: the `Instance` of the rows
`matcher.engine.judge.judge` found valid and eligible (input order) plus everything needed to
read a `Solution` back: applicant keys, host names, quota groups, fields, the applicants
left out (the judgement's, with reasons) and the pre-arrangements that could not be
honoured (with why). The encoder decides no rule: it numbers what the judgement says,
draws the priority order of the policy's seed (`Lottery`) and honours the pre-arranged
hosts while there is room (`honour`); a sweep varies a seed or the places through the
same two. The same round (and seed) always gives identical arrays, whatever the order of
the input files. `decode(encoding, solution)` maps each instance row back to (host name,
rank code).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from matcher.engine.judge import MAX_CHOICES, Exclusion, Judgement, PrearrangedConflict
from matcher.engine.lottery import draws, identities_of, priority_order
from matcher.engine.solve.base import ADJUSTED, PREARRANGED, UNPLACED, Instance, Solution
from matcher.memory import gc_paused
from matcher.model import FIELDS, Applicant, Applicants, Host, Round, Status, Track
from matcher.store import column

#: Track → index in the arrays (`Instance.track`, `Instance.host_track`).
TRACK_INDEX: dict[Track, int] = {Track.OUT: 0, Track.IN: 1}
TRACKS: tuple[Track, ...] = (Track.OUT, Track.IN)


@dataclass(frozen=True)
class Encoding:
    """The arrays of a round and the labels to read them back.

    `keys[i]` is the applicant key of instance row i; `host_names[j]` the canonical name
    of host j; `groups[k]` the (region, track) of quota group k; `fields[f]` field f.
    `excluded` maps the key of every applicant not in the instance to its `Exclusion`;
    `prearranged_conflicts` lists the pre-arrangements not honoured (those applicants
    are ordinary applicants in the instance when valid and eligible). `draws` holds the
    lottery draw of every applicant of the round, in input order (`matcher.engine.lottery`);
    `notes` the judgement's notes of eligible rows by position (`Judgement.notes`);
    `member[i]` the position in the round of instance row i (ascending).
    """

    instance: Instance
    keys: tuple[str, ...]
    host_names: tuple[str, ...]
    groups: tuple[tuple[str, Track], ...]
    fields: tuple[str, ...]
    excluded: Mapping[str, Exclusion]
    prearranged_conflicts: tuple[PrearrangedConflict, ...]
    draws: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    notes: Mapping[int, str] = field(default_factory=dict)
    member: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def encode(round: Round, judgement: Judgement) -> Encoding:
    """Translate `round`, as `judgement` judged it, into an `Encoding` (module docstring).

    Steps: number hosts (catalogue order, as the judgement names them), fields
    (vocabulary, then any other sorted) and groups (quota-table regions, then others
    sorted; 区外 before 区内); draw the priority order; honour pre-arrangements in
    priority order while host and quota have room.
    """
    with gc_paused():  # a large round: no full scans of its applicants while encoding
        return _encode(round, judgement)


def _encode(round: Round, judgement: Judgement) -> Encoding:
    applicants = round.applicants
    member = judgement.member
    at: list[int] = member.tolist()
    members = Applicants.coerce(applicants).take(member)
    every_key: list[str] = column(applicants, "key")
    keys = tuple(map(every_key.__getitem__, at))
    written = members.field("field")  # each distinct written field read once
    written_fields: list[str | None] = written.values.tolist()
    used = np.zeros(len(written_fields), dtype=bool)
    used[written.codes] = True  # the values of the members (the table's may hold others)
    hosts = round.catalogue.hosts
    fields = _fields(hosts, [f for f, u in zip(written_fields, used.tolist(), strict=True) if u])
    field_index = {name: f for f, name in enumerate(fields)}
    field_of = np.array([field_index.get(f or "", -1) for f in written_fields], dtype=np.int32)
    accepting = members.field("accepts_adjustment")
    accepts = np.array([bool(v) for v in accepting.values.tolist()], dtype=bool)
    groups = _groups(round, judgement.regions)
    host_fields = np.zeros((len(hosts), len(fields)), dtype=bool)
    for j, host in enumerate(hosts):
        for name in host.fields:
            host_fields[j, field_index[name]] = True
    # groups are (region, track) for each region, 区外 then 区内: index 2·region + track
    region_at = {region: k // len(TRACKS) for k, (region, _) in enumerate(groups)}
    track = np.array([t is Track.IN for t in judgement.tracks], dtype=np.int32)
    group = np.array([region_at[r] for r in judgement.regions], dtype=np.int32)
    group = group * len(TRACKS) + track
    lottery = Lottery.of(round, judgement)
    drawn, order, weight = lottery.drawn(round.policy.seed)
    group_cap = np.array([round.quotas.places(r, t) for r, t in groups], dtype=np.int32)
    host_cap = np.array([host.capacity for host in hosts], dtype=np.int32)
    prearranged, full = honour(judgement.prearranged, group, order, host_cap, group_cap)
    instance = Instance(
        choices=judgement.choices,
        group=group,
        group_cap=group_cap,
        host_cap=host_cap,
        host_track=np.array([TRACK_INDEX[host.track] for host in hosts], dtype=np.int32),
        track=track,
        field=field_of[written.codes],
        host_fields=host_fields,
        priority=judgement.priority[member],
        accepts=accepts[accepting.codes],
        order=order,
        prearranged=prearranged,
        weight=weight,
    )
    return Encoding(
        instance=instance,
        keys=keys,
        host_names=tuple(host.name for host in hosts),
        groups=groups,
        fields=fields,
        excluded=judgement.excluded,
        prearranged_conflicts=_conflicts(judgement, members, full, hosts, every_key),
        draws=drawn,
        notes=judgement.notes,
        member=member,
    )


@dataclass(frozen=True)
class Lottery:
    """What the priority order of a round is drawn from, read once from its rows.

    `identities`, `score` and `priority` are over every row of the round (`member`
    says which rows are in the instance): the members' order is the restriction of the
    order of all rows, and their tie-break weights are taken from it
    (`Instance.weight`), so a row set aside (a decision, a fixed outcome) moves nobody's
    weight.
    """

    identities: list[str]
    score: np.ndarray
    priority: np.ndarray
    member: np.ndarray

    @classmethod
    def of(cls, round: Round, judgement: Judgement) -> Lottery:
        """The lottery of `round` as `judgement` judged it."""
        applicants = Applicants.coerce(round.applicants)
        return cls(
            identities=identities_of(
                applicants.field("id_number"),
                applicants.column("key"),
                applicants.field("problems"),
            ),
            score=np.array(column(applicants, "score"), dtype=np.float64),  # None → NaN
            priority=judgement.priority,
            member=judgement.member,
        )

    def drawn(self, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every row's draw, and the members' `Instance.order` and `Instance.weight`."""
        drawn = draws(seed, self.identities)
        position = priority_order(self.priority, self.score, drawn).astype(np.int64)
        ranked = position[self.member]
        # `position` is a permutation of the rows: the members in its order, without a sort
        n, m = position.shape[0], ranked.shape[0]
        row_at = np.empty(n, dtype=np.int64)
        row_at[position] = np.arange(n)
        index = np.full(n, -1, dtype=np.int64)
        index[self.member] = np.arange(m)
        in_order = index[row_at]
        order = np.empty(m, dtype=np.int32)
        order[in_order[in_order >= 0]] = np.arange(m, dtype=np.int32)
        return drawn, order, n - ranked


def honour(
    wanted: np.ndarray,
    group: np.ndarray,
    order: np.ndarray,
    host_cap: np.ndarray,
    group_cap: np.ndarray,
) -> tuple[np.ndarray, dict[int, str]]:
    """Pre-arranged hosts honoured in priority order while host and quota have room.

    `wanted[i]` is member i's pre-arranged host (-1: none). Returns the honoured host
    per member (-1: none) and, for each member refused, ``"HOST_FULL"`` or
    ``"QUOTA_FULL"``.
    """
    prearranged = np.full(wanted.shape[0], -1, dtype=np.int32)
    refused: dict[int, str] = {}
    room_h = host_cap.astype(np.int64).copy()
    room_g = group_cap.astype(np.int64).copy()
    for i in sorted(np.flatnonzero(wanted >= 0).tolist(), key=lambda i: int(order[i])):
        j, k = int(wanted[i]), int(group[i])
        if room_h[j] <= 0:
            refused[i] = "HOST_FULL"
        elif room_g[k] <= 0:
            refused[i] = "QUOTA_FULL"
        else:
            prearranged[i] = j
            room_h[j] -= 1
            room_g[k] -= 1
    return prearranged, refused


def decode(encoding: Encoding, solution: Solution) -> dict[str, tuple[str | None, int]]:
    """Applicant key → (host name or None, rank code) for every instance row."""
    out: dict[str, tuple[str | None, int]] = {}
    for key, j, rank in zip(
        encoding.keys, solution.host.tolist(), solution.rank.tolist(), strict=True
    ):
        out[key] = (encoding.host_names[j] if j >= 0 else None, int(rank))
    return out


def outcome_status(rank: int) -> Status:
    """Return the `Status` of a rank code (a choice or pre-arranged host is `placed`)."""
    if rank == ADJUSTED:
        return Status.ADJUSTED
    if rank == UNPLACED:
        return Status.UNMATCHED
    if 1 <= rank <= MAX_CHOICES or rank == PREARRANGED:
        return Status.PLACED
    raise ValueError(f"unknown rank code {rank}")


def _fields(hosts: tuple[Host, ...], written: list[str | None]) -> tuple[str, ...]:
    seen = {name for host in hosts for name in host.fields}
    seen |= {field for field in set(written) if field}
    return FIELDS + tuple(sorted(seen - set(FIELDS)))


def _groups(round: Round, regions: tuple[str, ...]) -> tuple[tuple[str, Track], ...]:
    table = round.quotas.regions()
    extra = sorted(set(regions) - set(table))
    return tuple((region, track) for region in (*table, *extra) for track in TRACKS)


def _conflicts(
    judgement: Judgement,
    members: Sequence[Applicant],
    refused: Mapping[int, str],
    hosts: tuple[Host, ...],
    every_key: list[str],
) -> tuple[PrearrangedConflict, ...]:
    """The judgement's refused pre-arrangements and those `honour` found no room for."""
    conflicts = dict(judgement.conflicts)
    for i, what in refused.items():
        name = hosts[int(judgement.prearranged[i])].name
        key = members[i].key
        why = _FULL[what].format(name=name)
        conflicts[key] = PrearrangedConflict(
            key, members[i].prearranged or name, f"PREARRANGED_{what}", why
        )
    if not conflicts:
        return ()
    return tuple(conflicts[key] for key in every_key if key in conflicts)


_FULL = {
    "HOST_FULL": "预先接收单位“{name}”的接收名额已用完",
    "QUOTA_FULL": "所在地区该培养方式的名额已用完",
}
