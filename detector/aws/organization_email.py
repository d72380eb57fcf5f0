"""The email of an organization-wide run: one email for every account, the counts per account first, then the top
findings grouped under their account, each account shown by its name when the run could list it.

Built from `detector.aws.email`'s pieces (a finding's lines, the size budget, the subject's limits, imported by their
private names), so both emails read alike and fit SNS alike.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from detector.aws import email
from detector.aws.accounts import label
from detector.aws.email import _finding_lines as finding_lines
from detector.aws.email import _more as more_text
from detector.aws.email import _one_ascii_line as one_ascii_line
from detector.aws.email import _size as text_size
from detector.aws.location import ReportLocation
from detector.core import reasons
from detector.core.findings import Finding, Report
from detector.core.text import one_line

MAX_ACCOUNTS_LISTED = 100
"""The counts per account stay readable; the report has every finding of every account."""


@dataclass(frozen=True)
class OrganizationEmail:
    """The organization's email for the alert (`detector.aws.alert_message.AlertEmail`)."""

    organization_id: str
    names: Mapping[str, str]
    names_problem: str | None = None

    def subject(self, report: Report) -> str:
        return subject(report, self.organization_id)

    def body(self, report: Report, location: ReportLocation, max_bytes: int) -> str:
        return body(
            report, location, self.organization_id, self.names, names_problem=self.names_problem, max_bytes=max_bytes
        )


def accounts_by_findings(findings: Sequence[Finding]) -> list[tuple[str | None, int]]:
    """Each account with its number of findings, most first (then by ID)."""
    counts = Counter(finding.account_id for finding in findings)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0] or ""))


def subject(report: Report, organization_id: str) -> str:
    """Counts by reason, the number of accounts and the window, dropping detail until it fits."""
    organization = one_ascii_line(organization_id)
    window = email.window_text(report.window)
    total = len(report.findings)
    if not total:
        candidates = [f"{email.SUBJECT_PREFIX}: no findings in {organization}, {window}"]
    else:
        noun = "finding" if total == 1 else "findings"
        accounts = len(accounts_by_findings(report.findings))
        where = f"in {accounts} account{'s' if accounts != 1 else ''} of {organization}"
        breakdown = ", ".join(f"{count} {reason}" for reason, count in email.reason_counts(report))
        candidates = [
            f"{email.SUBJECT_PREFIX}: {total} {noun} ({breakdown}) {where}, {window}",
            f"{email.SUBJECT_PREFIX}: {total} {noun} {where}, {window}",
            f"{email.SUBJECT_PREFIX}: {total} {noun}, {window}",
        ]
    limit = email.SUBJECT_MAX_CHARS
    return next((text for text in candidates if len(text) <= limit), candidates[-1][:limit])


def body(
    report: Report,
    location: ReportLocation,
    organization_id: str,
    names: Mapping[str, str],
    *,
    names_problem: str | None = None,
    top: int = email.TOP_FINDINGS,
    max_bytes: int = email.BODY_MAX_BYTES,
) -> str:
    """Counts, counts per account, where the report is, then the top findings under their accounts until `top` or
    the byte budget runs out."""
    head = _head(report, location, organization_id, names, names_problem)
    if not report.findings:
        return head
    ranked = sorted(report.findings, key=lambda finding: -finding.requests)[:top]
    order = {account: rank for rank, (account, _count) in enumerate(accounts_by_findings(report.findings))}
    shown_first = sorted(ranked, key=lambda finding: order[finding.account_id])
    parts = [head, "\nTop findings by account, most requests first:\n"]
    used = text_size(parts)
    total = len(report.findings)
    if used + text_size([more_text(total)]) > max_bytes:
        raise ValueError(f"max_bytes={max_bytes} leaves no room for the findings; the summary alone is {used} bytes")
    shown, current = 0, object()
    for number, finding in enumerate(shown_first, start=1):
        header = "" if finding.account_id == current else f"\n== {one_line(label(finding.account_id, names))} ==\n"
        block = header + "\n" + "\n".join(finding_lines(number, finding)) + "\n"
        rest = total - shown - 1
        if used + text_size([block]) + (text_size([more_text(rest)]) if rest else 0) > max_bytes:
            break
        parts.append(block)
        used += text_size([block])
        shown, current = shown + 1, finding.account_id
    if shown < total:
        parts.append(more_text(total - shown))
    return "".join(parts)


def _head(
    report: Report,
    location: ReportLocation,
    organization_id: str,
    names: Mapping[str, str],
    names_problem: str | None,
) -> str:
    window = report.window
    days = f"{window.since} to {window.until} (UTC days, both included)"
    lines = [f"Legacy S3 clients in organization {one_line(organization_id)}, {days}.", ""]
    total = len(report.findings)
    if total:
        noun = "finding" if total == 1 else "findings"
        counts = email.reason_counts(report)
        lines.append(f"{total} {noun}: " + ", ".join(f"{count} {reason}" for reason, count in counts))
        lines.extend(f"  {reason:<13} {reasons.BY_NAME[reason].meaning}" for reason, _ in counts)
        lines.append("A finding is one principal calling from one source IP with one client.")
        lines += ["", "Findings by account, most first:", *_account_lines(report.findings, names)]
    else:
        lines.append("No findings: no request was signed with SigV2, came from an outdated SDK or used TLS 1.0/1.1.")
    if names_problem:
        lines.append(f"Accounts are shown by ID: their names could not be listed ({one_line(names_problem)}).")
    lines += [
        "",
        "Full report (every finding, JSON and CSV):",
        f"  {location.json_uri}",
        f"  {location.csv_uri}",
        f"  {location.console_url}",
    ]
    return "\n".join(lines) + "\n"


def _account_lines(findings: Sequence[Finding], names: Mapping[str, str]) -> list[str]:
    accounts = accounts_by_findings(findings)[:MAX_ACCOUNTS_LISTED]
    by_reason: dict[str | None, Counter[str]] = {}
    for finding in findings:
        by_reason.setdefault(finding.account_id, Counter()).update(finding.reasons)
    labels = {account: one_line(label(account, names)) for account, _ in accounts}
    width = max(len(text) for text in labels.values())
    lines = []
    for account, count in accounts:
        counts = by_reason[account]
        breakdown = ", ".join(f"{counts[r.name]} {r.name}" for r in reasons.BY_RANK if counts[r.name])
        lines.append(f"  {labels[account]:<{width}}  {count} finding{'s' if count != 1 else ''}: {breakdown}")
    hidden = len(accounts_by_findings(findings)) - len(accounts)
    if hidden > 0:
        lines.append(f"  …and {hidden} more accounts, see the full report.")
    return lines
