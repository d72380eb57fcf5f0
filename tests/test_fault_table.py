"""The README's fault table names tests that exist: a renamed or deleted test cannot leave a fault unproven."""

from __future__ import annotations

import ast
import re

from tests.helpers import REPO_ROOT

TABLE = re.compile(r"<!-- faults:start -->\n(.*?)<!-- faults:end -->", re.DOTALL)


def referenced_tests(table: str) -> list[tuple[str, str]]:
    """(file, test) for each `tests/x.py::name` and each following `::name` of the same row."""
    found: list[tuple[str, str]] = []
    for row in table.splitlines()[2:]:
        current = ""
        for match in re.finditer(r"`(tests/\w+\.py)?::(\w+)`", row):
            current = match[1] or current
            found.append((current, match[2]))
    return found


def defined_tests(path: str) -> set[str]:
    tree = ast.parse((REPO_ROOT / path).read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def test_every_test_the_fault_table_names_exists() -> None:
    # GIVEN the README's fault table
    table = TABLE.search((REPO_ROOT / "README.md").read_text(encoding="utf-8"))
    assert table, "README.md has no <!-- faults:start --> ... <!-- faults:end --> section"
    # WHEN the tests it names are looked up in their files
    references = referenced_tests(table[1])
    missing = [f"{path}::{name}" for path, name in references if not path or name not in defined_tests(path)]
    # THEN every one exists, and every row names at least one
    assert references and missing == []
    rows = [row for row in table[1].splitlines()[2:] if row.startswith("|")]
    assert all("::" in row for row in rows)
