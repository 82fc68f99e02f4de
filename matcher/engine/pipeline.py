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
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any, NamedTuple

from matcher import __version__
from matcher.engine.encode import Encoding, encode
from matcher.engine.explain import render_explanation
from matcher.engine.judge import judge
from matcher.engine.outcomes import outcome_table
from matcher.engine.result import (
    RunResult,
    SolverReport,
)
from matcher.engine.solve import UnsupportedInstanceError, solve
from matcher.engine.solve.base import (
    ADJUSTED,
    PREARRANGED,
    Instance,
    Solution,
    SolveStatus,
)
from matcher.engine.solve.optimal import start_worker
from matcher.engine.solve.tracks import PARALLEL_APPLICANTS
from matcher.engine.verify import Verification, count_justified_envy, verify
from matcher.model import STAGES, Mechanism, Policy, Round, Severity
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
    under `optimal` starts that process first, when one is allowed (`optimal.start_worker`):
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
    outcomes = outcome_table(round_, encoding, solution, _resolver(round_.policy))
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
