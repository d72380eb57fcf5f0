"""The organization settings from CDK context: what each means, what it needs, and each misuse failing synth with
the key, the value and what to do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stacks.settings import DeploySettings
from tests.helpers import REPO_ROOT

ORGANIZATION = {"scope": "organization", "organizationId": "o-abcdefghij", "organizationTrailBucket": "org-trail-logs"}


def test_organization_scope_reads_an_existing_trail_for_the_accounts_found_each_run() -> None:
    # GIVEN the three keys the many-accounts deploy needs
    # WHEN settings are built from them
    settings = DeploySettings.from_context(ORGANIZATION)
    # THEN it is the organization scope over the given bucket, no trail created, accounts found at run time
    assert settings.organization
    assert (settings.organization_id, settings.organization_trail_bucket) == ("o-abcdefghij", "org-trail-logs")
    assert not settings.create_organization_trail
    assert settings.accounts is None
    assert settings.cost_warning is None


def test_account_lists_prefixes_and_targets_are_read_in_every_spelling() -> None:
    # GIVEN accounts as text, a prefix with slashes, and OUs as a JSON list in text
    context = {
        **ORGANIZATION,
        "accounts": "111122223333, 444455556666,111122223333",
        "organizationTrailPrefix": "/logs/org/",
        "memberOrganizationalUnits": '["ou-ab12-cdef3456", "r-ab12"]',
    }
    # WHEN settings are built from them
    settings = DeploySettings.from_context(context)
    # THEN each is kept once, the prefix ends in one slash
    assert settings.accounts == ("111122223333", "444455556666")
    assert settings.organization_trail_prefix == "logs/org/"
    assert settings.member_organizational_units == ("ou-ab12-cdef3456", "r-ab12")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("organizationId", "o-abcdefghij"),
        ("organizationTrailBucket", "org-trail-logs"),
        ("createOrganizationTrail", "true"),
        ("accounts", "111122223333"),
        ("memberOrganizationalUnits", "r-ab12"),
    ],
)
def test_an_organization_setting_without_the_organization_scope_fails_naming_it(key: str, value: str) -> None:
    # GIVEN one organization setting, and the default (account) scope
    # WHEN settings are built
    # THEN synth stops naming the key and the scope to add
    with pytest.raises(ValueError, match=rf"context '{key}': .* works only with scope=organization; add -c scope"):
        DeploySettings.from_context({key: value})


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"scope": "organization"}, r"'organizationId': '\(not set\)' is needed with scope=organization"),
        (
            {"scope": "organization", "organizationId": "o-abcdefghij"},
            r"'organizationTrailBucket': '\(not set\)' is needed .* or -c createOrganizationTrail=true",
        ),
        (
            {**ORGANIZATION, "source": "access-logs", "watchedBuckets": "legacy-a", "createOrganizationTrail": "true"},
            r"'createOrganizationTrail': True cannot go with source 'access-logs'",
        ),
        (
            {**ORGANIZATION, "source": "both", "watchedBuckets": "legacy-a"},
            r"'memberOrganizationalUnits': '\(not set\)' is needed for source 'both'",
        ),
        (
            {
                "scope": "organization",
                "organizationId": "o-abcdefghij",
                "createOrganizationTrail": "true",
                "organizationTrailKmsKeyArn": "arn:aws:kms:us-east-1:111111111111:key/abcd-1234",
            },
            r"'organizationTrailKmsKeyArn': .* is the key of a bucket you give; also give organizationTrailBucket",
        ),
    ],
    ids=["no-organization", "no-trail-bucket", "trail-without-cloudtrail", "access-logs-without-ous", "key-no-bucket"],
)
def test_an_incomplete_organization_fails_naming_what_to_give(context: dict[str, Any], message: str) -> None:
    # GIVEN organization settings missing what they need, or combined with what they cannot go with
    # WHEN settings are built
    # THEN synth stops naming the key and what to do
    with pytest.raises(ValueError, match=message):
        DeploySettings.from_context(context)


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("scope", "org", "is not allowed; give one of account, organization"),
        ("organizationId", "o-short", "is not an organization ID"),
        ("organizationId", "r-abcdefghij", "is not an organization ID"),
        ("organizationTrailBucket", "s3://org-trail-logs", "is not an S3 bucket name"),
        ("organizationTrailPrefix", "logs/../secret", "is not a key prefix"),
        ("accounts", "1111-2222-3333", "is not a 12-digit account ID"),
        ("accounts", "[]", "is empty"),
        ("memberOrganizationalUnits", "ou-1", "is not an organizational unit or root ID"),
        ("stackSetCallAs", "ADMIN", "is not allowed; give one of DELEGATED_ADMIN, SELF"),
    ],
)
def test_a_malformed_organization_value_fails_naming_key_value_and_form(key: str, value: str, problem: str) -> None:
    # GIVEN an organization scope with one malformed value
    # WHEN settings are built
    # THEN the error names the key, the value and what is allowed
    with pytest.raises(ValueError) as raised:
        DeploySettings.from_context({**ORGANIZATION, key: value})
    message = str(raised.value)
    assert f"context '{key}'" in message
    assert problem in message


def test_creating_the_organization_trail_for_every_bucket_warns_of_every_accounts_cost() -> None:
    # GIVEN the organization trail created without watched buckets
    settings = DeploySettings.from_context({**ORGANIZATION, "createOrganizationTrail": "true"})
    # WHEN the cost warning is read
    warning = settings.cost_warning
    # THEN synth warns that every bucket of every account is recorded
    assert warning is not None
    assert "every bucket in every account of the organization" in warning


def test_a_bad_organization_setting_fails_synth_naming_the_key(tmp_path: Path) -> None:
    # GIVEN `cdk synth -c scope=organization` without the organization's ID
    environment = {**os.environ, "CDK_OUTDIR": str(tmp_path), "CDK_CONTEXT_JSON": json.dumps({"scope": "organization"})}
    # WHEN app.py runs as the CDK CLI runs it
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "app.py")],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
    )
    # THEN synth stops with the key, the value and what to give
    assert result.returncode != 0
    assert "Invalid setting: context 'organizationId': '(not set)' is needed with scope=organization" in result.stderr
