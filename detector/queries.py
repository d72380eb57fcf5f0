"""The queries in `queries/`, rendered for one table: the text Athena saves and DuckDB runs.

A file whose name starts with `_` is a fragment (a CTE) that named queries include as
`{name}`; the other files are the named queries. Placeholders are filled from one
definition each: the table name, the client catalog, the regions that accept SigV2.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from detector.clients import catalog_values_sql, sql_string

DETECTION = "detection"

SIGV2_REGIONS: tuple[str, ...] = (
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
)
"""Regions launched before January 2014, the only ones where S3 accepts SigV2.

Source: https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudtrail-request-identification.html
"""

PARAMETER_COUNT = 4
"""Every query takes the window as four `?`: see `detector.window.Window.parameters`."""

_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


QUERIES_DIR = Path(__file__).resolve().parent.parent / "queries"
"""Beside the package in the repository; the Lambda bundle does not need it (it runs the saved named query)."""


@cache
def _sources() -> dict[str, str]:
    return {path.stem: path.read_text(encoding="utf-8") for path in QUERIES_DIR.glob("*.sql")}


def names() -> list[str]:
    """The named queries, detection first."""
    others = sorted(name for name in _sources() if not name.startswith("_") and name != DETECTION)
    return [DETECTION, *others]


def render(name: str, table: str) -> str:
    """The query `name` with fragments and placeholders filled in, for `table`."""
    sources = _sources()
    if name not in sources or name.startswith("_"):
        raise KeyError(f"no query named {name!r}; known: {', '.join(names())}")
    values = {
        "table": table,
        "client_catalog": catalog_values_sql(),
        "sigv2_regions": ", ".join(sql_string(region) for region in SIGV2_REGIONS),
    }

    def fill(match: re.Match[str]) -> str:
        key = match[1]
        if key in values:
            return values[key]
        if f"_{key}" in sources:
            return _PLACEHOLDER.sub(fill, _strip_comments(sources[f"_{key}"]))
        raise KeyError(f"query {name!r} uses {{{key}}}, which is neither a placeholder nor a fragment")

    return _PLACEHOLDER.sub(fill, sources[name]).strip() + "\n"


def render_all(table: str) -> dict[str, str]:
    return {name: render(name, table) for name in names()}


def _strip_comments(fragment: str) -> str:
    return "\n".join(line for line in fragment.splitlines() if not line.lstrip().startswith("--")).strip()
