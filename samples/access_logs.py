"""Writes the generator's requests as S3 server access logs, in either key layout, beside their CloudTrail logs.

The same seed gives the same requests as `samples.generate`, so a scan of either source must find the same
principals for the same reasons. The lines follow https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html,
with what real logs mix: lines of every format generation (a record from before Signature Version existed ends at
Version Id; some lack the newest field, some carry a field this parser does not know), `TLSV1.2` next to `TLSv1.2`,
and one request in 40 delivered twice, an hour apart (delivery is best effort).

    python -m samples.access_logs                  # the committed demo trees in samples/access-logs/
"""

from __future__ import annotations

import argparse
import hashlib
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from detector.sources import access_logs
from samples.generate import ACCOUNT, REGIONS, SAMPLES_DIR, START, Batch, batches

DEMO_ACCESS_LOGS = SAMPLES_DIR / "access-logs"
LAYOUTS = ("partitioned", "simple")

BUCKET_OWNER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
"""AWS's example canonical user ID."""

OPERATIONS = {
    "GetObject": ("REST.GET.OBJECT", "GET"),
    "PutObject": ("REST.PUT.OBJECT", "PUT"),
    "HeadObject": ("REST.HEAD.OBJECT", "HEAD"),
    "ListObjects": ("REST.GET.BUCKET", "GET"),
}
"""CloudTrail's eventName -> the access log's Operation and the request's HTTP method."""

DELIVERY_DELAY = timedelta(minutes=10)
REDELIVERY_DELAY = timedelta(hours=1)
DUPLICATED_ONE_IN = 40
LAST_FIELDS = {"legacy": access_logs.REQUIRED_FIELDS, "before_source_region": 26, "current": 27, "newer": 28}


def _digest(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\0".join(parts).encode()).digest()[:8], "big")


def requester(event: dict[str, Any]) -> str:
    """The signer's ARN; `svc:<service>` for a service acting itself; `-` when anonymous."""
    identity = event.get("userIdentity") or {}
    if identity.get("arn"):
        return str(identity["arn"])
    if identity.get("invokedBy"):
        return f"svc:{identity['invokedBy']}"
    return "-"


def _quoted(value: str | None) -> str:
    return f'"{value}"' if value is not None else '"-"'


def _agent(event: dict[str, Any]) -> str | None:
    """The agent as the client sent it: CloudTrail's S3 data events wrap it in brackets, access logs do not."""
    agent = event.get("userAgent")
    if agent is None:
        return None
    text = str(agent)
    return text[1:-1] if text.startswith("[") and text.endswith("]") else text


def _request_uri(event: dict[str, Any], method: str) -> str:
    parameters = event["requestParameters"]
    extra = event.get("additionalEventData") or {}
    if event["eventName"] == "ListObjects":
        return f"{method} /?list-type=2&prefix=daily%2F HTTP/1.1"
    path = f"/{parameters['key']}"
    if extra.get("AuthenticationMethod") == "QueryString":
        key_id = (event.get("userIdentity") or {}).get("accessKeyId", "AKIAEXAMPLE")
        path += f"?AWSAccessKeyId={key_id}&Expires=1795000000&Signature=c2lnbmF0dXJl"
    return f"{method} {path} HTTP/1.1"


def _format(event: dict[str, Any]) -> str:
    """Which generation of the format the record is written in: legacy trail records (no signature details) as the
    oldest lines, the others mostly current."""
    if "additionalEventData" not in event:
        return "legacy"
    pick = _digest(event["requestID"], "format") % 20
    return {0: "before_source_region", 1: "newer"}.get(pick, "current")


def _tls(event: dict[str, Any]) -> str:
    tls = (event.get("tlsDetails") or {}).get("tlsVersion")
    if tls is None:
        return "-"
    return str(tls).upper() if _digest(event["requestID"], "tls") % 2 else str(tls)


def line(event: dict[str, Any]) -> str:
    """One request as S3 logs it."""
    operation, method = OPERATIONS[event["eventName"]]
    parameters = event["requestParameters"]
    extra = event.get("additionalEventData") or {}
    when = datetime.fromisoformat(event["eventTime"])
    source_ip = event.get("sourceIPAddress", "-")
    timing = _digest(event["requestID"], "time")
    fields = [
        BUCKET_OWNER,
        parameters["bucketName"],
        f"[{when:%d}/{access_logs.MONTHS[when.month - 1]}/{when:%Y:%H:%M:%S} +0000]",
        "-" if source_ip.endswith("amazonaws.com") else source_ip,
        requester(event),
        event["requestID"],
        operation,
        parameters["key"] if event["eventName"] != "ListObjects" else "-",
        _quoted(_request_uri(event, method)),
        "200",
        "-",
        str(extra.get("bytesTransferredOut") or "-"),
        str(extra.get("bytesTransferredOut") or "-"),
        str(timing % 900 + 20),
        str(timing % 400 + 5),
        '"-"',
        _quoted(_agent(event)),
        "-",
        extra.get("x-amz-id-2", "-"),
        extra.get("SignatureVersion", "-"),
        (event.get("tlsDetails") or {}).get("cipherSuite", "-"),
        extra.get("AuthenticationMethod", "-"),
        parameters.get("Host", "-"),
        _tls(event),
        "-",
        "-",
        event["awsRegion"],
        "-",
    ]
    return " ".join(fields[: LAST_FIELDS[_format(event)]])


def _files(batch: Batch) -> Iterator[tuple[str, datetime, list[str]]]:
    """Per source bucket, the batch's lines delivered once, then the duplicated ones delivered again an hour later."""
    by_bucket: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in batch.records:
        by_bucket[event["requestParameters"]["bucketName"]].append(event)
    for bucket, events in sorted(by_bucket.items()):
        delivered = batch.delivered + DELIVERY_DELAY
        yield bucket, delivered, [line(event) for event in events]
        again = [line(e) for e in events if _digest(e["requestID"], "again") % DUPLICATED_ONE_IN == 0]
        if again:
            yield bucket, delivered + REDELIVERY_DELAY, again


def log_key(layout: str, batch: Batch, bucket: str, delivered: datetime, account: str) -> str:
    unique = f"{_digest(batch.suffix, bucket, delivered.isoformat()):016X}"
    if layout == "simple":
        return access_logs.simple_key(access_logs.LOG_PREFIX, delivered, unique)
    return access_logs.partitioned_key(access_logs.LOG_PREFIX, (account, batch.region, bucket), delivered, unique)


def generate_access_logs(
    out: Path,
    *,
    layout: str,
    events: int,
    days: int,
    start: date = START,
    regions: tuple[str, ...] = REGIONS,
    events_per_file: int = 2000,
    seed: int = 20261127,
    account: str = ACCOUNT,
) -> Iterator[Path]:
    """Writes the requests `samples.generate.generate` writes for the same arguments, as access logs in `layout`."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout {layout!r}: expected one of {', '.join(LAYOUTS)}")
    for batch in batches(
        events=events, days=days, start=start, regions=regions, events_per_file=events_per_file, seed=seed
    ):
        for bucket, delivered, lines in _files(batch):
            path = out / log_key(layout, batch, bucket, delivered.replace(tzinfo=None), account)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(text + "\n" for text in lines), encoding="utf-8")
            yield path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEMO_ACCESS_LOGS)
    parser.add_argument("--events", type=int, default=1200)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--events-per-file", type=int, default=50)
    parser.add_argument("--seed", type=int, default=20261127)
    args = parser.parse_args(argv)
    for layout in LAYOUTS:
        written = list(
            generate_access_logs(
                args.out / layout,
                layout=layout,
                events=args.events,
                days=args.days,
                events_per_file=args.events_per_file,
                seed=args.seed,
            )
        )
        print(f"wrote {len(written)} files under {args.out / layout}")


if __name__ == "__main__":
    main()
