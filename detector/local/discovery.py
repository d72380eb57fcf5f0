"""Which log files a local scan opens: every log file under the given paths whose path date the window can use.

Files are pruned by the date in their path before anything is opened. Folders are walked following symbolic links,
each real folder once (a link back up the tree is no loop); a folder that cannot be listed and a link that leads
nowhere are reported as skipped with their path, never silently left out.
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
from detector.sources import cloudtrail

LOG_SUFFIXES = (".json.gz", ".json")
S3_SCHEME = "s3://"
BROKEN_LINK = "a symbolic link to nothing: its target is missing"


class UsageError(ValueError):
    """A problem with what the user asked for, not with the logs."""


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
        location = cloudtrail.parse_log_path(str(path))
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
                f"{path}: no CloudTrail log files (*.json.gz or *.json) in this folder; "
                "point at a downloaded log tree, e.g. aws s3 sync s3://BUCKET/AWSLogs ./AWSLogs"
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
        elif entry.name.endswith(LOG_SUFFIXES):
            if entry.is_file():
                found.append(entry)
            elif entry.is_symlink() and not entry.exists():
                skipped.append(SkippedFile(str(entry), BROKEN_LINK))
