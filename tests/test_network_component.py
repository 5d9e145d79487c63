"""The Network component on its own (groundwork.plan.run_function): what it decides for each
resource, in every egress mode, without planning a stack. These run in a fraction of a second,
so the mutation run of components/network.py reruns them for every mutant (issue 18).

The AWS rules each decision follows are cited where it is asserted.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.network import Network, NetworkArgs
from groundwork.naming import Naming
from groundwork.plan.graph import Graph, Resource
from groundwork.plan.runner import run_function
from groundwork.settings.model import NetworkSettings
from tests.helpers import by_name, deps, outside

LOGS_KEY = "arn:aws:kms:eu-west-1:111111111111:key/logs"
DATA_KEY = "arn:aws:kms:eu-west-1:111111111111:key/data"
PREFIX = "groundwork-test"


def plan_network(
    *,
    region: str = "eu-west-1",
    provider_region: str | None = None,
    args: dict[str, Any] | None = None,
    **settings: Any,
) -> Graph:
    """Plan one Network named `network` with these `groundwork:network` settings (camelCase);
    under an explicit provider of `provider_region` if given (as the DR stack builds it)."""

    def body() -> None:
        opts = None
        if provider_region:
            opts = pulumi.ResourceOptions(provider=aws.Provider("dr", region=provider_region))
        extra = {"logs_key_arn": LOGS_KEY, "data_key_arn": DATA_KEY, **(args or {})}
        Network(
            "network",
            NetworkArgs(
                settings=NetworkSettings.model_validate(settings),
                naming=Naming("groundwork", "test"),
                region=provider_region or region,
                **extra,
            ),
            opts=opts,
        )

    return run_function(body, config={"aws:region": region})


@pytest.fixture(scope="module")
def per_az() -> Graph:
    return plan_network(cidr="10.20.0.0/16", azCount=3, natMode="per-az", flowLogRetentionDays=365)


@pytest.fixture(scope="module")
def single() -> Graph:
    return plan_network(cidr="10.20.0.0/16", azCount=2, natMode="single")


@pytest.fixture(scope="module")
def instance() -> Graph:
    return plan_network(cidr="10.20.0.0/16", azCount=2, natMode="instance")


def one(graph: Graph, type_: str, name: str) -> Resource:
    return graph.one(type_, name)


def tags(r: Resource) -> dict[str, str]:
    return dict(r.props.get("tags") or {})


def test_vpc_resolves_names_for_private_endpoints(per_az: Graph) -> None:
    """EKS needs DNS support and DNS hostnames on in the VPC: the private API endpoint and the
    interface endpoints' private DNS resolve only then (EKS User Guide, "Amazon EKS VPC and
    subnet requirements": "The VPC must have DNS hostname and DNS resolution support")."""
    vpc = one(per_az, "aws:ec2/vpc:Vpc", "network-vpc")
    assert vpc.props == {
        "cidrBlock": "10.20.0.0/16",
        "enableDnsHostnames": True,
        "enableDnsSupport": True,
        "tags": {"Name": f"{PREFIX}-vpc"},
    }


def test_zones_are_those_the_region_offers_without_opting_in(per_az: Graph) -> None:
    """Zones come from the region's *available* zones that need no opt-in (Local and Wavelength
    Zones are opt-in and take no NAT gateway or EKS nodes)."""
    [invoke] = [i for i in per_az.invokes if i["token"] == "aws:index/getAvailabilityZones:getAvailabilityZones"]
    assert invoke["args"] == {
        "state": "available",
        "filters": [{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
    }
    subnets = by_name(per_az, "aws:ec2/subnet:Subnet")
    assert [subnets[f"network-private-{i}"].props["availabilityZone"] for i in range(3)] == [
        "eu-west-1a",
        "eu-west-1b",
        "eu-west-1c",
    ]


def test_zones_follow_the_components_provider() -> None:
    """The DR stack builds the network with the DR region's provider: the zone lookup is the
    component's child, so it asks that provider, not the default one."""
    g = plan_network(provider_region="eu-central-1", azCount=2)
    [invoke] = [i for i in g.invokes if i["token"] == "aws:index/getAvailabilityZones:getAvailabilityZones"]
    assert invoke["provider"].startswith(g.one("pulumi:providers:aws").urn)
    zones = {s.props["availabilityZone"] for s in g.of_type("aws:ec2/subnet:Subnet")}
    assert zones == {"eu-central-1a", "eu-central-1b"}


def test_listed_zones_need_no_lookup() -> None:
    g = plan_network(azCount=2, availabilityZones=["eu-west-1c", "eu-west-1b"])
    assert [i for i in g.invokes if "getAvailabilityZones" in i["token"]] == []
    subnets = by_name(g, "aws:ec2/subnet:Subnet")
    assert [subnets[f"network-public-{i}"].props["availabilityZone"] for i in range(2)] == ["eu-west-1c", "eu-west-1b"]


def test_subnets_tiers_tags_and_no_public_addresses(per_az: Graph) -> None:
    """Load balancers find their subnets by the role tags (AWS Load Balancer Controller,
    "Subnet auto-discovery": kubernetes.io/role/elb on public, kubernetes.io/role/internal-elb
    on private); no subnet gives launched instances a public address (NET-07)."""
    subnets = by_name(per_az, "aws:ec2/subnet:Subnet")
    role = {
        "public": {"kubernetes.io/role/elb": "1"},
        "private": {"kubernetes.io/role/internal-elb": "1"},
        "database": {},
    }
    vpc = one(per_az, "aws:ec2/vpc:Vpc", "network-vpc")
    for tier, first in (("public", "10.20.96.0/22"), ("private", "10.20.0.0/19"), ("database", "10.20.108.0/24")):
        s = subnets[f"network-{tier}-0"]
        assert s.props["cidrBlock"] == first
        assert s.props["mapPublicIpOnLaunch"] is False
        assert tags(s) == {"Name": f"{PREFIX}-{tier}-0", "groundwork.io/tier": tier, **role[tier]}
        assert deps(s, "vpcId") == [vpc.urn]


def test_default_security_group_has_no_rules(per_az: Graph) -> None:
    """NET-04 (CIS AWS 5.4): the VPC's default group is adopted and emptied."""
    sg = one(per_az, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "network-default-sg")
    assert sg.props["ingress"] == [] and sg.props["egress"] == []
    assert tags(sg) == {"Name": f"{PREFIX}-default-deny"}
    assert deps(sg, "vpcId") == [one(per_az, "aws:ec2/vpc:Vpc", "network-vpc").urn]


def test_public_route_table_reaches_the_internet_gateway(per_az: Graph) -> None:
    vpc = one(per_az, "aws:ec2/vpc:Vpc", "network-vpc")
    igw = one(per_az, "aws:ec2/internetGateway:InternetGateway", "network-igw")
    assert deps(igw, "vpcId") == [vpc.urn] and tags(igw) == {"Name": f"{PREFIX}-igw"}
    rt = one(per_az, "aws:ec2/routeTable:RouteTable", "network-public-rt")
    assert tags(rt) == {"Name": f"{PREFIX}-public"}
    route = one(per_az, "aws:ec2/route:Route", "network-public-default")
    assert route.props["destinationCidrBlock"] == "0.0.0.0/0"
    assert deps(route, "gatewayId") == [igw.urn] and deps(route, "routeTableId") == [rt.urn]


def test_a_nat_gateway_per_az_with_its_own_address(per_az: Graph) -> None:
    """NET-02: one public NAT gateway per AZ, each with its own Elastic IP in the VPC domain,
    created after the internet gateway (a public NAT gateway needs the VPC's internet gateway:
    Amazon VPC User Guide, "NAT gateways", "Create a NAT gateway"); each private route table
    sends to its own AZ's gateway."""
    subnets = by_name(per_az, "aws:ec2/subnet:Subnet")
    eips = by_name(per_az, "aws:ec2/eip:Eip")
    nats = by_name(per_az, "aws:ec2/natGateway:NatGateway")
    igw = one(per_az, "aws:ec2/internetGateway:InternetGateway", "network-igw")
    assert sorted(nats) == sorted(eips) == ["network-nat-0", "network-nat-1", "network-nat-2"]
    for i in range(3):
        eip, nat = eips[f"network-nat-{i}"], nats[f"network-nat-{i}"]
        assert eip.props == {"domain": "vpc", "tags": {"Name": f"{PREFIX}-nat-{i}"}}
        assert nat.props["connectivityType"] == "public" and tags(nat) == {"Name": f"{PREFIX}-nat-{i}"}
        assert deps(nat, "allocationId") == [eip.urn]
        assert deps(nat, "subnetId") == [subnets[f"network-public-{i}"].urn]
        assert igw.urn in nat.dependencies
    routes = by_name(per_az, "aws:ec2/route:Route")
    for i in range(3):
        assert deps(routes[f"network-private-default-{i}"], "natGatewayId") == [nats[f"network-nat-{i}"].urn]
    assert per_az.of_type("aws:ec2/instance:Instance") == []


def test_a_single_gateway_serves_every_private_subnet(single: Graph) -> None:
    nats = by_name(single, "aws:ec2/natGateway:NatGateway")
    assert list(nats) == ["network-nat-0"]
    assert len(single.of_type("aws:ec2/eip:Eip")) == 1
    routes = by_name(single, "aws:ec2/route:Route")
    for i in range(2):
        assert deps(routes[f"network-private-default-{i}"], "natGatewayId") == [nats["network-nat-0"].urn]


def test_private_and_database_route_tables(per_az: Graph) -> None:
    """Each private subnet has its own route table (its AZ's egress); the database subnets share
    one with the VPC's local route only (NET-05: no route to the internet)."""
    tables = by_name(per_az, "aws:ec2/routeTable:RouteTable")
    subnets = by_name(per_az, "aws:ec2/subnet:Subnet")
    assoc = by_name(per_az, "aws:ec2/routeTableAssociation:RouteTableAssociation")
    for i in range(3):
        assert tags(tables[f"network-private-rt-{i}"]) == {"Name": f"{PREFIX}-private-{i}"}
        a = assoc[f"network-database-{i}"]
        assert deps(a, "subnetId") == [subnets[f"network-database-{i}"].urn]
        assert deps(a, "routeTableId") == [tables["network-database-rt"].urn]
        p = assoc[f"network-public-{i}"]
        assert deps(p, "subnetId") == [subnets[f"network-public-{i}"].urn]
    assert tags(tables["network-database-rt"]) == {"Name": f"{PREFIX}-database"}
    db_table = tables["network-database-rt"].urn
    assert [r for r in per_az.of_type("aws:ec2/route:Route") if deps(r, "routeTableId") == [db_table]] == []


def test_database_acl_rules_in_order() -> None:
    """The database tier's network ACL, rule by rule: PostgreSQL and Redis from each private
    subnet, replies to the private subnets on the ephemeral ports (an ACL is stateless: Amazon VPC
    User Guide, "Network ACLs", "Ephemeral ports": 1024-65535 covers every client), and all
    traffic among the database subnets (Multi-AZ replication, cache replicas). Rules are evaluated
    in number order and numbered in steps of 10, so one can be inserted between two."""
    g = plan_network(cidr="10.20.0.0/16", azCount=2, natMode="single")
    acl = one(g, "aws:ec2/networkAcl:NetworkAcl", "network-database-acl")
    private = ["10.20.0.0/19", "10.20.32.0/19"]
    database = ["10.20.108.0/24", "10.20.109.0/24"]

    def rule(no: int, cidr: str, protocol: str, lo: int, hi: int) -> dict[str, Any]:
        return {
            "ruleNo": no,
            "protocol": protocol,
            "action": "allow",
            "cidrBlock": cidr,
            "fromPort": lo,
            "toPort": hi,
        }

    assert acl.props["ingress"] == [
        rule(100, private[0], "tcp", 5432, 5432),
        rule(110, private[0], "tcp", 6379, 6379),
        rule(130, private[1], "tcp", 5432, 5432),
        rule(140, private[1], "tcp", 6379, 6379),
        rule(160, database[0], "-1", 0, 0),
        rule(170, database[1], "-1", 0, 0),
    ]
    assert acl.props["egress"] == [
        rule(120, private[0], "tcp", 1024, 65535),
        rule(150, private[1], "tcp", 1024, 65535),
        rule(160, database[0], "-1", 0, 0),
        rule(170, database[1], "-1", 0, 0),
    ]
    assert tags(acl) == {"Name": f"{PREFIX}-database"}
    subnets = by_name(g, "aws:ec2/subnet:Subnet")
    assert sorted(deps(acl, "subnetIds")) == [subnets["network-database-0"].urn, subnets["network-database-1"].urn]


def test_database_subnet_group(per_az: Graph) -> None:
    group = one(per_az, "aws:rds/subnetGroup:SubnetGroup", "network-database")
    assert group.props["name"] == f"{PREFIX}-database"
    assert group.props["description"] == f"{PREFIX} isolated database subnets"
    subnets = by_name(per_az, "aws:ec2/subnet:Subnet")
    assert sorted(deps(group, "subnetIds")) == [subnets[f"network-database-{i}"].urn for i in range(3)]


def test_flow_logs_every_packet_each_minute_to_its_group(per_az: Graph) -> None:
    """NET-03: ALL traffic (accepted and rejected) to a KMS-encrypted, retained log group, written
    through a role the flow-logs service assumes; aggregated each 60 s, the shortest interval
    (EC2 API CreateFlowLogs, MaxAggregationInterval: 60 or 600), so an investigation sees a
    connection within a minute."""
    group = one(per_az, "aws:cloudwatch/logGroup:LogGroup", "network-flow-logs")
    assert group.props["name"] == "/groundwork/test/vpc/flow-logs"
    assert group.props["retentionInDays"] == 365 and group.props["kmsKeyId"] == LOGS_KEY
    role = one(per_az, "aws:iam/role:Role", "network-flow-logs")
    trust = json.loads(role.props["assumeRolePolicy"])
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "vpc-flow-logs.amazonaws.com"}]
    assert role.props["description"] == f"{PREFIX}: VPC flow logs delivery"
    policy = one(per_az, "aws:iam/rolePolicy:RolePolicy", "network-flow-logs")
    assert deps(policy, "role") == [role.urn] and deps(policy, "policy") == [group.urn]
    log = one(per_az, "aws:ec2/flowLog:FlowLog", "network-flow-log")
    assert {k: v for k, v in log.props.items() if k not in ("vpcId", "logDestination", "iamRoleArn")} == {
        "trafficType": "ALL",
        "logDestinationType": "cloud-watch-logs",
        "maxAggregationInterval": 60,
        "tags": {"Name": f"{PREFIX}-flow-log"},
    }
    assert deps(log, "logDestination") == [group.urn] and deps(log, "iamRoleArn") == [role.urn]


def test_flow_log_group_is_kept_by_default() -> None:
    """NetworkArgs.protect defaults to True: the flow-log group is protected and retained on
    delete (GOV-02) unless the stack says otherwise."""
    kept = plan_network(azCount=2, natMode="single")
    group = one(kept, "aws:cloudwatch/logGroup:LogGroup", "network-flow-logs")
    assert group.options.get("protect") is True and group.options.get("retainOnDelete") is True
    loose = plan_network(azCount=2, natMode="single", args={"protect": False})
    group = one(loose, "aws:cloudwatch/logGroup:LogGroup", "network-flow-logs")
    assert not group.options.get("protect") and not group.options.get("retainOnDelete")


def test_s3_gateway_endpoint_on_private_and_database_tables(per_az: Graph) -> None:
    """NET-09: S3 through a gateway endpoint (free) on the private and database route tables."""
    ep = one(per_az, "aws:ec2/vpcEndpoint:VpcEndpoint", "network-s3")
    assert ep.props["serviceName"] == "com.amazonaws.eu-west-1.s3" and ep.props["vpcEndpointType"] == "Gateway"
    tables = by_name(per_az, "aws:ec2/routeTable:RouteTable")
    assert sorted(deps(ep, "routeTableIds")) == sorted(
        [*(tables[f"network-private-rt-{i}"].urn for i in range(3)), tables["network-database-rt"].urn]
    )
    assert tags(ep) == {"Name": f"{PREFIX}-s3"}


def test_interface_endpoints_in_the_private_subnets_behind_https_only() -> None:
    g = plan_network(cidr="10.20.0.0/16", azCount=2, natMode="single", interfaceEndpoints=["ecr.api", "sts"])
    sg = one(g, "aws:ec2/securityGroup:SecurityGroup", "network-endpoints")
    vpc = one(g, "aws:ec2/vpc:Vpc", "network-vpc")
    assert deps(sg, "vpcId") == [vpc.urn]
    assert sg.props["description"] == "Interface VPC endpoints: HTTPS from inside the VPC"
    assert sg.props["ingress"] == [
        {
            "description": "HTTPS from the VPC",
            "protocol": "tcp",
            "fromPort": 443,
            "toPort": 443,
            "cidrBlocks": ["10.20.0.0/16"],
        }
    ]
    assert tags(sg) == {"Name": f"{PREFIX}-endpoints"}
    subnets = by_name(g, "aws:ec2/subnet:Subnet")
    endpoints = by_name(g, "aws:ec2/vpcEndpoint:VpcEndpoint")
    for service, name in (("ecr.api", "network-ecr-api"), ("sts", "network-sts")):
        ep = endpoints[name]
        assert ep.props["serviceName"] == f"com.amazonaws.eu-west-1.{service}"
        assert ep.props["vpcEndpointType"] == "Interface" and ep.props["privateDnsEnabled"] is True
        assert sorted(deps(ep, "subnetIds")) == [subnets["network-private-0"].urn, subnets["network-private-1"].urn]
        assert deps(ep, "securityGroupIds") == [sg.urn] and deps(ep, "vpcId") == [vpc.urn]
        assert tags(ep) == {"Name": f"{PREFIX}-{name.removeprefix('network-')}"}
        assert ep.parent == g.one("groundwork:network:Network").urn


def test_nat_instance_group_admits_only_the_private_subnets(instance: Graph) -> None:
    sg = one(instance, "aws:ec2/securityGroup:SecurityGroup", "network-nat-instance")
    assert deps(sg, "vpcId") == [one(instance, "aws:ec2/vpc:Vpc", "network-vpc").urn]
    assert sg.props["description"] == f"{PREFIX}: NAT instance, forwards the private subnets' traffic to the internet"
    assert tags(sg) == {"Name": f"{PREFIX}-nat-instance"}
    ingress = by_name(instance, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert {n: (r.props["cidrIpv4"], r.props["ipProtocol"]) for n, r in ingress.items()} == {
        "network-nat-instance-from-private-0": ("10.20.0.0/19", "-1"),
        "network-nat-instance-from-private-1": ("10.20.32.0/19", "-1"),
    }
    assert (
        ingress["network-nat-instance-from-private-1"].props["description"]
        == "traffic to forward from private subnet 1"
    )
    [out] = instance.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    assert out.props["cidrIpv4"] == "0.0.0.0/0" and out.props["ipProtocol"] == "-1"
    assert out.props["description"] == "forwarded traffic and the instance's own updates to the internet"
    for rule in (*ingress.values(), out):
        assert deps(rule, "securityGroupId") == [sg.urn]


def test_nat_instance_needs_the_data_key() -> None:
    with pytest.raises(Exception, match="a NAT instance needs data_key_arn for its root volume"):
        plan_network(azCount=2, natMode="instance", args={"data_key_arn": None})


def test_every_resource_is_the_networks_child(per_az: Graph, instance: Graph) -> None:
    g = plan_network(interfaceEndpoints=["ecr.api"])
    assert outside(g, "groundwork:network:Network") == []
    assert outside(per_az, "groundwork:network:Network") == []
    assert outside(instance, "groundwork:network:Network") == []


def test_component_outputs(instance: Graph, per_az: Graph) -> None:
    """What the component registers as its outputs (what `pulumi stack` shows under it)."""
    for g, nat in ((instance, True), (per_az, False)):
        component = g.one("groundwork:network:Network")
        assert set(component.outputs) == {
            "vpcId",
            "privateSubnetIds",
            "publicSubnetIds",
            "databaseSubnetIds",
            "databaseSubnetGroupName",
        } | ({"natInstanceId"} if nat else set())
        assert len(component.outputs["privateSubnetIds"]) == len(g.of_type("aws:ec2/subnet:Subnet")) // 3
