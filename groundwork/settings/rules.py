"""Cross-field and per-tier rules over the stack settings (controls marked C in the catalogue).

Each rule is a function of a `Context` whose sections may be `None` when they failed their
own validation; a rule whose inputs are missing stays silent, so every other problem is
still reported in the same run. A rule that enforces a control names it; an exemption for
that control in `groundwork:exemptions` turns the problem into a warning that cites the reason.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from ipaddress import ip_network

from groundwork import catalog
from groundwork.controls import platform
from groundwork.settings.errors import MISSING as MISSING_VALUE
from groundwork.settings.errors import Problem
from groundwork.settings.model import (
    BackupsSettings,
    CacheSettings,
    ClusterSettings,
    CostSettings,
    DatabaseSettings,
    DeliverySettings,
    EdgeSettings,
    Exemption,
    GitOpsSettings,
    IngressSettings,
    NetworkSettings,
    ObservabilitySettings,
    PlatformSettings,
    RegistrySettings,
    SecretsSettings,
    ServiceSettings,
)
from groundwork.subnets import LayoutError, layout

STG_PLUS = ("staging", "prod")
RESERVED_NAMESPACES = ("default", *platform.PLATFORM_NAMESPACES, "aws-load-balancer-controller")
PRIVATE_RANGES = [ip_network("10.0.0.0/8"), ip_network("172.16.0.0/12"), ip_network("192.168.0.0/16")]
VPC_RANGES = [*PRIVATE_RANGES, ip_network("100.64.0.0/10")]  # what can sit inside a VPC


@dataclass
class Context:
    source: str
    today: dt.date
    environment: str | None = None
    stack: str | None = None
    region: str | None = None
    dr_region: str | None = None
    account_id: str | None = None
    tags: dict[str, str] | None = None
    network: NetworkSettings | None = None
    cluster: ClusterSettings | None = None
    database: DatabaseSettings | None = None
    cache: CacheSettings | None = None
    secrets: SecretsSettings | None = None
    backups: BackupsSettings | None = None
    platform: PlatformSettings | None = None
    ingress: IngressSettings | None = None
    edge: EdgeSettings | None = None
    registry: RegistrySettings | None = None
    gitops: GitOpsSettings | None = None
    observability: ObservabilitySettings | None = None
    cost: CostSettings | None = None
    delivery: DeliverySettings | None = None
    services: list[ServiceSettings] | None = None
    exemptions: list[Exemption] = field(default_factory=list)
    protect: bool | None = None
    in_cluster: bool | None = None
    substituted: set[str] = field(default_factory=set)

    def real(self, key: str) -> bool:
        """False when `key` held an invalid value that was replaced by its default for the rule pass."""
        return key not in self.substituted

    @property
    def stg_plus(self) -> bool:
        return self.environment in STG_PLUS

    @property
    def prod(self) -> bool:
        return self.environment == "prod"


@dataclass(frozen=True)
class Advice:
    """A warning: printed by `groundwork plan` and logged by `pulumi up`, never blocking."""

    key: str
    message: str
    fix: str

    def render(self) -> str:
        return f"{self.key}: {self.message}. {self.fix}"


Finding = Problem | Advice
Rule = Callable[[Context], Iterator[Finding]]
RULES: list[Rule] = []


def rule(fn: Rule) -> Rule:
    """Register a rule; rules run in definition order."""
    RULES.append(fn)
    return fn


def run_rules(ctx: Context) -> tuple[list[Problem], list[str]]:
    """All problems, and warnings (exempted problems and advisories)."""
    problems: list[Problem] = []
    warnings: list[str] = []
    # Only a whole-control exemption relaxes a settings rule; one limited to named policies
    # relaxes just those policies in the pack.
    exempt = {e.control: e for e in ctx.exemptions if (e.expires is None or e.expires >= ctx.today) and not e.policies}
    for fn in RULES:
        for p in fn(ctx):
            if isinstance(p, Advice):
                warnings.append(p.render())
            elif p.control and p.control in exempt:
                warnings.append(
                    f"{p.control} relaxed for this stack by exemption: {exempt[p.control].reason} "
                    f"({p.key} = {p.value!s}: {p.message})"
                )
            else:
                problems.append(p)
    return problems, warnings


def _k(path: str) -> str:
    return f"groundwork:{path}"


# ---------------------------------------------------------------------------------------------
# Regions and account
# ---------------------------------------------------------------------------------------------


def _known_region(ctx: Context) -> bool:
    """A rule that compares against aws:region only runs on a valid one (no knock-on problems)."""
    from groundwork.regions import stack_regions

    return bool(ctx.region) and ctx.region in stack_regions()


@rule
def regions_hold_a_stack(ctx: Context) -> Iterator[Finding]:
    """aws:region and drRegion must be regions where every service the stack uses is offered
    (groundwork/regions.py: botocore's endpoint data and the Serverless Application Repository's
    region list)."""
    from groundwork.regions import stack_regions, suggestion

    supported = stack_regions()
    for key, region in (("aws:region", ctx.region), (_k("drRegion"), ctx.dr_region)):
        if not region or region in supported:
            continue
        close = suggestion(region)
        yield Problem(
            key,
            region,
            "not a region where every service the stack uses is offered"
            + (f" (did you mean {close}?)" if close else ""),
            f"one of: {', '.join(supported)}",
            f"set {key} in {ctx.source} to {close or 'one of those regions'}",
        )


@rule
def dr_region_differs(ctx: Context) -> Iterator[Finding]:
    if ctx.region and ctx.dr_region and ctx.region == ctx.dr_region:
        yield Problem(
            _k("drRegion"),
            ctx.dr_region,
            "the DR region is the stack's own region, so a regional outage takes out both copies",
            f"any AWS region other than aws:region ({ctx.region})",
            f"set groundwork:drRegion in {ctx.source} to another region, e.g. eu-central-1",
            "DR-03",
        )


# ---------------------------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------------------------


@rule
def az_count_per_tier(ctx: Context) -> Iterator[Finding]:
    n = ctx.network
    if n and ctx.stg_plus and n.az_count < 3:
        yield Problem(
            _k("network.azCount"),
            n.az_count,
            f"{ctx.environment} needs at least 3 availability zones",
            "3 to 6 in staging and prod (2 only in dev)",
            f"set groundwork:network.azCount to 3 in {ctx.source}",
            "NET-01",
        )


@rule
def nat_per_az(ctx: Context) -> Iterator[Finding]:
    n = ctx.network
    if n and ctx.stg_plus and n.nat_mode != "per-az":
        yield Problem(
            _k("network.natMode"),
            n.nat_mode,
            f"one NAT gateway or instance is a single point of egress failure; {ctx.environment} needs one per AZ",
            '"per-az" in staging and prod ("single" or "instance" only in dev)',
            f"set groundwork:network.natMode to per-az in {ctx.source}",
            "NET-02",
        )


@rule
def explicit_zones(ctx: Context) -> Iterator[Finding]:
    n = ctx.network
    if not n or n.availability_zones is None:
        return
    zones = n.availability_zones
    if len(zones) != n.az_count:
        yield Problem(
            _k("network.availabilityZones"),
            zones,
            f"{len(zones)} zones listed but azCount is {n.az_count}",
            f"exactly azCount ({n.az_count}) distinct zone names",
            "list as many zones as azCount, or remove availabilityZones to use the region's first zones",
        )
    dupes = sorted(z for z, c in Counter(zones).items() if c > 1)
    if dupes:
        yield Problem(
            _k("network.availabilityZones"),
            zones,
            f"zones listed twice: {', '.join(dupes)}",
            "distinct zone names",
            "remove the repeated zones",
        )
    if ctx.region and _known_region(ctx):
        foreign = [z for z in zones if not (z.startswith(ctx.region) and len(z) == len(ctx.region) + 1)]
        if foreign:
            yield Problem(
                _k("network.availabilityZones"),
                zones,
                f"not zones of {ctx.region}: {', '.join(foreign)}",
                f"zone names of {ctx.region}, e.g. {ctx.region}a",
                f"use zones of aws:region ({ctx.region})",
            )


@rule
def vpc_cidr(ctx: Context) -> Iterator[Finding]:
    n = ctx.network
    if not n:
        return
    if not any(n.cidr.subnet_of(r) for r in PRIVATE_RANGES):  # type: ignore[arg-type]
        yield Problem(
            _k("network.cidr"),
            str(n.cidr),
            "the VPC range is not private (RFC 1918)",
            "a subnet of 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16",
            "choose a private range, e.g. 10.40.0.0/16",
        )
    if not 16 <= n.cidr.prefixlen <= 20:
        yield Problem(
            _k("network.cidr"),
            str(n.cidr),
            f"a /{n.cidr.prefixlen} VPC is outside the sizes Groundwork lays out",
            "a /16 to /20 network (AWS allows /16 at most)",
            "use a /16 (recommended: pods take VPC addresses) up to a /20",
        )
        return
    prefixes = n.prefixes
    if prefixes["private"] > 22:
        yield Problem(
            _k("network.privateSubnetPrefix"),
            prefixes["private"],
            f"a /{prefixes['private']} private subnet has too few addresses for pods "
            "(the VPC CNI gives each pod a VPC IP)",
            "a prefix of 22 or less (at least 1,024 addresses per AZ)",
            "use a larger VPC CIDR or set groundwork:network.privateSubnetPrefix to 22 or less",
        )
    try:
        layout(n.cidr, n.az_count, prefixes)
    except LayoutError as exc:
        yield Problem(
            _k("network.cidr"),
            str(n.cidr),
            f"the subnets do not fit: {exc}",
            "a VPC CIDR large enough for azCount x (private + public + database) subnets",
            "use a larger VPC CIDR, fewer AZs, or smaller *SubnetPrefix values",
        )


# ---------------------------------------------------------------------------------------------
# Cluster
# ---------------------------------------------------------------------------------------------


@rule
def kubernetes_version(ctx: Context) -> Iterator[Finding]:
    c = ctx.cluster
    if not c:
        return
    supported = catalog.supported_versions(ctx.today)
    release = catalog.EKS_RELEASES.get(c.version)
    if release is None or c.version not in supported:
        why = (
            "is not a version Groundwork knows (no add-on pins for it)"
            if release is None
            else f"left EKS standard support on {release.end_of_standard_support} (extended support costs 6x)"
            if ctx.today > release.end_of_standard_support
            else "is not released on EKS yet"
        )
        yield Problem(
            _k("cluster.version"),
            c.version,
            f"Kubernetes {c.version} {why}",
            f"a version in standard support on {ctx.today}: {', '.join(supported) or 'none known'}",
            f"set groundwork:cluster.version to {supported[-1] if supported else 'a supported version'} "
            "(upgrade one minor version at a time)",
            "EKS-01",
        )
        return
    if c.version not in catalog.EKS_ADDON_VERSIONS:
        yield Problem(
            _k("cluster.version"),
            c.version,
            "no EKS add-on versions are pinned for this Kubernetes version",
            ", ".join(catalog.EKS_ADDON_VERSIONS),
            "pin the add-ons in groundwork/catalog.py first",
            "EKS-01",
        )
    days_left = (release.end_of_standard_support - ctx.today).days
    if days_left <= catalog.SUPPORT_WARNING_DAYS:
        newer = [v for v in supported if v > c.version]
        yield Advice(
            _k("cluster.version"),
            f"Kubernetes {c.version} leaves EKS standard support in {days_left} days "
            f"({release.end_of_standard_support})",
            f"Plan the upgrade to {newer[0] if newer else 'the next version'}",
        )


@rule
def endpoint_access(ctx: Context) -> Iterator[Finding]:
    c = ctx.cluster
    if not c:
        return
    if c.endpoint_public_access and ctx.prod:
        yield Problem(
            _k("cluster.endpointPublicAccess"),
            True,
            "prod has no public Kubernetes API endpoint",
            "false in prod (reach the API through the VPC: VPN, bastion or CI runners in the VPC)",
            f"set groundwork:cluster.endpointPublicAccess to false in {ctx.source}",
            "EKS-04",
        )
    if c.endpoint_public_access:
        if not c.public_access_cidrs:
            yield Problem(
                _k("cluster.publicAccessCidrs"),
                [],
                "a public endpoint must be restricted to known CIDRs",
                "one or more office/VPN/CI CIDRs, never 0.0.0.0/0",
                "list the CIDRs that may reach the API, or set endpointPublicAccess to false",
                "EKS-04",
            )
        for i, cidr in enumerate(c.public_access_cidrs):
            if cidr.prefixlen == 0:
                yield Problem(
                    _k(f"cluster.publicAccessCidrs[{i}]"),
                    str(cidr),
                    "the whole internet may not reach the API",
                    "specific CIDRs (office, VPN, CI egress)",
                    "replace 0.0.0.0/0 with the CIDRs that need access",
                    "EKS-04",
                )
            elif any(cidr.subnet_of(r) for r in VPC_RANGES):  # type: ignore[arg-type]
                yield Problem(
                    _k(f"cluster.publicAccessCidrs[{i}]"),
                    str(cidr),
                    "a VPC-internal range cannot reach a public endpoint (those clients use the private endpoint)",
                    "public CIDRs (not RFC 1918 or 100.64.0.0/10)",
                    "remove it; clients inside the VPC already use the private endpoint",
                )
    elif c.public_access_cidrs:
        yield Problem(
            _k("cluster.publicAccessCidrs"),
            [str(x) for x in c.public_access_cidrs],
            "CIDRs are set but the public endpoint is off, so they have no effect",
            "an empty list when endpointPublicAccess is false",
            "remove publicAccessCidrs, or set endpointPublicAccess to true (not in prod)",
        )


@rule
def service_cidr(ctx: Context) -> Iterator[Finding]:
    c, n = ctx.cluster, ctx.network
    if not c:
        return
    s = c.service_cidr
    if not any(s.subnet_of(r) for r in PRIVATE_RANGES) or not 12 <= s.prefixlen <= 24:  # type: ignore[arg-type]
        yield Problem(
            _k("cluster.serviceCidr"),
            str(s),
            "EKS accepts a service range only inside RFC 1918, /12 to /24",
            "a /12../24 within 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16",
            "use e.g. 172.20.0.0/16",
        )
    if n and ctx.real("groundwork:network.cidr") and s.overlaps(n.cidr):
        yield Problem(
            _k("cluster.serviceCidr"),
            str(s),
            f"overlaps the VPC CIDR {n.cidr}",
            "a range outside the VPC CIDR",
            "use a range outside the VPC, e.g. 172.20.0.0/16",
        )


@rule
def node_groups(ctx: Context) -> Iterator[Finding]:
    c = ctx.cluster
    if not c:
        return
    names = Counter(g.name for g in c.node_groups)
    for name, count in names.items():
        if count > 1:
            yield Problem(
                _k("cluster.nodeGroups"),
                name,
                f"node group name {name!r} is used {count} times",
                "unique names",
                "rename one of the node groups",
            )
    if sum(g.min_size for g in c.node_groups) < 1:
        yield Problem(
            _k("cluster.nodeGroups"),
            [g.min_size for g in c.node_groups],
            "no node group keeps a node, so CoreDNS and the add-ons have nowhere to run",
            "minSize of at least 1 in one node group",
            "raise minSize of the general node group",
        )
    for i, g in enumerate(c.node_groups):
        key = _k(f"cluster.nodeGroups[{i}]")
        arches = sorted({catalog.INSTANCE_TYPES[t].arch for t in g.instance_types})
        if len(arches) > 1:
            yield Problem(
                f"{key}.instanceTypes",
                g.instance_types,
                "mixes x86_64 and arm64 types; one AMI serves one architecture",
                "instance types of one architecture",
                "split them into two node groups (one per architecture)",
            )
        if not g.min_size <= g.desired_size <= g.max_size:
            yield Problem(
                f"{key}.desiredSize",
                {"minSize": g.min_size, "desiredSize": g.desired_size, "maxSize": g.max_size},
                "sizes must satisfy minSize <= desiredSize <= maxSize",
                "minSize <= desiredSize <= maxSize",
                "adjust the three sizes of this node group",
                "EKS-06",
            )
        if g.max_size < 2 * g.desired_size:
            yield Problem(
                f"{key}.maxSize",
                g.max_size,
                f"maxSize leaves no room to surge or scale (needs at least 2 x desiredSize = {2 * g.desired_size})",
                f">= {2 * g.desired_size}",
                f"set maxSize to {2 * g.desired_size} or more",
                "EKS-06",
            )
        if ctx.stg_plus and g.min_size < 2:
            yield Problem(
                f"{key}.minSize",
                g.min_size,
                f"{ctx.environment} keeps at least 2 nodes per node group",
                ">= 2 in staging and prod",
                "set minSize (and desiredSize) to 2 or more",
                "EKS-06",
            )


@rule
def cluster_deletion_protection(ctx: Context) -> Iterator[Finding]:
    c = ctx.cluster
    if c and ctx.prod and not c.deletion_protection:
        yield Problem(
            _k("cluster.deletionProtection"),
            False,
            "the prod cluster must have deletion protection",
            "true in prod",
            f"set groundwork:cluster.deletionProtection to true in {ctx.source}",
            "EKS-09",
        )


@rule
def protect_in_prod(ctx: Context) -> Iterator[Finding]:
    if ctx.prod and ctx.protect is False:
        yield Problem(
            _k("protect"),
            False,
            "prod's stateful resources (KMS keys, cluster, databases, caches, backup buckets) "
            "must be protected from deletion and replacement",
            "true in prod",
            f"remove groundwork:protect from {ctx.source} (it defaults to true)",
            "GOV-02",
        )


# ---------------------------------------------------------------------------------------------
# Data layer
# ---------------------------------------------------------------------------------------------


@rule
def database(ctx: Context) -> Iterator[Finding]:
    d = ctx.database
    if not d:
        return
    if d.instance_class not in catalog.DB_CLASSES:
        yield Problem(
            _k("database.instanceClass"),
            d.instance_class,
            "not an instance class Groundwork offers",
            ", ".join(catalog.DB_CLASSES),
            "pick one of the offered classes (the price catalog covers them)",
            "DB-01",
        )
    if ctx.stg_plus and not d.multi_az:
        yield Problem(
            _k("database.multiAz"),
            False,
            f"{ctx.environment} runs the database Multi-AZ",
            "true in staging and prod",
            f"remove groundwork:database.multiAz from {ctx.source} (default true)",
            "DB-02",
        )
    floor = 30 if ctx.prod else 7
    if d.backup_retention_days < floor:
        yield Problem(
            _k("database.backupRetentionDays"),
            d.backup_retention_days,
            f"{ctx.environment or 'this stack'} keeps automated backups at least {floor} days",
            f"{floor} to 35",
            f"set groundwork:database.backupRetentionDays to {floor} or more",
            "DB-06",
        )
    if ctx.stg_plus and not d.deletion_protection:
        yield Problem(
            _k("database.deletionProtection"),
            False,
            f"{ctx.environment} databases keep deletion protection and a final snapshot",
            "true in staging and prod",
            "remove groundwork:database.deletionProtection (default true)",
            "DB-07",
        )
    if ctx.stg_plus and (not d.performance_insights or d.monitoring_interval_seconds == 0):
        yield Problem(
            _k("database.performanceInsights"),
            {"performanceInsights": d.performance_insights, "monitoringIntervalSeconds": d.monitoring_interval_seconds},
            f"{ctx.environment} databases run Performance Insights and enhanced monitoring",
            "performanceInsights true and monitoringIntervalSeconds > 0",
            "remove both keys (defaults: true, 60)",
            "DB-09",
        )
    if ctx.stg_plus and d.pooling == "none":
        yield Problem(
            _k("database.pooling"),
            "none",
            f"{ctx.environment} services reach the database through a connection pool",
            '"rds-proxy" in staging and prod',
            "remove groundwork:database.pooling (default rds-proxy)",
            "DB-11",
        )
    if d.max_allocated_storage_gib <= d.allocated_storage_gib:
        yield Problem(
            _k("database.maxAllocatedStorageGiB"),
            d.max_allocated_storage_gib,
            f"the autoscaling ceiling must exceed allocatedStorageGiB ({d.allocated_storage_gib})",
            f"> {d.allocated_storage_gib}",
            "raise maxAllocatedStorageGiB",
            "DB-10",
        )
    if d.restore is not None:
        r = d.restore
        if (r.snapshot_identifier is None) == (r.point_in_time is None):
            yield Problem(
                _k("database.restore"),
                r.model_dump(by_alias=True, exclude_none=True),
                "a restore names exactly one source",
                "snapshotIdentifier, or pointInTime",
                "keep one of the two (groundwork dr plan writes one)",
            )
        if r.point_in_time is not None:
            p = r.point_in_time
            sources = [x for x in (p.source_db_instance_identifier, p.source_db_instance_automated_backups_arn) if x]
            if len(sources) != 1:
                yield Problem(
                    _k("database.restore.pointInTime"),
                    p.model_dump(by_alias=True, exclude_none=True),
                    "a point-in-time restore names exactly one source",
                    "sourceDbInstanceIdentifier or sourceDbInstanceAutomatedBackupsArn",
                    "keep exactly one source",
                )
            if (p.restore_time is None) == (not p.use_latest_restorable_time):
                yield Problem(
                    _k("database.restore.pointInTime"),
                    p.model_dump(by_alias=True, exclude_none=True),
                    "give either restoreTime or useLatestRestorableTime: true",
                    "one of the two",
                    "set restoreTime (UTC) or useLatestRestorableTime",
                )


@rule
def cache(ctx: Context) -> Iterator[Finding]:
    c = ctx.cache
    if not c:
        return
    if c.node_type not in catalog.CACHE_NODE_TYPES:
        yield Problem(
            _k("cache.nodeType"),
            c.node_type,
            "not a node type Groundwork offers",
            ", ".join(catalog.CACHE_NODE_TYPES),
            "pick one of the offered node types",
        )
    if c.engine_version not in catalog.CACHE_VERSIONS[c.engine]:
        yield Problem(
            _k("cache.engineVersion"),
            c.engine_version,
            f"not a pinned {c.engine} version Groundwork offers",
            ", ".join(catalog.CACHE_VERSIONS[c.engine]),
            f"set groundwork:cache.engineVersion to a {c.engine} version",
        )
    if ctx.stg_plus and c.nodes < 2:
        yield Problem(
            _k("cache.nodes"),
            c.nodes,
            f"{ctx.environment} caches have a replica for automatic failover",
            "2 or more in staging and prod",
            "set groundwork:cache.nodes to 2",
            "CACHE-01",
        )
    if ctx.prod and c.snapshot_retention_days < 7:
        yield Problem(
            _k("cache.snapshotRetentionDays"),
            c.snapshot_retention_days,
            "prod keeps cache snapshots a week",
            "7 to 35",
            "set groundwork:cache.snapshotRetentionDays to 7 or more",
            "CACHE-04",
        )


@rule
def backups_and_secrets(ctx: Context) -> Iterator[Finding]:
    b, s = ctx.backups, ctx.secrets
    if b and ctx.prod and not b.replicate_to_dr:
        yield Problem(
            _k("backups.replicateToDr"),
            False,
            "prod copies its backups to the DR region",
            "true in prod",
            "remove groundwork:backups.replicateToDr (default true)",
            "DR-03",
        )
    if b and ctx.prod and b.object_lock_mode != "COMPLIANCE":
        yield Problem(
            _k("backups.objectLockMode"),
            b.object_lock_mode,
            "prod backups are immutable (Object Lock, compliance mode)",
            '"COMPLIANCE" in prod',
            "remove groundwork:backups.objectLockMode (default COMPLIANCE)",
            "DR-07",
        )
    if b and ctx.stg_plus and not b.aws_backup:
        yield Problem(
            _k("backups.awsBackup"),
            False,
            f"{ctx.environment} databases are covered by an AWS Backup plan with DR copies",
            "true in staging and prod",
            "remove groundwork:backups.awsBackup (default true)",
            "DR-04",
        )
    if b and ctx.stg_plus and b.aws_backup and not b.copy_to_dr:
        yield Problem(
            _k("backups.copyToDr"),
            False,
            f"{ctx.environment} copies its recovery points to the DR region",
            "true in staging and prod",
            "remove groundwork:backups.copyToDr (default true)",
            "DR-04",
        )
    if b and ctx.prod and b.rpo_minutes > 60:
        yield Problem(
            _k("backups.rpoMinutes"),
            b.rpo_minutes,
            "prod loses at most an hour of data",
            "60 or less",
            "remove groundwork:backups.rpoMinutes (default 60)",
            "DR-05",
        )
    if b and ctx.prod and b.rto_minutes > 30:
        yield Problem(
            _k("backups.rtoMinutes"),
            b.rto_minutes,
            "prod is back within 30 minutes",
            "30 or less",
            "remove groundwork:backups.rtoMinutes (default 30)",
            "DR-05",
        )
    if b and ctx.prod and not b.vault_lock:
        yield Problem(
            _k("backups.vaultLock"),
            False,
            "the prod backup vault is locked",
            "true in prod",
            "remove groundwork:backups.vaultLock (default true)",
            "DR-04",
        )
    if b and b.retention.daily_days > b.retention.weekly_days:
        yield Problem(
            _k("backups.retention"),
            b.retention.model_dump(by_alias=True),
            "weekly recovery points must outlive the daily ones",
            "dailyDays <= weeklyDays <= monthlyDays",
            "order the three retentions",
        )
    if s and ctx.prod and not s.cloud_trail:
        yield Problem(
            _k("secrets.cloudTrail"),
            False,
            "secret access in prod is audited by CloudTrail",
            "true in prod",
            "remove groundwork:secrets.cloudTrail (default true)",
            "SEC-07",
        )


# ---------------------------------------------------------------------------------------------
# Kubernetes platform
# ---------------------------------------------------------------------------------------------


@rule
def guardrails(ctx: Context) -> Iterator[Finding]:
    p = ctx.platform
    if p and ctx.stg_plus and p.admission_mode != "Enforce":
        yield Problem(
            _k("platform.admissionMode"),
            p.admission_mode,
            f"{ctx.environment} rejects workloads that break the guardrails, not just reports them",
            '"Enforce" in staging and prod',
            "remove groundwork:platform.admissionMode (default Enforce)",
            "K8S-10",
        )
    if p and ctx.stg_plus and not p.availability_policies:
        yield Problem(
            _k("platform.availabilityPolicies"),
            False,
            f"{ctx.environment} services run at least two replicas behind an HPA and a PodDisruptionBudget",
            "true in staging and prod",
            "remove groundwork:platform.availabilityPolicies (default true)",
            "K8S-09",
        )
    if ctx.cluster:
        from groundwork.charts import unsupported

        for c in unsupported(ctx.cluster.version):
            lo, hi = c.kubernetes
            yield Advice(
                _k("cluster.version"),
                f"{c.name} {c.app_version} (chart {c.version}) supports Kubernetes {lo} to {hi}, not {ctx.cluster.version}",
                "move the cluster version into that range or upgrade the chart in groundwork/charts.py",
            )


@rule
def ingress(ctx: Context) -> Iterator[Finding]:
    i = ctx.ingress
    if not i or not i.enabled:
        if i and ctx.services and any(s.ingress for s in ctx.services):
            yield Problem(
                _k("ingress.enabled"),
                False,
                "services declare an ingress path but the stack has no load balancer controller",
                "true while any service has `ingress`",
                "remove groundwork:ingress.enabled (default true) or the services' ingress entries",
                "K8S-11",
            )
        return
    managed = bool(ctx.edge and ctx.edge.domain and i.host)  # the program requests the certificate (EDGE-02)
    if ctx.stg_plus and i.scheme == "internet-facing" and not i.certificate_arn and not managed:
        yield Problem(
            _k("ingress.certificateArn"),
            MISSING_VALUE,
            f"{ctx.environment}'s load balancer serves HTTPS only (HTTP redirects to it) with an ACM certificate",
            "a certificate the program requests (groundwork:edge.domain and groundwork:ingress.host) or, as an "
            "override, an ACM certificate ARN in the stack's region",
            "set groundwork:edge.domain and groundwork:ingress.host (docs/edge.md)",
            "NET-10",
        )
    if i.certificate_arn:
        _, _, _, region, account, _ = i.certificate_arn.split(":", 5)
        if _known_region(ctx) and region != ctx.region:
            yield Problem(
                _k("ingress.certificateArn"),
                i.certificate_arn,
                f"an ALB can only use ACM certificates of its own region ({ctx.region}), this one is in {region}",
                f"a certificate ARN in {ctx.region}",
                f"issue the certificate in {ctx.region}",
                "NET-10",
            )
        if ctx.account_id and account != ctx.account_id:
            yield Problem(
                _k("ingress.certificateArn"),
                i.certificate_arn,
                f"the certificate belongs to account {account}, the stack deploys to {ctx.account_id}",
                f"a certificate of account {ctx.account_id}",
                "use the stack account's certificate",
                "NET-10",
            )
    if ctx.prod and i.scheme == "internet-facing" and not i.waf:
        yield Problem(
            _k("ingress.waf"),
            False,
            "prod's internet-facing load balancer is behind a WAF web ACL",
            "true in prod",
            "remove groundwork:ingress.waf (default true)",
            "NET-10",
        )


def _inside(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


@rule
def edge(ctx: Context) -> Iterator[Finding]:
    """EDGE-01, EDGE-02, EDGE-04, EDGE-05: the stack's public names live in the zone it manages."""
    e, i = ctx.edge, ctx.ingress
    if e is None:
        return
    public_api = bool(
        i and i.enabled and i.scheme == "internet-facing" and ctx.services and any(s.ingress for s in ctx.services)
    )
    if not e.domain:
        if public_api or e.frontend:
            yield Problem(
                _k("edge.domain"),
                MISSING_VALUE,
                "the stack serves the internet but manages no DNS zone: its names would be edited by hand",
                "a DNS domain whose zone the stack creates or adopts (e.g. prod.example.com)",
                "set groundwork:edge.domain (and edge.zoneId to adopt an existing zone); docs/edge.md",
                "EDGE-01",
            )
        if e.zone_id:
            yield Problem(
                _k("edge.zoneId"),
                e.zone_id,
                "a zone to adopt without the domain it serves",
                "a zone ID together with edge.domain",
                "set groundwork:edge.domain to the zone's name",
                "EDGE-01",
            )
        return
    if i and i.enabled and i.scheme == "internet-facing":
        if public_api and not i.host:
            yield Problem(
                _k("ingress.host"),
                MISSING_VALUE,
                "the API needs a host name in the stack's zone for its record and its certificate",
                f"a host name inside {e.domain}, e.g. api.{e.domain}",
                f"set groundwork:ingress.host: api.{e.domain}",
                "EDGE-01",
            )
        if i.host and not _inside(i.host, e.domain):
            yield Problem(
                _k("ingress.host"),
                i.host,
                f"the API host is outside the stack's zone {e.domain}: the program cannot manage its record",
                f"a host name inside {e.domain}",
                f"use a name ending in .{e.domain}, or change groundwork:edge.domain",
                "EDGE-01",
            )
        if i.host and i.certificate_arn:
            # EDGE-02: a hand-supplied certificate only as an explicit override, i.e. an exemption of
            # EDGE-02 with its reason and expiry (which turns this problem into a warning)
            yield Problem(
                _k("ingress.certificateArn"),
                i.certificate_arn,
                f"a hand-supplied certificate would replace the one the stack requests, validates and renews for {i.host}",
                "no certificateArn while edge.domain is set, or an EDGE-02 exemption saying why",
                "remove groundwork:ingress.certificateArn, or add to groundwork:exemptions "
                "{control: EDGE-02, reason: ..., expires: ...} while the zone is not yet delegated (docs/edge.md)",
                "EDGE-02",
            )
    f = e.frontend
    if f is not None:
        if not _inside(f.host, e.domain):
            yield Problem(
                _k("edge.frontend.host"),
                f.host,
                f"the frontend host is outside the stack's zone {e.domain}",
                f"a host name inside {e.domain}",
                f"use a name ending in .{e.domain}",
                "EDGE-01",
            )
        if i and f.host == i.host:
            yield Problem(
                _k("edge.frontend.host"),
                f.host,
                "the frontend and the API share a host name; each needs its own record",
                f"a host name other than {i.host}",
                f"e.g. app.{e.domain} (the API stays reachable under {f.api_path or '/api/*'} of it)",
                "EDGE-01",
            )
        # (a disabled controller with exposed services is the ingress rule's problem, K8S-11: no knock-on here)
        # and a missing API host is reported once, above
        knock_on = bool(i and not i.enabled and ctx.services and any(s.ingress for s in ctx.services)) or bool(
            public_api and i and not i.host
        )
        if f.api_path and not knock_on and not (i and i.enabled and i.host and i.scheme == "internet-facing"):
            yield Problem(
                _k("edge.frontend.apiPath"),
                f.api_path,
                "the CDN sends this path to the API's load balancer, and the stack has no public API host",
                "null, or a path with an internet-facing ingress and ingress.host",
                "set groundwork:edge.frontend.apiPath: null, or set groundwork:ingress.host",
                "EDGE-04",
            )
        if ctx.prod and not f.waf:
            yield Problem(
                _k("edge.frontend.waf"),
                False,
                "prod's CDN is behind a WAF web ACL (scope CLOUDFRONT)",
                "true in prod",
                "remove groundwork:edge.frontend.waf (default true)",
                "EDGE-04",
            )
    if ctx.prod:
        for key, value in (("dnssec", e.dnssec), ("queryLogging", e.query_logging)):
            if not value:
                yield Problem(
                    _k(f"edge.{key}"),
                    False,
                    "prod's zone is signed with DNSSEC and logs its queries",
                    "true in prod",
                    f"remove groundwork:edge.{key} (default true)",
                    "EDGE-05",
                )


@rule
def gitops(ctx: Context) -> Iterator[Finding]:
    g = ctx.gitops
    if not g:
        return
    if ctx.prod and g.auto_sync:
        yield Problem(
            _k("gitops.autoSync"),
            True,
            "prod changes wait for an approved manual sync",
            "false in prod",
            "remove groundwork:gitops.autoSync (default false)",
            "GIT-03",
        )
    if ctx.environment in ("dev", "staging") and not g.auto_sync:
        yield Problem(
            _k("gitops.autoSync"),
            False,
            f"{ctx.environment} follows its branch automatically (prune, self-heal)",
            f"true in {ctx.environment}",
            f"set groundwork:gitops.autoSync: true in {ctx.source}",
            "GIT-03",
        )
    if ctx.prod and not g.high_availability:
        yield Problem(
            _k("gitops.highAvailability"),
            False,
            "prod runs Argo CD highly available",
            "true in prod",
            "remove groundwork:gitops.highAvailability (default true)",
            "GIT-01",
        )
    if g.admin_groups and g.oidc is None:
        yield Problem(
            _k("gitops.adminGroups"),
            g.admin_groups,
            "groups come from single sign-on, which is not configured (the local admin is disabled)",
            "adminGroups together with groundwork:gitops.oidc",
            "add groundwork:gitops.oidc (issuer, clientId) or remove adminGroups",
            "GIT-01",
        )
    if "{service}" not in g.path:
        yield Problem(
            _k("gitops.path"),
            g.path,
            "every service needs its own path, so the template must contain {service}",
            "a path containing {service}, e.g. {service}/{environment}",
            "add {service} to groundwork:gitops.path",
            "GIT-02",
        )
    for i, svc in enumerate(ctx.services or []):
        if not (svc.repo_url or g.repo_url):
            yield Problem(
                _k(f"services[{i}].repoUrl"),
                MISSING_VALUE,
                f"Argo CD needs a repository for {svc.name}'s manifests",
                "groundwork:gitops.repoUrl, or repoUrl on the service",
                "set groundwork:gitops.repoUrl to the manifests repository",
                "GIT-02",
            )


# ---------------------------------------------------------------------------------------------
# Observability
# ---------------------------------------------------------------------------------------------


@rule
def observability(ctx: Context) -> Iterator[Finding]:
    o = ctx.observability
    if not o:
        return
    if o.prometheus.retention_days < 30:
        yield Problem(
            _k("observability.prometheus.retentionDays"),
            o.prometheus.retention_days,
            "metrics are kept at least 30 days",
            "30 or more",
            "remove groundwork:observability.prometheus.retentionDays (default 30)",
            "OBS-01",
        )
    if ctx.prod and o.prometheus.replicas < 2:
        yield Problem(
            _k("observability.prometheus.replicas"),
            o.prometheus.replicas,
            "prod runs Prometheus and Alertmanager with two replicas",
            "2 or 3 in prod",
            "remove groundwork:observability.prometheus.replicas (default 2)",
            "OBS-01",
        )
    if o.logs.retention_days < 90:
        yield Problem(
            _k("observability.logs.retentionDays"),
            o.logs.retention_days,
            "logs are kept 90 days",
            "90 or more",
            "remove groundwork:observability.logs.retentionDays (default 90)",
            "OBS-04",
        )
    if o.logs.hot_days >= o.logs.retention_days:
        yield Problem(
            _k("observability.logs.hotDays"),
            o.logs.hot_days,
            "hot storage must end before the logs expire",
            f"less than retentionDays ({o.logs.retention_days})",
            "lower hotDays",
            "OBS-04",
        )
    if ctx.prod and o.tracing.sampling_percentage > 10:
        yield Problem(
            _k("observability.tracing.samplingPercentage"),
            o.tracing.sampling_percentage,
            "prod keeps at most 10 % of traces",
            "0 < p <= 10 in prod",
            "remove groundwork:observability.tracing.samplingPercentage (default 10)",
            "OBS-05",
        )
    if ctx.environment == "dev" and o.tracing.sampling_percentage != 100:
        yield Advice(
            _k("observability.tracing.samplingPercentage"),
            f"dev samples {o.tracing.sampling_percentage:g} % of traces; OBS-05 expects 100 % in dev",
            "set groundwork:observability.tracing.samplingPercentage: 100 in Pulumi.dev.yaml",
        )
    if ctx.prod and not o.slo.enabled:
        yield Problem(
            _k("observability.slo.enabled"),
            False,
            "prod services have SLOs with burn-rate alerts",
            "true in prod",
            "remove groundwork:observability.slo.enabled (default true)",
            "OBS-07",
        )
    if ctx.stg_plus and not o.aws_alarms.enabled:
        yield Problem(
            _k("observability.awsAlarms.enabled"),
            False,
            f"{ctx.environment} watches its AWS resources with CloudWatch alarms",
            "true in staging and prod",
            "remove groundwork:observability.awsAlarms.enabled (default true)",
            "OBS-06",
        )
    n = o.notifications
    if (n.aws_chatbot_slack_team_id is None) != (n.aws_chatbot_slack_channel_id is None):
        yield Problem(
            _k("observability.notifications"),
            {
                "awsChatbotSlackTeamId": n.aws_chatbot_slack_team_id,
                "awsChatbotSlackChannelId": n.aws_chatbot_slack_channel_id,
            },
            "AWS Chatbot needs both the Slack workspace and the channel",
            "both IDs, or neither",
            "set both awsChatbotSlackTeamId and awsChatbotSlackChannelId",
            "OBS-06",
        )


@rule
def budget(ctx: Context) -> Iterator[Finding]:
    c = ctx.cost
    if not c:
        return
    if ctx.prod and c.over_budget != "fail":
        yield Problem(
            _k("cost.overBudget"),
            c.over_budget,
            "an estimate over the prod budget stops the change",
            '"fail" in prod',
            "remove groundwork:cost.overBudget (default fail)",
            "GOV-04",
        )
    if c.monthly_budget is None:
        yield Advice(
            _k("cost.monthlyBudget"),
            "the stack has no monthly budget, so no estimate can be over it (GOV-04)",
            "set groundwork:cost.monthlyBudget to the USD per month the stack may cost",
        )


@rule
def delivery(ctx: Context) -> Iterator[Finding]:
    d = ctx.delivery
    if not d:
        return
    if ctx.stg_plus and not d.approval:
        yield Problem(
            _k("delivery.approval"),
            False,
            "deployments to staging and prod wait for an approval",
            "true in staging and prod",
            "remove groundwork:delivery.approval (default true)",
            "GIT-05",
        )
    if d.approval and not d.reviewers:
        yield Problem(
            _k("delivery.reviewers"),
            [],
            "a stack deployed behind approval names who approves",
            "at least one team:<slug> or user:<login>",
            "set groundwork:delivery.reviewers, e.g. [team:platform-leads]",
            "GIT-05",
        )
    if ctx.stg_plus and not d.drift_detection:
        yield Problem(
            _k("delivery.driftDetection"),
            False,
            "staging and prod are checked for drift on a schedule",
            "true in staging and prod",
            "remove groundwork:delivery.driftDetection (default true)",
            "GIT-07",
        )
    for key, arn in (
        ("deployRoleArn", d.deploy_role_arn),
        ("previewRoleArn", d.preview_role_arn),
        ("driftRoleArn", d.drift_role_arn),
    ):
        if arn and ctx.account_id and arn.split(":")[4] != ctx.account_id:
            yield Problem(
                _k(f"delivery.{key}"),
                arn,
                f"the role is in account {arn.split(':')[4]}, the stack deploys to {ctx.account_id}",
                f"a role of account {ctx.account_id}",
                f"use the role created in account {ctx.account_id} (docs/delivery.md, bootstrap)",
            )
        if not arn and not ctx.account_id and d.github_repository:
            yield Problem(
                _k(f"delivery.{key}"),
                MISSING_VALUE,
                "CI cannot derive the role without groundwork:accountId",
                "an IAM role ARN, or groundwork:accountId set",
                f"set groundwork:accountId (the role is then groundwork-<kind>-<stack>) or groundwork:delivery.{key}",
            )


@rule
def cluster_creator(ctx: Context) -> Iterator[Finding]:
    """pulumi-eks always sets `bootstrapClusterCreatorAdminPermissions` (nodejs/eks/cluster/
    cluster.ts): EKS itself gives whoever creates the cluster an admin access entry. The stack
    makes that principal explicit, the deploy role, which `groundwork doctor` insists runs the
    first `up`. Declaring an access entry for the same role as well would fail CreateAccessEntry
    ("ResourceInUseException: The specified access entry resource is already in use")."""
    d, c = ctx.delivery, ctx.cluster
    if not d or not c or not d.github_repository or not ctx.stack:
        return
    creator = d.role("deploy", ctx.account_id, ctx.stack)
    for key, arns in (("adminRoleArns", c.admin_role_arns), ("viewerRoleArns", c.viewer_role_arns)):
        for i, arn in enumerate(arns):
            if arn == creator:
                yield Problem(
                    _k(f"cluster.{key}[{i}]"),
                    arn,
                    "the deploy role creates the cluster and gets EKS's creator admin entry; a second entry "
                    "for it fails CreateAccessEntry (ResourceInUseException)",
                    "IAM roles other than the deploy role",
                    f"remove {arn}: it is already the cluster's admin (groundwork doctor checks it runs the first up)",
                    "EKS-05",
                )


@rule
def first_deploy_step(ctx: Context) -> Iterator[Finding]:
    if ctx.in_cluster is False:
        yield Advice(
            _k("inCluster"),
            "the in-cluster layer is left out (first deploy, step 1: the AWS layer with the CI runner and the "
            "operator host); its policies are advisory until it is deployed",
            "remove groundwork:inCluster after this `up`, so the next deployment from inside the VPC installs it",
        )


@rule
def api_reachable(ctx: Context) -> Iterator[Finding]:
    """Everyone who applies the stack needs a network path to the API (groundwork.reachability
    checks the planned graph; this catches the settings that cannot give one)."""
    d, c = ctx.delivery, ctx.cluster
    if d and d.github_repository and not d.code_connection_arn:
        yield Problem(
            _k("delivery.codeConnectionArn"),
            MISSING_VALUE,
            "CI's jobs must run inside the VPC to reach the Kubernetes API (GitHub-hosted runners have no fixed "
            "address), on a CodeBuild runner that reaches GitHub through a CodeConnections connection",
            "the ARN of the account's GitHub connection",
            "create the connection once (Developer Tools > Connections, authorise the GitHub app) and set "
            "groundwork:delivery.codeConnectionArn (docs/delivery.md)",
        )
    if c and c.operator_access == "none" and not (c.endpoint_public_access and c.public_access_cidrs):
        yield Problem(
            _k("cluster.operatorAccess"),
            "none",
            "with a private endpoint and no operator host, nobody outside CI can reach the API",
            "ssm, or a public endpoint with publicAccessCidrs (not in prod)",
            "set groundwork:cluster.operatorAccess to ssm (the default)",
        )


# ---------------------------------------------------------------------------------------------
# Services, tags, exemptions
# ---------------------------------------------------------------------------------------------


@rule
def services(ctx: Context) -> Iterator[Finding]:
    if ctx.services is None:
        return
    for name, count in Counter(s.name for s in ctx.services).items():
        if count > 1:
            yield Problem(
                _k("services"),
                name,
                f"service {name!r} is listed {count} times",
                "unique service names",
                "remove or rename the duplicate entry",
            )
    routes = Counter(s.ingress.path for s in ctx.services if s.ingress)
    for i, s in enumerate(ctx.services):
        if s.ingress and routes[s.ingress.path] > 1:
            yield Problem(
                _k(f"services[{i}].ingress.path"),
                s.ingress.path,
                "two services claim the same path of the shared load balancer",
                "a path no other service uses",
                "give each exposed service its own path prefix",
                "K8S-11",
            )
        for name, count in Counter(x.name for x in s.secrets).items():
            if count > 1:
                yield Problem(
                    _k(f"services[{i}].secrets"),
                    name,
                    f"secret {name!r} is listed {count} times",
                    "unique secret names per service",
                    "rename or remove the duplicate",
                )
        names = {x.name for x in ctx.services}
        for j, target in enumerate(s.calls):
            if target not in names or target == s.name:
                yield Problem(
                    _k(f"services[{i}].calls[{j}]"),
                    target,
                    "not another service of this stack" if target != s.name else "a service does not call itself",
                    ", ".join(sorted(names - {s.name})) or "another service",
                    "name a service listed in groundwork:services",
                    "K8S-03",
                )
        if s.team in RESERVED_NAMESPACES or s.team.startswith("kube-"):
            yield Problem(
                _k(f"services[{i}].team"),
                s.team,
                "services never share the default or a platform namespace",
                f"a team name other than {', '.join(RESERVED_NAMESPACES)}",
                "use the owning team's name, e.g. orders",
                "K8S-01",
            )


@rule
def tags(ctx: Context) -> Iterator[Finding]:
    from groundwork.settings.model import RESERVED_TAGS

    for key, value in (ctx.tags or {}).items():
        if key in (*RESERVED_TAGS, "Stack"):
            yield Problem(
                _k(f"tags.{key}"),
                value,
                f"{key} is set by Groundwork from the stack (GOV-01)",
                "any other tag key",
                f"remove it; set owner/costCenter/environment instead of tags.{key}",
                "GOV-01",
            )
        elif key.lower().startswith("aws:") or len(key) > 128 or len(value) > 256:
            yield Problem(
                _k(f"tags.{key}"),
                value,
                "AWS rejects this tag (reserved aws: prefix or too long)",
                "keys up to 128 and values up to 256 characters, not starting with aws:",
                "shorten or rename the tag",
            )


@rule
def exemptions(ctx: Context) -> Iterator[Finding]:
    from groundwork.controls import CONTROLS

    for control, count in Counter(e.control for e in ctx.exemptions).items():
        if count > 1:
            yield Problem(
                _k("exemptions"),
                control,
                f"{control} is exempted {count} times",
                "one exemption per control",
                "merge the reasons into one entry",
            )
    for i, e in enumerate(ctx.exemptions):
        if e.control not in CONTROLS:
            yield Problem(
                _k(f"exemptions[{i}].control"),
                e.control,
                "no such control in the catalogue",
                "a control ID from docs/controls.md, e.g. NET-01",
                "correct the control ID",
            )
            continue
        if e.expires is not None and e.expires < ctx.today:
            yield Problem(
                _k(f"exemptions[{i}].expires"),
                str(e.expires),
                f"the exemption for {e.control} expired",
                f"a date on or after {ctx.today}, or no expiry",
                "meet the control, or renew the exemption with a new reason and date",
            )
        # An exemption of a control that is not mandatory in this tier documents why the stack
        # relaxes it (dev's reasons); the policy report shows the reason with the advisory.
