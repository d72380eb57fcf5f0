"""Parsers for the settings that reach people and machines: `alertSubscriptions` (non-email subscribers of the
topic) and `tags` (on every resource, so the cost lands on a recognisable line of the bill). Their `ContextKey`s are in
`stacks/settings.py` with the others."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from detector.core.context_keys import invalid

SUBSCRIPTION_ENDPOINTS: dict[str, tuple[re.Pattern[str], str]] = {
    "sqs": (re.compile(r"^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}$"), "an SQS queue ARN"),
    "lambda": (
        re.compile(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?$"),
        "a Lambda function ARN",
    ),
    "https": (re.compile(r"^https://[^\s/$.?#][^\s]*$"), "an https:// URL (AWS Chatbot's endpoint too)"),
    "email-json": (
        re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"),
        "an email address",
    ),
    "sms": (re.compile(r"^\+[1-9][0-9]{6,14}$"), "a phone number in E.164 form, e.g. +14155550100"),
}
"""The SNS protocols a subscriber may use, and what its endpoint must look like. Plain `http` is refused: the findings
would cross the network unencrypted. A FIFO queue cannot subscribe to this standard topic."""

DEFAULT_TAGS: tuple[tuple[str, str], ...] = (("Project", "legacy-s3-client-detector"), ("Owner", "unassigned"))
"""Always present; `tags` can change their values and add others."""

_TAG_TEXT = re.compile(r"^[\w\s.:/=+\-@]*$")
"""The characters AWS allows in tag keys and values (letters, digits, spaces and `_ . : / = + - @`)."""


@dataclass(frozen=True)
class Subscription:
    protocol: str
    endpoint: str


def _entries(key: str, value: Any, example: str) -> list[Any]:
    """A JSON list (or JSON text of one), or comma-separated `protocol=endpoint` text."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return list(json.loads(text))
            except (json.JSONDecodeError, TypeError):
                raise invalid(key, value, "is not a valid JSON list", f"give a list like {example}") from None
        return [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        return list(value)
    raise invalid(key, value, "is not a list", f"give a list like {example}")


def subscriptions(key: str, value: Any) -> tuple[Subscription, ...]:
    """`protocol=endpoint` texts or `{"protocol", "endpoint"}` objects, each endpoint checked against its protocol."""
    example = '["sqs=arn:aws:sqs:us-east-1:123456789012:findings", {"protocol": "https", "endpoint": "https://…"}]'
    allowed = "protocols: " + ", ".join(f"{name} ({rule[1]})" for name, rule in SUBSCRIPTION_ENDPOINTS.items())
    parsed: dict[Subscription, None] = {}
    for entry in _entries(key, value, example):
        if isinstance(entry, dict) and set(entry) == {"protocol", "endpoint"}:
            protocol, endpoint = str(entry["protocol"]).strip(), str(entry["endpoint"]).strip()
        elif isinstance(entry, str) and "=" in entry:
            protocol, _, endpoint = (part.strip() for part in entry.partition("="))
        else:
            raise invalid(key, entry, "is not protocol=endpoint", f"give a list like {example}")
        if protocol not in SUBSCRIPTION_ENDPOINTS:
            raise invalid(key, entry, f"uses the protocol {protocol!r}, which is not allowed", allowed)
        pattern, shape = SUBSCRIPTION_ENDPOINTS[protocol]
        if not pattern.match(endpoint):
            raise invalid(key, entry, f"has an endpoint that is not {shape}", allowed)
        parsed[Subscription(protocol, endpoint)] = None
    return tuple(parsed)


def tags(key: str, value: Any) -> tuple[tuple[str, str], ...]:
    """A JSON object (or JSON text of one), or `Key=Value` pairs comma-separated, over the defaults."""
    example = '{"Owner": "platform-security", "CostCenter": "1234"}'
    if isinstance(value, str) and not value.strip().startswith("{"):
        pairs = [part.partition("=") for part in value.split(",") if part.strip()]
        if any(not equals for _, equals, _ in pairs):
            raise invalid(key, value, "is not Key=Value pairs", f"give pairs like Owner=platform-security or {example}")
        value = {name.strip(): text.strip() for name, _, text in pairs}
    elif isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise invalid(key, value, "is not a valid JSON object", f"give an object like {example}") from None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise invalid(key, value, "is not an object of text values", f"give an object like {example}")
    merged = {**dict(DEFAULT_TAGS), **value}
    for name, text in merged.items():
        _check_tag(key, name, text)
    return tuple(merged.items())


def _check_tag(key: str, name: str, text: str) -> None:
    allowed = "keys of 1-128 and values of 1-256 letters, digits, spaces and _ . : / = + - @; keys not starting aws:"
    if not (0 < len(name) <= 128 and 0 < len(text) <= 256) or name.lower().startswith("aws:"):
        raise invalid(key, f"{name}={text}", "is not a tag AWS accepts", allowed)
    if not _TAG_TEXT.match(name) or not _TAG_TEXT.match(text):
        raise invalid(key, f"{name}={text}", "has characters a tag cannot hold", allowed)
