"""The Cluster component as the offline plan records it (EKS-01..07, EKS-09)."""

from __future__ import annotations

import json

from groundwork import catalog
from groundwork.plan.graph import Graph, is_secret
from tests.conftest import section
from tests.helpers import by_name, deps

EKS = "eks:index:Cluster"
NODEGROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"


def test_control_plane_settings(prod: Graph) -> None:
    c = prod.one(EKS).props
    assert c["name"] == "groundwork-prod" and c["version"] == "1.35"
    assert c["authenticationMode"] == "API"
    assert c["endpointPrivateAccess"] is True and c["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in c
    assert c["enabledClusterLogTypes"] == ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    assert c["createOidcProvider"] is True and c["skipDefaultNodeGroup"] is True
    assert c["deletionProtection"] is True
    assert c["bootstrapSelfManagedAddons"] is False
    assert c["upgradePolicy"] == {"supportType": "STANDARD"}
    assert c["kubernetesServiceIpAddressRange"] == "172.20.0.0/16"


def test_secrets_are_envelope_encrypted_with_the_secrets_key(prod: Graph) -> None:
    cluster = prod.one(EKS)
    key = by_name(prod, "aws:kms/key:Key")["keys-secrets"]
    assert deps(cluster, "encryptionConfigKeyArn") == [key.urn]
    assert cluster.props["encryptionConfigKeyArn"] == key.outputs["arn"]
    policy = by_name(prod, "aws:iam/rolePolicy:RolePolicy")["cluster-envelope-encryption"]
    assert json.loads(policy.props["policy"])["Statement"][0]["Resource"] == [key.outputs["arn"]]
    role = by_name(prod, "aws:iam/role:Role")["cluster-control-plane"]
    assert cluster.props["serviceRole"]["urn"] == role.urn  # our role, not one pulumi-eks invents
    grants = [by_name(prod, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")["cluster-control-plane"], policy]
    assert all(g.urn in cluster.dependencies for g in grants)


def test_control_plane_log_group_is_precreated_retained_and_encrypted(prod: Graph) -> None:
    group = by_name(prod, "aws:cloudwatch/logGroup:LogGroup")["cluster-control-plane"]
    assert group.props["name"] == "/aws/eks/groundwork-prod/cluster"
    assert group.props["retentionInDays"] == 365
    assert deps(group, "kmsKeyId") == [by_name(prod, "aws:kms/key:Key")["keys-logs"].urn]
    assert group.urn in prod.one(EKS).dependencies


def test_access_entries_map_named_roles(staging: Graph) -> None:
    entries = staging.one(EKS).props["accessEntries"]
    assert entries["admin-0"]["principalArn"] == "arn:aws:iam::222222222222:role/PlatformAdmin"
    assert entries["admin-0"]["accessPolicies"]["admin"]["policyArn"].endswith("/AmazonEKSClusterAdminPolicy")
    assert entries["viewer-0"]["principalArn"] == "arn:aws:iam::222222222222:role/Developer"
    assert entries["viewer-0"]["accessPolicies"]["viewer"]["policyArn"].endswith("/AmazonEKSViewPolicy")
    assert all(":user/" not in e["principalArn"] for e in entries.values())


def test_dev_public_endpoint_is_cidr_restricted(dev: Graph) -> None:
    c = dev.one(EKS).props
    assert c["endpointPublicAccess"] is True and c["publicAccessCidrs"] == ["203.0.113.0/24"]
    assert c["deletionProtection"] is False


def test_control_plane_and_nodes_use_private_subnets(prod: Graph) -> None:
    private = sorted(
        s.urn for s in prod.of_type("aws:ec2/subnet:Subnet") if s.props["tags"]["groundwork.io/tier"] == "private"
    )
    assert sorted(deps(prod.one(EKS), "privateSubnetIds")) == private
    for ng in prod.of_type(NODEGROUP):
        assert sorted(deps(ng, "subnetIds")) == private


def test_node_group_follows_settings(prod: Graph) -> None:
    ng = prod.one(NODEGROUP).props
    assert ng["instanceTypes"] == ["m7g.large"] and ng["amiType"] == "AL2023_ARM_64_STANDARD"
    assert ng["scalingConfig"] == {"minSize": 3, "desiredSize": 3, "maxSize": 6}
    assert ng["updateConfig"] == {"maxUnavailablePercentage": 33}
    assert ng["capacityType"] == "ON_DEMAND" and ng["version"] == "1.35"
    assert ng["labels"] == {"groundwork.io/node-group": "general"}
    assert ng["nodeGroupNamePrefix"] == "groundwork-prod-general-"
    # no autoscaler is installed: the stack file owns the node count, so nothing is ignored
    assert not prod.one(NODEGROUP).options.get("ignoreChanges")


def test_launch_template_requires_imdsv2_and_encrypts_gp3(prod: Graph) -> None:
    lt = prod.one("aws:ec2/launchTemplate:LaunchTemplate", "cluster-general")
    meta = lt.props["metadataOptions"]
    assert meta["httpTokens"] == "required" and meta["httpPutResponseHopLimit"] == 1
    ebs = lt.props["blockDeviceMappings"][0]["ebs"]
    assert (ebs["volumeType"], ebs["encrypted"], ebs["volumeSize"]) == ("gp3", "true", 50)
    assert deps(lt, "blockDeviceMappings") == [by_name(prod, "aws:kms/key:Key")["keys-data"].urn]
    kinds = {t["resourceType"]: t["tags"] for t in lt.props["tagSpecifications"]}
    assert set(kinds) == {"instance", "volume", "network-interface"}
    assert kinds["volume"]["CostCenter"] == "platform" and kinds["instance"]["Environment"] == "prod"
    ng = prod.one(NODEGROUP)
    assert deps(ng, "launchTemplate") == [lt.urn]


def test_node_groups_change_with_settings(graph_of) -> None:
    cluster = section("staging", "cluster")
    cluster["nodeGroups"].append(
        {
            "name": "batch",
            "instanceTypes": ["c7i.xlarge"],
            "capacityType": "SPOT",
            "minSize": 2,
            "desiredSize": 2,
            "maxSize": 10,
            "imdsHopLimit": 2,
            "taints": [{"key": "batch", "effect": "NO_SCHEDULE"}],
            "diskSizeGiB": 100,
        }
    )
    g = graph_of("staging", cluster=cluster)
    groups = by_name(g, NODEGROUP)
    batch = groups["cluster-batch"].props
    assert batch["amiType"] == "AL2023_x86_64_STANDARD" and batch["capacityType"] == "SPOT"
    assert batch["taints"] == [{"key": "batch", "effect": "NO_SCHEDULE"}]
    lt = by_name(g, "aws:ec2/launchTemplate:LaunchTemplate")["cluster-batch"].props
    assert lt["metadataOptions"]["httpPutResponseHopLimit"] == 2
    assert lt["blockDeviceMappings"][0]["ebs"]["volumeSize"] == 100


def test_addons_are_pinned_and_ordered_around_the_nodes(prod: Graph) -> None:
    addons = {a.props["addonName"]: a for a in prod.of_type(ADDON)}
    assert set(addons) == {"vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver", "eks-pod-identity-agent"}
    for name, a in addons.items():
        assert a.props["addonVersion"] == catalog.EKS_ADDON_VERSIONS["1.35"][name]
    ng = prod.one(NODEGROUP)
    for early in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent"):
        assert addons[early].urn in ng.dependencies
    for late in ("coredns", "aws-ebs-csi-driver"):
        assert ng.urn in addons[late].dependencies
    assert json.loads(addons["vpc-cni"].props["configurationValues"]) == {"enableNetworkPolicy": "true"}


def test_ebs_csi_driver_has_its_own_pod_identity_role(prod: Graph) -> None:
    ebs = next(a for a in prod.of_type(ADDON) if a.props["addonName"] == "aws-ebs-csi-driver")
    role = by_name(prod, "aws:iam/role:Role")["cluster-ebs-csi"]
    assoc = ebs.props["podIdentityAssociations"]
    assert assoc == [{"roleArn": role.outputs["arn"], "serviceAccount": "ebs-csi-controller-sa"}]
    assert json.loads(role.props["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "pods.eks.amazonaws.com"
    }


def test_node_role_policies(prod: Graph) -> None:
    role = by_name(prod, "aws:iam/role:Role")["cluster-nodes"]
    attached = sorted(
        a.props["policyArn"].rsplit("/", 1)[1]
        for a in prod.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if deps(a, "role") == [role.urn]
    )
    assert set(attached) == {"AmazonEC2ContainerRegistryPullOnly", "AmazonEKS_CNI_Policy", "AmazonEKSWorkerNodePolicy"}


def test_kubernetes_provider_and_default_storage_class(prod: Graph) -> None:
    # the program's own provider (pulumi-eks registers another, `cluster-eks-eks-k8s`, which nothing uses)
    provider = prod.one("pulumi:providers:kubernetes", "cluster-k8s")
    assert deps(provider, "kubeconfig") == [prod.one(EKS).urn]
    assert is_secret(provider.inputs["kubeconfig"])
    sc = prod.one("kubernetes:storage.k8s.io/v1:StorageClass")
    assert sc.provider_urn == provider.urn
    assert sc.props["parameters"]["encrypted"] == "true" and sc.props["parameters"]["type"] == "gp3"
    assert sc.props["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"


def test_prod_protects_the_cluster_and_keys_dev_does_not(prod: Graph, dev: Graph) -> None:
    assert prod.one(EKS).options.get("protect") is True
    assert all(k.options.get("protect") and k.options.get("retainOnDelete") for k in prod.of_type("aws:kms/key:Key"))
    assert not dev.one(EKS).options.get("protect")
    assert not any(k.options.get("protect") for k in dev.of_type("aws:kms/key:Key"))


def test_keys_rotate_and_have_explicit_policies(prod: Graph) -> None:
    for key in prod.of_type("aws:kms/key:Key"):
        # KMS rotates symmetric encryption keys only; the DNSSEC signing key is asymmetric (components/edge.py)
        symmetric = key.props.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
        assert key.props["enableKeyRotation"] is symmetric, key.name
        policy = json.loads(key.props["policy"])
        assert policy["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::333333333333:root"}
    aliases = sorted(a.props["name"] for a in prod.of_type("aws:kms/alias:Alias"))
    assert aliases == [
        "alias/groundwork-prod-data",
        "alias/groundwork-prod-dr-data",
        "alias/groundwork-prod-dr-secrets",
        "alias/groundwork-prod-frontend",
        "alias/groundwork-prod-logs",
        "alias/groundwork-prod-secrets",
        "alias/groundwork-prod-use1-logs",
    ]
