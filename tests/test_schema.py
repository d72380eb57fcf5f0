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

from detector.core.window import Window, format_log_date
from detector.local.discovery import find_log_files
from detector.local.loading import LocalCatalog
from detector.sources.cloudtrail import COLUMNS, LogLocation, parse_log_path
from detector.sources.columns import JSON_TEXT, Array, Field, Map, Scalar, Struct, Type, duckdb_type, glue_columns
from tests.helpers import LogTree, cloudtrail_event

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
    # GIVEN the CloudTrail columns
    # WHEN they are rendered as Glue columns and parsed back as Hive types
    rendered = tuple(
        (name, glue_shape(exp.DataType.build(text, dialect="hive"))) for name, text in glue_columns(COLUMNS)
    )

    # THEN every field is there, lower-cased, with JSON text as a string
    assert rendered == defined_shape(Struct(COLUMNS), lower=True, json_kind="text")


def test_duckdb_record_type_renders_every_field_in_its_json_case() -> None:
    # GIVEN the CloudTrail columns as one DuckDB struct type
    type_name = duckdb_type(Struct(COLUMNS))

    # WHEN DuckDB casts a value to it
    relation = duckdb.connect().sql(f"SELECT CAST(NULL AS {type_name}) AS r")
    assert relation is not None
    record = relation.types[0]

    # THEN its type has every field in the case the JSON spells it, JSON text as JSON
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
    # GIVEN a log file of a request on the bucket "kept"
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"Records": [cloudtrail_event(bucket_name="kept")]}))
    # AND the resources type as defined, and the same with its keys lower-cased
    (resources,) = [field.type for field in COLUMNS if field.name == "resources"]
    assert isinstance(resources, Array) and isinstance(resources.element, Struct)
    lowered = Array(Struct(tuple(Field(f.name.lower(), f.type) for f in resources.element.fields)))

    # WHEN DuckDB reads the resource with each type
    kept, lost = read_resource_arn(path, resources), read_resource_arn(path, lowered)

    # THEN the upper-case ARN key reads the bucket's ARN, and the lower-cased one reads null
    assert kept["ARN"] == "arn:aws:s3:::kept"
    assert lost["arn"] is None


def test_local_table_reads_resources_and_json_columns(log_tree: LogTree) -> None:
    # GIVEN a SigV2 request on the bucket "kept", loaded in the local table
    log_tree.write([cloudtrail_event(bucket_name="kept", signature="SigV2")])
    files, _ = find_log_files([log_tree.root], Window())
    catalog = LocalCatalog()
    catalog.load(files)

    # WHEN its resource ARN and additional event data are selected
    rows = catalog.connection.execute("SELECT resources[1].arn, additionaleventdata FROM cloudtrail").fetchall()

    # THEN they read the bucket's ARN and JSON naming the signature version
    assert [(arn, json.loads(additional)["SignatureVersion"]) for arn, additional in rows] == [
        ("arn:aws:s3:::kept", "SigV2")
    ]


def test_local_table_takes_partitions_from_the_path(log_tree: LogTree) -> None:
    # GIVEN an event whose region and day differ from those of the path it is logged under
    event = cloudtrail_event(when="2026-11-20T23:58:00Z", region="us-east-1")
    log_tree.write([event], account="444455556666", region="eu-west-1", day=date(2026, 11, 21))
    files, _ = find_log_files([log_tree.root], Window())
    catalog = LocalCatalog()
    catalog.load(files)

    # WHEN its partition columns are selected from the local table
    partitions = catalog.connection.execute("SELECT account, region, log_date FROM cloudtrail").fetchall()

    # THEN they are the path's account, region and delivery day
    assert partitions == [("444455556666", "eu-west-1", "2026/11/21")]


def test_local_table_derives_partitions_from_the_record_outside_the_layout(tmp_path: Path) -> None:
    # GIVEN an event in a flat file, outside the AWSLogs layout
    event = cloudtrail_event(when="2026-11-20T23:58:00Z", region="ap-southeast-2", recipientAccountId="777788889999")
    (tmp_path / "flat.json.gz").write_bytes(gzip.compress(json.dumps({"Records": [event]}).encode()))
    files, _ = find_log_files([tmp_path], Window())
    catalog = LocalCatalog()
    catalog.load(files)

    # WHEN its partition columns are selected from the local table
    partitions = catalog.connection.execute("SELECT account, region, log_date FROM cloudtrail").fetchall()

    # THEN they are the record's own account, region and day
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
    # GIVEN the path of a log file in the AWSLogs layout
    # WHEN it is parsed
    result = parse_log_path(path)

    # THEN it gives the file's account, region and delivery day
    assert result == location


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
    # GIVEN a path outside the AWSLogs layout, or not quite in it
    # WHEN it is parsed
    result = parse_log_path(path)

    # THEN it gives None
    assert result is None


@pytest.mark.parametrize(("day", "text"), [(date(2026, 1, 5), "2026/01/05"), (date(5, 6, 7), "0005/06/07")])
def test_log_date_is_zero_padded_yyyy_mm_dd(day: date, text: str) -> None:
    # GIVEN a date
    # WHEN it is formatted as a log date
    result = format_log_date(day)

    # THEN it is YYYY/MM/DD, zero-padded
    assert result == text
