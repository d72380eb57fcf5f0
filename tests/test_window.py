"""The scan window: whole UTC days, and the four query parameters that carry it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from detector.window import Window


def test_since_after_until_is_refused_naming_both_dates() -> None:
    with pytest.raises(ValueError, match=r"--since 2026-11-22 is after --until 2026-11-20: give a since date on or"):
        Window(date(2026, 11, 22), date(2026, 11, 20))


def test_single_day_window_is_allowed() -> None:
    assert Window(date(2026, 11, 20), date(2026, 11, 20)).parameters()[2:] == ["2026-11-20", "2026-11-21"]


def test_parameters_are_log_dates_with_a_days_lag_then_event_time_bounds() -> None:
    window = Window(date(2026, 11, 20), date(2026, 11, 30))

    assert window.parameters() == ["2026/11/20", "2026/12/01", "2026-11-20", "2026-12-01"]


def test_open_window_reaches_every_log_date_and_event_time() -> None:
    first_log, last_log, first_time, end_time = Window().parameters()

    assert first_log <= "2000/01/01" and last_log >= "9999/12/31"
    assert first_time <= "2000-01-01T00:00:00Z" and end_time > "9999-12-31T23:59:59Z"


def test_window_reaching_the_last_representable_day_has_no_overflow() -> None:
    window = Window(date(9999, 12, 30), date.max)

    assert window.parameters()[1] == "9999/12/31"
    assert window.parameters()[3] > "9999-12-31T23:59:59Z"


@pytest.mark.parametrize(
    ("log_date", "included"),
    [(date(2026, 11, 19), False), (date(2026, 11, 20), True), (date(2026, 11, 22), True), (date(2026, 11, 23), False)],
)
def test_log_dates_from_since_to_the_day_after_until_are_included(log_date: date, included: bool) -> None:
    window = Window(date(2026, 11, 20), date(2026, 11, 21))

    assert window.includes_log_date(log_date) is included


def test_last_days_are_the_whole_days_before_now() -> None:
    window = Window.last_days(datetime(2026, 11, 27, 3, 15, tzinfo=UTC), 7)

    assert (window.since, window.until) == (date(2026, 11, 20), date(2026, 11, 26))


def test_window_as_dict_gives_iso_dates_or_none() -> None:
    assert Window(date(2026, 11, 20)).to_dict() == {"since": "2026-11-20", "until": None}
