"""Accepted findings: an entry with a reason and an expiry takes a finding out of the actions until the day after its
expiry; an entry without either fails synth naming the key, the value and the fix."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from detector.core import accepted
from detector.core.findings import Finding, Report
from detector.core.window import Window
from stacks.detector_function import HANDLER
from stacks.settings import DeploySettings
from tests.helpers import cached_synth, only

RowFactory = Callable[..., dict[str, str | None]]
ENTRY = {
    "principal": "arn:aws:iam::123456789012:user/app-*",
    "userAgent": "*aws-cli/1.11.*",
    "reason": "vendor box, replaced in March (TICKET-42)",
    "expires": "2027-03-31",
}


def report_of(*rows: dict[str, str | None]) -> Report:
    return Report(window=Window(date(2026, 11, 20), date(2026, 11, 22)), findings=[Finding.from_row(r) for r in rows])


def test_matching_finding_is_accepted_until_its_expiry_and_listed_again_the_day_after(
    detection_row: RowFactory,
) -> None:
    # GIVEN a finding the entry matches by principal and agent, and one of another principal
    report = report_of(detection_row(1), detection_row(2, principal_arn="arn:aws:iam::123456789012:user/other"))
    entries = accepted.parse_entries([ENTRY])

    # WHEN acceptance is applied on the expiry day, and on the day after
    on_expiry = accepted.apply(report, entries, date(2027, 3, 31))
    after = accepted.apply(report, entries, date(2027, 4, 1))

    # THEN on the expiry day the first finding is counted as accepted, with the entry's reason, and not listed
    assert [f.principal_arn for f in on_expiry.findings] == ["arn:aws:iam::123456789012:user/other"]
    assert [(a.finding.principal_arn, a.acceptance.reason) for a in on_expiry.accepted] == [
        ("arn:aws:iam::123456789012:user/app-1", ENTRY["reason"])
    ]
    # AND the day after it is a finding again, and the notes say the acceptance expired
    assert len(after.findings) == 2 and after.accepted == []
    assert any("expired on 2027-03-31" in note for note in after.notes)


@pytest.mark.parametrize(
    ("pattern", "agent", "matches"),
    [
        ("*aws-cli/1.11.*", "[aws-cli/1.11.10 Python/2.7.8]", True),
        ("*aws-cli/1.11.*", "[aws-cli/2.15.0 Python/3.11]", False),
        ("[aws-cli/1.11.1?]", "[aws-cli/1.11.10]", True),
        ("[aws-cli/1.11.1?]", "[aws-cli/1.11.1]", False),
        ("aws-cli/1.11.10", "[aws-cli/1.11.10]", False),
    ],
)
def test_user_agent_patterns_take_star_and_question_mark_and_the_rest_literally(
    detection_row: RowFactory, pattern: str, agent: str, matches: bool
) -> None:
    # GIVEN an entry with a user-agent pattern (brackets are literal, as S3 data events write them)
    entry = accepted.Acceptance("known", date(2027, 1, 1), user_agent=pattern)
    # WHEN it is matched against a finding with the agent
    # THEN it matches only when the whole agent fits the pattern
    assert entry.matches(Finding.from_row(detection_row(1, user_agent=agent))) is matches


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({k: v for k, v in ENTRY.items() if k != "reason"}, "entry 1 has no reason"),
        ({k: v for k, v in ENTRY.items() if k != "expires"}, "entry 1 has no expires"),
        ({**ENTRY, "expires": "31/03/2027"}, "entry 1 has expires '31/03/2027', which is not a date YYYY-MM-DD"),
        ({"reason": "x", "expires": "2027-01-01"}, "entry 1 names neither a principal nor a userAgent pattern"),
        ({**ENTRY, "until": "2027-01-01"}, "entry 1 has unknown keys ['until']"),
    ],
)
def test_entry_without_reason_or_expiry_fails_synth_naming_key_value_and_fix(
    entry: dict[str, Any], problem: str
) -> None:
    # GIVEN an acceptedFindings entry that lacks something, given as -c text
    value = json.dumps([entry])
    # WHEN the settings are built from it
    with pytest.raises(ValueError) as raised:
        DeploySettings.from_context({"acceptedFindings": value})
    # THEN the error names the key, the value, the problem and the form to give
    message = str(raised.value)
    assert message.startswith(f"context 'acceptedFindings': {value!r} {problem}")
    assert "each with a principal and/or userAgent pattern, a reason and an expires date" in message


def test_too_many_entries_for_the_functions_environment_fail_synth() -> None:
    # GIVEN 60 entries, more JSON than the function's environment can carry
    entries = [{**ENTRY, "principal": f"arn:aws:iam::123456789012:user/app-{n}"} for n in range(60)]
    # WHEN the settings are built from them
    # THEN synth fails saying so
    with pytest.raises(ValueError, match="longer than 3000 bytes"):
        DeploySettings.from_context({"acceptedFindings": entries})


def test_accepted_findings_reach_the_function_as_they_were_given() -> None:
    # GIVEN a stack synthesized with one accepted finding
    _stack, template = cached_synth((("acceptedFindings", json.dumps([ENTRY])),))
    _, function = only(template, "AWS::Lambda::Function", {"Handler": HANDLER})
    environment = function["Properties"]["Environment"]["Variables"]
    # WHEN the function's variable for them is read
    variable = environment["accepted_findings".upper()]
    # THEN it gives the entry back, as given
    assert accepted.parse_entries(variable) == accepted.parse_entries([ENTRY])
