"""`groundwork dr plan`: choose the recovery points in the DR region and write the DR stack file.

The newest restorable point at or before `--at` (default: now) in `--to-region`:
- database: a replicated automated backup whose restore window covers the time (point-in-time
  restore, the freshest option), else the newest snapshot there (an AWS Backup copy or a
  cross-region snapshot copy);
- cache: the newest snapshot there, if any (the cache is not copied across regions by the
  stack: without one it starts empty);
- backups: the replica bucket, adopted as the rebuilt stack's backup bucket.

`Pulumi.<stack>-dr.yaml` is the source stack file, comments and order kept, with the region, the
restore sources, the adopted bucket, a certificate of the new region, cross-region copies to the
lost region switched off, and those relaxations written as dated exemptions. Physical names
derive from the stack name, so `<stack>-dr` collides with nothing of the source stack.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.exceptions
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from groundwork.dr.aws import ClientFactory, OperatorError, call, missing, utc
from groundwork.dr.endpoints import rehearsal_host
from groundwork.dr.names import StackResources
from groundwork.settings.model import StackSettings


@dataclass
class Choice:
    kind: str  # point-in-time | snapshot | cache-snapshot | bucket
    ref: str
    at: dt.datetime | None
    detail: str = ""


@dataclass
class EdgePlan:
    """How the DR stack's public names are served (EDGE-06).

    It adopts the source stack's zone (a rebuild does not create a second zone of the same name:
    the parent delegates to one). Taking the traffic, its ExternalDNS uses the source stack's owner
    ID, so it takes over the API's records that ExternalDNS owns under that ID and points them at the
    DR load balancer; rehearsing, it serves `<first label>-dr.<domain>` and touches no production
    record."""

    zone_id: str
    take_traffic: bool
    api_host: str | None
    record_owner: str | None


@dataclass
class DrPlan:
    source_stack: str
    stack: str
    region: str
    at: dt.datetime | None
    database: Choice
    cache: Choice | None
    bucket: Choice | None
    certificate_arn: str | None
    notes: list[str] = field(default_factory=list)
    edge: EdgePlan | None = None

    def to_json(self) -> dict[str, Any]:
        def c(x: Choice | None) -> Any:
            return (
                None
                if x is None
                else {"kind": x.kind, "ref": x.ref, "at": x.at.isoformat() if x.at else None, "detail": x.detail}
            )

        return {
            "sourceStack": self.source_stack,
            "stack": self.stack,
            "region": self.region,
            "at": self.at.isoformat() if self.at else None,
            "database": c(self.database),
            "cache": c(self.cache),
            "bucket": c(self.bucket),
            "certificateArn": self.certificate_arn,
            "edge": None
            if self.edge is None
            else {
                "zoneId": self.edge.zone_id,
                "takesTraffic": self.edge.take_traffic,
                "apiHost": self.edge.api_host,
                "recordOwner": self.edge.record_owner,
            },
            "notes": self.notes,
        }


def choose_database(clients: ClientFactory, r: StackResources, region: str, at: dt.datetime | None) -> Choice:
    rds = clients("rds", region)
    backups = call(
        "read replicated automated backups", rds.describe_db_instance_automated_backups, DBInstanceIdentifier=r.database
    ).get("DBInstanceAutomatedBackups", [])
    for b in backups:
        w = b.get("RestoreWindow") or {}
        earliest, latest = utc(w.get("EarliestTime")), utc(w.get("LatestTime"))
        if earliest is None or latest is None:
            continue
        if at is None:
            return Choice("point-in-time", b["DBInstanceAutomatedBackupsArn"], latest, "latest restorable time")
        if earliest <= at <= latest:
            return Choice(
                "point-in-time",
                b["DBInstanceAutomatedBackupsArn"],
                at,
                f"window {earliest:%Y-%m-%d %H:%M} to {latest:%Y-%m-%d %H:%M}",
            )
    snaps = call("list database snapshots", rds.describe_db_snapshots, DBInstanceIdentifier=r.database).get(
        "DBSnapshots", []
    )
    snaps += _backup_snapshots(clients, r, region)
    eligible = [
        s
        for s in snaps
        if s.get("Status") == "available" and (at is None or utc(s["SnapshotCreateTime"]) <= at)  # type: ignore[operator]
    ]
    if not eligible:
        when = f"at or before {at:%Y-%m-%d %H:%M} UTC" if at else "at all"
        raise OperatorError(
            f"nothing of {r.database} is restorable in {region} {when}: no replicated automated backup covers it and no "
            f"snapshot is there; run `groundwork dr status` and pick another --at or --to-region"
        )
    newest = max(eligible, key=lambda s: utc(s["SnapshotCreateTime"]))  # type: ignore[arg-type,return-value]
    return Choice(
        "snapshot", newest["DBSnapshotArn"], utc(newest["SnapshotCreateTime"]), newest.get("DBSnapshotIdentifier", "")
    )


def _backup_snapshots(clients: ClientFactory, r: StackResources, region: str) -> list[dict[str, Any]]:
    """RDS recovery points of the DR vault, as snapshot records (their ARNs are RDS snapshot ARNs)."""
    try:
        points = call(
            "list recovery points",
            clients("backup", region).list_recovery_points_by_backup_vault,
            BackupVaultName=r.dr_vault,
        ).get("RecoveryPoints", [])
    except botocore.exceptions.ClientError as exc:
        if missing(exc):
            return []
        raise
    return [
        {
            "DBSnapshotArn": p["RecoveryPointArn"],
            "DBSnapshotIdentifier": p["RecoveryPointArn"].rpartition(":")[2],
            "SnapshotCreateTime": p["CreationDate"],
            "Status": "available" if p.get("Status") == "COMPLETED" else p.get("Status"),
        }
        for p in points
        if p.get("ResourceType") == "RDS" and r.database in p.get("ResourceArn", "")
    ]


def choose_cache(clients: ClientFactory, r: StackResources, region: str, at: dt.datetime | None) -> Choice | None:
    try:
        snaps = call(
            "list cache snapshots", clients("elasticache", region).describe_snapshots, ReplicationGroupId=r.cache
        ).get("Snapshots", [])
    except botocore.exceptions.ClientError as exc:
        if missing(exc):
            return None
        raise
    dated = []
    for s in snaps:
        created = utc(((s.get("NodeSnapshots") or [{}])[0]).get("SnapshotCreateTime"))
        if created and (at is None or created <= at):
            dated.append((created, s["SnapshotName"]))
    if not dated:
        return None
    created, name = max(dated)
    return Choice("cache-snapshot", name, created)


def choose_bucket(clients: ClientFactory, r: StackResources, region: str) -> Choice | None:
    try:
        call("find the replica bucket", clients("s3", region).head_bucket, Bucket=r.replica_bucket)
    except botocore.exceptions.ClientError as exc:
        if missing(exc):
            return None
        raise
    return Choice("bucket", r.replica_bucket, None, "adopted as the backup bucket")


def find_certificate(clients: ClientFactory, region: str, host: str | None) -> str | None:
    if not host:
        return None
    acm = clients("acm", region)
    listing = call("list certificates", acm.list_certificates, CertificateStatuses=["ISSUED"]).get(
        "CertificateSummaryList", []
    )
    parent = "*." + host.split(".", 1)[1] if "." in host else host
    for c in listing:
        if c.get("DomainName") in (host, parent) or host in (c.get("SubjectAlternativeNameSummaries") or []):
            return str(c["CertificateArn"])
    return None


def find_zone(clients: ClientFactory, domain: str) -> str:
    """The ID of the account's one public hosted zone named `domain` (Route 53 is global)."""
    route53 = clients("route53", "us-east-1")
    zones = call("list hosted zones", route53.list_hosted_zones_by_name, DNSName=domain).get("HostedZones", [])
    public = [z for z in zones if z["Name"].rstrip(".") == domain and not (z.get("Config") or {}).get("PrivateZone")]
    if not public:
        raise OperatorError(f"no public hosted zone {domain} in the account; is groundwork:edge.domain right?")
    if len(public) > 1:
        raise OperatorError(
            f"{len(public)} public hosted zones are named {domain}; pass the stack's outputs (--outputs) so its zoneId "
            "says which"
        )
    return str(public[0]["Id"]).rpartition("/")[2]


def choose_edge(
    clients: ClientFactory, settings: StackSettings, r: StackResources, *, rehearsal: bool
) -> EdgePlan | None:
    e = settings.edge
    if not e.domain:
        return None
    zone_id = e.zone_id or r.zone_id or find_zone(clients, e.domain)
    host = settings.ingress.host if settings.ingress.enabled else None
    if rehearsal:
        return EdgePlan(zone_id, False, rehearsal_host(host) if host else None, None)
    return EdgePlan(zone_id, True, host, e.record_owner or settings.name_prefix)


def choose(
    clients: ClientFactory,
    settings: StackSettings,
    r: StackResources,
    region: str,
    at: dt.datetime | None,
    *,
    certificate_arn: str | None = None,
    rehearsal: bool = False,
) -> DrPlan:
    if region == settings.region:
        raise OperatorError(
            f"--to-region {region} is the stack's own region; rebuild in another region (e.g. {settings.dr_region})"
        )
    database = choose_database(clients, r, region, at)
    cache = choose_cache(clients, r, region, at)
    bucket = choose_bucket(clients, r, region)
    edge = choose_edge(clients, settings, r, rehearsal=rehearsal)
    cert = certificate_arn
    # with a managed zone the DR stack requests and validates its own certificate (components/edge.py)
    needs_cert = settings.ingress.enabled and settings.ingress.certificate_arn is not None and edge is None
    if needs_cert and cert is None:
        cert = find_certificate(clients, region, settings.ingress.host)
        if cert is None:
            raise OperatorError(
                f"no issued ACM certificate for {settings.ingress.host} in {region} (ACM certificates are regional): "
                f"request one there, or pass --certificate-arn"
            )
    plan = DrPlan(settings.stack, f"{settings.stack}-dr", region, at, database, cache, bucket, cert, edge=edge)
    if edge is not None and edge.take_traffic:
        plan.notes.append(
            f"the DR stack takes over {edge.api_host}: once its load balancer is up, its ExternalDNS (owner "
            f"{edge.record_owner}) points the record at it; before failing back, scale the DR stack's ExternalDNS to "
            "zero or destroy the DR stack, or the two clusters take turns writing the record"
        )
    if edge is not None and settings.edge.frontend is not None:
        plan.notes.append(
            f"the frontend CDN is global and keeps {settings.edge.frontend.host} (an alternate domain name belongs to "
            "one distribution): its /api path follows the API's record to the DR region; its assets bucket is in "
            f"{settings.region}: copy the assets to a bucket in {region} and point the distribution's origin at it"
        )
    if cache is None:
        plan.notes.append("no cache snapshot in the DR region: the cache starts empty and fills from the database")
    if bucket is None:
        plan.notes.append(
            f"the replica bucket {r.replica_bucket} is not in {region}: the DR stack creates an empty backup bucket"
        )
    plan.notes.append("generated application secrets are new in the DR stack: sessions signed with the old keys end")
    plan.notes.append(
        "point the services' image references at the DR region's registry (ECR replicated them) before syncing"
    )
    return plan


# ---------------------------------------------------------------------------------------------
# the stack file
# ---------------------------------------------------------------------------------------------


def _yaml() -> YAML:
    y = YAML()
    y.preserve_quotes = True
    y.width = 120
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def _section(config: CommentedMap, key: str) -> CommentedMap:
    if key not in config or not isinstance(config[key], dict):
        config[key] = CommentedMap()
    return config[key]  # type: ignore[no-any-return]


def write_stack_file(project_dir: Path, plan: DrPlan, settings: StackSettings, *, today: dt.date | None = None) -> Path:
    """Write Pulumi.<stack>-dr.yaml from the source stack file, keeping its comments and order."""
    today = today or dt.date.today()
    source = project_dir / f"Pulumi.{plan.source_stack}.yaml"
    y = _yaml()
    doc = y.load(source.read_text())
    doc.pop("encryptedkey", None)  # the DR stack gets its own data key at `pulumi stack init`
    config: CommentedMap = doc["config"]
    old_region = settings.region
    config["aws:region"] = plan.region
    config["groundwork:drRegion"] = old_region

    database = _section(config, "groundwork:database")
    if plan.database.kind == "point-in-time":
        pitr: dict[str, Any] = {"sourceDbInstanceAutomatedBackupsArn": plan.database.ref}
        if plan.at is None:
            pitr["useLatestRestorableTime"] = True
        else:
            pitr["restoreTime"] = plan.at.strftime("%Y-%m-%dT%H:%M:%SZ")
        database["restore"] = CommentedMap({"pointInTime": CommentedMap(pitr)})
    else:
        database["restore"] = CommentedMap({"snapshotIdentifier": plan.database.ref})
    database["replicateBackupsToDr"] = False
    if plan.cache is not None:
        _section(config, "groundwork:cache")["restoreSnapshotName"] = plan.cache.ref
    backups = _section(config, "groundwork:backups")
    if plan.bucket is not None:
        backups["adoptBucket"] = plan.bucket.ref
    backups["replicateToDr"] = False
    backups["copyToDr"] = False
    _section(config, "groundwork:secrets")["replicateToDr"] = False
    _section(config, "groundwork:registry")["replicateToDr"] = False
    if plan.certificate_arn:
        _section(config, "groundwork:ingress")["certificateArn"] = plan.certificate_arn
    edge_exemption = None
    if plan.edge is not None:
        edge = _section(config, "groundwork:edge")
        edge["zoneId"] = plan.edge.zone_id
        # Route 53 allows one query-logging configuration per zone, and the zone is already signed:
        # both stay with the source stack, which owns the zone
        edge["dnssec"] = False
        edge["queryLogging"] = False
        edge.pop("frontend", None)  # CloudFront is global: the source stack's distribution keeps its host
        ingress = _section(config, "groundwork:ingress")
        ingress.pop("certificateArn", None)  # an override is of the lost region; the DR stack requests its own
        if plan.edge.take_traffic:
            edge["recordOwner"] = plan.edge.record_owner
        elif plan.edge.api_host:
            ingress["host"] = plan.edge.api_host
        edge_exemption = (
            f"the zone is Pulumi.{plan.source_stack}.yaml's, which signs it and logs its queries (one query-logging "
            "configuration per zone)"
        )

    expires = (today + dt.timedelta(days=30)).isoformat()
    reason = f"DR stack running in {plan.region} while {old_region} is lost; copies to it resume at fail-back"
    exemptions = config.get("groundwork:exemptions")
    if not isinstance(exemptions, list):
        exemptions = CommentedSeq()
        config["groundwork:exemptions"] = exemptions
    present = {e.get("control") for e in exemptions}
    for control in ("DR-03", "DR-04"):
        if control in present:
            continue
        exemptions.append(CommentedMap({"control": control, "reason": reason, "expires": expires}))
    if edge_exemption and "EDGE-05" not in present:
        exemptions.append(CommentedMap({"control": "EDGE-05", "reason": edge_exemption, "expires": expires}))

    header = (
        f"Generated by `groundwork dr plan` on {today.isoformat()} from Pulumi.{plan.source_stack}.yaml:\n"
        f"rebuild of {plan.source_stack} in {plan.region} from {plan.database.kind} {plan.database.ref}"
        + (f" at {plan.database.at:%Y-%m-%d %H:%M} UTC" if plan.database.at else "")
        + ".\nApply: pulumi stack init "
        + plan.stack
        + " (with the stack's secrets provider), then pulumi up -s "
        + plan.stack
        + ".\n"
    )
    target = project_dir / f"Pulumi.{plan.stack}.yaml"
    buf = io.StringIO()
    y.dump(doc, buf)  # keeps the source file's own comments, its top comment included
    target.write_text("".join(f"# {line}\n" for line in header.splitlines()) + buf.getvalue())
    return target


def summary(plan: DrPlan) -> str:
    return json.dumps(plan.to_json(), indent=2)
