"""Network policies (NET-01..NET-10) at the edges the one-change cases leave out (issue 18: each
row was found by a surviving mutant of policies/groundwork_policies/network.py).

- how a subnet's tier is read from the route graph (an IGW, a NAT gateway, anything else);
- which resources belong to a VPC, a security group or a load balancer: only those that name it
  in the property that attaches them (`vpcId`, `securityGroupId`, `loadBalancerArn`), never one
  that merely depends on it elsewhere (a rule whose *source* is the data store's group, a
  resource of another VPC whose tags were built from this one's id);
- defaults read for a missing property (ports, the data store's own port) and the shapes of a
  rule (egress, a separate rule resource, a port that is not a number).
"""

from __future__ import annotations

from typing import Any

import pytest
from groundwork_policies.core import Graph
from groundwork_policies.network import INGRESS, LB, LISTENER, SG_INGRESS, SG_RULE, VPC, subnet_tiers, zone

from tests.policies.cases import add, chain, deps, patch, remove
from tests.policies.harness import DELETE, Fx, run_resource, run_stack, stack_args
from tests.policies.test_policy_cases import WORLD


def tiers_of(world: Any) -> dict[str, str]:
    g = Graph.from_args(stack_args(world))
    by_urn = {r.urn: r.name for r in g.resources}
    return {by_urn[u]: t for u, t in subnet_tiers(g).items()}


def test_subnet_tiers_of_the_compliant_world() -> None:
    assert tiers_of(WORLD) == {
        f"subnet-{tier}-{i}": {"public": "public", "private": "private", "db": "isolated"}[tier]
        for i in range(3)
        for tier in ("public", "private", "db")
    }


def test_a_default_route_to_another_gateway_leaves_a_subnet_isolated() -> None:
    """A VPN (virtual private) gateway is no internet gateway and no NAT: the database tier
    with such a route is neither public nor private."""
    world = add(
        Fx("aws:ec2/vpnGateway:VpnGateway", "vgw", {"tags": {"Name": "vgw"}}, {"vpcId": ["vpc"]}),
        Fx(
            "aws:ec2/route:Route",
            "route-db-vpn",
            {"destinationCidrBlock": "0.0.0.0/0", "routeTableId": "rtb-db", "gatewayId": "vgw-1"},
            {"routeTableId": ["rt-db"], "gatewayId": ["vgw"]},
        ),
    )(WORLD)
    assert {t for name, t in tiers_of(world).items() if name.startswith("subnet-db-")} == {"isolated"}


@pytest.mark.parametrize(("target", "tier"), [("igw", "public"), ("nat-0", "private"), ("vpc", "isolated")])
def test_inline_routes_are_classified_by_what_they_depend_on(target: str, tier: str) -> None:
    world = add(
        Fx("aws:ec2/routeTable:RouteTable", "rt-inline", {"tags": {"Name": "inline"}}, {"routes": [target]}),
        Fx(
            "aws:ec2/subnet:Subnet",
            "subnet-inline",
            {"cidrBlock": "10.30.20.0/24", "availabilityZone": "eu-west-1a"},
            {"vpcId": ["vpc"]},
        ),
        Fx(
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            "assoc-inline",
            {"subnetId": "s", "routeTableId": "t"},
            {"subnetId": ["subnet-inline"], "routeTableId": ["rt-inline"]},
        ),
    )(WORLD)
    assert tiers_of(world)["subnet-inline"] == tier


def _subnet(props: dict[str, Any]) -> Any:
    g = Graph.from_args(stack_args(add(Fx("aws:ec2/subnet:Subnet", "sn", props))(WORLD)))
    return next(r for r in g.resources if r.name == "sn")


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"availabilityZone": "eu-west-1a", "availabilityZoneId": "euw1-az3"}, "eu-west-1a"),
        ({"availabilityZoneId": "euw1-az3"}, "euw1-az3"),  # a subnet placed by zone ID
        ({"availabilityZone": "", "availabilityZoneId": "euw1-az3"}, "euw1-az3"),
        ({}, "?sn"),  # unplaced: a zone of its own, never merged with another subnet's
    ],
)
def test_a_subnets_zone_is_its_name_or_its_id(props: dict[str, Any], expected: str) -> None:
    assert zone(_subnet(props)) == expected


def _other_vpc(*fxs: Fx) -> Any:
    """A second VPC, and resources of it whose tags were built from the first VPC's id: they
    depend on `vpc`, but do not belong to it."""
    return add(Fx(VPC, "vpc-b", {"cidrBlock": "10.40.0.0/16", "tags": {"Name": "b"}}), *fxs)


STACK_EDGES: list[tuple[str, str, Any, list[str]]] = [
    # NET-01: the subnets of a VPC are those that name it in vpcId
    (
        "subnets-of-another-vpc",
        "aws-vpc-require-three-tiers-across-azs",
        chain(
            remove("subnet-db-0", "subnet-db-1", "subnet-db-2"),
            _other_vpc(
                *(
                    Fx(
                        "aws:ec2/subnet:Subnet",
                        f"subnet-b-{i}",
                        {"cidrBlock": f"10.40.{i}.0/24", "availabilityZone": f"eu-west-1{'abc'[i]}"},
                        {"vpcId": ["vpc-b"], "tags": ["vpc"]},
                    )
                    for i in range(3)
                )
            ),
        ),
        # vpc-b's subnets have no route table (isolated): they do not stand in for vpc's database tier
        [
            "[NET-01] VPC vpc has isolated subnets in 0 AZ(s); each tier needs 3 AZs",
            "[NET-01] VPC vpc-b has private subnets in 0 AZ(s), public subnets in 0 AZ(s); each tier needs 3 AZs",
        ],
    ),
    # NET-02: only the private subnets' zones need a NAT gateway
    ("nat-where-private-subnets-are", "aws-vpc-require-nat-gateway-per-az", remove("nat-2"), []),
    # NET-03: a flow log of another VPC does not cover this one
    (
        "flow-log-of-another-vpc",
        "aws-vpc-require-encrypted-flow-logs",
        chain(
            remove("flow-log"),
            _other_vpc(
                Fx(
                    "aws:ec2/flowLog:FlowLog",
                    "flow-log-b",
                    {"trafficType": "ALL", "logDestinationType": "cloud-watch-logs"},
                    {"vpcId": ["vpc-b"], "logDestination": ["flow-log-group"], "tags": ["vpc"]},
                )
            ),
        ),
        ["[NET-03] VPC vpc has no flow log"],
    ),
    # NET-04: the default security group of another VPC
    (
        "default-sg-of-another-vpc",
        "aws-vpc-default-security-group-deny-all",
        chain(
            remove("default-sg"),
            _other_vpc(
                Fx(
                    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
                    "default-sg-b",
                    {"ingress": [], "egress": []},
                    {"vpcId": ["vpc-b"], "tags": ["vpc"]},
                )
            ),
        ),
        ["[NET-04] VPC vpc's default security group is not managed (it allows all traffic within the group)"],
    ),
    # NET-09: the S3 endpoint of another VPC
    (
        "s3-endpoint-of-another-vpc",
        "aws-vpc-require-s3-gateway-endpoint",
        chain(
            remove("s3-endpoint"),
            _other_vpc(
                Fx(
                    "aws:ec2/vpcEndpoint:VpcEndpoint",
                    "s3-endpoint-b",
                    {"serviceName": "com.amazonaws.eu-west-1.s3", "vpcEndpointType": "Gateway"},
                    {"vpcId": ["vpc-b"], "tags": ["vpc"]},
                )
            ),
        ),
        ["[NET-09] VPC vpc has no S3 gateway endpoint"],
    ),
    # NET-06: a data store without a port property listens on its engine's default port
    ("rds-default-port", "aws-datastore-ingress-only-from-cluster", patch("db", "port", DELETE), []),
    ("cache-default-port", "aws-datastore-ingress-only-from-cluster", patch("cache", "port", DELETE), []),
    (
        "aurora-cluster-default-port",
        "aws-datastore-ingress-only-from-cluster",
        add(
            Fx(
                "aws:rds/cluster:Cluster",
                "aurora",
                {"engine": "aurora-postgresql", "vpcSecurityGroupIds": ["sg-db"]},
                {"vpcSecurityGroupIds": ["db-sg"]},
            )
        ),
        [],
    ),
    # NET-06: a rule whose source is the data store's group belongs to another group
    (
        "ingress-rule-from-the-db-group-to-another",
        "aws-datastore-ingress-only-from-cluster",
        add(
            Fx(
                SG_INGRESS,
                "api-from-db",
                {"description": "x", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443},
                {"securityGroupId": ["alb-sg"], "referencedSecurityGroupId": ["db-sg"]},
            )
        ),
        [],
    ),
    (
        "rule-resource-from-the-db-group-to-another",
        "aws-datastore-ingress-only-from-cluster",
        add(
            Fx(
                SG_RULE,
                "api-from-db-rule",
                {"description": "x", "type": "ingress", "protocol": "tcp", "fromPort": 443, "toPort": 443},
                {"securityGroupId": ["alb-sg"], "sourceSecurityGroupId": ["db-sg"]},
            )
        ),
        [],
    ),
    # NET-06: egress rules of the data store's group are not ingress
    (
        "egress-rule-of-the-db-group",
        "aws-datastore-ingress-only-from-cluster",
        add(
            Fx(
                SG_RULE,
                "db-egress",
                {
                    "description": "x",
                    "type": "egress",
                    "protocol": "-1",
                    "fromPort": 0,
                    "toPort": 0,
                    "cidrBlocks": ["0.0.0.0/0"],
                },
                {"securityGroupId": ["db-sg"]},
            )
        ),
        [],
    ),
    (
        "ingress-rule-resource-of-the-db-group",
        "aws-datastore-ingress-only-from-cluster",
        add(
            Fx(
                SG_RULE,
                "db-ssh",
                {"description": "x", "type": "ingress", "protocol": "tcp", "fromPort": 22, "toPort": 22},
                {"securityGroupId": ["db-sg"], "sourceSecurityGroupId": ["alb-sg"]},
            )
        ),
        [  # the instance and its proxy share the group
            "[NET-06] security group db-sg of db opens ports 22-22, not only 5432",
            "[NET-06] security group db-sg of db-proxy opens ports 22-22, not only 5432",
        ],
    ),
    # NET-10: internal and non-application load balancers are not judged on TLS
    (
        "internal-alb-without-https",
        "aws-lb-require-tls12-and-http-redirect",
        add(
            Fx(LB, "internal-alb", {"internal": True, "loadBalancerType": "application"}),
            Fx(LISTENER, "internal-http", {"protocol": "HTTP", "port": 80}, {"loadBalancerArn": ["internal-alb"]}),
        ),
        [],
    ),
    (
        "network-lb-without-https",
        "aws-lb-require-tls12-and-http-redirect",
        add(
            Fx(LB, "nlb", {"internal": False, "loadBalancerType": "network"}),
            Fx(LISTENER, "nlb-tcp", {"protocol": "TCP", "port": 5432}, {"loadBalancerArn": ["nlb"]}),
        ),
        [],
    ),
    # a listener of another load balancer that merely depends on this one
    (
        "listener-of-another-lb",
        "aws-lb-require-tls12-and-http-redirect",
        add(
            Fx(LB, "internal-alb", {"internal": True, "loadBalancerType": "application"}),
            Fx(
                LISTENER,
                "internal-http",
                {"protocol": "HTTP", "port": 80},
                {"loadBalancerArn": ["internal-alb"], "tags": ["alb"]},
            ),
        ),
        [],
    ),
    (
        "redirect-to-http",
        "aws-lb-require-tls12-and-http-redirect",
        patch("listener-http", "defaultActions[0].redirect.protocol", "HTTP"),
        ["[NET-10] HTTP listener listener-http does not redirect to HTTPS"],
    ),
]


@pytest.mark.parametrize(
    ("policy", "mutate", "expected"), [e[1:] for e in STACK_EDGES], ids=[e[0] for e in STACK_EDGES]
)
def test_network_stack_edge(policy: str, mutate: Any, expected: list[str]) -> None:
    assert run_stack(policy, mutate(WORLD)) == expected


WORLD_RULE = {"description": "x", "cidrIpv4": "0.0.0.0/0"}
RESOURCE_EDGES: list[tuple[str, str, Fx, list[str]]] = [
    # NET-05: a rule without ports, or with ports that are not numbers, opens every port
    (
        "world-rule-without-ports",
        "aws-security-group-no-world-ingress",
        Fx(SG_INGRESS, "r", {**WORLD_RULE, "ipProtocol": "tcp"}),
        ["[NET-05] ingress 0-65535 is open to the internet"],
    ),
    (
        "world-rule-with-text-ports",
        "aws-security-group-no-world-ingress",
        Fx(SG_INGRESS, "r", {**WORLD_RULE, "ipProtocol": "tcp", "fromPort": "443", "toPort": "443"}),
        ["[NET-05] ingress 0-65535 is open to the internet"],
    ),
    (
        "world-rule-resource-ingress",
        "aws-security-group-no-world-ingress",
        Fx(
            SG_RULE,
            "r",
            {"type": "ingress", "protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]},
        ),
        ["[NET-05] ingress 22-22 is open to the internet"],
    ),
    (
        "world-rule-resource-egress",
        "aws-security-group-no-world-ingress",
        Fx(SG_RULE, "r", {"type": "egress", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}),
        [],
    ),
    # NET-07: an interface of a node launch template without a public address
    (
        "launch-template-private-interface",
        "aws-eks-nodes-no-public-ip",
        Fx("aws:ec2/launchTemplate:LaunchTemplate", "lt", {"networkInterfaces": [{"deviceIndex": 0}]}),
        [],
    ),
    (
        "launch-template-public-interface",
        "aws-eks-nodes-no-public-ip",
        Fx(
            "aws:ec2/launchTemplate:LaunchTemplate",
            "lt",
            {"networkInterfaces": [{"deviceIndex": 0}, {"deviceIndex": 1, "associatePublicIpAddress": "true"}]},
        ),
        ["[NET-07] networkInterfaces[1].associatePublicIpAddress is true"],
    ),
    # NET-08: rule resources carry their own description
    ("described-rule", "aws-security-group-require-descriptions", Fx(SG_INGRESS, "r", {"description": "d"}), []),
    (
        "undescribed-rule",
        "aws-security-group-require-descriptions",
        Fx(SG_INGRESS, "r", {"ipProtocol": "tcp"}),
        ["[NET-08] the rule has no description"],
    ),
    ("described-inline-rules", "aws-security-group-require-descriptions", WORLD.resources["endpoints-sg"], []),
    # NET-10 / K8S-11: an IAM server certificate is not an ACM certificate
    (
        "ingress-class-iam-certificate",
        "kubernetes-alb-ingress-class-require-tls",
        Fx(
            "kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams",
            "p",
            {
                "spec": {
                    "scheme": "internet-facing",
                    "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
                    "certificateArn": ["arn:aws:iam::111111111111:server-certificate/edge"],
                }
            },
        ),
        ["[NET-10/K8S-11] spec.certificateArn has no ACM certificate"],
    ),
    # NET-10: an ingress is the ALB's by its class or by an ALB annotation
    (
        "alb-class-without-annotations",
        "kubernetes-alb-ingress-require-https-redirect",
        Fx(INGRESS, "i", {"metadata": {"name": "i"}, "spec": {"ingressClassName": "alb"}}),
        [
            "[NET-10] alb.ingress.kubernetes.io/listen-ports has no HTTPS listener",
            "[NET-10] alb.ingress.kubernetes.io/ssl-redirect is not '443'",
        ],
    ),
    (
        "alb-annotations-without-class",
        "kubernetes-alb-ingress-require-https-redirect",
        Fx(
            INGRESS,
            "i",
            {"metadata": {"name": "i", "annotations": {"alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS":443}]'}}},
        ),
        ["[NET-10] alb.ingress.kubernetes.io/ssl-redirect is not '443'"],
    ),
    (
        "another-controllers-ingress",
        "kubernetes-alb-ingress-require-https-redirect",
        Fx(INGRESS, "i", {"metadata": {"name": "i"}, "spec": {"ingressClassName": "nginx"}}),
        [],
    ),
]


@pytest.mark.parametrize(
    ("policy", "fx", "expected"), [e[1:] for e in RESOURCE_EDGES], ids=[e[0] for e in RESOURCE_EDGES]
)
def test_network_resource_edge(policy: str, fx: Fx, expected: list[str]) -> None:
    assert run_resource(policy, fx) == expected


# --------------------------------------------------------------------------------------------- dev's NAT instance

NAT_INSTANCE = Fx(
    "aws:ec2/instance:Instance",
    "nat-instance",
    {"associatePublicIpAddress": True, "sourceDestCheck": False, "subnetId": "subnet-1"},
    {"subnetId": ["subnet-public-0"]},
)


def _through_instance(world: Any) -> Any:
    """natMode instance: route-private-0 goes through the instance's interface, not a gateway."""
    world = add(NAT_INSTANCE)(world)
    world = patch("route-private-0", "natGatewayId", DELETE)(world)
    world = patch("route-private-0", "networkInterfaceId", "eni-1")(world)
    world = deps("route-private-0", "natGatewayId", [])(world)
    return deps("route-private-0", "networkInterfaceId", ["nat-instance"])(world)


def test_a_route_through_a_nat_instance_makes_a_private_subnet() -> None:
    world = _through_instance(WORLD)
    assert tiers_of(world)["subnet-private-0"] == "private"
    assert run_stack("aws-ec2-instance-no-public-ip", world, env="dev") == []
    # NET-02 still counts NAT gateways only: the instance is no gateway of subnet-private-0's AZ
    assert run_stack("aws-vpc-require-nat-gateway-per-az", remove("nat-0")(world)) == [
        "[NET-02] VPC vpc has private subnets in 3 AZs but NAT gateways in 2; no NAT in eu-west-1a"
    ]


def test_a_route_to_an_interface_of_no_instance_is_no_egress() -> None:
    """A route whose interface is not an instance's (or an ENI's) leaves the table isolated."""
    world = deps("route-private-0", "networkInterfaceId", ["vpc"])(_through_instance(WORLD))
    assert tiers_of(world)["subnet-private-0"] == "isolated"


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (patch("nat-instance", "sourceDestCheck", DELETE), "its source/destination check is on"),
        (patch("nat-instance", "sourceDestCheck", "true"), "its source/destination check is on"),
        (deps("nat-instance", "subnetId", ["subnet-private-1"]), "it is not in a public subnet"),
        (patch("route-private-0", "destinationCidrBlock", "10.0.0.0/8"), "no default route goes through it"),
    ],
)
def test_a_nat_instance_loses_its_exemption_by_one_change(change: Any, why: str) -> None:
    world = change(_through_instance(WORLD))
    assert run_stack("aws-ec2-instance-no-public-ip", world, env="dev") == [
        f"[NET-07] instance nat-instance has a public IP address but is no NAT instance: {why}"
    ]


@pytest.mark.parametrize("public", [False, "false", DELETE])
def test_an_instance_without_a_public_address_is_not_judged(public: Any) -> None:
    world = add(Fx("aws:ec2/instance:Instance", "host", {"associatePublicIpAddress": True}))(WORLD)
    assert run_stack("aws-ec2-instance-no-public-ip", patch("host", "associatePublicIpAddress", public)(world)) == []


def test_a_route_to_a_network_interface_makes_a_private_subnet() -> None:
    eni = Fx("aws:ec2/networkInterface:NetworkInterface", "appliance", {"sourceDestCheck": False})
    world = deps("route-private-0", "networkInterfaceId", ["appliance"])(_through_instance(add(eni)(WORLD)))
    assert tiers_of(world)["subnet-private-0"] == "private"


@pytest.mark.parametrize("target", ["nat-instance", "appliance"])
def test_inline_routes_through_an_instance_or_interface_are_private(target: str) -> None:
    world = add(
        NAT_INSTANCE,
        Fx("aws:ec2/networkInterface:NetworkInterface", "appliance", {"sourceDestCheck": False}),
        Fx("aws:ec2/routeTable:RouteTable", "rt-inline", {"tags": {"Name": "inline"}}, {"routes": [target]}),
        Fx("aws:ec2/subnet:Subnet", "subnet-inline", {"cidrBlock": "10.30.20.0/24"}, {"vpcId": ["vpc"]}),
        Fx(
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            "assoc-inline",
            {"subnetId": "s", "routeTableId": "t"},
            {"subnetId": ["subnet-inline"], "routeTableId": ["rt-inline"]},
        ),
    )(WORLD)
    assert tiers_of(world)["subnet-inline"] == "private"
