"""Network controls NET-01..NET-10: VPC layout, NAT, flow logs, security groups, endpoints, load balancers."""

from __future__ import annotations

from collections.abc import Iterator

from .core import REGISTRY, UNKNOWN, Graph, PackContext, Res, Resource, as_list, dicts, sub, unknown

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOC = "aws:ec2/routeTableAssociation:RouteTableAssociation"
IGW = "aws:ec2/internetGateway:InternetGateway"
NAT = "aws:ec2/natGateway:NatGateway"
INSTANCE = "aws:ec2/instance:Instance"
ENI = "aws:ec2/networkInterface:NetworkInterface"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
LB = "aws:lb/loadBalancer:LoadBalancer"
ALB = "aws:alb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
ALB_LISTENER = "aws:alb/listener:Listener"
WAF_ASSOC = "aws:wafv2/webAclAssociation:WebAclAssociation"
INGRESS_CLASS_PARAMS = "kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
WORLD = ("0.0.0.0/0", "::/0")
TLS12_POLICIES = (
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
    "ELBSecurityPolicy-TLS-1-2-2017-01",
    "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
    "ELBSecurityPolicy-FS-1-2-2019-08",
    "ELBSecurityPolicy-FS-1-2-Res-2019-08",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
)


# ---------------------------------------------------------------------------------------------
# Subnet tiers, from the route graph (structural: does not depend on Groundwork's tags)
# ---------------------------------------------------------------------------------------------


def _nat_instance_target(g: Graph, route: Res) -> bool:
    """A default route to an instance's network interface: a NAT instance (or another appliance
    that forwards egress), as `natMode: instance` builds it."""
    return any(u in g.by_urn and g.by_urn[u].type in (INSTANCE, ENI) for u in route.deps("networkInterfaceId"))


def subnet_tiers(g: Graph) -> dict[str, str]:
    """URN of each subnet -> "public" (route to an IGW), "private" (route to a NAT gateway or a
    NAT instance) or "isolated"."""
    table_kind: dict[str, str] = {}
    for route in g.of(ROUTE):
        if route.props.peek("destinationCidrBlock") not in ("0.0.0.0/0", UNKNOWN):
            continue
        for table in route.deps("routeTableId"):
            if any(u in g.by_urn and g.by_urn[u].type == IGW for u in route.deps("gatewayId")):
                table_kind[table] = "public"
            elif (route.deps("natGatewayId") or _nat_instance_target(g, route)) and table_kind.get(table) != "public":
                table_kind[table] = "private"
    for table in g.of(ROUTE_TABLE):  # inline routes: classify by what the routes depend on
        targets = {g.by_urn[u].type for u in table.deps("routes") if u in g.by_urn}
        if IGW in targets:
            table_kind[table.urn] = "public"
        elif targets & {NAT, INSTANCE, ENI}:
            table_kind.setdefault(table.urn, "private")
    tiers: dict[str, str] = {s.urn: "isolated" for s in g.of(SUBNET)}
    for assoc in g.of(ASSOC):
        kind = next((table_kind[t] for t in assoc.deps("routeTableId") if t in table_kind), "isolated")
        for subnet in assoc.deps("subnetId"):
            if subnet in tiers:
                tiers[subnet] = kind
    return tiers


def subnets_of(g: Graph, vpc: Res) -> list[Res]:
    return g.referencing(vpc, SUBNET, prop="vpcId")


def zone(subnet: Res) -> str:
    z = subnet.props.get("availabilityZone")
    if z is UNKNOWN or not z:
        z = subnet.props.get("availabilityZoneId")
    return str(z) if z not in (None, UNKNOWN) else f"?{subnet.name}"


@REGISTRY.stack(
    "aws-vpc-require-three-tiers-across-azs",
    controls="NET-01",
    types=(VPC, SUBNET, ROUTE, ASSOC),
    severity="high",
    tier="stg+",
    description="A VPC spans at least 3 availability zones with public, private (workload) and isolated database subnets.",
    remediation="Set groundwork:network.azCount to 3 (or more); each AZ gets a public, a private and a database subnet.",
)
def vpc_tiers(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    tiers = subnet_tiers(g)
    for vpc in g.of(VPC):
        zones: dict[str, set[str]] = {"public": set(), "private": set(), "isolated": set()}
        for s in subnets_of(g, vpc):
            zones[tiers.get(s.urn, "isolated")].add(zone(s))
        short = {k: len(v) for k, v in zones.items() if len(v) < 3}
        if short:
            detail = ", ".join(f"{k} subnets in {n} AZ(s)" for k, n in sorted(short.items()))
            yield f"VPC {vpc.name} has {detail}; each tier needs 3 AZs", vpc.urn


@REGISTRY.stack(
    "aws-vpc-require-nat-gateway-per-az",
    controls="NET-02",
    types=(NAT, SUBNET, ROUTE),
    severity="high",
    tier="stg+",
    description="Every AZ with private subnets has its own NAT gateway (no single point of egress failure).",
    remediation="Set groundwork:network.natMode to per-az.",
)
def nat_per_az(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    tiers = subnet_tiers(g)
    for vpc in g.of(VPC):
        subnets = subnets_of(g, vpc)
        private_zones = {zone(s) for s in subnets if tiers.get(s.urn) == "private"}
        subnet_by_urn = {s.urn: s for s in subnets}
        nat_zones = {zone(subnet_by_urn[u]) for n in g.of(NAT) for u in n.deps("subnetId") if u in subnet_by_urn}
        missing = sorted(private_zones - nat_zones)
        if missing:
            yield (
                (
                    f"VPC {vpc.name} has private subnets in {len(private_zones)} AZs but NAT gateways in "
                    f"{len(nat_zones)}; no NAT in {', '.join(missing)}"
                ),
                vpc.urn,
            )


@REGISTRY.stack(
    "aws-vpc-require-encrypted-flow-logs",
    controls="NET-03",
    types=(VPC, FLOW_LOG, LOG_GROUP),
    severity="medium",
    description="Every VPC has flow logs delivered to a KMS-encrypted log group with a retention.",
    remediation="The Network component creates them; do not remove the flow log or its log group's kmsKeyId/retention.",
)
def flow_logs(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    for vpc in g.of(VPC):
        logs = g.referencing(vpc, FLOW_LOG, prop="vpcId")
        if not logs:
            yield f"VPC {vpc.name} has no flow log", vpc.urn
            continue
        for fl in logs:
            if fl.props.get("logDestinationType", "cloud-watch-logs") == "s3":
                continue  # an S3 destination is checked by the bucket policies
            groups = g.targets(fl, "logDestination", LOG_GROUP) or g.targets(fl, "logGroupName", LOG_GROUP)
            if not groups:
                yield f"flow log {fl.name} does not deliver to a log group of this stack", fl.urn
            for lg in groups:
                if not lg.props.has("kmsKeyId"):
                    yield f"flow-log group {lg.name} is not encrypted with a KMS key", lg.urn
                if not lg.props.has("retentionInDays"):
                    yield f"flow-log group {lg.name} has no retention (kept forever)", lg.urn


@REGISTRY.stack(
    "aws-vpc-default-security-group-deny-all",
    controls="NET-04",
    types=(VPC, DEFAULT_SG),
    severity="medium",
    description="The default security group of every VPC has no rules.",
    remediation="Manage the default security group with aws.ec2.DefaultSecurityGroup and empty ingress/egress.",
)
def default_sg(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    for vpc in g.of(VPC):
        managed = g.referencing(vpc, DEFAULT_SG, prop="vpcId")
        if not managed:
            yield (
                f"VPC {vpc.name}'s default security group is not managed (it allows all traffic within the group)",
                vpc.urn,
            )
        for sg in managed:
            if sg.props.get("ingress") or sg.props.get("egress"):
                yield f"default security group {sg.name} has rules; it must have none", sg.urn


def _ports(rule: dict) -> tuple[float, float]:
    def n(v: object, d: float) -> float:
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else d

    return n(rule.get("fromPort"), 0), n(rule.get("toPort"), 65535)


def _world_open_rules(r: Resource) -> Iterator[tuple[dict, float, float]]:
    """Ingress rules of a SecurityGroup / rule resource open to 0.0.0.0/0 or ::/0."""
    p = r.props
    if r.type == SG:
        rules = [x for x in as_list(p.get("ingress")) if isinstance(x, dict)]
    elif r.type == SG_RULE:
        rules = [p.data] if p.peek("type") == "ingress" else []
    elif r.type == SG_INGRESS:
        rules = [p.data]
    else:
        rules = []
    for rule in rules:
        cidrs = [
            *as_list(rule.get("cidrBlocks")),
            *as_list(rule.get("ipv6CidrBlocks")),
            rule.get("cidrIpv4"),
            rule.get("cidrIpv6"),
        ]
        if any(c in WORLD for c in cidrs):
            lo, hi = _ports(rule)
            if str(rule.get("protocol", rule.get("ipProtocol", "tcp"))) in ("-1", "all"):
                lo, hi = 0, 65535
            yield rule, lo, hi


@REGISTRY.resource(
    "aws-security-group-no-world-ingress",
    controls="NET-05",
    types=(SG, SG_RULE, SG_INGRESS),
    severity="critical",
    description="No security group admits 0.0.0.0/0 or ::/0, except HTTP/HTTPS (80, 443) for load balancers.",
    remediation="Allow traffic from the security groups that need it (source security group) or from specific CIDRs.",
)
def no_world_ingress(r: Resource, ctx: PackContext) -> Iterator[str]:
    for _rule, lo, hi in _world_open_rules(r):
        if not (lo == hi and lo in (80, 443)):
            yield f"ingress {int(lo)}-{int(hi)} is open to the internet"


@REGISTRY.stack(
    "aws-security-group-world-web-only-on-load-balancers",
    controls="NET-05",
    types=(SG, LB, ALB),
    severity="high",
    description="A security group that admits the internet on 80/443 belongs to a load balancer.",
    remediation="Only load balancers take traffic from the internet; services sit behind them.",
)
def world_web_on_lbs(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    lb_sgs = {u for lb in g.of(LB, ALB) for u in lb.deps("securityGroups")}
    for sg in g.of(SG):
        resource = Resource(sg.type, sg.name, sg.urn, sg.props, sg.protect, sg.provider)
        if any(True for _ in _world_open_rules(resource)) and sg.urn not in lb_sgs:
            yield f"security group {sg.name} admits the internet but no load balancer uses it", sg.urn


DATA_STORES = {
    "aws:rds/instance:Instance": ("vpcSecurityGroupIds", "port", 5432.0),
    "aws:rds/cluster:Cluster": ("vpcSecurityGroupIds", "port", 5432.0),
    "aws:rds/proxy:Proxy": ("vpcSecurityGroupIds", None, 5432.0),
    "aws:elasticache/replicationGroup:ReplicationGroup": ("securityGroupIds", "port", 6379.0),
}


@REGISTRY.stack(
    "aws-datastore-ingress-only-from-cluster",
    controls="NET-06",
    types=(*DATA_STORES, SG, SG_INGRESS, SG_RULE),
    severity="critical",
    description="Databases and caches accept traffic only from security groups (the cluster's), on their own port.",
    remediation="Give the data store its own security group whose only ingress is its port from the cluster security group.",
)
def datastore_ingress(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    for store in g.of(*DATA_STORES):
        prop, port_prop, default_port = DATA_STORES[store.type]
        port = store.props.get(port_prop, default_port) if port_prop else default_port
        sgs = g.targets(store, prop, SG)
        if not store.props.has(prop):
            yield f"{store.name} has no security group of its own (the VPC default would apply)", store.urn
        for sg in sgs:
            rules = [x for x in as_list(sg.props.get("ingress")) if isinstance(x, dict)]
            rules += [x.props.data for x in g.referencing(sg, SG_INGRESS, prop="securityGroupId")]
            rules += [
                x.props.data
                for x in g.referencing(sg, SG_RULE, prop="securityGroupId")
                if x.props.get("type") == "ingress"
            ]
            for rule in rules:
                cidrs = [
                    c
                    for c in [
                        *as_list(rule.get("cidrBlocks")),
                        rule.get("cidrIpv4"),
                        *as_list(rule.get("ipv6CidrBlocks")),
                    ]
                    if c
                ]
                lo, hi = _ports(rule)
                if cidrs:
                    yield f"security group {sg.name} of {store.name} admits CIDRs {', '.join(map(str, cidrs))}", sg.urn
                if isinstance(port, int | float) and (lo, hi) != (port, port):
                    yield (
                        f"security group {sg.name} of {store.name} opens ports {int(lo)}-{int(hi)}, not only {int(port)}",
                        sg.urn,
                    )


@REGISTRY.resource(
    "aws-subnet-no-public-ip-on-launch",
    controls="NET-07",
    types=SUBNET,
    severity="high",
    description="Subnets do not give instances public IP addresses.",
    remediation="Set mapPublicIpOnLaunch to false (load balancers and NAT gateways get their own addresses).",
)
def no_public_ip(r: Resource, ctx: PackContext) -> Iterator[str]:
    if r.props.flag("mapPublicIpOnLaunch") is True:
        yield "mapPublicIpOnLaunch is true"


@REGISTRY.resource(
    "aws-eks-nodes-no-public-ip",
    controls="NET-07",
    types=(LAUNCH_TEMPLATE, "aws:ec2/launchConfiguration:LaunchConfiguration"),
    severity="high",
    description="Kubernetes nodes have no public IP address.",
    remediation="Do not associate public IPs in the nodes' launch template (or a self-managed group's launch configuration).",
)
def nodes_no_public_ip(r: Resource, ctx: PackContext) -> Iterator[str]:
    if r.type == "aws:ec2/launchConfiguration:LaunchConfiguration":
        if r.props.flag("associatePublicIpAddress") is True:
            yield "associatePublicIpAddress is true"
        return
    for i, ni in enumerate(r.props.items("networkInterfaces")):
        if isinstance(ni, dict) and str(ni.get("associatePublicIpAddress")).lower() == "true":
            yield f"networkInterfaces[{i}].associatePublicIpAddress is true"


@REGISTRY.stack(
    "aws-ec2-instance-no-public-ip",
    controls="NET-07",
    types=(INSTANCE, ROUTE, SUBNET, ASSOC),
    severity="high",
    description="An EC2 instance has no public IP address unless it is a NAT instance: source/destination "
    "check off, in a public subnet, and the target of a default route (dev's `natMode: instance`).",
    remediation="Set associatePublicIpAddress to false and reach the host through Systems Manager; only a NAT "
    "instance (sourceDestCheck false, public subnet, a 0.0.0.0/0 route to its interface) has an address.",
)
def instances_no_public_ip(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    tiers = subnet_tiers(g)
    egress = {
        u
        for route in g.of(ROUTE)
        if route.props.peek("destinationCidrBlock") in ("0.0.0.0/0", UNKNOWN)
        for u in route.deps("networkInterfaceId")
    }
    for host in g.of(INSTANCE):
        if host.props.flag("associatePublicIpAddress") is not True:
            continue
        why = []
        if host.props.flag("sourceDestCheck", True) is not False:
            why.append("its source/destination check is on")
        if not any(tiers.get(u) == "public" for u in host.deps("subnetId")):
            why.append("it is not in a public subnet")
        if host.urn not in egress:
            why.append("no default route goes through it")
        if why:
            yield f"instance {host.name} has a public IP address but is no NAT instance: {'; '.join(why)}", host.urn


@REGISTRY.resource(
    "aws-security-group-require-descriptions",
    controls="NET-08",
    types=(SG, SG_RULE, SG_INGRESS, SG_EGRESS),
    severity="low",
    description="Every security group and security group rule says what it is for.",
    remediation="Add a description to the security group and to each of its rules.",
)
def sg_descriptions(r: Resource, ctx: PackContext) -> Iterator[str]:
    if r.type == SG:
        if r.props.text("description") in ("", "Managed by Pulumi"):
            yield "the security group has no description"
        for kind in ("ingress", "egress"):
            for i, rule in enumerate(r.props.items(kind)):
                if isinstance(rule, dict) and not rule.get("description"):
                    yield f"{kind}[{i}] has no description"
    elif not r.props.has("description"):
        yield "the rule has no description"


@REGISTRY.stack(
    "aws-vpc-require-s3-gateway-endpoint",
    controls="NET-09",
    types=(VPC, ENDPOINT),
    severity="low",
    description="Every VPC has an S3 gateway endpoint so backup and log traffic stays off the NAT gateways.",
    remediation="The Network component creates it on the private and database route tables.",
)
def s3_endpoint(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    for vpc in g.of(VPC):
        endpoints = g.referencing(vpc, ENDPOINT, prop="vpcId")
        if not any(
            str(e.props.get("serviceName", "")).endswith(".s3")
            and e.props.get("vpcEndpointType", "Gateway") == "Gateway"
            for e in endpoints
        ):
            yield f"VPC {vpc.name} has no S3 gateway endpoint", vpc.urn


# ---------------------------------------------------------------------------------------------
# NET-10: internet-facing load balancers
# ---------------------------------------------------------------------------------------------


def _tls12(policy: object) -> bool:
    return isinstance(policy, str) and policy in TLS12_POLICIES


@REGISTRY.stack(
    "aws-lb-require-tls12-and-http-redirect",
    controls="NET-10",
    types=(LB, ALB, LISTENER, ALB_LISTENER),
    severity="high",
    tier="stg+",
    description="Internet-facing load balancers serve HTTPS with an ACM certificate and TLS 1.2+ and redirect HTTP to HTTPS.",
    remediation="Add an HTTPS listener (ELBSecurityPolicy-TLS13-1-2-2021-06, ACM certificate) and make port 80 redirect.",
)
def lb_tls(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    for lb in g.of(LB, ALB):
        if lb.props.flag("internal") is True or lb.props.get("loadBalancerType", "application") != "application":
            continue
        listeners = g.referencing(lb, LISTENER, ALB_LISTENER, prop="loadBalancerArn")
        https = [x for x in listeners if x.props.get("protocol") == "HTTPS"]
        if not https:
            yield f"load balancer {lb.name} has no HTTPS listener", lb.urn
        for x in https:
            if not _tls12(x.props.get("sslPolicy")):
                yield f"listener {x.name} uses SSL policy {x.props.get('sslPolicy')}, not TLS 1.2+", x.urn
            cert = x.props.get("certificateArn")
            if cert is not UNKNOWN and not (isinstance(cert, str) and ":acm:" in cert) and not x.deps("certificateArn"):
                yield f"listener {x.name} has no ACM certificate", x.urn
        for x in listeners:
            if x.props.get("protocol") != "HTTP":
                continue
            actions = dicts(x.props.items("defaultActions"))
            redirect = any(a.get("type") == "redirect" and sub(a, "redirect", "protocol") == "HTTPS" for a in actions)
            if not redirect:
                yield f"HTTP listener {x.name} does not redirect to HTTPS", x.urn


@REGISTRY.stack(
    "aws-lb-require-waf",
    controls="NET-10",
    types=(LB, ALB, WAF_ASSOC, INGRESS_CLASS_PARAMS),
    severity="high",
    tier="prod",
    description="Every internet-facing load balancer has a WAF web ACL.",
    remediation="Associate the stack's WAFv2 web ACL (managed rule groups + rate limit) with the load balancer.",
)
def lb_waf(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    protected = {u for a in g.of(WAF_ASSOC) for u in a.deps("resourceArn")}
    for lb in g.of(LB, ALB):
        if lb.props.flag("internal") is not True and lb.urn not in protected:
            yield f"load balancer {lb.name} has no WAF web ACL", lb.urn
    for params in g.of(INGRESS_CLASS_PARAMS):
        spec = params.props.mapping("spec")
        if spec.get("scheme") == "internet-facing" and not spec.get("wafv2AclArn"):
            yield f"ingress class parameters {params.name} attach no WAF web ACL (spec.wafv2AclArn)", params.urn


@REGISTRY.resource(
    "kubernetes-alb-ingress-class-require-tls",
    controls=("NET-10", "K8S-11"),
    types=INGRESS_CLASS_PARAMS,
    severity="high",
    tier="stg+",
    description="Internet-facing ALB ingress classes terminate TLS 1.2+ with an ACM certificate.",
    remediation="Set spec.sslPolicy (ELBSecurityPolicy-TLS13-1-2-2021-06) and spec.certificateArn in the IngressClassParams.",
)
def ingress_class_tls(r: Resource, ctx: PackContext) -> Iterator[str]:
    spec = r.props.mapping("spec")
    if spec.get("scheme") != "internet-facing":
        return
    if not _tls12(spec.get("sslPolicy")):
        yield f"spec.sslPolicy is {spec.get('sslPolicy')!r}, not a TLS 1.2+ policy"
    certs = as_list(spec.get("certificateArn"))
    if not certs or not all(unknown(c) or (isinstance(c, str) and ":acm:" in c) for c in certs):
        yield "spec.certificateArn has no ACM certificate"


@REGISTRY.resource(
    "kubernetes-alb-ingress-require-https-redirect",
    controls="NET-10",
    types=INGRESS,
    severity="high",
    tier="stg+",
    description="ALB ingresses listen on HTTPS and redirect HTTP to HTTPS.",
    remediation="Annotate: alb.ingress.kubernetes.io/listen-ports '[{\"HTTP\":80},{\"HTTPS\":443}]' and ssl-redirect '443'.",
)
def ingress_redirect(r: Resource, ctx: PackContext) -> Iterator[str]:
    annotations = r.props.mapping("metadata.annotations")
    if not any(k.startswith("alb.ingress.kubernetes.io/") for k in annotations) and "alb" not in str(
        r.props.get("spec.ingressClassName", "")
    ):
        return
    if "HTTPS" not in str(annotations.get("alb.ingress.kubernetes.io/listen-ports", "")):
        yield "alb.ingress.kubernetes.io/listen-ports has no HTTPS listener"
    if str(annotations.get("alb.ingress.kubernetes.io/ssl-redirect", "")) != "443":
        yield "alb.ingress.kubernetes.io/ssl-redirect is not '443'"
