"""The Athena engine under throttling and time pressure (botocore Stubber: moto neither throttles nor runs long)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from detector.aws.athena import AthenaEngine, QueryFailed
from detector.aws.handler import BOTO_CONFIG

REGION = "us-east-1"
WORKGROUP = "detector"
SQL = "SELECT principal_arn FROM t WHERE log_date BETWEEN ? AND ?"
PARAMETERS = ("2026/11/20", "2026/11/23")
RUNNING = {"QueryExecution": {"Status": {"State": "RUNNING"}}}
SUCCEEDED = {"QueryExecution": {"Status": {"State": "SUCCEEDED"}}}


@dataclass
class FakeTime:
    """A clock that moves only when the engine sleeps."""

    now: float = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def clock(self) -> float:
        return self.now


def stubbed() -> tuple[Any, Stubber]:
    client = boto3.client(
        "athena", region_name=REGION, config=BOTO_CONFIG, aws_access_key_id="x", aws_secret_access_key="x"
    )
    return client, Stubber(client)


def engine(client: Any, time: FakeTime, timeout_seconds: float = 840) -> AthenaEngine:
    return AthenaEngine(client, WORKGROUP, timeout_seconds=timeout_seconds, sleep=time.sleep, clock=time.clock)


def page(rows: list[list[str]], next_token: str | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "ResultSet": {
            "Rows": [{"Data": [{"VarCharValue": value} for value in row]} for row in rows],
            "ResultSetMetadata": {"ColumnInfo": [{"Name": "principal_arn", "Type": "varchar"}]},
        }
    }
    if next_token:
        response["NextToken"] = next_token
    return response


def test_throttled_query_start_is_tried_again() -> None:
    # GIVEN Athena refuses the first start for too many running queries
    client, stubber = stubbed()
    stubber.add_client_error("start_query_execution", "TooManyRequestsException", "Too many queries", 400)
    stubber.add_response("start_query_execution", {"QueryExecutionId": "q-2"})
    stubber.add_response("get_query_execution", SUCCEEDED)
    stubber.add_response("get_query_results", page([["principal_arn"], ["arn:aws:iam::1:user/a"]]))
    time = FakeTime()
    # WHEN the query runs
    with stubber:
        rows = engine(client, time).run(SQL, PARAMETERS)
    # THEN it waited once, started again and returned the rows
    assert rows == [{"principal_arn": "arn:aws:iam::1:user/a"}]
    assert time.now == 10


def test_throttled_query_start_gives_up_after_the_last_attempt() -> None:
    # GIVEN Athena refuses every start
    client, stubber = stubbed()
    for _ in range(3):
        stubber.add_client_error("start_query_execution", "TooManyRequestsException", "Too many queries", 400)
    # WHEN the query runs with three attempts
    # THEN the throttling error surfaces after three starts
    with stubber, pytest.raises(ClientError, match="TooManyRequestsException"):
        engine(client, FakeTime()).run(SQL, PARAMETERS)
    stubber.assert_no_pending_responses()


def test_start_retries_never_wait_past_the_deadline() -> None:
    # GIVEN a run with 15 s for the query, and Athena refusing every start
    client, stubber = stubbed()
    for _ in range(2):
        stubber.add_client_error("start_query_execution", "TooManyRequestsException", "Too many queries", 400)
    time = FakeTime()
    # WHEN the query runs
    with stubber, pytest.raises(ClientError, match="TooManyRequestsException"):
        engine(client, time, timeout_seconds=15).run(SQL, PARAMETERS)
    # THEN it paused 10 s once and gave up instead of pausing 20 s more into the time kept for delivery
    assert time.now == 10


def test_time_spent_on_start_retries_comes_out_of_the_query_wait() -> None:
    # GIVEN a run with 60 s, a start refused once (10 s pause), then a query that never finishes
    client, stubber = stubbed()
    stubber.add_client_error("start_query_execution", "TooManyRequestsException", "Too many queries", 400)
    stubber.add_response("start_query_execution", {"QueryExecutionId": "q-slow"})
    for _ in range(6):
        stubber.add_response("get_query_execution", RUNNING)
    stubber.add_response("stop_query_execution", {}, {"QueryExecutionId": "q-slow"})
    time = FakeTime()
    # WHEN the query runs
    with stubber, pytest.raises(QueryFailed, match="q-slow still RUNNING after 60 s; stopped it"):
        engine(client, time, timeout_seconds=60).run(SQL, PARAMETERS)
    # THEN it stopped the query and failed within the 60 s, pauses for the start included
    stubber.assert_no_pending_responses()
    assert time.now <= 60


def test_throttled_status_is_asked_again_without_rerunning_the_query() -> None:
    # GIVEN Athena throttles two status calls, rate-limited then over quota
    client, stubber = stubbed()
    stubber.add_response("start_query_execution", {"QueryExecutionId": "q-1"})
    stubber.add_client_error("get_query_execution", "ThrottlingException", "Rate exceeded", 400)
    stubber.add_client_error("get_query_execution", "TooManyRequestsException", "Too many", 400)
    stubber.add_response("get_query_execution", SUCCEEDED)
    stubber.add_response("get_query_results", page([["principal_arn"], ["arn:aws:iam::1:user/a"]]))
    # WHEN the query runs
    with stubber:
        rows = engine(client, FakeTime()).run(SQL, PARAMETERS)
    # THEN the one query's rows come back: no second start was made (the stubber would refuse it)
    stubber.assert_no_pending_responses()
    assert rows == [{"principal_arn": "arn:aws:iam::1:user/a"}]


def test_throttled_result_page_is_asked_again_from_the_same_token() -> None:
    # GIVEN two result pages, the second throttled once
    client, stubber = stubbed()
    stubber.add_response("start_query_execution", {"QueryExecutionId": "q-1"})
    stubber.add_response("get_query_execution", SUCCEEDED)
    first = {"QueryExecutionId": "q-1", "MaxResults": 1000}
    second = {**first, "NextToken": "t1"}
    stubber.add_response("get_query_results", page([["principal_arn"], ["a"]], "t1"), first)
    stubber.add_client_error("get_query_results", "ThrottlingException", "Rate exceeded", 400, expected_params=second)
    stubber.add_response("get_query_results", page([["b"]]), second)
    # WHEN the query runs
    with stubber:
        rows = engine(client, FakeTime()).run(SQL, PARAMETERS)
    # THEN both pages' rows come back once each, from one query
    stubber.assert_no_pending_responses()
    assert rows == [{"principal_arn": "a"}, {"principal_arn": "b"}]


def test_status_throttled_until_the_deadline_stops_the_query() -> None:
    # GIVEN a run with 10 s and a status call throttled every time
    client, stubber = stubbed()
    stubber.add_response("start_query_execution", {"QueryExecutionId": "q-blind"})
    for _ in range(4):
        stubber.add_client_error("get_query_execution", "ThrottlingException", "Rate exceeded", 400)
    stubber.add_response("stop_query_execution", {}, {"QueryExecutionId": "q-blind"})
    # WHEN the query runs
    # THEN the query is stopped before the run fails
    with stubber, pytest.raises(QueryFailed, match="q-blind still QUEUED after 10 s; stopped it"):
        engine(client, FakeTime(), timeout_seconds=10).run(SQL, PARAMETERS)
    stubber.assert_no_pending_responses()


def test_a_stop_that_fails_still_ends_the_run_with_the_timeout(caplog: pytest.LogCaptureFixture) -> None:
    # GIVEN a query that never finishes and a stop call Athena rejects
    client, stubber = stubbed()
    stubber.add_response("start_query_execution", {"QueryExecutionId": "q-stuck"})
    for _ in range(3):
        stubber.add_response("get_query_execution", RUNNING)
    stubber.add_client_error("stop_query_execution", "InternalServerException", "boom", 500)
    # WHEN the query runs out of time
    # THEN the timeout is raised, and the failed stop is logged
    with stubber, pytest.raises(QueryFailed, match="still RUNNING"):
        engine(client, FakeTime(), timeout_seconds=5).run(SQL, PARAMETERS)
    assert "could not stop Athena query q-stuck" in caplog.text
