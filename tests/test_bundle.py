"""The Lambda's code asset: only the shared core and the AWS side, and nothing in it imports what it does not ship."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import aws_cdk as cdk
from aws_cdk.assertions import Template

from stacks.detector_function import BUNDLED_PACKAGES, HANDLER
from tests.helpers import REPO_ROOT, cached_synth, only

LAMBDA_RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
"""What the Lambda Python runtime provides besides the standard library: boto3 and its dependencies."""


def staged_code(stack: cdk.Stack, template: Template) -> Path:
    _, function = only(template, "AWS::Lambda::Function", {"Handler": HANDLER})
    asset_hash = function["Properties"]["Code"]["S3Key"].removesuffix(".zip")
    app = stack.node.root
    if not isinstance(app, cdk.App):
        raise TypeError("the stack is not in an App")
    return Path(app.outdir) / f"asset.{asset_hash}"


def test_asset_holds_the_core_and_aws_packages_and_nothing_else() -> None:
    # GIVEN the staged asset of the function's code
    stack, template = cached_synth()
    staged = staged_code(stack, template)
    # WHEN its files are listed
    files = {p.relative_to(staged).as_posix() for p in staged.rglob("*") if p.is_file()}
    # THEN they are exactly the bundled packages' sources (no bytecode, no CLI, local reader or cost model)
    expected = {"detector/__init__.py"} | {
        p.relative_to(REPO_ROOT).as_posix() for package in BUNDLED_PACKAGES for p in (REPO_ROOT / package).rglob("*.py")
    }
    assert files == expected
    assert not any(name.startswith(("detector/local/", "detector/sources/")) for name in files)


def test_every_bundled_module_imports_with_only_the_lambda_runtime() -> None:
    # GIVEN the staged asset, and a Python that refuses any import outside it, the standard library and boto3
    stack, template = cached_synth()
    staged = staged_code(stack, template)
    modules = sorted(
        ".".join(p.relative_to(staged).with_suffix("").parts).removesuffix(".__init__") for p in staged.rglob("*.py")
    )
    probe = textwrap.dedent(
        f"""
        import importlib, importlib.abc, sys
        allowed = set(sys.stdlib_module_names) | {set(LAMBDA_RUNTIME_PACKAGES)!r} | {{"detector"}}

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
        print(len({modules!r}))
        """
    )
    # WHEN each module is imported there
    result = subprocess.run([sys.executable, "-I", "-c", probe], capture_output=True, text=True, check=False)
    # THEN all import, each from the asset
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(len(modules))
    assert HANDLER.rpartition(".")[0] in modules
