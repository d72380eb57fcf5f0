"""`s3-legacy-clients scan PATH...` (or `python -m detector scan`): the detection query over downloaded CloudTrail
logs or S3 server access logs, no AWS account needed."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from detector import __version__
from detector.core import reasons
from detector.core.config import SOURCE_CHOICES
from detector.core.findings import Finding, Report
from detector.core.text import one_line
from detector.core.window import Window, WindowError
from detector.local import buckets, cost, terminal
from detector.local.discovery import S3_SCHEME, UsageError
from detector.local.exit_status import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, FAIL_ON_CHOICES, epilog, fails
from detector.local.report_options import (
    FORMATS,
    add_report_options,
    compared,
    needs_views,
    read_baseline,
    write_view,
)
from detector.local.scan import scan

if TYPE_CHECKING:
    import boto3

__all__ = ["EXIT_FINDINGS", "EXIT_OK", "EXIT_USAGE", "main"]

PROG = "s3-legacy-clients"
SCAN_SOURCES = ("cloudtrail", "access-logs")
"""What `scan --source` forces: one log read, as `SOURCE_CHOICES` names them (without one, each file's content
decides)."""


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD, e.g. 2026-11-20") from None


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Find S3 clients that sign with SigV2, run outdated SDKs or use TLS 1.0/1.1.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    add_scan_parser(commands)
    cost_parser = commands.add_parser(
        "cost",
        help="estimate the deployed detector's monthly cost",
        description="A monthly estimate at list prices; every price, its source and date are in "
        "detector/local/cost.py.",
        epilog="sources: " + ", ".join(sorted({price.source for price in cost.PRICES})),
    )
    cost_parser.add_argument(
        "--events-per-day", type=float, required=True, help="S3 requests a day (data events, or access-log records)"
    )
    cost_parser.add_argument("--source", choices=cost.SOURCES, default=cost.CLOUDTRAIL, help="the logs read")
    cost_parser.add_argument(
        "--records-per-log-object",
        type=float,
        default=cost.RECORDS_PER_LOG_OBJECT,
        help="access-log records S3 delivers in one object (Athena GETs each object)",
    )
    cost_parser.add_argument("--days", type=int, default=90, help="days of logs kept (logRetentionDays)")
    cost_parser.add_argument("--runs-per-day", type=float, default=1, help="scheduled runs a day")
    cost_parser.add_argument("--window-days", type=int, default=1, help="days each run scans (windowDays)")
    cost_parser.add_argument("--regions", type=int, default=1, help="regions the events come from")
    buckets.add_parser(commands)
    return parser


def add_scan_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scan_parser = commands.add_parser(
        "scan",
        help="scan downloaded CloudTrail logs or S3 server access logs",
        description="Scan CloudTrail log files (an AWSLogs/... tree or any folder of *.json.gz / *.json) and S3 server "
        "access logs (either key layout), each file read as the log its content is.",
        epilog="reasons a finding can have:\n"
        + "\n".join(f"  {r.name:<13} {r.meaning}" for r in reasons.BY_RANK)
        + "\n\n"
        + epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_input_options(scan_parser)
    scan_parser.add_argument(
        "--since",
        type=iso_date,
        help="first day of events to report, YYYY-MM-DD (UTC); by event time, whatever day the file was delivered",
    )
    scan_parser.add_argument(
        "--until",
        type=iso_date,
        help="last day of events to report, YYYY-MM-DD (UTC), included; by event time, so the files delivered "
        "the day after are read too",
    )
    scan_parser.add_argument("--format", choices=FORMATS, default="table")
    add_report_options(scan_parser)
    scan_parser.add_argument(
        "--cache",
        type=Path,
        metavar="DIR",
        help="keep each log file's events here as Parquet; the next scan reads them instead of the files "
        "(a file that changed is read again)",
    )
    scan_parser.add_argument(
        "--profile", help="AWS profile for s3:// paths and --trace (default: the usual credential chain)"
    )
    scan_parser.add_argument("--region", help="AWS region for s3:// paths and --trace")
    scan_parser.add_argument("--output", type=Path, help="write the report here instead of standard output")
    scan_parser.add_argument(
        "--trace",
        action="store_true",
        help="name the instance, interface, role session or user behind each finding "
        "(calls EC2 with your AWS credentials, checked before scanning; needs ec2:DescribeNetworkInterfaces and "
        "ec2:DescribeInstances)",
    )
    add_pipeline_options(scan_parser)


def add_input_options(scan_parser: argparse.ArgumentParser) -> None:
    """What to read, and as which log."""
    scan_parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="log tree, folder or file, or s3://BUCKET/PREFIX of the logs"
    )
    scan_parser.add_argument(
        "--source",
        choices=SCAN_SOURCES,
        help="read every file as this log (default: each file as the log its content is, CloudTrail JSON or "
        "access-log lines)",
    )


def add_pipeline_options(scan_parser: argparse.ArgumentParser) -> None:
    """What a script or CI job needs: an exit status for the reasons it cares about, and the findings alone."""
    scan_parser.add_argument(
        "--fail-on",
        action="append",
        choices=FAIL_ON_CHOICES,
        metavar="REASON",
        help=f"exit {EXIT_FINDINGS} when a finding has this reason ({', '.join(FAIL_ON_CHOICES)}: any reason); "
        "repeat for several. For CI pipelines",
    )
    scan_parser.add_argument(
        "--quiet", action="store_true", help="the findings only: no progress, no summary line, no notes"
    )


def main(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.command == "cost":
        return run_cost(args, parser)
    if args.command == "buckets":
        return buckets.run(args)
    errors = terminal.console(stderr=True)
    try:
        check_output(args.output)
        previous = read_baseline(args.baseline)
        window = Window(args.since, args.until)
        session = traced_session(args) if args.trace else None
        report = run_scan(args, window, errors)
    except (UsageError, WindowError) as error:
        say(errors, "error:", "bold red", str(error))
        return EXIT_USAGE
    for skipped in report.files_skipped:
        say(errors, "skipped", "yellow", f"{skipped.path}: {skipped.error}")
    for lines in report.lines_skipped:
        shown = "; ".join(lines.examples)
        say(errors, "skipped", "yellow", f"{lines.lines} line(s) of {lines.path}: not log records ({shown})")
    if not report.files_scanned and not report.files_skipped and not args.quiet:
        span = window.to_dict()
        say(
            errors,
            "note:",
            "yellow",
            f"no log file is dated inside the window {span['since'] or 'start'} .. {span['until'] or 'end'}; "
            "files dated outside it are not opened",
        )
    if session is not None:
        from detector.aws.trace import ec2_clients, trace_sources  # noqa: PLC0415 - boto3 only when asked for

        report.findings = trace_sources(report.findings, ec2_clients(session))
    report = compared(report, previous)
    if not write_view(report, args.format, args.by, args.output):
        write_report(report, args.format, args.output, quiet=args.quiet)
    return EXIT_FINDINGS if fails(report, args.fail_on) else EXIT_OK


def say(console: Console, label: str, style: str, message: str) -> None:
    """A styled label, then the message as plain text: paths and values never become markup or control codes."""
    console.print(Text.assemble((label, style), " ", one_line(message)), highlight=False, soft_wrap=True)


def check_output(output: Path | None) -> None:
    """Refuses, before any scanning, an --output the report could not be written to."""
    if output is None:
        return
    if output.is_dir():
        raise UsageError(f"--output {output} is a folder; give the path of a file to write, e.g. {output / 'report'}")
    if not output.parent.is_dir():
        raise UsageError(f"--output {output}: the folder {output.parent} does not exist; create it first")


def run_cost(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        usage = cost.Usage(
            events_per_day=args.events_per_day,
            days=args.days,
            runs_per_day=args.runs_per_day,
            window_days=args.window_days,
            regions=args.regions,
            source=args.source,
            records_per_log_object=args.records_per_log_object,
        )
    except ValueError as error:
        parser.error(str(error))
    cost.print_estimate(usage, terminal.console())
    return EXIT_OK


def scan_sources(args: argparse.Namespace) -> tuple[str, ...]:
    """The sources `--source` names, or every one."""
    return SOURCE_CHOICES[args.source] if args.source else SOURCE_CHOICES["both"]


def run_scan(args: argparse.Namespace, window: Window, console: Console) -> Report:
    """The scan of local paths or of s3:// prefixes, with a progress bar on a terminal."""
    remote = [path.startswith(S3_SCHEME) for path in args.paths]
    if any(remote) and not all(remote):
        raise UsageError("give either local paths or s3:// prefixes, not both in one scan")
    if any(remote):
        return run_s3_scan(args, window, console)
    with progress_bar(console, MofNCompleteColumn(), TextColumn("files"), quiet=args.quiet) as progress:
        task = progress.add_task("scan", total=None)
        return scan(
            args.paths,
            window,
            on_files=lambda total: progress.update(task, total=total),
            on_progress=lambda done: progress.advance(task, done),
            cache_dir=args.cache,
            views=needs_views(args.format, args.by),
            sources=scan_sources(args),
        )


def traced_session(args: argparse.Namespace) -> boto3.session.Session:
    from detector.local.credentials import usable_session  # noqa: PLC0415 - boto3 only for a traced scan

    return usable_session(args.profile, args.region)


def run_s3_scan(args: argparse.Namespace, window: Window, console: Console) -> Report:
    """The scan of s3:// prefixes, its progress in bytes."""
    from detector.local.s3_scan import s3_client, scan_s3  # noqa: PLC0415 - boto3 only for an S3 scan

    client = s3_client(args.profile, args.region)
    with progress_bar(console, DownloadColumn(), TransferSpeedColumn(), quiet=args.quiet) as progress:
        task = progress.add_task("scan", total=None)
        return scan_s3(
            args.paths,
            window,
            client,
            on_total=lambda total: progress.update(task, total=total),
            on_bytes=lambda done: progress.advance(task, done),
            cache_dir=args.cache,
            views=needs_views(args.format, args.by),
            sources=scan_sources(args),
        )


def progress_bar(console: Console, *columns: ProgressColumn, quiet: bool = False) -> Progress:
    """Drawn on a terminal only, and not with --quiet or NO_COLOR (it moves the cursor with escape codes)."""
    return Progress(
        TextColumn("scanning"),
        BarColumn(),
        *columns,
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet or not console.is_terminal or terminal.no_color(),
    )


def write_report(report: Report, format_: str, output: Path | None, *, quiet: bool = False) -> None:
    """The report on standard output or in `output`. A table on a terminal wraps to its width; in a file or a pipe,
    each value is printed whole on its row."""
    if format_ == "json":
        text = report.to_json()
    elif format_ == "csv":
        text = report.to_csv()
    elif output is None and sys.stdout.isatty():
        print_table(report, terminal.console(), quiet=quiet)
        return
    else:
        text = terminal.plain_text(lambda console: print_table(report, console, quiet=quiet, wrap=False))
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def print_table(report: Report, console: Console, *, quiet: bool = False, wrap: bool = True) -> None:
    """A summary line (not with `quiet`), then one row per finding with its reasons and what to change; without
    `wrap`, every cell on one line; with several logs, each row names the logs whose findings it shows (the same
    finding in both is one row)."""
    if not quiet:
        console.print(summary(report), highlight=False)
    if not report.findings:
        return
    several_logs = len({finding.log_source for finding in report.findings}) > 1
    traced = any(finding.source for finding in report.findings)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Requests", justify="right", no_wrap=True)
    if several_logs:
        table.add_column("Logs", max_width=11)
    table.add_column("Reasons", max_width=18)
    table.add_column("Of which", max_width=16)
    table.add_column("Principal", overflow="fold", max_width=60)
    if traced:
        table.add_column("Source (traced)", max_width=34, overflow="fold")
    else:
        table.add_column("Source IP", no_wrap=True)
    table.add_column("Client", max_width=28, overflow="fold")
    table.add_column("What to change", min_width=40, overflow="fold")
    for cells, logs in table_rows(report.findings, traced):
        logged = [Text(" ".join(sorted(logs)))] if several_logs else []
        table.add_row(cells[0], *logged, *(Text(one_line(cell)) for cell in cells[1:]))
    if not wrap:
        terminal.unwrap(table)
    console.print(table)


def table_rows(findings: Sequence[Finding], traced: bool) -> list[tuple[tuple[str, ...], list[str]]]:
    """Each finding's cells and its log; a finding whose cells are the previous one's joins its row."""
    rows: list[tuple[tuple[str, ...], list[str]]] = []
    for finding in findings:
        if finding.client:
            client = f"{finding.client} {finding.client_version or ''}".strip()
        else:
            client = finding.user_agent.strip("[]") or "(no user agent)"
        source = finding.source if traced else finding.source_ip
        cells: tuple[str, ...] = (str(finding.requests), " ".join(finding.reasons), finding.of_which())
        cells += (finding.principal_arn, source or "", client, finding.hint())
        if rows and rows[-1][0] == cells:
            rows[-1][1].append(finding.log_source or "")
        else:
            rows.append((cells, [finding.log_source or ""]))
    return rows


def summary(report: Report) -> str:
    """What was read and found, over the days the window asked for, or else those its events span; lines not read;
    the findings by reason (and by log, when there are several)."""
    counts = ", ".join(f"{count} {reason}" for reason, count in report.counts_by_reason().items() if count)
    lines = sum(skipped.lines for skipped in report.lines_skipped)
    logs = Counter(finding.log_source for finding in report.findings)
    by_log = f" ({', '.join(f'{count} in {log}' for log, count in logs.items())})" if len(logs) > 1 else ""
    return (
        f"Scanned {report.files_scanned} files, {report.events_scanned} events ({days_read(report)}); "
        f"{len(report.files_skipped)} files skipped"
        + (f", {lines} lines in {len(report.lines_skipped)} files not read" if lines else "")
        + f". {len(report.findings)} findings{by_log}"
        + (f": {counts}." if counts else ".")
    )


def days_read(report: Report) -> str:
    """`2026-11-20 .. 2026-11-23`: each end the window gave, else the day of the first or last event read."""
    window = report.window
    if report.events_seen is None:
        asked = " .. ".join(day.isoformat() if day else "open" for day in (window.since, window.until))
        return "no events" if window.since is None and window.until is None else f"{asked}: no events"
    first, last = (time[:10] for time in report.events_seen)
    return f"{window.since or first} .. {window.until or last}"
