"""What pulumi-eks registers inside an `eks:index:Cluster` for our arguments (pure module).

pulumi-eks is a remote (multi-language) component: the Python SDK sends one RegisterResource with
`remote: true`, the engine asks the pulumi-eks plugin to construct it, and the plugin's Node.js
code registers the real resources as children of the component. A real `pulumi preview
--policy-pack` analyzes those children, and the component itself with **empty** properties (the
Node.js SDK's `ComponentResource` constructor never sends its args to the engine: pulumi/pulumi,
sdk/nodejs/resource.ts, `class ComponentResource`). The offline plan cannot run the plugin, so
this module derives the children from pulumi-eks's source and the mocks record them.

Derived from pulumi/pulumi-eks `nodejs/eks/cluster/cluster.ts` (`createCore`, `createCluster`,
`class Cluster`) and `nodejs/eks/cluster/authenticationMode.ts` (`createAccessEntries`), read at
commit 7bf0c1b (2026-08-12; the stored mirror has tags up to v4.3.0 and only dependency updates
after it; the Python SDK we pin is 4.4.0). For our arguments:

| child | when (cluster.ts) |
|---|---|
| `aws:eks/cluster:Cluster` `<name>-eksCluster` | always; `accessConfig.bootstrapClusterCreatorAdminPermissions: true` whenever `authenticationMode` is set, `ignoreChanges` on it and on `bootstrapSelfManagedAddons` |
| `pulumi:providers:kubernetes` `<name>-eks-k8s` | always |
| `aws:eks/accessEntry:AccessEntry` `<name>-<key>` | per `accessEntries` key when the mode supports access entries |
| `aws:eks/accessPolicyAssociation:AccessPolicyAssociation` `<name>-<key>-<assoc>` | per access policy, parent: its entry |
| `aws:iam/openIdConnectProvider:OpenIdConnectProvider` `<name>-oidcProvider` | `createOidcProvider` |

Branches our arguments do not take (a ServiceRole without `serviceRole`, security groups without
`skipDefaultSecurityGroups`, the default node group and instance role without
`skipDefaultNodeGroup`, the kube-proxy/coredns add-ons, the VPC CNI component without
`useDefaultVpcCni`, the aws-auth ConfigMap in CONFIG_MAP modes, Fargate, Auto Mode, storage
classes) are not modelled: `children()` refuses arguments that would take them, so a change of
arguments fails the plan until this model is extended. `tests/test_engine_fidelity.py` pins the
model to the installed pulumi-eks version: an upgrade fails until the model is re-derived.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PULUMI_EKS_VERSION = "4.4.0"
# pulumi-eks reads the issuer CA's SHA-1 thumbprint over TLS at run time (cert-thumprint.ts);
# offline we use the thumbprint AWS documents for the EKS OIDC issuers' root CA
ISSUER_CA_THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
SOURCE = "pulumi/pulumi-eks@7bf0c1b nodejs/eks/cluster/cluster.ts, nodejs/eks/cluster/authenticationMode.ts"


class NotModelled(Exception):
    """The arguments take a branch of pulumi-eks this model does not derive."""


@dataclass
class Child:
    type: str
    name: str
    inputs: dict[str, Any]
    parent: str = ""  # "" = the component; else the name of a sibling child
    options: dict[str, Any] = field(default_factory=dict)
    depends_on: list[str] = field(default_factory=list)  # names of sibling children


# (argument, value our model requires, why)
REQUIRED = (
    ("serviceRole", "set", "without it pulumi-eks creates a ServiceRole component"),
    ("skipDefaultSecurityGroups", True, "without it pulumi-eks creates cluster and node security groups"),
    ("skipDefaultNodeGroup", True, "without it pulumi-eks creates a self-managed node group and an instance role"),
    ("useDefaultVpcCni", True, "without it pulumi-eks installs its VpcCniAddon component"),
    ("kubeProxyAddonOptions.enabled", False, "else pulumi-eks creates a kube-proxy add-on"),
    ("corednsAddonOptions.enabled", False, "else pulumi-eks may create a coredns add-on"),
    ("authenticationMode", "API", "CONFIG_MAP modes create the aws-auth ConfigMap"),
    ("fargate", None, "Fargate profiles are not modelled"),
    ("autoMode", None, "EKS Auto Mode is not modelled"),
    ("storageClasses", None, "pulumi-eks storage classes are not modelled"),
    ("instanceRoles", None, "instance roles are not modelled"),
    ("creationRoleProvider", None, "a creation role provider is not modelled"),
)


def _get(inputs: dict[str, Any], path: str) -> Any:
    value: Any = inputs
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def check_arguments(inputs: dict[str, Any]) -> None:
    problems = []
    for path, want, why in REQUIRED:
        value = _get(inputs, path)
        ok = (value is not None) if want == "set" else (value == want if want is not None else value is None)
        if not ok:
            problems.append(f"{path}={value!r} ({why})")
    if problems:
        raise NotModelled(
            "the offline plan's model of pulumi-eks does not cover these arguments: "
            + "; ".join(problems)
            + ". Extend groundwork/plan/pulumi_eks.py from pulumi-eks's source."
        )


def children(name: str, inputs: dict[str, Any], role_arn: Callable[[Any], str], issuer: str) -> list[Child]:
    """The resources pulumi-eks registers under the component `name` with `inputs` (plain values;
    resource references as {urn, id}). `role_arn` resolves the `serviceRole` reference; `issuer`
    is the cluster's OIDC issuer URL (a computed output of the cluster)."""
    check_arguments(inputs)
    public = inputs.get("endpointPublicAccess")
    cluster: dict[str, Any] = {
        "name": inputs.get("name"),
        "roleArn": role_arn(inputs["serviceRole"]),
        "bootstrapSelfManagedAddons": inputs.get("bootstrapSelfManagedAddons", True),
        "vpcConfig": {
            "subnetIds": [*(inputs.get("publicSubnetIds") or []), *(inputs.get("privateSubnetIds") or [])],
            "endpointPrivateAccess": inputs.get("endpointPrivateAccess"),
            "endpointPublicAccess": public,
        },
        "version": inputs.get("version"),
        "enabledClusterLogTypes": inputs.get("enabledClusterLogTypes"),
        # Name first, then clusterTags, then tags (cluster.ts: `{Name: ..., ...clusterTags, ...tags}`)
        "tags": {"Name": f"{name}-eksCluster", **(inputs.get("clusterTags") or {}), **(inputs.get("tags") or {})},
        "accessConfig": {
            "authenticationMode": inputs["authenticationMode"],
            # "Explicitly grants the principal creating the cluster admin access" (cluster.ts)
            "bootstrapClusterCreatorAdminPermissions": True,
        },
    }
    if inputs.get("publicAccessCidrs") is not None:
        if public is False:
            raise NotModelled(
                "publicAccessCidrs can only be set when endpointPublicAccess is true (pulumi-eks refuses)"
            )
        cluster["vpcConfig"]["publicAccessCidrs"] = inputs["publicAccessCidrs"]
    if inputs.get("encryptionConfigKeyArn"):
        cluster["encryptionConfig"] = {
            "provider": {"keyArn": inputs["encryptionConfigKeyArn"]},
            "resources": ["secrets"],
        }
    if inputs.get("kubernetesServiceIpAddressRange") or inputs.get("ipFamily"):
        family = inputs.get("ipFamily") or "ipv4"
        network: dict[str, Any] = {"ipFamily": family}
        if family == "ipv4":
            network["serviceIpv4Cidr"] = inputs.get("kubernetesServiceIpAddressRange")
        cluster["kubernetesNetworkConfig"] = network
    for key in ("upgradePolicy", "deletionProtection"):
        if inputs.get(key) is not None:
            cluster[key] = inputs[key]
    cluster = {k: v for k, v in cluster.items() if v is not None}

    out = [
        Child(
            "aws:eks/cluster:Cluster",
            f"{name}-eksCluster",
            cluster,
            options={
                "ignoreChanges": ["accessConfig.bootstrapClusterCreatorAdminPermissions", "bootstrapSelfManagedAddons"]
            },
        ),
        Child("pulumi:providers:kubernetes", f"{name}-eks-k8s", {}),
    ]
    for key, entry in (inputs.get("accessEntries") or {}).items():
        entry_inputs = {k: v for k, v in entry.items() if k not in ("accessPolicies", "username")}
        entry_inputs.update(clusterName=inputs.get("name"))
        if entry.get("username"):
            entry_inputs["userName"] = entry["username"]
        out.append(
            Child("aws:eks/accessEntry:AccessEntry", f"{name}-{key}", entry_inputs, depends_on=[f"{name}-eksCluster"])
        )
        for assoc, policy in (entry.get("accessPolicies") or {}).items():
            out.append(
                Child(
                    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
                    f"{name}-{key}-{assoc}",
                    {
                        "accessScope": policy.get("accessScope"),
                        "principalArn": entry.get("principalArn"),
                        "policyArn": policy.get("policyArn"),
                        "clusterName": inputs.get("name"),
                    },
                    parent=f"{name}-{key}",
                    depends_on=[f"{name}-{key}", f"{name}-eksCluster"],
                )
            )
    if inputs.get("createOidcProvider"):
        out.append(
            Child(
                "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
                f"{name}-oidcProvider",
                {"clientIdLists": ["sts.amazonaws.com"], "url": issuer, "thumbprintLists": [ISSUER_CA_THUMBPRINT]},
            )
        )
    return out
