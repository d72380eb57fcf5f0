"""The metrics each scheduled run publishes and the stack's dashboard graphs: their names and values, defined once.

The function writes them in CloudWatch's embedded metric format (`detector.aws.run_metrics`), so they cost no API call;
the dashboard (`stacks/dashboard.py`) reads the same names from the same namespace.
"""

from __future__ import annotations

from dataclasses import dataclass

from detector.core import reasons
from detector.core.findings import Finding, Report

NAMESPACE = "LegacyS3ClientDetector"
SERVICE = "detector"
"""The `service` dimension of every metric, and the name of the Powertools logger: `detector`, whose children are the
package's own module loggers (`detector.aws.run`, ...), so their lines are JSON too."""
REASON = "Reason"
"""The dimension of the per-reason metrics."""

FINDINGS = "Findings"
"""Per reason: the findings with that reason; without the dimension: every finding."""
REQUESTS = "Requests"
"""Per reason: the requests of the findings with that reason."""
SIGV2_REQUESTS = "SigV2Requests"
"""The requests of the findings that signed SigV2."""
PRINCIPALS = "Principals"
"""Distinct principal ARNs among the findings."""
RUN_DURATION = "RunDuration"
"""Seconds from the invocation's start to its report and email."""
BYTES_SCANNED = "BytesScanned"
"""What Athena read for the run's queries (GetQueryExecution's DataScannedInBytes): what the run costs."""


@dataclass(frozen=True)
class ReasonCounts:
    findings: int
    requests: int


def by_reason(report: Report) -> dict[str, ReasonCounts]:
    """Every reason of the registry, most urgent first, with its counts (0 when none): a day without findings is a
    zero on the graph, not a gap."""
    return {
        reason.name: ReasonCounts(
            findings=sum(reason.name in finding.reasons for finding in report.findings),
            requests=sum(finding.requests for finding in report.findings if reason.name in finding.reasons),
        )
        for reason in reasons.BY_RANK
    }


def sigv2_requests(findings: list[Finding]) -> int:
    return sum(finding.requests for finding in findings if "sigv2" in finding.reasons)


def principals(findings: list[Finding]) -> int:
    return len({finding.principal_arn for finding in findings})
