"""The Glue table over each deployed source's logs, the Athena workgroup, and per source one saved query per
`queries/*.sql`."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Stack
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from detector.core import queries
from detector.sources import cloudtrail
from detector.sources.table import TableSpec
from stacks.nag import acknowledge_wildcard, logical_id
from stacks.settings import DeploySettings


class Catalog(Construct):
    """`database.<table>` for each source as its `TableSpec` declares it (partitions projected: no crawler, no MSCK),
    the workgroup that queries them, and each source's saved queries.

    CloudTrail's table and queries keep their construct IDs and query names (`Table`, `DetectionQuery`, `detection`);
    another source's carry its name (`AccessLogsTable`, `AccessLogsDetectionQuery`, `access_logs_detection`), so
    switching the `source` setting never replaces one source's resources with another's.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        settings: DeploySettings,
        database_name: str,
        tables: Mapping[str, TableSpec],
        workgroup_name: str,
        results_bucket: s3.IBucket,
        results_prefix: str,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        self.database_name = database_name
        self.table_name = next(iter(tables))
        """The first source's table (the stack's output)."""
        self._results_bucket = results_bucket
        self._results_prefix = results_prefix
        self._encryption_key = encryption_key
        self.database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=stack.account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=database_name, description="CloudTrail S3 data events, for the legacy-s3-client detector"
            ),
        )
        self.workgroup = self._workgroup(workgroup_name, settings.athena_bytes_scanned_cutoff, encryption_key)
        self.workgroup_arn = stack.format_arn(service="athena", resource="workgroup", resource_name=workgroup_name)
        self.tables = {spec.source: self._table(name, spec) for name, spec in tables.items()}
        self.queries_by_source = {
            spec.source: {query: self._named_query(query, name, spec) for query in queries.names()}
            for name, spec in tables.items()
        }
        first = next(iter(tables.values())).source
        self.table = self.tables[first]
        self.named_queries = self.queries_by_source[first]
        self.detection_query = self.named_queries[queries.DETECTION]
        self.catalog_arn = stack.format_arn(service="glue", resource="catalog")
        self.database_arn = stack.format_arn(service="glue", resource="database", resource_name=database_name)
        self.table_arns = [
            stack.format_arn(service="glue", resource="table", resource_name=f"{database_name}/{name}")
            for name in tables
        ]

    def _table(self, name: str, spec: TableSpec) -> glue.CfnTable:
        table = glue.CfnTable(
            self,
            _construct_id(spec.source, "Table"),
            catalog_id=Stack.of(self).account,
            database_name=self.database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name=name,
                description=spec.description,
                table_type="EXTERNAL_TABLE",
                parameters=dict(spec.parameters),
                partition_keys=[glue.CfnTable.ColumnProperty(name=key, type="string") for key in spec.partition_keys],
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    location=spec.location,
                    columns=[glue.CfnTable.ColumnProperty(name=name, type=type_) for name, type_ in spec.columns],
                    input_format=spec.input_format,
                    output_format=spec.output_format,
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library=spec.serde,
                        parameters=dict(spec.serde_parameters) if spec.serde_parameters else None,
                    ),
                ),
            ),
        )
        table.node.add_dependency(self.database)
        return table

    def _workgroup(self, name: str, bytes_scanned_cutoff: int, key: kms.IKey | None) -> athena.CfnWorkGroup:
        if key is not None:
            encryption = athena.CfnWorkGroup.EncryptionConfigurationProperty(
                encryption_option="SSE_KMS", kms_key=key.key_arn
            )
        else:
            encryption = athena.CfnWorkGroup.EncryptionConfigurationProperty(encryption_option="SSE_S3")
        workgroup = athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=name,
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
                    output_location=f"s3://{self._results_bucket.bucket_name}/{self._results_prefix}",
                    encryption_configuration=encryption,
                ),
            ),
        )
        # Deleted before the results bucket is emptied, so no query writes into it afterwards.
        workgroup.node.add_dependency(self._results_bucket)
        return workgroup

    def _named_query(self, name: str, table_name: str, spec: TableSpec) -> athena.CfnNamedQuery:
        source, table = spec.source, f'"{self.database_name}"."{table_name}"'
        query = athena.CfnNamedQuery(
            self,
            _construct_id(source, _camel(name) + "Query"),
            name=name if source == cloudtrail.NAME else f"{source}_{name}",
            description=f"queries/{name}.sql for {table_name}; takes the window as 4 execution parameters",
            database=self.database_name,
            work_group=self.workgroup.ref,
            query_string=queries.render(name, table, source=source, partitions=spec.query_filter),
        )
        query.node.add_dependency(self.tables[source])
        return query

    def grant_run_queries(self, role: iam.Role) -> None:
        """Read a saved query, run it in the workgroup over the table, and read and write its results."""
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
                resources=[self.workgroup_arn],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadTableDefinition",
                actions=["glue:GetDatabase", "glue:GetTable", "glue:GetPartition", "glue:GetPartitions"],
                resources=[self.catalog_arn, self.database_arn, *self.table_arns],
            )
        )
        self._grant_results(role)

    def _grant_results(self, role: iam.Role) -> None:
        """Athena writes a query's results with the caller's credentials, and the caller reads them back."""
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ListResultsBucket",
                actions=["s3:ListBucket", "s3:GetBucketLocation"],
                resources=[self._results_bucket.bucket_arn],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="QueryResults",
                actions=["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                resources=[self._results_bucket.arn_for_objects(f"{self._results_prefix}*")],
            )
        )
        if self._encryption_key is not None:
            self._encryption_key.grant(role, "kms:Decrypt", "kms:GenerateDataKey")
        acknowledge_wildcard(
            role,
            f"Resource::<{logical_id(self._results_bucket)}.Arn>/{self._results_prefix}*",
            "Athena writes and the function reads query results under this prefix.",
        )


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("-", "_").split("_"))


def _construct_id(source: str, base: str) -> str:
    """`DetectionQuery` for CloudTrail (the IDs it always had), `AccessLogsDetectionQuery` for access logs: stable
    logical IDs per source and query file."""
    return base if source == cloudtrail.NAME else _camel(source) + base
