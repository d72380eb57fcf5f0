"""The scan window: whole UTC days, and the four query parameters that carry it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from detector.core.window import Window


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
