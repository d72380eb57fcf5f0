"""The Lambda's code asset: the shared core, the AWS side and the pinned libraries they need beyond the runtime, the
same hash for the same content, and nothing in it importing what it does not ship."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import aws_cdk as cdk
from aws_cdk.assertions import Template

from stacks.bundle import BUNDLED_LIBRARIES, BUNDLED_PACKAGES, library_files
from stacks.detector_function import HANDLER
from tests.helpers import REPO_ROOT, cached_synth, only, synth_stack

LAMBDA_RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
"""What the Lambda Python runtime provides besides the standard library: boto3 and its dependencies."""
BUNDLED_MODULES = ("aws_lambda_powertools", "typing_extensions")
"""The top-level modules of `BUNDLED_LIBRARIES`."""


def staged_code(stack: cdk.Stack, template: Template) -> Path:
    _, function = only(template, "AWS::Lambda::Function", {"Handler": HANDLER})
    asset_hash = function["Properties"]["Code"]["S3Key"].removesuffix(".zip")
    app = stack.node.root
    if not isinstance(app, cdk.App):
        raise TypeError("the stack is not in an App")
    return Path(app.outdir) / f"asset.{asset_hash}"


def test_asset_holds_the_core_and_aws_packages_the_libraries_and_nothing_else() -> None:
    # GIVEN the staged asset of the function's code
    stack, template = cached_synth()
    staged = staged_code(stack, template)
    # WHEN its files are listed
    files = {p.relative_to(staged).as_posix() for p in staged.rglob("*") if p.is_file()}
    # THEN they are the bundled packages' sources and the libraries' installed files (no bytecode, no CLI, local
    # reader or cost model)
    ours = {"detector/__init__.py"} | {
        p.relative_to(REPO_ROOT).as_posix() for package in BUNDLED_PACKAGES for p in (REPO_ROOT / package).rglob("*.py")
    }
    libraries = {relative.as_posix() for name in BUNDLED_LIBRARIES for _, relative in library_files(name)}
    assert files == ours | libraries
    assert not any(name.startswith(("detector/local/", "detector/sources/")) or name.endswith(".pyc") for name in files)
    assert "aws_lambda_powertools-3.37.0.dist-info/METADATA" in files


def test_the_same_code_gives_the_same_asset_hash() -> None:
    # GIVEN the asset of a first synth
    first = only(cached_synth()[1], "AWS::Lambda::Function", {"Handler": HANDLER})[1]
    # WHEN the stack is synthesized again in a fresh app
    again = only(synth_stack()[1], "AWS::Lambda::Function", {"Handler": HANDLER})[1]
    # THEN the asset key is the same, so a deploy uploads nothing new
    assert again["Properties"]["Code"]["S3Key"] == first["Properties"]["Code"]["S3Key"]


def test_every_bundled_module_imports_with_only_the_lambda_runtime() -> None:
    # GIVEN the staged asset, and a Python that refuses any import outside it, the standard library and boto3
    stack, template = cached_synth()
    staged = staged_code(stack, template)
    ours = sorted(
        ".".join(p.relative_to(staged).with_suffix("").parts).removesuffix(".__init__")
        for p in (staged / "detector").rglob("*.py")
    )
    modules = [*ours, *BUNDLED_MODULES]
    probe = textwrap.dedent(
        f"""
        import importlib, importlib.abc, sys
        allowed = set(sys.stdlib_module_names) | {set(LAMBDA_RUNTIME_PACKAGES)!r} | {{"detector"}}
        allowed |= {set(BUNDLED_MODULES)!r}

        class Refuse(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.partition(".")[0] not in allowed:
                    raise ModuleNotFoundError(f"the Lambda bundle has no {{name}}")
                return None

        sys.meta_path.insert(0, Refuse())
        sys.path.insert(0, {str(staged)!r})
        for module in {modules!r}:
            loaded = importlib.import_module(module)
            if not loaded.__file__.startswith({str(staged)!r}):
                raise SystemExit(f"{{module}} came from {{loaded.__file__}}, not the asset")
        for name, loaded in list(sys.modules.items()):
            shipped = name.partition(".")[0] in {set(BUNDLED_MODULES)!r} | {{"detector"}}
            where = getattr(loaded, "__file__", None) or {str(staged)!r}
            if shipped and not where.startswith({str(staged)!r}):
                raise SystemExit(f"{{name}} came from {{where}}, not the asset")
        print(len({modules!r}))
        """
    )
    # WHEN each of our modules, and each library, is imported there
    result = subprocess.run([sys.executable, "-I", "-c", probe], capture_output=True, text=True, check=False)
    # THEN all import, each from the asset (what they import of the libraries too)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(len(modules))
    assert HANDLER.rpartition(".")[0] in modules
