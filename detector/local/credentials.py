"""The AWS credentials `scan --trace` calls EC2 with, checked before anything is scanned: a scan that cannot trace
stops with one message instead of an error on every finding."""

from __future__ import annotations

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from detector.local.discovery import UsageError

CHECK_CONFIG = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=5, read_timeout=10)
FALLBACK_REGION = "us-east-1"
"""STS answers in every region; this one when neither --region nor the profile names one."""

NO_TRACE = "or scan without --trace"


def usable_session(profile: str | None, region: str | None) -> boto3.session.Session:
    """A session whose credentials AWS accepts: STS GetCallerIdentity, which needs no permission, says so.

    Raises UsageError naming what is missing and how to provide it."""
    try:
        session = boto3.session.Session(profile_name=profile, region_name=region)
    except BotoCoreError as error:
        raise UsageError(f"--profile {profile}: {error}; give a profile from ~/.aws/config, {NO_TRACE}") from None
    if session.get_credentials() is None:
        raise UsageError(
            "--trace asks EC2 who sent each finding, with your AWS credentials, and none were found: "
            f"pass --profile, set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, {NO_TRACE}"
        )
    sts = session.client("sts", region_name=session.region_name or FALLBACK_REGION, config=CHECK_CONFIG)
    try:
        sts.get_caller_identity()
    except ClientError as error:
        details = error.response.get("Error", {})
        raise UsageError(
            f"--trace: AWS refused the credentials ({details.get('Code')}: {details.get('Message')}); "
            f"refresh them (e.g. aws sso login), {NO_TRACE}"
        ) from None
    except BotoCoreError as error:
        raise UsageError(f"--trace: could not check the credentials with AWS STS ({error}); {NO_TRACE}") from None
    return session
