"""The previous report, found without listing the bucket: a small pointer beside the window folders names the latest
window's report and the one before it.

A run reads the pointer, compares with the latest report of another window (the one before, when it re-runs the
latest window), and after delivering moves the pointer on. A backfill of a window older than the latest is not
compared and leaves the pointer alone. A previous report that cannot be read is said in the report's notes and the
run goes on: the findings matter more than what changed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from detector.aws.location import REPORT_JSON, SEEN, ReportLocation
from detector.core import baseline

logger = logging.getLogger(__name__)

MISSING = frozenset({"NoSuchKey", "404"})


@dataclass(frozen=True)
class Found:
    """What the pointer said before this run, and whether and against what to compare."""

    pointer: dict[str, Any] | None
    compare: bool
    previous: baseline.PreviousReport | None = None
    notes: list[str] = field(default_factory=list)


def _days(window: Any) -> tuple[str | None, str | None]:
    data = window if isinstance(window, dict) else {}
    return data.get("since"), data.get("until")


def _older_than_latest(here: tuple[str | None, str | None], pointer: dict[str, Any] | None) -> bool:
    """Whether this window ends before the latest report's: a backfill. ISO dates compare as text."""
    latest_until = _days((pointer or {}).get("window"))[1]
    return bool(latest_until and here[1] and latest_until > here[1])


def _get_json(s3: Any, bucket: str, key: str) -> Any | None:
    """The object's JSON, or None when there is no such object."""
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in MISSING:
            return None
        raise
    return json.loads(body)


def read_previous(s3: Any, location: ReportLocation) -> Found:
    """The report to compare this window's with; the first run compares with none, so every finding is new."""
    here = _days(location.window.to_dict())
    try:
        pointer = _get_json(s3, location.bucket, location.pointer_key)
    except (ClientError, ValueError) as error:
        logger.exception("could not read the report pointer s3://%s/%s", location.bucket, location.pointer_key)
        note = f"not compared with the previous report: its pointer is unreadable ({error})"
        return Found(None, compare=False, notes=[note])
    if pointer is None:
        return Found(None, compare=True)
    if _older_than_latest(here, pointer):
        return Found(pointer, compare=False, notes=["not compared: this window is older than the latest report's"])
    latest = pointer if _days(pointer.get("window")) != here else pointer.get("previous")
    if not latest:
        return Found(pointer, compare=True)
    return _read_report(s3, location, pointer, latest)


def _read_report(s3: Any, location: ReportLocation, pointer: dict[str, Any], latest: dict[str, Any]) -> Found:
    """The latest report's seen.json, or its report.json when it has none; named by its report.json."""
    uri = f"s3://{location.bucket}/{latest.get('report')}"
    try:
        data = _get_json(s3, location.bucket, str(latest.get("seen") or latest.get("report")))
        if data is None:
            raise ValueError("it is gone (expired, or deleted)")
        return Found(pointer, compare=True, previous=baseline.previous_report(data, uri))
    except (ClientError, ValueError) as error:
        logger.exception("could not read the previous report %s", uri)
        return Found(pointer, compare=False, notes=[f"not compared with the previous report {uri}: {error}"])


def remember(s3: Any, location: ReportLocation, found: Found) -> None:
    """Points at this window's report, keeping the latest other window's as the one before; a backfill of an older
    window changes nothing."""
    here = location.window.to_dict()
    pointer = found.pointer
    if _older_than_latest(_days(here), pointer):
        return
    before = pointer if pointer and _days(pointer.get("window")) != _days(here) else (pointer or {}).get("previous")
    entry = {"window": here, "report": location.key(REPORT_JSON), "seen": location.key(SEEN)}
    previous = {key: before[key] for key in ("window", "report", "seen") if key in before} if before else None
    s3.put_object(
        Bucket=location.bucket,
        Key=location.pointer_key,
        Body=json.dumps({**entry, "previous": previous}).encode("utf-8"),
        ContentType="application/json",
    )
