"""A log file's bytes: gzip inflated with ISA-L where its wheel is installed, zlib otherwise, every member checked.

A file is gzip when its name says so (`.gz`, as CloudTrail names them), or when it starts with the gzip magic bytes
(an access log, which S3 delivers as plain text, gzipped after download under its own name). Each member's CRC-32
and length are checked, and a stream that stops early is reported as truncated wherever it was cut (header, data or
trailer).
"""

from __future__ import annotations

import zlib
from pathlib import Path
from types import ModuleType

from detector.local.source import BadFile, cannot_open

inflater: ModuleType
try:
    from isal import isal_zlib as inflater
except ImportError:  # no wheel for this platform
    inflater = zlib

GZIP_MAGIC = b"\x1f\x8b"
GZIP_WBITS = 31
"""zlib's window bits for a gzip wrapper (16 + 15)."""
GZIP_SUFFIX = ".gz"
BOM = b"\xef\xbb\xbf"
TRUNCATED = "truncated gzip file: it ends before its compressed data does; download it again"
AGAIN = "; download it again"


def corrupt(reason: str) -> BadFile:
    return BadFile(f"corrupt gzip file ({reason}){AGAIN}")


def inflate(data: bytes) -> bytes:
    """Every member of a gzip stream, checked; raises BadFile."""
    if not data.startswith(GZIP_MAGIC):
        if GZIP_MAGIC.startswith(data):
            raise BadFile(TRUNCATED)
        raise corrupt("it does not start with the gzip magic bytes, so it is not gzip")
    parts: list[bytes] = []
    rest = data
    while True:
        stream = inflater.decompressobj(GZIP_WBITS)
        try:
            parts.append(stream.decompress(rest))
        except (zlib.error, inflater.error) as error:
            raise corrupt(_reason(error)) from None
        if not stream.eof:
            raise BadFile(TRUNCATED)
        rest = stream.unused_data
        if not rest.strip(b"\x00"):  # zero padding after the last member, as gzip(1) allows
            return parts[0] if len(parts) == 1 else b"".join(parts)
        if not rest.startswith(GZIP_MAGIC):
            raise corrupt("bytes after the last gzip member are not another member")


def _reason(error: Exception) -> str:
    message = str(error)
    if any(word in message.lower() for word in ("check", "crc", "length", "size")):
        return f"the data does not match the CRC-32 or length in its gzip trailer: {message}"
    return message


def log_bytes(data: bytes, name: str) -> bytes:
    """A log file's JSON or text from its stored bytes, the UTF-8 byte order mark dropped; raises BadFile."""
    if (name.endswith(GZIP_SUFFIX) and data) or data.startswith(GZIP_MAGIC):
        data = inflate(data)
    return data[len(BOM) :] if data.startswith(BOM) else data


def read_stored(path: str) -> bytes:
    """A file's bytes as stored on disk; raises BadFile, naming why it could not be read."""
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise BadFile(cannot_open("file", error)) from None
