"""Random `Instance`s for solver tests and timings (not a test module).

`random_instance(n, seed)` draws a round shaped like the real one, scaled: 80 hosts
(half per track) whose popularity follows a Zipf-like law so popular hosts are
oversubscribed, 28 quota groups whose quotas bind, 17 fields, about half of the
applicants accepting adjustment, a third priority applicants, choice lists with gaps.
"""

from __future__ import annotations

import numpy as np

from matcher.engine.solve.base import Instance


def random_instance(
    n: int,
    seed: int = 0,
    *,
    n_hosts: int = 80,
    n_groups: int = 28,
    n_fields: int = 17,
    places: float = 0.3,
    quota: float = 0.35,
    prearranged: float = 0.0,
    gaps: float = 0.1,
) -> Instance:
    """A random instance with n applicants (see the module docstring)."""
    rng = np.random.default_rng(seed)
    host_track = (np.arange(n_hosts) >= n_hosts // 2).astype(np.int32)
    popularity = 1.0 / (1.0 + np.arange(n_hosts) % max(n_hosts // 2, 1)) ** 1.6
    rng.shuffle(popularity)
    total_places = max(int(places * n), n_hosts)
    host_cap = rng.multinomial(total_places, np.full(n_hosts, 1 / n_hosts)).astype(np.int32)
    host_cap[rng.random(n_hosts) < 0.05] = 0
    group_track = (np.arange(n_groups) % 2).astype(np.int32)
    group_weight = rng.uniform(0.3, 1.7, size=n_groups)
    group_cap = rng.multinomial(
        max(int(quota * n), n_groups), group_weight / group_weight.sum()
    ).astype(np.int32)
    group = rng.integers(0, n_groups, size=n).astype(np.int32)
    track = group_track[group]
    choices = np.full((n, 3), -1, dtype=np.int32)
    for t in (0, 1):
        members = np.flatnonzero(track == t)
        hosts = np.flatnonzero(host_track == t)
        if hosts.size == 0 or members.size == 0:
            continue
        p = popularity[hosts] / popularity[hosts].sum()
        choices[members] = hosts[rng.choice(hosts.size, size=(members.size, 3), p=p)]
    dup1 = choices[:, 1] == choices[:, 0]
    dup2 = (choices[:, 2] == choices[:, 0]) | (choices[:, 2] == choices[:, 1])
    choices[dup1, 1] = -1
    choices[dup2, 2] = -1
    choices[rng.random((n, 3)) < gaps] = -1
    field = rng.integers(0, n_fields, size=n).astype(np.int32)
    field[rng.random(n) < 0.05] = -1
    host_fields = np.zeros((n_hosts, n_fields), dtype=bool)
    for j in range(n_hosts):
        host_fields[j, rng.choice(n_fields, size=min(3, n_fields), replace=False)] = True
    priority = rng.random(n) < 0.3
    accepts = rng.random(n) < 0.5
    score = rng.random(n)
    order = np.empty(n, dtype=np.int32)
    order[np.lexsort((score, ~priority))] = np.arange(n, dtype=np.int32)
    pre = np.full(n, -1, dtype=np.int32)
    if prearranged > 0:
        room_h = host_cap.astype(np.int64).copy()
        room_g = group_cap.astype(np.int64).copy()
        for i in np.flatnonzero(rng.random(n) < prearranged):
            hosts = np.flatnonzero((host_track == track[i]) & (room_h > 0))
            if hosts.size == 0 or room_g[group[i]] == 0:
                continue
            j = int(hosts[rng.integers(hosts.size)]) if rng.random() < 0.5 else int(choices[i, 0])
            if j < 0 or room_h[j] == 0:
                continue
            pre[i] = j
            room_h[j] -= 1
            room_g[group[i]] -= 1
    return Instance(
        choices=choices,
        group=group,
        group_cap=group_cap,
        host_cap=host_cap,
        host_track=host_track,
        track=track.astype(np.int32),
        field=field,
        host_fields=host_fields,
        priority=priority,
        accepts=accepts,
        order=order,
        prearranged=pre,
    )
