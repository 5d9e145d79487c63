"""What changing a setting does to a live stack (pure data; docs/settings.md prints it).

Each entry: the setting's path as a stack file writes it (`section.key`, `list[].key`), a
verdict and what happens. Verdicts:

- `safe`: created, updated in place, or replaced where nothing holds data and the replacement
  comes up first; no stateful resource is replaced or deleted.
- `guarded`: replaces or deletes a stateful resource; `groundwork guard` blocks it in prod
  until an allowance says why (docs/living-with-a-stack.md, "Replacing safely").
- `rebuild`: the stack cannot change this in place: rebuild it (a new stack, or `groundwork dr
  plan` for another region).

`evidence` names the change-matrix case (tests/test_change_matrix.py) or the provider rule
behind the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

VERDICTS = ("safe", "guarded", "rebuild")


@dataclass(frozen=True)
class Live:
    setting: str
    verdict: str
    effect: str
    evidence: str


LIVE: tuple[Live, ...] = (
    Live(
        "environment", "safe", "changes which controls are mandatory and the tier defaults; review the plan", "settings"
    ),
    Live(
        "region",
        "rebuild",
        "every resource lives in the region; build the stack elsewhere with `groundwork dr plan`",
        "provider region",
    ),
    Live(
        "drRegion",
        "guarded",
        "moves the DR keys, replica bucket and DR vault: new ones are created, the old deleted",
        "provider region",
    ),
    Live("owner", "safe", "tags are updated in place", "tags"),
    Live("tags", "safe", "tags are updated in place", "tags"),
    Live("protect", "safe", "resource options only; prod refuses false (GOV-02)", "settings"),
    Live(
        "inCluster",
        "guarded",
        "false deletes the whole in-cluster layer: only for a first deployment",
        "docs/delivery.md",
    ),
    Live(
        "network.cidr",
        "rebuild",
        "a VPC's CIDR block cannot change: the VPC and everything in it would be replaced",
        "ForceNew cidrBlock",
    ),
    Live(
        "network.azCount",
        "safe",
        "raising it adds subnets in fixed slots; the node groups get new subnets by replacement (the new group first); lowering it deletes the last AZ's subnets, which fails while the database, cache or nodes use them",
        "matrix add-an-az",
    ),
    Live(
        "network.availabilityZones",
        "guarded",
        "appending a zone is like raising azCount; changing a listed zone replaces its subnets",
        "ForceNew availabilityZone",
    ),
    Live(
        "network.natMode",
        "safe",
        "NAT gateways or the NAT instance are added or removed and private routes updated in place (egress pauses briefly)",
        "routes",
    ),
    Live("network.interfaceEndpoints", "safe", "endpoints are created or deleted", "endpoints"),
    Live(
        "network.privateSubnetPrefix",
        "rebuild",
        "moves every subnet of the tier (a subnet's CIDR cannot change)",
        "ForceNew cidrBlock",
    ),
    Live("network.publicSubnetPrefix", "rebuild", "moves every subnet of the tier", "ForceNew cidrBlock"),
    Live(
        "network.databaseSubnetPrefix",
        "rebuild",
        "moves every database subnet, which the database and cache occupy",
        "ForceNew cidrBlock",
    ),
    Live("network.flowLogRetentionDays", "safe", "log group updated in place", "logs"),
    Live(
        "cluster.version",
        "safe",
        "in-place control-plane upgrade, one minor version at a time (EKS), add-ons follow the catalog",
        "EKS",
    ),
    Live("cluster.nodeGroups[].minSize", "safe", "updated in place", "matrix node-counts"),
    Live("cluster.nodeGroups[].maxSize", "safe", "updated in place", "matrix node-counts"),
    Live(
        "cluster.nodeGroups[].desiredSize",
        "safe",
        "updated in place; no autoscaler is installed, so the stack file owns the count (a manual scale is undone)",
        "component",
    ),
    Live(
        "cluster.nodeGroups[].instanceTypes",
        "safe",
        "replaces the node group: the new group (name prefix) comes up before the old one is deleted",
        "matrix node-size",
    ),
    Live("cluster.nodeGroups[].name", "safe", "a new node group is created and the old one deleted", "URN"),
    Live("cluster.endpointPublicAccess", "safe", "updated in place", "EKS"),
    Live("cluster.publicAccessCidrs", "safe", "updated in place", "EKS"),
    Live("cluster.adminRoleArns", "safe", "access entries are created or deleted", "access entries"),
    Live("cluster.viewerRoleArns", "safe", "access entries are created or deleted", "access entries"),
    Live(
        "database.instanceClass",
        "safe",
        "modified in place, in the maintenance window unless applyImmediately (Multi-AZ fails over)",
        "matrix instance-classes",
    ),
    Live(
        "database.engineVersion",
        "safe",
        "one major version at a time: a parameter group of the new family comes first, then the instance upgrades (minor versions are applied by RDS)",
        "matrix engine-major",
    ),
    Live("database.multiAz", "safe", "modified in place", "RDS"),
    Live("database.allocatedStorageGiB", "safe", "can only grow (RDS cannot shrink storage)", "RDS"),
    Live(
        "database.restore",
        "guarded",
        "replaces the database with the restored one (snapshotIdentifier and restoreToPointInTime force a new instance)",
        "ForceNew snapshotIdentifier",
    ),
    Live("cache.nodeType", "safe", "modified in place", "matrix instance-classes"),
    Live("cache.engineVersion", "safe", "modified in place", "matrix engine-minor"),
    Live("cache.nodes", "safe", "replicas are added or removed", "ElastiCache"),
    Live("secrets.rotationDays", "safe", "rotation schedules updated in place", "matrix rotation-period"),
    Live(
        "services[].secrets[].generation",
        "safe",
        "a new value in the same secret (same name and ARN)",
        "matrix rotate-app-secret",
    ),
    Live(
        "backups.objectLockMode",
        "safe",
        "only the default retention changes: the buckets are created with Object Lock",
        "ForceNew objectLockEnabled",
    ),
    Live("backups.replicateToDr", "guarded", "turning it off deletes the replica bucket", "bucket"),
    Live("ingress.waf", "safe", "the web ACL and its log group are created or deleted", "matrix ingress-waf"),
    Live("ingress.host", "safe", "the Ingress is updated in place", "Ingress"),
    Live("observability.awsAlarms", "safe", "alarms and their topics are created or deleted", "matrix alarms"),
    Live(
        "services",
        "guarded",
        "adding a service creates its resources; removing one deletes its ECR repository and secrets, which the guard blocks in prod",
        "matrix add-a-service, remove-a-service",
    ),
    Live("exemptions", "safe", "policy results only: no resource changes", "matrix exemption"),
    Live("allowances", "safe", "read by `groundwork guard` only", "guard"),
)


def resolve(path: str) -> bool:
    """Whether `path` names a setting of the stack settings model."""
    from typing import get_args

    from pydantic import BaseModel

    from groundwork.settings.model import StackSettings

    model: type[BaseModel] | None = StackSettings
    for part in path.split("."):
        name = part.removesuffix("[]")
        if model is None:
            return False
        field = next((f for n, f in model.model_fields.items() if (f.alias or n) == name or n == name), None)
        if field is None:
            return False
        candidates = [field.annotation, *get_args(field.annotation)]
        candidates += [a for c in list(candidates) for a in get_args(c)]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
    return True
