"""Per-day counts of each finding's SigV2, legacy-TLS and outdated-SDK requests, from `queries/daily.sql`: the trend
the HTML report draws, one series per client."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from detector.core.findings import Finding

DAILY_QUERY = "daily"

MEASURES = (
    ("sigv2_requests", "SigV2 requests"),
    ("legacy_tls_requests", "Legacy-TLS requests"),
    ("outdated_requests", "Outdated-SDK requests"),
)
"""What the chart plots per day, one panel each."""

FindingKey = tuple[str, str | None, str]


@dataclass(frozen=True)
class DailyCount:
    day: str
    """`2026-11-20`, a UTC day."""
    principal_arn: str
    source_ip: str | None
    user_agent: str
    sigv2_requests: int
    legacy_tls_requests: int
    outdated_requests: int

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> DailyCount:
        return cls(
            day=str(row["day"]),
            principal_arn=str(row["principal_arn"]),
            source_ip=None if row.get("source_ip") in (None, "") else str(row["source_ip"]),
            user_agent=str(row.get("user_agent") or ""),
            **{name: int(row.get(name) or 0) for name, _label in MEASURES},
        )

    @property
    def key(self) -> FindingKey:
        return (self.principal_arn, self.source_ip, self.user_agent)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def finding_key(finding: Finding) -> FindingKey:
    """What names a finding in the daily rows: the detection query's group."""
    return (finding.principal_arn, finding.source_ip, finding.user_agent)


@dataclass(frozen=True)
class Series:
    finding: Finding
    values: dict[str, list[int]]
    """Per measure, one count per day of `Trend.days`."""


@dataclass(frozen=True)
class Trend:
    days: list[str]
    series: list[Series]


def trend(findings: Sequence[Finding], daily: Iterable[DailyCount]) -> Trend:
    """One series per client with daily counts, in the findings' order (a client found in two sources' logs is one
    series); every day from the first to the last with counts, a day without any counting 0."""
    by_key: dict[FindingKey, dict[str, DailyCount]] = {}
    for count in daily:
        by_key.setdefault(count.key, {})[count.day] = count
    days = _every_day(sorted({day for counts in by_key.values() for day in counts}))
    series = []
    for finding in findings:
        counts = by_key.pop(finding_key(finding), None)
        if counts:
            values = {name: [getattr(counts[d], name) if d in counts else 0 for d in days] for name, _ in MEASURES}
            series.append(Series(finding, values))
    return Trend(days, series)


def _every_day(days: list[str]) -> list[str]:
    if not days:
        return []
    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
