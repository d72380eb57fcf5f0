"""Column projection: the record fields a query reads, so the local reader decodes and converts only those.

Decoding a field costs whether a query reads it or not, so the reader decodes only the fields the query names,
structs narrowed to the sub-fields named. A JSON-text field (`additionalEventData`, ...) that the query reads only
through `json_extract_scalar(field, '$.key')` is narrowed further to those keys: the reader offers the text of an
object holding only them, which gives every such extraction the answer the whole text gives. The view over the
Arrow columns keeps every column of the table, with the same names and types; the others are NULL.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from dataclasses import field as dataclass_field
from functools import cached_property

import pyarrow as pa
from sqlglot import exp

from detector.local.athena_sql import parsed
from detector.local.source import STRING
from detector.sources.cloudtrail import COLUMNS
from detector.sources.columns import JSON_TEXT, Array, Field, Map, Scalar, Struct, Type, duckdb_type

TABLE = "cloudtrail"
"""The view the local reader offers the queries."""

PARTITION_FALLBACKS = {"account": "recipientAccountId", "region": "awsRegion", "log_date": "eventTime"}
"""The view's partition columns, and the record field each falls back to for files outside the AWSLogs layout."""

PARTITION_SOURCE_FIELDS: tuple[tuple[str, ...], ...] = tuple((name.lower(),) for name in PARTITION_FALLBACKS.values())

PARTITIONS = ("_account", "_region", "_log_date")
"""Per-row copies of the file's path partitions (NULL outside the AWSLogs layout), coalesced in the view."""

FALLBACK_SQL = {
    "account": 'e."recipientAccountId"',
    "region": 'e."awsRegion"',
    "log_date": """replace(substr(e."eventTime", 1, 10), '-', '/')""",
}


def fields_read_by(sql: str) -> tuple[Field, ...]:
    """The record fields a query over the `cloudtrail` view names, structs narrowed to the sub-fields it names.

    DuckDB converts every declared field of every record, whether a query reads it or not, so declaring
    only these roughly halves the work. Conservative: a bare struct, a `*` over the table, or a name
    that is not a sub-field keeps the whole field. The view's partition columns need three fields.
    """
    tree = parsed(sql)
    for select in tree.find_all(exp.Select):
        star = any(isinstance(e, exp.Star) or (isinstance(e, exp.Column) and e.is_star) for e in select.expressions)
        if star and any(table.name.lower() == TABLE for table in select.find_all(exp.Table)):
            return COLUMNS
    paths: list[tuple[str, ...]] = list(PARTITION_SOURCE_FIELDS)
    for column in tree.find_all(exp.Column):
        path = [part.name.lower() for part in column.parts]
        node: exp.Expression = column
        while isinstance(node.parent, exp.Dot) and node.parent.this is node:
            node = node.parent
            path.append(node.expression.name.lower())
        paths.append(tuple(path))
    return _narrow(COLUMNS, paths)


def _narrow(fields: Sequence[Field], paths: Sequence[tuple[str, ...]]) -> tuple[Field, ...]:
    """The fields that start one of the name paths (after any table alias), narrowed to the rest of the paths."""
    kept = []
    for field in fields:
        name = field.name.lower()
        rests = [path[path.index(name) + 1 :] for path in paths if name in path]
        if not rests:
            continue
        kept.append(_narrow_struct(field, rests))
    return tuple(kept)


def _narrow_struct(field: Field, rests: Sequence[tuple[str, ...]]) -> Field:
    """A struct field with only the sub-fields every path names; the whole field when a path stops at it."""
    if isinstance(field.type, Struct) and all(rests):
        narrowed = _narrow(field.type.fields, rests)
        if {f.name.lower() for f in narrowed} >= {rest[0] for rest in rests}:
            return Field(field.name, Struct(narrowed))
    return field


def json_keys_read_by(sql: str, json_fields: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """For each JSON-text field used only as `json_extract_scalar(field, '$.key')`, the keys, in query order."""
    wanted = {name.lower(): name for name in json_fields}
    keys: dict[str, list[str]] = {name: [] for name in json_fields}
    whole: set[str] = set()
    for column in parsed(sql).find_all(exp.Column):
        name = wanted.get(column.name.lower())
        if name is None:
            continue
        parent = column.parent
        key = _single_key(parent.expression) if isinstance(parent, exp.JSONExtractScalar) else None
        if parent is None or parent.this is not column or key is None:
            whole.add(name)
        elif key not in keys[name]:
            keys[name].append(key)
    return {name: tuple(found) for name, found in keys.items() if name not in whole and found}


def _single_key(path: exp.Expression | None) -> str | None:
    """`key` of a `$.key` JSON path, else None."""
    if not isinstance(path, exp.JSONPath):
        return None
    parts = path.expressions
    if len(parts) == 2 and isinstance(parts[0], exp.JSONPathRoot) and isinstance(parts[1], exp.JSONPathKey):
        key = parts[1].this
        return key if isinstance(key, str) else None
    return None


def arrow_type(type_: Type, *, dictionary: bool = True) -> pa.DataType:
    """Strings as dictionaries (JSON text too: narrowed texts repeat), except inside lists and maps."""
    match type_:
        case Scalar():
            return STRING if dictionary else pa.string()
        case Struct(fields):
            return pa.struct([pa.field(f.name, arrow_type(f.type, dictionary=dictionary)) for f in fields])
        case Array(element):
            return pa.list_(arrow_type(element, dictionary=False))
        case Map(value):
            return pa.map_(pa.string(), arrow_type(value, dictionary=False))
    raise TypeError(type_)


@dataclass(frozen=True)
class Projection:
    """The record fields to decode and, for JSON-text fields read only by top-level key, those keys."""

    fields: tuple[Field, ...]
    json_keys: dict[str, tuple[str, ...]] = dataclass_field(default_factory=dict)

    @classmethod
    def for_query(cls, sql: str) -> Projection:
        """`fields_read_by`, less a partition fallback field when the query reads neither it nor its column."""
        named = {column.name.lower() for column in parsed(sql).find_all(exp.Column)}
        unneeded = {name.lower() for column, name in PARTITION_FALLBACKS.items() if not {column, name.lower()} & named}
        fields = tuple(f for f in fields_read_by(sql) if f.name.lower() not in unneeded)
        return cls(fields, json_keys_read_by(sql, [f.name for f in fields if f.type == JSON_TEXT]))

    @classmethod
    def everything(cls) -> Projection:
        return cls(COLUMNS)

    @cached_property
    def fingerprint(self) -> str:
        text = json.dumps([[asdict(f) for f in self.fields], sorted(self.json_keys.items())], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @cached_property
    def arrow_schema(self) -> pa.Schema:
        columns = [pa.field(f.name, arrow_type(f.type)) for f in self.fields]
        return pa.schema(columns + [pa.field(name, STRING) for name in PARTITIONS])

    def view_sql(self, relation: str) -> str:
        """`CREATE VIEW cloudtrail` over `relation`: every column of the table, typed as the table types it."""
        read = {f.name: f for f in self.fields}
        parts = []
        for full in COLUMNS:
            full_type = "VARCHAR" if full.type == JSON_TEXT else duckdb_type(full.type)
            if full.name not in read:
                expression = f"NULL::{full_type}"
            elif read[full.name] != full or full.type == JSON_TEXT:
                expression = f'CAST(e."{full.name}" AS {full_type})'
            else:
                expression = f'e."{full.name}"'
            parts.append(f"{expression} AS {full.name.lower()}")
        for (column, name), partition in zip(PARTITION_FALLBACKS.items(), PARTITIONS, strict=True):
            fallback = FALLBACK_SQL[column] if name in read else "NULL::VARCHAR"
            parts.append(f"coalesce(e.{partition}, {fallback}) AS {column}")
        return f"CREATE OR REPLACE TEMP VIEW {TABLE} AS SELECT {', '.join(parts)} FROM {relation} AS e"
