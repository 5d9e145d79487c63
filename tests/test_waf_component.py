"""The WAF web ACL builder on its own (groundwork.plan.run_function): managed rule groups in
order, the per-IP rate limit, the ACL's scope and provider, its kept log group and redacted
logging, without planning a stack (issue 18)."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.waf import MANAGED_RULE_GROUPS, REDACTED_HEADERS, web_acl
from groundwork.plan import PlanFailed
from groundwork.plan.graph import Graph
from groundwork.plan.runner import run_function
from tests.helpers import deps, outside

LOGS_KEY = "arn:aws:kms:us-east-1:111111111111:key/logs"


def plan_waf(provider_region: str | None = None, **overrides: Any) -> Graph:
    def body() -> None:
        holder = pulumi.ComponentResource("groundwork:test:Holder", "edge")
        provider = aws.Provider("us-east-1", region=provider_region) if provider_region else None
        web_acl(
            "edge",
            **{
                "acl_name": "groundwork-test-frontend",
                "log_group_name": "aws-waf-logs-groundwork-test-frontend",
                "description": "groundwork-test: frontend",
                "scope": "CLOUDFRONT",
                "rate_limit": 500,
                "logs_key_arn": LOGS_KEY,
                "log_retention_days": 90,
                "protect": True,
                "parent": holder,
                "provider": provider,
                **overrides,
            },
        )

    return run_function(body, config={"aws:region": "eu-west-1"})


@pytest.fixture(scope="module")
def cdn() -> Graph:
    return plan_waf(provider_region="us-east-1")


def visibility(metric: str) -> dict[str, Any]:
    return {"cloudwatchMetricsEnabled": True, "metricName": metric, "sampledRequestsEnabled": True}


def test_managed_rule_groups_first_then_the_rate_limit(cdn: Graph) -> None:
    """NET-10: AWS's IP reputation list, common rule set, known bad inputs and SQL injection
    groups, each with its own action (override none: the groups block what they match); then a
    rate-based rule that blocks an IP above the limit in a 5-minute window (AWS WAF Developer
    Guide, "Rate-based rule statement": evaluation windows of 60, 120, 300 or 600 seconds)."""
    acl = cdn.one("aws:wafv2/webAcl:WebAcl")
    assert MANAGED_RULE_GROUPS == (
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesSQLiRuleSet",
    )
    assert acl.props["rules"] == [
        *[
            {
                "name": group,
                "priority": i,
                "overrideAction": {"none": {}},
                "statement": {"managedRuleGroupStatement": {"vendorName": "AWS", "name": group}},
                "visibilityConfig": visibility(group),
            }
            for i, group in enumerate(MANAGED_RULE_GROUPS, start=1)
        ],
        {
            "name": "rate-limit-per-ip",
            "priority": 5,
            "action": {"block": {}},
            "statement": {"rateBasedStatement": {"limit": 500, "aggregateKeyType": "IP", "evaluationWindowSec": 300}},
            "visibilityConfig": visibility("rate-limit-per-ip"),
        },
    ]


def test_the_acl_allows_what_no_rule_blocks_in_its_scope(cdn: Graph) -> None:
    """A CLOUDFRONT web ACL is created in us-east-1 (AWS WAF Developer Guide, "Web ACLs"): the
    ACL, its log group and its logging all go to the provider the caller passes."""
    acl = cdn.one("aws:wafv2/webAcl:WebAcl")
    assert {k: v for k, v in acl.props.items() if k != "rules"} == {
        "name": "groundwork-test-frontend",
        "description": "groundwork-test: frontend",
        "scope": "CLOUDFRONT",
        "defaultAction": {"allow": {}},
        "visibilityConfig": visibility("groundwork-test-frontend"),
    }
    assert acl.name == "edge-waf"
    east = cdn.one("pulumi:providers:aws").urn
    for type_ in (
        "aws:wafv2/webAcl:WebAcl",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
    ):
        assert cdn.one(type_).provider_urn == east, type_
    regional = plan_waf(scope="REGIONAL")
    assert regional.one("aws:wafv2/webAcl:WebAcl").props["scope"] == "REGIONAL"
    assert regional.of_type("pulumi:providers:aws") == []


def test_logs_to_a_kept_encrypted_group_with_credentials_redacted(cdn: Graph) -> None:
    """WAF logs only to a group named aws-waf-logs-* (AWS WAF Developer Guide, "Sending web ACL
    traffic logs to an Amazon CloudWatch Logs log group"); Authorization and Cookie headers are
    redacted from the logs (SEC-05: no credentials in logs)."""
    group = cdn.one("aws:cloudwatch/logGroup:LogGroup")
    assert group.name == "edge-waf-logs"
    assert group.props == {
        "name": "aws-waf-logs-groundwork-test-frontend",
        "retentionInDays": 90,
        "kmsKeyId": LOGS_KEY,
    }
    assert group.options.get("protect") is True and group.options.get("retainOnDelete") is True
    logging = cdn.one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    acl = cdn.one("aws:wafv2/webAcl:WebAcl")
    assert logging.name == "edge-waf-logs"
    assert REDACTED_HEADERS == ("authorization", "cookie")
    assert logging.props == {
        "resourceArn": acl.outputs["arn"],
        "logDestinationConfigs": [group.outputs["arn"]],
        "redactedFields": [{"singleHeader": {"name": "authorization"}}, {"singleHeader": {"name": "cookie"}}],
    }
    assert deps(logging, "resourceArn") == [acl.urn]
    assert deps(logging, "logDestinationConfigs") == [group.urn]


def test_an_unprotected_stack_may_delete_the_group() -> None:
    group = plan_waf(protect=False).one("aws:cloudwatch/logGroup:LogGroup")
    assert not group.options.get("protect") and not group.options.get("retainOnDelete")


def test_a_group_waf_cannot_log_to_is_refused() -> None:
    with pytest.raises(PlanFailed, match="WAF logs only to log groups named aws-waf-logs-\\*, not /groundwork/waf"):
        plan_waf(log_group_name="/groundwork/waf")


def test_everything_sits_under_the_callers_component(cdn: Graph) -> None:
    assert outside(cdn, "groundwork:test:Holder") == []
