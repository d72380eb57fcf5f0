"""The report as one self-contained HTML page: the trend per client, the findings with what to change, the buckets
view with the deny policies ready to paste, what changed since the previous report.

No script, font, image or stylesheet from anywhere: the page's Content-Security-Policy allows none, so it renders the
same offline, from S3 or from a laptop. Every value from the logs (user agents, ARNs, keys) is escaped, and control and
bidirectional characters are shown as escapes (`detector.core.text.printable`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from detector.core import chart, reasons
from detector.core.bucket_view import BucketStatus
from detector.core.daily import Trend, trend
from detector.core.findings import Finding, Report
from detector.core.report_style import STYLE

esc = chart.esc

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
"""Nothing is loaded or run: inline styles and the page's own markup only."""

TITLE = "Legacy S3 clients"

MAX_ROWS = 1000
"""Findings and buckets shown in the page at most, most urgent first: a page to read, the rest in report.json/.csv."""


def render(report: Report, *, account: str | None = None) -> str:
    """The whole page."""
    window = report.window.to_dict()
    span = f"{window['since'] or 'the first log'} to {window['until'] or 'the last log'}"
    where = f" in account {account}" if account else ""
    drawn = trend(report.findings, report.daily)
    body = "".join(
        (
            f"<header><h1>{TITLE}</h1><p class='sub'>{esc(span)} (UTC){esc(where)}</p>{_summary(report)}</header>",
            _notes(report.notes),
            _section("Trend per client", chart.render(drawn), "trend"),
            _section(
                "Findings", _findings_table(report.findings[:MAX_ROWS], drawn) + _more(report.findings), "findings"
            ),
            _section("Buckets", _buckets(report.buckets[:MAX_ROWS]) + _more(report.buckets), "buckets"),
            _changes(report),
            _accepted(report),
            _skipped(report),
        )
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{TITLE}: {esc(span)}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}<footer>Written by the legacy-s3-client detector. This page loads nothing and runs no "
        "script.</footer></main></body></html>\n"
    )


def _summary(report: Report) -> str:
    counts = report.counts_by_reason()
    cards = [("Findings", len(report.findings), "")]
    cards += [(r.name, counts[r.name], f" reason-{r.name}") for r in reasons.BY_RANK]
    if report.comparison:
        cards += [("New", report.comparison.new, " new"), ("Resolved", len(report.comparison.resolved), "")]
    ready = sum(bucket.ready_for("DenySigV2") for bucket in report.buckets)
    cards += [("Accepted", len(report.accepted), ""), ("Buckets ready to refuse SigV2", ready, "")]
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card{css}"><span class="count">{count}</span><span class="label">{esc(label)}</span></div>'
            for label, count, css in cards
        )
        + "</div>"
    )


def _more(rows: Sequence[object]) -> str:
    rest = len(rows) - MAX_ROWS
    return f"<p class='hint'>…and {rest} more in report.json and report.csv.</p>" if rest > 0 else ""


def _section(title: str, content: str, anchor: str) -> str:
    inner = content or '<p class="empty">Nothing here for this window.</p>'
    return f'<section id="{anchor}"><h2>{esc(title)}</h2>{inner}</section>'


def _notes(notes: Sequence[str]) -> str:
    return "".join(f'<p class="note">{esc(note)}</p>' for note in notes)


def _badges(names: Iterable[str]) -> str:
    ordered = sorted(names, key=reasons.rank)
    return "".join(f'<span class="badge reason-{esc(name)}">{esc(name)}</span>' for name in ordered)


FINDING_COLUMNS = ("Reasons", "Principal", "Source", "Client", "Requests", "First, last seen", "What to change")


def _findings_table(findings: Sequence[Finding], drawn: Trend) -> str:
    if not findings:
        return ""
    swatches = _swatches(findings, drawn)
    compared = any(finding.status for finding in findings)
    names = ("", *(("Status",) if compared else ()), *FINDING_COLUMNS)
    head = "".join(f'<th class="col-{_css(name)}">{name}</th>' for name in names)
    rows = "".join(_finding_row(f, swatches.get(id(f), ""), compared) for f in findings)
    return (
        "<p class='hint'>Most urgent first: " + ", then ".join(esc(r.name) for r in reasons.BY_RANK) + ". The colour "
        f"is the finding's line in the trend.</p><table class='findings'><thead><tr>{head}</tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _css(name: str) -> str:
    """A column's class: `First, last seen` -> `first-last-seen`."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "swatch"


def _swatches(findings: Sequence[Finding], drawn: Trend) -> dict[int, str]:
    """Each charted finding's swatch, keyed by the finding's identity in `findings`."""
    by_position = chart.colors(drawn)
    charted = {id(series.finding): i for i, series in enumerate(drawn.series)}
    return {
        id(f): f'<span class="swatch" style="background:{by_position[charted[id(f)]]}"></span>'
        for f in findings
        if charted.get(id(f)) in by_position
    }


def _finding_row(finding: Finding, swatch: str, compared: bool) -> str:
    client = " ".join(part for part in (finding.client, finding.client_version) if part) or "not in the catalog"
    status = f'<span class="status {esc(finding.status)}">{esc(finding.status)}</span>' if finding.status else ""
    cells = (
        swatch,
        *((status,) if compared else ()),
        _badges(finding.reasons),
        f'<span class="arn">{esc(finding.principal_arn)}</span>',
        esc(finding.source or finding.source_ip or "unknown"),
        f'<div class="client">{esc(client)}<div class="agent">{esc(finding.user_agent or "(no agent)")}</div></div>',
        f'<span class="num">{finding.requests}</span><div class="of">{esc(finding.of_which())}</div>',
        f'<span class="seen">{esc(finding.first_seen)}</span><br><span class="seen">{esc(finding.last_seen)}</span>',
        esc(finding.hint()),
    )
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def _buckets(buckets: Sequence[BucketStatus]) -> str:
    if not buckets:
        return ""
    names = ("Bucket", "Region", "SigV2", "Legacy TLS", "From", "Last SigV2", "Days without SigV2", "Ready to refuse")
    head = "".join(f"<th>{name}</th>" for name in names)
    rows = "".join(map(_bucket_row, buckets))
    return (
        "<p class='hint'>A policy is offered for what a bucket had no request of in the whole window. It is never "
        "applied: check it, then add its statements to the bucket's policy. Requests AWS services make for you are "
        f"not counted here.</p><table class='buckets'><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    )


def _bucket_row(bucket: BucketStatus) -> str:
    region = esc(bucket.region or "unknown") + ("" if bucket.accepts_sigv2 else '<div class="of">refuses SigV2</div>')
    policy = bucket.policy()
    deny = f"<details><summary>{esc(bucket.refuses())}</summary><pre>{esc(policy)}</pre></details>" if policy else "-"
    cells = (
        f'<span class="arn">{esc(bucket.bucket)}</span>',
        region,
        f'<span class="num">{bucket.sigv2_requests}</span>',
        f'<span class="num">{bucket.legacy_tls_requests}</span>',
        "<br>".join(f'<span class="arn">{esc(p)}</span>' for p in bucket.principals) or "-",
        f'<span class="seen">{esc(bucket.last_sigv2 or "-")}</span>',
        f'<span class="num">{bucket.days_without_sigv2}</span>',
        deny,
    )
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def _changes(report: Report) -> str:
    comparison = report.comparison
    if comparison is None:
        return ""
    against = f"Compared with {esc(comparison.previous)}" if comparison.previous else "No earlier report: all new"
    intro = f"<p class='hint'>{against}. {comparison.new} new, {comparison.recurring} recurring.</p>"
    items = "".join(
        f"<li><span class='arn'>{esc(seen.principal_arn)}</span> {_badges(seen.reasons)} "
        f"<span class='agent'>{esc(seen.user_agent or '(no user agent)')}</span>, last seen {esc(seen.last_seen)}</li>"
        for seen in comparison.resolved
    )
    listed = f"<ul class='plain'>{items}</ul>" if items else "<p class='empty'>None resolved since.</p>"
    return _section("Resolved since the previous report", intro + listed, "resolved")


def _accepted(report: Report) -> str:
    if not report.accepted:
        return ""
    items = "".join(
        f"<li><span class='arn'>{esc(a.finding.principal_arn)}</span> {_badges(a.finding.reasons)} "
        f"<span class='agent'>{esc(a.finding.user_agent)}</span>: {esc(a.acceptance.reason)}, "
        f"until {a.acceptance.expires}</li>"
        for a in report.accepted
    )
    intro = "<p class='hint'>Covered by acceptedFindings until the date given: counted, not listed as actions.</p>"
    return _section(f"Accepted ({len(report.accepted)})", f"{intro}<ul class='plain'>{items}</ul>", "accepted")


def _skipped(report: Report) -> str:
    if not report.files_skipped:
        return ""
    items = "".join(f"<li>{esc(s.path)}: {esc(s.error)}</li>" for s in report.files_skipped)
    return _section(f"Files skipped ({len(report.files_skipped)})", f"<ul class='plain'>{items}</ul>", "skipped")
