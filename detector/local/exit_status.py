"""The scan's exit status, for scripts and CI pipelines: 0 the scan completed, 1 a finding matched `--fail-on`,
2 a usage error (argparse's own code), found before anything is read."""

from __future__ import annotations

from collections.abc import Iterable

from detector.core import reasons
from detector.core.findings import Report

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2

ANY_REASON = "any"
FAIL_ON_CHOICES: tuple[str, ...] = (*reasons.NAMES, ANY_REASON)


def fails(report: Report, fail_on: Iterable[str] | None) -> bool:
    """Whether a finding has one of the reasons `--fail-on` names (`any`: a finding at all)."""
    wanted = set(fail_on or ())
    if ANY_REASON in wanted:
        return bool(report.findings)
    return any(wanted.intersection(finding.reasons) for finding in report.findings)


def epilog() -> str:
    return (
        "exit status:\n"
        f"  {EXIT_OK}  the scan completed, with findings or without (unless --fail-on matched one)\n"
        f"  {EXIT_FINDINGS}  a finding has a reason given to --fail-on\n"
        f"  {EXIT_USAGE}  a usage error (a missing path, a bad date or option, no usable credentials for --trace), "
        "found before anything is read"
    )
