"""Violations, one change each, with the exact messages every policy must report."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.policies.harness import DELETE, Fx, World

Mutation = Callable[[World], World]


@dataclass
class Case:
    policy: str
    id: str
    mutate: Mutation
    expected: list[str]
    target: str | None = None  # the resource a resource policy is run on
    env: str = "prod"
    extra: dict = field(default_factory=dict)


CASES: list[Case] = []


def case(
    policy: str, id_: str, mutate: Mutation, expected: list[str], target: str | None = None, env: str = "prod"
) -> None:
    CASES.append(Case(policy, id_, mutate, expected, target, env))


def patch(name: str, path: str, value: object) -> Mutation:
    return lambda w: w.patch(name, path, value)


def remove(*names: str) -> Mutation:
    return lambda w: w.without(*names)


def add(*fxs: Fx) -> Mutation:
    return lambda w: w.with_(*fxs)


def chain(*ms: Mutation) -> Mutation:
    def run(w: World) -> World:
        for m in ms:
            w = m(w)
        return w

    return run


def deps(name: str, prop: str, targets: list[str]) -> Mutation:
    def run(w: World) -> World:
        w = w.copy()
        w.resources[name].deps[prop] = targets
        return w

    return run


def policy_doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# --------------------------------------------------------------------------------------------- network
P = "aws-vpc-require-three-tiers-across-azs"
case(
    P,
    "two-azs",
    remove("subnet-public-2", "subnet-private-2", "subnet-db-2", "assoc-public-2", "assoc-private-2", "assoc-db-2"),
    [
        "[NET-01] VPC vpc has isolated subnets in 2 AZ(s), private subnets in 2 AZ(s), public subnets in 2 AZ(s); each tier needs 3 AZs"
    ],
)
case(
    P,
    "no-isolated-tier",
    remove("subnet-db-0", "subnet-db-1", "subnet-db-2", "assoc-db-0", "assoc-db-1", "assoc-db-2"),
    ["[NET-01] VPC vpc has isolated subnets in 0 AZ(s); each tier needs 3 AZs"],
)
case(
    P,
    "dev-is-advisory",
    remove("subnet-db-2", "assoc-db-2"),
    [
        "[NET-01] VPC vpc has isolated subnets in 2 AZ(s); each tier needs 3 AZs (advisory in dev: mandatory in tier stg+)"
    ],
    env="dev",
)

P = "aws-vpc-require-nat-gateway-per-az"
case(
    P,
    "single-nat",
    chain(
        remove("nat-1", "nat-2"),
        deps("route-private-1", "natGatewayId", ["nat-0"]),
        deps("route-private-2", "natGatewayId", ["nat-0"]),
    ),
    ["[NET-02] VPC vpc has private subnets in 3 AZs but NAT gateways in 1; no NAT in eu-west-1b, eu-west-1c"],
)

P = "aws-vpc-require-encrypted-flow-logs"
case(P, "no-flow-log", remove("flow-log"), ["[NET-03] VPC vpc has no flow log"])
case(
    P,
    "unencrypted-group",
    patch("flow-log-group", "kmsKeyId", DELETE),
    ["[NET-03] flow-log group flow-log-group is not encrypted with a KMS key"],
)
case(
    P,
    "kept-forever",
    patch("flow-log-group", "retentionInDays", DELETE),
    ["[NET-03] flow-log group flow-log-group has no retention (kept forever)"],
)
case(
    P,
    "group-elsewhere",
    deps("flow-log", "logDestination", []),
    ["[NET-03] flow log flow-log does not deliver to a log group of this stack"],
)

P = "aws-vpc-default-security-group-deny-all"
case(
    P,
    "unmanaged",
    remove("default-sg"),
    ["[NET-04] VPC vpc's default security group is not managed (it allows all traffic within the group)"],
)
case(
    P,
    "has-rules",
    patch("default-sg", "ingress", [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}]),
    ["[NET-04] default security group default-sg has rules; it must have none"],
)

P = "aws-security-group-no-world-ingress"
case(
    P,
    "ssh-open",
    patch(
        "endpoints-sg",
        "ingress[0]",
        {"description": "ssh", "protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]},
    ),
    ["[NET-05] ingress 22-22 is open to the internet"],
    target="endpoints-sg",
)
case(
    P,
    "all-traffic-open-v6",
    patch(
        "db-sg",
        "ingress",
        [{"description": "x", "protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": ["::/0"]}],
    ),
    ["[NET-05] ingress 0-65535 is open to the internet"],
    target="db-sg",
)
case(
    P,
    "rule-resource",
    add(
        Fx(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "ssh",
            {"description": "ssh", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "0.0.0.0/0"},
        )
    ),
    ["[NET-05] ingress 22-22 is open to the internet"],
    target="ssh",
)

P = "aws-security-group-world-web-only-on-load-balancers"
case(
    P,
    "web-open-not-on-lb",
    deps("alb", "securityGroups", []),
    ["[NET-05] security group alb-sg admits the internet but no load balancer uses it"],
)
case(
    P,
    "https-open-on-endpoints",
    patch("endpoints-sg", "ingress[0].cidrBlocks", ["0.0.0.0/0"]),
    ["[NET-05] security group endpoints-sg admits the internet but no load balancer uses it"],
)

P = "aws-datastore-ingress-only-from-cluster"
case(
    P,
    "cidr-source",
    patch("db-sg", "ingress[0].cidrBlocks", ["10.30.0.0/16"]),
    [
        "[NET-06] security group db-sg of db admits CIDRs 10.30.0.0/16",
        "[NET-06] security group db-sg of db-proxy admits CIDRs 10.30.0.0/16",
    ],
)
case(
    P,
    "wide-ports",
    patch("cache-sg", "ingress[0].toPort", 6380),
    ["[NET-06] security group cache-sg of cache opens ports 6379-6380, not only 6379"],
)
case(
    P,
    "no-own-group",
    patch("cache", "securityGroupIds", DELETE),
    ["[NET-06] cache has no security group of its own (the VPC default would apply)"],
)

P = "aws-subnet-no-public-ip-on-launch"
case(
    P,
    "maps-public",
    patch("subnet-private-0", "mapPublicIpOnLaunch", True),
    ["[NET-07] mapPublicIpOnLaunch is true"],
    target="subnet-private-0",
)

P = "aws-eks-nodes-no-public-ip"
case(
    P,
    "self-managed-public",
    add(
        Fx(
            "aws:ec2/launchConfiguration:LaunchConfiguration",
            "self-managed-nodes",
            {"associatePublicIpAddress": True, "imageId": "ami-1", "instanceType": "t3.large"},
        )
    ),
    ["[NET-07] associatePublicIpAddress is true"],
    target="self-managed-nodes",
)
case(
    P,
    "launch-template-public",
    patch("node-template", "networkInterfaces", [{"associatePublicIpAddress": "true"}]),
    ["[NET-07] networkInterfaces[0].associatePublicIpAddress is true"],
    target="node-template",
)

P = "aws-ec2-instance-no-public-ip"
case(
    P,
    "public-host",
    add(
        Fx(
            "aws:ec2/instance:Instance",
            "bastion",
            {"associatePublicIpAddress": True, "instanceType": "t4g.nano", "subnetId": "subnet-1"},
            {"subnetId": ["subnet-private-0"]},
        )
    ),
    [
        "[NET-07] instance bastion has a public IP address but is no NAT instance: its source/destination "
        "check is on; it is not in a public subnet; no default route goes through it"
    ],
)

P = "aws-security-group-require-descriptions"
case(
    P,
    "pulumi-default",
    patch("db-sg", "description", "Managed by Pulumi"),
    ["[NET-08] the security group has no description"],
    target="db-sg",
)
case(
    P,
    "rule-without",
    patch("db-sg", "ingress[0].description", DELETE),
    ["[NET-08] ingress[0] has no description"],
    target="db-sg",
)

P = "aws-vpc-require-s3-gateway-endpoint"
case(P, "missing", remove("s3-endpoint"), ["[NET-09] VPC vpc has no S3 gateway endpoint"])
case(
    P,
    "interface-only",
    patch("s3-endpoint", "vpcEndpointType", "Interface"),
    ["[NET-09] VPC vpc has no S3 gateway endpoint"],
)

P = "aws-lb-require-tls12-and-http-redirect"
case(
    P,
    "tls10",
    patch("listener-https", "sslPolicy", "ELBSecurityPolicy-2016-08"),
    ["[NET-10] listener listener-https uses SSL policy ELBSecurityPolicy-2016-08, not TLS 1.2+"],
)
case(P, "no-https", remove("listener-https"), ["[NET-10] load balancer alb has no HTTPS listener"])
case(
    P,
    "iam-certificate",
    patch("listener-https", "certificateArn", "arn:aws:iam::1:server-certificate/x"),
    ["[NET-10] listener listener-https has no ACM certificate"],
)
case(
    P,
    "http-forwards",
    patch("listener-http", "defaultActions", [{"type": "forward", "targetGroupArn": "arn:tg"}]),
    ["[NET-10] HTTP listener listener-http does not redirect to HTTPS"],
)

P = "aws-lb-require-waf"
case(P, "lb-without-waf", remove("waf-assoc"), ["[NET-10] load balancer alb has no WAF web ACL"])
case(
    P,
    "ingress-class-without-waf",
    patch("ingress-params", "spec.wafv2AclArn", DELETE),
    ["[NET-10] ingress class parameters ingress-params attach no WAF web ACL (spec.wafv2AclArn)"],
)
case(
    P,
    "staging-is-advisory",
    remove("waf-assoc"),
    ["[NET-10] load balancer alb has no WAF web ACL (advisory in staging: mandatory in tier prod)"],
    env="staging",
)

P = "kubernetes-alb-ingress-class-require-tls"
case(
    P,
    "old-policy",
    patch("ingress-params", "spec.sslPolicy", "ELBSecurityPolicy-2016-08"),
    ["[NET-10/K8S-11] spec.sslPolicy is 'ELBSecurityPolicy-2016-08', not a TLS 1.2+ policy"],
    target="ingress-params",
)
case(
    P,
    "no-certificate",
    patch("ingress-params", "spec.certificateArn", []),
    ["[NET-10/K8S-11] spec.certificateArn has no ACM certificate"],
    target="ingress-params",
)

P = "kubernetes-alb-ingress-require-https-redirect"
case(
    P,
    "no-redirect",
    patch(
        "edge-ingress",
        "metadata.annotations",
        {"alb.ingress.kubernetes.io/listen-ports": '[{"HTTP":80},{"HTTPS":443}]'},
    ),
    ["[NET-10] alb.ingress.kubernetes.io/ssl-redirect is not '443'"],
    target="edge-ingress",
)
case(
    P,
    "http-only",
    patch("edge-ingress", "metadata.annotations", {"alb.ingress.kubernetes.io/listen-ports": '[{"HTTP":80}]'}),
    [
        "[NET-10] alb.ingress.kubernetes.io/listen-ports has no HTTPS listener",
        "[NET-10] alb.ingress.kubernetes.io/ssl-redirect is not '443'",
    ],
    target="edge-ingress",
)

# --------------------------------------------------------------------------------------------- EKS
P = "aws-eks-cluster-require-supported-version"
case(
    P,
    "out-of-support",
    patch("eks-cluster", "version", "1.33"),
    ["[EKS-01] Kubernetes 1.33: standard support ended 2026-07-29"],
    target="eks-cluster",
)
case(
    P,
    "unpinned",
    patch("eks-cluster", "version", DELETE),
    ["[EKS-01] no Kubernetes version is pinned (EKS would pick its default)"],
    target="eks-cluster",
)
case(
    P,
    "unknown-version",
    patch("eks-cluster", "version", "1.99"),
    ["[EKS-01] Kubernetes 1.99: not a known EKS version"],
    target="eks-cluster",
)

P = "aws-eks-cluster-require-control-plane-logs"
case(
    P,
    "audit-off",
    patch("eks-cluster", "enabledClusterLogTypes", ["api", "authenticator"]),
    ["[EKS-02] control-plane log types not enabled: audit, controllerManager, scheduler"],
    target="eks-cluster",
)

P = "aws-eks-cluster-require-encrypted-log-group"
case(
    P,
    "no-log-group",
    remove("eks-log-group"),
    [
        "[EKS-02] no log group /aws/eks/groundwork-prod/cluster in the stack (EKS would create it unencrypted, kept forever)"
    ],
)
case(
    P,
    "unencrypted",
    patch("eks-log-group", "kmsKeyId", DELETE),
    ["[EKS-02] log group /aws/eks/groundwork-prod/cluster is not KMS-encrypted"],
)
case(
    P,
    "autonamed",
    patch("eks-cluster", "name", DELETE),
    ["[EKS-02] cluster eks-cluster has no explicit name, so its log group cannot be created ahead of it"],
)

P = "aws-eks-cluster-require-secrets-encryption"
case(
    P,
    "aws-level",
    patch("eks-cluster", "encryptionConfig", DELETE),
    ["[EKS-03] no KMS key encrypts Kubernetes Secrets"],
    target="eks-cluster",
)

P = "aws-eks-cluster-restrict-endpoint"
case(
    P,
    "private-off",
    patch("eks-cluster", "vpcConfig.endpointPrivateAccess", DELETE),
    ["[EKS-04] the private endpoint is off"],
    target="eks-cluster",
)
case(
    P,
    "public-to-world",
    patch("eks-cluster", "vpcConfig.endpointPublicAccess", True),
    ["[EKS-04] the public endpoint is open to 0.0.0.0/0"],
    target="eks-cluster",
)
case(
    P,
    "aws-defaults-public",
    patch("eks-cluster", "vpcConfig", {"subnetIds": ["s"]}),
    ["[EKS-04] the private endpoint is off", "[EKS-04] the public endpoint is open to 0.0.0.0/0"],
    target="eks-cluster",
)

P = "aws-eks-cluster-no-public-endpoint"
case(
    P,
    "public-on",
    chain(
        patch("eks-cluster", "vpcConfig.endpointPublicAccess", True),
        patch("eks-cluster", "vpcConfig.publicAccessCidrs", ["198.51.100.0/24"]),
    ),
    ["[EKS-04] the public API endpoint is on"],
    target="eks-cluster",
)

P = "aws-eks-cluster-require-access-entries"
case(
    P,
    "config-map",
    patch("eks-cluster", "accessConfig.authenticationMode", "API_AND_CONFIG_MAP"),
    ["[EKS-05] authentication mode is API_AND_CONFIG_MAP, not API (access entries only)"],
    target="eks-cluster",
)
case(
    P,
    "aws-auth-config-map",
    add(
        Fx(
            "kubernetes:core/v1:ConfigMap",
            "aws-auth",
            {
                "metadata": {"name": "aws-auth", "namespace": "kube-system"},
                "data": {"mapUsers": "- userarn: arn:aws:iam::1:user/bob\n  username: bob\n"},
            },
        )
    ),
    ["[EKS-05] the aws-auth ConfigMap maps IAM identities into the cluster (use access entries)"],
    target="aws-auth",
)
case(
    P,
    "aws-access-entry-user",
    patch("access-entry", "principalArn", "arn:aws:iam::1:user/bob"),
    ["[EKS-05] access entry for the IAM user arn:aws:iam::1:user/bob"],
    target="access-entry",
)

P = "aws-eks-cluster-declare-creator-admin"
case(
    P,
    "creator-not-named",
    patch("eks-cluster", "tags", {"Name": "groundwork-prod"}),
    [
        "[EKS-05] cluster eks-cluster makes whoever creates it an admin without naming that principal "
        "(tag groundwork:creator)"
    ],
)
case(
    P,
    "creator-declared-twice",
    patch("access-entry", "principalArn", "arn:aws:iam::333333333333:role/groundwork-deploy-prod"),
    [
        "[EKS-05] access entry access-entry duplicates the creator's admin entry for "
        "arn:aws:iam::333333333333:role/groundwork-deploy-prod (CreateAccessEntry fails with ResourceInUseException)"
    ],
)

P = "aws-iam-no-static-users"
case(
    P,
    "user",
    add(Fx("aws:iam/user:User", "ci", {"name": "ci"})),
    ["[EKS-05] User ci is a static IAM credential"],
    target="ci",
)
case(
    P,
    "access-key",
    add(Fx("aws:iam/accessKey:AccessKey", "ci-key", {"user": "ci"})),
    ["[EKS-05] AccessKey ci-key is a static IAM credential"],
    target="ci-key",
)

P = "aws-eks-node-group-require-headroom"
case(
    P,
    "no-room",
    patch("nodes", "scalingConfig.maxSize", 4),
    ["[EKS-06] maxSize 4 is less than 2 x desiredSize (6)"],
    target="nodes",
)
case(
    P,
    "unordered",
    patch("nodes", "scalingConfig", {"minSize": 4, "desiredSize": 3, "maxSize": 8}),
    ["[EKS-06] sizes are not ordered: min 4, desired 3, max 8"],
    target="nodes",
)
case(P, "no-scaling", patch("nodes", "scalingConfig", DELETE), ["[EKS-06] no scalingConfig"], target="nodes")

P = "aws-eks-node-group-min-two-nodes"
case(
    P,
    "one-node",
    patch("nodes", "scalingConfig", {"minSize": 1, "desiredSize": 1, "maxSize": 4}),
    ["[EKS-06] minSize is 1"],
    target="nodes",
)
case(
    P,
    "dev-one-node",
    patch("nodes", "scalingConfig", {"minSize": 1, "desiredSize": 1, "maxSize": 4}),
    ["[EKS-06] minSize is 1 (advisory in dev: mandatory in tier stg+)"],
    target="nodes",
    env="dev",
)

P = "aws-eks-node-groups-fit-platform-pods"
# The world runs 51 pods beyond 3 DaemonSet pods a node (kube-prometheus-stack's node exporter,
# alloy, loki's canary); 3 m7g.large take 3 x (29 - 3) = 78.
case(
    P,
    "small-nodes",
    patch("nodes", "instanceTypes", ["m7g.large", "t4g.medium"]),
    [
        "[EKS-06] node groups nodes hold 42 pods (3 nodes x (17 pods a t4g.medium takes - 3 DaemonSet pods)), "
        "but the platform runs at least 51 (largest: argocd-redis-ha-haproxy 3, argocd-redis-ha-server 3, "
        "kyverno-admission-controller 3, loki-backend 3): 9 would stay Pending"
    ],
)
case(
    P,
    "no-spare-slot",
    add(
        Fx(
            "kubernetes:apps/v1:Deployment",
            "batch-workers",
            {"metadata": {"namespace": "orders"}, "spec": {"replicas": 27}},
        )
    ),
    [
        "[EKS-06] node groups nodes hold 78 pods (3 nodes x (29 pods a m7g.large takes - 3 DaemonSet pods)) "
        "and the platform runs 78: no slot is left for a rolling update's surge pod"
    ],
)
case(
    P,
    "anti-affinity",
    patch("argocd", "values.redis-ha.replicas", 4),
    [
        "[EKS-06] argocd-redis-ha-server runs 4 pods that must be on different nodes (required pod "
        "anti-affinity), but node groups nodes run 3"
    ],
)

P = "aws-eks-node-group-private-multi-az"
case(
    P,
    "public-subnets",
    deps("nodes", "subnetIds", ["subnet-public-0", "subnet-public-1"]),
    ["[EKS-06] node group nodes uses public subnets subnet-public-0, subnet-public-1"],
)
case(P, "one-az", deps("nodes", "subnetIds", ["subnet-private-0"]), ["[EKS-06] node group nodes spans 1 AZ"])
case(
    P,
    "default-node-group",
    add(Fx("aws:autoscaling/group:Group", "eks-default-nodes", {"maxSize": 2, "minSize": 1})),
    [
        "[EKS-06] eks-default-nodes is a self-managed node group (pulumi-eks's default node group creates one); "
        "use managed node groups"
    ],
)

P = "aws-eks-node-group-require-launch-template"
case(
    P,
    "none",
    patch("nodes", "launchTemplate", DELETE),
    ["[EKS-07] no launch template: IMDSv2 and root-volume encryption are left to defaults"],
    target="nodes",
)

P = "aws-ec2-launch-template-imdsv2-encrypted-gp3"
case(
    P,
    "imdsv1",
    patch("node-template", "metadataOptions.httpTokens", "optional"),
    ["[EKS-07] metadataOptions.httpTokens is 'optional', not 'required'"],
    target="node-template",
)
case(
    P,
    "hop-3",
    patch("node-template", "metadataOptions.httpPutResponseHopLimit", 3),
    ["[EKS-07] metadataOptions.httpPutResponseHopLimit is 3 (lets pods reach the instance's credentials)"],
    target="node-template",
)
case(
    P,
    "unencrypted-gp2",
    patch("node-template", "blockDeviceMappings[0].ebs", {"volumeType": "gp2", "encrypted": "false"}),
    [
        "[EKS-07] blockDeviceMappings[0] is not encrypted",
        "[EKS-07] blockDeviceMappings[0] volumeType is 'gp2', not gp3",
        "[EKS-07] blockDeviceMappings[0] has no customer-managed KMS key",
    ],
    target="node-template",
)
case(
    P,
    "no-devices",
    patch("node-template", "blockDeviceMappings", DELETE),
    ["[EKS-07] no blockDeviceMappings: the root volume is not declared encrypted gp3"],
    target="node-template",
)

P = "aws-eks-workload-role-least-privilege"
case(
    P,
    "s3-star",
    patch("ebs-kms", "policy", policy_doc({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"})),
    ["[EKS-08] role ebs-role policy ebs-kms allows s3:GetObject on '*'"],
)
case(
    P,
    "managed-admin",
    patch("ebs-managed", "policyArn", "arn:aws:iam::aws:policy/AmazonS3FullAccess"),
    ["[EKS-08] role ebs-role has the AWS-managed policy AmazonS3FullAccess (not scoped to named ARNs)"],
)
case(
    P,
    "irsa-inline",
    add(
        Fx(
            "aws:iam/role:Role",
            "loki-role",
            {
                "assumeRolePolicy": policy_doc(
                    {
                        "Effect": "Allow",
                        "Principal": {
                            "Federated": "arn:aws:iam::1:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X"
                        },
                        "Action": "sts:AssumeRoleWithWebIdentity",
                    }
                ),
                "inlinePolicies": [
                    {"name": "s3", "policy": policy_doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})}
                ],
            },
        )
    ),
    ["[EKS-08] role loki-role inline policy s3 allows s3:* on '*'"],
)

P = "aws-eks-cluster-require-deletion-protection"
case(
    P,
    "off",
    patch("eks-cluster", "deletionProtection", False),
    ["[EKS-09] deletion protection is off"],
    target="eks-cluster",
)

# --------------------------------------------------------------------------------------------- RDS
P = "aws-rds-instance-require-pinned-postgres"
case(P, "mysql", patch("db", "engine", "mysql"), ["[DB-01] engine is 'mysql', not postgres"], target="db")
case(
    P,
    "minor-pinned",
    patch("db", "engineVersion", "17.6"),
    [
        "[DB-01] engineVersion '17.6' pins the minor while automatic minor upgrades are on: once AWS upgrades the "
        "instance the stack drifts and a refresh plans a downgrade; pin the major ('17')"
    ],
    target="db",
)
case(
    P,
    "unpinned",
    patch("db", "engineVersion", DELETE),
    ["[DB-01] engineVersion None does not pin a major version"],
    target="db",
)
case(
    P,
    "no-minor-upgrades",
    patch("db", "autoMinorVersionUpgrade", False),
    ["[DB-01] autoMinorVersionUpgrade is false"],
    target="db",
)
# only a snapshot restore may leave the engine to the snapshot; a restore that names one is judged
case(P, "engine-missing", patch("db", "engine", DELETE), ["[DB-01] engine is None, not postgres"], target="db")
case(
    P,
    "restored-as-mysql",
    chain(
        patch("db", "snapshotIdentifier", "arn:aws:rds:eu-west-1:333333333333:snapshot:x"),
        patch("db", "engine", "mysql"),
    ),
    ["[DB-01] engine is 'mysql', not postgres"],
    target="db",
)

case(
    "aws-rds-instance-require-multi-az",
    "single-az",
    patch("db", "multiAz", False),
    ["[DB-02] multiAz is not true"],
    target="db",
)
case(
    "aws-rds-instance-require-multi-az",
    "dev-advisory",
    patch("db", "multiAz", False),
    ["[DB-02] multiAz is not true (advisory in dev: mandatory in tier stg+)"],
    target="db",
    env="dev",
)

P = "aws-rds-instance-require-cmk-encryption"
case(P, "unencrypted", patch("db", "storageEncrypted", False), ["[DB-03] storageEncrypted is not true"], target="db")
case(
    P,
    "aws-managed-key",
    patch("db", "kmsKeyId", DELETE),
    ["[DB-03] no customer-managed kmsKeyId (the AWS-managed aws/rds key would be used)"],
    target="db",
)

P = "aws-rds-instance-require-force-ssl"
case(
    P,
    "ssl-optional",
    patch("db-params", "parameters", [{"name": "rds.force_ssl", "value": "0"}]),
    ["[DB-04] parameter group db-params of db does not set rds.force_ssl=1"],
)
case(
    P,
    "default-group",
    deps("db", "parameterGroupName", []),
    ["[DB-04] database db does not use a parameter group of this stack (the default allows plain-text connections)"],
)

case(
    "aws-rds-instance-not-public",
    "public",
    patch("db", "publiclyAccessible", True),
    ["[DB-05] publiclyAccessible is true"],
    target="db",
)

P = "aws-rds-instance-in-isolated-subnets"
case(
    P,
    "private-subnets",
    deps("db-subnets", "subnetIds", ["subnet-private-0", "subnet-db-1"]),
    ["[DB-05/CACHE-05] subnet group db-subnets of db includes private subnets"],
)
case(
    P,
    "no-subnet-group",
    patch("cache", "subnetGroupName", DELETE),
    ["[DB-05/CACHE-05] cache has no subnet group (it would land in the default VPC)"],
)

P = "aws-rds-instance-require-backups"
case(
    P,
    "short-retention",
    patch("db", "backupRetentionPeriod", 3),
    ["[DB-06] backupRetentionPeriod is 3 days (at least 7)"],
    target="db",
)
case(
    P,
    "6-days",
    patch("db", "backupRetentionPeriod", 6),
    ["[DB-06] backupRetentionPeriod is 6 days (at least 7)"],
    target="db",
)
case(
    P,
    "no-windows",
    chain(patch("db", "backupWindow", DELETE), patch("db", "maintenanceWindow", DELETE)),
    ["[DB-06] backupWindow is not set", "[DB-06] maintenanceWindow is not set"],
    target="db",
)
case(
    P,
    "tags-not-copied",
    patch("db", "copyTagsToSnapshot", False),
    ["[DB-06] copyTagsToSnapshot is not true"],
    target="db",
)

case(
    "aws-rds-instance-require-30-day-backups",
    "14-days",
    patch("db", "backupRetentionPeriod", 14),
    ["[DB-06] backupRetentionPeriod is 14 days (at least 30)"],
    target="db",
)
case(
    "aws-rds-instance-require-30-day-backups",
    "29-days",
    patch("db", "backupRetentionPeriod", 29),
    ["[DB-06] backupRetentionPeriod is 29 days (at least 30)"],
    target="db",
)

P = "aws-rds-instance-require-deletion-protection"
case(
    P,
    "no-protection",
    patch("db", "deletionProtection", False),
    ["[DB-07] deletionProtection is not true"],
    target="db",
)
case(
    P,
    "skip-final",
    chain(patch("db", "skipFinalSnapshot", True), patch("db", "finalSnapshotIdentifier", DELETE)),
    ["[DB-07] skipFinalSnapshot is not false", "[DB-07] no finalSnapshotIdentifier"],
    target="db",
)

case(
    "aws-rds-instance-require-protect",
    "unprotected",
    lambda w: _unprotect(w, "db"),
    ["[DB-07/GOV-02] the resource is not protected"],
    target="db",
)

P = "aws-rds-instance-require-managed-password"
case(
    P,
    "literal-password",
    chain(patch("db", "password", "hunter2hunter2"), patch("db", "manageMasterUserPassword", DELETE)),
    ["[DB-08/SEC-01] a master password is passed as an input", "[DB-08/SEC-01] manageMasterUserPassword is not true"],
    target="db",
)
case(
    P,
    "default-key",
    patch("db", "masterUserSecretKmsKeyId", DELETE),
    ["[DB-08/SEC-01] the managed master secret is not encrypted with the stack's secrets key"],
    target="db",
)

case(
    "aws-rds-instance-require-log-exports",
    "upgrade-missing",
    patch("db", "enabledCloudwatchLogsExports", ["postgresql"]),
    ["[DB-09] log exports missing: upgrade"],
    target="db",
)

P = "aws-rds-instance-require-insights-and-monitoring"
case(
    P,
    "no-insights",
    patch("db", "performanceInsightsEnabled", False),
    ["[DB-09] performanceInsightsEnabled is not true"],
    target="db",
)
case(
    P,
    "no-monitoring",
    patch("db", "monitoringInterval", 0),
    ["[DB-09] enhanced monitoring is off (monitoringInterval 0)"],
    target="db",
)
case(
    P,
    "monitoring-unset",
    patch("db", "monitoringInterval", DELETE),
    ["[DB-09] enhanced monitoring is off (monitoringInterval 0)"],
    target="db",
)
case(
    P,
    "monitoring-without-role",
    patch("db", "monitoringRoleArn", DELETE),
    ["[DB-09] enhanced monitoring has no monitoringRoleArn"],
    target="db",
)
case(
    P,
    "insights-default-key",
    patch("db", "performanceInsightsKmsKeyId", DELETE),
    ["[DB-09] Performance Insights has no customer-managed KMS key"],
    target="db",
)

P = "aws-rds-instance-require-gp3-autoscaling"
case(P, "gp2", patch("db", "storageType", "gp2"), ["[DB-10] storageType is 'gp2', not gp3"], target="db")
case(
    P,
    "ceiling-at-allocated",
    patch("db", "maxAllocatedStorage", 50),
    ["[DB-10] maxAllocatedStorage 50 is not above allocatedStorage 50 (no autoscaling)"],
    target="db",
)
case(
    P,
    "no-ceiling",
    patch("db", "maxAllocatedStorage", DELETE),
    ["[DB-10] maxAllocatedStorage unset is not above allocatedStorage 50 (no autoscaling)"],
    target="db",
)

P = "aws-rds-instance-require-connection-pooling"
case(
    P,
    "no-proxy",
    remove("db-proxy", "db-proxy-target"),
    ["[DB-11] database db has no RDS Proxy target and no PgBouncer release"],
)
case(P, "plain-proxy", patch("db-proxy", "requireTls", False), ["[DB-11] RDS Proxy db-proxy does not require TLS"])
case(
    P,
    "unnamed-secret",
    patch("db-proxy", "auths[0].secretArn", DELETE),
    ["[DB-11] RDS Proxy db-proxy authenticates with a secret it does not name"],
)

# --------------------------------------------------------------------------------------------- cache
case(
    "aws-elasticache-require-replication-group",
    "standalone",
    add(Fx("aws:elasticache/cluster:Cluster", "memcached", {"engine": "memcached"})),
    ["[CACHE-01] a standalone cache cluster has no failover and no transit encryption with AUTH"],
    target="memcached",
)
P = "aws-elasticache-require-multi-az-failover"
case(
    P,
    "one-node",
    chain(
        patch("cache", "numCacheClusters", 1),
        patch("cache", "automaticFailoverEnabled", False),
        patch("cache", "multiAzEnabled", False),
    ),
    [
        "[CACHE-01] 1 node(s); at least 2",
        "[CACHE-01] automaticFailoverEnabled is not true",
        "[CACHE-01] multiAzEnabled is not true",
    ],
    target="cache",
)
P = "aws-elasticache-require-cmk-at-rest"
case(
    P,
    "plain",
    chain(patch("cache", "atRestEncryptionEnabled", False), patch("cache", "kmsKeyId", DELETE)),
    ["[CACHE-02] atRestEncryptionEnabled is not true", "[CACHE-02] no customer-managed kmsKeyId"],
    target="cache",
)
P = "aws-elasticache-require-tls-and-auth"
case(
    P,
    "no-tls",
    patch("cache", "transitEncryptionEnabled", False),
    ["[CACHE-03/SEC-01] transitEncryptionEnabled is not true"],
    target="cache",
)
case(
    P,
    "preferred",
    patch("cache", "transitEncryptionMode", "preferred"),
    ["[CACHE-03/SEC-01] transitEncryptionMode is 'preferred', not required"],
    target="cache",
)
case(
    P,
    "no-auth",
    patch("cache", "authToken", DELETE),
    ["[CACHE-03/SEC-01] no AUTH token and no RBAC user group"],
    target="cache",
)
P = "aws-elasticache-require-snapshots"
case(
    P,
    "none",
    chain(patch("cache", "snapshotRetentionLimit", 0), patch("cache", "finalSnapshotIdentifier", DELETE)),
    ["[CACHE-04] snapshotRetentionLimit is 0 days (at least 1)", "[CACHE-04] no finalSnapshotIdentifier"],
    target="cache",
)
case(
    "aws-elasticache-require-7-day-snapshots",
    "three-days",
    patch("cache", "snapshotRetentionLimit", 3),
    ["[CACHE-04] snapshotRetentionLimit is 3 days (at least 7)"],
    target="cache",
)
case(
    "aws-elasticache-require-own-network",
    "shared",
    chain(patch("cache", "subnetGroupName", DELETE), patch("cache", "securityGroupIds", DELETE)),
    ["[CACHE-05] no subnetGroupName", "[CACHE-05] no securityGroupIds (the VPC default group would apply)"],
    target="cache",
)

# --------------------------------------------------------------------------------------------- S3 / backup
P = "aws-s3-bucket-require-public-access-block"
case(P, "missing", remove("logs-pab"), ["[DR-01] bucket logs has no public-access block"])
case(
    P,
    "partial",
    patch("logs-pab", "restrictPublicBuckets", False),
    ["[DR-01] public-access block logs-pab of logs leaves restrictPublicBuckets off"],
)
P = "aws-s3-bucket-require-versioning-and-kms"
case(
    P,
    "suspended",
    patch("logs-versioning", "versioningConfiguration.status", "Suspended"),
    ["[DR-01] bucket logs has no versioning"],
)
case(
    P,
    "sse-s3",
    patch("logs-sse", "rules[0].applyServerSideEncryptionByDefault", {"sseAlgorithm": "AES256"}),
    ["[DR-01] bucket logs encrypts with AES256, not SSE-KMS"],
)
case(
    P,
    "no-bucket-key",
    patch("logs-sse", "rules[0].bucketKeyEnabled", False),
    ["[DR-01] bucket logs does not use an S3 bucket key (every object costs a KMS call)"],
)
case(P, "no-sse", remove("logs-sse"), ["[DR-01] bucket logs has no SSE-KMS configuration"])
case(
    P,
    "access-log-target-on-kms",  # S3 log delivery would silently fail: SSE-S3 is the only default it supports
    patch(
        "access-logs-sse",
        "rules[0]",
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "arn:key"}},
    ),
    [
        "[DR-01] access-log bucket access-logs encrypts with aws:kms: S3 server access logs are delivered only to "
        "buckets with SSE-S3 (AES256) default encryption"
    ],
)
case(
    P,
    "sse-s3-without-being-a-log-target",  # the exception needs the delivery, not just the tag
    remove("audit-access-logs"),
    ["[DR-01] bucket access-logs encrypts with AES256, not SSE-KMS"],
)
P = "aws-s3-bucket-require-owner-enforced-and-tls"
case(
    P,
    "acls-on",
    patch("logs-ownership", "rule.objectOwnership", "ObjectWriter"),
    ["[DR-01] bucket logs does not enforce bucket-owner ownership (ACLs stay on)"],
)
case(P, "no-tls-deny", remove("logs-policy"), ["[DR-01] bucket logs has no policy denying non-TLS requests"])
case(
    "aws-s3-bucket-no-public-acl",
    "public-read",
    patch("logs", "acl", "public-read"),
    ["[DR-01] ACL public-read"],
    target="logs",
)
P = "aws-s3-bucket-require-lifecycle"
case(P, "none", remove("logs-lifecycle"), ["[DR-02] bucket logs has no lifecycle configuration"])
case(
    P,
    "no-abort",
    patch("logs-lifecycle", "rules[0].abortIncompleteMultipartUpload", DELETE),
    ["[DR-02] bucket logs never aborts incomplete multipart uploads"],
)
case(
    P,
    "daily-kept-long",
    patch("backups-lifecycle", "rules[1].expiration.days", 30),
    ["[DR-02] backup bucket backups does not expire daily/ after 7 days"],
)
case(
    P,
    "no-monthly",
    patch(
        "backups-lifecycle",
        "rules",
        [
            {
                "id": "abort",
                "status": "Enabled",
                "filter": {},
                "abortIncompleteMultipartUpload": {"daysAfterInitiation": 1},
            },
            {"id": "daily", "status": "Enabled", "filter": {"prefix": "daily/"}, "expiration": {"days": 7}},
            {"id": "weekly", "status": "Enabled", "filter": {"prefix": "weekly/"}, "expiration": {"days": 28}},
        ],
    ),
    [
        "[DR-02] backup bucket backups has no lifecycle rule for monthly/",
        "[DR-02] backup bucket backups never moves backups to a colder storage class",
    ],
)
P = "aws-s3-backup-bucket-require-cross-region-replication"
case(P, "none", remove("backups-replication"), ["[DR-03] backup bucket backups does not replicate"])
case(
    P,
    "same-region",
    lambda w: _move(w, "backups-dr", "primary"),
    [
        "[DR-03] backup bucket backups replicates to backups-dr in the same region",
        "[DR-03] backup bucket backups-dr replicates to backups in the same region",
    ],
)
case(
    P,
    "disabled",
    patch("backups-replication", "rules[0].status", "Disabled"),
    ["[DR-03] replication backups-replication of backups has no enabled rule"],
)
P = "aws-s3-backup-bucket-require-object-lock"
case(
    P,
    "governance",
    patch("backups-lock", "rule.defaultRetention.mode", "GOVERNANCE"),
    ["[DR-07] backup bucket backups has no COMPLIANCE-mode default retention"],
)
case(
    P,
    "not-lock-enabled",
    patch("backups", "objectLockEnabled", False),
    ["[DR-07] backup bucket backups was not created with Object Lock"],
)
P = "aws-backup-plan-covers-databases-with-dr-copy"
case(
    P,
    "no-plan",
    remove("plan", "selection", "alarm-plan-NumberOfBackupJobsFailed"),
    ["[DR-04] databases exist but no AWS Backup plan covers them"],
)
case(P, "no-weekly", patch("plan", "rules[1].ruleName", "twice-daily"), ["[DR-04] backup plan plan has no weekly rule"])
case(P, "no-copy", lambda w: _no_copies(w), ["[DR-04] backup plan plan copies nothing to another region"])
case(
    P,
    "copy-same-region",
    deps("plan", "rules", ["vault"]),
    ["[DR-04] backup plan plan copies only within its own region"],
)
case(P, "not-selected", remove("selection"), ["[DR-04] database db is in no backup selection"])
case(
    P,
    "vault-default-key",
    patch("vault", "kmsKeyArn", DELETE),
    ["[DR-04] backup vault vault is not encrypted with a customer-managed key"],
)
case(
    "aws-backup-vault-require-lock", "unlocked", remove("vault-lock"), ["[DR-04] backup vault vault has no vault lock"]
)

# --------------------------------------------------------------------------------------------- secrets
case(
    "aws-secretsmanager-secret-require-cmk",
    "aws-key",
    patch("db-secret", "kmsKeyId", DELETE),
    ["[SEC-02] no customer-managed kmsKeyId (the AWS-managed aws/secretsmanager key would be used)"],
    target="db-secret",
)
P = "aws-secretsmanager-database-secret-require-rotation"
case(P, "no-rotation", remove("db-secret-rotation"), ["[SEC-03] database secret db-secret does not rotate"])
case(
    P,
    "yearly",
    patch("db-secret-rotation", "rotationRules.automaticallyAfterDays", 365),
    ["[SEC-03] database secret db-secret rotates every 365 days (at most 90)"],
)
P = "aws-kms-key-require-rotation-and-policy"
case(
    P,
    "no-rotation",
    patch("key-data", "enableKeyRotation", False),
    ["[SEC-06] enableKeyRotation is not true"],
    target="key-data",
)
case(
    P,
    "no-policy",
    patch("key-data", "policy", DELETE),
    ["[SEC-06] no explicit key policy (the default grants the whole account through IAM only)"],
    target="key-data",
)
case(
    P,
    "star-principal",
    patch(
        "key-data",
        "policy",
        policy_doc(
            {"Sid": "Everyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}
        ),
    ),
    ["[SEC-06] statement Everyone allows the '*' principal without conditions"],
    target="key-data",
)
P = "aws-cloudtrail-require-audited-management-events"
case(P, "no-trail", remove("trail"), ["[SEC-07] no CloudTrail trail records management events"])
case(
    P,
    "no-validation",
    patch("trail", "enableLogFileValidation", False),
    ["[SEC-07] trail trail has no log file validation"],
)
case(
    P,
    "data-events-only",
    patch("trail", "eventSelectors", [{"includeManagementEvents": False, "readWriteType": "All"}]),
    ["[SEC-07] trail trail excludes management events"],
)
P = "aws-cloudtrail-bucket-require-access-logging"
case(
    P,
    "no-access-logging",
    remove("audit-access-logs"),
    ["[SEC-07] trail trail writes to bucket audit, which has no server access logging"],
)
case(
    P,
    "logs-to-itself",
    deps("audit-access-logs", "targetBucket", ["audit"]),
    ["[SEC-07] bucket audit logs its own access to itself (each log write would be logged)"],
)

# --------------------------------------------------------------------------------------------- kubernetes
P = "kubernetes-no-default-namespace"
case(
    P,
    "default",
    patch("app", "metadata.namespace", "default"),
    ["[K8S-01] namespace is default (the default namespace)"],
    target="app",
)
case(
    P,
    "release-unset",
    patch("kyverno", "namespace", DELETE),
    ["[K8S-01] namespace is unset (the default namespace)"],
    target="kyverno",
)
P = "kubernetes-namespace-require-restricted-pod-security"
case(
    P,
    "baseline",
    patch(
        "ns-orders",
        "metadata.labels",
        {
            "pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
        },
    ),
    ["[K8S-02] pod-security.kubernetes.io/{enforce} is not 'restricted'"],
    target="ns-orders",
)
case(
    P,
    "unlabelled",
    patch("ns-orders", "metadata.labels", {}),
    ["[K8S-02] pod-security.kubernetes.io/{enforce,audit,warn} is not 'restricted'"],
    target="ns-orders",
)
P = "kubernetes-namespace-require-default-deny"
case(
    P,
    "none",
    remove("np-orders-deny", "np-orders-dns"),
    ["[K8S-03] namespace orders has no default-deny NetworkPolicy"],
)
case(
    P,
    "allows-ingress",
    patch("np-orders-deny", "spec.ingress", [{"from": [{"podSelector": {}}]}]),
    ["[K8S-03] namespace orders has no default-deny NetworkPolicy"],
)
case(P, "no-dns", remove("np-orders-dns"), ["[K8S-03] namespace orders denies everything but allows no DNS"])
P = "kubernetes-namespace-require-quota-and-limits"
case(P, "no-quota", remove("quota-edge"), ["[K8S-04] namespace edge has no ResourceQuota"])
case(P, "no-limits", remove("limits-edge"), ["[K8S-04] namespace edge has no LimitRange"])
P = "kubernetes-workload-require-resources"
case(
    P,
    "no-limits",
    patch("app", "spec.template.spec.containers[0].resources", {"requests": {"cpu": "1"}}),
    ["[K8S-05] container app has no requests.memory, limits.memory"],
    target="app",
)
P = "kubernetes-workload-require-probes"
case(
    P,
    "no-readiness",
    patch("app", "spec.template.spec.containers[0].readinessProbe", DELETE),
    ["[K8S-06] container app has no readinessProbe"],
    target="app",
)
P = "kubernetes-workload-require-pinned-ecr-image"
case(
    P,
    "docker-hub",
    patch("app", "spec.template.spec.containers[0].image", "nginx:1.27"),
    ["[K8S-07] container app image 'nginx:1.27' is not a pinned image of the project's ECR registry"],
    target="app",
)
case(
    P,
    "untagged",
    patch("app", "spec.template.spec.containers[0].image", "333333333333.dkr.ecr.eu-west-1.amazonaws.com/orders"),
    [
        "[K8S-07] container app image '333333333333.dkr.ecr.eu-west-1.amazonaws.com/orders' is not a pinned image of the project's ECR registry"
    ],
    target="app",
)
case(
    P,
    "latest",
    patch(
        "app", "spec.template.spec.containers[0].image", "333333333333.dkr.ecr.eu-west-1.amazonaws.com/orders:latest"
    ),
    ["[K8S-07] container app uses :latest"],
    target="app",
)
P = "kubernetes-workload-require-readonly-rootfs"
case(
    P,
    "writable",
    patch("app", "spec.template.spec.containers[0].securityContext", {}),
    ["[K8S-08] container app has a writable root filesystem"],
    target="app",
)
P = "kubernetes-workload-no-literal-secret-env"
case(
    P,
    "literal",
    patch("app", "spec.template.spec.containers[0].env[0]", {"name": "DB_PASSWORD", "value": "s3cret"}),
    ["[SEC-05/SEC-01] container app sets DB_PASSWORD to a literal value"],
    target="app",
)
case(
    "kubernetes-hpa-require-two-replicas",
    "one",
    patch("app-hpa", "spec.minReplicas", 1),
    ["[K8S-09] spec.minReplicas is 1"],
    target="app-hpa",
)
case(
    "kubernetes-no-literal-secret-data",
    "secret",
    add(
        Fx(
            "kubernetes:core/v1:Secret",
            "db-creds",
            {"metadata": {"name": "db", "namespace": "orders"}, "stringData": {"password": "x"}},
            provider=None,
        )
    ),
    ["[SEC-04/SEC-01] a Secret with literal data"],
    target="db-creds",
)
P = "kubernetes-admission-policies-present"
case(
    P,
    "no-kyverno",
    remove("kyverno"),
    ["[K8S-05/K8S-06/K8S-07/K8S-08/K8S-09/SEC-05] application namespaces exist but Kyverno is not installed"],
)
case(
    P,
    "probes-missing",
    remove("cp-require-probes"),
    ["[K8S-05/K8S-06/K8S-07/K8S-08/K8S-09/SEC-05] Kyverno ClusterPolicy require-probes is missing"],
)
P = "kubernetes-admission-policies-enforced"
case(
    P,
    "audit",
    patch("cp-require-probes", "spec.rules[0].validate.failureAction", "Audit"),
    ["[K8S-10] Kyverno ClusterPolicy require-probes is not in Enforce mode"],
)
case(P, "generate-missing", remove("cp-generate-pdb"), ["[K8S-10] Kyverno ClusterPolicy generate-pdb is missing"])
P = "kubernetes-require-external-secrets"
case(
    P,
    "no-eso",
    remove("external-secrets"),
    ["[SEC-04] application namespaces exist but External Secrets is not installed"],
)
case(P, "no-store", remove("secret-store"), ["[SEC-04] no ClusterSecretStore for AWS Secrets Manager"])
case(
    P,
    "parameter-store",
    patch("secret-store", "spec.provider.aws.service", "ParameterStore"),
    ["[SEC-04] ClusterSecretStore secret-store does not use Secrets Manager"],
)
P = "kubernetes-single-ingress-controller"
case(
    P,
    "two",
    add(
        Fx(
            "kubernetes:helm.sh/v3:Release",
            "nginx",
            {
                "chart": "ingress-nginx",
                "version": "4.11.0",
                "namespace": "ingress",
                "repositoryOpts": {"repo": "https://kubernetes.github.io/ingress-nginx"},
            },
            provider=None,
        )
    ),
    ["[K8S-11] more than one ingress controller: aws-load-balancer-controller, ingress-nginx"],
)
case(P, "none", remove("lbc"), ["[K8S-11] ingresses exist but no ingress controller is installed"])
case(P, "classless", patch("edge-ingress", "spec", {}), ["[K8S-11] ingress edge-ingress names no ingress class"])
P = "kubernetes-helm-release-pinned-over-tls"
case(
    P,
    "range",
    patch("loki", "version", "^6.0"),
    ["[K8S-07] chart version '^6.0' is not an exact version"],
    target="loki",
)
case(
    P,
    "http-repo",
    patch("loki", "repositoryOpts.repo", "http://charts.example.org"),
    ["[K8S-07] chart source 'http://charts.example.org' is not https:// or oci://"],
    target="loki",
)
P = "kubernetes-helm-release-no-secret-values"
case(
    P,
    "grafana-password",
    patch("kps", "values.grafana.adminPassword", "prom-operator"),
    ["[SEC-01] values.grafana.adminPassword holds a literal secret"],
    target="kps",
)

# --------------------------------------------------------------------------------------------- observability
P = "kubernetes-prometheus-retention-and-storage"
case(P, "missing", remove("kps"), ["[OBS-01] the cluster has no kube-prometheus-stack release"])
case(
    P,
    "short",
    patch("kps", "values.prometheus.prometheusSpec.retention", "15d"),
    ["[OBS-01] Prometheus retention is 15d, under 30 days"],
)
case(
    P,
    "ephemeral",
    patch("kps", "values.prometheus.prometheusSpec.storageSpec", DELETE),
    ["[OBS-01] Prometheus has no persistent volume (storageSpec.volumeClaimTemplate)"],
)
case(
    "kubernetes-prometheus-high-availability",
    "one",
    patch("kps", "values.prometheus.prometheusSpec.replicas", 1),
    ["[OBS-01] prometheus.prometheusSpec.replicas is 1"],
)
case(
    "kubernetes-servicemonitor-per-service",
    "missing",
    remove("sm-orders"),
    ["[OBS-01] service orders has no ServiceMonitor"],
)
P = "kubernetes-grafana-dashboards-and-admin-secret"
case(
    P,
    "chart-password",
    patch("kps", "values.grafana.admin", {}),
    ["[OBS-02] Grafana's admin credentials do not come from an existing Secret"],
)
case(P, "no-cache-dashboard", remove("dashboard-cache"), ["[OBS-02] dashboards not provisioned: cache"])
P = "kubernetes-alert-rules-and-routing"
case(
    P,
    "no-node-alert",
    patch("rules", "spec.groups[0].rules[7]", {"alert": "Watchdog", "expr": "vector(1)"}),
    ["[OBS-03] alerts missing: NodeNotReady"],
)
case(
    P,
    "no-routing",
    patch("kps", "values.alertmanager.config.route", {"receiver": "null"}),
    ["[OBS-03] Alertmanager does not route severity critical and warning to their receivers"],
)
P = "kubernetes-logs-to-s3-with-retention"
case(
    P,
    "filesystem",
    patch("loki", "values.loki.storage.type", "filesystem"),
    ["[OBS-04] Loki does not store logs in S3"],
)
case(
    P,
    "30-days",
    patch("loki", "values.loki.limits_config.retention_period", "720h"),
    ["[OBS-04] Loki keeps logs less than 90 days"],
)
case(P, "no-agent", remove("alloy"), ["[OBS-04] no log agent (Alloy, Promtail or Fluent Bit) runs on the nodes"])
P = "kubernetes-tracing-with-otlp"
case(P, "no-tempo", remove("tempo"), ["[OBS-05] no tracing backend is installed"])
case(
    P,
    "no-sampler",
    patch("otel", "values.config.processors", {}),
    ["[OBS-05] the collector has no probabilistic_sampler"],
)
case(
    "kubernetes-tracing-sampling-prod",
    "everything",
    patch("otel", "values.config.processors.probabilistic_sampler.sampling_percentage", 100),
    ["[OBS-05] the collector keeps 100 % of traces"],
)
P = "aws-cloudwatch-alarms-for-data-and-network"
case(P, "no-eviction-alarm", remove("alarm-cache-Evictions"), ["[OBS-06] cache has no alarm on Evictions"])
case(
    P,
    "silent",
    patch("alarm-db-CPUUtilization", "alarmActions", []),
    ["[OBS-06] alarm alarm-db-CPUUtilization notifies no one"],
)
case(
    P, "plain-topic", patch("alerts", "kmsMasterKeyId", DELETE), ["[OBS-06] SNS topic alerts is not KMS-encrypted"] * 13
)
P = "kubernetes-slo-burn-rate-alerts"
case(
    P,
    "no-slo",
    patch("rules", "spec.groups[0].rules", [{"alert": "ServiceDown", "expr": "up == 0"}]),
    ["[OBS-07] no SLO recording rules (slo:*)", "[OBS-07] no error-budget burn-rate alerts"],
)

# --------------------------------------------------------------------------------------------- gitops
P = "kubernetes-argocd-installed-admin-disabled"
case(P, "missing", remove("argocd"), ["[GIT-01] services are configured but ArgoCD is not installed"])
case(
    P,
    "admin-on",
    patch("argocd", "values.configs", {}),
    ["[GIT-01] ArgoCD's local admin is enabled with a chart-generated password"],
)
P = "kubernetes-argocd-high-availability"
case(
    P,
    "single",
    patch("argocd", "values", {"configs": {"cm": {"admin.enabled": False}}}),
    [
        "[GIT-01] redis-ha is not enabled",
        "[GIT-01] server.replicas is 1",
        "[GIT-01] repoServer.replicas is 1",
        "[GIT-01] applicationSet.replicas is 1",
    ],
)
P = "kubernetes-argocd-project-restricted"
case(
    P,
    "any-repo",
    patch("project", "spec.sourceRepos", ["*"]),
    ["[GIT-02] sourceRepos is not a list of named repositories"],
    target="project",
)
case(
    P,
    "any-namespace",
    patch("project", "spec.destinations[0].namespace", "*"),
    ["[GIT-02] destinations[0] allows every namespace"],
    target="project",
)
case(
    P,
    "cluster-kinds",
    patch("project", "spec.clusterResourceWhitelist", [{"group": "*", "kind": "*"}]),
    ["[GIT-02] clusterResourceWhitelist[0] allows every cluster-scoped kind"],
    target="project",
)
P = "kubernetes-argocd-application-per-service"
case(P, "missing-app", remove("app-orders"), ["[GIT-02] service orders has no Application"])
case(P, "no-project", remove("project"), ["[GIT-02] no AppProject for this environment"])
P = "kubernetes-argocd-sync-policy-by-environment"
case(
    P,
    "prod-auto",
    patch("app-orders", "spec.syncPolicy.automated", {"prune": True, "selfHeal": True}),
    ["[GIT-03] prod syncs automatically; it must wait for an approved manual sync"],
    target="app-orders",
)
case(
    P,
    "create-namespace",
    patch("app-orders", "spec.syncPolicy.syncOptions", ["CreateNamespace=true"]),
    ["[GIT-03] syncOptions has CreateNamespace=true"],
    target="app-orders",
)
case(
    P,
    "dev-manual",
    patch("app-orders", "spec.syncPolicy.automated", {"prune": True}),
    ["[GIT-03] dev does not sync automatically with prune and selfHeal"],
    target="app-orders",
    env="dev",
)
P = "aws-ecr-repository-immutable-scanned-encrypted"
case(
    P,
    "mutable",
    patch("ecr-orders", "imageTagMutability", "MUTABLE"),
    ["[GIT-06] image tags are mutable"],
    target="ecr-orders",
)
case(
    P,
    "unscanned",
    patch("ecr-orders", "imageScanningConfiguration.scanOnPush", False),
    ["[GIT-06] images are not scanned on push"],
    target="ecr-orders",
)
case(
    P,
    "aes",
    patch("ecr-orders", "encryptionConfigurations", [{"encryptionType": "AES256"}]),
    ["[GIT-06] the repository is not KMS-encrypted"],
    target="ecr-orders",
)
case(
    "aws-ecr-repository-require-lifecycle",
    "none",
    remove("ecr-orders-lifecycle"),
    ["[GIT-06] repository ecr-orders has no lifecycle policy"],
)

# --------------------------------------------------------------------------------------------- governance
P = "aws-resource-require-mandatory-tags"
case(
    P,
    "untagged-provider",
    lambda w: _provider_tags(w, "vpc", None, {}),
    ["[GOV-01] tags missing: Environment, Project, Owner, CostCenter, ManagedBy"],
    target="vpc",
)
case(
    P,
    "own-tags-only",
    lambda w: _provider_tags(
        w,
        "vpc",
        None,
        {"Environment": "prod", "Project": "groundwork", "Owner": "o", "CostCenter": "c", "ManagedBy": "terraform"},
    ),
    ["[GOV-01] ManagedBy is 'terraform', not 'pulumi'"],
    target="vpc",
)
case(P, "emptied-tag", patch("vpc", "tags.Owner", ""), ["[GOV-01] tags missing: Owner"], target="vpc")
case(
    "aws-stateful-resource-require-protect",
    "key",
    lambda w: _unprotect(w, "key-data"),
    ["[GOV-02] the resource is not protected"],
    target="key-data",
)
case(
    "aws-stateful-resource-require-protect",
    "secret",
    lambda w: _unprotect(w, "db-secret"),
    ["[GOV-02] the resource is not protected"],
    target="db-secret",
)
case(
    "aws-stateful-resource-require-protect",
    "ecr-repository",
    lambda w: _unprotect(w, "ecr-orders"),
    ["[GOV-02] the resource is not protected"],
    target="ecr-orders",
)
case(
    "aws-stateful-resource-require-protect",
    "audit-log-group",
    lambda w: _unprotect(w, "flow-log-group"),
    ["[GOV-02] the resource is not protected"],
    target="flow-log-group",
)
case(
    "aws-stateful-resource-require-protect",
    "dev-advisory",
    lambda w: _unprotect(w, "cache"),
    ["[GOV-02] the resource is not protected (advisory in dev: mandatory in tier prod)"],
    target="cache",
    env="dev",
)
case(
    "aws-resource-name-derived-from-stack",
    "foreign-name",
    patch("db", "identifier", "orders-db"),
    ["[GOV-03] identifier 'orders-db' does not start from groundwork-prod"],
    target="db",
)


# --------------------------------------------------------------------------------------------- helpers


def _unprotect(w: World, name: str) -> World:
    w = w.copy()
    w.resources[name].protect = False
    return w


def _move(w: World, name: str, provider: str) -> World:
    w = w.copy()
    w.resources[name].provider = provider
    return w


def _no_copies(w: World) -> World:
    w = w.copy()
    for rule in w.resources["plan"].props["rules"]:
        rule.pop("copyActions")
    w.resources["plan"].deps["rules"] = ["vault"]
    return w


def _provider_tags(w: World, name: str, provider: str | None, tags: dict) -> World:
    w = w.copy()
    w.resources[name].provider = provider
    w.resources[name].props["tags"] = tags
    return w


# -- edge (EDGE-01..05) -------------------------------------------------------------------------------
P = "aws-route53-record-require-stack-target"
case(
    P,
    "alias-elsewhere",
    deps("app-a", "aliases", []),
    ["[EDGE-01] record app-a aliases something that is not the stack's distribution"],
)
case(
    P,
    "foreign-zone",
    chain(deps("app-a", "zoneId", []), patch("app-a", "zoneId", "ZOTHERZONE")),
    ["[EDGE-01] record app-a is written into a zone the stack does not manage (ZOTHERZONE)"],
)
case(
    P,
    "cname-elsewhere",
    patch("cert-api-record", "records", ["old-lb-123.eu-west-1.elb.amazonaws.com"]),
    [
        "[EDGE-01] record cert-api-record points at old-lb-123.eu-west-1.elb.amazonaws.com the stack does not own "
        "(only aliases to its distribution and its certificates' validation records)"
    ],
)
P = "aws-acm-certificate-require-dns-validation"
case(
    P,
    "email-validation",
    patch("cert-api", "validationMethod", "EMAIL"),
    ["[EDGE-02] certificate cert-api is validated by EMAIL, not DNS"],
)
case(
    P,
    "never-validated",
    remove("cert-api-validation"),
    ["[EDGE-02] certificate cert-api has no CertificateValidation: it could be used while pending"],
)
case(
    P,
    "cloudfront-cert-outside-us-east-1",
    lambda w: _provider_tags(w, "cert-app", "primary", {"Name": "app.example.com"}),
    [
        "[EDGE-02] distribution distribution uses a certificate from eu-west-1: CloudFront only accepts "
        "certificates from us-east-1"
    ],
)
case(
    P,
    "distribution-uses-pending-cert",
    deps("distribution", "viewerCertificate", ["cert-app"]),
    ["[EDGE-02] distribution distribution uses its certificate before validation (take CertificateValidation's ARN)"],
)
case(
    P,
    "listener-uses-pending-cert",
    deps("ingress-params", "spec", ["cert-api"]),
    [
        "[EDGE-02] IngressClassParams ingress-params uses a certificate before validation "
        "(take CertificateValidation's ARN)"
    ],
)
P = "aws-s3-frontend-bucket-require-origin-access-control"
case(
    P,
    "no-oac",
    patch("distribution", "origins[0].originAccessControlId", DELETE),
    ["[EDGE-03] distribution distribution's S3 origin assets has no Origin Access Control"],
)
case(
    P,
    "website-endpoint",
    patch("distribution", "origins[0].domainName", "b.s3-website-eu-west-1.amazonaws.com"),
    ["[EDGE-03] distribution distribution reads a public website endpoint (b.s3-website-eu-west-1.amazonaws.com)"],
)
case(
    P,
    "legacy-oai",
    patch(
        "distribution", "origins[0].s3OriginConfig", {"originAccessIdentity": "origin-access-identity/cloudfront/E2"}
    ),
    ["[EDGE-03] distribution distribution uses a legacy origin access identity, not OAC"],
)


def _any_distribution(w: World) -> World:
    w = w.copy()
    doc = json.loads(w.resources["frontend-policy"].props["policy"])
    doc["Statement"][-1]["Condition"] = {
        "StringLike": {"AWS:SourceArn": "arn:aws:cloudfront::333333333333:distribution/*"}
    }
    w.resources["frontend-policy"].props["policy"] = json.dumps(doc)
    return w


case(
    P,
    "any-distribution",
    _any_distribution,
    [
        "[EDGE-03] bucket policy frontend-policy lets CloudFront read for any distribution "
        "(condition AWS:SourceArn on the stack's distribution)"
    ],
)
P = "aws-cloudfront-distribution-require-tls-headers-logging"
case(
    P,
    "tls-1-1",
    patch("distribution", "viewerCertificate.minimumProtocolVersion", "TLSv1.1_2016"),
    ["[EDGE-04] distribution distribution accepts viewers below TLSv1.2_2021 (TLSv1.1_2016)"],
)
case(
    P,
    "tls-1-2-2019",
    patch("distribution", "viewerCertificate.minimumProtocolVersion", "TLSv1.2_2019"),
    ["[EDGE-04] distribution distribution accepts viewers below TLSv1.2_2021 (TLSv1.2_2019)"],
)
case(
    P,
    "default-certificate",
    patch(
        "distribution",
        "viewerCertificate",
        {"cloudfrontDefaultCertificate": True, "minimumProtocolVersion": "TLSv1.2_2021"},
    ),
    ["[EDGE-04] distribution distribution serves the default *.cloudfront.net certificate (TLS 1.0 allowed)"],
)
case(
    P,
    "plain-http",
    patch("distribution", "orderedCacheBehaviors[0].viewerProtocolPolicy", "allow-all"),
    ["[EDGE-04] distribution distribution serves /api/* over plain HTTP"],
)
case(
    P,
    "no-headers",
    patch("distribution", "defaultCacheBehavior.responseHeadersPolicyId", DELETE),
    ["[EDGE-04] distribution distribution's default behaviour adds no security headers"],
)
case(
    P,
    "no-logging",
    remove("access-delivery"),
    ["[EDGE-04] distribution distribution logs no requests"],
)
P = "aws-cloudfront-distribution-require-waf"
case(P, "no-waf", patch("distribution", "webAclId", DELETE), ["[EDGE-04] no WAF web ACL"], target="distribution")
P = "aws-route53-zone-require-dnssec-and-query-logging"
case(P, "not-signed", remove("dnssec"), ["[EDGE-05] zone zone is not signed with DNSSEC"])
case(
    P,
    "signing-off",
    patch("dnssec", "signingStatus", "NOT_SIGNING"),
    ["[EDGE-05] zone zone is not signed with DNSSEC"],
)
case(P, "key-inactive", patch("ksk", "status", "INACTIVE"), ["[EDGE-05] zone zone is not signed with DNSSEC"])
case(P, "no-query-log", remove("query-log"), ["[EDGE-05] zone zone logs no queries"])


# Violations expected on a stack that holds only unrelated resources (presence controls).
EMPTY_STACK = {
    "aws-cloudtrail-require-audited-management-events": ["[SEC-07] no CloudTrail trail records management events"],
}
