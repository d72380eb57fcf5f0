"""Column projection: the record fields a query reads, so the local reader declares and converts only those.

DuckDB converts every declared field of every record, whether a query reads it or not, so declaring only the
fields a query names roughly halves the work. The view over the records keeps every column, the others NULL.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlglot
from sqlglot import exp

from detector.sources.cloudtrail import COLUMNS
from detector.sources.columns import JSON_TEXT, Field, Struct, duckdb_type

TABLE = "cloudtrail"
"""The view the local reader offers the queries."""

PARTITION_SOURCE_FIELDS: tuple[tuple[str, ...], ...] = (("recipientaccountid",), ("awsregion",), ("eventtime",))
"""The view's partition columns fall back to these record fields for files outside the AWSLogs layout."""


def fields_read_by(sql: str) -> tuple[Field, ...]:
    """The record fields a query over the `cloudtrail` view names, structs narrowed to the sub-fields it names.

    DuckDB converts every declared field of every record, whether a query reads it or not, so declaring
    only these roughly halves the work. Conservative: a bare struct, a `*` over the table, or a name
    that is not a sub-field keeps the whole field. The view's partition columns need three fields.
    """
    tree = sqlglot.parse_one(sql, read="athena")
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


def select_list(fields: Sequence[Field], record: str) -> str:
    """Every column of the table from a record of `fields`: JSON objects as text, structs cast back to their
    full type (missing sub-fields NULL), fields not read NULL."""
    read = {field.name: field for field in fields}
    parts = []
    for field in COLUMNS:
        full_type = "VARCHAR" if field.type == JSON_TEXT else duckdb_type(field.type)
        if field.name not in read:
            expr = f"NULL::{full_type}"
        elif read[field.name] != field or field.type == JSON_TEXT:
            expr = f'CAST({record}."{field.name}" AS {full_type})'
        else:
            expr = f'{record}."{field.name}"'
        parts.append(f"{expr} AS {field.name.lower()}")
    return ", ".join(parts)
