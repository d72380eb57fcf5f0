"""The findings topic, its email subscriptions, and the alarms that say the detector itself is unwell."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from stacks.nag import acknowledge_wildcard

ONE_HOUR = timedelta(hours=1)


class Alerting(Construct):
    """An encrypted, TLS-only topic. Findings and alarms both go here.

    Without `encryption_key`, a customer-managed key with rotation is created: CloudWatch alarms cannot publish to a
    topic encrypted with the AWS-managed `alias/aws/sns` key, whose policy cannot grant cloudwatch.amazonaws.com.
    A given key must itself allow cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        emails: Sequence[str],
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, id_)
        if encryption_key is None:
            key = kms.Key(
                self,
                "TopicKey",
                description="Encrypts the legacy-s3-client detector's alert topic",
                enable_key_rotation=True,
                pending_window=Duration.days(7),
                removal_policy=RemovalPolicy.DESTROY,
            )
            key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="AllowCloudWatchAlarmsToPublish",
                    principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    resources=["*"],
                )
            )
            encryption_key = key
        self.encryption_key = encryption_key
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name="Legacy S3 client detector",
            master_key=encryption_key,
            enforce_ssl=True,
        )
        for email in emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        self._action = cw_actions.SnsAction(self.topic)

    def grant_publish(self, role: iam.Role) -> None:
        """Publish to the topic; grant_publish adds the key's data-key actions."""
        self.topic.grant_publish(role)
        acknowledge_wildcard(
            role,
            "Action::kms:GenerateDataKey*",
            "Added by topic.grant_publish, on the topic's key only: publishing to an encrypted topic.",
        )

    def watch(self, function: lambda_.IFunction, *, schedule_interval: timedelta) -> None:
        """Alarm when the function fails, and when it was not invoked within one schedule interval plus slack."""
        errors = cloudwatch.Alarm(
            self,
            "FunctionErrors",
            alarm_description="The detector function failed; see its log group.",
            metric=function.metric_errors(period=Duration.minutes(5), statistic=cloudwatch.Stats.SUM),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        slack = ONE_HOUR if schedule_interval >= ONE_HOUR else timedelta(minutes=5)
        period = schedule_interval + slack
        missed = cloudwatch.Alarm(
            self,
            "MissedRun",
            alarm_description=(
                f"The detector was not invoked in the last {_describe(period)}: check the schedule rule and its"
                " FailedInvocations metric."
            ),
            metric=function.metric_invocations(
                period=Duration.seconds(int(period.total_seconds())), statistic=cloudwatch.Stats.SUM
            ),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )
        for alarm in (errors, missed):
            alarm.add_alarm_action(self._action)
            alarm.add_ok_action(self._action)
        self.alarms = (errors, missed)


def _describe(period: timedelta) -> str:
    minutes = int(period.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
