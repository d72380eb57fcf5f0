"""Findings and the report that carries them, as the local scan and the Lambda both write them."""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, TextIO

from detector.core import reasons
from detector.core.clients import by_name
from detector.core.text import csv_cell, printable
from detector.core.window import Window

LIST_FIELDS = ("signature_versions", "tls_versions", "auth_methods", "reasons", "buckets", "event_names", "regions")

OPTIONAL_FIELDS = ("source", "log_source", "account_name")
"""Left out of a finding's JSON when not set; `account_name` is a CSV column only when some finding has one."""

PRESIGNED_HINT = "re-create the presigned URLs with SigV4 (the signer, not the fetcher, chose SigV2)"


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
    buckets: list[str]
    event_names: list[str]
    regions: list[str]
    first_seen: str
    last_seen: str
    source: str | None = None
    """What sent the requests, when traced (`detector.aws.trace`)."""
    log_source: str | None = None
    """The log the finding was read from (`cloudtrail`, `access_logs`), when the run names it."""
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
            elif name == "requests":
                value = int(value or 0)
            elif value == "":
                value = None if name != "user_agent" else ""
            values[name] = value
        values["user_agent"] = values["user_agent"] or ""
        return cls(**values)

    @property
    def presigned(self) -> bool:
        return "QueryString" in self.auth_methods

    def hint(self) -> str:
        """What the owner should change: the presigned-URL and client-specific advice first, then each other
        reason's own hint, most urgent first."""
        hints: list[str] = []
        covered: set[str] = set()
        if "sigv2" in self.reasons and self.presigned:
            hints.append(PRESIGNED_HINT)
            covered.add("sigv2")
        client = by_name(self.client) if self.client else None
        fixed_by_upgrade = {
            name for name in self.reasons if name in reasons.BY_NAME and reasons.BY_NAME[name].upgrade_fixes
        }
        if client and fixed_by_upgrade:
            hints.append(client.upgrade)
            covered |= fixed_by_upgrade
        hints += [
            reason.hint for reason in reasons.BY_RANK if reason.name in self.reasons and reason.name not in covered
        ]
        return "; ".join(hints)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for optional in OPTIONAL_FIELDS:
            if data[optional] is None:
                del data[optional]
        return data


@dataclass(frozen=True)
class SkippedFile:
    path: str
    error: str


@dataclass
class Report:
    window: Window
    files_scanned: int = 0
    events_scanned: int = 0
    files_skipped: list[SkippedFile] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    events_seen: tuple[str, str] | None = None
    """The first and last event time read in the window, when any was (the CLI's summary shows their days); not part
    of the JSON report."""

    def counts_by_reason(self) -> dict[str, int]:
        return {reason: sum(reason in f.reasons for f in self.findings) for reason in reasons.NAMES}

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": self.window.to_dict(),
            "files_scanned": self.files_scanned,
            "events_scanned": self.events_scanned,
            "files_skipped": [asdict(skipped) for skipped in self.files_skipped],
            "findings": [finding.to_dict() for finding in self.findings],
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
