"""The monthly estimate: how each line grows with the traffic and the history, and Athena's billing rules."""

from __future__ import annotations

import pytest

from detector import cost
from detector.cli import EXIT_OK, EXIT_USAGE, main
from detector.cost import Usage, athena_query_cost, estimate


def line(usage: Usage, item: str) -> float:
    (found,) = (line.monthly for line in estimate(usage).lines if line.item.startswith(item))
    return found


def test_data_event_cost_is_linear_in_events() -> None:
    one = line(Usage(events_per_day=1_000_000), "CloudTrail data events")

    assert line(Usage(events_per_day=3_000_000), "CloudTrail data events") == pytest.approx(3 * one)
    assert one == pytest.approx(1_000_000 * cost.DAYS_PER_MONTH * 0.10 / 100_000)


def test_a_query_under_10_mb_is_billed_as_10_mb() -> None:
    assert athena_query_cost(1) == athena_query_cost(10_000_000) == pytest.approx(10e6 * 5 / 1e12)


def test_a_query_is_billed_in_whole_megabytes_rounded_up() -> None:
    assert athena_query_cost(20_000_001) == athena_query_cost(21_000_000) > athena_query_cost(20_000_000)


def test_quiet_accounts_pay_the_same_athena_minimum_on_every_run() -> None:
    quiet, twice_as_busy = Usage(events_per_day=1_000), Usage(events_per_day=2_000)

    assert line(quiet, "Athena") == line(twice_as_busy, "Athena")
    assert line(twice_as_busy, "CloudTrail data events") == pytest.approx(2 * line(quiet, "CloudTrail data events"))


def test_projection_saving_grows_with_the_history_kept() -> None:
    savings = [estimate(Usage(events_per_day=1_000_000, days=days)).projection_saving for days in (7, 30, 90, 365)]

    assert savings == sorted(savings)
    assert savings[0] > 0


def test_with_projection_a_run_reads_its_window_and_the_late_delivery_day() -> None:
    usage = Usage(events_per_day=1_000_000, window_days=3)

    assert usage.projected_days == 4
    assert Usage(events_per_day=1_000_000, days=2, window_days=3).projected_days == 2


def test_storage_grows_with_events_and_days_kept() -> None:
    base = line(Usage(events_per_day=1_000_000, days=30), "S3 log storage")

    assert line(Usage(events_per_day=2_000_000, days=30), "S3 log storage") == pytest.approx(2 * base)
    assert line(Usage(events_per_day=1_000_000, days=90), "S3 log storage") == pytest.approx(3 * base)


def test_more_regions_means_more_log_files_delivered() -> None:
    one, four = (line(Usage(events_per_day=1_000_000, regions=k), "S3 log deliveries") for k in (1, 4))

    assert four == pytest.approx(4 * one)


def test_total_is_the_sum_of_the_lines_without_the_no_projection_comparison() -> None:
    result = estimate(Usage(events_per_day=10_000_000))

    assert result.total == pytest.approx(sum(item.monthly for item in result.lines))
    assert result.without_projection not in result.lines


@pytest.mark.parametrize("bad", [{"events_per_day": -1}, {"days": 0}, {"regions": 0}, {"runs_per_day": 0}])
def test_impossible_usage_is_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Usage(**{"events_per_day": 1000, **bad})  # type: ignore[arg-type]


def test_cost_command_prints_the_table_and_the_saving(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["cost", "--events-per-day", "1000000", "--days", "90"])

    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert "CloudTrail data events" in out and "30.42" in out
    assert "Partition projection saves $" in out and "instead of all 90" in out


def test_cost_command_refuses_zero_regions_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["cost", "--events-per-day", "1000", "--regions", "0"])

    assert exit_.value.code == EXIT_USAGE
    assert "regions must be 1 or more" in capsys.readouterr().err


def test_every_price_names_its_source_page() -> None:
    assert all(price.source.startswith("https://aws.amazon.com/") for price in cost.PRICES)
