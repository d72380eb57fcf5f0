"""The CloudWatch dashboard: the run's metrics over time (`detector.core.metrics`), the function's errors and duration,
and the alarms' states."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from detector.core import metrics, reasons

ONE_DAY = Duration.days(1)
WIDTH = 12
"""Half of the dashboard's 24 columns."""


def dashboard_name(stack: Stack) -> str:
    """`<stack>-<region>`: a dashboard name is unique in the account across regions. Fixed, not generated: the
    function's environment carries the URL, and the dashboard's widgets name the function, so a generated name would
    make a cycle."""
    return f"{stack.stack_name}-{stack.region}"


def console_url(region: str, name: str) -> str:
    """The console's link to a dashboard (a console convention; no AWS reference documents it)."""
    return f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards/dashboard/{name}"


def run_metric(name: str, *, reason: str | None = None, statistic: str = cloudwatch.Stats.MAXIMUM) -> cloudwatch.Metric:
    dimensions = {"service": metrics.SERVICE, **({metrics.REASON: reason} if reason else {})}
    return cloudwatch.Metric(
        namespace=metrics.NAMESPACE,
        metric_name=name,
        dimensions_map=dimensions,
        statistic=statistic,
        period=ONE_DAY,
        label=reason or name,
    )


class Dashboard(Construct):
    """One dashboard per detector; `url` opens it in the console."""

    def __init__(
        self, scope: Construct, id_: str, *, function: lambda_.IFunction, alarms: Sequence[cloudwatch.IAlarm]
    ) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        self.name = dashboard_name(stack)
        self.url = console_url(stack.region, self.name)
        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=self.name, default_interval=Duration.days(90)
        )
        per_reason = [reason.name for reason in reasons.BY_RANK]
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Findings per reason, per day (the most a run of the day reported)",
                left=[run_metric(metrics.FINDINGS, reason=name) for name in per_reason],
                width=WIDTH,
            ),
            cloudwatch.GraphWidget(
                title="Requests of those findings per reason, and SigV2 requests, per day",
                left=[run_metric(metrics.REQUESTS, reason=name) for name in per_reason],
                right=[run_metric(metrics.SIGV2_REQUESTS)],
                width=WIDTH,
            ),
        )
        self.dashboard.add_widgets(*self._health(function, alarms))

    def _health(self, function: lambda_.IFunction, alarms: Sequence[cloudwatch.IAlarm]) -> list[cloudwatch.IWidget]:
        return [
            cloudwatch.GraphWidget(
                title="Detector function: errors and duration",
                left=[function.metric_errors(period=ONE_DAY, statistic=cloudwatch.Stats.SUM, label="Errors")],
                right=[function.metric_duration(period=ONE_DAY, statistic=cloudwatch.Stats.MAXIMUM, label="Duration")],
                width=WIDTH,
            ),
            cloudwatch.GraphWidget(
                title="Principals found, and what Athena scanned, per day",
                left=[run_metric(metrics.PRINCIPALS)],
                right=[run_metric(metrics.BYTES_SCANNED, statistic=cloudwatch.Stats.SUM)],
                width=WIDTH,
            ),
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(alarms), width=2 * WIDTH),
        ]
