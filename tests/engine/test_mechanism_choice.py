"""A registered mechanism is selectable everywhere a mechanism is named, and verified.

The toy is a serial dictatorship in the reverse of the priority order (the last in the
priority order chooses first): a mechanism nobody ships, so every answer below that
matches it came from the registry, not from a built-in.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from matcher import api
from matcher.cli import app
from matcher.engine.encode import encode
from matcher.engine.judge import judge
from matcher.engine.pipeline import RejectedSolutionError, resolver
from matcher.engine.solve import solve
from matcher.engine.solve.base import Instance, Solution
from matcher.engine.solve.network import choice_matrix
from matcher.engine.solve.sequential import assign, by_order, finish, first_open, start
from matcher.model import MECHANISM_NAMES, Policy
from matcher.report.policy_text import policy_lines
from matcher.whatif.scenario import build_round
from matcher.whatif.scenario_file import ScenarioError

runner = CliRunner()


def reverse_dictatorship(instance: Instance, adjustment: bool) -> Solution:
    """Pre-arrangements first; then, last in the priority order first, the first open choice."""
    state = start(instance)
    last_first = by_order(instance)[::-1]
    free = last_first[instance.prearranged[last_first] < 0]
    choices = choice_matrix(instance)
    who, col = first_open(free, choices, instance.group, state.room_h, state.room_g)
    assign(state, who, choices[who, col].astype(np.int64), col + 1)
    return finish(instance, state, adjustment, "reverse serial dictatorship")


def overfilling(instance: Instance, adjustment: bool) -> Solution:
    """The toy's answer with one more applicant at a first choice that is already full."""
    answer = reverse_dictatorship(instance, adjustment)
    host, rank = answer.host.copy(), answer.rank.copy()
    i = int(np.flatnonzero((rank == -1) & (instance.choices[:, 0] >= 0))[0])
    host[i], rank[i] = instance.choices[i, 0], 1
    return replace(answer, host=host, rank=rank)


SUPPORTS = api.Supports(prearranged=True, adjustment=True, certificate=False)


@pytest.fixture
def toy(isolated_registry: None) -> Iterator[str]:
    api.register_mechanism(
        api.MechanismSpec("toy", reverse_dictatorship, SUPPORTS, "reverse serial dictatorship")
    )
    yield "toy"


@pytest.fixture(scope="module")
def sample() -> api.Round:
    return api.load()


def toy_hosts(round_: api.Round) -> list[str | None]:
    """Each instance row's host under the toy, solved directly on the round's arrays."""
    encoding = encode(round_, judge(round_))
    answer = solve(encoding.instance, "toy", adjustment=round_.policy.adjustment)
    return [encoding.host_names[j] if j >= 0 else None for j in answer.host.tolist()]


def placed_hosts(result: api.RunResult) -> list[str | None]:
    keys = set(encode(result.round, judge(result.round)).keys)
    return [o.host for o in result.outcomes if o.key in keys]


@pytest.mark.usefixtures("isolated_registry")
def test_policy_accepts_a_name_once_it_is_registered() -> None:
    with pytest.raises(ValidationError) as refused:
        Policy(mechanism="toy")
    assert all(name in str(refused.value) for name in ("optimal", "stable", "cpsat"))
    api.register_mechanism(api.MechanismSpec("toy", reverse_dictatorship, SUPPORTS))
    assert Policy(mechanism="toy").mechanism == "toy"
    assert "toy" in api.registered_mechanisms() and MECHANISM_NAMES[-1] == "toy"
    with pytest.raises(ValidationError, match="toy"):  # the error lists it from now on
        Policy(mechanism="magic")
    assert Policy(mechanism=api.Mechanism.STABLE).mechanism == "stable"  # a plain name


def test_api_solves_with_the_registered_mechanism_and_verifies_it(toy, sample) -> None:
    round_ = api.with_policy(sample, mechanism=toy)
    result = api.solve(round_)
    assert result.solver.mechanism == "toy"
    assert result.solver.verification["ok"] is True
    assert result.manifest["settings"]["policy"]["mechanism"] == "toy"
    assert placed_hosts(result) == toy_hosts(round_)
    # the toy differs from the built-in it resembles: its figures are its own
    assert placed_hosts(result) != placed_hosts(
        api.solve(api.with_policy(sample, mechanism="stable"))
    )
    row = api.mechanisms(round_, names=[toy]).iloc[0]
    assert row["mechanism"] == "toy" and bool(row["verified"]) is True
    rules = policy_lines(result)[0]  # the 说明 sheet says which rules placed the round
    assert "toy" in rules and "reverse serial dictatorship" in rules and "optimal" not in rules


def test_a_scenario_selects_it_and_an_unknown_name_lists_the_registered_ones(
    toy, tmp_path: Path
) -> None:
    path = tmp_path / "toy.toml"
    path.write_text(f'name = "toy"\n\n[policy]\nmechanism = "{toy}"\nseed = 7\n', encoding="utf-8")
    round_ = build_round(path)
    assert (round_.policy.mechanism, round_.policy.seed) == ("toy", 7)
    path.write_text('[policy]\nmechanism = "magic"\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as refused:
        build_round(path)
    problem = refused.value.problems[0]
    assert (problem.key, problem.line) == ("policy.mechanism", 2)
    assert "toy" in problem.message and "optimal" in problem.message


def test_the_cli_runs_it_and_rejects_an_unknown_name_listing_it(toy, tmp_path: Path) -> None:
    done = runner.invoke(app, ["run", "--mechanism", toy, "--out", str(tmp_path / "o"), "-q"])
    assert done.exit_code == 1, done.output  # the sample's data errors, outputs written
    solver = json.loads((tmp_path / "o" / "result.json").read_text(encoding="utf-8"))["solver"]
    assert solver["mechanism"] == "toy" and solver["verification"]["ok"] is True
    scenario = tmp_path / "toy.toml"
    scenario.write_text(f'[policy]\nmechanism = "{toy}"\n', encoding="utf-8")
    again = runner.invoke(app, ["run", str(scenario), "--out", str(tmp_path / "s"), "-q"])
    assert again.exit_code == 1, again.output
    chosen = json.loads((tmp_path / "s" / "result.json").read_text(encoding="utf-8"))["solver"]
    assert chosen["mechanism"] == "toy"
    wrong = runner.invoke(app, ["run", "--mechanism", "magic", "--out", str(tmp_path / "x")])
    assert wrong.exit_code == 2 and "toy" in wrong.output and "Traceback" not in wrong.output


@pytest.mark.usefixtures("isolated_registry")
def test_a_rejected_answer_is_an_error_never_used(sample, tmp_path: Path) -> None:
    api.register_mechanism(api.MechanismSpec("overfill", overfilling, SUPPORTS))
    round_ = api.with_policy(sample, mechanism="overfill")
    with pytest.raises(api.PipelineError, match="overfill") as rejected:
        api.solve(round_)
    assert isinstance(rejected.value, RejectedSolutionError)
    assert not rejected.value.verification.ok
    done = runner.invoke(app, ["run", "--mechanism", "overfill", "--out", str(tmp_path / "o")])
    assert done.exit_code == 3 and not (tmp_path / "o" / "result.json").exists()
    # the re-solves behind a remedy go the same way: a rejected answer raises
    encoding = encode(round_, judge(round_))
    with pytest.raises(RejectedSolutionError):
        resolver("overfill")(encoding.instance)


def test_the_web_select_lists_it_and_the_settings_accept_it(toy, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from matcher.web.app import create_app
    from tests.web.conftest import csrf_of, new_round

    web = create_app(tmp_path / "ws")
    with TestClient(web) as client:
        round_id = new_round(client)
        assert '<option value="toy"' in client.get(f"/rounds/{round_id}").text
        settings = {"year": "2023", "reference_date": "2023-03-20", "seed": "7"}
        saved = client.post(
            f"/rounds/{round_id}/settings",
            data={"csrf": csrf_of(client), **settings, "mechanism": toy},
        )
        assert saved.status_code == 200 and "reverse serial dictatorship" in saved.text
        assert web.state.ctx.workspace.round(round_id)["mechanism"] == "toy"
    web.state.ctx.runner.shutdown()
    web.state.ctx.workspace.store.close()
