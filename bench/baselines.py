"""What the scan is compared with: bare decompression on both cores, a hand-written Python loop, and jq."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import zlib
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path

from detector.core.clients import CATALOG, parse_version

CHUNK = 1 << 20
OUT_CHUNK = 256 << 10
"""Output in pieces this small: inflating a whole megabyte at once spent half its time faulting in fresh pages."""
AWS_AGENT_MARKS = ("amazonaws.com", "aws-internal", "S3Console", "AWSConsole", "StorageGateway")
FEATURE_LIST = re.compile(r" m/[^ \]]*")


def inflate(path: Path) -> int:
    """Decompresses one gzip file, keeping nothing: the bytes out."""
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    out = 0
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            while chunk:
                out += len(inflater.decompress(chunk, OUT_CHUNK))
                chunk = inflater.unconsumed_tail
                if inflater.eof:  # another gzip member may follow
                    chunk = inflater.unused_data
                    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    return out


def floor(files: list[Path], workers: int = 2) -> int:
    """Decompression alone, one stream per core: the limit a scanner can approach."""
    with ProcessPoolExecutor(workers) as pool:
        return sum(pool.map(inflate, files, chunksize=max(1, len(files) // (workers * 8))))


@cache
def outdated(user_agent: str) -> bool:
    """The first catalog client the agent names, older than the release that made SigV4 its default."""
    for client in CATALOG:
        match = re.search(client.pattern, user_agent)
        if match:
            return parse_version(match[1]) < parse_version(client.sigv4_default)
    return False


def handwritten(files: list[Path]) -> Counter[tuple[str, str, str]]:
    """gzip + json in one process, the detection rules in plain Python: requests per finding."""
    findings: Counter[tuple[str, str, str]] = Counter()
    for path in files:
        with gzip.open(path, "rb") as file:
            records = json.load(file)["Records"]
        for record in records:
            identity = record.get("userIdentity") or {}
            source_ip = record.get("sourceIPAddress") or ""
            agent = record.get("userAgent") or ""
            if (
                record.get("eventSource") != "s3.amazonaws.com"
                or identity.get("invokedBy")
                or not identity.get("arn")
                or source_ip.endswith("amazonaws.com")
                or source_ip == "AWS Internal"
                or any(mark in agent for mark in AWS_AGENT_MARKS)
            ):
                continue
            sigv2 = (record.get("additionalEventData") or {}).get("SignatureVersion") == "SigV2"
            legacy_tls = (record.get("tlsDetails") or {}).get("tlsVersion") in ("TLSv1", "TLSv1.1")
            if sigv2 or legacy_tls or outdated(agent):
                findings[identity["arn"], source_ip, FEATURE_LIST.sub("", agent)] += 1
    return findings


JQ_SIGV2 = (
    '.Records[] | select(.additionalEventData.SignatureVersion == "SigV2") '
    "| [.userIdentity.arn, .sourceIPAddress, .userAgent]"
)


def jq_available() -> bool:
    return shutil.which("jq") is not None and shutil.which("zcat") is not None


def jq(files: list[Path]) -> None:
    """`zcat FILES | jq -c '<the SigV2 filter>'`, output discarded."""
    with subprocess.Popen(["zcat", *map(str, files)], stdout=subprocess.PIPE) as unzip:
        subprocess.run(["jq", "-c", JQ_SIGV2], stdin=unzip.stdout, stdout=subprocess.DEVNULL, check=True)
        if unzip.stdout is not None:
            unzip.stdout.close()
    if unzip.returncode:
        raise subprocess.CalledProcessError(unzip.returncode, "zcat")
