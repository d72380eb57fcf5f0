"""A log's columns as data, rendered as Glue (Hive) types for Athena and as DuckDB types for the local reader.

Field names keep the case of the JSON keys in the log files: DuckDB matches keys case-sensitively (a field declared
`arn` for the key `ARN` silently reads NULL), while Athena and DuckDB SQL both address columns case-insensitively,
so queries use lower case.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scalar:
    """A string, or a JSON object kept as its text (`json=True`)."""

    json: bool = False


@dataclass(frozen=True)
class Struct:
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Array:
    element: Type


@dataclass(frozen=True)
class Map:
    value: Type


Type = Scalar | Struct | Array | Map


@dataclass(frozen=True)
class Field:
    name: str
    type: Type


STRING = Scalar()
JSON_TEXT = Scalar(json=True)


def struct(*fields: tuple[str, Type]) -> Struct:
    return Struct(tuple(Field(name, type_) for name, type_ in fields))


def glue_type(type_: Type) -> str:
    """Hive type text as Glue and Athena's JsonSerDe expect it."""
    match type_:
        case Scalar():
            return "string"
        case Struct(fields):
            return "struct<" + ",".join(f"{f.name.lower()}:{glue_type(f.type)}" for f in fields) + ">"
        case Array(element):
            return f"array<{glue_type(element)}>"
        case Map(value):
            return f"map<string,{glue_type(value)}>"
    raise TypeError(type_)


def duckdb_type(type_: Type) -> str:
    """DuckDB type text for `read_json(columns=...)`, keys in their JSON case."""
    match type_:
        case Scalar(json):
            return "JSON" if json else "VARCHAR"
        case Struct(fields):
            return "STRUCT(" + ", ".join(f'"{f.name}" {duckdb_type(f.type)}' for f in fields) + ")"
        case Array(element):
            return f"{duckdb_type(element)}[]"
        case Map(value):
            return f"MAP(VARCHAR, {duckdb_type(value)})"
    raise TypeError(type_)


def glue_columns(columns: tuple[Field, ...]) -> list[tuple[str, str]]:
    """(name, type) of every data column, lower-cased as Athena shows them."""
    return [(field.name.lower(), glue_type(field.type)) for field in columns]
