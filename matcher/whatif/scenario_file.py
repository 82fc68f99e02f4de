"""A scenario file: its TOML schema, its chain of ``extends``, its errors with key and line.

Contract: `load_scenario(path)` reads and checks the file's schema (`ScenarioSpec`, extra
keys forbidden) and follows ``extends``; every mistake raises `ScenarioError` naming the
file, the key and its line (`key_line`). `scenario_rules` gives the rules the chain sets.
Paths in a scenario are relative to the scenario file. What a scenario does to a round is
`matcher.whatif.scenario`'s.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from matcher.model import (
    Rules,
    Track,
    check_mechanism,
    check_objective,
)
from matcher.whatif.overrides import Override

KeyPath = tuple[str | int, ...]


class CentreSpec(BaseModel):
    """A scenario's ``[centre]``: the centre's answer file (path relative to the scenario)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    answer: str


class BackfillSpec(BaseModel):
    """A scenario's ``[backfill]``: the published run folder and who withdrew."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    published: str
    withdrawn: list[str] = Field(min_length=1)


@dataclass(frozen=True)
class ScenarioProblem:
    """One mistake in a scenario file: dotted key, line (None when unknown), message."""

    key: str
    line: int | None
    message: str


class ScenarioError(ValueError):
    """A scenario file that cannot be used; `problems` names each key and line."""

    def __init__(self, path: Path | str, problems: Sequence[ScenarioProblem]) -> None:
        self.path = Path(path)
        self.problems = tuple(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(
            f"{self.path}:{p.line if p.line is not None else '?'}: [{p.key}] {p.message}"
            for p in self.problems
        )


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class BaseSpec(_Spec):
    """The base round: applicant files or folders, host catalogue, quota table."""

    applicants: list[str] | None = None
    hosts: str | None = None
    quotas: str | None = None


class PolicySpec(_Spec):
    """Mechanism, lottery seed, adjustment and order of the objective stages.

    Unset keys keep the base's. ``mechanism`` is the name of any registered mechanism
    (`matcher.model.check_mechanism`: the built-ins and those `matcher.engine.solve.register`
    added). ``objective`` is a valid order of the stages
    (`matcher.model.check_objective`: each phase's counts in any order, its tie-break
    last) or a preset name, ``"two-phase"`` (the default) or ``"joint"``.
    """

    mechanism: str | None = None
    seed: int | None = None
    adjustment: bool | None = None
    objective: tuple[str, ...] | None = None

    @field_validator("mechanism", mode="before")
    @classmethod
    def _mechanism_is_registered(cls, value: Any) -> str | None:
        return None if value is None else check_mechanism(value)

    @field_validator("objective", mode="before")
    @classmethod
    def _objective_is_an_order_of_the_stages(cls, value: Any) -> tuple[str, ...] | None:
        return None if value is None else check_objective(value)


class CapacitySpec(_Spec):
    """Host capacities: ``set`` (host → places) then ``add`` (host → ± places)."""

    set: dict[str, int] = Field(default_factory=dict)
    add: dict[str, int] = Field(default_factory=dict)


class MoveSpec(_Spec):
    """Move places of one track from one region to another (a number or "unused")."""

    source: str = Field(alias="from")
    target: str = Field(alias="to")
    track: Track
    places: int | Literal["unused"] = "unused"


class QuotaSpec(_Spec):
    """Quotas: ``set`` / ``add`` (region → {区外|区内 → places}), then ``move`` entries."""

    set: dict[str, dict[Track, int]] = Field(default_factory=dict)
    add: dict[str, dict[Track, int]] = Field(default_factory=dict)
    move: list[MoveSpec] = Field(default_factory=list)


class ApplicantsSpec(_Spec):
    """Applicants left out (``file:row`` or 身份证号) and pinned (applicant → host)."""

    exclude: list[str] = Field(default_factory=list)
    pin: dict[str, str] = Field(default_factory=dict)


class ScenarioSpec(_Spec):
    """The schema of a scenario file (see docs/whatif.md)."""

    name: str | None = None
    description: str = ""
    extends: str | None = None
    base: BaseSpec | None = None
    rules: dict[str, Any] = Field(default_factory=dict)
    policy: PolicySpec = Field(default_factory=PolicySpec)
    capacity: CapacitySpec = Field(default_factory=CapacitySpec)
    quotas: QuotaSpec = Field(default_factory=QuotaSpec)
    applicants: ApplicantsSpec = Field(default_factory=ApplicantsSpec)
    overrides: list[Override] = Field(default_factory=list)  # see matcher.after.decided
    centre: CentreSpec | None = None
    backfill: BackfillSpec | None = None


@dataclass(frozen=True)
class Scenario:
    """A checked scenario file: its spec, its text (for line numbers) and its parent."""

    path: Path
    spec: ScenarioSpec
    text: str
    parent: Scenario | None = None

    @property
    def name(self) -> str:
        """The scenario's name (its ``name`` key, else the file name without suffix)."""
        return self.spec.name or self.path.stem

    def chain(self) -> list[Scenario]:
        """Return the ancestors of this scenario and itself, root first."""
        out: list[Scenario] = []
        node: Scenario | None = self
        while node is not None:
            out.insert(0, node)
            node = node.parent
        return out

    def error(self, key: KeyPath, message: str) -> ScenarioError:
        """A `ScenarioError` for `key` of this file, with the key's line."""
        return ScenarioError(self.path, [_problem(self.text, key, message)])


# ---------------------------------------------------------------- reading the file


def load_scenario(path: Path | str) -> Scenario:
    """Read, parse and check the schema of a scenario file and of the files it extends.

    Raises
    ------
    ScenarioError
        Unreadable file, TOML syntax error (with line and column), unknown or ill-typed
        keys (every one, with its line), a missing or circular ``extends``.
    """
    return _load(Path(path), ())


def _load(path: Path, seen: tuple[Path, ...]) -> Scenario:
    path = path.resolve()
    if path in seen:
        raise ScenarioError(path, [ScenarioProblem("extends", None, "场景文件循环继承")])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(path, [ScenarioProblem("", None, f"无法读取场景文件：{exc}")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(path, [_syntax_problem(text, exc)]) from None
    try:
        spec = ScenarioSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(path, _schema_problems(text, exc)) from None
    parent = None
    if spec.extends is not None:
        if spec.base is not None:
            raise ScenarioError(path, [_problem(text, ("base",), "有 extends 时不能再给 [base]")])
        target = path.parent / spec.extends
        if not target.is_file():
            raise ScenarioError(path, [_problem(text, ("extends",), f"找不到文件 {target}")])
        parent = _load(target, (*seen, path))
    return Scenario(path=path, spec=spec, text=text, parent=parent)


def _syntax_problem(text: str, exc: tomllib.TOMLDecodeError) -> ScenarioProblem:
    found = re.search(r"line (\d+), column (\d+)", str(exc))
    line = int(found.group(1)) if found else None
    message = f"TOML 语法错误：{exc}"
    if line is not None:
        source = text.splitlines()[line - 1] if line <= len(text.splitlines()) else ""
        bare = re.sub(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'', "", source.split("#", 1)[0])
        if any(ord(c) > 127 for c in bare):
            message += '（中文键名须加英文双引号，如 "内蒙古大学" = 2）'
    return ScenarioProblem(key="", line=line, message=message)


def _schema_problems(text: str, exc: ValidationError) -> list[ScenarioProblem]:
    problems = []
    for error in exc.errors():
        loc = tuple(part for part in error["loc"] if part != "[key]")
        problems.append(_problem(text, loc, _schema_message(error)))
    return problems


def _schema_message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "未知的键（拼写错误？见 docs/whatif.md）"
    if kind == "missing":
        return "缺少必填的键"
    return f"取值不合法：{error.get('msg', '')}（收到 {error.get('input')!r}）"


def _problem(text: str, key: KeyPath, message: str) -> ScenarioProblem:
    return ScenarioProblem(".".join(str(k) for k in key), key_line(text, key), message)


_KEY = r'(?:"(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_\-]+)'
_HEADER = re.compile(rf"^\s*(\[\[?)\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*\]\]?")
_ASSIGN = re.compile(rf"^\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*=\s*(.*)$")
_INLINE = re.compile(rf"({_KEY})\s*=")


def _split_key(dotted: str) -> list[str]:
    return [part.strip().strip("\"'") for part in re.findall(_KEY, dotted)]


def key_line(text: str, key: KeyPath) -> int | None:
    """Line (1-based) of `key` in TOML `text`, else of its longest prefix found; or None.

    Tables, arrays of tables (``[[quotas.move]]`` → ("quotas", "move", 0)), dotted keys
    and the keys of one-line inline tables are found; it is a locator for messages,
    not a parser.
    """
    lines: dict[tuple[str | int, ...], int] = {}
    table: tuple[str | int, ...] = ()
    counts: dict[tuple[str, ...], int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0] if '"' not in raw and "'" not in raw else raw
        header = _HEADER.match(line)
        if header:
            parts = tuple(_split_key(header.group(2)))
            if header.group(1) == "[[":
                index = counts.get(parts, 0)
                counts[parts] = index + 1
                table = (*parts, index)
            else:
                table = parts
            lines.setdefault(table, number)
            continue
        assign = _ASSIGN.match(line)
        if not assign:
            continue
        full = (*table, *_split_key(assign.group(1)))
        lines.setdefault(full, number)
        value = assign.group(2).strip()
        if value.startswith("{"):
            for inner in _INLINE.findall(value):
                lines.setdefault((*full, inner.strip("\"'")), number)
    wanted = tuple(key)
    for size in range(len(wanted), 0, -1):
        if wanted[:size] in lines:
            return lines[wanted[:size]]
    return None


def scenario_rules(scenario: Scenario) -> Rules:
    """The rules of `scenario`: the defaults, changed by each file of the chain in turn."""
    rules = Rules()
    for node in scenario.chain():
        if node.spec.rules:
            try:
                rules = Rules.model_validate({**rules.model_dump(), **node.spec.rules})
            except ValidationError as exc:
                problems = [
                    _problem(
                        node.text,
                        ("rules", *(p for p in e["loc"] if p != "[key]")),
                        _schema_message(e),
                    )
                    for e in exc.errors()
                ]
                raise ScenarioError(node.path, problems) from None
    return rules
