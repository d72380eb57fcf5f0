"""What an organization-wide run adds to one account's: the accounts each query reads (found again each run with
`accounts=auto`), the accounts' names on the findings, tracing in each finding's account, and the email by account."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from detector.aws.accounts import AccountNames, account_folders
from detector.aws.cross_account import Assume, ClientsForRegion, role_assumer, trace_across_accounts
from detector.aws.organization_email import OrganizationEmail
from detector.core.config import FunctionConfig
from detector.core.findings import Finding, Report
from detector.core.partitions import with_accounts

logger = logging.getLogger(__name__)


@dataclass
class OrganizationRun:
    organization_id: str
    home_account: str
    names: AccountNames
    s3: Any
    folders: Mapping[str, str]
    """Source -> where its account folders are (`accounts=auto`); empty when the accounts are in the queries."""
    assume: Assume | None
    trace_role: str = ""

    @classmethod
    def of(
        cls, config: FunctionConfig, session: Any, home_account: str, client_config: Any = None
    ) -> OrganizationRun | None:
        """None for one account's run (no ORGANIZATION_ID)."""
        if not config.organization_id:
            return None
        client_options = {"config": client_config} if client_config is not None else {}
        sts = session.client("sts", **client_options)
        assume = role_assumer(sts, config.trace_role) if config.trace_role else None
        return cls(
            organization_id=config.organization_id,
            home_account=home_account,
            names=AccountNames(session.client("organizations", **client_options)),
            s3=session.client("s3", **client_options),
            folders=config.folders_by_source,
            assume=assume,
            trace_role=config.trace_role,
        )

    def queries(self, sql_by_source: Mapping[str, str]) -> dict[str, str]:
        """Each source's query, with the accounts found under its folder now when it has one. A failed listing fails
        the run (the error alarm fires): a query over fewer accounts than exist would look clean."""
        queries = dict(sql_by_source)
        for source, uri in self.folders.items():
            if source not in queries:
                continue
            accounts = account_folders(self.s3, uri)
            if not accounts:
                logger.warning("no account folders under %s yet; %s reads the accounts saved in its query", uri, source)
                continue
            logger.info("%s reads %d accounts found under %s", source, len(accounts), uri)
            queries[source] = with_accounts(queries[source], accounts)
        return queries

    def trace(self, findings: Sequence[Finding], home_clients: ClientsForRegion) -> list[Finding]:
        return trace_across_accounts(
            findings,
            home_account=self.home_account,
            home_clients=home_clients,
            assume=self.assume,
            pattern=self.trace_role,
        )

    def named(self, findings: Sequence[Finding]) -> list[Finding]:
        """The findings with their account's name, from one ListAccounts a run (none when it is denied)."""
        names = self.names.names(finding.account_id for finding in findings)
        return [replace(finding, account_name=names.get(finding.account_id or "")) for finding in findings]

    def email(self, report: Report) -> OrganizationEmail:
        """The run's one email, by account, with the names this run listed."""
        names = self.names.names(finding.account_id for finding in report.findings)
        return OrganizationEmail(self.organization_id, names, self.names.problem)
