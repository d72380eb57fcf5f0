"""The deployed side's engine: starts a query in the workgroup, waits with backoff, reads every result page.

Everything a run asks of Athena fits one deadline, set when the run starts from the time the invocation has left
minus the tail kept for writing and publishing (`detector.core.config.query_budget_seconds`): a start refused for
too many running queries is tried again only while the deadline allows, a throttled status or result call is asked
again (never the query re-run), and a query still running at the deadline is stopped before the run fails.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import ClientError

from detector.core.engine import Row
from detector.core.sql import quote_literal

logger = logging.getLogger(__name__)

THROTTLED = frozenset({"ThrottlingException", "TooManyRequestsException"})
"""Athena's API rate limit answers ThrottlingException; its running-query quota, TooManyRequestsException
(https://docs.aws.amazon.com/athena/latest/ug/service-limits.html). Both are asked again after boto3's own retries."""

START_ATTEMPTS = 3
START_RETRY_SECONDS = 10.0
"""The running-query quota frees up as other queries finish: wait 10 s, then 20 s."""


class QueryFailed(RuntimeError):
    """Athena ended the query FAILED or CANCELLED (for example over the bytes-scanned cutoff), or it outran the
    run's deadline and was stopped."""


def throttled(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in THROTTLED


class AthenaEngine:
    """Starts the query in a workgroup, waits with backoff, and reads every result page, all within
    `timeout_seconds` of the run's start."""

    def __init__(
        self,
        client: Any,
        workgroup: str,
        *,
        timeout_seconds: float,
        first_poll_seconds: float = 1.0,
        max_poll_seconds: float = 20.0,
        start_attempts: int = START_ATTEMPTS,
        start_retry_seconds: float = START_RETRY_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.workgroup = workgroup
        self.first_poll_seconds = first_poll_seconds
        self.max_poll_seconds = max_poll_seconds
        self.timeout_seconds = timeout_seconds
        self.start_attempts = start_attempts
        self.start_retry_seconds = start_retry_seconds
        self.sleep = sleep
        self.clock = clock
        self.bytes_scanned = 0
        """What Athena read for every query this engine ran to its end (DataScannedInBytes): what they cost."""

    def run(self, sql: str, parameters: Sequence[str]) -> list[Row]:
        deadline = self.clock() + self.timeout_seconds
        execution_id = self.start(sql, parameters, deadline)
        self.wait(execution_id, deadline)
        return self.results(execution_id, deadline)

    def start(self, sql: str, parameters: Sequence[str], deadline: float) -> str:
        """The new query's ID; a throttled start is tried again while its pause ends before the deadline."""
        attempt = 1
        while True:
            try:
                started = self.client.start_query_execution(
                    QueryString=sql,
                    WorkGroup=self.workgroup,
                    ExecutionParameters=[quote_literal(value) for value in parameters],
                )
                return str(started["QueryExecutionId"])
            except ClientError as error:
                pause = self.start_retry_seconds * attempt
                if not throttled(error) or attempt >= self.start_attempts or self.clock() + pause > deadline:
                    raise
                logger.warning(
                    "Athena refused to start the query (attempt %d of %d): %s", attempt, self.start_attempts, error
                )
            self.sleep(pause)
            attempt += 1

    def wait(self, execution_id: str, deadline: float) -> None:
        """Until the query succeeds; raises QueryFailed when it fails, or stops it when the deadline comes first."""
        delay = self.first_poll_seconds
        state = "QUEUED"
        while True:
            execution = self._status(execution_id)
            if execution is not None:
                status = execution["Status"]
                state = status["State"]
                if state in ("SUCCEEDED", "FAILED", "CANCELLED"):
                    self.bytes_scanned += int(execution.get("Statistics", {}).get("DataScannedInBytes", 0))
                if state == "SUCCEEDED":
                    return
                if state in ("FAILED", "CANCELLED"):
                    reason = status.get("StateChangeReason") or status.get("AthenaError", {}).get("ErrorMessage")
                    raise QueryFailed(f"Athena query {execution_id} {state}: {reason or 'no reason given'}")
            if self.clock() + delay > deadline:
                self._stop(execution_id)
                raise QueryFailed(
                    f"Athena query {execution_id} still {state} after {self.timeout_seconds:.0f} s; stopped it"
                )
            self.sleep(delay)
            delay = min(delay * 2, self.max_poll_seconds)

    def _status(self, execution_id: str) -> dict[str, Any] | None:
        """The query's execution (status, statistics), or None when the status call was throttled (the next poll
        asks again)."""
        try:
            execution = self.client.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
        except ClientError as error:
            if not throttled(error):
                raise
            logger.warning("Athena throttled the status of query %s; polling again later", execution_id)
            return None
        return dict(execution)

    def _stop(self, execution_id: str) -> None:
        try:
            self.client.stop_query_execution(QueryExecutionId=execution_id)
        except ClientError:
            logger.exception("could not stop Athena query %s; it ends at the workgroup's scan cutoff", execution_id)

    def results(self, execution_id: str, deadline: float) -> list[Row]:
        """Every page; the first row of the first page repeats the column names."""
        columns: list[str] = []
        rows: list[Row] = []
        token: str | None = None
        while True:
            result_set, token = self._page(execution_id, token, deadline)
            if not columns:
                columns = [column["Name"] for column in result_set["ResultSetMetadata"]["ColumnInfo"]]
            for row in result_set["Rows"]:
                values = [cell.get("VarCharValue") for cell in row["Data"]]
                if values == columns and not rows:
                    continue
                rows.append(dict(zip(columns, values, strict=True)))
            if token is None:
                return rows

    def _page(self, execution_id: str, token: str | None, deadline: float) -> tuple[dict[str, Any], str | None]:
        """One result page and the next page's token; a throttled page is asked again while the deadline allows."""
        arguments: dict[str, Any] = {"QueryExecutionId": execution_id, "MaxResults": 1000}
        if token:
            arguments["NextToken"] = token
        delay = self.first_poll_seconds
        while True:
            try:
                page = self.client.get_query_results(**arguments)
                return page["ResultSet"], page.get("NextToken")
            except ClientError as error:
                if not throttled(error) or self.clock() + delay > deadline:
                    raise
                logger.warning("Athena throttled a result page of query %s; asking again", execution_id)
            self.sleep(delay)
            delay = min(delay * 2, self.max_poll_seconds)
