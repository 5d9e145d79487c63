"""`groundwork dr status`: the newest recovery point of every stateful resource, in the primary
and the DR region, against the stack's RPO (DR-05).

What passes: the database has a point in the DR region no older than the RPO (replicated
automated backups give point-in-time recovery there; AWS Backup copies and cross-region
snapshots count too), and the backup bucket replicates to the DR region with nothing failed.
Everything else is reported for the operator: the primary region's points, the vaults' newest
recovery points, the cache's snapshots (the cache is not copied: a rebuild starts it empty).
The primary region may be unreachable (a regional outage): its rows then say so and the
verdict rests on the DR region alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import botocore.exceptions

from groundwork.dr.aws import ClientFactory, OperatorError, age, call, human, missing, utc
from groundwork.dr.names import StackResources


@dataclass
class Point:
    """One row of the status: the newest recovery point of one kind in one region."""

    resource: str
    kind: str
    region: str
    latest: dt.datetime | None
    ref: str = ""  # ARN or identifier to restore from
    detail: str = ""
    critical: bool = False  # counts for the verdict
    ok: bool | None = None  # None: informational

    def to_json(self, now: dt.datetime) -> dict[str, Any]:
        a = age(now, self.latest)
        return {
            "resource": self.resource,
            "kind": self.kind,
            "region": self.region,
            "latest": self.latest.isoformat() if self.latest else None,
            "ageMinutes": None if a is None else round(a.total_seconds() / 60, 1),
            "ref": self.ref,
            "detail": self.detail,
            "critical": self.critical,
            "ok": self.ok,
        }


@dataclass
class Status:
    stack: str
    rpo: dt.timedelta
    now: dt.datetime
    points: list[Point] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(p.ok is not False for p in self.points if p.critical)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "rpoMinutes": self.rpo.total_seconds() / 60,
            "checkedAt": self.now.isoformat(),
            "ok": self.ok,
            "problems": self.problems,
            "points": [p.to_json(self.now) for p in self.points],
        }

    def render(self) -> list[str]:
        lines = [f"DR status of {self.stack} at {self.now:%Y-%m-%d %H:%M} UTC (RPO {human(self.rpo)})"]
        wr = max([len(p.resource) for p in self.points] + [8])
        wk = max([len(p.kind) for p in self.points] + [4])
        for p in self.points:
            mark = {True: "ok  ", False: "FAIL", None: "    "}[p.ok]
            when = p.latest.strftime("%Y-%m-%d %H:%M") if p.latest else "-"
            lines.append(
                f"  {mark} {p.resource:<{wr}} {p.kind:<{wk}} {p.region:<14} {when:<16} "
                f"{human(age(self.now, p.latest)):>9}  {p.detail}"
            )
        lines += [f"  FAIL {x}" for x in self.problems]
        lines.append(f"verdict: {'PASS' if self.ok else 'FAIL'}")
        return lines


def _newest(items: list[dict[str, Any]], key: str) -> dict[str, Any] | None:
    dated = [i for i in items if i.get(key)]
    return max(dated, key=lambda i: utc(i[key])) if dated else None  # type: ignore[arg-type,return-value]


def database_points(clients: ClientFactory, r: StackResources, region: str, *, primary: bool) -> list[Point]:
    rds = clients("rds", region)
    out: list[Point] = []
    if primary:
        try:
            inst = call("read the database", rds.describe_db_instances, DBInstanceIdentifier=r.database)["DBInstances"][
                0
            ]
            out.append(
                Point(
                    r.database,
                    "point-in-time (latest restorable)",
                    region,
                    utc(inst.get("LatestRestorableTime")),
                    inst.get("DBInstanceArn", ""),
                    f"retention {inst.get('BackupRetentionPeriod', '?')} days",
                )
            )
        except botocore.exceptions.ClientError as exc:
            if not missing(exc):
                raise
            out.append(Point(r.database, "instance", region, None, detail="not found in this region"))
    else:
        backups = call(
            "read replicated automated backups",
            rds.describe_db_instance_automated_backups,
            DBInstanceIdentifier=r.database,
        ).get("DBInstanceAutomatedBackups", [])
        for b in backups:
            window = b.get("RestoreWindow") or {}
            out.append(
                Point(
                    r.database,
                    "replicated automated backups (PITR)",
                    region,
                    utc(window.get("LatestTime")),
                    b.get("DBInstanceAutomatedBackupsArn", ""),
                    f"restorable from {utc(window.get('EarliestTime')):%Y-%m-%d %H:%M}"
                    if window.get("EarliestTime")
                    else "",
                    critical=True,
                )
            )
    snaps = call("list database snapshots", rds.describe_db_snapshots, DBInstanceIdentifier=r.database).get(
        "DBSnapshots", []
    )
    snaps = [s for s in snaps if s.get("Status") == "available"]
    newest = _newest(snaps, "SnapshotCreateTime")
    out.append(
        Point(
            r.database,
            "snapshot",
            region,
            utc(newest["SnapshotCreateTime"]) if newest else None,
            newest.get("DBSnapshotArn", "") if newest else "",
            f"{len(snaps)} available",
            critical=not primary,
        )
    )
    return out


def vault_points(clients: ClientFactory, vault: str, region: str, *, dr: bool) -> list[Point]:
    backup = clients("backup", region)
    try:
        points = call("list recovery points", backup.list_recovery_points_by_backup_vault, BackupVaultName=vault).get(
            "RecoveryPoints", []
        )
    except botocore.exceptions.ClientError as exc:
        if not missing(exc):
            raise
        return [Point(vault, "AWS Backup vault", region, None, detail="vault not found")]
    out = []
    for kind in sorted({p.get("ResourceType", "?") for p in points}):
        done = [p for p in points if p.get("ResourceType") == kind and p.get("Status") == "COMPLETED"]
        newest = _newest(done, "CreationDate")
        out.append(
            Point(
                vault,
                f"AWS Backup {kind} recovery point",
                region,
                utc(newest["CreationDate"]) if newest else None,
                newest.get("RecoveryPointArn", "") if newest else "",
                f"{len(done)} completed" + (" (DR copies)" if dr else ""),
            )
        )
    if not points:
        out.append(Point(vault, "AWS Backup recovery points", region, None, detail="none yet"))
    return out


def cache_points(clients: ClientFactory, r: StackResources, region: str) -> list[Point]:
    ec = clients("elasticache", region)
    try:
        snaps = call("list cache snapshots", ec.describe_snapshots, ReplicationGroupId=r.cache).get("Snapshots", [])
    except botocore.exceptions.ClientError as exc:
        if not missing(exc):
            raise
        snaps = []
    dated = [
        (utc(n.get("SnapshotCreateTime")), s)
        for s in snaps
        for n in (s.get("NodeSnapshots") or [{}])[:1]
        if n.get("SnapshotCreateTime")
    ]
    newest = max(dated, key=lambda x: x[0]) if dated else None  # type: ignore[arg-type,return-value]
    return [
        Point(
            r.cache,
            "cache snapshot",
            region,
            newest[0] if newest else None,
            newest[1]["SnapshotName"] if newest else "",
            f"{len(snaps)} snapshots" if snaps else "none (a rebuild starts the cache empty)",
        )
    ]


def bucket_points(
    clients: ClientFactory, r: StackResources, now: dt.datetime, rpo: dt.timedelta
) -> tuple[list[Point], list[str]]:
    problems: list[str] = []
    out: list[Point] = []
    s3p, s3d = clients("s3", r.region), clients("s3", r.dr_region)
    destination = ""
    try:
        rules = call("read bucket replication", s3p.get_bucket_replication, Bucket=r.backup_bucket)[
            "ReplicationConfiguration"
        ]["Rules"]
        enabled = [x for x in rules if x.get("Status") == "Enabled"]
        destination = (enabled[0].get("Destination") or {}).get("Bucket", "") if enabled else ""
        ok = bool(enabled) and destination.endswith(f":::{r.replica_bucket}")
        out.append(Point(r.backup_bucket, "replication rule", r.region, None, destination,
                         "enabled to the replica" if ok else "no enabled rule to the replica", critical=True, ok=ok))  # fmt: skip
        # the newest source objects must have reached the replica
        listed = call("list backup objects", s3p.list_objects_v2, Bucket=r.backup_bucket, MaxKeys=1000).get(
            "Contents", []
        )
        for obj in sorted(listed, key=lambda o: o["LastModified"], reverse=True)[:5]:
            head = call("read an object's replication status", s3p.head_object, Bucket=r.backup_bucket, Key=obj["Key"])
            state = head.get("ReplicationStatus", "PENDING")
            written = utc(obj["LastModified"]) or now
            if state == "FAILED" or (state != "COMPLETED" and now - written > rpo):
                problems.append(
                    f"{r.backup_bucket}/{obj['Key']}: replication {state} (written {human(now - written)} ago)"
                )
    except botocore.exceptions.EndpointConnectionError:
        out.append(Point(r.backup_bucket, "replication rule", r.region, None, detail="primary region unreachable"))
    except botocore.exceptions.ClientError as exc:
        if not missing(exc) and exc.response.get("Error", {}).get("Code") != "ReplicationConfigurationNotFoundError":
            raise
        out.append(
            Point(r.backup_bucket, "replication rule", r.region, None, detail="primary bucket or rule not found")
        )
    try:
        listed = call("list replica objects", s3d.list_objects_v2, Bucket=r.replica_bucket, MaxKeys=1000).get(
            "Contents", []
        )
        times = [t for t in (utc(o["LastModified"]) for o in listed) if t is not None]
        newest = max(times) if times else None
        out.append(Point(r.replica_bucket, "replica bucket (newest object)", r.dr_region, newest, r.replica_bucket,
                         f"{len(listed)}{'+' if len(listed) == 1000 else ''} objects", critical=True, ok=True))  # fmt: skip
    except botocore.exceptions.ClientError as exc:
        if not missing(exc):
            raise
        out.append(
            Point(r.replica_bucket, "replica bucket", r.dr_region, None, detail="not found", critical=True, ok=False)
        )
    return out, problems


def status(
    clients: ClientFactory,
    stack: str,
    r: StackResources,
    *,
    rpo_minutes: int,
    now: dt.datetime | None = None,
    replicate_bucket: bool = True,
    aws_backup: bool = True,
) -> Status:
    now = now or dt.datetime.now(dt.UTC)
    rpo = dt.timedelta(minutes=rpo_minutes)
    st = Status(stack, rpo, now)
    try:
        st.points += database_points(clients, r, r.region, primary=True)
        st.points += cache_points(clients, r, r.region)
        if aws_backup:
            st.points += vault_points(clients, r.vault, r.region, dr=False)
    except OperatorError:
        raise
    except (botocore.exceptions.ClientError, botocore.exceptions.EndpointConnectionError) as exc:
        st.points.append(Point("primary region", "unreachable", r.region, None, detail=str(exc).splitlines()[0]))
    st.points += database_points(clients, r, r.dr_region, primary=False)
    if aws_backup:
        st.points += vault_points(clients, r.dr_vault, r.dr_region, dr=True)
    st.points += cache_points(clients, r, r.dr_region)
    if replicate_bucket:
        bucket, problems = bucket_points(clients, r, now, rpo)
        st.points += bucket
        st.problems += problems
    # the verdict on the database: its freshest point in the DR region must be within the RPO;
    # older kinds of points there are shown for information
    db_dr = [p for p in st.points if p.critical and p.resource == r.database and p.region == r.dr_region]
    dated: list[dt.datetime] = [p.latest for p in db_dr if p.latest is not None]
    freshest = max(dated) if dated else None
    for p in db_dr:
        if freshest is not None and p.latest == freshest:
            p.ok = now - freshest <= rpo
        else:
            p.critical, p.ok = False, None
    if freshest is None:
        st.problems.append(f"{r.database}: nothing restorable in {r.dr_region}")
    return st
