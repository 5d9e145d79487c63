"""What a change to a live stack does to each resource (pure; no resources).

Two sources of steps, one shape (`Change`):

- **Offline** (`diff`): the recorded graph of the base and of the head of the same stack. A
  resource in head only is created, in base only deleted (unless a head resource carries an
  alias to it); in both it is the same, updated or replaced. Replaced means a changed input
  that the provider cannot update in place (`FORCE_NEW` below, or the resource's own
  `replaceOnChanges`), or an input that depends on a resource being replaced: its new ID or ARN
  is unknown until the replacement exists, exactly as the engine sees it.
- **Real** (`from_preview`): the steps of `pulumi preview --json` (pulumi/pulumi
  pkg/display/json.go, `previewDigest.steps[]`: `op`, `urn`, `oldState`/`newState` with their
  `type`, `diffReasons`, `replaceReasons`). A replacement appears as `replace`,
  `create-replacement` and `delete-replaced` steps of one URN; a deletion as `delete`, or as
  `discard` when the resource only leaves the state.

`FORCE_NEW` lists, per type, the input properties whose change forces a new resource, from the
ForceNew attributes of the Terraform provider that pulumi-aws bridges (pulumi-aws 7.x), written
as Pulumi property names, with the source file of each. Types not listed are judged by their
inputs only (changed → update), so a missing entry understates a replacement: the entries cover
every stateful type (`STATEFUL`) and the network pieces a day-2 change touches.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from groundwork.plan.graph import Graph, Resource

TF = "hashicorp/terraform-provider-aws"

# Stateful resources: replacing or deleting one loses data or breaks every client that holds its
# identity (GOV-02). Labels are what the guard's report calls them.
STATEFUL: dict[str, str] = {
    "aws:rds/instance:Instance": "database",
    "aws:elasticache/replicationGroup:ReplicationGroup": "cache",
    "aws:s3/bucket:Bucket": "bucket",
    "aws:s3/bucketV2:BucketV2": "bucket",
    "aws:kms/key:Key": "KMS key",
    "aws:kms/replicaKey:ReplicaKey": "KMS key",
    "aws:backup/vault:Vault": "backup vault",
    "aws:secretsmanager/secret:Secret": "secret",
    "aws:cloudwatch/logGroup:LogGroup": "log group",
    "aws:ecr/repository:Repository": "ECR repository",
    "aws:eks/cluster:Cluster": "EKS cluster",
}


@dataclass(frozen=True)
class ForceNew:
    props: tuple[str, ...]  # Pulumi input names; "a.b" is a nested field of input "a"
    source: str  # file in hashicorp/terraform-provider-aws whose schema marks them ForceNew


FORCE_NEW: dict[str, ForceNew] = {
    "aws:rds/instance:Instance": ForceNew(
        (
            "identifier",
            "identifierPrefix",
            "engine",
            "kmsKeyId",
            "storageEncrypted",
            "username",
            "dbName",
            "availabilityZone",
            "characterSetName",
            "ncharCharacterSetName",
            "timezone",
            "snapshotIdentifier",
            "restoreToPointInTime",
            "customIamInstanceProfile",
        ),
        # engine_version, instance_class, allocated_storage, db_subnet_group_name, parameter_group_name,
        # multi_az and vpc_security_group_ids are not ForceNew: RDS modifies them in place
        f"{TF} internal/service/rds/instance.go (stored commit 00e4b238)",
    ),
    "aws:elasticache/replicationGroup:ReplicationGroup": ForceNew(
        (
            "replicationGroupId",
            "atRestEncryptionEnabled",
            "kmsKeyId",
            "subnetGroupName",
            "port",
            "snapshotArns",
            "snapshotName",
            "dataTieringEnabled",
        ),
        f"{TF} internal/service/elasticache/replication_group.go",
    ),
    "aws:s3/bucket:Bucket": ForceNew(
        ("bucket", "bucketPrefix", "objectLockEnabled"), f"{TF} internal/service/s3/bucket.go"
    ),
    "aws:s3/bucketV2:BucketV2": ForceNew(
        ("bucket", "bucketPrefix", "objectLockEnabled"), f"{TF} internal/service/s3/bucket.go"
    ),
    "aws:kms/key:Key": ForceNew(
        ("customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"),
        f"{TF} internal/service/kms/key.go",
    ),
    "aws:kms/replicaKey:ReplicaKey": ForceNew(("primaryKeyArn",), f"{TF} internal/service/kms/replica_key.go"),
    "aws:backup/vault:Vault": ForceNew(("name", "kmsKeyArn"), f"{TF} internal/service/backup/vault.go"),
    "aws:secretsmanager/secret:Secret": ForceNew(
        ("name", "namePrefix"), f"{TF} internal/service/secretsmanager/secret.go"
    ),
    "aws:cloudwatch/logGroup:LogGroup": ForceNew(
        ("name", "namePrefix", "logGroupClass"), f"{TF} internal/service/logs/group.go"
    ),
    "aws:ecr/repository:Repository": ForceNew(
        ("name", "encryptionConfigurations"), f"{TF} internal/service/ecr/repository.go"
    ),
    "aws:eks/cluster:Cluster": ForceNew(
        (
            "name",
            "roleArn",
            "kubernetesNetworkConfig",
            "outpostConfig",
            "bootstrapSelfManagedAddons",
            "accessConfig.bootstrapClusterCreatorAdminPermissions",
        ),
        # vpcConfig.subnetIds and securityGroupIds update in place since provider v5.25.0
        # (CHANGELOG: "Allow vpc_config.security_group_ids and vpc_config.subnet_ids to be updated in-place")
        f"{TF} internal/service/eks/cluster.go",
    ),
    # the network a day-2 change touches
    "aws:ec2/vpc:Vpc": ForceNew(("cidrBlock", "instanceTenancy"), f"{TF} internal/service/ec2/vpc_.go"),
    "aws:ec2/subnet:Subnet": ForceNew(
        ("vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId"), f"{TF} internal/service/ec2/vpc_subnet.go"
    ),
    "aws:ec2/natGateway:NatGateway": ForceNew(
        ("allocationId", "subnetId", "connectivityType"), f"{TF} internal/service/ec2/vpc_nat_gateway.go"
    ),
    "aws:ec2/securityGroup:SecurityGroup": ForceNew(
        ("name", "namePrefix", "description", "vpcId"), f"{TF} internal/service/ec2/vpc_security_group.go"
    ),
    "aws:rds/subnetGroup:SubnetGroup": ForceNew(("name", "namePrefix"), f"{TF} internal/service/rds/subnet_group.go"),
    "aws:rds/parameterGroup:ParameterGroup": ForceNew(
        ("name", "namePrefix", "family"), f"{TF} internal/service/rds/parameter_group.go"
    ),
    "aws:elasticache/subnetGroup:SubnetGroup": ForceNew(
        ("name",), f"{TF} internal/service/elasticache/subnet_group.go"
    ),
    "aws:elasticache/parameterGroup:ParameterGroup": ForceNew(
        ("name", "family"), f"{TF} internal/service/elasticache/parameter_group.go"
    ),
    "aws:eks/nodeGroup:NodeGroup": ForceNew(
        (
            "clusterName",
            "nodeGroupName",
            "nodeGroupNamePrefix",
            "nodeRoleArn",
            "subnetIds",
            "amiType",
            "capacityType",
            "diskSize",
            "instanceTypes",
            "remoteAccess",
        ),
        f"{TF} internal/service/eks/node_group.go",
    ),
    "aws:iam/role:Role": ForceNew(("name", "namePrefix"), f"{TF} internal/service/iam/role.go"),
    "aws:secretsmanager/secretVersion:SecretVersion": ForceNew(
        ("secretId", "secretString", "secretBinary"), f"{TF} internal/service/secretsmanager/secret_version.go"
    ),
    # every attribute of the random resources requires replacement (a new value)
    "random:index/randomPassword:RandomPassword": ForceNew(
        ("*",), "hashicorp/terraform-provider-random internal/provider/resource_password.go"
    ),
    "random:index/randomId:RandomId": ForceNew(
        ("*",), "hashicorp/terraform-provider-random internal/provider/resource_id.go"
    ),
}

# Every Kubernetes object is replaced when its name or namespace changes: pulumi/pulumi-kubernetes
# provider/pkg/provider/forcenew.go (`metadataForceNewProperties(".metadata")` for every kind, plus
# per-kind fields such as a StorageClass's provisioner and parameters).
KUBERNETES_FORCE_NEW = ForceNew(
    ("metadata.name", "metadata.namespace"), "pulumi/pulumi-kubernetes provider/pkg/provider/forcenew.go"
)
FORCE_NEW_BY_KIND: dict[str, tuple[str, ...]] = {
    "kubernetes:storage.k8s.io/v1:StorageClass": ("provisioner", "parameters"),
}

OPS = ("create", "update", "replace", "delete")


@dataclass(frozen=True)
class Change:
    urn: str
    type: str
    name: str
    op: str  # create | update | replace | delete
    keys: tuple[str, ...] = ()  # the inputs that differ (update, replace)
    replace_keys: tuple[str, ...] = ()  # the inputs that force the replacement

    @property
    def stateful(self) -> str | None:
        return STATEFUL.get(self.type)


@dataclass
class Changes:
    steps: list[Change] = field(default_factory=list)

    def of(self, op: str) -> list[Change]:
        return [c for c in self.steps if c.op == op]

    def summary(self) -> dict[str, int]:
        return {op: len(self.of(op)) for op in OPS}

    def names(self, op: str) -> set[str]:
        return {c.name for c in self.of(op)}


# --------------------------------------------------------------------------------------------- offline


def alias_urns(graph: Graph, r: Resource) -> set[str]:
    """The URNs a resource's aliases stand for (alias specs as the SDK sends them, or URNs)."""
    out: set[str] = set(r.options.get("aliases", []))
    for a in r.options.get("aliasSpecs", []):
        if "urn" in a:
            out.add(a["urn"])
            continue
        spec = a.get("spec", {})
        name = spec.get("name") or r.name
        type_ = spec.get("type") or r.type
        project = spec.get("project") or graph.project
        stack = spec.get("stack") or graph.stack
        parent = None if spec.get("noParent") else spec.get("parentUrn") or r.parent
        # the URN scheme of the recorded graph (the SDK's mock monitor: parent's own type, then this one)
        chain = f"{_qualified_type(parent).split('$')[-1]}${type_}" if parent else type_
        out.add(f"urn:pulumi:{stack}::{project}::{chain}::{name}")
    return out


def _qualified_type(urn: str) -> str:
    return urn.split("::")[2]


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _nested(value: Any, path: Iterable[str]) -> Any:
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _without(inputs: dict[str, Any], paths: list[list[str]]) -> dict[str, Any]:
    """The inputs with the nested `ignoreChanges` paths (e.g. scalingConfig.desiredSize) removed."""
    nested = [p for p in paths if len(p) > 1]
    if not nested:
        return inputs
    out = copy.deepcopy(inputs)
    for path in nested:
        node: Any = out
        for part in path[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(path[-1], None)
    return out


def _forcing(r: Resource, old: Resource, changed: set[str]) -> list[str]:
    rule = FORCE_NEW.get(r.type)
    props: tuple[str, ...] = rule.props if rule else ()
    if r.type.startswith("kubernetes:"):
        props = KUBERNETES_FORCE_NEW.props + FORCE_NEW_BY_KIND.get(r.type, ())
    out: list[str] = []
    if props == ("*",):
        props = tuple(sorted(changed))
    for prop in props:
        top, *rest = prop.split(".")
        if top not in changed:
            continue
        if not rest or _canonical(_nested(r.inputs.get(top), rest)) != _canonical(_nested(old.inputs.get(top), rest)):
            out.append(prop)
    for prop in r.options.get("replaceOnChanges", []):  # the program's own replaceOnChanges
        if prop.split(".")[0] in changed and prop not in out:
            out.append(prop)
    return out


def diff(base: Graph, head: Graph) -> Changes:
    """The steps `pulumi up` takes from base to head, as far as the recorded inputs tell."""
    old_by_urn = base.by_urn
    renewed: set[str] = set()  # URNs whose ID/ARN is new after this update (created anew or replaced)
    steps: list[Change] = []
    seen: set[str] = set()
    for r in head.resources:  # registration order: a dependency is decided before its dependents
        if not r.custom:
            continue
        old = old_by_urn.get(r.urn) or next((old_by_urn[u] for u in alias_urns(head, r) if u in old_by_urn), None)
        if old is None:
            steps.append(Change(r.urn, r.type, r.name, "create"))
            renewed.add(r.urn)
            continue
        seen.add(old.urn)
        ignore = [p.split(".") for p in r.options.get("ignoreChanges", [])]
        ignored = {p[0] for p in ignore if len(p) == 1}  # whole inputs; nested paths are cut out below
        new_inputs, old_inputs = _without(r.inputs, ignore), _without(old.inputs, ignore)
        changed = {
            k
            for k in set(new_inputs) | set(old_inputs)
            if k not in ignored and _canonical(new_inputs.get(k)) != _canonical(old_inputs.get(k))
        }
        # an input computed from a renewed resource is unknown at preview: the engine diffs it as changed
        changed |= {k for k, deps in r.property_dependencies.items() if k not in ignored and renewed & set(deps)}
        provider_renewed = r.provider_urn in renewed
        forcing = _forcing(r, old, changed)
        if forcing or provider_renewed:
            steps.append(
                Change(r.urn, r.type, r.name, "replace", tuple(sorted(changed)), tuple(forcing or ["provider"]))
            )
            renewed.add(r.urn)
        elif changed:
            steps.append(Change(r.urn, r.type, r.name, "update", tuple(sorted(changed))))
    for old in base.resources:
        if old.custom and old.urn not in seen and old.urn not in head.by_urn:
            steps.append(Change(old.urn, old.type, old.name, "delete"))
    return Changes(steps)


# --------------------------------------------------------------------------------------------- preview JSON

REPLACE_OPS = {"replace", "create-replacement", "delete-replaced", "discard-replaced", "import-replacement"}
DELETE_OPS = {"delete", "discard"}


class PreviewError(ValueError):
    """The document is not `pulumi preview --json` output."""


def _keys(value: Any) -> tuple[str, ...]:
    return tuple(str(k) for k in value) if isinstance(value, list) else ()


def from_preview(doc: Any) -> Changes:
    """The changes in a `pulumi preview --json` document (one stack)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("steps", []), list):
        raise PreviewError("expected the JSON object `pulumi preview --json` prints, with a `steps` list")
    by_urn: dict[str, Change] = {}
    rank = {"create": 0, "update": 1, "delete": 2, "replace": 3}
    for i, step in enumerate(doc.get("steps", [])):
        if not isinstance(step, dict) or not isinstance(step.get("op"), str) or not isinstance(step.get("urn"), str):
            raise PreviewError(f"steps[{i}] has no `op` and `urn` strings")
        op_text, urn = step["op"], step["urn"]
        if op_text in REPLACE_OPS:
            op = "replace"
        elif op_text in DELETE_OPS:
            op = "delete"
        elif op_text in ("create", "update", "import"):
            op = "create" if op_text == "import" else op_text
        else:
            continue  # same, read, refresh, remove-pending-replace
        state = step.get("newState") or step.get("oldState") or {}
        type_ = state.get("type") if isinstance(state, dict) else None
        if not isinstance(type_, str):
            type_ = urn.split("::")[2].split("$")[-1] if urn.count("::") >= 3 else ""
        if isinstance(state, dict) and state.get("custom") is False:
            continue  # components have no cloud resource
        name = urn.rsplit("::", 1)[-1]
        keys, forcing = _keys(step.get("diffReasons")), _keys(step.get("replaceReasons"))
        change = Change(urn, type_, name, op, keys, forcing)
        prior = by_urn.get(urn)
        if (
            prior is None
            or rank[op] > rank[prior.op]
            or (prior.op == op == "replace" and not prior.replace_keys and forcing)
        ):
            by_urn[urn] = change
    return Changes(list(by_urn.values()))
