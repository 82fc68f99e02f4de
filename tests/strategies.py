"""Shared generators of placement instances: hypothesis strategies built in layers
(hosts → groups → applicants → Instance) and a numpy generator for large random instances.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from matcher.engine.solve.base import Instance

N_FIELDS = 4

#: The `ci` profile: modest example counts, no deadline (solvers vary in time).
settings.register_profile(
    "ci", max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
CI = settings.get_profile("ci")


@dataclass(frozen=True)
class HostSpec:
    track: int
    cap: int
    fields: tuple[bool, ...]


@dataclass(frozen=True)
class GroupSpec:
    track: int
    cap: int


@dataclass(frozen=True)
class ApplicantSpec:
    group: int
    choices: tuple[int, ...]
    field: int
    priority: bool
    accepts: bool
    score: int
    prearranged: int  # host index or -1 (dropped when it would not fit)


@st.composite
def hosts(draw: st.DrawFn, max_hosts: int = 3, max_cap: int = 2) -> list[HostSpec]:
    n = draw(st.integers(1, max_hosts))
    out = []
    for _ in range(n):
        fields = tuple(draw(st.lists(st.booleans(), min_size=N_FIELDS, max_size=N_FIELDS)))
        out.append(HostSpec(draw(st.integers(0, 1)), draw(st.integers(0, max_cap)), fields))
    return out


@st.composite
def groups(draw: st.DrawFn, max_groups: int = 2, max_cap: int = 3) -> list[GroupSpec]:
    n = draw(st.integers(1, max_groups))
    return [GroupSpec(draw(st.integers(0, 1)), draw(st.integers(0, max_cap))) for _ in range(n)]


@st.composite
def applicants(
    draw: st.DrawFn, host_specs: list[HostSpec], group_specs: list[GroupSpec], max_n: int = 6
) -> list[ApplicantSpec]:
    n = draw(st.integers(0, max_n))
    out = []
    for _ in range(n):
        g = draw(st.integers(0, len(group_specs) - 1))
        track = group_specs[g].track
        own = [j for j, h in enumerate(host_specs) if h.track == track]
        choices: tuple[int, ...] = ()
        if own:
            choices = tuple(draw(st.lists(st.sampled_from(own), max_size=3, unique=True)))
        pre = -1
        if own and draw(st.integers(0, 4)) == 0:
            pre = draw(st.sampled_from(own))
        out.append(
            ApplicantSpec(
                group=g,
                choices=choices,
                field=draw(st.integers(-1, N_FIELDS - 1)),
                priority=draw(st.booleans()),
                accepts=draw(st.booleans()),
                score=draw(st.integers(0, 3)),
                prearranged=pre,
            )
        )
    return out


def build_instance(
    host_specs: list[HostSpec],
    group_specs: list[GroupSpec],
    apps: list[ApplicantSpec],
    lottery: list[int] | None = None,
) -> Instance:
    """Assemble arrays; drop pre-arrangements that do not fit capacity and quota."""
    n = len(apps)
    host_left = [h.cap for h in host_specs]
    group_left = [g.cap for g in group_specs]
    pre = []
    for a in apps:
        j = a.prearranged
        if j >= 0 and host_left[j] > 0 and group_left[a.group] > 0:
            host_left[j] -= 1
            group_left[a.group] -= 1
            pre.append(j)
        else:
            pre.append(-1)
    lot = lottery if lottery is not None else list(range(n))
    ranking = sorted(range(n), key=lambda i: (not apps[i].priority, -apps[i].score, lot[i]))
    order = np.empty(n, dtype=np.int32)
    order[ranking] = np.arange(n, dtype=np.int32)
    choices = np.full((n, 3), -1, dtype=np.int32)
    for i, a in enumerate(apps):
        choices[i, : len(a.choices)] = a.choices
    return Instance(
        choices=choices,
        group=np.array([a.group for a in apps], dtype=np.int32),
        group_cap=np.array([g.cap for g in group_specs], dtype=np.int32),
        host_cap=np.array([h.cap for h in host_specs], dtype=np.int32),
        host_track=np.array([h.track for h in host_specs], dtype=np.int32),
        track=np.array([group_specs[a.group].track for a in apps], dtype=np.int32),
        field=np.array([a.field for a in apps], dtype=np.int32),
        host_fields=np.array([h.fields for h in host_specs], dtype=bool).reshape(
            len(host_specs), N_FIELDS
        ),
        priority=np.array([a.priority for a in apps], dtype=bool),
        accepts=np.array([a.accepts for a in apps], dtype=bool),
        order=order,
        prearranged=np.array(pre, dtype=np.int32),
    )


@st.composite
def instances(
    draw: st.DrawFn,
    max_applicants: int = 6,
    max_hosts: int = 3,
    max_groups: int = 2,
    max_host_cap: int = 2,
    max_group_cap: int = 3,
) -> Instance:
    """A small instance: hosts, then groups, then applicants, then the arrays."""
    hs = draw(hosts(max_hosts, max_host_cap))
    gs = draw(groups(max_groups, max_group_cap))
    apps = draw(applicants(hs, gs, max_applicants))
    lottery = draw(st.permutations(list(range(len(apps)))))
    return build_instance(hs, gs, apps, list(lottery))


def random_instance(
    seed: int,
    n: int,
    n_hosts: int = 40,
    n_groups: int = 26,
    n_fields: int = 17,
    scarcity: float = 0.6,
    quota_ratio: float = 1.3,
) -> Instance:
    """A large random instance (numpy only); capacity ≈ scarcity × n, quotas × quota_ratio."""
    rng = np.random.default_rng(seed)
    host_track = rng.integers(0, 2, n_hosts).astype(np.int32)
    host_track[:2] = (0, 1)
    host_cap = rng.multinomial(max(1, int(scarcity * n)), np.full(n_hosts, 1 / n_hosts))
    host_fields = rng.random((n_hosts, n_fields)) < 0.3
    group_track = (np.arange(n_groups) % 2).astype(np.int32)
    places = max(1, int(quota_ratio * scarcity * n))
    group_cap = rng.multinomial(places, np.full(n_groups, 1 / n_groups))
    group = rng.integers(0, n_groups, n).astype(np.int32)
    track = group_track[group]
    choices = np.full((n, 3), -1, dtype=np.int32)
    popularity = rng.pareto(1.0, n_hosts) + 0.05
    for t in (0, 1):
        own = np.flatnonzero(host_track == t)
        rows = np.flatnonzero(track == t)
        k = min(3, own.size)
        # three distinct hosts per row, popular hosts more often (exponential race)
        keys = -np.log(rng.random((rows.size, own.size))) / popularity[own]
        pick = np.argsort(keys, axis=1)[:, :k]
        choices[rows, :k] = own[pick]
    n_choices = rng.integers(0, 4, n)
    choices[np.arange(3)[None, :] >= n_choices[:, None]] = -1
    field = rng.integers(-1, n_fields, n).astype(np.int32)
    priority = rng.random(n) < 0.3
    accepts = rng.random(n) < 0.5
    score = rng.integers(0, 100, n)
    lottery = rng.permutation(n)
    ranking = np.lexsort((lottery, -score, ~priority))
    order = np.empty(n, dtype=np.int32)
    order[ranking] = np.arange(n, dtype=np.int32)
    pre = np.full(n, -1, dtype=np.int32)
    cand = np.flatnonzero((rng.random(n) < 0.02) & (choices[:, 0] >= 0))
    host_left = host_cap.astype(np.int64).copy()
    group_left = group_cap.astype(np.int64).copy()
    for i in cand[:2000]:
        own = np.flatnonzero(host_track == track[i])
        j = choices[i, 0] if rng.random() < 0.5 else rng.choice(own)
        if host_left[j] > 0 and group_left[group[i]] > 0:
            host_left[j] -= 1
            group_left[group[i]] -= 1
            pre[i] = j
    return Instance(
        choices=choices,
        group=group,
        group_cap=group_cap.astype(np.int32),
        host_cap=host_cap.astype(np.int32),
        host_track=host_track,
        track=track.astype(np.int32),
        field=field,
        host_fields=host_fields,
        priority=priority,
        accepts=accepts,
        order=order,
        prearranged=pre,
    )


def greedy_solution(instance: Instance, adjustment: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Serial dictatorship in priority order, then adjustment: a non-wasteful reference.

    Returns (host, rank) arrays; used to exercise the verifier without any mechanism.
    """
    from matcher.engine.solve.base import ADJUSTED, PREARRANGED

    n = instance.n
    host = np.full(n, -1, dtype=np.int32)
    rank = np.full(n, -1, dtype=np.int32)
    host_left = instance.host_cap.astype(np.int64).copy()
    group_left = instance.group_cap.astype(np.int64).copy()
    choices = instance.choices
    for i in np.flatnonzero(instance.prearranged >= 0):
        j = int(instance.prearranged[i])
        host[i] = j
        hit = np.flatnonzero(choices[i] == j)
        rank[i] = hit[0] + 1 if hit.size else PREARRANGED
        host_left[j] -= 1
        group_left[instance.group[i]] -= 1
    by_order = np.argsort(instance.order)
    for i in by_order:
        if host[i] >= 0 or group_left[instance.group[i]] <= 0:
            continue
        for r in range(3):
            j = int(choices[i, r])
            if j >= 0 and host_left[j] > 0:
                host[i], rank[i] = j, r + 1
                host_left[j] -= 1
                group_left[instance.group[i]] -= 1
                break
    if adjustment:
        for i in by_order:
            f = int(instance.field[i])
            if host[i] >= 0 or not instance.accepts[i] or f < 0:
                continue
            if group_left[instance.group[i]] <= 0:
                continue
            ok = (
                instance.host_fields[:, f]
                & (instance.host_track == instance.track[i])
                & (host_left > 0)
            )
            ok[choices[i][choices[i] >= 0]] = False
            cand = np.flatnonzero(ok)
            if cand.size:
                j = int(cand[0])
                host[i], rank[i] = j, ADJUSTED
                host_left[j] -= 1
                group_left[instance.group[i]] -= 1
    return host, rank


# --- Run results (the report layer): rows → RunResult, for properties of the outputs ---

REGION_NAMES = ("呼和浩特市", "兴安盟", "锡林郭勒盟", "区直")
HOST_NAMES = {0: ("北京大学", "中国农业大学", "清华大学"), 1: ("内蒙古大学", "内蒙古农业大学")}
_STATUSES = ("placed", "adjusted", "unmatched", "ineligible", "invalid")


@dataclass(frozen=True)
class RowSpec:
    track: int  # 0 区外, 1 区内
    region: int
    status: str
    host: int


@st.composite
def result_rows(draw: st.DrawFn, max_rows: int = 30) -> list[RowSpec]:
    """Applicant rows of a run: track, region, status and (when placed) host."""
    return draw(
        st.lists(
            st.builds(
                RowSpec,
                track=st.integers(0, 1),
                region=st.integers(0, len(REGION_NAMES) - 1),
                status=st.sampled_from(_STATUSES),
                host=st.integers(0, 2),
            ),
            max_size=max_rows,
        )
    )


def build_result(rows: list[RowSpec]):  # type: ignore[no-untyped-def]
    """A `RunResult` with one applicant per row (the hosts of each track in a catalogue)."""
    from matcher.engine.result import Outcome, RunResult, SolverReport
    from matcher.model import (
        Applicant,
        Host,
        HostCatalogue,
        QuotaTable,
        Round,
        Status,
        Track,
    )

    tracks = (Track.OUT, Track.IN)
    hosts = tuple(
        Host(name=name, track=tracks[t], capacity=99)
        for t, names in HOST_NAMES.items()
        for name in names
    )
    applicants, outcomes = [], []
    for i, row in enumerate(rows):
        key = f"f.csv:{i + 2}"
        applicants.append(
            Applicant(
                key=key,
                source_file="f.csv",
                source_row=i + 2,
                name=f"学员{i}",
                id_number=f"1501021985030{i:05d}",
                region=REGION_NAMES[row.region],
                sending_unit=REGION_NAMES[row.region],
                track=tracks[row.track],
            )
        )
        status = Status(row.status)
        names = HOST_NAMES[row.track]
        placed = status in (Status.PLACED, Status.ADJUSTED)
        outcomes.append(
            Outcome(
                key=key,
                status=status,
                host=names[row.host % len(names)] if placed else None,
                choice_rank=1 if status is Status.PLACED else None,
            )
        )
    round_ = Round(
        applicants=tuple(applicants),
        catalogue=HostCatalogue(hosts=hosts),
        quotas=QuotaTable(quotas=()),
    )
    return RunResult(
        round=round_,
        outcomes=tuple(outcomes),
        solver=SolverReport(mechanism="optimal", status="optimal"),
    )
