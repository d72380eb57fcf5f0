"""S3 server access logs as a local source: one log file's lines to one Arrow record batch of the columns the query
reads.

Fast path: the source's line regex (`detector.sources.access_logs.LINE_REGEX`, the one Athena's RegexSerDe reads)
run once over the whole file with `findall`, capturing only the projected columns, then one Arrow column per
capture. The per-file form differs only where it must: a field may not run into the next line, and each capture
keeps what tells a field the line ends before (NULL) from an empty one, the optional field's leading space and the
quoted field's quotes, which are stripped from each column's distinct values; the fields after the last one read are
left to the final `.*`. Lines are cut as Athena's TextInputFormat cuts them (`\\n`, `\\r\\n`,
`\\r`; invalid UTF-8 replaced); empty lines hold nothing. A line that is not a record is counted, and the first few
are found again line by line to show; a file with no record at all is not an access log.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from detector.core.text import one_line
from detector.core.window import format_log_date
from detector.local.athena_sql import parsed
from detector.local.source import STRING, BadFile, ParsedFile, constant_column
from detector.sources import access_logs
from detector.sources.access_logs import (
    BAD_LINE_EXAMPLES,
    BRACKETED,
    COLUMN_NAMES,
    EXAMPLE_CHARS,
    PARTITION_KEYS,
    QUOTED_VALUES,
    REQUIRED_FIELDS,
    VALUE_PATTERNS,
)

TABLE = "access_logs"
"""The view the access-log queries read."""
PARSER_VERSION = "1"
"""Part of the fingerprint: bump when the same columns come out differently."""
TIME_COLUMN = "requestdatetime"
"""Always read: it gives the day of a file outside both key layouts."""
LINE_VALUE = r"[^ \n]*"
_LINE_BREAKS = re.compile("\r\n?")
_PARTITIONS = tuple(f"_{key}" for key in PARTITION_KEYS)
RECORD_DAY_SQL = f"strftime(strptime(substr(e.{TIME_COLUMN}, 1, 11), '%d/%b/%Y'), '%Y/%m/%d')"
"""`yyyy/MM/dd` of the record's own time, for a file whose path gives no day."""


def columns_read_by(sql: str) -> tuple[str, ...]:
    """The access-log columns a query names, in field order (every one for a `*` over the view), and the time."""
    tree = parsed(sql)
    for select in tree.find_all(exp.Select):
        star = any(isinstance(e, exp.Star) or (isinstance(e, exp.Column) and e.is_star) for e in select.expressions)
        if star and any(table.name.lower() == TABLE for table in select.find_all(exp.Table)):
            return COLUMN_NAMES
    named = {column.name.lower() for column in tree.find_all(exp.Column)} | {TIME_COLUMN}
    return tuple(name for name in COLUMN_NAMES if name in named)


def _field(name: str, wanted: frozenset[str]) -> str:
    """One field of the per-file regex: a quoted field captured with its quotes (a bare `-` is NULL)."""
    if name in QUOTED_VALUES:
        body = f'"{QUOTED_VALUES[name]}"|-'
        return f"({body})" if name in wanted else f"(?:{body})"
    value = VALUE_PATTERNS.get(name, LINE_VALUE)
    value = f"({value})" if name in wanted else f"(?:{value})"
    return rf"\[{value}\]" if name in BRACKETED else value


def _optional_field(name: str, wanted: frozenset[str]) -> str:
    """The opening of an optional field, captured with its leading space: empty when the line ends before it."""
    field = _field(name, frozenset())
    return f"(?:( {field})" if name in wanted else f"(?: {field}"


def file_regex(columns: Sequence[str]) -> re.Pattern[str]:
    """`LINE_REGEX` for every line of a file at once, capturing `columns` (in field order) and no other."""
    wanted = frozenset(columns)
    pattern = access_logs.line_pattern(lambda name: _field(name, wanted), lambda name: _optional_field(name, wanted))
    return re.compile(f"^{pattern}$", re.MULTILINE)


def text_of(data: bytes) -> str:
    """The file as text, every line ending a `\\n`."""
    text = data.decode("utf-8", errors="replace")
    return _LINE_BREAKS.sub("\n", text) if "\r" in text else text


def column_array(name: str, values: Sequence[str]) -> pa.Array:
    """A captured column as a dictionary array, built from the strings at once. For a quoted or optional field, the
    quotes or the leading space are stripped from its few distinct values, and the one that means missing made NULL."""
    array = pa.array(values, STRING)
    optional = COLUMN_NAMES.index(name) >= REQUIRED_FIELDS
    if not optional and name not in QUOTED_VALUES:
        return array
    distinct = array.dictionary
    missing = pc.index(distinct, "" if optional else "-").as_py()
    indices = array.indices
    if missing >= 0:
        indices = pc.if_else(pc.equal(indices, missing), pa.scalar(None, pa.int32()), indices)
    return pa.DictionaryArray.from_arrays(indices, pc.utf8_slice_codeunits(distinct, 1, None if optional else -1))


def non_empty_lines(text: str, at_least: int) -> int:
    """The file's lines that hold anything; `at_least` of them are known (every line, when there are as many)."""
    lines = text.count("\n") + (not text.endswith("\n") and bool(text))
    if lines == at_least:
        return lines
    split = text.split("\n")
    return len(split) - split.count("")


def first_bad_lines(text: str) -> tuple[str, ...]:
    """The first few lines that are not records, `line N: text`, their control characters escaped."""
    found: list[str] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line and access_logs.parse_line(line) is None:
            found.append(f"line {number}: {one_line(line[:EXAMPLE_CHARS])}")
            if len(found) == BAD_LINE_EXAMPLES:
                break
    return tuple(found)


def partition_values(path: str, rows: int) -> list[pa.Array]:
    """Account, region, bucket and day from the key layout, constant over the file; NULL outside it."""
    location = access_logs.parse_log_path(path)
    if location is None:
        return [constant_column(None, rows) for _key in PARTITION_KEYS]
    values = (location.account, location.region, location.bucket, format_log_date(location.log_date))
    return [constant_column(value, rows) for value in values]


class AccessLogParser:
    """Parses access-log files into record batches of the source's schema; one per worker process."""

    def __init__(self, columns: Sequence[str], schema: pa.Schema) -> None:
        self.columns = tuple(columns)
        self.schema = schema
        self.regex = file_regex(self.columns)

    def parse(self, data: bytes, path: str) -> ParsedFile:
        text = text_of(data)
        matches = self.regex.findall(text)
        records = non_empty_lines(text, len(matches))
        if not matches:
            if not records:
                raise BadFile(access_logs.EMPTY_FILE)
            raise BadFile(f"{access_logs.NOT_ACCESS_LOG} ({first_bad_lines(text)[0]})")
        values = zip(*matches, strict=True) if len(self.columns) > 1 else [[match] for match in matches]
        arrays = [column_array(name, column) for name, column in zip(self.columns, values, strict=True)]
        arrays += partition_values(path, len(matches))
        batch = pa.RecordBatch.from_arrays(arrays, schema=self.schema)
        skipped = records - len(matches)
        return ParsedFile(len(matches), batch, skipped, first_bad_lines(text) if skipped else ())


@dataclass(frozen=True)
class AccessLogSource:
    """The `access_logs` view for a query: which columns of each line to read, derived from the query."""

    columns: tuple[str, ...] = COLUMN_NAMES
    name: str = access_logs.NAME
    table: str = TABLE
    kind: str = "an S3 server access log (lines of space-separated fields)"

    @classmethod
    def for_query(cls, sql: str) -> AccessLogSource:
        return cls(columns_read_by(sql))

    @cached_property
    def fingerprint(self) -> str:
        digest = hashlib.sha256(" ".join((PARSER_VERSION, *self.columns)).encode()).hexdigest()[:16]
        return f"{self.name}-{digest}"

    @cached_property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(name, STRING) for name in (*self.columns, *_PARTITIONS)])

    def recognises(self, head: bytes) -> bool:
        return access_logs.looks_like_access_log(head)

    def parser(self) -> AccessLogParser:
        return AccessLogParser(self.columns, self.arrow_schema)

    def view_sql(self, relation: str) -> str:
        """`CREATE VIEW access_logs` over `relation`: every column of the table, those not read NULL."""
        parts = [
            f'e."{name}" AS "{name}"' if name in self.columns else f'NULL::VARCHAR AS "{name}"' for name in COLUMN_NAMES
        ]
        for key, column in zip(PARTITION_KEYS, _PARTITIONS, strict=True):
            fallback = RECORD_DAY_SQL if key == "log_date" else "NULL::VARCHAR"
            parts.append(f"coalesce(e.{column}, {fallback}) AS {key}")
        return f"CREATE OR REPLACE TEMP VIEW {self.table} AS SELECT {', '.join(parts)} FROM {relation} AS e"
