"""Database controls DB-01..DB-11 on `aws:rds/instance:Instance` and what it references."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .core import REGISTRY, Graph, PackContext, Resource, as_list, num, unknown
from .network import SUBNET, subnet_tiers

INSTANCE = "aws:rds/instance:Instance"
PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup"
PROXY = "aws:rds/proxy:Proxy"
PROXY_TARGET = "aws:rds/proxyTarget:ProxyTarget"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
LOG_EXPORTS = ("postgresql", "upgrade")


@REGISTRY.resource(
    "aws-rds-instance-require-pinned-postgres",
    controls="DB-01",
    types=INSTANCE,
    severity="high",
    description="Databases are PostgreSQL with a pinned major version and automatic minor upgrades (a pinned minor "
    "drifts once AWS upgrades the instance).",
    remediation="engine postgres, engineVersion the major only (e.g. 17), autoMinorVersionUpgrade true.",
)
def pinned_postgres(r: Resource, ctx: PackContext) -> Iterator[str]:
    engine = r.props.get("engine")
    if r.props.has("snapshotIdentifier") and engine is None:
        return  # restored from a snapshot: the engine comes from the snapshot
    if engine != "postgres":
        yield f"engine is {engine!r}, not postgres"
    version = r.props.get("engineVersion")
    auto_minor = r.props.flag("autoMinorVersionUpgrade") is not False
    if unknown(version):
        pass
    elif isinstance(version, str) and re.fullmatch(r"\d+\.\d+", version) and auto_minor:
        yield (
            f"engineVersion {version!r} pins the minor while automatic minor upgrades are on: once AWS upgrades "
            f"the instance the stack drifts and a refresh plans a downgrade; pin the major ({version.split('.')[0]!r})"
        )
    elif not (isinstance(version, str) and re.fullmatch(r"\d+(\.\d+)?", version)):
        yield f"engineVersion {version!r} does not pin a major version"
    if not auto_minor:
        yield "autoMinorVersionUpgrade is false"


@REGISTRY.resource(
    "aws-rds-instance-require-multi-az",
    controls="DB-02",
    types=INSTANCE,
    severity="high",
    tier="stg+",
    description="Databases run Multi-AZ (a synchronous standby in another AZ).",
    remediation="Set groundwork:database.multiAz to true.",
)
def multi_az(r: Resource, ctx: PackContext) -> Iterator[str]:
    if r.props.flag("multiAz") is not True:
        yield "multiAz is not true"


@REGISTRY.resource(
    "aws-rds-instance-require-cmk-encryption",
    controls="DB-03",
    types=INSTANCE,
    severity="critical",
    description="Database storage is encrypted with a customer-managed KMS key.",
    remediation="storageEncrypted true and kmsKeyId set to the stack's data key.",
)
def cmk_encryption(r: Resource, ctx: PackContext) -> Iterator[str]:
    if r.props.flag("storageEncrypted") is not True and not r.props.has("snapshotIdentifier"):
        yield "storageEncrypted is not true"
    if not r.props.has("kmsKeyId"):
        yield "no customer-managed kmsKeyId (the AWS-managed aws/rds key would be used)"


@REGISTRY.stack(
    "aws-rds-instance-require-force-ssl",
    controls="DB-04",
    types=(INSTANCE, PARAMETER_GROUP),
    severity="critical",
    description="Every database uses a parameter group of this stack with rds.force_ssl=1 (TLS required).",
    remediation="Attach the Database component's parameter group (family postgresNN, rds.force_ssl = 1).",
)
def force_ssl(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    for db in g.of(INSTANCE):
        groups = g.targets(db, "parameterGroupName", PARAMETER_GROUP)
        if not groups:
            yield (
                f"database {db.name} does not use a parameter group of this stack (the default allows plain-text connections)",
                db.urn,
            )
        for pg in groups:
            params = {
                str(p.get("name")): str(p.get("value")) for p in pg.props.items("parameters") if isinstance(p, dict)
            }
            if params.get("rds.force_ssl") != "1":
                yield f"parameter group {pg.name} of {db.name} does not set rds.force_ssl=1", pg.urn
            family = pg.props.get("family")
            if isinstance(family, str) and not family.startswith("postgres"):
                yield f"parameter group {pg.name} has family {family}, not postgres", pg.urn


@REGISTRY.resource(
    "aws-rds-instance-not-public",
    controls="DB-05",
    types=INSTANCE,
    severity="critical",
    description="Databases are not publicly accessible.",
    remediation="Set publiclyAccessible to false.",
)
def not_public(r: Resource, ctx: PackContext) -> Iterator[str]:
    if r.props.flag("publiclyAccessible") is True:
        yield "publiclyAccessible is true"


@REGISTRY.stack(
    "aws-rds-instance-in-isolated-subnets",
    controls=("DB-05", "CACHE-05"),
    types=(
        INSTANCE,
        SUBNET_GROUP,
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:elasticache/subnetGroup:SubnetGroup",
        SUBNET,
    ),
    severity="high",
    description="Databases and caches sit in subnet groups of isolated subnets (no route to the internet).",
    remediation="Use the database subnet group of the Network component (isolated tier).",
)
def isolated_subnets(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    tiers = subnet_tiers(g)
    pairs = [
        (INSTANCE, "dbSubnetGroupName", SUBNET_GROUP),
        (
            "aws:elasticache/replicationGroup:ReplicationGroup",
            "subnetGroupName",
            "aws:elasticache/subnetGroup:SubnetGroup",
        ),
    ]
    for store_type, prop, group_type in pairs:
        for store in g.of(store_type):
            if not store.props.has(prop):
                yield f"{store.name} has no subnet group (it would land in the default VPC)", store.urn
                continue
            for sg in g.targets(store, prop, group_type):
                exposed = [tiers[u] for u in sg.deps("subnetIds") if tiers.get(u) in ("public", "private")]
                if exposed:
                    yield (
                        f"subnet group {sg.name} of {store.name} includes {', '.join(sorted(set(exposed)))} subnets",
                        sg.urn,
                    )


@REGISTRY.resource(
    "aws-rds-instance-require-backups",
    controls="DB-06",
    types=INSTANCE,
    severity="high",
    description="Automated backups are kept at least 7 days, backup and maintenance windows are set, tags are copied to snapshots.",
    remediation="groundwork:database.backupRetentionDays >= 7, backupWindow and maintenanceWindow set, copyTagsToSnapshot true.",
)
def backups(r: Resource, ctx: PackContext) -> Iterator[str]:
    days = r.props.number("backupRetentionPeriod")
    if days is None or days < 7:
        yield f"backupRetentionPeriod is {num(days)} days (at least 7)"
    for window in ("backupWindow", "maintenanceWindow"):
        if not r.props.has(window):
            yield f"{window} is not set"
    if r.props.flag("copyTagsToSnapshot") is not True:
        yield "copyTagsToSnapshot is not true"


@REGISTRY.resource(
    "aws-rds-instance-require-30-day-backups",
    controls="DB-06",
    types=INSTANCE,
    severity="high",
    tier="prod",
    description="Automated backups are kept at least 30 days.",
    remediation="Set groundwork:database.backupRetentionDays to 30 or more.",
)
def backups_prod(r: Resource, ctx: PackContext) -> Iterator[str]:
    days = r.props.number("backupRetentionPeriod")
    if days is None or days < 30:
        yield f"backupRetentionPeriod is {num(days)} days (at least 30)"


@REGISTRY.resource(
    "aws-rds-instance-require-deletion-protection",
    controls="DB-07",
    types=INSTANCE,
    severity="high",
    tier="stg+",
    description="Databases have deletion protection and take a final snapshot when deleted.",
    remediation="deletionProtection true, skipFinalSnapshot false and a finalSnapshotIdentifier.",
)
def deletion(r: Resource, ctx: PackContext) -> Iterator[str]:
    if r.props.flag("deletionProtection") is not True:
        yield "deletionProtection is not true"
    if r.props.flag("skipFinalSnapshot") is not False:
        yield "skipFinalSnapshot is not false"
    if not r.props.has("finalSnapshotIdentifier"):
        yield "no finalSnapshotIdentifier"


@REGISTRY.resource(
    "aws-rds-instance-require-protect",
    controls=("DB-07", "GOV-02"),
    types=INSTANCE,
    severity="high",
    tier="prod",
    description="The database is protected in Pulumi: no delete or replace without an explicit unprotect.",
    remediation="Keep groundwork:protect true; to replace on purpose, `pulumi state unprotect <urn>` for that run.",
)
def protected(r: Resource, ctx: PackContext) -> Iterator[str]:
    if not r.protect:
        yield "the resource is not protected"


@REGISTRY.resource(
    "aws-rds-instance-require-managed-password",
    controls=("DB-08", "SEC-01"),
    types=INSTANCE,
    severity="critical",
    description="The master password is never an input: RDS manages it in Secrets Manager (rotated), under the secrets key.",
    remediation="manageMasterUserPassword true with masterUserSecretKmsKeyId; remove password.",
)
def managed_password(r: Resource, ctx: PackContext) -> Iterator[str]:
    if r.props.has("password"):
        yield "a master password is passed as an input"
    if r.props.flag("manageMasterUserPassword") is not True and not r.props.has("replicateSourceDb"):
        yield "manageMasterUserPassword is not true"
    elif r.props.flag("manageMasterUserPassword") is True and not r.props.has("masterUserSecretKmsKeyId"):
        yield "the managed master secret is not encrypted with the stack's secrets key"


@REGISTRY.resource(
    "aws-rds-instance-require-log-exports",
    controls="DB-09",
    types=INSTANCE,
    severity="medium",
    description="PostgreSQL and upgrade logs are exported to CloudWatch Logs.",
    remediation="enabledCloudwatchLogsExports: [postgresql, upgrade].",
)
def log_exports(r: Resource, ctx: PackContext) -> Iterator[str]:
    exports = r.props.get("enabledCloudwatchLogsExports", [])
    missing = [e for e in LOG_EXPORTS if e not in as_list(exports)]
    if missing:
        yield f"log exports missing: {', '.join(missing)}"


@REGISTRY.resource(
    "aws-rds-instance-require-insights-and-monitoring",
    controls="DB-09",
    types=INSTANCE,
    severity="medium",
    tier="stg+",
    description="Performance Insights (KMS-encrypted) and enhanced monitoring are on.",
    remediation="performanceInsightsEnabled true with performanceInsightsKmsKeyId; monitoringInterval > 0 with a monitoringRoleArn.",
)
def insights(r: Resource, ctx: PackContext) -> Iterator[str]:
    if r.props.flag("performanceInsightsEnabled") is not True:
        yield "performanceInsightsEnabled is not true"
    elif not r.props.has("performanceInsightsKmsKeyId"):
        yield "Performance Insights has no customer-managed KMS key"
    interval = r.props.number("monitoringInterval", 0)
    if not interval:
        yield "enhanced monitoring is off (monitoringInterval 0)"
    elif not r.props.has("monitoringRoleArn"):
        yield "enhanced monitoring has no monitoringRoleArn"


@REGISTRY.resource(
    "aws-rds-instance-require-gp3-autoscaling",
    controls="DB-10",
    types=INSTANCE,
    severity="low",
    description="Storage is gp3 with an autoscaling ceiling above the allocated size.",
    remediation="storageType gp3 and maxAllocatedStorage > allocatedStorage.",
)
def gp3(r: Resource, ctx: PackContext) -> Iterator[str]:
    storage = r.props.get("storageType")
    if storage != "gp3":
        yield f"storageType is {storage!r}, not gp3"
    allocated = r.props.number("allocatedStorage")
    ceiling = r.props.number("maxAllocatedStorage")
    if not ceiling or (allocated is not None and ceiling <= allocated):
        yield f"maxAllocatedStorage {num(ceiling)} is not above allocatedStorage {num(allocated)} (no autoscaling)"


@REGISTRY.stack(
    "aws-rds-instance-require-connection-pooling",
    controls="DB-11",
    types=(INSTANCE, PROXY, PROXY_TARGET, HELM_RELEASE),
    severity="medium",
    tier="stg+",
    description="Services reach each database through a connection pool: an RDS Proxy requiring TLS, or PgBouncer in the cluster.",
    remediation="Set groundwork:database.pooling to rds-proxy (or pgbouncer).",
)
def pooling(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    pgbouncer = any("pgbouncer" in str(r.props.get("chart", "")) for r in g.of(HELM_RELEASE))
    for db in g.of(INSTANCE):
        targets = g.referencing(db, PROXY_TARGET, prop="dbInstanceIdentifier")
        proxies = [p for t in targets for p in g.targets(t, "dbProxyName", PROXY)]
        if not proxies and not pgbouncer:
            yield f"database {db.name} has no RDS Proxy target and no PgBouncer release", db.urn
        for p in proxies:
            if p.props.flag("requireTls") is not True:
                yield f"RDS Proxy {p.name} does not require TLS", p.urn
            if unknown(p.props.peek("auths")):
                continue
            for a in p.props.items("auths"):
                if isinstance(a, dict) and a.get("authScheme", "SECRETS") == "SECRETS" and not a.get("secretArn"):
                    yield f"RDS Proxy {p.name} authenticates with a secret it does not name", p.urn
