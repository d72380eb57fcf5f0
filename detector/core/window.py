"""The time window a query covers, and the execution parameters that carry it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

DELIVERY_LAG = timedelta(days=1)
"""CloudTrail delivers in about 5 minutes, not guaranteed: a day's last events can land in the next day's folder.

Source: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/how-cloudtrail-works.html
"""

ONE_DAY = timedelta(days=1)


def format_log_date(day: date) -> str:
    """`yyyy/MM/dd`, the partition value of a log's day; zero-padded for every year (strftime is not)."""
    return f"{day.year:04d}/{day.month:02d}/{day.day:02d}"


class WindowError(ValueError):
    """The window's ends are out of order."""


@dataclass(frozen=True)
class Window:
    """Whole UTC days, both ends included; an open end reaches as far as the logs go."""

    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise WindowError(
                f"--since {self.since} is after --until {self.until}: give a since date on or before the until date"
            )

    @classmethod
    def last_days(cls, now: datetime, days: int) -> Window:
        """The `days` whole days that ended before `now` (UTC), for a scheduled run."""
        until = now.date() - ONE_DAY
        return cls(since=until - timedelta(days=days - 1), until=until)

    @property
    def first_log_date(self) -> date:
        return self.since or date.min

    @property
    def last_log_date(self) -> date:
        return self.until + DELIVERY_LAG if self.until and self.until < date.max - DELIVERY_LAG else date.max

    def includes_log_date(self, log_date: date) -> bool:
        """Whether a file delivered on `log_date` can hold events of the window."""
        return self.first_log_date <= log_date <= self.last_log_date

    def parameters(self) -> list[str]:
        """Values for the four `?` of every query: first and last log_date, then the event-time bounds.

        eventTime is ISO 8601 text (`2024-05-01T12:00:00Z`), so comparing it with a date text is exact.
        """
        event_end = (self.until + ONE_DAY).isoformat() if self.until and self.until < date.max else "9999-12-31T99"
        return [
            format_log_date(self.first_log_date),
            format_log_date(self.last_log_date),
            self.first_log_date.isoformat(),
            event_end,
        ]

    def to_dict(self) -> dict[str, str | None]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
