"""Log files parsed on one worker process per core; each hands its Arrow batch back through shared memory.

A worker builds each source's parser once, then for each task reads (or is given) the file's bytes, inflates them,
picks the source that recognises them (`source.source_of`) and parses them; with a cache, it also writes the entry:
the events under the fingerprint of the source that read them, a reason for skipping under all the sources' (which
sources were tried decides the reason). Batches come back as
Arrow IPC files in /dev/shm that the main process maps without a copy (or, without /dev/shm, through the pipe).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from detector.local import cache
from detector.local.inflate import log_bytes, read_stored
from detector.local.source import BadFile, LocalSource, Parser, source_of

SHARED_MEMORY = Path("/dev/shm")
MAX_CHUNK = 4
"""Files per pool task at most: enough to keep the pipe quiet, few enough that the last tasks end together."""
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
KEEP_FREED_BYTES = 256 << 20


@dataclass(frozen=True)
class Task:
    name: str
    """The path, or `s3://bucket/key`: what a report names."""
    data: bytes | None = None
    """The stored bytes when already fetched (S3); None to read `name` from disk."""
    cache_key: cache.FileKey | None = None


@dataclass(frozen=True)
class Outcome:
    """One file's events as an Arrow IPC stream (bytes or a shared-memory file), or why it was skipped."""

    name: str
    source: str = ""
    events: int = 0
    size: int = 0
    ipc: bytes | None = None
    ipc_file: str | None = None
    error: str | None = None
    lines_skipped: int = 0
    examples: tuple[str, ...] = ()


class Worker:
    """The state of one worker process: a parser per source, the first source the default."""

    def __init__(self, sources: Sequence[LocalSource], transfer_dir: str | None) -> None:
        keep_freed_memory()
        self.sources = list(sources)
        self.parsers: dict[str, Parser] = {source.name: source.parser() for source in sources}
        self.fingerprint = cache.fingerprint_of(self.sources)
        self.transfer_dir = transfer_dir
        self.written = 0

    def run(self, task: Task) -> Outcome:
        size = 0
        try:
            stored = read_stored(task.name) if task.data is None else task.data
            size = len(stored)
            data = log_bytes(stored, task.name)
            source = source_of(self.sources, data)
            parsed = self.parsers[source.name].parse(data, task.name)
        except BadFile as error:
            if task.cache_key is not None:
                cache.store_error(task.cache_key.entry(self.fingerprint), str(error))
            return Outcome(task.name, size=size, error=str(error))
        if task.cache_key is not None:
            cache.store_batch(task.cache_key.entry(source.fingerprint), parsed)
        ipc, ipc_file = self.hand_back(parsed.batch)
        return Outcome(
            task.name,
            source.name,
            parsed.events,
            size,
            ipc,
            ipc_file,
            lines_skipped=parsed.lines_skipped,
            examples=parsed.examples,
        )

    def hand_back(self, batch: pa.RecordBatch) -> tuple[bytes | None, str | None]:
        if self.transfer_dir is None:
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, batch.schema) as writer:
                writer.write_batch(batch)
            return sink.getvalue().to_pybytes(), None
        self.written += 1
        name = str(Path(self.transfer_dir) / f"{os.getpid()}-{self.written}.arrows")
        with pa.OSFile(name, "wb") as sink, pa.ipc.new_stream(sink, batch.schema) as writer:
            writer.write_batch(batch)
        return None, name


_worker: Worker | None = None


def _start(sources: Sequence[LocalSource], transfer_dir: str | None) -> None:
    global _worker  # noqa: PLW0603 - one worker state per process, built by the pool's initializer
    _worker = Worker(sources, transfer_dir)


def _run(task: Task) -> Outcome:
    if _worker is None:
        raise RuntimeError("the pool initializer builds the worker")
    return _worker.run(task)


def keep_freed_memory() -> bool:
    """Keeps each file's freed buffers for the next file instead of unmapping them (glibc only).

    Each file inflates to a few MB in one buffer; glibc maps and unmaps such buffers, so every file's pages fault in
    again, which cost more than inflating it (measured). Raising the thresholds keeps the memory in the heap.
    """
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, KEEP_FREED_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, 2 * KEEP_FREED_BYTES))


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def parse_all(
    sources: Sequence[LocalSource],
    tasks: Iterable[Task],
    workers: int,
    on_done: Callable[[Outcome], None],
    chunk: int = 1,
) -> None:
    """Calls `on_done` with each task's outcome as it ends; `chunk` tasks go to a worker at a time."""
    transfer = tempfile.mkdtemp(prefix="detector-", dir=SHARED_MEMORY) if SHARED_MEMORY.is_dir() else None
    try:
        for outcome in _outcomes(sources, tasks, workers, transfer, chunk):
            on_done(outcome)
    finally:
        if transfer is not None:
            shutil.rmtree(transfer, ignore_errors=True)


def _outcomes(
    sources: Sequence[LocalSource], tasks: Iterable[Task], workers: int, transfer: str | None, chunk: int
) -> Iterator[Outcome]:
    if workers <= 1:
        worker = Worker(sources, None)
        yield from map(worker.run, tasks)
        return
    method = "fork" if sys.platform == "linux" else None
    with multiprocessing.get_context(method).Pool(workers, initializer=_start, initargs=(sources, transfer)) as pool:
        yield from pool.imap_unordered(_run, tasks, chunksize=chunk)


def batches_of(outcome: Outcome) -> list[pa.RecordBatch]:
    """The outcome's batches; a shared-memory file is mapped (no copy) and unlinked at once (the map keeps it)."""
    if outcome.ipc_file is not None:
        batches = list(pa.ipc.open_stream(pa.memory_map(outcome.ipc_file)))
        Path(outcome.ipc_file).unlink()
        return batches
    if outcome.ipc is None:
        return []
    return list(pa.ipc.open_stream(outcome.ipc))
