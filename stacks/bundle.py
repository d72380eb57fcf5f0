"""The Lambda asset, assembled at synth by copying files: no Docker, no network.

It holds the detector's shared core and AWS side (never the CLI, the local reader or the cost model) and the pinned
libraries the function imports that the Lambda Python runtime lacks, copied as they are installed in the Python that
synthesizes (so constraints.txt decides their versions). The runtime brings boto3 and its dependencies, jmespath among
them. Every library copied is pure Python, so an x86 machine builds the arm64 asset.
"""

from __future__ import annotations

import importlib.metadata
import shutil
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import ILocalBundling

REPO_ROOT = Path(__file__).resolve().parent.parent

BUNDLED_PACKAGES = ("detector/core", "detector/aws")
"""What the function runs of ours: the shared core and the AWS side."""

BUNDLED_LIBRARIES = ("aws-lambda-powertools", "typing-extensions")
"""Distributions the function imports beyond the runtime: Powertools (structured logs, metrics) and the one of its
requirements the runtime lacks (its METADATA requires jmespath and typing-extensions; jmespath comes with boto3)."""


class MissingLibrary(RuntimeError):
    """A bundled library is not installed where synth runs."""


def our_files() -> list[Path]:
    """The bundled packages' sources and the package's own `__init__.py`, relative to the repository."""
    sources = [REPO_ROOT / "detector" / "__init__.py"]
    sources += sorted(path for package in BUNDLED_PACKAGES for path in (REPO_ROOT / package).rglob("*.py"))
    return [path.relative_to(REPO_ROOT) for path in sources]


def library_files(name: str) -> list[tuple[Path, Path]]:
    """(installed path, path in the asset) of every file a distribution installed in site-packages, bytecode
    and scripts left out; its dist-info (version, licence) comes along."""
    try:
        distribution = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        raise MissingLibrary(
            f"{name} is not installed in this Python, and the function's asset needs it: "
            "pip install -c constraints.txt '.[cdk]'"
        ) from None
    files = []
    for file in distribution.files or ():
        relative = Path(str(file))
        if relative.parts[0] == ".." or "__pycache__" in relative.parts or relative.suffix == ".pyc":
            continue
        files.append((Path(str(distribution.locate_file(file))), relative))
    return files


def asset_files() -> list[tuple[Path, Path]]:
    """Every file of the asset: (where it is copied from, where it goes)."""
    ours = [(REPO_ROOT / relative, relative) for relative in our_files()]
    return ours + [pair for name in BUNDLED_LIBRARIES for pair in library_files(name)]


@jsii.implements(ILocalBundling)
class LocalCopy:
    """CDK's local bundling: copies `asset_files()` into the asset folder and says it succeeded."""

    def try_bundle(self, output_dir: str, options: Any) -> bool:
        for source, relative in asset_files():
            target = Path(output_dir) / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        return True
