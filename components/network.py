"""The VPC: three subnet tiers over the configured AZs (NET-01..09).

Behaviour:
- `public`, `private` (workloads) and `database` (isolated: no internet route) subnets, one
  of each per AZ, laid out by `groundwork.subnets.layout`. No subnet maps public IPs.
- NAT gateways: one per AZ (`per-az`, each private route table uses its own AZ's gateway)
  or one for the VPC (`single`, dev); or, in dev, one NAT instance (`instance`, see
  `nat_user_data`): a t4g.nano in the first public subnet with a public address and the
  source/destination check off, which masquerades what the private subnets send.
- Subnet tags for load-balancer discovery (`kubernetes.io/role/elb` on public,
  `kubernetes.io/role/internal-elb` on private).
- Flow logs (all traffic) to a KMS-encrypted log group with a retention, written by a role
  that may write only to that group.
- The VPC's default security group is emptied (no rules) so nothing can use it by accident.
- A network ACL on the database tier: PostgreSQL and Redis from the private subnets only.
- An S3 gateway endpoint on the private and database route tables; optional interface
  endpoints in the private subnets, reachable on 443 from inside the VPC only.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.host import ssm_host
from components.options import kept
from groundwork import iam
from groundwork.naming import Naming
from groundwork.settings.model import NetworkSettings
from groundwork.subnets import layout

DB_PORTS = (5432, 6379)
NAT_INSTANCE_TYPE = "t4g.nano"  # 2 vCPU burstable, up to 5 Gbps burst, 32 Mbps baseline (EC2 network specs)


def nat_user_data(vpc_cidr: str) -> str:
    """The NAT instance's first-boot script, the steps of "Create a NAT AMI" (Amazon VPC User
    Guide, work-with-nat-instances.html#create-nat-ami) for AL2023, which CDK's
    NatInstanceProviderV2 also runs (aws/aws-cdk v2.261.0, packages/aws-cdk-lib/aws-ec2/lib/nat.ts,
    DEFAULT_USER_DATA_COMMANDS): iptables-services so the rules survive a reboot, IPv4 forwarding
    in a sysctl file, and masquerading out of the default route's interface (ens5 on Nitro, hence
    read from the route table, not assumed). Narrower than those steps: only the VPC's addresses
    are masqueraded and forwarded (the FORWARD chain drops the rest, where the guide flushes it
    open), and the package install is retried while the network comes up."""
    return f"""#!/bin/bash
# Groundwork NAT instance: forward and masquerade what the VPC ({vpc_cidr}) sends to the internet.
set -euo pipefail
for attempt in 1 2 3 4 5; do
  dnf install -y iptables-services && break
  echo "dnf install failed (attempt $attempt), retrying" >&2
  sleep 15
done
systemctl enable --now iptables
echo "net.ipv4.ip_forward = 1" > /etc/sysctl.d/90-groundwork-nat.conf
sysctl -p /etc/sysctl.d/90-groundwork-nat.conf
out=$(ip -o -4 route show default | awk '{{print $5; exit}}')
iptables -t nat -A POSTROUTING -o "$out" -s {vpc_cidr} -j MASQUERADE
iptables -F FORWARD
iptables -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -A FORWARD -s {vpc_cidr} -o "$out" -j ACCEPT
iptables -P FORWARD DROP
service iptables save
"""


def _zone(names: list[str], i: int, region: str) -> str:
    if i >= len(names):
        raise pulumi.RunError(
            f"groundwork:network.azCount asks for {i + 1}+ availability zones but {region} offers {len(names)} "
            f"({', '.join(names)}); lower azCount or list the zones in groundwork:network.availabilityZones"
        )
    return names[i]


@dataclass(frozen=True)
class NetworkArgs:
    settings: NetworkSettings
    naming: Naming
    region: str
    logs_key_arn: pulumi.Input[str]
    protect: bool = True  # the flow-log group is kept (GOV-02)
    data_key_arn: pulumi.Input[str] | None = None  # the NAT instance's root volume (natMode instance)


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    private_subnet_ids: list[pulumi.Output[str]]
    public_subnet_ids: list[pulumi.Output[str]]
    database_subnet_ids: list[pulumi.Output[str]]
    database_subnet_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:network:Network", name, None, opts)
        s, naming = args.settings, args.naming
        child = pulumi.ResourceOptions(parent=self)
        cidrs = layout(s.cidr, s.az_count, s.prefixes)

        if s.availability_zones:
            zones: list[pulumi.Input[str]] = list(s.availability_zones)
        else:
            names = aws.get_availability_zones_output(
                state="available",
                filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])],
                opts=pulumi.InvokeOutputOptions(parent=self),
            ).names
            zones = [names.apply(functools.partial(_zone, i=i, region=args.region)) for i in range(s.az_count)]
        self.availability_zones = zones

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=str(s.cidr),
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": naming.physical("vpc")},
            opts=child,
        )
        self.vpc_id = vpc.id
        self.vpc_cidr = str(s.cidr)

        # NET-04: take every rule off the default security group.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": naming.physical("default-deny")},
            opts=child,
        )

        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags={"Name": naming.physical("igw")}, opts=child)

        subnets: dict[str, list[aws.ec2.Subnet]] = {}
        role_tags = {
            "public": {"kubernetes.io/role/elb": "1"},
            "private": {"kubernetes.io/role/internal-elb": "1"},
            "database": {},
        }
        for tier, blocks in cidrs.items():
            subnets[tier] = [
                aws.ec2.Subnet(
                    f"{name}-{tier}-{i}",
                    vpc_id=vpc.id,
                    cidr_block=str(block),
                    availability_zone=zones[i],
                    map_public_ip_on_launch=False,
                    tags={"Name": naming.physical(tier, str(i)), "groundwork.io/tier": tier, **role_tags[tier]},
                    opts=child,
                )
                for i, block in enumerate(blocks)
            ]
        self.public_subnet_ids = [x.id for x in subnets["public"]]
        self.private_subnet_ids = [x.id for x in subnets["private"]]
        self.database_subnet_ids = [x.id for x in subnets["database"]]
        self.public_subnet_cidrs = [str(b) for b in cidrs["public"]]
        self.private_subnet_cidrs = [str(b) for b in cidrs["private"]]
        self.database_subnet_cidrs = [str(b) for b in cidrs["database"]]

        # Public route table: the internet gateway.
        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt", vpc_id=vpc.id, tags={"Name": naming.physical("public")}, opts=child
        )
        public_default = aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child,
        )
        public_path: list[pulumi.Resource] = [igw, public_default]  # what a public host needs to reach out
        for i, sn in enumerate(subnets["public"]):
            public_path.append(
                aws.ec2.RouteTableAssociation(
                    f"{name}-public-{i}", subnet_id=sn.id, route_table_id=public_rt.id, opts=child
                )
            )

        # Egress of the private subnets (NET-02): NAT gateways per AZ or one, or dev's NAT instance.
        nats = []
        if s.nat_mode == "instance":
            if args.data_key_arn is None:
                raise ValueError("a NAT instance needs data_key_arn for its root volume")
            nat_instance = self._nat_instance(
                name, args, args.data_key_arn, vpc.id, subnets["public"][0].id, cidrs["private"], public_path
            )
            self.nat_instance_id: pulumi.Output[str] | None = nat_instance.id
            targets = [{"network_interface_id": nat_instance.primary_network_interface_id}]
        else:
            self.nat_instance_id = None
            for i in range(s.az_count if s.nat_mode == "per-az" else 1):
                eip = aws.ec2.Eip(
                    f"{name}-nat-{i}", domain="vpc", tags={"Name": naming.physical("nat", str(i))}, opts=child
                )
                nats.append(
                    aws.ec2.NatGateway(
                        f"{name}-nat-{i}",
                        allocation_id=eip.id,
                        subnet_id=subnets["public"][i].id,
                        connectivity_type="public",
                        tags={"Name": naming.physical("nat", str(i))},
                        opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                    )
                )
            targets = [{"nat_gateway_id": n.id} for n in nats]
        self.nat_gateway_ids = [n.id for n in nats]

        # Private route tables: one per AZ, default route through that AZ's NAT gateway (or the one
        # gateway or instance). Switching natMode updates these routes in place (a route's target is
        # not ForceNew: hashicorp/terraform-provider-aws internal/service/ec2/vpc_route.go, ReplaceRoute).
        private_rts = []
        for i, sn in enumerate(subnets["private"]):
            rt = aws.ec2.RouteTable(
                f"{name}-private-rt-{i}", vpc_id=vpc.id, tags={"Name": naming.physical("private", str(i))}, opts=child
            )
            aws.ec2.Route(
                f"{name}-private-default-{i}",
                route_table_id=rt.id,
                destination_cidr_block="0.0.0.0/0",
                **targets[i % len(targets)],
                opts=child,
            )
            aws.ec2.RouteTableAssociation(f"{name}-private-{i}", subnet_id=sn.id, route_table_id=rt.id, opts=child)
            private_rts.append(rt)
        self.private_route_table_ids = [rt.id for rt in private_rts]

        # Database route table: local routes only (isolated tier).
        db_rt = aws.ec2.RouteTable(
            f"{name}-database-rt", vpc_id=vpc.id, tags={"Name": naming.physical("database")}, opts=child
        )
        for i, sn in enumerate(subnets["database"]):
            aws.ec2.RouteTableAssociation(f"{name}-database-{i}", subnet_id=sn.id, route_table_id=db_rt.id, opts=child)

        # Network ACL of the database tier: only PostgreSQL/Redis from the private subnets, and replies.
        rules: list[aws.ec2.NetworkAclIngressArgs] = []
        egress: list[aws.ec2.NetworkAclEgressArgs] = []
        rule_no = 100
        for block in cidrs["private"]:
            for port in DB_PORTS:
                rules.append(
                    aws.ec2.NetworkAclIngressArgs(
                        rule_no=rule_no,
                        protocol="tcp",
                        action="allow",
                        cidr_block=str(block),
                        from_port=port,
                        to_port=port,
                    )
                )
                rule_no += 10
            egress.append(
                aws.ec2.NetworkAclEgressArgs(
                    rule_no=rule_no,
                    protocol="tcp",
                    action="allow",
                    cidr_block=str(block),
                    from_port=1024,
                    to_port=65535,
                )
            )
            rule_no += 10
        for block in cidrs["database"]:  # Multi-AZ replicas and cache nodes talk among themselves
            rules.append(
                aws.ec2.NetworkAclIngressArgs(
                    rule_no=rule_no, protocol="-1", action="allow", cidr_block=str(block), from_port=0, to_port=0
                )
            )
            egress.append(
                aws.ec2.NetworkAclEgressArgs(
                    rule_no=rule_no, protocol="-1", action="allow", cidr_block=str(block), from_port=0, to_port=0
                )
            )
            rule_no += 10
        aws.ec2.NetworkAcl(
            f"{name}-database-acl",
            vpc_id=vpc.id,
            subnet_ids=self.database_subnet_ids,
            ingress=rules,
            egress=egress,
            tags={"Name": naming.physical("database")},
            opts=child,
        )

        self.database_subnet_group_name = aws.rds.SubnetGroup(
            f"{name}-database",
            name=naming.physical("database"),
            description=f"{naming.prefix} isolated database subnets",
            subnet_ids=self.database_subnet_ids,
            opts=child,
        ).name

        # NET-03: flow logs to an encrypted, retained log group.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=naming.path("vpc", "flow-logs"),
            retention_in_days=s.flow_log_retention_days,
            kms_key_id=args.logs_key_arn,
            opts=kept(self, args.protect),
        )
        role = aws.iam.Role(
            f"{name}-flow-logs",
            assume_role_policy=json.dumps(iam.assume_role("vpc-flow-logs.amazonaws.com")),
            description=f"{naming.prefix}: VPC flow logs delivery",
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=role.id,
            policy=log_group.arn.apply(lambda arn: json.dumps(iam.flow_log_delivery(arn))),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={"Name": naming.physical("flow-log")},
            opts=child,
        )

        # NET-09: S3 traffic (backups, logs, images layers) stays off the NAT gateways.
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[*self.private_route_table_ids, db_rt.id],
            tags={"Name": naming.physical("s3")},
            opts=child,
        )
        if s.interface_endpoints:
            endpoint_sg = aws.ec2.SecurityGroup(
                f"{name}-endpoints",
                vpc_id=vpc.id,
                description="Interface VPC endpoints: HTTPS from inside the VPC",
                ingress=[
                    aws.ec2.SecurityGroupIngressArgs(
                        description="HTTPS from the VPC",
                        protocol="tcp",
                        from_port=443,
                        to_port=443,
                        cidr_blocks=[str(s.cidr)],
                    )
                ],
                tags={"Name": naming.physical("endpoints")},
                opts=child,
            )
            for service in s.interface_endpoints:
                aws.ec2.VpcEndpoint(
                    f"{name}-{service.replace('.', '-')}",
                    vpc_id=vpc.id,
                    service_name=f"com.amazonaws.{args.region}.{service}",
                    vpc_endpoint_type="Interface",
                    private_dns_enabled=True,
                    subnet_ids=self.private_subnet_ids,
                    security_group_ids=[endpoint_sg.id],
                    tags={"Name": naming.physical(service)},
                    opts=child,
                )

        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "natInstanceId": self.nat_instance_id,
                "privateSubnetIds": self.private_subnet_ids,
                "publicSubnetIds": self.public_subnet_ids,
                "databaseSubnetIds": self.database_subnet_ids,
                "databaseSubnetGroupName": self.database_subnet_group_name,
            }
        )

    def _nat_instance(
        self,
        name: str,
        args: NetworkArgs,
        data_key_arn: pulumi.Input[str],
        vpc_id: pulumi.Input[str],
        subnet_id: pulumi.Input[str],
        private_blocks: list,
        public_path: list[pulumi.Resource],
    ) -> aws.ec2.Instance:
        """Dev's NAT instance: admits only the private subnets (every protocol, as a NAT gateway
        does; the senders' own groups decide what leaves), sends to the internet through its
        public address. EC2's simplified automatic recovery, on by default for T4g, restarts it
        on a failed host (EC2 User Guide, "Automatic instance recovery"). It is launched after the
        public subnet's route to the internet gateway exists: its first boot installs
        iptables-services from the AL2023 repositories over that route."""
        naming = args.naming
        child = pulumi.ResourceOptions(parent=self)
        sg = aws.ec2.SecurityGroup(
            f"{name}-nat-instance",
            vpc_id=vpc_id,
            description=f"{naming.prefix}: NAT instance, forwards the private subnets' traffic to the internet",
            tags={"Name": naming.physical("nat-instance")},
            opts=child,
        )
        for i, block in enumerate(private_blocks):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-nat-instance-from-private-{i}",
                security_group_id=sg.id,
                ip_protocol="-1",
                cidr_ipv4=str(block),
                description=f"traffic to forward from private subnet {i}",
                opts=child,
            )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-nat-instance-out",
            security_group_id=sg.id,
            ip_protocol="-1",
            cidr_ipv4="0.0.0.0/0",
            description="forwarded traffic and the instance's own updates to the internet",
            opts=child,
        )
        return ssm_host(
            f"{name}-nat-instance",
            naming=naming,
            kind="nat-instance",
            purpose="NAT instance",
            role_purpose="NAT instance (Systems Manager only: sessions and patching)",
            instance_type=NAT_INSTANCE_TYPE,
            subnet_id=subnet_id,
            security_group_id=sg.id,
            data_key_arn=data_key_arn,
            user_data=nat_user_data(str(args.settings.cidr)),
            public_address=True,
            source_dest_check=False,
            opts=pulumi.ResourceOptions(parent=self, depends_on=public_path),
        )
