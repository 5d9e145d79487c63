"""`groundwork dr status` against recording fakes (issue 18): the backup bucket's replication
verdict, the vaults' newest points, the cache snapshots, and how a row and the verdict are
printed. tests/test_dr.py runs the whole command against moto and Stubber."""

from __future__ import annotations

import datetime as dt
from typing import Any

import botocore.exceptions
import pytest

from groundwork.dr.names import StackResources
from groundwork.dr.status import Point, Status, bucket_points, cache_points, database_points, status, vault_points

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
RPO = dt.timedelta(minutes=60)
R = StackResources(
    region="eu-west-1",
    dr_region="eu-central-1",
    database="groundwork-prod-db",
    cache="groundwork-prod-cache",
    backup_bucket="groundwork-prod-backups",
    replica_bucket="groundwork-prod-backups-replica",
    vault="groundwork-prod-vault",
    dr_vault="groundwork-prod-dr-vault",
)


def _error(code: str) -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": "m"}}, "Op")


class Fake:
    """One service in one region: each API answers from `answers` (a value or an exception)."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers, self.calls = answers, []  # type: ignore[var-annotated]

    def __getattr__(self, api: str) -> Any:
        def call(**kwargs: Any) -> Any:
            self.calls.append((api, kwargs))
            answer = self.answers[api]
            if isinstance(answer, Exception):
                raise answer
            return answer(**kwargs) if callable(answer) else answer

        return call


def factory(services: dict[tuple[str, str], Fake]) -> Any:
    return lambda service, region: services[(service, region)]


def ago(minutes: float) -> dt.datetime:
    return NOW - dt.timedelta(minutes=minutes)


def s3(
    rule_status: str = "Enabled",
    destination: str | None = None,
    objects: list[dict[str, Any]] | None = None,
    states: dict[str, str] | None = None,
) -> Fake:
    return Fake(
        {
            "get_bucket_replication": {
                "ReplicationConfiguration": {
                    "Rules": [
                        {"Status": "Disabled", "Destination": {"Bucket": "arn:aws:s3:::elsewhere"}},
                        {
                            "Status": rule_status,
                            "Destination": {"Bucket": destination or f"arn:aws:s3:::{R.replica_bucket}"},
                        },
                    ]
                }
            },
            "list_objects_v2": {"Contents": objects or []},
            "head_object": lambda Bucket, Key: (
                {"ReplicationStatus": (states or {}).get(Key)} if (states or {}).get(Key) else {}
            ),
        }
    )


def replica(count: int = 2, newest: float = 5) -> Fake:
    return Fake(
        {"list_objects_v2": {"Contents": [{"Key": f"k{i}", "LastModified": ago(newest + i)} for i in range(count)]}}
    )


def test_the_bucket_passes_with_an_enabled_rule_to_the_replica_and_its_objects_replicated() -> None:
    objects = [{"Key": f"k{i}", "LastModified": ago(i)} for i in range(7)]
    src = s3(objects=objects, states={f"k{i}": "COMPLETED" for i in range(7)})
    replica_ = replica()
    points, problems = bucket_points(factory({("s3", R.region): src, ("s3", R.dr_region): replica_}), R, NOW, RPO)
    rule, copy = points
    assert (rule.critical, rule.ok, rule.detail, rule.ref) == (
        True,
        True,
        "enabled to the replica",
        f"arn:aws:s3:::{R.replica_bucket}",
    )
    assert (copy.resource, copy.region, copy.latest, copy.ok, copy.critical) == (
        R.replica_bucket,
        R.dr_region,
        ago(5),
        True,
        True,
    )
    assert copy.detail == "2 objects" and problems == []
    # the five newest objects are checked, newest first
    assert [kw["Key"] for api, kw in src.calls if api == "head_object"] == ["k0", "k1", "k2", "k3", "k4"]
    assert ("list_objects_v2", {"Bucket": R.backup_bucket, "MaxKeys": 1000}) in src.calls
    assert ("get_bucket_replication", {"Bucket": R.backup_bucket}) in src.calls
    # one page of the replica is read: "1000+" below means the page was full
    assert replica_.calls == [("list_objects_v2", {"Bucket": R.replica_bucket, "MaxKeys": 1000})]


@pytest.mark.parametrize(
    ("rule_status", "destination"),
    [("Disabled", None), ("Enabled", "arn:aws:s3:::someone-elses-bucket")],
)
def test_a_rule_that_is_off_or_goes_elsewhere_fails(rule_status: str, destination: str | None) -> None:
    src = s3(rule_status, destination)
    (rule, _), _ = bucket_points(factory({("s3", R.region): src, ("s3", R.dr_region): replica()}), R, NOW, RPO)
    assert (rule.ok, rule.detail) == (False, "no enabled rule to the replica")


def test_objects_failed_or_pending_past_the_rpo_are_problems() -> None:
    """FAILED always; PENDING (or no status yet) only once older than the RPO: replication of a
    new object takes minutes (S3 User Guide, "Replication status information")."""
    objects = [
        {"Key": "failed", "LastModified": ago(1)},
        {"Key": "late", "LastModified": ago(61)},
        {"Key": "due", "LastModified": ago(60)},
        {"Key": "fresh", "LastModified": ago(2)},
    ]
    src = s3(objects=objects, states={"failed": "FAILED", "late": "PENDING", "due": "PENDING"})
    _, problems = bucket_points(factory({("s3", R.region): src, ("s3", R.dr_region): replica()}), R, NOW, RPO)
    assert problems == [
        f"{R.backup_bucket}/failed: replication FAILED (written 60 s ago)",
        f"{R.backup_bucket}/late: replication PENDING (written 61 min ago)",
    ]


def test_an_unreachable_or_missing_primary_is_reported_and_a_missing_replica_fails() -> None:
    down = Fake({"get_bucket_replication": botocore.exceptions.EndpointConnectionError(endpoint_url="https://s3")})
    (rule, copy), problems = bucket_points(
        factory({("s3", R.region): down, ("s3", R.dr_region): replica(1000)}), R, NOW, RPO
    )
    assert (rule.detail, rule.ok, rule.critical) == ("primary region unreachable", None, False)
    assert copy.detail == "1000+ objects" and problems == []
    for code in ("NoSuchBucket", "ReplicationConfigurationNotFoundError"):
        gone = Fake({"get_bucket_replication": _error(code)})
        lost = Fake({"list_objects_v2": _error("NoSuchBucket")})
        (rule, copy), _ = bucket_points(factory({("s3", R.region): gone, ("s3", R.dr_region): lost}), R, NOW, RPO)
        assert rule.detail == "primary bucket or rule not found"
        assert (copy.detail, copy.critical, copy.ok) == ("not found", True, False)
    refused = Fake({"get_bucket_replication": _error("Throttling")})
    with pytest.raises(botocore.exceptions.ClientError):
        bucket_points(factory({("s3", R.region): refused, ("s3", R.dr_region): replica()}), R, NOW, RPO)


def test_a_vault_shows_its_newest_completed_point_per_resource_type() -> None:
    points = [
        {"ResourceType": "RDS", "Status": "COMPLETED", "CreationDate": ago(30), "RecoveryPointArn": "old"},
        {"ResourceType": "RDS", "Status": "COMPLETED", "CreationDate": ago(10), "RecoveryPointArn": "new"},
        {"ResourceType": "RDS", "Status": "PARTIAL", "CreationDate": ago(1), "RecoveryPointArn": "partial"},
        {"ResourceType": "S3", "Status": "EXPIRED", "CreationDate": ago(5), "RecoveryPointArn": "gone"},
    ]
    backup = Fake({"list_recovery_points_by_backup_vault": {"RecoveryPoints": points}})
    rds, s3_ = vault_points(factory({("backup", R.dr_region): backup}), R.dr_vault, R.dr_region, dr=True)
    assert (rds.kind, rds.latest, rds.ref, rds.detail) == (
        "AWS Backup RDS recovery point",
        ago(10),
        "new",
        "2 completed (DR copies)",
    )
    assert (s3_.latest, s3_.ref, s3_.detail) == (None, "", "0 completed (DR copies)")
    assert rds.critical is False and rds.ok is None
    empty = Fake({"list_recovery_points_by_backup_vault": {"RecoveryPoints": []}})
    (none,) = vault_points(factory({("backup", R.region): empty}), R.vault, R.region, dr=False)
    assert (none.kind, none.detail) == ("AWS Backup recovery points", "none yet")
    missing = Fake({"list_recovery_points_by_backup_vault": _error("ResourceNotFoundException")})
    (gone,) = vault_points(factory({("backup", R.region): missing}), R.vault, R.region, dr=False)
    assert gone.detail == "vault not found"
    (one,) = vault_points(
        factory({("backup", R.region): Fake({"list_recovery_points_by_backup_vault": {"RecoveryPoints": points[:1]}})}),
        R.vault,
        R.region,
        dr=False,
    )
    assert one.detail == "1 completed"


def test_the_cache_shows_its_newest_snapshot_or_that_a_rebuild_starts_empty() -> None:
    snaps: list[dict[str, Any]] = [
        {"SnapshotName": "a", "NodeSnapshots": [{"SnapshotCreateTime": ago(90)}]},
        {"SnapshotName": "b", "NodeSnapshots": [{"SnapshotCreateTime": ago(20)}, {"SnapshotCreateTime": ago(1)}]},
        {"SnapshotName": "c", "NodeSnapshots": []},
    ]
    ec = Fake({"describe_snapshots": {"Snapshots": snaps}})
    (p,) = cache_points(factory({("elasticache", R.region): ec}), R, R.region)
    assert (p.resource, p.kind, p.latest, p.ref, p.detail) == (R.cache, "cache snapshot", ago(20), "b", "3 snapshots")
    assert ec.calls == [("describe_snapshots", {"ReplicationGroupId": R.cache})]
    # two snapshots of the same second (a manual one beside the daily one): the first listed
    tie = Fake({"describe_snapshots": {"Snapshots": [snaps[1], {**snaps[1], "SnapshotName": "b2"}]}})
    (p,) = cache_points(factory({("elasticache", R.region): tie}), R, R.region)
    assert (p.latest, p.ref) == (ago(20), "b")
    none = Fake({"describe_snapshots": _error("ReplicationGroupNotFoundFault")})
    (p,) = cache_points(factory({("elasticache", R.dr_region): none}), R, R.dr_region)
    assert (p.latest, p.ref, p.detail) == (None, "", "none (a rebuild starts the cache empty)")


def test_a_status_prints_each_row_and_its_verdict() -> None:
    st = Status("prod", RPO, NOW)
    st.points = [
        Point(R.database, "point-in-time", R.dr_region, ago(2.75), "arn:db", "replicated", critical=True, ok=True),
        Point(R.cache, "cache snapshot", R.region, None, detail="none"),
    ]
    assert st.ok is True
    assert st.render() == [
        "DR status of prod at 2026-11-21 12:00 UTC (RPO 60 min)",
        f"  ok   {R.database:<21} point-in-time  eu-central-1   2026-11-21 11:57     2 min  replicated",
        f"       {R.cache:<21} cache snapshot eu-west-1      {'-':<16} {'-':>9}  none",
        "verdict: PASS",
    ]
    assert st.to_json()["points"][0] == {
        "resource": R.database,
        "kind": "point-in-time",
        "region": R.dr_region,
        "latest": "2026-11-21T11:57:15+00:00",
        "ageMinutes": 2.8,  # minutes, to one decimal
        "ref": "arn:db",
        "detail": "replicated",
        "critical": True,
        "ok": True,
    }
    assert st.to_json()["points"][1]["ageMinutes"] is None and st.to_json()["points"][1]["latest"] is None
    assert (st.to_json()["rpoMinutes"], st.to_json()["checkedAt"], st.to_json()["ok"]) == (60.0, NOW.isoformat(), True)
    st.points[0].ok = False
    assert st.ok is False and st.render()[-1] == "verdict: FAIL" and st.render()[1].startswith("  FAIL ")
    st.points[0].ok, st.problems = True, ["bucket: replication FAILED"]
    assert st.ok is False and st.render()[-2:] == ["  FAIL bucket: replication FAILED", "verdict: FAIL"]
    st.points[0].critical, st.points[0].ok, st.problems = False, False, []
    assert st.ok is True  # an informational row never fails the verdict


def test_short_names_still_print_in_columns() -> None:
    """The resource and kind columns are at least 8 and 4 wide, so a short row still lines up."""
    st = Status("dev", RPO, NOW)
    st.points = [Point("db", "pit", R.dr_region, None)]
    assert st.render()[1] == f"       {'db':<8} {'pit':<4} {R.dr_region:<14} {'-':<16} {'-':>9}  "


# ---------------------------------------------------------------------------------------------
# The database's points and the whole status
# ---------------------------------------------------------------------------------------------


def by_instance(key: str, items: dict[str, list[dict[str, Any]]]) -> Any:
    """An RDS describe call answered for the instance it names (the API filters by it)."""
    return lambda DBInstanceIdentifier: {key: items.get(DBInstanceIdentifier, [])}


def rds(instances: Any = None, snapshots: list[dict[str, Any]] | None = None, backups: Any = None) -> Fake:
    other = [{"Status": "available", "SnapshotCreateTime": ago(1), "DBSnapshotArn": "someone-elses"}]
    return Fake(
        {
            "describe_db_instances": instances
            if instances is not None
            else by_instance(
                "DBInstances",
                {
                    R.database: [
                        {
                            "LatestRestorableTime": ago(4),
                            "DBInstanceArn": "arn:db",
                            "BackupRetentionPeriod": 14,
                        }
                    ]
                },
            ),
            "describe_db_snapshots": by_instance(
                "DBSnapshots", {R.database: snapshots or [], "groundwork-prod-other": other}
            ),
            "describe_db_instance_automated_backups": backups
            if backups is not None
            else by_instance("DBInstanceAutomatedBackups", {}),
        }
    )


SNAPSHOTS = [
    {"Status": "available", "SnapshotCreateTime": ago(300), "DBSnapshotArn": "old"},
    {"Status": "available", "SnapshotCreateTime": ago(100), "DBSnapshotArn": "new"},
    {"Status": "creating", "SnapshotCreateTime": ago(2), "DBSnapshotArn": "unfinished"},
]


def test_the_primary_database_shows_its_latest_restorable_time_and_its_snapshots() -> None:
    """In the primary region the instance's LatestRestorableTime is its point-in-time row, and its
    snapshots (available ones only, of this instance only) are informational."""
    pitr, snap = database_points(factory({("rds", R.region): rds(snapshots=SNAPSHOTS)}), R, R.region, primary=True)
    assert (pitr.kind, pitr.region, pitr.latest, pitr.ref, pitr.detail) == (
        "point-in-time (latest restorable)",
        R.region,
        ago(4),
        "arn:db",
        "retention 14 days",
    )
    assert (pitr.critical, pitr.ok) == (False, None)
    assert (snap.kind, snap.latest, snap.ref, snap.detail, snap.critical) == (
        "snapshot",
        ago(100),
        "new",
        "2 available",
        False,
    )


def test_a_primary_instance_that_is_gone_is_said_and_other_errors_are_not_hidden() -> None:
    gone = rds(instances=_error("DBInstanceNotFound"))
    row, snap = database_points(factory({("rds", R.region): gone}), R, R.region, primary=True)
    assert (row.kind, row.latest, row.detail) == ("instance", None, "not found in this region")
    assert (snap.latest, snap.detail) == (None, "0 available")
    with pytest.raises(botocore.exceptions.ClientError):
        database_points(factory({("rds", R.region): rds(instances=_error("Throttling"))}), R, R.region, primary=True)


def test_the_dr_region_counts_replicated_backups_and_snapshots() -> None:
    """In the DR region the replicated automated backups give point-in-time recovery (their
    restore window), and the copied snapshots count for the verdict too."""
    backups = by_instance(
        "DBInstanceAutomatedBackups",
        {
            R.database: [
                {
                    "RestoreWindow": {"EarliestTime": ago(3 * 1440), "LatestTime": ago(7)},
                    "DBInstanceAutomatedBackupsArn": "arn:replicated",
                },
                {"DBInstanceAutomatedBackupsArn": "arn:starting"},
            ]
        },
    )
    fake = rds(snapshots=SNAPSHOTS, backups=backups)
    pitr, starting, snap = database_points(factory({("rds", R.dr_region): fake}), R, R.dr_region, primary=False)
    assert (pitr.kind, pitr.latest, pitr.ref, pitr.detail, pitr.critical) == (
        "replicated automated backups (PITR)",
        ago(7),
        "arn:replicated",
        "restorable from 2026-11-18 12:00",
        True,
    )
    assert (starting.latest, starting.detail, starting.critical) == (None, "", True)
    assert (snap.latest, snap.critical) == (ago(100), True)
    assert "describe_db_instances" not in [api for api, _ in fake.calls]


def world(dr_backup_minutes: float | None, **primary: Fake) -> Any:
    """Both regions of a stack: a healthy primary (unless replaced) and a DR region whose replicated
    backups end `dr_backup_minutes` ago (None: no replicated backups)."""
    backups = (
        []
        if dr_backup_minutes is None
        else [{"RestoreWindow": {"LatestTime": ago(dr_backup_minutes)}, "DBInstanceAutomatedBackupsArn": "arn:r"}]
    )
    vault = {
        "RecoveryPoints": [
            {"ResourceType": "RDS", "Status": "COMPLETED", "CreationDate": ago(600), "RecoveryPointArn": "rp"}
        ]
    }
    objects = [{"Key": "k", "LastModified": ago(3)}]
    services = {
        ("rds", R.region): rds(snapshots=SNAPSHOTS),
        ("elasticache", R.region): Fake({"describe_snapshots": {"Snapshots": []}}),
        ("backup", R.region): Fake({"list_recovery_points_by_backup_vault": vault}),
        ("s3", R.region): s3(objects=objects, states={"k": "COMPLETED"}),
        ("rds", R.dr_region): rds(
            snapshots=SNAPSHOTS[:1], backups=by_instance("DBInstanceAutomatedBackups", {R.database: backups})
        ),
        ("backup", R.dr_region): Fake({"list_recovery_points_by_backup_vault": vault}),
        ("elasticache", R.dr_region): Fake({"describe_snapshots": {"Snapshots": []}}),
        ("s3", R.dr_region): replica(),
    }
    services.update({(name, R.region): fake for name, fake in primary.items()})
    return factory(services)


def rows(st: Status) -> list[tuple[str, str, str, bool, bool | None]]:
    return [(p.resource, p.kind, p.region, p.critical, p.ok) for p in st.points]


def test_the_whole_status_checks_every_store_in_both_regions_by_default() -> None:
    st = status(world(10), "prod", R, rpo_minutes=60, now=NOW)
    assert rows(st) == [
        (R.database, "point-in-time (latest restorable)", R.region, False, None),
        (R.database, "snapshot", R.region, False, None),
        (R.cache, "cache snapshot", R.region, False, None),
        (R.vault, "AWS Backup RDS recovery point", R.region, False, None),
        (R.database, "replicated automated backups (PITR)", R.dr_region, True, True),
        # older than the replicated backups: shown, not judged
        (R.database, "snapshot", R.dr_region, False, None),
        (R.dr_vault, "AWS Backup RDS recovery point", R.dr_region, False, None),
        (R.cache, "cache snapshot", R.dr_region, False, None),
        (R.backup_bucket, "replication rule", R.region, True, True),
        (R.replica_bucket, "replica bucket (newest object)", R.dr_region, True, True),
    ]
    assert [p.detail for p in st.points if p.resource in (R.vault, R.dr_vault)] == [
        "1 completed",
        "1 completed (DR copies)",
    ]
    assert st.ok and st.problems == [] and st.now == NOW and st.rpo == RPO


def test_stores_the_stack_does_not_have_are_not_checked() -> None:
    st = status(world(10), "prod", R, rpo_minutes=60, now=NOW, replicate_bucket=False, aws_backup=False)
    assert {p.resource for p in st.points} == {R.database, R.cache}
    assert st.ok


@pytest.mark.parametrize(("minutes", "ok"), [(60, True), (60.5, False)])
def test_the_dr_database_passes_up_to_the_rpo_itself(minutes: float, ok: bool) -> None:
    """DR-05: the newest restorable point in the DR region may be as old as the RPO, not older."""
    st = status(world(minutes), "prod", R, rpo_minutes=60, now=NOW)
    (verdict,) = [p for p in st.points if p.critical and p.resource == R.database]
    assert (verdict.latest, verdict.ok) == (ago(minutes), ok)
    assert st.ok is ok


def test_with_nothing_replicated_the_newest_dr_snapshot_is_judged() -> None:
    st = status(world(None), "prod", R, rpo_minutes=60, now=NOW)
    (verdict,) = [p for p in st.points if p.critical and p.resource == R.database]
    assert (verdict.kind, verdict.latest, verdict.ok) == ("snapshot", ago(300), False)


def test_nothing_restorable_in_the_dr_region_is_a_problem() -> None:
    empty = world(None)

    def clients(service: str, region: str) -> Any:
        if (service, region) == ("rds", R.dr_region):
            return rds(backups=by_instance("DBInstanceAutomatedBackups", {}))
        return empty(service, region)

    st = status(clients, "prod", R, rpo_minutes=60, now=NOW)
    assert st.problems == [f"{R.database}: nothing restorable in {R.dr_region}"] and not st.ok
    assert all(not p.critical for p in st.points if p.resource == R.database)


def test_an_unreachable_primary_region_leaves_the_verdict_to_the_dr_region() -> None:
    down = Fake({"describe_db_instances": botocore.exceptions.EndpointConnectionError(endpoint_url="https://rds")})
    st = status(world(10, rds=down), "prod", R, rpo_minutes=60, now=NOW)
    assert rows(st)[0] == ("primary region", "unreachable", R.region, False, None)
    assert st.points[0].detail.startswith("Could not connect to the endpoint URL")
    assert st.ok
