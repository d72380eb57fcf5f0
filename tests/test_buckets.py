"""`python -m detector buckets`: which buckets can still accept SigV2, and the watchedBuckets value to deploy with."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.s3.models import s3_backends

from detector.local import buckets
from detector.local.buckets import SigV2, bucket_risks, can_accept_sigv2
from detector.local.cli import main

BUCKETS = {
    "old-virginia": ("us-east-1", datetime(2018, 3, 1, tzinfo=UTC)),
    "old-ireland": ("eu-west-1", datetime(2020, 6, 23, 23, 59, 59, tzinfo=UTC)),
    "new-virginia": ("us-east-1", datetime(2024, 1, 5, tzinfo=UTC)),
    "old-frankfurt": ("eu-central-1", datetime(2016, 2, 2, tzinfo=UTC)),
}
"""Name -> (region, creation date as ListBuckets reports it)."""


@pytest.fixture
def account(aws: None) -> None:
    """The four buckets in moto, with the creation dates above."""
    for name, (region, created) in BUCKETS.items():
        client = boto3.client("s3", region_name=region)
        location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        client.create_bucket(Bucket=name, **location)
        s3_backends[DEFAULT_ACCOUNT_ID]["aws"].buckets[name].creation_date = created


def test_buckets_are_marked_by_region_and_creation_date(account: None) -> None:
    # GIVEN old and new buckets in regions that accept SigV2 and one that never did
    # WHEN the account's buckets are listed
    risks = {risk.name: risk for risk in bucket_risks(boto3.client("s3"))}
    # THEN an old bucket in one of the eight regions can accept SigV2, a newer one there probably not,
    # and a bucket in a region launched since 2014 cannot, however old
    assert {name: risk.sigv2 for name, risk in risks.items()} == {
        "old-virginia": SigV2.YES,
        "old-ireland": SigV2.YES,
        "new-virginia": SigV2.PROBABLY_NOT,
        "old-frankfurt": SigV2.NO,
    }
    assert risks["old-ireland"].region == "eu-west-1"


def test_the_day_of_the_cutoff_no_longer_accepts_sigv2() -> None:
    # GIVEN buckets created the last second before 2020-06-24 and the first second of it
    before = datetime(2020, 6, 23, 23, 59, 59, tzinfo=UTC)
    on = datetime(2020, 6, 24, tzinfo=UTC)
    # WHEN each is judged in us-east-1
    # THEN only the earlier can still accept SigV2
    assert can_accept_sigv2("us-east-1", before) == SigV2.YES
    assert can_accept_sigv2("us-east-1", on) == SigV2.PROBABLY_NOT


def test_command_prints_the_table_and_the_watched_buckets_to_deploy_with(
    account: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the account's four buckets
    # WHEN the buckets command runs
    code = main(["buckets"])
    # THEN it lists every bucket, and the watchedBuckets value names the SigV2 ones with their regions, oldest first
    out = capsys.readouterr().out
    assert code == 0
    assert all(name in out for name in BUCKETS)
    assert "-c watchedBuckets=old-virginia@us-east-1,old-ireland@eu-west-1'" in out
    assert '"probably not"' in out


def test_command_writes_json(account: None, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the account's four buckets
    # WHEN the buckets command runs with --format json
    code = main(["buckets", "--format", "json"])
    # THEN it writes each bucket with its region, creation time and verdict
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert code == 0
    assert rows["new-virginia"] == {
        "name": "new-virginia",
        "region": "us-east-1",
        "created": "2024-01-05T00:00:00+00:00",
        "sigv2": "probably not",
        "note": "",
    }


def stubbed_s3() -> tuple[object, Stubber]:
    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
    return client, Stubber(client)


def test_a_bucket_whose_region_cannot_be_read_is_unknown_and_says_why() -> None:
    # GIVEN ListBuckets without regions, GetBucketLocation denied for one bucket and `EU` for the other
    client, stubber = stubbed_s3()
    created = datetime(2015, 1, 1, tzinfo=UTC)
    stubber.add_response(
        "list_buckets",
        {"Buckets": [{"Name": "locked", "CreationDate": created}, {"Name": "irish", "CreationDate": created}]},
    )
    stubber.add_client_error("get_bucket_location", "AccessDenied", http_status_code=403)
    stubber.add_response("get_bucket_location", {"LocationConstraint": "EU"})
    # WHEN the buckets are judged
    with stubber:
        risks = {risk.name: risk for risk in bucket_risks(client)}
    # THEN the locked one is unknown, naming the permission, and `EU` reads as eu-west-1
    assert risks["locked"].sigv2 == SigV2.UNKNOWN
    assert "s3:GetBucketLocation" in risks["locked"].note
    assert (risks["irish"].region, risks["irish"].sigv2) == ("eu-west-1", SigV2.YES)


def test_listing_denied_exits_2_naming_the_permission(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN credentials that may not list buckets
    client, stubber = stubbed_s3()
    stubber.add_client_error("list_buckets", "AccessDenied", http_status_code=403)
    # WHEN the command runs with them
    with stubber:
        code = buckets.run(argparse.Namespace(format="table", profile=None), client=client)
    # THEN it exits 2 and says what to allow
    assert code == 2
    assert "s3:ListAllMyBuckets" in capsys.readouterr().err
