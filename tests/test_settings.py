"""Settings from CDK context: defaults, accepted spellings, failures naming the key, the value and what is allowed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from detector.queries import SIGV2_REGIONS
from stacks.settings import CONTEXT_KEYS, MIN_BYTES_SCANNED_CUTOFF, Settings
from tests.stack_fixtures import cdk_json_context


def test_cdk_json_defaults_are_the_dataclass_defaults() -> None:
    # GIVEN the context cdk.json ships
    context = cdk_json_context()
    # WHEN settings are built from it
    settings = Settings.from_context({key: context[key] for key in CONTEXT_KEYS})
    # THEN they equal the documented defaults
    assert settings == Settings()


def test_missing_keys_take_defaults() -> None:
    assert Settings.from_context({}) == Settings()


def test_alert_emails_accept_a_comma_separated_string() -> None:
    settings = Settings.from_context({"alertEmails": "ops@example.com, sec@example.org"})
    assert settings.alert_emails == ("ops@example.com", "sec@example.org")


def test_alert_emails_accept_a_json_list_given_as_text() -> None:
    settings = Settings.from_context({"alertEmails": '["ops@example.com"]'})
    assert settings.alert_emails == ("ops@example.com",)


def test_malformed_email_fails_naming_key_value_and_form() -> None:
    with pytest.raises(ValueError) as raised:
        Settings.from_context({"alertEmails": ["ops@example.com", "not-an-email"]})
    message = str(raised.value)
    assert "'alertEmails'" in message
    assert "'not-an-email'" in message
    assert '["ops@example.com"]' in message


@pytest.mark.parametrize("schedule", ["rate(1 day)", "rate(6 hours)", "rate(30 minutes)", "cron(0 6 * * ? *)"])
def test_valid_schedule_expressions_are_kept(schedule: str) -> None:
    assert Settings.from_context({"schedule": schedule}).schedule == schedule


@pytest.mark.parametrize("schedule", ["daily", "rate(1 days)", "rate(0 hours)", "cron(0 6 * * *)", "rate(8 days)"])
def test_bad_schedule_fails_naming_key_and_allowed_forms(schedule: str) -> None:
    with pytest.raises(ValueError) as raised:
        Settings.from_context({"schedule": schedule})
    message = str(raised.value)
    assert "'schedule'" in message
    assert repr(schedule) in message
    assert "rate(1 day)" in message
    assert "cron(0 6 * * ? *)" in message


def test_rate_schedule_gives_its_interval_and_cron_a_day() -> None:
    assert Settings(schedule="rate(6 hours)").schedule_interval == timedelta(hours=6)
    assert Settings(schedule="cron(0 6 * * ? *)").schedule_interval == timedelta(days=1)


@pytest.mark.parametrize("retention", [-1, 0, "-5", "ninety"])
def test_non_positive_or_non_numeric_retention_fails(retention: object) -> None:
    with pytest.raises(ValueError) as raised:
        Settings.from_context({"logRetentionDays": retention})
    message = str(raised.value)
    assert "'logRetentionDays'" in message
    assert repr(retention) in message
    assert ">= 1" in message


def test_numbers_given_as_text_are_parsed() -> None:
    settings = Settings.from_context({"logRetentionDays": "30", "windowDays": "2"})
    assert (settings.log_retention_days, settings.window_days) == (30, 2)


def test_unknown_region_fails_listing_known_regions() -> None:
    with pytest.raises(ValueError) as raised:
        Settings.from_context({"regions": ["us-east-1", "us-middle-9"]})
    message = str(raised.value)
    assert "'regions'" in message
    assert "'us-middle-9'" in message
    assert "eu-central-1" in message  # the allowed values are listed


def test_regions_accept_a_comma_separated_string() -> None:
    assert Settings.from_context({"regions": "eu-west-1,us-east-1"}).regions == ("eu-west-1", "us-east-1")


def test_scan_cutoff_below_athena_minimum_fails() -> None:
    with pytest.raises(ValueError) as raised:
        Settings.from_context({"athenaBytesScannedCutoff": MIN_BYTES_SCANNED_CUTOFF - 1})
    message = str(raised.value)
    assert "'athenaBytesScannedCutoff'" in message
    assert f">= {MIN_BYTES_SCANNED_CUTOFF}" in message


@pytest.mark.parametrize("bucket", ["Upper-Case", "ab", "bad_underscore", "192.168.1.1", "a..b"])
def test_invalid_bucket_name_fails(bucket: str) -> None:
    with pytest.raises(ValueError) as raised:
        Settings.from_context({"watchedBuckets": [bucket]})
    message = str(raised.value)
    assert "'watchedBuckets'" in message
    assert repr(bucket) in message
    assert "3-63 characters" in message


def test_kms_key_arn_must_be_a_key_arn() -> None:
    with pytest.raises(ValueError) as raised:
        Settings.from_context({"kmsKeyArn": "alias/aws/sns"})
    message = str(raised.value)
    assert "'kmsKeyArn'" in message
    assert "arn:aws:kms:<region>:<account>:key/<key-id>" in message


def test_empty_kms_key_arn_means_none() -> None:
    assert Settings.from_context({"kmsKeyArn": ""}).kms_key_arn is None


@pytest.mark.parametrize(("given", "expected"), [(True, True), ("true", True), ("FALSE", False), (False, False)])
def test_booleans_accept_json_and_text(given: object, expected: bool) -> None:
    assert Settings.from_context({"keepLogsOnDestroy": given}).keep_logs_on_destroy is expected


def test_non_boolean_fails() -> None:
    with pytest.raises(ValueError, match=r"context 'notifyWhenClean': 'yes' is not a boolean; give true or false"):
        Settings.from_context({"notifyWhenClean": "yes"})


def test_regions_default_to_every_commercial_region_including_the_sigv2_ones() -> None:
    regions = Settings.from_context({"regions": "all"}).regions
    assert regions == Settings().regions
    assert set(SIGV2_REGIONS) < set(regions)
    assert not any(region.startswith(("cn-", "us-gov-", "us-iso")) for region in regions)
