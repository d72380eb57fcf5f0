"""Legacy us-east-1 bucket names (capitals, underscores, up to 255 characters): accepted by `watchedBuckets`, and the
trail's selectors, the IAM and bucket policies, the logging switches and the access-log table built from them valid."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from detector.sources import access_logs
from stacks.settings import DeploySettings, WatchedBucket
from tests.helpers import cached_synth, only

SHOUTING = "Legacy_Uploads_2014"
LONGEST = "Old_Archive." + "x" * (255 - len("Old_Archive."))
MODERN = "modern-bucket"
LEGACY = (SHOUTING, LONGEST)
WATCHED = ",".join((*LEGACY, MODERN))

SELECTOR_VALUE = re.compile(r".+", re.DOTALL)
SELECTOR_VALUE_MAX = 2048
"""CloudTrail AdvancedFieldSelector values: `OperatorValue`, pattern `.+`, 1-2048 characters (botocore's cloudtrail
service model)."""
BUCKET_ARN = re.compile(r"^arn:aws:s3:::[A-Za-z0-9._-]{3,255}(/.*)?$")


def statements(template: Template, type_: str) -> list[dict[str, Any]]:
    return [
        statement
        for resource in template.find_resources(type_).values()
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
    ]


def arns_in(value: Any) -> list[str]:
    """Every `arn:aws:s3:::...` string inside a policy value."""
    text = json.dumps(value)
    return re.findall(r'arn:aws:s3:::[^"*]*', text)


def test_legacy_names_are_watched_buckets() -> None:
    # GIVEN two legacy names, one with its region, and a modern one
    # WHEN settings are built from them
    settings = DeploySettings.from_context({"watchedBuckets": [SHOUTING, f"{LONGEST}@us-east-1", MODERN]})
    # THEN each is watched under its exact name
    assert settings.watched_buckets == (
        WatchedBucket(SHOUTING),
        WatchedBucket(LONGEST, "us-east-1"),
        WatchedBucket(MODERN),
    )


def test_a_legacy_name_outside_us_east_1_fails_naming_the_region() -> None:
    # GIVEN a legacy name given a region other than us-east-1, where S3 never allowed such names
    # WHEN settings are built from it
    with pytest.raises(ValueError) as raised:
        DeploySettings.from_context({"watchedBuckets": f"{SHOUTING}@eu-west-1"})
    # THEN synth stops, naming the key, the entry and the region legacy names live in
    message = str(raised.value)
    assert "'watchedBuckets'" in message and f"{SHOUTING}@eu-west-1" in message and "us-east-1" in message


def test_the_trail_selects_legacy_buckets_by_their_exact_names() -> None:
    # GIVEN the cloudtrail stack watching two legacy buckets and a modern one
    _stack, template = cached_synth((("watchedBuckets", WATCHED),))
    # WHEN the trail's ARN selector is read
    _, trail = only(template, "AWS::CloudTrail::Trail")
    (selector,) = trail["Properties"]["AdvancedEventSelectors"]
    (arns,) = [field["StartsWith"] for field in selector["FieldSelectors"] if field["Field"] == "resources.ARN"]
    # THEN it names each bucket's objects exactly, each a value CloudTrail accepts
    assert arns == [f"arn:aws:s3:::{name}/" for name in (*LEGACY, MODERN)]
    assert all(SELECTOR_VALUE.fullmatch(arn) and len(arn) <= SELECTOR_VALUE_MAX for arn in arns)


@pytest.fixture(scope="module")
def access_logged() -> Template:
    _stack, template = cached_synth((("source", "access-logs"), ("watchedBuckets", WATCHED)))
    return template


def test_access_log_policies_name_legacy_buckets_by_valid_arns(access_logged: Template) -> None:
    # GIVEN the access-log stack watching two legacy buckets and a modern one
    # WHEN the bucket ARNs in its IAM and bucket policies are read
    iam = [arn for s in statements(access_logged, "AWS::IAM::Policy") for arn in arns_in(s["Resource"])]
    logging = [s for s in statements(access_logged, "AWS::S3::BucketPolicy") if "logging.s3" in json.dumps(s)]
    sources = [arn for s in logging for arn in arns_in(s["Condition"])]
    # THEN each bucket appears by its exact name, in ARNs of S3's format
    for name in (*LEGACY, MODERN):
        assert f"arn:aws:s3:::{name}" in iam
        assert f"arn:aws:s3:::{name}" in sources
    assert all(BUCKET_ARN.match(arn) for arn in iam + sources)


def test_logging_is_switched_on_and_projected_for_each_legacy_bucket(access_logged: Template) -> None:
    # GIVEN the access-log stack watching two legacy buckets and a modern one
    # WHEN its logging switches and the access-log table's bucket partition are read
    switched = [r["Properties"]["Bucket"] for r in access_logged.find_resources("Custom::BucketLogging").values()]
    _, table = only(access_logged, "AWS::Glue::Table")
    projected = table["Properties"]["TableInput"]["Parameters"]["projection.bucket.values"]
    # THEN each bucket is switched on under its exact name and is a value of the projection
    assert sorted(switched) == sorted((*LEGACY, MODERN))
    assert sorted(projected.split(",")) == sorted((*LEGACY, MODERN))


def test_the_access_log_reader_places_a_legacy_buckets_partitioned_key() -> None:
    # GIVEN the key S3 delivers a legacy bucket's log under, in the partitioned layout
    key = f"{access_logs.LOG_PREFIX}123456789012/us-east-1/{SHOUTING}/2026/11/20/2026-11-20-00-05-00-ABCDEF0123456789"
    # WHEN the reader parses it
    where = access_logs.parse_log_path(key)
    # THEN the bucket is the legacy name, whole
    assert where is not None and where.bucket == SHOUTING


def test_the_legacy_access_log_template_passes_cfn_lint(access_logged: Template, tmp_path: Path) -> None:
    # GIVEN the access-log stack's template with the legacy names
    path = tmp_path / "legacy.template.json"
    path.write_text(json.dumps(access_logged.to_json()), encoding="utf-8")
    # WHEN cfn-lint checks it
    result = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), "--ignore-checks", "W3005", "--", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    # THEN it finds nothing
    assert result.returncode == 0, result.stdout + result.stderr
