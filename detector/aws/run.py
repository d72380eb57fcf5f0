"""One window's detection: run the saved query, trace each finding to its sender, deliver the report and email."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from detector.aws.alert_message import AlertEmail
from detector.aws.delivery import notify_once
from detector.aws.event import Request
from detector.aws.history import remember
from detector.aws.location import ReportLocation
from detector.aws.organization import OrganizationRun
from detector.aws.report_files import write_report
from detector.aws.review import review, view_runner, write_page
from detector.aws.trace import EC2Client, trace_sources
from detector.core.config import FunctionConfig
from detector.core.engine import Engine
from detector.core.findings import Finding, Report, ranked
from detector.core.window import Window

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    window: Window
    findings: int
    report_uri: str
    notified: bool
    report: Report | None = field(default=None, compare=False, repr=False)
    """The findings themselves, for the run's metrics; not part of the invocation's result."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": self.window.to_dict(),
            "findings": self.findings,
            "report_uri": self.report_uri,
            "notified": self.notified,
        }


def find(
    engine: Engine,
    sql: str | Mapping[str, str],
    request: Request,
    *,
    workgroup: str,
    ec2_for_region: Callable[[str], EC2Client] | None = None,
    organization: OrganizationRun | None = None,
) -> Report:
    """The window's findings, traced to their senders when `ec2_for_region` is given. `sql` is the detection
    query, or each deployed source's: their findings are merged, each naming its source. An `organization` run
    reads the accounts it finds, traces each finding in its account and names the accounts."""
    window = request.window
    queries: dict[str | None, str] = {None: sql} if isinstance(sql, str) else {name: text for name, text in sql.items()}
    if organization is not None:
        found = organization.queries({name: text for name, text in queries.items() if name is not None})
        queries = {name: found.get(name, text) if name is not None else text for name, text in queries.items()}
    findings: list[Finding] = []
    for source, text in queries.items():
        try:
            rows = engine.run(text, window.parameters())
        except Exception:
            logger.exception(
                "detection query%s failed for window %s..%s (workgroup %s, %s run)",
                f" over {source}" if source else "",
                window.since,
                window.until,
                workgroup,
                request.trigger,
            )
            raise
        findings += [replace(Finding.from_row(row), log_source=source) for row in rows]
    if len(queries) > 1:
        findings = ranked(findings)
    if organization is not None:
        findings = organization.named(
            organization.trace(findings, ec2_for_region) if ec2_for_region is not None else findings
        )
    elif ec2_for_region is not None:
        findings = trace_sources(findings, ec2_for_region)
    return Report(window=window, findings=findings)


def run_detection(
    engine: Engine,
    sql: str | Mapping[str, str],
    request: Request,
    *,
    s3: Any,
    sns: Any,
    config: FunctionConfig,
    account: str,
    region: str,
    ec2_for_region: Callable[[str], EC2Client] | None = None,
    views: Mapping[str, str] | None = None,
    view_engine: Callable[[], Engine] | None = None,
    today: date | None = None,
    organization: OrganizationRun | None = None,
) -> Outcome:
    """Query, trace each finding to its sender, add the views, set accepted findings apart, compare with the previous
    report, store the full report and its page, then email a summary once per window. `views` is each view's saved
    SQL; `view_engine` makes the engine for each, so its time is what the invocation has left."""
    window = request.window
    location = ReportLocation(config.report_bucket, config.report_prefix, window, region, config.dashboard_url)
    report = find(
        engine, sql, request, workgroup=config.workgroup, ec2_for_region=ec2_for_region, organization=organization
    )
    report, found = review(
        report,
        run_view=view_runner(
            lambda text: (view_engine() if view_engine else engine).run(text, window.parameters()), views or {}
        ),
        entries=config.accepted_findings,
        s3=s3,
        location=location,
        today=today or datetime.now(UTC).date(),
    )
    write_report(s3, report, location)
    write_page(s3, report, location, account)
    outcome = Outcome(window, len(report.findings), location.json_uri, notified=False, report=report)
    email = organization.email(report) if organization is not None else None
    notified = _notify(
        s3, sns, config=config, report=report, location=location, request=request, account=account, email=email
    )
    remember(s3, location, found)
    return replace(outcome, notified=notified)


def _notify(
    s3: Any,
    sns: Any,
    *,
    config: FunctionConfig,
    report: Report,
    location: ReportLocation,
    request: Request,
    account: str,
    email: AlertEmail | None,
) -> bool:
    """Emails the window at least once, unless it is clean and clean windows are not emailed."""
    if not report.findings and not config.notify_when_clean:
        window = report.window
        logger.info("window %s..%s is clean; no email (NOTIFY_WHEN_CLEAN is false)", window.since, window.until)
        return False
    return notify_once(
        s3,
        sns,
        topic_arn=config.topic_arn,
        report=report,
        location=location,
        request=request,
        account=account,
        email=email,
    )
