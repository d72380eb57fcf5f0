"""checkov finds nothing the README's security section does not justify, and the section lists nothing it no longer
finds. checkov pins its own boto3, so it runs from `.venv-checkov` (`make test` and `make checkov` install it)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.helpers import REPO_ROOT, cached_synth

CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
SECTION = re.compile(r"<!-- checkov:start -->\n(.*?)<!-- checkov:end -->", re.DOTALL)
ORGANIZATION_SECTION = re.compile(
    r"<!-- checkov-organization:start -->\n(.*?)<!-- checkov-organization:end -->", re.DOTALL
)
ORGANIZATION = (
    ("scope", "organization"),
    ("organizationId", "o-abcdefghij"),
    ("organizationTrailBucket", "org-trail-logs"),
    ("createOrganizationTrail", "true"),
    ("source", "both"),
    ("watchedBuckets", "legacy-a,legacy-b@eu-west-1"),
    ("memberOrganizationalUnits", "r-ab12"),
)
"""Every organization part: the trail, both sources, the member StackSet."""
ROW = re.compile(r"^\| (CKV_[A-Z0-9_]+) \| (\w+) \| (.+) \|$", re.MULTILINE)


def justified(pattern: re.Pattern[str] = SECTION) -> dict[tuple[str, str], str]:
    """(check ID, logical ID) -> the README's one-line reason."""
    section = pattern.search((REPO_ROOT / "README.md").read_text(encoding="utf-8"))
    assert section, f"README.md has no section {pattern.pattern}"
    return {(check, logical): reason.strip() for check, logical, reason in ROW.findall(section[1])}


def failed_checks(template_dir: Path) -> set[tuple[str, str]]:
    assert CHECKOV.exists(), f"{CHECKOV} is missing: run `make test` or `make checkov`, which install it"
    result = subprocess.run(
        [str(CHECKOV), "-d", str(template_dir), "--framework", "cloudformation", "--skip-download", "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    return {(check["check_id"], check["resource"].split(".", 1)[1]) for check in report["results"]["failed_checks"]}


def test_every_failed_checkov_check_is_justified_in_the_readme(tmp_path: Path) -> None:
    # GIVEN the default template written where `cdk synth` would write it, and the README's justifications
    _stack, template = cached_synth()
    (tmp_path / "LegacyS3ClientDetector.template.json").write_text(json.dumps(template.to_json()), encoding="utf-8")
    reasons = justified()
    # WHEN checkov scans it
    failed = failed_checks(tmp_path)
    # THEN each failure has a one-line reason, and each reason still answers a failure
    assert sorted(failed - set(reasons)) == [], "justify these in README.md's security section, or fix them"
    assert sorted(set(reasons) - failed) == [], "these no longer fail: remove their rows"
    assert all(reason and "\n" not in reason for reason in reasons.values())


def test_every_failed_checkov_check_of_an_organization_is_justified_in_the_readme(tmp_path: Path) -> None:
    # GIVEN the organization's central template and the member StackSet's template, and both README tables
    stack, template = cached_synth(ORGANIZATION)
    members = getattr(stack, "members", None)
    assert members is not None
    (tmp_path / "LegacyS3ClientDetector.template.json").write_text(json.dumps(template.to_json()), encoding="utf-8")
    (tmp_path / "Member.template.json").write_text(str(members.stack_set.template_body), encoding="utf-8")
    reasons, organization_reasons = justified(), justified(ORGANIZATION_SECTION)
    # WHEN checkov scans them
    failed = failed_checks(tmp_path)
    # THEN each failure is justified in one of the tables, and each organization row still answers a failure
    assert sorted(failed - set(reasons) - set(organization_reasons)) == [], "justify these in Many accounts"
    assert sorted(set(organization_reasons) - failed) == [], "these no longer fail: remove their rows"
