"""The report of an organization-wide run carries each finding's account and its name; one account's is unchanged."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date

from detector.core.findings import Report
from detector.core.window import Window
from tests.helpers import account_finding as finding

WINDOW = Window(date(2026, 11, 20), date(2026, 11, 22))
PAYMENTS, DATA = "111122223333", "444455556666"


def test_every_finding_of_an_organization_carries_its_account_and_name_in_json_and_csv() -> None:
    # GIVEN findings of two accounts, one named
    report = Report(
        window=WINDOW, findings=[replace(finding(PAYMENTS, 1, 9), account_name="payments-prod"), finding(DATA, 2, 5)]
    )
    # WHEN the report is written as JSON and CSV
    findings = json.loads(report.to_json())["findings"]
    rows = list(csv.DictReader(io.StringIO(report.to_csv())))
    # THEN each finding has its account, and its name where it was listed
    assert [(f["account_id"], f.get("account_name")) for f in findings] == [(PAYMENTS, "payments-prod"), (DATA, None)]
    assert [(row["account_id"], row["account_name"]) for row in rows] == [(PAYMENTS, "payments-prod"), (DATA, "")]


def test_one_accounts_report_has_no_account_name_column() -> None:
    # GIVEN a report whose findings have no account names (one account's run)
    report = Report(window=WINDOW, findings=[finding(PAYMENTS, 1, 9)])
    # WHEN it is written as JSON and CSV
    text = report.to_json()
    header = report.to_csv().splitlines()[0].split(",")
    # THEN neither has the organization's field: one account's report is what it always was
    assert "account_name" not in text
    assert "account_name" not in header
    assert "account_id" in header
