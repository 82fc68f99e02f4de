"""Solve a checked round end to end: encode, solve, verify, explain, assemble outcomes.

The verifier runs after every solve; a failed check raises `PipelineError` and nothing
is returned to be published.
"""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from matcher import __version__
from matcher.encode import Encoding, encode
from matcher.explain import reasons as unplaced_reasons
from matcher.explain import render_explanation
from matcher.memory import gc_paused
from matcher.model import Round, Severity, Status
from matcher.result import Outcome, RunResult, SolverReport
from matcher.solve import UnsupportedInstanceError, solve
from matcher.solve.base import ADJUSTED, PREARRANGED, UNPLACED, Solution, SolveStatus
from matcher.verify import Verification, verify


class PipelineError(Exception):
    """The round could not be solved, or the verifier rejected the solution."""


def solve_round(round_: Round) -> RunResult:
    """Place `round_` with its policy's mechanism; every applicant gets one `Outcome`.

    Raises `PipelineError` when the mechanism fails or the independent verifier finds a
    violated constraint or a wrong optimality claim.
    """
    encoding, solution, checked = _solve_checked(round_)
    with gc_paused():  # a million outcomes, no cycles: no full scans of the whole round
        outcomes = _outcomes(round_, encoding, solution)
    report = SolverReport(
        mechanism=round_.policy.mechanism.value,
        status=solution.status.value,
        objective=dict(solution.objective),
        proof=dict(solution.proof),
        verification={"ok": checked.ok, "checks": dict(checked.checks)},
        message=solution.message,
    )
    return RunResult(round=round_, outcomes=outcomes, solver=report, manifest=manifest(round_))


def _solve_checked(round_: Round) -> tuple[Encoding, Solution, Verification]:
    encoding = encode(round_)
    adjustment, order = round_.policy.adjustment, round_.policy.objective
    try:
        solution = solve(
            encoding.instance, round_.policy.mechanism, adjustment=adjustment, objective=order
        )
    except UnsupportedInstanceError as exc:
        raise PipelineError(str(exc)) from None
    if solution.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        raise PipelineError(f"求解状态 {solution.status.value}：{solution.message}")
    checked = verify(encoding.instance, solution, adjustment=adjustment, objective=order)
    if not checked.ok:
        raise PipelineError("独立核验未通过：" + "；".join(checked.failures))
    return encoding, solution, checked


def _outcomes(round_: Round, encoding: Encoding, solution: Solution) -> tuple[Outcome, ...]:
    names = {a.key: a.name for a in round_.applicants}
    why = unplaced_reasons(
        encoding,
        solution,
        names=names,
        mechanism=round_.policy.mechanism.value,
        adjustment=round_.policy.adjustment,
        objective=round_.policy.objective,
    )
    row_of = {key: i for i, key in enumerate(encoding.keys)}
    conflicts = {c.key: c for c in encoding.prearranged_conflicts}
    # Every value below is built here with its declared type, so the outcomes are
    # constructed without re-validation (a million validations cost seconds).
    outcomes = []
    for a in round_.applicants:
        i = row_of.get(a.key)
        if i is None:
            outcomes.append(_excluded(a.key, encoding))
            continue
        rank = int(solution.rank[i])
        host = encoding.host_names[solution.host[i]] if rank != UNPLACED else None
        if rank == UNPLACED:
            code, reason, remedy = why[a.key]
            outcome = Outcome.model_construct(
                key=a.key, status=Status.UNMATCHED, reason_code=code, reason=reason, remedy=remedy
            )
        elif rank == ADJUSTED:
            outcome = Outcome.model_construct(key=a.key, status=Status.ADJUSTED, host=host)
        elif rank == PREARRANGED:
            outcome = Outcome.model_construct(
                key=a.key,
                status=Status.PLACED,
                host=host,
                reason_code="PREARRANGED",
                reason="预先接收单位（不在所填志愿中）",
            )
        else:
            prearranged = int(encoding.instance.prearranged[i]) >= 0
            outcome = Outcome.model_construct(
                key=a.key,
                status=Status.PLACED,
                host=host,
                choice_rank=rank,
                reason_code="PREARRANGED" if prearranged else "",
                reason="预先接收单位" if prearranged else "",
            )
        if a.key in conflicts and outcome.reason_code != "PREARRANGED":
            note = f"预先接收单位未能安排：{conflicts[a.key].why}"
            outcome = outcome.model_copy(
                update={
                    "reason_code": outcome.reason_code or "PREARRANGED_CONFLICT",
                    "reason": "；".join(x for x in (outcome.reason, note) if x),
                }
            )
        outcomes.append(outcome)
    return tuple(outcomes)


def _excluded(key: str, encoding: Encoding) -> Outcome:
    excluded = encoding.excluded[key]
    codes = "+".join(dict.fromkeys(r.code for r in excluded.reasons))
    text = "；".join(r.message for r in excluded.reasons)
    if excluded.status is Status.INVALID:
        remedy = "请选派地区更正数据后重新报送（见“数据问题”表）"
    else:
        remedy = "不符合本年度选拔条件，无法安排"
    return Outcome.model_construct(
        key=key, status=excluded.status, reason_code=codes, reason=text, remedy=remedy
    )


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
    encoding, solution, _checked = _solve_checked(round_)
    names = {a.key: a.name for a in round_.applicants}
    return render_explanation(round_, encoding, solution, key, names=names)
