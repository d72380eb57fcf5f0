"""The installable package: a wheel that scans with its own copy of the queries and only the scan's dependencies,
its console command, and constraints.txt pinning every dependency within pyproject.toml's ranges."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from detector import __version__
from tests.helpers import DEMO_LOGS, REPO_ROOT

PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SCAN_DEPENDENCIES = {"duckdb", "sqlglot", "rich", "msgspec", "isal", "pyarrow", "boto3"}
"""What `scan` imports: DuckDB and sqlglot run the SQL, the reader needs isal, msgspec and pyarrow, rich draws the
table, boto3 reads s3:// paths and traces."""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from the checkout, as `pip install .` builds it."""
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(folder), "."],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    (built,) = folder.glob("*.whl")
    return built


def wheel_metadata(wheel: Path) -> tuple[list[str], dict[str, list[str]], str]:
    """The wheel's file names, its METADATA headers, and its entry points."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = next(name for name in names if name.endswith(".dist-info/METADATA"))
        points = next(name for name in names if name.endswith(".dist-info/entry_points.txt"))
        message = Parser().parsestr(archive.read(info).decode("utf-8"), headersonly=True)
        headers = {key: message.get_all(key) or [] for key in set(message.keys())}
        return names, headers, archive.read(points).decode("utf-8")


def test_wheel_holds_the_detector_and_every_query_and_nothing_else(wheel: Path) -> None:
    # GIVEN the wheel built from the checkout
    # WHEN its files are listed
    names, _, _ = wheel_metadata(wheel)
    # THEN it holds every query file of queries/ (sources too) under detector/queries, and no stack, test or sample
    queries = {p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / "queries").rglob("*.sql")}
    assert {f"detector/{name}" for name in queries} <= set(names)
    assert {name.split("/")[0] for name in names} == {"detector", f"legacy_s3_client_detector-{__version__}.dist-info"}


def test_wheel_requires_only_what_scanning_needs_and_names_its_command(wheel: Path) -> None:
    # GIVEN the wheel built from the checkout
    # WHEN its dependencies and entry points are read
    _, headers, points = wheel_metadata(wheel)
    required = [Requirement(text) for text in headers["Requires-Dist"]]
    # THEN installing it brings the scan's dependencies alone; the CDK and the test tools are extras
    assert {r.name for r in required if r.marker is None} == SCAN_DEPENDENCIES
    extras = {r.name for r in required if r.marker is not None}
    assert {"aws-cdk-lib", "aws-lambda-powertools", "moto", "cfn-lint"} <= extras
    assert sorted(headers["Provides-Extra"]) == ["cdk", "dev"]
    assert "s3-legacy-clients = detector.local.cli:main" in points


def test_installed_wheel_scans_the_samples_with_its_own_queries(wheel: Path, tmp_path: Path) -> None:
    # GIVEN the wheel installed into a folder of its own, and a Python that imports the detector from there only
    folder = tmp_path
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(folder / "site"), str(wheel)],
        check=True,
        capture_output=True,
    )
    probe = (
        "import io, json, sys, contextlib\n"
        f"sys.path.insert(0, {str(folder / 'site')!r})\n"
        "from detector.core import queries\n"
        "from detector.local.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    code = main(['scan', {str(DEMO_LOGS)!r}, '--format', 'json'])\n"
        "print(json.dumps({'code': code, 'queries': str(queries.QUERIES_DIR), 'report': json.loads(out.getvalue())}))\n"
    )
    # WHEN it scans the samples from a folder outside the checkout
    result = subprocess.run([sys.executable, "-c", probe], cwd=folder, capture_output=True, text=True, check=False)
    # THEN it finds the checkout's findings, reading the queries the wheel carries
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["code"] == 0
    assert answer["queries"] == str(folder / "site" / "detector" / "queries")
    assert len(answer["report"]["findings"]) == 6


def test_constraints_pin_every_dependency_within_its_range() -> None:
    # GIVEN pyproject.toml's dependencies and extras, and constraints.txt
    project = PYPROJECT["project"]
    declared = [Requirement(text) for text in project["dependencies"]]
    declared += [Requirement(text) for extra in project["optional-dependencies"].values() for text in extra]
    lines = (REPO_ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
    pins = {}
    for line in lines:
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[name.lower().replace("_", "-")] = version
    # WHEN each declared dependency is looked up there
    unpinned = [str(r) for r in declared if r.name.lower() not in pins]
    outside = [
        f"{r} (pinned {pins[r.name.lower()]})" for r in declared if pins.get(r.name.lower(), "") not in r.specifier
    ]
    # THEN each has an exact pin that its range allows
    assert unpinned == []
    assert outside == []
    assert all("==" in line for line in lines if line and not line.startswith("#"))
