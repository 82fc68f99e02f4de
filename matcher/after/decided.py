"""Outcomes decided around a solve, as a scenario names them: overrides, the centre, 补录.

Contract: `scenario_decisions(scenario)` gathers a scenario chain's ``[[overrides]]``
(parent's first), its ``[centre] answer`` and ``[backfill]`` (the last file's that gives
them; paths relative to the file that names them) into `Decisions`, raising
`matcher.whatif.scenario.ScenarioError` with the key and line for a backfill beside other
changes (a 补录 keeps the published run's settings). `solve_decided(round_, decisions)`
solves a round with them (a backfill is run by `matcher.api.backfill` instead).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from matcher.engine.result import RunResult
from matcher.model import Round

if TYPE_CHECKING:  # imported where used: a run without a scenario needs neither
    from matcher.whatif.overrides import Override
    from matcher.whatif.scenario_file import Scenario

#: Keys a scenario with ``[backfill]`` may have beside it.
BACKFILL_KEYS = {"name", "description", "extends", "base", "backfill"}


@dataclass(frozen=True)
class Decisions:
    """Overrides, the centre's answer file and a 补录 (published folder, withdrawn)."""

    overrides: tuple[Override, ...] = ()
    centre: Path | None = None
    published: Path | None = None
    withdrawn: tuple[str, ...] = field(default_factory=tuple)
    base: tuple[list[Path] | None, Path | None, Path | None] = (None, None, None)


def scenario_decisions(scenario: Scenario | Path | str) -> Decisions:
    """The decisions of a scenario file and the files it extends (see the module)."""
    from matcher.whatif.scenario_file import Scenario, load_scenario

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    overrides: list[Override] = []
    centre = published = None
    withdrawn: tuple[str, ...] = ()
    for node in scenario.chain():
        spec = node.spec
        overrides += spec.overrides
        if spec.centre is not None:
            centre = node.path.parent / spec.centre.answer
            if not centre.is_file():
                raise node.error(("centre", "answer"), f"找不到中心答复文件 {centre}")
        if spec.backfill is not None:
            published = node.path.parent / spec.backfill.published
            withdrawn = tuple(
                str(node.path.parent / ref) if (node.path.parent / ref).is_file() else ref
                for ref in spec.backfill.withdrawn
            )
    if published is not None:
        for node in scenario.chain():
            others = sorted(node.spec.model_fields_set - BACKFILL_KEYS)
            if others:
                raise node.error(
                    (others[0],),
                    "有 [backfill] 时不能再改变设置：补录沿用已发布结果的规则、机制、名额和调整",
                )
    root = scenario.chain()[0]
    base, folder = root.spec.base, root.path.parent
    files = (
        [folder / p for p in base.applicants] if base and base.applicants else None,
        folder / base.hosts if base and base.hosts else None,
        folder / base.quotas if base and base.quotas else None,
    )
    return Decisions(tuple(overrides), centre, published, withdrawn, files)


def solve_decided(round_: Round, decisions: Decisions) -> RunResult:
    """Solve `round_` with the centre's answer and the overrides decided.

    Raises `matcher.after.centre.CentreError`, `matcher.whatif.overrides.DecisionError`,
    `matcher.whatif.fixed.FixedError` or `matcher.engine.pipeline.PipelineError`.
    """
    if decisions.centre is not None:
        from matcher.after.centre import solve_centre

        return solve_centre(round_, decisions.centre, decisions.overrides)
    if decisions.overrides:
        from matcher.whatif.overrides import solve_overrides

        return solve_overrides(round_, decisions.overrides)
    from matcher.engine.pipeline import solve_round

    return solve_round(round_)
