"""The queries in `queries/`, rendered for one table: the text Athena saves and DuckDB runs.

A file whose name starts with `_` is a fragment: one or more CTEs. A query or fragment names the fragments it
reads in a `-- needs: a, b` line; the renderer puts every fragment needed, directly or not, in one `WITH` ahead
of the query, each after the fragments it needs. `source_events` is the source's own fragment,
`queries/sources/<source>.sql`: the same queries run over any source. `{placeholders}` are filled from one
definition each: the table, the client catalog, the reasons and their ranking, the regions that accept SigV2, the
legacy TLS versions, the agents' feature list. A line ending in `-- scope: organization` is kept, without that
comment, only for an organization's table, whose partition values (`detector.core.partitions`) fill its placeholders;
for one account's table it is left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from detector.core import reasons
from detector.core.clients import catalog_values_sql, version_in_agent_sql, version_key_sql
from detector.core.events import AGENT_FEATURES
from detector.core.partitions import PartitionFilter
from detector.core.sql import quote_literal

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

LEGACY_TLS_VERSIONS: tuple[str, ...] = ("TLSv1", "TLSv1.1")
"""TLS 1.0 and 1.1 as CloudTrail's `tlsDetails.tlsVersion` writes them (the `legacy_tls` reason); compared upper-cased,
since access logs write `TLSV1.1`."""

SOURCE_FRAGMENT = "source_events"
SOURCES_DIR_NAME = "sources"

PARAMETER_COUNT = 4
"""Every query takes the window as four `?`: see `detector.core.window.Window.parameters`."""


PACKAGE_DIR = Path(__file__).resolve().parents[1]


def queries_dir(package: Path = PACKAGE_DIR) -> Path:
    """`queries/` inside the installed package (the wheel maps the repository's folder there), else beside the
    package in a checkout. The Lambda bundle needs neither: it runs the saved named query."""
    installed = package / "queries"
    return installed if installed.is_dir() else package.parent / "queries"


QUERIES_DIR = queries_dir()

_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
_NEEDS = re.compile(r"^--\s*needs:\s*(.*)$", re.MULTILINE)
ORGANIZATION_LINE = "-- scope: organization"

PLACEHOLDERS: Mapping[str, Callable[[], str]] = {
    "client_catalog": catalog_values_sql,
    "client_version_in_agent": lambda: version_in_agent_sql("a.user_agent", "c.precedence"),
    "client_version_key": lambda: version_key_sql("client_version"),
    "reasons": reasons.reasons_sql,
    "any_reason": reasons.any_reason_sql,
    "finding_order": reasons.order_sql,
    "agent_features": lambda: quote_literal(AGENT_FEATURES),
    "sigv2_regions": lambda: ", ".join(map(quote_literal, SIGV2_REGIONS)),
    "legacy_tls_versions": lambda: ", ".join(quote_literal(version.upper()) for version in LEGACY_TLS_VERSIONS),
}


@dataclass(frozen=True)
class QueryFile:
    name: str
    text: str

    @property
    def needs(self) -> tuple[str, ...]:
        return tuple(name.strip() for line in _NEEDS.findall(self.text) for name in line.split(",") if name.strip())

    @property
    def is_fragment(self) -> bool:
        return self.name.startswith("_")

    @property
    def body(self) -> str:
        """The SQL without comment lines: what a fragment contributes to the `WITH`."""
        return "\n".join(line for line in self.text.splitlines() if not line.lstrip().startswith("--")).strip()


@cache
def _files() -> dict[str, QueryFile]:
    return {path.stem: QueryFile(path.stem, path.read_text(encoding="utf-8")) for path in QUERIES_DIR.glob("*.sql")}


@cache
def _source_fragment(source: str) -> QueryFile:
    path = QUERIES_DIR / SOURCES_DIR_NAME / f"{source}.sql"
    if not path.is_file():
        known = sorted(p.stem for p in (QUERIES_DIR / SOURCES_DIR_NAME).glob("*.sql"))
        raise KeyError(f"no source fragment queries/sources/{source}.sql; known sources: {', '.join(known)}")
    return QueryFile(f"_{SOURCE_FRAGMENT}", path.read_text(encoding="utf-8"))


def sources() -> list[str]:
    """The sources that have a fragment in queries/sources/."""
    return sorted(p.stem for p in (QUERIES_DIR / SOURCES_DIR_NAME).glob("*.sql"))


def names() -> list[str]:
    """The named queries, detection first."""
    others = sorted(name for name, file in _files().items() if not file.is_fragment and name != DETECTION)
    return [DETECTION, *others]


def fragments_for(name: str, source: str) -> list[QueryFile]:
    """The fragments `name` needs over `source`, directly or not, each after the fragments it needs."""
    files = {**_files(), f"_{SOURCE_FRAGMENT}": _source_fragment(source)}
    ordered: dict[str, QueryFile] = {}

    def visit(needed: str, chain: tuple[str, ...]) -> None:
        if needed in chain:
            raise ValueError(f"queries/_{needed}.sql needs itself: {' -> '.join((*chain, needed))}")
        fragment = files.get(f"_{needed}")
        if fragment is None:
            raise KeyError(f"{chain[-1]} needs {needed!r}, but there is no queries/_{needed}.sql")
        for inner in fragment.needs:
            visit(inner, (*chain, needed))
        ordered.setdefault(needed, fragment)

    for needed in files[name].needs:
        visit(needed, (name,))
    return list(ordered.values())


def render(name: str, table: str, *, source: str, partitions: PartitionFilter | None = None) -> str:
    """The query `name` over `source`'s `table`, its fragments ahead of it and every placeholder filled in;
    `partitions` for an organization's table, whose partition values every query names."""
    files = _files()
    if name not in files or files[name].is_fragment:
        raise KeyError(f"no query named {name!r}; known: {', '.join(names())}")
    text = files[name].text.strip()
    fragments = [fragment.body for fragment in fragments_for(name, source)]
    if fragments:
        head, body = _split_comments(text)
        joined = ",\n".join(fragments)
        text = head + (
            f"WITH\n{joined},\n{body[4:].lstrip()}" if _starts_with_with(body) else f"WITH\n{joined}\n{body}"
        )
    return _fill(_for_scope(text, partitions), name, _values(table, partitions)).strip() + "\n"


def render_source_events(source: str, table: str, partitions: PartitionFilter | None = None) -> str:
    """Every row of `source`'s `source_events` over `table`: the source's fragment alone, to check its columns."""
    fragment = _for_scope(_source_fragment(source).body, partitions)
    return _fill(f"WITH\n{fragment}\nSELECT * FROM {SOURCE_FRAGMENT}", source, _values(table, partitions)) + "\n"


def _for_scope(text: str, partitions: PartitionFilter | None) -> str:
    """The organization's lines kept without their marker, or left out for one account's table."""
    lines = []
    for line in text.splitlines():
        marked = line.rstrip()
        if not marked.endswith(ORGANIZATION_LINE):
            lines.append(line)
        elif partitions is not None:
            lines.append(marked.removesuffix(ORGANIZATION_LINE).rstrip())
    return "\n".join(lines)


def _values(table: str, partitions: PartitionFilter | None) -> dict[str, str]:
    return {"table": table, **(partitions.placeholders() if partitions else {})}


def _fill(text: str, name: str, values: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        key = match[1]
        if key in values:
            return values[key]
        if key in PLACEHOLDERS:
            return PLACEHOLDERS[key]()
        raise KeyError(
            f"query {name!r} uses {{{key}}}, which is not a placeholder: known are table, " + ", ".join(PLACEHOLDERS)
        )

    return _PLACEHOLDER.sub(replace, text)


def _split_comments(text: str) -> tuple[str, str]:
    """The leading comment lines (kept, so the saved query explains itself) and the SQL after them."""
    lines = text.splitlines()
    count = next((i for i, line in enumerate(lines) if not line.lstrip().startswith("--")), len(lines))
    head = "".join(line + "\n" for line in lines[:count])
    return head, "\n".join(lines[count:]).strip()


def _starts_with_with(sql: str) -> bool:
    return re.match(r"WITH\b", sql, re.IGNORECASE) is not None
