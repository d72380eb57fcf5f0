"""The CloudTrail columns: one definition rendered for Glue and DuckDB, and partitions read from log paths."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from detector.local import LocalCatalog, find_log_files
from detector.schema import (
    COLUMNS,
    JSON_TEXT,
    Array,
    Field,
    LogLocation,
    Map,
    Scalar,
    Struct,
    Type,
    duckdb_record_type,
    duckdb_type,
    format_log_date,
    glue_columns,
    parse_log_path,
)
from detector.window import Window
from tests.oracle import LogTree, cloudtrail_event

Shape = Any


def defined_shape(type_: Type, *, lower: bool, json_kind: str) -> Shape:
    """The definition as nested tuples, field names as a renderer should spell them."""
    match type_:
        case Scalar():
            return json_kind if type_ == JSON_TEXT else "text"
        case Struct(fields):
            return tuple(
                (f.name.lower() if lower else f.name, defined_shape(f.type, lower=lower, json_kind=json_kind))
                for f in fields
            )
        case Array(element):
            return ("list", defined_shape(element, lower=lower, json_kind=json_kind))
        case Map(value):
            return ("map", defined_shape(value, lower=lower, json_kind=json_kind))
    raise TypeError(type_)


def duckdb_shape(type_: DuckDBPyType) -> Shape:
    kind = type_.id
    if kind == "struct":
        fields = []
        for name, child in type_.children:
            assert isinstance(child, DuckDBPyType)
            fields.append((name, duckdb_shape(child)))
        return tuple(fields)
    if kind == "list":
        return ("list", duckdb_shape(type_.child))
    if kind == "map":
        assert type_.key.id == "varchar"
        return ("map", duckdb_shape(type_.value))
    return {"VARCHAR": "text", "JSON": "json"}[str(type_)]


def glue_shape(type_: exp.DataType) -> Shape:
    kind = type_.this
    if kind == exp.DataType.Type.STRUCT:
        return tuple((column.name, glue_shape(column.args["kind"])) for column in type_.expressions)
    if kind == exp.DataType.Type.ARRAY:
        return ("list", glue_shape(type_.expressions[0]))
    if kind == exp.DataType.Type.MAP:
        assert type_.expressions[0].this == exp.DataType.Type.TEXT
        return ("map", glue_shape(type_.expressions[1]))
    assert kind == exp.DataType.Type.TEXT, type_
    return "text"


def test_glue_columns_render_every_field_lower_cased_with_json_as_string() -> None:
    rendered = tuple((name, glue_shape(exp.DataType.build(text, dialect="hive"))) for name, text in glue_columns())

    assert rendered == defined_shape(Struct(COLUMNS), lower=True, json_kind="text")


def test_duckdb_record_type_renders_every_field_in_its_json_case() -> None:
    relation = duckdb.connect().sql(f"SELECT CAST(NULL AS {duckdb_record_type()}) AS r")
    assert relation is not None
    record = relation.types[0]

    assert duckdb_shape(record) == defined_shape(Struct(COLUMNS), lower=False, json_kind="json")


def read_resource_arn(path: Path, resources: Array) -> Any:
    records = duckdb_type(Array(Struct((Field("resources", resources),))))
    row = (
        duckdb.connect()
        .execute(f"SELECT Records[1].resources[1] FROM read_json(?, columns = {{'Records': '{records}'}})", [str(path)])
        .fetchone()
    )
    assert row is not None
    return row[0]


def test_resources_arn_keeps_its_upper_case_key_or_duckdb_reads_null(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"Records": [cloudtrail_event(bucket_name="kept")]}))
    (resources,) = [field.type for field in COLUMNS if field.name == "resources"]
    assert isinstance(resources, Array) and isinstance(resources.element, Struct)
    lowered = Array(Struct(tuple(Field(f.name.lower(), f.type) for f in resources.element.fields)))

    assert read_resource_arn(path, resources)["ARN"] == "arn:aws:s3:::kept"
    assert read_resource_arn(path, lowered)["arn"] is None


def test_local_table_reads_resources_and_json_columns(log_tree: LogTree) -> None:
    log_tree.write([cloudtrail_event(bucket_name="kept", signature="SigV2")])
    files, _ = find_log_files([log_tree.root], Window())
    catalog = LocalCatalog()
    catalog.load(files)

    rows = catalog.connection.execute("SELECT resources[1].arn, additionaleventdata FROM cloudtrail").fetchall()

    assert [(arn, json.loads(additional)["SignatureVersion"]) for arn, additional in rows] == [
        ("arn:aws:s3:::kept", "SigV2")
    ]


def test_local_table_takes_partitions_from_the_path(log_tree: LogTree) -> None:
    event = cloudtrail_event(when="2026-11-20T23:58:00Z", region="us-east-1")
    log_tree.write([event], account="444455556666", region="eu-west-1", day=date(2026, 11, 21))
    files, _ = find_log_files([log_tree.root], Window())
    catalog = LocalCatalog()
    catalog.load(files)

    partitions = catalog.connection.execute("SELECT account, region, log_date FROM cloudtrail").fetchall()

    assert partitions == [("444455556666", "eu-west-1", "2026/11/21")]


def test_local_table_derives_partitions_from_the_record_outside_the_layout(tmp_path: Path) -> None:
    event = cloudtrail_event(when="2026-11-20T23:58:00Z", region="ap-southeast-2", recipientAccountId="777788889999")
    (tmp_path / "flat.json.gz").write_bytes(gzip.compress(json.dumps({"Records": [event]}).encode()))
    files, _ = find_log_files([tmp_path], Window())
    catalog = LocalCatalog()
    catalog.load(files)

    partitions = catalog.connection.execute("SELECT account, region, log_date FROM cloudtrail").fetchall()

    assert partitions == [("777788889999", "ap-southeast-2", "2026/11/20")]


@pytest.mark.parametrize(
    ("path", "location"),
    [
        (
            "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/20/123456789012_CloudTrail_us-east-1_20261120T0005Z_AB.json.gz",
            LogLocation("123456789012", "us-east-1", date(2026, 11, 20)),
        ),
        (
            "s3/prefix/AWSLogs/o-abc123def4/111122223333/CloudTrail/us-east-1/2026/11/20/x.json.gz",
            LogLocation("111122223333", "us-east-1", date(2026, 11, 20)),
        ),
        (
            "/data/o-abc123def4/AWSLogs/o-abc123def4/111122223333/CloudTrail/ap-southeast-2/2024/02/29/x.json",
            LogLocation("111122223333", "ap-southeast-2", date(2024, 2, 29)),
        ),
        (
            r"C:\logs\AWSLogs\123456789012\CloudTrail\eu-west-1\2026\01\05\x.json.gz",
            LogLocation("123456789012", "eu-west-1", date(2026, 1, 5)),
        ),
    ],
    ids=["account-trail", "organization-trail", "prefixed-organization-trail", "windows-path"],
)
def test_parse_log_path_reads_account_region_and_delivery_day(path: str, location: LogLocation) -> None:
    assert parse_log_path(path) == location


@pytest.mark.parametrize(
    "path",
    [
        "downloads/events.json",
        "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/x.json.gz",
        "AWSLogs/12345/CloudTrail/us-east-1/2026/11/20/x.json.gz",
        "AWSLogs/123456789012/CloudTrail/us-east-1/2026/02/30/x.json.gz",
        "AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2026/11/20/x.json.gz",
        "AWSLogs/o-ab/123456789012/CloudTrail/us-east-1/2026/11/20/x.json.gz",
    ],
    ids=["flat", "no-day", "short-account", "no-such-date", "digest", "short-org-id"],
)
def test_parse_log_path_returns_none_outside_the_layout(path: str) -> None:
    assert parse_log_path(path) is None


@pytest.mark.parametrize(("day", "text"), [(date(2026, 1, 5), "2026/01/05"), (date(5, 6, 7), "0005/06/07")])
def test_log_date_is_zero_padded_yyyy_mm_dd(day: date, text: str) -> None:
    assert format_log_date(day) == text
