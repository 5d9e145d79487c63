"""Kubernetes control plane and nodes EKS-01..EKS-09.

Cluster controls judge `aws:eks/cluster:Cluster`, the resource pulumi-eks registers inside its
`eks:index:Cluster` component. pulumi-eks is a remote component: in a real preview the engine
analyzes the component with **no** properties (the Node.js SDK's ComponentResource sends none)
and then the AWS resources the plugin creates, so no control may depend on the component's
inputs (groundwork/plan/pulumi_eks.py says which children it creates for our arguments).
Missing properties take the AWS provider's defaults (private endpoint off, public on), so an
omission fails closed; unknown values (a preview before the cluster exists) pass.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .core import REGISTRY, UNKNOWN, Graph, PackContext, Resource, as_list, dicts, statements, sub, unknown
from .kubernetes_versions import EKS_RELEASES, in_standard_support
from .network import SUBNET, subnet_tiers, zone

EKS_COMPONENT = "eks:index:Cluster"  # analyzed with no properties: never judged
EKS_CLUSTER = "aws:eks/cluster:Cluster"
CLUSTERS = (EKS_CLUSTER,)
SELF_MANAGED_NODES = ("aws:autoscaling/group:Group", "aws:ec2/launchConfiguration:LaunchConfiguration")
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
CREATOR_TAG = "groundwork:creator"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
MANAGED_NODE_GROUP = "eks:index:ManagedNodeGroup"
NODE_GROUPS = (NODE_GROUP,)  # eks:index:ManagedNodeGroup is a remote component: its NodeGroup child is judged
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY = "aws:iam/policy:Policy"
POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
# AWS-managed policies EKS add-ons are documented to use: broad EC2/ELB management, no data access.
ADDON_MANAGED_POLICIES = {
    "AmazonEBSCSIDriverPolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEFSCSIDriverPolicy",
    "CloudWatchAgentServerPolicy",
}
DATA_ACTIONS = (
    "s3:get",
    "s3:put",
    "s3:delete",
    "s3:list",
    "s3:*",
    "secretsmanager:getsecretvalue",
    "secretsmanager:*",
    "kms:decrypt",
    "kms:encrypt",
    "kms:generatedatakey",
    "kms:*",
    "dynamodb:",
    "sqs:",
    "sns:publish",
    "ssm:getparameter",
    "rds-db:connect",
)


def cluster(r: Resource) -> dict[str, Any]:
    """The settings of an `aws:eks/cluster:Cluster` in one shape."""
    p = r.props
    vpc = p.peek("vpcConfig", {})
    encryption = p.peek("encryptionConfig", {})
    key = None
    if unknown(encryption):
        key = UNKNOWN  # an unknown field inside it raises the SDK's UnknownValueError when read
    elif isinstance(encryption, dict) and "secrets" in as_list(encryption.get("resources")):
        key = _field(sub(encryption, "provider"), "keyArn", None)
    return {
        "name": p.peek("name"),
        "version": p.peek("version"),
        "private": _field(vpc, "endpointPrivateAccess", False),
        "public": _field(vpc, "endpointPublicAccess", True),
        "cidrs": _field(vpc, "publicAccessCidrs", ["0.0.0.0/0"]),
        "key": key,
        "logs": p.peek("enabledClusterLogTypes", []),
        "auth": _field(p.peek("accessConfig", {}), "authenticationMode", "CONFIG_MAP"),
        "deletion": p.peek("deletionProtection", False),
    }


def _field(container: Any, key: str, default: Any) -> Any:
    """A field of a nested block: UNKNOWN when the block or the field is unknown, else value or default."""
    if unknown(container):
        return UNKNOWN
    if not isinstance(container, dict):
        return default
    value = dict.get(container, key, default)
    return UNKNOWN if unknown(value) else value


@REGISTRY.resource(
    "aws-eks-cluster-require-supported-version",
    controls="EKS-01",
    types=CLUSTERS,
    severity="high",
    description="The Kubernetes version is pinned and within EKS standard support.",
    remediation="Set groundwork:cluster.version to a version in standard support (upgrade one minor at a time).",
)
def supported_version(r: Resource, ctx: PackContext) -> Iterator[str]:
    version = cluster(r)["version"]
    if unknown(version):
        return
    if not version:
        yield "no Kubernetes version is pinned (EKS would pick its default)"
    elif not in_standard_support(str(version), ctx.today):
        release = EKS_RELEASES.get(str(version))
        if release is None:
            when = "not a known EKS version"
        elif ctx.today < release.released:
            when = f"not released on EKS before {release.released}"
        else:
            when = f"standard support ended {release.end_of_standard_support}"
        yield f"Kubernetes {version}: {when}"


@REGISTRY.resource(
    "aws-eks-cluster-require-control-plane-logs",
    controls="EKS-02",
    types=CLUSTERS,
    severity="medium",
    description="All five control-plane log types are enabled.",
    remediation="Enable api, audit, authenticator, controllerManager and scheduler logs.",
)
def control_plane_logs(r: Resource, ctx: PackContext) -> Iterator[str]:
    logs = cluster(r)["logs"]
    if unknown(logs):
        return
    missing = [t for t in LOG_TYPES if t not in as_list(logs)]
    if missing:
        yield f"control-plane log types not enabled: {', '.join(missing)}"


@REGISTRY.stack(
    "aws-eks-cluster-require-encrypted-log-group",
    controls="EKS-02",
    types=(*CLUSTERS, LOG_GROUP),
    severity="medium",
    description="The control-plane log group /aws/eks/<cluster>/cluster exists with a retention and a KMS key.",
    remediation="Create the log group before the cluster (the Cluster component does), else EKS creates it unencrypted and kept forever.",
)
def cluster_log_group(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    groups = {str(lg.props.get("name")): lg for lg in g.of(LOG_GROUP)}
    for c in g.of(*CLUSTERS):
        name = cluster(Resource(c.type, c.name, c.urn, c.props, c.protect, c.provider))["name"]
        if unknown(name):
            continue
        if not name:
            yield f"cluster {c.name} has no explicit name, so its log group cannot be created ahead of it", c.urn
            continue
        lg = groups.get(f"/aws/eks/{name}/cluster")
        if lg is None:
            yield (
                f"no log group /aws/eks/{name}/cluster in the stack (EKS would create it unencrypted, kept forever)",
                c.urn,
            )
        else:
            if not lg.props.has("kmsKeyId"):
                yield f"log group /aws/eks/{name}/cluster is not KMS-encrypted", lg.urn
            if not lg.props.has("retentionInDays"):
                yield f"log group /aws/eks/{name}/cluster has no retention", lg.urn


@REGISTRY.resource(
    "aws-eks-cluster-require-secrets-encryption",
    controls="EKS-03",
    types=CLUSTERS,
    severity="critical",
    description="Kubernetes Secrets are envelope-encrypted with a customer-managed KMS key.",
    remediation="Set encryptionConfigKeyArn (eks.Cluster) to the stack's secrets key.",
)
def secrets_encryption(r: Resource, ctx: PackContext) -> Iterator[str]:
    key = cluster(r)["key"]
    if not unknown(key) and not key:
        yield "no KMS key encrypts Kubernetes Secrets"


@REGISTRY.resource(
    "aws-eks-cluster-restrict-endpoint",
    controls="EKS-04",
    types=CLUSTERS,
    severity="critical",
    description="The private API endpoint is on; a public endpoint is restricted to named CIDRs, never 0.0.0.0/0.",
    remediation="Keep endpointPrivateAccess true; with a public endpoint list publicAccessCidrs (office/VPN/CI).",
)
def restrict_endpoint(r: Resource, ctx: PackContext) -> Iterator[str]:
    c = cluster(r)
    if c["private"] is not True and not unknown(c["private"]):
        yield "the private endpoint is off"
    if c["public"] is True:
        cidrs = c["cidrs"]
        if not unknown(cidrs) and (not as_list(cidrs) or any(x in ("0.0.0.0/0", "::/0") for x in as_list(cidrs))):
            yield f"the public endpoint is open to {', '.join(map(str, as_list(cidrs))) or 'everyone'}"


@REGISTRY.resource(
    "aws-eks-cluster-no-public-endpoint",
    controls="EKS-04",
    types=CLUSTERS,
    severity="critical",
    tier="prod",
    description="The API endpoint is not public at all.",
    remediation="Set groundwork:cluster.endpointPublicAccess to false; reach the API from inside the VPC.",
)
def no_public_endpoint(r: Resource, ctx: PackContext) -> Iterator[str]:
    if cluster(r)["public"] is True:
        yield "the public API endpoint is on"


@REGISTRY.resource(
    "aws-eks-cluster-require-access-entries",
    controls="EKS-05",
    types=(EKS_CLUSTER, ACCESS_ENTRY, CONFIG_MAP),
    severity="high",
    description="Cluster access goes through EKS access entries (API authentication mode) mapped to IAM roles, not users.",
    remediation="Use authenticationMode API and list IAM roles in groundwork:cluster.adminRoleArns / viewerRoleArns.",
)
def access_entries(r: Resource, ctx: PackContext) -> Iterator[str]:
    if r.type == ACCESS_ENTRY:
        arn = r.props.get("principalArn")
        if isinstance(arn, str) and ":user/" in arn:
            yield f"access entry for the IAM user {arn}"
        return
    if r.type == CONFIG_MAP:
        meta = r.props.mapping("metadata")
        if meta.get("name") == "aws-auth" and meta.get("namespace") == "kube-system":
            data = r.props.mapping("data")
            if data.get("mapUsers") or data.get("mapRoles"):
                yield "the aws-auth ConfigMap maps IAM identities into the cluster (use access entries)"
        return
    auth = cluster(r)["auth"]
    if not unknown(auth) and auth != "API":
        yield f"authentication mode is {auth}, not API (access entries only)"


@REGISTRY.stack(
    "aws-eks-cluster-declare-creator-admin",
    controls="EKS-05",
    types=(EKS_CLUSTER, ACCESS_ENTRY),
    severity="high",
    description="The admin access EKS gives the cluster's creator (bootstrapClusterCreatorAdminPermissions, which "
    "pulumi-eks always sets) is declared: the cluster names its creator (tag groundwork:creator) and no access "
    "entry duplicates it.",
    remediation="Set groundwork:delivery.githubRepository (the deploy role creates the cluster and is tagged as its "
    "creator) and keep that role out of groundwork:cluster.adminRoleArns / viewerRoleArns.",
)
def creator_admin(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    entries = g.of(ACCESS_ENTRY)
    for c in g.of(EKS_CLUSTER):
        # without an accessConfig, EKS's default also bootstraps the creator
        bootstrap = c.props.mapping("accessConfig").get("bootstrapClusterCreatorAdminPermissions", True)
        if bootstrap is False or unknown(bootstrap):
            continue
        creator = c.props.mapping("tags").get(CREATOR_TAG)
        if unknown(creator):
            continue
        if not creator:
            yield (
                f"cluster {c.name} makes whoever creates it an admin without naming that principal (tag {CREATOR_TAG})",
                c.urn,
            )
            continue
        for e in entries:
            if e.props.get("principalArn") == creator:
                yield (
                    f"access entry {e.name} duplicates the creator's admin entry for {creator} "
                    "(CreateAccessEntry fails with ResourceInUseException)",
                    e.urn,
                )


@REGISTRY.resource(
    "aws-iam-no-static-users",
    controls="EKS-05",
    types=("aws:iam/user:User", "aws:iam/accessKey:AccessKey", "aws:iam/userLoginProfile:UserLoginProfile"),
    severity="high",
    description="No IAM users or long-lived access keys; people and CI assume roles.",
    remediation="Use IAM roles (SSO for people, GitHub OIDC for CI) instead of IAM users and access keys.",
)
def no_static_users(r: Resource, ctx: PackContext) -> Iterator[str]:
    yield f"{r.type.split(':')[-1]} {r.name} is a static IAM credential"


def _scaling(r: Resource) -> tuple[Any, Any, Any]:
    s = r.props.mapping("scalingConfig")
    return s.get("minSize"), s.get("desiredSize"), s.get("maxSize")


@REGISTRY.resource(
    "aws-eks-node-group-require-headroom",
    controls="EKS-06",
    types=NODE_GROUPS,
    severity="medium",
    description="Node groups can at least double (max >= 2 x desired) and sizes are ordered (min <= desired <= max).",
    remediation="Set maxSize to at least twice desiredSize in groundwork:cluster.nodeGroups.",
)
def node_headroom(r: Resource, ctx: PackContext) -> Iterator[str]:
    lo, want, hi = _scaling(r)
    if not all(isinstance(v, int | float) for v in (lo, want, hi)):
        if not r.props.has("scalingConfig"):
            yield "no scalingConfig"
        return
    if not lo <= want <= hi:
        yield f"sizes are not ordered: min {lo:g}, desired {want:g}, max {hi:g}"
    if hi < 2 * want:
        yield f"maxSize {hi:g} is less than 2 x desiredSize ({2 * want:g})"


@REGISTRY.resource(
    "aws-eks-node-group-min-two-nodes",
    controls="EKS-06",
    types=NODE_GROUPS,
    severity="high",
    tier="stg+",
    description="Node groups keep at least two nodes.",
    remediation="Set minSize (and desiredSize) to 2 or more.",
)
def node_minimum(r: Resource, ctx: PackContext) -> Iterator[str]:
    lo = _scaling(r)[0]
    if isinstance(lo, int | float) and lo < 2:
        yield f"minSize is {lo:g}"


@REGISTRY.stack(
    "aws-eks-node-group-private-multi-az",
    controls="EKS-06",
    types=(*NODE_GROUPS, *SELF_MANAGED_NODES, SUBNET),
    severity="high",
    description="Workloads run on managed node groups in private subnets spread over at least 2 AZs.",
    remediation="Give node groups the private subnets of every AZ; skip pulumi-eks's self-managed default node group.",
)
def node_placement(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    tiers = subnet_tiers(g)
    subnets = {s.urn: s for s in g.of(SUBNET)}
    for asg in g.of(*SELF_MANAGED_NODES):
        yield (
            f"{asg.name} is a self-managed node group (pulumi-eks's default node group creates one); "
            "use managed node groups",
            asg.urn,
        )
    for ng in g.of(*NODE_GROUPS):
        own = [subnets[u] for u in ng.deps("subnetIds") if u in subnets]
        if not own:
            continue  # subnets outside this stack: nothing to check at preview
        public = [s.name for s in own if tiers.get(s.urn) == "public"]
        if public:
            yield f"node group {ng.name} uses public subnets {', '.join(public)}", ng.urn
        zones = {zone(s) for s in own}
        if len(zones) < 2:
            yield f"node group {ng.name} spans {len(zones)} AZ", ng.urn


@REGISTRY.resource(
    "aws-eks-node-group-require-launch-template",
    controls="EKS-07",
    types=NODE_GROUPS,
    severity="high",
    description="Managed node groups use a launch template (which enforces IMDSv2 and encrypted gp3 root volumes).",
    remediation="Pass the launch template the Cluster component builds for each node group.",
)
def node_launch_template(r: Resource, ctx: PackContext) -> Iterator[str]:
    if not r.props.has("launchTemplate"):
        yield "no launch template: IMDSv2 and root-volume encryption are left to defaults"


@REGISTRY.resource(
    "aws-ec2-launch-template-imdsv2-encrypted-gp3",
    controls="EKS-07",
    types=LAUNCH_TEMPLATE,
    severity="high",
    description="Launch templates require IMDSv2 with a hop limit of 1 or 2 and encrypted gp3 root volumes.",
    remediation="metadataOptions: httpTokens required, httpPutResponseHopLimit 1|2; blockDeviceMappings ebs: gp3, encrypted true, a KMS key.",
)
def launch_template(r: Resource, ctx: PackContext) -> Iterator[str]:
    meta = r.props.mapping("metadataOptions")
    if meta.get("httpTokens") != "required" and not unknown(meta.get("httpTokens")):
        yield f"metadataOptions.httpTokens is {meta.get('httpTokens', 'unset')!r}, not 'required'"
    hop = meta.get("httpPutResponseHopLimit")
    if isinstance(hop, int | float) and hop > 2:
        yield f"metadataOptions.httpPutResponseHopLimit is {hop:g} (lets pods reach the instance's credentials)"
    devices = dicts(r.props.items("blockDeviceMappings"))
    if not devices:
        yield "no blockDeviceMappings: the root volume is not declared encrypted gp3"
    for i, d in enumerate(devices):
        ebs = sub(d, "ebs", default={})
        if str(ebs.get("encrypted")).lower() != "true" and not unknown(ebs.get("encrypted")):
            yield f"blockDeviceMappings[{i}] is not encrypted"
        volume_type = ebs.get("volumeType")
        if volume_type != "gp3" and not unknown(volume_type):
            yield f"blockDeviceMappings[{i}] volumeType is {volume_type!r}, not gp3"
        if not ebs.get("kmsKeyId"):
            yield f"blockDeviceMappings[{i}] has no customer-managed KMS key"


def _trust_is_workload(doc: Any) -> bool:
    """Assumed by pods: EKS Pod Identity's service principal, or IRSA, whose federated principal
    is the cluster's OIDC provider (arn:aws:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<id>,
    EKS User Guide, "IAM roles for service accounts"). A role federated to another OIDC provider
    (GitHub Actions' token.actions.githubusercontent.com for CI) is not a pod's."""
    for st in statements(doc):
        principal = st.get("Principal") or {}
        if not isinstance(principal, dict):
            continue
        services = as_list(principal.get("Service"))
        federated = " ".join(map(str, as_list(principal.get("Federated"))))
        if "pods.eks.amazonaws.com" in services or "oidc.eks." in federated:
            return True
    return False


def _data_on_star(doc: Any) -> list[str]:
    found = []
    for st in statements(doc):
        if st.get("Effect") != "Allow":
            continue
        if "*" not in as_list(st.get("Resource")):
            continue
        for action in as_list(st.get("Action")):
            a = str(action).lower()
            if a == "*" or any(a.startswith(p) for p in DATA_ACTIONS):
                found.append(str(action))
    return found


@REGISTRY.stack(
    "aws-eks-workload-role-least-privilege",
    controls="EKS-08",
    types=(ROLE, ROLE_POLICY, ATTACHMENT, POLICY),
    severity="critical",
    description="Roles assumed by pods (EKS Pod Identity or IRSA) grant data actions only on named resources, never on '*'.",
    remediation="Scope every statement's Resource to the ARNs the workload needs (buckets, secrets, keys).",
)
def workload_roles(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    policies = {p.urn: p for p in g.of(POLICY)}
    for role in g.of(ROLE):
        if not _trust_is_workload(role.props.json("assumeRolePolicy")):
            continue
        for inline in dicts(role.props.get("inlinePolicies")):
            bad = _data_on_star(_loads(inline.get("policy")))
            if bad:
                yield f"role {role.name} inline policy {inline.get('name')} allows {', '.join(bad)} on '*'", role.urn
        for rp in g.referencing(role, ROLE_POLICY, prop="role"):
            bad = _data_on_star(rp.props.json("policy"))
            if bad:
                yield f"role {role.name} policy {rp.name} allows {', '.join(bad)} on '*'", rp.urn
        for att in g.referencing(role, ATTACHMENT, prop="role"):
            arn = att.props.get("policyArn")
            targets = [policies[u] for u in att.deps("policyArn") if u in policies]
            for p in targets:
                bad = _data_on_star(p.props.json("policy"))
                if bad:
                    yield f"role {role.name} policy {p.name} allows {', '.join(bad)} on '*'", p.urn
            if isinstance(arn, str) and ":iam::aws:policy/" in arn and arn.split("/")[-1] not in ADDON_MANAGED_POLICIES:
                yield (
                    f"role {role.name} has the AWS-managed policy {arn.split('/')[-1]} (not scoped to named ARNs)",
                    att.urn,
                )


def _loads(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return None
    return value


@REGISTRY.resource(
    "aws-eks-cluster-require-deletion-protection",
    controls="EKS-09",
    types=CLUSTERS,
    severity="high",
    tier="prod",
    description="The cluster has deletion protection.",
    remediation="Keep groundwork:cluster.deletionProtection true (the default).",
)
def deletion_protection(r: Resource, ctx: PackContext) -> Iterator[str]:
    if cluster(r)["deletion"] is not True and not unknown(cluster(r)["deletion"]):
        yield "deletion protection is off"
