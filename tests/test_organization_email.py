"""The email of an organization-wide run: counts per account first, then the top findings under their accounts, named
when the run could list the names, always within SNS's limits and as plain text."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from detector.aws.email import BODY_MAX_BYTES, SUBJECT_MAX_CHARS
from detector.aws.location import ReportLocation
from detector.aws.organization_email import MAX_ACCOUNTS_LISTED, body, subject
from detector.core.findings import Report
from detector.core.window import Window
from tests.helpers import account_finding

WINDOW = Window(date(2026, 11, 20), date(2026, 11, 22))
LOCATION = ReportLocation("reports-bucket", "reports/", WINDOW, "us-east-1")
PAYMENTS, DATA, SANDBOX = "111122223333", "444455556666", "777788889999"
NAMES = {PAYMENTS: "payments-prod", DATA: "data-lake"}


def three_accounts() -> Report:
    """Data lake: 3 findings; payments: 2 (the busiest of all among them); sandbox, unnamed: 1."""
    findings = [
        account_finding(PAYMENTS, 1, 90, ("outdated_sdk", "sigv2")),
        account_finding(DATA, 2, 40),
        account_finding(DATA, 3, 30, ("legacy_tls",)),
        account_finding(SANDBOX, 4, 20),
        account_finding(PAYMENTS, 5, 10),
        account_finding(DATA, 6, 5),
    ]
    return Report(window=WINDOW, findings=findings)


def test_counts_per_account_come_first_most_findings_first_with_each_accounts_name() -> None:
    # GIVEN findings in three accounts, two of them named
    report = three_accounts()
    # WHEN the email is written
    text = body(report, LOCATION, "o-abcdefghij", NAMES)
    counts = text[text.index("Findings by account") : text.index("Full report")]
    # THEN the counts per account come before any finding, most findings first, named where a name is known
    assert text.index("Findings by account") < text.index("Top findings by account")
    assert counts.splitlines()[1:4] == [
        "  data-lake (444455556666)      3 findings: 2 sigv2, 1 legacy_tls",
        "  payments-prod (111122223333)  2 findings: 2 sigv2, 1 outdated_sdk",
        "  777788889999                  1 finding: 1 sigv2",
    ]
    assert text.startswith("Legacy S3 clients in organization o-abcdefghij, 2026-11-20 to 2026-11-22")


def test_the_top_findings_are_grouped_under_their_account_in_the_same_order() -> None:
    # GIVEN findings in three accounts
    report = three_accounts()
    # WHEN the email is written
    text = body(report, LOCATION, "o-abcdefghij", NAMES)
    # THEN each account's findings follow its header, accounts in the order of their counts, each finding once
    headers = [line for line in text.splitlines() if line.startswith("== ")]
    assert headers == ["== data-lake (444455556666) ==", "== payments-prod (111122223333) ==", "== 777788889999 =="]
    section = text[text.index("== data-lake") : text.index("== payments-prod")]
    assert [line.split(". ", 1)[1] for line in section.splitlines() if line[:1].isdigit()] == [
        f"arn:aws:iam::{DATA}:user/app-{n}" for n in (2, 3, 6)
    ]
    assert sum(text.count(f":user/app-{n}\n") for n in range(1, 7)) == 6


def test_without_names_the_accounts_are_shown_by_id_and_the_email_says_why() -> None:
    # GIVEN findings whose accounts' names could not be listed
    problem = "AccessDeniedException: You don't have permissions to access this resource."
    # WHEN the email is written
    text = body(three_accounts(), LOCATION, "o-abcdefghij", {}, names_problem=problem)
    # THEN every account is its ID, and one line says the names could not be listed and why
    assert "== 444455556666 ==" in text
    assert "data-lake" not in text
    assert f"Accounts are shown by ID: their names could not be listed ({problem})." in text


def test_the_subject_counts_findings_and_accounts_dropping_the_breakdown_to_fit() -> None:
    # GIVEN findings in three accounts, and in one
    # WHEN their subjects are written
    many = subject(three_accounts(), "o-abcdefghij")
    one = subject(Report(window=WINDOW, findings=[account_finding(PAYMENTS, 1, 5)]), "o-abcdefghij")
    # THEN each counts the findings and the accounts for the window, the reasons too where they fit in one line
    assert many == "S3 legacy clients: 6 findings in 3 accounts of o-abcdefghij, 2026-11-20..2026-11-22"
    assert one == "S3 legacy clients: 1 finding (1 sigv2) in 1 account of o-abcdefghij, 2026-11-20..2026-11-22"
    assert max(len(many), len(one)) <= SUBJECT_MAX_CHARS


def test_five_thousand_findings_over_three_hundred_accounts_fit_sns() -> None:
    # GIVEN 5,000 findings spread over 300 accounts
    findings = [account_finding(f"{100000000000 + n % 300}", n, n + 1) for n in range(5000)]
    report = Report(window=WINDOW, findings=findings)
    # WHEN the email is written
    text = body(report, LOCATION, "o-abcdefghij", {})
    # THEN it fits SNS, lists the first hundred accounts and says how many more, and points at the report for the rest
    assert len(text.encode()) <= BODY_MAX_BYTES
    assert f"…and {300 - MAX_ACCOUNTS_LISTED} more accounts, see the full report." in text
    assert "…and 4980 more, see the full report." in text
    assert len(subject(report, "o-abcdefghij")) <= SUBJECT_MAX_CHARS


def test_an_account_name_cannot_add_lines_or_terminal_controls() -> None:
    # GIVEN an account whose name carries a line break and a terminal escape
    names = {PAYMENTS: "prod\n== fake ==\x1b[31m"}
    report = Report(window=WINDOW, findings=[account_finding(PAYMENTS, 1, 5)])
    # WHEN the email is written
    text = body(report, LOCATION, "o-abcdefghij", names)
    # THEN the name stays on its line, its escape shown as text
    assert "\x1b" not in text
    assert "== fake ==" not in text.splitlines()
    assert [line for line in text.splitlines() if line.startswith("== ")] == [
        "== prod\\n== fake ==\\x1b[31m (111122223333) =="
    ]


def test_no_findings_say_so_for_the_organization() -> None:
    # GIVEN a clean window
    report = Report(window=WINDOW)
    # WHEN the email is written
    text, line = body(report, LOCATION, "o-abcdefghij", {}), subject(report, "o-abcdefghij")
    # THEN both say there was nothing in the organization
    assert "No findings" in text and "Findings by account" not in text
    assert line == "S3 legacy clients: no findings in o-abcdefghij, 2026-11-20..2026-11-22"


def test_a_finding_of_no_known_account_is_listed_as_such() -> None:
    # GIVEN a finding whose principal's account is not logged
    report = Report(window=WINDOW, findings=[replace(account_finding(PAYMENTS, 1, 5), account_id=None)])
    # WHEN the email is written
    text = body(report, LOCATION, "o-abcdefghij", NAMES)
    # THEN it is under "unknown account"
    assert "== unknown account ==" in text
