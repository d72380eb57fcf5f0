"""The email's parts about change and acceptance: new findings listed first and marked, recurring ones counted in one
line, the resolved ones listed, accepted ones counted, and what the report lacks."""

from __future__ import annotations

from detector.core import reasons
from detector.core.baseline import NEW
from detector.core.findings import Finding, Report, ranked
from detector.core.text import one_line

MAX_RESOLVED_LISTED = 20
NEW_MARK = "[new] "


def listed(report: Report) -> list[Finding]:
    """The findings the email lists, most urgent first: all of them, or when compared only the new ones."""
    ordered = ranked(report.findings)
    return ordered if report.comparison is None else [f for f in ordered if f.status == NEW]


def mark(finding: Finding) -> str:
    return NEW_MARK if finding.status == NEW else ""


def listing_title(report: Report) -> str:
    order = ", then ".join(reason.name for reason in reasons.BY_RANK)
    which = "New findings" if report.comparison else "Top findings"
    return f"\n{which}, most urgent first ({order}):\n"


def counts_line(report: Report) -> str:
    """`(2 new, 4 recurring; 1 accepted, not listed)` after the count of findings, or empty."""
    parts = []
    if report.comparison:
        parts.append(f"{report.comparison.new} new, {report.comparison.recurring} recurring")
    if report.accepted:
        parts.append(f"{len(report.accepted)} accepted, not listed")
    return f" ({'; '.join(parts)})" if parts else ""


def tail(report: Report) -> str:
    """After the listed findings: the recurring count, the resolved ones, the accepted count, the notes."""
    lines: list[str] = []
    comparison = report.comparison
    if comparison and comparison.recurring:
        lines.append(f"{comparison.recurring} recurring findings, also in the previous report: in the full report.")
    if comparison and comparison.resolved:
        lines.append(f"Resolved since the previous report ({len(comparison.resolved)}, no longer seen):")
        for seen in comparison.resolved[:MAX_RESOLVED_LISTED]:
            client = " ".join(p for p in (seen.client, seen.client_version) if p) or seen.user_agent or "no agent"
            lines.append(f"  - {one_line(seen.principal_arn)}, {one_line(client)}: {', '.join(seen.reasons)}")
        if len(comparison.resolved) > MAX_RESOLVED_LISTED:
            lines.append(f"  …and {len(comparison.resolved) - MAX_RESOLVED_LISTED} more, see the full report.")
    if report.accepted:
        first = min(a.acceptance.expires for a in report.accepted)
        lines.append(
            f"{len(report.accepted)} accepted findings (acceptedFindings) are counted, not listed; the first "
            f"acceptance to expire ends on {first}."
        )
    lines += [f"Note: {one_line(note)}" for note in report.notes]
    return "\n" + "\n".join(lines) + "\n" if lines else ""
