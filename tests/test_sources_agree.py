"""The same requests logged by CloudTrail and by S3 server access logs give the same findings.

Both are written from one seed by the sample generator; each is read by its own source and the detection SQL runs
unchanged over each, through the tables the tests load and through `scan`. What legitimately differs is how each log
spells a request: CloudTrail brackets the user agent and names the operation `GetObject`, the access log writes the
agent as sent and `REST.GET.OBJECT`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from detector.core import queries
from detector.core.findings import Finding, Report
from detector.core.window import Window
from detector.local.scan import scan
from samples.access_logs import DEMO_ACCESS_LOGS, LAYOUTS, generate_access_logs
from samples.generate import generate
from tests.helpers import DEMO_LOGS, GENERATED, GENERATED_SEEDS, load_access_logs, load_catalog

SPELLED_DIFFERENTLY = ("user_agent", "event_names")
WINDOWS = [Window(), Window(date(2026, 11, 21), date(2026, 11, 21)), Window(date(2026, 11, 22), None)]


def comparable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    findings = [Finding.from_row(row).to_dict() for row in rows]
    return sorted(
        ({k: v for k, v in finding.items() if k not in SPELLED_DIFFERENTLY} for finding in findings),
        key=lambda finding: (finding["principal_arn"], finding["source_ip"] or ""),
    )


@pytest.fixture(scope="module", params=GENERATED_SEEDS, ids=lambda seed: f"seed{seed}")
def both_logs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One seed's requests as a CloudTrail tree and as an access-log tree in each layout."""
    root = tmp_path_factory.mktemp(f"both-{request.param}")
    list(generate(root / "cloudtrail", seed=request.param, **GENERATED))
    trees = {"cloudtrail": root / "cloudtrail"}
    for layout in LAYOUTS:
        list(generate_access_logs(root / layout, layout=layout, seed=request.param, **GENERATED))
        trees[layout] = root / layout
    return trees


@pytest.mark.parametrize("window", WINDOWS, ids=lambda window: f"{window.since}..{window.until}")
@pytest.mark.parametrize("layout", LAYOUTS)
def test_access_logs_find_the_principals_cloudtrail_finds_for_the_same_reasons(
    both_logs: dict[str, Path], layout: str, window: Window
) -> None:
    # GIVEN the same generated requests as CloudTrail logs and as access logs in one layout
    trail = load_catalog([both_logs["cloudtrail"]])
    access = load_access_logs([both_logs[layout]])
    # WHEN the detection query runs over each for the window
    from_trail = comparable(trail.run(queries.DETECTION, window))
    from_access_logs = comparable(access.run(queries.DETECTION, window))
    # THEN both find the same principals, from the same addresses and clients, for the same reasons and as many
    # requests (a record delivered twice counted once), in the same buckets, regions and times
    assert from_trail
    assert from_access_logs == from_trail


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_committed_demo_logs_give_the_same_findings_from_either_source(layout: str) -> None:
    # GIVEN the demo's CloudTrail logs and its access logs in one layout, as committed
    trail = load_catalog([DEMO_LOGS])
    access = load_access_logs([DEMO_ACCESS_LOGS / layout])
    # WHEN the detection query runs over each
    from_trail = comparable(trail.run(queries.DETECTION, Window()))
    from_access_logs = comparable(access.run(queries.DETECTION, Window()))
    # THEN they agree finding for finding, and every access-log file parsed whole
    assert access.problems == {}
    assert [finding["principal_arn"] for finding in from_trail] == [f["principal_arn"] for f in from_access_logs]
    assert from_access_logs == from_trail


def scanned(report: Report) -> list[dict[str, Any]]:
    findings = [f.to_dict() for f in report.findings]
    return sorted(
        ({k: v for k, v in f.items() if k not in (*SPELLED_DIFFERENTLY, "log_source")} for f in findings),
        key=lambda finding: (finding["principal_arn"], finding["source_ip"] or ""),
    )


@pytest.mark.parametrize("window", WINDOWS, ids=lambda window: f"{window.since}..{window.until}")
@pytest.mark.parametrize("layout", LAYOUTS)
def test_scan_finds_in_access_logs_the_principals_and_reasons_it_finds_in_cloudtrail(
    both_logs: dict[str, Path], layout: str, window: Window
) -> None:
    # GIVEN the same generated requests as CloudTrail logs and as access logs in one layout
    # WHEN `scan` reads each tree for the window, telling the log by the files' content
    from_trail = scan([both_logs["cloudtrail"]], window, workers=1)
    from_access_logs = scan([both_logs[layout]], window, workers=1)

    # THEN both find the same principals, from the same addresses and clients, for the same reasons and as many
    # requests, each finding naming the log it was read from, and no line of either was left unread
    assert scanned(from_trail)
    assert scanned(from_access_logs) == scanned(from_trail)
    assert {f.log_source for f in from_trail.findings} == {"cloudtrail"}
    assert {f.log_source for f in from_access_logs.findings} == {"access_logs"}
    assert (from_access_logs.files_skipped, from_access_logs.lines_skipped) == ([], [])


def test_one_scan_over_both_logs_gives_each_finding_once_per_log_with_the_same_fields(
    both_logs: dict[str, Path],
) -> None:
    # GIVEN the same requests as CloudTrail logs and as partitioned access logs, side by side in one folder
    # WHEN one scan reads the folder
    report = scan([both_logs["cloudtrail"], both_logs["partitioned"]], Window())

    # THEN each log's findings are the other's, every finding has the same fields, and each names its log
    by_log = {log: [f for f in report.findings if f.log_source == log] for log in ("cloudtrail", "access_logs")}
    assert by_log["cloudtrail"]
    assert scanned(Report(Window(), findings=by_log["access_logs"])) == scanned(
        Report(Window(), findings=by_log["cloudtrail"])
    )
    assert len({tuple(f.to_dict()) for f in report.findings}) == 1
