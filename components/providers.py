"""Explicit AWS providers for the stack's region and its DR region.

Every component receives these through `ResourceOptions(providers=...)`, so every AWS
resource carries the provider's default tags (GOV-01) and, when `groundwork:accountId` is
set, can only ever be deployed to that account.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from groundwork import regions


@dataclass(frozen=True)
class AwsProvidersArgs:
    region: str
    dr_region: str
    tags: dict[str, str]
    account_id: str | None = None


@dataclass(frozen=True)
class AwsProviders:
    primary: aws.Provider
    dr: aws.Provider
    # AWS Chatbot's API exists in four regions only (groundwork.regions): its configuration is
    # created through this provider, the primary one where the stack's region has Chatbot
    chatbot: aws.Provider
    # CloudFront's certificates and WAF, DNSSEC signing keys and Route 53 query logs live in
    # us-east-1 whatever the stack's region (components/edge.py): the primary provider there
    us_east_1: aws.Provider


def aws_providers(name: str, args: AwsProvidersArgs) -> AwsProviders:
    """The primary-region and DR-region providers (top-level resources: providers have no parent component)."""

    def provider(suffix: str, region: str) -> aws.Provider:
        return aws.Provider(
            f"{name}-{suffix}",
            region=region,
            default_tags=aws.ProviderDefaultTagsArgs(tags=args.tags),
            allowed_account_ids=[args.account_id] if args.account_id else None,
        )

    primary = provider("primary", args.region)
    chatbot_region = regions.chatbot_region(args.region)
    chatbot = primary if chatbot_region == args.region else provider("chatbot", chatbot_region)
    us_east_1 = primary if args.region == "us-east-1" else provider("us-east-1", "us-east-1")
    return AwsProviders(primary=primary, dr=provider("dr", args.dr_region), chatbot=chatbot, us_east_1=us_east_1)


def account_and_partition(parent: pulumi.Resource) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
    """The account ID and partition the parent's AWS provider deploys to."""
    opts = pulumi.InvokeOutputOptions(parent=parent)
    return (
        aws.get_caller_identity_output(opts=opts).account_id,
        aws.get_partition_output(opts=opts).partition,
    )
