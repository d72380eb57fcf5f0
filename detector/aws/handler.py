"""The Lambda entry point: wiring only. Reads the function's config, parses the event, runs the window.

Invoked by the EventBridge schedule (the window ends the day before the event's scheduled time, so a
retried delivery covers the same days) or by hand with `{"since": "YYYY-MM-DD", "until": "YYYY-MM-DD"}`,
plus `"force": true` to email a window again.

Logs are JSON lines (Powertools' Logger, whose `detector` logger the package's module loggers are children of), each
with the invocation's request ID and, once the event is read, the window; each run ends with its metrics in the
embedded metric format (`detector.aws.run_metrics`).
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from botocore.config import Config
from botocore.exceptions import ClientError

from detector.aws.athena import AthenaEngine
from detector.aws.event import InvalidEvent, LambdaContext, account_of, parse_event
from detector.aws.organization import OrganizationRun
from detector.aws.run import run_detection
from detector.aws.run_metrics import publish
from detector.aws.trace import ec2_clients
from detector.core import metrics
from detector.core.bucket_view import BUCKETS_QUERY
from detector.core.config import FunctionConfig, query_budget_seconds
from detector.core.daily import DAILY_QUERY
from detector.core.window import Window

logger = Logger(service=metrics.SERVICE)

BOTO_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})
"""Standard mode retries Athena's TooManyRequestsException by its code; legacy mode only on HTTP 429."""


def saved_query(athena: Any, named_query_id: str) -> str:
    """The detection SQL as saved in Athena, so what runs is what the console shows."""
    try:
        return str(athena.get_named_query(NamedQueryId=named_query_id)["NamedQuery"]["QueryString"])
    except ClientError:
        logger.exception("could not read the saved detection query %s (NAMED_QUERY_ID)", named_query_id)
        raise


def window_key(window: Window) -> str:
    """`2026-11-20..2026-11-22`, the `window` key of every log line of the run."""
    return f"{window.since}..{window.until}"


def view_queries(config: FunctionConfig) -> dict[str, str]:
    """Each view's saved query ID, empty when the stack set none."""
    return {BUCKETS_QUERY: config.buckets_query_id, DAILY_QUERY: config.daily_query_id}


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    started = time.monotonic()
    config = FunctionConfig.from_environ(os.environ)
    try:
        request = parse_event(event, config.window_days, today=datetime.now(UTC).date())
    except InvalidEvent:
        logger.exception("rejected event %s", json.dumps(event, default=str))
        raise
    logger.append_keys(window=window_key(request.window), trigger=request.trigger)
    session = boto3.session.Session()
    athena = session.client("athena", config=BOTO_CONFIG)
    views = {name: saved_query(athena, query_id) for name, query_id in view_queries(config).items() if query_id}
    budget = query_budget_seconds(context.get_remaining_time_in_millis() / 1000) / len(config.detection_queries)
    account = account_of(event, context)
    engine = AthenaEngine(athena, config.workgroup, timeout_seconds=budget)
    outcome = run_detection(
        engine,
        {source: saved_query(athena, query_id) for source, query_id in config.detection_queries.items()},
        request,
        s3=session.client("s3", config=BOTO_CONFIG),
        sns=session.client("sns", config=BOTO_CONFIG),
        config=config,
        account=account,
        region=session.region_name,
        ec2_for_region=ec2_clients(session),
        views=views,
        view_engine=lambda: AthenaEngine(
            athena,
            config.workgroup,
            timeout_seconds=query_budget_seconds(context.get_remaining_time_in_millis() / 1000),
        ),
        organization=OrganizationRun.of(config, session, account, BOTO_CONFIG),
    )
    if outcome.report is not None:
        publish(outcome.report, duration_seconds=time.monotonic() - started, bytes_scanned=engine.bytes_scanned)
    return outcome.to_dict()
