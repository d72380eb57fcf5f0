"""The queries' Athena text parsed once per process: the projections read the tree, the DuckDB engine transpiles it.

Parsing the detection query takes tens of milliseconds and each scan needs its tree several times."""

from __future__ import annotations

from functools import cache

import sqlglot
from sqlglot import exp


@cache
def parsed(sql: str) -> exp.Expr:
    """The statement's tree; shared, so callers read it and never change it (`.copy()` first)."""
    return sqlglot.parse_one(sql, read="athena")
