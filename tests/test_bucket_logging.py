"""The custom resource that switches access logging on for existing buckets: create, update, delete, refusals.

moto validates the destination's policy like S3, but its get_bucket_logging never returns TargetObjectKeyFormat; the
tests that need the key format use botocore's Stubber instead.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from detector.aws import bucket_logging
from detector.aws.bucket_logging import OFF, OURS, handle, physical_id
from tests.helpers import logging_policy

DESTINATION = "det-access-111111111111-us-east-1"
PREFIX = "s3-access-logs/"
PROPERTIES = {"Bucket": "legacy-a", "TargetBucket": DESTINATION, "TargetPrefix": PREFIX}


@pytest.fixture
def s3(aws: None) -> Any:
    """A destination bucket that allows the logging service, and three source buckets."""
    client = boto3.client("s3", region_name="us-east-1")
    for name in (DESTINATION, "elsewhere-logs"):
        client.create_bucket(Bucket=name)
        client.put_bucket_policy(Bucket=name, Policy=logging_policy(name))
    for name in ("legacy-a", "legacy-b", "legacy-c"):
        client.create_bucket(Bucket=name)
    return client


def event(kind: str, properties: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"RequestType": kind, "ResourceProperties": properties or PROPERTIES, **extra}


def target_of(s3: Any, bucket: str) -> dict[str, Any] | None:
    enabled = s3.get_bucket_logging(Bucket=bucket).get("LoggingEnabled")
    return dict(enabled) if enabled else None


def test_create_switches_logging_on_and_records_that_it_was_off(s3: Any) -> None:
    # GIVEN a bucket that logs nowhere
    # WHEN the resource is created for it
    outcome = handle(event("Create"), s3)
    # THEN the bucket logs to the stack's bucket and prefix, and the ID records that logging was off before
    assert outcome.status == "SUCCESS"
    assert target_of(s3, "legacy-a") == {"TargetBucket": DESTINATION, "TargetPrefix": PREFIX}
    assert outcome.physical_id == physical_id("legacy-a", OFF)


def test_create_refuses_a_bucket_that_logs_elsewhere_and_names_where(s3: Any) -> None:
    # GIVEN a bucket that already logs to another bucket
    s3.put_bucket_logging(
        Bucket="legacy-b",
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "elsewhere-logs", "TargetPrefix": "audit/"}},
    )
    # WHEN the resource is created for it
    outcome = handle(event("Create", {**PROPERTIES, "Bucket": "legacy-b"}), s3)
    # THEN it fails, naming where the logs go and what to do, and the bucket's logging is untouched
    assert outcome.status == "FAILED"
    assert "s3://elsewhere-logs/audit/" in outcome.reason and "watchedBuckets" in outcome.reason
    assert target_of(s3, "legacy-b") == {"TargetBucket": "elsewhere-logs", "TargetPrefix": "audit/"}
    # AND deleting the failed resource changes nothing
    assert handle(event("Delete", PhysicalResourceId=outcome.physical_id), s3).status == "SUCCESS"
    assert target_of(s3, "legacy-b") == {"TargetBucket": "elsewhere-logs", "TargetPrefix": "audit/"}


def test_create_over_a_bucket_already_logging_to_us_records_it_as_ours(s3: Any) -> None:
    # GIVEN a bucket that already logs to the stack's bucket and prefix (a stack deployed before)
    s3.put_bucket_logging(
        Bucket="legacy-c", BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": DESTINATION, "TargetPrefix": PREFIX}}
    )
    # WHEN the resource is created, then deleted
    created = handle(event("Create", {**PROPERTIES, "Bucket": "legacy-c"}), s3)
    handle(event("Delete", {**PROPERTIES, "Bucket": "legacy-c"}, PhysicalResourceId=created.physical_id), s3)
    # THEN it succeeds, and delete leaves the logging as it found it
    assert created.physical_id == physical_id("legacy-c", OURS)
    assert target_of(s3, "legacy-c") == {"TargetBucket": DESTINATION, "TargetPrefix": PREFIX}


def test_delete_switches_logging_off_again_when_it_still_logs_to_us(s3: Any) -> None:
    # GIVEN a bucket the resource switched on
    created = handle(event("Create"), s3)
    # WHEN the resource is deleted
    outcome = handle(event("Delete", PhysicalResourceId=created.physical_id), s3)
    # THEN the bucket logs nowhere, as before
    assert outcome.status == "SUCCESS"
    assert target_of(s3, "legacy-a") is None


def test_delete_leaves_a_bucket_someone_pointed_elsewhere_since(s3: Any) -> None:
    # GIVEN a bucket the resource switched on, that someone then pointed at another bucket
    created = handle(event("Create"), s3)
    elsewhere = {"LoggingEnabled": {"TargetBucket": "elsewhere-logs", "TargetPrefix": "mine/"}}
    s3.put_bucket_logging(Bucket="legacy-a", BucketLoggingStatus=elsewhere)
    # WHEN the resource is deleted
    outcome = handle(event("Delete", PhysicalResourceId=created.physical_id), s3)
    # THEN their configuration stays
    assert outcome.status == "SUCCESS"
    assert target_of(s3, "legacy-a") == {"TargetBucket": "elsewhere-logs", "TargetPrefix": "mine/"}


def test_delete_of_a_bucket_that_is_gone_succeeds(s3: Any) -> None:
    # GIVEN a bucket the resource switched on, since deleted
    created = handle(event("Create"), s3)
    s3.delete_bucket(Bucket="legacy-a")
    # WHEN the resource is deleted
    outcome = handle(event("Delete", PhysicalResourceId=created.physical_id), s3)
    # THEN it succeeds: there is nothing to restore
    assert outcome.status == "SUCCESS"


def test_update_to_a_new_prefix_moves_the_logs_and_keeps_the_recorded_state(s3: Any) -> None:
    # GIVEN a bucket the resource switched on
    created = handle(event("Create"), s3)
    # WHEN the resource is updated to another prefix
    moved = {**PROPERTIES, "TargetPrefix": "moved/"}
    outcome = handle(
        event("Update", moved, OldResourceProperties=PROPERTIES, PhysicalResourceId=created.physical_id), s3
    )
    # THEN the logs go to the new prefix, and the resource (and what it recorded) is the same
    assert target_of(s3, "legacy-a") == {"TargetBucket": DESTINATION, "TargetPrefix": "moved/"}
    assert outcome.physical_id == created.physical_id


def test_update_to_another_bucket_is_a_new_resource(s3: Any) -> None:
    # GIVEN a resource for one bucket
    created = handle(event("Create"), s3)
    # WHEN it is updated to watch another bucket
    other = {**PROPERTIES, "Bucket": "legacy-b"}
    outcome = handle(
        event("Update", other, OldResourceProperties=PROPERTIES, PhysicalResourceId=created.physical_id), s3
    )
    # THEN the other bucket logs to us under a new physical ID (CloudFormation then deletes the old one)
    assert target_of(s3, "legacy-b") == {"TargetBucket": DESTINATION, "TargetPrefix": PREFIX}
    assert outcome.physical_id == physical_id("legacy-b", OFF) != created.physical_id


def test_update_refuses_a_bucket_pointed_elsewhere_outside_the_stack(s3: Any) -> None:
    # GIVEN a bucket the resource switched on, then pointed elsewhere by someone
    created = handle(event("Create"), s3)
    s3.put_bucket_logging(
        Bucket="legacy-a",
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "elsewhere-logs", "TargetPrefix": "x/"}},
    )
    # WHEN the resource is updated
    outcome = handle(
        event(
            "Update",
            {**PROPERTIES, "TargetPrefix": "new/"},
            OldResourceProperties=PROPERTIES,
            PhysicalResourceId=created.physical_id,
        ),
        s3,
    )
    # THEN it fails, naming where the logs go now, and changes nothing
    assert outcome.status == "FAILED"
    assert "s3://elsewhere-logs/x/" in outcome.reason
    assert target_of(s3, "legacy-a") == {"TargetBucket": "elsewhere-logs", "TargetPrefix": "x/"}


def test_a_missing_bucket_fails_naming_the_region_setting(s3: Any) -> None:
    # GIVEN a watched bucket that does not exist here
    # WHEN the resource is created for it
    outcome = handle(event("Create", {**PROPERTIES, "Bucket": "not-here"}), s3)
    # THEN it fails, saying how to give the bucket's region
    assert outcome.status == "FAILED"
    assert "not-here@<region>" in outcome.reason


# --- what moto cannot show: the key format sent and read back ------------------------------------------------------


def stubbed() -> tuple[Any, Stubber]:
    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
    return client, Stubber(client)


def test_create_asks_for_keys_partitioned_by_delivery_day() -> None:
    # GIVEN S3 answering that the bucket logs nowhere
    client, stubber = stubbed()
    stubber.add_response("get_bucket_logging", {})
    partitioned = {"PartitionedPrefix": {"PartitionDateSource": "DeliveryTime"}}
    expected = {"TargetBucket": DESTINATION, "TargetPrefix": PREFIX, "TargetObjectKeyFormat": partitioned}
    stubber.add_response(
        "put_bucket_logging", {}, {"Bucket": "legacy-a", "BucketLoggingStatus": {"LoggingEnabled": expected}}
    )
    # WHEN the resource is created
    with stubber:
        outcome = handle(event("Create"), client)
    # THEN the configuration sent partitions the keys by the day each file is delivered
    assert outcome.status == "SUCCESS"
    stubber.assert_no_pending_responses()


def test_create_over_our_bucket_in_the_simple_layout_rewrites_the_key_format() -> None:
    # GIVEN S3 answering that the bucket logs to us, but with simple keys (set by hand)
    client, stubber = stubbed()
    simple = {"TargetBucket": DESTINATION, "TargetPrefix": PREFIX, "TargetObjectKeyFormat": {"SimplePrefix": {}}}
    stubber.add_response("get_bucket_logging", {"LoggingEnabled": simple})
    stubber.add_response(
        "put_bucket_logging",
        {},
        {"Bucket": "legacy-a", "BucketLoggingStatus": bucket_logging.Target(DESTINATION, PREFIX).status()},
    )
    # WHEN the resource is created
    with stubber:
        outcome = handle(event("Create"), client)
    # THEN the keys are partitioned again (the table reads only that layout), and the bucket counts as ours before
    assert outcome.physical_id == physical_id("legacy-a", OURS)
    stubber.assert_no_pending_responses()


def test_access_denied_fails_saying_only_the_owner_can() -> None:
    # GIVEN S3 refusing to show the bucket's logging
    client, stubber = stubbed()
    stubber.add_client_error("get_bucket_logging", "AccessDenied", http_status_code=403)
    # WHEN the resource is created
    with stubber:
        outcome = handle(event("Create"), client)
    # THEN it fails, and says why
    assert outcome.status == "FAILED"
    assert "only its owner can" in outcome.reason


def test_an_unexpected_error_still_answers_failed() -> None:
    # GIVEN a request without the properties the resource needs
    # WHEN it is handled
    outcome = handle({"RequestType": "Create", "ResourceProperties": {"Bucket": "legacy-a"}}, object())
    # THEN it answers FAILED, naming the error, instead of leaving CloudFormation waiting
    assert outcome.status == "FAILED"
    assert "KeyError" in outcome.reason


# --- answering CloudFormation ------------------------------------------------------------------------------------


@pytest.fixture
def response_server() -> Iterator[tuple[str, list[tuple[str, dict[str, str], bytes]]]]:
    """A local HTTP server standing in for CloudFormation's pre-signed response URL."""
    received: list[tuple[str, dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append((self.command, dict(self.headers), self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/response?sig=x", received
    server.shutdown()
    server.server_close()


def test_the_outcome_is_put_on_the_response_url_as_cloudformation_expects(
    response_server: tuple[str, list[tuple[str, dict[str, str], bytes]]],
) -> None:
    # GIVEN a failed outcome for a request from a stack
    url, received = response_server
    request = {"StackId": "arn:aws:cloudformation:us-east-1:1:stack/s/1", "RequestId": "r-1", "LogicalResourceId": "L"}
    outcome = bucket_logging.Outcome("bucket-logging/legacy-a/refused", "FAILED", "already logs elsewhere")
    # WHEN it is sent
    bucket_logging.send(url, bucket_logging.response_body(request, outcome, "stream"))
    # THEN one PUT with an empty content type carries the status, reason and IDs
    ((method, headers, body),) = received
    assert method == "PUT"
    assert headers.get("Content-Type") == ""
    assert json.loads(body) == {
        "Status": "FAILED",
        "Reason": "already logs elsewhere",
        "PhysicalResourceId": "bucket-logging/legacy-a/refused",
        "StackId": request["StackId"],
        "RequestId": "r-1",
        "LogicalResourceId": "L",
        "NoEcho": False,
    }


def test_a_response_url_that_is_not_http_is_refused() -> None:
    # GIVEN a response URL with another scheme
    # WHEN a response is sent to it
    # THEN it is refused before anything is opened
    with pytest.raises(ValueError, match="not an HTTP"):
        bucket_logging.send("file:///etc/passwd", b"{}")
