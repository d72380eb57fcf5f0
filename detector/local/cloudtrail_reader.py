"""CloudTrail as a local source: one log file's bytes to one Arrow record batch of the fields the query reads.

Fast path: one `msgspec.json.Decoder` over typed Structs declaring only the projected fields, then one Arrow column
per field. Anything the typed decode refuses (a field of the wrong JSON type, several JSON documents in one file,
Records that is not an array) goes to the lenient path, which decodes the file generically and applies the same
rules, so only such files pay for it. Either way:
- several JSON documents in one file (newline-delimited or run together) are all read;
- a file whose documents have no (or a null) `Records` is not a CloudTrail log file;
- a `null` entry of `Records` is not an event: skipped and not counted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import msgspec
import pyarrow as pa

from detector.core.window import format_log_date
from detector.local.arrow_columns import WRONG_SHAPE, define_struct, kind, make_columns
from detector.local.projection import TABLE, Projection
from detector.local.source import BadFile, ParsedFile, constant_column
from detector.sources import cloudtrail

NOT_CLOUDTRAIL = "not a CloudTrail log file: no top-level Records array"
EMPTY_FILE = "empty file: no JSON object"
_BLANK = re.compile(rb"[ \t\r\n]*")
_decode_any = msgspec.json.decode


def partition_values(path: str) -> tuple[str | None, str | None, str | None]:
    """Account, region and `yyyy/MM/dd` from the AWSLogs path (or key), None outside the layout."""
    location = cloudtrail.parse_log_path(path)
    if location is None:
        return None, None, None
    return location.account, location.region, format_log_date(location.log_date)


class CloudTrailParser:
    """Parses CloudTrail log files into record batches of the projection's schema; one per worker process."""

    def __init__(self, projection: Projection) -> None:
        self.schema = projection.arrow_schema
        self.columns = make_columns(projection.fields, projection.json_keys, "Event")
        self.event = define_struct("Event", self.columns)
        records_type: Any = list[self.event | None] | None  # type: ignore[name-defined]
        log_file = msgspec.defstruct(
            "LogFile", [("records", records_type, msgspec.field(default=None, name="Records"))], gc=False
        )
        self.decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(log_file)

    def parse(self, data: bytes, path: str) -> ParsedFile:
        if _BLANK.fullmatch(data):
            raise BadFile(EMPTY_FILE)
        events = self.decode(data)
        arrays = [column.build(events) for column in self.columns]
        arrays += [constant_column(value, len(events)) for value in partition_values(path)]
        return ParsedFile(len(events), pa.RecordBatch.from_arrays(arrays, schema=self.schema))

    def decode(self, data: bytes) -> list[Any]:
        try:
            records = self.decoder.decode(data).records
        except msgspec.ValidationError:
            return self.decode_leniently(data)
        except msgspec.DecodeError as error:
            if "trailing characters" in str(error):
                return self.decode_leniently(data)
            raise BadFile(f"not valid JSON ({error})") from None
        except UnicodeDecodeError as error:
            raise BadFile(f"not valid JSON (invalid UTF-8: {error})") from None
        if records is None:
            raise BadFile(NOT_CLOUDTRAIL)
        return [r for r in records if r is not None] if None in records else records

    def decode_leniently(self, data: bytes) -> list[Any]:
        """The same rules over generically decoded JSON: slower, for the files the typed decode refused."""
        events: list[Any] = []
        found = False
        for document in json_documents(data):
            if not isinstance(document, dict):
                raise BadFile(f"{WRONG_SHAPE} (the file holds {kind(document)}, not an object)")
            records = document.get("Records")
            if records is None:
                continue
            if not isinstance(records, list):
                raise BadFile(f"{WRONG_SHAPE} (Records: expected an array, got {kind(records)})")
            found = True
            events.extend(self.event_of(record) for record in records if record is not None)
        if not found:
            raise BadFile(NOT_CLOUDTRAIL)
        return events

    def event_of(self, record: object) -> Any:
        if not isinstance(record, dict):
            raise BadFile(f"{WRONG_SHAPE} (a record: expected an object, got {kind(record)})")
        return self.event(**{c.attr: c.clean(record.get(c.name), "") for c in self.columns})


def json_documents(data: bytes) -> Iterator[object]:
    """Each JSON document of the file, in order (one, or several newline-delimited or run together)."""
    try:
        yield _decode_any(data)
        return
    except UnicodeDecodeError as error:
        raise BadFile(f"not valid JSON (invalid UTF-8: {error})") from None
    except msgspec.DecodeError as error:
        if "trailing characters" not in str(error):
            raise BadFile(f"not valid JSON ({error})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadFile(f"not valid JSON ({error})") from None
    finder = json.JSONDecoder()
    position = _skip_blank(text, 0)
    while position < len(text):
        try:
            _value, end = finder.raw_decode(text, position)
            document = _decode_any(text[position:end].encode())
        except (json.JSONDecodeError, msgspec.DecodeError, UnicodeDecodeError) as error:
            raise BadFile(f"not valid JSON ({error})") from None
        yield document
        position = _skip_blank(text, end)


def _skip_blank(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


@dataclass(frozen=True)
class CloudTrailSource:
    """The `cloudtrail` view for a query: what to decode of each record, derived from the query."""

    projection: Projection
    name: str = cloudtrail.NAME
    table: str = TABLE
    kind: str = 'a CloudTrail log file (a JSON object {"Records": [...]})'

    @classmethod
    def for_query(cls, sql: str) -> CloudTrailSource:
        return cls(Projection.for_query(sql))

    @property
    def fingerprint(self) -> str:
        return f"{self.name}-{self.projection.fingerprint}"

    @property
    def arrow_schema(self) -> pa.Schema:
        return self.projection.arrow_schema

    def recognises(self, head: bytes) -> bool:
        """JSON: CloudTrail writes each file as `{"Records": [...]}`; an array is read too, so the parser can say
        what is wrong with it."""
        return head.lstrip()[:1] in (b"{", b"[")

    def parser(self) -> CloudTrailParser:
        return CloudTrailParser(self.projection)

    def view_sql(self, relation: str) -> str:
        return self.projection.view_sql(relation)
