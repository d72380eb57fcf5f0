"""The organization's side of the central stack: the organization trail when asked, reading its logs (in a bucket the
stack may not own), the central bucket the members' access logs replicate into, and the function's grants for them.

Organization trails write `[<prefix>/]AWSLogs/<o-id>/<account>/CloudTrail/<region>/YYYY/MM/DD/`; only the management
account (or a CloudTrail delegated administrator, through the API) can create one, and the management account owns
it, so the bucket policy's `aws:SourceArn` names the management account's trail ARN:
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/creating-trail-organization.html and
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Token, Validations
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from detector.sources import access_logs
from detector.sources import cloudtrail as trail_logs
from detector.sources.table import TableSpec
from stacks.log_archive import LOCKED_DOWN, LogArchive, expire_logs, grant_read_under, s3_data_events
from stacks.nag import acknowledge_wildcard, logical_id
from stacks.settings import DeploySettings

MEMBER_ROLE_PATH = "/legacy-s3-client-detector/"
"""Every role the member StackSet makes lives under this IAM path, so a policy here can name them in any account."""
REPLICATION_ROLE_PATH = f"{MEMBER_ROLE_PATH}replication/"


class OrganizationTrail(Construct):
    """The organization trail: S3 data events of the watched buckets (or of every bucket but the stack's own), from
    every account, into `bucket`. When the stack owns the bucket it adds CloudTrail's statements to its policy; a
    bucket of another account needs them added by its owner (README, Many accounts)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        trail_name: str,
        bucket: s3.IBucket,
        organization_id: str,
        key_prefix: str,
        watched_buckets: Sequence[str],
        excluded_buckets: Sequence[s3.IBucket],
        kms_key_arn: str | None,
    ) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        self.trail_arn = stack.format_arn(service="cloudtrail", resource="trail", resource_name=trail_name)
        """From the fixed name and this (the management) account, as the bucket policy must name it."""
        self._bucket = bucket
        self._key_prefix = key_prefix
        if isinstance(bucket, s3.Bucket):
            self._allow_delivery(organization_id)
        self.trail = cloudtrail.CfnTrail(
            self,
            "Trail",
            trail_name=trail_name,
            s3_bucket_name=bucket.bucket_name,
            s3_key_prefix=key_prefix.rstrip("/") or None,
            is_logging=True,
            is_multi_region_trail=True,
            is_organization_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            kms_key_id=kms_key_arn,
            advanced_event_selectors=[s3_data_events(watched_buckets, excluded_buckets, stack)],
        )
        self.trail.node.add_dependency(bucket)

    def _allow_delivery(self, organization_id: str) -> None:
        """CloudTrail's three statements for an organization trail, each conditioned on this trail."""
        trail_source = {"aws:SourceArn": self.trail_arn}
        principal = iam.ServicePrincipal("cloudtrail.amazonaws.com")
        account = Stack.of(self).account
        writes = {
            "AWSCloudTrailWrite": f"{self._key_prefix}{trail_logs.LOG_PREFIX}{account}/*",
            "AWSCloudTrailOrganizationWrite": f"{trail_logs.organization_prefix(organization_id, self._key_prefix)}*",
        }
        self._bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AWSCloudTrailAclCheck",
                principals=[principal],
                actions=["s3:GetBucketAcl"],
                resources=[self._bucket.bucket_arn],
                conditions={"StringEquals": trail_source},
            )
        )
        for sid, objects in writes.items():
            self._bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=sid,
                    principals=[principal],
                    actions=["s3:PutObject"],
                    resources=[self._bucket.arn_for_objects(objects)],
                    conditions={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **trail_source}},
                )
            )


class OrganizationTrailLogs(Construct):
    """Reading every account's logs of an organization trail, as Athena does with the function's credentials.

    A bucket (and key) of another account also needs its owner to allow the function's role; the stack cannot edit
    them, so the README gives the statements to add."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        bucket: s3.IBucket,
        organization_id: str,
        key_prefix: str,
        key_arn: str | None,
    ) -> None:
        super().__init__(scope, id_)
        self.bucket = bucket
        self.prefix = trail_logs.organization_prefix(organization_id, key_prefix)
        """`[<prefix>/]AWSLogs/<o-id>/`: each account's folder is right under it."""
        self.key_arn = key_arn
        """The key the logs are encrypted with, if any."""

    def grant_read_logs(self, role: iam.Role) -> None:
        grant_read_under(
            role, self.bucket, self.prefix, list_sid="ListOrganizationTrailBucket", read_sid="ReadOrganizationTrailLogs"
        )
        if self.key_arn is not None:
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="DecryptOrganizationTrailLogs", actions=["kms:Decrypt"], resources=[self.key_arn]
                )
            )
        acknowledge_wildcard(
            role,
            f"Resource::{_nag_arn(self.bucket)}/{self.prefix}*",
            "Athena reads every account's log objects under the organization trail's prefix.",
        )


class CentralAccessLogs(Construct):
    """The bucket every member account's access logs replicate into, under the keys S3 delivered them with, so one
    table with one location reads them all. Only the member StackSet's replication roles of this organization may
    replicate into it (`aws:PrincipalOrgID` and the roles' IAM path); objects expire at the retention."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        organization_id: str,
        retention: Duration,
        keep_logs: bool,
        server_access_logs: s3.IBucket,
    ) -> None:
        super().__init__(scope, id_)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            **LOCKED_DOWN,
            server_access_logs_bucket=server_access_logs,
            server_access_logs_prefix="central-access-logs/",
            lifecycle_rules=[expire_logs(retention)],
            removal_policy=RemovalPolicy.RETAIN if keep_logs else RemovalPolicy.DESTROY,
            auto_delete_objects=not keep_logs,
        )
        self._allow_replication(organization_id)

    def _allow_replication(self, organization_id: str) -> None:
        """AWS's cross-account replication statements, narrowed: no ReplicateDelete (deletes are not replicated) and
        no PutBucketVersioning (a member must not suspend versioning here)."""
        members = {
            "StringEquals": {"aws:PrincipalOrgID": organization_id},
            "ArnLike": {"aws:PrincipalArn": f"arn:{Stack.of(self).partition}:iam::*:role{REPLICATION_ROLE_PATH}*"},
        }
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="MembersReplicateAccessLogs",
                principals=[iam.AnyPrincipal()],
                actions=["s3:ReplicateObject"],
                resources=[self.bucket.arn_for_objects(f"{access_logs.LOG_PREFIX}*")],
                conditions=members,
            )
        )
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="MembersCheckVersioning",
                principals=[iam.AnyPrincipal()],
                actions=["s3:GetBucketVersioning", "s3:ListBucket"],
                resources=[self.bucket.bucket_arn],
                conditions=members,
            )
        )

    def grant_read_logs(self, role: iam.Role) -> None:
        grant_read_under(
            role,
            self.bucket,
            access_logs.LOG_PREFIX,
            list_sid="ListCentralAccessLogs",
            read_sid="ReadCentralAccessLogs",
        )
        acknowledge_wildcard(
            role,
            f"Resource::<{logical_id(self.bucket)}.Arn>/{access_logs.LOG_PREFIX}*",
            "Athena reads the replicated access-log objects under the logging prefix.",
        )


def grant_list_accounts(role: iam.Role) -> None:
    """Names for the email. A policy of its own, so its cdk-nag acknowledgement says why this `*` is needed."""
    policy = iam.Policy(
        role,
        "AccountNames",
        statements=[iam.PolicyStatement(actions=["organizations:ListAccounts"], resources=["*"])],
        roles=[role],
    )
    Validations.of(policy).acknowledge(
        Acknowledgment(
            id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
            reason="organizations:ListAccounts has no resource-level scope; it only reads the accounts' names.",
        )
    )


def _nag_arn(bucket: s3.IBucket) -> str:
    """A bucket's ARN as cdk-nag writes it in a finding: a literal for an imported bucket, `<Logical.Arn>` for ours."""
    if isinstance(bucket, s3.Bucket):
        return f"<{logical_id(bucket)}.Arn>"
    arn = Stack.of(bucket).resolve(bucket.bucket_arn)
    if isinstance(arn, str) and not Token.is_unresolved(arn):
        return arn
    return "arn:<AWS::Partition>:s3:::" + bucket.bucket_name


class Organization(Construct):
    """The organization's parts of the central stack, from the settings: where the trail's logs are (and the trail,
    when asked), the central access-log bucket, and the tables over every account's logs."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        settings: DeploySettings,
        archive: LogArchive,
        encryption_key: kms.IKey | None,
        regions: Sequence[str],
    ) -> None:
        super().__init__(scope, id_)
        self._settings = settings
        self._regions = tuple(regions)
        organization_id = settings.organization_id or ""
        self.trail: OrganizationTrail | None = None
        self.trail_logs: OrganizationTrailLogs | None = None
        self.central_access_logs: CentralAccessLogs | None = None
        if trail_logs.NAME in settings.sources:
            self.trail_logs = self._trail_logs(archive, encryption_key)
        if access_logs.NAME in settings.sources:
            self.central_access_logs = CentralAccessLogs(
                self,
                "CentralAccessLogs",
                organization_id=organization_id,
                retention=Duration.days(settings.log_retention_days),
                keep_logs=settings.keep_logs_on_destroy,
                server_access_logs=archive.access_log_bucket,
            )
        if settings.create_organization_trail and self.trail_logs is not None:
            excluded = [*archive.own_buckets, self.trail_logs.bucket]
            if self.central_access_logs is not None:
                excluded.append(self.central_access_logs.bucket)
            self.trail = OrganizationTrail(
                self,
                "Trail",
                trail_name=f"{Stack.of(self).stack_name}-organization-s3-data-events",
                bucket=self.trail_logs.bucket,
                organization_id=organization_id,
                key_prefix=settings.organization_trail_prefix,
                watched_buckets=settings.watched_bucket_names,
                excluded_buckets=list(dict.fromkeys(excluded)),
                kms_key_arn=self.trail_logs.key_arn,
            )

    def _trail_logs(self, archive: LogArchive, encryption_key: kms.IKey | None) -> OrganizationTrailLogs:
        """The given bucket, or the stack's own log bucket when the stack creates the trail without one."""
        settings = self._settings
        if settings.organization_trail_bucket is None:
            bucket: s3.IBucket = archive.bucket
            key_arn = encryption_key.key_arn if encryption_key else None
        else:
            bucket = s3.Bucket.from_bucket_name(self, "TrailBucket", settings.organization_trail_bucket)
            key_arn = settings.organization_trail_kms_key_arn
        return OrganizationTrailLogs(
            self,
            "TrailLogs",
            bucket=bucket,
            organization_id=settings.organization_id or "",
            key_prefix=settings.organization_trail_prefix,
            key_arn=key_arn,
        )

    def tables(self, cloudtrail_table: str, access_log_table: str) -> dict[str, TableSpec]:
        """Each deployed source's table over every account, by name."""
        settings = self._settings
        home_account = Stack.of(self).account
        tables = {}
        if self.trail_logs is not None:
            tables[cloudtrail_table] = trail_logs.organization_table(
                self.trail_logs.bucket.bucket_name,
                organization_id=settings.organization_id or "",
                key_prefix=settings.organization_trail_prefix,
                accounts=settings.accounts,
                regions=self._regions,
                home_account=home_account,
            )
        if self.central_access_logs is not None:
            by_region = settings.access_log_buckets(Stack.of(self).region)
            tables[access_log_table] = access_logs.organization_table(
                self.central_access_logs.bucket.bucket_name,
                accounts=settings.accounts,
                regions=list(by_region),
                buckets=sorted(name for names in by_region.values() for name in names),
                home_account=home_account,
            )
        return tables

    def grant_read_logs(self, role: iam.Role) -> None:
        """Every account's logs of each deployed source, and the accounts' names."""
        if self.trail_logs is not None:
            self.trail_logs.grant_read_logs(role)
        if self.central_access_logs is not None:
            self.central_access_logs.grant_read_logs(role)
        grant_list_accounts(role)


def account_folders(tables: Mapping[str, TableSpec]) -> str:
    """`source=s3://…/` for each table whose accounts a run finds (`accounts=auto`), as the function reads them."""
    return ",".join(
        f"{spec.source}={spec.location}"
        for spec in tables.values()
        if spec.query_filter is not None and spec.query_filter.accounts_at_run_time
    )
