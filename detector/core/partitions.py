"""The partition values a query over an organization's table names in its WHERE, as literals.

Athena's `injected` projection computes partition locations only from "literals or expressions that can be evaluated
without reading any data" in the query (CONSTRAINT_VIOLATION otherwise), and whether `?` execution parameters count
is UNVERIFIED, so the accounts, regions and buckets are rendered into the text. With `enum` projection the same
predicates prune just as well, so every organization query carries them whichever projection its table uses.
Source: https://docs.aws.amazon.com/athena/latest/ug/partition-projection-dynamic-id-partitioning.html

With accounts found at run time (`accounts=auto`), the saved query lists the accounts known at deploy between two
comments, and each run puts in the accounts it found (`with_accounts`), so new accounts are read without a redeploy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from detector.core.sql import quote_literal

ACCOUNTS_START = "/* accounts: */"
ACCOUNTS_END = "/* :accounts */"
"""Around each account list the run replaces; comments in Trino and DuckDB alike."""

_ACCOUNT_LIST = re.compile(re.escape(ACCOUNTS_START) + r".*?" + re.escape(ACCOUNTS_END), re.DOTALL)
ACCOUNT_ID = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class PartitionFilter:
    """What every query over one organization table filters on, besides the window's days."""

    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    buckets: tuple[str, ...] = ()
    """The access-log table's source buckets; the CloudTrail table has no bucket partition."""
    accounts_at_run_time: bool = False
    """True: each run replaces `accounts` with the accounts it found (`with_accounts`)."""

    def __post_init__(self) -> None:
        if not self.accounts or not self.regions:
            raise ValueError("an organization query needs at least one account and one region")
        bad = [account for account in self.accounts if not ACCOUNT_ID.match(account)]
        if bad:
            raise ValueError(f"not 12-digit account IDs: {', '.join(bad)}")

    def placeholders(self) -> Mapping[str, str]:
        """`{accounts}`, `{regions}` and `{buckets}` of the `-- scope: organization` lines in `queries/sources/`."""
        accounts = literal_list(self.accounts)
        if self.accounts_at_run_time:
            accounts = f"{ACCOUNTS_START} {accounts} {ACCOUNTS_END}"
        values = {"accounts": accounts, "regions": literal_list(self.regions)}
        if self.buckets:
            values["buckets"] = literal_list(self.buckets)
        return values


def literal_list(values: Iterable[str]) -> str:
    return ", ".join(quote_literal(value) for value in values)


def with_accounts(sql: str, accounts: Iterable[str]) -> str:
    """The saved query with every run-time account list replaced by `accounts`.

    Raises ValueError when the query has no such list (it was not rendered with `accounts_at_run_time`), or when an
    account is not a 12-digit ID: the IDs come from object keys, and only digits may reach the SQL.
    """
    chosen = sorted(set(accounts))
    bad = [account for account in chosen if not ACCOUNT_ID.match(account)]
    if bad or not chosen:
        raise ValueError(f"expected 12-digit account IDs, got {bad or 'none'}")
    if not _ACCOUNT_LIST.search(sql):
        raise ValueError(f"the query has no {ACCOUNTS_START} … {ACCOUNTS_END} list to fill in")
    replacement = f"{ACCOUNTS_START} {literal_list(chosen)} {ACCOUNTS_END}"
    return _ACCOUNT_LIST.sub(lambda _match: replacement, sql)
