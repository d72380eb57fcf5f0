"""What one invocation asks for: the scheduled window of an EventBridge event, or a manual window."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from detector.core.window import Window

MANUAL_KEYS = frozenset({"since", "until", "force"})
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class InvalidEvent(ValueError):
    """The invocation's event names no window this function can run."""


class LambdaContext(Protocol):
    """What the handler and Powertools' `inject_lambda_context` read of Lambda's context object."""

    invoked_function_arn: str
    function_name: str
    memory_limit_in_mb: int
    aws_request_id: str

    def get_remaining_time_in_millis(self) -> int: ...


@dataclass(frozen=True)
class Request:
    """What one invocation asks for; `event_id` and `trigger` are recorded in the marker."""

    window: Window
    force: bool = False
    trigger: str = "manual"
    event_id: str | None = None


def parse_event(event: Any, window_days: int, today: date) -> Request:
    """A manual window if the event has `since`/`until`, else the window before the scheduled `time`.

    An empty event (`aws lambda invoke --payload '{}'`) runs the window the schedule would run today.
    """
    if isinstance(event, Mapping) and not event:
        return Request(window=Window.last_days(datetime.combine(today, datetime.min.time(), tzinfo=UTC), window_days))
    if isinstance(event, Mapping) and ("since" in event or "until" in event):
        return _manual_request(event, today)
    if isinstance(event, Mapping) and isinstance(event.get("time"), str):
        return _scheduled_request(event, window_days)
    keys = sorted(event) if isinstance(event, Mapping) else type(event).__name__
    raise InvalidEvent(
        'expected an EventBridge scheduled event (with "time") or a manual window '
        f'{{"since": "YYYY-MM-DD", "until": "YYYY-MM-DD", "force": false}}; got {keys}'
    )


def _scheduled_request(event: Mapping[str, Any], window_days: int) -> Request:
    try:
        scheduled = datetime.fromisoformat(event["time"])
    except ValueError:
        raise InvalidEvent(f"event time {event['time']!r} is not an ISO 8601 timestamp") from None
    scheduled = scheduled.astimezone(UTC) if scheduled.tzinfo else scheduled.replace(tzinfo=UTC)
    return Request(window=Window.last_days(scheduled, window_days), trigger="schedule", event_id=event.get("id"))


def _manual_request(event: Mapping[str, Any], today: date) -> Request:
    unknown = sorted(set(event) - MANUAL_KEYS)
    if unknown:
        raise InvalidEvent(f"unknown keys {unknown} in a manual window: allowed are since, until and force")
    since, until = (_iso_date(event, name) for name in ("since", "until"))
    if since > until:
        raise InvalidEvent(f"since {since} is after until {until}: give a since date on or before the until date")
    if until >= today:
        raise InvalidEvent(
            f"until {until} is not over yet (today is {today} UTC), so its logs are incomplete; "
            "end the window yesterday or earlier"
        )
    force = event.get("force", False)
    if not isinstance(force, bool):
        raise InvalidEvent(f"force must be true or false (JSON booleans), got {force!r}")
    return Request(window=Window(since, until), force=force)


def _iso_date(event: Mapping[str, Any], name: str) -> date:
    value = event.get(name)
    if value is None:
        raise InvalidEvent(f'a manual window needs both "since" and "until"; "{name}" is missing')
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise InvalidEvent(f"{name} {value!r} is not a date: use YYYY-MM-DD, e.g. 2026-11-20")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise InvalidEvent(f"{name} {value!r} is not a date: {error}") from None


def account_of(event: Any, context: LambdaContext) -> str:
    """The scheduled event names the account; a manual invoke only has the function's ARN."""
    account = event.get("account") if isinstance(event, Mapping) else None
    if isinstance(account, str):
        return account
    return context.invoked_function_arn.split(":")[4]
