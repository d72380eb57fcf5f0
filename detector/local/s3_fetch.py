"""Objects streamed from S3 on parallel threads into memory, never to disk; what cannot be read is named by its key."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from detector.core.findings import SkippedFile
from detector.local import cache
from detector.local.pool import Task
from detector.local.s3_listing import S3Location, S3Object, describe

THREADS = 16
"""GETs in flight: S3 serves each at tens of MB/s, so a few dozen keep a laptop's link busy (boto3's pool is sized
to match)."""
AHEAD = 4
"""Objects fetched ahead per thread before the parsers take them: bounds the memory held in flight."""


def unreadable(error: Exception) -> str:
    """Why an object could not be read, and what to grant."""
    text = describe(error)
    code = error.response.get("Error", {}).get("Code", "") if isinstance(error, ClientError) else ""
    if code.startswith("KMS.") or (code == "AccessDenied" and "kms" in text.lower()):
        return f"KMS denied decrypting it ({text}); allow kms:Decrypt on the bucket's key to whoever runs the scan"
    if code == "AccessDenied":
        return f"access denied ({text}); allow s3:GetObject on it to whoever runs the scan"
    return f"cannot read it ({text})"


def fetch_one(client: Any, location: S3Location, item: S3Object, key: cache.FileKey | None) -> Task | SkippedFile:
    try:
        body = client.get_object(Bucket=location.bucket, Key=item.key)["Body"]
        return Task(location.url(item.key), body.read(), key)
    except (ClientError, BotoCoreError) as error:
        return SkippedFile(location.url(item.key), unreadable(error))


def fetch(
    client: Any,
    location: S3Location,
    items: Sequence[tuple[S3Object, cache.FileKey | None]],
    on_bytes: Callable[[int], None],
    on_skipped: Callable[[SkippedFile], None],
    *,
    threads: int = THREADS,
) -> Iterator[Task]:
    """Each object's bytes as a task for the parsers, as it arrives; the unreadable go to `on_skipped`."""
    sizes = {location.url(item.key): item.size for item, _key in items}
    pending: set[Future[Task | SkippedFile]] = set()
    queue = iter(items)
    with ThreadPoolExecutor(threads, thread_name_prefix="s3-get") as pool:
        while True:
            for item, key in queue:
                pending.add(pool.submit(fetch_one, client, location, item, key))
                if len(pending) >= threads * AHEAD:
                    break
            if not pending:
                return
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                result = future.result()
                on_bytes(sizes[result.path if isinstance(result, SkippedFile) else result.name])
                if isinstance(result, SkippedFile):
                    on_skipped(result)
                else:
                    yield result
