"""The one stack: composes the units, grants each what it touches, and declares the outputs."""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import Acknowledgment, CfnOutput, Duration, Stack, Token, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from detector.queries import DETECTION
from stacks.alerting import Alerting
from stacks.catalog import Catalog
from stacks.detector_function import DetectorFunction, retention_days
from stacks.log_archive import ATHENA_PREFIX, LOG_PREFIX, REPORT_PREFIX, LogArchive
from stacks.settings import Settings

TABLE_NAME = "s3_data_events"


class DetectorStack(Stack):
    """CloudTrail S3 data events -> Glue table -> scheduled Athena query -> SNS email."""

    def __init__(self, scope: Construct, id_: str, *, settings: Settings, **kwargs: Any) -> None:
        super().__init__(scope, id_, **kwargs)
        key = kms.Key.from_key_arn(self, "GivenKey", settings.kms_key_arn) if settings.kms_key_arn else None
        names = _snake(self.stack_name)

        archive = LogArchive(
            self,
            "LogArchive",
            trail_name=f"{self.stack_name}-s3-data-events",
            retention=Duration.days(settings.log_retention_days),
            keep_logs=settings.keep_logs_on_destroy,
            watched_buckets=settings.watched_buckets,
            encryption_key=key,
        )

        regions = list(settings.regions)
        if not Token.is_unresolved(self.region) and self.region not in regions:
            regions.append(self.region)  # the stack's own region is always queryable
        catalog = Catalog(
            self,
            "Catalog",
            database_name=names,
            table_name=TABLE_NAME,
            workgroup_name=self.stack_name,
            log_bucket=archive.bucket,
            results_bucket=archive.results_bucket,
            results_prefix=ATHENA_PREFIX,
            accounts=[self.account],
            regions=regions,
            bytes_scanned_cutoff=settings.athena_bytes_scanned_cutoff,
            encryption_key=key,
        )

        alerting = Alerting(self, "Alerting", emails=settings.alert_emails, encryption_key=key)

        detector = DetectorFunction(
            self,
            "Detector",
            schedule=settings.schedule,
            log_retention=retention_days(settings.log_retention_days),
            environment={
                "WORKGROUP": catalog.workgroup.ref,
                "NAMED_QUERY_ID": catalog.named_queries[DETECTION].attr_named_query_id,
                "DATABASE": catalog.database_name,
                "TOPIC_ARN": alerting.topic.topic_arn,
                "REPORT_BUCKET": archive.results_bucket.bucket_name,
                "REPORT_PREFIX": REPORT_PREFIX,
                "WINDOW_DAYS": str(settings.window_days),
                "NOTIFY_WHEN_CLEAN": "true" if settings.notify_when_clean else "false",
            },
        )
        alerting.watch(detector.function, schedule_interval=settings.schedule_interval)
        self._grant(detector.role, archive=archive, catalog=catalog, alerting=alerting, key=key)

        for name, value, description in (
            ("TopicArn", alerting.topic.topic_arn, "Subscribe here for findings and alarms"),
            ("LogBucketName", archive.bucket.bucket_name, "CloudTrail S3 data events land here"),
            ("ReportBucketName", archive.results_bucket.bucket_name, "Athena results and reports"),
            ("WorkGroupName", catalog.workgroup.ref, "Athena workgroup of the saved queries"),
            ("FunctionName", detector.function.function_name, "Invoke to run the detection now"),
            ("DatabaseName", catalog.database_name, "Glue database"),
            ("TableName", catalog.table_name, "Glue table over the trail's logs"),
            ("TrailArn", archive.trail.attr_arn, "The data-event trail"),
        ):
            CfnOutput(self, name, value=value, description=description)

    def _grant(
        self,
        role: iam.IRole,
        *,
        archive: LogArchive,
        catalog: Catalog,
        alerting: Alerting,
        key: kms.IKey | None,
    ) -> None:
        """Exactly what one run touches: the workgroup, the table, the logs it scans, its results, the topic."""
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="RunSavedQueries",
                actions=[
                    "athena:GetNamedQuery",
                    "athena:StartQueryExecution",
                    "athena:GetQueryExecution",
                    "athena:GetQueryResults",
                    "athena:StopQueryExecution",
                ],
                resources=[catalog.workgroup_arn],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadTableDefinition",
                actions=["glue:GetDatabase", "glue:GetTable", "glue:GetPartition", "glue:GetPartitions"],
                resources=[catalog.catalog_arn, catalog.database_arn, catalog.table_arn],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ListBuckets",
                actions=["s3:ListBucket", "s3:GetBucketLocation"],
                resources=[archive.bucket.bucket_arn, archive.results_bucket.bucket_arn],
            )
        )
        log_objects = archive.bucket.arn_for_objects(f"{LOG_PREFIX}{self.account}/CloudTrail/*")
        role.add_to_principal_policy(
            iam.PolicyStatement(sid="ReadTrailLogs", actions=["s3:GetObject"], resources=[log_objects])
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="QueryResults",
                actions=["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                resources=[archive.results_bucket.arn_for_objects(f"{ATHENA_PREFIX}*")],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReportsAndMarkers",
                # DeleteObject: a run whose publish failed releases its window's marker so a retry can publish.
                actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                resources=[archive.results_bucket.arn_for_objects(f"{REPORT_PREFIX}*")],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="TraceSources",
                actions=["ec2:DescribeNetworkInterfaces", "ec2:DescribeInstances"],
                resources=["*"],
            )
        )
        alerting.topic.grant_publish(role)
        if key is not None:
            key.grant(role, "kms:Decrypt", "kms:GenerateDataKey")

        policy = role.node.try_find_child("DefaultPolicy")
        assert policy is not None
        Validations.of(policy).acknowledge(
            *[
                Acknowledgment(id=f"AwsSolutions::AwsSolutions-IAM5[{finding}]", reason=reason)
                for finding, reason in (
                    (
                        f"Resource::<{_logical(archive.bucket)}.Arn>/{LOG_PREFIX}{self.account}/CloudTrail/*",
                        "Athena reads the log objects under the trail's prefix with the caller's credentials.",
                    ),
                    (
                        f"Resource::<{_logical(archive.results_bucket)}.Arn>/{ATHENA_PREFIX}*",
                        "Athena writes and the function reads query results under this prefix.",
                    ),
                    (
                        f"Resource::<{_logical(archive.results_bucket)}.Arn>/{REPORT_PREFIX}*",
                        "The function writes reports and idempotency markers under this prefix.",
                    ),
                    (
                        "Resource::*",
                        "ec2:DescribeNetworkInterfaces and ec2:DescribeInstances have no resource-level scope; "
                        "read-only, they trace each finding to the instance or interface that sent it.",
                    ),
                    (
                        "Action::kms:GenerateDataKey*",
                        "Added by topic.grant_publish, on the topic's key only: publishing to an encrypted topic.",
                    ),
                )
            ]
        )


def _snake(name: str) -> str:
    """`LegacyS3ClientDetector` -> `legacy_s3_client_detector`: Glue and Athena names are lower case."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|[^A-Za-z0-9]+", "_", name)
    return spaced.strip("_").lower()


def _logical(construct: Construct) -> str:
    child = construct.node.default_child
    assert child is not None
    return Stack.of(construct).get_logical_id(child)  # type: ignore[arg-type]
