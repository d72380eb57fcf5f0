"""Hostile text stays text: formulas are not run by spreadsheets, escapes are not run by terminals."""

from __future__ import annotations

import pytest

from detector.core.text import FORMULA_STARTS, csv_cell, one_line, printable


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_a_cell_a_spreadsheet_would_run_is_prefixed_with_a_quote(start: str) -> None:
    # GIVEN a user agent that starts like a formula
    value = f'{start}HYPERLINK("http://evil.example")'
    # WHEN it becomes a CSV cell
    cell = csv_cell(value)
    # THEN it is text: a quote first, the value unchanged after it
    assert cell == "'" + value


def test_a_plain_cell_is_unchanged() -> None:
    # GIVEN an ordinary principal ARN
    value = "arn:aws:iam::123456789012:user/app"
    # WHEN it becomes a CSV cell
    cell = csv_cell(value)
    # THEN it is the same text
    assert cell == value


def test_terminal_escapes_and_bidi_overrides_are_shown_not_run() -> None:
    # GIVEN an agent with an ANSI colour sequence, a bell and a right-to-left override
    agent = "curl/8\x1b[31m red\x07\u202eevil"
    # WHEN it is made printable
    shown = printable(agent)
    # THEN no control or override character is left, and each is visible as an escape
    assert shown == "curl/8\\x1b[31m red\\x07\\u202eevil"
    assert all(ch.isprintable() for ch in shown)


def test_one_line_escapes_line_breaks_but_printable_keeps_them() -> None:
    # GIVEN a value with a newline and a tab
    value = "a\nb\tc"
    # WHEN it is made printable, and made a one-line cell
    kept, flat = printable(value), one_line(value)
    # THEN the email keeps its lines, the table cell does not break
    assert kept == value
    assert flat == "a\\nb\\tc"
