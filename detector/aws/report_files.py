"""The window's full report in S3, as JSON and CSV, streamed through a temporary file.

Neither file is ever whole in memory: each is written finding by finding to the function's /tmp, then uploaded from
there in parts. A 50,000-finding report is about 46 MB of JSON and 22 MB of CSV (tests/test_report_memory.py).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from boto3.s3.transfer import TransferConfig

from detector.aws.location import REPORT_CSV, REPORT_JSON, ReportLocation
from detector.core.findings import Report

MIB = 1024 * 1024
TRANSFER = TransferConfig(multipart_threshold=8 * MIB, multipart_chunksize=8 * MIB, max_concurrency=2)
"""Uploads above 8 MiB go in 8 MiB parts, two at a time: about 16 MiB of buffers, whatever the report's size."""


def write_report(s3: Any, report: Report, location: ReportLocation) -> None:
    files: tuple[tuple[str, Callable[[TextIO], None], str], ...] = (
        (REPORT_JSON, report.write_json, "application/json; charset=utf-8"),
        (REPORT_CSV, report.write_csv, "text/csv; charset=utf-8"),
    )
    with tempfile.TemporaryDirectory(prefix="report-") as folder:
        for name, write, content_type in files:
            path = Path(folder) / name
            with path.open("w", encoding="utf-8", newline="") as stream:
                write(stream)
            s3.upload_file(
                str(path), location.bucket, location.key(name), ExtraArgs={"ContentType": content_type}, Config=TRANSFER
            )
            path.unlink()
