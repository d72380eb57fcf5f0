"""The local scan loses nothing and says why: each fault of a log tree, what the scan does, and that the rest is read.

Every test here failed on the reader before the fast one; the README's fault table ("Local scan") names them.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest

from detector.core.window import Window
from detector.local.cli import EXIT_OK, EXIT_USAGE, main
from detector.local.scan import scan
from tests.helpers import REPO_ROOT, LogTree, cloudtrail_event

SIGV2_EVENT = cloudtrail_event(arn="arn:aws:iam::111122223333:user/old", agent="[aws-cli/1.11.10]", signature="SigV2")
TEST_NAME = re.compile(r"^def (test_[a-z0-9_]+)\(", re.MULTILINE)
WITHOUT_ROOTS_POWERS = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
"""Runs a command as root without the capabilities that let root read any file: as a user would."""


def as_a_user(*arguments: str) -> list[str]:
    """The command as a user without the power to read every file: root drops it, anyone else has none."""
    if os.geteuid() != 0:
        return list(arguments)
    if shutil.which("setpriv") is None:
        pytest.skip("running as root, and setpriv (util-linux) is missing to drop root's file permissions")
    return [*WITHOUT_ROOTS_POWERS, *arguments]


def scan_as_a_user(*paths: Path) -> dict[str, Any]:
    """`python -m detector scan PATH... --format json` as a user; the JSON report."""
    command = as_a_user(sys.executable, "-m", "detector", "scan", *map(str, paths), "--format", "json")
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == EXIT_OK, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


# --- --output is checked before anything is scanned --------------------------------------------------------------


def test_output_into_a_missing_folder_is_a_usage_error_before_scanning(
    log_tree: LogTree, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a log tree, and an --output path inside a folder that does not exist
    log_tree.write([SIGV2_EVENT])
    target = tmp_path / "missing" / "report.json"
    scanned: list[object] = []
    monkeypatch.setattr("detector.local.cli.scan", lambda *args, **kwargs: scanned.append(args))

    # WHEN the tree is scanned into it
    code = main(["scan", str(log_tree.root), "--format", "json", "--output", str(target)])

    # THEN it exits 2 naming the missing folder, and nothing was scanned
    assert (code, scanned) == (EXIT_USAGE, [])
    assert f"the folder {target.parent} does not exist" in capsys.readouterr().err


def test_output_onto_a_folder_is_a_usage_error_before_scanning(
    log_tree: LogTree, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a log tree, and an --output that is an existing folder
    log_tree.write([SIGV2_EVENT])

    # WHEN the tree is scanned into the folder
    code = main(["scan", str(log_tree.root), "--output", str(tmp_path)])

    # THEN it exits 2, saying the path is a folder
    assert code == EXIT_USAGE
    assert f"--output {tmp_path} is a folder" in capsys.readouterr().err


# --- unreadable files and folders are reported, the rest scanned ---------------------------------------------------


def test_unreadable_file_is_reported_with_its_path_and_the_rest_is_scanned(log_tree: LogTree) -> None:
    # GIVEN two log files, one of them readable by no one
    log_tree.write([SIGV2_EVENT])
    locked = log_tree.write([SIGV2_EVENT])
    locked.chmod(0)

    # WHEN a user scans the tree
    report = scan_as_a_user(log_tree.root)

    # THEN the locked file is skipped, named with the reason, and the other file is scanned
    assert [(s["path"], "Permission denied" in s["error"]) for s in report["files_skipped"]] == [(str(locked), True)]
    assert (report["files_scanned"], report["events_scanned"]) == (1, 1)


def test_unreadable_folder_is_reported_with_its_path_and_the_rest_is_scanned(log_tree: LogTree) -> None:
    # GIVEN a log file in one region's folder, and another region's folder readable by no one
    log_tree.write([SIGV2_EVENT], region="us-east-1")
    hidden = log_tree.write([SIGV2_EVENT], region="eu-west-1").parent.parent.parent.parent
    hidden.chmod(0)

    # WHEN a user scans the tree
    try:
        report = scan_as_a_user(log_tree.root)
    finally:
        hidden.chmod(0o755)

    # THEN the locked folder is skipped, named, and the readable file is scanned
    assert [(s["path"], "cannot open the folder" in s["error"]) for s in report["files_skipped"]] == [
        (str(hidden), True)
    ]
    assert report["files_scanned"] == 1


# --- symbolic links --------------------------------------------------------------------------------------------------


def test_symlinked_folder_is_followed_once_even_when_a_link_loops_back(log_tree: LogTree, tmp_path: Path) -> None:
    # GIVEN a tree holding a link to a log folder kept elsewhere, and a link from inside that folder back up to itself
    elsewhere = LogTree(tmp_path / "elsewhere")
    kept = elsewhere.write([SIGV2_EVENT])
    log_tree.root.mkdir(parents=True)
    (log_tree.root / "linked").symlink_to(elsewhere.root, target_is_directory=True)
    (kept.parent / "loop").symlink_to(elsewhere.root, target_is_directory=True)

    # WHEN the tree is scanned
    report = scan([log_tree.root], Window())

    # THEN the linked file is scanned once, its request counted once
    assert (report.files_scanned, report.events_scanned, report.files_skipped) == (1, 1, [])
    assert report.findings[0].requests == 1


def test_link_to_a_missing_log_file_is_reported(log_tree: LogTree) -> None:
    # GIVEN a log file, and beside it a link to a log file that is gone
    good = log_tree.write([SIGV2_EVENT])
    dangling = good.parent / "gone.json.gz"
    dangling.symlink_to(good.parent / "never-there.json.gz")

    # WHEN the tree is scanned
    report = scan([log_tree.root], Window())

    # THEN the link is skipped as leading nowhere, and the file is scanned
    assert [(s.path, "symbolic link to nothing" in s.error) for s in report.files_skipped] == [(str(dangling), True)]
    assert report.files_scanned == 1


# --- gzip: truncated is truncated, wherever the cut ----------------------------------------------------------------


def gzip_bytes(events: list[dict[str, Any]]) -> bytes:
    return gzip.compress(json.dumps({"Records": events}).encode(), mtime=0)


CUTS = {
    "in the magic": 1,
    "in the header": 5,
    "after the header": 10,
    "early data": 40,
    "mid data": -200,
    "late data": -12,
    "before the trailer": -8,
    "in the CRC": -6,
    "in the length": -2,
}
"""Nine cut points: header, compressed data and the 8-byte trailer (CRC-32, then length)."""


@pytest.mark.parametrize("cut", CUTS.values(), ids=CUTS.keys())
def test_truncated_gzip_is_reported_as_truncated_wherever_it_was_cut(log_tree: LogTree, cut: int) -> None:
    # GIVEN a log file, and a copy of a bigger one cut short
    log_tree.write([SIGV2_EVENT])
    whole = gzip_bytes([cloudtrail_event(when=f"2026-11-20T12:00:{i % 60:02d}Z") for i in range(40)])
    cut_file = log_tree.root / "cut.json.gz"
    cut_file.write_bytes(whole[:cut])

    # WHEN the tree is scanned
    report = scan([log_tree.root], Window())

    # THEN the cut file is reported as a truncated gzip file, and the other file is scanned
    assert [(s.path, s.error.startswith("truncated gzip file")) for s in report.files_skipped] == [
        (str(cut_file), True)
    ]
    assert report.files_scanned == 1


def test_corrupt_gzip_trailer_is_reported_as_a_corrupt_gzip_file(log_tree: LogTree) -> None:
    # GIVEN a log file whose gzip trailer (CRC-32 and length) is overwritten
    data = bytearray(gzip_bytes([SIGV2_EVENT]))
    data[-8:] = b"\xff" * 8
    broken = log_tree.root / "trailer.json.gz"
    log_tree.write([SIGV2_EVENT])
    broken.write_bytes(bytes(data))

    # WHEN the tree is scanned
    report = scan([log_tree.root], Window())

    # THEN it is reported as a corrupt gzip file, not as something that is not CloudTrail
    assert [(s.path, s.error.startswith("corrupt gzip file")) for s in report.files_skipped] == [(str(broken), True)]


def test_gzip_of_two_members_is_read_whole(log_tree: LogTree) -> None:
    # GIVEN a log file written as two gzip members
    whole = json.dumps({"Records": [SIGV2_EVENT, SIGV2_EVENT]}).encode()
    path = log_tree.root / "members.json.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(whole[:50]) + gzip.compress(whole[50:]))

    # WHEN it is scanned
    report = scan([path], Window())

    # THEN both events are read
    assert (report.files_scanned, report.events_scanned, report.files_skipped) == (1, 2, [])


# --- the reason never depends on the path --------------------------------------------------------------------------


@pytest.mark.parametrize("folder", ["compressed-logs", "gzip", "json-parse"])
def test_the_reason_a_file_is_skipped_does_not_depend_on_its_folder(tmp_path: Path, folder: str) -> None:
    # GIVEN a JSON file whose Records is a number, in a folder whose name reads like an error
    odd = tmp_path / folder / "odd.json"
    odd.parent.mkdir()
    odd.write_text(json.dumps({"Records": 42}))

    # WHEN it is scanned
    report = scan([odd.parent], Window())

    # THEN it is skipped for its shape, whatever the folder is called
    assert [s.error.startswith('not a CloudTrail log file: expected {"Records"') for s in report.files_skipped] == [
        True
    ]


@pytest.mark.parametrize(("name", "matched"), [("what?.json", "whatX.json"), ("all*.json", "all-other.json")])
def test_file_names_with_glob_characters_are_read_like_any_other(tmp_path: Path, name: str, matched: str) -> None:
    # GIVEN a log file whose name holds a glob character, and beside it one the glob would match
    for file_name in (name, matched):
        (tmp_path / file_name).write_text(json.dumps({"Records": [SIGV2_EVENT]}))

    # WHEN the folder is scanned
    report = scan([tmp_path], Window())

    # THEN each file is read once: two files, two events
    assert (report.files_scanned, report.events_scanned, report.files_skipped) == (2, 2, [])


# --- the reader's two bugs -----------------------------------------------------------------------------------------


def test_null_in_records_is_never_an_event_alone_or_beside_a_bad_file(tmp_path: Path) -> None:
    # GIVEN a file of one event and a null, alone in one folder, and in another beside two logs and a corrupt one
    alone, beside = tmp_path / "alone", tmp_path / "beside"
    for folder in (alone, beside):
        folder.mkdir()
        (folder / "null.json").write_text(json.dumps({"Records": [SIGV2_EVENT, None]}))
    for index in range(2):
        (beside / f"good-{index}.json").write_text(json.dumps({"Records": [SIGV2_EVENT]}))
    corrupt = bytearray(gzip_bytes([SIGV2_EVENT]))
    corrupt[-8:] = b"\xff" * 8
    (beside / "corrupt.json.gz").write_bytes(bytes(corrupt))

    # WHEN both folders are scanned
    counts = [scan([folder], Window()).events_scanned for folder in (alone, beside)]

    # THEN the null is counted in neither: one event alone, three beside the two logs
    assert counts == [1, 3]


def test_a_file_bigger_than_its_gzip_trailer_says_is_reported_as_corrupt(log_tree: LogTree) -> None:
    # GIVEN a log file whose trailer's length field is too small for its data
    data = bytearray(gzip_bytes([SIGV2_EVENT] * 3))
    data[-4:] = (10).to_bytes(4, "little")
    path = log_tree.root / "small.json.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(bytes(data))

    # WHEN it is scanned
    report = scan([path], Window())

    # THEN it is reported as a corrupt gzip file, nothing read from it
    assert [s.error.startswith("corrupt gzip file") for s in report.files_skipped] == [True]
    assert report.events_scanned == 0


# --- hostile text stays text ---------------------------------------------------------------------------------------


def test_markup_in_a_skipped_path_is_printed_as_it_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a corrupt log file in a folder whose name is rich markup
    folder = tmp_path / "logs["
    folder.mkdir()
    broken = folder / "][bold]broken.json"
    broken.write_text("{")
    assert "[/][bold]" in str(broken)

    # WHEN the folder is scanned
    code = main(["scan", str(folder), "--format", "json"])

    # THEN the scan completes, naming the file as it is
    assert code == EXIT_OK
    assert f"skipped {broken}: not valid JSON" in " ".join(capsys.readouterr().err.split())


def test_terminal_controls_in_a_user_agent_are_shown_escaped_in_the_table(
    log_tree: LogTree, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a SigV2 request whose user agent carries a terminal escape sequence and markup
    log_tree.write([cloudtrail_event(signature="SigV2", agent="[curl\x1b]0;owned\x07 [red]x[/red]]")])

    # WHEN the tree is scanned into a table
    main(["scan", str(log_tree.root)])
    out = capsys.readouterr().out

    # THEN no escape character reaches the terminal; it is shown escaped, and the markup as text
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b" in out
    assert "[red]" in out


def test_unreadable_and_corrupt_files_are_counted_alike_in_one_and_two_processes(log_tree: LogTree) -> None:
    # GIVEN three good files and one corrupt one
    for _ in range(3):
        log_tree.write([SIGV2_EVENT])
    bad = log_tree.write([])
    bad.write_bytes(zlib.compress(b"not gzip at all"))

    # WHEN the tree is scanned on one process and on two
    reports = [scan([log_tree.root], Window(), workers=workers) for workers in (1, 2)]

    # THEN both report the same
    assert [(r.files_scanned, r.events_scanned, [s.path for s in r.files_skipped]) for r in reports] == [
        (3, 3, [str(bad)])
    ] * 2


def test_every_test_the_readmes_fault_table_names_exists() -> None:
    # GIVEN the README's table of local-scan faults, and every test function in tests/
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Local scan: what goes wrong, and what the scan does", 1)[1].split("\n\n", 2)[1]
    defined = {
        match[1] for path in (REPO_ROOT / "tests").glob("test_*.py") for match in TEST_NAME.finditer(path.read_text())
    }

    # WHEN the tests the table names are read
    named = set(re.findall(r"`(test_[a-z0-9_]+)`", table))

    # THEN there are some, and each is a test that exists
    assert len(named) > 20
    assert named - defined == set()
