"""The logging switch as every member account runs it: the same template everywhere, so each account switches only the
watched buckets it owns (moto S3, per account), from the inline copy of its code."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

import boto3
import pytest

from detector.aws import bucket_logging
from detector.aws.bucket_logging import ELSEWHERE, OFF, ONLY_IF_OWNED, physical_id
from stacks.member_stackset import BUCKET_LOGGING_SOURCE
from tests.helpers import logging_policy

MEMBER = "222233334444"
DESTINATION = "det-access-123456789012-us-east-1"
PROPERTIES = {
    "Bucket": "legacy-a",
    "TargetBucket": DESTINATION,
    "TargetPrefix": "s3-access-logs/",
    ONLY_IF_OWNED: "true",
}


def member_s3(account: str) -> Any:
    sts = boto3.client("sts", region_name="us-east-1")
    credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/admin", RoleSessionName="setup")["Credentials"]
    return boto3.client(
        "s3",
        region_name="us-east-1",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


@pytest.fixture
def hub_s3(aws: None) -> Any:
    """This account's S3, with its destination bucket; `legacy-a` belongs to another account."""
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=DESTINATION)
    client.put_bucket_policy(Bucket=DESTINATION, Policy=logging_policy(DESTINATION))
    member_s3(MEMBER).create_bucket(Bucket="legacy-a")
    return client


def inline_module(folder: Path, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """The handler file as CloudFormation runs inline code: `index.py`, alone in its folder, imported as `index`."""
    path = folder / "index.py"
    path.write_text(BUCKET_LOGGING_SOURCE.read_text(encoding="utf-8"), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("index", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "index", module)
    spec.loader.exec_module(module)
    return module


def test_a_bucket_of_another_account_is_left_alone_and_its_delete_changes_nothing(hub_s3: Any) -> None:
    # GIVEN the member template's resource for `legacy-a`, run in an account that does not own it
    create = {"RequestType": "Create", "ResourceProperties": PROPERTIES}
    # WHEN it is created, then deleted
    created = bucket_logging.handle(create, hub_s3)
    deleted = bucket_logging.handle(
        {**create, "RequestType": "Delete", "PhysicalResourceId": created.physical_id}, hub_s3
    )
    # THEN both succeed, the ID says the bucket is elsewhere, and the owner's bucket never changed
    assert (created.status, created.physical_id) == ("SUCCESS", physical_id("legacy-a", ELSEWHERE))
    assert deleted.status == "SUCCESS"
    assert "LoggingEnabled" not in member_s3(MEMBER).get_bucket_logging(Bucket="legacy-a")


def test_the_owners_copy_switches_its_bucket_on(aws: None) -> None:
    # GIVEN the same resource, run in the account that owns `legacy-a`
    owner = member_s3(MEMBER)
    owner.create_bucket(Bucket=DESTINATION)
    owner.put_bucket_policy(Bucket=DESTINATION, Policy=logging_policy(DESTINATION))
    owner.create_bucket(Bucket="legacy-a")
    # WHEN it is created
    outcome = bucket_logging.handle({"RequestType": "Create", "ResourceProperties": PROPERTIES}, owner)
    # THEN the bucket logs to the account's destination
    assert (outcome.status, outcome.physical_id) == ("SUCCESS", physical_id("legacy-a", OFF))
    assert owner.get_bucket_logging(Bucket="legacy-a")["LoggingEnabled"]["TargetBucket"] == DESTINATION


def test_the_inline_copy_runs_alone_as_cloudformation_runs_it(
    hub_s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the handler's file loaded as the member template's inline `index` module
    index = inline_module(tmp_path, monkeypatch)
    # WHEN it handles a create for a bucket of another account
    outcome = index.handle({"RequestType": "Create", "ResourceProperties": PROPERTIES}, hub_s3)
    # THEN it answers as the packaged module does, and its entry point is the `index.handler` the template names
    assert (outcome.status, outcome.physical_id) == ("SUCCESS", physical_id("legacy-a", ELSEWHERE))
    assert callable(index.handler)
