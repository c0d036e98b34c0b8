"""The house rules of ``docs/architecture.md``, read from the code itself.

The layering (``api`` over ``crawlers`` over ``index`` over ``nlp``), the size limits of
modules and functions, no import circle inside ``api/cli``, and a classifier runtime that never
reaches into the training code. Each test names the file and line that breaks a rule.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: What each package may import, as ``docs/architecture.md`` draws it.
ALLOWED = {
    "nlp": set(),
    "index": {"nlp"},
    "crawlers": {"index", "nlp"},
    "api": {"crawlers", "index", "nlp"},
}
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 100


def _modules(*packages: str) -> list[Path]:
    return sorted(p for pkg in packages for p in (ROOT / pkg).rglob("*.py"))


def _dotted(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, int]]:
    """Absolute names of every module ``path`` imports (relative imports resolved), with lines."""
    return _imports_in(path.read_text(encoding="utf-8"), _dotted(path), is_package=path.name == "__init__.py")


def _imports_in(source: str, dotted: str, is_package: bool = False) -> list[tuple[str, int]]:
    package = dotted if is_package else dotted.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            name = node.module or ""
            if node.level:
                base = package.split(".")
                name = ".".join(base[: len(base) - node.level + 1] + ([node.module] if node.module else []))
                # ``from . import x`` imports the submodule x
                out += [(f"{name}.{a.name}", node.lineno) for a in node.names if not node.module]
            out.append((name, node.lineno))
    return out


def _upward(pkg: str, imports: list[tuple[str, int]]) -> list[tuple[str, int]]:
    return [(name, line) for name, line in imports
            if name.split(".")[0] in ALLOWED and name.split(".")[0] != pkg
            and name.split(".")[0] not in ALLOWED[pkg]]  # fmt: skip


def test_no_package_imports_a_floor_above_it():
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {name} ({pkg} may import {sorted(ALLOWED[pkg]) or 'none of them'})"
             for pkg in ALLOWED for path in _modules(pkg) for name, line in _upward(pkg, _imports(path))]  # fmt: skip
    assert not wrong, "\n".join(wrong)


def test_the_layering_check_catches_upward_imports_absolute_relative_and_lazy():
    source = "from index.base import Backend\ndef f():\n    from ..api import settings\n    import crawlers.items\n"
    found = _upward("nlp", _imports_in(source, "nlp.probe"))
    assert [(n.split(".")[0], line) for n, line in found] == [("index", 1), ("api", 3), ("crawlers", 4)]
    assert _upward("api", _imports_in(source, "api.probe")) == []


@pytest.mark.parametrize("path", _modules("api", "crawlers", "index", "nlp", "scripts", "bench"),
                         ids=lambda p: str(p.relative_to(ROOT)))  # fmt: skip
def test_modules_and_functions_stay_small(path):
    source = path.read_text(encoding="utf-8")
    lines = source.count("\n")
    assert lines <= MAX_MODULE_LINES, f"{path.relative_to(ROOT)}: {lines} lines (at most {MAX_MODULE_LINES}): split it by what it holds"
    long = [f"{path.relative_to(ROOT)}:{node.lineno} {node.name}() is {node.end_lineno - node.lineno + 1} lines"
            for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]  # fmt: skip
    assert not long, "; ".join(long) + f" (at most {MAX_FUNCTION_LINES}): split it into named steps"


def test_cli_command_modules_import_only_the_common_module():
    """``api/cli/__init__`` imports the groups; a group importing another group or the package
    would bring back the import circle the package was made to end."""
    cli = ROOT / "api" / "cli"
    groups = {p.stem for p in cli.glob("*.py")} - {"__init__", "__main__", "_common"}
    wrong = []
    for path in sorted(cli.glob("*.py")):
        if path.stem in {"__init__", "__main__"}:
            continue
        for name, line in _imports(path):
            if name == "api.cli" or (name.startswith("api.cli.") and name.split(".")[2] in groups):
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not wrong, "\n".join(wrong)


def test_the_classifier_runtime_never_imports_the_training_code():
    training = ROOT / "nlp" / "training"
    if not training.is_dir():
        pytest.skip("no nlp/training package in this checkout")
    wrong = []
    for path in _modules("nlp"):
        if training in path.parents or (ROOT / "nlp" / "annotations") in path.parents:
            continue
        for name, line in _imports(path):
            if name == "nlp.training" or name.startswith("nlp.training."):
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not wrong, "\n".join(wrong)


def test_the_architecture_document_names_modules_that_exist():
    """Every ``path/like.py`` or package folder the document names is in the tree."""
    import re

    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:api|crawlers|index|nlp|tests|scripts)/[\w/.]*)`", text))
    missing = [n for n in sorted(named) if not (ROOT / n.rstrip("/")).exists()]
    assert not missing, f"docs/architecture.md names paths that do not exist: {missing}"
