"""`scan s3://BUCKET/PREFIX`: the window's log objects streamed from S3 into the same reader, no copy on disk."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError

from detector.core.findings import Report, SkippedFile
from detector.core.window import Window
from detector.local import cache
from detector.local.discovery import UsageError
from detector.local.loading import LocalCatalog, trail_accounts
from detector.local.s3_fetch import THREADS, fetch
from detector.local.s3_listing import Lister, S3Location, S3Object, window_objects
from detector.local.scan import READERS, detection_sources, report_of


def s3_client(profile: str | None, region: str | None) -> object:
    """An S3 client of the profile's credentials, its connection pool as wide as the fetching threads."""
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except BotoCoreError as error:
        raise UsageError(f"--profile {profile}: {error}") from None
    config = Config(max_pool_connections=THREADS + 4, retries={"mode": "standard"})
    return session.client("s3", config=config)


def scan_s3(
    urls: Sequence[str],
    window: Window,
    client: object,
    on_total: Callable[[int], None] = lambda total: None,
    on_bytes: Callable[[int], None] = lambda n: None,
    *,
    cache_dir: Path | None = None,
    workers: int | None = None,
    views: bool = False,
    sources: Sequence[str] = tuple(READERS),
) -> Report:
    """Lists the window's objects of the sources under each URL, streams them to the parsers, and runs the detection
    query over each source (and with `views` the view queries)."""
    listed: list[tuple[S3Location, list[S3Object]]] = []
    skipped: list[SkippedFile] = []
    for url in urls:
        lister = Lister(client, S3Location.parse(url))
        listed.append((lister.location, window_objects(lister, window, sources)))
        skipped.extend(lister.skipped)
    partitions = trail_accounts(item.key for _location, items in listed for item in items)
    catalog = LocalCatalog(
        detection_sources(sources, partitions), workers=workers, cache_dir=cache_dir, partitions=partitions
    )
    catalog.skipped.extend(skipped)
    on_total(sum(item.size for _location, items in listed for item in items))
    for location, items in listed:
        wanted = _unread(catalog, location, items, on_bytes)
        tasks = fetch(client, location, wanted, on_bytes, catalog.skipped.append)
        catalog.load_tasks(tasks, len(wanted), lambda n: None)
    return report_of(catalog, window, views=views)


def _unread(
    catalog: LocalCatalog, location: S3Location, items: list[S3Object], on_bytes: Callable[[int], None]
) -> list[tuple[S3Object, cache.FileKey | None]]:
    """The objects the cache does not answer for, with their cache key (those it does are counted, not fetched)."""
    wanted = []
    for item in items:
        needed, key = catalog.unread(location.url(item.key), item.version, lambda n: None)
        if needed:
            wanted.append((item, key))
        else:
            on_bytes(item.size)
    return wanted
