"""The contract between the stack and the function: its environment variables, memory and time, defined once.

`stacks/detector_function.py` sets the variables with `FunctionConfig.to_environ()`; the handler reads them back
with `FunctionConfig.from_environ()`, so a variable cannot be set without being read, or read without being set.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Any

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
class FunctionConfig:
    """Each field is the environment variable of its name in upper case."""

    workgroup: str
    named_query_id: str
    topic_arn: str
    report_bucket: str
    window_days: int
    report_prefix: str = ""
    notify_when_clean: bool = False
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
    accepted_findings: str = "[]"
    """The `acceptedFindings` entries as JSON (`detector.core.accepted.encode`)."""

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
            field.name.upper(): _text(getattr(self, field.name))
            for field in fields(self)
            if not (field.metadata.get("organization_only") and getattr(self, field.name) == field.default)
        }

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> FunctionConfig:
        """Raises InvalidConfig naming each missing or malformed variable."""
        missing = [f.name.upper() for f in fields(cls) if f.default is MISSING and not environ.get(f.name.upper())]
        if missing:
            raise InvalidConfig(f"environment variables not set: {', '.join(missing)}")
        values: dict[str, Any] = {}
        for field in fields(cls):
            name = field.name.upper()
            if name in environ:
                values[field.name] = _parse(name, environ[name], field.type)
        config = cls(**values)
        config.detection_queries  # noqa: B018 - checks MORE_QUERIES now, not halfway through a run
        config.folders_by_source  # noqa: B018 - and ACCOUNT_FOLDERS
        return config


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _parse(name: str, text: str, type_: object) -> object:
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
