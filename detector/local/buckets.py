"""`python -m detector buckets`: the account's buckets, which of them can still accept SigV2, what to watch.

S3 accepts SigV2 only on buckets created before 2020-06-24 in the eight regions launched before 2014
(https://aws.amazon.com/blogs/aws/amazon-s3-update-sigv2-deprecation-period-extended-modified/). ListBuckets'
creation date "can change when making changes to your bucket, such as editing its bucket policy"
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html): a later date may hide an older bucket, so it
reads "probably not", never "no". Buckets in the other regions never accepted SigV2.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.table import Table
from rich.text import Text

from detector.core.queries import SIGV2_REGIONS
from detector.core.text import one_line

SIGV2_CUTOFF = date(2020, 6, 24)
"""Buckets created on or after this day refuse SigV2 (AWS blog above, updated Aug 2024)."""

LEGACY_LOCATIONS = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}
"""GetBucketLocation's old names: no constraint is us-east-1, `EU` is eu-west-1
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html)."""


class SigV2(StrEnum):
    YES = "yes"
    PROBABLY_NOT = "probably not"
    NO = "no"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class BucketRisk:
    name: str
    region: str | None
    created: datetime | None
    sigv2: SigV2
    """Whether the bucket can still accept SigV2 requests."""
    note: str = ""

    @property
    def watched_entry(self) -> str:
        """How the bucket is written in `watchedBuckets`: `name@region`."""
        return f"{self.name}@{self.region}" if self.region else self.name


def can_accept_sigv2(region: str | None, created: datetime | None) -> SigV2:
    if region is None:
        return SigV2.UNKNOWN
    if region not in SIGV2_REGIONS:
        return SigV2.NO
    if created is None:
        return SigV2.UNKNOWN
    return SigV2.YES if created.astimezone(UTC).date() < SIGV2_CUTOFF else SigV2.PROBABLY_NOT


def bucket_risks(s3: Any) -> list[BucketRisk]:
    """Every bucket the caller can list, oldest first; a bucket whose region cannot be read says why."""
    risks = []
    for bucket in _buckets(s3):
        region, note = _region(s3, bucket)
        created = bucket.get("CreationDate")
        risks.append(BucketRisk(bucket["Name"], region, created, can_accept_sigv2(region, created), note))
    return sorted(risks, key=lambda risk: (risk.created or datetime.max.replace(tzinfo=UTC), risk.name))


def _buckets(s3: Any) -> Iterable[dict[str, Any]]:
    for page in s3.get_paginator("list_buckets").paginate():
        yield from page.get("Buckets", [])


def _region(s3: Any, bucket: dict[str, Any]) -> tuple[str | None, str]:
    if bucket.get("BucketRegion"):
        return str(bucket["BucketRegion"]), ""
    try:
        constraint = s3.get_bucket_location(Bucket=bucket["Name"]).get("LocationConstraint")
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "error")
        return None, f"region not readable ({code}); allow s3:GetBucketLocation"
    return LEGACY_LOCATIONS.get(constraint, constraint), ""


def watched_buckets_value(risks: Sequence[BucketRisk]) -> str:
    """The buckets that can still accept SigV2, as the `watchedBuckets` context value."""
    return ",".join(risk.watched_entry for risk in risks if risk.sigv2 == SigV2.YES)


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "buckets",
        help="list the account's buckets and which can still accept SigV2",
        description="List the buckets your credentials can see, mark those that can still accept SigV2 "
        "(one of the eight older regions, created before 2020-06-24), and print the watchedBuckets value to deploy "
        "with. Needs s3:ListAllMyBuckets and s3:GetBucketLocation.",
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("--profile", help="the AWS profile to use, else the default credential chain")


def run(args: argparse.Namespace, client: Any = None, console: Console | None = None) -> int:
    """The command: 0 when the buckets were listed, 2 when they could not be."""
    out = console or Console()
    errors = Console(stderr=True)
    try:
        s3 = client or _client(args.profile)
        risks = bucket_risks(s3)
    except (ClientError, BotoCoreError) as error:
        message = f"error: could not list the buckets ({one_line(str(error))}); check your credentials and that "
        errors.print(Text(message + "they allow s3:ListAllMyBuckets", style="bold red"), soft_wrap=True)
        return 2
    if args.format == "json":
        out.print_json(json.dumps([_json(risk) for risk in risks]))
    else:
        print_risks(risks, out)
    return 0


def _client(profile: str | None) -> Any:
    import boto3  # noqa: PLC0415 - imported by the command that calls AWS: a local scan never pays for it

    return boto3.session.Session(profile_name=profile).client("s3")


def _json(risk: BucketRisk) -> dict[str, Any]:
    data = asdict(risk)
    data["created"] = risk.created.astimezone(UTC).isoformat() if risk.created else None
    data["sigv2"] = str(risk.sigv2)
    return data


def print_risks(risks: Sequence[BucketRisk], console: Console) -> None:
    table = Table(title="Buckets, and whether they can still accept SigV2")
    for column in ("Bucket", "Region", "Created (ListBuckets)", "SigV2"):
        table.add_column(column)
    for risk in risks:
        created = risk.created.astimezone(UTC).date().isoformat() if risk.created else "?"
        table.add_row(Text(risk.name), risk.region or "?", created, Text(str(risk.sigv2) + _note(risk)))
    console.print(table)
    value = watched_buckets_value(risks)
    count = sum(risk.sigv2 == SigV2.YES for risk in risks)
    if value:
        console.print(f"{count} bucket(s) can still accept SigV2. Deploy the detector watching them:", highlight=False)
        console.print(Text(f"  make deploy ARGS='-c watchedBuckets={value}'"), soft_wrap=True)
    else:
        console.print("No bucket is known to accept SigV2; outdated SDKs and TLS 1.0/1.1 can still matter.")
    if any(risk.sigv2 == SigV2.PROBABLY_NOT for risk in risks):
        console.print(
            '"probably not": ListBuckets shows a date after 2020-06-24, but the date can change with the bucket\'s '
            "settings; add such a bucket to watchedBuckets if you know it is older.",
            highlight=False,
        )


def _note(risk: BucketRisk) -> str:
    return f" ({risk.note})" if risk.note else ""
