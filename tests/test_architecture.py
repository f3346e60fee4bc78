"""The layers of coopledger, read from the source (CONTRIBUTING.md draws them).

Every import of every module counts: at the top, inside a function, under
`if TYPE_CHECKING:`. A cycle hidden in a function-local import is still a
cycle: the two modules cannot be understood, tested or moved one without the
other. So the graph of `coopledger.*` modules must be acyclic; the packages
form layers (RANKS below; each subpackage's __init__ says what it may import),
and none imports a layer above it or beside it; only `coopledger.cli` may speak
to the terminal (rich, typer).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "coopledger"

# the layers, lowest first: a package may import only packages of a lower rank
# (each subpackage's __init__ says which, in its "May import:" paragraph)
RANKS = {
    "i18n": 0,  # the reader's language: a leaf every layer may use
    "model": 1,
    "validation": 2,
    "language": 2,
    "plugin": 3,
    "git": 3,
    "cache": 4,
    "storage": 5,
    "setoff": 6,
    "reporting": 6,
    "review": 6,
    "founding": 6,
    "plans": 7,
    "intergroup": 8,
    "ledger": 9,
    "cli": 10,
    "fava_ext": 10,  # the members' window in fava: a face, like the command line
    "__main__": 11,
    "__init__": 11,  # the package's own docstring and version: imports nothing
}
TERMINAL = {"rich", "typer", "click"}
# what only the ledger drives: loading and writing the files, the caches, git and
# the gate's reading of history; the command line goes through `coopledger.ledger`
BEHIND_THE_LEDGER = ("storage", "cache", "git", "review.gatekeeper")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def syntax_of(path: Path) -> ast.Module:
    """The syntax tree of the file at `path` as it is now (parsed once per text:
    several tests and both kinds of import below read every module)."""
    return _parsed(path.read_text(encoding="utf-8"))


@functools.cache
def _parsed(text: str) -> ast.Module:
    return ast.parse(text)


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, anywhere in it, as dotted names (`from a
    import b` counts as both `a` and `a.b`: b may be a module; the command
    line's `lazy_module("a.b")` counts as an import of `a.b`)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(syntax_of(path)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found | lazy_imports_of(path)


def lazy_imports_of(path: Path) -> set[str]:
    """The modules a file binds with the command line's `lazy_module("a.b")`."""
    return {
        node.args[0].value
        for node in ast.walk(syntax_of(path))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "lazy_module"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    }


@functools.cache
def graph() -> dict[str, set[str]]:
    """coopledger module -> the coopledger modules it imports (not the package itself);
    read once per session (every parametrised test below asks for it)."""
    files = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
    return {
        name: {m for m in imports_of(path) if m in files and m not in (name, "coopledger")}
        for name, path in files.items()
    }


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A cycle of `edges` as a path a -> ... -> a, or None (depth-first, in name order)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def short(name: str) -> str:
    return name.removeprefix("coopledger.")


def test_the_finder_sees_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_function_local_and_type_checking_imports_count(tmp_path):
    module = tmp_path / "x.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from coopledger.storage.store import Change\n"
        "def f():\n    from coopledger.git import gitrepo\n",
        encoding="utf-8",
    )
    found = imports_of_outside(module)
    assert {"coopledger.storage.store", "coopledger.git.gitrepo"} <= found


def imports_of_outside(path: Path) -> set[str]:
    """`imports_of` for a file outside the package (absolute imports only)."""
    found: set[str] = set()
    for node in ast.walk(syntax_of(path)):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_the_modules_import_no_cycle():
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(map(short, cycle or []))


def layer(module: str) -> str:
    """The layer a module belongs to: `coopledger.model.money` -> `model`."""
    return module.split(".")[1] if "." in module else "__init__"


def package_edges() -> dict[tuple[str, str], list[str]]:
    """(importing layer, imported layer) -> the module imports that make the edge."""
    edges: dict[tuple[str, str], list[str]] = {}
    for name, imported in graph().items():
        for other in imported:
            if layer(name) != layer(other):
                edges.setdefault((layer(name), layer(other)), []).append(
                    f"{short(name)} -> {short(other)}"
                )
    return edges


def test_every_module_sits_in_a_known_layer():
    assert {layer(name) for name in graph()} <= set(RANKS)


def upward(edges: dict[tuple[str, str], list[str]]) -> list[str]:
    """The edges that go to a layer of the same or a higher rank, worded."""
    return [
        f"{importer} (rank {RANKS[importer]}) imports {imported} (rank {RANKS[imported]}): "
        + ", ".join(sorted(modules))
        for (importer, imported), modules in sorted(edges.items())
        if RANKS[imported] >= RANKS[importer]
    ]


def test_no_layer_imports_a_layer_above_or_beside_it():
    wrong = upward(package_edges())
    assert not wrong, "\n".join(wrong)


def test_the_rank_rule_sees_an_upward_and_a_sideways_import():
    edges = {
        ("model", "storage"): ["model.rules -> storage.store"],
        ("review", "reporting"): ["review.gate -> reporting.balances"],
        ("plans", "model"): ["plans.writes -> model.money"],
    }
    assert [line.split(":")[0] for line in upward(edges)] == [
        "model (rank 1) imports storage (rank 5)",
        "review (rank 6) imports reporting (rank 6)",
    ]


def allowed_by_docstring(package: Path) -> set[str]:
    """The layers a subpackage's __init__ names in its 'May import:' paragraph."""
    doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
    assert doc and "May import:" in doc, f"{package.name}/__init__.py says nothing of its imports"
    paragraph = doc.split("May import:", 1)[1].split("\n\n", 1)[0]
    words = {word.strip("`.,():").removeprefix("coopledger.") for word in paragraph.split()}
    return {word.split(".")[0] for word in words} & set(RANKS)


SUBPACKAGES = sorted(p.parent for p in PACKAGE.glob("*/__init__.py") if p.parent.name != "cli")


@pytest.mark.parametrize("package", SUBPACKAGES, ids=lambda p: p.name)
def test_each_package_imports_only_what_its_init_says(package: Path):
    allowed = allowed_by_docstring(package)
    used = {
        imported for (importer, imported), _ in package_edges().items() if importer == package.name
    }
    assert used <= allowed, (
        f"coopledger/{package.name}/__init__.py allows {sorted(allowed)}, "
        f"but the package imports {sorted(used - allowed)} too"
    )


def test_nothing_below_the_cli_speaks_to_the_terminal():
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        if (
            name == "coopledger.cli"
            or name.startswith("coopledger.cli.")
            or name.endswith("__main__")
        ):
            continue
        terminal = {m.split(".")[0] for m in imports_of(path)} & TERMINAL
        assert not terminal, f"{short(name)} imports {', '.join(sorted(terminal))}"


def cli_modules() -> list[Path]:
    return sorted((PACKAGE / "cli").rglob("*.py"))


def reaches_behind_the_ledger(path: Path) -> set[str]:
    """The modules behind the ledger that `path` imports (anywhere, lazily too)."""
    return {
        short(m)
        for m in imports_of(path)
        if m.startswith("coopledger.")
        and any(short(m) == b or short(m).startswith(b + ".") for b in BEHIND_THE_LEDGER)
    }


def test_the_command_line_goes_through_the_ledger():
    """A command parses, makes one call to `coopledger.ledger`, renders: it never
    loads or writes the files, reads a cache or runs git itself (CONTRIBUTING.md)."""
    assert cli_modules()
    for path in cli_modules():
        found = reaches_behind_the_ledger(path)
        assert not found, f"{short(module_name(path))} imports {', '.join(sorted(found))}"


def test_a_lazy_or_type_only_import_behind_the_ledger_counts(tmp_path):
    module = tmp_path / "cli" / "x.py"
    module.parent.mkdir()
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from coopledger.storage import store\n"
        "else:\n    gitrepo = lazy_module('coopledger.git.gitrepo')\n"
        "def f():\n    from coopledger.cache.snapshot import load_saved\n",
        encoding="utf-8",
    )
    found = {short(m) for m in imports_of_outside(module) | lazy_imports_of(module)}
    assert {"storage.store", "git.gitrepo", "cache.snapshot.load_saved"} <= found
