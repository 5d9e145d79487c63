"""EKS: the pulumi-eks control plane, managed node groups, pinned add-ons, and a Kubernetes
provider for the layers that follow (EKS-01..07, EKS-09).

Behaviour:
- Control plane: pinned Kubernetes version with standard-support upgrade policy (no silent
  extended-support charges), API authentication mode with access entries for the admin
  (AmazonEKSClusterAdminPolicy) and viewer (AmazonEKSViewPolicy) roles, an OIDC provider,
  Kubernetes Secrets envelope-encrypted with the `secrets` KMS key, all five control-plane
  log types to a pre-created log group with retention and the `logs` key, private endpoint
  always on, public endpoint only as settings allow, deletion protection per settings.
- No default node group and no pulumi-eks security groups: managed node groups carry the
  EKS-created cluster security group, the one source the data layer allows (NET-06).
- Add-ons as pinned EKS managed add-ons (`groundwork.catalog.EKS_ADDON_VERSIONS`); EKS does not
  bootstrap its self-managed copies. vpc-cni (with network-policy enforcement for K8S-03),
  kube-proxy and eks-pod-identity-agent come up before the nodes; coredns and the EBS CSI
  driver (its own Pod Identity role) after them.
- Node groups (`aws.eks.NodeGroup`, i.e. EKS managed node groups; pulumi-eks's
  ManagedNodeGroup has no update config): private subnets in every AZ, AL2023 AMI of the
  instance types' architecture, a launch template with IMDSv2 required and the configured hop
  limit, an encrypted gp3 root volume under the `data` key, tags propagated to instances and
  volumes, rolling updates by `maxUnavailablePercentage`. No cluster autoscaler is installed, so the
  node groups run `desiredSize` nodes and the stack file owns that number (no ignoreChanges: a
  manual scale is undone by the next `up`); the pack checks that those nodes hold the platform's
  pods (policies/groundwork_policies/capacity.py).
- A default `gp3` StorageClass (encrypted with the `data` key) for persistent volumes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s

from components.options import kept
from components.providers import account_and_partition
from groundwork import catalog, iam
from groundwork.naming import Naming
from groundwork.settings.model import ClusterSettings, NodeGroupSettings

LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
CREATOR_TAG = "groundwork:creator"  # the principal EKS made admin at creation
VIEW_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
ADMIN_VIEW_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy"
BEFORE_COMPUTE = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
AFTER_COMPUTE = ("coredns", "aws-ebs-csi-driver")
NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonEKS_CNI_Policy",  # vpc-cni starts before Pod Identity can serve credentials
)


@dataclass(frozen=True)
class ClusterArgs:
    settings: ClusterSettings
    naming: Naming
    vpc_id: pulumi.Input[str]
    private_subnet_ids: list[pulumi.Input[str]]
    secrets_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    data_key_arn: pulumi.Input[str]
    tags: dict[str, str]
    backup_tag: str = ""
    protect: bool = True
    # CI's preview role reads the cluster without Secrets (AmazonEKSViewPolicy): pull-request
    # previews reach it, pulumi-kubernetes falls back to a client-side diff where a dry-run needs
    # more. The drift role (protected branches only) reads everything, Helm release Secrets
    # included, which `pulumi refresh` needs (AmazonEKSAdminViewPolicy). docs/delivery.md
    ci_viewer_role_arns: tuple[str, ...] = ()
    ci_reader_role_arns: tuple[str, ...] = ()
    # The principal that creates the cluster. pulumi-eks always sets
    # bootstrapClusterCreatorAdminPermissions (nodejs/eks/cluster/cluster.ts), so EKS gives the
    # creator an admin access entry the stack never declares; the stack names it instead: the
    # deploy role, tagged on the cluster (`groundwork:creator`) and exported, never declared as an
    # access entry too (a second entry for it fails CreateAccessEntry), and `groundwork doctor`
    # refuses a first `up` by any other principal.
    creator_role_arn: str | None = None
    # the default StorageClass is an in-cluster object: left out of a first `up` from outside the VPC
    storage_class: bool = True


class Cluster(pulumi.ComponentResource):
    name: pulumi.Output[str]
    provider: k8s.Provider

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:cluster:Cluster", name, None, opts)
        s, naming = args.settings, args.naming
        child = pulumi.ResourceOptions(parent=self)
        cluster_name = naming.physical(kind="eks-cluster")
        versions = catalog.EKS_ADDON_VERSIONS[s.version]

        # Control-plane log group created first so it has a retention and a KMS key (EKS-02).
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane",
            name=f"/aws/eks/{cluster_name}/cluster",
            retention_in_days=s.log_retention_days,
            kms_key_id=args.logs_key_arn,
            opts=kept(self, args.protect),
        )

        role = aws.iam.Role(
            f"{name}-control-plane",
            assume_role_policy=json.dumps(iam.assume_role("eks.amazonaws.com")),
            description=f"{naming.prefix}: EKS control plane",
            opts=child,
        )
        role_grants: list[pulumi.Resource] = [
            aws.iam.RolePolicyAttachment(
                f"{name}-control-plane",
                role=role.name,
                policy_arn="arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
                opts=child,
            )
        ]
        role_grants.append(
            aws.iam.RolePolicy(
                f"{name}-envelope-encryption",
                role=role.id,
                policy=pulumi.Output.from_input(args.secrets_key_arn).apply(
                    lambda arn: json.dumps(iam.use_key([arn], grants=True))
                ),
                opts=child,
            )
        )

        access_entries: dict[str, eks.AccessEntryArgs] = {}
        for kind, arns, policy in (
            ("admin", s.admin_role_arns, ADMIN_POLICY),
            ("viewer", s.viewer_role_arns, VIEW_POLICY),
            ("ci-viewer", [a for a in args.ci_viewer_role_arns if a not in s.viewer_role_arns], VIEW_POLICY),
            ("ci-reader", list(args.ci_reader_role_arns), ADMIN_VIEW_POLICY),
        ):
            for i, arn in enumerate(arns):
                access_entries[f"{kind}-{i}"] = eks.AccessEntryArgs(
                    principal_arn=arn,
                    access_policies={
                        kind: eks.AccessPolicyAssociationArgs(
                            policy_arn=policy,
                            access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                        )
                    },
                )

        self.eks = eks.Cluster(
            f"{name}-eks",
            name=cluster_name,
            version=s.version,
            vpc_id=args.vpc_id,
            private_subnet_ids=args.private_subnet_ids,
            node_associate_public_ip_address=False,
            endpoint_private_access=True,
            endpoint_public_access=s.endpoint_public_access,
            public_access_cidrs=[str(c) for c in s.public_access_cidrs] if s.endpoint_public_access else None,
            authentication_mode=eks.AuthenticationMode.API,
            access_entries=access_entries,
            encryption_config_key_arn=args.secrets_key_arn,
            enabled_cluster_log_types=LOG_TYPES,
            create_oidc_provider=True,
            skip_default_node_group=True,
            skip_default_security_groups=True,
            bootstrap_self_managed_addons=False,
            use_default_vpc_cni=True,
            coredns_addon_options=eks.CoreDnsAddonOptionsArgs(enabled=False),
            kube_proxy_addon_options=eks.KubeProxyAddonOptionsArgs(enabled=False),
            kubernetes_service_ip_address_range=str(s.service_cidr),
            deletion_protection=s.deletion_protection,
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
            service_role=role,
            tags={"Name": cluster_name, **({CREATOR_TAG: args.creator_role_arn} if args.creator_role_arn else {})},
            # the role is passed by reference, which records no dependency: wait for its grants explicitly
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, *role_grants], protect=args.protect),
        )
        eks_cluster = self.eks.eks_cluster
        self.name = eks_cluster.name
        self.endpoint = eks_cluster.endpoint
        self.security_group_id = eks_cluster.vpc_config.cluster_security_group_id
        self.arn = eks_cluster.arn
        self.account_id, self.partition = account_and_partition(self)
        self.oidc_provider_arn = self.eks.oidc_provider_arn
        self.kubeconfig: pulumi.Output[str] = pulumi.Output.secret(self.eks.kubeconfig_json)  # type: ignore[arg-type]

        def addon(
            addon_name: str,
            depends_on: Sequence[pulumi.Resource],
            configuration: dict[str, str] | None = None,
            pod_identity: list[aws.eks.AddonPodIdentityAssociationArgs] | None = None,
        ) -> aws.eks.Addon:
            return aws.eks.Addon(
                f"{name}-{addon_name}",
                cluster_name=self.name,
                addon_name=addon_name,
                addon_version=versions[addon_name],
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                configuration_values=json.dumps(configuration) if configuration else None,
                pod_identity_associations=pod_identity,
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
            )

        base_addons = [
            addon("vpc-cni", [], configuration={"enableNetworkPolicy": "true"}),
            addon("kube-proxy", []),
            addon("eks-pod-identity-agent", []),
        ]

        node_role = aws.iam.Role(
            f"{name}-nodes",
            assume_role_policy=json.dumps(iam.assume_role("ec2.amazonaws.com")),
            description=f"{naming.prefix}: EKS managed nodes",
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-nodes-{policy}",
                role=node_role.name,
                policy_arn=f"arn:aws:iam::aws:policy/{policy}",
                opts=child,
            )
            for policy in NODE_POLICIES
        ]
        self.node_role_arn = node_role.arn
        self.creator_role_arn = args.creator_role_arn
        self.node_role_name = node_role.name

        groups = [self._node_group(name, g, args, node_role, [*base_addons, *attachments]) for g in s.node_groups]

        ebs_role = aws.iam.Role(
            f"{name}-ebs-csi",
            assume_role_policy=pulumi.Output.all(self.account_id, self.arn).apply(
                lambda a: json.dumps(iam.pod_identity_trust(account_id=a[0], cluster_arn=a[1]))
            ),
            description=f"{naming.prefix}: EBS CSI driver (kube-system/ebs-csi-controller-sa)",
            opts=child,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-ebs-csi",
            role=ebs_role.name,
            policy_arn="arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-ebs-csi-kms",
            role=ebs_role.id,
            policy=pulumi.Output.from_input(args.data_key_arn).apply(
                lambda arn: json.dumps(iam.use_key([arn], grants=True))
            ),
            opts=child,
        )
        coredns = addon("coredns", groups)
        ebs = addon(
            "aws-ebs-csi-driver",
            groups,
            pod_identity=[
                aws.eks.AddonPodIdentityAssociationArgs(role_arn=ebs_role.arn, service_account="ebs-csi-controller-sa")
            ],
        )

        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            enable_server_side_apply=True,
            opts=child,
        )
        storage_class: pulumi.Resource | None = None
        if args.storage_class:
            storage_class = k8s.storage.v1.StorageClass(
                f"{name}-gp3",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name="gp3", annotations={"storageclass.kubernetes.io/is-default-class": "true"}
                ),
                provisioner="ebs.csi.aws.com",
                volume_binding_mode="WaitForFirstConsumer",
                allow_volume_expansion=True,
                reclaim_policy="Delete",
                # volumes of persistent claims carry the Backup tag, so the AWS Backup selection covers them
                parameters={  # type: ignore[arg-type]
                    "type": "gp3",
                    "encrypted": "true",
                    "kmsKeyId": args.data_key_arn,
                    "tagSpecification_1": f"Backup={args.backup_tag}",
                },
                opts=pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=[ebs]),
            )

        # What every in-cluster layer waits for: nodes to schedule on (every node group ACTIVE),
        # cluster DNS (coredns, an add-on EKS reports ACTIVE only once its pods run) and volumes
        # (the EBS CSI driver and the default StorageClass). Without it Helm releases start as
        # soon as the API answers and rely on their timeouts while nodes join.
        self.ready: list[pulumi.Resource] = [*groups, coredns, ebs, *([storage_class] if storage_class else [])]

        self.register_outputs(
            {
                "name": self.name,
                "endpoint": self.endpoint,
                "oidcProviderArn": self.oidc_provider_arn,
                "securityGroupId": self.security_group_id,
                "nodeRoleArn": self.node_role_arn,
                "creatorRoleArn": self.creator_role_arn,
            }
        )

    def _node_group(
        self,
        name: str,
        g: NodeGroupSettings,
        args: ClusterArgs,
        node_role: aws.iam.Role,
        depends_on: list[pulumi.Resource],
    ) -> aws.eks.NodeGroup:
        naming = args.naming
        tags = {**args.tags, "Name": naming.physical(g.name)}
        template = aws.ec2.LaunchTemplate(
            f"{name}-{g.name}",
            name_prefix=f"{naming.physical(g.name)}-",
            description=f"{naming.prefix} node group {g.name}: IMDSv2, encrypted gp3 root volume",
            update_default_version=True,
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=g.disk_size_gib,
                        volume_type="gp3",
                        encrypted="true",
                        kms_key_id=args.data_key_arn,
                        delete_on_termination="true",
                    ),
                )
            ],
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=g.imds_hop_limit,
            ),
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=tags)
                for kind in ("instance", "volume", "network-interface")
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        return aws.eks.NodeGroup(
            f"{name}-{g.name}",
            cluster_name=self.name,
            node_group_name_prefix=f"{naming.physical(g.name, kind='eks-nodegroup-prefix')}-",
            node_role_arn=node_role.arn,
            subnet_ids=args.private_subnet_ids,
            instance_types=g.instance_types,
            capacity_type=g.capacity_type,
            ami_type=catalog.AMI_TYPES[g.arch],
            version=args.settings.version,
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=g.min_size, desired_size=g.desired_size, max_size=g.max_size
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable_percentage=g.max_unavailable_percentage),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            labels={"groundwork.io/node-group": g.name, **g.labels},
            taints=[aws.eks.NodeGroupTaintArgs(key=t.key, value=t.value, effect=t.effect) for t in g.taints],
            tags={"Name": naming.physical(g.name)},
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )
