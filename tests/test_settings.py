"""Deploy settings from CDK context: defaults, accepted spellings, failures naming the key, value and rule."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import fields
from datetime import timedelta
from pathlib import Path

import pytest

from detector.core.config import FunctionConfig, RunSettings
from detector.core.context_keys import declared_keys
from detector.core.queries import SIGV2_REGIONS
from stacks.detector_function import HANDLER
from stacks.settings import CONTEXT, CONTEXT_KEYS, MIN_BYTES_SCANNED_CUTOFF, DeploySettings, WatchedBucket
from tests.helpers import REPO_ROOT, cached_synth, cdk_json_context, only


def test_cdk_json_sets_no_setting_so_each_default_is_defined_once() -> None:
    # GIVEN the context cdk.json ships
    context = cdk_json_context()
    # WHEN its keys are compared with the settings' context keys
    set_there = set(context) & set(CONTEXT_KEYS)
    # THEN it sets none: the defaults live in DeploySettings alone, and synth uses them
    assert set_there == set()


def test_missing_keys_take_defaults() -> None:
    # GIVEN an empty context
    # WHEN settings are built from it
    settings = DeploySettings.from_context({})
    # THEN they are the defaults
    assert settings == DeploySettings()


def test_alert_emails_accept_a_comma_separated_string() -> None:
    # GIVEN two alert emails in one comma-separated string
    # WHEN settings are built from it
    settings = DeploySettings.from_context({"alertEmails": "ops@example.com, sec@example.org"})
    # THEN both emails are kept, trimmed
    assert settings.alert_emails == ("ops@example.com", "sec@example.org")


def test_alert_emails_accept_a_json_list_given_as_text() -> None:
    # GIVEN alert emails as a JSON list written as text
    # WHEN settings are built from it
    settings = DeploySettings.from_context({"alertEmails": '["ops@example.com"]'})
    # THEN the list's email is kept
    assert settings.alert_emails == ("ops@example.com",)


def test_malformed_email_fails_naming_key_value_and_form() -> None:
    # GIVEN alert emails one of which is no email
    # WHEN settings are built from them
    with pytest.raises(ValueError) as raised:
        DeploySettings.from_context({"alertEmails": ["ops@example.com", "not-an-email"]})
    # THEN the error names the key and the value, and shows the form to give
    message = str(raised.value)
    assert "'alertEmails'" in message
    assert "'not-an-email'" in message
    assert '["ops@example.com"]' in message


@pytest.mark.parametrize("schedule", ["rate(1 day)", "rate(6 hours)", "rate(30 minutes)", "cron(0 6 * * ? *)"])
def test_valid_schedule_expressions_are_kept(schedule: str) -> None:
    # GIVEN a valid rate or cron schedule
    # WHEN settings are built from it
    settings = DeploySettings.from_context({"schedule": schedule})
    # THEN the schedule is kept as given
    assert settings.schedule == schedule


@pytest.mark.parametrize("schedule", ["daily", "rate(1 days)", "rate(0 hours)", "cron(0 6 * * *)", "rate(8 days)"])
def test_bad_schedule_fails_naming_key_and_allowed_forms(schedule: str) -> None:
    # GIVEN a schedule that is no valid rate or cron expression, or runs less than weekly
    # WHEN settings are built from it
    with pytest.raises(ValueError) as raised:
        DeploySettings.from_context({"schedule": schedule})
    # THEN the error names the key and the value, and shows the forms allowed
    message = str(raised.value)
    assert "'schedule'" in message
    assert repr(schedule) in message
    assert "rate(1 day)" in message
    assert "cron(0 6 * * ? *)" in message


def test_rate_schedule_gives_its_interval_and_cron_a_day() -> None:
    # GIVEN a rate schedule and a cron schedule
    rate, cron = DeploySettings(schedule="rate(6 hours)"), DeploySettings(schedule="cron(0 6 * * ? *)")
    # WHEN their intervals are read
    # THEN the rate gives its own, and the cron a day
    assert rate.schedule_interval == timedelta(hours=6)
    assert cron.schedule_interval == timedelta(days=1)


@pytest.mark.parametrize("retention", [-1, 0, "-5", "ninety"])
def test_non_positive_or_non_numeric_retention_fails(retention: object) -> None:
    # GIVEN a log retention that is not a number of 1 or more
    # WHEN settings are built from it
    with pytest.raises(ValueError) as raised:
        DeploySettings.from_context({"logRetentionDays": retention})
    # THEN the error names the key, the value and the rule
    message = str(raised.value)
    assert "'logRetentionDays'" in message
    assert repr(retention) in message
    assert ">= 1" in message


def test_numbers_given_as_text_are_parsed() -> None:
    # GIVEN numbers written as text
    # WHEN settings are built from them
    settings = DeploySettings.from_context({"logRetentionDays": "30", "windowDays": "2"})
    # THEN they are read as numbers
    assert (settings.log_retention_days, settings.window_days) == (30, 2)


def test_unknown_region_fails_listing_known_regions() -> None:
    # GIVEN a region that does not exist
    # WHEN settings are built from it
    with pytest.raises(ValueError) as raised:
        DeploySettings.from_context({"regions": ["us-east-1", "us-middle-9"]})
    # THEN the error names the key and the value, and lists the regions known
    message = str(raised.value)
    assert "'regions'" in message
    assert "'us-middle-9'" in message
    assert "eu-central-1" in message  # the allowed values are listed


def test_regions_accept_a_comma_separated_string() -> None:
    # GIVEN two regions in one comma-separated string
    # WHEN settings are built from it
    settings = DeploySettings.from_context({"regions": "eu-west-1,us-east-1"})
    # THEN both regions are kept, in order
    assert settings.regions == ("eu-west-1", "us-east-1")


def test_scan_cutoff_below_athena_minimum_fails() -> None:
    # GIVEN a scan cutoff a byte below Athena's minimum
    # WHEN settings are built from it
    with pytest.raises(ValueError) as raised:
        DeploySettings.from_context({"athenaBytesScannedCutoff": MIN_BYTES_SCANNED_CUTOFF - 1})
    # THEN the error names the key and the minimum
    message = str(raised.value)
    assert "'athenaBytesScannedCutoff'" in message
    assert f">= {MIN_BYTES_SCANNED_CUTOFF}" in message


@pytest.mark.parametrize("bucket", ["ab", "has space", "slash/name", "colon:name", "x" * 256, "tilde~name"])
def test_invalid_bucket_name_fails(bucket: str) -> None:
    # GIVEN a watched bucket whose name S3 would refuse
    # WHEN settings are built from it
    with pytest.raises(ValueError) as raised:
        DeploySettings.from_context({"watchedBuckets": [bucket]})
    # THEN the error names the key and the value, and gives the naming rules
    message = str(raised.value)
    assert "'watchedBuckets'" in message
    assert repr(bucket) in message
    assert "3-63 characters" in message


def test_kms_key_arn_must_be_a_key_arn() -> None:
    # GIVEN a KMS alias where a key ARN belongs
    # WHEN settings are built from it
    with pytest.raises(ValueError) as raised:
        DeploySettings.from_context({"kmsKeyArn": "alias/aws/sns"})
    # THEN the error names the key and shows the form of a key ARN
    message = str(raised.value)
    assert "'kmsKeyArn'" in message
    assert "arn:aws:kms:<region>:<account>:key/<key-id>" in message


def test_empty_kms_key_arn_means_none() -> None:
    # GIVEN an empty KMS key ARN
    # WHEN settings are built from it
    settings = DeploySettings.from_context({"kmsKeyArn": ""})
    # THEN there is no key
    assert settings.kms_key_arn is None


@pytest.mark.parametrize(("given", "expected"), [(True, True), ("true", True), ("FALSE", False), (False, False)])
def test_booleans_accept_json_and_text(given: object, expected: bool) -> None:
    # GIVEN a boolean as JSON or as text in any case
    # WHEN settings are built from it
    settings = DeploySettings.from_context({"keepLogsOnDestroy": given})
    # THEN it is read as that boolean
    assert settings.keep_logs_on_destroy is expected


def test_non_boolean_fails() -> None:
    # GIVEN "yes" where a boolean belongs
    # WHEN settings are built from it
    # THEN the error names the key and the value, and asks for true or false
    with pytest.raises(ValueError, match=r"context 'notifyWhenClean': 'yes' is not a boolean; give true or false"):
        DeploySettings.from_context({"notifyWhenClean": "yes"})


def test_regions_default_to_every_commercial_region_including_the_sigv2_ones() -> None:
    # GIVEN the regions given as "all"
    # WHEN settings are built from it
    regions = DeploySettings.from_context({"regions": "all"}).regions
    # THEN they are the default regions: every commercial one, the SigV2 regions among them
    assert regions == DeploySettings().regions
    assert set(SIGV2_REGIONS) < set(regions)
    assert not any(region.startswith(("cn-", "us-gov-", "us-iso")) for region in regions)


def test_every_settings_field_has_exactly_one_context_key() -> None:
    # GIVEN the settings fields and the context declarations
    declared = [entry.field for entry in CONTEXT]
    # WHEN they are compared
    missing = {field.name for field in fields(DeploySettings)} - set(declared)
    # THEN each field is declared once, and nothing else is
    assert missing == set()
    assert sorted(declared) == sorted(field.name for field in fields(DeploySettings))


RUN_SETTINGS_GIVEN = (
    ("windowDays", "3"),
    ("notifyWhenClean", "true"),
    (
        "acceptedFindings",
        json.dumps([{"principal": "arn:aws:iam::123456789012:user/app", "reason": "vendor", "expires": "2027-03-31"}]),
    ),
)
"""A value other than the default for every run setting."""


def test_every_run_setting_reaches_the_function_as_given() -> None:
    # GIVEN a stack synthesized with a value other than the default for every run setting
    assert sorted(key for key, _ in RUN_SETTINGS_GIVEN) == sorted(entry.key for entry in declared_keys(RunSettings))
    _stack, template = cached_synth(RUN_SETTINGS_GIVEN)
    _, function = only(template, "AWS::Lambda::Function", {"Handler": HANDLER})
    variables = function["Properties"]["Environment"]["Variables"]
    # WHEN the function reads its environment
    config = FunctionConfig.from_environ({k: v if isinstance(v, str) else "x" for k, v in variables.items()})
    # THEN it has each run setting as synth parsed it, none of them the default
    expected = DeploySettings.from_context(dict(RUN_SETTINGS_GIVEN)).run_settings()
    assert config.run_settings() == expected
    defaults = RunSettings().run_settings()
    assert all(expected[name] != defaults[name] for name in defaults)


def test_the_function_config_survives_its_environment() -> None:
    # GIVEN a function config with every run setting other than its default
    settings = DeploySettings.from_context(dict(RUN_SETTINGS_GIVEN))
    config = FunctionConfig("wg", "q", "arn:aws:sns:us-east-1:123456789012:t", "b", **settings.run_settings())
    # WHEN it goes through the environment
    again = FunctionConfig.from_environ(config.to_environ())
    # THEN it comes back whole
    assert again == config


# --- the source and the watched buckets -------------------------------------------------------------------------


def test_watched_buckets_take_an_optional_region_each() -> None:
    # GIVEN buckets with and without a region
    # WHEN settings are built from them
    settings = DeploySettings.from_context({"watchedBuckets": "legacy-a, legacy-b@eu-west-1"})
    # THEN each keeps its region, the one without taking the deployment region for access logs
    assert settings.watched_buckets == (WatchedBucket("legacy-a"), WatchedBucket("legacy-b", "eu-west-1"))
    assert settings.watched_bucket_names == ("legacy-a", "legacy-b")
    assert settings.access_log_buckets("us-east-1") == {"eu-west-1": ("legacy-b",), "us-east-1": ("legacy-a",)}


@pytest.mark.parametrize(
    ("value", "problem"),
    [("legacy-a@mars-east-1", "unknown region"), ("legacy-a@us-east-1,legacy-a@eu-west-1", "a second region")],
)
def test_a_bad_bucket_region_fails_naming_the_key_and_value(value: str, problem: str) -> None:
    # GIVEN a bucket in a region that does not exist, or one bucket in two regions
    # WHEN settings are built from it
    with pytest.raises(ValueError) as raised:
        DeploySettings.from_context({"watchedBuckets": value})
    # THEN the error names the key, the entry and the problem
    message = str(raised.value)
    assert "'watchedBuckets'" in message and problem in message and "legacy-a@" in message


def test_all_buckets_is_a_choice_and_an_empty_list_is_not_set() -> None:
    # GIVEN watchedBuckets=all, and an empty list
    # WHEN settings are built from each
    chosen = DeploySettings.from_context({"watchedBuckets": "all"})
    empty = DeploySettings.from_context({"watchedBuckets": []})
    # THEN both record every bucket, and only the unset one warns of the cost, with the price
    assert chosen.watched_bucket_names == empty.watched_bucket_names == ()
    assert chosen.cost_warning is None
    assert empty.cost_warning is not None and "$0.10 per 100,000 requests" in empty.cost_warning


@pytest.mark.parametrize("source", ["cloudtrail", "access-logs", "both"])
def test_each_source_setting_deploys_its_sources(source: str) -> None:
    # GIVEN a source setting, with watched buckets
    # WHEN settings are built from it
    settings = DeploySettings.from_context({"source": source, "watchedBuckets": "legacy-a"})
    # THEN it deploys the sources it names, CloudTrail first
    expected = {"cloudtrail": ("cloudtrail",), "access-logs": ("access_logs",), "both": ("cloudtrail", "access_logs")}
    assert settings.sources == expected[source]


def test_an_unknown_source_fails_listing_the_allowed_ones() -> None:
    # GIVEN a source the stack does not deploy
    # WHEN settings are built from it
    with pytest.raises(ValueError) as raised:
        DeploySettings.from_context({"source": "cloudwatch"})
    # THEN the error names the key, the value and the allowed sources
    message = str(raised.value)
    assert "'source'" in message and "'cloudwatch'" in message and "cloudtrail, access-logs, both" in message


@pytest.mark.parametrize("watched", [None, "all"], ids=["not-set", "all"])
@pytest.mark.parametrize("source", ["access-logs", "both"])
def test_access_logs_need_the_buckets_listed(source: str, watched: str | None) -> None:
    # GIVEN access logs without a list of buckets
    context = {"source": source, "watchedBuckets": watched}
    # WHEN settings are built from it
    with pytest.raises(ValueError) as raised:
        DeploySettings.from_context(context)
    # THEN the error names watchedBuckets and the source, and says how to list the buckets
    message = str(raised.value)
    assert "'watchedBuckets'" in message and repr(source) in message
    assert "python -m detector buckets" in message


def test_object_lock_is_off_by_default_and_takes_a_number_of_days() -> None:
    # GIVEN no objectLockDays, and objectLockDays=30 with the logs kept
    # WHEN settings are built from them
    default = DeploySettings.from_context({})
    locked = DeploySettings.from_context({"objectLockDays": "30", "keepLogsOnDestroy": "true"})
    # THEN the default locks nothing and the given days are kept
    assert (default.object_lock_days, locked.object_lock_days) == (0, 30)


@pytest.mark.parametrize("days", [-1, "thirty", 3651])
def test_object_lock_days_out_of_range_fail(days: object) -> None:
    # GIVEN an objectLockDays that is not a whole number from 0 to 3650
    # WHEN settings are built from it
    with pytest.raises(ValueError) as raised:
        DeploySettings.from_context({"objectLockDays": days, "keepLogsOnDestroy": True})
    # THEN the error names the key, the value and the range
    message = str(raised.value)
    assert "'objectLockDays'" in message and repr(days) in message
    assert ">= 0 and <= 3650" in message


def test_object_lock_without_kept_logs_fails_naming_both_keys() -> None:
    # GIVEN Object Lock asked for on logs the stack would delete on destroy
    # WHEN settings are built from it
    # THEN the error says why and which key to set
    with pytest.raises(ValueError, match=r"'objectLockDays': 30 locks logs .*keepLogsOnDestroy=true"):
        DeploySettings.from_context({"objectLockDays": 30})


def test_object_lock_longer_than_the_retention_fails() -> None:
    # GIVEN a lock of 120 days on logs kept 90 days
    # WHEN settings are built from it
    # THEN the error names both settings
    with pytest.raises(ValueError, match=r"'objectLockDays': 120 is longer than logRetentionDays \(90\)"):
        DeploySettings.from_context({"objectLockDays": 120, "keepLogsOnDestroy": True})


def test_a_bad_object_lock_fails_synth_naming_the_key(tmp_path: Path) -> None:
    # GIVEN `cdk synth -c objectLockDays=7` without keepLogsOnDestroy
    environment = {**os.environ, "CDK_OUTDIR": str(tmp_path)}
    # WHEN app.py runs as the CDK CLI runs it
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "app.py")],
        env={**environment, "CDK_CONTEXT_JSON": json.dumps({"objectLockDays": 7})},
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
    )
    # THEN synth stops with the key, the value and what to set
    assert result.returncode != 0
    assert "Invalid setting: context 'objectLockDays': 7" in result.stderr
