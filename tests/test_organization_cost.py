"""What many accounts cost: one organization stack against one stack per account, from the same price list."""

from __future__ import annotations

import pytest

from detector.local import cost
from detector.local.organization_cost import ALARM, ALARMS_PER_STACK, KMS_KEY, Comparison


@pytest.mark.parametrize("requests", [10_000, 100_000, 1_000_000])
def test_one_organization_stack_saves_at_least_every_other_stacks_fixed_cost(requests: int) -> None:
    # GIVEN 50 accounts with the same traffic
    compared = Comparison(50, requests)
    # WHEN both deployments are priced
    saving = compared.per_account_stacks - compared.organization_stack
    # THEN the organization stack saves at least 49 topic keys and 49 sets of alarms, and the data events (the
    # same requests recorded either way) are part of both
    assert saving >= 49 * (KMS_KEY.of(1) + ALARM.of(ALARMS_PER_STACK))
    assert compared.data_events == pytest.approx(cost.DATA_EVENTS.of(50 * requests * cost.DAYS_PER_MONTH))
    assert compared.organization_stack > compared.data_events


def test_small_accounts_save_athenas_minimum_of_every_query() -> None:
    # GIVEN 50 quiet accounts, each under Athena's 10 MB minimum a query
    compared = Comparison(50, 1_000)
    one = cost.estimate(cost.Usage(events_per_day=1_000, regions=3))
    (athena,) = [line for line in one.lines if line.item.startswith("Athena")]
    minimum = cost.athena_query_cost(cost.ATHENA_MIN_BYTES) * cost.DAYS_PER_MONTH
    # WHEN the two deployments are compared
    saving = compared.per_account_stacks - compared.organization_stack
    # THEN each account's query is billed the minimum, and one organization query saves 49 of those minimums too
    assert "(billed 10 MB)" in athena.usage
    assert saving > 49 * (KMS_KEY.of(1) + ALARM.of(ALARMS_PER_STACK) + minimum)
