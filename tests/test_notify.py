"""The email: subject and body fit SNS, name what an owner must change, and point at the full report."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest

from detector.aws.email import BODY_MAX_BYTES, MESSAGE_MAX_BYTES, body, subject
from detector.aws.location import ReportLocation
from detector.core.findings import Finding, Report
from detector.core.window import Window
from docs import render

WINDOW = Window(date(2026, 11, 20), date(2026, 11, 22))
ACCOUNT = "123456789012"
LOCATION = ReportLocation("reports-bucket", "reports/", WINDOW, "eu-west-1")
SAMPLE_SIGV2_PRINCIPALS = (
    "arn:aws:iam::123456789012:user/backup-cron",
    "arn:aws:sts::123456789012:assumed-role/legacy-uploader/i-0feedfacecafe0001",
    "arn:aws:iam::123456789012:user/reports",
    "arn:aws:iam::123456789012:user/share-links",
)

RowFactory = Callable[..., dict[str, str | None]]


def report_of(rows: list[dict[str, str | None]]) -> Report:
    return Report(window=WINDOW, findings=[Finding.from_row(row) for row in rows])


def listed_principals(text: str) -> list[str]:
    return re.findall(r"^\d+\. (\S+)$", text, flags=re.MULTILINE)


def test_subject_counts_findings_by_reason_for_the_account_and_window(detection_row: RowFactory) -> None:
    # GIVEN three SigV2 findings and one over TLS 1.0
    rows = [detection_row(n, reasons="sigv2") for n in range(3)] + [detection_row(3, reasons="legacy_tls")]

    # WHEN the subject is rendered
    text = subject(report_of(rows), ACCOUNT)

    # THEN it gives the counts by reason, the account and the window
    assert text == "S3 legacy clients: 4 findings (3 sigv2, 1 legacy_tls) in 123456789012, 2026-11-20..2026-11-22"


def test_subject_drops_detail_to_stay_under_100_characters(detection_row: RowFactory) -> None:
    # GIVEN 5,000 findings, each with all three reasons
    rows = [detection_row(n, reasons="legacy_tls,outdated_sdk,sigv2") for n in range(5000)]

    # WHEN the subject is rendered
    text = subject(report_of(rows), ACCOUNT)

    # THEN it is still under SNS's 100 characters and keeps the total and the window
    assert len(text) < 100
    assert "5000 findings" in text
    assert "2026-11-20..2026-11-22" in text


def test_subject_is_one_ascii_line_whatever_the_account_text(detection_row: RowFactory) -> None:
    # GIVEN an account text with a line break and a non-ASCII character
    report = report_of([detection_row(0)])

    # WHEN the subject is rendered
    text = subject(report, "1234\n5678 é")

    # THEN it has no line break or control character and is plain ASCII
    assert text.isprintable()
    assert text.isascii()


def test_clean_window_subject_says_no_findings() -> None:
    # GIVEN a report without findings
    # WHEN the subject is rendered
    text = subject(report_of([]), ACCOUNT)

    # THEN it says so
    assert text == "S3 legacy clients: no findings in 123456789012, 2026-11-20..2026-11-22"


def test_body_gives_each_top_finding_with_what_to_change(detection_row: RowFactory) -> None:
    # GIVEN two findings, one SigV2 from an old CLI and one over TLS 1.0
    rows = [
        detection_row(7, requests="40"),
        detection_row(
            8,
            requests="30",
            sigv2_requests="0",
            legacy_tls_requests="30",
            reasons="legacy_tls",
            signature_versions="SigV4",
            tls_versions="TLSv1",
            client="aws-sdk-dotnet",
            client_version="3.3.110.0",
            user_agent="[aws-sdk-dotnet-45/3.3.110.0 .NET_Runtime/4.0]",
        ),
    ]
    report = report_of(rows)

    # WHEN the body is rendered
    text = body(report, LOCATION, ACCOUNT)

    # THEN each finding shows principal, source IP, agent, reasons, requests, first/last seen and its hint
    assert listed_principals(text) == [finding.principal_arn for finding in report.findings]
    for finding in report.findings:
        for value in (finding.source_ip, finding.user_agent, finding.first_seen, finding.last_seen, finding.hint()):
            assert value and value in text
        assert f"requests    {finding.request_counts()}, first" in text
    assert "reasons     sigv2, outdated_sdk" in text
    assert "reasons     legacy_tls" in text
    # AND the counts by reason and where the full report is
    assert "2 findings: 1 sigv2, 1 legacy_tls, 1 outdated_sdk" in text
    assert "s3://reports-bucket/reports/2026-11-20_2026-11-22/report.json" in text
    assert "s3://reports-bucket/reports/2026-11-20_2026-11-22/report.csv" in text
    assert LOCATION.console_url in text


def test_body_lists_the_most_urgent_first_and_counts_the_rest(detection_row: RowFactory) -> None:
    # GIVEN 30 findings with SigV2 and all requests in no particular order, and 5 legacy-TLS ones with more requests
    rows = [detection_row(n, requests="99", sigv2_requests=str((n * 7) % 30 + 1)) for n in range(30)]
    tls = [detection_row(n, requests="500", reasons="legacy_tls", legacy_tls_requests="500") for n in range(30, 35)]
    report = report_of(tls + rows)

    # WHEN the body lists the top 20
    text = body(report, LOCATION, ACCOUNT, top=20)

    # THEN those are the 20 with most SigV2 requests, in that order, and the other 15 are counted
    expected = [f.principal_arn for f in sorted(report.findings, key=lambda f: f.sigv2_requests, reverse=True)[:20]]
    assert listed_principals(text) == expected
    assert text.endswith("…and 15 more, see the full report.\n")


def test_body_of_5000_large_findings_fits_one_sns_message(detection_row: RowFactory) -> None:
    # GIVEN 5,000 findings with 1 KB user agents and no limit on how many to list
    rows = [detection_row(n, user_agent=f"[custom-agent/{n} " + "x" * 1000 + "]") for n in range(5000)]

    # WHEN the body is rendered
    text = body(report_of(rows), LOCATION, ACCOUNT, top=None)

    # THEN it is under the SNS limit, and the listed plus the counted findings are all 5,000
    assert len(text.encode("utf-8")) <= BODY_MAX_BYTES < MESSAGE_MAX_BYTES
    more = re.search(r"…and (\d+) more, see the full report\.\n$", text)
    assert more is not None
    assert len(listed_principals(text)) + int(more[1]) == 5000


def test_body_budget_counts_utf8_bytes_not_characters(detection_row: RowFactory) -> None:
    # GIVEN findings whose agents are 3-byte characters
    rows = [detection_row(n, user_agent="€" * 300) for n in range(50)]

    # WHEN the body is limited to 6,000 bytes
    text = body(report_of(rows), LOCATION, ACCOUNT, top=None, max_bytes=6000)

    # THEN the UTF-8 encoding fits, with some findings listed
    assert len(text.encode("utf-8")) <= 6000
    assert listed_principals(text)


def test_body_rejects_a_budget_smaller_than_the_summary(detection_row: RowFactory) -> None:
    # GIVEN a report with a finding
    report = report_of([detection_row(0)])

    # WHEN the byte budget cannot hold even the summary
    # THEN the error says how large the summary is
    with pytest.raises(ValueError, match="leaves no room for the findings"):
        body(report, LOCATION, ACCOUNT, max_bytes=200)


def test_clean_body_says_no_findings_and_where_the_report_is() -> None:
    # GIVEN a clean window
    # WHEN the body is rendered
    text = body(report_of([]), LOCATION, ACCOUNT)

    # THEN it says nothing was found and still points at the report
    assert "No findings" in text
    assert LOCATION.json_uri in text
    assert not listed_principals(text)


@pytest.mark.parametrize(
    ("prefix", "key"),
    [
        ("reports/", "reports/2026-11-20_2026-11-22/report.json"),
        ("reports", "reports/2026-11-20_2026-11-22/report.json"),
        ("/a/b/", "a/b/2026-11-20_2026-11-22/report.json"),
        ("", "2026-11-20_2026-11-22/report.json"),
    ],
)
def test_report_keys_are_one_folder_per_window_under_the_prefix(prefix: str, key: str) -> None:
    # GIVEN a prefix written with or without slashes
    location = ReportLocation("bucket", prefix, WINDOW, "us-east-1")

    # WHEN the report's key is made
    report_key = location.key("report.json")

    # THEN the report's key has exactly one slash between the parts
    assert report_key == key
    assert location.json_uri == f"s3://bucket/{key}"


def test_report_location_needs_a_closed_window() -> None:
    # GIVEN a window with no until date
    # WHEN a report location is made for it
    # THEN it is refused, asking for a closed window
    with pytest.raises(ValueError, match="closed window"):
        ReportLocation("bucket", "reports/", Window(since=date(2026, 11, 20)), "us-east-1")


def test_example_email_names_every_sigv2_principal_of_the_samples() -> None:
    # GIVEN the sample logs
    # WHEN the example email is rendered from them
    example = render.email_example()

    # THEN it names every SigV2 principal of the samples
    for principal in SAMPLE_SIGV2_PRINCIPALS:
        assert principal in example


def test_body_shows_hostile_agents_and_arns_as_plain_text(detection_row: RowFactory) -> None:
    # GIVEN a finding whose user agent carries terminal escapes and a line break, and whose ARN a bidi override
    agent = "[\x1b[2J\x1b]0;pwned\x07boto3/1.0\nFAKE: all clear]"
    arn = "arn:aws:iam::123456789012:user/\u202eevil"
    report = report_of([detection_row(0, user_agent=agent, principal_arn=arn)])
    # WHEN the body is rendered
    text = body(report, LOCATION, ACCOUNT)
    # THEN no control or bidi character reaches the mail reader; they are shown escaped, on the finding's own lines
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text)
    assert "\\x1b[2J\\x1b]0;pwned\\x07boto3/1.0\\nFAKE: all clear" in text
    assert "user/\\u202eevil" in text
    assert "\nFAKE" not in text
