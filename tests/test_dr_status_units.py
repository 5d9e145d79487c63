"""`groundwork dr status` against recording fakes (issue 18): the backup bucket's replication
verdict, the vaults' newest points, the cache snapshots, and how a row and the verdict are
printed. tests/test_dr.py runs the whole command against moto and Stubber."""

from __future__ import annotations

import datetime as dt
from typing import Any

import botocore.exceptions
import pytest

from groundwork.dr.names import StackResources
from groundwork.dr.status import Point, Status, bucket_points, cache_points, vault_points

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
    points, problems = bucket_points(factory({("s3", R.region): src, ("s3", R.dr_region): replica()}), R, NOW, RPO)
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
    snaps = [
        {"SnapshotName": "a", "NodeSnapshots": [{"SnapshotCreateTime": ago(90)}]},
        {"SnapshotName": "b", "NodeSnapshots": [{"SnapshotCreateTime": ago(20)}, {"SnapshotCreateTime": ago(1)}]},
        {"SnapshotName": "c", "NodeSnapshots": []},
    ]
    ec = Fake({"describe_snapshots": {"Snapshots": snaps}})
    (p,) = cache_points(factory({("elasticache", R.region): ec}), R, R.region)
    assert (p.resource, p.kind, p.latest, p.ref, p.detail) == (R.cache, "cache snapshot", ago(20), "b", "3 snapshots")
    assert ec.calls == [("describe_snapshots", {"ReplicationGroupId": R.cache})]
    none = Fake({"describe_snapshots": _error("ReplicationGroupNotFoundFault")})
    (p,) = cache_points(factory({("elasticache", R.dr_region): none}), R, R.dr_region)
    assert (p.latest, p.ref, p.detail) == (None, "", "none (a rebuild starts the cache empty)")


def test_a_status_prints_each_row_and_its_verdict() -> None:
    st = Status("prod", RPO, NOW)
    st.points = [
        Point(R.database, "point-in-time", R.dr_region, ago(3), "arn:db", "replicated", critical=True, ok=True),
        Point(R.cache, "cache snapshot", R.region, None, detail="none"),
    ]
    assert st.ok is True
    assert st.render() == [
        "DR status of prod at 2026-11-21 12:00 UTC (RPO 60 min)",
        f"  ok   {R.database:<21} point-in-time  eu-central-1   2026-11-21 11:57     3 min  replicated",
        f"       {R.cache:<21} cache snapshot eu-west-1      {'-':<16} {'-':>9}  none",
        "verdict: PASS",
    ]
    assert st.to_json()["points"][0] == {
        "resource": R.database,
        "kind": "point-in-time",
        "region": R.dr_region,
        "latest": "2026-11-21T11:57:00+00:00",
        "ageMinutes": 3.0,
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
