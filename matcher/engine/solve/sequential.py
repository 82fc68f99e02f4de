"""Sequential placement primitives shared by `stable` and `immediate`.

Contract: applicants are processed strictly one after another in the given sequence;
each takes the first option (column) whose host has room while their quota group has
room; rooms only ever decrease. The work is vectorised over chunks: everything between
two "fill events" (a host or a group reaching zero) is decided at once, so the loop runs
about n / chunk + hosts + groups times, never once per applicant. Where fill events come
close together (many small hosts), the chunks shrink to about twice the stretch the last
one decided, so a chunk is not sorted whole to decide a few of its applicants; any chunk
size gives the same placements.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from matcher.engine.solve.base import ADJUSTED, Instance, Solution, SolveStatus
from matcher.engine.solve.network import (
    I64,
    choice_matrix,
    prearranged_ranks,
    remaining_capacity,
    stage_values,
)

CHUNK = 16384
#: The smallest chunk `first_open` shrinks to after a fill event.
MIN_CHUNK = 256


@dataclass
class State:
    """Mutable placement state: host and rank code per applicant, rooms left."""

    host: I64
    rank: I64
    room_h: I64
    room_g: I64


def start(instance: Instance) -> State:
    """State with the pre-arranged applicants fixed (raises `OvercommittedError`)."""
    room_h, room_g = remaining_capacity(instance)
    pre = instance.prearranged >= 0
    host = np.where(pre, instance.prearranged, -1).astype(np.int64)
    return State(host, prearranged_ranks(instance), room_h, room_g)


def occurrence(values: I64) -> I64:
    """For each position, how many earlier positions hold the same value."""
    k = values.shape[0]
    by_value = np.argsort(values, kind="stable")
    sorted_values = values[by_value]
    is_start = np.ones(k, dtype=bool)
    is_start[1:] = sorted_values[1:] != sorted_values[:-1]
    positions = np.arange(k)
    first = np.maximum.accumulate(np.where(is_start, positions, 0))
    occ = np.empty(k, dtype=np.int64)
    occ[by_value] = positions - first
    return occ


def first_open(
    sequence: npt.NDArray[np.integer],
    options: npt.NDArray[np.integer],
    group: npt.NDArray[np.integer],
    room_h: I64,
    room_g: I64,
) -> tuple[I64, I64]:
    """Place `sequence` in order, each at their first option with room (rooms updated).

    `options[i]` lists host indices (-1 for none) per applicant. Returns the placed
    applicants and the column of the option each took.
    """
    placed: list[I64] = []
    columns: list[I64] = []
    seq = np.asarray(sequence, dtype=np.int64)
    pos = 0
    size = CHUNK
    while pos < seq.shape[0] and room_h.max(initial=0) > 0 and room_g.max(initial=0) > 0:
        ids = seq[pos : pos + size]
        opt = options[ids].astype(np.int64)
        is_open = (opt >= 0) & (room_h[np.maximum(opt, 0)] > 0)
        col = is_open.argmax(axis=1)
        ok = np.flatnonzero(is_open.any(axis=1) & (room_g[group[ids]] > 0))
        target = opt[ok, col[ok]]
        grp = group[ids[ok]].astype(np.int64)
        bad = (occurrence(target) >= room_h[target]) | (occurrence(grp) >= room_g[grp])
        if bad.any():
            stop = int(bad.argmax())  # everyone before `stop` is unaffected by the fill
            nxt = pos + int(ok[stop])
        else:
            stop = ok.shape[0]
            nxt = pos + ids.shape[0]
        take = ok[:stop]
        room_h -= np.bincount(target[:stop], minlength=room_h.shape[0])
        room_g -= np.bincount(grp[:stop], minlength=room_g.shape[0])
        placed.append(ids[take])
        columns.append(col[take].astype(np.int64))
        # the next chunk: twice the stretch decided (a fill event soon again), at most CHUNK
        size = min(CHUNK, max(MIN_CHUNK, 2 * (nxt - pos)))
        pos = nxt
    if not placed:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(placed), np.concatenate(columns)


def adjust_pass(instance: Instance, state: State) -> None:
    """Adjust (调剂) the unplaced applicants who accept it, in priority order.

    Each goes to the host of their track that trains their field, is not among their
    choices and has room (their group's quota permitting): the one with the most places
    left, ties by lowest index. Applicants without a known field are not adjusted.
    """
    in_order = by_order(instance)
    unplaced = (state.host < 0) & instance.accepts & (instance.field >= 0)
    seq = in_order[unplaced[in_order]]
    if seq.shape[0] == 0 or instance.host_fields.size == 0:
        return
    fits = instance.host_fields  # h × f
    host_track = instance.host_track.astype(np.int64)
    track = instance.track.astype(np.int64)
    field = instance.field.astype(np.int64)
    group = instance.group.astype(np.int64)
    choices = choice_matrix(instance).astype(np.int64)
    hosts_of: dict[tuple[int, int], list[int]] = {}
    pos = 0
    while pos < seq.shape[0] and state.room_h.max(initial=0) > 0:
        ids = seq[pos : pos + CHUNK]
        pos += ids.shape[0]
        has_room = state.room_h > 0
        open_pairs = np.stack(
            [(fits & (has_room & (host_track == t))[:, None]).sum(axis=0) for t in (0, 1)]
        )  # 2 × f: hosts with room per (track, field)
        avail = open_pairs[track[ids], field[ids]]
        ch = choices[ids]
        safe = np.maximum(ch, 0)
        blocked = (
            (ch >= 0)
            & has_room[safe]
            & fits[safe, field[ids][:, None]]
            & (host_track[safe] == track[ids][:, None])
        )
        # choices hold no repeats (Instance contract), so each blocked host counts once
        feasible = (avail - blocked.sum(axis=1) > 0) & (state.room_g[group[ids]] > 0)
        cand = ids[feasible]
        if cand.shape[0] == 0:
            continue
        room_h, room_g = state.room_h.tolist(), state.room_g.tolist()
        placed: list[int] = []
        places: list[int] = []
        for i, t, f, g, mine in zip(
            cand.tolist(),
            track[cand].tolist(),
            field[cand].tolist(),
            group[cand].tolist(),
            choices[cand].tolist(),
            strict=True,
        ):
            if room_g[g] <= 0:
                continue
            hosts = hosts_of.get((t, f))
            if hosts is None:
                hosts = np.flatnonzero(fits[:, f] & (host_track == t)).tolist()
                hosts_of[(t, f)] = hosts
            best, best_room = -1, 0
            for j in hosts:
                if room_h[j] > best_room and j not in mine:
                    best, best_room = j, room_h[j]
            if best < 0:
                continue
            placed.append(i)
            places.append(best)
            room_h[best] -= 1
            room_g[g] -= 1
        state.room_h[:] = room_h
        state.room_g[:] = room_g
        state.host[placed] = places
        state.rank[placed] = ADJUSTED


def assign(state: State, who: I64, host: I64, rank: I64) -> None:
    """Record placements `who` → `host` at rank codes `rank`."""
    state.host[who] = host
    state.rank[who] = rank


def free_in_order(instance: Instance) -> I64:
    """Applicants without a pre-arrangement, in priority order."""
    in_order = by_order(instance)
    return in_order[instance.prearranged[in_order] < 0]


def by_order(instance: Instance) -> I64:
    """All applicant indices in priority order (`order` is a permutation: O(n))."""
    in_order = np.empty(instance.n, dtype=np.int64)
    in_order[instance.order] = np.arange(instance.n, dtype=np.int64)
    return in_order


def finish(instance: Instance, state: State, adjustment: bool, method: str) -> Solution:
    """Run the adjustment pass (when asked) and package the state as a `feasible` Solution."""
    if adjustment:
        adjust_pass(instance, state)
    return Solution(
        status=SolveStatus.FEASIBLE,
        host=state.host.astype(np.int32),
        rank=state.rank.astype(np.int32),
        objective=stage_values(instance, state.rank),
        proof={"method": method},
    )
