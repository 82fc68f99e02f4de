"""Solve a checked round end to end: judge, encode, solve, verify, explain, assemble outcomes.

`solve_verified(instance, mechanism, ...)` is the one solve path of the library: it runs a
registered mechanism and checks its answer with the independent verifier (constraints,
objective, and the optimality certificate where there is one). Every answer the library
uses goes through it: the run's own (`solve_round`, `solve_encoded`), the comparison
figures, the re-solves behind a reason's remedy (`resolver`), scenarios, the advisor.
A mechanism without an answer raises `NoSolutionError`, a rejected answer
`RejectedSolutionError` (both `PipelineError`); nothing rejected is returned.
"""

from __future__ import annotations

import platform
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from itertools import repeat
from operator import attrgetter, setitem
from typing import Any, NamedTuple

from matcher import __version__
from matcher.engine.encode import Encoding, encode
from matcher.engine.explain import reasons_by_row, render_explanation
from matcher.engine.judge import judge
from matcher.engine.result import Outcome, RunResult, SolverReport, outcome_row, trusted_outcomes
from matcher.engine.solve import UnsupportedInstanceError, solve
from matcher.engine.solve.base import (
    ADJUSTED,
    PREARRANGED,
    UNPLACED,
    Instance,
    Solution,
    SolveStatus,
)
from matcher.engine.verify import Verification, count_justified_envy, verify
from matcher.memory import gc_paused
from matcher.model import STAGES, Mechanism, Policy, Round, Severity, Status


class PipelineError(Exception):
    """The round could not be solved, or the verifier rejected the solution."""


class NoSolutionError(PipelineError):
    """The mechanism gave no answer: it does not support the instance, or it failed."""


class RejectedSolutionError(PipelineError):
    """The independent verifier rejected a mechanism's answer; `verification` says why."""

    def __init__(self, mechanism: str, verification: Verification) -> None:
        self.mechanism = mechanism
        self.verification = verification
        super().__init__(
            f"独立核验未通过（匹配机制 {mechanism}）：" + "；".join(verification.failures)
        )


class Verified(NamedTuple):
    """A mechanism's answer and the verifier's report on it (`ok` by construction)."""

    solution: Solution
    verification: Verification


def solve_verified(
    instance: Instance,
    mechanism: str,
    *,
    adjustment: bool = True,
    objective: Sequence[str] = STAGES,
) -> Verified:
    """Run the registered `mechanism` on `instance` and verify its answer.

    The verifier (`matcher.engine.verify.verify`) re-checks every constraint and objective claim
    from the arrays, and replays the optimality certificate when the answer carries one.

    Raises
    ------
    NoSolutionError
        The mechanism does not support the instance (pre-arrangements, adjustment or the
        order of the stages), or its status is neither optimal nor feasible.
    RejectedSolutionError
        The verifier found a violated constraint or a wrong claim (each one named).
    """
    try:
        solution = solve(instance, mechanism, adjustment=adjustment, objective=objective)
    except UnsupportedInstanceError as exc:
        raise NoSolutionError(str(exc)) from None
    if solution.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        raise NoSolutionError(f"求解状态 {solution.status.value}：{solution.message}")
    checked = verify(instance, solution, adjustment=adjustment, objective=objective)
    if not checked.ok:
        raise RejectedSolutionError(str(mechanism), checked)
    return Verified(solution, checked)


def resolver(
    mechanism: str, *, adjustment: bool = True, objective: Sequence[str] = STAGES
) -> Callable[[Instance], Solution | None]:
    """Re-solve a changed instance the same way, verified (`matcher.engine.explain`'s remedies).

    The function returns None where the mechanism gives no answer (a remedy is then
    stated structurally); a rejected answer raises `RejectedSolutionError`.
    """

    def resolve(instance: Instance) -> Solution | None:
        try:
            return solve_verified(
                instance, mechanism, adjustment=adjustment, objective=objective
            ).solution
        except NoSolutionError:
            return None

    return resolve


def solve_encoded(round_: Round) -> tuple[Encoding, Verified]:
    """Judge and encode `round_`, then solve it with its policy, verified (`solve_verified`)."""
    encoding = encode(round_, judge(round_))
    policy = round_.policy
    verified = solve_verified(
        encoding.instance,
        policy.mechanism,
        adjustment=policy.adjustment,
        objective=policy.objective,
    )
    return encoding, verified


def solve_round(round_: Round) -> RunResult:
    """Place `round_` with its policy's mechanism; every applicant gets one `Outcome`.

    Raises `PipelineError` when the mechanism fails or the independent verifier finds a
    violated constraint or a wrong optimality claim.
    """
    encoding, (solution, checked) = solve_encoded(round_)
    compared = alternatives(round_, encoding, solution, int(checked.checks["justified_envy"]))
    with gc_paused():  # a million outcomes, no cycles: no full scans of the whole round
        outcomes = _outcomes(round_, encoding, solution)
    del encoding
    report = SolverReport(
        mechanism=round_.policy.mechanism,
        status=solution.status.value,
        objective=dict(solution.objective),
        proof=dict(solution.proof),
        verification={"ok": checked.ok, "checks": dict(checked.checks)},
        message=solution.message,
        alternatives=compared,
    )
    return RunResult(round=round_, outcomes=outcomes, solver=report, manifest=manifest(round_))


def figures(instance: Instance, solution: Solution, envy: int | None = None) -> dict[str, int]:
    """Placed (at a choice or by adjustment), at the first choice, adjusted, justified envy.

    `envy`, when the verifier has counted it already, is taken as it is.
    """
    rank = solution.rank
    at_choice = ((rank >= 1) & (rank <= 3)) | (rank == PREARRANGED)
    adjusted = rank == ADJUSTED
    return {
        "placed": int((at_choice | adjusted).sum()),
        "first_choice": int((rank == 1).sum()),
        "adjusted": int(adjusted.sum()),
        "justified_envy": (
            count_justified_envy(instance, solution.host, rank) if envy is None else envy
        ),
    }


def alternatives(
    round_: Round, encoding: Encoding, solution: Solution, envy: int | None = None
) -> dict[str, Any]:
    """The round's figures under its policy and under `stable` (平行志愿), for the report.

    A joint policy is also compared with the two-phase default: `gave_up` counts the
    willing applicants (是否接受调剂 是) who hold a choice place under the default but not
    under the joint policy, having given it up to be adjusted (or to someone unwilling).
    Each comparison is solved and verified (`solve_verified`); a mechanism without an
    answer is left out, a rejected answer raises. Nothing here changes the run's answer.
    """
    instance = encoding.instance
    policy = round_.policy
    out: dict[str, Any] = {"policy": figures(instance, solution, envy)}
    if policy.mechanism != Mechanism.STABLE:
        try:
            stable = solve_verified(instance, Mechanism.STABLE, adjustment=policy.adjustment)
        except NoSolutionError:
            pass
        else:
            out["stable"] = figures(instance, stable.solution, stable.verification.justified_envy)
    if policy.joint and policy.mechanism == Mechanism.OPTIMAL:
        try:
            default = solve_verified(instance, Mechanism.OPTIMAL, adjustment=policy.adjustment)
        except NoSolutionError:
            pass
        else:
            two_phase = default.solution
            out["two-phase"] = figures(instance, two_phase, default.verification.justified_envy)
            held = (two_phase.rank >= 1) & (two_phase.rank <= 3)
            kept = (solution.rank >= 1) & (solution.rank <= 3)
            out["gave_up"] = int((instance.accepts & held & ~kept).sum())
    return out


_EXCLUDED = ("key", "status", "reason_code", "reason", "remedy", "draw")
_UNMATCHED = (*_EXCLUDED, "priority_position")
_ADJUSTED = ("key", "status", "host", "draw", "priority_position")
_PREARRANGED = ("key", "status", "host", "reason_code", "reason", "draw", "priority_position")
_CHOICE = (*_PREARRANGED[:3], "choice_rank", *_PREARRANGED[3:])


class _Names(Mapping[str, str]):
    """Applicant key → name, the dict built on first use (reasons name a few people)."""

    def __init__(self, round_: Round) -> None:
        self.round = round_
        self._names: dict[str, str] | None = None

    def _table(self) -> dict[str, str]:
        if self._names is None:
            applicants = self.round.applicants
            self._names = dict(zip(map(_KEY, applicants), map(_NAME, applicants), strict=True))
        return self._names

    def __getitem__(self, key: str) -> str:
        return self._table()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


_KEY, _NAME = attrgetter("key"), attrgetter("name")


def _outcomes(round_: Round, encoding: Encoding, solution: Solution) -> tuple[Outcome, ...]:
    applicants = round_.applicants
    every_key: list[str] = list(map(_KEY, applicants))
    keys = encoding.keys
    member_at: list[int] = []  # instance row → its applicant's position (keys unique)
    unique = len(set(every_key)) == len(every_key)
    if unique or len(set(keys)) == len(keys):
        # The instance rows are the members in input order: walk both in step.
        rows: list[int | None] = []
        j, m = 0, len(keys)
        for n, key in enumerate(every_key):
            if j < m and key == keys[j]:
                rows.append(j)
                member_at.append(n)
                j += 1
            else:
                rows.append(None)
    else:  # a key twice (two files of one name): the last instance row of the key
        row_of = {key: i for i, key in enumerate(keys)}
        rows = [row_of.get(key) for key in every_key]
    policy = round_.policy
    if unique:
        # Every key names one applicant: a reason names the person of its instance row
        # straight away (no table of a million names for the few it names).
        unplaced, why = reasons_by_row(
            encoding,
            solution,
            name_of_row=lambda row: applicants[member_at[row]].name,
            adjustment=policy.adjustment,
            resolve=_resolver(policy),
        )
    else:
        unplaced, why = reasons_by_row(
            encoding,
            solution,
            names=_Names(round_),
            adjustment=policy.adjustment,
            resolve=_resolver(policy),
        )
    # The reason of each instance row (None when placed). With a key twice, a key's row
    # is its last instance row, whose reason is the one a key → reason dict would keep.
    reason_at: list[tuple[str, str, str] | None] = [None] * len(keys)
    deque(map(setitem, repeat(reason_at), unplaced, why), maxlen=0)
    del why
    conflicts = {c.key: c for c in encoding.prearranged_conflicts}
    ranks: list[int] = solution.rank.tolist()
    host_names = encoding.host_names
    hosts: list[str | None] = [host_names[j] if j >= 0 else None for j in solution.host.tolist()]
    prearranged: list[bool] = (encoding.instance.prearranged >= 0).tolist()
    drawn: list[int] = encoding.draws.tolist()
    position: list[int] = (encoding.instance.order + 1).tolist()  # 优先序, 1 first
    excluded_texts: dict[int, tuple[Status, str, str, str]] = {}
    # Every value below is built here with its declared type, so the outcomes are
    # constructed without re-validation (a million validations cost seconds), each
    # equal to `Outcome.model_construct` of the same fields. Each row is a dict display
    # of the fields in declaration order: it becomes the outcome's __dict__.
    rows_of: list[dict[str, Any]] = []
    given: list[tuple[str, ...]] = []
    add, say = rows_of.append, given.append
    for key, i, draw in zip(every_key, rows, drawn, strict=True):
        if i is None:
            status, codes, text, remedy = _excluded(key, encoding, excluded_texts)
            add(outcome_row(key, status, None, None, codes, text, remedy, draw))
            say(_EXCLUDED)
            continue
        rank, at = ranks[i], position[i]
        if rank == UNPLACED:
            code, reason, remedy = reason_at[i]  # type: ignore[misc]
            add(
                {
                    "key": key,
                    "status": Status.UNMATCHED,
                    "host": None,
                    "choice_rank": None,
                    "reason_code": code,
                    "reason": reason,
                    "remedy": remedy,
                    "draw": draw,
                    "priority_position": at,
                }
            )
            say(_UNMATCHED)
        elif rank == ADJUSTED:
            add(outcome_row(key, Status.ADJUSTED, hosts[i], None, "", "", "", draw, at))
            say(_ADJUSTED)
        elif rank == PREARRANGED:
            add(
                outcome_row(
                    key, Status.PLACED, hosts[i], None, "PREARRANGED", _OUTSIDE, "", draw, at
                )
            )
            say(_PREARRANGED)
        else:
            fixed = prearranged[i]
            add(
                {
                    "key": key,
                    "status": Status.PLACED,
                    "host": hosts[i],
                    "choice_rank": rank,
                    "reason_code": "PREARRANGED" if fixed else "",
                    "reason": "预先接收单位" if fixed else "",
                    "remedy": "",
                    "draw": draw,
                    "priority_position": at,
                }
            )
            say(_CHOICE)
    outcomes = trusted_outcomes(rows_of, given)
    del rows_of, given
    if conflicts:  # noted on the instance rows (an excluded row says why already)
        for n, (outcome, i) in enumerate(zip(outcomes, rows, strict=True)):
            key = outcome.key
            if i is not None and key in conflicts and outcome.reason_code != "PREARRANGED":
                note = f"预先接收单位未能安排：{conflicts[key].why}"
                outcomes[n] = outcome.model_copy(
                    update={
                        "reason_code": outcome.reason_code or "PREARRANGED_CONFLICT",
                        "reason": "；".join(x for x in (outcome.reason, note) if x),
                    }
                )
    for n, note in encoding.notes.items():  # judged eligible: the benefit of the doubt decided it
        outcome = outcomes[n]
        outcomes[n] = outcome.model_copy(
            update={
                "reason_code": outcome.reason_code or LENIENT_DATE,
                "reason": "；".join(x for x in (outcome.reason, note) if x),
            }
        )
    return tuple(outcomes)


#: The code of an eligible applicant's note that a date known only to the month was
#: read in their favour (`matcher.engine.rules.lenient_note`).
LENIENT_DATE = "DATE_LENIENT"
_OUTSIDE = "预先接收单位（不在所填志愿中）"


def _excluded(
    key: str, encoding: Encoding, texts: dict[int, tuple[Status, str, str, str]]
) -> tuple[Status, str, str, str]:
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


def manifest(round_: Round) -> dict[str, Any]:
    """What is needed to reproduce and audit a run: inputs, settings, seed, versions."""
    versions = {"matcher": __version__, "python": platform.python_version()}
    for package in ("ortools", "numpy", "pandas", "pydantic", "python-calamine", "xlsxwriter"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "unknown"
    return {
        "inputs": [f.model_dump(mode="json") for f in round_.inputs],
        "settings": {
            "rules": round_.rules.model_dump(mode="json"),
            "policy": round_.policy.model_dump(mode="json"),
        },
        "seed": round_.policy.seed,
        "versions": versions,
        "issues": {
            "errors": sum(i.severity is Severity.ERROR for i in round_.issues),
            "warnings": sum(i.severity is Severity.WARNING for i in round_.issues),
        },
    }


def find_applicant(round_: Round, ref: str) -> str | None:
    """The key of the applicant named by 身份证号 or ``file:row`` (None when not found)."""
    ref = ref.strip()
    by_key = {a.key: a.key for a in round_.applicants}
    if ref in by_key:
        return ref
    upper = ref.upper()
    for a in round_.applicants:
        if a.id_number and a.id_number.upper() == upper:
            return a.key
    return None


def explain_applicant(round_: Round, key: str) -> str:
    """A readable account of one applicant's outcome (solves and verifies the round)."""
    encoding, (solution, _checked) = solve_encoded(round_)
    names = {a.key: a.name for a in round_.applicants}
    return render_explanation(
        round_, encoding, solution, key, names=names, resolve=_resolver(round_.policy)
    )


def _resolver(policy: Policy) -> Callable[[Instance], Solution | None]:
    return resolver(policy.mechanism, adjustment=policy.adjustment, objective=policy.objective)
