"""The access-log source's resources in one region: its destination bucket, and logging switched on for the region's
watched buckets by a custom resource (the buckets exist already, so CloudFormation cannot own their configuration).

S3 delivers a bucket's access logs only to a bucket in the same account and region, encrypted with SSE-S3 (KMS
default encryption "is not supported" for the destination), without Object Lock default retention or Requester Pays:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from aws_cdk import Acknowledgment, CustomResource, Duration, RemovalPolicy, Stack, Token, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from detector.aws.bucket_logging import ONLY_IF_OWNED
from detector.sources import access_logs
from stacks.detector_function import RUNTIME, function_code, retention_days
from stacks.log_archive import LOCKED_DOWN, expire_logs
from stacks.nag import acknowledge_wildcard
from stacks.settings import DeploySettings

HANDLER = "detector.aws.bucket_logging.handler"
RESOURCE_TYPE = "Custom::BucketLogging"
MAX_PREFIX_CHARS = 63 - len("-123456789012-ap-southeast-2")
"""A bucket name has at most 63 characters; the account and the longest region names fill the rest."""


def destination_name_prefix(stack_name: str) -> str:
    """`LegacyS3ClientDetector` -> `legacys3clientdetector-access`: each region's access-log bucket is
    `<prefix>-<account>-<region>`. A fixed pattern on purpose: the Glue table reaches every region's bucket through
    one location template, which can vary only by its partition keys, and the detector's stack names the other
    regions' buckets without referencing their stacks."""
    base = re.sub(r"[^a-z0-9-]+", "", stack_name.lower()).strip("-")
    return f"{base[: MAX_PREFIX_CHARS - len('-access')]}-access"


class AccessLogDestination(Construct):
    """One region's access-log bucket, and logging switched on for each watched bucket of that region.

    `function`: a logging switch shared with other destinations (the member template's inline one) instead of one of
    its own; `only_if_owned`: a bucket another account owns is left alone (every member account gets the same
    template, and only the bucket's owner switches its logging)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        settings: DeploySettings,
        name_prefix: str,
        buckets: Sequence[str],
        function: lambda_.IFunction | None = None,
        only_if_owned: bool = False,
    ) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        self._sources = [f"arn:{stack.partition}:s3:::{name}" for name in buckets]
        self._only_if_owned = only_if_owned
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=access_logs.destination_bucket_name(name_prefix, stack.account, stack.region),
            encryption=s3.BucketEncryption.S3_MANAGED,
            **LOCKED_DOWN,
            lifecycle_rules=[expire_logs(Duration.days(settings.log_retention_days))],
            removal_policy=RemovalPolicy.RETAIN if settings.keep_logs_on_destroy else RemovalPolicy.DESTROY,
            auto_delete_objects=not settings.keep_logs_on_destroy,
        )
        Validations.of(self.bucket).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-S1",
                reason="It receives the watched buckets' server access logs; logging its own would log each delivery.",
            )
        )
        self._allow_delivery()
        self.function = function or bucket_logging_function(
            self,
            code=function_code(),
            handler=HANDLER,
            buckets=self._sources,
            log_retention=retention_days(settings.log_retention_days),
        )
        self.logging = [self._switch_on(name) for name in buckets]

    def _allow_delivery(self) -> None:
        """S3's logging service may write under the prefix, only for the watched buckets of this account."""
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="S3ServerAccessLogsPolicy",
                principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[self.bucket.arn_for_objects(f"{access_logs.LOG_PREFIX}*")],
                conditions={
                    "ArnLike": {"aws:SourceArn": self._sources},
                    "StringEquals": {"aws:SourceAccount": Stack.of(self).account},
                },
            )
        )

    def _switch_on(self, name: str) -> CustomResource:
        resource = CustomResource(
            self,
            f"Logging-{name}",
            service_token=self.function.function_arn,
            resource_type=RESOURCE_TYPE,
            properties={
                "Bucket": name,
                "TargetBucket": self.bucket.bucket_name,
                "TargetPrefix": access_logs.LOG_PREFIX,
                **({ONLY_IF_OWNED: "true"} if self._only_if_owned else {}),
            },
        )
        if self.bucket.policy is not None:
            resource.node.add_dependency(self.bucket.policy)
        return resource


def bucket_logging_function(
    scope: Construct,
    *,
    code: lambda_.Code,
    handler: str,
    buckets: Sequence[str],
    log_retention: logs.RetentionDays,
    list_buckets: bool = False,
) -> lambda_.Function:
    """The custom resource's function, its role (the logging of `buckets` alone, and ListBuckets when it must tell
    whether this account owns a bucket) and its log group, in `scope`."""
    log_group = logs.LogGroup(scope, "LogGroup", retention=log_retention, removal_policy=RemovalPolicy.DESTROY)
    role = iam.Role(
        scope,
        "Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description="Switches server access logging on for the watched buckets, and back off",
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn])
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="WatchedBucketsLogging", actions=["s3:GetBucketLogging", "s3:PutBucketLogging"], resources=list(buckets)
        )
    )
    if list_buckets:
        role.add_to_principal_policy(
            iam.PolicyStatement(sid="OwnBuckets", actions=["s3:ListAllMyBuckets"], resources=["*"])
        )
        acknowledge_wildcard(
            role, "Resource::*", "s3:ListAllMyBuckets has no resource-level scope; it tells which buckets are ours."
        )
    return lambda_.Function(
        scope,
        "Function",
        runtime=RUNTIME,
        architecture=lambda_.Architecture.ARM_64,
        handler=handler,
        code=code,
        role=role,
        log_group=log_group,
        timeout=Duration.minutes(1),
        memory_size=128,
        description="Switches server access logging on for a watched bucket (a CloudFormation custom resource)",
    )


def grant_read_access_logs(role: iam.Role, bucket_names: Sequence[str]) -> None:
    """Read every region's access logs, as Athena does with the caller's credentials. The buckets are named, not
    referenced: those of the other regions live in their own stacks."""
    partition = Stack.of(role).partition
    arns = [f"arn:{partition}:s3:::{name}" for name in bucket_names]
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="ListAccessLogBuckets", actions=["s3:ListBucket", "s3:GetBucketLocation"], resources=arns
        )
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="ReadAccessLogs",
            actions=["s3:GetObject"],
            resources=[f"{arn}/{access_logs.LOG_PREFIX}*" for arn in arns],
        )
    )
    shown = "<AWS::Partition>" if Token.is_unresolved(partition) else partition
    for name in bucket_names:
        acknowledge_wildcard(
            role,
            f"Resource::arn:{shown}:s3:::{name}/{access_logs.LOG_PREFIX}*",
            "Athena reads the access-log objects under the logging prefix with the caller's credentials.",
        )
