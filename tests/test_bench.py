"""`python -m bench` at a tiny size, and the scan's speed-ups it measures: they keep the scan's answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.__main__ import main
from detector.core import queries
from detector.core.window import Window
from detector.local.cloudtrail_reader import CloudTrailSource
from detector.local.discovery import find_log_files
from detector.local.loading import LocalCatalog
from detector.local.projection import TABLE, Projection, fields_read_by
from detector.local.scan import scan
from detector.sources.cloudtrail import COLUMNS
from detector.sources.columns import Struct
from tests import oracle
from tests.helpers import LogTree, cloudtrail_event, logged_in

RESULTS = (
    "events",
    "scan_seconds",
    "floor_seconds",
    "python_seconds",
    "jq_seconds",
    "scan_vs_floor",
    "speedup_vs_python",
    "window_bytes_ratio",
    "peak_rss_mb",
    "cached_seconds",
    "cached_vs_floor",
    "s3_vs_sync",
    "access_seconds",
    "access_vs_scan",
)
DETECTION_SQL = queries.render(queries.DETECTION, TABLE, source="cloudtrail")


def test_tiny_bench_prints_every_result_and_the_scan_agrees_with_the_plain_loop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a scratch folder for a tiny data set
    arguments = ["--events", "4000", "--rounds", "1", "--data", str(tmp_path)]

    # WHEN the bench runs one round over 4,000 events
    main(arguments)

    # THEN it prints every result, and the scan's findings agree with the plain loop's
    lines = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines() if not line.startswith("#"))
    assert set(RESULTS) <= set(lines)
    assert int(lines["events"]) > 0
    assert float(lines["window_bytes_ratio"]) == 1
    assert (lines["findings_agree"], lines["cached_s3_synced_agree"]) == ("True", "True")
    # AND the scan of the same requests as access logs finds what the CloudTrail scan finds
    assert lines["access_findings_agree"] == "True"
    assert int(lines["access_records"]) >= int(lines["events"])


def detection(generated_logs: Path, catalog: LocalCatalog) -> tuple[int, int, list[dict[str, object]]]:
    files, _pruned = find_log_files([generated_logs], Window())
    catalog.load(files)
    return catalog.files_scanned, catalog.events_scanned, catalog.run(queries.DETECTION, Window())


def test_reading_only_the_fields_the_query_names_finds_what_reading_every_field_finds(generated_logs: Path) -> None:
    # GIVEN the fields the detection query names
    source = CloudTrailSource.for_query(DETECTION_SQL)

    # WHEN the generated logs are scanned reading only those fields, and again reading every field
    narrow = detection(generated_logs, LocalCatalog([source]))
    wide = detection(generated_logs, LocalCatalog())

    # THEN both scans find the same
    assert narrow == wide


def test_reading_on_two_worker_processes_finds_what_reading_in_one_finds(generated_logs: Path) -> None:
    # GIVEN the generated logs
    # WHEN they are scanned on two worker processes, and again in this process alone
    parallel = detection(generated_logs, LocalCatalog(workers=2))
    alone = detection(generated_logs, LocalCatalog(workers=1))

    # THEN both scans find the same
    assert parallel == alone


def test_a_cached_scan_finds_what_reading_the_files_finds(generated_logs: Path, tmp_path: Path) -> None:
    # GIVEN the generated logs, scanned once into a cache
    first = detection(generated_logs, LocalCatalog([CloudTrailSource.for_query(DETECTION_SQL)], cache_dir=tmp_path))

    # WHEN they are scanned again from the cache
    cached = LocalCatalog([CloudTrailSource.for_query(DETECTION_SQL)], cache_dir=tmp_path)
    again = detection(generated_logs, cached)

    # THEN the second scan read no file and found the same
    assert (cached.bytes_read, again) == (0, first)


def test_json_text_read_only_by_key_is_narrowed_to_those_keys() -> None:
    # GIVEN the detection query
    # WHEN what it reads of the JSON-text fields is worked out
    keys = Projection.for_query(DETECTION_SQL).json_keys

    # THEN it reads only the bucket name and the signature and authentication keys
    assert keys == {
        "requestParameters": ("bucketName",),
        "additionalEventData": ("SignatureVersion", "AuthenticationMethod"),
    }


def test_detection_reads_only_some_fields_and_only_the_sub_fields_it_names() -> None:
    # GIVEN the detection query
    # WHEN the fields it reads are worked out
    fields = {field.name: field for field in fields_read_by(DETECTION_SQL)}

    # THEN they are some of the table's fields, not all
    assert {"eventTime", "userAgent", "additionalEventData", "tlsDetails"} <= set(fields) < {f.name for f in COLUMNS}
    # AND of userIdentity only the sub-fields the query names
    identity = fields["userIdentity"].type
    assert isinstance(identity, Struct)
    assert {f.name for f in identity.fields} == {"arn", "accountId", "invokedBy"}


@pytest.mark.parametrize("sql", ["SELECT * FROM cloudtrail", "WITH t AS (SELECT * FROM cloudtrail) SELECT 1 FROM t"])
def test_a_star_over_the_table_reads_every_field(sql: str) -> None:
    # GIVEN a query selecting * from the table, directly or through a CTE
    # WHEN the fields it reads are worked out
    fields = fields_read_by(sql)

    # THEN they are every column of the table
    assert fields == COLUMNS


def test_a_struct_named_whole_is_read_whole() -> None:
    # GIVEN a query naming the userIdentity struct as a whole
    sql = "SELECT useridentity FROM cloudtrail"

    # WHEN the fields it reads are worked out
    (identity,) = (f for f in fields_read_by(sql) if f.name == "userIdentity")

    # THEN the struct is read with all its sub-fields
    assert identity in COLUMNS


def test_a_log_file_spread_over_several_lines_is_still_scanned(log_tree: LogTree) -> None:
    # GIVEN a log file of two SigV2 events written as indented, multi-line JSON
    event = cloudtrail_event(signature="SigV2")
    path = log_tree.write([event])
    path.with_suffix("").with_suffix(".json").write_text(json.dumps({"Records": [event, event]}, indent=2))
    path.unlink()

    # WHEN the tree is scanned
    report = scan([log_tree.root], Window())

    # THEN the file is scanned, not skipped, and both events are found as the oracle finds them
    assert (report.files_scanned, report.events_scanned, report.files_skipped) == (1, 2, [])
    assert [finding.requests for finding in report.findings] == [2]
    assert oracle.canonical(f.to_dict() for f in report.findings) == oracle.canonical(
        logged_in("cloudtrail", oracle.findings([event, event]))
    )


def test_duckdb_draws_no_progress_bar_of_its_own_into_a_report_on_stdout() -> None:
    # GIVEN a new local catalog
    catalog = LocalCatalog()

    # WHEN its DuckDB connection is asked for the progress bar setting
    setting = catalog.connection.execute("SELECT current_setting('enable_progress_bar')").fetchone()

    # THEN the progress bar is off
    assert setting == (False,)
