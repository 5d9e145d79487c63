"""`groundwork dr drill`: rehearse the database restore in the DR region without touching production.

1. find the newest snapshot of the database in the DR region (an AWS Backup copy or a
   cross-region snapshot copy);
2. restore it into a temporary instance `<prefix>-drill-<time>` (same class, not public, in
   `--db-subnet-group` or the region's default VPC);
3. wait until it is available: the measured restore time;
4. run the check hook (a command given DRILL_HOST, DRILL_PORT, DRILL_INSTANCE; e.g. psql
   counting rows of a table) and record its result;
5. delete the temporary instance (always, also when a step failed);
6. report: the RPO seen (how old the restored data is), the restore time against the RTO,
   the check's result;
7. with `--endpoint HOST` (a rehearsal DR stack's hosts, `groundwork dr plan --rehearsal`): each
   host resolves and answers over HTTPS (groundwork/dr/endpoints.py), without touching
   production's records.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from groundwork.dr.aws import ClientFactory, OperatorError, call, human, utc
from groundwork.dr.endpoints import Probe, probe
from groundwork.dr.names import StackResources
from groundwork.dr.plan import _backup_snapshots

CheckResult = tuple[bool, str]
Check = Callable[[str, int, str], CheckResult]


@dataclass
class DrillReport:
    stack: str
    region: str
    snapshot: str
    snapshot_time: dt.datetime
    instance: str
    started: dt.datetime
    available_after: dt.timedelta | None = None
    check: CheckResult | None = None
    deleted: bool = False
    rpo: dt.timedelta = dt.timedelta(hours=1)
    rto: dt.timedelta = dt.timedelta(minutes=30)
    errors: list[str] = field(default_factory=list)
    probes: list[Probe] = field(default_factory=list)  # the DR stack's endpoints (--endpoint)

    @property
    def data_age(self) -> dt.timedelta:
        return self.started - self.snapshot_time

    @property
    def ok(self) -> bool:
        return (
            not self.errors
            and self.available_after is not None
            and self.available_after <= self.rto
            and (self.check is None or self.check[0])
            and self.deleted
            and all(p.ok for p in self.probes)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "region": self.region,
            "snapshot": self.snapshot,
            "snapshotTime": self.snapshot_time.isoformat(),
            "dataAgeMinutes": round(self.data_age.total_seconds() / 60, 1),
            "rpoMinutes": self.rpo.total_seconds() / 60,
            "instance": self.instance,
            "restoreSeconds": None if self.available_after is None else round(self.available_after.total_seconds(), 1),
            "rtoMinutes": self.rto.total_seconds() / 60,
            "check": None if self.check is None else {"passed": self.check[0], "output": self.check[1]},
            "deleted": self.deleted,
            "errors": self.errors,
            "endpoints": [
                {"host": p.host, "addresses": list(p.addresses), "status": p.status, "error": p.error, "ok": p.ok}
                for p in self.probes
            ],
            "ok": self.ok,
        }

    def render(self) -> list[str]:
        restore = human(self.available_after) if self.available_after is not None else "did not finish"
        lines = [
            f"DR drill of {self.stack} in {self.region} on {self.started:%Y-%m-%d %H:%M} UTC",
            f"  restored      {self.snapshot} (taken {self.snapshot_time:%Y-%m-%d %H:%M} UTC)",
            f"  data age      {human(self.data_age)} (RPO {human(self.rpo)}: "
            f"{'met' if self.data_age <= self.rpo else 'a snapshot alone does not meet it; point-in-time recovery does'})",
            f"  restore time  {restore} (RTO {human(self.rto)}: "
            f"{'met' if self.available_after is not None and self.available_after <= self.rto else 'NOT met'})",
            f"  check         {'not given' if self.check is None else ('passed' if self.check[0] else 'FAILED')}"
            + (f": {self.check[1]}" if self.check and self.check[1] else ""),
            f"  cleanup       {'temporary instance ' + self.instance + ' deleted' if self.deleted else 'NOT deleted: delete ' + self.instance}",
        ]
        lines += [p.render() for p in self.probes]
        lines += [f"  error         {e}" for e in self.errors]
        lines.append(f"verdict: {'PASS' if self.ok else 'FAIL'}")
        return lines


def command_check(command: str, timeout: int = 300) -> Check:
    """A shell command as the check hook, given the instance's endpoint in its environment."""

    def run(host: str, port: int, instance: str) -> CheckResult:
        import os

        env = {**os.environ, "DRILL_HOST": host, "DRILL_PORT": str(port), "DRILL_INSTANCE": instance}
        try:
            done = subprocess.run(command, shell=True, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return False, f"timed out after {timeout} s"
        output = (done.stdout.strip() or done.stderr.strip()).splitlines()
        return done.returncode == 0, output[-1] if output else f"exit {done.returncode}"

    return run


def newest_snapshot(clients: ClientFactory, r: StackResources, region: str) -> dict[str, Any]:
    rds = clients("rds", region)
    snaps = call("list database snapshots", rds.describe_db_snapshots, DBInstanceIdentifier=r.database).get(
        "DBSnapshots", []
    )
    snaps += _backup_snapshots(clients, r, region)
    snaps = [s for s in snaps if s.get("Status") == "available"]
    if not snaps:
        raise OperatorError(f"no snapshot of {r.database} in {region} to rehearse with; run `groundwork dr status`")
    return max(snaps, key=lambda s: utc(s["SnapshotCreateTime"]))  # type: ignore[no-any-return,arg-type,return-value]


def drill(
    clients: ClientFactory,
    stack: str,
    r: StackResources,
    *,
    instance_class: str,
    rpo_minutes: int,
    rto_minutes: int,
    check: Check | None = None,
    db_subnet_group: str | None = None,
    security_groups: list[str] | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    wait_delay: int = 30,
    endpoints: list[str] | None = None,
    endpoint_path: str = "/",
    probe_endpoint: Callable[[str, str], Probe] = probe,
) -> DrillReport:
    region = r.dr_region
    snap = newest_snapshot(clients, r, region)
    started = now()
    instance = f"{r.database}-drill-{started:%Y%m%d%H%M}"[:63]
    report = DrillReport(stack, region, snap["DBSnapshotIdentifier"], utc(snap["SnapshotCreateTime"]), instance, started,  # type: ignore[arg-type]
                         rpo=dt.timedelta(minutes=rpo_minutes), rto=dt.timedelta(minutes=rto_minutes))  # fmt: skip
    # the DR stack's public names (a rehearsal stack's `-dr` hosts): resolved and asked over HTTPS
    report.probes = [probe_endpoint(host, endpoint_path) for host in endpoints or []]
    rds = clients("rds", region)
    params: dict[str, Any] = {
        "DBInstanceIdentifier": instance,
        "DBSnapshotIdentifier": snap["DBSnapshotArn"]
        if ":awsbackup:" in snap["DBSnapshotArn"]
        else snap["DBSnapshotIdentifier"],
        "DBInstanceClass": instance_class,
        "PubliclyAccessible": False,
        "MultiAZ": False,
        "DeletionProtection": False,
        "Tags": [{"Key": "Purpose", "Value": "dr-drill"}, {"Key": "Stack", "Value": stack}],
    }
    if db_subnet_group:
        params["DBSubnetGroupName"] = db_subnet_group
    if security_groups:
        params["VpcSecurityGroupIds"] = security_groups
    created = False
    try:
        call("restore the drill instance", rds.restore_db_instance_from_db_snapshot, **params)
        created = True
        t0 = time.monotonic()
        rds.get_waiter("db_instance_available").wait(
            DBInstanceIdentifier=instance,
            WaiterConfig={"Delay": wait_delay, "MaxAttempts": max(1, 3600 // max(wait_delay, 1))},
        )
        report.available_after = dt.timedelta(seconds=time.monotonic() - t0)
        endpoint = call("read the drill instance", rds.describe_db_instances, DBInstanceIdentifier=instance)[
            "DBInstances"
        ][0].get("Endpoint", {})
        if check is not None:
            report.check = check(endpoint.get("Address", ""), int(endpoint.get("Port", 5432)), instance)
    except OperatorError:
        raise
    except Exception as exc:  # the drill reports what failed; the cleanup below still runs
        report.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        if created:
            try:
                call(
                    "delete the drill instance",
                    rds.delete_db_instance,
                    DBInstanceIdentifier=instance,
                    SkipFinalSnapshot=True,
                    DeleteAutomatedBackups=True,
                )
                report.deleted = True
            except Exception as exc:
                report.errors.append(f"cleanup failed: {exc}")
    return report
