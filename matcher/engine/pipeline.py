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
from operator import setitem
from typing import Any, NamedTuple

from matcher import __version__
from matcher.engine.encode import Encoding, encode
from matcher.engine.explain import reasons_by_row, render_explanation
from matcher.engine.judge import judge
from matcher.engine.result import (
    Outcomes,
    RunResult,
    SolverReport,
)
from matcher.engine.solve import UnsupportedInstanceError, solve
from matcher.engine.solve.base import (
    ADJUSTED,
    PREARRANGED,
    UNPLACED,
    Instance,
    Solution,
    SolveStatus,
)
from matcher.engine.solve.tracks import PARALLEL_APPLICANTS, start_worker
from matcher.engine.verify import Verification, count_justified_envy, verify
from matcher.memory import gc_paused
from matcher.model import STAGES, Mechanism, Policy, Round, Severity, Status
from matcher.store import column


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
    """Judge and encode `round_`, then solve it with its policy, verified (`solve_verified`).

    A round large enough for the solver's second process (`tracks.PARALLEL_APPLICANTS`)
    under `optimal` starts that process first, when one is allowed (`tracks.start_worker`):
    it loads while the round is judged and encoded, instead of when the solve needs it.
    """
    policy = round_.policy
    if policy.mechanism == Mechanism.OPTIMAL and len(round_.applicants) >= PARALLEL_APPLICANTS:
        start_worker()
    encoding = encode(round_, judge(round_))
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


def _outcomes(round_: Round, encoding: Encoding, solution: Solution) -> Outcomes:
    applicants = round_.applicants
    every_key: list[str] = column(applicants, "key")
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
    # Every value below is built here with its declared type: the outcomes are a table of
    # these columns (`Outcomes`), not validated again (a million validations cost seconds).
    n = len(every_key)
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
                row = (Status.PLACED, hosts[i], rank, "PREARRANGED", "预先接收单位", "", at)
            else:
                row = (Status.PLACED, hosts[i], rank, "", "", "", at)
        statuses.append(row[0])
        placed_at.append(row[1])
        choice_ranks.append(row[2])
        codes_of.append(row[3])
        reasons.append(row[4])
        remedies.append(row[5])
        positions.append(row[6])
    # Notes on a few rows: a pre-arrangement not honoured (on the instance rows; an
    # excluded row says why already), a date read in the applicant's favour.
    for m, i in enumerate(rows):
        key = every_key[m]
        if i is not None and key in conflicts and codes_of[m] != "PREARRANGED":
            note = f"预先接收单位未能安排：{conflicts[key].why}"
            codes_of[m] = codes_of[m] or "PREARRANGED_CONFLICT"
            reasons[m] = "；".join(x for x in (reasons[m], note) if x)
    for m, note in encoding.notes.items():  # judged eligible: the benefit of the doubt decided it
        codes_of[m] = codes_of[m] or LENIENT_DATE
        reasons[m] = "；".join(x for x in (reasons[m], note) if x)
    columns: dict[str, list[Any]] = {
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
    return Outcomes.from_columns(columns, n)


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
    keys = column(round_.applicants, "key")
    if ref in set(keys):
        return ref
    upper = ref.upper()
    for key, id_number in zip(keys, column(round_.applicants, "id_number"), strict=True):
        if id_number and id_number.upper() == upper:
            return key
    return None


def explain_applicant(round_: Round, key: str) -> str:
    """A readable account of one applicant's outcome (solves and verifies the round)."""
    encoding, (solution, _checked) = solve_encoded(round_)
    applicants = round_.applicants
    names = dict(zip(column(applicants, "key"), column(applicants, "name"), strict=True))
    return render_explanation(
        round_, encoding, solution, key, names=names, resolve=_resolver(round_.policy)
    )


def _resolver(policy: Policy) -> Callable[[Instance], Solution | None]:
    return resolver(policy.mechanism, adjustment=policy.adjustment, objective=policy.objective)
