"""The package's shape stays its architecture: imports point down the layers, and no two modules import each other.

Read from the sources with :mod:`ast` (nothing is imported). An edge is an ``import``/``from … import`` anywhere in a
module (top level or inside a function: a deferred import is still a dependency), or a string that is exactly a
module's dotted name (the CLI's subcommand table and the check launchers load modules by name), unless it follows
``-m`` in a command line: another process running a module is not a dependency of this one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "nagios_herd"

# Layer of each module: the first prefix that matches its dotted name (without "nagios_herd.").
# The top-level modules not named here belong to "core"; the two entry points (the ``nagios-herd`` command and
# the ``fab`` tasks) form the top layer, "cli".
LAYER_OF_PREFIX = {
    "parsers": "parsers",
    "plugin": "plugin",
    "checks": "checks",
    "inventory": "inventory",
    "nagios": "nagios",
    "generate": "generate",
    "adopt": "adopt",
    "ops": "ops",
    "watch": "watch",
    "commands": "commands",
    "lab": "lab",
    "cli": "cli",
    "tasks": "cli",
}

# The one table of allowed directions: a layer may import itself and the layers listed here, nothing else.
# Read from the bottom: core knows nothing of the herd's tools, parsers know only the text they read, checks are
# parsers plus the plugin runtime (never generation), and only the CLI's entry point reaches the lab. Checks may read
# core for the privilege model's names (the plugins' state dir is named once, where installers read it too).
ALLOWED = {
    "core": set(),
    "parsers": set(),
    "plugin": {"core"},
    "checks": {"core", "plugin", "parsers"},
    "inventory": {"core"},
    "nagios": {"core"},
    "generate": {"core", "inventory", "nagios", "parsers"},
    "adopt": {"core", "inventory", "nagios", "generate", "parsers"},  # adopt reads Nagios' precached objects
    "ops": {"core", "inventory", "nagios", "generate", "parsers"},
    "watch": {"core", "inventory", "ops", "parsers"},
    "commands": {"core", "inventory", "generate", "adopt", "ops", "watch"},
    "lab": {"core", "inventory", "nagios", "generate", "parsers", "ops"},
    "cli": {"core", "commands", "lab", "ops"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    first = module.split(".")[1] if "." in module else ""
    return LAYER_OF_PREFIX.get(first, "core")


def all_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """Modules of ``nagios_herd`` that ``module`` depends on (the deepest known module each import names)."""
    tree = ast.parse(path.read_text(), str(path))
    found: set[str] = set()
    run_as_program = {id(after) for node in ast.walk(tree) if isinstance(node, (ast.List, ast.Tuple))
                      for before, after in zip(node.elts, node.elts[1:])
                      if isinstance(before, ast.Constant) and before.value == "-m"}

    def add(name: str) -> None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name and name != module:
            found.add(name)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("nagios_herd"):
                    add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = resolve(module, path.name == "__init__.py", node)
            if base.startswith("nagios_herd"):
                for alias in node.names:
                    add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in known
              and id(node) not in run_as_program):
            add(node.value)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = all_modules()
    known = set(modules)
    return {name: imports_of(name, path, known) for name, path in modules.items()}


def test_every_module_has_a_layer_with_rules() -> None:
    assert set(ALLOWED) == set(LAYER_OF_PREFIX.values()) | {"core"}
    for upper, lowers in ALLOWED.items():
        assert upper not in lowers, f"{upper}: a layer does not list itself"


def test_imports_point_down_the_layers(graph: dict[str, set[str]]) -> None:
    wrong = sorted(f"{module} ({layer(module)}) imports {target} ({layer(target)})"
                   for module, targets in graph.items() for target in targets
                   if layer(target) != layer(module) and layer(target) not in ALLOWED[layer(module)])
    assert not wrong, "imports that point up or across the layers:\n" + "\n".join(wrong)


def test_the_allowed_directions_have_no_cycle() -> None:
    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(lower == goal or (lower not in seen and reaches(lower, goal, seen | {lower}))
                   for lower in ALLOWED[start])

    assert not [name for name in ALLOWED if reaches(name, name, {name})]


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a list of modules (first repeated at the end), or [] (iterative DFS, three colours)."""
    colour = dict.fromkeys(graph, 0)
    for root in sorted(graph):
        if colour[root]:
            continue
        stack = [(root, iter(sorted(graph[root])))]
        path = [root]
        colour[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = 2
                stack.pop()
                path.pop()
            elif colour.get(child) == 1:
                return path[path.index(child):] + [child]
            elif colour.get(child) == 0:
                colour[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(graph[child]))))
    return []


def test_no_import_cycle_between_modules(graph: dict[str, set[str]]) -> None:
    cycle = find_cycle(graph)
    assert not cycle, "import cycle: " + " → ".join(cycle)


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def test_few_modules_loose_at_the_top() -> None:
    loose = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(loose) <= 12, loose


def test_the_lab_is_reached_only_from_the_lab_and_the_cli(graph: dict[str, set[str]]) -> None:
    users = sorted(module for module, targets in graph.items()
                   if layer(module) not in {"lab", "cli"} and any(layer(t) == "lab" for t in targets))
    assert not users
