"""Cache controls CACHE-01..CACHE-05 on ElastiCache (Redis/Valkey) replication groups."""

from __future__ import annotations

from collections.abc import Iterator

from .core import REGISTRY, PackContext, Resource, num, unknown

REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
CACHE_CLUSTER = "aws:elasticache/cluster:Cluster"
SERVERLESS = "aws:elasticache/serverlessCache:ServerlessCache"


def _nodes(r: Resource) -> float:
    clusters = r.props.number("numCacheClusters")
    if clusters is not None:
        return clusters
    replicas = r.props.number("replicasPerNodeGroup", 0) or 0
    return 1 + replicas


@REGISTRY.resource(
    "aws-elasticache-require-replication-group",
    controls="CACHE-01",
    types=CACHE_CLUSTER,
    severity="high",
    description="Caches are replication groups (failover, encryption); single cache clusters are not used.",
    remediation="Use the Cache component (aws.elasticache.ReplicationGroup).",
)
def no_single_cluster(r: Resource, ctx: PackContext) -> Iterator[str]:
    if not r.props.has("replicationGroupId"):
        yield "a standalone cache cluster has no failover and no transit encryption with AUTH"


@REGISTRY.resource(
    "aws-elasticache-require-multi-az-failover",
    controls="CACHE-01",
    types=REPLICATION_GROUP,
    severity="high",
    tier="stg+",
    description="Replication groups have at least 2 nodes, automatic failover and Multi-AZ.",
    remediation="groundwork:cache.nodes >= 2 (automatic failover and Multi-AZ follow).",
)
def failover(r: Resource, ctx: PackContext) -> Iterator[str]:
    if _nodes(r) < 2:
        yield f"{num(_nodes(r))} node(s); at least 2"
    if r.props.flag("automaticFailoverEnabled") is not True:
        yield "automaticFailoverEnabled is not true"
    if r.props.flag("multiAzEnabled") is not True:
        yield "multiAzEnabled is not true"


@REGISTRY.resource(
    "aws-elasticache-require-cmk-at-rest",
    controls="CACHE-02",
    types=(REPLICATION_GROUP, SERVERLESS),
    severity="critical",
    description="Cache data at rest is encrypted with a customer-managed KMS key.",
    remediation="atRestEncryptionEnabled true and kmsKeyId set to the stack's data key.",
)
def at_rest(r: Resource, ctx: PackContext) -> Iterator[str]:
    if r.type == REPLICATION_GROUP and r.props.flag("atRestEncryptionEnabled") is not True:
        yield "atRestEncryptionEnabled is not true"
    if not r.props.has("kmsKeyId"):
        yield "no customer-managed kmsKeyId"


@REGISTRY.resource(
    "aws-elasticache-require-tls-and-auth",
    controls=("CACHE-03", "SEC-01"),
    types=REPLICATION_GROUP,
    severity="critical",
    description="Cache connections require TLS and authenticate (AUTH token or RBAC user group).",
    remediation="transitEncryptionEnabled true, transitEncryptionMode required, and an authToken from Secrets Manager (or userGroupIds).",
)
def tls_auth(r: Resource, ctx: PackContext) -> Iterator[str]:
    if r.props.flag("transitEncryptionEnabled") is not True:
        yield "transitEncryptionEnabled is not true"
    mode = r.props.get("transitEncryptionMode")
    if mode not in (None, "required") and not unknown(mode):
        yield f"transitEncryptionMode is {mode!r}, not required"
    if not r.props.has("authToken") and not r.props.has("userGroupIds"):
        yield "no AUTH token and no RBAC user group"


@REGISTRY.resource(
    "aws-elasticache-require-snapshots",
    controls="CACHE-04",
    types=REPLICATION_GROUP,
    severity="medium",
    description="Snapshots are kept at least 1 day and a final snapshot is taken on delete.",
    remediation="groundwork:cache.snapshotRetentionDays >= 1; finalSnapshotIdentifier set.",
)
def snapshots(r: Resource, ctx: PackContext) -> Iterator[str]:
    days = r.props.number("snapshotRetentionLimit", 0)
    if not days or days < 1:
        yield f"snapshotRetentionLimit is {num(days)} days (at least 1)"
    if not r.props.has("finalSnapshotIdentifier"):
        yield "no finalSnapshotIdentifier"


@REGISTRY.resource(
    "aws-elasticache-require-7-day-snapshots",
    controls="CACHE-04",
    types=REPLICATION_GROUP,
    severity="medium",
    tier="prod",
    description="Snapshots are kept at least 7 days.",
    remediation="Set groundwork:cache.snapshotRetentionDays to 7 or more.",
)
def snapshots_prod(r: Resource, ctx: PackContext) -> Iterator[str]:
    days = r.props.number("snapshotRetentionLimit", 0) or 0
    if days < 7:
        yield f"snapshotRetentionLimit is {num(days)} days (at least 7)"


@REGISTRY.resource(
    "aws-elasticache-require-own-network",
    controls="CACHE-05",
    types=REPLICATION_GROUP,
    severity="high",
    description="A cache has its own subnet group and security groups.",
    remediation="Pass the Cache component's subnet group (database subnets) and security group.",
)
def own_network(r: Resource, ctx: PackContext) -> Iterator[str]:
    if not r.props.has("subnetGroupName"):
        yield "no subnetGroupName"
    if not r.props.has("securityGroupIds"):
        yield "no securityGroupIds (the VPC default group would apply)"
