"""`groundwork dr drill` against recording fakes (no moto, fast): which snapshot it restores,
how it restores (never public, never Multi-AZ, deletable, tagged), that it always cleans up,
and how the report judges the RPO and RTO (issue 18). The end-to-end drill against moto is in
tests/test_dr.py."""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from typing import Any

import botocore.exceptions
import pytest

from groundwork.dr.aws import OperatorError
from groundwork.dr.drill import DrillReport, command_check, drill, newest_snapshot
from groundwork.dr.endpoints import Probe
from groundwork.dr.names import StackResources

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
R = StackResources(
    region="eu-west-1",
    dr_region="eu-central-1",
    database="groundwork-prod-db",
    cache="groundwork-prod-cache",
    backup_bucket="b",
    replica_bucket="rb",
    vault="groundwork-prod-vault",
    dr_vault="groundwork-prod-vault-dr",
)


def snap(identifier: str, minutes_ago: int, status: str = "available", arn: str | None = None) -> dict[str, Any]:
    return {
        "DBSnapshotIdentifier": identifier,
        "DBSnapshotArn": arn or f"arn:aws:rds:eu-central-1:111111111111:snapshot:{identifier}",
        "SnapshotCreateTime": NOW - dt.timedelta(minutes=minutes_ago),
        "Status": status,
    }


class Waiter:
    def __init__(self, rds: FakeRds) -> None:
        self.rds = rds

    def wait(self, **kwargs: Any) -> None:
        self.rds.calls.append(("wait", kwargs))
        time.sleep(0.05)  # a restore that takes a measurable moment
        if self.rds.fail_wait:
            raise RuntimeError("instance stuck in incompatible-restore")


class FakeRds:
    def __init__(
        self,
        snapshots: list[dict[str, Any]],
        fail_wait: bool = False,
        fail_delete: bool = False,
        fail_restore: bool = False,
        port: int | None = 5432,
    ) -> None:
        self.snapshots = snapshots
        self.fail_wait = fail_wait
        self.fail_delete = fail_delete
        self.fail_restore = fail_restore
        self.port = port
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def describe_db_snapshots(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("describe_db_snapshots", kwargs))
        return {"DBSnapshots": list(self.snapshots)}

    def restore_db_instance_from_db_snapshot(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("restore", kwargs))
        if self.fail_restore:
            raise RuntimeError("InsufficientDBInstanceCapacity")
        return {}

    def get_waiter(self, name: str) -> Waiter:
        assert name == "db_instance_available"
        return Waiter(self)

    def describe_db_instances(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("describe_db_instances", kwargs))
        endpoint: dict[str, Any] = {"Address": "drill.abc.eu-central-1.rds.amazonaws.com"}
        if self.port is not None:
            endpoint["Port"] = self.port
        return {"DBInstances": [{"Endpoint": endpoint}]}

    def delete_db_instance(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("delete", kwargs))
        if self.fail_delete:
            raise RuntimeError("throttled")
        return {}

    def called(self, name: str) -> list[dict[str, Any]]:
        return [k for n, k in self.calls if n == name]


class FakeBackup:
    def __init__(self, points: list[dict[str, Any]] | None = None, missing: bool = False) -> None:
        self.points = points or []
        self.missing = missing

    def list_recovery_points_by_backup_vault(self, **kwargs: Any) -> dict[str, Any]:
        assert kwargs == {"BackupVaultName": "groundwork-prod-vault-dr"}
        if self.missing:
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "ResourceNotFoundException", "Message": "no vault"}},
                "ListRecoveryPointsByBackupVault",
            )
        return {"RecoveryPoints": self.points}


def factory(rds: FakeRds, backup: FakeBackup | None = None) -> Any:
    seen_regions: list[str] = []

    def clients(service: str, region: str) -> Any:
        seen_regions.append(region)
        assert region == "eu-central-1", "the drill works in the DR region only"
        return rds if service == "rds" else (backup or FakeBackup())

    return clients


def run(rds: FakeRds, **kwargs: Any) -> DrillReport:
    args: dict[str, Any] = {"instance_class": "db.t4g.medium", "rpo_minutes": 60, "rto_minutes": 30, "wait_delay": 1}
    args.update(kwargs)
    return drill(factory(rds, args.pop("backup", None)), "prod", R, now=lambda: NOW, **args)


def test_the_newest_available_snapshot_of_the_database_in_the_dr_region() -> None:
    rds = FakeRds([snap("old", 300), snap("newest-failed", 5, status="failed"), snap("newer", 40)])
    chosen = newest_snapshot(factory(rds), R, "eu-central-1")
    assert chosen["DBSnapshotIdentifier"] == "newer"
    assert rds.called("describe_db_snapshots") == [{"DBInstanceIdentifier": "groundwork-prod-db"}]


def test_an_aws_backup_copy_counts_and_is_restored_by_its_arn() -> None:
    """A recovery point of the DR vault is an RDS snapshot whose ARN the restore must name (its
    identifier alone is not found: RDS API Reference, RestoreDBInstanceFromDBSnapshot,
    DBSnapshotIdentifier "the ARN ... for a shared or AWS Backup snapshot")."""
    arn = "arn:aws:rds:eu-central-1:111111111111:snapshot:awsbackup:job-0123"
    backup = FakeBackup(
        [
            {
                "RecoveryPointArn": arn,
                "CreationDate": NOW - dt.timedelta(minutes=10),
                "Status": "COMPLETED",
                "ResourceType": "RDS",
                "ResourceArn": "arn:aws:rds:eu-west-1:111111111111:db:groundwork-prod-db",
            },
            {
                "RecoveryPointArn": "arn:aws:ec2:eu-central-1::snapshot/snap-1",
                "CreationDate": NOW,
                "Status": "COMPLETED",
                "ResourceType": "EBS",
                "ResourceArn": "arn:aws:ec2:eu-west-1:111111111111:volume/vol-1",
            },
        ]
    )
    rds = FakeRds([snap("nightly", 60)])
    report = run(rds, backup=backup)
    [restore] = rds.called("restore")
    assert restore["DBSnapshotIdentifier"] == arn
    assert report.snapshot == "job-0123" and report.data_age == dt.timedelta(minutes=10)


def test_no_snapshot_is_one_operator_error() -> None:
    with pytest.raises(OperatorError, match="no snapshot of groundwork-prod-db in eu-central-1 to rehearse with"):
        run(FakeRds([snap("creating", 1, status="creating")]), backup=FakeBackup(missing=True))


def test_the_restore_is_private_single_az_deletable_tagged_and_sized() -> None:
    rds = FakeRds([snap("nightly", 45)])
    report = run(rds, db_subnet_group="dr-db", security_groups=["sg-1"])
    assert rds.called("restore") == [
        {
            "DBInstanceIdentifier": "groundwork-prod-db-drill-202612011200",
            "DBSnapshotIdentifier": "nightly",
            "DBInstanceClass": "db.t4g.medium",
            "PubliclyAccessible": False,
            "MultiAZ": False,
            "DeletionProtection": False,
            "Tags": [{"Key": "Purpose", "Value": "dr-drill"}, {"Key": "Stack", "Value": "prod"}],
            "DBSubnetGroupName": "dr-db",
            "VpcSecurityGroupIds": ["sg-1"],
        }
    ]
    assert report.instance == "groundwork-prod-db-drill-202612011200"
    [wait] = rds.called("wait")
    assert wait == {
        "DBInstanceIdentifier": report.instance,
        "WaiterConfig": {"Delay": 1, "MaxAttempts": 3600},
    }
    assert rds.called("delete") == [
        {"DBInstanceIdentifier": report.instance, "SkipFinalSnapshot": True, "DeleteAutomatedBackups": True}
    ]
    assert report.deleted and report.ok


def test_without_a_subnet_group_the_regions_default_vpc() -> None:
    rds = FakeRds([snap("nightly", 45)])
    run(rds)
    [restore] = rds.called("restore")
    assert "DBSubnetGroupName" not in restore and "VpcSecurityGroupIds" not in restore


def test_the_wait_lasts_an_hour_whatever_the_delay() -> None:
    rds = FakeRds([snap("nightly", 45)])
    run(rds, wait_delay=30)
    assert rds.called("wait")[0]["WaiterConfig"] == {"Delay": 30, "MaxAttempts": 120}
    rds = FakeRds([snap("nightly", 45)])
    run(rds, wait_delay=0)
    assert rds.called("wait")[0]["WaiterConfig"] == {"Delay": 0, "MaxAttempts": 3600}


def test_long_database_names_keep_the_instance_identifier_within_63() -> None:
    """An RDS DB instance identifier is at most 63 characters (RDS API Reference)."""
    long = StackResources(**{**R.__dict__, "database": "x" * 60})
    rds = FakeRds([snap("nightly", 45)])
    report = drill(factory(rds), "prod", long, instance_class="c", rpo_minutes=60, rto_minutes=30,
                   now=lambda: NOW, wait_delay=1)  # fmt: skip
    assert len(report.instance) == 63


def test_the_check_gets_the_instances_endpoint() -> None:
    seen: list[tuple[str, int, str]] = []

    def check(host: str, port: int, instance: str) -> tuple[bool, str]:
        seen.append((host, port, instance))
        return True, "1204 rows"

    report = run(FakeRds([snap("nightly", 45)]), check=check)
    assert seen == [("drill.abc.eu-central-1.rds.amazonaws.com", 5432, "groundwork-prod-db-drill-202612011200")]
    assert report.check == (True, "1204 rows") and report.ok


def test_a_failed_step_is_reported_and_the_instance_still_deleted() -> None:
    rds = FakeRds([snap("nightly", 45)], fail_wait=True)
    report = run(rds)
    assert report.errors == ["RuntimeError: instance stuck in incompatible-restore"]
    assert report.deleted and not report.ok and report.available_after is None
    assert "  restore time  did not finish (RTO 30 min: NOT met)" in report.render()


def test_a_failed_cleanup_says_what_to_delete() -> None:
    rds = FakeRds([snap("nightly", 45)], fail_delete=True)
    report = run(rds)
    assert not report.deleted and report.errors == ["cleanup failed: throttled"] and not report.ok
    assert "  cleanup       NOT deleted: delete groundwork-prod-db-drill-202612011200" in report.render()


def report_of(**kwargs: Any) -> DrillReport:
    base: dict[str, Any] = {
        "stack": "prod",
        "region": "eu-central-1",
        "snapshot": "nightly",
        "snapshot_time": NOW - dt.timedelta(minutes=60),
        "instance": "i",
        "started": NOW,
        "available_after": dt.timedelta(minutes=30),
        "deleted": True,
    }
    base.update(kwargs)
    return DrillReport(**base)


def test_the_verdict_at_the_rpo_and_rto_boundaries() -> None:
    """Met at exactly the objective, not a second later; a snapshot older than the RPO is said
    (point-in-time recovery meets it) without failing the drill."""
    at = report_of()
    assert at.ok and at.rpo == dt.timedelta(hours=1) and at.rto == dt.timedelta(minutes=30)
    lines = at.render()
    assert lines[2] == "  data age      60 min (RPO 60 min: met)"
    assert lines[3] == "  restore time  30 min (RTO 30 min: met)"
    late = report_of(available_after=dt.timedelta(minutes=30, seconds=1))
    assert not late.ok and late.render()[3] == "  restore time  30 min (RTO 30 min: NOT met)"
    old = report_of(snapshot_time=NOW - dt.timedelta(minutes=61))
    assert old.ok
    assert old.render()[2] == (
        "  data age      61 min (RPO 60 min: a snapshot alone does not meet it; point-in-time recovery does)"
    )
    assert not report_of(deleted=False).ok
    assert not report_of(check=(False, "0 rows")).ok and report_of(check=(True, "")).ok
    assert not report_of(errors=["x"]).ok
    assert not report_of(probes=[Probe("app-dr.example.com", (), None, "NXDOMAIN")]).ok
    assert report_of(probes=[Probe("app-dr.example.com", ("192.0.2.1",), 200)]).ok


def test_the_report_lines_and_json() -> None:
    r = report_of(check=(False, "0 rows"), probes=[Probe("app-dr.example.com", ("192.0.2.1",), 200)], errors=["boom"])
    assert r.render() == [
        "DR drill of prod in eu-central-1 on 2026-12-01 12:00 UTC",
        "  restored      nightly (taken 2026-12-01 11:00 UTC)",
        "  data age      60 min (RPO 60 min: met)",
        "  restore time  30 min (RTO 30 min: met)",
        "  check         FAILED: 0 rows",
        "  cleanup       temporary instance i deleted",
        "  endpoint      app-dr.example.com -> 192.0.2.1: HTTPS 200",
        "  error         boom",
        "verdict: FAIL",
    ]
    assert report_of().render()[4] == "  check         not given"
    assert report_of(check=(True, "")).render()[4] == "  check         passed"
    assert r.to_json() == {
        "stack": "prod",
        "region": "eu-central-1",
        "snapshot": "nightly",
        "snapshotTime": "2026-12-01T11:00:00+00:00",
        "dataAgeMinutes": 60.0,
        "rpoMinutes": 60.0,
        "instance": "i",
        "restoreSeconds": 1800.0,
        "rtoMinutes": 30.0,
        "check": {"passed": False, "output": "0 rows"},
        "deleted": True,
        "errors": ["boom"],
        "endpoints": [
            {"host": "app-dr.example.com", "addresses": ["192.0.2.1"], "status": 200, "error": "", "ok": True}
        ],
        "ok": False,
    }
    unfinished = report_of(available_after=None).to_json()
    assert unfinished["restoreSeconds"] is None and unfinished["check"] is None
    assert report_of(snapshot_time=NOW - dt.timedelta(seconds=90)).to_json()["dataAgeMinutes"] == 1.5


def test_endpoints_are_probed_with_the_path() -> None:
    asked: list[tuple[str, str]] = []

    def fake_probe(host: str, path: str) -> Probe:
        asked.append((host, path))
        return Probe(host, ("192.0.2.1",), 200)

    report = run(
        FakeRds([snap("nightly", 45)]),
        endpoints=["api-dr.example.com", "app-dr.example.com"],
        endpoint_path="/healthz",
        probe_endpoint=fake_probe,
    )
    assert asked == [("api-dr.example.com", "/healthz"), ("app-dr.example.com", "/healthz")]
    assert [p.host for p in report.probes] == ["api-dr.example.com", "app-dr.example.com"] and report.ok


def test_a_command_check_gets_the_endpoint_in_its_environment() -> None:
    check = command_check('echo "$DRILL_HOST:$DRILL_PORT/$DRILL_INSTANCE"; echo last line')
    assert check("h", 5433, "i") == (True, "last line")
    assert command_check('echo "$DRILL_HOST:$DRILL_PORT/$DRILL_INSTANCE"')("h", 5433, "i") == (True, "h:5433/i")
    assert command_check("echo oops >&2; exit 4")("h", 1, "i") == (False, "oops")
    assert command_check("exit 5")("h", 1, "i") == (False, "exit 5")
    assert command_check("sleep 5", timeout=1)("h", 1, "i") == (False, "timed out after 1 s")


def test_objectives_defaults_and_timing() -> None:
    """The objectives are the stack's, the restore time is measured in seconds, and by default
    the waiter asks every 30 s for an hour; a delay beyond an hour still asks once."""
    rds = FakeRds([snap("nightly", 45)])
    report = drill(factory(rds), "prod", R, instance_class="c", rpo_minutes=120, rto_minutes=45, now=lambda: NOW)
    assert (report.rpo, report.rto) == (dt.timedelta(minutes=120), dt.timedelta(minutes=45))
    assert rds.called("wait")[0]["WaiterConfig"] == {"Delay": 30, "MaxAttempts": 120}
    assert report.available_after is not None
    assert dt.timedelta(seconds=0.04) < report.available_after < dt.timedelta(seconds=5)
    assert rds.called("describe_db_instances") == [{"DBInstanceIdentifier": report.instance}]
    rds = FakeRds([snap("nightly", 45)])
    run(rds, wait_delay=7200)
    assert rds.called("wait")[0]["WaiterConfig"] == {"Delay": 7200, "MaxAttempts": 1}


def test_a_restore_that_never_started_deletes_nothing() -> None:
    rds = FakeRds([snap("nightly", 45)], fail_restore=True)
    report = run(rds)
    assert rds.called("delete") == [] and not report.deleted
    assert report.errors == ["RuntimeError: InsufficientDBInstanceCapacity"] and not report.ok


def test_an_endpoint_without_a_port_is_postgresqls_default() -> None:
    seen: list[int] = []

    def check(host: str, port: int, instance: str) -> tuple[bool, str]:
        seen.append(port)
        return True, ""

    run(FakeRds([snap("nightly", 45)], port=None), check=check)
    assert seen == [5432]


def test_minutes_and_seconds_in_the_json_to_a_tenth() -> None:
    r = report_of(snapshot_time=NOW - dt.timedelta(seconds=100), available_after=dt.timedelta(seconds=12.34))
    j = r.to_json()
    assert (j["dataAgeMinutes"], j["restoreSeconds"]) == (1.7, 12.3)


def test_a_hung_check_stops_after_five_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[Any] = []

    def fake_run(*args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs["timeout"])
        raise subprocess.TimeoutExpired(args[0], kwargs["timeout"])

    monkeypatch.setattr(subprocess, "run", fake_run)
    assert command_check("psql -c 'select 1'")("h", 5432, "i") == (False, "timed out after 300 s")
    assert asked == [300]
