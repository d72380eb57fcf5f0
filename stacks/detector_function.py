"""The scheduled Lambda that runs the saved detection query and reports the findings."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from aws_cdk import (
    Acknowledgment,
    AssetHashType,
    BundlingOptions,
    DockerImage,
    Duration,
    ILocalBundling,
    RemovalPolicy,
    Validations,
)
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from aws_cdk import custom_resources as cr
from constructs import Construct, IConstruct

from detector.core.config import FUNCTION_MEMORY_MB, FUNCTION_TIMEOUT_SECONDS, FunctionConfig
from stacks.bundle import BUNDLED_PACKAGES, LocalCopy
from stacks.nag import acknowledge_wildcard
from stacks.settings import DeploySettings

REPO_ROOT = Path(__file__).resolve().parent.parent
UNUSED_IMAGE = "public.ecr.aws/sam/build-python3.14"
"""CDK's bundling options name an image; the local copy always succeeds, so it is never pulled."""

__all__ = ["BUNDLED_PACKAGES", "REPO_ROOT", "function_code"]


def function_code() -> lambda_.Code:
    """The functions' one asset, built without Docker or network (`stacks.bundle`); its hash is its content's."""
    return lambda_.Code.from_asset(
        str(REPO_ROOT / "detector"),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            image=DockerImage.from_registry(UNUSED_IMAGE), local=cast(ILocalBundling, LocalCopy())
        ),
    )


HANDLER = "detector.aws.handler.handler"

RUNTIME = lambda_.Runtime.PYTHON_3_14
"""The newest Python runtime aws-cdk-lib 2.275 knows (cdk-nag AwsSolutions-L1 checks this)."""

RETRY_ATTEMPTS = 2
MAX_EVENT_AGE = Duration.hours(6)
"""Lambda's and EventBridge's maximum retries and event age: a failing window is tried three times in six hours."""

FAILED_RUN_RETENTION = Duration.days(14)
"""SQS's longest retention: two weeks to notice the alarm and replay the window."""


class DetectorFunction(Construct):
    """The function, its role (no managed policies), its log group, the schedule that invokes it, the queue that keeps
    a run that failed for good, and one run at deploy time.

    The stack grants the role what the run touches; a manual run is a direct `aws lambda invoke`.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        settings: DeploySettings,
        config: FunctionConfig,
    ) -> None:
        super().__init__(scope, id_)
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            retention=retention_days(settings.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Runs the detection query and publishes its findings",
        )
        self.failed_runs = self._failed_runs_queue()
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
            schedule=events.Schedule.expression(settings.schedule),
            description="Runs the legacy-s3-client detector",
            targets=[
                targets.LambdaFunction(
                    self.function,
                    retry_attempts=RETRY_ATTEMPTS,
                    max_event_age=MAX_EVENT_AGE,
                    dead_letter_queue=self.failed_runs,
                )
            ],
        )
        self.first_run = self._first_run()

    def _first_run(self) -> cr.AwsCustomResource:
        """Invokes the detector once when the stack is created, so the missed-run alarm (created after it) starts
        from a real invocation instead of breaching on an empty metric. Asynchronous: a failing first run does not
        roll the deploy back; it raises the error alarm and lands in the failed-runs queue like any other run."""
        first_run = cr.AwsCustomResource(
            self,
            "FirstRun",
            on_create=cr.AwsSdkCall(
                service="Lambda",
                action="Invoke",
                parameters={"FunctionName": self.function.function_name, "InvocationType": "Event", "Payload": "{}"},
                physical_resource_id=cr.PhysicalResourceId.of("first-run"),
            ),
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[self.function.function_arn])]
            ),
            install_latest_aws_sdk=False,
            log_group=logs.LogGroup(
                self, "FirstRunLogs", retention=logs.RetentionDays.ONE_WEEK, removal_policy=RemovalPolicy.DESTROY
            ),
        )
        first_run.node.add_dependency(self.function)
        Validations.of(cast(IConstruct, first_run.grant_principal)).acknowledge(
            Acknowledgment(
                id=(
                    "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                    "AWSLambdaBasicExecutionRole]"
                ),
                reason="CDK's own custom-resource function logs with it; it runs once, at stack creation.",
            )
        )
        return first_run

    def _failed_runs_queue(self) -> sqs.Queue:
        """Where a run that failed all its attempts is kept: the function's on-failure destination (the event with
        the error) and the schedule target's dead-letter queue (an event EventBridge could not deliver)."""
        queue = sqs.Queue(
            self,
            "FailedRuns",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=FAILED_RUN_RETENTION,
        )
        Validations.of(queue).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-SQS3",
                reason="This queue is itself the dead-letter destination of the function and of the schedule target.",
            )
        )
        return queue

    def _function(self, config: FunctionConfig) -> lambda_.Function:
        function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=HANDLER,
            code=function_code(),
            role=self.role,
            log_group=self.log_group,
            timeout=Duration.seconds(FUNCTION_TIMEOUT_SECONDS),
            memory_size=FUNCTION_MEMORY_MB,
            environment=config.to_environ(),
            description="Finds S3 callers using SigV2, outdated SDKs or TLS 1.0/1.1 in CloudTrail data events",
            on_failure=destinations.SqsDestination(self.failed_runs),
            retry_attempts=RETRY_ATTEMPTS,
            max_event_age=MAX_EVENT_AGE,
        )
        return function

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
