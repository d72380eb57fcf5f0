"""Findings and the report that carries them, as the local scan and the Lambda both write them."""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, TextIO

from detector.core import hints, reasons
from detector.core.text import csv_cell, printable
from detector.core.window import Window

if TYPE_CHECKING:
    from detector.core.accepted import AcceptedFinding
    from detector.core.baseline import Comparison
    from detector.core.bucket_view import BucketStatus
    from detector.core.daily import DailyCount

LIST_FIELDS = ("signature_versions", "tls_versions", "auth_methods", "reasons", "buckets", "event_names", "regions")
COUNT_FIELDS = ("requests", "sigv2_requests", "legacy_tls_requests", "failed_requests")
OPTIONAL_FIELDS = ("source", "log_source", "status", "account_name")
"""Left out of a finding's JSON when not set; `account_name` is a CSV column only when some finding has one."""


@dataclass(frozen=True)
class Finding:
    """One (principal ARN, source IP, user agent) group with at least one reason."""

    principal_arn: str
    account_id: str | None
    source_ip: str | None
    user_agent: str
    client: str | None
    client_version: str | None
    sigv4_default_version: str | None
    signature_versions: list[str]
    tls_versions: list[str]
    auth_methods: list[str]
    reasons: list[str]
    requests: int
    sigv2_requests: int
    legacy_tls_requests: int
    failed_requests: int
    """Requests that S3 answered with an error code (AccessDenied, SignatureDoesNotMatch, ...)."""
    buckets: list[str]
    event_names: list[str]
    regions: list[str]
    first_seen: str
    last_seen: str
    source: str | None = None
    """What sent the requests, when traced (`detector.aws.trace`)."""
    log_source: str | None = None
    """The log the finding was read from (`cloudtrail`, `access_logs`), when the run names it."""
    status: str | None = None
    """`new` or `recurring` against the previous report, when the run compared with one (`detector.core.baseline`)."""
    account_name: str | None = None
    """The name of `account_id` in the organization, when an organization-wide run could list it."""

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Finding:
        """A result row of the detection query: list columns arrive comma-joined, numbers maybe as text."""
        values: dict[str, Any] = {}
        for name in (f.name for f in fields(cls)):
            value = row.get(name)
            if name in LIST_FIELDS:
                value = sorted(part for part in (value or "").split(",") if part)
            elif name in COUNT_FIELDS:
                value = int(value or 0)
            elif value == "":
                value = None if name != "user_agent" else ""
            values[name] = value
        values["user_agent"] = values["user_agent"] or ""
        return cls(**values)

    @property
    def presigned(self) -> bool:
        return "QueryString" in self.auth_methods

    @property
    def outdated(self) -> int:
        """1 when the client is older than its SigV4-default release: the `outdated_sdk` reason's measure."""
        return int("outdated_sdk" in self.reasons)

    def of_which(self) -> str:
        """`1 SigV2, 3 failed`: the requests that match a reason or failed, empty when none."""
        counts = (
            (self.sigv2_requests, "SigV2"),
            (self.legacy_tls_requests, "legacy TLS"),
            (self.failed_requests, "failed"),
        )
        return ", ".join(f"{count} {label}" for count, label in counts if count)

    def request_counts(self) -> str:
        """`101 (1 SigV2, 3 failed)`: every request, then those that match a reason or failed."""
        of_which = self.of_which()
        return f"{self.requests} ({of_which})" if of_which else str(self.requests)

    def hint(self) -> str:
        """What the owner should change (`detector.core.hints`)."""
        return hints.hint(self)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in OPTIONAL_FIELDS:
            if data[name] is None:
                del data[name]
        return data


def ranked(findings: Iterable[Finding]) -> list[Finding]:
    """Most urgent first, as the detection query orders them: by each reason's measure, then by requests."""
    return sorted(
        findings,
        key=lambda f: (
            *reasons.order_key(f),
            -f.requests,
            f.principal_arn,
            f.source_ip is None,
            f.source_ip or "",
            f.user_agent,
        ),
    )


@dataclass(frozen=True)
class SkippedFile:
    path: str
    error: str


@dataclass(frozen=True)
class SkippedLines:
    """Lines of a file that was read that are not log records: not read, counted, the first few shown."""

    path: str
    lines: int
    examples: tuple[str, ...]
    """`line N: text`, the text cut short and its control characters escaped."""


@dataclass
class Report:
    window: Window
    files_scanned: int = 0
    events_scanned: int = 0
    files_skipped: list[SkippedFile] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    """What to act on, most urgent first."""
    events_seen: tuple[str, str] | None = None
    """The first and last event time read in the window, when any was (the CLI's summary shows their days); not part
    of the JSON report."""
    accepted: list[AcceptedFinding] = field(default_factory=list)
    """Findings an `acceptedFindings` entry covers until its expiry: counted, not listed as actions."""
    comparison: Comparison | None = None
    """What changed since the previous report, when the run compared with one."""
    buckets: list[BucketStatus] = field(default_factory=list)
    daily: list[DailyCount] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What the report lacks and why: a view whose query failed, a previous report that could not be read."""
    lines_skipped: list[SkippedLines] = field(default_factory=list)

    def counts_by_reason(self) -> dict[str, int]:
        """Findings per reason, most urgent reason first."""
        return {r.name: sum(r.name in f.reasons for f in self.findings) for r in reasons.BY_RANK}

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": self.window.to_dict(),
            "files_scanned": self.files_scanned,
            "events_scanned": self.events_scanned,
            "files_skipped": [asdict(skipped) for skipped in self.files_skipped],
            "lines_skipped": [asdict(skipped) for skipped in self.lines_skipped],
            "findings": [finding.to_dict() for finding in self.findings],
            "accepted": [accepted.to_dict() for accepted in self.accepted],
            "comparison": self.comparison.to_dict() if self.comparison else None,
            "buckets": [bucket.to_dict() for bucket in self.buckets],
            "daily": [count.to_dict() for count in self.daily],
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        buffer = io.StringIO()
        self.write_json(buffer)
        return buffer.getvalue()

    def write_json(self, stream: TextIO) -> None:
        """The JSON report, written one finding at a time so a large report is never whole in memory."""
        head = json.dumps(replace(self, findings=[]).to_dict(), indent=2, ensure_ascii=False)
        before, empty, after = head.partition('"findings": []')
        if not self.findings or not empty:
            stream.write(head + "\n")
            return
        stream.write(before + '"findings": [')
        for number, finding in enumerate(self.findings):
            text = json.dumps(finding.to_dict(), indent=2, ensure_ascii=False)
            stream.write(("," if number else "") + "\n" + textwrap.indent(text, "    "))
        stream.write("\n  ]" + after + "\n")

    def to_csv(self) -> str:
        buffer = io.StringIO()
        self.write_csv(buffer)
        return buffer.getvalue()

    def write_csv(self, stream: TextIO) -> None:
        """One line per finding; list fields joined with spaces. Every cell is attacker-controlled text made safe:
        no formula a spreadsheet would run, no control character a terminal would act on."""
        named = any(finding.account_name for finding in self.findings)
        names = [f.name for f in fields(Finding) if named or f.name != "account_name"] + ["hint"]
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(names)
        for finding in self.findings:
            row = {name: getattr(finding, name) for name in names[:-1]}
            row.update({name: " ".join(row[name]) for name in LIST_FIELDS})
            row["hint"] = finding.hint()
            writer.writerow([_cell(row[name]) for name in names])


def _cell(value: object) -> object:
    return csv_cell(printable(value)) if isinstance(value, str) else value
