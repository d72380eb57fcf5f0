"""`python -m detector scan`: exit codes, the three output formats, and the demo tree's findings."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from detector.core.findings import PRESIGNED_HINT, Finding
from detector.local.cli import EXIT_OK, EXIT_USAGE, main
from samples.generate import ACTORS, Actor, make_event
from tests import oracle
from tests.helpers import DEMO_LOGS, LogTree, cloudtrail_event

FINDING_FIELDS = [
    "principal_arn",
    "account_id",
    "source_ip",
    "user_agent",
    "client",
    "client_version",
    "sigv4_default_version",
    "signature_versions",
    "tls_versions",
    "auth_methods",
    "reasons",
    "requests",
    "buckets",
    "event_names",
    "regions",
    "first_seen",
    "last_seen",
]
"""The documented fields of a finding in the JSON report."""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["scan", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def demo_report() -> dict[str, Any]:
    buffer = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdout", buffer)
        assert main(["scan", str(DEMO_LOGS), "--format", "json"]) == EXIT_OK
    return dict(json.loads(buffer.getvalue()))


def table_cells(text: str, column: str) -> list[str]:
    """The text of one column of the table, a cell per finding, its wrapped lines joined."""
    lines = text.splitlines()
    header = next(index for index, line in enumerate(lines) if "Principal" in line and "What to change" in line)
    names = ["Requests", "Reasons", "Principal", "Source IP", "Client", "What to change"]
    starts = {name: lines[header].index(name) for name in names}
    ordered = sorted(starts.values())
    start = starts[column]
    end = next((position for position in ordered if position > start), None)
    cells: list[list[str]] = []
    for line in lines[header + 2 :]:
        if not line.strip():
            continue
        if line[: starts["Reasons"]].strip():
            cells.append([])
        cells[-1].append(line[start:end].strip())
    return [" ".join(parts) for parts in cells]


def squeezed(text: str) -> str:
    return "".join(text.split())


# --- exit codes ------------------------------------------------------------------------------


def test_scan_with_findings_exits_0(log_tree: LogTree, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a log tree of one SigV2 request
    log_tree.write([cloudtrail_event(signature="SigV2")])

    # WHEN it is scanned into JSON
    code, out, _ = run(capsys, str(log_tree.root), "--format", "json")

    # THEN the scan exits 0 with one finding
    assert (code, len(json.loads(out)["findings"])) == (EXIT_OK, 1)


def test_scan_without_findings_exits_0(log_tree: LogTree, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a log tree of one modern request
    log_tree.write([cloudtrail_event()])

    # WHEN it is scanned into JSON
    code, out, _ = run(capsys, str(log_tree.root), "--format", "json")

    # THEN the scan exits 0 with no findings
    assert (code, json.loads(out)["findings"]) == (EXIT_OK, [])


def test_missing_path_exits_2_with_the_reason_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a path that does not exist
    missing = str(tmp_path / "nowhere")

    # WHEN it is scanned
    code, out, err = run(capsys, missing)

    # THEN the scan exits 2, printing nothing on stdout and the reason on stderr
    assert (code, out) == (EXIT_USAGE, "")
    assert err == f"error: {tmp_path / 'nowhere'}: no such file or folder\n"


def test_date_that_is_not_a_date_exits_2_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a since date written day first
    arguments = ["scan", str(DEMO_LOGS), "--since", "20/11/2026"]

    # WHEN the scan command runs
    with pytest.raises(SystemExit) as exited:
        main(arguments)

    # THEN it exits 2, showing the format a date takes
    assert exited.value.code == EXIT_USAGE
    assert "'20/11/2026' is not a date; use YYYY-MM-DD" in capsys.readouterr().err


def test_skipped_files_are_named_on_stderr(log_tree: LogTree, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a log tree holding a JSON file that is no CloudTrail log
    log_tree.write([cloudtrail_event()])
    stranger = log_tree.root / "stranger.json"
    stranger.write_text('{"foo": 1}')

    # WHEN it is scanned into JSON
    code, out, err = run(capsys, str(log_tree.root), "--format", "json")

    # THEN the scan exits 0, listing the file as skipped in the report and naming it on stderr
    assert code == EXIT_OK
    assert [skipped["path"] for skipped in json.loads(out)["files_skipped"]] == [str(stranger)]
    assert f"skipped {stranger}: not a CloudTrail log file" in " ".join(err.split())


# --- output formats --------------------------------------------------------------------------


def test_json_report_has_the_documented_shape(demo_report: dict[str, Any]) -> None:
    # GIVEN the JSON report of the demo tree
    # WHEN its keys are read
    keys = list(demo_report)

    # THEN they are the documented ones, the window is open, and every finding has the documented fields
    assert keys == ["window", "files_scanned", "events_scanned", "files_skipped", "findings"]
    assert demo_report["window"] == {"since": None, "until": None}
    assert demo_report["findings"]
    assert all(list(finding) == FINDING_FIELDS for finding in demo_report["findings"])


def test_json_report_carries_the_window_given(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the demo tree and a window of one day
    # WHEN it is scanned into JSON for that window
    _, out, _ = run(capsys, str(DEMO_LOGS), "--since", "2026-11-21", "--until", "2026-11-21", "--format", "json")

    # THEN the report carries the window
    assert json.loads(out)["window"] == {"since": "2026-11-21", "until": "2026-11-21"}


def test_csv_report_parses_to_one_row_per_finding(
    demo_report: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the JSON report of the demo tree
    # WHEN the tree is scanned into CSV
    _, out, _ = run(capsys, str(DEMO_LOGS), "--format", "csv")

    # THEN the CSV parses to a row per finding, with its principal, reasons, requests and hint
    rows = list(csv.DictReader(io.StringIO(out)))

    assert [row["principal_arn"] for row in rows] == [f["principal_arn"] for f in demo_report["findings"]]
    assert [row["reasons"].split() for row in rows] == [f["reasons"] for f in demo_report["findings"]]
    assert [int(row["requests"]) for row in rows] == [f["requests"] for f in demo_report["findings"]]
    assert [row["hint"] for row in rows] == [hint(f) for f in demo_report["findings"]]


def hint(finding: dict[str, Any]) -> str:
    return Finding(**finding).hint()


def test_table_names_each_findings_principal_and_hint(
    demo_report: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the JSON report of the demo tree
    # WHEN the tree is scanned into a table
    _, out, _ = run(capsys, str(DEMO_LOGS))

    # THEN each finding's principal and hint are in the table, in the report's order
    assert [squeezed(cell) for cell in table_cells(out, "Principal")] == [
        f["principal_arn"] for f in demo_report["findings"]
    ]
    assert [squeezed(cell) for cell in table_cells(out, "What to change")] == [
        squeezed(hint(f)) for f in demo_report["findings"]
    ]


def test_table_without_findings_says_so(log_tree: LogTree, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a log tree of two modern requests
    log_tree.write([cloudtrail_event(), cloudtrail_event()])

    # WHEN it is scanned into a table
    _, out, _ = run(capsys, str(log_tree.root))

    # THEN the summary says 0 findings over the day the events span, and no table follows
    assert out.startswith("Scanned 1 files, 2 events (2026-11-20 .. 2026-11-20); 0 files skipped. 0 findings.")
    assert "What to change" not in out


@pytest.mark.parametrize("format_", ["table", "json", "csv"])
def test_output_option_writes_the_report_to_the_file_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], format_: str
) -> None:
    # GIVEN a file to write the report to
    target = tmp_path / f"report.{format_}"

    # WHEN the demo tree is scanned with --output, and again without
    code, out, _ = run(capsys, str(DEMO_LOGS), "--format", format_, "--output", str(target))
    _, printed, _ = run(capsys, str(DEMO_LOGS), "--format", format_)

    # THEN nothing is printed, and the file holds what would have been
    assert (code, out) == (EXIT_OK, "")
    assert target.read_text(encoding="utf-8").split() == printed.split()


# --- the demo tree ---------------------------------------------------------------------------


def actor_arn(actor: Actor) -> str | None:
    return actor.identity.get("arn")


def would_be_flagged(actor: Actor) -> bool:
    """What the actor's own data says: customer traffic with an ARN that signs SigV2, uses old TLS or an old SDK."""
    when = datetime(2026, 11, 20, 12, tzinfo=UTC)
    events = [
        make_event(random.Random(seed), actor, actor.regions[0], when) for seed in range(len(actor.user_agents) * 4)
    ]
    return bool(oracle.findings(events))


def finding_of(report: dict[str, Any], actor_name: str) -> dict[str, Any]:
    arn = actor_arn(next(actor for actor in ACTORS if actor.name == actor_name))
    (finding,) = [f for f in report["findings"] if f["principal_arn"] == arn]
    return dict(finding)


def test_demo_findings_are_what_the_oracle_finds_in_the_same_files(demo_report: dict[str, Any]) -> None:
    # GIVEN the JSON report of the demo tree
    # WHEN the oracle reads the same files
    files = oracle.log_files(DEMO_LOGS)
    events = oracle.read_events(files)

    # THEN the report counts the same files and events, and has the oracle's findings
    assert (demo_report["files_scanned"], demo_report["events_scanned"]) == (len(files), len(events))
    assert oracle.canonical(demo_report["findings"]) == oracle.canonical(oracle.findings(events))


def test_demo_findings_are_exactly_the_actors_whose_data_says_so(demo_report: dict[str, Any]) -> None:
    # GIVEN the JSON report of the demo tree
    # WHEN the actors whose own data calls for a finding are picked out
    expected = {actor_arn(actor) for actor in ACTORS if would_be_flagged(actor)}

    # THEN the findings are theirs, the six expected principals
    assert {f["principal_arn"] for f in demo_report["findings"]} == expected
    assert {"backup-cron", "legacy-uploader", "reports", "batch-etl", "share-links", "legacy-erp"} == {
        arn.split(":", 5)[5].split("/")[1] for arn in expected if arn
    }


def test_demo_sigv2_clients_are_found_for_signing_sigv2(demo_report: dict[str, Any]) -> None:
    # GIVEN the JSON report of the demo tree
    # WHEN the finding of each actor that signs SigV2 with an ARN is looked up
    # THEN each has sigv2 among its reasons
    for actor in ACTORS:
        if actor.signature == "SigV2" and actor_arn(actor):
            assert "sigv2" in finding_of(demo_report, actor.name)["reasons"], actor.name


def test_demo_old_java_on_sigv4_is_found_only_for_its_version(demo_report: dict[str, Any]) -> None:
    # GIVEN the JSON report of the demo tree
    # WHEN the old Java batch's finding is looked up
    finding = finding_of(demo_report, "old Java batch forced to SigV4")

    # THEN it is a SigV4 finding for its outdated SDK alone
    assert (finding["reasons"], finding["signature_versions"]) == (["outdated_sdk"], ["SigV4"])
    assert finding["client"] == "aws-sdk-java"


def test_demo_presigned_url_is_blamed_on_its_signer(demo_report: dict[str, Any]) -> None:
    # GIVEN the JSON report of the demo tree
    # WHEN the finding of the presigned URL fetched by curl is looked up
    finding = finding_of(demo_report, "SigV2 presigned URL fetched by curl")

    # THEN it is a SigV2 query-string finding with no client, its hint about the signer
    assert (finding["reasons"], finding["auth_methods"], finding["client"]) == (["sigv2"], ["QueryString"], None)
    assert hint(finding).startswith(PRESIGNED_HINT)


def test_demo_tls10_client_is_found_for_its_tls(demo_report: dict[str, Any]) -> None:
    # GIVEN the JSON report of the demo tree
    # WHEN the TLS 1.0 client's finding is looked up
    finding = finding_of(demo_report, "TLS 1.0 .NET client")

    # THEN it is found for its TLS alone
    assert (finding["reasons"], finding["tls_versions"]) == (["legacy_tls"], ["TLSv1"])


def test_demo_modern_console_service_and_anonymous_traffic_is_never_found(demo_report: dict[str, Any]) -> None:
    # GIVEN the JSON report of the demo tree
    # WHEN the actors whose own data calls for no finding are picked out
    quiet = [actor for actor in ACTORS if not would_be_flagged(actor)]
    names = {actor.name for actor in quiet}

    # THEN they include the modern, console, service and anonymous traffic, and none of them is found
    assert {
        "console user",
        "modern boto3 service",
        "modern JS v3 web app",
        "anonymous readers of a public bucket",
    } <= names
    assert not {actor_arn(actor) for actor in quiet} & {f["principal_arn"] for f in demo_report["findings"]}
    assert all(f["principal_arn"] for f in demo_report["findings"])


def test_a_window_outside_every_file_completes_with_a_note(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the demo logs, dated 2026-11-20 .. 2026-11-23
    # WHEN the window is a day in 2025
    code, out, err = run(capsys, str(DEMO_LOGS), "--since", "2025-01-01", "--until", "2025-01-01")

    # THEN the scan completes empty and says why, naming the window
    assert code == EXIT_OK
    assert out.startswith("Scanned 0 files, 0 events")
    assert "no log file is dated inside the window 2025-01-01 .. 2025-01-01" in err
