"""The run's outcome table: one `Outcome` per applicant row of the round, in input order.

Contract: `outcome_table(round, encoding, solution, resolve)` reads the verified solution
back onto every row of the round: the instance rows by their rank codes (placed at a
choice, adjusted, pre-arranged, unmatched with the reason and remedy of
`matcher.engine.explain.reason_columns`), the rows left out with their judgement's
reasons, then the notes of a few rows (a pre-arrangement not honoured, a date read in the
applicant's favour). Every value is built with its declared type: the table's columns are
not validated again (a million validations cost seconds).

When every key names one applicant (the normal case), the columns are computed as arrays
from the rank codes; a round with a key twice (two files of one name) is read row by row,
each key's outcome that of its last instance row.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping
from itertools import repeat
from operator import setitem
from typing import Any

import numpy as np

from matcher.engine.encode import Encoding
from matcher.engine.explain import reason_columns
from matcher.engine.result import Outcomes
from matcher.engine.solve.base import ADJUSTED, PREARRANGED, UNPLACED, Instance, Solution
from matcher.memory import gc_paused
from matcher.model import Round, Status
from matcher.store import Column, column

#: The code of an eligible applicant's note that a date known only to the month was
#: read in their favour (`matcher.engine.rules.lenient_note`).
LENIENT_DATE = "DATE_LENIENT"
_OUTSIDE = "预先接收单位（不在所填志愿中）"
_AT_CHOICE = "预先接收单位"
_STATUSES = tuple(Status)
_Excluded = tuple[Status, str, str, str]
_Reason = tuple[str, str, str]
_Texts = list[str] | np.ndarray  # a text per row: a list, or an object array


def outcome_table(
    round_: Round,
    encoding: Encoding,
    solution: Solution,
    resolve: Callable[[Instance], Solution | None],
    *,
    rowwise: bool = False,
) -> Outcomes:
    """Every applicant row's `Outcome` (module docstring); `resolve` re-solves for remedies.

    `rowwise` builds the table row by row even when every key is distinct (the path of a
    round with a key twice; the two give equal tables).
    """
    with gc_paused():  # a million outcomes, no cycles: no full scans of the whole round
        return _table(round_, encoding, solution, resolve, rowwise)


class _Names(Mapping[str, str]):
    """Applicant key → name, the dict built on first use (reasons name a few people)."""

    def __init__(self, round_: Round) -> None:
        self.round = round_
        self._names: dict[str, str] | None = None

    def _table(self) -> dict[str, str]:
        if self._names is None:
            applicants = self.round.applicants
            self._names = dict(
                zip(column(applicants, "key"), column(applicants, "name"), strict=True)
            )
        return self._names

    def __getitem__(self, key: str) -> str:
        return self._table()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


def _table(
    round_: Round,
    encoding: Encoding,
    solution: Solution,
    resolve: Callable[[Instance], Solution | None],
    rowwise: bool,
) -> Outcomes:
    applicants = round_.applicants
    every_key: list[str] = column(applicants, "key")
    keys = encoding.keys
    policy = round_.policy
    # a table's distinct keys are its column's values: distinct when no code repeats
    codes = applicants.field("key").codes
    unique = not len(codes) or int(np.bincount(codes).max()) <= 1
    if unique:
        # The instance rows are the members, in input order: a reason names the person
        # of its instance row straight away (no table of a million names for the few).
        member_at: list[int] = encoding.member.tolist()
        names: dict[str, Any] = {"name_of_row": lambda row: applicants[member_at[row]].name}
    else:
        names = {"names": _Names(round_)}
    found = reason_columns(
        encoding, solution, adjustment=policy.adjustment, resolve=resolve, **names
    )
    if unique and not rowwise:
        columns = _by_arrays(encoding, solution, every_key, found)
    else:
        unplaced, *texts = found
        why = list(zip(*texts, strict=True))
        # The reason of each instance row (None when placed). With a key twice, a key's
        # row is its last instance row, whose reason is the one a key → reason dict keeps.
        reason_at: list[_Reason | None] = [None] * len(keys)
        deque(map(setitem, repeat(reason_at), unplaced, why), maxlen=0)
        del why, texts, found
        columns = _by_rows(encoding, solution, every_key, reason_at)
    return Outcomes.from_columns(columns, len(every_key))


def _by_arrays(
    encoding: Encoding,
    solution: Solution,
    every_key: list[str],
    reasons_of: tuple[list[int], list[str], list[str], list[str]],
) -> dict[str, Any]:
    """The columns of a round whose keys are distinct, from the rank codes as arrays.

    `reasons_of` holds the unplaced instance rows (ascending), then their reason codes,
    reasons and remedies (`matcher.engine.explain.reason_columns`).
    """
    n = len(every_key)
    member = encoding.member
    instance = encoding.instance
    rank = np.full(n, UNPLACED, dtype=np.int64)
    rank[member] = solution.rank
    host = np.full(n, -1, dtype=np.int64)
    host[member] = solution.host
    inside = np.zeros(n, dtype=bool)
    inside[member] = True
    positions: list[int] = (instance.order.astype(np.int64) + 1).tolist()  # 优先序, 1 first
    pre = np.zeros(n, dtype=bool)
    pre[member] = instance.prearranged >= 0
    unmatched = inside & (rank == UNPLACED)
    adjusted = inside & (rank == ADJUSTED)
    outside = inside & (rank == PREARRANGED)
    at_choice = inside & ~unmatched & ~adjusted & ~outside
    status = np.full(n, _STATUSES.index(Status.PLACED), dtype=np.int64)
    status[unmatched] = _STATUSES.index(Status.UNMATCHED)
    status[adjusted] = _STATUSES.index(Status.ADJUSTED)
    unplaced, *found = reasons_of
    rows = member[np.asarray(unplaced, dtype=np.int64)]
    codes_of, reasons, remedies = (np.full(n, "", dtype=object) for _ in range(3))
    for target, texts in zip((codes_of, reasons, remedies), found, strict=True):
        target[rows] = texts
    for m in np.flatnonzero(outside).tolist():
        codes_of[m], reasons[m] = "PREARRANGED", _OUTSIDE
    for m in np.flatnonzero(at_choice & pre).tolist():
        codes_of[m], reasons[m] = "PREARRANGED", _AT_CHOICE
    excluded_texts: dict[int, _Excluded] = {}
    for m in np.flatnonzero(~inside).tolist():
        state, codes_of[m], reasons[m], remedies[m] = _excluded(
            every_key[m], encoding, excluded_texts
        )
        status[m] = _STATUSES.index(state)
    _notes(encoding, every_key, inside, codes_of, reasons)
    names = encoding.host_names
    if len(set(names)) == len(names):
        hosts: Column | list[str | None] = Column.of_labels(
            np.where(host >= 0, host, len(names)), (*names, None)
        )
    else:  # two hosts of one name (a hand-built catalogue): the names as they are
        hosts = [names[j] if j >= 0 else None for j in host.tolist()]
    return {
        "key": Column.of_distinct(every_key),
        "status": Column.of_labels(status, _STATUSES),
        "host": hosts,
        "choice_rank": Column.of_labels(np.where(at_choice, rank, 0), (None, 1, 2, 3)),
        "reason_code": codes_of,
        "reason": reasons,
        "remedy": remedies,
        "draw": Column.of(encoding.draws),
        # the members' positions are distinct (`order` is a permutation)
        "priority_position": Column.of_distinct_at(positions, member, n),
    }


def _by_rows(
    encoding: Encoding,
    solution: Solution,
    every_key: list[str],
    reason_at: list[_Reason | None],
) -> dict[str, Any]:
    """The columns read row by row; a key's instance row is its last one (a key twice)."""
    keys = encoding.keys
    rows: list[int | None]
    if len(set(keys)) == len(keys):
        # The instance rows are the members in input order: walk both in step.
        rows = []
        j, m = 0, len(keys)
        for key in every_key:
            if j < m and key == keys[j]:
                rows.append(j)
                j += 1
            else:
                rows.append(None)
    else:  # a key twice (two files of one name): the last instance row of the key
        row_of = {key: i for i, key in enumerate(keys)}
        rows = [row_of.get(key) for key in every_key]
    ranks: list[int] = solution.rank.tolist()
    host_names = encoding.host_names
    hosts: list[str | None] = [host_names[j] if j >= 0 else None for j in solution.host.tolist()]
    prearranged: list[bool] = (encoding.instance.prearranged >= 0).tolist()
    drawn: list[int] = encoding.draws.tolist()
    position: list[int] = (encoding.instance.order + 1).tolist()  # 优先序, 1 first
    excluded_texts: dict[int, _Excluded] = {}
    statuses: list[Status] = []
    placed_at: list[str | None] = []
    choice_ranks: list[int | None] = []
    codes_of: list[str] = []
    reasons: list[str] = []
    remedies: list[str] = []
    positions: list[int | None] = []
    row: tuple[Status, str | None, int | None, str, str, str, int | None]
    for key, i in zip(every_key, rows, strict=True):
        if i is None:
            status, codes, text, remedy = _excluded(key, encoding, excluded_texts)
            row = (status, None, None, codes, text, remedy, None)
        else:
            rank, at = ranks[i], position[i]
            if rank == UNPLACED:
                code, reason, remedy = reason_at[i]  # type: ignore[misc]
                row = (Status.UNMATCHED, None, None, code, reason, remedy, at)
            elif rank == ADJUSTED:
                row = (Status.ADJUSTED, hosts[i], None, "", "", "", at)
            elif rank == PREARRANGED:
                row = (Status.PLACED, hosts[i], None, "PREARRANGED", _OUTSIDE, "", at)
            elif prearranged[i]:
                row = (Status.PLACED, hosts[i], rank, "PREARRANGED", _AT_CHOICE, "", at)
            else:
                row = (Status.PLACED, hosts[i], rank, "", "", "", at)
        statuses.append(row[0])
        placed_at.append(row[1])
        choice_ranks.append(row[2])
        codes_of.append(row[3])
        reasons.append(row[4])
        remedies.append(row[5])
        positions.append(row[6])
    _notes(encoding, every_key, np.array([i is not None for i in rows]), codes_of, reasons)
    return {
        "key": every_key,
        "status": statuses,
        "host": placed_at,
        "choice_rank": choice_ranks,
        "reason_code": codes_of,
        "reason": reasons,
        "remedy": remedies,
        "draw": drawn,
        "priority_position": positions,
    }


def _notes(
    encoding: Encoding,
    every_key: list[str],
    inside: np.ndarray,
    codes_of: _Texts,
    reasons: _Texts,
) -> None:
    """Add the notes of a few rows to their codes and reasons, in place.

    A pre-arrangement not honoured (on the instance rows, `inside`; an excluded row says
    why already), a date read in the applicant's favour.
    """
    conflicts = {c.key: c for c in encoding.prearranged_conflicts}
    if conflicts:
        for m in np.flatnonzero(inside).tolist():
            key = every_key[m]
            if key in conflicts and codes_of[m] != "PREARRANGED":
                note = f"预先接收单位未能安排：{conflicts[key].why}"
                codes_of[m] = codes_of[m] or "PREARRANGED_CONFLICT"
                reasons[m] = "；".join(x for x in (reasons[m], note) if x)
    for m, note in encoding.notes.items():  # judged eligible: the benefit of the doubt decided it
        codes_of[m] = codes_of[m] or LENIENT_DATE
        reasons[m] = "；".join(x for x in (reasons[m], note) if x)


def _excluded(key: str, encoding: Encoding, texts: dict[int, _Excluded]) -> _Excluded:
    """Status, codes, reason and remedy of an applicant left out of the instance."""
    excluded = encoding.excluded[key]
    # Applicants excluded for the same facts share one `Exclusion`: its texts are joined once.
    found = texts.get(id(excluded))
    if found is None:
        codes = "+".join(dict.fromkeys(r.code for r in excluded.reasons))
        text = "；".join(r.message for r in excluded.reasons)
        if excluded.status is Status.INVALID:
            remedy = "请选派地区更正数据后重新报送（见“数据问题”表）"
        else:
            remedy = "不符合本年度选拔条件，无法安排"
        found = texts[id(excluded)] = (excluded.status, codes, text, remedy)
    return found
