"""Attacker-controlled text (user agents, ARNs, keys, paths) made safe for where it is shown.

A CSV cell that a spreadsheet would run as a formula is neutralised as OWASP advises
(https://owasp.org/www-community/attacks/CSV_Injection); control characters and bidirectional overrides that a
terminal or mail reader would act on are shown escaped instead.
"""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""OWASP's list of first characters a spreadsheet treats as the start of a formula."""

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""C0 and C1 controls (ESC starts terminal escape sequences) except tab and newline, and the bidirectional marks and
overrides that can make text read differently from what it is."""


def csv_cell(value: str) -> str:
    """The value as a spreadsheet shows it, never runs it: a leading formula character gets a `'` before it."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def printable(value: str) -> str:
    """The value with every control or bidirectional character written as a visible escape, e.g. `\\x1b`."""
    return _UNSAFE.sub(lambda match: match[0].encode("unicode_escape").decode("ascii"), value)


def one_line(value: str) -> str:
    """`printable`, with line breaks and tabs escaped too: for one-line fields such as a table cell."""
    return printable(value).replace("\t", "\\t").replace("\n", "\\n")
