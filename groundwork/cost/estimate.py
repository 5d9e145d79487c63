"""Monthly cost of a resource graph: every resource to cost components, like Infracost's JSON.

A component is a price from the catalog times a quantity. Baseline quantities come from the
graph (instance classes, counts, sizes, Multi-AZ); usage quantities from the stack's usage
profile. A usage quantity the profile does not give leaves the component unquantified: it shows
its unit price and adds nothing. Resource types that are neither priced nor known to be free
are listed as unpriced, never dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from groundwork import catalog as facts
from groundwork.controls import EKS_RELEASES
from groundwork.cost.catalog import Catalog
from groundwork.cost.catalog import load as load_catalog
from groundwork.cost.usage import Usage
from groundwork.plan.graph import STACK_TYPE, Graph, Resource

if TYPE_CHECKING:  # by_control reads this module's types; estimate() imports it when it runs
    from groundwork.cost.by_control import ControlCost


@dataclass
class Component:
    name: str
    unit: str
    price: float
    price_key: str
    monthly_quantity: float | None  # None: a usage quantity the profile does not give
    hourly_quantity: float | None = None
    usage_based: bool = False
    saving: float = 0.0  # monthly saving against the default design (Spot, a NAT instance), shown in the report

    @property
    def monthly_cost(self) -> float | None:
        return None if self.monthly_quantity is None else self.monthly_quantity * self.price

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["monthly_cost"] = None if self.monthly_cost is None else round(self.monthly_cost, 4)
        return d


@dataclass
class ResourceCost:
    urn: str
    name: str
    type: str
    region: str
    components: list[Component] = field(default_factory=list)

    def total(self, *, usage: bool | None = None) -> float:
        return sum(c.monthly_cost or 0.0 for c in self.components if usage is None or c.usage_based == usage)

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "name": self.name,
            "type": self.type,
            "region": self.region,
            "monthlyCost": round(self.total(), 4),
            "baselineMonthlyCost": round(self.total(usage=False), 4),
            "usageMonthlyCost": round(self.total(usage=True), 4),
            "costComponents": [c.to_json() for c in self.components],
        }


@dataclass
class Estimate:
    stack: str
    region: str
    currency: str
    catalog_version: str
    usage_profile: str | None
    resources: list[ResourceCost]
    unpriced: list[dict[str, str]]
    free: int
    unpriced_regions: tuple[str, ...] = ()  # regions the catalog has no prices for (the total is partial)
    control_costs: list[ControlCost] = field(default_factory=list)  # what each control puts on the bill

    @property
    def partial(self) -> bool:
        return bool(self.unpriced_regions)

    @property
    def baseline(self) -> float:
        return sum(r.total(usage=False) for r in self.resources)

    @property
    def usage(self) -> float:
        return sum(r.total(usage=True) for r in self.resources)

    @property
    def total(self) -> float:
        return self.baseline + self.usage

    @property
    def required_by_controls(self) -> float:
        return sum(x.monthly for x in self.control_costs)

    @property
    def savings(self) -> list[tuple[str, str, float]]:
        """(resource, component, monthly saving) against the default design: Spot nodes, a NAT instance."""
        return [(r.name, c.name, c.saving) for r in self.resources for c in r.components if c.saving]

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "region": self.region,
            "currency": self.currency,
            "catalogVersion": self.catalog_version,
            "usageProfile": self.usage_profile,
            "baselineMonthlyCost": round(self.baseline, 2),
            "usageMonthlyCost": round(self.usage, 2),
            "totalMonthlyCost": round(self.total, 2),
            "resources": [r.to_json() for r in self.resources if r.components],
            "unpriced": self.unpriced,
            "freeResources": self.free,
            "partial": self.partial,
            "unpricedRegions": list(self.unpriced_regions),
            "savings": [{"resource": n, "component": c, "monthly": round(v, 2)} for n, c, v in self.savings],
            "controlCosts": [x.to_json() for x in self.control_costs],
        }


# Types that cost nothing by themselves (their cost, if any, is priced on another resource).
FREE = {
    "aws:iam/role:Role",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/policy:Policy",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    "aws:iam/serviceLinkedRole:ServiceLinkedRole",
    "aws:iam/instanceProfile:InstanceProfile",
    "aws:codebuild/webhook:Webhook",
    "aws:ec2/vpc:Vpc",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/routeTable:RouteTable",
    "aws:ec2/route:Route",
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws:ec2/networkAcl:NetworkAcl",
    "aws:ec2/networkAclRule:NetworkAclRule",
    "aws:ec2/flowLog:FlowLog",  # delivery is priced as log ingestion on its log group
    "aws:ec2/launchTemplate:LaunchTemplate",  # its volumes are priced on the node group
    "aws:kms/alias:Alias",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketLogging:BucketLogging",  # no charge; the delivered logs are priced on their bucket
    "aws:eks/addon:Addon",
    "aws:eks/podIdentityAssociation:PodIdentityAssociation",
    "aws:eks/accessEntry:AccessEntry",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
    "aws:rds/subnetGroup:SubnetGroup",
    "aws:rds/parameterGroup:ParameterGroup",
    "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup",
    "aws:rds/proxyTarget:ProxyTarget",
    "aws:elasticache/subnetGroup:SubnetGroup",
    "aws:secretsmanager/secretVersion:SecretVersion",
    "aws:secretsmanager/secretRotation:SecretRotation",
    "aws:backup/plan:Plan",  # storage is priced on the vaults
    "aws:backup/selection:Selection",
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy",
    "aws:ecr/repositoryPolicy:RepositoryPolicy",
    "aws:ecr/pullThroughCacheRule:PullThroughCacheRule",
    "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate",
    "aws:ecr/replicationConfiguration:ReplicationConfiguration",  # transfer is inter-region usage
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",  # priced as log ingestion
    "aws:sns/topicSubscription:TopicSubscription",
    # edge: ACM public certificates, DNSSEC signing, query-log configuration and CloudFront's
    # policies cost nothing (ACM, Route 53 and CloudFront pricing pages); the KSK's key, the log
    # groups and the distribution's traffic are priced on their own resources
    "aws:acm/certificate:Certificate",
    "aws:acm/certificateValidation:CertificateValidation",
    "aws:route53/record:Record",
    "aws:route53/keySigningKey:KeySigningKey",
    "aws:route53/hostedZoneDnsSec:HostedZoneDnsSec",
    "aws:route53/queryLog:QueryLog",
    "aws:cloudfront/originAccessControl:OriginAccessControl",
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
    "aws:cloudwatch/logDeliverySource:LogDeliverySource",  # delivery priced as ingestion on the log group
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination",
    "aws:cloudwatch/logDelivery:LogDelivery",
    "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration",
    "aws:serverlessrepository/cloudFormationStack:CloudFormationStack",  # the rotation Lambda: a few invocations a month
}


class Pricer:
    """Prices one graph with one catalog and usage profile."""

    def __init__(self, graph: Graph, catalog: Catalog, usage: Usage, today: dt.date, region: str | None = None) -> None:
        self.g, self.catalog, self.usage, self.today = graph, catalog, usage, today
        self.hours = catalog.hours_per_month
        self.by_urn = graph.by_urn
        self.providers = {
            r.urn: r.provider_config for r in graph.resources if r.type.startswith("pulumi:providers:aws")
        }
        # the stack's region: given, or the region most AWS resources are created in (Kubernetes
        # resources, e.g. the ALB's ingress class, are in the cluster's region)
        used = Counter(
            str(self.providers[r.provider_urn].get("region"))
            for r in graph.resources
            if r.provider_urn in self.providers and self.providers[r.provider_urn].get("region")
        )
        self.region = region or (used.most_common(1)[0][0] if used else "us-east-1")

    # -- helpers -----------------------------------------------------------------------------
    def region_of(self, r: Resource) -> str:
        cfg = self.providers.get(r.provider_urn)
        return str(cfg.get("region")) if cfg and cfg.get("region") else self.region

    def c(
        self,
        region: str,
        name: str,
        key: str,
        *,
        hourly: float | None = None,
        monthly: float | None = None,
        usage: bool = False,
    ) -> Component:
        p = self.catalog.price(region, key)
        if p is None:
            raise KeyError(f"no price {key!r} for {region} in the catalog")
        quantity = hourly * self.hours if hourly is not None else monthly
        return Component(name, p.unit, p.price, key, quantity, hourly, usage)

    def usage_c(self, region: str, name: str, key: str, quantity: float | None) -> Component:
        return self.c(region, name, key, monthly=quantity, usage=True)


Handler = Callable[[Pricer, Resource, str], Iterator[Component]]
HANDLERS: dict[str, Handler] = {}


def prices(*types: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for t in types:
            HANDLERS[t] = fn
        return fn

    return register


def _eks_version_key(version: str, today: dt.date) -> str:
    release = EKS_RELEASES.get(version)
    extended = release is not None and today > release.end_of_standard_support
    return "eks.cluster.extended" if extended else "eks.cluster.standard"


@prices("eks:index:Cluster", "aws:eks/cluster:Cluster")
def _eks(p: Pricer, r: Resource, region: str) -> Iterator[Component]:
    if r.type == "eks:index:Cluster" and any(
        x.type == "aws:eks/cluster:Cluster" and x.parent == r.urn for x in p.g.resources
    ):
        return  # a real preview: the control plane is priced on the pulumi-eks child
    version = str(r.props.get("version", ""))
    key = _eks_version_key(version, p.today)
    label = "extended support" if key.endswith("extended") else "standard support"
    yield p.c(region, f"EKS control plane ({version}, {label})", key, hourly=1)


@prices("aws:eks/nodeGroup:NodeGroup", "eks:index:ManagedNodeGroup")
def _node_group(p: Pricer, r: Resource, region: str) -> Iterator[Component]:
    if r.type == "eks:index:ManagedNodeGroup" and any(
        x.type == "aws:eks/nodeGroup:NodeGroup" and x.parent == r.urn for x in p.g.resources
    ):
        return  # a real preview: priced on the pulumi-eks child
    props = r.props
    types = props.get("instanceTypes") or ["t3.medium"]
    scaling = props.get("scalingConfig") or {}
    count = float(scaling.get("desiredSize") or scaling.get("minSize") or 1)

    # several types (Spot pools): priced at the dearest, since the group may run any of them
    def hourly(instance_type: str) -> float:
        found = p.catalog.price(region, f"ec2.{instance_type}")
        return found.price if found is not None else 0.0

    priced = max(types, key=hourly)
    label = types[0] if len(types) == 1 else f"{priced} (dearest of {', '.join(types)})"
    on_demand = p.c(region, f"{count:g} x {label} on-demand", f"ec2.{priced}", hourly=count)
    if props.get("capacityType") == "SPOT":
        discount = p.usage.spot_discount
        if discount is None:
            on_demand.name = f"{count:g} x {label} spot, priced at on-demand (no spot_discount in the usage profile)"
        else:
            on_demand.name = (
                f"{count:g} x {label} spot, assumed {discount:.0%} below on-demand "
                f"(${on_demand.price:g}; usage spot_discount)"
            )
            on_demand.saving = on_demand.price * discount * (on_demand.monthly_quantity or 0)
            on_demand.price = round(on_demand.price * (1 - discount), 6)
            on_demand.usage_based = True  # an assumption of the usage profile, not a list price
    yield on_demand
    disk, iops, throughput = _root_volume(p, r)
    yield p.c(region, f"{count:g} x {disk:g} GB gp3 root volume", "ebs.gp3.storage", monthly=count * disk)
    if iops > 3000:
        yield p.c(region, "gp3 IOPS above 3000", "ebs.gp3.iops", monthly=count * (iops - 3000))
    if throughput > 125:
        yield p.c(region, "gp3 throughput above 125 MB/s", "ebs.gp3.throughput", monthly=count * (throughput - 125))


@prices("aws:ec2/instance:Instance")
def _instance(p: Pricer, r: Resource, region: str) -> Iterator[Component]:
    """A single instance (the operator access host, dev's NAT instance): its type and root volume
    from its launch template, and its public IPv4 address when it has one (AWS bills every
    public IPv4 address by the hour, an instance's auto-assigned one too: VPC pricing)."""
    instance_type = r.props.get("instanceType")
    size = 8.0
    for urn in r.property_dependencies.get("launchTemplate", []):
        lt = p.by_urn.get(urn)
        if lt is None:
            continue
        instance_type = instance_type or lt.props.get("instanceType")
        for m in lt.props.get("blockDeviceMappings") or []:
            size = float((m.get("ebs") or {}).get("volumeSize") or size)
    host = p.c(region, f"1 x {instance_type} on-demand", f"ec2.{instance_type}", hourly=1)
    volume = p.c(region, f"{size:g} GB gp3 root volume", "ebs.gp3.storage", monthly=size)
    if r.props.get("sourceDestCheck") is False:  # a NAT instance (natMode: instance)
        gateway = p.c(region, "", "vpc.nat.hour").price  # the hourly price only
        processing = p.usage_c(region, "", "vpc.nat.gb", p.usage.nat_gb).monthly_cost or 0.0  # none: unknown
        host.name = f"1 x {instance_type} on-demand NAT instance (instead of a NAT gateway)"
        host.saving = (gateway - host.price) * p.hours + processing - volume.price * size
    yield host
    yield volume
    if r.props.get("associatePublicIpAddress") is True:
        yield p.c(region, "public IPv4 address", "vpc.public_ipv4.hour", hourly=1)


@prices("aws:codebuild/project:Project")
def _codebuild(p: Pricer, r: Resource, region: str) -> Iterator[Component]:
    """Billed per build minute, by compute type: not in the catalog, so listed as unpriced (the
    CI runner costs nothing while no job runs)."""
    compute = (r.props.get("environment") or {}).get("computeType", "?")
    raise KeyError(f"CodeBuild bills per build minute ({compute}); the catalog has no build-minute prices")
    yield  # pragma: no cover


def _root_volume(p: Pricer, r: Resource) -> tuple[float, float, float]:
    disk = float(r.props.get("diskSize") or 20)
    for urn in r.property_dependencies.get("launchTemplate", []):
        lt = p.by_urn.get(urn)
        if lt is None:
            continue
        for m in lt.props.get("blockDeviceMappings") or []:
            ebs = m.get("ebs") or {}
            return (
                float(ebs.get("volumeSize") or disk),
                float(ebs.get("iops") or 3000),
                float(ebs.get("throughput") or 125),
            )
    return disk, 3000.0, 125.0


@prices("aws:ec2/natGateway:NatGateway")
def _nat(p: Pricer, r: Resource, region: str) -> Iterator[Component]:
    yield p.c(region, "NAT gateway", "vpc.nat.hour", hourly=1)
    yield p.usage_c(region, "data processed", "vpc.nat.gb", p.usage.nat_gb)


@prices("aws:ec2/eip:Eip")
def _eip(p: Pricer, r: Resource, region: str) -> Iterator[Component]:
    yield p.c(region, "public IPv4 address", "vpc.public_ipv4.hour", hourly=1)


@prices("aws:ec2/vpcEndpoint:VpcEndpoint")
def _endpoint(p: Pricer, r: Resource, region: str) -> Iterator[Component]:
    if r.props.get("vpcEndpointType", "Gateway") != "Interface":
        return  # gateway endpoints (S3, DynamoDB) are free
    azs = len(r.props.get("subnetIds") or ()) or 1
    service = str(r.props.get("serviceName", "")).split(".")[-1]
    yield p.c(region, f"interface endpoint {service} in {azs} AZ(s)", "vpc.endpoint.interface.hour", hourly=azs)
    yield p.usage_c(region, "data processed", "vpc.endpoint.interface.gb", p.usage.interface_endpoint_gb)


def _public_subnets(p: Pricer) -> int:
    return (
        sum(
            1
            for x in p.g.of_type("aws:ec2/subnet:Subnet")
            if (x.props.get("tags") or {}).get("kubernetes.io/role/elb") == "1"
        )
        or 2
    )


@prices(
    "kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams",
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:alb/loadBalancer:LoadBalancer",
)
def _alb(p: Pricer, r: Resource, region: str) -> Iterator[Component]:
    """The ALB of an IngressGroup is created by the controller, so it is priced from its class."""
    if r.type.startswith("kubernetes:"):
        spec = r.props.get("spec") or {}
        internet = spec.get("scheme", "internal") == "internet-facing"
        azs = _public_subnets(p)
        kind = "application"
    else:
        internet = not r.props.get("internal", False)
        azs = len(r.props.get("subnets") or r.props.get("subnetMappings") or ()) or 2  # an ALB spans at least two AZs
        kind = r.props.get("loadBalancerType", "application")
    if kind == "network":
        yield p.c(region, "network load balancer", "elb.nlb.hour", hourly=1)
        yield p.usage_c(
            region, "NLCU-hours", "elb.nlb.nlcu", None if p.usage.alb_lcu is None else p.usage.alb_lcu * p.hours
        )
    else:
        yield p.c(region, "application load balancer", "elb.alb.hour", hourly=1)
        yield p.usage_c(
            region, "LCU-hours", "elb.alb.lcu", None if p.usage.alb_lcu is None else p.usage.alb_lcu * p.hours
        )
    if internet:
        yield p.c(region, f"{azs} public IPv4 addresses (one per AZ)", "vpc.public_ipv4.hour", hourly=azs)


@prices("aws:rds/instance:Instance")
def _rds(p: Pricer, r: Resource, region: str) -> Iterator[Component]:
    props = r.props
    cls = props.get("instanceClass", "db.t4g.micro")
    multi = bool(props.get("multiAz"))
    az = "multi_az" if multi else "single_az"
    yield p.c(
        region, f"{cls} PostgreSQL ({'Multi-AZ' if multi else 'Single-AZ'})", f"rds.postgres.{cls}.{az}", hourly=1
    )
    gb = float(props.get("allocatedStorage") or 20)
    yield p.c(
        region, f"{gb:g} GB gp3 storage ({'Multi-AZ' if multi else 'Single-AZ'})", f"rds.gp3.storage.{az}", monthly=gb
    )
    if props.get("manageMasterUserPassword"):
        yield p.c(region, "RDS-managed master secret", "secretsmanager.secret", monthly=1)
    yield p.usage_c(
        region, "backup storage beyond the free allowance", "rds.backup.storage", p.usage.rds_backup_gb_beyond_free
    )


@prices("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication")
def _rds_replication(p: Pricer, r: Resource, region: str) -> Iterator[Component]:
    yield p.usage_c(
        region, "replicated backup storage (DR region)", "rds.backup.storage", p.usage.rds_replicated_backup_gb
    )


@prices("aws:rds/proxy:Proxy")
def _proxy(p: Pricer, r: Resource, region: str) -> Iterator[Component]:
    vcpu = 2
    for target in p.g.of_type("aws:rds/proxyTarget:ProxyTarget"):
        if r.urn in target.property_dependencies.get("dbProxyName", []):
            for urn in target.property_dependencies.get("dbInstanceIdentifier", []):
                inst = p.by_urn.get(urn)
                cls = facts.DB_CLASSES.get(str(inst.props.get("instanceClass"))) if inst else None
                if cls:
                    vcpu = max(2, cls.vcpu)  # billed for at least 2 vCPUs
    yield p.c(region, f"RDS Proxy ({vcpu} vCPU of the target)", "rds.proxy.vcpu", hourly=vcpu)


@prices("aws:elasticache/replicationGroup:ReplicationGroup")
def _cache(p: Pricer, r: Resource, region: str) -> Iterator[Component]:
    props = r.props
    node = props.get("nodeType", "cache.t4g.micro")
    engine = str(props.get("engine", "redis")).lower()
    engine = "valkey" if engine == "valkey" else "redis"
    nodes = float(props.get("numCacheClusters") or 1)
    yield p.c(region, f"{nodes:g} x {node} ({engine})", f"elasticache.{node}.{engine}", hourly=nodes)
    yield p.usage_c(region, "snapshot storage beyond the free one", "elasticache.snapshot", p.usage.cache_snapshot_gb)


S3_CLASSES = {
    "standard": "s3.standard",
    "standard_ia": "s3.standard_ia",
    "intelligent_tiering": "s3.intelligent_tiering",
    "glacier_ir": "s3.glacier_ir",
    "glacier": "s3.glacier",
    "deep_archive": "s3.deep_archive",
}


@prices("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
def _bucket(p: Pricer, r: Resource, region: str) -> Iterator[Component]:
    purpose = str((r.props.get("tags") or {}).get("Purpose", "other"))
    classes = p.usage.s3_gb.get(purpose)
    if classes is None:
        yield p.usage_c(region, f"{purpose}: Standard storage", "s3.standard", None)
    else:
        for cls, gb in classes.items():
            yield p.usage_c(region, f"{purpose}: {cls.replace('_', ' ')} storage", S3_CLASSES[cls], gb)
    yield p.usage_c(
        region, f"{purpose}: PUT/COPY/POST requests", "s3.requests.put", p.usage.s3_put_thousands.get(purpose)
    )


@prices("aws:secretsmanager/secret:Secret")
def _secret(p: Pricer, r: Resource, region: str) -> Iterator[Component]:
    replicas = r.props.get("replicas") or []
    yield p.c(region, "secret", "secretsmanager.secret", monthly=1)
    for rep in replicas:
        yield p.c(
            str(rep.get("region") or region), f"replica in {rep.get('region')}", "secretsmanager.secret", monthly=1
        )


@prices("aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey")
def _key(p: Pricer, r: Resource, region: str) -> Iterator[Component]:
    yield p.c(region, "customer-managed key", "kms.key", monthly=1)


LOG_PURPOSES = (
    ("flow-logs", re.compile(r"flow-logs")),
    ("eks", re.compile(r"^/aws/eks/")),
    ("rds", re.compile(r"^/aws/rds/")),
    ("waf", re.compile(r"^aws-waf-logs-")),
    ("dns", re.compile(r"^/aws/route53/")),
    ("cdn", re.compile(r"/cloudfront/")),
    ("cache", re.compile(r"cache")),
)


def log_purpose(name: str) -> str:
    return next((p for p, rx in LOG_PURPOSES if rx.search(name)), "other")


@prices("aws:cloudwatch/logGroup:LogGroup")
def _log_group(p: Pricer, r: Resource, region: str) -> Iterator[Component]:
    purpose = log_purpose(str(r.props.get("name", "")))
    # the groups of one purpose share its usage (r is one of them, so there is at least one)
    share = sum(1 for x in p.g.of_type(r.type) if log_purpose(str(x.props.get("name", ""))) == purpose)
    ingest = p.usage.logs_ingest_gb.get(purpose)
    stored = p.usage.logs_stored_gb.get(purpose)
    yield p.usage_c(region, f"{purpose} logs ingested", "logs.ingest", None if ingest is None else ingest / share)
    yield p.usage_c(region, f"{purpose} logs stored", "logs.storage", None if stored is None else stored / share)


@prices("aws:cloudwatch/metricAlarm:MetricAlarm")
def _alarm(p: Pricer, r: Resource, region: str) -> Iterator[Component]:
    yield p.c(region, "alarm", "cloudwatch.alarm", monthly=1)


@prices("aws:backup/vault:Vault")
def _vault(p: Pricer, r: Resource, region: str) -> Iterator[Component]:
    role = "primary" if region == p.region else "dr"
    for kind, key in (
        ("rds_warm", "backup.rds.warm"),
        ("ebs_warm", "backup.ebs.warm"),
        ("ebs_cold", "backup.ebs.cold"),
    ):
        gb = p.usage.backup_gb.get(f"{role}_{kind}")
        yield p.usage_c(region, f"{role} vault: {kind.replace('_', ' ')} recovery points", key, gb)


@prices("aws:wafv2/webAcl:WebAcl")
def _waf(p: Pricer, r: Resource, region: str) -> Iterator[Component]:
    rules = len(r.props.get("rules") or [])
    yield p.c(region, "web ACL", "waf.webacl", monthly=1)
    yield p.c(region, f"{rules} rules and managed rule groups", "waf.rule", monthly=rules)
    # a CLOUDFRONT web ACL inspects the CDN's requests, a REGIONAL one the load balancer's
    cdn = r.props.get("scope") == "CLOUDFRONT"
    requests = p.usage.cdn_requests_million if cdn else p.usage.waf_requests_million
    yield p.usage_c(region, "requests inspected", "waf.requests", requests)


@prices("aws:route53/zone:Zone")
def _zone(p: Pricer, r: Resource, region: str) -> Iterator[Component]:
    yield p.c(region, "hosted zone", "route53.zone", monthly=1)
    yield p.usage_c(region, "standard queries", "route53.queries", p.usage.dns_queries_million)


@prices("aws:cloudfront/distribution:Distribution")
def _distribution(p: Pricer, r: Resource, region: str) -> Iterator[Component]:
    n = p.usage.cdn_requests_million
    yield p.usage_c(region, "data out to viewers", "cloudfront.transfer", p.usage.cdn_gb)
    yield p.usage_c(region, "HTTPS requests", "cloudfront.requests", None if n is None else n * 100)


@prices("aws:cloudtrail/trail:Trail")
def _trail(p: Pricer, r: Resource, region: str) -> Iterator[Component]:
    yield p.c(region, "management events (the account's first copy)", "cloudtrail.management.first_copy", monthly=0)


@prices("aws:ecr/repository:Repository")
def _ecr(p: Pricer, r: Resource, region: str) -> Iterator[Component]:
    yield p.usage_c(region, "image storage", "ecr.storage", p.usage.ecr_gb)


@prices("aws:sns/topic:Topic")
def _topic(p: Pricer, r: Resource, region: str) -> Iterator[Component]:
    topics = len(p.g.of_type(r.type))  # r is one of them
    n = p.usage.sns_publishes_million
    yield p.usage_c(region, "publishes", "sns.requests", None if n is None else n / topics)


_SIZE = re.compile(r"^(\d+(?:\.\d+)?)(Gi|G|Ti|T|Mi)$")


def gib(size: Any) -> float:
    m = _SIZE.match(str(size or ""))
    if not m:
        return 0.0
    n, unit = float(m.group(1)), m.group(2)
    return n * {"Gi": 1, "G": 1, "Ti": 1024, "T": 1024, "Mi": 1 / 1024}[unit]


def _dig(data: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def release_volumes(chart: str, values: dict[str, Any]) -> list[tuple[str, float]]:
    """(label, GiB) of the persistent volumes a chart's values ask for (Kubernetes-side EBS)."""
    out: list[tuple[str, float]] = []
    if chart == "kube-prometheus-stack":
        for part, spec_key, storage_key in (
            ("Prometheus", "prometheusSpec", "storageSpec"),
            ("Alertmanager", "alertmanagerSpec", "storage"),
        ):
            spec = _dig(values, part.lower(), spec_key) or {}
            size = gib(_dig(spec, storage_key, "volumeClaimTemplate", "spec", "resources", "requests", "storage"))
            if size:
                out.append(
                    (
                        f"{part} volumes ({spec.get('replicas', 1)} x {size:g} GiB)",
                        size * float(spec.get("replicas", 1)),
                    )
                )
    elif chart == "loki":
        for part in ("singleBinary", "write", "backend"):
            replicas = float(_dig(values, part, "replicas") or 0)
            size = gib(_dig(values, part, "persistence", "size"))
            if replicas and size:
                out.append((f"Loki {part} volumes ({replicas:g} x {size:g} GiB)", replicas * size))
    elif chart == "tempo" and _dig(values, "persistence", "enabled"):
        out.append(("Tempo volume", gib(_dig(values, "persistence", "size"))))
    return out


@prices("kubernetes:helm.sh/v3:Release")
def _release(p: Pricer, r: Resource, region: str) -> Iterator[Component]:
    for label, size in release_volumes(str(r.props.get("chart", "")), r.props.get("values") or {}):
        yield p.c(region, f"{label} gp3", "ebs.gp3.storage", monthly=size)


def _stack_wide(p: Pricer) -> list[ResourceCost]:
    """Usage that belongs to the account rather than one resource."""
    out: list[ResourceCost] = []
    region = p.region
    lines = [
        ("Secrets Manager API calls", "secretsmanager.api", p.usage.secret_api_calls, 10_000),
        ("KMS requests", "kms.requests", p.usage.kms_requests, 10_000),
    ]
    rc = ResourceCost("stack-usage", "stack-wide usage", "groundwork:usage", region)
    if region not in p.catalog.regions:
        return out  # nothing to price it with: the estimate says it is partial
    for name, key, quantity, per in lines:
        rc.components.append(p.usage_c(region, name, key, None if quantity is None else quantity / per))
    rc.components.append(
        p.usage_c(region, "data copied to the DR region", "transfer.inter_region", p.usage.inter_region_gb)
    )
    out.append(rc)
    return out


def estimate(
    graph: Graph,
    usage: Usage,
    *,
    usage_profile: str | None = None,
    catalog: Catalog | None = None,
    today: dt.date | None = None,
    region: str | None = None,
) -> Estimate:
    catalog = catalog or load_catalog()
    p = Pricer(graph, catalog, usage, today or dt.date.today(), region)
    resources: list[ResourceCost] = []
    unpriced: list[dict[str, str]] = []
    free = 0
    for r in graph.resources:
        if r.type == STACK_TYPE or r.type.startswith("pulumi:providers:"):
            continue
        handler = HANDLERS.get(r.type)
        if handler is None:
            if r.type in FREE or r.type.startswith(("kubernetes:", "random:")) or not r.custom:
                free += 1
            else:
                unpriced.append({"type": r.type, "name": r.name, "urn": r.urn})
            continue
        region = p.region_of(r)
        rc = ResourceCost(r.urn, r.name, r.type, region)
        try:
            rc.components = list(handler(p, r, region))
        except KeyError as e:
            unpriced.append({"type": r.type, "name": r.name, "urn": r.urn, "reason": str(e.args[0])})
            continue
        if rc.components:
            resources.append(rc)
        else:
            free += 1
    resources += _stack_wide(p)
    regions = {p.region, *(p.region_of(r) for r in graph.resources if r.custom)}
    from groundwork.cost.by_control import attribute  # imported here: it imports this module

    return Estimate(
        control_costs=attribute(resources, graph, catalog, p.region),
        unpriced_regions=tuple(sorted(x for x in regions if x and x not in catalog.regions)),
        stack=graph.stack,
        region=p.region,
        currency=catalog.currency,
        catalog_version=catalog.version,
        usage_profile=usage_profile,
        resources=resources,
        unpriced=unpriced,
        free=free,
    )
