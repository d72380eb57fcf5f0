"""The organization's accounts, as one run sees them: their names (Organizations `ListAccounts`, asked once a run),
and the accounts that have logs (the account folders under a table's location, for `accounts=auto`).

ListAccounts answers only in the management account or a delegated administrator; anywhere else it is
`AccessDeniedException`, and outside an organization `AWSOrganizationsNotInUseException` (botocore's organizations
model). A run that cannot list the names shows the IDs and says why. `Account.Status` was retired on 2026-09-09, so
nothing here reads it (`State` is not needed either: a closed account's logs still name it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from detector.aws.trace import error_text
from detector.core.partitions import ACCOUNT_ID

logger = logging.getLogger(__name__)

DENIED_HINT = (
    "run the detector in the management account or a delegated administrator of Organizations, with "
    "organizations:ListAccounts"
)


class AccountNames:
    """Account ID -> name for one run: the first lookup lists the organization's accounts, later ones reuse it."""

    def __init__(self, organizations: Any) -> None:
        self._organizations = organizations
        self._names: dict[str, str] | None = None
        self.problem: str | None = None
        """Why the names could not be listed (the email shows IDs and says this), or None."""

    def name(self, account: str | None) -> str | None:
        if account is None:
            return None
        return self._listed().get(account)

    def names(self, accounts: Iterable[str | None]) -> dict[str, str]:
        """The name of each account that has one."""
        listed = self._listed()
        return {account: listed[account] for account in accounts if account is not None and account in listed}

    def _listed(self) -> dict[str, str]:
        if self._names is None:
            self._names = self._list()
        return self._names

    def _list(self) -> dict[str, str]:
        try:
            pages = self._organizations.get_paginator("list_accounts").paginate()
            return {account["Id"]: account["Name"] for page in pages for account in page["Accounts"]}
        except (ClientError, BotoCoreError) as error:
            self.problem = f"{error_text(error)}; {DENIED_HINT}"
            logger.warning("account names not listed, the email shows IDs: %s", self.problem)
            return {}


def label(account: str | None, names: Mapping[str, str]) -> str:
    """`Payments prod (111122223333)`, the ID alone when its name is unknown, or `unknown account`."""
    if account is None:
        return "unknown account"
    name = names.get(account)
    return f"{name} ({account})" if name else account


def account_folders(s3: Any, uri: str) -> list[str]:
    """The 12-digit account folders right under `s3://bucket/prefix/`: one ListObjectsV2 call per 1,000 of them.
    Anything else there (a digest folder, a stray key) is not an account and is left out."""
    parts = urlsplit(uri)
    prefix = parts.path.lstrip("/")
    paginator = s3.get_paginator("list_objects_v2")
    accounts = []
    for page in paginator.paginate(Bucket=parts.netloc, Prefix=prefix, Delimiter="/"):
        for common in page.get("CommonPrefixes", []):
            folder = common["Prefix"][len(prefix) :].rstrip("/")
            if ACCOUNT_ID.match(folder):
                accounts.append(folder)
    return sorted(accounts)
