"""The layout's rules (README, "Architecture"), read from the code's imports.

Every import of a project module is counted, at module level or inside a
function: an import hidden in a function still makes a cycle, it only
postpones it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("pops", "initiatives", "stakeholders", "impact", "actionplan")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The project module `name` stands for (a package's module, or the
    package itself), or None outside the project."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str, path: Path) -> set[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from package import module` imports the module.
            names = [f"{base}.{alias.name}" for alias in node.names] or [base]
        else:
            continue
        for name in names:
            target = _resolve(name)
            if target and target != module:
                found.add(target)
    return found


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def _cycle() -> list[str] | None:
    """One import cycle among the project's modules, if there is any."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        stack.append(module)
        for target in sorted(GRAPH[module]):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[module] = 2
        return None

    for module in sorted(GRAPH):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_the_graph_sees_function_level_imports():
    """The check reads imports inside functions too (the admin's action
    imports tasks at module level; signals are imported inside ready())."""
    assert "initiatives.signals" in GRAPH["initiatives.apps"]
    assert "initiatives.models" in GRAPH["initiatives.services.workflow"]


def test_no_import_cycle_between_the_project_modules():
    assert _cycle() is None, " → ".join(_cycle() or [])


@pytest.mark.parametrize(
    ("room", "forbidden"),
    [
        # Services hold the rules; they never reach up into a user interface or the queue's entry points.
        (
            "initiatives.services",
            ("initiatives.census", "initiatives.showcase.views", "initiatives.admin", "initiatives.tasks"),
        ),
        # Models are the bottom floor of each app.
        ("initiatives.models", ("initiatives.services", "initiatives.showcase", "initiatives.exchange")),
        ("stakeholders.models", ("initiatives.services", "initiatives.showcase", "initiatives.exchange")),
        ("impact.models", ("initiatives.services", "initiatives.showcase", "initiatives.exchange")),
        # The showcase reads; it does not write through the census's forms or the admin.
        ("initiatives.showcase", ("initiatives.census", "initiatives.admin", "initiatives.admin_review")),
    ],
)
def test_each_room_imports_only_from_the_rooms_below(room, forbidden):
    inside = [module for module in GRAPH if module == room or module.startswith(room + ".")]
    assert inside, room
    wrong = sorted(
        (module, target)
        for module in inside
        for target in GRAPH[module]
        if any(target == other or target.startswith(other + ".") for other in forbidden)
    )
    assert wrong == []
