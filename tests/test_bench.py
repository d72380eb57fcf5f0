"""`python -m bench` at a tiny size, and the scan's speed-ups it measures: they keep the scan's answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.__main__ import main
from detector import queries
from detector.local import TABLE, LocalCatalog, fields_read_by, find_log_files, scan
from detector.schema import COLUMNS, Struct
from detector.window import Window
from tests import oracle
from tests.oracle import LogTree, cloudtrail_event

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
)
DETECTION_SQL = queries.render(queries.DETECTION, TABLE)


def test_tiny_bench_prints_every_result_and_the_scan_agrees_with_the_plain_loop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["--events", "4000", "--rounds", "1", "--data", str(tmp_path)])

    lines = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines() if not line.startswith("#"))
    assert set(RESULTS) <= set(lines)
    assert int(lines["events"]) > 0
    assert float(lines["window_bytes_ratio"]) >= 1
    assert lines["findings_agree"] == "True"


def detection(generated_logs: Path, **options: object) -> tuple[int, int, list[dict[str, object]]]:
    files, _pruned = find_log_files([generated_logs], Window())
    catalog = LocalCatalog(**options)  # type: ignore[arg-type]
    catalog.load(files)
    return catalog.files_scanned, catalog.events_scanned, catalog.run(queries.DETECTION, Window())


def test_reading_only_the_fields_the_query_names_finds_what_reading_every_field_finds(generated_logs: Path) -> None:
    assert detection(generated_logs, fields=fields_read_by(DETECTION_SQL)) == detection(generated_logs)


def test_reading_the_files_again_at_query_time_finds_what_keeping_their_records_finds(generated_logs: Path) -> None:
    assert detection(generated_logs, keep_json_bytes=0) == detection(generated_logs)


def test_detection_reads_only_some_fields_and_only_the_sub_fields_it_names() -> None:
    fields = {field.name: field for field in fields_read_by(DETECTION_SQL)}

    assert {"eventTime", "userAgent", "additionalEventData", "tlsDetails"} <= set(fields) < {f.name for f in COLUMNS}
    identity = fields["userIdentity"].type
    assert isinstance(identity, Struct)
    assert {f.name for f in identity.fields} == {"arn", "accountId", "invokedBy"}


@pytest.mark.parametrize("sql", ["SELECT * FROM cloudtrail", "WITH t AS (SELECT * FROM cloudtrail) SELECT 1 FROM t"])
def test_a_star_over_the_table_reads_every_field(sql: str) -> None:
    assert fields_read_by(sql) == COLUMNS


def test_a_struct_named_whole_is_read_whole() -> None:
    (identity,) = (f for f in fields_read_by("SELECT useridentity FROM cloudtrail") if f.name == "userIdentity")

    assert identity in COLUMNS


def test_a_log_file_spread_over_several_lines_is_still_scanned(log_tree: LogTree) -> None:
    event = cloudtrail_event(signature="SigV2")
    path = log_tree.write([event])
    path.with_suffix("").with_suffix(".json").write_text(json.dumps({"Records": [event, event]}, indent=2))
    path.unlink()

    report = scan([log_tree.root], Window())

    assert (report.files_scanned, report.events_scanned, report.files_skipped) == (1, 2, [])
    assert [finding.requests for finding in report.findings] == [2]
    assert oracle.canonical(f.to_dict() for f in report.findings) == oracle.canonical(oracle.findings([event, event]))


def test_duckdb_draws_no_progress_bar_of_its_own_into_a_report_on_stdout() -> None:
    catalog = LocalCatalog()

    assert catalog.connection.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)
