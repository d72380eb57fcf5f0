"""The one stack: composes the units, gives the function each unit's grant, and declares the outputs."""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import CfnOutput, Duration, Stack, Token
from aws_cdk import aws_kms as kms
from constructs import Construct

from detector.core import accepted
from detector.core.bucket_view import BUCKETS_QUERY
from detector.core.config import FunctionConfig
from detector.core.daily import DAILY_QUERY
from detector.core.queries import DETECTION
from detector.sources import cloudtrail
from stacks.alerting import Alerting
from stacks.catalog import Catalog
from stacks.detector_function import DetectorFunction, retention_days
from stacks.log_archive import ATHENA_PREFIX, REPORT_PREFIX, LogArchive
from stacks.settings import DeploySettings

TABLE_NAME = "s3_data_events"


class DetectorStack(Stack):
    """CloudTrail S3 data events -> Glue table -> scheduled Athena query -> SNS email."""

    def __init__(self, scope: Construct, id_: str, *, settings: DeploySettings, **kwargs: Any) -> None:
        super().__init__(scope, id_, **kwargs)
        key = kms.Key.from_key_arn(self, "GivenKey", settings.kms_key_arn) if settings.kms_key_arn else None
        archive = LogArchive(
            self,
            "LogArchive",
            trail_name=f"{self.stack_name}-s3-data-events",
            retention=Duration.days(settings.log_retention_days),
            keep_logs=settings.keep_logs_on_destroy,
            watched_buckets=settings.watched_buckets,
            encryption_key=key,
        )
        catalog = Catalog(
            self,
            "Catalog",
            database_name=_snake(self.stack_name),
            table_name=TABLE_NAME,
            table=cloudtrail.table(
                archive.bucket.bucket_name, accounts=[self.account], regions=self._regions(settings)
            ),
            workgroup_name=self.stack_name,
            results_bucket=archive.results_bucket,
            results_prefix=ATHENA_PREFIX,
            bytes_scanned_cutoff=settings.athena_bytes_scanned_cutoff,
            encryption_key=key,
        )
        alerting = Alerting(self, "Alerting", emails=settings.alert_emails, encryption_key=key)
        detector = DetectorFunction(
            self,
            "Detector",
            schedule=settings.schedule,
            log_retention=retention_days(settings.log_retention_days),
            config=self._function_config(settings, catalog, archive, alerting),
        )
        alerting.watch(detector.function, schedule_interval=settings.schedule_interval)
        catalog.grant_run_queries(detector.role)
        archive.grant_read_logs(detector.role)
        archive.grant_write_reports(detector.role)
        alerting.grant_publish(detector.role)
        detector.allow_tracing()
        self._outputs(archive, catalog, alerting, detector)

    @staticmethod
    def _function_config(
        settings: DeploySettings, catalog: Catalog, archive: LogArchive, alerting: Alerting
    ) -> FunctionConfig:
        """What the function reads at run time: the saved queries, where reports go, the settings it applies."""
        return FunctionConfig(
            workgroup=catalog.workgroup.ref,
            named_query_id=catalog.named_queries[DETECTION].attr_named_query_id,
            topic_arn=alerting.topic.topic_arn,
            report_bucket=archive.results_bucket.bucket_name,
            report_prefix=REPORT_PREFIX,
            window_days=settings.window_days,
            notify_when_clean=settings.notify_when_clean,
            buckets_query_id=catalog.named_queries[BUCKETS_QUERY].attr_named_query_id,
            daily_query_id=catalog.named_queries[DAILY_QUERY].attr_named_query_id,
            accepted_findings=accepted.encode(settings.accepted_findings),
        )

    def _regions(self, settings: DeploySettings) -> list[str]:
        """The settings' regions, and the stack's own region, which is always queryable."""
        regions = list(settings.regions)
        if not Token.is_unresolved(self.region) and self.region not in regions:
            regions.append(self.region)
        return regions

    def _outputs(self, archive: LogArchive, catalog: Catalog, alerting: Alerting, detector: DetectorFunction) -> None:
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


def _snake(name: str) -> str:
    """`LegacyS3ClientDetector` -> `legacy_s3_client_detector`: Glue and Athena names are lower case."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|[^A-Za-z0-9]+", "_", name)
    return spaced.strip("_").lower()
