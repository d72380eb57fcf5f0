"""The buckets view: per bucket and region, who still sends SigV2 or legacy TLS, and which buckets are ready to refuse
them, from the rows of `queries/buckets.sql`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from detector.core import policy
from detector.core.window import Window

BUCKETS_QUERY = "buckets"


@dataclass(frozen=True)
class BucketStatus:
    bucket: str
    region: str | None
    accepts_sigv2: bool
    """The region is one of the eight where S3 still accepts SigV2 (on buckets created before 2020-06-24)."""
    requests: int
    sigv2_requests: int
    legacy_tls_requests: int
    principals: list[str]
    """Who sent the SigV2 or legacy-TLS requests (`anonymous` for unsigned ones)."""
    first_seen: str
    last_seen: str
    last_sigv2: str | None
    last_legacy_tls: str | None
    days_without_sigv2: int
    """Whole days at the end of the logs read with no SigV2 request to this bucket: all of them when none had one."""
    deny_statements: list[dict[str, Any]] = field(default_factory=list)
    """The statements this bucket is ready for: no request they would refuse in the whole window."""

    @property
    def ready(self) -> bool:
        return bool(self.deny_statements)

    def refuses(self) -> str:
        """What the bucket is ready to refuse, as a person reads it: `SigV2, TLS < 1.2`."""
        return policy.refuses(self.deny_statements)

    def ready_for(self, sid: str) -> bool:
        return any(statement["Sid"] == sid for statement in self.deny_statements)

    def policy(self) -> str | None:
        """The statements as a bucket policy to paste, when the bucket is ready for any."""
        return policy.policy_document(self.deny_statements) if self.deny_statements else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DaySpan:
    """The days of the logs read: the window's, or, where it is open, the days of the events themselves."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @classmethod
    def of(cls, window: Window, rows: Sequence[Mapping[str, Any]]) -> DaySpan | None:
        seen = sorted(_day(str(row[name])) for row in rows for name in ("first_seen", "last_seen") if row.get(name))
        first = window.since or (seen[0] if seen else None)
        last = window.until or (seen[-1] if seen else None)
        return cls(first, last) if first and last else None


def bucket_statuses(rows: Sequence[Mapping[str, Any]], window: Window) -> list[BucketStatus]:
    """One status per row of the buckets query, in its order."""
    span = DaySpan.of(window, rows)
    return [bucket_status(row, span) for row in rows]


def bucket_status(row: Mapping[str, Any], span: DaySpan | None) -> BucketStatus:
    bucket, region = str(row["bucket"]), _text(row.get("aws_region"))
    accepts = _flag(row.get("accepts_sigv2"))
    sigv2, legacy_tls = int(row.get("sigv2_requests") or 0), int(row.get("legacy_tls_requests") or 0)
    last_sigv2 = _text(row.get("last_sigv2"))
    statements = ([policy.deny_sigv2(bucket, region)] if accepts and not sigv2 else []) + (
        [policy.deny_legacy_tls(bucket, region)] if not legacy_tls else []
    )
    return BucketStatus(
        bucket=bucket,
        region=region,
        accepts_sigv2=accepts,
        requests=int(row.get("requests") or 0),
        sigv2_requests=sigv2,
        legacy_tls_requests=legacy_tls,
        principals=sorted(part for part in (_text(row.get("principals")) or "").split(",") if part),
        first_seen=str(row["first_seen"]),
        last_seen=str(row["last_seen"]),
        last_sigv2=last_sigv2,
        last_legacy_tls=_text(row.get("last_legacy_tls")),
        days_without_sigv2=days_without(last_sigv2, span),
        deny_statements=statements,
    )


def days_without(last: str | None, span: DaySpan | None) -> int:
    """Whole days from the day after `last` to the span's last day, at most the span; all of it without `last`."""
    if span is None:
        return 0
    if last is None:
        return span.days
    return max(0, min(span.days, (span.last - _day(last)).days))


def _day(event_time: str) -> date:
    return date.fromisoformat(event_time[:10])


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _flag(value: Any) -> bool:
    """A boolean column: DuckDB gives a bool, Athena the text `true` or `false`."""
    return value is True or str(value).lower() == "true"
