"""Why a client is a finding: one registry that renders the SQL, the email's explanations, the CLI help and the docs.

Adding a reason is one entry here: its `predicate` is SQL over the detection query's per-client counts
(`client_groups` in queries/detection.sql), and the query lists every reason whose predicate holds. Findings are
ranked by each reason's `measure`, most urgent reason first, in the query and wherever Python sorts them again.
"""

from __future__ import annotations

from dataclasses import dataclass

from detector.core.sql import quote_literal


@dataclass(frozen=True)
class Reason:
    name: str
    meaning: str
    """One line for the email, the CLI help and the README."""
    rank: int
    """1 is the most urgent; emails and reports list reasons in this order."""
    hint: str
    """What to change when nothing more specific is known (the client catalog's advice comes first)."""
    predicate: str
    """SQL over `client_groups`: true when the group is a finding for this reason."""
    measure: str
    """How much of the reason a finding has: a column of `client_groups` and an attribute of `Finding` alike."""
    upgrade_fixes: bool = False
    """The client catalog's upgrade advice fixes it (so `hint` is not repeated beside that advice)."""


REASONS: tuple[Reason, ...] = (
    Reason(
        "sigv2",
        "requests signed with Signature Version 2, which S3 accepts only on buckets created before 2020-06-24",
        rank=1,
        hint="switch the code that signs these requests to SigV4",
        predicate="sigv2_requests > 0",
        measure="sigv2_requests",
        upgrade_fixes=True,
    ),
    Reason(
        "legacy_tls",
        "requests over TLS 1.0 or 1.1",
        rank=2,
        hint="allow TLS 1.2 or newer in the client's runtime (OpenSSL, JDK, .NET)",
        predicate="legacy_tls_requests > 0",
        measure="legacy_tls_requests",
    ),
    Reason(
        "outdated_sdk",
        "an SDK or CLI release older than the one that made SigV4 its default",
        rank=3,
        hint="upgrade the SDK or CLI to a release that signs SigV4 by default",
        predicate="outdated = 1",
        measure="outdated",
        upgrade_fixes=True,
    ),
)

BY_NAME = {reason.name: reason for reason in REASONS}
NAMES: tuple[str, ...] = tuple(sorted(BY_NAME))
"""Alphabetical: the order of a finding's `reasons` list in every output."""
BY_RANK: tuple[Reason, ...] = tuple(sorted(REASONS, key=lambda reason: reason.rank))


def rank(name: str) -> int:
    """A reason's rank; an unknown name sorts last."""
    known = BY_NAME.get(name)
    return known.rank if known else len(REASONS) + 1


def reasons_sql() -> str:
    """The detection query's `reasons` column: the names whose predicate holds, comma-joined, alphabetical."""
    cases = ",\n    ".join(f"CASE WHEN {BY_NAME[name].predicate} THEN {quote_literal(name)} END" for name in NAMES)
    return f"concat_ws(',',\n    {cases})"


def any_reason_sql() -> str:
    """True when at least one reason holds: the detection query's filter."""
    return " OR ".join(f"({reason.predicate})" for reason in REASONS)


def order_sql() -> str:
    """The detection query's ranking: by each reason's measure, most urgent reason first."""
    return ", ".join(f"{reason.measure} DESC" for reason in BY_RANK)


def order_key(finding: object) -> tuple[int, ...]:
    """`order_sql` for a finding in Python: sorting by this key ranks findings as the query does."""
    return tuple(-int(getattr(finding, reason.measure)) for reason in BY_RANK)


def markdown_list() -> str:
    """The reasons as the README lists them, most urgent first."""
    return "".join(f"- **`{reason.name}`** — {reason.meaning}.\n" for reason in BY_RANK)
