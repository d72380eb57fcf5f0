"""The template's resources keep their logical IDs: a refactor must not replace the bucket, trail, table or others."""

from __future__ import annotations

import json

from tests.helpers import REPO_ROOT, cached_synth

BASELINE = REPO_ROOT / "tests" / "data" / "template_resources.json"
"""Logical ID -> type of every resource, as the default context synthesized before the runtime was regrouped."""

ADDED_SINCE: dict[str, str] = {
    "CatalogBucketsQueryF105C9F5": "AWS::Athena::NamedQuery",
    "CatalogDailyQueryCDD9FB44": "AWS::Athena::NamedQuery",
}
"""Resources added on purpose after the baseline, each with its type."""


def test_default_template_has_exactly_the_baseline_resources_plus_the_added_ones() -> None:
    # GIVEN the recorded resource list and the resources added since
    expected = {**json.loads(BASELINE.read_text(encoding="utf-8")), **ADDED_SINCE}
    # WHEN the default context is synthesized
    _stack, template = cached_synth()
    resources = {logical: body["Type"] for logical, body in template.to_json()["Resources"].items()}
    # THEN the same logical IDs carry the same types: nothing replaced, nothing removed
    assert resources == expected
