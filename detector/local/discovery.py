"""Which log files a local scan opens: every log file under the given paths whose path date the window can use.

Files are pruned by the date in their path before anything is opened.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from detector.core.window import Window
from detector.sources import cloudtrail

LOG_SUFFIXES = (".json.gz", ".json")


class UsageError(ValueError):
    """A problem with what the user asked for, not with the logs."""


@dataclass(frozen=True)
class LogFile:
    path: str
    account: str | None
    region: str | None
    log_date: date | None
    size: int


def find_log_files(paths: Sequence[str | os.PathLike[str]], window: Window) -> tuple[list[LogFile], int]:
    """The log files under `paths` whose path date can hold events of the window, and how many were pruned."""
    files: list[LogFile] = []
    pruned = 0
    for path in dict.fromkeys(p.resolve() for p in _candidates(paths)):
        location = cloudtrail.parse_log_path(str(path))
        if location and not window.includes_log_date(location.log_date):
            pruned += 1
            continue
        files.append(
            LogFile(
                path=str(path),
                account=location.account if location else None,
                region=location.region if location else None,
                log_date=location.log_date if location else None,
                size=path.stat().st_size,
            )
        )
    return files, pruned


def _candidates(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Each file given, and the log files under each folder given; raises UsageError for a path with neither."""
    candidates: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and _is_log_file(p))
            if not found:
                raise UsageError(
                    f"{path}: no CloudTrail log files (*.json.gz or *.json) in this folder; "
                    "point at a downloaded log tree, e.g. aws s3 sync s3://BUCKET/AWSLogs ./AWSLogs"
                )
            candidates.extend(found)
        elif path.is_file():
            candidates.append(path)
        else:
            raise UsageError(f"{path}: no such file or folder")
    return candidates


def _is_log_file(path: Path) -> bool:
    return path.name.endswith(LOG_SUFFIXES) and cloudtrail.DIGESTS not in path.parts
