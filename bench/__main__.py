"""`python -m bench [--events N]`: the local scan against bare decompression, a hand-written loop and jq; the cached
scan; the S3 scan against `aws s3 sync` plus a local scan, both from a local S3 server; the scan of the same requests
as S3 server access logs, against the CloudTrail scan.

Every measurement runs in this one process, interleaved, the median of the rounds printed: the machine
is noisy, so the ratios (`scan_vs_floor`, `cached_vs_floor`, `s3_vs_sync`, ...) are the results and the seconds context.
Progress goes to standard error, one `name: value` line per result to standard output.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import baselines
from bench.data import DATA_DIR, START, WINDOW_DAYS, ensure, log_files, trees
from bench.s3 import BUCKET, s3_server, sync, upload
from detector.core.window import Window
from detector.local.discovery import LogFile, find_log_files

REPO = Path(__file__).resolve().parent.parent
WINDOW_DAY = START + timedelta(days=WINDOW_DAYS // 2)


class Scan:
    """`python -m detector scan` in a subprocess: its wall time, its report and the peak RSS of that process alone."""

    def __init__(self, output: Path, *args: str, environment: dict[str, str] | None = None) -> None:
        self.command = [sys.executable, "-m", "detector", "scan", *args, "--format", "json", "--output", str(output)]
        self.output = output
        self.environment = {**os.environ, **(environment or {})}
        self.peak_rss_kb = 0
        self.report: dict[str, Any] = {}

    def __call__(self) -> None:
        process = subprocess.Popen(self.command, cwd=REPO, stderr=subprocess.PIPE, env=self.environment)
        errors = process.stderr.read() if process.stderr else b""
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            raise RuntimeError(f"{' '.join(self.command)} failed: {errors.decode(errors='replace')}")
        self.peak_rss_kb = max(self.peak_rss_kb, usage.ru_maxrss)
        self.report = json.loads(self.output.read_text())


def findings_of(report: dict[str, Any]) -> list[Any]:
    return sorted(json.dumps(finding, sort_keys=True) for finding in report["findings"])


def delivered_bytes(files: list[LogFile], day: date) -> int:
    return sum(f.size for f in files if f.log_date == day)


def same_findings(report: dict[str, Any], handwritten: Counter[tuple[str, str, str]]) -> bool:
    """The scan and the hand-written loop found the same principals, addresses and request counts."""
    scanned = sorted((f["principal_arn"], f["source_ip"] or "", f["requests"]) for f in report["findings"])
    return scanned == sorted((arn, ip, requests) for (arn, ip, _agent), requests in handwritten.items())


def verdicts(report: dict[str, Any]) -> list[tuple[str, str, int, list[str]]]:
    """Each finding's principal, address, requests and reasons: what either log must agree on."""
    return sorted((f["principal_arn"], f["source_ip"] or "", f["requests"], f["reasons"]) for f in report["findings"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000, help="events in each generated tree")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each measurement; the median is printed")
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="where the generated trees are kept")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    scan_root, window_root, access_root = (ensure(tree, args.data) for tree in trees(args.events))
    say(f"trees ready in {time.perf_counter() - started:.1f} s under {scan_root.parent}")
    with tempfile.TemporaryDirectory() as temp, s3_server() as environment:
        say(f"{upload(scan_root / 'AWSLogs', environment) / 1e6:.0f} MB uploaded to the local S3 server")
        results = measure(args.rounds, Roots(scan_root, window_root, access_root), Path(temp), environment)
    for name, value in results.items():
        print(f"{name}: {value:.2f}" if isinstance(value, float) else f"{name}: {value}")
    print(
        "# floor: the same files inflated with zlib, one process per core, nothing kept; "
        "python: gzip + json + the same rules, one process; jq: zcat | jq with the SigV2 filter; "
        "cached: a second scan with --cache; s3: scan s3://... of the same files from a local S3 server; "
        "sync: aws s3 sync of them from that server, then a local scan; access: a scan of the scan tree's requests "
        "as S3 server access logs (partitioned layout, plain text as S3 delivers them)"
    )
    print(
        f"# window: a one-day --since/--until scan ({WINDOW_DAY}, by event time, so it opens the next day too) of "
        f"{WINDOW_DAYS} days of the same number of events; window_bytes_ratio = bytes of the files the scheduled "
        "run of that day reads / bytes of the files delivered that day"
    )
    print(f"# total_seconds: {time.perf_counter() - started:.0f}")


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Roots:
    scan: Path
    window: Path
    access: Path


def measure(rounds: int, roots: Roots, temp: Path, environment: dict[str, str]) -> dict[str, object]:
    """Every measurement, interleaved round by round; the medians and the checks."""
    files = log_files(roots.scan)
    day = WINDOW_DAY.isoformat()
    scans = {
        "scan": Scan(temp / "scan.json", str(roots.scan)),
        "cached": Scan(temp / "cached.json", str(roots.scan), "--cache", str(temp / "cache")),
        "window": Scan(temp / "window.json", str(roots.window), "--since", day, "--until", day),
        "s3": Scan(temp / "s3.json", f"s3://{BUCKET}/AWSLogs/", environment=environment),
        "synced": Scan(temp / "synced.json", str(temp / "synced")),
        "access": Scan(temp / "access.json", str(roots.access)),
    }
    scans["cached"]()  # fills the cache: the rounds measure the second scan
    handwritten: Counter[tuple[str, str, str]] = Counter()

    def python() -> None:
        handwritten.clear()
        handwritten.update(baselines.handwritten(files))

    def sync_then_scan() -> None:
        sync(temp / "synced", environment)
        scans["synced"]()

    measurements: dict[str, Callable[[], object]] = {
        "floor": lambda: baselines.floor(files),
        **{name: scans[name] for name in ("scan", "cached", "window", "s3", "access")},
        "sync": sync_then_scan,
        "python": python,
    }
    if baselines.jq_available():
        measurements["jq"] = lambda: baselines.jq(files)
    seconds: dict[str, list[float]] = {name: [] for name in measurements}
    for round_ in range(1, rounds + 1):
        for name, action in measurements.items():
            began = time.perf_counter()
            action()
            seconds[name].append(time.perf_counter() - began)
        say(f"round {round_}/{rounds}: " + ", ".join(f"{n} {s[-1]:.2f} s" for n, s in seconds.items()))
    median = {name: statistics.median(values) for name, values in seconds.items()}
    return {**results_of(median, scans, handwritten, roots.window), **access_results(median, scans)}


def results_of(
    median: dict[str, float], scans: dict[str, Scan], handwritten: Counter[tuple[str, str, str]], window_root: Path
) -> dict[str, object]:
    scheduled = Window.last_days(datetime.combine(WINDOW_DAY + timedelta(days=1), datetime.min.time(), UTC), 1)
    read, _pruned = find_log_files([window_root], scheduled)
    everything, _none = find_log_files([window_root], Window())
    reference = findings_of(scans["scan"].report)
    return {
        "events": scans["scan"].report["events_scanned"],
        "files": scans["scan"].report["files_scanned"],
        "scan_seconds": median["scan"],
        "floor_seconds": median["floor"],
        "python_seconds": median["python"],
        "jq_seconds": median.get("jq", "n/a"),
        "cached_seconds": median["cached"],
        "s3_seconds": median["s3"],
        "sync_seconds": median["sync"],
        "scan_vs_floor": median["scan"] / median["floor"],
        "cached_vs_floor": median["cached"] / median["floor"],
        "s3_vs_sync": median["s3"] / median["sync"],
        "speedup_vs_python": median["python"] / median["scan"],
        "window_bytes_ratio": sum(f.size for f in read) / delivered_bytes(everything, WINDOW_DAY),
        "window_seconds": median["window"],
        "window_vs_scan": median["window"] / median["scan"],
        "peak_rss_mb": scans["scan"].peak_rss_kb / 1024,
        "findings_agree": same_findings(scans["scan"].report, handwritten),
        "cached_s3_synced_agree": all(findings_of(scans[n].report) == reference for n in ("cached", "s3", "synced")),
    }


def access_results(median: dict[str, float], scans: dict[str, Scan]) -> dict[str, object]:
    """The access-log scan of the same requests: its speed, and that it finds what the CloudTrail scan finds."""
    access = scans["access"]
    return {
        "access_records": access.report["events_scanned"],
        "access_files": access.report["files_scanned"],
        "access_seconds": median["access"],
        "access_vs_scan": median["access"] / median["scan"],
        "access_peak_rss_mb": access.peak_rss_kb / 1024,
        "access_findings_agree": verdicts(access.report) == verdicts(scans["scan"].report),
    }


if __name__ == "__main__":
    main()
