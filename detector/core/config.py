"""The contract between the stack and the function: its environment variables, memory and time, defined once.

`stacks/detector_function.py` sets the variables with `FunctionConfig.to_environ()`; the handler reads them back
with `FunctionConfig.from_environ()`, so a variable cannot be set without being read, or read without being set.
The settings a run reads are declared here, in `RunSettings`, with their context keys: the deploy settings inherit
them and the stack hands each one to the function unchanged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Any

from detector.core import accepted
from detector.core.context_keys import CODEC, CONTEXT_KEY, boolean, context_field, int_between

FUNCTION_MEMORY_MB = 512
"""Sized from a measurement: a run with 50,000 findings peaks at about 140 MiB of traced memory
(tests/test_report_memory.py), under half of this beside the interpreter and boto3."""
FUNCTION_TIMEOUT_SECONDS = 900
"""Lambda's maximum; the workgroup's scan cutoff keeps a query well inside it."""

TAIL_SECONDS = 90
"""Time kept after the query for writing the report and publishing; start retries come out of the query's budget."""


SOURCE_CHOICES: dict[str, tuple[str, ...]] = {
    "cloudtrail": ("cloudtrail",),
    "access-logs": ("access_logs",),
    "both": ("cloudtrail", "access_logs"),
}
"""The `source` setting's values, and the sources (`detector/sources/<name>.py`) each deploys, in run order."""


ORGANIZATION_ONLY = {"organization_only": True}
"""A field set only in organization scope: left out of the environment when empty, so one account's function
environment is what it always was."""


class InvalidConfig(ValueError):
    """The function's environment is incomplete or malformed (set by the stack)."""


@dataclass(frozen=True)
class Codec:
    """How a field travels in the environment when `str()` and its type do not say."""

    encode: Callable[[Any], str]
    decode: Callable[[str], Any]
    """Raises ValueError for a malformed value."""


ACCEPTED_FINDINGS_CODEC = Codec(accepted.encode, accepted.parse_entries)


@dataclass(frozen=True, kw_only=True)
class RunSettings:
    """The settings each run reads: a field here is a context key (`DeploySettings` inherits it, the README lists it)
    and an environment variable of the function (`FunctionConfig` inherits it, the stack passes it on)."""

    window_days: int = context_field(1, "windowDays", int_between(1, 30), "`1`", "Days of logs each run scans (1–30).")
    notify_when_clean: bool = context_field(
        False, "notifyWhenClean", boolean, "`false`", "`true` also sends an email when a run finds nothing."
    )
    accepted_findings: tuple[accepted.Acceptance, ...] = context_field(
        (),
        "acceptedFindings",
        accepted.context_value,
        "`[]`",
        "Findings you know about, each until a date: "
        '`[{"principal": "arn:aws:iam::123456789012:user/legacy-*", "userAgent": "*aws-sdk-java/1.11.*", '
        '"reason": "vendor appliance, replaced in Q1", "expires": "2027-03-31"}]`. An entry matches the principal ARN '
        "and/or the user agent (`*` any characters, `?` one, the rest literal, case-sensitive) and needs a reason and "
        "its last day (UTC). A matching finding is counted in the email and the report, not listed as an action; from "
        "the day after the expiry it is listed again. At most 3,000 bytes of JSON in all.",
        codec=ACCEPTED_FINDINGS_CODEC,
    )

    def run_settings(self) -> dict[str, Any]:
        """Every run setting by field name, as `FunctionConfig(**...)` takes them."""
        return {field.name: getattr(self, field.name) for field in fields(RunSettings)}


@dataclass(frozen=True)
class FunctionConfig(RunSettings):
    """Each field is the environment variable of its name in upper case."""

    workgroup: str
    named_query_id: str
    topic_arn: str
    report_bucket: str
    report_prefix: str = ""
    source: str = "cloudtrail"
    """The source whose detection query `named_query_id` is."""
    more_queries: str = ""
    """The other deployed sources' detection queries, `source=named-query-id` comma-separated, run the same way."""
    dashboard_url: str = ""
    """The stack's CloudWatch dashboard, linked from the email and the JSON summary."""
    organization_id: str = dataclasses.field(default="", metadata=ORGANIZATION_ONLY)
    """Organization scope: the email groups the findings by account, each named from Organizations."""
    trace_role: str = dataclasses.field(default="", metadata=ORGANIZATION_ONLY)
    """The member trace role's ARN with `*` for the account: a finding in another account is traced through it."""
    account_folders: str = dataclasses.field(default="", metadata=ORGANIZATION_ONLY)
    """`source=s3://bucket/prefix/` comma-separated (`accounts=auto`): each run reads the accounts with a folder
    there."""

    @property
    def folders_by_source(self) -> dict[str, str]:
        """Source -> the S3 prefix holding one folder per account; raises InvalidConfig when malformed."""
        folders: dict[str, str] = {}
        for pair in filter(None, self.account_folders.split(",")):
            source, equals, uri = pair.partition("=")
            if not equals or not uri.startswith("s3://") or not uri.endswith("/") or source in folders:
                raise InvalidConfig(
                    f"ACCOUNT_FOLDERS={self.account_folders!r}: expected distinct source=s3://bucket/prefix/ pairs"
                )
            folders[source] = uri
        return folders

    buckets_query_id: str = ""
    """The saved buckets view over `source`'s logs; empty: the report says the view is missing."""
    daily_query_id: str = ""
    """The saved daily counts behind the report's trend; empty: the report says they are missing."""

    @property
    def detection_queries(self) -> dict[str, str]:
        """Source -> its saved detection query, `source` first; raises InvalidConfig for a malformed MORE_QUERIES."""
        queries = {self.source: self.named_query_id}
        for pair in filter(None, self.more_queries.split(",")):
            source, equals, query_id = pair.partition("=")
            if not equals or not source or not query_id or source in queries:
                raise InvalidConfig(
                    f"MORE_QUERIES={self.more_queries!r}: expected distinct source=named-query-id pairs"
                )
            queries[source] = query_id
        return queries

    def to_environ(self) -> dict[str, str]:
        return {
            field.name.upper(): _text(getattr(self, field.name), field.metadata.get(CODEC))
            for field in fields(self)
            if not (field.metadata.get("organization_only") and getattr(self, field.name) == field.default)
        }

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> FunctionConfig:
        """Raises InvalidConfig naming each missing or malformed variable."""
        missing = [f.name.upper() for f in fields(cls) if _required(f) and not environ.get(f.name.upper())]
        if missing:
            raise InvalidConfig(f"environment variables not set: {', '.join(missing)}")
        values: dict[str, Any] = {}
        for field in fields(cls):
            name = field.name.upper()
            if name in environ:
                values[field.name] = _parse(name, environ[name], field.type, field.metadata.get(CODEC))
        config = cls(**values)
        config.detection_queries  # noqa: B018 - checks MORE_QUERIES now, not halfway through a run
        config.folders_by_source  # noqa: B018 - and ACCOUNT_FOLDERS
        return config


def _required(field: dataclasses.Field[Any]) -> bool:
    """A field without a default, or a run setting: the stack sets every one, so a missing one is a broken stack."""
    return field.default is MISSING or CONTEXT_KEY in field.metadata


def _text(value: object, codec: Codec | None) -> str:
    if codec is not None:
        return codec.encode(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _parse(name: str, text: str, type_: object, codec: Codec | None) -> object:
    if codec is not None:
        try:
            return codec.decode(text)
        except ValueError as error:
            raise InvalidConfig(f"{name}: {error}") from None
    if type_ in ("int", int):
        if not text.isdigit() or int(text) < 1:
            raise InvalidConfig(f"{name}={text!r}: expected a whole number, 1 or more")
        return int(text)
    if type_ in ("bool", bool):
        if text.lower() not in ("true", "false"):
            raise InvalidConfig(f"{name}={text!r}: expected 'true' or 'false'")
        return text.lower() == "true"
    return text


def query_budget_seconds(remaining_seconds: float) -> float:
    """How long the query may run: what is left of the invocation minus the tail kept for delivery."""
    return max(remaining_seconds - TAIL_SECONDS, 1.0)
