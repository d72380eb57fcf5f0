"""The S3 side of the bench: moto's S3 server on 127.0.0.1 holding the scan tree, and `aws s3 sync` as the baseline."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

BUCKET = "bench-trail"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}


@contextmanager
def s3_server() -> Iterator[dict[str, str]]:
    """A local S3 server for this process; yields the environment a client needs to reach it."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield {
            **CREDENTIALS,
            "AWS_ENDPOINT_URL_S3": f"http://{host}:{port}",
            "AWS_ENDPOINT_URL": f"http://{host}:{port}",
        }
    finally:
        server.stop()


def upload(root: Path, environment: dict[str, str]) -> int:
    """Every file under `root` (an AWSLogs tree) as an object keyed AWSLogs/...; the bytes uploaded."""
    client = boto3.client(
        "s3",
        endpoint_url=environment["AWS_ENDPOINT_URL_S3"],
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    client.create_bucket(Bucket=BUCKET)
    files = sorted(p for p in root.rglob("*") if p.is_file())

    def put(path: Path) -> int:
        body = path.read_bytes()
        client.put_object(Bucket=BUCKET, Key=path.relative_to(root.parent).as_posix(), Body=body)
        return len(body)

    with ThreadPoolExecutor(8) as pool:
        return sum(pool.map(put, files))


def sync(target: Path, environment: dict[str, str]) -> None:
    """`aws s3 sync s3://BUCKET/AWSLogs/ TARGET` into an empty folder, as a user would download the logs."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    command = [sys.executable, "-m", "awscli", "s3", "sync", f"s3://{BUCKET}/AWSLogs/", str(target), "--quiet"]
    subprocess.run(command, env={**os.environ, **environment}, check=True)
