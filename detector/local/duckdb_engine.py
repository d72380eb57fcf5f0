"""The Athena (Trino) text of `queries/`, transpiled by sqlglot and run by DuckDB."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import duckdb
import sqlglot

from detector.core.engine import Row
from detector.local.athena_sql import parsed


@cache
def to_duckdb(sql: str) -> str:
    """The Athena query as DuckDB SQL; the queries avoid the constructs sqlglot changes silently."""
    return parsed(sql).sql(dialect="duckdb", unsupported_level=sqlglot.ErrorLevel.RAISE)


class DuckDBEngine:
    """Runs on a DuckDB connection that already has the table the query names (see `detector.local.loading`)."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection

    def run(self, sql: str, parameters: Sequence[str]) -> list[Row]:
        cursor = self.connection.execute(to_duckdb(sql), list(parameters))
        columns = [column[0] for column in cursor.description or ()]
        return [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]
