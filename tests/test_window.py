"""The scan window: whole UTC days, and the four query parameters that carry it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from detector.core import queries
from detector.core.window import Window
from tests.helpers import LogTree, cloudtrail_event, load_catalog


def test_since_after_until_is_refused_naming_both_dates() -> None:
    # GIVEN a since date two days after the until date
    # WHEN a window is made of them
    # THEN it is refused, naming both dates
    with pytest.raises(ValueError, match=r"--since 2026-11-22 is after --until 2026-11-20: give a since date on or"):
        Window(date(2026, 11, 22), date(2026, 11, 20))


def test_single_day_window_is_allowed() -> None:
    # GIVEN a window whose since and until are the same day
    window = Window(date(2026, 11, 20), date(2026, 11, 20))

    # WHEN its query parameters are given
    parameters = window.parameters()

    # THEN its event times run over that one whole day
    assert parameters[2:] == ["2026-11-20", "2026-11-21"]


def test_parameters_are_log_dates_with_a_days_lag_then_event_time_bounds() -> None:
    # GIVEN a window from 2026-11-20 to 2026-11-30
    window = Window(date(2026, 11, 20), date(2026, 11, 30))

    # WHEN its query parameters are given
    parameters = window.parameters()

    # THEN they are the log dates, a day later at the end, then the event time bounds
    assert parameters == ["2026/11/20", "2026/12/01", "2026-11-20", "2026-12-01"]


def test_open_window_reaches_every_log_date_and_event_time() -> None:
    # GIVEN a window with neither since nor until
    window = Window()

    # WHEN its query parameters are given
    first_log, last_log, first_time, end_time = window.parameters()

    # THEN they reach before and after every log date and event time
    assert first_log <= "2000/01/01" and last_log >= "9999/12/31"
    assert first_time <= "2000-01-01T00:00:00Z" and end_time > "9999-12-31T23:59:59Z"


def test_window_reaching_the_last_representable_day_has_no_overflow() -> None:
    # GIVEN a window ending on the last day a date can hold
    window = Window(date(9999, 12, 30), date.max)

    # WHEN its query parameters are given
    parameters = window.parameters()

    # THEN the last log date stays 9999/12/31 and the end time still lies past that day's last second
    assert parameters[1] == "9999/12/31"
    assert parameters[3] > "9999-12-31T23:59:59Z"


@pytest.mark.parametrize(
    ("log_date", "included"),
    [(date(2026, 11, 19), False), (date(2026, 11, 20), True), (date(2026, 11, 22), True), (date(2026, 11, 23), False)],
)
def test_log_dates_from_since_to_the_day_after_until_are_included(log_date: date, included: bool) -> None:
    # GIVEN a window from 2026-11-20 to 2026-11-21
    window = Window(date(2026, 11, 20), date(2026, 11, 21))

    # WHEN it is asked whether it includes a log date
    result = window.includes_log_date(log_date)

    # THEN only the dates from since to the day after until are included
    assert result is included


def test_last_days_are_the_whole_days_before_now() -> None:
    # GIVEN a time early on 2026-11-27
    now = datetime(2026, 11, 27, 3, 15, tzinfo=UTC)

    # WHEN the window of the last 7 days is made
    window = Window.last_days(now, 7)

    # THEN it is the 7 whole days before that day
    assert (window.since, window.until) == (date(2026, 11, 20), date(2026, 11, 26))


def test_window_as_dict_gives_iso_dates_or_none() -> None:
    # GIVEN a window with a since date and no until
    window = Window(date(2026, 11, 20))

    # WHEN it is given as a dict
    result = window.to_dict()

    # THEN since is an ISO date and until is None
    assert result == {"since": "2026-11-20", "until": None}


SCHEDULED_AT = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)


def test_scheduled_window_reads_its_delivery_days_and_every_event_time_in_them() -> None:
    # GIVEN the window a run scheduled at 01:00 UTC on 2026-11-27 covers, seven days long
    window = Window.last_days(SCHEDULED_AT, 7)

    # WHEN its query parameters are given
    parameters = window.parameters()

    # THEN they are the seven delivery days, no day after, and event-time bounds that let every event through
    assert parameters[:2] == ["2026/11/20", "2026/11/26"]
    assert parameters[2] <= "0001-01-01T00:00:00Z" and parameters[3] > "9999-12-31T23:59:59Z"


def test_consecutive_scheduled_runs_open_each_delivery_day_exactly_once() -> None:
    # GIVEN the one-day windows of thirty consecutive daily runs
    windows = [Window.last_days(datetime(2026, 11, day, 1, tzinfo=UTC), 1) for day in range(1, 31)]

    # WHEN each day of the month is checked against every window
    days = [date(2026, 10, 31) + timedelta(days=offset) for offset in range(30)]
    readers = {day: [window for window in windows if window.includes_log_date(day)] for day in days}

    # THEN every delivery day is read by exactly one run
    assert {day: len(found) for day, found in readers.items()} == {day: 1 for day in readers}


def test_manual_window_keeps_event_time_and_reads_the_day_after() -> None:
    # GIVEN a manual window of one day
    window = Window(date(2026, 11, 20), date(2026, 11, 20))

    # WHEN it is asked about its delivery days and event times
    # THEN it reads the day after too, and filters on the day's event times
    assert (window.by_delivery, window.includes_log_date(date(2026, 11, 21))) == (False, True)
    assert window.parameters() == ["2026/11/20", "2026/11/21", "2026-11-20", "2026-11-21"]


def test_delivery_window_as_dict_says_it_is_by_delivery() -> None:
    # GIVEN a scheduled window
    window = Window.last_days(SCHEDULED_AT, 1)

    # WHEN it is given as a dict
    result = window.to_dict()

    # THEN it names its day and that it is by delivery
    assert result == {"since": "2026-11-26", "until": "2026-11-26", "by": "delivery"}


def test_scheduled_runs_report_every_event_once_however_late_it_was_delivered(log_tree: LogTree) -> None:
    # GIVEN SigV2 requests delivered on time, after midnight, and two days late
    deliveries = [("2026-11-20T10:00:00Z", 20), ("2026-11-20T23:59:00Z", 21), ("2026-11-20T11:00:00Z", 22)]
    for when, day in deliveries:
        log_tree.write([cloudtrail_event(signature="SigV2", when=when)], day=date(2026, 11, day))
    catalog = load_catalog([log_tree.root])

    # WHEN the daily runs of the 21st, 22nd and 23rd run the detection query
    runs = [Window.last_days(datetime(2026, 11, day, 1, tzinfo=UTC), 1) for day in (21, 22, 23)]
    requests = [sum(int(str(row["requests"])) for row in catalog.run(queries.DETECTION, window)) for window in runs]

    # THEN each run reports the requests delivered on its day, so every request is reported once
    assert requests == [1, 1, 1]
