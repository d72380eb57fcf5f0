"""Which objects an S3 scan reads: only the window's key prefixes, found by walking the layout one level at a time.

Each source gives the prefixes that hold its logs for a window (`PREFIXES`, one function per source): CloudTrail's
are `[prefix/]AWSLogs/[o-id/]<account>/CloudTrail/<region>/YYYY/MM/DD/`, one per region and delivery day. Under a
prefix no source recognises, every log object is listed, as a local folder is. Objects are then pruned by their path
date exactly as local files are.
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
from detector.local.discovery import LOG_SUFFIXES, S3_SCHEME, UsageError
from detector.sources import cloudtrail

MAX_DAY_PREFIXES = 400
"""A window of more days is listed region by region, keys pruned by date: fewer requests than a prefix a day."""
MAX_CUSTOM_LEVELS = 3
"""Folders walked above `AWSLogs/` looking for it (a trail's custom key prefix), so an unrelated bucket is not."""
REGION_PREFIX = re.compile(r"(?:^|/)AWSLogs/(?:o-[a-z0-9]{10,32}/)?\d{12}/CloudTrail/[a-z0-9-]+/")
REGION_FOLDER = re.compile(REGION_PREFIX.pattern + "$")
TOWARDS_LOGS = re.compile(r"^(?:AWSLogs|o-[a-z0-9]{10,32}|\d{12}|CloudTrail)$")


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


@dataclass
class Lister:
    """ListObjectsV2 over one bucket; a prefix that cannot be listed below the one asked for is reported, not fatal."""

    client: Any
    location: S3Location
    skipped: list[SkippedFile] = field(default_factory=list)

    def pages(self, prefix: str, **options: str) -> Iterator[dict[str, Any]]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            yield from paginator.paginate(Bucket=self.location.bucket, Prefix=prefix, **options)
        except (ClientError, BotoCoreError) as error:
            reason = f"cannot list it ({describe(error)}); the scan needs s3:ListBucket on the bucket"
            if prefix == self.location.prefix:
                raise UsageError(f"{self.location.url(prefix)}: {reason}") from None
            self.skipped.append(SkippedFile(self.location.url(prefix), reason))

    def folders(self, prefix: str) -> list[str]:
        return [p["Prefix"] for page in self.pages(prefix, Delimiter="/") for p in page.get("CommonPrefixes", ())]

    def objects(self, prefix: str, start_after: str = "") -> Iterator[S3Object]:
        for page in self.pages(prefix, StartAfter=start_after) if start_after else self.pages(prefix):
            for item in page.get("Contents", ()):
                yield S3Object(item["Key"], item["Size"], f"{item.get('ETag', '')}:{item['LastModified'].isoformat()}")


def describe(error: Exception) -> str:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{details.get('Code', 'error')}: {details.get('Message', '')}".rstrip(": ")
    return str(error)


def cloudtrail_prefixes(lister: Lister, root: str, window: Window) -> list[str]:
    """The window's delivery-day prefixes of every CloudTrail region folder at or under `root`."""
    return [day for region in _region_folders(lister, root, 0) for day in _day_prefixes(region, window)]


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


def _day_prefixes(region: str, window: Window) -> list[str]:
    """A prefix per delivery day when the window is closed and short, else the region folder itself."""
    if not REGION_FOLDER.search(region) or window.since is None or window.until is None:
        return [region]
    days = (window.last_log_date - window.first_log_date).days + 1
    if days > MAX_DAY_PREFIXES:
        return [region]
    return [f"{region}{format_log_date(window.first_log_date + timedelta(days=n))}/" for n in range(days)]


PrefixFunction = Callable[[Lister, str, Window], list[str]]
PREFIXES: dict[str, PrefixFunction] = {cloudtrail.NAME: cloudtrail_prefixes}
"""Each source's prefixes for a window: the engineer adding a source adds its function here."""


def window_objects(lister: Lister, window: Window, sources: Sequence[str] = tuple(PREFIXES)) -> list[S3Object]:
    """The log objects of the window under the lister's prefix, in key order."""
    root = lister.location.prefix
    prefixes = sorted({prefix for name in sources for prefix in PREFIXES[name](lister, root, window)})
    listed = (item for prefix in prefixes or [root] for item in lister.objects(prefix))
    return sorted((item for item in listed if _wanted(item.key, window)), key=lambda item: item.key)


def _wanted(key: str, window: Window) -> bool:
    if not key.endswith(LOG_SUFFIXES) or f"/{cloudtrail.DIGESTS}/" in f"/{key}":
        return False
    location = cloudtrail.parse_log_path(key)
    return location is None or window.includes_log_date(location.log_date)
