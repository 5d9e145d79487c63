"""The Network component as the offline plan records it (NET-01..09)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from ipaddress import ip_network
from pathlib import Path

import pytest

from groundwork.plan import PlanFailed
from groundwork.plan.graph import Graph
from tests.conftest import section
from tests.helpers import by_name, deps

SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
ROUTE = "aws:ec2/route:Route"


def subnets(graph: Graph, tier: str) -> list:
    return sorted(
        (r for r in graph.of_type(SUBNET) if r.props["tags"]["groundwork.io/tier"] == tier), key=lambda r: r.name
    )


def test_prod_spans_three_azs_with_three_tiers(prod: Graph) -> None:
    for tier in ("public", "private", "database"):
        tier_subnets = subnets(prod, tier)
        assert len(tier_subnets) == 3
        assert sorted(s.props["availabilityZone"] for s in tier_subnets) == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    vpc = prod.one("aws:ec2/vpc:Vpc")
    assert vpc.props["cidrBlock"] == "10.30.0.0/16"
    assert [s.props["cidrBlock"] for s in subnets(prod, "private")] == [
        "10.30.0.0/19",
        "10.30.32.0/19",
        "10.30.64.0/19",
    ]
    for s in prod.of_type(SUBNET):
        assert s.props["mapPublicIpOnLaunch"] is False  # NET-07
        assert deps(s, "vpcId") == [vpc.urn]


def test_load_balancer_discovery_tags(prod: Graph) -> None:
    assert all(s.props["tags"]["kubernetes.io/role/elb"] == "1" for s in subnets(prod, "public"))
    assert all(s.props["tags"]["kubernetes.io/role/internal-elb"] == "1" for s in subnets(prod, "private"))
    assert all("kubernetes.io/role/elb" not in s.props["tags"] for s in subnets(prod, "database"))


def test_one_nat_per_az_and_each_private_route_uses_its_own_az(prod: Graph) -> None:
    nats = by_name(prod, NAT)
    assert len(nats) == 3
    public = {s.urn: s.props["availabilityZone"] for s in subnets(prod, "public")}
    nat_az = {n.urn: public[deps(n, "subnetId")[0]] for n in nats.values()}
    assert sorted(nat_az.values()) == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    routes = by_name(prod, ROUTE)
    assoc = by_name(prod, "aws:ec2/routeTableAssociation:RouteTableAssociation")
    for i, private in enumerate(subnets(prod, "private")):
        route = routes[f"network-private-default-{i}"]
        table = deps(route, "routeTableId")[0]
        association = assoc[f"network-private-{i}"]
        assert deps(association, "routeTableId") == [table] and deps(association, "subnetId") == [private.urn]
        assert nat_az[deps(route, "natGatewayId")[0]] == private.props["availabilityZone"]


def test_dev_egress_goes_through_one_nat_instance(dev: Graph, tmp_path) -> None:
    """natMode instance: no gateway; a t4g.nano in the first public subnet with a public address
    and the source/destination check off is the default route of both private subnets, admits
    only them, and its first boot forwards and masquerades only the VPC's addresses."""
    assert dev.of_type(NAT) == [] and dev.of_type("aws:ec2/eip:Eip") == []
    [host] = dev.of_type("aws:ec2/instance:Instance")
    assert host.name == "network-nat-instance"
    assert host.props["associatePublicIpAddress"] is True and host.props["sourceDestCheck"] is False
    assert deps(host, "subnetId") == [subnets(dev, "public")[0].urn]
    # launched once its subnet reaches the internet gateway: its first boot installs packages
    names = {dev.by_urn[u].name for u in host.dependencies if u in dev.by_urn}
    assert {"network-igw", "network-public-default", "network-public-0"} <= names
    routes = [r for r in dev.of_type(ROUTE) if r.name.startswith("network-private-default")]
    assert len(routes) == 2 == len(subnets(dev, "private"))
    for r in routes:
        assert r.props["destinationCidrBlock"] == "0.0.0.0/0" and "natGatewayId" not in r.props
        assert deps(r, "networkInterfaceId") == [host.urn] and r.props["networkInterfaceId"].startswith("eni-")

    [sg] = [g for g in dev.of_type("aws:ec2/securityGroup:SecurityGroup") if g.name == "network-nat-instance"]
    assert deps(host, "vpcSecurityGroupIds") == [sg.urn]
    rules = [
        r
        for r in dev.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if deps(r, "securityGroupId") == [sg.urn]
    ]
    assert sorted(r.props["cidrIpv4"] for r in rules) == [s.props["cidrBlock"] for s in subnets(dev, "private")]

    [template] = [t for t in dev.of_type("aws:ec2/launchTemplate:LaunchTemplate") if t.name == "network-nat-instance"]
    assert template.props["instanceType"] == "t4g.nano" and template.props["imageId"].startswith("resolve:ssm:")
    assert template.props["metadataOptions"]["httpTokens"] == "required"
    ebs = template.props["blockDeviceMappings"][0]["ebs"]
    assert ebs["encrypted"] == "true" and ebs["kmsKeyId"]
    script = base64.b64decode(template.props["userData"]).decode()
    assert 'iptables -t nat -A POSTROUTING -o "$out" -s 10.10.0.0/16 -j MASQUERADE' in script
    assert "net.ipv4.ip_forward = 1" in script and "iptables -P FORWARD DROP" in script
    assert script.index("iptables -F FORWARD") < script.index("-P FORWARD DROP") < script.index("service iptables save")
    path = tmp_path / "nat.sh"
    path.write_text(script)
    shellcheck = Path(sys.executable).parent / "shellcheck"
    checked = subprocess.run([str(shellcheck), "-f", "gcc", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout


def test_database_tier_has_no_internet_route(prod: Graph) -> None:
    db_table = by_name(prod, "aws:ec2/routeTable:RouteTable")["network-database-rt"]
    assert not [r for r in prod.of_type(ROUTE) if deps(r, "routeTableId") == [db_table.urn]]


def test_database_acl_admits_only_db_ports_from_private_subnets(prod: Graph) -> None:
    acl = prod.one("aws:ec2/networkAcl:NetworkAcl")
    private = {s.props["cidrBlock"] for s in subnets(prod, "private")}
    database = {s.props["cidrBlock"] for s in subnets(prod, "database")}
    for rule in acl.props["ingress"]:
        if rule["cidrBlock"] in private:
            assert rule["protocol"] == "tcp" and rule["fromPort"] == rule["toPort"] and rule["fromPort"] in (5432, 6379)
        else:
            assert rule["cidrBlock"] in database
    assert sorted(deps(acl, "subnetIds")) == sorted(s.urn for s in subnets(prod, "database"))


def test_default_security_group_is_emptied(prod: Graph) -> None:
    sg = prod.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert sg.props["ingress"] == [] and sg.props["egress"] == []  # NET-04


def test_flow_logs_go_to_an_encrypted_retained_group(prod: Graph) -> None:
    flow = prod.one("aws:ec2/flowLog:FlowLog")
    group = by_name(prod, "aws:cloudwatch/logGroup:LogGroup")["network-flow-logs"]
    assert flow.props["trafficType"] == "ALL"
    assert deps(flow, "logDestination") == [group.urn]
    assert group.props["retentionInDays"] == 365
    logs_key = by_name(prod, "aws:kms/key:Key")["keys-logs"]
    assert deps(group, "kmsKeyId") == [logs_key.urn]
    role_policy = by_name(prod, "aws:iam/rolePolicy:RolePolicy")["network-flow-logs"]
    statement = json.loads(role_policy.props["policy"])["Statement"][0]
    assert statement["Resource"][0] == group.outputs["arn"]


def test_s3_gateway_endpoint_on_private_and_database_tables(prod: Graph) -> None:
    s3 = by_name(prod, "aws:ec2/vpcEndpoint:VpcEndpoint")["network-s3"]
    assert s3.props["serviceName"] == "com.amazonaws.eu-west-1.s3" and s3.props["vpcEndpointType"] == "Gateway"
    tables = by_name(prod, "aws:ec2/routeTable:RouteTable")
    expected = {tables[f"network-private-rt-{i}"].urn for i in range(3)} | {tables["network-database-rt"].urn}
    assert set(deps(s3, "routeTableIds")) == expected


def test_interface_endpoints_follow_settings(graph_of, dev: Graph) -> None:
    wanted = ["ecr.api", "ecr.dkr", "sts", "secretsmanager"]
    prod = graph_of("prod", network={**section("prod", "network"), "interfaceEndpoints": wanted})
    endpoints = [
        r for r in prod.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if r.props["vpcEndpointType"] == "Interface"
    ]
    assert sorted(e.props["serviceName"].removeprefix("com.amazonaws.eu-west-1.") for e in endpoints) == sorted(wanted)
    sg = by_name(prod, "aws:ec2/securityGroup:SecurityGroup")["network-endpoints"]
    assert sg.props["ingress"] == [
        {
            "cidrBlocks": ["10.30.0.0/16"],
            "description": "HTTPS from the VPC",
            "fromPort": 443,
            "protocol": "tcp",
            "toPort": 443,
        }
    ]
    assert all(e.props["privateDnsEnabled"] for e in endpoints)
    assert not [r for r in dev.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if r.props["vpcEndpointType"] == "Interface"]


def test_database_subnet_group_uses_the_isolated_subnets(prod: Graph) -> None:
    group = prod.one("aws:rds/subnetGroup:SubnetGroup")
    assert group.props["name"] == "groundwork-prod-database"
    assert sorted(deps(group, "subnetIds")) == sorted(s.urn for s in subnets(prod, "database"))
    assert prod.outputs["databaseSubnetGroupName"] == "groundwork-prod-database"


def test_subnets_match_a_changed_cidr(graph_of) -> None:
    net = section("staging", "network")
    net.update(cidr="10.99.0.0/17", azCount=4)
    g = graph_of("staging", network=net, **{"aws:region": "us-east-1"})  # the stack requests its certificate there
    blocks = [ip_network(s.props["cidrBlock"]) for s in g.of_type(SUBNET)]
    assert len(blocks) == 12 and all(b.subnet_of(ip_network("10.99.0.0/17")) for b in blocks)
    assert sorted({s.props["availabilityZone"] for s in g.of_type(SUBNET)}) == [f"us-east-1{x}" for x in "abcd"]
    assert len(g.of_type(NAT)) == 4


def test_more_azs_than_the_region_has_is_a_clear_error(graph_of) -> None:
    net = section("staging", "network")
    net.update(azCount=4)
    with pytest.raises(PlanFailed, match=r"asks for 4\+ availability zones but eu-west-1 offers 3"):
        graph_of("staging", network=net)
    assert graph_of("dev", network=section("dev", "network")).resource_count > 0  # the next plan is unaffected
