"""The shape the architecture doc promises: small functions, layered packages, one docstring per package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT

MAX_FUNCTION_LINES = 50
PACKAGES = ("detector/core", "detector/aws", "detector/local", "detector/sources")
LAMBDA_ONLY = "aws_lambda_powertools"
MAY_NOT_IMPORT = {
    "detector/core": (
        *("detector.aws", "detector.local", "detector.sources", "aws_cdk", "duckdb", "sqlglot", "rich"),
        LAMBDA_ONLY,
    ),
    "detector/aws": ("detector.local", "detector.sources", "aws_cdk", "duckdb", "sqlglot", "rich"),
    "detector/sources": ("detector.aws", "detector.local", "aws_cdk", "duckdb", "sqlglot", "rich", LAMBDA_ONLY),
    "detector/local": ("aws_cdk", LAMBDA_ONLY),
}
"""The core is shared by both sides, so it imports neither; the Lambda side ships without the local one. Powertools
is in the Lambda bundle and the `cdk` extra, not in the scan's package, so only the Lambda side uses it."""


def python_files(*roots: str) -> list[Path]:
    return sorted(path for root in roots for path in (REPO_ROOT / root).rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_no_function_in_the_runtime_or_the_stacks_is_over_fifty_lines() -> None:
    # GIVEN every function in detector/, stacks/ and app.py
    files = [*python_files("detector", "stacks"), REPO_ROOT / "app.py"]
    # WHEN their lengths are measured, decorators to last line
    long = [
        f"{path.relative_to(REPO_ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in files
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    # THEN none is longer than fifty lines
    assert long == []


@pytest.mark.parametrize("package", sorted(MAY_NOT_IMPORT))
def test_each_package_imports_only_what_its_side_ships(package: str) -> None:
    # GIVEN the package's modules and what it may not depend on
    forbidden = MAY_NOT_IMPORT[package]
    # WHEN their imports are read
    offending = {
        f"{path.relative_to(REPO_ROOT)} imports {module}"
        for path in python_files(package)
        for module in imported_modules(path)
        if module.startswith(forbidden)
    }
    # THEN none reaches across
    assert offending == set()


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_says_in_one_line_what_it_is_for(package: str) -> None:
    # GIVEN the package's __init__.py
    module = ast.parse((REPO_ROOT / package / "__init__.py").read_text(encoding="utf-8"))
    # WHEN its docstring is read
    docstring = ast.get_docstring(module) or ""
    # THEN it is one line
    assert docstring and "\n" not in docstring.strip()


def test_every_test_says_what_it_sets_up_does_and_checks() -> None:
    # GIVEN every test function in tests/
    tests = [
        (path, node)
        for path in sorted((REPO_ROOT / "tests").glob("test_*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    ]
    # WHEN the comments in each body are read
    missing = []
    for path, node in tests:
        lines = path.read_text(encoding="utf-8").splitlines()[node.lineno - 1 : node.end_lineno]
        comments = " ".join(line.strip() for line in lines if line.strip().startswith("#"))
        if not all(word in comments for word in ("GIVEN", "WHEN", "THEN")):
            missing.append(f"{path.name}::{node.name}")
    # THEN each has a GIVEN, a WHEN and a THEN
    assert missing == []
