"""Accepted findings: the `acceptedFindings` setting's entries, checked the same way at synth and at run time.

An entry names a principal ARN and/or a user-agent pattern (`*` any run of characters, `?` one character, the rest
literal, as IAM's ArnLike), why the finding is accepted, and the last day it is (UTC). A finding an active entry
matches is counted in the report and the email, not listed as an action; from the day after the expiry it is a
finding again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from detector.core.context_keys import invalid
from detector.core.findings import Finding, Report

PATTERN_KEYS = {"principal": "principal_arn", "userAgent": "user_agent"}
"""Entry key -> the finding field its pattern matches."""
KEYS = (*PATTERN_KEYS, "reason", "expires")

EXAMPLE = (
    '[{"principal": "arn:aws:iam::123456789012:user/legacy-*", "userAgent": "*aws-sdk-java/1.11.*", '
    '"reason": "vendor appliance, replaced in Q1 (TICKET-42)", "expires": "2027-03-31"}]'
)

MAX_ENCODED_BYTES = 3000
"""The entries travel to the function in an environment variable, and Lambda allows 4 KB for all of them together
(https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html); the rest is left for the others."""


class InvalidAcceptance(ValueError):
    """An entry of `acceptedFindings` is malformed; the message names the entry, the field and what is allowed."""


@dataclass(frozen=True)
class Acceptance:
    reason: str
    expires: date
    """The last day (UTC) the entry holds."""
    principal: str | None = None
    user_agent: str | None = None

    def matches(self, finding: Finding) -> bool:
        patterns = ((self.principal, finding.principal_arn), (self.user_agent, finding.user_agent))
        return all(_wildcard(pattern).fullmatch(value) for pattern, value in patterns if pattern is not None)

    def active_on(self, today: date) -> bool:
        return today <= self.expires

    def describe(self) -> str:
        named = [
            f"{key} {value}" for key, value in (("principal", self.principal), ("agent", self.user_agent)) if value
        ]
        return " and ".join(named)

    def to_dict(self) -> dict[str, str]:
        data = {"principal": self.principal, "userAgent": self.user_agent}
        return {
            **{key: value for key, value in data.items() if value is not None},
            "reason": self.reason,
            "expires": self.expires.isoformat(),
        }


@dataclass(frozen=True)
class AcceptedFinding:
    finding: Finding
    acceptance: Acceptance

    def to_dict(self) -> dict[str, Any]:
        return {"finding": self.finding.to_dict(), "accepted": self.acceptance.to_dict()}


def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)


def parse_entries(value: Any) -> tuple[Acceptance, ...]:
    """The entries of a JSON list (or its text); raises InvalidAcceptance naming the entry and what is wrong."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except json.JSONDecodeError as error:
            raise InvalidAcceptance(f"is not valid JSON ({error.msg} at character {error.pos})") from None
    if not isinstance(value, list | tuple):
        raise InvalidAcceptance("is not a list of entries")
    entries = tuple(_entry(number, item) for number, item in enumerate(value, start=1))
    if len(encode(entries).encode("utf-8")) > MAX_ENCODED_BYTES:
        raise InvalidAcceptance(
            f"is longer than {MAX_ENCODED_BYTES} bytes, which the function's environment cannot carry; "
            "use fewer entries with broader patterns"
        )
    return entries


def context_value(key: str, value: Any) -> tuple[Acceptance, ...]:
    """The setting's entries; raises the context's ValueError, with an example of what is allowed."""
    try:
        return parse_entries(value)
    except InvalidAcceptance as error:
        raise invalid(
            key,
            value,
            str(error),
            "give a list of entries, each with a principal and/or userAgent pattern, a reason and an expires date, "
            f"like {EXAMPLE}",
        ) from None


def _entry(number: int, item: Any) -> Acceptance:
    where = f"entry {number}"
    if not isinstance(item, Mapping):
        raise InvalidAcceptance(f"{where} is not an object")
    unknown = sorted(set(item) - set(KEYS))
    if unknown:
        raise InvalidAcceptance(f"{where} has unknown keys {unknown} (allowed: {', '.join(KEYS)})")
    patterns = {key: item.get(key) for key in PATTERN_KEYS}
    if not any(patterns.values()):
        raise InvalidAcceptance(f"{where} names neither a principal nor a userAgent pattern")
    for key, pattern in patterns.items():
        if pattern is not None and (not isinstance(pattern, str) or not pattern.strip()):
            raise InvalidAcceptance(f"{where} has {key} {pattern!r}, which is not a non-empty pattern")
    reason = item.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidAcceptance(f"{where} has no reason: say why the finding is accepted")
    return Acceptance(reason.strip(), _expiry(where, item.get("expires")), patterns["principal"], patterns["userAgent"])


def _expiry(where: str, value: Any) -> date:
    if value is None:
        raise InvalidAcceptance(f"{where} has no expires: give the last day it holds, YYYY-MM-DD")
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidAcceptance(f"{where} has expires {value!r}, which is not a date YYYY-MM-DD") from None


def encode(entries: Sequence[Acceptance]) -> str:
    """The entries as compact JSON: the function's ACCEPTED_FINDINGS variable."""
    return json.dumps([entry.to_dict() for entry in entries], separators=(",", ":"), ensure_ascii=False)


def apply(report: Report, entries: Sequence[Acceptance], today: date) -> Report:
    """The report with each finding an active entry matches moved to `accepted`; an expired entry that matches a
    finding is named in the notes, so its owner sees why the finding is back."""
    kept: list[Finding] = []
    accepted = list(report.accepted)
    notes = list(report.notes)
    for finding in report.findings:
        matching = [entry for entry in entries if entry.matches(finding)]
        active = next((entry for entry in matching if entry.active_on(today)), None)
        if active is not None:
            accepted.append(AcceptedFinding(finding, active))
            continue
        kept.append(finding)
        notes += [_expired(entry) for entry in matching if _expired(entry) not in notes]
    return replace(report, findings=kept, accepted=accepted, notes=notes)


def _expired(entry: Acceptance) -> str:
    return f"the acceptance of {entry.describe()} expired on {entry.expires} ({entry.reason}): listed again"
