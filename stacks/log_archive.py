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

from detector.sources import cloudtrail as trail_logs
from stacks.nag import acknowledge_wildcard, logical_id
from stacks.settings import DeploySettings

ATHENA_PREFIX = "athena/"
REPORT_PREFIX = "reports/"
ATHENA_RESULTS_EXPIRY = Duration.days(7)
"""Athena result files are only read by the run that wrote them."""
RESULTS_NONCURRENT_EXPIRY = Duration.days(1)
"""A report or marker replaced by a rerun: the old version is not worth keeping longer."""

LOCKED_DOWN: dict[str, Any] = {
    "enforce_ssl": True,
    "minimum_tls_version": 1.2,
    "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
    "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    "versioned": True,
}
"""Every bucket of the stack: TLS 1.2+ only, never public, ACLs off, versioned (a deleted or overwritten object
stays recoverable until its noncurrent version expires)."""


class LogArchive(Construct):
    """The trail's log bucket, the access-log bucket, the Athena results bucket and the trail.

    The trail records S3 object-level data events for every bucket (or only the watched ones) except the three
    buckets here, so it never records its own deliveries, the access logs or the queries' I/O.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        settings: DeploySettings,
        trail_name: str,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, id_)
        retention = Duration.days(settings.log_retention_days)
        self._retention = retention
        self._keep_logs = settings.keep_logs_on_destroy
        self._encryption_key = encryption_key
        self.access_log_bucket = self._access_log_bucket()
        self._bucket: s3.Bucket | None = None
        """None when the logs are in a bucket the stack does not own (an organization trail's)."""
        if _owns_log_bucket(settings):
            self._bucket = self._encrypted_bucket(
                "Bucket",
                "log-bucket/",
                _expire_everything(retention),
                self._log_removal,
                **_object_lock(settings.object_lock_days),
            )
        self.results_bucket = self._encrypted_bucket(
            "ResultsBucket", "results-bucket/", _results_lifecycle(retention), RemovalPolicy.DESTROY
        )
        # No ordering against the access-log bucket: its policy names these buckets (a cycle). Late access logs are
        # kept out by the auto-delete handler, which denies writes before emptying a bucket.
        self.trail_arn = Stack.of(self).format_arn(service="cloudtrail", resource="trail", resource_name=trail_name)
        """From the fixed name, not the trail: the trail depends on the bucket policy that names it (a cycle)."""
        self.trail: cloudtrail.CfnTrail | None = None
        """None without this account's trail: another source reads the requests, or the organization trail records
        them; no trail here, no data-event charges here."""
        if trail_logs.NAME in settings.sources and not settings.organization:
            self._allow_trail_delivery()
            self.trail = self._trail(trail_name, settings.watched_bucket_names)

    @property
    def bucket(self) -> s3.Bucket:
        """The trail's log bucket; LookupError when the stack has none (an organization trail's bucket holds them)."""
        if self._bucket is None:
            raise LookupError("this stack has no log bucket: its logs are in the organization trail's bucket")
        return self._bucket

    @property
    def has_log_bucket(self) -> bool:
        return self._bucket is not None

    @property
    def own_buckets(self) -> tuple[s3.Bucket, ...]:
        """Every bucket here; a trail must never record their objects."""
        return tuple(b for b in (self._bucket, self.access_log_bucket, self.results_bucket) if b is not None)

    @property
    def _log_removal(self) -> RemovalPolicy:
        return RemovalPolicy.RETAIN if self._keep_logs else RemovalPolicy.DESTROY

    def _access_log_bucket(self) -> s3.Bucket:
        """Server access logs can only be delivered to an SSE-S3 bucket without Object Lock. cdk-nag S1 accepts a
        bucket that is the destination of access logs without access logs of its own."""
        return s3.Bucket(
            self,
            "AccessLogBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            **LOCKED_DOWN,
            lifecycle_rules=_expire_everything(self._retention),
            removal_policy=self._log_removal,
            auto_delete_objects=not self._keep_logs,
        )

    def _encrypted_bucket(
        self,
        id_: str,
        access_log_prefix: str,
        lifecycle_rules: list[s3.LifecycleRule],
        removal: RemovalPolicy,
        **options: Any,
    ) -> s3.Bucket:
        key = self._encryption_key
        return s3.Bucket(
            self,
            id_,
            encryption=s3.BucketEncryption.KMS if key else s3.BucketEncryption.S3_MANAGED,
            encryption_key=key,
            bucket_key_enabled=key is not None,
            **LOCKED_DOWN,
            server_access_logs_bucket=self.access_log_bucket,
            server_access_logs_prefix=access_log_prefix,
            lifecycle_rules=lifecycle_rules,
            removal_policy=removal,
            auto_delete_objects=removal == RemovalPolicy.DESTROY,
            **options,
        )

    def _allow_trail_delivery(self) -> None:
        """CloudTrail's two statements, each conditioned on this trail (aws:SourceArn)."""
        trail_source = {"aws:SourceArn": self.trail_arn}
        principal = iam.ServicePrincipal("cloudtrail.amazonaws.com")
        account = Stack.of(self).account
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AWSCloudTrailAclCheck",
                principals=[principal],
                actions=["s3:GetBucketAcl"],
                resources=[self.bucket.bucket_arn],
                conditions={"StringEquals": trail_source},
            )
        )
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AWSCloudTrailWrite",
                principals=[principal],
                actions=["s3:PutObject"],
                resources=[self.bucket.arn_for_objects(f"{trail_logs.LOG_PREFIX}{account}/*")],
                conditions={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **trail_source}},
            )
        )

    def _trail(self, trail_name: str, watched_buckets: Sequence[str]) -> cloudtrail.CfnTrail:
        """L1 on purpose: the L2 Trail always renders `EventSelectors` (CloudFormation rejects both kinds together),
        refuses management events off without basic selectors, and adds bucket-policy statements without
        aws:SourceArn. Here there is no EventSelectors key at all and no management-event selector."""
        trail = cloudtrail.CfnTrail(
            self,
            "Trail",
            trail_name=trail_name,
            s3_bucket_name=self.bucket.bucket_name,
            is_logging=True,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            kms_key_id=self._encryption_key.key_arn if self._encryption_key else None,
            advanced_event_selectors=[s3_data_events(watched_buckets, self.own_buckets, Stack.of(self))],
        )
        # The trail depends on the bucket, its policy and its auto-delete custom resource, so on stack deletion the
        # trail stops writing before the bucket is emptied (aws/aws-cdk#16332).
        trail.node.add_dependency(self.bucket)
        return trail

    def grant_read_logs(self, role: iam.Role) -> None:
        """Read this account's trail logs, as Athena does with the caller's credentials."""
        prefix = trail_logs.account_prefix(Stack.of(self).account)
        grant_read_under(role, self.bucket, prefix, list_sid="ListLogBucket", read_sid="ReadTrailLogs")
        if self._encryption_key is not None:
            self._encryption_key.grant(role, "kms:Decrypt")
        acknowledge_wildcard(
            role,
            f"Resource::<{logical_id(self.bucket)}.Arn>/{prefix}*",
            "Athena reads the log objects under the trail's prefix with the caller's credentials.",
        )

    def grant_write_reports(self, role: iam.Role) -> None:
        """Write reports (in parts, so also abort a failed upload) and the windows' email markers; delete a marker
        when its publish failed."""
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReportsAndMarkers",
                actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                resources=[self.results_bucket.arn_for_objects(f"{REPORT_PREFIX}*")],
            )
        )
        if self._encryption_key is not None:
            self._encryption_key.grant(role, "kms:Decrypt", "kms:GenerateDataKey")
        acknowledge_wildcard(
            role,
            f"Resource::<{logical_id(self.results_bucket)}.Arn>/{REPORT_PREFIX}*",
            "The function writes reports and idempotency markers under this prefix.",
        )


def _owns_log_bucket(settings: DeploySettings) -> bool:
    """One account's trail writes here; so does an organization trail the stack creates without a bucket given."""
    return not settings.organization or (
        settings.create_organization_trail and settings.organization_trail_bucket is None
    )


def s3_data_events(
    watched_buckets: Sequence[str], own_buckets: Sequence[s3.IBucket], stack: Stack
) -> cloudtrail.CfnTrail.AdvancedEventSelectorProperty:
    """S3 object data events of only the watched buckets' objects, or of every object but the stack's own buckets'."""
    if watched_buckets:
        arns = cloudtrail.CfnTrail.AdvancedFieldSelectorProperty(
            field="resources.ARN", starts_with=[f"arn:{stack.partition}:s3:::{name}/" for name in watched_buckets]
        )
    else:
        arns = cloudtrail.CfnTrail.AdvancedFieldSelectorProperty(
            field="resources.ARN", not_starts_with=[bucket.arn_for_objects("") for bucket in own_buckets]
        )
    return cloudtrail.CfnTrail.AdvancedEventSelectorProperty(
        name="S3 object data events, except this stack's buckets",
        field_selectors=[
            cloudtrail.CfnTrail.AdvancedFieldSelectorProperty(field="eventCategory", equal_to=["Data"]),
            cloudtrail.CfnTrail.AdvancedFieldSelectorProperty(field="resources.type", equal_to=["AWS::S3::Object"]),
            arns,
        ],
    )


def _expire_everything(after: Duration) -> list[s3.LifecycleRule]:
    """Logs expire at the retention, old versions as long after; expired delete markers are removed."""
    return [expire_logs(after), _remove_delete_markers()]


def expire_logs(after: Duration) -> s3.LifecycleRule:
    """Logs expire at the retention; a version replaced, deleted or expired is kept as long again, then removed."""
    return s3.LifecycleRule(
        id="expire-logs",
        expiration=after,
        noncurrent_version_expiration=after,
        abort_incomplete_multipart_upload_after=Duration.days(1),
    )


def grant_read_under(role: iam.Role, bucket: s3.IBucket, prefix: str, *, list_sid: str, read_sid: str) -> None:
    """List the bucket and read the objects under `prefix`, as Athena does with the caller's credentials."""
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid=list_sid, actions=["s3:ListBucket", "s3:GetBucketLocation"], resources=[bucket.bucket_arn]
        )
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(sid=read_sid, actions=["s3:GetObject"], resources=[bucket.arn_for_objects(f"{prefix}*")])
    )


def _remove_delete_markers() -> s3.LifecycleRule:
    """A delete marker whose versions have all expired hides nothing any more."""
    return s3.LifecycleRule(id="remove-expired-delete-markers", expired_object_delete_marker=True)


def _object_lock(days: int) -> dict[str, Any]:
    """Governance mode: no version can be deleted or overwritten for `days` days, except by a principal allowed
    s3:BypassGovernanceRetention; lifecycle expiry then only adds a delete marker until the lock ends."""
    if not days:
        return {}
    return {
        "object_lock_enabled": True,
        "object_lock_default_retention": s3.ObjectLockRetention.governance(Duration.days(days)),
    }


def _results_lifecycle(retention: Duration) -> list[s3.LifecycleRule]:
    return [
        s3.LifecycleRule(
            id="expire-athena-results",
            prefix=ATHENA_PREFIX,
            expiration=ATHENA_RESULTS_EXPIRY,
            noncurrent_version_expiration=RESULTS_NONCURRENT_EXPIRY,
            abort_incomplete_multipart_upload_after=Duration.days(1),
        ),
        s3.LifecycleRule(
            id="expire-reports",
            prefix=REPORT_PREFIX,
            expiration=retention,
            noncurrent_version_expiration=RESULTS_NONCURRENT_EXPIRY,
            abort_incomplete_multipart_upload_after=Duration.days(1),
        ),
        _remove_delete_markers(),
    ]
