"""The layering of the code, checked from the source (ast), not from what happens to be imported:
rules import no Flask, no pages, no CLI and no demo data; models import no rules; domain modules import each
other without a circle (lazy imports inside functions count too)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "matchmaker"
FORBIDDEN_IN_DOMAIN = ("flask", "flask_login", "flask_wtf", "wtforms", "matchmaker.web", "matchmaker.cli",
                       "matchmaker.commands", "matchmaker.demo")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, absolute, with `from pkg import module` resolved to the module."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                if _exists(candidate):
                    found.add(candidate)
    return found


def _exists(dotted: str) -> bool:
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def modules_under(sub: str) -> list[Path]:
    return sorted((PACKAGE / sub).rglob("*.py"))


DOMAIN = modules_under("domain")


def test_the_domain_has_capability_rooms():
    rooms = {p.name for p in (PACKAGE / "domain").iterdir() if (p / "__init__.py").exists()}
    assert {"requests", "outcomes", "firms", "whitelists", "events", "banks", "core"} <= rooms
    assert not [p.name for p in (PACKAGE / "domain").glob("*.py") if p.name != "__init__.py"]
    for room in rooms:
        init = (PACKAGE / "domain" / room / "__init__.py").read_text(encoding="utf-8")
        assert ast.get_docstring(ast.parse(init)), f"domain/{room}/__init__.py says what the room owns"


@pytest.mark.parametrize("path", DOMAIN, ids=lambda p: module_name(p))
def test_rules_import_no_flask_pages_cli_or_demo(path):
    bad = sorted(i for i in imports_of(path) for f in FORBIDDEN_IN_DOMAIN if i == f or i.startswith(f + "."))
    assert not bad, f"{module_name(path)} imports {bad}"


@pytest.mark.parametrize("path", modules_under("models"), ids=lambda p: module_name(p))
def test_models_import_no_rules(path):
    bad = sorted(i for i in imports_of(path) if i.startswith(("matchmaker.domain", "matchmaker.web")))
    assert not bad, f"{module_name(path)} imports {bad}"


@pytest.mark.parametrize("path", modules_under("web"), ids=lambda p: module_name(p))
def test_pages_never_call_commands(path):
    bad = sorted(i for i in imports_of(path) if i.startswith(("matchmaker.cli", "matchmaker.commands")))
    assert not bad, f"{module_name(path)} imports {bad}"


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}}) is None


def test_no_import_circle_among_domain_modules():
    names = {module_name(p) for p in DOMAIN if p.name != "__init__.py"}
    graph = {module_name(p): {i for i in imports_of(p) if i in names} for p in DOMAIN if p.name != "__init__.py"}
    assert find_cycle(graph) is None, " → ".join(find_cycle(graph))
