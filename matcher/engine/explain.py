"""Why an applicant was not placed, and what would change it.

Contract: `reasons(encoding, solution, names=...)` gives, for every instance row left
unplaced, `(reason_code, reason_zh, remedy_zh)`; codes are QUOTA_FULL, CHOICES_FULL,
DECLINED_ADJUSTMENT, NO_FIELD_HOST, FIELD_UNKNOWN, NO_VALID_CHOICE (and OTHER when a
non-optimal mechanism left a place it could have used). A remedy is checked by re-solving
with one more place (cached per changed host or group, so at most hosts + groups solves)
when the instance is small and the caller gives `resolve`, the round's own verified solve
(`matcher.engine.pipeline.resolver`); otherwise the structural remedy is stated. `explain(...)`
is the structured account of one applicant and `render_explanation(...)` its terminal text.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import repeat
from operator import setitem

import numpy as np

from matcher.engine.encode import Encoding
from matcher.engine.lottery import draw_text, identity
from matcher.engine.solve.base import ADJUSTED, PREARRANGED, UNPLACED, Instance, Solution
from matcher.model import Round

__all__ = ["ChoiceInfo", "Explanation", "Resolve", "explain", "reasons", "render_explanation"]

#: The round's solve on a changed instance, verified: the answer, or None where the
#: mechanism gives none (`matcher.engine.pipeline.resolver` makes one from a policy).
Resolve = Callable[[Instance], Solution | None]

#: Re-solve to check a remedy only up to this many applicants.
RESOLVE_LIMIT = 3000


@dataclass(frozen=True)
class ChoiceInfo:
    """One ranked choice: host, its capacity and fill, the last admitted's position."""

    rank: int
    host: str
    capacity: int
    filled: int
    last_position: int | None  # 1-based priority position of the last admitted, if any


@dataclass(frozen=True)
class Explanation:
    """Everything about one applicant's outcome (instance rows only)."""

    key: str
    name: str
    status: str
    host: str | None
    rank: int
    position: int  # 1-based position in the priority order
    priority: bool
    accepts: bool
    field: str | None
    region: str
    track: str
    quota: int
    quota_used: int
    choices: tuple[ChoiceInfo, ...]
    reason_code: str = ""
    reason: str = ""
    remedy: str = ""


class _Context:
    """Fill counts and cached re-solves shared by every applicant of one solution."""

    def __init__(
        self,
        encoding: Encoding,
        solution: Solution,
        names: Mapping[str, str],
        adjustment: bool,
        resolve: Resolve | None,
    ) -> None:
        inst = encoding.instance
        self.enc, self.inst, self.sol = encoding, inst, solution
        self.names, self.adjustment, self.resolve = names, adjustment, resolve
        host = np.asarray(solution.host)
        placed = host >= 0
        self.host_used = np.bincount(host[placed], minlength=inst.n_hosts)
        self.group_used = np.bincount(inst.group[placed], minlength=len(inst.group_cap))
        movable = placed & (inst.prearranged < 0)
        self.last_at_host = np.full(inst.n_hosts, -1, dtype=np.int64)
        np.maximum.at(self.last_at_host, host[movable], inst.order[movable].astype(np.int64))
        self.last_in_group = np.full(len(inst.group_cap), -1, dtype=np.int64)
        np.maximum.at(self.last_in_group, inst.group[movable], inst.order[movable].astype(np.int64))
        self.by_order = np.full(inst.n, -1, dtype=np.int64)
        self.by_order[inst.order] = np.arange(inst.n)
        self._cache: dict[tuple[str, int], np.ndarray | None] = {}
        self.group_full: list[bool] = list((self.group_used >= inst.group_cap).tolist())
        self._group_head: dict[int, str] = {}
        self._group_maybe: dict[int, str] = {}
        self.row_name: Callable[[int], str] | None = None

    # Per-row facts as Python values, read once for all rows when a reason first needs
    # them (numpy scalar access per row costs more than the rest of a reason; a large
    # round's reasons mostly need none of them), and per-group texts built once.

    @functools.cached_property
    def group_of(self) -> list[int]:
        return self.inst.group.tolist()

    @functools.cached_property
    def has_choice(self) -> list[bool]:
        return np.any(self.inst.choices >= 0, axis=1).tolist()

    @functools.cached_property
    def accepts_of(self) -> list[bool]:
        return self.inst.accepts.astype(bool).tolist()

    @functools.cached_property
    def field_of(self) -> list[int]:
        return self.inst.field.tolist()

    @functools.cached_property
    def track_of(self) -> list[int]:
        return self.inst.track.tolist()

    @functools.cached_property
    def position(self) -> list[int]:
        return (self.inst.order.astype(np.int64) + 1).tolist()

    def quota_head(self, k: int) -> str:
        """The reason text of a full group `k` up to the applicant's own position."""
        head = self._group_head.get(k)
        if head is None:
            inst = self.inst
            last = int(self.last_in_group[k])
            who = ""
            if last >= 0:
                last_name = self.name_of(int(self.by_order[last]))
                who = f"，优先序最后的录取者为{last_name}（第{last + 1}位）"
            head = (
                f"{self.group_label(k)}名额（{int(inst.group_cap[k])}个）已用完："
                f"已录取{int(self.group_used[k])}人{who}；本人优先序第"
            )
            self._group_head[k] = head
        return head

    def quota_maybe(self, k: int) -> str:
        """The remedy "one more place in group k might do", one shared text per group."""
        text = self._group_maybe.get(k)
        if text is None:
            text = self._group_maybe[k] = f"若{self.group_label(k)}名额增加1个，可能录取"
        return text

    def name_of(self, row: int) -> str:
        key = self.enc.keys[row]
        if self.row_name is not None:
            return self.row_name(row) or key
        return self.names.get(key, "") or key

    def group_label(self, k: int) -> str:
        region, track = self.enc.groups[k]
        return f"{region}{getattr(track, 'value', track)}"

    def room(self, j: int) -> bool:
        return bool(self.host_used[j] < self.inst.host_cap[j])

    def adjustment_hosts(self, i: int) -> list[int]:
        """Hosts an adjustment could use for row i now: track, field, room, not a choice."""
        inst, f = self.inst, int(self.inst.field[i])
        if f < 0:
            return []
        ok = inst.host_fields[:, f] & (inst.host_track == inst.track[i])
        ok &= self.host_used < inst.host_cap
        chosen = inst.choices[i][inst.choices[i] >= 0]
        ok[chosen] = False
        return [int(j) for j in np.flatnonzero(ok)]

    def placed_if(self, i: int, what: str, index: int) -> bool | None:
        """Would row i be placed with one more place at host/group `index`? None: unknown."""
        resolve = self.resolve
        if resolve is None or self.inst.n > RESOLVE_LIMIT:
            return None
        key = (what, index)
        if key not in self._cache:
            self._cache[key] = _one_more(resolve, self.inst, what, index)
        rank = self._cache[key]
        return None if rank is None else bool(rank[i] != UNPLACED)


def _one_more(resolve: Resolve, inst: Instance, what: str, index: int) -> np.ndarray | None:
    """Ranks when host (or group) `index` has one more place; None without an answer."""
    if what == "host":
        cap = inst.host_cap.copy()
        cap[index] += 1
        changed = dataclasses.replace(inst, host_cap=cap)
    else:
        quota = inst.group_cap.copy()
        quota[index] += 1
        changed = dataclasses.replace(inst, group_cap=quota)
    answer = resolve(changed)  # verified; a rejected answer raises
    return None if answer is None else np.asarray(answer.rank)


def _choice_text(ctx: _Context, i: int) -> str:
    inst = ctx.inst
    parts = []
    for r in range(3):
        j = int(inst.choices[i, r])
        if j < 0:
            continue
        last = int(ctx.last_at_host[j])
        tail = f"，录取者优先序最后为第{last + 1}位" if last >= 0 else ""
        state = "已满" if not ctx.room(j) else "有余额"
        parts.append(
            f"志愿{r + 1}：{ctx.enc.host_names[j]}（名额{int(inst.host_cap[j])}，{state}{tail}）"
        )
    return "；".join(parts)


def _capacity_remedy(ctx: _Context, i: int) -> str:
    """Remedy by one more place at a full choice (checked by re-solving when cheap)."""
    inst = ctx.inst
    full = [
        (r, int(inst.choices[i, r]))
        for r in range(3)
        if inst.choices[i, r] >= 0 and not ctx.room(int(inst.choices[i, r]))
    ]
    for r, j in full:
        verdict = ctx.placed_if(i, "host", j)
        if verdict is None:
            return f"若{ctx.enc.host_names[j]}增加名额（其志愿{r + 1}），可能录取"
        if verdict:
            return f"若{ctx.enc.host_names[j]}增加1个名额即可录取（其志愿{r + 1}）"
    return "任一志愿单位单独增加1个名额仍不能录取"


def _adjust_remedy(ctx: _Context, i: int) -> str:
    hosts = ctx.adjustment_hosts(i)
    room_g = ctx.group_used[ctx.inst.group[i]] < ctx.inst.group_cap[ctx.inst.group[i]]
    if hosts and room_g and ctx.adjustment:
        names = "、".join(ctx.enc.host_names[j] for j in hosts[:3])
        return f"若本人接受调剂，可调剂至{names}（专业对口且有余额）"
    return ""


def _why(ctx: _Context, i: int) -> tuple[str, str, str]:
    inst = ctx.inst
    k = ctx.group_of[i]
    has_choice = ctx.has_choice[i]
    accepts = ctx.accepts_of[i] and ctx.adjustment
    field_known = ctx.field_of[i] >= 0
    group_full = ctx.group_full[k]
    track = "区外" if ctx.track_of[i] == 0 else "区内"
    if not has_choice and not accepts:
        remedy = _adjust_remedy(ctx, i) if not inst.accepts[i] else ""
        return (
            "NO_VALID_CHOICE",
            f"所填志愿均未对应{track}培养单位名录中的单位",
            remedy or "请核对志愿单位名称（须为本培养方式名录中的单位），或接受调剂",
        )
    if not has_choice and not field_known:
        return (
            "FIELD_UNKNOWN",
            "所填志愿均无效，且从事专业无法对应培养专业，无法调剂",
            "请补充或更正从事专业，以便按专业对口调剂",
        )
    if group_full:
        reason = f"{ctx.quota_head(k)}{ctx.position[i]}位"
        verdict = ctx.placed_if(i, "group", k)
        if verdict is None:
            remedy = ctx.quota_maybe(k)
        elif verdict:
            remedy = f"若{ctx.group_label(k)}名额增加1个即可录取"
        else:
            all_full = has_choice and not any(ctx.room(int(j)) for j in inst.choices[i] if j >= 0)
            remedy = f"{ctx.group_label(k)}名额增加1个仍不能录取" + (
                "（其志愿单位也已满）" if all_full else ""
            )
        return "QUOTA_FULL", reason, remedy
    if has_choice and any(ctx.room(int(j)) for j in inst.choices[i] if j >= 0):
        return (
            "OTHER",
            f"按所选分配机制未被录取：{_choice_text(ctx, i)}",
            "可改用默认的最优分配机制（optimal）",
        )
    full = (
        f"所填志愿均已满：{_choice_text(ctx, i)}；本人优先序第{int(inst.order[i]) + 1}位"
        if has_choice
        else "所填志愿均无效"
    )
    if not ctx.adjustment:
        return "CHOICES_FULL", full + "；本轮不进行调剂", _capacity_remedy(ctx, i)
    if not inst.accepts[i]:
        remedy = _adjust_remedy(ctx, i) or _capacity_remedy(ctx, i)
        return "DECLINED_ADJUSTMENT", full + "；本人不接受调剂", remedy
    if not field_known:
        return (
            "FIELD_UNKNOWN",
            full + "；从事专业无法对应培养专业，无法调剂",
            "请补充或更正从事专业以便调剂；或" + _capacity_remedy(ctx, i),
        )
    field = ctx.enc.fields[int(inst.field[i])]
    reason = f"{full}；接受调剂，但{track}培养单位中培养“{field}”专业的均无余额"
    remedy = _capacity_remedy(ctx, i) if has_choice else ""
    return (
        "NO_FIELD_HOST",
        reason,
        remedy or f"若有{track}培养单位增加“{field}”专业的名额，可调剂录取",
    )


def reasons(
    encoding: Encoding,
    solution: Solution,
    *,
    names: Mapping[str, str] | None = None,
    adjustment: bool = True,
    resolve: Resolve | None = None,
) -> dict[str, tuple[str, str, str]]:
    """Reason code, reason and remedy (Chinese) for every unplaced instance row.

    Parameters
    ----------
    encoding, solution
        The round's arrays and the (verified) answer.
    names
        Applicant key → name, to name the lowest-priority person placed in a full group.
    adjustment
        Whether the round was solved with adjustment (调剂).
    resolve
        The round's verified solve of a changed instance (`matcher.engine.pipeline.resolver`):
        with it, a remedy of a small round is checked by re-solving; without it, the
        structural remedy is stated.
    """
    rows, *why = reason_columns(
        encoding, solution, names=names, adjustment=adjustment, resolve=resolve
    )
    keys = encoding.keys
    return dict(zip(map(keys.__getitem__, rows), zip(*why, strict=True), strict=True))


def reason_columns(
    encoding: Encoding,
    solution: Solution,
    *,
    names: Mapping[str, str] | None = None,
    name_of_row: Callable[[int], str] | None = None,
    adjustment: bool = True,
    resolve: Resolve | None = None,
) -> tuple[list[int], list[str], list[str], list[str]]:
    """`reasons` by instance row, as columns: unplaced rows, reason codes, reasons, remedies.

    The rows are ascending, and the three text columns hold one entry per row.

    `name_of_row(i)`, when given, is the name of instance row i (instead of the name of
    its key in `names`): a caller that knows the rows names the few people it needs
    without a table of every key.
    """
    ctx = _Context(encoding, solution, names or {}, adjustment, resolve)
    if name_of_row is not None:
        ctx.row_name = name_of_row
    unplaced = np.flatnonzero(np.asarray(solution.rank) == UNPLACED)
    rows: list[int] = unplaced.tolist()
    inst = encoding.instance
    if inst.n <= RESOLVE_LIMIT:
        return rows, *_columns([_why(ctx, i) for i in rows])
    # The common case of a large round, as `_why` words it: a row with a valid choice in
    # a full group is QUOTA_FULL, and its remedy (no re-solve at this size) is the group's
    # one text. These texts are formatted in C-level passes (the rows of a large round
    # are mostly such); every other row goes through `_why`.
    quota = (
        np.any(inst.choices[unplaced] >= 0, axis=1)
        & np.asarray(ctx.group_full, dtype=bool)[inst.group[unplaced]]
    )
    fast = unplaced[quota]
    groups: list[int] = inst.group[fast].tolist()
    heads = {k: ctx.quota_head(k) for k in dict.fromkeys(groups)}
    maybes = {k: ctx.quota_maybe(k) for k in heads}
    texts = list(
        map(
            "{}{}位".format,
            map(heads.__getitem__, groups),
            (inst.order[fast].astype(np.int64) + 1).tolist(),
        )
    )
    remedies = list(map(maybes.__getitem__, groups))
    if len(texts) == len(rows):
        return rows, ["QUOTA_FULL"] * len(rows), texts, remedies
    columns = _columns([_NONE] * len(rows))
    at = np.flatnonzero(quota).tolist()
    for target, found in zip(columns, (repeat("QUOTA_FULL"), texts, remedies), strict=True):
        deque(map(setitem, repeat(target), at, found), maxlen=0)
    for n in np.flatnonzero(~quota).tolist():
        columns[0][n], columns[1][n], columns[2][n] = _why(ctx, rows[n])
    return rows, *columns


def _columns(why: list[tuple[str, str, str]]) -> tuple[list[str], list[str], list[str]]:
    """Reasons (code, text, remedy) as three lists."""
    return [w[0] for w in why], [w[1] for w in why], [w[2] for w in why]


_NONE = ("", "", "")


def explain(
    encoding: Encoding,
    solution: Solution,
    key: str,
    *,
    names: Mapping[str, str] | None = None,
    adjustment: bool = True,
    resolve: Resolve | None = None,
) -> Explanation | None:
    """Describe instance row `key` in full (None when it is not in the instance).

    `adjustment` and `resolve` as for `reasons`.
    """
    if key not in encoding.keys:
        return None
    i = encoding.keys.index(key)
    ctx = _Context(encoding, solution, names or {}, adjustment, resolve)
    inst = encoding.instance
    rank = int(solution.rank[i])
    host = int(solution.host[i])
    choices = tuple(
        ChoiceInfo(
            r + 1,
            encoding.host_names[j],
            int(inst.host_cap[j]),
            int(ctx.host_used[j]),
            int(ctx.last_at_host[j]) + 1 if ctx.last_at_host[j] >= 0 else None,
        )
        for r in range(3)
        if (j := int(inst.choices[i, r])) >= 0
    )
    k = int(inst.group[i])
    region, track = encoding.groups[k]
    status = {UNPLACED: "unmatched", ADJUSTED: "adjusted"}.get(rank, "placed")
    code, why, remedy = _why(ctx, i) if rank == UNPLACED else ("", "", "")
    if rank == PREARRANGED:
        code, why = "PREARRANGED", "预先接收单位（不在所填志愿中）"
    field = int(inst.field[i])
    return Explanation(
        key=key,
        name=ctx.name_of(i),
        status=status,
        host=encoding.host_names[host] if host >= 0 else None,
        rank=rank,
        position=int(inst.order[i]) + 1,
        priority=bool(inst.priority[i]),
        accepts=bool(inst.accepts[i]),
        field=encoding.fields[field] if field >= 0 else None,
        region=region,
        track=str(getattr(track, "value", track)),
        quota=int(inst.group_cap[k]),
        quota_used=int(ctx.group_used[k]),
        choices=choices,
        reason_code=code,
        reason=why,
        remedy=remedy,
    )


_STATUS_ZH = {
    "placed": "已录取",
    "adjusted": "调剂录取",
    "unmatched": "未录取",
    "ineligible": "不符合条件",
    "invalid": "数据有误",
}


def _draw_line(round_: Round, encoding: Encoding, key: str) -> str:
    """The applicant's lottery draw and how anyone can recompute it (`matcher.engine.lottery`)."""
    at = next((i for i, a in enumerate(round_.applicants) if a.key == key), None)
    if at is None or at >= len(encoding.draws):
        return "  抽签：无"
    applicant = round_.applicants[at]
    who = identity(applicant)
    basis = "身份证号" if who == applicant.id_number else "文件名:行号"
    return (
        f"  抽签：签号 {draw_text(int(encoding.draws[at]))}（种子 {round_.policy.seed}，"
        f"按{basis}计算；同为优先、同分时签号小者在前）"
    )


def render_explanation(
    round_: Round,
    encoding: Encoding,
    solution: Solution,
    key: str,
    *,
    names: Mapping[str, str] | None = None,
    resolve: Resolve | None = None,
) -> str:
    """Plain text for the terminal about one applicant (any input row of the round).

    The round's policy says whether adjustment ran; `resolve` as for `reasons`.
    """
    who = (names or {}).get(key) or key
    if key in encoding.excluded:
        ex = encoding.excluded[key]
        lines = [f"{who}（{key}）：{_STATUS_ZH.get(ex.status.value, ex.status.value)}"]
        lines += [f"  - {r.message}（{r.code}）" for r in ex.reasons]
        return "\n".join(lines)
    e = explain(
        encoding,
        solution,
        key,
        names=names,
        adjustment=round_.policy.adjustment,
        resolve=resolve,
    )
    if e is None:
        return f"{key}：本轮无此申请人"
    head = f"{e.name}（{e.key}）：{_STATUS_ZH[e.status]}"
    if e.host:
        head += f"，{e.host}" + (f"（志愿{e.rank}）" if 1 <= e.rank <= 3 else "")
    lines = [
        head,
        f"  地区/方式：{e.region}{e.track}，名额{e.quota}，已用{e.quota_used}",
        f"  优先序：第{e.position}位{'（基层/非公优先）' if e.priority else ''}；"
        f"接受调剂：{'是' if e.accepts else '否'}；专业：{e.field or '未知'}",
    ]
    lines.append(_draw_line(round_, encoding, key))
    for c in e.choices:
        last = f"，录取者优先序最后为第{c.last_position}位" if c.last_position else ""
        lines.append(f"  志愿{c.rank}：{c.host}（名额{c.capacity}，已录{c.filled}{last}）")
    if not e.choices:
        lines.append("  志愿：无有效志愿")
    if e.reason:
        lines.append(f"  原因：{e.reason}" + (f"（{e.reason_code}）" if e.reason_code else ""))
    if e.remedy:
        lines.append(f"  如何改变：{e.remedy}")
    return "\n".join(lines)
