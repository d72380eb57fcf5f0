"""SQL text shared by the renderer, the engines and the local reader."""

from __future__ import annotations


def quote_literal(value: str) -> str:
    """A SQL string literal: `it's` -> `'it''s'` (Trino, DuckDB and Athena's execution parameters alike)."""
    return "'" + value.replace("'", "''") + "'"
