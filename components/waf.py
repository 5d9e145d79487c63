"""A WAFv2 web ACL with AWS managed rule groups, a per-IP rate limit and redacted logs.

The stack's ALB uses it with scope REGIONAL (components/ingress.py) and the frontend CDN with
scope CLOUDFRONT (components/edge.py). A CLOUDFRONT web ACL, and the log group it logs to, must
be created in us-east-1 (AWS WAF Developer Guide, "Web ACLs": "For CloudFront distributions, ...
you must specify the US East (N. Virginia) Region"; the caller passes resource options carrying
the us-east-1 provider). WAF only logs to a log group whose name starts with `aws-waf-logs-`
(WAF Developer Guide, "Sending web ACL traffic logs to an Amazon CloudWatch Logs log group").
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.options import kept

MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)
REDACTED_HEADERS = ("authorization", "cookie")


def web_acl(
    name: str,
    *,
    acl_name: str,
    log_group_name: str,
    description: str,
    scope: str,
    rate_limit: int,
    logs_key_arn: pulumi.Input[str],
    log_retention_days: int,
    protect: bool,
    parent: pulumi.Resource,
    provider: pulumi.ProviderResource | None = None,
) -> aws.wafv2.WebAcl:
    """The web ACL `<name>-waf`, its log group (`log_group_name`, starting `aws-waf-logs-`) and logging."""
    if not log_group_name.startswith("aws-waf-logs-"):
        raise ValueError(f"WAF logs only to log groups named aws-waf-logs-*, not {log_group_name}")
    child = pulumi.ResourceOptions(parent=parent, provider=provider)

    def visibility(metric: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgs:
        return aws.wafv2.WebAclRuleVisibilityConfigArgs(
            cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
        )

    rules = [
        aws.wafv2.WebAclRuleArgs(
            name=group,
            priority=i,
            override_action=aws.wafv2.WebAclRuleOverrideActionArgs(none=aws.wafv2.WebAclRuleOverrideActionNoneArgs()),
            statement=aws.wafv2.WebAclRuleStatementArgs(
                managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                    vendor_name="AWS", name=group
                )
            ),
            visibility_config=visibility(group),
        )
        for i, group in enumerate(MANAGED_RULE_GROUPS, start=1)
    ]
    rules.append(
        aws.wafv2.WebAclRuleArgs(
            name="rate-limit-per-ip",
            priority=len(MANAGED_RULE_GROUPS) + 1,
            action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
            statement=aws.wafv2.WebAclRuleStatementArgs(
                rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                    limit=rate_limit, aggregate_key_type="IP", evaluation_window_sec=300
                )
            ),
            visibility_config=visibility("rate-limit-per-ip"),
        )
    )
    acl = aws.wafv2.WebAcl(
        f"{name}-waf",
        name=acl_name,
        description=description,
        scope=scope,
        default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
        rules=rules,
        visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
            cloudwatch_metrics_enabled=True, metric_name=acl_name, sampled_requests_enabled=True
        ),
        opts=child,
    )
    logs = aws.cloudwatch.LogGroup(
        f"{name}-waf-logs",
        name=log_group_name,
        retention_in_days=log_retention_days,
        kms_key_id=logs_key_arn,
        opts=pulumi.ResourceOptions.merge(kept(parent, protect), pulumi.ResourceOptions(provider=provider)),
    )
    aws.wafv2.WebAclLoggingConfiguration(
        f"{name}-waf-logs",
        resource_arn=acl.arn,
        log_destination_configs=[logs.arn],
        redacted_fields=[
            aws.wafv2.WebAclLoggingConfigurationRedactedFieldArgs(
                single_header=aws.wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs(name=h)
            )
            for h in REDACTED_HEADERS
        ],
        opts=child,
    )
    return acl
