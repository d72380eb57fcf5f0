"""`scan s3://BUCKET/PREFIX` against moto's S3 server over real HTTP on 127.0.0.1: the same findings as a local scan,
only the window's prefixes listed (CloudTrail's, and access logs' in both key layouts), unreadable objects named by
key."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core.authorization import enable_iam_authentication
from moto.server import ThreadedMotoServer

from detector.core.window import Window
from detector.local.cli import EXIT_OK, EXIT_USAGE, main
from detector.local.s3_fetch import unreadable
from detector.local.s3_listing import Lister, S3Location
from detector.local.s3_scan import scan_s3
from detector.local.scan import scan
from detector.sources import access_logs
from samples.access_logs import DEMO_ACCESS_LOGS, LAYOUTS
from tests.helpers import DEMO_LOGS, LOG_ACCOUNT, AccessLogTree, LogTree, access_log_line, cloudtrail_event

BUCKET = "trail-logs"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}
SIGV2_EVENT = cloudtrail_event(arn="arn:aws:iam::111122223333:user/old", agent="[aws-cli/1.11.10]", signature="SigV2")
SIGV2_LINE = access_log_line(
    arn="arn:aws:iam::111122223333:user/old-access", agent="aws-cli/1.11.10", signature="SigV2"
)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An S3 client of the server, a fresh bucket, and the environment the CLI reads pointing at the server."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_S3": endpoint,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    client = boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS)
    client.create_bucket(Bucket=BUCKET)
    yield client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", ()):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def upload(client: Any, root: Path, under: str = "") -> list[str]:
    """Every file under `root` as an object keyed by its path below root's parent, e.g. AWSLogs/..."""
    keys = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        key = under + path.relative_to(root.parent).as_posix()
        client.put_object(Bucket=BUCKET, Key=key, Body=path.read_bytes())
        keys.append(key)
    return keys


def listed_prefixes(client: Any) -> list[str]:
    """Records the Prefix of every object listing (no delimiter) the client makes from now on."""
    prefixes: list[str] = []

    def record(params: dict[str, Any], **_kwargs: Any) -> None:
        if "Delimiter" not in params:
            prefixes.append(params.get("Prefix", ""))

    client.meta.events.register("provide-client-params.s3.ListObjectsV2", record)
    return prefixes


def counted_gets(client: Any) -> list[str]:
    keys: list[str] = []
    client.meta.events.register("provide-client-params.s3.GetObject", lambda params, **_: keys.append(params["Key"]))
    return keys


def findings(report: Any) -> list[dict[str, Any]]:
    return [finding.to_dict() for finding in report.findings]


def test_s3_scan_of_the_demo_tree_finds_what_the_local_scan_finds(s3: Any) -> None:
    # GIVEN the demo tree uploaded under AWSLogs/
    upload(s3, DEMO_LOGS)

    # WHEN the bucket is scanned from S3, and the tree from disk
    remote = scan_s3([f"s3://{BUCKET}/"], Window(), s3)
    local = scan([DEMO_LOGS], Window())

    # THEN both read the same files and events and give the same findings
    assert (remote.files_scanned, remote.events_scanned, remote.files_skipped) == (
        local.files_scanned,
        local.events_scanned,
        [],
    )
    assert findings(remote) == findings(local)


def test_s3_scan_lists_only_the_delivery_days_the_window_reads(s3: Any, tmp_path: Path) -> None:
    # GIVEN a trail's logs delivered on six days, in two regions
    tree = LogTree(tmp_path / "logs")
    for day in range(18, 24):
        for region in ("us-east-1", "eu-west-1"):
            tree.write([SIGV2_EVENT], day=date(2026, 11, day), region=region)
    upload(s3, tree.root / "AWSLogs")
    prefixes = listed_prefixes(s3)

    # WHEN the bucket is scanned for 2026-11-20
    report = scan_s3([f"s3://{BUCKET}/AWSLogs/"], Window(date(2026, 11, 20), date(2026, 11, 20)), s3)

    # THEN only that day's and the next day's folders are listed, in each region, and their files read
    assert sorted(prefixes) == sorted(
        f"AWSLogs/111122223333/CloudTrail/{region}/2026/11/{day}/"
        for region in ("eu-west-1", "us-east-1")
        for day in ("20", "21")
    )
    assert report.files_scanned == 4


def test_s3_scan_finds_organization_trails_below_a_custom_key_prefix(s3: Any, tmp_path: Path) -> None:
    # GIVEN an organization trail's log under a custom key prefix
    tree = LogTree(tmp_path / "logs")
    tree.write([SIGV2_EVENT], organization="o-abc123def4", account="444455556666", region="eu-west-1")
    upload(s3, tree.root / "AWSLogs", under="central/trails/")

    # WHEN the whole bucket is scanned for the log's day
    report = scan_s3([f"s3://{BUCKET}"], Window(date(2026, 11, 20), date(2026, 11, 20)), s3)

    # THEN the log is found and its request reported
    assert (report.files_scanned, len(report.findings)) == (1, 1)


def test_corrupt_object_is_named_by_its_key_and_the_rest_is_scanned(s3: Any, tmp_path: Path) -> None:
    # GIVEN two logs, one of them cut short
    tree = LogTree(tmp_path / "logs")
    tree.write([SIGV2_EVENT])
    cut = tree.write([SIGV2_EVENT] * 20)
    cut.write_bytes(cut.read_bytes()[:40])
    keys = upload(s3, tree.root / "AWSLogs")

    # WHEN the bucket is scanned
    report = scan_s3([f"s3://{BUCKET}/"], Window(), s3)

    # THEN the cut object is skipped as truncated, named by its s3:// key, and the other is scanned
    cut_key = next(key for key in keys if key.endswith(cut.name))
    assert [(s.path, s.error.startswith("truncated gzip")) for s in report.files_skipped] == [
        (f"s3://{BUCKET}/{cut_key}", True)
    ]
    assert report.files_scanned == 1


def test_object_the_scanner_may_not_read_is_named_by_its_key_and_the_rest_is_scanned(
    s3: Any, endpoint: str, tmp_path: Path
) -> None:
    # GIVEN two logs, and a user allowed to list the bucket and read every object but one
    tree = LogTree(tmp_path / "logs")
    tree.write([SIGV2_EVENT])
    locked = tree.write([SIGV2_EVENT])
    keys = upload(s3, tree.root / "AWSLogs")
    locked_key = next(key for key in keys if key.endswith(locked.name))
    client = scanner_without(endpoint, f"arn:aws:s3:::{BUCKET}/{locked_key}")

    # WHEN that user scans the bucket, with moto checking IAM
    with enable_iam_authentication():
        report = scan_s3([f"s3://{BUCKET}/"], Window(), client)

    # THEN the locked object is skipped as denied, named by its key, and the other is scanned
    assert [(s.path, s.error.startswith("access denied")) for s in report.files_skipped] == [
        (f"s3://{BUCKET}/{locked_key}", True)
    ]
    assert (report.files_scanned, report.events_scanned) == (1, 1)


def scanner_without(endpoint: str, denied_object: str) -> Any:
    """An S3 client of a new IAM user allowed s3:ListBucket and s3:GetObject, but denied one object."""
    iam = boto3.client("iam", endpoint_url=endpoint, **CREDENTIALS)
    name = f"scanner-{abs(hash(denied_object)) % 10**8}"
    iam.create_user(UserName=name)
    statements = [
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"], "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": denied_object},
    ]
    iam.put_user_policy(
        UserName=name,
        PolicyName="scan",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )


def test_kms_denial_says_to_allow_decrypting_with_the_key() -> None:
    # GIVEN the error S3 answers when the caller may not use the object's KMS key
    error = ClientError(
        {"Error": {"Code": "AccessDenied", "Message": "User is not authorized to perform: kms:Decrypt"}}, "GetObject"
    )

    # WHEN the reason is worked out
    reason = unreadable(error)

    # THEN it names KMS and what to allow
    assert reason.startswith("KMS denied decrypting it") and "kms:Decrypt" in reason


def test_a_second_scan_with_a_cache_fetches_nothing_and_finds_the_same(s3: Any, tmp_path: Path) -> None:
    # GIVEN the demo tree in the bucket, scanned once with a cache
    upload(s3, DEMO_LOGS)
    first = scan_s3([f"s3://{BUCKET}/"], Window(), s3, cache_dir=tmp_path / "cache")
    gets = counted_gets(s3)

    # WHEN it is scanned again with the same cache
    second = scan_s3([f"s3://{BUCKET}/"], Window(), s3, cache_dir=tmp_path / "cache")

    # THEN no object was fetched, and the findings and counts are the same
    assert gets == []
    assert (second.files_scanned, second.events_scanned, findings(second)) == (
        first.files_scanned,
        first.events_scanned,
        findings(first),
    )


def test_cli_scans_an_s3_prefix(s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a SigV2 request's log in the bucket
    s3.put_object(
        Bucket=BUCKET,
        Key="AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/111122223333_CloudTrail_us-east-1_x.json.gz",
        Body=gzip.compress(json.dumps({"Records": [SIGV2_EVENT]}).encode()),
    )

    # WHEN the CLI scans the bucket's prefix into JSON
    code = main(["scan", f"s3://{BUCKET}/AWSLogs/", "--format", "json"])

    # THEN it exits 0 with the request's finding
    report = json.load(io.StringIO(capsys.readouterr().out))
    assert (code, report["files_scanned"], len(report["findings"])) == (EXIT_OK, 1, 1)


def test_a_bucket_that_cannot_be_listed_is_a_usage_error(s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a bucket name that does not exist
    # WHEN the CLI scans it
    code = main(["scan", "s3://no-such-bucket-here/AWSLogs/"])

    # THEN it exits 2 saying the prefix cannot be listed
    assert code == EXIT_USAGE
    assert "s3://no-such-bucket-here/AWSLogs/: cannot list it (NoSuchBucket" in " ".join(
        capsys.readouterr().err.split()
    )


# --- S3 server access logs ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
def test_s3_scan_of_the_demo_access_logs_finds_what_the_local_scan_finds(s3: Any, layout: str) -> None:
    # GIVEN the demo access logs in one key layout uploaded under s3-access-logs/
    upload(s3, DEMO_ACCESS_LOGS / layout / access_logs.LOG_PREFIX.rstrip("/"))

    # WHEN the bucket is scanned from S3, and the tree from disk
    remote = scan_s3([f"s3://{BUCKET}/"], Window(), s3)
    local = scan([DEMO_ACCESS_LOGS / layout], Window())

    # THEN both read the same files and events and give the same findings, all from the access logs
    assert (remote.files_scanned, remote.events_scanned, remote.files_skipped) == (
        local.files_scanned,
        local.events_scanned,
        [],
    )
    assert findings(remote) == findings(local) != []
    assert {finding.log_source for finding in remote.findings} == {"access_logs"}


def test_s3_scan_lists_only_each_buckets_delivery_days_the_window_reads(s3: Any, tmp_path: Path) -> None:
    # GIVEN partitioned access logs of two buckets in two regions, delivered on six days
    tree = AccessLogTree(tmp_path / "access")
    for day in range(18, 24):
        for region, bucket in (("us-east-1", "legacy-a"), ("eu-west-1", "legacy-b")):
            tree.write([SIGV2_LINE], day=date(2026, 11, day), region=region, bucket=bucket)
    upload(s3, tree.root / access_logs.LOG_PREFIX.rstrip("/"))
    prefixes = listed_prefixes(s3)

    # WHEN the bucket is scanned for 2026-11-20
    report = scan_s3([f"s3://{BUCKET}/"], Window(date(2026, 11, 20), date(2026, 11, 20)), s3)

    # THEN only that day's and the next day's folders of each bucket are listed, and their files read
    assert sorted(prefixes) == sorted(
        f"s3-access-logs/{LOG_ACCOUNT}/{region}/{bucket}/2026/11/{day}/"
        for region, bucket in (("us-east-1", "legacy-a"), ("eu-west-1", "legacy-b"))
        for day in ("20", "21")
    )
    assert report.files_scanned == 4


def test_s3_scan_lists_only_the_delivery_days_of_simple_layout_access_logs(s3: Any, tmp_path: Path) -> None:
    # GIVEN simple-layout access logs delivered on six days, under the stack's prefix
    tree = AccessLogTree(tmp_path / "access")
    for day in range(18, 24):
        tree.write([SIGV2_LINE], day=date(2026, 11, day), layout="simple")
    upload(s3, tree.root / access_logs.LOG_PREFIX.rstrip("/"))
    prefixes = listed_prefixes(s3)

    # WHEN the bucket is scanned for 2026-11-20
    report = scan_s3([f"s3://{BUCKET}/"], Window(date(2026, 11, 20), date(2026, 11, 20)), s3)

    # THEN only the keys delivered that day and the next are listed, and their files read
    assert sorted(prefixes) == ["s3-access-logs/2026-11-20-", "s3-access-logs/2026-11-21-"]
    assert (report.files_scanned, [f.requests for f in report.findings]) == (2, [1])


def test_a_level_of_simple_layout_logs_is_listed_without_paging_through_them(s3: Any) -> None:
    # GIVEN a prefix holding three years of simple-layout access logs, an account folder before them and a folder
    # after them
    keys = [f"s3-access-logs/{year}-11-20-00-05-{n:02d}-{n:016X}" for year in (2024, 2025, 2026) for n in range(8)]
    keys += [f"s3-access-logs/{LOG_ACCOUNT}/us-east-1/b/2026/11/20/x", "s3-access-logs/zz-other/x"]
    for key in keys:
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"")
    calls: list[str] = []
    s3.meta.events.register(
        "provide-client-params.s3.ListObjectsV2", lambda params, **_: calls.append(params.get("StartAfter", ""))
    )

    # WHEN the level is listed five keys to a page
    level = Lister(s3, S3Location(BUCKET, "s3-access-logs/"), page_size=5).level("s3-access-logs/")

    # THEN it finds both folders and the logs' target prefix, jumping past each year's logs: four pages, not six
    assert level.folders == (f"s3-access-logs/{LOG_ACCOUNT}/", "s3-access-logs/zz-other/")
    assert level.stamped == ("s3-access-logs/",)
    assert calls == ["", "s3-access-logs/2024-~", "s3-access-logs/2025-~", "s3-access-logs/2026-~"]


def test_a_bucket_of_both_logs_is_scanned_as_both(s3: Any, tmp_path: Path) -> None:
    # GIVEN a trail's log and an access log of another principal in one bucket
    tree = LogTree(tmp_path / "logs")
    tree.write([SIGV2_EVENT])
    AccessLogTree(tmp_path / "logs").write([SIGV2_LINE])
    upload(s3, tree.root / "AWSLogs")
    upload(s3, tree.root / access_logs.LOG_PREFIX.rstrip("/"))

    # WHEN the bucket is scanned for the logs' day
    report = scan_s3([f"s3://{BUCKET}"], Window(date(2026, 11, 20), date(2026, 11, 20)), s3)

    # THEN both are read, each finding naming its log
    assert {(f.principal_arn, f.log_source) for f in report.findings} == {
        ("arn:aws:iam::111122223333:user/old", "cloudtrail"),
        ("arn:aws:iam::111122223333:user/old-access", "access_logs"),
    }


def test_s3_scan_of_two_accounts_trails_counts_a_request_between_them_once(s3: Any, tmp_path: Path) -> None:
    # GIVEN an organization trail in S3 holding a request between two of its accounts twice, one copy in each
    # account's folder with one sharedEventID, and that account's own request once
    requester, owner = "111122223333", "444455556666"
    shared = {**SIGV2_EVENT, "sharedEventID": "shared-1", "recipientAccountId": requester}
    tree = LogTree(tmp_path / "logs")
    tree.write([shared], organization="o-abc123def4", account=requester)
    tree.write([{**shared, "recipientAccountId": owner}, SIGV2_EVENT], organization="o-abc123def4", account=owner)
    upload(s3, tree.root / "AWSLogs")

    # WHEN the bucket is scanned, and the same tree on disk
    window = Window(date(2026, 11, 20), date(2026, 11, 20))
    from_s3 = scan_s3([f"s3://{BUCKET}"], window, s3)
    on_disk = scan([tree.root], window)

    # THEN both read both files and count the crossing request once beside the owner's own
    assert from_s3.files_scanned == on_disk.files_scanned == 2
    assert [f.requests for f in from_s3.findings] == [f.requests for f in on_disk.findings] == [2]
