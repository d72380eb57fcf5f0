"""`scan --cache DIR`: each log file's projected events kept as Parquet, keyed by its name, version and projection.

A file's version is its size and modification time (an S3 object's size, ETag and LastModified), so a changed file
misses and is read again; so does every file of a source when its query reads other fields. An entry is
`<hash of the name>-<hash of version, fingerprint, format>.parquet`, the fingerprint the source's that read the file
(each source's projection), so a file is found whichever sources a scan reads; writing one removes the name's older
entries. The lines of the file that were not records are kept with it (in the Parquet metadata) and reported again.
A file that was skipped keeps its reason in `<same name>.error`, under the fingerprint of all the sources tried, and is
reported again without being read. Entries are written to a temporary name first, so a scan stopped half-way leaves
no partial entry.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from detector.local.source import LocalSource, ParsedFile

FORMAT_VERSION = "2"
PARQUET = ".parquet"
ERROR = ".error"
SKIPPED_LINES = b"detector.lines_skipped"
"""The Parquet metadata key of the file's lines that were not records: `{"lines": N, "examples": [...]}`."""


@dataclass(frozen=True)
class Entry:
    """Where one log file's cached events (or its reason for being skipped) live."""

    stem: Path
    """`<dir>/<name hash>-<version hash>`, without suffix."""

    @property
    def data(self) -> Path:
        return self.stem.with_name(self.stem.name + PARQUET)

    @property
    def error(self) -> Path:
        return self.stem.with_name(self.stem.name + ERROR)


def fingerprint_of(sources: Sequence[LocalSource]) -> str:
    """What decides the reason a file is skipped: every source tried on it."""
    return "+".join(source.fingerprint for source in sources)


@dataclass(frozen=True)
class FileKey:
    """One log file's version in one cache: its entry under each fingerprint."""

    cache_dir: Path
    name: str
    version: str

    def entry(self, fingerprint: str) -> Entry:
        return entry_for(self.cache_dir, self.name, self.version, fingerprint)


def entry_for(cache_dir: Path, name: str, version: str, fingerprint: str) -> Entry:
    name_hash = hashlib.sha256(name.encode()).hexdigest()[:20]
    version_hash = hashlib.sha256(f"{version}\0{fingerprint}\0{FORMAT_VERSION}".encode()).hexdigest()[:20]
    return Entry(cache_dir / name_hash[:2] / f"{name_hash}-{version_hash}")


def file_version(path: str) -> str:
    """A file's size and modification time: what changes when it is written again."""
    status = Path(path).stat()
    return f"{status.st_size}:{status.st_mtime_ns}"


@dataclass(frozen=True)
class Hit:
    data: Path | None
    error: str | None
    lines_skipped: int = 0
    examples: tuple[str, ...] = ()
    events: int = 0


def look_up(entry: Entry) -> Hit | None:
    if entry.data.exists():
        footer = pq.read_metadata(entry.data)
        skipped = json.loads((footer.metadata or {}).get(SKIPPED_LINES, b'{"lines": 0, "examples": []}'))
        return Hit(entry.data, None, skipped["lines"], tuple(skipped["examples"]), footer.num_rows)
    if entry.error.exists():
        return Hit(None, entry.error.read_text(encoding="utf-8"))
    return None


def store_batch(entry: Entry, parsed: ParsedFile) -> None:
    temporary = _prepare(entry, entry.data)
    skipped = json.dumps({"lines": parsed.lines_skipped, "examples": list(parsed.examples)}).encode()
    batch = parsed.batch.replace_schema_metadata({**(parsed.batch.schema.metadata or {}), SKIPPED_LINES: skipped})
    pq.write_table(pa.Table.from_batches([batch]), temporary, compression="snappy")
    temporary.replace(entry.data)


def store_error(entry: Entry, message: str) -> None:
    temporary = _prepare(entry, entry.error)
    temporary.write_text(message, encoding="utf-8")
    temporary.replace(entry.error)


def _prepare(entry: Entry, target: Path) -> Path:
    """Makes the entry's folder, removes the name's older entries, and names a temporary file beside `target`."""
    folder = entry.stem.parent
    folder.mkdir(parents=True, exist_ok=True)
    name_hash = entry.stem.name.split("-", 1)[0]
    for other in folder.glob(f"{name_hash}-*"):
        if not other.name.startswith(entry.stem.name):
            other.unlink(missing_ok=True)
    return target.with_name(f"{target.name}.{os.getpid()}.tmp")
