"""The layout holds: packages import only downwards, no import cycles, no private names.

The order is the README's (## Layout). Imports are read from the source with `ast`, the
lazy ones inside functions included, so a cycle cannot hide behind a local import.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "matcher"

#: Bottom to top: a module may import from its own layer and the layers below it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("model", "store", "forms", "paths", "memory", "processes", "__init__"),
    ("ingest",),
    ("engine",),
    ("report",),
    ("whatif",),
    ("after",),
    ("api",),
    ("cli", "web", "__main__"),
)
#: Beside the pipeline: the generator uses the rules to write files for the readers.
SIDE = {"sample": 2}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module imported, names taken from it) for every import of `path`, lazy ones too."""
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    return _imports_of(ast.parse(path.read_text(encoding="utf-8")), package)


def _imports_of(tree: ast.AST, package: str) -> list[tuple[str, list[str]]]:
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((target, [alias.name for alias in node.names]))
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for target, names in _imports(path):
            if not target.startswith("matcher"):
                continue
            for taken in names:
                if f"{target}.{taken}" in modules:  # `from matcher.x import module`
                    edges[name].add(f"{target}.{taken}")
            while target not in modules and "." in target:
                target = target.rpartition(".")[0]
            if target in modules and target != name:
                edges[name].add(target)
    return edges


def _layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else "__init__"
    if top in SIDE:
        return SIDE[top]
    for level, names in enumerate(LAYERS):
        if top in names:
            return level
    raise AssertionError(f"{module}: not in a layer of tests/test_layout.py (add it there)")


def test_packages_import_only_downwards() -> None:
    upward = [
        f"{source} → {target}"
        for source, targets in _graph().items()
        for target in targets
        if target.startswith("matcher.")
        and _layer(target) > _layer(source)
        and target.split(".")[1] not in SIDE
    ]
    assert not upward, "imports that climb the layout:\n" + "\n".join(sorted(upward))


def test_sample_is_imported_only_by_the_front_door_and_the_loader() -> None:
    users = {
        source
        for source, targets in _graph().items()
        for target in targets
        if target.startswith("matcher.sample") and not source.startswith("matcher.sample")
    }
    assert users <= {"matcher.api", "matcher.ingest.load", "matcher.cli.common"}, users


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle among `edges`, or None (iterative depth-first search)."""
    state: dict[str, int] = {}
    for start in sorted(edges):
        if state.get(start):
            continue
        stack = [(start, iter(sorted(edges[start])))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(child) == 1:
                return [*path[path.index(child) :], child]
            elif not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(edges.get(child, ())))))
    return None


def test_no_import_cycles_between_modules() -> None:
    edges = {
        name: {t for t in targets if not name.startswith(t + ".")}  # a package's own face
        for name, targets in _graph().items()
    }
    cycle = _cycle(edges)
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_private_names_across_modules() -> None:
    taken = [
        f"{_module_name(path)} takes {target}.{name}"
        for path in ROOT.rglob("*.py")
        for target, names in _imports(path)
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert not taken, "\n".join(sorted(taken))


@pytest.mark.parametrize("path", sorted(ROOT.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_stay_small(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= 600, f"{path.name}: {lines} lines; split it by what it owns"


#: The one way past the front door: the command starts the solver's second process before
#: the library (and the front door with it) loads, through a module of the standard library.
BEFORE_THE_DOOR = {("matcher.cli", "matcher.processes")}


def test_the_cli_and_the_workbench_go_through_the_front_door() -> None:
    around = [
        f"{source} → {target}"
        for source, targets in _graph().items()
        if source.startswith(("matcher.cli", "matcher.web"))
        for target in targets
        if not target.startswith(("matcher.api", "matcher.cli", "matcher.web"))
        and target != "matcher"
        and (source, target) not in BEFORE_THE_DOOR
    ]
    assert not around, "imports that go around matcher.api:\n" + "\n".join(sorted(around))


def test_the_notebooks_go_through_the_front_door() -> None:
    notebooks = sorted((ROOT.parent / "notebooks").glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        taken = {target for target, _ in _imports_of(ast.parse(code), "") if "matcher" in target}
        assert taken <= {"matcher", "matcher.api"}, f"{path.name}: {taken}"


#: Modules `matcher run` (without a scenario file) never needs: the letters (docx), the
#: settlement, the 补录, the sweeps, the advisor, the scenarios, the changes, the hand
#: decisions, the centre and the comparison, and the run folder reader.
NOT_FOR_A_RUN = [
    "docxtpl",
    "matcher.report.letters",
    "matcher.after.settle",
    "matcher.after.backfill",
    "matcher.whatif.sweep",
    "matcher.whatif.advisor",
    "matcher.whatif.scenario_file",
    "matcher.whatif.scenario",
    "matcher.whatif.changes",
    "matcher.whatif.overrides",
    "matcher.whatif.fixed",
    "matcher.whatif.compare",
    "matcher.after.centre",
    "matcher.report.rundir",
]


def test_the_command_line_starts_without_the_after_the_run_modules() -> None:
    # `matcher run` imports `matcher.api`; these load only when a command or a notebook
    # asks for them (`api.__getattr__`).
    import subprocess
    import sys

    asked = set(NOT_FOR_A_RUN) - {
        "matcher.after.settle",
        "matcher.after.backfill",
        "matcher.whatif.advisor",
    }
    probe = (
        "import sys, matcher.cli; from matcher import api; "
        f"heavy = {NOT_FOR_A_RUN!r}; "
        "print(','.join(m for m in heavy if m in sys.modules)); "
        "api.LetterError, api.sweep, api.compare, api.with_capacity, api.ScenarioError, "
        "api.build_round, api.RunFolder, api.centre_mode, api.FixedError, api.Override; "
        f"print(','.join(m for m in {sorted(asked)!r} if m not in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    loaded, missing = done.stdout.splitlines()
    assert loaded == "", f"imported at start: {loaded}"
    assert missing == "", f"a lazy name did not load its module: {missing}"


def test_a_run_of_the_sample_round_loads_none_of_them(tmp_path: Path) -> None:
    import subprocess
    import sys

    probe = (
        "import sys, matcher.cli\n"
        f"sys.argv = ['matcher', 'run', '-q', '--out', {str(tmp_path / 'out')!r}]\n"
        "try:\n    matcher.cli.app()\nexcept SystemExit as done:\n    code = done.code\n"
        f"print(code, ','.join(m for m in {NOT_FOR_A_RUN!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    code, _, loaded = done.stdout.strip().splitlines()[-1].partition(" ")
    assert code == "1"  # the sample round has input errors by design
    assert loaded == "", f"imported by the run: {loaded}"


def _package(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def test_the_engine_and_the_readers_know_nothing_of_each_other() -> None:
    crossing = [
        f"{source} → {target}"
        for source, targets in _graph().items()
        for target in targets
        if {_package(source), _package(target)} == {"engine", "ingest"}
    ]
    assert not crossing, "\n".join(sorted(crossing))
