"""The Glue table over the trail's logs, the Athena workgroup and one saved query per `queries/*.sql`."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from detector import queries, schema

PROJECTION_START = "2024/01/01"
"""First `log_date` Athena may project; queries always filter on a window, so older days are never listed."""


class Catalog(Construct):
    """`database.table` over `s3://<log bucket>/AWSLogs/${account}/CloudTrail/${region}/${log_date}`.

    Partitions are projected (no crawler, no MSCK): `account` and `region` are enums, `log_date` a `yyyy/MM/dd` date.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        database_name: str,
        table_name: str,
        workgroup_name: str,
        log_bucket: s3.IBucket,
        results_bucket: s3.IBucket,
        results_prefix: str,
        accounts: Sequence[str],
        regions: Sequence[str],
        bytes_scanned_cutoff: int,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        self.database_name = database_name
        self.table_name = table_name
        self.qualified_table = f'"{database_name}"."{table_name}"'
        """The table as the named queries name it."""

        self.database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=stack.account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=database_name,
                description="CloudTrail S3 data events, for the legacy-s3-client detector",
            ),
        )

        location = f"s3://{log_bucket.bucket_name}/AWSLogs/"
        self.table = glue.CfnTable(
            self,
            "Table",
            catalog_id=stack.account,
            database_name=database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name=table_name,
                description="CloudTrail S3 data events with partition projection on account, region and log_date",
                table_type="EXTERNAL_TABLE",
                parameters={
                    "classification": "cloudtrail",
                    "EXTERNAL": "TRUE",
                    "projection.enabled": "true",
                    "projection.account.type": "enum",
                    "projection.account.values": ",".join(accounts),
                    "projection.region.type": "enum",
                    "projection.region.values": ",".join(regions),
                    "projection.log_date.type": "date",
                    "projection.log_date.format": "yyyy/MM/dd",
                    "projection.log_date.range": f"{PROJECTION_START},NOW",
                    "projection.log_date.interval": "1",
                    "projection.log_date.interval.unit": "DAYS",
                    "storage.location.template": f"{location}${{account}}/CloudTrail/${{region}}/${{log_date}}",
                },
                partition_keys=[glue.CfnTable.ColumnProperty(name=key, type="string") for key in schema.PARTITION_KEYS],
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    location=location,
                    columns=[
                        glue.CfnTable.ColumnProperty(name=name, type=type_) for name, type_ in schema.glue_columns()
                    ],
                    input_format="com.amazon.emr.cloudtrail.CloudTrailInputFormat",
                    output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library="org.apache.hive.hcatalog.data.JsonSerDe"
                    ),
                ),
            ),
        )
        self.table.node.add_dependency(self.database)

        if encryption_key is not None:
            result_encryption = athena.CfnWorkGroup.EncryptionConfigurationProperty(
                encryption_option="SSE_KMS", kms_key=encryption_key.key_arn
            )
        else:
            result_encryption = athena.CfnWorkGroup.EncryptionConfigurationProperty(encryption_option="SSE_S3")
        self.workgroup = athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=workgroup_name,
            description="Queries of the legacy-s3-client detector; settings enforced, scans capped",
            recursive_delete_option=True,
            state="ENABLED",
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=bytes_scanned_cutoff,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                    selected_engine_version="Athena engine version 3"
                ),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{results_bucket.bucket_name}/{results_prefix}",
                    encryption_configuration=result_encryption,
                ),
            ),
        )
        # Deleted before the results bucket is emptied, so no query writes into it afterwards.
        self.workgroup.node.add_dependency(results_bucket)
        self.workgroup_arn = stack.format_arn(service="athena", resource="workgroup", resource_name=workgroup_name)

        self.named_queries: dict[str, athena.CfnNamedQuery] = {}
        for name in queries.names():
            self.named_queries[name] = athena.CfnNamedQuery(
                self,
                _construct_id(name),
                name=name,
                description=f"queries/{name}.sql for {table_name}; takes the window as 4 execution parameters",
                database=database_name,
                work_group=self.workgroup.ref,
                query_string=queries.render(name, self.qualified_table),
            )
            self.named_queries[name].node.add_dependency(self.table)
        self.detection_query = self.named_queries[queries.DETECTION]

        self.catalog_arn = stack.format_arn(service="glue", resource="catalog")
        self.database_arn = stack.format_arn(service="glue", resource="database", resource_name=database_name)
        self.table_arn = stack.format_arn(
            service="glue", resource="table", resource_name=f"{database_name}/{table_name}"
        )


def _construct_id(query_name: str) -> str:
    """`detection` -> `DetectionQuery`, `tls_only` -> `TlsOnlyQuery`: stable logical IDs per query file."""
    return "".join(part.capitalize() for part in query_name.replace("-", "_").split("_")) + "Query"
