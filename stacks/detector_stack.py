"""The one stack: composes the units, gives the function each unit's grant, and declares the outputs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aws_cdk import CfnOutput, Stack, Token
from aws_cdk import aws_kms as kms
from constructs import Construct

from detector.core.bucket_view import BUCKETS_QUERY
from detector.core.config import FunctionConfig
from detector.core.daily import DAILY_QUERY
from detector.core.queries import DETECTION
from detector.sources import access_logs, cloudtrail
from detector.sources.table import TableSpec
from stacks.access_logs import AccessLogDestination, destination_name_prefix, grant_read_access_logs
from stacks.alerting import Alerting
from stacks.catalog import Catalog
from stacks.dashboard import Dashboard, console_url, dashboard_name
from stacks.detector_function import DetectorFunction
from stacks.log_archive import ATHENA_PREFIX, REPORT_PREFIX, LogArchive
from stacks.member_stackset import MemberStackSet, member_parts, trace_role_arn
from stacks.organization import Organization, account_folders
from stacks.settings import DeploySettings

TABLE_NAME = "s3_data_events"
ACCESS_LOG_TABLE_NAME = "s3_access_logs"


class DetectorStack(Stack):
    """CloudTrail data events and/or S3 server access logs -> Glue tables -> scheduled Athena queries -> SNS email."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        settings: DeploySettings,
        member_template: str | None = None,
        **kwargs: Any,
    ) -> None:
        """`member_template`: the member StackSet's template (organization scope with member OUs)."""
        super().__init__(scope, id_, **kwargs)
        self.access_log_prefix = destination_name_prefix(self.stack_name)
        key = kms.Key.from_key_arn(self, "GivenKey", settings.kms_key_arn) if settings.kms_key_arn else None
        archive = self._archive(settings, key)
        self._home_access_logs(settings)
        self.organization = self._organization(settings, archive, key)
        tables = self._tables(settings, archive)
        catalog = Catalog(
            self,
            "Catalog",
            settings=settings,
            database_name=_snake(self.stack_name),
            tables=tables,
            workgroup_name=self.stack_name,
            results_bucket=archive.results_bucket,
            results_prefix=ATHENA_PREFIX,
            encryption_key=key,
        )
        alerting = Alerting(self, "Alerting", settings=settings, encryption_key=key)
        detector = DetectorFunction(
            self,
            "Detector",
            settings=settings,
            config=self._function_config(settings, catalog, alerting, archive, tables),
        )
        alerting.watch(detector.function, failed_runs=detector.failed_runs)
        alerting.missed_run.node.add_dependency(detector.first_run)
        self._grant(detector, settings, archive, catalog, alerting)
        self.members = self._members(settings, member_template, detector)
        dashboard = Dashboard(self, "Dashboard", function=detector.function, alarms=alerting.alarms)
        self._outputs(archive, catalog, alerting, detector)
        CfnOutput(self, "DashboardUrl", value=dashboard.url, description="The detector's metrics, errors and alarms")

    def _function_config(
        self,
        settings: DeploySettings,
        catalog: Catalog,
        alerting: Alerting,
        archive: LogArchive,
        tables: Mapping[str, TableSpec],
    ) -> FunctionConfig:
        sources = settings.sources
        organization: dict[str, Any] = {}
        if self.organization is not None:
            organization = {
                "organization_id": settings.organization_id or "",
                "trace_role": trace_role_arn(self.partition, "*") if self._traces_members(settings) else "",
                "account_folders": account_folders(tables),
            }
        return FunctionConfig(
            workgroup=catalog.workgroup.ref,
            named_query_id=catalog.detection_query.attr_named_query_id,
            source=sources[0],
            more_queries=_more_queries(catalog, sources[1:]),
            topic_arn=alerting.topic.topic_arn,
            report_bucket=archive.results_bucket.bucket_name,
            report_prefix=REPORT_PREFIX,
            dashboard_url=console_url(self.region, dashboard_name(self)),
            buckets_query_id=catalog.named_queries[BUCKETS_QUERY].attr_named_query_id,
            daily_query_id=catalog.named_queries[DAILY_QUERY].attr_named_query_id,
            **organization,
            **settings.run_settings(),
        )

    def _organization(self, settings: DeploySettings, archive: LogArchive, key: kms.IKey | None) -> Organization | None:
        if not settings.organization:
            return None
        return Organization(
            self,
            "Organization",
            settings=settings,
            archive=archive,
            encryption_key=key,
            regions=self._regions(settings),
        )

    @staticmethod
    def _traces_members(settings: DeploySettings) -> bool:
        return bool(settings.member_organizational_units) and settings.trace_role

    def _members(
        self, settings: DeploySettings, template: str | None, detector: DetectorFunction
    ) -> MemberStackSet | None:
        """The member StackSet, when there are member OUs to deploy to and something for them."""
        if self.organization is None or template is None:
            return None
        members = MemberStackSet(
            self,
            "Members",
            template_body=template,
            parts=member_parts(settings, self.region, self.access_log_prefix),
            detector_role=detector.role,
            central_access_logs=self.organization.central_access_logs.bucket
            if self.organization.central_access_logs
            else None,
        )
        members.grant_assume_trace_role(detector.role)
        return members

    def _archive(self, settings: DeploySettings, key: kms.IKey | None) -> LogArchive:
        return LogArchive(
            self, "LogArchive", settings=settings, trail_name=f"{self.stack_name}-s3-data-events", encryption_key=key
        )

    def _grant(
        self,
        detector: DetectorFunction,
        settings: DeploySettings,
        archive: LogArchive,
        catalog: Catalog,
        alerting: Alerting,
    ) -> None:
        """What one run touches: the saved queries, each deployed source's logs, the reports and markers, the topic,
        the trace lookups."""
        catalog.grant_run_queries(detector.role)
        if self.organization is not None:
            self.organization.grant_read_logs(detector.role)
        elif cloudtrail.NAME in settings.sources:
            archive.grant_read_logs(detector.role)
        if access_logs.NAME in settings.sources and self.organization is None:
            grant_read_access_logs(detector.role, self._access_log_bucket_names(settings))
        archive.grant_write_reports(detector.role)
        alerting.grant_publish(detector.role)
        detector.allow_tracing()

    def _home_access_logs(self, settings: DeploySettings) -> None:
        """The access-log bucket of this region, when a watched bucket is here (the others are in region stacks)."""
        here = settings.access_log_buckets(self.region).get(self.region)
        if access_logs.NAME not in settings.sources or not here or settings.organization:
            return
        AccessLogDestination(self, "AccessLogs", settings=settings, name_prefix=self.access_log_prefix, buckets=here)

    def _tables(self, settings: DeploySettings, archive: LogArchive) -> dict[str, TableSpec]:
        """Each deployed source's table, by name: over this account's logs, or the organization's."""
        if self.organization is not None:
            return self.organization.tables(TABLE_NAME, ACCESS_LOG_TABLE_NAME)
        tables = {}
        if cloudtrail.NAME in settings.sources:
            tables[TABLE_NAME] = cloudtrail.table(
                archive.bucket.bucket_name, accounts=[self.account], regions=self._regions(settings)
            )
        if access_logs.NAME in settings.sources:
            by_region = settings.access_log_buckets(self.region)
            tables[ACCESS_LOG_TABLE_NAME] = access_logs.table(
                self.access_log_prefix,
                accounts=[self.account],
                regions=list(by_region),
                buckets=sorted(name for names in by_region.values() for name in names),
            )
        return tables

    def _access_log_bucket_names(self, settings: DeploySettings) -> list[str]:
        """Every region's access-log bucket, this stack's and the region stacks' alike."""
        return [
            access_logs.destination_bucket_name(self.access_log_prefix, self.account, region)
            for region in settings.access_log_buckets(self.region)
        ]

    def _regions(self, settings: DeploySettings) -> list[str]:
        """The settings' regions, and the stack's own region, which is always queryable."""
        regions = list(settings.regions)
        if not Token.is_unresolved(self.region) and self.region not in regions:
            regions.append(self.region)
        return regions

    def _outputs(self, archive: LogArchive, catalog: Catalog, alerting: Alerting, detector: DetectorFunction) -> None:
        log_bucket = (
            [("LogBucketName", archive.bucket.bucket_name, "CloudTrail S3 data events land here")]
            if archive.has_log_bucket
            else []
        )
        for name, value, description in (
            ("TopicArn", alerting.topic.topic_arn, "Subscribe here for findings and alarms"),
            *log_bucket,
            ("ReportBucketName", archive.results_bucket.bucket_name, "Athena results and reports"),
            ("WorkGroupName", catalog.workgroup.ref, "Athena workgroup of the saved queries"),
            ("FunctionName", detector.function.function_name, "Invoke to run the detection now"),
            ("DatabaseName", catalog.database_name, "Glue database"),
            ("TableName", catalog.table_name, "Glue table over the first source's logs"),
            ("FailedRunsQueueUrl", detector.failed_runs.queue_url, "Runs that failed every attempt; replay from here"),
        ):
            CfnOutput(self, name, value=value, description=description)
        if archive.trail is not None:
            CfnOutput(self, "TrailArn", value=archive.trail.attr_arn, description="The data-event trail")
        if self.organization is not None:
            self._organization_outputs(self.organization, detector)

    def _organization_outputs(self, organization: Organization, detector: DetectorFunction) -> None:
        CfnOutput(
            self,
            "DetectorRoleArn",
            value=detector.role.role_arn,
            description="Allow this role in the organization trail bucket's (and key's) policy",
        )
        if organization.trail is not None:
            CfnOutput(self, "OrganizationTrailArn", value=organization.trail.trail.attr_arn, description="The trail")
        if organization.central_access_logs is not None:
            CfnOutput(
                self,
                "CentralAccessLogBucketName",
                value=organization.central_access_logs.bucket.bucket_name,
                description="Every member account's access logs replicate here",
            )
        if self.members is not None:
            CfnOutput(self, "MemberStackSetName", value=self.members.stack_set.ref, description="The member StackSet")


def _more_queries(catalog: Catalog, sources: tuple[str, ...]) -> str:
    """`source=<named query id>` of each further source's detection query, as the function reads them."""
    return ",".join(
        f"{source}={catalog.queries_by_source[source][DETECTION].attr_named_query_id}" for source in sources
    )


def _snake(name: str) -> str:
    """`LegacyS3ClientDetector` -> `legacy_s3_client_detector`: Glue and Athena names are lower case."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|[^A-Za-z0-9]+", "_", name)
    return spaced.strip("_").lower()
