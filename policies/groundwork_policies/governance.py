"""Governance controls GOV-01..GOV-03: tags, protection of stateful resources, physical names."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .core import REGISTRY, PackContext, Resource, unknown

MANDATORY_TAGS = ("Environment", "Project", "Owner", "CostCenter", "ManagedBy")
# AWS types without a tags property (attachments, associations, split configurations).
UNTAGGABLE = (
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:ec2/route:Route",
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:kms/alias:Alias",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:eks/addon:Addon",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy",
    "aws:ecr/repositoryPolicy:RepositoryPolicy",
    "aws:backup/selection:Selection",
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
    "aws:secretsmanager/secretVersion:SecretVersion",
    "aws:secretsmanager/secretRotation:SecretRotation",
    "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup",
    "aws:rds/proxyTarget:ProxyTarget",
    "aws:wafv2/webAclAssociation:WebAclAssociation",
    "aws:sns/topicSubscription:TopicSubscription",
    "aws:sns/topicPolicy:TopicPolicy",
    "aws:eks/podIdentityAssociation:PodIdentityAssociation",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
    "aws:iam/serviceLinkedRole:ServiceLinkedRole",
)
STATEFUL = (
    "aws:kms/key:Key",
    "aws:rds/instance:Instance",
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:s3/bucket:Bucket",
    "eks:index:Cluster",
    "aws:eks/cluster:Cluster",
    "aws:backup/vault:Vault",
    "aws:ecr/repository:Repository",  # the images every deployment and a DR rebuild pull
    # what an audit or a recovery needs after the fact: credentials, and the logs (flow logs,
    # control-plane audit, database, WAF) that show what happened
    "aws:secretsmanager/secret:Secret",
    "aws:cloudwatch/logGroup:LogGroup",
)
# Names unique only inside their parent (a plan, a role): they cannot collide across stacks.
SCOPED_NAMES = (
    "aws:backup/selection:Selection",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:eks/addon:Addon",
    "aws:eks/accessEntry:AccessEntry",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    # DNS names are what they name (a zone is its domain, a record its host name) and a
    # key-signing key's name is unique within its zone and takes no hyphen (Route 53 API
    # Reference, CreateKeySigningKey): the zone, not the stack prefix, keeps stacks apart
    "aws:route53/zone:Zone",
    "aws:route53/record:Record",
    "aws:route53/keySigningKey:KeySigningKey",
)
NAME_PROPS = {
    "aws:s3/bucket:Bucket": "bucket",
    "aws:rds/instance:Instance": "identifier",
    "aws:elasticache/replicationGroup:ReplicationGroup": "replicationGroupId",
    "aws:eks/nodeGroup:NodeGroup": "nodeGroupNamePrefix",
    "aws:ec2/launchTemplate:LaunchTemplate": "namePrefix",
}


def _default_tags(provider: Any) -> dict[str, str]:
    if provider is None:
        return {}
    raw = provider.peek("defaultTags")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return {}
    tags = raw.get("tags") if isinstance(raw, dict) else None
    return tags if isinstance(tags, dict) else {}


@REGISTRY.resource(
    "aws-resource-require-mandatory-tags",
    controls="GOV-01",
    types="aws:*",
    severity="medium",
    description="Every AWS resource carries Environment, Project, Owner, CostCenter and ManagedBy=pulumi (provider default tags count).",
    remediation="Deploy through Groundwork's AWS providers, whose default tags set them; do not override them with empty values.",
)
def mandatory_tags(r: Resource, ctx: PackContext) -> Iterator[str]:
    if r.type in UNTAGGABLE:
        return
    tags = dict(_default_tags(r.provider))
    own = r.props.peek("tags")
    if unknown(own):
        return
    if isinstance(own, dict):
        tags.update({k: v for k, v in own.items() if v is not None})
    missing = [t for t in MANDATORY_TAGS if not tags.get(t)]
    if missing:
        yield f"tags missing: {', '.join(missing)}"
    elif tags.get("ManagedBy") != "pulumi":
        yield f"ManagedBy is {tags.get('ManagedBy')!r}, not 'pulumi'"


@REGISTRY.resource(
    "aws-stateful-resource-require-protect",
    controls="GOV-02",
    types=STATEFUL,
    severity="high",
    tier="prod",
    description="Stateful and audit resources (keys, clusters, databases, caches, buckets, vaults, ECR "
    "repositories, secrets, log groups) are protected: Pulumi refuses to delete or replace them unless a person unprotects one on purpose.",
    remediation="Keep groundwork:protect true; to replace one deliberately run `pulumi state unprotect <urn>` first.",
)
def protect(r: Resource, ctx: PackContext) -> Iterator[str]:
    if not r.protect:
        yield "the resource is not protected"


@REGISTRY.resource(
    "aws-resource-name-derived-from-stack",
    controls="GOV-03",
    types="aws:*",
    severity="medium",
    description="Explicit physical names start from <project>-<stack>, so two stacks in one account never collide.",
    remediation="Derive names with groundwork.naming.Naming (or leave them to Pulumi's auto-naming).",
)
def derived_names(r: Resource, ctx: PackContext) -> Iterator[str]:
    if not ctx.stack or r.type in SCOPED_NAMES:
        return
    prop = NAME_PROPS.get(r.type, "name")
    name = r.props.peek(prop)
    if not isinstance(name, str) or unknown(name) or not name:
        return
    prefix = ctx.name_prefix
    if prefix not in name and f"{ctx.project}/{ctx.stack}/" not in name:
        yield f"{prop} {name!r} does not start from {prefix}"
