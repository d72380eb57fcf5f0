"""The deployed side's engine: starts a query in the workgroup, waits with backoff, reads every result page."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from detector.core.engine import Row
from detector.core.sql import quote_literal


class QueryFailed(RuntimeError):
    """Athena ended the query FAILED or CANCELLED (for example over the bytes-scanned cutoff)."""


class AthenaEngine:
    """Starts the query in a workgroup, waits with backoff, and reads every result page."""

    def __init__(
        self,
        client: Any,
        workgroup: str,
        *,
        timeout_seconds: float,
        first_poll_seconds: float = 1.0,
        max_poll_seconds: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.workgroup = workgroup
        self.first_poll_seconds = first_poll_seconds
        self.max_poll_seconds = max_poll_seconds
        self.timeout_seconds = timeout_seconds
        self.sleep = sleep
        self.clock = clock

    def run(self, sql: str, parameters: Sequence[str]) -> list[Row]:
        started = self.client.start_query_execution(
            QueryString=sql,
            WorkGroup=self.workgroup,
            ExecutionParameters=[quote_literal(value) for value in parameters],
        )
        execution_id = started["QueryExecutionId"]
        self.wait(execution_id)
        return self.results(execution_id)

    def wait(self, execution_id: str) -> dict[str, Any]:
        deadline = self.clock() + self.timeout_seconds
        delay = self.first_poll_seconds
        while True:
            execution = self.client.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
            status = execution["Status"]
            state = status["State"]
            if state == "SUCCEEDED":
                return dict(execution)
            if state in ("FAILED", "CANCELLED"):
                reason = status.get("StateChangeReason") or status.get("AthenaError", {}).get("ErrorMessage", "")
                raise QueryFailed(f"Athena query {execution_id} {state}: {reason or 'no reason given'}")
            if self.clock() + delay > deadline:
                self.client.stop_query_execution(QueryExecutionId=execution_id)
                raise QueryFailed(f"Athena query {execution_id} still {state} after {self.timeout_seconds:.0f} s")
            self.sleep(delay)
            delay = min(delay * 2, self.max_poll_seconds)

    def results(self, execution_id: str) -> list[Row]:
        """Every page; the first row of the first page repeats the column names."""
        paginator = self.client.get_paginator("get_query_results")
        columns: list[str] = []
        rows: list[Row] = []
        for page in paginator.paginate(QueryExecutionId=execution_id, PaginationConfig={"PageSize": 1000}):
            result_set = page["ResultSet"]
            if not columns:
                columns = [column["Name"] for column in result_set["ResultSetMetadata"]["ColumnInfo"]]
            for row in result_set["Rows"]:
                values = [cell.get("VarCharValue") for cell in row["Data"]]
                if values == columns and not rows:
                    continue
                rows.append(dict(zip(columns, values, strict=True)))
        return rows
