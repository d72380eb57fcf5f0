"""`python -m detector scan PATH...`: the detection query over downloaded CloudTrail logs, no AWS account needed."""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from detector.aws.trace import ec2_clients, trace_sources
from detector.core import reasons
from detector.core.findings import Report
from detector.core.window import Window, WindowError
from detector.local import cost
from detector.local.discovery import UsageError
from detector.local.report_options import (
    FORMATS,
    add_report_options,
    compared,
    needs_views,
    read_baseline,
    write_view,
)
from detector.local.scan import scan

EXIT_OK = 0
EXIT_USAGE = 2
REPORT_WIDTH = 180
"""Columns of the table when it goes to a file or a pipe, where there is no terminal to measure."""


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD, e.g. 2026-11-20") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m detector",
        description="Find S3 clients that sign with SigV2, run outdated SDKs or use TLS 1.0/1.1.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    scan_parser = commands.add_parser(
        "scan",
        help="scan downloaded CloudTrail log files",
        description="Scan CloudTrail log files (an AWSLogs/... tree or any folder of *.json.gz / *.json).",
        epilog="reasons a finding can have:\n" + "\n".join(f"  {r.name:<13} {r.meaning}" for r in reasons.BY_RANK),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scan_parser.add_argument("paths", nargs="+", metavar="PATH", help="log tree, folder or file")
    scan_parser.add_argument("--since", type=iso_date, help="first day to scan, YYYY-MM-DD (UTC)")
    scan_parser.add_argument("--until", type=iso_date, help="last day to scan, YYYY-MM-DD (UTC), included")
    scan_parser.add_argument("--format", choices=FORMATS, default="table")
    add_report_options(scan_parser)
    scan_parser.add_argument("--output", type=Path, help="write the report here instead of standard output")
    scan_parser.add_argument(
        "--trace",
        action="store_true",
        help="name the instance, interface, role session or user behind each finding "
        "(calls EC2 with your AWS credentials; needs ec2:DescribeNetworkInterfaces and ec2:DescribeInstances)",
    )
    cost_parser = commands.add_parser(
        "cost",
        help="estimate the deployed detector's monthly cost",
        description="A monthly estimate at list prices; every price, its source and date are in detector/cost.py.",
        epilog="sources: " + ", ".join(sorted({price.source for price in cost.PRICES})),
    )
    cost_parser.add_argument("--events-per-day", type=float, required=True, help="S3 data events a day")
    cost_parser.add_argument("--days", type=int, default=90, help="days of logs kept (logRetentionDays)")
    cost_parser.add_argument("--runs-per-day", type=float, default=1, help="scheduled runs a day")
    cost_parser.add_argument("--window-days", type=int, default=1, help="days each run scans (windowDays)")
    cost_parser.add_argument("--regions", type=int, default=1, help="regions the events come from")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "cost":
        return run_cost(args, parser)
    errors = Console(stderr=True)
    try:
        previous = read_baseline(args.baseline)
        window = Window(args.since, args.until)
        report = run_scan(args.paths, window, errors, views=needs_views(args.format, args.by))
    except (UsageError, WindowError) as error:
        errors.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        return EXIT_USAGE
    for skipped in report.files_skipped:
        errors.print(f"[yellow]skipped[/] {skipped.path}: {skipped.error}", highlight=False, soft_wrap=True)
    if not report.files_scanned and not report.files_skipped:
        span = window.to_dict()
        errors.print(
            f"[yellow]note:[/] no log file is dated inside the window {span['since'] or 'start'} .. "
            f"{span['until'] or 'end'}; files dated outside it are not opened",
            highlight=False,
            soft_wrap=True,
        )
    if args.trace:
        report.findings = trace_sources(report.findings, ec2_clients())
    report = compared(report, previous)
    if not write_view(report, args.format, args.by, args.output, REPORT_WIDTH):
        write_report(report, args.format, args.output)
    return EXIT_OK


def run_cost(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        usage = cost.Usage(
            events_per_day=args.events_per_day,
            days=args.days,
            runs_per_day=args.runs_per_day,
            window_days=args.window_days,
            regions=args.regions,
        )
    except ValueError as error:
        parser.error(str(error))
    cost.print_estimate(usage, Console())
    return EXIT_OK


def run_scan(paths: Sequence[str], window: Window, console: Console, *, views: bool = False) -> Report:
    """The scan with a progress bar on a terminal."""
    with Progress(
        TextColumn("scanning"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("scan", total=None)
        return scan(
            paths,
            window,
            on_files=lambda total: progress.update(task, total=total),
            on_progress=lambda done: progress.advance(task, done),
            views=views,
        )


def write_report(report: Report, format_: str, output: Path | None) -> None:
    if format_ == "json":
        text = report.to_json()
    elif format_ == "csv":
        text = report.to_csv()
    else:
        console = Console(
            file=sys.stdout if output is None else io.StringIO(),
            record=output is not None,
            width=None if output is None and sys.stdout.isatty() else REPORT_WIDTH,
        )
        print_table(report, console)
        if output is None:
            return
        text = console.export_text()
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def print_table(report: Report, console: Console) -> None:
    """A summary line, then one row per finding with its reasons and what to change."""
    window = report.window.to_dict()
    span = f"{window['since'] or 'start'} .. {window['until'] or 'end'}"
    counts = ", ".join(f"{count} {reason}" for reason, count in report.counts_by_reason().items() if count)
    console.print(
        f"Scanned {report.files_scanned} files, {report.events_scanned} events ({span}); "
        f"{len(report.files_skipped)} files skipped. "
        f"{len(report.findings)} findings" + (f": {counts}." if counts else ".")
    )
    if not report.findings:
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Requests", justify="right", no_wrap=True)
    table.add_column("Reasons", max_width=18)
    table.add_column("Of which", max_width=16)
    table.add_column("Principal", overflow="fold", max_width=60)
    traced = any(finding.source for finding in report.findings)
    if traced:
        table.add_column("Source (traced)", max_width=34, overflow="fold")
    else:
        table.add_column("Source IP", no_wrap=True)
    table.add_column("Client", max_width=28, overflow="fold")
    table.add_column("What to change", min_width=40, overflow="fold")
    for finding in report.findings:
        if finding.client:
            client = f"{finding.client} {finding.client_version or ''}".strip()
        else:
            client = finding.user_agent.strip("[]") or "(no user agent)"
        table.add_row(
            str(finding.requests),
            " ".join(finding.reasons),
            finding.of_which(),
            Text(finding.principal_arn),
            Text(finding.source or "") if traced else finding.source_ip or "",
            Text(client),
            Text(finding.hint()),
        )
    console.print(table)
