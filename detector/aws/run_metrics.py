"""One run's metrics, printed in CloudWatch's embedded metric format by Powertools: a record per reason (findings and
requests, dimension `Reason`) and one for the run (findings, SigV2 requests, principals, duration, bytes scanned)."""

from __future__ import annotations

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from detector.core import metrics
from detector.core.findings import Report


def publish(report: Report, *, duration_seconds: float, bytes_scanned: int) -> None:
    """Prints the run's EMF records on standard output, where CloudWatch Logs turns them into metrics."""
    for reason, counts in metrics.by_reason(report).items():
        per_reason = _metrics()
        per_reason.add_dimension(name=metrics.REASON, value=reason)
        per_reason.add_metric(name=metrics.FINDINGS, unit=MetricUnit.Count, value=counts.findings)
        per_reason.add_metric(name=metrics.REQUESTS, unit=MetricUnit.Count, value=counts.requests)
        per_reason.flush_metrics()
    run = _metrics()
    run.add_metric(name=metrics.FINDINGS, unit=MetricUnit.Count, value=len(report.findings))
    run.add_metric(name=metrics.SIGV2_REQUESTS, unit=MetricUnit.Count, value=metrics.sigv2_requests(report.findings))
    run.add_metric(name=metrics.PRINCIPALS, unit=MetricUnit.Count, value=metrics.principals(report.findings))
    run.add_metric(name=metrics.RUN_DURATION, unit=MetricUnit.Seconds, value=duration_seconds)
    run.add_metric(name=metrics.BYTES_SCANNED, unit=MetricUnit.Bytes, value=bytes_scanned)
    run.flush_metrics()


def _metrics() -> EphemeralMetrics:
    """A record of its own: Powertools' `Metrics` shares one record across instances, and a record has one set of
    dimensions."""
    return EphemeralMetrics(namespace=metrics.NAMESPACE, service=metrics.SERVICE)
