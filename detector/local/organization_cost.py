"""What many accounts cost: one stack per account against one organization stack, at list prices, for the README.

The data events, their storage and the bytes Athena reads are the same either way (the same requests are recorded
and read); what one organization stack saves is everything every stack pays once: its topic's key, its alarms, its
function's runs, its emails, and Athena's 10 MB minimum per query. The member StackSet's parts cost nothing when idle
(an empty bucket, a role, a function that runs on deploy), and an existing organization trail that already records
the watched buckets' data events adds no data-event charge at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from detector.local import cost

KMS_KEY = cost.Price(1.00, 1, "key-months", "https://aws.amazon.com/kms/pricing/")
""""Each AWS KMS key that you create in KMS costs $1/month" (read 2026-12-01); each stack's topic key."""
ALARM = cost.Price(
    0.10, 1, "alarm-months", "https://aws.amazon.com/cloudwatch/pricing/ (as quoted by c3x.dev, 2026-12-01)"
)
"""A standard-resolution alarm, $0.10 a month; the AWS page itself was not read (UNVERIFIED there)."""
ALARMS_PER_STACK = 3
"""Errors, missed run and failed runs kept (`stacks/alerting.py`)."""

COMPARED_ACCOUNTS = 50
COMPARED_REQUESTS = (10_000, 100_000, 1_000_000)
"""S3 requests a day in each account."""
REGIONS_PER_ACCOUNT = 3
"""Each account's regions deliver their own five-minute files: the organization's trail writes (and Athena reads)
the files of every account and region."""


@dataclass(frozen=True)
class Comparison:
    accounts: int
    requests_per_account: float

    @property
    def per_account_stacks(self) -> float:
        """One stack in each account, each reading its own account's requests."""
        one = cost.estimate(cost.Usage(events_per_day=self.requests_per_account, regions=REGIONS_PER_ACCOUNT))
        return self.accounts * (one.total + _fixed())

    @property
    def organization_stack(self) -> float:
        """One stack reading every account's requests (the member parts idle at no cost)."""
        everyone = cost.estimate(
            cost.Usage(
                events_per_day=self.requests_per_account * self.accounts,
                regions=REGIONS_PER_ACCOUNT * self.accounts,
            )
        )
        return everyone.total + _fixed()

    @property
    def data_events(self) -> float:
        """The share of either that is CloudTrail's data events: already paid by an organization trail that records
        the watched buckets."""
        events = self.requests_per_account * self.accounts * cost.DAYS_PER_MONTH
        return cost.DATA_EVENTS.of(events)


def _fixed() -> float:
    return KMS_KEY.of(1) + ALARM.of(ALARMS_PER_STACK)


def markdown_comparison() -> str:
    """The monthly totals of 50 stacks and of one organization stack, with and without an existing trail."""
    lines = [
        f"| S3 requests a day, each of {COMPARED_ACCOUNTS} accounts | {COMPARED_ACCOUNTS} account stacks | "
        "one organization stack | of which data events | one organization stack, existing trail |",
        "|---:|---:|---:|---:|---:|",
    ]
    for requests in COMPARED_REQUESTS:
        compared = Comparison(COMPARED_ACCOUNTS, requests)
        organization = compared.organization_stack
        lines.append(
            f"| {requests:,} | ${compared.per_account_stacks:,.2f} | ${organization:,.2f} | "
            f"${compared.data_events:,.2f} | ${organization - compared.data_events:,.2f} |"
        )
    return "\n".join(lines) + "\n"
