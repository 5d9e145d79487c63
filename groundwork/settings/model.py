"""The typed stack settings: one model, validated before any resource exists.

Keys are camelCase as written in `Pulumi.<stack>.yaml` (`groundwork:network.azCount`); the
Python attributes are snake_case. Every default is the secure, production-grade choice;
a stack relaxes it explicitly in its stack file (dev turns Multi-AZ off, not prod on).
Cross-field and per-tier rules live in `rules.py` so that all problems are reported at once.
"""

from __future__ import annotations

import datetime as dt
from ipaddress import IPv4Network
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from groundwork import catalog

Environment = Literal["dev", "staging", "prod"]
ENVIRONMENTS: tuple[str, ...] = ("dev", "staging", "prod")

DNS_LABEL = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"
ROLE_ARN = r"^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]{1,512}$"
REGION = r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$"
CONTROL_ID = r"^(NET|EKS|DB|CACHE|DR|SEC|K8S|OBS|GIT|GOV|EDGE)-\d{2}$"


def hint(allowed: str, fix: str | None = None) -> dict[str, Any]:
    """Field metadata read by the error renderer (`allowed`, `fix`) and the docs generator."""
    data: dict[str, Any] = {"allowed": allowed}
    if fix:
        data["fix"] = fix
    return data


class Settings_(BaseModel):
    """Base for every settings section: camelCase keys, unknown keys rejected, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
    )


def _instance_type(value: str) -> str:
    if value not in catalog.INSTANCE_TYPES:
        raise PydanticCustomError(
            "instance_type",
            "{value} is not an instance type Groundwork offers (the price catalog covers only these)",
            {"value": value},
        )
    return value


InstanceTypeName = Annotated[
    str,
    AfterValidator(_instance_type),
    Field(json_schema_extra=hint(", ".join(catalog.INSTANCE_TYPES))),
]


def _retention(value: int) -> int:
    if value not in catalog.LOG_RETENTION_DAYS:
        raise PydanticCustomError(
            "log_retention", "CloudWatch Logs does not accept a retention of {value} days", {"value": value}
        )
    return value


RetentionDays = Annotated[
    int,
    AfterValidator(_retention),
    Field(json_schema_extra=hint(", ".join(map(str, catalog.LOG_RETENTION_DAYS)))),
]


# ---------------------------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------------------------


class NetworkSettings(Settings_):
    """`groundwork:network`: the VPC and its three subnet tiers."""

    cidr: IPv4Network = Field(
        IPv4Network("10.0.0.0/16"),
        description="IPv4 CIDR of the VPC. Give each stack (and its DR copy) its own range so they can be peered.",
        json_schema_extra=hint("an IPv4 network from /16 to /20 with no host bits set, e.g. 10.40.0.0/16"),
    )
    az_count: int = Field(
        3,
        ge=2,
        le=6,
        description="Availability zones the VPC spans. Staging and prod need at least 3 (NET-01).",
        json_schema_extra=hint("2 to 6 (at least 3 in staging and prod)"),
    )
    availability_zones: list[str] | None = Field(
        None,
        description="Explicit AZ names. Unset: the first `azCount` zones the region reports as available.",
        json_schema_extra=hint("azCount zone names of the stack's region, e.g. [eu-west-1a, eu-west-1b, eu-west-1c]"),
    )
    nat_mode: Literal["per-az", "single", "instance"] = Field(
        "per-az",
        description="`per-az`: one NAT gateway per AZ, no single point of egress failure (NET-02). "
        "`single`: one NAT gateway for the VPC (dev only). `instance`: one t4g.nano NAT instance "
        "in the first public subnet instead of a gateway (dev only; about $32/month less; one more "
        "host to patch, egress bounded by the instance's bandwidth, and none while it is down: "
        "docs/cost.md).",
    )
    interface_endpoints: list[Literal[catalog.INTERFACE_ENDPOINTS]] = Field(  # type: ignore[valid-type]
        default_factory=list,
        description="Interface VPC endpoints to create in the private subnets "
        "(the S3 gateway endpoint is always created).",
    )
    flow_log_retention_days: RetentionDays = Field(
        90, description="Retention of the VPC flow-log group (KMS-encrypted, NET-03)."
    )
    private_subnet_prefix: int | None = Field(
        None,
        ge=16,
        le=26,
        description="Prefix length of each private (workload) subnet. Unset: VPC prefix + 3 (a /16 gives /19s), "
        "at most /22 (a /20 VPC gives /22s: pods take VPC addresses).",
    )
    public_subnet_prefix: int | None = Field(
        None, ge=16, le=28, description="Prefix length of each public subnet. Unset: VPC prefix + 6."
    )
    database_subnet_prefix: int | None = Field(
        None, ge=16, le=28, description="Prefix length of each isolated database subnet. Unset: VPC prefix + 8."
    )

    @property
    def prefixes(self) -> dict[str, int]:
        base = self.cidr.prefixlen
        return {
            # never smaller than the /22 the settings rules ask of a private subnet, so every VPC
            # size they accept (/16../20) works with the defaults
            "private": self.private_subnet_prefix or min(base + 3, 22),
            "public": self.public_subnet_prefix or base + 6,
            "database": self.database_subnet_prefix or base + 8,
        }


# ---------------------------------------------------------------------------------------------
# Cluster
# ---------------------------------------------------------------------------------------------


class Taint(Settings_):
    key: str = Field(pattern=r"^[A-Za-z0-9][-A-Za-z0-9_./]{0,62}$")
    value: str | None = Field(None, max_length=63)
    effect: Literal["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"]


class NodeGroupSettings(Settings_):
    """One EKS managed node group."""

    name: str = Field(
        pattern=r"^[a-z][a-z0-9-]{0,30}$",
        description="Node group name (unique in the stack), also the `groundwork.io/node-group` label.",
        json_schema_extra=hint("lowercase letters, digits and '-', starting with a letter, at most 31 characters"),
    )
    instance_types: list[InstanceTypeName] = Field(
        min_length=1,
        max_length=8,
        description="EC2 instance types, all of one CPU architecture (x86_64 or arm64/Graviton).",
    )
    capacity_type: Literal["ON_DEMAND", "SPOT"] = Field(
        "ON_DEMAND",
        description="On-demand or Spot capacity. Spot: list several types of one size (any may launch); "
        "`groundwork doctor` checks the Spot vCPU quota and the estimate prices it with the usage "
        "profile's `spot_discount` (docs/cost.md).",
    )
    min_size: int = Field(2, ge=0, le=100, description="Minimum nodes. At least 2 in staging and prod (EKS-06).")
    desired_size: int = Field(
        2,
        ge=0,
        le=100,
        description="Nodes the group runs. No cluster autoscaler is installed: this is the node count, "
        "kept by every `up`; the pack checks that these nodes hold the platform's pods (EKS-06).",
    )
    max_size: int = Field(4, ge=1, le=100, description="Maximum nodes; at least 2 x desiredSize (EKS-06).")
    disk_size_gib: int = Field(
        50,
        ge=20,
        le=2000,
        alias="diskSizeGiB",
        description="Root volume size in GiB (gp3, encrypted with the data key).",
    )
    labels: dict[str, str] = Field(default_factory=dict, description="Extra Kubernetes node labels.")
    taints: list[Taint] = Field(default_factory=list, description="Kubernetes taints applied to the nodes.")
    imds_hop_limit: Literal[1, 2] = Field(
        1,
        description="IMDSv2 hop limit. 1 keeps pods off the instance metadata service (workloads use Pod Identity).",
    )
    max_unavailable_percentage: int = Field(
        33, ge=1, le=100, description="Share of nodes replaced at once during a node-group update."
    )

    @property
    def arch(self) -> str:
        return catalog.INSTANCE_TYPES[self.instance_types[0]].arch


class ClusterSettings(Settings_):
    """`groundwork:cluster`: the EKS control plane and its node groups."""

    version: str = Field(
        "1.35",
        pattern=r"^1\.\d{2}$",
        description="Kubernetes minor version, pinned. Must be in EKS standard support (EKS-01).",
        json_schema_extra=hint("a minor version in EKS standard support, e.g. 1.35"),
    )
    endpoint_public_access: bool = Field(
        False,
        description="Expose the API server endpoint publicly (never in prod; elsewhere only to `publicAccessCidrs`). "
        "The private endpoint is always on (EKS-04).",
    )
    public_access_cidrs: list[IPv4Network] = Field(
        default_factory=list,
        description="CIDRs allowed to reach a public endpoint; 0.0.0.0/0 is refused.",
    )
    operator_access: Literal["ssm", "none"] = Field(
        "ssm",
        description="How people reach the API: `ssm` creates a small SSM-managed host in a private subnet, "
        "allowed on 443 by the cluster security group, for `scripts/cluster-tunnel.sh`; `none` only where "
        "the public endpoint admits the operators' CIDRs.",
    )
    admin_role_arns: list[Annotated[str, Field(pattern=ROLE_ARN)]] = Field(
        min_length=1,
        description="IAM roles given cluster-admin through EKS access entries (EKS-05). No IAM users.",
        json_schema_extra=hint("IAM role ARNs, e.g. arn:aws:iam::111111111111:role/PlatformAdmin"),
    )
    viewer_role_arns: list[Annotated[str, Field(pattern=ROLE_ARN)]] = Field(
        default_factory=list, description="IAM roles given read-only cluster access (AmazonEKSViewPolicy)."
    )
    log_retention_days: RetentionDays = Field(
        90, description="Retention of the control-plane log group (all five log types, KMS-encrypted, EKS-02)."
    )
    service_cidr: IPv4Network = Field(
        IPv4Network("172.20.0.0/16"),
        description="Kubernetes service IP range; must not overlap the VPC.",
        json_schema_extra=hint("an IPv4 /12 to /24 outside the VPC CIDR, e.g. 172.20.0.0/16"),
    )
    deletion_protection: bool = Field(
        True, description="EKS deletion protection; required in prod (EKS-09). Turn off in dev to allow destroy."
    )
    node_groups: list[NodeGroupSettings] = Field(
        min_length=1, max_length=10, description="Managed node groups (private subnets, every AZ)."
    )


# ---------------------------------------------------------------------------------------------
# Data layer
# ---------------------------------------------------------------------------------------------

WINDOW = r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$"
WEEKLY_WINDOW = (
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$"
)


class PointInTimeRestore(Settings_):
    """Create the database as a point-in-time copy of another instance (DR, or a rewind)."""

    source_db_instance_identifier: str | None = Field(None, description="Source instance in this region.")
    source_db_instance_automated_backups_arn: str | None = Field(
        None, description="Replicated automated backups (the DR region's copy of the source's backups)."
    )
    restore_time: dt.datetime | None = Field(None, description="UTC time to restore to.")
    use_latest_restorable_time: bool = Field(False, description="Restore to the latest restorable time instead.")


class DatabaseRestore(Settings_):
    """Build the database from a recovery point instead of empty. Later runs ignore these inputs
    (ignoreChanges), so removing them after the rebuild does not replace the instance."""

    snapshot_identifier: str | None = Field(None, description="DB snapshot ARN or identifier to restore.")
    point_in_time: PointInTimeRestore | None = Field(None, description="Point-in-time restore instead.")


class DatabaseSettings(Settings_):
    """`groundwork:database`: the shared RDS PostgreSQL instance and its connection pool."""

    engine_version: Literal[catalog.POSTGRES_VERSIONS] = Field(  # type: ignore[valid-type]
        "17",
        description="PostgreSQL major version, pinned; RDS applies minor versions in the maintenance window "
        "(autoMinorVersionUpgrade), so the stack never drifts from them (DB-01). A major upgrade is a change of "
        "this value, applied with `applyImmediately` (docs/data-layer.md, major upgrades).",
        json_schema_extra=hint(
            "a PostgreSQL major version: " + ", ".join(catalog.POSTGRES_VERSIONS), "e.g. 17, not 17.6"
        ),
    )
    apply_immediately: bool = Field(
        False,
        description="Apply modifications now instead of in the maintenance window. Set it for the run of a major "
        "upgrade: the new parameter group replaces the old one in the same run, and the old one can only be "
        "deleted once the instance no longer uses it.",
    )
    instance_class: str = Field(
        "db.t4g.medium",
        description="RDS instance class.",
        json_schema_extra=hint(", ".join(catalog.DB_CLASSES)),
    )
    multi_az: bool = Field(
        True, description="Synchronous standby in a second AZ; required in staging and prod (DB-02)."
    )
    allocated_storage_gib: int = Field(
        20, ge=20, le=16384, alias="allocatedStorageGiB", description="Initial gp3 storage."
    )
    max_allocated_storage_gib: int = Field(
        100, ge=21, le=16384, alias="maxAllocatedStorageGiB", description="Storage autoscaling ceiling (DB-10)."
    )
    backup_retention_days: int = Field(
        14, ge=1, le=35, description="Automated backup (point-in-time) retention: at least 7, 30 in prod (DB-06)."
    )
    backup_window: str = Field("02:00-03:00", pattern=WINDOW, description="Daily backup window (UTC).")
    maintenance_window: str = Field(
        "sun:03:30-sun:04:30", pattern=WEEKLY_WINDOW, description="Weekly maintenance window (UTC)."
    )
    deletion_protection: bool = Field(
        True, description="RDS deletion protection and a final snapshot on delete (DB-07)."
    )
    performance_insights: bool = Field(
        True, description="Performance Insights, KMS-encrypted, 7-day retention (DB-09)."
    )
    monitoring_interval_seconds: Literal[0, 1, 5, 10, 15, 30, 60] = Field(
        60, description="Enhanced monitoring interval; 0 turns it off (not in staging/prod, DB-09)."
    )
    pooling: Literal["rds-proxy", "none"] = Field(
        "rds-proxy", description="Connection pooling for services: an RDS Proxy requiring TLS (DB-11)."
    )
    replicate_backups_to_dr: bool = Field(
        True, description="Replicate automated backups to the DR region (cross-region point-in-time restore)."
    )
    log_min_duration_ms: int = Field(500, ge=-1, le=600000, description="Log statements slower than this (-1 off).")
    log_retention_days: RetentionDays = Field(
        90, description="Retention of the database and cache log groups (KMS-encrypted)."
    )
    restore: DatabaseRestore | None = Field(None, description="Restore source for a DR rebuild (see DatabaseRestore).")


class CacheSettings(Settings_):
    """`groundwork:cache`: the ElastiCache replication group."""

    engine: Literal["valkey", "redis"] = Field("valkey", description="Valkey (default) or Redis OSS.")
    engine_version: str = Field("8.0", description="Engine version, pinned.")
    node_type: str = Field(
        "cache.t4g.small", description="Node type.", json_schema_extra=hint(", ".join(catalog.CACHE_NODE_TYPES))
    )
    nodes: int = Field(2, ge=1, le=6, description="Primary plus replicas; 2+ gives failover and Multi-AZ (CACHE-01).")
    snapshot_retention_days: int = Field(7, ge=1, le=35, description="Daily snapshots kept (CACHE-04; 7+ in prod).")
    snapshot_window: str = Field("04:00-05:00", pattern=WINDOW, description="Daily snapshot window (UTC).")
    maintenance_window: str = Field(
        "sun:05:30-sun:06:30", pattern=WEEKLY_WINDOW, description="Weekly maintenance window."
    )
    restore_snapshot_name: str | None = Field(
        None, description="Create the cache from this snapshot (DR); ignored later."
    )


class SecretsSettings(Settings_):
    """`groundwork:secrets`: Secrets Manager behaviour and the audit trail."""

    recovery_window_days: int = Field(30, ge=7, le=30, description="Days a deleted secret can be recovered.")
    replicate_to_dr: bool = Field(
        True, description="Replicate every secret to the DR region (under the DR secrets key)."
    )
    cloud_trail: bool = Field(
        True, description="A multi-region CloudTrail trail (management events) in this stack (SEC-07)."
    )
    rotation_days: int = Field(
        30, ge=1, le=90, description="Rotation interval of generated database credentials (SEC-03)."
    )


class BackupRetention(Settings_):
    daily_days: int = Field(7, ge=1, le=35, description="Daily recovery points kept (7).")
    weekly_days: int = Field(28, ge=7, le=90, description="Weekly recovery points kept (4 weeks).")
    monthly_days: int = Field(365, ge=90, le=3650, description="Monthly recovery points kept (12 months).")


class BackupsSettings(Settings_):
    """`groundwork:backups`: the backup bucket(s) and AWS Backup."""

    aws_backup: bool = Field(
        True, description="An AWS Backup plan for RDS and EBS with copies to the DR region (DR-04)."
    )
    retention: BackupRetention = Field(
        default_factory=BackupRetention,  # type: ignore[arg-type]
        description="7 daily / 4 weekly / 12 monthly (DR-02).",
    )
    replicate_to_dr: bool = Field(
        True, description="Replicate the backup bucket and copy recovery points to the DR region (DR-03/04)."
    )
    copy_to_dr: bool = Field(
        True, description="AWS Backup copies every recovery point to a vault in the DR region (DR-04)."
    )
    object_lock_mode: Literal["COMPLIANCE", "GOVERNANCE", "none"] = Field(
        "COMPLIANCE",
        description="Default S3 Object Lock retention of backup objects: compliance in prod, governance in staging "
        "(DR-07), `none` for no default retention. Object Lock itself is enabled on the backup buckets in every "
        "mode, so changing this on a live stack is an in-place update, never a new bucket.",
    )
    object_lock_days: int = Field(7, ge=1, le=365, description="Default Object Lock retention.")
    vault_lock: bool = Field(
        True, description="AWS Backup vault lock (recovery points cannot be deleted early) (DR-04)."
    )
    continuous: bool = Field(True, description="Continuous backup of RDS (point-in-time recovery, RPO minutes).")
    adopt_bucket: str | None = Field(
        None,
        pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        description="Use this existing bucket (a DR rebuild: the surviving replica) as the backup bucket instead of "
        "creating one; set by `groundwork dr plan`.",
    )
    rpo_minutes: int = Field(60, ge=5, le=1440, description="Recovery point objective the DR tooling checks (DR-05).")
    rto_minutes: int = Field(30, ge=5, le=1440, description="Recovery time objective the DR drill measures (DR-05).")


class AppSecret(Settings_):
    """A generated application secret: only its name and generation rule, never a value (SEC-01)."""

    name: str = Field(pattern=DNS_LABEL, max_length=40, description="Secret key name, e.g. jwt-signing-key.")
    length: int = Field(32, ge=16, le=256, description="Generated length.")
    special: bool = Field(False, description="Include punctuation.")
    generation: int = Field(
        1,
        ge=1,
        description="Raise by one to rotate: the next `pulumi up` generates a new value into the same secret "
        "(same name and ARN; External Secrets syncs it within its refresh interval).",
    )


# ---------------------------------------------------------------------------------------------
# Kubernetes platform: guardrails, ingress, registry, GitOps
# ---------------------------------------------------------------------------------------------

QUANTITY = r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$"
DURATION = r"^[0-9]+(s|m|h)$"
ACM_ARN = r"^arn:aws(-cn|-us-gov)?:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]{36}$"
GIT_URL = r"^(https://[A-Za-z0-9.-]+(:[0-9]+)?/[A-Za-z0-9._~/-]+|git@[A-Za-z0-9.-]+:[A-Za-z0-9._~/-]+)$"
HOSTNAME = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,63}$"
TLS12_SSL_POLICIES = (
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
)


class NamespaceQuota(Settings_):
    """ResourceQuota of every team namespace (K8S-04)."""

    requests_cpu: str = Field("8", pattern=QUANTITY, description="Sum of CPU requests.")
    requests_memory: str = Field("16Gi", pattern=QUANTITY, description="Sum of memory requests.")
    limits_memory: str = Field("32Gi", pattern=QUANTITY, description="Sum of memory limits.")
    pods: int = Field(100, ge=1, le=10000, description="Pods.")
    services_load_balancers: int = Field(
        0, ge=0, le=10, description="Services of type LoadBalancer (0: ingress goes through the shared ALB)."
    )


class LimitRangeSettings(Settings_):
    """LimitRange of every team namespace: defaults for containers that declare nothing (K8S-04)."""

    default_request_cpu: str = Field("100m", pattern=QUANTITY, description="CPU request of a container that sets none.")
    default_request_memory: str = Field("128Mi", pattern=QUANTITY, description="Memory request default.")
    default_limit_memory: str = Field("256Mi", pattern=QUANTITY, description="Memory limit default.")
    max_memory: str = Field("4Gi", pattern=QUANTITY, description="Largest memory limit a container may set.")


class PlatformSettings(Settings_):
    """`groundwork:platform`: team namespaces, their guardrails and the platform controllers."""

    admission_mode: Literal["Enforce", "Audit"] = Field(
        "Enforce",
        description="Kyverno ClusterPolicies reject (Enforce) or only report (Audit) violations; Enforce in staging and prod (K8S-10).",
    )
    availability_policies: bool = Field(
        True,
        description="Generate an HPA (min 2, CPU 70 %, memory 80 %) and a PodDisruptionBudget for every Deployment and "
        "reject HPAs below 2 replicas; required in staging and prod (K8S-09).",
    )
    max_replicas: int = Field(
        10,
        ge=2,
        le=1000,
        description="maxReplicas of generated HPAs (a Deployment may lower "
        "or raise it with the annotation groundwork.io/max-replicas).",
    )
    high_availability: bool = Field(
        True,
        description="Run the platform controllers (Kyverno, External Secrets, load balancer controller) replicated.",
    )
    namespace_quota: NamespaceQuota = Field(default_factory=NamespaceQuota, description="Per team namespace.")  # type: ignore[arg-type]
    limit_range: LimitRangeSettings = Field(
        default_factory=LimitRangeSettings,  # type: ignore[arg-type]
        description="Per team namespace.",
    )
    secret_refresh_interval: str = Field(
        "1h", pattern=DURATION, description="How often External Secrets re-reads Secrets Manager (picks up rotations)."
    )


class IngressSettings(Settings_):
    """`groundwork:ingress`: the AWS Load Balancer Controller and the stack's shared ALB."""

    enabled: bool = Field(True, description="Install the controller and the shared ALB ingress class.")
    scheme: Literal["internet-facing", "internal"] = Field("internet-facing", description="ALB scheme.")
    certificate_arn: str | None = Field(
        None,
        pattern=ACM_ARN,
        description="ACM certificate of the ALB's HTTPS listener; required in staging and prod (NET-10). Without it "
        "(dev only) the ALB serves plain HTTP.",
        json_schema_extra=hint("an ACM certificate ARN in the stack's region and account"),
    )
    ssl_policy: Literal[TLS12_SSL_POLICIES] = Field(  # type: ignore[valid-type]
        "ELBSecurityPolicy-TLS13-1-2-2021-06", description="HTTPS listener policy: TLS 1.2 and 1.3 only (NET-10)."
    )
    host: str | None = Field(
        None, pattern=HOSTNAME, description="Host name the ingress rules match (e.g. api.example.com); none: any host."
    )
    allowed_cidrs: list[IPv4Network] = Field(
        default_factory=lambda: [IPv4Network("0.0.0.0/0")], description="Client ranges the ALB accepts (inbound CIDRs)."
    )
    waf: bool = Field(
        True,
        description="A WAFv2 web ACL (AWS managed rule groups and a per-IP rate limit) on the ALB; required in prod (NET-10).",
    )
    waf_rate_limit: int = Field(
        2000, ge=100, le=2_000_000_000, description="Requests per IP per 5 minutes before the WAF blocks it."
    )
    waf_log_retention_days: RetentionDays = Field(90, description="Retention of the WAF log group (KMS-encrypted).")


ZONE_ID = r"^[A-Z0-9]{1,32}$"  # Route 53 API Reference, HostedZone.Id: up to 32 characters (IDs AWS gives start with Z)
CDN_PATH = r"^/[A-Za-z0-9_\-./*]*\*$"


class FrontendSettings(Settings_):
    """`groundwork:edge.frontend`: static assets from a private S3 bucket through CloudFront (EDGE-03, EDGE-04)."""

    host: str = Field(
        pattern=HOSTNAME,
        description="Host name the browser loads the frontend from (e.g. app.example.com); inside `edge.domain`.",
        json_schema_extra=hint("a host name inside edge.domain, e.g. app.example.com"),
    )
    api_path: str | None = Field(
        "/api/*",
        pattern=CDN_PATH,
        description="CloudFront path pattern sent to the API's load balancer (same origin for the browser, no "
        "CORS); the path reaches the services unchanged. null: the frontend host serves only the assets.",
        json_schema_extra=hint("a CloudFront path pattern ending in *, e.g. /api/*, or null"),
    )
    waf: bool = Field(
        True,
        description="A WAF web ACL (scope CLOUDFRONT, created in us-east-1) on the distribution; required in prod "
        "(EDGE-04).",
    )
    waf_rate_limit: int = Field(
        2000, ge=100, le=2_000_000_000, description="Requests per IP per 5 minutes before the CDN's WAF blocks it."
    )
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] = Field(
        "PriceClass_100",
        description="CloudFront edge locations used: PriceClass_100 is North America and Europe (the cheapest).",
    )
    log_retention_days: RetentionDays = Field(
        90, description="Retention of the distribution's access logs (a KMS-encrypted log group in us-east-1)."
    )


class EdgeSettings(Settings_):
    """`groundwork:edge`: the stack's public DNS zone, its certificates and the frontend CDN (EDGE-01..05)."""

    domain: str | None = Field(
        None,
        pattern=HOSTNAME,
        description="The public hosted zone the stack manages (e.g. prod.example.com): the API host "
        "(`ingress.host`) and the frontend host live inside it. Required while the stack serves anything to the "
        "internet (EDGE-01).",
        json_schema_extra=hint("a DNS domain, e.g. prod.example.com"),
    )
    zone_id: str | None = Field(
        None,
        pattern=ZONE_ID,
        description="Adopt this existing public hosted zone for `domain` instead of creating one (the zone is "
        "read, never modified beyond the stack's records, DNSSEC and query logging).",
        json_schema_extra=hint("a Route 53 hosted zone ID, e.g. Z0123456789ABCDEFGHIJ"),
    )
    dnssec: bool = Field(
        True,
        description="DNSSEC signing of the zone with a key-signing key in KMS (us-east-1); required in prod "
        "(EDGE-05). The parent zone needs the DS record `groundwork doctor` prints.",
    )
    query_logging: bool = Field(
        True, description="DNS query logs to a KMS-encrypted log group in us-east-1; required in prod (EDGE-05)."
    )
    query_log_retention_days: RetentionDays = Field(90, description="Retention of the DNS query log group.")
    record_owner: str | None = Field(
        None,
        pattern=r"^[a-z0-9][-a-z0-9]{0,62}$",
        description="ExternalDNS owner ID of the API's records (default: the stack's `<project>-<stack>`). A DR stack "
        "written by `groundwork dr plan` sets the source stack's, so it takes over those records (EDGE-06).",
        json_schema_extra=hint("a <project>-<stack> name, e.g. groundwork-prod"),
    )
    frontend: FrontendSettings | None = Field(None, description="The frontend CDN; none: no frontend is served.")


class RegistrySettings(Settings_):
    """`groundwork:registry`: one ECR repository per service (GIT-06)."""

    keep_releases: int = Field(30, ge=1, le=1000, description="Tagged images kept per repository (the newest).")
    untagged_days: int = Field(
        7, ge=1, le=365, description="Days an untagged image (a failed or superseded push) is kept."
    )
    replicate_to_dr: bool = Field(
        True, description="Replicate every image to the DR region, so a rebuild there can pull them (DR-06)."
    )


class Oidc(Settings_):
    """Single sign-on for the Argo CD UI and CLI. The client secret is not a setting: its value is put in
    Secrets Manager at `<project>/<stack>/platform/argocd-oidc` (key clientSecret) by the operator."""

    name: str = Field("SSO", min_length=1, max_length=40, description="Label of the login button.")
    issuer: str = Field(pattern=r"^https://", description="OIDC issuer URL.")
    client_id: str = Field(min_length=1, description="OIDC client ID.")


class GitOpsSettings(Settings_):
    """`groundwork:gitops`: Argo CD and the Applications it syncs for the services."""

    repo_url: str | None = Field(
        None,
        pattern=GIT_URL,
        description="Git repository holding the services' Kubernetes manifests (a service may name its own).",
        json_schema_extra=hint("an https:// or git@host:org/repo URL"),
    )
    target_revision: str = Field("main", min_length=1, description="Branch, tag or commit the Applications follow.")
    path: str = Field(
        "{service}/{environment}",
        pattern=r"^[A-Za-z0-9._/{}-]+$",
        description="Path of a service's manifests in the repository; {service}, {team} and {environment} are replaced.",
    )
    auto_sync: bool = Field(
        False,
        description="Sync automatically with prune and self-heal (dev, staging); false waits for an approved manual "
        "sync (prod) (GIT-03).",
    )
    high_availability: bool = Field(
        True,
        description="Argo CD with redis-ha and two replicas of server, repo server and ApplicationSet controller (GIT-01).",
    )
    repo_credentials: bool = Field(
        True,
        description="Read repository credentials from Secrets Manager (`<project>/<stack>/platform/argocd-repository`, "
        "keys username/password or githubApp*); false for public repositories.",
    )
    oidc: Oidc | None = Field(None, description="SSO for Argo CD. The local admin is always disabled.")
    admin_groups: list[str] = Field(
        default_factory=list, description="SSO groups given Argo CD's admin role (everyone else: read-only)."
    )


# ---------------------------------------------------------------------------------------------
# Observability
# ---------------------------------------------------------------------------------------------


class PrometheusSettings(Settings_):
    retention_days: int = Field(30, ge=1, le=400, description="Days of metrics Prometheus keeps (OBS-01: 30 or more).")
    replicas: int = Field(2, ge=1, le=3, description="Prometheus and Alertmanager replicas (OBS-01: 2 in prod).")
    storage_gib: int = Field(
        50, ge=10, le=16384, alias="storageGiB", description="Persistent gp3 volume per Prometheus replica."
    )
    scrape_interval: str = Field("30s", pattern=DURATION, description="Default scrape interval.")


class LogsSettings(Settings_):
    hot_days: int = Field(
        7, ge=1, le=90, description="Days log chunks stay in S3 Standard before moving to Intelligent-Tiering (OBS-04)."
    )
    retention_days: int = Field(90, ge=7, le=3650, description="Days logs are kept in total (OBS-04: 90).")
    replicas: int = Field(3, ge=1, le=5, description="Loki replicas (single-binary mode, replication factor follows).")
    storage_gib: int = Field(
        20, ge=5, le=1024, alias="storageGiB", description="Loki write-ahead log / cache volume per replica."
    )


class TracingSettings(Settings_):
    sampling_percentage: float = Field(
        10.0, gt=0, le=100, description="Share of traces the collector keeps (OBS-05: 10 in prod, 100 in dev)."
    )
    retention_days: int = Field(14, ge=1, le=90, description="Days traces are kept in S3.")


class AlertThresholds(Settings_):
    """Thresholds of the Prometheus alerts (docs/alerts.md), not literals in the rules."""

    error_rate: float = Field(0.05, gt=0, lt=1, description="ServiceHighErrorRate: share of 5xx responses.")
    latency_p95_seconds: float = Field(0.5, gt=0, le=60, description="ServiceHighLatencyP95: p95 latency.")
    postgres_connections: float = Field(
        0.8, gt=0, lt=1, description="PostgresConnectionsHigh: share of max_connections."
    )
    disk_usage: float = Field(
        0.85, gt=0, lt=1, description="PersistentVolumeFillingUp / NodeDiskFillingUp: share used."
    )
    certificate_days: int = Field(30, ge=1, le=365, description="CertificateExpiringSoon: days left.")
    crash_loop_restarts: int = Field(3, ge=1, le=100, description="PodCrashLooping: restarts in 15 minutes.")
    cache_memory: float = Field(0.85, gt=0, lt=1, description="CacheMemoryHigh: share of maxmemory.")


class SloSettings(Settings_):
    enabled: bool = Field(True, description="SLO recording rules and multi-window burn-rate alerts (OBS-07: prod).")
    availability: float = Field(
        99.9, gt=90, lt=100, description="Availability objective, percent of non-5xx responses."
    )
    latency_p95_seconds: float = Field(
        0.5, gt=0, le=60, description="Latency objective: 95 % of requests faster than this."
    )


class AwsAlarmSettings(Settings_):
    """CloudWatch alarm thresholds (OBS-06)."""

    enabled: bool = Field(
        True, description="CloudWatch alarms on the data layer, NAT, backups, ALB and certificate (OBS-06: stg+)."
    )
    rds_cpu_percent: float = Field(80, gt=0, le=100, description="RDS CPUUtilization.")
    rds_free_storage_gib: float = Field(
        5, gt=0, alias="rdsFreeStorageGiB", description="RDS FreeStorageSpace below this (GiB)."
    )
    rds_connections: int = Field(200, ge=1, description="RDS DatabaseConnections above this.")
    cache_memory_percent: float = Field(85, gt=0, le=100, description="ElastiCache DatabaseMemoryUsagePercentage.")
    cache_cpu_percent: float = Field(80, gt=0, le=100, description="ElastiCache EngineCPUUtilization.")
    cache_evictions: int = Field(1000, ge=0, description="ElastiCache Evictions per 5 minutes.")
    nat_packets_dropped: int = Field(100, ge=0, description="NAT gateway PacketsDropCount per 5 minutes.")
    alb_5xx: int = Field(50, ge=1, alias="alb5xx", description="ALB HTTPCode_ELB_5XX_Count per 5 minutes.")
    certificate_days: int = Field(30, ge=1, le=365, description="ACM DaysToExpiry below this.")


class Notifications(Settings_):
    """Where alerts go. Receiver secrets (PagerDuty keys, Slack webhook) are never settings: the
    operator puts them in Secrets Manager at `<project>/<stack>/platform/alerting`."""

    page_on_critical: bool = Field(
        True, description="Critical alerts page (PagerDuty); false sends them to chat only (dev, staging)."
    )
    slack_channel: str = Field("#alerts", pattern=r"^#[a-z0-9_-]{1,80}$", description="Chat channel for warnings.")
    aws_chatbot_slack_team_id: str | None = Field(
        None,
        pattern=r"^[A-Z0-9]{9,11}$",
        description="Slack workspace ID authorised in AWS Chatbot (CloudWatch alarms to chat).",
    )
    aws_chatbot_slack_channel_id: str | None = Field(
        None, pattern=r"^[A-Z0-9]{9,11}$", description="Slack channel ID for CloudWatch alarms."
    )
    pager_sns_subscription: bool = Field(
        False,
        description="Subscribe PagerDuty's CloudWatch endpoint (key pagerdutyCloudwatchUrl of the alerting secret) to "
        "the critical topic; turn on after putting that value.",
    )


class ObservabilitySettings(Settings_):
    """`groundwork:observability`: metrics, alerts, dashboards, logs, traces and AWS alarms."""

    prometheus: PrometheusSettings = Field(default_factory=PrometheusSettings, description="Metrics.")  # type: ignore[arg-type]
    logs: LogsSettings = Field(default_factory=LogsSettings, description="Loki.")  # type: ignore[arg-type]
    tracing: TracingSettings = Field(default_factory=TracingSettings, description="Tempo and the collector.")  # type: ignore[arg-type]
    alerts: AlertThresholds = Field(default_factory=AlertThresholds, description="Prometheus alert thresholds.")  # type: ignore[arg-type]
    slo: SloSettings = Field(default_factory=SloSettings, description="Service level objectives.")  # type: ignore[arg-type]
    aws_alarms: AwsAlarmSettings = Field(default_factory=AwsAlarmSettings, description="CloudWatch alarms.")  # type: ignore[arg-type]
    notifications: Notifications = Field(default_factory=Notifications, description="Alert routing.")  # type: ignore[arg-type]


def _ci_role(kind: str, what: str) -> Any:
    """A `delivery.<kind>RoleArn` field: an IAM role CI assumes through GitHub OIDC (docs/delivery.md)."""
    return Field(
        None,
        pattern=ROLE_ARN,
        description=f"{what} Default arn:aws:iam::<accountId>:role/groundwork-{kind}-<stack>.",
        json_schema_extra=hint(f"an IAM role ARN, e.g. arn:aws:iam::111111111111:role/groundwork-{kind}-dev"),
    )


class DeliverySettings(Settings_):
    """`groundwork:delivery`: how CI previews, deploys and checks the stack for drift (docs/delivery.md).

    The workflows in `.github/workflows/` read these through `groundwork ci stack-env`, so adding a
    stack file is all it takes for CI to plan, price, preview, deploy and drift-check it.
    """

    github_repository: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$",
        description="GitHub repository (owner/name) whose workflows deploy this stack through OIDC.",
        json_schema_extra=hint("owner/name, e.g. example-org/groundwork"),
    )
    deploy_role_arn: str | None = _ci_role(
        "deploy",
        "CI assumes it to run `pulumi up`; trusts only jobs in the stack's GitHub environment (after approval).",
    )
    preview_role_arn: str | None = _ci_role(
        "preview", "Read-only; CI assumes it for `pulumi preview` on pull requests and on the default branch."
    )
    drift_role_arn: str | None = _ci_role(
        "drift",
        "Read-only; the scheduled drift check assumes it in the GitHub environment drift-<stack> (protected branches), "
        "and it may read the cluster's Secrets, which refreshing a Helm release needs.",
    )
    code_connection_arn: str | None = Field(
        None,
        pattern=r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection/[0-9a-f-]+$",
        description="The account's CodeConnections connection to GitHub (created and authorised once in the "
        "console). The stack's CodeBuild project uses it to run the repository's GitHub Actions jobs as runners "
        "inside the VPC, the only place a private API endpoint answers (docs/delivery.md).",
        json_schema_extra=hint("arn:aws:codeconnections:<region>:<account>:connection/<id>"),
    )
    backend_url: str | None = Field(
        None,
        pattern=r"^(s3|file|https)://\S+$",
        description="Pulumi state backend CI logs in to "
        "(default s3://groundwork-state-<accountId>?region=<region>&awssdk=v2, see README 'State backend').",
    )
    approval: bool = Field(
        True,
        description="`pulumi up` waits for a required reviewer of the stack's GitHub environment; "
        "required in staging and prod (GIT-05), dev deploys on merge.",
    )
    reviewers: list[Annotated[str, Field(pattern=r"^(user|team):[A-Za-z0-9_.-]+$")]] = Field(
        default_factory=list,
        description="Who approves deployments (`user:<login>` or `team:<slug>`); "
        "`groundwork ci environments --apply` writes them to the GitHub environment.",
        json_schema_extra=hint("entries like team:platform-leads or user:alice"),
    )
    drift_detection: bool = Field(
        True,
        description="The scheduled drift workflow runs `pulumi refresh --preview-only` on the stack and "
        "opens an issue when the cloud differs from the state; required in staging and prod (GIT-07).",
    )

    def role(self, kind: str, account_id: str | None, stack: str) -> str | None:
        explicit = {"deploy": self.deploy_role_arn, "preview": self.preview_role_arn, "drift": self.drift_role_arn}[
            kind
        ]
        if explicit:
            return explicit
        return f"arn:aws:iam::{account_id}:role/groundwork-{kind}-{stack}" if account_id else None


class CostSettings(Settings_):
    """`groundwork:cost`: the stack's monthly budget (GOV-04) and usage assumptions."""

    monthly_budget: float | None = Field(
        None, gt=0, description="USD per month the estimate (baseline + usage) may reach; none: no budget."
    )
    over_budget: Literal["fail", "warn"] = Field(
        "fail",
        description="An estimate over budget fails `groundwork cost`/`plan` (prod) or only warns (dev, staging).",
    )
    usage_profile: str | None = Field(
        None, pattern=r"^[A-Za-z0-9._/-]+\.ya?ml$", description="Usage profile (default cost/usage/<stack>.yaml)."
    )


# ---------------------------------------------------------------------------------------------
# Services, tags, exemptions
# ---------------------------------------------------------------------------------------------


class ServiceIngress(Settings_):
    """How the shared ALB reaches a service."""

    path: str = Field("/", pattern=r"^/[A-Za-z0-9._~/-]*$", description="Path prefix routed to the service.")
    health_check_path: str = Field("/healthz", pattern=r"^/", description="Path the ALB health-checks.")


class ServiceSettings(Settings_):
    """One microservice the platform hosts (one entry per service in `groundwork:services`)."""

    name: str = Field(
        pattern=DNS_LABEL,
        max_length=40,
        description="Service name (a DNS label): names its ECR repository, secrets, Application and dashboards.",
        json_schema_extra=hint("a DNS label: lowercase letters, digits and '-', at most 40 characters"),
    )
    port: int = Field(
        ge=1024,
        le=65535,
        description="Container port the service listens on (non-root containers cannot bind below 1024).",
        json_schema_extra=hint("1024 to 65535"),
    )
    team: str = Field(
        pattern=DNS_LABEL,
        max_length=40,
        description="Owning team; services of one team share a namespace (K8S-01).",
        json_schema_extra=hint("a DNS label, not 'default' or a kube-*/platform namespace"),
    )
    database: bool = Field(False, description="A database and user of its own on the shared PostgreSQL instance.")
    cache: bool = Field(
        False, description="Access to the shared cache (its AUTH token reaches the service's namespace)."
    )
    secrets: list[AppSecret] = Field(
        default_factory=list, description="Generated application secrets (names and rules only)."
    )
    ingress: ServiceIngress | None = Field(
        None, description="Route this path of the shared ALB to the service (its Ingress is created in its namespace)."
    )
    calls: list[Annotated[str, Field(pattern=DNS_LABEL)]] = Field(
        default_factory=list, description="Services this one calls: NetworkPolicies allow exactly these paths (K8S-03)."
    )
    https_egress: bool = Field(
        False, description="Allow HTTPS (443) to anywhere, e.g. a payment provider or AWS APIs (default: denied)."
    )
    metrics_port: int | None = Field(
        None, ge=1024, le=65535, description="Port Prometheus scrapes (default: the service port)."
    )
    metrics_path: str = Field("/metrics", pattern=r"^/", description="Path Prometheus scrapes.")
    repo_url: str | None = Field(
        None,
        pattern=GIT_URL,
        description="Repository of this service's manifests (default: groundwork:gitops.repoUrl).",
    )
    path: str | None = Field(None, description="Path in that repository (default: groundwork:gitops.path).")


class Exemption(Settings_):
    """A named, reasoned relaxation of one control for this stack (shown in every policy report)."""

    control: str = Field(pattern=CONTROL_ID, description="Control ID from the catalogue, e.g. NET-01.")
    reason: str = Field(
        min_length=20,
        description="Why this stack may relax the control; at least 20 characters.",
        json_schema_extra=hint("a sentence of at least 20 characters saying why"),
    )
    policies: list[Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)+$")]] = Field(
        default_factory=list,
        description="Only these policies of the control (docs/policies.md); empty: every policy of the control.",
    )
    expires: dt.date | None = Field(None, description="Date after which the exemption no longer applies.")


class Allowance(Settings_):
    """A reasoned permission for `pulumi up` to replace or delete one stateful resource (GOV-02).

    `groundwork guard` fails a preview that would replace or delete a database, cache, bucket, key,
    vault, secret, log group, ECR repository or the cluster in prod unless an allowance that has
    not expired names it. Remove it once the change is deployed."""

    resource: str = Field(
        min_length=1,
        description="The resource's Pulumi name (the last part of its URN, as `groundwork guard` prints it, "
        "e.g. `database-instance`) or its full URN.",
        json_schema_extra=hint("a resource name from the guard's report, e.g. database-instance"),
    )
    operations: list[Literal["replace", "delete"]] = Field(
        default_factory=lambda: ["replace"],  # type: ignore[arg-type]
        min_length=1,
        description="What may happen to it: `replace`, `delete` or both.",
    )
    reason: str = Field(
        min_length=20,
        description="Why the data loss or new identity is acceptable (e.g. restored from snapshot X); at least "
        "20 characters.",
        json_schema_extra=hint("a sentence of at least 20 characters saying why"),
    )
    expires: dt.date = Field(
        description="Date after which the allowance no longer applies: keep it to the change's rollout.",
        json_schema_extra=hint("a date, e.g. 2026-12-31"),
    )


TAG_KEY = r"^[\w .:/=+\-@]{1,128}$"
RESERVED_TAGS = ("Environment", "Project", "Owner", "CostCenter", "ManagedBy")


class StackSettings(Settings_):
    """Everything one stack is: read from Pulumi config (`groundwork:*`, `aws:region`)."""

    project: str = Field(description="Pulumi project name (from the runtime, not config).")
    stack: str = Field(description="Pulumi stack name (from the runtime, not config).")
    environment: Environment = Field(description="Tier of the stack: decides which controls are mandatory.")
    region: str = Field(
        pattern=REGION,
        description="AWS region of the stack (`aws:region`).",
        json_schema_extra=hint("an AWS region name, e.g. eu-west-1"),
    )
    dr_region: str = Field(
        pattern=REGION,
        description="Region receiving backup copies; hosts a DR rebuild.",
        json_schema_extra=hint("an AWS region name other than aws:region, e.g. eu-central-1"),
    )
    account_id: str | None = Field(
        None,
        pattern=r"^\d{12}$",
        description="The only AWS account the stack may deploy to (provider allowedAccountIds).",
        json_schema_extra=hint('a 12-digit AWS account ID in quotes, e.g. "111111111111"'),
    )
    existing_service_linked_roles: list[Literal["autoscaling.amazonaws.com"]] = Field(
        default_factory=list,
        description="AWS services whose service-linked role already exists in the account (`groundwork "
        "doctor` lists them). The stack creates the others (kept on destroy) before the KMS keys whose "
        "policies name them: a key policy naming a role that does not exist yet fails CreateKey.",
        json_schema_extra=hint('e.g. ["autoscaling.amazonaws.com"], as `groundwork doctor` prints it'),
    )
    owner: str = Field(min_length=1, max_length=256, description="Owner tag on every AWS resource (GOV-01).")
    cost_center: str = Field(min_length=1, max_length=256, description="CostCenter tag on every AWS resource (GOV-01).")
    tags: dict[str, str] = Field(
        default_factory=dict, description="Extra tags on every AWS resource (provider default tags)."
    )
    protect: bool = Field(
        True,
        description="Pulumi protect + retainOnDelete on stateful and audit resources (keys, databases, caches, "
        "buckets, vaults, the cluster, secrets, log groups); required in prod (GOV-02).",
    )
    in_cluster: bool = Field(
        True,
        description="Deploy the in-cluster layer (namespaces, guardrails, charts, Argo CD). `false` only for the "
        "first `up` of a stack from outside its VPC: the AWS layer, with the CI runner and the operator host that "
        "reach the private API, comes up first (docs/delivery.md, first deployment); remove it afterwards.",
    )
    network: NetworkSettings = Field(default_factory=NetworkSettings, description="The VPC.")  # type: ignore[arg-type]
    cluster: ClusterSettings = Field(description="The EKS cluster and its node groups.")
    database: DatabaseSettings = Field(default_factory=DatabaseSettings, description="RDS PostgreSQL.")  # type: ignore[arg-type]
    cache: CacheSettings = Field(default_factory=CacheSettings, description="ElastiCache.")  # type: ignore[arg-type]
    secrets: SecretsSettings = Field(default_factory=SecretsSettings, description="Secrets Manager and CloudTrail.")  # type: ignore[arg-type]
    backups: BackupsSettings = Field(default_factory=BackupsSettings, description="Backup buckets and AWS Backup.")  # type: ignore[arg-type]
    platform: PlatformSettings = Field(default_factory=PlatformSettings, description="Namespaces and guardrails.")  # type: ignore[arg-type]
    ingress: IngressSettings = Field(default_factory=IngressSettings, description="Load balancer controller and ALB.")  # type: ignore[arg-type]
    edge: EdgeSettings = Field(default_factory=EdgeSettings, description="Public DNS, certificates, frontend CDN.")  # type: ignore[arg-type]
    registry: RegistrySettings = Field(default_factory=RegistrySettings, description="ECR repositories.")  # type: ignore[arg-type]
    gitops: GitOpsSettings = Field(default_factory=GitOpsSettings, description="Argo CD.")  # type: ignore[arg-type]
    observability: ObservabilitySettings = Field(
        default_factory=ObservabilitySettings,  # type: ignore[arg-type]
        description="Metrics, logs, traces, alerts.",
    )
    cost: CostSettings = Field(default_factory=CostSettings, description="Budget and usage profile.")  # type: ignore[arg-type]
    delivery: DeliverySettings = Field(default_factory=DeliverySettings, description="CI deployment.")  # type: ignore[arg-type]
    services: list[ServiceSettings] = Field(default_factory=list, description="The microservices the platform hosts.")
    exemptions: list[Exemption] = Field(
        default_factory=list, description="Named, reasoned relaxations of controls for this stack."
    )
    allowances: list[Allowance] = Field(
        default_factory=list,
        description="Reasoned permissions for one change to replace or delete a stateful resource "
        "(`groundwork guard`, GOV-02; docs/living-with-a-stack.md).",
    )
    warnings: tuple[str, ...] = ()

    @property
    def name_prefix(self) -> str:
        """`<project>-<stack>`: the root of every physical name (GOV-03)."""
        return f"{self.project}-{self.stack}"

    @property
    def base_tags(self) -> dict[str, str]:
        """The provider default tags (GOV-01): the five mandatory tags plus `groundwork:tags`."""
        return {
            **self.tags,
            "Environment": self.environment,
            "Project": self.project,
            "Owner": self.owner,
            "CostCenter": self.cost_center,
            "ManagedBy": "pulumi",
            "Stack": self.stack,
        }

    def exempted(self, control: str) -> Exemption | None:
        for e in self.exemptions:
            if e.control == control:
                return e
        return None

    @property
    def copies_to_dr_region(self) -> bool:
        """Whether anything of the stack is copied to the DR region (so keys are needed there)."""
        return (
            self.secrets.replicate_to_dr
            or self.database.replicate_backups_to_dr
            or self.backups.replicate_to_dr
            or (self.backups.aws_backup and self.backups.copy_to_dr)
            or self.registry.replicate_to_dr
        )

    def ci_roles(self, kind: str) -> tuple[str, ...]:
        """CI's `preview` or `drift` role, when the stack is deployed from a GitHub repository
        (docs/delivery.md); the drift role only where drift detection is on."""
        role = self.delivery.role(kind, self.account_id, self.stack)
        wanted = self.delivery.github_repository and (kind != "drift" or self.delivery.drift_detection)
        return (role,) if role and wanted else ()

    @property
    def teams(self) -> list[str]:
        return sorted({s.team for s in self.services})
