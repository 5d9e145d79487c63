"""Ingress: the AWS Load Balancer Controller and the stack's shared ALB (K8S-11, NET-10).

Behaviour:
- The controller (chart pinned in groundwork/charts.py) in kube-system, two replicas with a
  PodDisruptionBudget (`platform.highAvailability`), an EKS Pod Identity role whose policy
  follows upstream's, with every mutating action limited to load balancers, target groups
  and security groups tagged as this cluster's (`elbv2.k8s.aws/cluster`) and no data actions.
  Every AWS resource it creates carries the stack's tags (`defaultTags`, GOV-01).
- One IngressClass (`<prefix>-alb`, the cluster default) whose IngressClassParams put every
  Ingress in one IngressGroup, i.e. one ALB per stack: target type ip, the ACM certificate
  with a TLS 1.2+ policy and HTTP redirected to HTTPS (no certificate: HTTP only, dev),
  inbound CIDRs, invalid headers dropped, desync mitigation strictest, deletion protection
  with the stack's `protect`, and the WAF web ACL when `ingress.waf`.
- The WAF web ACL (REGIONAL): AWS managed rule groups (common, known bad inputs, IP
  reputation, SQL injection) and a per-IP rate limit, metrics on, logs to an encrypted log
  group with the Authorization and Cookie headers redacted.
- An Ingress per service with `ingress` in its namespace, routing `host` + `path` to the
  service's Service on its port, health-checked on `healthCheckPath`.

Deletion order: every Ingress depends on the controller release, so `pulumi destroy` deletes
the Ingresses first while the controller still runs to delete the ALB and its security
groups (and remove the Ingress finalizers); the controller, its role and the VPC go after.
A prod ALB has deletion protection: disable it (`protect: false`, `pulumi up`) before a destroy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from components.identity import WorkloadRole, WorkloadRoleArgs
from components.kube import apply, release
from components.waf import web_acl
from groundwork import manifests as m
from groundwork.naming import Naming
from groundwork.settings.model import IngressSettings

SERVICE_ACCOUNT = "aws-load-balancer-controller"


@dataclass(frozen=True)
class Exposed:
    service: str
    team: str
    port: int
    path: str
    health_check_path: str


@dataclass(frozen=True)
class IngressArgs:
    settings: IngressSettings
    # the HTTPS listener's certificate: components/edge.py's validated one, or the override
    certificate_arn: pulumi.Input[str] | None
    naming: Naming
    region: str
    vpc_id: pulumi.Input[str]
    cluster_name: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    tags: dict[str, str]
    teams: Sequence[str]
    exposed: Sequence[Exposed]
    namespace_resources: dict[str, pulumi.Resource]
    log_retention_days: int = 90
    high_availability: bool = True
    protect: bool = True


class Ingress(pulumi.ComponentResource):
    """`groundwork:ingress:Ingress`."""

    class_name: str
    web_acl_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: IngressArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:ingress:Ingress", name, None, opts)
        s, naming = args.settings, args.naming
        child = pulumi.ResourceOptions(parent=self)
        self.class_name = naming.physical("alb")

        role = WorkloadRole(
            f"{name}-controller",
            WorkloadRoleArgs(
                naming=naming,
                cluster_name=args.cluster_name,
                cluster_arn=args.cluster_arn,
                account_id=args.account_id,
                namespace="kube-system",
                service_account=SERVICE_ACCOUNT,
                statements=controller_statements(),
                description=f"{naming.prefix}: AWS Load Balancer Controller",
            ),
            opts=child,
        )
        ha = args.high_availability
        self.release = release(
            f"{name}-controller",
            "aws-load-balancer-controller",
            namespace="kube-system",
            values={
                "clusterName": args.cluster_name,
                "region": args.region,
                "vpcId": args.vpc_id,
                "replicaCount": 2 if ha else 1,
                "podDisruptionBudget": {"maxUnavailable": 1},
                "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
                "createIngressClassResource": False,
                "ingressClass": self.class_name,
                "enableServiceMutatorWebhook": False,
                "defaultTags": args.tags,
                "defaultTargetType": "ip",
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role]),
        )

        self.web_acl_arn = None
        if s.waf:
            self.web_acl_arn = self._waf(name, args)

        after = pulumi.ResourceOptions(parent=self, depends_on=[self.release])
        params = apply(
            f"{name}-class-params",
            m.ingress_class_params(
                self.class_name,
                group=naming.physical("edge"),
                scheme=s.scheme,
                certificate_arn=args.certificate_arn,
                ssl_policy=s.ssl_policy,
                inbound_cidrs=[str(c) for c in s.allowed_cidrs],
                waf_acl_arn=self.web_acl_arn,
                deletion_protection=args.protect,
                tags=args.tags,
                namespaces=args.teams,
            ),
            after,
        )
        ingress_class = apply(
            f"{name}-class",
            m.ingress_class(self.class_name),
            pulumi.ResourceOptions(parent=self, depends_on=[self.release, params]),
        )
        for e in args.exposed:
            deps: list[pulumi.Resource] = [self.release, ingress_class]
            if e.team in args.namespace_resources:
                deps.append(args.namespace_resources[e.team])
            apply(
                f"{name}-{e.service}",
                m.service_ingress(
                    e.service,
                    e.team,
                    port=e.port,
                    path=e.path,
                    health_check_path=e.health_check_path,
                    ingress_class_name=self.class_name,
                    host=s.host,
                    https=args.certificate_arn is not None,
                ),
                pulumi.ResourceOptions(parent=self, depends_on=deps),
            )
        self.register_outputs({"ingressClass": self.class_name, "webAclArn": self.web_acl_arn})

    def _waf(self, name: str, args: IngressArgs) -> pulumi.Output[str]:
        acl = web_acl(
            name,
            acl_name=args.naming.physical("edge"),
            log_group_name=f"aws-waf-logs-{args.naming.prefix}",
            description=f"{args.naming.prefix}: edge ALB (managed rule groups, per-IP rate limit)",
            scope="REGIONAL",
            rate_limit=args.settings.waf_rate_limit,
            logs_key_arn=args.logs_key_arn,
            log_retention_days=args.log_retention_days,
            protect=args.protect,
            parent=self,
        )
        return acl.arn


def controller_statements() -> list[dict]:
    """The controller's permissions: at least upstream's reference policy for the pinned release
    (kubernetes-sigs/aws-load-balancer-controller v3.5.0, docs/install/iam_policy.json; a copy
    is in ../shared/reference/iam/ and `tests/test_iam_sufficiency.py` checks that every action,
    resource and condition of it is granted here). Describe/Get calls must be on "*" (EC2 and
    ELB have no resource-level permissions for them); none of these are data actions."""
    owned = {"Null": {"aws:ResourceTag/elbv2.k8s.aws/cluster": "false"}}
    return [
        {
            "Sid": "ServiceLinkedRole",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": "*",
            "Condition": {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
        },
        {
            "Sid": "Describe",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeAccountAttributes",
                "ec2:DescribeAddresses",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeInternetGateways",
                "ec2:DescribeVpcs",
                "ec2:DescribeVpcPeeringConnections",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeInstances",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeTags",
                "ec2:DescribeRouteTables",
                "ec2:DescribeIpamPools",
                "ec2:GetCoipPoolUsage",
                "ec2:DescribeCoipPools",
                "ec2:GetSecurityGroupsForVpc",
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeLoadBalancerAttributes",
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeListenerCertificates",
                "elasticloadbalancing:DescribeListenerAttributes",
                "elasticloadbalancing:DescribeSSLPolicies",
                "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetGroupAttributes",
                "elasticloadbalancing:DescribeTargetHealth",
                "elasticloadbalancing:DescribeTags",
                "elasticloadbalancing:DescribeTrustStores",
                "elasticloadbalancing:DescribeCapacityReservation",
                "acm:ListCertificates",
                "acm:DescribeCertificate",
                "wafv2:GetWebACL",
                "wafv2:GetWebACLForResource",
                "shield:GetSubscriptionState",
                "shield:DescribeProtection",
            ],
            "Resource": "*",
        },
        {
            "Sid": "AttachWaf",
            "Effect": "Allow",
            "Action": ["wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "elasticloadbalancing:SetWebAcl"],
            "Resource": "*",
        },
        {
            # Ingress annotations the controller reconciles whether or not we use them (Cognito
            # authentication, IAM server certificates, WAF Classic, Shield Advanced protection):
            # without them a team's annotation fails at reconcile time, not at review.
            "Sid": "AnnotationFeatures",
            "Effect": "Allow",
            "Action": [
                "cognito-idp:DescribeUserPoolClient",
                "iam:ListServerCertificates",
                "iam:GetServerCertificate",
                "waf-regional:GetWebACL",
                "waf-regional:GetWebACLForResource",
                "waf-regional:AssociateWebACL",
                "waf-regional:DisassociateWebACL",
                "shield:CreateProtection",
                "shield:DeleteProtection",
            ],
            "Resource": "*",
        },
        {
            "Sid": "CreateSecurityGroups",
            "Effect": "Allow",
            "Action": "ec2:CreateSecurityGroup",
            "Resource": "*",
        },
        {
            "Sid": "TagNewSecurityGroups",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": "arn:aws:ec2:*:*:security-group/*",
            "Condition": {
                "StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"},
                "Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "false"},
            },
        },
        {
            "Sid": "ManageOwnSecurityGroups",
            "Effect": "Allow",
            "Action": ["ec2:CreateTags", "ec2:DeleteTags"],
            "Resource": "arn:aws:ec2:*:*:security-group/*",
            "Condition": owned,
        },
        {
            "Sid": "DeleteOwnSecurityGroups",
            "Effect": "Allow",
            "Action": "ec2:DeleteSecurityGroup",
            "Resource": "*",
            "Condition": owned,
        },
        {
            # the node (cluster) security group is not the controller's: it opens it to the ALB
            "Sid": "OpenNodeSecurityGroupsToTheAlb",
            "Effect": "Allow",
            "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            "Resource": "*",
        },
        {
            "Sid": "CreateTaggedLoadBalancers",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
            "Resource": "*",
            "Condition": {"Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "false"}},
        },
        {
            "Sid": "ListenersAndRules",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteRule",
            ],
            "Resource": "*",
        },
        {
            "Sid": "TagOwnLoadBalancers",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            "Resource": [
                "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
                "arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*",
                "arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*",
            ],
            "Condition": owned,
        },
        {
            "Sid": "TagOnCreate",
            "Effect": "Allow",
            "Action": "elasticloadbalancing:AddTags",
            "Resource": [
                "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
                "arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*",
                "arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*",
            ],
            "Condition": {
                "StringEquals": {"elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"]},
                "Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "false"},
            },
        },
        {
            # v3.x tags the listeners and rules it creates: without this CreateListener is denied
            # (the Ingress never gets an address and the release's wait times out)
            "Sid": "TagListenersAndRules",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            "Resource": [
                "arn:aws:elasticloadbalancing:*:*:listener/net/*/*/*",
                "arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*",
                "arn:aws:elasticloadbalancing:*:*:listener-rule/net/*/*/*",
                "arn:aws:elasticloadbalancing:*:*:listener-rule/app/*/*/*",
            ],
        },
        {
            "Sid": "ManageOwnLoadBalancers",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:SetIpAddressType",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:ModifyListenerAttributes",
                "elasticloadbalancing:ModifyCapacityReservation",
                "elasticloadbalancing:ModifyIpPools",
            ],
            "Resource": "*",
            "Condition": owned,
        },
        {
            "Sid": "Targets",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
            "Resource": "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
        },
        {
            "Sid": "ListenerUpdates",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:RemoveListenerCertificates",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:SetRulePriorities",
            ],
            "Resource": "*",
        },
    ]
