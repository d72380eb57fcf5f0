"""The Lambda entry point: wiring only. Reads the function's config, parses the event, runs the window.

Invoked by the EventBridge schedule (the window ends the day before the event's scheduled time, so a
retried delivery covers the same days) or by hand with `{"since": "YYYY-MM-DD", "until": "YYYY-MM-DD"}`,
plus `"force": true` to email a window again.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from detector.aws.athena import AthenaEngine
from detector.aws.event import InvalidEvent, LambdaContext, account_of, parse_event
from detector.aws.organization import OrganizationRun
from detector.aws.run import run_detection
from detector.aws.trace import ec2_clients
from detector.core.config import FunctionConfig, query_budget_seconds

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

BOTO_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})
"""Standard mode retries Athena's TooManyRequestsException by its code; legacy mode only on HTTP 429."""


def saved_query(athena: Any, named_query_id: str) -> str:
    """The detection SQL as saved in Athena, so what runs is what the console shows."""
    try:
        return str(athena.get_named_query(NamedQueryId=named_query_id)["NamedQuery"]["QueryString"])
    except ClientError:
        logger.exception("could not read the saved detection query %s (NAMED_QUERY_ID)", named_query_id)
        raise


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config = FunctionConfig.from_environ(os.environ)
    try:
        request = parse_event(event, config.window_days, today=datetime.now(UTC).date())
    except InvalidEvent:
        logger.exception("rejected event %s", json.dumps(event, default=str))
        raise
    session = boto3.session.Session()
    athena = session.client("athena", config=BOTO_CONFIG)
    budget = query_budget_seconds(context.get_remaining_time_in_millis() / 1000) / len(config.detection_queries)
    account = account_of(event, context)
    outcome = run_detection(
        AthenaEngine(athena, config.workgroup, timeout_seconds=budget),
        {source: saved_query(athena, query_id) for source, query_id in config.detection_queries.items()},
        request,
        s3=session.client("s3", config=BOTO_CONFIG),
        sns=session.client("sns", config=BOTO_CONFIG),
        config=config,
        account=account,
        region=session.region_name,
        ec2_for_region=ec2_clients(session),
        organization=OrganizationRun.of(config, session, account, BOTO_CONFIG),
    )
    return outcome.to_dict()
