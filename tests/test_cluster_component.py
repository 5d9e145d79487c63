"""The Cluster component on its own (groundwork.plan.run_function, with the offline plan's
pulumi-eks emulation): what it decides for the control plane, access, add-ons, node groups and
the default StorageClass, without planning a stack (issue 18)."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.cluster import (
    ADMIN_POLICY,
    ADMIN_VIEW_POLICY,
    CREATOR_TAG,
    LOG_TYPES,
    VIEW_POLICY,
    Cluster,
    ClusterArgs,
)
from groundwork import catalog, iam
from groundwork.naming import Naming
from groundwork.plan.graph import Graph, Resource, is_secret
from groundwork.plan.runner import run_function
from groundwork.settings.model import ClusterSettings
from tests.helpers import by_name, deps, outside

KEYS = {p: f"arn:aws:kms:eu-west-1:111111111111:key/{p}" for p in ("secrets", "logs", "data")}
ADMIN = "arn:aws:iam::111111111111:role/Admin"
VIEWER = "arn:aws:iam::111111111111:role/Viewer"
CI_VIEW = "arn:aws:iam::111111111111:role/ci-preview"
CI_READ = "arn:aws:iam::111111111111:role/ci-drift"
CREATOR = "arn:aws:iam::111111111111:role/deployer"
NAME = "groundwork-test"  # the cluster's physical name (Naming.physical with no parts)

OVERWRITE = {"resolveConflictsOnCreate": "OVERWRITE", "resolveConflictsOnUpdate": "OVERWRITE"}
GENERAL = {"name": "general", "instanceTypes": ["m7g.large"], "minSize": 2, "desiredSize": 3, "maxSize": 6}


def plan_cluster(
    held: list[Cluster] | None = None,
    args: dict[str, Any] | None = None,
    naming: Naming = Naming("groundwork", "test"),
    **settings: Any,
) -> Graph:
    settings.setdefault("adminRoleArns", [ADMIN])
    settings.setdefault("nodeGroups", [GENERAL])

    def body() -> None:
        c = Cluster(
            "cluster",
            ClusterArgs(
                settings=ClusterSettings.model_validate(settings),
                naming=naming,
                vpc_id="vpc-1",
                private_subnet_ids=["subnet-p0", "subnet-p1"],
                secrets_key_arn=KEYS["secrets"],
                logs_key_arn=KEYS["logs"],
                data_key_arn=KEYS["data"],
                tags={"Team": "platform"},
                **(args or {}),
            ),
        )
        if held is not None:
            held.append(c)

    return run_function(body, config={"aws:region": "eu-west-1"})


@pytest.fixture(scope="module")
def held() -> list[Cluster]:
    return []


@pytest.fixture(scope="module")
def full(held: list[Cluster]) -> Graph:
    return plan_cluster(
        held,
        args={
            "backup_tag": "daily",
            "ci_viewer_role_arns": (CI_VIEW, VIEWER),
            "ci_reader_role_arns": (CI_READ,),
            "creator_role_arn": CREATOR,
        },
        viewerRoleArns=[VIEWER],
        nodeGroups=[
            GENERAL,
            {
                "name": "batch",
                "instanceTypes": ["c7i.large"],
                "capacityType": "SPOT",
                "labels": {"workload": "batch"},
                "taints": [{"key": "batch", "value": "true", "effect": "NO_SCHEDULE"}],
                "imdsHopLimit": 2,
                "diskSizeGiB": 80,
                "maxUnavailablePercentage": 50,
            },
        ],
    )


def eks_cluster(g: Graph) -> Resource:
    return g.one("eks:index:Cluster")


# --------------------------------------------------------------------------------------------- control plane


def test_control_plane_logs_to_a_kept_encrypted_group_created_first(full: Graph) -> None:
    """EKS-02: EKS writes all five log types to /aws/eks/<cluster>/cluster (EKS User Guide, "Send
    control plane logs to CloudWatch Logs"); created first, with a retention and the logs key."""
    group = by_name(full, "aws:cloudwatch/logGroup:LogGroup")["cluster-control-plane"]
    assert group.props == {"name": f"/aws/eks/{NAME}/cluster", "retentionInDays": 90, "kmsKeyId": KEYS["logs"]}
    assert group.options.get("protect") is True
    assert group.urn in eks_cluster(full).dependencies
    assert eks_cluster(full).props["enabledClusterLogTypes"] == LOG_TYPES
    assert LOG_TYPES == ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def test_control_plane_role_and_its_grants_come_before_the_cluster(full: Graph) -> None:
    """The cluster role has AmazonEKSClusterPolicy (EKS User Guide, "Amazon EKS cluster IAM role")
    and may use the secrets key with grants for envelope encryption (EKS User Guide, "Encrypt
    Kubernetes secrets with KMS": the cluster role creates grants on the key)."""
    roles = by_name(full, "aws:iam/role:Role")
    role = roles["cluster-control-plane"]
    assert json.loads(role.props["assumeRolePolicy"]) == iam.assume_role("eks.amazonaws.com")
    assert role.props["description"] == "groundwork-test: EKS control plane"
    attachment = by_name(full, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")["cluster-control-plane"]
    assert attachment.props["policyArn"] == "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
    assert deps(attachment, "role") == [role.urn]
    envelope = by_name(full, "aws:iam/rolePolicy:RolePolicy")["cluster-envelope-encryption"]
    assert json.loads(envelope.props["policy"]) == iam.use_key([KEYS["secrets"]], grants=True)
    assert deps(envelope, "role") == [role.urn]
    cluster = eks_cluster(full)
    assert {attachment.urn, envelope.urn} <= set(cluster.dependencies)
    assert cluster.options.get("protect") is True


def test_control_plane_settings(full: Graph) -> None:
    p = eks_cluster(full).props
    assert {k: v for k, v in p.items() if k not in ("accessEntries", "serviceRole")} == {
        "name": NAME,
        "version": "1.35",
        "vpcId": "vpc-1",
        "privateSubnetIds": ["subnet-p0", "subnet-p1"],
        "nodeAssociatePublicIpAddress": False,
        "endpointPrivateAccess": True,
        "endpointPublicAccess": False,
        "authenticationMode": "API",
        "encryptionConfigKeyArn": KEYS["secrets"],
        "enabledClusterLogTypes": LOG_TYPES,
        "createOidcProvider": True,
        "skipDefaultNodeGroup": True,
        "skipDefaultSecurityGroups": True,
        "bootstrapSelfManagedAddons": False,
        "useDefaultVpcCni": True,
        # pulumi-eks's own copies off (the SDK's input types add their conflict defaults)
        "corednsAddonOptions": {"enabled": False, **OVERWRITE},
        "kubeProxyAddonOptions": {"enabled": False, **OVERWRITE},
        "kubernetesServiceIpAddressRange": "172.20.0.0/16",
        "deletionProtection": True,
        "upgradePolicy": {"supportType": "STANDARD"},
        "tags": {"Name": NAME, CREATOR_TAG: CREATOR},
    }
    # passed by reference (a resource reference records no dependency: hence the explicit dependsOn above)
    assert p["serviceRole"]["urn"] == by_name(full, "aws:iam/role:Role")["cluster-control-plane"].urn


def test_public_endpoint_only_with_its_cidrs() -> None:
    p = eks_cluster(
        plan_cluster(endpointPublicAccess=True, publicAccessCidrs=["203.0.113.0/24"], deletionProtection=False)
    ).props
    assert p["endpointPublicAccess"] is True and p["publicAccessCidrs"] == ["203.0.113.0/24"]
    assert p["deletionProtection"] is False and p["tags"] == {"Name": NAME}  # no creator named
    closed = eks_cluster(plan_cluster(publicAccessCidrs=["203.0.113.0/24"])).props
    assert "publicAccessCidrs" not in closed


def test_access_entries_by_role_kind(full: Graph) -> None:
    """EKS-05: admins get AmazonEKSClusterAdminPolicy, viewers and CI's preview role
    AmazonEKSViewPolicy, CI's drift role AmazonEKSAdminViewPolicy (which reads Secrets), all
    cluster-scoped (EKS User Guide, "Associate access policies with access entries"). A CI
    viewer that is already a viewer gets no second entry (CreateAccessEntry fails on a
    duplicate principal)."""
    entries = eks_cluster(full).props["accessEntries"]

    def policy(kind: str) -> dict[str, Any]:
        return {
            kind: {
                "policyArn": {"admin": ADMIN_POLICY, "ci-reader": ADMIN_VIEW_POLICY}.get(kind, VIEW_POLICY),
                "accessScope": {"type": "cluster"},
            }
        }

    assert entries == {
        "admin-0": {"principalArn": ADMIN, "accessPolicies": policy("admin")},
        "viewer-0": {"principalArn": VIEWER, "accessPolicies": policy("viewer")},
        "ci-viewer-0": {"principalArn": CI_VIEW, "accessPolicies": policy("ci-viewer")},
        "ci-reader-0": {"principalArn": CI_READ, "accessPolicies": policy("ci-reader")},
    }


# --------------------------------------------------------------------------------------------- add-ons


def test_addons_pinned_and_ordered_around_the_nodes(full: Graph) -> None:
    """Pinned versions of the catalog; conflicts overwritten so EKS's managed add-on owns the
    configuration (EKS User Guide, "Create an Amazon EKS add-on", resolve conflicts); networking
    add-ons before the nodes (a node is Ready only with the CNI), coredns and the EBS CSI driver
    after them (their pods need nodes: EKS reports them ACTIVE only once those run)."""
    addons = by_name(full, "aws:eks/addon:Addon")
    groups = by_name(full, "aws:eks/nodeGroup:NodeGroup")
    versions = catalog.EKS_ADDON_VERSIONS["1.35"]
    eks_inner = full.one("aws:eks/cluster:Cluster")
    for name in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent", "coredns", "aws-ebs-csi-driver"):
        a = addons[f"cluster-{name}"]
        assert a.props["addonName"] == name and a.props["addonVersion"] == versions[name]
        assert a.props["resolveConflictsOnCreate"] == "OVERWRITE" and a.props["resolveConflictsOnUpdate"] == "OVERWRITE"
        assert eks_inner.urn in deps(a, "clusterName")
        after_nodes = {g.urn for g in groups.values()} <= set(a.dependencies)
        assert after_nodes is (name in ("coredns", "aws-ebs-csi-driver")), name
        for g in groups.values():
            assert (a.urn in g.dependencies) is (name in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent"))
    assert json.loads(addons["cluster-vpc-cni"].props["configurationValues"]) == {"enableNetworkPolicy": "true"}
    assert "configurationValues" not in addons["cluster-coredns"].props


def test_ebs_csi_driver_has_its_own_pod_identity_role(full: Graph) -> None:
    """The driver's controller service account assumes a Pod Identity role scoped to this account
    and cluster, with AmazonEBSCSIDriverPolicy and grants on the data key (aws-ebs-csi-driver
    docs/install.md: a KMS-encrypted volume needs kms:CreateGrant on the key)."""
    roles = by_name(full, "aws:iam/role:Role")
    role = roles["cluster-ebs-csi"]
    trust = json.loads(role.props["assumeRolePolicy"])
    cluster_arn = full.one("aws:eks/cluster:Cluster").outputs["arn"]
    assert trust == iam.pod_identity_trust(account_id="123456789012", cluster_arn=cluster_arn)
    assert role.props["description"] == "groundwork-test: EBS CSI driver (kube-system/ebs-csi-controller-sa)"
    attachment = by_name(full, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")["cluster-ebs-csi"]
    assert attachment.props["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
    assert deps(attachment, "role") == [role.urn]
    kms = by_name(full, "aws:iam/rolePolicy:RolePolicy")["cluster-ebs-csi-kms"]
    assert json.loads(kms.props["policy"]) == iam.use_key([KEYS["data"]], grants=True)
    assert deps(kms, "role") == [role.urn]
    ebs = by_name(full, "aws:eks/addon:Addon")["cluster-aws-ebs-csi-driver"]
    [assoc] = ebs.props["podIdentityAssociations"]
    assert assoc["serviceAccount"] == "ebs-csi-controller-sa" and role.urn in deps(ebs, "podIdentityAssociations")


# --------------------------------------------------------------------------------------------- nodes


def test_node_role_has_the_three_node_policies(full: Graph) -> None:
    """EKS User Guide, "Amazon EKS node IAM role": AmazonEKSWorkerNodePolicy and an ECR read policy;
    the CNI policy on the node role because vpc-cni starts before Pod Identity serves credentials."""
    role = by_name(full, "aws:iam/role:Role")["cluster-nodes"]
    assert json.loads(role.props["assumeRolePolicy"]) == iam.assume_role("ec2.amazonaws.com")
    assert role.props["description"] == "groundwork-test: EKS managed nodes"
    attachments = {
        a.props["policyArn"]: a
        for a in full.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.name.startswith("cluster-nodes-")
    }
    assert sorted(attachments) == [
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    ]
    for a in attachments.values():
        assert deps(a, "role") == [role.urn]
        for g in full.of_type("aws:eks/nodeGroup:NodeGroup"):
            assert a.urn in g.dependencies  # nodes join only with their permissions


def test_node_group_launch_template(full: Graph) -> None:
    """EKS-07/EKS-10: IMDSv2 required with the group's hop limit, an encrypted gp3 root volume
    under the data key, the stack's tags on instances, volumes and interfaces."""
    templates = by_name(full, "aws:ec2/launchTemplate:LaunchTemplate")
    for group, size, hops in (("general", 50, 1), ("batch", 80, 2)):
        t = templates[f"cluster-{group}"].props
        assert t["namePrefix"] == f"groundwork-test-{group}-"
        assert t["description"] == f"groundwork-test node group {group}: IMDSv2, encrypted gp3 root volume"
        assert t["updateDefaultVersion"] is True
        assert t["metadataOptions"] == {
            "httpEndpoint": "enabled",
            "httpTokens": "required",
            "httpPutResponseHopLimit": hops,
        }
        assert t["blockDeviceMappings"] == [
            {
                "deviceName": "/dev/xvda",
                "ebs": {
                    "volumeSize": size,
                    "volumeType": "gp3",
                    "encrypted": "true",
                    "kmsKeyId": KEYS["data"],
                    "deleteOnTermination": "true",
                },
            }
        ]
        tags = {"Team": "platform", "Name": f"groundwork-test-{group}"}
        assert t["tagSpecifications"] == [
            {"resourceType": kind, "tags": tags} for kind in ("instance", "volume", "network-interface")
        ]
        assert "imageId" not in t  # EKS picks the AL2023 AMI of amiType


def test_long_names_fit_eks_and_the_providers_node_group_prefix() -> None:
    """An EKS cluster name may be 100 characters (EKS API Reference, CreateCluster), so a long
    project and stack keep the whole name; a node group's name is at most 63 characters and the
    provider appends a 26-character unique suffix to its prefix, rejecting prefixes over 37 at
    preview (hashicorp/terraform-provider-aws internal/service/eks/node_group.go), so long
    prefixes are cut with a digest that keeps two groups apart."""
    groups = [
        {**GENERAL, "name": "general-purpose-graviton-large"},
        {**GENERAL, "name": "general-purpose-graviton-small"},
    ]
    g = plan_cluster(
        naming=Naming("groundwork-payments-platform", "production-eu-west-1-blue-green-2026"), nodeGroups=groups
    )
    long_name = "groundwork-payments-platform-production-eu-west-1-blue-green-2026"
    assert len(long_name) > 63
    assert eks_cluster(g).props["name"] == long_name
    prefixes = [n.props["nodeGroupNamePrefix"] for n in g.of_type("aws:eks/nodeGroup:NodeGroup")]
    assert len(prefixes) == 2 and len(set(prefixes)) == 2
    assert all(len(p) <= 37 and p.endswith("-") and p.startswith("groundwork-payments-") for p in prefixes)
    short = plan_cluster(nodeGroups=[{**GENERAL, "name": "general-purpose-graviton-large"}])
    kept = short.one("aws:eks/nodeGroup:NodeGroup").props["nodeGroupNamePrefix"]
    assert len(kept) <= 37 and kept.startswith("groundwork-test-general-purpo") and kept.endswith("-")
    assert short.one("aws:ec2/launchTemplate:LaunchTemplate").props["namePrefix"] == (
        "groundwork-test-general-purpose-graviton-large-"
    )


def test_node_groups(full: Graph) -> None:
    groups = by_name(full, "aws:eks/nodeGroup:NodeGroup")
    templates = by_name(full, "aws:ec2/launchTemplate:LaunchTemplate")
    role = by_name(full, "aws:iam/role:Role")["cluster-nodes"]
    general, batch = groups["cluster-general"], groups["cluster-batch"]
    assert {k: v for k, v in general.props.items() if k not in ("launchTemplate", "nodeRoleArn", "clusterName")} == {
        "nodeGroupNamePrefix": "groundwork-test-general-",
        "subnetIds": ["subnet-p0", "subnet-p1"],
        "instanceTypes": ["m7g.large"],
        "capacityType": "ON_DEMAND",
        "amiType": "AL2023_ARM_64_STANDARD",
        "version": "1.35",
        "scalingConfig": {"minSize": 2, "desiredSize": 3, "maxSize": 6},
        "updateConfig": {"maxUnavailablePercentage": 33},
        "labels": {"groundwork.io/node-group": "general"},
        "taints": [],
        "tags": {"Name": "groundwork-test-general"},
    }
    assert "ignoreChanges" not in general.options  # the stack file owns the node count
    assert deps(general, "nodeRoleArn") == [role.urn]
    assert deps(general, "launchTemplate") == [templates["cluster-general"].urn]
    assert general.props["launchTemplate"] == {
        "id": templates["cluster-general"].id,
        "version": str(templates["cluster-general"].outputs["latestVersion"]),
    }
    assert batch.props["amiType"] == "AL2023_x86_64_STANDARD" and batch.props["capacityType"] == "SPOT"
    assert batch.props["labels"] == {"groundwork.io/node-group": "batch", "workload": "batch"}
    assert batch.props["taints"] == [{"key": "batch", "value": "true", "effect": "NO_SCHEDULE"}]
    assert batch.props["updateConfig"] == {"maxUnavailablePercentage": 50}


# --------------------------------------------------------------------------------------------- in the cluster


def test_kubernetes_provider_uses_the_secret_kubeconfig_with_server_side_apply(full: Graph) -> None:
    provider = by_name(full, "pulumi:providers:kubernetes")["cluster-k8s"]
    assert is_secret(provider.inputs["kubeconfig"])
    assert provider.props["enableServerSideApply"] == "true"


def test_default_storage_class(full: Graph) -> None:
    """gp3, encrypted with the data key, bound where the pod lands (an EBS volume lives in one AZ:
    WaitForFirstConsumer), expandable, volumes tagged for the AWS Backup selection
    (aws-ebs-csi-driver docs/tagging.md: tagSpecification_N parameters)."""
    sc = full.one("kubernetes:storage.k8s.io/v1:StorageClass")
    assert sc.props["metadata"] == {
        "name": "gp3",
        "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
    }
    assert (sc.props["provisioner"], sc.props["volumeBindingMode"], sc.props["reclaimPolicy"]) == (
        "ebs.csi.aws.com",
        "WaitForFirstConsumer",
        "Delete",
    )
    assert sc.props["allowVolumeExpansion"] is True
    assert sc.props["parameters"] == {
        "type": "gp3",
        "encrypted": "true",
        "kmsKeyId": KEYS["data"],
        "tagSpecification_1": "Backup=daily",
    }
    assert sc.provider_urn == by_name(full, "pulumi:providers:kubernetes")["cluster-k8s"].urn
    assert by_name(full, "aws:eks/addon:Addon")["cluster-aws-ebs-csi-driver"].urn in sc.dependencies
    assert plan_cluster(args={"storage_class": False}).of_type(sc.type) == []


def test_ready_is_nodes_dns_and_volumes(full: Graph, held: list[Cluster]) -> None:
    """What every in-cluster layer waits for."""
    names = [r._name for r in held[0].ready]
    assert names == ["cluster-general", "cluster-batch", "cluster-coredns", "cluster-aws-ebs-csi-driver", "cluster-gp3"]
    bare: list[Cluster] = []
    plan_cluster(bare, args={"storage_class": False})
    assert [r._name for r in bare[0].ready] == ["cluster-general", "cluster-coredns", "cluster-aws-ebs-csi-driver"]


def test_outputs(full: Graph) -> None:
    outputs = full.one("groundwork:cluster:Cluster").outputs
    assert set(outputs) == {"name", "endpoint", "oidcProviderArn", "securityGroupId", "nodeRoleArn", "creatorRoleArn"}
    assert outputs["name"] == NAME and outputs["creatorRoleArn"] == CREATOR
    assert outputs["nodeRoleArn"] == by_name(full, "aws:iam/role:Role")["cluster-nodes"].outputs["arn"]


def test_children_belong_to_the_component(full: Graph) -> None:
    component = full.one("groundwork:cluster:Cluster").urn
    eks = eks_cluster(full).urn
    for r in full.resources:
        if r.type.startswith("pulumi:pulumi:") or r.urn == component:
            continue
        assert r.parent in (component, eks) or full.by_urn[r.parent].parent == eks, r.name


def test_component_options_reach_the_cluster() -> None:
    def body() -> None:
        import pulumi_aws as aws

        p = aws.Provider("p", region="eu-central-1")
        Cluster(
            "cluster",
            ClusterArgs(
                settings=ClusterSettings.model_validate({"adminRoleArns": [ADMIN], "nodeGroups": [GENERAL]}),
                naming=Naming("groundwork", "test"),
                vpc_id="v",
                private_subnet_ids=["s"],
                secrets_key_arn="k",
                logs_key_arn="k",
                data_key_arn="k",
                tags={},
            ),
            opts=pulumi.ResourceOptions(providers={"aws": p}),
        )

    g = run_function(body, config={"aws:region": "eu-west-1"})
    provider = g.one("pulumi:providers:aws").urn
    assert by_name(g, "aws:eks/nodeGroup:NodeGroup")["cluster-general"].provider_urn == provider


def test_every_resource_is_the_clusters_child(full: Graph) -> None:
    """pulumi-eks's own resources included: they descend from its Cluster, itself a child."""
    assert outside(full, "groundwork:cluster:Cluster") == []
