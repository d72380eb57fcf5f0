#!/usr/bin/env python3
"""CDK entry point: the only place that reads context and the environment.

Account and region: context `account`/`region`, else CDK_DEFAULT_ACCOUNT/CDK_DEFAULT_REGION (set by the CLI from your
credentials), else a dummy 111111111111/us-east-1 so `cdk synth` works offline. Deploying with the dummy fails at the
CLI (the account does not match your credentials) rather than deploying somewhere unexpected.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.access_log_region_stack import AccessLogRegionStack
from stacks.access_logs import destination_name_prefix
from stacks.detector_stack import DetectorStack
from stacks.member_stackset import member_parts, member_template
from stacks.settings import CONTEXT_KEYS, DeploySettings
from stacks.tagging import tag_everything

DUMMY_ACCOUNT = "111111111111"
DUMMY_REGION = "us-east-1"
STACK_NAME = "LegacyS3ClientDetector"


def build(app: cdk.App, environ: Mapping[str, str]) -> DetectorStack:
    """The stack with its settings from `app`'s context, checked by cdk-nag's AWS Solutions pack at synth, and a
    small stack per other region holding watched buckets when access logs are read.

    Raises ValueError for an invalid setting.
    """
    settings = DeploySettings.from_context({key: app.node.try_get_context(key) for key in CONTEXT_KEYS})
    env = cdk.Environment(
        account=app.node.try_get_context("account") or environ.get("CDK_DEFAULT_ACCOUNT") or DUMMY_ACCOUNT,
        region=app.node.try_get_context("region") or environ.get("CDK_DEFAULT_REGION") or DUMMY_REGION,
    )
    stack = DetectorStack(
        app,
        STACK_NAME,
        settings=settings,
        member_template=_member_template(app, settings, env),
        env=env,
        description="Legacy S3 client detector: finds SigV2, outdated-SDK and TLS 1.0/1.1 callers of S3",
    )
    if settings.cost_warning:
        cdk.Annotations.of(stack).add_warning_v2("legacy-s3-detector:cost", settings.cost_warning)
    if "access_logs" in settings.sources and not settings.organization:
        for region, buckets in settings.access_log_buckets(stack.region).items():
            if region != stack.region:
                AccessLogRegionStack(
                    app,
                    f"{STACK_NAME}-AccessLogs-{region}",
                    settings=settings,
                    name_prefix=destination_name_prefix(STACK_NAME),
                    buckets=buckets,
                    env=cdk.Environment(account=env.account, region=region),
                    description=f"Legacy S3 client detector: access logs of the watched buckets in {region}",
                )
    tag_everything(app, settings.tags)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack


def _member_template(app: cdk.App, settings: DeploySettings, env: cdk.Environment) -> str | None:
    """The member StackSet's template, in organization scope with OUs to deploy to and something for them."""
    if not settings.organization or not settings.member_organizational_units:
        return None
    parts = member_parts(settings, env.region or DUMMY_REGION, destination_name_prefix(STACK_NAME))
    return None if parts.empty else member_template(app, STACK_NAME, parts)


def main() -> None:
    app = cdk.App()
    try:
        build(app, os.environ)
    except ValueError as error:
        sys.exit(f"Invalid setting: {error}")
    app.synth()


if __name__ == "__main__":
    main()
