"""The findings topic, its email subscriptions, and the alarms that say the detector itself is unwell."""

from __future__ import annotations

from datetime import timedelta

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.nag import acknowledge_wildcard
from stacks.settings import DeploySettings

ONE_HOUR = timedelta(hours=1)
CLOUDWATCH = iam.ServicePrincipal("cloudwatch.amazonaws.com")


class Alerting(Construct):
    """An encrypted, TLS-only topic. Findings and alarms both go here.

    Without `encryption_key`, a customer-managed key with rotation is created: CloudWatch alarms cannot publish to a
    topic encrypted with the AWS-managed `alias/aws/sns` key, whose policy cannot grant cloudwatch.amazonaws.com.
    A given key must itself allow cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*.

    The topic's policy (TLS-only) replaces SNS's default policy, so it must allow CloudWatch to publish itself: only
    for this account's alarms (aws:SourceAccount) and only the alarms made here (aws:SourceArn).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        settings: DeploySettings,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, id_)
        self._schedule_interval = settings.schedule_interval
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
                    principals=[CLOUDWATCH],
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    resources=["*"],
                    conditions=_from_alarms(self, [self._alarm_arns_here()]),
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
        for email in settings.alert_emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        for number, other in enumerate(settings.alert_subscriptions):
            sns.Subscription(
                self,
                f"Subscriber{number}",
                topic=self.topic,
                protocol=sns.SubscriptionProtocol(other.protocol.upper().replace("-", "_")),
                endpoint=other.endpoint,
            )
        self._action = cw_actions.SnsAction(self.topic)

    def grant_publish(self, role: iam.Role) -> None:
        """Publish to the topic; grant_publish adds the key's data-key actions."""
        self.topic.grant_publish(role)
        acknowledge_wildcard(
            role,
            "Action::kms:GenerateDataKey*",
            "Added by topic.grant_publish, on the topic's key only: publishing to an encrypted topic.",
        )

    def _alarm_arns_here(self) -> str:
        """Every alarm ARN of this account and region; the key cannot name the alarms (they name its topic)."""
        return Stack.of(self).format_arn(
            service="cloudwatch", resource="alarm", resource_name="*", arn_format=ArnFormat.COLON_RESOURCE_NAME
        )

    def watch(self, function: lambda_.IFunction, *, failed_runs: sqs.IQueue) -> None:
        """Alarm when the function fails, when it was not invoked within one schedule interval plus slack, and when
        a failed run waits in the queue; then let exactly these alarms publish to the topic."""
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
        self.missed_run = self._missed_run(function, self._schedule_interval)
        kept = cloudwatch.Alarm(
            self,
            "FailedRunsKept",
            alarm_description=(
                "A detector run failed all its attempts and is kept in the failed-runs queue: fix the cause, then "
                "replay it (README, Failed runs)."
            ),
            metric=failed_runs.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.alarms = (errors, self.missed_run, kept)
        for alarm in self.alarms:
            alarm.add_alarm_action(self._action)
            alarm.add_ok_action(self._action)
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowThisStacksAlarmsToPublish",
                principals=[CLOUDWATCH],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=_from_alarms(self, [alarm.alarm_arn for alarm in self.alarms]),
            )
        )

    def _missed_run(self, function: lambda_.IFunction, schedule_interval: timedelta) -> cloudwatch.Alarm:
        slack = ONE_HOUR if schedule_interval >= ONE_HOUR else timedelta(minutes=5)
        period = schedule_interval + slack
        return cloudwatch.Alarm(
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


def _from_alarms(scope: Construct, alarm_arns: list[str]) -> dict[str, dict[str, object]]:
    """CloudWatch acting for these alarms of this account, and no other (the confused-deputy guard)."""
    return {
        "StringEquals": {"aws:SourceAccount": Stack.of(scope).account},
        "ArnLike": {"aws:SourceArn": alarm_arns if len(alarm_arns) > 1 else alarm_arns[0]},
    }


def _describe(period: timedelta) -> str:
    minutes = int(period.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
