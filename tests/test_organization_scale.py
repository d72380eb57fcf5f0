"""Scale evidence: a generated organization trail of 50 accounts × 3 regions × 7 days (1,050 files, 21,000 requests)
scans locally to exactly the findings of the 50 per-account scans combined, and so does the organization's own query
(every partition column named) over the same files; both agree with the oracle."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from detector.core import queries
from detector.core.findings import Finding
from detector.core.partitions import PartitionFilter
from detector.core.window import Window
from detector.local.duckdb_engine import DuckDBEngine
from detector.local.projection import TABLE
from detector.local.scan import scan
from detector.sources import cloudtrail
from samples.generate import REGIONS
from samples.organization import ORGANIZATION, generate_organization, member_accounts
from tests import oracle
from tests.helpers import load_catalog

ACCOUNTS, DAYS = 50, 7
TREE_REGIONS = REGIONS[:3]
WINDOW = Window(date(2026, 11, 20), date(2026, 11, 26))


@pytest.fixture(scope="module")
def organization_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("organization")
    written = list(generate_organization(root, accounts=ACCOUNTS, regions=TREE_REGIONS, days=DAYS))
    assert len(written) == ACCOUNTS * len(TREE_REGIONS) * DAYS
    return root / cloudtrail.LOG_PREFIX.rstrip("/")


def canonical(findings: list[Finding]) -> list[str]:
    """The findings' fields, without the log each came from (all CloudTrail here; the oracle does not name it)."""
    return oracle.canonical(
        {name: value for name, value in finding.to_dict().items() if name != "log_source"} for finding in findings
    )


def test_the_organization_scans_to_the_per_account_scans_combined(organization_tree: Path) -> None:
    # GIVEN the organization trail's tree and each account's folder in it
    folders = {account: organization_tree / ORGANIZATION / account for account in member_accounts(ACCOUNTS)}
    # WHEN the whole tree is scanned once, and each account's folder alone
    whole = scan([organization_tree], WINDOW)
    per_account = {account: scan([folder], WINDOW, workers=1) for account, folder in folders.items()}
    # THEN the one scan read every file and finds exactly the per-account findings combined, each account's findings
    # being its own principals', and every account has some
    combined = [finding for report in per_account.values() for finding in report.findings]
    assert whole.files_scanned == ACCOUNTS * len(TREE_REGIONS) * DAYS
    assert whole.files_skipped == []
    assert canonical(whole.findings) == canonical(combined)
    for account, report in per_account.items():
        assert report.findings, account
        assert {finding.account_id for finding in report.findings} == {account}
        assert all(f":{account}:" in finding.principal_arn for finding in report.findings)
    # AND the oracle, reading the same files on its own, finds the same
    events = oracle.read_events(oracle.log_files(organization_tree))
    expected = oracle.findings(events, oracle.OracleWindow(WINDOW.since, WINDOW.until))
    assert canonical(whole.findings) == oracle.canonical(expected)


def test_the_organization_query_over_the_tree_finds_the_same_and_reads_only_the_accounts_it_names(
    organization_tree: Path,
) -> None:
    # GIVEN the tree loaded once, and the organization's detection query for all 50 accounts and for 10 of them
    catalog = load_catalog([organization_tree])
    engine = DuckDBEngine(catalog.connection)
    accounts = member_accounts(ACCOUNTS)

    def run(named: list[str]) -> list[Finding]:
        partitions = PartitionFilter(tuple(named), TREE_REGIONS)
        sql = queries.render(queries.DETECTION, TABLE, source=cloudtrail.NAME, partitions=partitions)
        return [Finding.from_row(row) for row in engine.run(sql, WINDOW.parameters())]

    # WHEN each runs over the window
    every, some = run(accounts), run(accounts[:10])
    # THEN all 50 give the local scan's findings, and 10 give exactly those accounts' findings
    assert canonical(every) == canonical(scan([organization_tree], WINDOW).findings)
    assert canonical(some) == canonical([f for f in every if f.account_id in accounts[:10]])
    assert {finding.account_id for finding in some} == set(accounts[:10])
