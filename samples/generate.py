"""Generates realistic CloudTrail S3 data-event logs in the real `AWSLogs/...` layout, from a fixed seed.

The cast: console users and AWS services (never findings), modern SDKs (never findings),
old SDKs signing SigV2, an old SDK forced to SigV4, a SigV2 presigned URL fetched by curl,
anonymous requests and a TLS 1.0 client. Agents are the ones real clients send
(../shared/REFERENCE.md section 10), bracketed as S3 data events log them.

    python -m samples.generate                      # the committed demo tree in samples/AWSLogs
    python -m samples.generate --events 1000000 --days 30 --out /tmp/bench
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from detector.sources import cloudtrail

ACCOUNT = "123456789012"
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "eu-central-1")
START = date(2026, 11, 20)
SAMPLES_DIR = Path(__file__).resolve().parent
DEMO_LOGS = SAMPLES_DIR / cloudtrail.LOG_PREFIX.rstrip("/")
"""The committed demo tree that `make demo` scans."""


@dataclass(frozen=True)
class Actor:
    """Someone who calls S3: who, from where, with what, signed how."""

    name: str
    identity: dict[str, Any]
    source_ip: str
    user_agents: tuple[str, ...]
    weight: int
    signature: str | None = "SigV4"
    auth_method: str | None = "AuthHeader"
    tls_version: str = "TLSv1.3"
    buckets: tuple[str, ...] = ("acme-data",)
    event_names: tuple[str, ...] = ("GetObject", "PutObject", "HeadObject")
    regions: tuple[str, ...] = REGIONS
    invoked_by: str | None = None
    legacy_record: bool = False
    """Written as an eventVersion 1.05 record: no userAgent, additionalEventData or tlsDetails."""
    extra: dict[str, Any] = field(default_factory=dict)


def _iam_user(name: str) -> dict[str, Any]:
    return {
        "type": "IAMUser",
        "principalId": "AIDA" + name.upper().replace("-", "")[:12].ljust(12, "X"),
        "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
        "accountId": ACCOUNT,
        "accessKeyId": "AKIA" + name.upper().replace("-", "")[:12].ljust(16, "Q")[:16],
        "userName": name,
    }


def _role_session(role: str, session: str) -> dict[str, Any]:
    return {
        "type": "AssumedRole",
        "principalId": f"AROA{role.upper().replace('-', '')[:12]}:{session}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIA" + role.upper().replace("-", "")[:12].ljust(16, "Z")[:16],
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": f"AROA{role.upper().replace('-', '')[:12]}",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}",
                "accountId": ACCOUNT,
                "userName": role,
            },
            "attributes": {"creationDate": "2026-11-20T00:00:00Z", "mfaAuthenticated": "false"},
        },
    }


def _modern_boto3(feature: str) -> str:
    return (
        "[Boto3/1.44.8 md/Botocore#1.44.8 ua/2.1 os/linux#6.1.0 md/arch#x86_64 lang/python#3.12.7 "
        f"md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.44.8 m/{feature}]"
    )


ACTORS: tuple[Actor, ...] = (
    Actor(
        "console user",
        _role_session("Admin", "alice@example.com"),
        "192.0.2.45",
        ("[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.780 Linux/5.10 OpenJDK_64-Bit_Server_VM/25.412-b09]",),
        weight=6,
    ),
    Actor(
        "Athena reading the data lake",
        _role_session("analyst", "bob"),
        "athena.amazonaws.com",
        ("athena.amazonaws.com",),
        weight=8,
        invoked_by="athena.amazonaws.com",
        event_names=("GetObject", "ListObjects"),
    ),
    Actor(
        "CloudFront fetching from its origin",
        {"type": "AWSService", "invokedBy": "cloudfront.amazonaws.com"},
        "cloudfront.amazonaws.com",
        ("cloudfront.amazonaws.com",),
        weight=5,
        invoked_by="cloudfront.amazonaws.com",
        event_names=("GetObject",),
    ),
    Actor(
        "modern boto3 service",
        _role_session("orders-api", "i-0a1b2c3d4e5f60718"),
        "10.0.3.21",
        (_modern_boto3("Z,b"), _modern_boto3("Z,e,E,N,b"), _modern_boto3("b,U")),
        weight=30,
    ),
    Actor(
        "modern JS v3 web app",
        _role_session("web-frontend", "web-frontend-task"),
        "10.0.4.88",
        (
            "[aws-sdk-js/3.700.0 ua/2.1 os/linux#6.1.0 lang/js md/nodejs#20.18.0 api/s3#3.700.0 m/N,E,e]",
            "[aws-sdk-js/3.700.0 ua/2.1 os/linux#6.1.0 lang/js md/nodejs#20.18.0 api/s3#3.700.0 m/N,E]",
        ),
        weight=20,
    ),
    Actor(
        "aws-cli v2 engineer",
        _iam_user("carol"),
        "198.51.100.7",
        (
            "[aws-cli/2.22.0 md/awscrt#0.23.4 ua/2.1 os/linux#6.1.0 md/arch#x86_64 lang/python#3.12.6 "
            "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#s3.cp]",
        ),
        weight=6,
    ),
    Actor(
        "modern Node v2 on SigV4",
        _role_session("thumbnailer", "thumbnailer"),
        "10.0.5.12",
        ("[aws-sdk-nodejs/2.1693.0 linux/v18.20.4 exec-env/AWS_Lambda_nodejs18.x promise]",),
        weight=8,
    ),
    Actor(
        "old aws-cli backup job signing SigV2",
        _iam_user("backup-cron"),
        "10.0.1.17",
        ("[aws-cli/1.11.10 Python/2.7.8 Linux/3.2.0-4-amd64 botocore/1.4.67]",),
        weight=5,
        signature="SigV2",
        buckets=("acme-backups",),
        event_names=("PutObject", "ListObjects"),
        regions=("us-east-1",),
    ),
    Actor(
        "old Node uploader signing SigV2",
        _role_session("legacy-uploader", "i-0feedfacecafe0001"),
        "10.0.2.44",
        ("[aws-sdk-nodejs/2.67.0 linux/v8.11.1 callback]",),
        weight=4,
        signature="SigV2",
        buckets=("acme-uploads",),
        event_names=("PutObject",),
        regions=("eu-west-1",),
    ),
    Actor(
        "boto 2 report script signing SigV2",
        _iam_user("reports"),
        "203.0.113.10",
        ("[Boto/2.49.0 Python/2.7.18 Linux/4.14.355-196.647.amzn1.x86_64]",),
        weight=3,
        signature="SigV2",
        buckets=("acme-data",),
        event_names=("GetObject",),
        regions=("ap-southeast-2",),
    ),
    Actor(
        "old Java batch forced to SigV4",
        _role_session("batch-etl", "emr-step-42"),
        "10.0.6.31",
        ("[aws-sdk-java/1.11.100 Linux/4.9.93 OpenJDK_64-Bit_Server_VM/25.131-b11 java/1.8.0_131]",),
        weight=5,
        signature="SigV4",
        buckets=("acme-data", "acme-warehouse"),
        event_names=("GetObject", "PutObject"),
        regions=("us-east-1", "eu-central-1"),
    ),
    Actor(
        "SigV2 presigned URL fetched by curl",
        _iam_user("share-links"),
        "198.51.100.23",
        ("[curl/7.88.1]",),
        weight=3,
        signature="SigV2",
        auth_method="QueryString",
        buckets=("acme-public-share",),
        event_names=("GetObject",),
        regions=("us-east-1",),
    ),
    Actor(
        "anonymous readers of a public bucket",
        {"type": "AWSAccount", "principalId": "", "accountId": "anonymous"},
        "203.0.113.99",
        ("[curl/8.5.0]", "[Mozilla/5.0 (X11; Linux x86_64)]"),
        weight=6,
        signature=None,
        auth_method=None,
        buckets=("acme-public-share",),
        event_names=("GetObject",),
        regions=("us-east-1",),
    ),
    Actor(
        "TLS 1.0 .NET client",
        _role_session("legacy-erp", "erp-app-01"),
        "10.0.7.5",
        (
            "[aws-sdk-dotnet-45/3.3.110.0 aws-sdk-dotnet-core/3.3.104.0 .NET_Runtime/4.0 .NET_Framework/4.0 "
            "OS/Microsoft_Windows_NT_6.1.7601.0 ClientAsync]",
        ),
        weight=3,
        tls_version="TLSv1",
        buckets=("acme-erp-exports",),
        event_names=("PutObject",),
        regions=("eu-west-1",),
    ),
    Actor(
        "old trail record without userAgent",
        _iam_user("archiver"),
        "10.0.8.8",
        ("",),
        weight=1,
        legacy_record=True,
        buckets=("acme-archive",),
        event_names=("PutObject",),
        regions=("us-east-1",),
    ),
)


HEX_DIGITS = "0123456789abcdef"
_HEX_OF_TOP_BYTE = bytes(ord(HEX_DIGITS[top >> 3]) if top < 128 else 0 for top in range(256))
_REJECTED_TOP_BYTES = bytes(range(128, 256))


def _hex(rng: random.Random, length: int) -> str:
    """`length` times `rng.choice(HEX_DIGITS)`, the same digits and the same generator state after, in bulk.

    `choice` of 16 draws the top 5 bits of one 32-bit word and draws again when they are 16 or more; one call of
    `getrandbits(32 * n)` yields the next n words, the first in the lowest bits."""
    digits = b""
    while missing := length - len(digits):
        words = rng.getrandbits(32 * missing).to_bytes(4 * missing, "little")
        digits += words[3::4].translate(_HEX_OF_TOP_BYTE, _REJECTED_TOP_BYTES)
    return digits.decode()


def make_event(rng: random.Random, actor: Actor, region: str, when: datetime) -> dict[str, Any]:
    bucket = rng.choice(actor.buckets)
    event_name = rng.choice(actor.event_names)
    key = f"{rng.choice(('daily', 'in', 'out', 'tmp'))}/{_hex(rng, 8)}.dat"
    identity = dict(actor.identity)
    if actor.invoked_by:
        identity["invokedBy"] = actor.invoked_by
    event: dict[str, Any] = {
        "eventVersion": "1.05" if actor.legacy_record else "1.10",
        "userIdentity": identity,
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "s3.amazonaws.com",
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": actor.source_ip,
        "userAgent": rng.choice(actor.user_agents),
        "requestParameters": {"bucketName": bucket, "Host": f"{bucket}.s3.{region}.amazonaws.com", "key": key},
        "responseElements": None,
        "additionalEventData": {
            "SignatureVersion": actor.signature,
            "CipherSuite": "ECDHE-RSA-AES128-GCM-SHA256",
            "bytesTransferredIn": 0,
            "AuthenticationMethod": actor.auth_method,
            "x-amz-id-2": _hex(rng, 32),
            "bytesTransferredOut": rng.randint(0, 1 << 20),
        },
        "requestID": _hex(rng, 16).upper(),
        "eventID": str(uuid.UUID(int=rng.getrandbits(128))),
        "readOnly": event_name in ("GetObject", "HeadObject", "ListObjects"),
        "resources": [
            {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"},
            {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"},
        ],
        "eventType": "AwsApiCall",
        "managementEvent": False,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Data",
        "tlsDetails": {
            "tlsVersion": actor.tls_version,
            "cipherSuite": "ECDHE-RSA-AES128-GCM-SHA256",
            "clientProvidedHostHeader": f"{bucket}.s3.{region}.amazonaws.com",
        },
    }
    additional = event["additionalEventData"]
    for name in ("SignatureVersion", "AuthenticationMethod"):
        if additional[name] is None:
            del additional[name]
    if actor.legacy_record:
        for name in ("userAgent", "additionalEventData", "tlsDetails", "managementEvent", "eventCategory"):
            del event[name]
    return event


@dataclass(frozen=True)
class Batch:
    """The requests of one region's five minutes, and when CloudTrail delivered them."""

    region: str
    delivered: datetime
    suffix: str
    records: list[dict[str, Any]]


def batches(
    *,
    events: int,
    days: int,
    start: date = START,
    regions: tuple[str, ...] = REGIONS,
    events_per_file: int = 2000,
    seed: int = 20261127,
) -> Iterator[Batch]:
    """About `events` requests over `days` days, `events_per_file` to a five-minute batch: the same requests for a
    seed, whichever log they are written as."""
    rng = random.Random(seed)
    files_total = max(1, round(events / events_per_file))
    slots = [(day, region) for day in range(days) for region in regions]
    per_slot, extra = divmod(files_total, len(slots))
    for index, (day, region) in enumerate(slots):
        files_here = per_slot + (1 if index < extra else 0)
        actors = [a for a in ACTORS if region in a.regions]
        weights = [a.weight for a in actors]
        day_start = datetime.combine(start + timedelta(days=day), datetime.min.time(), tzinfo=UTC)
        for slot in range(files_here):
            minute = (slot * (24 * 60 // max(files_here, 1))) // 5 * 5
            file_start = day_start + timedelta(minutes=minute)
            records = [
                make_event(rng, actor, region, file_start + timedelta(seconds=rng.randrange(300)))
                for actor in rng.choices(actors, weights, k=events_per_file)
            ]
            rng.shuffle(records)
            delivered = file_start + timedelta(minutes=5 + rng.randrange(5))
            yield Batch(region, delivered, _hex(rng, 16).upper(), records)


def generate(
    out: Path,
    *,
    events: int,
    days: int,
    start: date = START,
    regions: tuple[str, ...] = REGIONS,
    events_per_file: int = 2000,
    seed: int = 20261127,
    account: str = ACCOUNT,
) -> Iterator[Path]:
    """Writes about `events` events over `days` days as CloudTrail logs, `events_per_file` to a five-minute file."""
    for batch in batches(
        events=events, days=days, start=start, regions=regions, events_per_file=events_per_file, seed=seed
    ):
        path = out / cloudtrail.log_key(account, batch.region, batch.delivered, batch.suffix)
        path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"Records": batch.records}, separators=(",", ":")).encode()
        path.write_bytes(gzip.compress(body, compresslevel=6, mtime=0))
        yield path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=SAMPLES_DIR)
    parser.add_argument("--events", type=int, default=1200)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--events-per-file", type=int, default=50)
    parser.add_argument("--seed", type=int, default=20261127)
    args = parser.parse_args(argv)
    written = list(
        generate(args.out, events=args.events, days=args.days, events_per_file=args.events_per_file, seed=args.seed)
    )
    print(f"wrote {len(written)} files under {args.out / cloudtrail.LOG_PREFIX}")


if __name__ == "__main__":
    main()
