"""The HTML report: self-contained, every logged value shown as text, and in a real headless Chromium it loads
without errors or requests, with one chart series per client; a screenshot is taken."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from detector.core import report_html
from detector.core.daily import DailyCount, trend
from detector.core.findings import Finding, Report
from detector.core.window import Window
from detector.local.cli import EXIT_OK, main
from detector.local.scan import scan
from docs.browser import visit
from tests.helpers import DEMO_LOGS, LogTree, cloudtrail_event

HOSTILE_AGENT = '[<script>alert(1)</script><img src=x onerror=alert(2)> "><svg onload=alert(3)>]'
HOSTILE_ARN = "arn:aws:iam::111122223333:user/</td><script>alert(4)</script>\u202e"


class Tags(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(page)
    return parser.tags


@pytest.fixture(scope="module")
def demo() -> Report:
    return scan([DEMO_LOGS], Window(), views=True)


@pytest.fixture
def hostile(log_tree: LogTree) -> Report:
    log_tree.write([cloudtrail_event(arn=HOSTILE_ARN, agent=HOSTILE_AGENT, signature="SigV2", bucket_name="b")])
    return scan([log_tree.root], Window(), views=True)


def test_page_loads_nothing_and_runs_no_script(demo: Report) -> None:
    # GIVEN the demo report's page
    page = report_html.render(demo)
    # WHEN its tags are read
    tags = tags_of(page)
    # THEN it has no script, no external reference, and a policy that forbids both
    names = {tag for tag, _attrs in tags}
    assert not names & {"script", "link", "img", "iframe", "object", "embed"}
    assert not [attrs for _tag, attrs in tags if any(attrs.get(a) for a in ("src", "href"))]
    (policy,) = [a["content"] for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert policy is not None and policy.startswith("default-src 'none'")


def test_hostile_agent_and_arn_stay_text(hostile: Report) -> None:
    # GIVEN a finding whose agent and ARN carry markup, script and a bidirectional override
    page = report_html.render(hostile)
    # WHEN the page's tags and attributes are read
    tags = tags_of(page)
    # THEN none of it became a tag or an event handler, and the text shows escaped
    assert "script" not in {tag for tag, _ in tags} and "img" not in {tag for tag, _ in tags}
    assert not [name for _tag, attrs in tags for name in attrs if name.startswith("on")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "\u202e" not in page and "\\u202e" in page


def test_html_format_writes_the_page(tmp_path: Path) -> None:
    # GIVEN the demo logs
    target = tmp_path / "report.html"
    # WHEN they are scanned with --format html --output
    code = main(["scan", str(DEMO_LOGS), "--format", "html", "--output", str(target)])
    # THEN the page is written, naming each finding's principal
    assert code == EXIT_OK
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    for finding in scan([DEMO_LOGS], Window(), views=True).findings:
        assert finding.principal_arn in page


def test_page_in_chromium_loads_without_errors_with_one_series_per_client(demo: Report, tmp_path: Path) -> None:
    # GIVEN the demo report's page on disk, and the clients with daily counts
    path = tmp_path / "report.html"
    path.write_text(report_html.render(demo), encoding="utf-8")
    clients = len(trend(demo.findings, demo.daily).series)

    # WHEN headless Chromium loads it
    with visit(path) as seen:
        legend = seen.page.locator(".legend [data-series]").count()
        drawn = seen.page.evaluate(
            "[...new Set([...document.querySelectorAll('svg.panel g[data-series]')].map(g => g.dataset.series))].length"
        )
        panels = seen.page.locator("svg.panel").count()
        rows = seen.page.locator("table.findings tbody tr").count()
        seen.page.screenshot(path=str(tmp_path / "report.png"), full_page=True)

    # THEN nothing went wrong, and it asked for nothing but the page itself
    assert seen.errors == []
    assert seen.requests == [path.resolve().as_uri()]
    # AND the chart has three panels, one series per client in the legend and in the lines, and a row per finding
    assert clients == 6
    assert (panels, legend, drawn, rows) == (3, clients, clients, len(demo.findings))
    # AND a screenshot was taken
    assert (tmp_path / "report.png").read_bytes().startswith(b"\x89PNG")


def test_hostile_values_run_nothing_in_chromium(hostile: Report, tmp_path: Path) -> None:
    # GIVEN the page of a finding whose agent tries to run script
    path = tmp_path / "hostile.html"
    path.write_text(report_html.render(hostile), encoding="utf-8")

    # WHEN Chromium loads it
    with visit(path) as seen:
        scripts = seen.page.locator("script").count()
        shown = seen.page.locator("table.findings .agent").first.inner_text()

    # THEN no script exists or ran, and the agent reads as the text it is
    assert (scripts, seen.dialogs, seen.errors) == (0, [], [])
    assert shown == HOSTILE_AGENT


def test_a_huge_report_lists_the_most_urgent_thousand_and_says_how_many_more(
    detection_row: Callable[..., dict[str, str | None]],
) -> None:
    # GIVEN a report of 1,500 findings
    findings = [Finding.from_row(detection_row(n)) for n in range(1500)]
    report = Report(window=Window(), findings=findings)
    # WHEN its page is rendered
    page = report_html.render(report)
    # THEN the first 1,000 are rows and the page says 500 more are in the full report
    rows = [
        tag for tag, _attrs in tags_of(page.split("<table class='findings'>")[1].split("</table>")[0]) if tag == "tr"
    ]
    assert len(rows) == report_html.MAX_ROWS + 1
    assert "…and 500 more in report.json and report.csv." in page


def test_a_client_found_in_both_sources_logs_is_one_series(detection_row: Callable[..., dict[str, str | None]]) -> None:
    # GIVEN one client found in the CloudTrail and in the access logs, with daily counts on two days
    row = detection_row(1)
    findings = [replace(Finding.from_row(row), log_source=source) for source in ("cloudtrail", "access_logs")]
    daily = [
        DailyCount(day, str(row["principal_arn"]), row["source_ip"], str(row["user_agent"]), 3, 0, 3)
        for day in ("2026-11-20", "2026-11-22")
    ]
    # WHEN the trend is drawn from them
    drawn = trend(findings, daily)
    # THEN it has one series, over every day from the first to the last, the day between at 0
    assert len(drawn.series) == 1
    assert drawn.days == ["2026-11-20", "2026-11-21", "2026-11-22"]
    assert drawn.series[0].values["sigv2_requests"] == [3, 0, 3]
