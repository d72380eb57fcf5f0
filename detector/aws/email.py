"""The email a run sends: a summary that fits SNS, pointing at the full report in S3.

Plain functions of a `Report`, so tests and the README render exactly what owners receive. Every value taken from the
logs is shown with `one_line`: a user agent or ARN cannot add lines, terminal escapes or bidirectional overrides.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from detector.aws.location import ReportLocation
from detector.core import reasons
from detector.core.findings import Finding, Report
from detector.core.text import one_line
from detector.core.window import Window

SUBJECT_MAX_CHARS = 99
"""SNS: an email subject is "less than 100 characters long", without line breaks or control characters.

Source: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
"""

MESSAGE_MAX_BYTES = 262_144
"""SNS: a message is at most 256 KB, "262,144 bytes, not 262,144 characters" (same source)."""

BODY_MAX_BYTES = MESSAGE_MAX_BYTES - 1_024
"""Headroom for the subject, in case SNS counts it toward the same limit."""

TOP_FINDINGS = 20
"""An email is read, not searched: the rest is in the report."""

MAX_BUCKETS_LISTED = 5

SUBJECT_PREFIX = "S3 legacy clients"


def window_text(window: Window) -> str:
    return f"{window.since or 'start'}..{window.until or 'end'}"


def reason_counts(report: Report) -> list[tuple[str, int]]:
    counts = report.counts_by_reason()
    return [(reason, counts[reason]) for reason in (r.name for r in reasons.BY_RANK) if counts.get(reason)]


def subject(report: Report, account: str) -> str:
    """The most informative line that fits: counts by reason, account and window, dropping detail as needed."""
    account = _one_ascii_line(account)
    window = window_text(report.window)
    total = len(report.findings)
    if not total:
        candidates = [
            f"{SUBJECT_PREFIX}: no findings in {account}, {window}",
            f"{SUBJECT_PREFIX}: no findings, {window}",
        ]
    else:
        noun = "finding" if total == 1 else "findings"
        breakdown = ", ".join(f"{count} {reason}" for reason, count in reason_counts(report))
        candidates = [
            f"{SUBJECT_PREFIX}: {total} {noun} ({breakdown}) in {account}, {window}",
            f"{SUBJECT_PREFIX}: {total} {noun} ({breakdown}), {window}",
            f"{SUBJECT_PREFIX}: {total} {noun} in {account}, {window}",
            f"{SUBJECT_PREFIX}: {total} {noun}, {window}",
        ]
    return next((text for text in candidates if len(text) <= SUBJECT_MAX_CHARS), candidates[-1][:SUBJECT_MAX_CHARS])


def body(
    report: Report,
    location: ReportLocation,
    account: str,
    *,
    top: int | None = TOP_FINDINGS,
    max_bytes: int = BODY_MAX_BYTES,
) -> str:
    """Counts, where the full report is, then the top findings until `top` or the byte budget runs out."""
    head = _head(report, location, account)
    if not report.findings:
        return head
    ranked = sorted(report.findings, key=lambda finding: -finding.requests)
    candidates = ranked if top is None else ranked[:top]
    total = len(ranked)
    parts = [head, "\nTop findings, most requests first:\n"]
    used = _size(parts)
    if used + _size([_more(total)]) > max_bytes:
        raise ValueError(f"max_bytes={max_bytes} leaves no room for the findings; the summary alone is {used} bytes")
    shown = 0
    for block in _blocks(candidates):
        rest = total - shown - 1
        needed = _size([block]) + (_size([_more(rest)]) if rest else 0)
        if used + needed > max_bytes:
            break
        parts.append(block)
        used += _size([block])
        shown += 1
    if shown < total:
        parts.append(_more(total - shown))
    return "".join(parts)


def _head(report: Report, location: ReportLocation, account: str) -> str:
    window = report.window
    total = len(report.findings)
    days = f"{window.since} to {window.until} (UTC days, both included)"
    lines = [f"Legacy S3 clients in account {one_line(account)}, {days}.", ""]
    if total:
        noun = "finding" if total == 1 else "findings"
        lines.append(f"{total} {noun}: " + ", ".join(f"{count} {reason}" for reason, count in reason_counts(report)))
        lines.extend(f"  {reason:<13} {reasons.BY_NAME[reason].meaning}" for reason, _ in reason_counts(report))
        lines.append("A finding is one principal calling from one source IP with one client.")
    else:
        lines.append("No findings: no request was signed with SigV2, came from an outdated SDK or used TLS 1.0/1.1.")
    lines += [
        "",
        "Full report (every finding, JSON and CSV):",
        f"  {location.json_uri}",
        f"  {location.csv_uri}",
        f"  {location.console_url}",
    ]
    if location.dashboard_url:
        lines += ["", "Trend over time (CloudWatch dashboard):", f"  {location.dashboard_url}"]
    return "\n".join(lines) + "\n"


def _blocks(findings: Sequence[Finding]) -> Iterator[str]:
    for number, finding in enumerate(findings, start=1):
        yield "\n" + "\n".join(_finding_lines(number, finding)) + "\n"


def _finding_lines(number: int, finding: Finding) -> list[str]:
    indent = " " * (len(str(number)) + 2)
    client = " ".join(part for part in (finding.client, finding.client_version) if part) or "not in the catalog"
    if "outdated_sdk" in finding.reasons and finding.sigv4_default_version:
        client += f" (SigV4 by default from {finding.sigv4_default_version})"
    buckets = finding.buckets[:MAX_BUCKETS_LISTED]
    more_buckets = len(finding.buckets) - len(buckets)
    signing = ", ".join(finding.signature_versions) or "unknown"
    if finding.auth_methods:
        signing += f" via {', '.join(finding.auth_methods)}"
    fields = [
        ("source IP", finding.source_ip or "unknown"),
        ("traced to", finding.source),
        ("logged in", finding.log_source),
        ("client", client),
        ("user agent", finding.user_agent or "(none sent)"),
        ("reasons", ", ".join(sorted(finding.reasons, key=reasons.rank))),
        ("signing", signing),
        ("TLS", ", ".join(finding.tls_versions) or "not logged"),
        ("requests", f"{finding.requests}, first {finding.first_seen}, last {finding.last_seen}"),
        ("buckets", ", ".join(buckets) + (f" and {more_buckets} more" if more_buckets else "")),
        ("what to do", finding.hint()),
    ]
    lines = [f"{number}. {one_line(finding.principal_arn)}"]
    return lines + [f"{indent}{label:<11} {one_line(value)}" for label, value in fields if value]


def _more(count: int) -> str:
    return f"\n…and {count} more, see the full report.\n"


def _size(parts: Sequence[str]) -> int:
    return sum(len(part.encode("utf-8")) for part in parts)


def _one_ascii_line(text: str) -> str:
    return " ".join(text.encode("ascii", "replace").decode("ascii").split())
