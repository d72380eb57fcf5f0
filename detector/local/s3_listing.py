"""Which objects an S3 scan reads: only the window's key prefixes, found by walking the layout one level at a time.

Each source gives the prefixes that hold its logs for a window (`PREFIXES`, one function per source):
- CloudTrail's are `[prefix/]AWSLogs/[o-id/]<account>/CloudTrail/<region>/YYYY/MM/DD/`, one per region and delivery
  day;
- S3 server access logs' are `[prefix]<account>/<region>/<bucket>/YYYY/MM/DD/` per source bucket and day in the
  date-based partitioned layout, and `[prefix]YYYY-MM-DD-` per delivery day in the simple one.
Under a prefix no source recognises, every log object is listed, as a local folder is. Objects are then pruned by
their path date exactly as local files are, and each is read once however many prefixes reach it.

Folders are found by listing one level (`Delimiter=/`). A level of simple-layout access logs holds an object per
delivery, hundreds of thousands in a busy bucket: the listing jumps past each year's run of them (`StartAfter`)
instead of paging through it, since no folder sorts inside one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from detector.core.findings import SkippedFile
from detector.core.window import Window, format_log_date
from detector.local.discovery import S3_SCHEME, UsageError, is_log_name, path_location
from detector.sources import access_logs, cloudtrail

MAX_DAY_PREFIXES = 400
"""A window of more days is listed region by region, keys pruned by date: fewer requests than a prefix a day."""
MAX_CUSTOM_LEVELS = 3
"""Folders walked above `AWSLogs/` looking for it (a trail's custom key prefix), so an unrelated bucket is not."""
REGION_PREFIX = re.compile(r"(?:^|/)AWSLogs/(?:o-[a-z0-9]{10,32}/)?\d{12}/CloudTrail/[a-z0-9-]+/")
REGION_FOLDER = re.compile(REGION_PREFIX.pattern + "$")
TOWARDS_LOGS = re.compile(r"^(?:AWSLogs|o-[a-z0-9]{10,32}|\d{12}|CloudTrail)$")

ACCOUNT_NAME = re.compile(r"^\d{12}$")
REGION_NAME = re.compile(r"^[a-z]{2,4}(?:-[a-z]+)+-\d+$")
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PARTITIONED_LEVELS = (ACCOUNT_NAME, REGION_NAME, BUCKET_NAME)
"""The folders of the date-based partitioned layout above the days: source account, region and bucket."""
BUCKET_FOLDER = re.compile(r"(?:^|/)\d{12}/[a-z]{2,4}(?:-[a-z]+)+-\d+/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/")
PAST_A_YEAR_OF_STAMPS = "-~"
"""After `YYYY`, sorts after every `YYYY-MM-DD-...` key and before `YYYY0...`, `YYYY/` or a letter."""


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str

    @classmethod
    def parse(cls, url: str) -> S3Location:
        bucket, _, prefix = url.removeprefix(S3_SCHEME).partition("/")
        if not bucket:
            raise UsageError(f"{url}: no bucket; give s3://BUCKET/PREFIX, e.g. s3://my-trail-bucket/AWSLogs/")
        return cls(bucket, prefix)

    def url(self, key: str) -> str:
        return f"{S3_SCHEME}{self.bucket}/{key}"


@dataclass(frozen=True)
class S3Object:
    key: str
    size: int
    version: str
    """ETag and LastModified: what changes when the object is written again (the cache key)."""


@dataclass(frozen=True)
class Level:
    """What one level of a prefix holds: its folders, and the simple-layout access logs' target prefixes in it."""

    folders: tuple[str, ...]
    stamped: tuple[str, ...]


@dataclass
class Lister:
    """ListObjectsV2 over one bucket; a prefix that cannot be listed below the one asked for is reported, not fatal.
    Each level is listed once, whichever sources walk it."""

    client: Any
    location: S3Location
    skipped: list[SkippedFile] = field(default_factory=list)
    levels: dict[str, Level] = field(default_factory=dict)
    page_size: int = 1000
    """Keys a listing page holds: S3's most."""

    def refused(self, prefix: str, error: Exception) -> None:
        reason = f"cannot list it ({describe(error)}); the scan needs s3:ListBucket on the bucket"
        if prefix == self.location.prefix:
            raise UsageError(f"{self.location.url(prefix)}: {reason}") from None
        self.skipped.append(SkippedFile(self.location.url(prefix), reason))

    def pages(self, prefix: str, **options: str) -> Iterator[dict[str, Any]]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            yield from paginator.paginate(Bucket=self.location.bucket, Prefix=prefix, **options)
        except (ClientError, BotoCoreError) as error:
            self.refused(prefix, error)

    def level(self, prefix: str) -> Level:
        if prefix not in self.levels:
            folders: list[str] = []
            stamped: set[str] = set()
            for page in self.level_pages(prefix):
                folders += [p["Prefix"] for p in page.get("CommonPrefixes", ())]
                stamped.update(target for item in page.get("Contents", ()) if (target := _target(item["Key"])))
            self.levels[prefix] = Level(tuple(folders), tuple(sorted(stamped)))
        return self.levels[prefix]

    def level_pages(self, prefix: str) -> Iterator[dict[str, Any]]:
        """The pages of one level, jumping past each run of simple-layout log objects."""
        options: dict[str, str] = {}
        while True:
            try:
                page = self.client.list_objects_v2(
                    Bucket=self.location.bucket, Prefix=prefix, Delimiter="/", MaxKeys=self.page_size, **options
                )
            except (ClientError, BotoCoreError) as error:
                self.refused(prefix, error)
                return
            yield page
            if not page.get("IsTruncated"):
                return
            options = {"ContinuationToken": page["NextContinuationToken"]}
            jump = _past_stamps(page)
            if jump is not None:
                options = {"StartAfter": jump}

    def folders(self, prefix: str) -> list[str]:
        return list(self.level(prefix).folders)

    def objects(self, prefix: str, start_after: str = "") -> Iterator[S3Object]:
        for page in self.pages(prefix, StartAfter=start_after) if start_after else self.pages(prefix):
            for item in page.get("Contents", ()):
                yield S3Object(item["Key"], item["Size"], f"{item.get('ETag', '')}:{item['LastModified'].isoformat()}")


def _target(key: str) -> str | None:
    """The target prefix of a simple-layout access-log key (all of it before the delivery stamp), else None."""
    match = access_logs.SIMPLE_KEY.search(key.rsplit("/", 1)[-1])
    return key[: len(key) - len(match[0])] if match else None


def _past_stamps(page: dict[str, Any]) -> str | None:
    """Where to go on listing after a page that ends in a run of simple-layout log objects, if past its end."""
    keys = [item["Key"] for item in page.get("Contents", ())]
    last = max([*keys, *(p["Prefix"] for p in page.get("CommonPrefixes", ()))], default="")
    target = _target(keys[-1]) if keys else None
    if target is None:
        return None
    jump = keys[-1][: len(target) + 4] + PAST_A_YEAR_OF_STAMPS
    return jump if jump > last else None


def describe(error: Exception) -> str:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{details.get('Code', 'error')}: {details.get('Message', '')}".rstrip(": ")
    return str(error)


def _day_prefixes(folder: str, window: Window, day_format: Callable[[str], str]) -> list[str]:
    """A prefix per delivery day when the window is closed and short, else the folder itself."""
    if window.since is None or window.until is None:
        return [folder]
    days = (window.last_log_date - window.first_log_date).days + 1
    if days > MAX_DAY_PREFIXES:
        return [folder]
    return [folder + day_format(format_log_date(window.first_log_date + timedelta(days=n))) for n in range(days)]


def cloudtrail_prefixes(lister: Lister, root: str, window: Window) -> list[str]:
    """The window's delivery-day prefixes of every CloudTrail region folder at or under `root`."""
    days = []
    for region in _region_folders(lister, root, 0):
        days += _day_prefixes(region, window, lambda day: f"{day}/") if REGION_FOLDER.search(region) else [region]
    return days


def _region_folders(lister: Lister, prefix: str, custom_levels: int) -> list[str]:
    if REGION_PREFIX.search(prefix):
        return [prefix]
    found: list[str] = []
    for folder in lister.folders(prefix):
        name = folder[len(prefix) :].rstrip("/")
        if prefix.endswith("/CloudTrail/") or TOWARDS_LOGS.match(name):
            found.extend(_region_folders(lister, folder, custom_levels))
        elif "AWSLogs/" not in folder and custom_levels < MAX_CUSTOM_LEVELS:
            found.extend(_region_folders(lister, folder, custom_levels + 1))
    return found


def access_log_prefixes(lister: Lister, root: str, window: Window) -> list[str]:
    """The window's prefixes of every access-log target prefix at or under `root`: each source bucket's delivery days
    (date-based partitioned layout), each simple-layout target prefix's delivery days."""
    found: list[str] = []
    for folder in _partitioned_folders(lister, root, 0):
        bucket = BUCKET_FOLDER.search(folder)
        inside = bucket is None or bucket.end() < len(folder)
        found += [folder] if inside else _day_prefixes(folder, window, lambda day: f"{day}/")
    for target in _stamped_targets(lister, root, 0):
        found += _day_prefixes(target, window, lambda day: day.replace("/", "-") + "-")
    return found


def _partitioned_depth(prefix: str) -> int:
    """How many of the partitioned layout's folders above the bucket (account, region) `prefix` ends in."""
    parts = prefix.split("/")[:-1]
    if len(parts) >= 2 and ACCOUNT_NAME.match(parts[-2]) and REGION_NAME.match(parts[-1]):
        return 2
    return 1 if parts and ACCOUNT_NAME.match(parts[-1]) else 0


def _partitioned_folders(lister: Lister, prefix: str, custom_levels: int) -> list[str]:
    """The source-bucket folders of the partitioned layout at or under `prefix` (`prefix` itself inside one), folders
    walked as far as a custom target prefix."""
    if BUCKET_FOLDER.search(prefix):
        return [prefix]
    depth = _partitioned_depth(prefix)
    found: list[str] = []
    for folder in lister.folders(prefix):
        name = folder.rstrip("/").rsplit("/", 1)[-1]
        if _PARTITIONED_LEVELS[depth].match(name):
            found += _partitioned_folders(lister, folder, custom_levels)
        elif depth == 0 and custom_levels < MAX_CUSTOM_LEVELS:
            found += _partitioned_folders(lister, folder, custom_levels + 1)
    return found


def _stamped_targets(lister: Lister, prefix: str, custom_levels: int) -> list[str]:
    """The simple layout's target prefixes at or under `prefix`, folders walked as far as a custom target prefix (the
    partitioned layout's account folders left to it)."""
    if BUCKET_FOLDER.search(prefix) or _partitioned_depth(prefix):
        return []
    level = lister.level(prefix)
    found = list(level.stamped)
    if custom_levels < MAX_CUSTOM_LEVELS:
        for folder in level.folders:
            if not ACCOUNT_NAME.match(folder.rstrip("/").rsplit("/", 1)[-1]):
                found += _stamped_targets(lister, folder, custom_levels + 1)
    return found


PrefixFunction = Callable[[Lister, str, Window], list[str]]
PREFIXES: dict[str, PrefixFunction] = {
    cloudtrail.NAME: cloudtrail_prefixes,
    access_logs.NAME: access_log_prefixes,
}
"""Each source's prefixes for a window: the engineer adding a source adds its function here."""


def outermost(prefixes: Sequence[str], root: str) -> list[str]:
    """The prefixes within `root` (one reaching above it narrowed to it), none inside another, in order."""
    narrowed = {
        prefix if prefix.startswith(root) else root for prefix in prefixes if root.startswith(prefix[: len(root)])
    }
    kept: list[str] = []
    for prefix in sorted(narrowed):
        if not kept or not prefix.startswith(kept[-1]):
            kept.append(prefix)
    return kept


def window_objects(lister: Lister, window: Window, sources: Sequence[str] = tuple(PREFIXES)) -> list[S3Object]:
    """The log objects of the window under the lister's prefix, in key order, each once."""
    root = lister.location.prefix
    prefixes = outermost([prefix for name in sources for prefix in PREFIXES[name](lister, root, window)], root)
    listed = (item for prefix in prefixes or [root] for item in lister.objects(prefix))
    return [item for item in listed if _wanted(item.key, window)]


def _wanted(key: str, window: Window) -> bool:
    if not is_log_name(key.rsplit("/", 1)[-1]) or f"/{cloudtrail.DIGESTS}/" in f"/{key}":
        return False
    location = path_location(key)
    return location is None or window.includes_log_date(location.log_date)
