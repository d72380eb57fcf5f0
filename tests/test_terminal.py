"""The CLI as a terminal, a file, a pipe and a CI job see it: whole values off a terminal, no colour under NO_COLOR,
`--fail-on`, `--quiet`, `--version`, `--trace` without credentials, and the days the summary names."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from detector import __version__
from detector.core.findings import Finding
from detector.local.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, main
from tests import oracle
from tests.helpers import DEMO_LOGS, REPO_ROOT, LogTree, cloudtrail_event


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["scan", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def demo_findings(capsys: pytest.CaptureFixture[str]) -> list[Finding]:
    code, out, _ = run(capsys, str(DEMO_LOGS), "--format", "json")
    assert code == EXIT_OK
    return [Finding(**finding) for finding in json.loads(out)["findings"]]


def on_a_terminal(*args: str, env: dict[str, str]) -> str:
    """What `python -m detector` writes to a pseudo-terminal (standard output and error both)."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "detector", *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        cwd=REPO_ROOT,
        env={**os.environ, "COLUMNS": "160", "LINES": "50", **env},
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=120) == EXIT_OK
    return b"".join(chunks).decode("utf-8")


def test_piped_table_has_each_findings_whole_principal_arn_and_whole_hint_on_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN the demo tree's findings
    findings = demo_findings(capsys)
    # WHEN the table is written to a pipe (pytest's captured standard output is no terminal)
    _, out, _ = run(capsys, str(DEMO_LOGS))
    lines = out.splitlines()
    # THEN every principal ARN and every hint is whole on some line, and no line ends in spaces
    assert all(any(finding.principal_arn in line for line in lines) for finding in findings)
    assert all(any(finding.hint() in line for line in lines) for finding in findings)
    assert [line for line in lines if line != line.rstrip()] == []


def test_table_written_to_a_file_has_each_value_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the demo tree's findings, the longest ARN among them longer than the old 60-column cell
    findings = demo_findings(capsys)
    assert max(len(finding.principal_arn) for finding in findings) > 60
    # WHEN the table is written with --output
    run(capsys, str(DEMO_LOGS), "--output", str(tmp_path / "report.txt"))
    lines = (tmp_path / "report.txt").read_text(encoding="utf-8").splitlines()
    # THEN each finding's row holds its ARN, its client and its hint whole
    for finding in findings:
        (row,) = [line for line in lines if finding.principal_arn in line]
        assert finding.hint() in row


def test_no_color_on_a_terminal_writes_no_escape_code() -> None:
    # GIVEN the demo tree scanned on a pseudo-terminal, once as it is and once with NO_COLOR=1
    plain_env = {"NO_COLOR": ""}
    # WHEN both outputs are read
    styled = on_a_terminal("scan", str(DEMO_LOGS), env=plain_env)
    uncoloured = on_a_terminal("scan", str(DEMO_LOGS), env={"NO_COLOR": "1"})
    # THEN the terminal gets escape codes (styles, the progress bar) but none under NO_COLOR, with the same findings
    assert "\x1b[" in styled
    assert "\x1b" not in uncoloured
    assert "outdated_sdk" in uncoloured


def test_fail_on_sigv2_exits_1_on_the_samples_and_0_on_a_clean_log(
    log_tree: LogTree, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the samples, which hold SigV2 findings, and a log of one modern request
    log_tree.write([cloudtrail_event()])
    # WHEN each is scanned with --fail-on sigv2
    on_samples, _, _ = run(capsys, str(DEMO_LOGS), "--fail-on", "sigv2")
    on_clean, out, _ = run(capsys, str(log_tree.root), "--fail-on", "sigv2")
    # THEN the samples exit 1 and the clean log 0, its report still printed
    assert (on_samples, on_clean) == (EXIT_FINDINGS, EXIT_OK)
    assert "0 findings" in out


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [
        (["legacy_tls"], EXIT_OK),
        (["outdated_sdk"], EXIT_OK),
        (["legacy_tls", "sigv2"], EXIT_FINDINGS),
        (["any"], EXIT_FINDINGS),
        ([], EXIT_OK),
    ],
)
def test_fail_on_exits_1_only_for_the_reasons_it_names(
    log_tree: LogTree, capsys: pytest.CaptureFixture[str], fail_on: list[str], expected: int
) -> None:
    # GIVEN a log whose only finding is a modern client signing SigV2 over TLS 1.3
    log_tree.write([cloudtrail_event(signature="SigV2")])
    # WHEN it is scanned with each --fail-on given
    code, _, _ = run(capsys, str(log_tree.root), *[arg for reason in fail_on for arg in ("--fail-on", reason)])
    # THEN it fails only when sigv2 (or any reason) is named
    assert code == expected


def test_an_unknown_fail_on_reason_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a reason that is not in the registry
    # WHEN the scan is asked to fail on it
    with pytest.raises(SystemExit) as exited:
        main(["scan", str(DEMO_LOGS), "--fail-on", "sigv3"])
    # THEN it exits 2, listing the reasons allowed
    assert exited.value.code == EXIT_USAGE
    assert "legacy_tls" in capsys.readouterr().err


def test_quiet_prints_the_findings_alone(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the demo tree's findings
    findings = demo_findings(capsys)
    # WHEN it is scanned with --quiet
    code, out, err = run(capsys, str(DEMO_LOGS), "--quiet")
    # THEN standard output has the table's header, rule and one row per finding, and nothing else is said
    assert code == EXIT_OK
    assert not out.startswith("Scanned")
    assert len([line for line in out.splitlines() if line.strip()]) == 2 + len(findings)
    assert err == ""


def test_quiet_with_no_finding_prints_nothing(log_tree: LogTree, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a log of one modern request
    log_tree.write([cloudtrail_event()])
    # WHEN it is scanned with --quiet
    code, out, err = run(capsys, str(log_tree.root), "--quiet")
    # THEN nothing is printed at all
    assert (code, out, err) == (EXIT_OK, "", "")


def test_version_names_the_release(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the package's release
    # WHEN the command is asked its version
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    # THEN it prints it and exits 0
    assert exited.value.code == EXIT_OK
    assert capsys.readouterr().out == f"s3-legacy-clients {__version__}\n"


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS credentials anywhere botocore looks, and no instance metadata to ask."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_trace_without_credentials_stops_before_scanning_with_one_message(
    no_credentials: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN no AWS credentials, and a scan that would fail the test if it started
    def scan_started(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("the scan started")

    monkeypatch.setattr("detector.local.cli.scan", scan_started)
    # WHEN the samples are scanned with --trace
    code, out, err = run(capsys, str(DEMO_LOGS), "--trace")
    # THEN it exits 2 before scanning, with one line saying what is missing and how to give it
    assert (code, out) == (EXIT_USAGE, "")
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("error: --trace asks EC2")
    assert "--profile" in err


def test_trace_with_an_unknown_profile_is_a_usage_error(
    no_credentials: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN no profile of that name
    # WHEN the samples are scanned with --trace and it
    code, out, err = run(capsys, str(DEMO_LOGS), "--trace", "--profile", "nobody")
    # THEN it exits 2 naming the profile
    assert (code, out) == (EXIT_USAGE, "")
    assert "--profile nobody" in err


def test_trace_with_credentials_traces_every_finding(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN credentials AWS accepts (moto), and no instance holding the samples' addresses
    # WHEN the samples are scanned with --trace
    code, out, _ = run(capsys, str(DEMO_LOGS), "--trace", "--format", "json")
    # THEN every finding is traced, to its principal at least
    findings = json.loads(out)["findings"]
    assert code == EXIT_OK
    assert findings and all(finding["source"] for finding in findings)


def test_summary_names_the_days_the_events_span(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the days of the first and last customer request in the demo logs, as the oracle reads them
    events = oracle.customer_events(oracle.read_events(oracle.log_files(DEMO_LOGS)))
    days = sorted(event["eventTime"][:10] for event in events)
    # WHEN the demo tree is scanned without a window, and from its second day on
    _, whole, _ = run(capsys, str(DEMO_LOGS))
    _, since, _ = run(capsys, str(DEMO_LOGS), "--since", "2026-11-21")
    # THEN the first names the days the events span, the second the day given and the last event's
    assert f"events ({days[0]} .. {days[-1]});" in whole.splitlines()[0]
    assert f"events (2026-11-21 .. {days[-1]});" in since.splitlines()[0]


def test_summary_of_a_window_without_events_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the demo logs, dated 2026-11-20 .. 2026-11-23
    # WHEN a day of 2025 is scanned
    _, out, _ = run(capsys, str(DEMO_LOGS), "--since", "2025-01-01", "--until", "2025-01-01")
    # THEN the summary names that day and that it had no events
    assert "(2025-01-01 .. 2025-01-01: no events)" in out
