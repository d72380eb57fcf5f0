"""The local scan over files on disk: bad files are reported and skipped, the rest is still scanned."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from detector.cli import EXIT_USAGE, main
from detector.local import UsageError, find_log_files, scan
from detector.window import Window
from tests import oracle
from tests.conftest import DEMO_LOGS
from tests.oracle import ACCOUNT, LogTree, cloudtrail_event

SIGV2_EVENT = cloudtrail_event(arn="arn:aws:iam::111122223333:user/old", agent="[aws-cli/1.11.10]", signature="SigV2")


def copy_demo(tmp_path: Path) -> Path:
    root = tmp_path / "AWSLogs"
    shutil.copytree(DEMO_LOGS, root)
    return root


def event_count(paths: list[Path]) -> int:
    return len(oracle.read_events(paths))


def test_truncated_gzip_is_reported_with_its_path_and_the_rest_is_scanned(tmp_path: Path) -> None:
    root = copy_demo(tmp_path)
    files = oracle.log_files(root)
    broken = files[len(files) // 2]
    broken.write_bytes(broken.read_bytes()[: broken.stat().st_size // 2])
    intact = [path for path in files if path != broken]

    report = scan([root], Window())

    assert [(skipped.path, "truncated gzip" in skipped.error) for skipped in report.files_skipped] == [
        (str(broken), True)
    ]
    assert report.files_scanned == len(intact)
    assert report.events_scanned == event_count(intact)


def test_json_that_is_not_cloudtrail_is_reported_as_such(log_tree: LogTree) -> None:
    good = log_tree.write([SIGV2_EVENT])
    stranger = good.parent / "settings.json"
    stranger.write_text(json.dumps({"foo": 1}))

    report = scan([log_tree.root], Window())

    assert [skipped.path for skipped in report.files_skipped] == [str(stranger)]
    assert report.files_skipped[0].error.startswith("not a CloudTrail log file")
    assert (report.files_scanned, report.events_scanned, len(report.findings)) == (1, 1, 1)


@pytest.mark.parametrize("records", [{"a": 1}, "abc", 42], ids=["object", "string", "number"])
def test_records_that_are_not_a_list_are_reported_as_the_wrong_shape(log_tree: LogTree, records: object) -> None:
    log_tree.write([SIGV2_EVENT])
    odd = log_tree.root / "odd.json"
    odd.write_text(json.dumps({"Records": records}))

    report = scan([log_tree.root], Window())

    assert [skipped.path for skipped in report.files_skipped] == [str(odd)]
    assert report.files_skipped[0].error.startswith('not a CloudTrail log file: expected {"Records": [{...}, ...]} (')
    assert report.files_scanned == 1


def test_file_of_malformed_json_is_reported_as_not_json(log_tree: LogTree) -> None:
    log_tree.write([SIGV2_EVENT])
    broken = log_tree.root / "broken.json"
    broken.write_text('{"Records": [ {')

    report = scan([log_tree.root], Window())

    assert [(s.path, s.error.startswith("not valid JSON")) for s in report.files_skipped] == [(str(broken), True)]


def test_empty_file_is_reported_as_empty(log_tree: LogTree) -> None:
    log_tree.write([SIGV2_EVENT])
    empty = log_tree.root / "empty.json"
    empty.write_text("")

    report = scan([log_tree.root], Window())

    assert [(s.path, s.error.startswith("empty file")) for s in report.files_skipped] == [(str(empty), True)]


def test_folder_without_log_files_is_a_usage_error_naming_the_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a log")

    with pytest.raises(UsageError, match=rf"{tmp_path}: no CloudTrail log files .*aws s3 sync"):
        scan([tmp_path], Window())


def test_missing_path_is_a_usage_error_naming_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"

    with pytest.raises(UsageError, match=rf"{missing}: no such file or folder"):
        scan([missing], Window())


def test_since_after_until_exits_2_naming_both_dates(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", str(DEMO_LOGS), "--since", "2026-11-22", "--until", "2026-11-20"])

    assert code == EXIT_USAGE
    assert "--since 2026-11-22 is after --until 2026-11-20" in capsys.readouterr().err


def legacy_record(**fields: object) -> oracle.Event:
    """An eventVersion 1.05 record: no userAgent, additionalEventData or tlsDetails unless given."""
    event = cloudtrail_event(agent=None, signature=None, auth=None, tls=None, eventVersion="1.05")
    event.update(fields)
    return event


def test_old_records_without_agent_signature_or_tls_are_scanned_and_counted(log_tree: LogTree) -> None:
    log_tree.write([legacy_record(), legacy_record(), SIGV2_EVENT])

    report = scan([log_tree.root], Window())

    assert (report.files_scanned, report.events_scanned, report.files_skipped) == (1, 3, [])
    assert [finding.principal_arn for finding in report.findings] == [SIGV2_EVENT["userIdentity"]["arn"]]


def test_old_records_still_give_the_reasons_their_data_holds(log_tree: LogTree) -> None:
    signed_v2 = legacy_record(
        userIdentity={"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/v2"},
        additionalEventData={"SignatureVersion": "SigV2"},
    )
    old_tls = legacy_record(
        userIdentity={"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/tls"},
        tlsDetails={"tlsVersion": "TLSv1.1"},
    )
    log_tree.write([signed_v2, old_tls, legacy_record()])

    report = scan([log_tree.root], Window())

    assert {(f.principal_arn, tuple(f.reasons), f.user_agent) for f in report.findings} == {
        ("arn:aws:iam::111122223333:user/v2", ("sigv2",), ""),
        ("arn:aws:iam::111122223333:user/tls", ("legacy_tls",), ""),
    }
    assert oracle.canonical(f.to_dict() for f in report.findings) == oracle.canonical(
        oracle.findings([signed_v2, old_tls, legacy_record()])
    )


def test_organization_trail_path_gives_account_region_and_date(log_tree: LogTree) -> None:
    path = log_tree.write([SIGV2_EVENT], organization="o-abc123def4", account="444455556666", region="eu-west-1")

    (found,), pruned = find_log_files([log_tree.root], Window())

    assert path.as_posix().endswith("AWSLogs/o-abc123def4/444455556666/CloudTrail/eu-west-1/2026/11/20/" + path.name)
    assert (found.account, found.region, found.log_date, pruned) == ("444455556666", "eu-west-1", date(2026, 11, 20), 0)


def test_organization_trail_tree_is_scanned(log_tree: LogTree) -> None:
    log_tree.write([SIGV2_EVENT], organization="o-abc123def4")

    report = scan([log_tree.root], Window(date(2026, 11, 20), date(2026, 11, 20)))

    assert (report.files_scanned, len(report.findings)) == (1, 1)


def test_flat_folder_of_json_files_is_scanned(tmp_path: Path) -> None:
    events = [
        SIGV2_EVENT,
        cloudtrail_event(arn="arn:aws:iam::111122223333:user/tls", tls="TLSv1"),
        cloudtrail_event(arn="arn:aws:iam::111122223333:user/new"),
    ]
    for index, event in enumerate(events):
        (tmp_path / f"download-{index}.json").write_text(json.dumps({"Records": [event]}))

    report = scan([tmp_path], Window())

    assert (report.files_scanned, report.events_scanned) == (3, 3)
    assert oracle.canonical(f.to_dict() for f in report.findings) == oracle.canonical(oracle.findings(events))


def test_flat_files_are_windowed_by_their_event_times(tmp_path: Path) -> None:
    inside = cloudtrail_event(arn="arn:aws:iam::111122223333:user/in", signature="SigV2", when="2026-11-20T08:00:00Z")
    outside = cloudtrail_event(arn="arn:aws:iam::111122223333:user/out", signature="SigV2", when="2026-11-25T08:00:00Z")
    (tmp_path / "events.json").write_text(json.dumps({"Records": [inside, outside]}))

    report = scan([tmp_path], Window(date(2026, 11, 19), date(2026, 11, 21)))

    assert [finding.principal_arn for finding in report.findings] == ["arn:aws:iam::111122223333:user/in"]


def test_single_file_argument_is_scanned(log_tree: LogTree) -> None:
    path = log_tree.write([SIGV2_EVENT])

    report = scan([path], Window())

    assert (report.files_scanned, len(report.findings)) == (1, 1)


def test_window_prunes_files_by_path_date_without_opening_them(log_tree: LogTree) -> None:
    log_tree.write([SIGV2_EVENT], day=date(2026, 11, 20))
    corrupt_before = log_tree.write([], day=date(2026, 11, 18))
    corrupt_after = log_tree.write([], day=date(2026, 11, 22))
    for corrupt in (corrupt_before, corrupt_after):
        corrupt.write_bytes(b"\x1f\x8b this is no gzip stream")

    report = scan([log_tree.root], Window(date(2026, 11, 19), date(2026, 11, 20)))

    assert report.files_skipped == []
    assert (report.files_scanned, len(report.findings)) == (1, 1)


def test_unwindowed_scan_does_open_and_report_the_corrupt_file(log_tree: LogTree) -> None:
    log_tree.write([SIGV2_EVENT], day=date(2026, 11, 20))
    corrupt = log_tree.write([], day=date(2026, 11, 18))
    corrupt.write_bytes(b"\x1f\x8b this is no gzip stream")

    report = scan([log_tree.root], Window())

    assert [skipped.path for skipped in report.files_skipped] == [str(corrupt)]


def test_same_file_given_twice_is_scanned_once(log_tree: LogTree) -> None:
    path = log_tree.write([SIGV2_EVENT])

    report = scan([log_tree.root, path], Window())

    assert (report.files_scanned, report.events_scanned, report.findings[0].requests) == (1, 1, 1)


def test_scan_of_the_demo_tree_matches_the_oracle() -> None:
    report = scan([DEMO_LOGS], Window())
    files = oracle.log_files(DEMO_LOGS)

    assert (report.files_scanned, report.events_scanned, report.files_skipped) == (len(files), event_count(files), [])
    assert oracle.canonical(f.to_dict() for f in report.findings) == oracle.canonical(
        oracle.findings(oracle.read_events(files))
    )


def test_records_of_other_accounts_keep_their_own_account(log_tree: LogTree) -> None:
    other = cloudtrail_event(
        arn="arn:aws:iam::999988887777:user/partner",
        signature="SigV2",
        userIdentity={"type": "IAMUser", "arn": "arn:aws:iam::999988887777:user/partner", "accountId": "999988887777"},
    )
    log_tree.write([other], account=ACCOUNT)

    (finding,) = scan([log_tree.root], Window()).findings

    assert finding.account_id == "999988887777"


def test_validation_digests_beside_the_logs_are_neither_scanned_nor_reported(log_tree: LogTree) -> None:
    log = log_tree.write([SIGV2_EVENT])
    digest_folder = log_tree.root / f"AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1/2026/11/20"
    digest_folder.mkdir(parents=True)
    digest = {"awsAccountId": ACCOUNT, "digestStartTime": "2026-11-20T00:00:00Z", "logFiles": [{"s3Object": log.name}]}
    (digest_folder / f"{ACCOUNT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20261120T010000Z.json.gz").write_bytes(
        gzip.compress(json.dumps(digest).encode())
    )

    report = scan([log_tree.root], Window())

    assert (report.files_scanned, report.files_skipped, len(report.findings)) == (1, [], 1)
