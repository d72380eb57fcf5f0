"""The local scan over files on disk: bad files are reported and skipped, the rest is still scanned."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from detector.core.window import Window
from detector.local.cli import EXIT_USAGE, main
from detector.local.discovery import UsageError, find_log_files
from detector.local.scan import scan
from tests import oracle
from tests.helpers import DEMO_LOGS, LOG_ACCOUNT, LogTree, cloudtrail_event, logged_in

SIGV2_EVENT = cloudtrail_event(arn="arn:aws:iam::111122223333:user/old", agent="[aws-cli/1.11.10]", signature="SigV2")


def copy_demo(tmp_path: Path) -> Path:
    root = tmp_path / "AWSLogs"
    shutil.copytree(DEMO_LOGS, root)
    return root


def event_count(paths: list[Path]) -> int:
    return len(oracle.read_events(paths))


def test_truncated_gzip_is_reported_with_its_path_and_the_rest_is_scanned(tmp_path: Path) -> None:
    # GIVEN a copy of the demo tree with one gzip file cut in half
    root = copy_demo(tmp_path)
    files = oracle.log_files(root)
    broken = files[len(files) // 2]
    broken.write_bytes(broken.read_bytes()[: broken.stat().st_size // 2])
    intact = [path for path in files if path != broken]

    # WHEN the tree is scanned
    report = scan([root], Window())

    # THEN the cut file is skipped as a truncated gzip, named by its path
    assert [(skipped.path, "truncated gzip" in skipped.error) for skipped in report.files_skipped] == [
        (str(broken), True)
    ]
    # AND every event of the other files is scanned
    assert report.files_scanned == len(intact)
    assert report.events_scanned == event_count(intact)


def test_json_that_is_not_cloudtrail_is_reported_as_such(log_tree: LogTree) -> None:
    # GIVEN a log file, and beside it a JSON file that is no CloudTrail log
    good = log_tree.write([SIGV2_EVENT])
    stranger = good.parent / "settings.json"
    stranger.write_text(json.dumps({"foo": 1}))

    # WHEN the tree is scanned
    report = scan([log_tree.root], Window())

    # THEN the stranger is skipped as not a CloudTrail log file, and the log is still scanned
    assert [skipped.path for skipped in report.files_skipped] == [str(stranger)]
    assert report.files_skipped[0].error.startswith("not a CloudTrail log file")
    assert (report.files_scanned, report.events_scanned, len(report.findings)) == (1, 1, 1)


@pytest.mark.parametrize("records", [{"a": 1}, "abc", 42], ids=["object", "string", "number"])
def test_records_that_are_not_a_list_are_reported_as_the_wrong_shape(log_tree: LogTree, records: object) -> None:
    # GIVEN a log file, and a JSON file whose Records is not a list
    log_tree.write([SIGV2_EVENT])
    odd = log_tree.root / "odd.json"
    odd.write_text(json.dumps({"Records": records}))

    # WHEN the tree is scanned
    report = scan([log_tree.root], Window())

    # THEN the odd file is skipped for its shape, and the log is still scanned
    assert [skipped.path for skipped in report.files_skipped] == [str(odd)]
    assert report.files_skipped[0].error.startswith('not a CloudTrail log file: expected {"Records": [{...}, ...]} (')
    assert report.files_scanned == 1


def test_file_of_malformed_json_is_reported_as_not_json(log_tree: LogTree) -> None:
    # GIVEN a log file, and a file of JSON cut short
    log_tree.write([SIGV2_EVENT])
    broken = log_tree.root / "broken.json"
    broken.write_text('{"Records": [ {')

    # WHEN the tree is scanned
    report = scan([log_tree.root], Window())

    # THEN the broken file alone is skipped, as not valid JSON
    assert [(s.path, s.error.startswith("not valid JSON")) for s in report.files_skipped] == [(str(broken), True)]


def test_empty_file_is_reported_as_empty(log_tree: LogTree) -> None:
    # GIVEN a log file, and an empty file
    log_tree.write([SIGV2_EVENT])
    empty = log_tree.root / "empty.json"
    empty.write_text("")

    # WHEN the tree is scanned
    report = scan([log_tree.root], Window())

    # THEN the empty file alone is skipped, as empty
    assert [(s.path, s.error.startswith("empty file")) for s in report.files_skipped] == [(str(empty), True)]


def test_folder_without_log_files_is_a_usage_error_naming_the_folder(tmp_path: Path) -> None:
    # GIVEN a folder holding only a text file
    (tmp_path / "notes.txt").write_text("not a log")

    # WHEN it is scanned
    # THEN it is a usage error naming the folder and suggesting aws s3 sync
    with pytest.raises(UsageError, match=rf"{tmp_path}: no log files in this folder .*aws s3 sync"):
        scan([tmp_path], Window())


def test_missing_path_is_a_usage_error_naming_the_path(tmp_path: Path) -> None:
    # GIVEN a path that does not exist
    missing = tmp_path / "nowhere"

    # WHEN it is scanned
    # THEN it is a usage error naming the path
    with pytest.raises(UsageError, match=rf"{missing}: no such file or folder"):
        scan([missing], Window())


def test_since_after_until_exits_2_naming_both_dates(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a since date two days after the until date
    arguments = ["scan", str(DEMO_LOGS), "--since", "2026-11-22", "--until", "2026-11-20"]

    # WHEN the scan command runs
    code = main(arguments)

    # THEN it exits 2, naming both dates
    assert code == EXIT_USAGE
    assert "--since 2026-11-22 is after --until 2026-11-20" in capsys.readouterr().err


def legacy_record(**fields: object) -> oracle.Event:
    """An eventVersion 1.05 record: no userAgent, additionalEventData or tlsDetails unless given."""
    event = cloudtrail_event(agent=None, signature=None, auth=None, tls=None, eventVersion="1.05")
    event.update(fields)
    return event


def test_old_records_without_agent_signature_or_tls_are_scanned_and_counted(log_tree: LogTree) -> None:
    # GIVEN two eventVersion 1.05 records without agent, signature or TLS, and a SigV2 request
    log_tree.write([legacy_record(), legacy_record(), SIGV2_EVENT])

    # WHEN the tree is scanned
    report = scan([log_tree.root], Window())

    # THEN all three are scanned and counted, and only the SigV2 request is a finding
    assert (report.files_scanned, report.events_scanned, report.files_skipped) == (1, 3, [])
    assert [finding.principal_arn for finding in report.findings] == [SIGV2_EVENT["userIdentity"]["arn"]]


def test_old_records_still_give_the_reasons_their_data_holds(log_tree: LogTree) -> None:
    # GIVEN old records, one signed with SigV2, one over TLS 1.1 and one with neither
    signed_v2 = legacy_record(
        userIdentity={"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/v2"},
        additionalEventData={"SignatureVersion": "SigV2"},
    )
    old_tls = legacy_record(
        userIdentity={"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/tls"},
        tlsDetails={"tlsVersion": "TLSv1.1"},
    )
    log_tree.write([signed_v2, old_tls, legacy_record()])

    # WHEN the tree is scanned
    report = scan([log_tree.root], Window())

    # THEN the first two are findings for those reasons, with no agent, as the oracle finds
    assert {(f.principal_arn, tuple(f.reasons), f.user_agent) for f in report.findings} == {
        ("arn:aws:iam::111122223333:user/v2", ("sigv2",), ""),
        ("arn:aws:iam::111122223333:user/tls", ("legacy_tls",), ""),
    }
    assert oracle.canonical(f.to_dict() for f in report.findings) == oracle.canonical(
        logged_in("cloudtrail", oracle.findings([signed_v2, old_tls, legacy_record()]))
    )


def test_organization_trail_path_gives_account_region_and_date(log_tree: LogTree) -> None:
    # GIVEN a log file at an organization trail's path
    path = log_tree.write([SIGV2_EVENT], organization="o-abc123def4", account="444455556666", region="eu-west-1")

    # WHEN the log files of the tree are found
    (found,), pruned = find_log_files([log_tree.root], Window())

    # THEN the file's account, region and date come from its path
    assert path.as_posix().endswith("AWSLogs/o-abc123def4/444455556666/CloudTrail/eu-west-1/2026/11/20/" + path.name)
    assert (found.account, found.region, found.log_date, pruned) == ("444455556666", "eu-west-1", date(2026, 11, 20), 0)


def test_organization_trail_tree_is_scanned(log_tree: LogTree) -> None:
    # GIVEN an organization trail's tree of one SigV2 request
    log_tree.write([SIGV2_EVENT], organization="o-abc123def4")

    # WHEN it is scanned for the day of the request
    report = scan([log_tree.root], Window(date(2026, 11, 20), date(2026, 11, 20)))

    # THEN the file is scanned and the request found
    assert (report.files_scanned, len(report.findings)) == (1, 1)


def test_flat_folder_of_json_files_is_scanned(tmp_path: Path) -> None:
    # GIVEN a plain folder of three downloaded JSON log files
    events = [
        SIGV2_EVENT,
        cloudtrail_event(arn="arn:aws:iam::111122223333:user/tls", tls="TLSv1"),
        cloudtrail_event(arn="arn:aws:iam::111122223333:user/new"),
    ]
    for index, event in enumerate(events):
        (tmp_path / f"download-{index}.json").write_text(json.dumps({"Records": [event]}))

    # WHEN the folder is scanned
    report = scan([tmp_path], Window())

    # THEN every file and event is scanned, with the oracle's findings
    assert (report.files_scanned, report.events_scanned) == (3, 3)
    assert oracle.canonical(f.to_dict() for f in report.findings) == oracle.canonical(
        logged_in("cloudtrail", oracle.findings(events))
    )


def test_flat_files_are_windowed_by_their_event_times(tmp_path: Path) -> None:
    # GIVEN a flat file of two SigV2 requests, one inside the window and one after it
    inside = cloudtrail_event(arn="arn:aws:iam::111122223333:user/in", signature="SigV2", when="2026-11-20T08:00:00Z")
    outside = cloudtrail_event(arn="arn:aws:iam::111122223333:user/out", signature="SigV2", when="2026-11-25T08:00:00Z")
    (tmp_path / "events.json").write_text(json.dumps({"Records": [inside, outside]}))

    # WHEN the folder is scanned for the window
    report = scan([tmp_path], Window(date(2026, 11, 19), date(2026, 11, 21)))

    # THEN only the request inside it is found
    assert [finding.principal_arn for finding in report.findings] == ["arn:aws:iam::111122223333:user/in"]


def test_single_file_argument_is_scanned(log_tree: LogTree) -> None:
    # GIVEN one log file
    path = log_tree.write([SIGV2_EVENT])

    # WHEN the file itself is scanned
    report = scan([path], Window())

    # THEN it is scanned and its request found
    assert (report.files_scanned, len(report.findings)) == (1, 1)


def test_window_prunes_files_by_path_date_without_opening_them(log_tree: LogTree) -> None:
    # GIVEN a log file inside the window, and corrupt files dated before and after it
    log_tree.write([SIGV2_EVENT], day=date(2026, 11, 20))
    corrupt_before = log_tree.write([], day=date(2026, 11, 18))
    corrupt_after = log_tree.write([], day=date(2026, 11, 22))
    for corrupt in (corrupt_before, corrupt_after):
        corrupt.write_bytes(b"\x1f\x8b this is no gzip stream")

    # WHEN the tree is scanned for the window
    report = scan([log_tree.root], Window(date(2026, 11, 19), date(2026, 11, 20)))

    # THEN the corrupt files are never opened, so nothing is skipped
    assert report.files_skipped == []
    assert (report.files_scanned, len(report.findings)) == (1, 1)


def test_unwindowed_scan_does_open_and_report_the_corrupt_file(log_tree: LogTree) -> None:
    # GIVEN a log file, and a corrupt file dated two days earlier
    log_tree.write([SIGV2_EVENT], day=date(2026, 11, 20))
    corrupt = log_tree.write([], day=date(2026, 11, 18))
    corrupt.write_bytes(b"\x1f\x8b this is no gzip stream")

    # WHEN the tree is scanned with no window
    report = scan([log_tree.root], Window())

    # THEN the corrupt file is opened and reported
    assert [skipped.path for skipped in report.files_skipped] == [str(corrupt)]


def test_same_file_given_twice_is_scanned_once(log_tree: LogTree) -> None:
    # GIVEN a log file
    path = log_tree.write([SIGV2_EVENT])

    # WHEN its tree and the file itself are scanned together
    report = scan([log_tree.root, path], Window())

    # THEN the file is scanned once and its request counted once
    assert (report.files_scanned, report.events_scanned, report.findings[0].requests) == (1, 1, 1)


def test_scan_of_the_demo_tree_matches_the_oracle() -> None:
    # GIVEN the demo tree, its files as the oracle lists them
    files = oracle.log_files(DEMO_LOGS)

    # WHEN it is scanned
    report = scan([DEMO_LOGS], Window())

    # THEN every file and event is scanned, none skipped, with the oracle's findings
    assert (report.files_scanned, report.events_scanned, report.files_skipped) == (len(files), event_count(files), [])
    assert oracle.canonical(f.to_dict() for f in report.findings) == oracle.canonical(
        logged_in("cloudtrail", oracle.findings(oracle.read_events(files)))
    )


def test_records_of_other_accounts_keep_their_own_account(log_tree: LogTree) -> None:
    # GIVEN a SigV2 request by another account's user, logged in the log account's tree
    other = cloudtrail_event(
        arn="arn:aws:iam::999988887777:user/partner",
        signature="SigV2",
        userIdentity={"type": "IAMUser", "arn": "arn:aws:iam::999988887777:user/partner", "accountId": "999988887777"},
    )
    log_tree.write([other], account=LOG_ACCOUNT)

    # WHEN the tree is scanned
    (finding,) = scan([log_tree.root], Window()).findings

    # THEN the finding is of the user's own account
    assert finding.account_id == "999988887777"


def test_validation_digests_beside_the_logs_are_neither_scanned_nor_reported(log_tree: LogTree) -> None:
    # GIVEN a log file, and beside it the trail's validation digest for it
    log = log_tree.write([SIGV2_EVENT])
    digest_folder = log_tree.root / f"AWSLogs/{LOG_ACCOUNT}/CloudTrail-Digest/us-east-1/2026/11/20"
    digest_folder.mkdir(parents=True)
    digest = {
        "awsAccountId": LOG_ACCOUNT,
        "digestStartTime": "2026-11-20T00:00:00Z",
        "logFiles": [{"s3Object": log.name}],
    }
    (digest_folder / f"{LOG_ACCOUNT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20261120T010000Z.json.gz").write_bytes(
        gzip.compress(json.dumps(digest).encode())
    )

    # WHEN the tree is scanned
    report = scan([log_tree.root], Window())

    # THEN only the log is scanned, and the digest is not reported as skipped
    assert (report.files_scanned, report.files_skipped, len(report.findings)) == (1, [], 1)
