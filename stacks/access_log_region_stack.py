"""A small stack per extra region: the access-log bucket for the watched buckets there, and their logging switched on.

S3 delivers a bucket's access logs only within its region, so each region that holds a watched bucket has its own
destination; the detector itself, its table and its function stay in one region and read every region's bucket.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from stacks.access_logs import AccessLogDestination
from stacks.settings import DeploySettings


class AccessLogRegionStack(Stack):
    """One region's `AccessLogDestination`, deployed beside the detector's stack (`cdk deploy --all`)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        settings: DeploySettings,
        name_prefix: str,
        buckets: Sequence[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id_, **kwargs)
        destination = AccessLogDestination(
            self,
            "AccessLogs",
            settings=settings,
            name_prefix=name_prefix,
            buckets=buckets,
        )
        CfnOutput(
            self,
            "AccessLogBucketName",
            value=destination.bucket.bucket_name,
            description="This region's watched buckets deliver their server access logs here",
        )
