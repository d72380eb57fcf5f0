"""`scan` over S3 server access logs: bad input reported, never dropped unseen; mixed trees; `--source`; both key
layouts found and pruned by their path dates; the cache."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from detector.core.findings import SkippedLines
from detector.core.window import Window
from detector.local.cli import EXIT_OK, main
from detector.local.discovery import find_log_files
from detector.local.loading import LocalCatalog
from detector.local.scan import detection_sources, scan
from tests.helpers import LOG_ACCOUNT, AccessLogTree, LogTree, access_log_line, cloudtrail_event

OLD_CLI = "aws-cli/1.11.10 Python/2.7.8 Linux/3.2.0-4-amd64 botocore/1.4.67"
USER = f"arn:aws:iam::{LOG_ACCOUNT}:user"


def sigv2_line(name: str = "old", request_id: str = "REQ1", **options: Any) -> str:
    return access_log_line(arn=f"{USER}/{name}", agent=OLD_CLI, signature="SigV2", request_id=request_id, **options)


def found(report: Any) -> set[tuple[str, tuple[str, ...], int]]:
    return {(f.principal_arn, tuple(f.reasons), f.requests) for f in report.findings}


@pytest.fixture
def access_tree(tmp_path: Path) -> AccessLogTree:
    return AccessLogTree(tmp_path / "access")


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    code = main(["scan", *arguments])
    captured = capsys.readouterr()
    return code, captured.out, " ".join(captured.err.split())


# --- bad input: each line or file that is not a record is reported, the rest read --------------------------------


def test_a_truncated_line_is_counted_reported_and_the_rest_of_the_file_read(
    access_tree: AccessLogTree, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN an access log whose second line was cut off inside its User-Agent
    cut = sigv2_line(request_id="B")[: sigv2_line().index(OLD_CLI) + 10]
    path = access_tree.write([sigv2_line(request_id="A"), cut, sigv2_line(request_id="C")])

    # WHEN it is scanned, and scanned by the CLI into JSON
    report = scan([access_tree.root], Window(), workers=1)
    code, out, err = run(capsys, str(access_tree.root), "--format", "json")

    # THEN the cut line is counted and shown with its number, and the two records are read and found
    assert report.lines_skipped == [SkippedLines(str(path), 1, (f"line 2: {cut}",))]
    assert (report.files_scanned, report.events_scanned, report.files_skipped) == (1, 2, [])
    assert found(report) == {(f"{USER}/old", ("outdated_sdk", "sigv2"), 2)}
    # AND the JSON report lists it and standard error names the file and the line
    assert code == EXIT_OK
    assert json.loads(out)["lines_skipped"] == [
        {"path": str(path), "lines": 1, "examples": [report.lines_skipped[0].examples[0]]}
    ]
    assert f"skipped 1 line(s) of {path}: not log records (line 2: " in err


def test_extra_trailing_fields_are_ignored(access_tree: AccessLogTree, tmp_path: Path) -> None:
    # GIVEN a record as S3 writes it today, and the same record with four fields S3 may append one day
    today = AccessLogTree(tmp_path / "today")
    today.write([sigv2_line()])
    access_tree.write([sigv2_line(fields=31)])

    # WHEN each is scanned
    reports = [scan([tree.root], Window(), workers=1) for tree in (today, access_tree)]

    # THEN both give the same finding, and no line is reported
    assert [r.findings for r in reports[1:]] == [reports[0].findings]
    assert reports[1].findings and reports[1].lines_skipped == []


def test_a_line_from_before_signature_version_existed_keeps_what_it_has(access_tree: AccessLogTree) -> None:
    # GIVEN a 2014-format record (it ends at Version Id) of an old CLI
    access_tree.write([sigv2_line(fields=18)])

    # WHEN it is scanned
    report = scan([access_tree.root], Window(), workers=1)

    # THEN it is read whole: its client is outdated, and nothing claims a signature or TLS version it does not log
    (finding,) = report.findings
    assert (finding.reasons, finding.signature_versions, finding.tls_versions) == (["outdated_sdk"], [], [])
    assert report.lines_skipped == []


def test_a_user_agent_holding_quotes_is_read_whole_and_the_fields_after_it_stay_put(access_tree: AccessLogTree) -> None:
    # GIVEN a SigV2 request over TLS 1.0 whose User-Agent holds quotes and text shaped like the fields after it
    agent = 'aws-cli/1.11.10 "x" - h SigV4 c AuthHeader e TLSv1.3'
    access_tree.write([access_log_line(arn=f"{USER}/q", agent=agent, signature="SigV2", tls="TLSv1")])

    # WHEN it is scanned
    report = scan([access_tree.root], Window(), workers=1)

    # THEN the finding has the whole agent, and the signature and TLS version S3 logged after it
    (finding,) = report.findings
    assert (finding.user_agent, finding.signature_versions, finding.tls_versions) == (agent, ["SigV2"], ["TLSv1"])
    assert finding.reasons == ["legacy_tls", "outdated_sdk", "sigv2"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("2026-11-20-00-05-00-0123456789ABCDEF", b"shopping list\nmilk\n"),
        ("notes.json", b"not json, not a log\n"),
        ("2026-11-20-00-05-00-FEDCBA9876543210", b"\x00\x01\x02"),
    ],
    ids=["text-named-like-an-access-log", "text-named-like-cloudtrail", "binary"],
)
def test_a_file_that_is_neither_source_is_reported_and_skipped(
    access_tree: AccessLogTree, name: str, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN an access log, and beside it a file that is neither log
    access_tree.write([sigv2_line()])
    stranger = access_tree.root / name
    stranger.write_bytes(content)

    # WHEN the tree is scanned by the CLI
    code, out, err = run(capsys, str(access_tree.root), "--format", "json")

    # THEN the stranger is skipped, saying it is neither log, and the access log is read
    report = json.loads(out)
    assert code == EXIT_OK
    assert [s["path"] for s in report["files_skipped"]] == [str(stranger)]
    assert report["files_skipped"][0]["error"].startswith(
        'not a log file: neither a CloudTrail log file (a JSON object {"Records": [...]}) nor an S3 server access log'
    )
    assert (report["files_scanned"], len(report["findings"])) == (1, 1)
    assert f"skipped {stranger}: not a log file" in err


def test_duplicate_records_are_counted_once(access_tree: AccessLogTree) -> None:
    # GIVEN one request logged twice in a file, and delivered again in a later file (delivery is best effort)
    access_tree.write([sigv2_line(), sigv2_line(), sigv2_line(request_id="REQ2")])
    access_tree.write([sigv2_line()], day=date(2026, 11, 21))

    # WHEN the tree is scanned
    report = scan([access_tree.root], Window(), workers=1)

    # THEN every record is read, and each request counted once
    assert report.events_scanned == 4
    assert found(report) == {(f"{USER}/old", ("outdated_sdk", "sigv2"), 2)}


# --- mixed trees, and --source --------------------------------------------------------------------------------------


@pytest.fixture
def mixed(tmp_path: Path) -> tuple[Path, Path, Path]:
    """One folder holding a CloudTrail log of user `trail` and an access log of user `access`."""
    trail = LogTree(tmp_path / "mixed").write(
        [cloudtrail_event(arn=f"{USER}/trail", agent=f"[{OLD_CLI}]", signature="SigV2")]
    )
    access = AccessLogTree(tmp_path / "mixed").write([sigv2_line("access")])
    return tmp_path / "mixed", trail, access


def test_a_mixed_tree_is_read_file_by_file_as_each_files_log(mixed: tuple[Path, Path, Path]) -> None:
    # GIVEN a folder holding a CloudTrail log and an access log
    root, _trail, _access = mixed

    # WHEN it is scanned
    report = scan([root], Window(), workers=1)

    # THEN both files are read, each finding names its log, and both have the same fields
    assert (report.files_scanned, report.files_skipped) == (2, [])
    assert {(f.principal_arn, f.log_source) for f in report.findings} == {
        (f"{USER}/trail", "cloudtrail"),
        (f"{USER}/access", "access_logs"),
    }
    assert len({tuple(f.to_dict()) for f in report.findings}) == 1


FORCED = {
    "access-logs": ("access", "trail", "not an S3 server access log file: no line is a log record"),
    "cloudtrail": ("trail", "access", "not a CloudTrail log file"),
}
"""What `--source` reads of the mixed folder, what it skips, and the reason that log's parser gives."""


@pytest.mark.parametrize("source", FORCED)
def test_source_reads_every_file_as_the_log_named(
    mixed: tuple[Path, Path, Path], source: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a folder holding a CloudTrail log and an access log
    root, trail, access = mixed
    paths = {"trail": trail, "access": access}
    read, refused, reason = FORCED[source]

    # WHEN it is scanned with --source naming one log
    code, out, _err = run(capsys, str(root), "--source", source, "--format", "json")

    # THEN that log's file is read, and the other is skipped with that log's parser's reason
    report = json.loads(out)
    assert code == EXIT_OK
    assert [f["principal_arn"] for f in report["findings"]] == [f"{USER}/{read}"]
    assert [(s["path"], s["error"].startswith(reason)) for s in report["files_skipped"]] == [
        (str(paths[refused]), True)
    ]


def test_the_table_shows_a_finding_both_logs_give_once_naming_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the same SigV2 request in a CloudTrail log and an access log
    LogTree(tmp_path).write([cloudtrail_event(arn=f"{USER}/old", agent=f"[{OLD_CLI}]", signature="SigV2")])
    AccessLogTree(tmp_path).write([sigv2_line()])

    # WHEN the folder is scanned into the table
    code, out, _err = run(capsys, str(tmp_path))

    # THEN the summary counts a finding in each log, and the table shows them as one row naming both logs
    assert code == EXIT_OK
    assert "2 findings (1 in cloudtrail, 1 in access_logs)" in out
    (row,) = [line for line in out.splitlines() if f"{USER}/old" in line]
    assert "access_logs cloudtrail" in row


# --- which files are opened --------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["partitioned", "simple"])
def test_access_logs_are_pruned_by_the_day_in_their_key(access_tree: AccessLogTree, layout: str) -> None:
    # GIVEN access logs delivered on six days, each holding a request of its day
    for day in range(18, 24):
        access_tree.write(
            [sigv2_line(when=f"{day}/Nov/2026:12:00:00", request_id=f"D{day}")], day=date(2026, 11, day), layout=layout
        )

    # WHEN the files for a scan of 2026-11-20 are found, and the scan runs
    window = Window(date(2026, 11, 20), date(2026, 11, 20))
    files, pruned = find_log_files([access_tree.root], window)
    report = scan([access_tree.root], window, workers=1)

    # THEN only the files delivered that day and the next are opened, and only that day's request is reported
    assert sorted(f.log_date for f in files if f.log_date) == [date(2026, 11, 20), date(2026, 11, 21)]
    assert (len(files), pruned, report.files_scanned) == (2, 4, 2)
    assert found(report) == {(f"{USER}/old", ("outdated_sdk", "sigv2"), 1)}


def test_a_scheduled_window_reads_the_days_deliveries_in_either_layout(access_tree: AccessLogTree) -> None:
    # GIVEN access logs delivered on 2026-11-20 and 2026-11-21, in both layouts
    for layout in ("partitioned", "simple"):
        for day in (20, 21):
            access_tree.write([sigv2_line()], day=date(2026, 11, day), layout=layout)

    # WHEN the files of the scheduled run of 2026-11-20 are found
    files, pruned = find_log_files([access_tree.root], Window(date(2026, 11, 20), date(2026, 11, 20), by_delivery=True))

    # THEN it reads that day's deliveries in both layouts, and no other
    assert (sorted(str(f.log_date) for f in files), pruned) == (["2026-11-20", "2026-11-20"], 2)


def test_a_folder_walk_opens_access_logs_by_their_name_gzipped_or_not(access_tree: AccessLogTree) -> None:
    # GIVEN an access log as delivered, one gzipped with .gz after download, one gzipped under its own name, and a
    # file of another name
    plain = access_tree.write([sigv2_line(request_id="A")])
    suffixed = plain.with_name(plain.name[:-1] + "1.gz")
    suffixed.write_bytes(gzip.compress(sigv2_line(request_id="B").encode()))
    unnamed = plain.with_name(plain.name[:-1] + "2")
    unnamed.write_bytes(gzip.compress(sigv2_line(request_id="C").encode()))
    (plain.parent / "README.txt").write_text("not a log")

    # WHEN the tree is scanned
    report = scan([access_tree.root], Window(), workers=1)

    # THEN the three logs are read, each of their requests counted, and the other file never opened
    assert (report.files_scanned, report.files_skipped, report.events_scanned) == (3, [], 3)
    assert found(report) == {(f"{USER}/old", ("outdated_sdk", "sigv2"), 3)}


# --- the cache -----------------------------------------------------------------------------------------------------


def load(root: Path, cache_dir: Path, sources: tuple[str, ...]) -> tuple[LocalCatalog, list[dict[str, object]]]:
    catalog = LocalCatalog(detection_sources(sources), workers=1, cache_dir=cache_dir)
    catalog.load(find_log_files([root], Window())[0])
    return catalog, catalog.run("detection", Window(), "access_logs")


def test_a_cached_access_log_is_not_read_again_and_its_bad_lines_are_reported_again(
    access_tree: AccessLogTree, tmp_path: Path
) -> None:
    # GIVEN an access log with a line that is not a record, scanned once into a cache
    access_tree.write([sigv2_line(), "garbage"])
    first, first_rows = load(access_tree.root, tmp_path / "cache", ("cloudtrail", "access_logs"))

    # WHEN it is scanned again from the cache, reading both logs, and reading access logs alone
    again, again_rows = load(access_tree.root, tmp_path / "cache", ("cloudtrail", "access_logs"))
    alone, alone_rows = load(access_tree.root, tmp_path / "cache", ("access_logs",))

    # THEN neither scan read the file, both found the same, and both report its bad line again
    assert first.bytes_read > 0
    assert (again.bytes_read, alone.bytes_read) == (0, 0)
    assert first_rows == again_rows == alone_rows != []
    assert first.lines_skipped == again.lines_skipped == alone.lines_skipped != []
