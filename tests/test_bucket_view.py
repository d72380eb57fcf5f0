"""The buckets view: per bucket and region who still sends SigV2 or legacy TLS, and the deny policy of each bucket
that had none, valid JSON with IAM's own condition keys; `scan --by bucket` prints the same."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from typing import Any

import pytest
from policy_sentry.querying.conditions import get_condition_key_details, get_condition_keys_for_service

from detector.core import policy
from detector.core.bucket_view import BucketStatus
from detector.core.window import Window
from detector.local.cli import EXIT_OK, main
from detector.local.scan import scan
from tests.helpers import LogTree, cloudtrail_event

WINDOW = Window(date(2026, 11, 20), date(2026, 11, 22))
OLD_CLI = "[aws-cli/1.11.10 Python/2.7.8 Linux/3.2.0-4-amd64 botocore/1.4.67]"
OPERATOR_TYPES = {"StringEquals": "string", "NumericLessThan": "numeric"}
"""IAM's condition operators used here and the condition-key type each compares."""


@pytest.fixture
def bucket_logs(log_tree: LogTree) -> LogTree:
    """`old-share` gets SigV2 on the 20th only; `tls-one` legacy TLS from anonymous readers; `clean` nothing old;
    `frankfurt` is clean in a region that never took SigV2."""
    log_tree.write(
        [
            cloudtrail_event(agent=OLD_CLI, signature="SigV2", bucket_name="old-share", when="2026-11-20T10:00:00Z"),
            cloudtrail_event(bucket_name="old-share", when="2026-11-22T10:00:00Z"),
            cloudtrail_event(arn=None, signature=None, tls="TLSv1", bucket_name="tls-one"),
            cloudtrail_event(bucket_name="clean"),
        ],
        day=date(2026, 11, 20),
    )
    log_tree.write([cloudtrail_event(bucket_name="frankfurt", region="eu-central-1")], region="eu-central-1")
    return log_tree


def statuses(tree: LogTree) -> dict[str, BucketStatus]:
    return {bucket.bucket: bucket for bucket in scan([tree.root], WINDOW, views=True).buckets}


def test_each_bucket_says_who_still_sends_sigv2_or_legacy_tls_and_how_long_it_has_been_clean(
    bucket_logs: LogTree,
) -> None:
    # GIVEN the bucket logs over a three-day window
    # WHEN they are scanned
    buckets = statuses(bucket_logs)

    # THEN old-share got one SigV2 request, from the CLI's principal, two days before the window ended
    share = buckets["old-share"]
    assert (share.sigv2_requests, share.requests, share.principals) == (1, 2, ["arn:aws:iam::111122223333:user/app"])
    assert (share.last_sigv2, share.days_without_sigv2, share.accepts_sigv2) == ("2026-11-20T10:00:00Z", 2, True)
    # AND tls-one got legacy TLS from anonymous readers, and has had no SigV2 the whole window
    tls_one = buckets["tls-one"]
    assert (tls_one.legacy_tls_requests, tls_one.principals, tls_one.days_without_sigv2) == (1, ["anonymous"], 3)
    # AND frankfurt's region refuses SigV2 anyway
    assert buckets["frankfurt"].accepts_sigv2 is False


def test_only_what_a_bucket_never_had_in_the_window_is_offered_for_refusal(bucket_logs: LogTree) -> None:
    # GIVEN the bucket logs
    # WHEN they are scanned
    buckets = statuses(bucket_logs)

    # THEN a clean bucket is offered both statements, each bucket with SigV2 or old TLS only the other one
    sids = {name: [statement["Sid"] for statement in bucket.deny_statements] for name, bucket in buckets.items()}
    assert sids == {
        "clean": ["DenySigV2", "DenyTlsBelow12"],
        "old-share": ["DenyTlsBelow12"],
        "tls-one": ["DenySigV2"],
        "frankfurt": ["DenyTlsBelow12"],
    }


def test_deny_policy_is_valid_json_with_iams_condition_keys_one_condition_per_statement(bucket_logs: LogTree) -> None:
    # GIVEN the clean bucket's policy, and IAM's condition keys for S3 (policy_sentry's copy of the Service
    # Authorization Reference)
    text = statuses(bucket_logs)["clean"].policy()
    assert text is not None
    iam_keys = set(get_condition_keys_for_service("s3"))

    # WHEN it is parsed as JSON
    document = json.loads(text)

    # THEN each statement denies everything on the bucket and its objects under one condition, as the docs write it
    assert document["Version"] == "2012-10-17"
    conditions = [statement["Condition"] for statement in document["Statement"]]
    assert conditions == [{"StringEquals": {"s3:signatureversion": "AWS"}}, {"NumericLessThan": {"s3:TlsVersion": 1.2}}]
    for statement in document["Statement"]:
        assert (statement["Effect"], statement["Principal"], statement["Action"]) == ("Deny", "*", "s3:*")
        assert statement["Resource"] == ["arn:aws:s3:::clean", "arn:aws:s3:::clean/*"]
        assert re.fullmatch(r"[A-Za-z0-9]+", statement["Sid"])
    # AND every condition key is one of IAM's, compared by an operator of its type
    for condition in conditions:
        ((operator, keys),) = condition.items()
        for key in keys:
            assert key in iam_keys
            assert get_condition_key_details("s3", key)["condition_value_type"] == OPERATOR_TYPES[operator]


@pytest.mark.parametrize(
    ("region", "arn"),
    [("us-east-1", "arn:aws:s3:::b"), ("cn-north-1", "arn:aws-cn:s3:::b"), ("us-gov-west-1", "arn:aws-us-gov:s3:::b")],
)
def test_deny_statement_names_the_bucket_in_its_regions_partition(region: str, arn: str) -> None:
    # GIVEN a bucket in a region of some partition
    # WHEN its statements are made
    statement = policy.deny_legacy_tls("b", region)
    # THEN they name the bucket's ARN in that partition
    assert statement["Resource"] == [arn, f"{arn}/*"]


def scan_by_bucket(capsys: pytest.CaptureFixture[str], tree: LogTree, *extra: str) -> str:
    code = main(["scan", str(tree.root), "--since", "2026-11-20", "--until", "2026-11-22", "--by", "bucket", *extra])
    assert code == EXIT_OK
    return capsys.readouterr().out


def test_scan_by_bucket_prints_each_bucket_and_the_policy_to_paste(
    bucket_logs: LogTree, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the bucket logs
    # WHEN they are scanned by bucket
    out = scan_by_bucket(capsys, bucket_logs)

    # THEN every bucket has a row and the clean one's policy is printed as JSON that parses
    for name in ("old-share", "tls-one", "clean", "frankfurt"):
        assert name in out
    policy_text = out.split("Deny policy for clean (check it, then paste it; never applied):\n", 1)[1]
    document, _end = json.JSONDecoder().raw_decode(policy_text)
    assert [statement["Sid"] for statement in document["Statement"]] == ["DenySigV2", "DenyTlsBelow12"]


def test_scan_by_bucket_as_json_and_csv_carries_the_same_buckets(
    bucket_logs: LogTree, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the bucket logs
    # WHEN they are scanned by bucket into JSON, then into CSV
    data: dict[str, Any] = json.loads(scan_by_bucket(capsys, bucket_logs, "--format", "json"))
    rows = list(csv.DictReader(io.StringIO(scan_by_bucket(capsys, bucket_logs, "--format", "csv"))))

    # THEN both list the same buckets with the same SigV2 counts, and JSON carries each deny statement
    assert {b["bucket"]: b["sigv2_requests"] for b in data["buckets"]} == {
        row["bucket"]: int(row["sigv2_requests"]) for row in rows
    }
    clean = next(b for b in data["buckets"] if b["bucket"] == "clean")
    assert [s["Sid"] for s in clean["deny_statements"]] == ["DenySigV2", "DenyTlsBelow12"]
    assert next(row for row in rows if row["bucket"] == "clean")["ready_to_deny"] == "SigV2, TLS < 1.2"
