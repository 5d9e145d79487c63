"""AWS-side alarms (OBS-06): CloudWatch alarms routed through encrypted SNS to the same receivers.

Behaviour:
- Two SNS topics, `alerts-critical` and `alerts-warning`, encrypted with the `logs` key (whose
  policy lets this account's CloudWatch alarms use it).
- Alarms, each naming its first response in its description, thresholds from
  `groundwork:observability.awsAlarms`:
  RDS CPUUtilization (warning), FreeStorageSpace (critical), DatabaseConnections (warning);
  ElastiCache DatabaseMemoryUsagePercentage, EngineCPUUtilization and Evictions per node
  (warning); per NAT gateway ErrorPortAllocation (critical) and PacketsDropCount (warning);
  AWS Backup failed backup jobs (critical) and failed copy jobs to the DR region (critical) of
  the vault the plan writes to; the ALB's 5xx (warning, a Metrics Insights query: the stack's
  account has exactly the one ALB of its IngressGroup) and the ACM certificate's DaysToExpiry
  (warning). No ReplicaLag alarm: the Multi-AZ standby is synchronous and the stack runs no
  read replicas, so RDS publishes no such metric for it.
- Receivers: with `notifications.awsChatbotSlackTeamId`/`ChannelId`, AWS Chatbot posts both
  topics to that Slack channel (a role with no permissions, guardrail AWSDenyAll:
  notifications only). With `notifications.pagerSnsSubscription` the critical topic is
  subscribed to PagerDuty's CloudWatch endpoint, read from the operator-provided alerting
  secret (key `pagerdutyCloudwatchUrl`) as a Pulumi secret.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from groundwork import alerting, iam
from groundwork.naming import Naming
from groundwork.settings.model import AwsAlarmSettings, Notifications


@dataclass(frozen=True)
class AlarmsArgs:
    settings: AwsAlarmSettings
    notifications: Notifications
    naming: Naming
    logs_key_arn: pulumi.Input[str]
    database_id: pulumi.Input[str] | None = None
    cache_group_id: pulumi.Input[str] | None = None
    cache_nodes: int = 0
    nat_gateway_ids: Sequence[pulumi.Input[str]] = field(default_factory=tuple)
    nat_instance_id: pulumi.Input[str] | None = None
    backup_plan_vault: pulumi.Input[str] | None = None  # vault name, as read from the plan
    certificate_arn: pulumi.Input[str] | None = None
    load_balancer: bool = False
    alerting_secret_arn: pulumi.Input[str] | None = None
    # where the Chatbot configuration is created (its API is not in every region: groundwork.regions)
    chatbot_provider: pulumi.ProviderResource | None = None


class Alarms(pulumi.ComponentResource):
    """`groundwork:alarms:Alarms`."""

    def __init__(self, name: str, args: AlarmsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:alarms:Alarms", name, None, opts)
        s, naming = args.settings, args.naming
        child = pulumi.ResourceOptions(parent=self)
        self.topics = {
            severity: aws.sns.Topic(
                f"{name}-{severity}",
                name=naming.physical("alerts", severity),
                kms_master_key_id=args.logs_key_arn,
                tags={"Severity": severity},
                opts=child,
            )
            for severity in ("critical", "warning")
        }
        self.count = 0

        def alarm(key: str, suffix: str, dimensions: Mapping[str, pulumi.Input[str]]) -> None:
            a = alerting.AWS_ALARM[key]
            topic = self.topics[a.severity]
            aws.cloudwatch.MetricAlarm(
                f"{name}-{suffix}",
                name=naming.physical(suffix),
                namespace=a.namespace,
                metric_name=a.metric,
                dimensions=dict(dimensions),
                statistic=a.statistic,
                period=a.period,
                evaluation_periods=a.periods,
                datapoints_to_alarm=a.periods,
                comparison_operator=a.comparison,
                threshold=alerting.aws_threshold(a, s),
                treat_missing_data="notBreaching" if a.statistic == "Sum" else "missing",
                alarm_description=f"[{a.severity}] {a.meaning}. First response: {a.runbook}",
                alarm_actions=[topic.arn],
                ok_actions=[topic.arn],
                tags={"Severity": a.severity},
                opts=child,
            )
            self.count += 1

        if args.database_id is not None:
            for key in ("rds-cpu", "rds-free-storage", "rds-connections"):
                alarm(key, key, {"DBInstanceIdentifier": args.database_id})
        if args.cache_group_id is not None:
            for i in range(1, args.cache_nodes + 1):
                node = {"CacheClusterId": pulumi.Output.concat(args.cache_group_id, f"-{i:03d}")}
                for key in ("cache-N-memory", "cache-N-cpu", "cache-N-evictions"):
                    alarm(key, key.replace("N", str(i)), node)
        for i, nat in enumerate(args.nat_gateway_ids):
            for key in ("nat-N-port-allocation", "nat-N-packets-dropped"):
                alarm(key, key.replace("N", str(i)), {"NatGatewayId": nat})
        if args.nat_instance_id is not None:
            alarm("nat-instance-status", "nat-instance-status", {"InstanceId": args.nat_instance_id})
        if args.backup_plan_vault is not None:
            for key in ("backup-jobs-failed", "backup-copies-failed"):
                alarm(key, key, {"BackupVaultName": args.backup_plan_vault})
        if args.certificate_arn:
            alarm("certificate-expiry", "certificate-expiry", {"CertificateArn": args.certificate_arn})
        if args.load_balancer:
            a = alerting.AWS_ALARM["alb-5xx"]
            aws.cloudwatch.MetricAlarm(
                f"{name}-alb-5xx",
                name=naming.physical("alb-5xx"),
                alarm_description=f"[{a.severity}] {a.meaning}. First response: {a.runbook}",
                comparison_operator=a.comparison,
                threshold=alerting.aws_threshold(a, s),
                evaluation_periods=a.periods,
                treat_missing_data="notBreaching",
                # the stack's account has exactly one ALB: the IngressGroup's (docs/observability.md)
                metric_queries=[
                    aws.cloudwatch.MetricAlarmMetricQueryArgs(
                        id="elb5xx",
                        expression=f'SELECT SUM({a.metric}) FROM SCHEMA("{a.namespace}", LoadBalancer)',
                        period=a.period,
                        return_data=True,
                    )
                ],
                alarm_actions=[self.topics[a.severity].arn],
                ok_actions=[self.topics[a.severity].arn],
                tags={"Severity": a.severity},
                opts=child,
            )
            self.count += 1

        n = args.notifications
        if n.aws_chatbot_slack_team_id and n.aws_chatbot_slack_channel_id:
            role = aws.iam.Role(
                f"{name}-chatbot",
                assume_role_policy=json.dumps(iam.assume_role("chatbot.amazonaws.com")),
                description=f"{naming.prefix}: AWS Chatbot posts alarm notifications (no permissions)",
                opts=child,
            )
            aws.chatbot.SlackChannelConfiguration(
                f"{name}-chatbot",
                configuration_name=naming.physical("alarms"),
                iam_role_arn=role.arn,
                slack_team_id=n.aws_chatbot_slack_team_id,
                slack_channel_id=n.aws_chatbot_slack_channel_id,
                sns_topic_arns=[t.arn for t in self.topics.values()],
                guardrail_policy_arns=["arn:aws:iam::aws:policy/AWSDenyAll"],
                logging_level="ERROR",
                opts=pulumi.ResourceOptions(parent=self, provider=args.chatbot_provider),
            )
        if n.pager_sns_subscription and args.alerting_secret_arn is not None:
            url = aws.secretsmanager.get_secret_version_output(secret_id=args.alerting_secret_arn).secret_string.apply(
                lambda text: json.loads(text)["pagerdutyCloudwatchUrl"]
            )
            aws.sns.TopicSubscription(
                f"{name}-pager",
                topic=self.topics["critical"].arn,
                protocol="https",
                endpoint=pulumi.Output.secret(url),
                endpoint_auto_confirms=True,
                opts=child,
            )
        self.register_outputs({"topics": {k: t.arn for k, t in self.topics.items()}, "alarms": self.count})
