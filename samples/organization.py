"""Generates an organization trail's logs: `AWSLogs/<o-id>/<account>/CloudTrail/<region>/YYYY/MM/DD/` for many
accounts, from a fixed seed. Each account gets the sample cast of `samples.generate` (the same kinds of callers, old
clients among them) under its own account ID, with its own random requests, calling its own buckets.

    python -m samples.organization --out /tmp/org --accounts 50 --regions 3 --days 7
"""

from __future__ import annotations

import argparse
import gzip
import json
from collections.abc import Iterator
from pathlib import Path

from detector.sources import cloudtrail
from samples.generate import ACCOUNT, REGIONS, START, batches

ORGANIZATION = "o-exampleorg1"
FIRST_ACCOUNT = 100_000_000_000


def member_accounts(count: int) -> list[str]:
    """`count` twelve-digit account IDs, the same for a count."""
    return [f"{FIRST_ACCOUNT + 7919 * n:012d}" for n in range(count)]


def generate_organization(
    out: Path,
    *,
    accounts: int = 50,
    regions: tuple[str, ...] = REGIONS[:3],
    days: int = 7,
    events_per_file: int = 20,
    seed: int = 20261201,
) -> Iterator[Path]:
    """One file a day and region for each account, `events_per_file` requests each; yields the files written."""
    per_account = events_per_file * days * len(regions)
    for index, account in enumerate(member_accounts(accounts)):
        for batch in batches(
            events=per_account,
            days=days,
            start=START,
            regions=regions,
            events_per_file=events_per_file,
            seed=seed + index,
        ):
            key = cloudtrail.log_key(account, batch.region, batch.delivered, batch.suffix)
            path = out / cloudtrail.LOG_PREFIX / ORGANIZATION / key.removeprefix(cloudtrail.LOG_PREFIX)
            path.parent.mkdir(parents=True, exist_ok=True)
            body = json.dumps({"Records": batch.records}, separators=(",", ":")).replace(ACCOUNT, account)
            path.write_bytes(gzip.compress(body.encode(), compresslevel=6, mtime=0))
            yield path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--regions", type=int, default=3, choices=range(1, len(REGIONS) + 1))
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--events-per-file", type=int, default=20)
    args = parser.parse_args(argv)
    written = list(
        generate_organization(
            args.out,
            accounts=args.accounts,
            regions=REGIONS[: args.regions],
            days=args.days,
            events_per_file=args.events_per_file,
        )
    )
    print(f"wrote {len(written)} files under {args.out / cloudtrail.LOG_PREFIX / ORGANIZATION}")


if __name__ == "__main__":
    main()
