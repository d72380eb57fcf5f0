"""50,000 findings fit the function's memory with room to spare: the run's peak, traced, stays under half of it.

The run holds the findings; the report files are written finding by finding to /tmp and uploaded from there in
parts (detector/aws/report_files.py), so neither file is ever whole in memory. S3, SNS and EC2 are stand-ins that
read what they are given the way the real clients would and keep nothing, so only the run's own memory is traced.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from detector.aws.event import Request
from detector.aws.run import run_detection
from detector.core.config import FUNCTION_MEMORY_MB, FunctionConfig
from detector.core.engine import Row
from detector.core.window import Window

FINDINGS = 50_000
MIB = 1024 * 1024
WINDOW = Window(date(2026, 11, 20), date(2026, 11, 22))
CONFIG = FunctionConfig(
    workgroup="detector",
    named_query_id="q",
    topic_arn="arn:aws:sns:us-east-1:123456789012:t",
    report_bucket="reports",
    window_days=3,
    report_prefix="reports/",
)

RowFactory = Callable[..., dict[str, str | None]]


@dataclass
class Results:
    """An engine returning `count` result rows, made when the query runs, as Athena's pages would be read."""

    row: RowFactory
    count: int

    def run(self, sql: str, parameters: Sequence[str]) -> list[Row]:
        agent = (
            "[aws-cli/1.11.{n} Python/2.7.8 Linux/3.2.0-4-amd64 botocore/1.4.{n} exec-env/AWS_ECS_EC2 command/s3.cp]"
        )
        return [
            self.row(n, user_agent=agent.format(n=n), buckets=f"acme-data-{n % 7},acme-logs,acme-backups-{n % 3}")
            for n in range(self.count)
        ]


@dataclass
class Uploads:
    """upload_file as s3transfer does it: the file is read from disk in 8 MiB parts and sent, not kept."""

    sizes: dict[str, int] = field(default_factory=dict)

    def upload_file(self, filename: str, bucket: str, key: str, **_kwargs: Any) -> None:
        size = 0
        with Path(filename).open("rb") as stream:
            while part := stream.read(8 * MIB):
                size += len(part)
        self.sizes[key] = size

    def put_object(self, **kwargs: Any) -> dict[str, str]:
        return {"ETag": '"marker"'}

    def get_object(self, **kwargs: Any) -> dict[str, Any]:
        if kwargs["Key"] == "reports/latest.json":
            raise ClientError({"Error": {"Code": "NoSuchKey"}}, "GetObject")
        raise AssertionError("the first claim of a window needs no read")


@dataclass
class Topic:
    sizes: list[int] = field(default_factory=list)

    def publish(self, **kwargs: Any) -> dict[str, str]:
        self.sizes.append(len(kwargs["Message"].encode("utf-8")))
        return {"MessageId": "m-1"}


class NoInterfaces:
    """EC2 that holds none of the addresses: every finding is traced, none found."""

    def get_paginator(self, operation_name: str) -> Any:
        key = "NetworkInterfaces" if operation_name == "describe_network_interfaces" else "Reservations"

        class Pages:
            def paginate(self, **_kwargs: Any) -> list[dict[str, list[Any]]]:
                return [{key: []}]

        return Pages()


def test_fifty_thousand_findings_peak_under_half_the_function_memory(detection_row: RowFactory) -> None:
    # GIVEN Athena returning 50,000 findings, and S3, SNS and EC2 that keep nothing
    s3, topic = Uploads(), Topic()
    # AND no earlier report (the pointer to one is missing)
    # WHEN the whole run is traced: query rows, findings, tracing, both report files, the page, the marker and the email
    tracemalloc.start()
    try:
        outcome = run_detection(
            Results(detection_row, FINDINGS),
            "SELECT 1",
            Request(WINDOW, trigger="schedule", event_id="e-1"),
            s3=s3,
            sns=topic,
            config=CONFIG,
            account="123456789012",
            region="us-east-1",
            ec2_for_region=lambda _region: NoInterfaces(),
        )
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # THEN every finding was reported and emailed about, and the peak stayed under half the function's memory
    print(f"peak traced memory at {FINDINGS:,} findings: {peak / MIB:.1f} MiB of {FUNCTION_MEMORY_MB} MB")
    assert outcome.findings == FINDINGS and outcome.notified
    assert s3.sizes["reports/2026-11-20_2026-11-22/report.json"] > 40 * MIB
    assert topic.sizes
    assert peak < FUNCTION_MEMORY_MB * MIB / 2, f"{peak / MIB:.1f} MiB"
