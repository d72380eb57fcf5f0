"""`python -m bench [--events N]`: the local scan against bare decompression, a hand-written loop and jq.

Every measurement runs in this one process, interleaved, the median of the rounds printed: the machine
is noisy, so the ratios (`scan_vs_floor`, `speedup_vs_python`) are the results and the seconds context.
Progress goes to standard error, one `name: value` line per result to standard output.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import baselines
from bench.data import DATA_DIR, START, WINDOW_DAYS, ensure, log_files, trees
from detector.core.window import Window
from detector.local.discovery import find_log_files

REPO = Path(__file__).resolve().parent.parent
WINDOW_DAY = START + timedelta(days=WINDOW_DAYS // 2)


class Scan:
    """`python -m detector scan` in a subprocess: its wall time, its report and the peak RSS of that process alone."""

    def __init__(self, output: Path, *args: str) -> None:
        self.command = [sys.executable, "-m", "detector", "scan", *args, "--format", "json", "--output", str(output)]
        self.output = output
        self.peak_rss_kb = 0
        self.report: dict[str, Any] = {}

    def __call__(self) -> None:
        process = subprocess.Popen(self.command, cwd=REPO, stderr=subprocess.PIPE)
        errors = process.stderr.read() if process.stderr else b""
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            raise RuntimeError(f"{' '.join(self.command)} failed: {errors.decode(errors='replace')}")
        self.peak_rss_kb = max(self.peak_rss_kb, usage.ru_maxrss)
        self.report = json.loads(self.output.read_text())


def holds_events_of(path: Path, day: str) -> bool:
    with gzip.open(path, "rb") as file:
        return any(record["eventTime"].startswith(day) for record in json.load(file)["Records"])


def same_findings(report: dict[str, Any], handwritten: Counter[tuple[str, str, str]]) -> bool:
    """The scan and the hand-written loop found the same principals, addresses and request counts."""
    scanned = sorted((f["principal_arn"], f["source_ip"] or "", f["requests"]) for f in report["findings"])
    return scanned == sorted((arn, ip, requests) for (arn, ip, _agent), requests in handwritten.items())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000, help="events in each generated tree")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each measurement; the median is printed")
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="where the generated trees are kept")
    args = parser.parse_args(argv)

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    started = time.perf_counter()
    scan_root, window_root = (ensure(tree, args.data) for tree in trees(args.events))
    say(f"trees ready in {time.perf_counter() - started:.1f} s under {scan_root.parent}")
    files = log_files(scan_root)
    window = Window(WINDOW_DAY, WINDOW_DAY)
    opened, _pruned = find_log_files([window_root], window)
    needed = [f for f in opened if holds_events_of(Path(f.path), WINDOW_DAY.isoformat())]

    with tempfile.TemporaryDirectory() as temp:
        scan = Scan(Path(temp) / "scan.json", str(scan_root))
        day = WINDOW_DAY.isoformat()
        window_scan = Scan(Path(temp) / "window.json", str(window_root), "--since", day, "--until", day)
        handwritten: Counter[tuple[str, str, str]] = Counter()

        def python() -> None:
            handwritten.clear()
            handwritten.update(baselines.handwritten(files))

        measurements: dict[str, Callable[[], object]] = {
            "floor": lambda: baselines.floor(files),
            "scan": scan,
            "python": python,
            "window": window_scan,
        }
        if baselines.jq_available():
            measurements["jq"] = lambda: baselines.jq(files)
        seconds: dict[str, list[float]] = {name: [] for name in measurements}
        for round_ in range(1, args.rounds + 1):
            for name, action in measurements.items():
                began = time.perf_counter()
                action()
                seconds[name].append(time.perf_counter() - began)
            say(f"round {round_}/{args.rounds}: " + ", ".join(f"{n} {s[-1]:.2f} s" for n, s in seconds.items()))

    if window_scan.report["files_scanned"] != len(opened):
        raise RuntimeError(f"the window scan read {window_scan.report['files_scanned']} files, not {len(opened)}")
    median = {name: statistics.median(values) for name, values in seconds.items()}
    results: dict[str, object] = {
        "events": scan.report["events_scanned"],
        "files": len(files),
        "scan_seconds": median["scan"],
        "floor_seconds": median["floor"],
        "python_seconds": median["python"],
        "jq_seconds": median.get("jq", "n/a"),
        "scan_vs_floor": median["scan"] / median["floor"],
        "speedup_vs_python": median["python"] / median["scan"],
        "window_bytes_ratio": sum(f.size for f in opened) / sum(f.size for f in needed),
        "window_seconds": median["window"],
        "window_vs_scan": median["window"] / median["scan"],
        "peak_rss_mb": scan.peak_rss_kb / 1024,
        "findings_agree": same_findings(scan.report, handwritten),
    }
    for name, value in results.items():
        print(f"{name}: {value:.2f}" if isinstance(value, float) else f"{name}: {value}")
    print(
        "# floor: the same files inflated with zlib, one process per core, nothing kept; "
        "python: gzip + json + the same rules, one process; jq: zcat | jq with the SigV2 filter"
    )
    print(
        f"# window: a one-day scan ({WINDOW_DAY}) of {WINDOW_DAYS} days of the same number of events; "
        f"window_bytes_ratio = bytes of the {len(opened)} files it opens / bytes of the {len(needed)} files "
        "holding that day's events. It opens the next day too, where CloudTrail can deliver the day's last "
        "events (detector.window.DELIVERY_LAG, one day), so a one-day window reads about two days."
    )


if __name__ == "__main__":
    main()
