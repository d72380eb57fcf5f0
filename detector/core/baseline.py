"""New, recurring and resolved: this report's findings against the previous report's.

A finding is the same as one before when its principal and its client are: the principal ARN and the user agent
without its `m/` feature list (`detector.core.events.agent_key`). The source IP is left out, so a program that moves
to another host or address is still recurring. The previous report is any report's JSON, the Lambda's or the CLI's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from detector.core.events import agent_key
from detector.core.findings import Finding, Report

NEW = "new"
RECURRING = "recurring"

Identity = tuple[str, str]


def identity(principal_arn: str, user_agent: str) -> Identity:
    return (principal_arn, agent_key(user_agent))


@dataclass(frozen=True)
class Seen:
    """A finding of the previous report, as much as the comparison needs and the resolved list shows."""

    principal_arn: str
    user_agent: str
    client: str | None
    client_version: str | None
    reasons: list[str]
    last_seen: str

    @property
    def identity(self) -> Identity:
        return identity(self.principal_arn, self.user_agent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Seen:
        return cls(
            principal_arn=str(data["principal_arn"]),
            user_agent=str(data.get("user_agent") or ""),
            client=data.get("client"),
            client_version=data.get("client_version"),
            reasons=[str(reason) for reason in data.get("reasons") or []],
            last_seen=str(data.get("last_seen") or ""),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PreviousReport:
    source: str
    """Where it was read: an s3:// URI or a file path."""
    window: dict[str, Any] | None
    findings: list[Seen]
    accepted: list[Seen]
    """Its accepted findings: not actions then, so new again when their acceptance has expired."""


@dataclass(frozen=True)
class Comparison:
    previous: str | None
    """Where the previous report was read; None when there was none, so every finding is new."""
    previous_window: dict[str, Any] | None
    new: int
    recurring: int
    resolved: list[Seen]
    """The previous report's findings whose principal and client no longer appear."""

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "resolved": [seen.to_dict() for seen in self.resolved]}


def seen_json(report: Report) -> str:
    """What a later run compares with, in the shape `previous_report` reads: each finding as `Seen`."""
    data = {
        "window": report.window.to_dict(),
        "findings": [_seen(f).to_dict() for f in report.findings],
        "accepted": [{"finding": _seen(a.finding).to_dict()} for a in report.accepted],
    }
    return json.dumps(data, ensure_ascii=False)


def _seen(finding: Finding) -> Seen:
    return Seen(
        finding.principal_arn,
        finding.user_agent,
        finding.client,
        finding.client_version,
        list(finding.reasons),
        finding.last_seen,
    )


def previous_report(data: Any, source: str) -> PreviousReport:
    """The parts of a report's JSON the comparison needs; raises ValueError saying what is missing."""
    if not isinstance(data, Mapping) or not isinstance(data.get("findings"), list):
        raise ValueError(f"{source} is not a detector report: it has no findings list")
    try:
        findings = [Seen.from_dict(entry) for entry in data["findings"]]
        accepted = [Seen.from_dict(item["finding"]) for item in data.get("accepted") or []]
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"{source} has a finding without a principal_arn ({error!r})") from None
    window = data.get("window")
    return PreviousReport(source, dict(window) if isinstance(window, Mapping) else None, findings, accepted)


def compare(report: Report, previous: PreviousReport | None) -> Report:
    """The report with each finding marked new or recurring and the resolved ones listed; without a previous
    report (the first run), every finding is new. A finding accepted before and listed now is new: it is back."""
    before = {seen.identity for seen in previous.findings} if previous else set()
    findings = [replace(f, status=RECURRING if _identity(f) in before else NEW) for f in report.findings]
    now = {_identity(f) for f in report.findings} | {_identity(a.finding) for a in report.accepted}
    resolved: dict[Identity, Seen] = {}
    for seen in [*previous.findings, *previous.accepted] if previous else []:
        if seen.identity not in now:
            resolved.setdefault(seen.identity, seen)
    new = sum(finding.status == NEW for finding in findings)
    comparison = Comparison(
        previous=previous.source if previous else None,
        previous_window=previous.window if previous else None,
        new=new,
        recurring=len(findings) - new,
        resolved=list(resolved.values()),
    )
    return replace(report, findings=findings, comparison=comparison)


def _identity(finding: Finding) -> Identity:
    return identity(finding.principal_arn, finding.user_agent)
