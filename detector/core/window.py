"""The time window a query covers, and the execution parameters that carry it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

DELIVERY_LAG = timedelta(days=1)
"""CloudTrail delivers in about 5 minutes, not guaranteed: a day's last events can land in the next day's folder.
An event-time window reads that day too; a delivery-day window does not need to (see `Window.by_delivery`).

Source: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/how-cloudtrail-works.html
"""

ONE_DAY = timedelta(days=1)


def format_log_date(day: date) -> str:
    """`yyyy/MM/dd`, the partition value of a log's day; zero-padded for every year (strftime is not)."""
    return f"{day.year:04d}/{day.month:02d}/{day.day:02d}"


class WindowError(ValueError):
    """The window's ends are out of order."""


EARLIEST_EVENT_TIME = date.min.isoformat()
AFTER_EVERY_EVENT_TIME = "9999-12-31T99"
"""Event-time bounds that let every event through: ISO 8601 text sorts before and after them."""


@dataclass(frozen=True)
class Window:
    """Whole UTC days, both ends included; an open end reaches as far as the logs go.

    By event time (the default: `scan --since/--until`, a manual run): the events whose own time falls in the days,
    read from the files delivered on those days and the day after. By delivery (`by_delivery`, a scheduled run):
    every event of the files delivered on those days, whatever its time, so consecutive runs read each file once
    and an event delivered late is reported by the run of its delivery day instead of being missed.
    """

    since: date | None = None
    until: date | None = None
    by_delivery: bool = False

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise WindowError(
                f"--since {self.since} is after --until {self.until}: give a since date on or before the until date"
            )

    @classmethod
    def last_days(cls, now: datetime, days: int) -> Window:
        """The files delivered on the `days` whole days that ended before `now` (UTC), for a scheduled run."""
        until = now.date() - ONE_DAY
        return cls(since=until - timedelta(days=days - 1), until=until, by_delivery=True)

    @property
    def first_log_date(self) -> date:
        return self.since or date.min

    @property
    def last_log_date(self) -> date:
        if self.until is None:
            return date.max
        if self.by_delivery:
            return self.until
        return self.until + DELIVERY_LAG if self.until < date.max - DELIVERY_LAG else date.max

    def includes_log_date(self, log_date: date) -> bool:
        """Whether a file delivered on `log_date` can hold events of the window."""
        return self.first_log_date <= log_date <= self.last_log_date

    def parameters(self) -> list[str]:
        """Values for the four `?` of every query: first and last log_date, then the event-time bounds.

        eventTime is ISO 8601 text (`2024-05-01T12:00:00Z`), so comparing it with a date text is exact.
        A delivery-day window lets every event time through.
        """
        logs = [format_log_date(self.first_log_date), format_log_date(self.last_log_date)]
        if self.by_delivery:
            return [*logs, EARLIEST_EVENT_TIME, AFTER_EVERY_EVENT_TIME]
        event_end = (
            (self.until + ONE_DAY).isoformat() if self.until and self.until < date.max else AFTER_EVERY_EVENT_TIME
        )
        return [*logs, self.first_log_date.isoformat(), event_end]

    def to_dict(self) -> dict[str, str | None]:
        """The days; a delivery-day window says so (`"by": "delivery"`), an event-time window is the days alone."""
        days = {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
        return {**days, "by": "delivery"} if self.by_delivery else days
