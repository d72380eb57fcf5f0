"""Every bucket the stack owns, and the trail that records S3 data events into one of them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

LOG_PREFIX = "AWSLogs/"
"""CloudTrail writes `AWSLogs/<account>/CloudTrail/<region>/yyyy/MM/dd/` (no custom key prefix)."""

ATHENA_PREFIX = "athena/"
REPORT_PREFIX = "reports/"
ATHENA_RESULTS_EXPIRY = Duration.days(7)
"""Athena result files are only read by the run that wrote them."""

LOCKED_DOWN: dict[str, Any] = {
    "enforce_ssl": True,
    "minimum_tls_version": 1.2,
    "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
    "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
}
"""Every bucket of the stack: TLS 1.2+ only, never public, ACLs off."""


class LogArchive(Construct):
    """The trail's log bucket, the access-log bucket, the Athena results bucket and the trail.

    The trail records S3 object-level data events for every bucket (or only `watched_buckets`) except the three
    buckets here, so it never records its own deliveries, the access logs or the queries' I/O.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        trail_name: str,
        retention: Duration,
        keep_logs: bool,
        watched_buckets: Sequence[str] = (),
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        log_removal = RemovalPolicy.RETAIN if keep_logs else RemovalPolicy.DESTROY
        encryption = s3.BucketEncryption.KMS if encryption_key else s3.BucketEncryption.S3_MANAGED

        # Server access logs can only be delivered to an SSE-S3 bucket. cdk-nag S1 accepts a bucket that is the
        # destination of access logs without access logs of its own.
        self.access_log_bucket = s3.Bucket(
            self,
            "AccessLogBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            **LOCKED_DOWN,
            lifecycle_rules=[_expire_everything(retention)],
            removal_policy=log_removal,
            auto_delete_objects=not keep_logs,
        )

        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=encryption,
            encryption_key=encryption_key,
            bucket_key_enabled=encryption_key is not None,
            **LOCKED_DOWN,
            server_access_logs_bucket=self.access_log_bucket,
            server_access_logs_prefix="log-bucket/",
            lifecycle_rules=[_expire_everything(retention)],
            removal_policy=log_removal,
            auto_delete_objects=not keep_logs,
        )

        self.results_bucket = s3.Bucket(
            self,
            "ResultsBucket",
            encryption=encryption,
            encryption_key=encryption_key,
            bucket_key_enabled=encryption_key is not None,
            **LOCKED_DOWN,
            server_access_logs_bucket=self.access_log_bucket,
            server_access_logs_prefix="results-bucket/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-athena-results",
                    prefix=ATHENA_PREFIX,
                    expiration=ATHENA_RESULTS_EXPIRY,
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
                s3.LifecycleRule(
                    id="expire-reports",
                    prefix=REPORT_PREFIX,
                    expiration=retention,
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
            ],
            removal_policy=RemovalPolicy.DESTROY,
            auto_delete_objects=True,
        )

        # No ordering against the access-log bucket: its policy names these buckets (a cycle). Late access logs are
        # kept out by the auto-delete handler, which denies writes before emptying a bucket.

        # A fixed name gives the trail ARN without referencing the trail, which depends on this policy (a cycle).
        self.trail_arn = stack.format_arn(service="cloudtrail", resource="trail", resource_name=trail_name)
        trail_source = {"aws:SourceArn": self.trail_arn}
        cloudtrail_principal = iam.ServicePrincipal("cloudtrail.amazonaws.com")
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AWSCloudTrailAclCheck",
                principals=[cloudtrail_principal],
                actions=["s3:GetBucketAcl"],
                resources=[self.bucket.bucket_arn],
                conditions={"StringEquals": trail_source},
            )
        )
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AWSCloudTrailWrite",
                principals=[cloudtrail_principal],
                actions=["s3:PutObject"],
                resources=[self.bucket.arn_for_objects(f"{LOG_PREFIX}{stack.account}/*")],
                conditions={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **trail_source}},
            )
        )

        own_buckets = [self.bucket, self.access_log_bucket, self.results_bucket]
        if watched_buckets:
            arn_selector = cloudtrail.CfnTrail.AdvancedFieldSelectorProperty(
                field="resources.ARN",
                starts_with=[f"arn:{stack.partition}:s3:::{name}/" for name in watched_buckets],
            )
        else:
            arn_selector = cloudtrail.CfnTrail.AdvancedFieldSelectorProperty(
                field="resources.ARN",
                not_starts_with=[bucket.arn_for_objects("") for bucket in own_buckets],
            )

        # L1 on purpose: the L2 Trail always renders `EventSelectors` (CloudFormation rejects both kinds together),
        # refuses management events off without basic selectors, and adds bucket-policy statements without
        # aws:SourceArn. Here there is no EventSelectors key at all and no management-event selector.
        self.trail = cloudtrail.CfnTrail(
            self,
            "Trail",
            trail_name=trail_name,
            s3_bucket_name=self.bucket.bucket_name,
            is_logging=True,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            kms_key_id=encryption_key.key_arn if encryption_key else None,
            advanced_event_selectors=[
                cloudtrail.CfnTrail.AdvancedEventSelectorProperty(
                    name="S3 object data events, except this stack's buckets",
                    field_selectors=[
                        cloudtrail.CfnTrail.AdvancedFieldSelectorProperty(field="eventCategory", equal_to=["Data"]),
                        cloudtrail.CfnTrail.AdvancedFieldSelectorProperty(
                            field="resources.type", equal_to=["AWS::S3::Object"]
                        ),
                        arn_selector,
                    ],
                )
            ],
        )
        # The trail depends on the bucket, its policy and its auto-delete custom resource, so on stack deletion the
        # trail stops writing before the bucket is emptied (aws/aws-cdk#16332).
        self.trail.node.add_dependency(self.bucket)


def _expire_everything(after: Duration) -> s3.LifecycleRule:
    return s3.LifecycleRule(
        id="expire-logs",
        expiration=after,
        abort_incomplete_multipart_upload_after=Duration.days(1),
    )
