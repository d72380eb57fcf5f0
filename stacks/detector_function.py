"""The scheduled Lambda that runs the saved detection query and reports the findings."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from detector.core.config import FUNCTION_MEMORY_MB, FUNCTION_TIMEOUT_SECONDS, FunctionConfig
from stacks.nag import acknowledge_wildcard

REPO_ROOT = Path(__file__).resolve().parent.parent

BUNDLED_PACKAGES = ("detector/core", "detector/aws")
"""What the function runs: the shared core and the AWS side; never the CLI, the local reader or the cost model."""

CODE_EXCLUDES = [
    "*",
    ".*",
    "!detector",
    "!detector/__init__.py",
    *(rule for package in BUNDLED_PACKAGES for rule in (f"!{package}", f"!{package}/**")),
    "**/__pycache__",
    "**/*.pyc",
]
"""The asset is the repository root minus everything but the bundled packages, so the zip holds `detector/...` at
its top level and `detector.aws.handler.handler` imports like it does locally. No Docker, no bundling."""

HANDLER = "detector.aws.handler.handler"

RUNTIME = lambda_.Runtime.PYTHON_3_14
"""The newest Python runtime aws-cdk-lib 2.275 knows (cdk-nag AwsSolutions-L1 checks this)."""


class DetectorFunction(Construct):
    """The function, its role (no managed policies), its log group and the schedule that invokes it.

    The stack grants the role what the run touches; a manual run is a direct `aws lambda invoke`.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        schedule: str,
        config: FunctionConfig,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, id_)
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            retention=log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Runs the detection query and publishes its findings",
        )
        self.function = self._function(config)
        # Only this log group, instead of AWSLambdaBasicExecutionRole's logs:* on every group.
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        self.rule = events.Rule(
            self,
            "Schedule",
            schedule=events.Schedule.expression(schedule),
            description="Runs the legacy-s3-client detector",
            targets=[targets.LambdaFunction(self.function, retry_attempts=2, max_event_age=Duration.hours(6))],
        )

    def _function(self, config: FunctionConfig) -> lambda_.Function:
        return lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=HANDLER,
            code=lambda_.Code.from_asset(str(REPO_ROOT), exclude=CODE_EXCLUDES),
            role=self.role,
            log_group=self.log_group,
            timeout=Duration.seconds(FUNCTION_TIMEOUT_SECONDS),
            memory_size=FUNCTION_MEMORY_MB,
            environment=config.to_environ(),
            description="Finds S3 callers using SigV2, outdated SDKs or TLS 1.0/1.1 in CloudTrail data events",
        )

    def allow_tracing(self) -> None:
        """Read-only EC2 lookups that name the instance or interface behind a finding's source IP."""
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="TraceSources",
                actions=["ec2:DescribeNetworkInterfaces", "ec2:DescribeInstances"],
                resources=["*"],
            )
        )
        acknowledge_wildcard(
            self.role,
            "Resource::*",
            "ec2:DescribeNetworkInterfaces and ec2:DescribeInstances have no resource-level scope; "
            "read-only, they trace each finding to the instance or interface that sent it.",
        )


_RETENTION_DAYS = (
    (1, logs.RetentionDays.ONE_DAY),
    (3, logs.RetentionDays.THREE_DAYS),
    (5, logs.RetentionDays.FIVE_DAYS),
    (7, logs.RetentionDays.ONE_WEEK),
    (14, logs.RetentionDays.TWO_WEEKS),
    (30, logs.RetentionDays.ONE_MONTH),
    (60, logs.RetentionDays.TWO_MONTHS),
    (90, logs.RetentionDays.THREE_MONTHS),
    (120, logs.RetentionDays.FOUR_MONTHS),
    (150, logs.RetentionDays.FIVE_MONTHS),
    (180, logs.RetentionDays.SIX_MONTHS),
    (365, logs.RetentionDays.ONE_YEAR),
    (400, logs.RetentionDays.THIRTEEN_MONTHS),
    (545, logs.RetentionDays.EIGHTEEN_MONTHS),
    (731, logs.RetentionDays.TWO_YEARS),
    (1096, logs.RetentionDays.THREE_YEARS),
    (1827, logs.RetentionDays.FIVE_YEARS),
    (2192, logs.RetentionDays.SIX_YEARS),
    (2557, logs.RetentionDays.SEVEN_YEARS),
    (2922, logs.RetentionDays.EIGHT_YEARS),
    (3288, logs.RetentionDays.NINE_YEARS),
    (3653, logs.RetentionDays.TEN_YEARS),
)
"""The values CloudWatch Logs accepts (the jsii enum does not expose its numbers to Python)."""


def retention_days(days: int) -> logs.RetentionDays:
    """The shortest CloudWatch Logs retention that keeps at least `days` days."""
    for allowed, member in _RETENTION_DAYS:
        if allowed >= days:
            return member
    return _RETENTION_DAYS[-1][1]
