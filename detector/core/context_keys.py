"""A `-c key=value` setting's declaration, and the parsers the run's settings share with the deploy's.

A setting is declared once, as a dataclass field with its key (`context_field`), or as a `ContextKey` beside its
field. A bad value fails synth naming the key, the value and what is allowed (`invalid`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Parser = Callable[[str, Any], Any]
"""(key, raw value) -> the field's value; raises ValueError from `invalid`."""

CONTEXT_KEY = "context_key"
CODEC = "codec"


@dataclass(frozen=True)
class ContextKey:
    """One `-c key=value` setting: where it goes, how it is checked, and how the README explains it."""

    key: str
    field: str
    parse: Parser
    default: str
    """The default as the README shows it."""
    meaning: str


def context_field(
    default: Any, key: str, parse: Parser, shown_default: str, meaning: str, *, codec: object = None
) -> Any:
    """A dataclass field that is also the setting `key`; `codec` says how it travels where text is needed."""
    metadata: dict[str, object] = {CONTEXT_KEY: ContextKey(key, "", parse, shown_default, meaning)}
    if codec is not None:
        metadata[CODEC] = codec
    return dataclasses.field(default=default, metadata=metadata)


def declared_keys(settings_class: type[Any]) -> tuple[ContextKey, ...]:
    """The settings `settings_class` declares with `context_field`, in field order, each naming its field."""
    return tuple(
        dataclasses.replace(field.metadata[CONTEXT_KEY], field=field.name)
        for field in dataclasses.fields(settings_class)
        if CONTEXT_KEY in field.metadata
    )


def invalid(key: str, value: Any, problem: str, allowed: str) -> ValueError:
    return ValueError(f"context {key!r}: {value!r} {problem}; {allowed}")


def int_between(low: int, high: int | None) -> Parser:
    def parse(key: str, value: Any) -> int:
        allowed = f"give a whole number >= {low}" + (f" and <= {high}" if high is not None else "")
        number = value
        if isinstance(value, str):
            try:
                number = int(value.strip().replace("_", ""))
            except ValueError:
                raise invalid(key, value, "is not a whole number", allowed) from None
        if isinstance(number, bool) or not isinstance(number, int):
            raise invalid(key, value, "is not a whole number", allowed)
        if number < low or (high is not None and number > high):
            raise invalid(key, value, "is out of range", allowed)
        return number

    return parse


def boolean(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise invalid(key, value, "is not a boolean", "give true or false")
