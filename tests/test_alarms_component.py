"""The Alarms component on its own (groundwork.plan.run_function): encrypted SNS topics per
severity, one CloudWatch alarm per watched thing with its threshold, statistic and receivers, the
ALB's Metrics Insights alarm, AWS Chatbot and the PagerDuty subscription, without planning a stack
(issue 18)."""

from __future__ import annotations

import json
from typing import Any

import pulumi_aws as aws
import pytest

from components.alarms import Alarms, AlarmsArgs
from groundwork.naming import Naming
from groundwork.plan.graph import Graph, Resource, secret_paths
from groundwork.plan.runner import run_function
from groundwork.settings.model import AwsAlarmSettings, Notifications
from tests.helpers import by_name, deps, outside

LOGS_KEY = "arn:aws:kms:eu-west-1:111111111111:key/logs"
SECRET = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:groundwork/test/platform/alerting-AbCdEf"
CERT = "arn:aws:acm:eu-west-1:111111111111:certificate/api"
EVERYTHING: dict[str, Any] = {
    "database_id": "groundwork-test-db",
    "cache_group_id": "groundwork-test-cache",
    "cache_nodes": 2,
    "nat_gateway_ids": ("nat-0a", "nat-0b"),
    "backup_plan_vault": "groundwork-test-vault",
    "certificate_arn": CERT,
    "load_balancer": True,
}


def plan_alarms(
    settings: dict[str, Any] | None = None, notifications: dict[str, Any] | None = None, **args: Any
) -> Graph:
    def body() -> None:
        if "chatbot_provider" in args:
            args["chatbot_provider"] = aws.Provider("chatbot", region=args["chatbot_provider"])
        Alarms(
            "alarms",
            AlarmsArgs(
                settings=AwsAlarmSettings.model_validate(settings or {}),
                notifications=Notifications.model_validate(notifications or {}),
                naming=Naming("groundwork", "test"),
                logs_key_arn=LOGS_KEY,
                **args,
            ),
        )

    return run_function(body, config={"aws:region": "eu-west-1"})


@pytest.fixture(scope="module")
def full() -> Graph:
    return plan_alarms(**EVERYTHING)


def alarms(g: Graph) -> dict[str, Resource]:
    return by_name(g, "aws:cloudwatch/metricAlarm:MetricAlarm")


def topics(g: Graph) -> dict[str, Resource]:
    return by_name(g, "aws:sns/topic:Topic")


def test_two_topics_encrypted_with_the_logs_key(full: Graph) -> None:
    """SEC-05: alarm notifications rest encrypted; CloudWatch may publish to them because the logs
    key's policy lets this account's alarms use it (SNS Developer Guide, "Encryption at rest")."""
    assert {n: t.props for n, t in topics(full).items()} == {
        "alarms-critical": {
            "name": "groundwork-test-alerts-critical",
            "kmsMasterKeyId": LOGS_KEY,
            "tags": {"Severity": "critical"},
        },
        "alarms-warning": {
            "name": "groundwork-test-alerts-warning",
            "kmsMasterKeyId": LOGS_KEY,
            "tags": {"Severity": "warning"},
        },
    }


def test_an_alarm_names_its_response_and_notifies_its_severity_both_ways(full: Graph) -> None:
    """Every alarm evaluates all its periods before it fires (datapoints = periods), and its topic
    hears both the alarm and the recovery."""
    cpu = alarms(full)["alarms-rds-cpu"]
    critical, warning = topics(full)["alarms-critical"], topics(full)["alarms-warning"]
    assert cpu.props == {
        "name": "groundwork-test-rds-cpu",
        "namespace": "AWS/RDS",
        "metricName": "CPUUtilization",
        "dimensions": {"DBInstanceIdentifier": "groundwork-test-db"},
        "statistic": "Average",
        "period": 300,
        "evaluationPeriods": 3,
        "datapointsToAlarm": 3,
        "comparisonOperator": "GreaterThanThreshold",
        "threshold": 80,
        "treatMissingData": "missing",
        "alarmDescription": "[warning] RDS CPU above rdsCpuPercent for 15 min. First response: "
        "Performance Insights top SQL; scale the instance class if the load is legitimate.",
        "alarmActions": [warning.outputs["arn"]],
        "okActions": [warning.outputs["arn"]],
        "tags": {"Severity": "warning"},
    }
    for a in alarms(full).values():
        severity = a.props["tags"]["Severity"]
        topic = critical if severity == "critical" else warning
        assert a.props["alarmActions"] == a.props["okActions"] == [topic.outputs["arn"]], a.name
        assert deps(a, "alarmActions") == [topic.urn], a.name
        assert (
            a.props["alarmDescription"].startswith(f"[{severity}] ")
            and "First response: " in a.props["alarmDescription"]
        ), a.name


def test_what_each_alarm_watches(full: Graph) -> None:
    """What each alarm is scoped to: an ElastiCache replication group's member clusters are
    `<group>-001`, `-002`... (ElastiCache User Guide, "Replication: cluster mode disabled"), NAT
    gateways by id, ACM by certificate ARN, AWS Backup by the plan's vault. That CloudWatch
    publishes the Backup job metrics under a BackupVaultName-only dimension set is not verified
    offline (AWS Backup Developer Guide, "Monitoring AWS Backup metrics with CloudWatch"); AWS's
    resilience-testing alarms use the same shape (aws-digito-artifacts-gameday,
    documents/backup/alarm/backup-jobs-failed/2020-12-06/Documents/AlarmTemplate.yml), but their
    test only waits for OK, never for a firing alarm. On a real account:
    `aws cloudwatch list-metrics --namespace AWS/Backup --metric-name NumberOfBackupJobsFailed`."""
    dims = {n.removeprefix("alarms-"): a.props.get("dimensions") for n, a in alarms(full).items()}
    assert dims == {
        "rds-cpu": {"DBInstanceIdentifier": "groundwork-test-db"},
        "rds-free-storage": {"DBInstanceIdentifier": "groundwork-test-db"},
        "rds-connections": {"DBInstanceIdentifier": "groundwork-test-db"},
        **{
            f"cache-{i}-{k}": {"CacheClusterId": f"groundwork-test-cache-00{i}"}
            for i in (1, 2)
            for k in ("memory", "cpu", "evictions")
        },
        **{
            f"nat-{i}-{k}": {"NatGatewayId": nat}
            for i, nat in enumerate(("nat-0a", "nat-0b"))
            for k in ("port-allocation", "packets-dropped")
        },
        "backup-jobs-failed": {"BackupVaultName": "groundwork-test-vault"},
        "backup-copies-failed": {"BackupVaultName": "groundwork-test-vault"},
        "certificate-expiry": {"CertificateArn": CERT},
        "alb-5xx": None,
    }
    assert full.one("groundwork:alarms:Alarms").outputs["alarms"] == len(dims) == 17


def test_thresholds_statistics_and_missing_data(full: Graph) -> None:
    """Free storage is compared in bytes (CloudWatch publishes FreeStorageSpace in bytes: RDS User
    Guide, "Amazon CloudWatch metrics for Amazon RDS"); a count (Sum) with no data means nothing
    happened, so it is not breaching; an average or a status with no data stays unknown."""
    got = {
        n.removeprefix("alarms-"): (
            a.props["comparisonOperator"],
            a.props["threshold"],
            a.props.get("statistic"),
            a.props.get("period"),
            a.props["evaluationPeriods"],
            a.props["treatMissingData"],
        )
        for n, a in alarms(full).items()
        if not n.startswith(("alarms-cache-2", "alarms-nat-1"))
    }
    gt, lt = "GreaterThanThreshold", "LessThanThreshold"
    assert got == {
        "rds-cpu": (gt, 80, "Average", 300, 3, "missing"),
        "rds-free-storage": (lt, 5 * 1024**3, "Average", 300, 1, "missing"),
        "rds-connections": (gt, 200, "Average", 300, 3, "missing"),
        "cache-1-memory": (gt, 85, "Average", 300, 3, "missing"),
        "cache-1-cpu": (gt, 80, "Average", 300, 3, "missing"),
        "cache-1-evictions": (gt, 1000, "Sum", 300, 1, "notBreaching"),
        "nat-0-port-allocation": (gt, 0, "Sum", 300, 1, "notBreaching"),
        "nat-0-packets-dropped": (gt, 100, "Sum", 300, 1, "notBreaching"),
        "backup-jobs-failed": (gt, 0, "Sum", 3600, 1, "notBreaching"),
        "backup-copies-failed": (gt, 0, "Sum", 3600, 1, "notBreaching"),
        "certificate-expiry": (lt, 30, "Minimum", 86400, 1, "missing"),
        "alb-5xx": (gt, 50, None, None, 1, "notBreaching"),
    }
    severities = {n.removeprefix("alarms-"): a.props["tags"]["Severity"] for n, a in alarms(full).items()}
    assert {n for n, s in severities.items() if s == "critical"} == {
        "rds-free-storage",
        "nat-0-port-allocation",
        "nat-1-port-allocation",
        "backup-jobs-failed",
        "backup-copies-failed",
    }


def test_thresholds_follow_the_settings() -> None:
    g = plan_alarms(
        settings={
            "rdsCpuPercent": 70,
            "rdsFreeStorageGiB": 2.5,
            "rdsConnections": 90,
            "cacheMemoryPercent": 60,
            "cacheCpuPercent": 65,
            "cacheEvictions": 7,
            "natPacketsDropped": 9,
            "alb5xx": 11,
            "certificateDays": 45,
        },
        **EVERYTHING,
    )
    thresholds = {n.removeprefix("alarms-"): a.props["threshold"] for n, a in alarms(g).items()}
    assert {k: thresholds[k] for k in ("rds-cpu", "rds-free-storage", "rds-connections")} == {
        "rds-cpu": 70,
        "rds-free-storage": 2.5 * 1024**3,
        "rds-connections": 90,
    }
    assert (thresholds["cache-2-memory"], thresholds["cache-2-cpu"], thresholds["cache-2-evictions"]) == (60, 65, 7)
    assert (thresholds["nat-1-packets-dropped"], thresholds["nat-1-port-allocation"]) == (9, 0)
    assert (thresholds["alb-5xx"], thresholds["certificate-expiry"]) == (11, 45)


def test_the_load_balancers_5xx_through_metrics_insights(full: Graph) -> None:
    """The ALB is created by the load balancer controller, so its name is unknown to the program:
    the alarm sums HTTPCode_ELB_5XX_Count over every ALB of the account and region with a Metrics
    Insights query (CloudWatch User Guide, "Create alarms on Metrics Insights queries"); the
    stack's account has exactly the one ALB of its IngressGroup."""
    alb = alarms(full)["alarms-alb-5xx"]
    assert alb.props["metricQueries"] == [
        {
            "id": "elb5xx",
            "expression": 'SELECT SUM(HTTPCode_ELB_5XX_Count) FROM SCHEMA("AWS/ApplicationELB", LoadBalancer)',
            "period": 300,
            "returnData": True,
        }
    ]
    assert not {"metricName", "namespace", "statistic", "dimensions"} & set(alb.props)
    assert alb.props["name"] == "groundwork-test-alb-5xx"
    assert alb.props["alarmDescription"].startswith("[warning] the ALB itself answers more than alb5xx")


def test_only_what_exists_is_watched() -> None:
    """No database, cache, gateway, plan, certificate or load balancer: the topics and no alarm."""
    g = plan_alarms()
    assert alarms(g) == {} and sorted(topics(g)) == ["alarms-critical", "alarms-warning"]
    assert g.one("groundwork:alarms:Alarms").outputs == {
        "topics": {
            "critical": topics(g)["alarms-critical"].outputs["arn"],
            "warning": topics(g)["alarms-warning"].outputs["arn"],
        },
        "alarms": 0,
    }
    empty_cert = plan_alarms(certificate_arn="", cache_group_id="groundwork-test-cache", cache_nodes=0)
    assert alarms(empty_cert) == {}
    # the node count is the caller's (groundwork:cache.nodes): left out, no node is watched
    assert alarms(plan_alarms(cache_group_id="groundwork-test-cache")) == {}


def test_a_nat_instance_pages_on_a_failed_status_check() -> None:
    """natMode instance: the private subnets' egress is one instance; two failed minutes page."""
    g = plan_alarms(nat_instance_id="i-0123")
    status = alarms(g)["alarms-nat-instance-status"]
    assert (status.props["namespace"], status.props["metricName"], status.props["dimensions"]) == (
        "AWS/EC2",
        "StatusCheckFailed",
        {"InstanceId": "i-0123"},
    )
    assert (status.props["statistic"], status.props["period"], status.props["evaluationPeriods"]) == ("Maximum", 60, 2)
    assert status.props["tags"] == {"Severity": "critical"} and status.props["treatMissingData"] == "missing"
    assert list(alarms(g)) == ["alarms-nat-instance-status"]


def test_chatbot_posts_both_topics_with_no_permissions() -> None:
    """AWS Chatbot needs a role it can assume; with the AWSDenyAll guardrail its channel can run
    nothing (AWS Chatbot Administrator Guide, "Understanding permissions": guardrail policies).
    The configuration goes to the provider of a region that has the Chatbot API."""
    g = plan_alarms(
        notifications={"awsChatbotSlackTeamId": "T0123ABCD", "awsChatbotSlackChannelId": "C0123ABCDE"},
        chatbot_provider="us-east-2",
    )
    role = by_name(g, "aws:iam/role:Role")["alarms-chatbot"]
    assert json.loads(role.props["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "chatbot.amazonaws.com"
    }
    assert role.props["description"] == "groundwork-test: AWS Chatbot posts alarm notifications (no permissions)"
    assert g.of_type("aws:iam/rolePolicy:RolePolicy") == []
    assert g.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") == []
    chatbot = g.one("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration")
    t = topics(g)
    assert {k: v for k, v in chatbot.props.items() if k != "iamRoleArn"} == {
        "configurationName": "groundwork-test-alarms",
        "slackTeamId": "T0123ABCD",
        "slackChannelId": "C0123ABCDE",
        "snsTopicArns": [t["alarms-critical"].outputs["arn"], t["alarms-warning"].outputs["arn"]],
        "guardrailPolicyArns": ["arn:aws:iam::aws:policy/AWSDenyAll"],
        "loggingLevel": "ERROR",
    }
    assert deps(chatbot, "iamRoleArn") == [role.urn]
    assert provider_region(g, chatbot) == "us-east-2"


def provider_region(g: Graph, r: Resource) -> str:
    return str(g.by_urn[r.provider_urn].props["region"])


@pytest.mark.parametrize(
    "notifications",
    [{"awsChatbotSlackTeamId": "T0123ABCD"}, {"awsChatbotSlackChannelId": "C0123ABCDE"}, {}],
)
def test_no_chatbot_without_both_ids(notifications: dict[str, Any]) -> None:
    g = plan_alarms(notifications=notifications)
    assert g.of_type("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration") == []
    assert g.of_type("aws:iam/role:Role") == []


def test_pagerduty_hears_the_critical_topic_through_a_secret_endpoint() -> None:
    """The PagerDuty CloudWatch integration URL carries its key: it is read from the operator's
    alerting secret and kept a Pulumi secret in the state; PagerDuty confirms the subscription
    itself (PagerDuty, "Amazon CloudWatch Integration Guide")."""
    g = plan_alarms(notifications={"pagerSnsSubscription": True}, alerting_secret_arn=SECRET)
    sub = g.one("aws:sns/topicSubscription:TopicSubscription")
    assert sub.name == "alarms-pager"
    assert sub.props == {
        "topic": topics(g)["alarms-critical"].outputs["arn"],
        "protocol": "https",
        "endpoint": "https://offline-plan.invalid/placeholder",
        "endpointAutoConfirms": True,
    }
    assert deps(sub, "topic") == [topics(g)["alarms-critical"].urn]
    assert secret_paths(sub.inputs) == ["endpoint"]
    [invoke] = [i for i in g.invokes if i["token"] == "aws:secretsmanager/getSecretVersion:getSecretVersion"]
    assert invoke["args"] == {"secretId": SECRET}


@pytest.mark.parametrize(("subscribe", "secret"), [(True, None), (False, SECRET)])
def test_no_pager_subscription_without_the_setting_and_the_secret(subscribe: bool, secret: str | None) -> None:
    g = plan_alarms(notifications={"pagerSnsSubscription": subscribe}, alerting_secret_arn=secret)
    assert g.of_type("aws:sns/topicSubscription:TopicSubscription") == []
    assert [i for i in g.invokes if "getSecretVersion" in i["token"]] == []


def test_every_resource_is_the_alarms_child(full: Graph) -> None:
    g = plan_alarms(
        notifications={
            "awsChatbotSlackTeamId": "T0123ABCD",
            "awsChatbotSlackChannelId": "C0123ABCDE",
            "pagerSnsSubscription": True,
        },
        alerting_secret_arn=SECRET,
        nat_instance_id="i-0123",
        chatbot_provider="us-east-2",
    )
    assert outside(g, "groundwork:alarms:Alarms") == [] and outside(full, "groundwork:alarms:Alarms") == []
