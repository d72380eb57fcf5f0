"""The sample generator is deterministic: the committed demo trees are what `make samples` writes today, so a change
to the generator that alters them (and the README's demo output) is seen here, not in a diff of binary files."""

from __future__ import annotations

import filecmp
import random
from pathlib import Path

import pytest

from samples import access_logs, generate
from samples.generate import HEX_DIGITS, _hex


def differing(left: Path, right: Path) -> list[str]:
    """Relative paths present in only one tree or different in content."""
    names = {p.relative_to(left) for p in left.rglob("*") if p.is_file()}
    others = {p.relative_to(right) for p in right.rglob("*") if p.is_file()}
    changed = [n for n in names & others if not filecmp.cmp(left / n, right / n, shallow=False)]
    return sorted(str(n) for n in (names ^ others) | set(changed))


@pytest.mark.parametrize("seed", [0, 1, 20261127])
def test_hex_draws_what_choice_draws_and_leaves_the_same_state(seed: int) -> None:
    # GIVEN two generators with the same seed
    reference, bulk = random.Random(seed), random.Random(seed)

    # WHEN one draws digits with choice and the other with _hex, for lengths the generator uses and odd ones
    expected = ["".join(reference.choice(HEX_DIGITS) for _ in range(n)) for n in (8, 32, 16, 1, 3, 0, 100)]
    drawn = [_hex(bulk, n) for n in (8, 32, 16, 1, 3, 0, 100)]

    # THEN the digits are the same and so is the next draw
    assert drawn == expected
    assert bulk.random() == reference.random()


def test_the_committed_samples_are_what_the_generators_write(tmp_path: Path) -> None:
    # GIVEN the committed demo trees
    committed = generate.SAMPLES_DIR

    # WHEN both generators write them again with their defaults
    generate.main(["--out", str(tmp_path)])
    access_logs.main(["--out", str(tmp_path / "access-logs")])

    # THEN every file is byte for byte the committed one
    assert differing(tmp_path / "AWSLogs", committed / "AWSLogs") == []
    assert differing(tmp_path / "access-logs", access_logs.DEMO_ACCESS_LOGS) == []
