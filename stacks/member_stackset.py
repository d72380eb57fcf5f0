"""What every member account gets, rolled out by a service-managed StackSet that auto-deploys to new accounts of the
target OUs: in each region of a watched bucket, an access-log bucket that replicates to the central one and the
switch that points the account's own watched buckets at it; in the home region, a read-only role the detector assumes
to trace a finding there.

The member template has no assets, so no member account needs CDK's bootstrap: it is synthesized with
`BootstraplessSynthesizer` (which refuses any asset), the logging switch's code is inline
(`detector/aws/bucket_logging.py` is self-contained: the standard library and boto3), and the template travels in
the StackSet's `TemplateBody`, at most 51,200 bytes, so no bucket has to be readable by the organization. CDK's
bucket-emptying helper would be an asset, so the member buckets are kept when a stack instance goes.
Source of the limits: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudformation-stackset.html

Service-managed StackSets never deploy to the management account ("CloudFormation doesn't deploy stack instances to
the organization management account", botocore's DeploymentTargets), and StackSets made by a delegated administrator
still live in the management account.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import Aws, CfnCondition, CfnParameter, CfnResource, Duration, Fn, Stack
from aws_cdk import aws_cloudformation as cloudformation
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from detector.aws import bucket_logging
from detector.sources import access_logs
from stacks.access_logs import AccessLogDestination, bucket_logging_function
from stacks.detector_function import retention_days
from stacks.nag import acknowledge_wildcard
from stacks.organization import MEMBER_ROLE_PATH, REPLICATION_ROLE_PATH
from stacks.settings import DeploySettings
from stacks.tagging import tag_everything

TRACE_ROLE_NAME = "LegacyS3ClientDetectorTrace"
"""A fixed name: the detector builds the role's ARN from the finding's account, so it cannot be generated."""
TEMPLATE_BODY_MAX_BYTES = 51_200
INLINE_HANDLER = "index.handler"
"""CloudFormation writes inline code to a file named `index`."""
BUCKET_LOGGING_SOURCE = Path(bucket_logging.__file__)
MAX_CONCURRENT_PERCENTAGE = 25
FAILURE_TOLERANCE_PERCENTAGE = 0
"""An account that fails (a watched bucket that already logs elsewhere) stops the rollout in its region and fails the
deploy with its reason, as a refused bucket fails the one-account stack."""
DETECTOR_ROLE_PARAMETER = "DetectorRoleArn"
CENTRAL_BUCKET_PARAMETER = "CentralAccessLogBucket"
MAX_CONDITIONS = 10
"""Fn::Or takes at most ten conditions."""


def trace_role_arn(partition: str, account: str) -> str:
    """The member trace role of `account`; `*` for the function's policy over every account."""
    return f"arn:{partition}:iam::{account}:role{MEMBER_ROLE_PATH}{TRACE_ROLE_NAME}"


@dataclass(frozen=True)
class MemberParts:
    """What the member template holds: the settings, seen from the hub's region."""

    settings: DeploySettings
    home_region: str
    name_prefix: str
    """The access-log buckets' names: `<prefix>-<account>-<region>`, as in one account."""

    @property
    def access_logs(self) -> dict[str, tuple[str, ...]]:
        """Region -> the watched buckets there; empty without the access-log source."""
        if access_logs.NAME not in self.settings.sources:
            return {}
        return self.settings.access_log_buckets(self.home_region)

    @property
    def trace_role(self) -> bool:
        return self.settings.trace_role

    @property
    def kept_settings(self) -> DeploySettings:
        """The settings with every member bucket kept when its stack instance goes: CDK's bucket-emptying helper
        would be an asset, and the member template has none."""
        return replace(self.settings, keep_logs_on_destroy=True)

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(sorted({self.home_region, *self.access_logs}))

    @property
    def empty(self) -> bool:
        return not self.access_logs and not self.trace_role


def member_parts(settings: DeploySettings, home_region: str, name_prefix: str) -> MemberParts:
    return MemberParts(settings=settings, home_region=home_region, name_prefix=name_prefix)


class MemberStack(Stack):
    """One member account's parts in one region; CloudFormation conditions keep each region's own."""

    def __init__(self, scope: Construct, id_: str, *, parts: MemberParts, **kwargs: Any) -> None:
        super().__init__(scope, id_, **kwargs)
        self._parts = parts
        self._in_region = {
            region: CfnCondition(self, f"In{_camel(region)}", expression=Fn.condition_equals(Aws.REGION, region))
            for region in parts.regions
        }
        if parts.trace_role:
            detector_role = CfnParameter(
                self, DETECTOR_ROLE_PARAMETER, type="String", description="The detector function's role, in the hub"
            )
            only_when(self._trace_role(detector_role.value_as_string), self._in_region[parts.home_region])
        if parts.access_logs:
            central = CfnParameter(
                self, CENTRAL_BUCKET_PARAMETER, type="String", description="The hub's bucket the access logs go to"
            )
            self._access_logs(central.value_as_string)

    def _trace_role(self, detector_role_arn: str) -> iam.Role:
        """Read-only, and only the two lookups a trace makes; only the detector's role may assume it."""
        role = iam.Role(
            self,
            "TraceRole",
            role_name=TRACE_ROLE_NAME,
            path=MEMBER_ROLE_PATH,
            assumed_by=iam.ArnPrincipal(detector_role_arn),
            description="Lets the legacy-S3-client detector name the instance or interface behind a source IP",
            max_session_duration=Duration.hours(1),
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="TraceSources",
                actions=["ec2:DescribeNetworkInterfaces", "ec2:DescribeInstances"],
                resources=["*"],
            )
        )
        acknowledge_wildcard(
            role,
            "Resource::*",
            "ec2:DescribeNetworkInterfaces and ec2:DescribeInstances have no resource-level scope; read-only.",
        )
        return role

    def _access_logs(self, central_bucket: str) -> None:
        """One access-log bucket in each region of a watched bucket, replicating to the hub, and the switch; each
        bucket's logging resource only in that bucket's region. The pieces are the same in every region (the bucket's
        name carries the region), so the template grows by one small resource per watched bucket, not per region."""
        parts = self._parts
        regions = list(parts.access_logs)
        in_any = (
            self._in_region[regions[0]]
            if len(regions) == 1
            else CfnCondition(self, "InWatchedRegion", expression=in_any_region(regions))
        )
        every_bucket = [name for names in parts.access_logs.values() for name in names]
        switch = Construct(self, "LoggingSwitch")
        function = bucket_logging_function(
            switch,
            code=lambda_.Code.from_inline(BUCKET_LOGGING_SOURCE.read_text(encoding="utf-8")),
            handler=INLINE_HANDLER,
            buckets=[f"arn:{Aws.PARTITION}:s3:::{name}" for name in every_bucket],
            log_retention=retention_days(parts.settings.log_retention_days),
            list_buckets=True,
        )
        destination = AccessLogDestination(
            self,
            "AccessLogs",
            settings=parts.kept_settings,
            name_prefix=parts.name_prefix,
            buckets=every_bucket,
            function=function,
            only_if_owned=True,
        )
        _replicate(destination, central_bucket, parts.name_prefix)
        only_when(switch, in_any)
        only_when(destination, in_any)
        region_of = {name: region for region, names in parts.access_logs.items() for name in names}
        for name, logging in zip(every_bucket, destination.logging, strict=True):
            only_when(logging, self._in_region[region_of[name]])


def _replicate(destination: AccessLogDestination, central_bucket: str, name_prefix: str) -> None:
    """Every delivered log object is replicated, under the same key, into the hub's central bucket (owned there:
    it enforces bucket-owner ownership). Delete markers are not replicated: each side expires its own copies."""
    partition = Aws.PARTITION
    own_arn = f"arn:{partition}:s3:::{access_logs.destination_bucket_name(name_prefix, Aws.ACCOUNT_ID, Aws.REGION)}"
    central_arn = f"arn:{partition}:s3:::{central_bucket}"
    role = iam.Role(
        destination,
        "ReplicationRole",
        path=REPLICATION_ROLE_PATH,
        assumed_by=iam.ServicePrincipal("s3.amazonaws.com"),
        description="Replicates this region's access logs to the detector's central bucket",
    )
    statements = (
        ("ReadConfiguration", ["s3:GetReplicationConfiguration", "s3:ListBucket"], own_arn),
        (
            "ReadVersions",
            ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
            f"{own_arn}/{access_logs.LOG_PREFIX}*",
        ),
        ("Replicate", ["s3:ReplicateObject"], f"{central_arn}/{access_logs.LOG_PREFIX}*"),
    )
    for sid, actions, resource in statements:
        role.add_to_principal_policy(iam.PolicyStatement(sid=sid, actions=actions, resources=[resource]))
    own_shown = access_logs.destination_bucket_name(name_prefix, "<AWS::AccountId>", "<AWS::Region>")
    for bucket_shown, reason in (
        (own_shown, "S3 replication reads every delivered log object under the logging prefix."),
        (f"<{CENTRAL_BUCKET_PARAMETER}>", "It replicates each log object into the same prefix of the hub's bucket."),
    ):
        acknowledge_wildcard(
            role, f"Resource::arn:<AWS::Partition>:s3:::{bucket_shown}/{access_logs.LOG_PREFIX}*", reason
        )
    bucket = destination.bucket.node.default_child
    if not isinstance(bucket, s3.CfnBucket):
        raise TypeError(f"{destination.bucket.node.path} has no CfnBucket")
    bucket.replication_configuration = s3.CfnBucket.ReplicationConfigurationProperty(
        role=role.role_arn,
        rules=[
            s3.CfnBucket.ReplicationRuleProperty(
                id="to-central",
                status="Enabled",
                priority=1,
                filter=s3.CfnBucket.ReplicationRuleFilterProperty(prefix=access_logs.LOG_PREFIX),
                delete_marker_replication=s3.CfnBucket.DeleteMarkerReplicationProperty(status="Disabled"),
                destination=s3.CfnBucket.ReplicationDestinationProperty(bucket=central_arn),
            )
        ],
    )


def only_when(construct: Construct, condition: CfnCondition) -> None:
    """Every CloudFormation resource under `construct` is made only when `condition` holds."""
    for child in construct.node.find_all():
        if isinstance(child, CfnResource):
            child.cfn_options.condition = condition


def in_any_region(regions: Sequence[str]) -> Any:
    """Fn::Or over `AWS::Region` equal to each of two or more regions, nested by tens."""
    equals = [Fn.condition_equals(Aws.REGION, region) for region in regions]
    if len(equals) <= MAX_CONDITIONS:
        return Fn.condition_or(*equals)
    groups = [equals[i : i + MAX_CONDITIONS] for i in range(0, len(equals), MAX_CONDITIONS)]
    return Fn.condition_or(*(Fn.condition_or(*group) if len(group) > 1 else group[0] for group in groups))


def member_template(app: cdk.App, stack_name: str, parts: MemberParts) -> str:
    """The member template as the StackSet's `TemplateBody`: synthesized in a stage of its own, so `cdk deploy --all`
    never deploys it as a stack, its resources tagged like the hub's; raises ValueError when it outgrows the body's
    limit."""
    stage = cdk.Stage(app, f"{stack_name}-Members")
    tag_everything(stage, parts.settings.tags)
    stack = MemberStack(
        stage,
        "Member",
        parts=parts,
        synthesizer=cdk.BootstraplessSynthesizer(),
        analytics_reporting=False,
        description="Legacy S3 client detector, member account: access-log buckets, logging switch, trace role",
    )
    template = stage.synth().get_stack_artifact(stack.artifact_id).template
    body = json.dumps(template, separators=(",", ":"))
    if len(body.encode("utf-8")) > TEMPLATE_BODY_MAX_BYTES:
        raise ValueError(
            f"context 'watchedBuckets': the member template for {len(parts.access_logs)} regions is "
            f"{len(body.encode('utf-8')):,} bytes, over the StackSet's {TEMPLATE_BODY_MAX_BYTES:,}; watch fewer "
            "buckets or regions"
        )
    return body


class MemberStackSet(Construct):
    """The service-managed StackSet of the member template: auto-deployed to every account of the target OUs (and to
    accounts that join them later), in the home region and each watched bucket's region."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        template_body: str,
        parts: MemberParts,
        detector_role: iam.IRole,
        central_access_logs: s3.IBucket | None,
    ) -> None:
        super().__init__(scope, id_)
        parameters = []
        if parts.trace_role:
            parameters.append(_parameter(DETECTOR_ROLE_PARAMETER, detector_role.role_arn))
        if parts.access_logs:
            if central_access_logs is None:
                raise ValueError("the member access logs need the central bucket to replicate into")
            parameters.append(_parameter(CENTRAL_BUCKET_PARAMETER, central_access_logs.bucket_name))
        self.stack_set = cloudformation.CfnStackSet(
            self,
            "StackSet",
            stack_set_name=f"{Stack.of(self).stack_name}-members",
            description="Legacy S3 client detector: each member account's access-log buckets, logging, trace role",
            permission_model="SERVICE_MANAGED",
            call_as=parts.settings.stack_set_call_as,
            auto_deployment=cloudformation.CfnStackSet.AutoDeploymentProperty(
                enabled=True, retain_stacks_on_account_removal=False
            ),
            capabilities=["CAPABILITY_NAMED_IAM"],
            managed_execution={"Active": True},
            operation_preferences=cloudformation.CfnStackSet.OperationPreferencesProperty(
                concurrency_mode="SOFT_FAILURE_TOLERANCE",
                failure_tolerance_percentage=FAILURE_TOLERANCE_PERCENTAGE,
                max_concurrent_percentage=MAX_CONCURRENT_PERCENTAGE,
                region_concurrency_type="PARALLEL",
            ),
            parameters=parameters,
            stack_instances_group=[
                cloudformation.CfnStackSet.StackInstancesProperty(
                    deployment_targets=cloudformation.CfnStackSet.DeploymentTargetsProperty(
                        organizational_unit_ids=list(parts.settings.member_organizational_units)
                    ),
                    regions=list(parts.regions),
                )
            ],
            template_body=template_body,
        )
        self._trace_role = parts.trace_role

    def grant_assume_trace_role(self, role: iam.Role) -> None:
        """The function may assume the member trace role of any account (the role trusts only it)."""
        if not self._trace_role:
            return
        partition = Stack.of(self).partition
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="AssumeMemberTraceRoles", actions=["sts:AssumeRole"], resources=[trace_role_arn(partition, "*")]
            )
        )
        shown = "<AWS::Partition>" if cdk.Token.is_unresolved(partition) else partition
        acknowledge_wildcard(
            role,
            f"Resource::{trace_role_arn(shown, '*')}",
            "The trace role of whichever member account a finding is in; each trusts only this function's role.",
        )


def _parameter(key: str, value: str) -> cloudformation.CfnStackSet.ParameterProperty:
    return cloudformation.CfnStackSet.ParameterProperty(parameter_key=key, parameter_value=value)


def _camel(region: str) -> str:
    return "".join(part.capitalize() for part in region.split("-"))
