"""The template's resources keep their logical IDs: a refactor must not replace the bucket, trail, table or others."""

from __future__ import annotations

import json

from tests.helpers import REPO_ROOT, cached_synth

BASELINE = REPO_ROOT / "tests" / "data" / "template_resources.json"
"""Logical ID -> type of every resource, as the default context synthesized before the runtime was regrouped."""

ADDED_SINCE: dict[str, str] = {
    # issue 9: a failed run is kept (queue, its TLS-only policy, its alarm, the function's async on-failure config)
    "DetectorFailedRuns524C757A": "AWS::SQS::Queue",
    "DetectorFailedRunsPolicy0DA36419": "AWS::SQS::QueuePolicy",
    "AlertingFailedRunsKept5A098890": "AWS::CloudWatch::Alarm",
    "DetectorFunctionEventInvokeConfigED59B161": "AWS::Lambda::EventInvokeConfig",
    # issue 9: the detector runs once at deploy, so the missed-run alarm starts from a real invocation
    "DetectorFirstRun83BA785E": "Custom::AWS",
    "DetectorFirstRunCustomResourcePolicy0445AD6A": "AWS::IAM::Policy",
    "AWS679f53fac002430cb0da5b7982bd22872D164C4C": "AWS::Lambda::Function",
    "DetectorFirstRunLogsDF8F9038": "AWS::Logs::LogGroup",
    "AWS679f53fac002430cb0da5b7982bd2287ServiceRoleC1EA0FF2": "AWS::IAM::Role",
    # issue 14: the days a window's requests span, as a saved query; the dashboard of the run's metrics
    "CatalogEventSpanQueryCC9CF451": "AWS::Athena::NamedQuery",
    "Dashboard7A714131": "AWS::CloudWatch::Dashboard",
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
