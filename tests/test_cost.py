"""The monthly estimate: how each line grows with the traffic and the history, and Athena's billing rules."""

from __future__ import annotations

import pytest

from detector.core.views import VIEW_QUERIES
from detector.local import cost
from detector.local.cli import EXIT_OK, EXIT_USAGE, main
from detector.local.cost import Usage, athena_query_cost, estimate
from samples.access_logs import DEMO_ACCESS_LOGS


def line(usage: Usage, item: str) -> float:
    (found,) = (line.monthly for line in estimate(usage).lines if line.item.startswith(item))
    return found


def test_data_event_cost_is_linear_in_events() -> None:
    # GIVEN an account of a million events a day, and one of three million
    # WHEN the data event line is estimated for each
    one = line(Usage(events_per_day=1_000_000), "CloudTrail data events")
    three = line(Usage(events_per_day=3_000_000), "CloudTrail data events")

    # THEN three times the events cost three times as much, at $0.10 per 100,000 events
    assert three == pytest.approx(3 * one)
    assert one == pytest.approx(1_000_000 * cost.DAYS_PER_MONTH * 0.10 / 100_000)


def test_a_query_under_10_mb_is_billed_as_10_mb() -> None:
    # GIVEN a query scanning one byte, and one scanning 10 MB
    # WHEN each is priced
    # THEN both cost what 10 MB costs at $5 per TB
    assert athena_query_cost(1) == athena_query_cost(10_000_000) == pytest.approx(10e6 * 5 / 1e12)


def test_a_query_is_billed_in_whole_megabytes_rounded_up() -> None:
    # GIVEN a query one byte over 20 MB
    # WHEN it is priced
    # THEN it costs what 21 MB costs, more than 20 MB
    assert athena_query_cost(20_000_001) == athena_query_cost(21_000_000) > athena_query_cost(20_000_000)


def test_quiet_accounts_pay_the_same_athena_minimum_on_every_run() -> None:
    # GIVEN two quiet accounts, one twice as busy as the other
    quiet, twice_as_busy = Usage(events_per_day=1_000), Usage(events_per_day=2_000)

    # WHEN their lines are estimated
    # THEN both pay the same Athena minimum, while their data events still double
    assert line(quiet, "Athena") == line(twice_as_busy, "Athena")
    assert line(twice_as_busy, "CloudTrail data events") == pytest.approx(2 * line(quiet, "CloudTrail data events"))


def test_projection_saving_grows_with_the_history_kept() -> None:
    # GIVEN a million events a day, kept for a week up to a year
    history = (7, 30, 90, 365)

    # WHEN the saving of partition projection is estimated for each
    savings = [estimate(Usage(events_per_day=1_000_000, days=days)).projection_saving for days in history]

    # THEN it grows with the history, and is something even for a week
    assert savings == sorted(savings)
    assert savings[0] > 0


def test_with_projection_a_scheduled_run_reads_the_days_delivered_in_its_window() -> None:
    # GIVEN a three-day window
    usage = Usage(events_per_day=1_000_000, window_days=3)

    # WHEN the days a run reads are counted
    days = usage.projected_days

    # THEN they are the window's three delivery days, no day after
    assert days == 3
    # AND no more than the history kept
    assert Usage(events_per_day=1_000_000, days=2, window_days=3).projected_days == 2


def test_storage_grows_with_events_and_days_kept() -> None:
    # GIVEN a million events a day kept for 30 days
    base = line(Usage(events_per_day=1_000_000, days=30), "S3 log storage")

    # WHEN the events double, or the days kept triple
    doubled = line(Usage(events_per_day=2_000_000, days=30), "S3 log storage")
    tripled = line(Usage(events_per_day=1_000_000, days=90), "S3 log storage")

    # THEN the storage line grows by the same factor
    assert doubled == pytest.approx(2 * base)
    assert tripled == pytest.approx(3 * base)


def test_more_regions_means_more_log_files_delivered() -> None:
    # GIVEN the same traffic logged in one region, then in four
    # WHEN the log delivery line is estimated for each
    one, four = (line(Usage(events_per_day=1_000_000, regions=k), "S3 log deliveries") for k in (1, 4))

    # THEN four regions deliver four times as many files
    assert four == pytest.approx(4 * one)


def test_total_is_the_sum_of_the_lines_without_the_no_projection_comparison() -> None:
    # GIVEN ten million events a day
    usage = Usage(events_per_day=10_000_000)

    # WHEN the month is estimated
    result = estimate(usage)

    # THEN the total adds up the lines, and the cost without projection is not one of them
    assert result.total == pytest.approx(sum(item.monthly for item in result.lines))
    assert result.without_projection not in result.lines


@pytest.mark.parametrize("bad", [{"events_per_day": -1}, {"days": 0}, {"regions": 0}, {"runs_per_day": 0}])
def test_impossible_usage_is_refused(bad: dict[str, float]) -> None:
    # GIVEN negative events, or no days, regions or runs
    # WHEN a usage is made of it
    # THEN it is refused
    with pytest.raises(ValueError):
        Usage(**{"events_per_day": 1000, **bad})  # type: ignore[arg-type]


def test_cost_command_prints_the_table_and_the_saving(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a million events a day kept for 90 days
    arguments = ["cost", "--events-per-day", "1000000", "--days", "90"]

    # WHEN the cost command runs
    code = main(arguments)

    # THEN it succeeds, printing the lines and what projection saves
    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert "CloudTrail data events" in out and "30.42" in out
    assert "Partition projection saves $" in out and "instead of all 90" in out


def test_cost_command_refuses_zero_regions_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN zero regions on the command line
    arguments = ["cost", "--events-per-day", "1000", "--regions", "0"]

    # WHEN the cost command runs
    with pytest.raises(SystemExit) as exit_:
        main(arguments)

    # THEN it exits 2, saying regions must be 1 or more
    assert exit_.value.code == EXIT_USAGE
    assert "regions must be 1 or more" in capsys.readouterr().err


def test_every_price_names_its_source_page() -> None:
    # GIVEN the prices the estimate uses
    # WHEN their sources are read
    # THEN each is a page on aws.amazon.com
    assert all(price.source.startswith("https://aws.amazon.com/") for price in cost.PRICES)


# --- S3 server access logs, and both sources -------------------------------------------------------------------


def test_access_logs_cost_no_data_events_and_nothing_to_deliver() -> None:
    # GIVEN a million requests a day read from access logs
    result = estimate(Usage(events_per_day=1_000_000, source=cost.ACCESS_LOGS))
    # WHEN its lines are listed
    items = {line.item: line.monthly for line in result.lines}
    # THEN there is no CloudTrail line, and delivery is free
    assert not any(item.startswith("CloudTrail") for item in items)
    assert items["Access-log delivery"] == 0


def test_access_log_storage_is_the_measured_record_size_for_every_request_kept() -> None:
    # GIVEN a million requests a day kept 30 days as access logs
    usage = Usage(events_per_day=1_000_000, days=30, source=cost.ACCESS_LOGS)
    # WHEN the storage line is estimated
    stored = line(usage, "S3 access-log storage")
    # THEN it is the measured bytes a record for each request, 30 days of them, at the S3 Standard price
    expected_bytes = 1_000_000 * cost.ACCESS_LOG_BYTES_PER_RECORD * 30
    assert stored == pytest.approx(expected_bytes / 2**30 * 0.023)


def test_fewer_records_per_log_object_means_more_athena_gets() -> None:
    # GIVEN the same requests delivered three to an object, and thirty to an object
    few, many = (
        line(Usage(events_per_day=1_000_000, source=cost.ACCESS_LOGS, records_per_log_object=n), "Athena over")
        for n in (3, 30)
    )
    # WHEN the Athena lines are compared
    # THEN the smaller objects cost more to read
    assert few > many


def test_both_sources_cost_each_sources_logs_plus_one_function_running_their_queries() -> None:
    # GIVEN a million requests a day, estimated per source and for both
    totals = {source: estimate(Usage(events_per_day=1_000_000, source=source)) for source in cost.SOURCES}
    # WHEN the lines of both are compared with the two single-source estimates
    both = {item.item: item.monthly for item in totals[cost.BOTH].lines}
    singles = {
        item.item: item.monthly for source in (cost.CLOUDTRAIL, cost.ACCESS_LOGS) for item in totals[source].lines
    }
    # THEN every log line is the single source's but the access logs' Athena reads, which skip the views' queries
    # (they run over the first source), one email is sent, and the function waits for four queries
    athena_access = "Athena over access logs: 1 day"
    apart = ("Lambda", "SNS email", athena_access)
    assert {item: both[item] for item in both if item not in apart} == {
        item: singles[item] for item in singles if item not in apart
    }
    assert both[athena_access] == pytest.approx(singles[athena_access] / (1 + len(VIEW_QUERIES)))
    assert both["SNS email"] == singles["SNS email"]
    assert "× 240 s" in next(item.usage for item in totals[cost.BOTH].lines if item.item == "Lambda")


def test_access_logs_cost_less_than_cloudtrail_at_every_compared_volume() -> None:
    # GIVEN the volumes the README compares
    # WHEN each is estimated for both single sources
    totals = [
        (
            estimate(Usage(events_per_day=v, source=cost.CLOUDTRAIL)).total,
            estimate(Usage(events_per_day=v, source=cost.ACCESS_LOGS)).total,
        )
        for v in cost.COMPARED_VOLUMES
    ]
    # THEN access logs are the cheaper source each time
    assert all(access < trail for trail, access in totals)


def test_the_record_size_the_estimate_uses_is_the_one_measured_on_the_samples() -> None:
    # GIVEN the committed demo access logs
    files = [p for p in DEMO_ACCESS_LOGS.rglob("*") if p.is_file()]
    # WHEN their bytes per line are measured
    data = [p.read_bytes() for p in files]
    measured = sum(map(len, data)) / sum(chunk.count(b"\n") for chunk in data)
    # THEN the estimate's figure is within 5% of it
    assert measured == pytest.approx(cost.ACCESS_LOG_BYTES_PER_RECORD, rel=0.05)


def test_cost_command_takes_the_source(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a hundred thousand requests a day from access logs, on the command line
    arguments = ["cost", "--events-per-day", "100000", "--source", "access-logs"]
    # WHEN the cost command runs
    code = main(arguments)
    # THEN it prints the access-log lines and no CloudTrail charge
    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert "S3 server access logs" in out and "S3 access-log storage" in out
    assert "CloudTrail data events" not in out


def test_cost_command_refuses_an_unknown_source_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a source the stack does not deploy
    arguments = ["cost", "--events-per-day", "1000", "--source", "vpc-flow-logs"]
    # WHEN the cost command runs
    with pytest.raises(SystemExit) as exit_:
        main(arguments)
    # THEN it exits 2, naming the allowed sources
    assert exit_.value.code == EXIT_USAGE
    assert "cloudtrail" in capsys.readouterr().err
