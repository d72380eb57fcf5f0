"""Synthesize the stack the way `cdk synth` does: app.py's wiring, cdk.json's context, cdk-nag on.

`Template.from_stack` raises `RuntimeError("ValidationFailed: ...")` on any unacknowledged cdk-nag finding, so every
template returned here is nag-clean. Results are cached per context: the first synth in a process costs ~3 s.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template

from app import build

REPO_ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "111111111111"
REGION = "us-east-1"
OFFLINE_ENV = {"CDK_DEFAULT_ACCOUNT": ACCOUNT, "CDK_DEFAULT_REGION": REGION}


def cdk_json_context() -> dict[str, Any]:
    """The context `cdk synth` passes to the app: feature flags and setting defaults."""
    context: dict[str, Any] = json.loads((REPO_ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]
    return context


def synth_stack(overrides: tuple[tuple[str, Any], ...] = ()) -> tuple[cdk.Stack, Template]:
    """A fresh App each call (never shared across tests), with cdk.json's context plus `overrides`."""
    app = cdk.App(context={**cdk_json_context(), **dict(overrides)})
    stack = build(app, OFFLINE_ENV)
    return stack, Template.from_stack(stack)


@cache
def cached_synth(overrides: tuple[tuple[str, Any], ...] = ()) -> tuple[cdk.Stack, Template]:
    """`synth_stack`, once per distinct context in the test session; callers must not mutate the result."""
    return synth_stack(overrides)


def logical_id(stack: cdk.Stack, path: str) -> str:
    """The logical ID of the resource at construct path `path` below the stack, e.g. `LogArchive/Trail`."""
    node = stack.node.find_child(path.split("/")[0])
    for part in path.split("/")[1:]:
        node = node.node.find_child(part)
    resource = node.node.default_child or node
    assert isinstance(resource, cdk.CfnElement), path
    return stack.get_logical_id(resource)


def resolved(stack: cdk.Stack, value: Any) -> Any:
    """A token-bearing value as it appears in the template."""
    return stack.resolve(value)
