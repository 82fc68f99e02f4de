"""What-if scenarios: a base round plus overrides, read from a TOML file.

Contract: the file is read by `matcher.whatif.scenario_file.load_scenario`;
`build_round(scenario)` loads the base round and applies the overrides; `run_scenario(path)`
solves it. A change that does not fit raises `ScenarioError` naming the file, the key and
its line. The same changes are available on a `Round`
directly (`with_capacity`, `with_quota`, `move_quota`, `with_rules`, `with_policy`,
`without_applicants`, `with_pins`), which raise `OverrideError`.

Order of application: parent scenario (``extends``) first; then rules (before reading,
as the reference date is used by the readers), policy, capacity (set, then add), quotas
(set, add, then moves), excluded applicants, pinned placements.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matcher.engine.result import RunResult
from matcher.model import (
    Round,
    Track,
)
from matcher.whatif.changes import (
    OverrideError,
    move_quota,
    with_capacity,
    with_pins,
    with_policy,
    with_quota,
    without_applicants,
)
from matcher.whatif.scenario_file import (
    BaseSpec,
    KeyPath,
    Scenario,
    load_scenario,
    scenario_rules,
)


def base_paths(scenario: Scenario) -> list[Path]:
    """The files and folders that `load_base` reads for `scenario` (the scenario files too).

    An empty base (the bundled sample round) contributes nothing here.
    """
    root = scenario.chain()[0]
    base = root.spec.base or BaseSpec()
    folder = root.path.parent
    named = [*(base.applicants or []), base.hosts, base.quotas]
    return [node.path for node in scenario.chain()] + [folder / p for p in named if p]


def load_base(scenario: Scenario) -> Round:
    """The base round of `scenario` (its root's [base], else the bundled sample round)."""
    from matcher.ingest.load import InputError, load_round

    root = scenario.chain()[0]
    base = root.spec.base or BaseSpec()
    folder = root.path.parent
    applicants = [folder / p for p in base.applicants] if base.applicants else None
    hosts = folder / base.hosts if base.hosts else None
    quotas = folder / base.quotas if base.quotas else None
    try:
        return load_round(applicants, hosts, quotas, rules=scenario_rules(scenario))
    except InputError as exc:
        raise root.error(("base",), str(exc)) from None


def apply_scenario(round_: Round, scenario: Scenario) -> Round:
    """`round_` changed by every file of the scenario's chain, root first (not [base]).

    Raises `ScenarioError` naming the key and line of the first change that does not fit.
    """
    for node in scenario.chain():
        round_ = _apply_one(round_, node)
    return round_


def _apply_one(round_: Round, node: Scenario) -> Round:
    spec = node.spec
    steps: list[tuple[KeyPath, Any]] = []
    if spec.rules:
        steps.append((("rules",), lambda r: r.model_copy(update={"rules": scenario_rules(node)})))
    policy = spec.policy.model_dump(exclude_none=True)
    if policy:
        steps.append((("policy",), lambda r: with_policy(r, **policy)))
    for op in ("set", "add"):
        for host, value in getattr(spec.capacity, op).items():
            steps.append((("capacity", op, host), _capacity_step(host, op, value)))
    for op in ("set", "add"):
        for region, tracks in getattr(spec.quotas, op).items():
            for track, value in tracks.items():
                steps.append(
                    (("quotas", op, region, track.value), _quota_step(region, track, op, value))
                )
    for i, move in enumerate(spec.quotas.move):
        steps.append(
            (
                ("quotas", "move", i),
                lambda r, m=move: move_quota(r, m.source, m.target, m.track, m.places),
            )
        )
    for i, ref in enumerate(spec.applicants.exclude):
        steps.append((("applicants", "exclude", i), lambda r, x=ref: without_applicants(r, [x])))
    for ref, host in spec.applicants.pin.items():
        steps.append((("applicants", "pin", ref), lambda r, x=ref, h=host: with_pins(r, {x: h})))
    for key, step in steps:
        try:
            round_ = step(round_)
        except OverrideError as exc:
            raise node.error(key, str(exc)) from None
    return round_


def _capacity_step(host: str, op: str, value: int) -> Any:
    if op == "set":
        return lambda r: with_capacity(r, host, places=value)
    return lambda r: with_capacity(r, host, add=value)


def _quota_step(region: str, track: Track, op: str, value: int) -> Any:
    if op == "set":
        return lambda r: with_quota(r, region, track, places=value)
    return lambda r: with_quota(r, region, track, add=value)


def build_round(scenario: Scenario | Path | str, base: Round | None = None) -> Round:
    """The round of a scenario: `base` (else its base files) with every override applied."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    return apply_scenario(base if base is not None else load_base(scenario), scenario)


def run_scenario(scenario: Scenario | Path | str, base: Round | None = None) -> RunResult:
    """Solve a scenario: `matcher.engine.pipeline.solve_round(build_round(scenario, base))`."""
    from matcher.engine.pipeline import solve_round

    return solve_round(build_round(scenario, base))
