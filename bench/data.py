"""The benchmark's log trees, generated once per size with a fixed seed and kept in `bench/.data/<events>/`: the scan
tree, the window tree, and the scan tree's requests as S3 server access logs (date-based partitioned layout)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date
from functools import partial
from pathlib import Path

from samples.access_logs import generate_access_logs
from samples.generate import REGIONS, generate

DATA_DIR = Path(__file__).resolve().parent / ".data"
SEED = 20261127
START = date(2026, 11, 1)
SCAN_EVENTS_PER_FILE = 2000
WINDOW_DAYS = 30
WINDOW_FILES_PER_REGION_DAY = 24
"""At most an hourly file per region: the 30-day tree stays at 2,880 files, and no file straddles midnight."""
WINDOW_MIN_EVENTS_PER_FILE = 50


@dataclass(frozen=True)
class Tree:
    """`events` events over `days` days in every region, `events_per_file` to a file."""

    name: str
    events: int
    days: int
    events_per_file: int
    log: str = "cloudtrail"
    """`cloudtrail`, or `access_logs` for the same requests as access logs."""


def trees(events: int) -> tuple[Tree, Tree, Tree]:
    """The scan tree (about 2,000 events a file, one day), the window tree (the same events over 30 days), and the
    scan tree's requests as access logs."""
    slots = WINDOW_DAYS * len(REGIONS) * WINDOW_FILES_PER_REGION_DAY
    per_file = max(WINDOW_MIN_EVENTS_PER_FILE, round(events / slots))
    return (
        Tree("scan", events, 1, SCAN_EVENTS_PER_FILE),
        Tree("window", events, WINDOW_DAYS, per_file),
        Tree("access", events, 1, SCAN_EVENTS_PER_FILE, log="access_logs"),
    )


WRITERS: dict[str, Callable[..., Iterator[Path]]] = {
    "cloudtrail": generate,
    "access_logs": partial(generate_access_logs, layout="partitioned"),
}
"""Each log's writer of the generator's requests: the same requests for a seed."""


def _generate_region(out: Path, tree: Tree, index: int) -> int:
    written = WRITERS[tree.log](
        out,
        events=tree.events // len(REGIONS),
        days=tree.days,
        start=START,
        regions=(REGIONS[index],),
        events_per_file=tree.events_per_file,
        seed=SEED + index,
    )
    return sum(1 for _ in written)


def ensure(tree: Tree, data_dir: Path = DATA_DIR, workers: int = 2) -> Path:
    """The tree's folder, generated one region per task on `workers` processes unless a complete copy is kept."""
    root = data_dir / str(tree.events) / tree.name
    marker = root.with_suffix(".json")
    """Beside the tree, not in it: the scan reads every *.json file it finds."""
    if marker.exists() and json.loads(marker.read_text()) == asdict(tree):
        return root
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    count = len(REGIONS)
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_generate_region, [root] * count, [tree] * count, range(count)))
    marker.write_text(json.dumps(asdict(tree)))
    return root


def log_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.json.gz"))
