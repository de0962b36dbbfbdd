"""The layers of docs/architecture.md hold, and breaking them fails ``make lint``."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PACKAGES = ("domain", "application", "store", "projections", "api", "scheduler", "runtime")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imported(tree: ast.AST) -> list[tuple[ast.AST, str]]:
    found: list[tuple[ast.AST, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node, node.module))
    return found


def test_the_domain_imports_only_the_standard_library_eventsourcing_domain_and_holidays() -> None:
    """import-linter forbids whole external packages only; this names the allowed parts."""
    allowed = set(sys.stdlib_module_names) | {"holidays", "domain", "eventsourcing.domain"}
    wrong = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in modules("domain")
        for _, name in imported(ast.parse(path.read_text()))
        if name not in allowed
        and name.split(".")[0] not in allowed - {"eventsourcing"}
        and not name.startswith("domain.")
    ]
    assert wrong == []


def test_no_import_hides_inside_a_function() -> None:
    """An import inside a function would hide a cycle from the contracts."""
    hidden = []
    for package in PACKAGES:
        for path in modules(package):
            tree = ast.parse(path.read_text())
            for function in ast.walk(tree):
                if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    hidden += [
                        f"{path.relative_to(ROOT)}:{node.lineno} {name}"
                        for node, name in imported(function)
                    ]
    assert hidden == []


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml")],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def copy_of_the_code(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("domain/errors.py", "import psycopg", "The domain imports no infrastructure"),
        ("projections/base.py", "import api.deps", "Each layer imports only the layers below"),
        ("api/deps.py", "import scheduler", "Each layer imports only the layers below"),
        ("application/unit.py", "import sqlite3", "The application imports no driver"),
        ("api/deps.py", "import store.tokens", "Entry points reach the store only through"),
        ("projections/base.py", "import application.unit", "Projections are built from events"),
    ],
)
def test_a_deliberate_violation_breaks_the_contracts(
    copy_of_the_code: Path, module: str, line: str, contract: str
) -> None:
    assert lint_imports(copy_of_the_code).returncode == 0
    path = copy_of_the_code / module
    path.write_text(path.read_text() + f"\n{line}\n")
    result = lint_imports(copy_of_the_code)
    assert result.returncode != 0
    _, _, broken = result.stdout.partition("Broken contracts")
    assert contract in broken, result.stdout
