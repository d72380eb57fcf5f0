"""One way to run a rendered query with its window parameters and get rows back, whatever runs it.

`detector.aws.athena.AthenaEngine` runs it in the deployed workgroup; `detector.local.duckdb_engine.DuckDBEngine`
runs the same text, transpiled, over downloaded logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

Row = dict[str, Any]


class Engine(Protocol):
    def run(self, sql: str, parameters: Sequence[str]) -> list[Row]: ...
