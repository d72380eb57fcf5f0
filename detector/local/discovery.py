"""Which log files a local scan opens: every log file under the given paths whose path date the window can use.

In a folder, a log file is named as its source names it: CloudTrail's `*.json.gz` / `*.json`, an S3 server access
log's `[prefix]YYYY-MM-DD-hh-mm-ss-UNIQUE` (no suffix, or `.gz` when gzipped after download); a file named on the
command line is opened whatever its name. Files are pruned by the date in their path (CloudTrail's `AWSLogs/...` day
folder, an access log's day folder or delivery time in either key layout) before anything is opened. Folders are
walked following symbolic links, each real folder once (a link back up the tree is no loop); a folder that cannot be
listed and a link that leads nowhere are reported as skipped with their path, never silently left out.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from detector.core.findings import SkippedFile
from detector.core.window import Window
from detector.local.source import cannot_open
from detector.sources import access_logs, cloudtrail

LOG_SUFFIXES = (".json.gz", ".json")
"""CloudTrail's log files."""
GZIPPED = ".gz"
S3_SCHEME = "s3://"
BROKEN_LINK = "a symbolic link to nothing: its target is missing"


class UsageError(ValueError):
    """A problem with what the user asked for, not with the logs."""


def is_log_name(name: str) -> bool:
    """Whether a file of this name (or key) is one a source writes: what a folder walk or a listing opens."""
    return name.endswith(LOG_SUFFIXES) or access_logs.SIMPLE_KEY.search(name.removesuffix(GZIPPED)) is not None


@dataclass(frozen=True)
class PathLocation:
    """What a log file's path (or key) says: always the day, the account and region where the layout has them."""

    log_date: date
    account: str | None = None
    region: str | None = None


def path_location(path: str) -> PathLocation | None:
    """The day (and account and region) in a CloudTrail or access-log path, or None in neither layout."""
    trail = cloudtrail.parse_log_path(path)
    if trail is not None:
        return PathLocation(trail.log_date, trail.account, trail.region)
    logs = access_logs.parse_log_path(path)
    return None if logs is None else PathLocation(logs.log_date, logs.account, logs.region)


@dataclass(frozen=True)
class LogFile:
    path: str
    account: str | None
    region: str | None
    log_date: date | None
    size: int


@dataclass
class Discovery:
    """The files to open, how many the window pruned, and what could not be looked into."""

    files: list[LogFile] = field(default_factory=list)
    pruned: int = 0
    skipped: list[SkippedFile] = field(default_factory=list)


def discover(paths: Sequence[str | os.PathLike[str]], window: Window) -> Discovery:
    """The log files under `paths` whose path date can hold events of the window, with what was skipped."""
    found = Discovery()
    candidates: list[Path] = []
    for raw in paths:
        candidates.extend(_candidates(Path(raw), found.skipped))
    for path in dict.fromkeys(p.resolve() for p in candidates):
        location = path_location(str(path))
        if location and not window.includes_log_date(location.log_date):
            found.pruned += 1
            continue
        try:
            size = path.stat().st_size
        except OSError as error:
            found.skipped.append(SkippedFile(str(path), cannot_open("file", error)))
            continue
        found.files.append(
            LogFile(
                path=str(path),
                account=location.account if location else None,
                region=location.region if location else None,
                log_date=location.log_date if location else None,
                size=size,
            )
        )
    return found


def find_log_files(paths: Sequence[str | os.PathLike[str]], window: Window) -> tuple[list[LogFile], int]:
    """`discover`'s files and pruned count, for callers that report nothing they skipped."""
    found = discover(paths, window)
    return found.files, found.pruned


def _candidates(path: Path, skipped: list[SkippedFile]) -> list[Path]:
    """The file given, or the log files under the folder given; raises UsageError for a path with neither."""
    if path.is_dir():
        before = len(skipped)
        found: list[Path] = []
        _walk(path, set(), found, skipped)
        if not found and len(skipped) == before:
            raise UsageError(
                f"{path}: no log files in this folder (CloudTrail *.json.gz or *.json, or S3 server access logs "
                "named YYYY-MM-DD-hh-mm-ss-UNIQUE); point at a downloaded log tree, "
                "e.g. aws s3 sync s3://BUCKET/AWSLogs ./AWSLogs, or name the files to read"
            )
        return found
    if path.is_file():
        return [path]
    if path.is_symlink():
        skipped.append(SkippedFile(str(path), BROKEN_LINK))
        return []
    raise UsageError(f"{path}: no such file or folder")


def _walk(folder: Path, seen: set[tuple[int, int]], found: list[Path], skipped: list[SkippedFile]) -> None:
    """Appends the log files under `folder`, each real folder visited once, in name order."""
    try:
        status = folder.stat()
        if (status.st_dev, status.st_ino) in seen:
            return
        seen.add((status.st_dev, status.st_ino))
        entries = sorted(folder.iterdir())
    except OSError as error:
        skipped.append(SkippedFile(str(folder), cannot_open("folder", error)))
        return
    for entry in entries:
        if entry.name == cloudtrail.DIGESTS:
            continue
        if entry.is_dir():
            _walk(entry, seen, found, skipped)
        elif is_log_name(entry.name):
            if entry.is_file():
                found.append(entry)
            elif entry.is_symlink() and not entry.exists():
                skipped.append(SkippedFile(str(entry), BROKEN_LINK))
