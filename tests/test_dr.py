"""Disaster recovery tooling against moto (and botocore Stubber where moto lacks an API: RDS
automated-backup replication, AWS Backup recovery points, ElastiCache node snapshots, service
quotas). The scenario: prod in eu-west-1 copies to eu-central-1, then eu-west-1 is lost."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from typer.testing import CliRunner

from groundwork.cli import app
from groundwork.doctor import doctor
from groundwork.dr import aws as dr_aws
from groundwork.dr.aws import OperatorError
from groundwork.dr.drill import command_check, drill
from groundwork.dr.names import expected
from groundwork.dr.plan import EdgePlan, choose, write_stack_file
from groundwork.dr.status import status
from groundwork.plan import load_stack_config, run_program
from groundwork.settings import load_settings
from tests.conftest import ROOT, section, stack_config

ACCOUNT = "333333333333"
PRIMARY, DR = "eu-west-1", "eu-central-1"
DB = "groundwork-prod-db"
PITR_ARN = f"arn:aws:rds:{DR}:{ACCOUNT}:auto-backup:ab-6c3wvpm4e3sm6cbdwsbhkpwv6a"
runner = CliRunner()


def settings(stack: str = "prod", **overrides: Any) -> Any:
    cfg = stack_config(stack, **overrides)
    return load_settings(cfg.config, project="groundwork", stack=stack, today=dt.date(2026, 11, 21))


class Routed:
    """A client whose listed APIs go to a stubbed client (moto lacks them); the rest to moto."""

    def __init__(self, real: Any, stubbed: Any, apis: set[str]) -> None:
        self._real, self._stubbed, self._apis = real, stubbed, apis

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stubbed if name in self._apis else self._real, name)


class World:
    """moto clients plus stubs, as the tooling's client factory."""

    def __init__(self) -> None:
        self.stubs: dict[tuple[str, str], Stubber] = {}
        self.routes: dict[tuple[str, str], Routed] = {}
        self.down: set[str] = set()

    def stub(self, service: str, region: str, apis: set[str]) -> Stubber:
        stubbed = boto3.client(service, region_name=region)
        stubber = Stubber(stubbed)
        stubber.activate()
        self.stubs[(service, region)] = stubber
        self.routes[(service, region)] = Routed(boto3.client(service, region_name=region), stubbed, apis)
        return stubber

    def __call__(self, service: str, region: str) -> Any:
        if region in self.down:
            return Down(region)
        return self.routes.get((service, region)) or boto3.client(service, region_name=region)


class Down:
    """Every call to a lost region fails the way an unreachable endpoint does."""

    def __init__(self, region: str) -> None:
        self.region = region

    def __getattr__(self, name: str) -> Any:
        def fail(**_: Any) -> Any:
            raise botocore.exceptions.EndpointConnectionError(
                endpoint_url=f"https://{name}.{self.region}.amazonaws.com"
            )

        return fail


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for k, v in {
        "MOTO_ACCOUNT_ID": ACCOUNT,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": PRIMARY,
    }.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield World()


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def build_prod(world: World, *, lose_primary: bool = True) -> dict[str, Any]:
    """prod's copies in the DR region: a snapshot copy of the database and the replica bucket
    with backups in it; then (by default) the primary region's database and bucket are lost."""
    r = expected(settings(), ACCOUNT)
    rds_p, rds_d = boto3.client("rds", region_name=PRIMARY), boto3.client("rds", region_name=DR)
    rds_p.create_db_instance(DBInstanceIdentifier=DB, DBInstanceClass="db.t4g.medium", Engine="postgres",
                             MasterUsername="groundwork_admin", MasterUserPassword="not-used-here", AllocatedStorage=20)  # fmt: skip
    snap = rds_p.create_db_snapshot(DBInstanceIdentifier=DB, DBSnapshotIdentifier="prod-nightly")["DBSnapshot"]
    copy = rds_d.copy_db_snapshot(SourceDBSnapshotIdentifier=snap["DBSnapshotArn"], TargetDBSnapshotIdentifier="prod-nightly-copy",
                                  SourceRegion=PRIMARY)["DBSnapshot"]  # fmt: skip
    s3p, s3d = boto3.client("s3", region_name=PRIMARY), boto3.client("s3", region_name=DR)
    s3p.create_bucket(Bucket=r.backup_bucket, CreateBucketConfiguration={"LocationConstraint": PRIMARY})
    s3d.create_bucket(Bucket=r.replica_bucket, CreateBucketConfiguration={"LocationConstraint": DR})
    for client, bucket in ((s3p, r.backup_bucket), (s3d, r.replica_bucket)):
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3p.put_bucket_replication(
        Bucket=r.backup_bucket,
        ReplicationConfiguration={
            "Role": f"arn:aws:iam::{ACCOUNT}:role/groundwork-prod-backups-replication",
            "Rules": [{"ID": "all", "Status": "Enabled", "Priority": 1, "Filter": {}, "DeleteMarkerReplication": {"Status": "Disabled"},
                       "Destination": {"Bucket": f"arn:aws:s3:::{r.replica_bucket}"}}],
        },
    )  # fmt: skip
    s3d.put_object(Bucket=r.replica_bucket, Key="daily/orders.dump", Body=b"pg_dump")
    # prod's public zone (groundwork:edge.domain): Route 53 is global, it survives the region
    zone = (
        boto3.client("route53", region_name="us-east-1")
        .create_hosted_zone(Name="example.com", CallerReference="prod")["HostedZone"]["Id"]
        .rsplit("/", 1)[-1]
    )
    if lose_primary:
        rds_p.delete_db_instance(DBInstanceIdentifier=DB, SkipFinalSnapshot=True)
        rds_p.delete_db_snapshot(DBSnapshotIdentifier="prod-nightly")
        world.down.add(PRIMARY)
    return {"resources": r, "copy": copy, "zone": zone}


def stub_dr_copies(
    world: World, *, latest: dt.datetime | None, vault_points: list[dict[str, Any]] | None = None
) -> None:
    """The DR region's replicated automated backups (PITR) and AWS Backup copies (moto lacks both)."""
    rds = world.stub("rds", DR, {"describe_db_instance_automated_backups"})
    backups = []
    if latest is not None:
        backups = [{"DBInstanceAutomatedBackupsArn": PITR_ARN, "DBInstanceIdentifier": DB, "Region": PRIMARY, "Status": "replicating",
                    "RestoreWindow": {"EarliestTime": latest - dt.timedelta(days=30), "LatestTime": latest}}]  # fmt: skip
    for _ in range(4):  # status, plan and drill each ask
        rds.add_response(
            "describe_db_instance_automated_backups",
            {"DBInstanceAutomatedBackups": backups},
            {"DBInstanceIdentifier": DB},
        )
    backup = world.stub("backup", DR, {"list_recovery_points_by_backup_vault"})
    for _ in range(4):
        backup.add_response(
            "list_recovery_points_by_backup_vault",
            {"RecoveryPoints": vault_points or []},
            {"BackupVaultName": "groundwork-prod-vault-dr"},
        )
    cache = world.stub("elasticache", DR, {"describe_snapshots"})
    for _ in range(4):
        cache.add_response("describe_snapshots", {"Snapshots": []}, {"ReplicationGroupId": "groundwork-prod-cache"})


# --------------------------------------------------------------------------------------------- names


def test_derived_names_are_the_ones_the_program_creates(prod) -> None:  # type: ignore[no-untyped-def]
    r = expected(settings(), ACCOUNT)
    by_type = {t: {x.props.get("name") or x.props.get("identifier") or x.props.get("replicationGroupId") for x in prod.of_type(t)}
               for t in ("aws:rds/instance:Instance", "aws:elasticache/replicationGroup:ReplicationGroup", "aws:backup/vault:Vault")}  # fmt: skip
    assert by_type["aws:rds/instance:Instance"] == {r.database}
    assert by_type["aws:elasticache/replicationGroup:ReplicationGroup"] == {r.cache}
    assert by_type["aws:backup/vault:Vault"] == {r.vault, r.dr_vault}
    buckets = {b.outputs["bucket"] for b in prod.of_type("aws:s3/bucket:Bucket")}
    assert {r.backup_bucket, r.replica_bucket} <= buckets
    assert (
        r.backup_bucket == f"groundwork-prod-backups-{ACCOUNT}"
        and r.replica_bucket == f"groundwork-prod-backups-dr-{ACCOUNT}"
    )


# --------------------------------------------------------------------------------------------- status


def test_status_passes_on_the_dr_copies_alone_after_the_primary_is_lost(aws: World) -> None:
    built = build_prod(aws)
    stub_dr_copies(aws, latest=now())  # replication lags minutes behind; the snapshot copy is older
    st = status(aws, "prod", built["resources"], rpo_minutes=60, now=now() + dt.timedelta(minutes=7))
    assert st.ok, st.render()
    rows = {(p.region, p.kind): p for p in st.points}
    assert rows[(PRIMARY, "unreachable")].detail.startswith("Could not connect")
    pitr = rows[(DR, "replicated automated backups (PITR)")]
    assert pitr.ok is True and pitr.critical and pitr.ref == PITR_ARN
    snapshot = rows[(DR, "snapshot")]
    assert snapshot.ref == built["copy"]["DBSnapshotArn"] and snapshot.ok is None  # older kind: informational
    assert rows[(DR, "replica bucket (newest object)")].ok is True
    print("\n".join(st.render()))  # the closing note quotes this report


def test_status_fails_when_the_dr_copies_are_older_than_the_rpo(aws: World) -> None:
    built = build_prod(aws)
    stub_dr_copies(aws, latest=None)
    late = now() + dt.timedelta(hours=3)  # three hours after the only copy was taken
    st = status(aws, "prod", built["resources"], rpo_minutes=60, now=late)
    assert not st.ok
    [db] = [p for p in st.points if p.critical and p.resource == DB]
    assert db.ok is False and db.kind == "snapshot"
    assert "verdict: FAIL" in st.render()[-1]


def test_status_reports_nothing_restorable(aws: World) -> None:
    r = expected(settings(), ACCOUNT)
    stub_dr_copies(aws, latest=None)
    aws.down.add(PRIMARY)
    st = status(aws, "prod", r, rpo_minutes=60, replicate_bucket=False)
    assert not st.ok and st.problems == [f"{DB}: nothing restorable in {DR}"]


def test_status_cli_exit_codes(aws: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    build_prod(aws)
    stub_dr_copies(aws, latest=now() - dt.timedelta(minutes=3))
    monkeypatch.setattr(dr_aws, "boto3_clients", lambda profile=None: aws)
    out = tmp_path / "status.json"
    result = runner.invoke(app, ["dr", "status", "--stack", "prod", "-C", str(ROOT), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "verdict: PASS" in result.stdout and json.loads(out.read_text())["ok"] is True
    aws.down.add(PRIMARY)
    aws.down.add(DR)  # the DR region unreachable too: an operator error (exit 2), one line
    failed = runner.invoke(app, ["dr", "status", "--stack", "prod", "-C", str(ROOT)])
    assert failed.exit_code == 2 and "Could not connect to the endpoint URL" in failed.stderr
    assert "Traceback" not in failed.output and len(failed.stderr.strip().splitlines()) == 1


def test_status_cli_fails_when_the_rpo_is_missed(aws: World, monkeypatch: pytest.MonkeyPatch) -> None:
    aws.down.add(PRIMARY)
    stub_dr_copies(aws, latest=now() - dt.timedelta(hours=3))  # the only copy: three hours old
    monkeypatch.setattr(dr_aws, "boto3_clients", lambda profile=None: aws)
    result = runner.invoke(app, ["dr", "status", "--stack", "prod", "-C", str(ROOT)])
    assert result.exit_code == 1 and "verdict: FAIL" in result.stdout
    assert re.search(
        r"FAIL +groundwork-prod-db +replicated automated backups \(PITR\) +eu-central-1 .* 3\.0 h", result.stdout
    )


# --------------------------------------------------------------------------------------------- plan


def import_certificate(region: str, domain: str) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(dt.datetime(2026, 1, 1))
        .not_valid_after(dt.datetime(2027, 12, 31))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    acm = boto3.client("acm", region_name=region)
    return acm.import_certificate(
        Certificate=cert.public_bytes(serialization.Encoding.PEM),
        PrivateKey=key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()),
    )["CertificateArn"]  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project's stack files (the DR stack file is written next to them)."""
    for f in ("Pulumi.yaml", "Pulumi.prod.yaml"):
        shutil.copy(ROOT / f, tmp_path / f)
    return tmp_path


def test_plan_chooses_point_in_time_and_writes_the_dr_stack(aws: World, project: Path) -> None:
    built = build_prod(aws)
    latest = now() - dt.timedelta(minutes=4)
    stub_dr_copies(aws, latest=latest)
    at = latest - dt.timedelta(hours=2)
    plan = choose(aws, settings(), built["resources"], DR, at)
    assert (plan.database.kind, plan.database.ref, plan.database.at) == ("point-in-time", PITR_ARN, at)
    assert plan.bucket is not None and plan.bucket.ref == f"groundwork-prod-backups-dr-{ACCOUNT}"
    # EDGE-06: the DR stack adopts prod's zone and takes over the API's record; it requests its own
    # certificate in the DR region (components/edge.py), so none is looked up
    assert plan.certificate_arn is None and plan.cache is None
    assert plan.edge == EdgePlan(built["zone"], True, "api.example.com", "groundwork-prod")
    path = write_stack_file(project, plan, settings(), today=dt.date(2026, 11, 21))
    text = path.read_text()
    assert path.name == "Pulumi.prod-dr.yaml"
    assert text.startswith("# Generated by `groundwork dr plan` on 2026-11-21 from Pulumi.prod.yaml")
    assert "# prod: every control on." in text and "# no interface endpoints" in text  # comments kept
    source_keys = [line.split(":", 2)[0] + ":" + line.split(":", 2)[1] for line in (ROOT / "Pulumi.prod.yaml").read_text().splitlines()
                   if line.startswith("  groundwork:") or line.startswith("  aws:")]  # fmt: skip
    dr_keys = [line.split(":", 2)[0] + ":" + line.split(":", 2)[1] for line in text.splitlines()
               if line.startswith("  groundwork:") or line.startswith("  aws:")]  # fmt: skip
    assert [k for k in dr_keys if k in source_keys] == source_keys  # order kept
    # what the plan does not touch is written as it was: the services' lines keep their
    # indentation, list offsets, flow style, quotes and line breaks (ruamel.yaml only drops the
    # spaces inside a flow mapping's braces)
    source_lines = (ROOT / "Pulumi.prod.yaml").read_text().splitlines()
    services = source_lines[source_lines.index("  groundwork:services:") :]
    services = services[: next((i for i, x in enumerate(services[1:], 1) if x.startswith("  groundwork:")), None)]
    assert len(services) > 15
    start = text.splitlines().index("  groundwork:services:")

    def braces(lines: list[str]) -> list[str]:
        return [x.replace("{ ", "{").replace(" }", "}") for x in lines]

    assert braces(text.splitlines()[start : start + len(services)]) == braces(services)
    config = load_stack_config(project, "prod-dr").config
    assert config["aws:region"] == DR and config["groundwork:drRegion"] == PRIMARY
    restore = json.loads(config["groundwork:database"])["restore"]
    assert restore == {
        "pointInTime": {
            "sourceDbInstanceAutomatedBackupsArn": PITR_ARN,
            "restoreTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    }
    exemptions = {e["control"]: e for e in json.loads(config["groundwork:exemptions"])}
    assert exemptions["DR-03"]["expires"] == "2026-12-21" and "while eu-west-1 is lost" in exemptions["DR-03"]["reason"]
    edge = json.loads(config["groundwork:edge"])
    assert edge == {
        "domain": "example.com",
        "zoneId": built["zone"],
        "dnssec": False,
        "queryLogging": False,
        "recordOwner": "groundwork-prod",
    }
    # one query-logging configuration per zone, and the zone is already signed: both stay with prod
    assert "signs it and logs its queries" in exemptions["EDGE-05"]["reason"]
    assert json.loads(config["groundwork:ingress"])["host"] == "api.example.com"


def test_a_rehearsal_dr_stack_serves_dr_hosts_and_leaves_production_records_alone(aws: World, project: Path) -> None:
    built = build_prod(aws)
    stub_dr_copies(aws, latest=now())
    plan = choose(aws, settings(), built["resources"], DR, None, rehearsal=True)
    assert plan.edge == EdgePlan(built["zone"], False, "api-dr.example.com", None)
    write_stack_file(project, plan, settings(), today=dt.date(2026, 11, 21))
    config = load_stack_config(project, "prod-dr").config
    assert json.loads(config["groundwork:ingress"])["host"] == "api-dr.example.com"
    assert "recordOwner" not in json.loads(config["groundwork:edge"])
    for f in ("__main__.py", "components", "groundwork", "policies", "dashboards", "cost"):
        (project / f).symlink_to(ROOT / f)
    g = run_program(load_stack_config(project, "prod-dr"))
    assert not g.of_type("aws:route53/zone:Zone")  # prod's zone, adopted
    [cert] = g.of_type("aws:acm/certificate:Certificate")
    assert cert.props["domainName"] == "api-dr.example.com"
    assert g.by_urn[cert.provider_urn].props["region"] == DR
    values = g.one("kubernetes:helm.sh/v3:Release", "external-dns").props["values"]
    assert values["txtOwnerId"] == "groundwork-prod-dr"  # owns nothing of production's
    assert not g.of_type("aws:cloudfront/distribution:Distribution")  # prod's distribution keeps its host


def test_the_zone_is_found_by_name_or_the_plan_says_why(aws: World) -> None:
    r = expected(settings(), ACCOUNT)
    stub_dr_copies(aws, latest=now())
    build_prod(aws, lose_primary=False)
    route53 = boto3.client("route53", region_name="us-east-1")
    route53.create_hosted_zone(Name="example.com", CallerReference="second")
    with pytest.raises(OperatorError, match=r"2 public hosted zones are named example.com; pass the stack's outputs"):
        choose(aws, settings(), r, DR, None)
    # the stack's outputs name it (zoneId)
    from dataclasses import replace

    chosen = choose(aws, settings(), replace(r, zone_id="ZFROMOUTPUTS"), DR, None)
    assert chosen.edge is not None and chosen.edge.zone_id == "ZFROMOUTPUTS"


def test_the_dr_stack_plans_offline_with_the_chosen_restore_inputs(aws: World, project: Path) -> None:
    built = build_prod(aws)
    stub_dr_copies(aws, latest=None)  # no PITR: the snapshot copy is chosen
    import_certificate(DR, "*.example.com")
    plan = choose(aws, settings(), built["resources"], DR, None)
    assert plan.database.kind == "snapshot" and plan.database.ref == built["copy"]["DBSnapshotArn"]
    write_stack_file(project, plan, settings(), today=dt.date(2026, 11, 21))
    for f in ("__main__.py", "components", "groundwork", "policies", "dashboards", "cost"):
        (project / f).symlink_to(ROOT / f)
    g = run_program(load_stack_config(project, "prod-dr"))
    [db] = g.of_type("aws:rds/instance:Instance")
    assert db.props["snapshotIdentifier"] == built["copy"]["DBSnapshotArn"] and "restoreToPointInTime" not in db.props
    assert set(db.options["ignoreChanges"]) >= {"snapshotIdentifier", "restoreToPointInTime"}
    assert db.props["identifier"] == "groundwork-prod-dr-db"  # no collision with the source stack
    regions = {p.props["region"] for p in g.of_type("pulumi:providers:aws")}
    # eu-central-1 has no AWS Chatbot API: its configuration goes to us-east-2 (groundwork/regions.py);
    # the us-east-1 provider stays unused (no query logs, no CDN in a DR stack)
    assert regions == {DR, PRIMARY, "us-east-2", "us-east-1"}
    used = {g.by_urn[r.provider_urn].props["region"] for r in g.resources if r.custom and r.type.startswith("aws:")}
    assert used == {DR, "us-east-2"}  # nothing is created in the lost region
    purposes = {b.props["tags"].get("Purpose") for b in g.of_type("aws:s3/bucket:Bucket")}
    assert "backups" not in purposes  # the replica bucket is adopted instead
    assert g.outputs["backupBucket"] == f"groundwork-prod-backups-dr-{ACCOUNT}"
    job_env = {
        e["name"]: e["value"]
        for e in g.one("kubernetes:batch/v1:Job").props["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert job_env["BOOTSTRAP_MODE"] == "restore"  # the restored roles take the new credentials


def test_plan_errors_are_one_line_with_the_fix(aws: World, project: Path) -> None:
    r = expected(settings(), ACCOUNT)
    stub_dr_copies(aws, latest=None)
    with pytest.raises(OperatorError, match=r"nothing of groundwork-prod-db is restorable in eu-central-1 at all"):
        choose(aws, settings(), r, DR, None)
    with pytest.raises(OperatorError, match=r"is the stack's own region"):
        choose(aws, settings(), r, PRIMARY, None)
    build_prod(aws, lose_primary=False)
    # a stack without a managed zone (an internal ALB, no edge) still needs an issued certificate there
    internal = settings(
        edge={},
        ingress={
            "host": "api.example.com",
            "scheme": "internal",
            "certificateArn": f"arn:aws:acm:{PRIMARY}:{ACCOUNT}:certificate/9e8d7c6b-3333-4a5b-8c7d-1e2f3a4b5c6d",
        },
    )
    with pytest.raises(OperatorError, match=r"no issued ACM certificate for api.example.com in eu-central-1"):
        choose(aws, internal, r, DR, None)


def test_plan_cli(aws: World, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_prod(aws)
    stub_dr_copies(aws, latest=now())
    import_certificate(DR, "api.example.com")
    monkeypatch.setattr(dr_aws, "boto3_clients", lambda profile=None: aws)
    result = runner.invoke(app, ["dr", "plan", "--stack", "prod", "--to-region", DR, "-C", str(project)])
    assert result.exit_code == 0, result.output
    assert "database: point-in-time" in result.stdout and (project / "Pulumi.prod-dr.yaml").exists()
    bad = runner.invoke(
        app, ["dr", "plan", "--stack", "prod", "--to-region", DR, "--at", "yesterday", "-C", str(project)]
    )
    assert bad.exit_code == 2 and "not an ISO 8601 time" in bad.stderr
    wrong = runner.invoke(app, ["dr", "plan", "--stack", "prod", "--to-region", "eu-centrl-1", "-C", str(project)])
    assert wrong.exit_code == 2 and "--to-region 'eu-centrl-1' is not an AWS region" in wrong.stderr
    early = runner.invoke(
        app, ["dr", "plan", "--stack", "prod", "--to-region", DR, "--at", "2020-01-01T00:00:00Z", "-C", str(project)]
    )
    assert early.exit_code == 2 and "at or before 2020-01-01 00:00 UTC" in early.stderr
    for r in (bad, wrong, early):
        assert "Traceback" not in r.output and len(r.stderr.strip().splitlines()) == 1


# --------------------------------------------------------------------------------------------- drill


def test_drill_restores_times_checks_and_deletes(aws: World) -> None:
    built = build_prod(aws)
    stub_dr_copies(aws, latest=now())
    seen: list[tuple[str, int, str]] = []

    def check(host: str, port: int, instance: str) -> tuple[bool, str]:
        seen.append((host, port, instance))
        return True, "orders: 1204 rows"

    report = drill(aws, "prod", built["resources"], instance_class="db.t4g.medium", rpo_minutes=60, rto_minutes=30,
                   check=check, wait_delay=1)  # fmt: skip
    assert report.ok, report.render()
    assert report.snapshot == "prod-nightly-copy" and report.deleted
    [(host, port, instance)] = seen
    assert host.startswith(instance) and port == 5432 and instance.startswith("groundwork-prod-db-drill-")
    with pytest.raises(botocore.exceptions.ClientError, match="not found"):
        boto3.client("rds", region_name=DR).describe_db_instances(DBInstanceIdentifier=instance)
    print("\n".join(report.render()))  # the closing note quotes this report
    assert report.to_json()["restoreSeconds"] is not None


def test_a_failing_check_fails_the_drill_but_still_cleans_up(aws: World) -> None:
    built = build_prod(aws)
    stub_dr_copies(aws, latest=now())
    report = drill(aws, "prod", built["resources"], instance_class="db.t4g.medium", rpo_minutes=60, rto_minutes=30,
                   check=command_check('test "$DRILL_PORT" = 5433 || { echo "wrong port $DRILL_PORT"; exit 3; }'), wait_delay=1)  # fmt: skip
    assert not report.ok and report.deleted and report.check == (False, "wrong port 5432")


def test_drill_cli(aws: World, monkeypatch: pytest.MonkeyPatch) -> None:
    build_prod(aws)
    stub_dr_copies(aws, latest=now())
    monkeypatch.setattr(dr_aws, "boto3_clients", lambda profile=None: aws)
    result = runner.invoke(app, ["dr", "drill", "--stack", "prod", "-C", str(ROOT), "--check", 'test -n "$DRILL_HOST"'])
    assert result.exit_code == 0, result.output
    assert "verdict: PASS" in result.stdout and "deleted" in result.stdout


# --------------------------------------------------------------------------------------------- doctor


CONNECTION = "arn:aws:codeconnections:eu-west-1:333333333333:connection/9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0"


def connection_and_slack_stubs(
    world: World, *, status: str = "AVAILABLE", team: str | None = "T0123ABCDE", arn: str = CONNECTION
) -> None:
    """moto lacks CodeConnections and Chatbot."""
    cc = world.stub("codeconnections", PRIMARY, {"get_connection"})
    cc.add_response("get_connection", {"Connection": {"ConnectionArn": arn, "ConnectionStatus": status,
                                                      "ProviderType": "GitHub", "ConnectionName": "github"}},
                    {"ConnectionArn": arn})  # fmt: skip
    chat = world.stub("chatbot", PRIMARY, {"describe_slack_workspaces"})
    workspaces = [{"SlackTeamId": team, "SlackTeamName": "example"}] if team else []
    chat.add_response("describe_slack_workspaces", {"SlackWorkspaces": workspaces}, {})


def quota_stubs(world: World, eips: float = 5.0, vcpus: float = 64.0, spot_vcpus: float = 64.0) -> None:
    sq = world.stub("service-quotas", PRIMARY, {"get_service_quota"})
    sq.add_response(
        "get_service_quota",
        {"Quota": {"QuotaCode": "L-0263D0A3", "Value": eips}},
        {"ServiceCode": "ec2", "QuotaCode": "L-0263D0A3"},
    )
    sq.add_response(
        "get_service_quota",
        {"Quota": {"QuotaCode": "L-F678F1CE", "Value": 5.0}},
        {"ServiceCode": "vpc", "QuotaCode": "L-F678F1CE"},
    )
    sq.add_response(
        "get_service_quota",
        {"Quota": {"QuotaCode": "L-1216C47A", "Value": vcpus}},
        {"ServiceCode": "ec2", "QuotaCode": "L-1216C47A"},
    )
    sq.add_response(
        "get_service_quota",
        {"Quota": {"QuotaCode": "L-34B43A08", "Value": spot_vcpus}},
        {"ServiceCode": "ec2", "QuotaCode": "L-34B43A08"},
    )


def test_doctor_finds_what_blocks_a_first_up(aws: World) -> None:
    quota_stubs(aws, eips=2.0, vcpus=5.0)  # three NAT gateways need three addresses; a new account's vCPUs
    connection_and_slack_stubs(aws, status="PENDING", team=None)
    s = settings(delivery={**section("prod", "delivery"), "reviewers": ["team:sre"]})
    findings = {f.check: f for f in doctor(aws, s)}
    assert findings["credentials"].level == "ok"  # moto's account is the stack's
    assert findings["region"].level == "ok" and findings["DR region"].level == "ok"
    # the stack requests its certificate; example.com's parent is a registrar, not this account
    assert (
        findings["certificate"].level == "ok"
        and "requested and validated by the stack" in findings["certificate"].detail
    )
    zone = findings["hosted zone"]  # the stack creates example.com: the registrar must delegate it first
    assert (
        zone.level == "warning" and "registrar" in zone.detail and "create-hosted-zone --name example.com" in zone.fix
    )
    assert findings["GitHub OIDC"].level == "problem" and findings["GitHub OIDC"].fix
    assert findings["quota: Elastic IP addresses (one per NAT gateway)"].level == "problem"
    vcpu = findings["quota: On-Demand Standard instance vCPUs (nodes at desired size, operator host)"]
    assert vcpu.level == "problem" and "the stack needs 8" in vcpu.detail  # 3 x m7g.large + the t4g.nano host
    assert findings["GitHub connection"].level == "problem" and "PENDING" in findings["GitHub connection"].detail
    assert findings["Slack (AWS Chatbot)"].level == "problem" and "T0123ABCDE" in findings["Slack (AWS Chatbot)"].detail
    assert (
        findings["state backend"].level == "problem"
        and "groundwork-state-333333333333" in findings["state backend"].detail
    )
    assert findings["secrets provider"].level == "problem"
    # a fresh account: no Auto Scaling service-linked role yet, the stack creates it
    assert findings["service-linked role AWSServiceRoleForAutoScaling"].level == "ok"
    # moto's caller is not the deploy role: the first `up` would make an undeclared admin
    creator = findings["cluster creator"]
    assert creator.level == "problem" and "role/groundwork-deploy-prod" in creator.fix
    assert all(f.fix for f in findings.values() if f.level != "ok")


def test_doctor_counts_spot_node_groups_against_the_spot_quota(aws: World) -> None:
    """dev's nodes are Spot (issue 16): they need the Spot vCPU quota, not the on-demand one."""
    quota_stubs(aws, vcpus=2.0, spot_vcpus=2.0)
    connection_and_slack_stubs(aws)
    cluster = section("prod", "cluster")
    cluster["nodeGroups"][0].update(capacityType="SPOT", instanceTypes=["t4g.large", "m7g.large"], desiredSize=3)
    findings = {f.check: f for f in doctor(aws, settings(cluster=cluster))}
    spot = findings["quota: Spot Standard instance vCPUs (Spot node groups at desired size)"]
    assert spot.level == "problem" and "the stack needs 6" in spot.detail and "L-34B43A08" in spot.fix
    on_demand = findings["quota: On-Demand Standard instance vCPUs (nodes at desired size, operator host)"]
    assert on_demand.level == "ok" and "the stack needs 2" in on_demand.detail  # the operator host only


def test_doctor_tells_which_service_linked_roles_exist(aws: World) -> None:
    quota_stubs(aws)
    connection_and_slack_stubs(aws)
    boto3.client("iam").create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")
    finding = {f.check: f for f in doctor(aws, settings())}["service-linked role AWSServiceRoleForAutoScaling"]
    assert finding.level == "problem"
    assert finding.fix == 'add "autoscaling.amazonaws.com" to groundwork:existingServiceLinkedRoles'
    quota_stubs(aws)
    connection_and_slack_stubs(aws)
    listed = settings(existingServiceLinkedRoles=["autoscaling.amazonaws.com"])
    assert {f.check: f for f in doctor(aws, listed)}["service-linked role AWSServiceRoleForAutoScaling"].level == "ok"


def as_deploy_role(world: World) -> None:
    sts = world.stub("sts", PRIMARY, {"get_caller_identity"})
    sts.add_response(
        "get_caller_identity",
        {
            "Account": ACCOUNT,
            "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/groundwork-deploy-prod/GitHubActions",
            "UserId": "AROAEXAMPLE:GitHubActions",
        },
    )


def test_doctor_passes_when_everything_is_in_place(aws: World) -> None:
    quota_stubs(aws)
    zone = boto3.client("route53").create_hosted_zone(Name="example.com", CallerReference="gw")["HostedZone"]["Id"]
    boto3.client("iam").create_open_id_connect_provider(Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"])  # fmt: skip
    boto3.client("s3", region_name=PRIMARY).create_bucket(Bucket=f"groundwork-state-{ACCOUNT}", CreateBucketConfiguration={"LocationConstraint": PRIMARY})  # fmt: skip
    kms = boto3.client("kms", region_name=PRIMARY)
    kms.create_alias(AliasName="alias/groundwork-state-prod", TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    edge = {**section("prod", "edge"), "zoneId": zone.rsplit("/", 1)[-1]}  # the organisation's zone, adopted
    s = settings(edge=edge, delivery={**section("prod", "delivery"), "reviewers": ["team:sre"]})
    as_deploy_role(aws)  # the first `up` runs as the deploy role, the declared cluster admin
    connection_and_slack_stubs(aws)
    findings = doctor(aws, s)
    assert [f for f in findings if f.level != "ok"] == [], findings


def test_doctor_cli_account_mismatch_and_no_credentials(aws: World, monkeypatch: pytest.MonkeyPatch) -> None:
    quota_stubs(aws)
    connection_and_slack_stubs(
        aws, arn=json.loads(stack_config("dev").config["groundwork:delivery"])["codeConnectionArn"]
    )
    monkeypatch.setattr(dr_aws, "boto3_clients", lambda profile=None: aws)
    result = runner.invoke(app, ["doctor", "--stack", "dev", "-C", str(ROOT)])  # dev is account 111111111111
    assert (
        result.exit_code == 1 and "belong to account 333333333333, the stack deploys to 111111111111" in result.stdout
    )

    def no_credentials(service: str, region: str) -> Any:
        client = boto3.client(service, region_name=region)
        stub = Stubber(client)
        stub.add_client_error("get_caller_identity", service_error_code="ExpiredToken", http_status_code=403)
        stub.activate()
        return client

    monkeypatch.setattr(dr_aws, "boto3_clients", lambda profile=None: no_credentials)
    result = runner.invoke(app, ["doctor", "--stack", "prod", "-C", str(ROOT)])
    assert result.exit_code == 2
    assert "AWS refused to identify the caller (ExpiredToken)" in result.stderr and "Traceback" not in result.output


def test_no_credentials_is_one_clear_line() -> None:
    def raises(**_: Any) -> Any:
        raise botocore.exceptions.NoCredentialsError()

    with pytest.raises(OperatorError, match=r"^no AWS credentials to read the database: export AWS_PROFILE"):
        dr_aws.call("read the database", raises)


# --------------------------------------------------------------------------------------------- endpoints (EDGE-06)


def test_endpoint_probes_say_whether_a_host_resolves_and_answers() -> None:
    from groundwork.dr.endpoints import probe, rehearsal_host

    assert rehearsal_host("api.example.com") == "api-dr.example.com"
    answers = {"api-dr.example.com": ["203.0.113.10"], "app-dr.example.com": []}

    def resolve(host: str) -> list[str]:
        if host not in answers:
            raise OSError("Name or service not known")
        return answers[host]

    def fetch(url: str) -> int:
        if "broken" in url:
            raise OSError("certificate verify failed: Hostname mismatch")
        return 404

    ok = probe("api-dr.example.com", resolve=resolve, fetch=fetch)
    assert ok.ok and ok.status == 404  # an answer from the service, not from DNS or TLS
    assert ok.render() == "  endpoint      api-dr.example.com -> 203.0.113.10: HTTPS 404"
    missing = probe("nope.example.com", resolve=resolve, fetch=fetch)
    assert not missing.ok and "does not resolve (Name or service not known)" in missing.render()
    assert not probe("app-dr.example.com", resolve=resolve, fetch=fetch).ok
    answers["broken.example.com"] = ["203.0.113.11"]
    tls = probe("broken.example.com", resolve=resolve, fetch=fetch)
    assert not tls.ok and "no answer (certificate verify failed" in tls.render()
    assert not probe("api-dr.example.com", resolve=resolve, fetch=lambda url: 503).ok


def test_drill_probes_the_dr_endpoints_and_fails_when_one_does_not_answer(aws: World) -> None:
    from groundwork.dr.endpoints import Probe

    built = build_prod(aws)
    stub_dr_copies(aws, latest=now())
    seen: list[tuple[str, str]] = []

    def fake(host: str, path: str) -> Probe:
        seen.append((host, path))
        return Probe(
            host,
            ("203.0.113.10",),
            200 if host.startswith("api") else None,
            "" if host.startswith("api") else "timed out",
        )

    report = drill(aws, "prod", built["resources"], instance_class="db.t4g.medium", rpo_minutes=60, rto_minutes=30,
                   wait_delay=1, endpoints=["api-dr.example.com", "app-dr.example.com"], endpoint_path="/healthz",
                   probe_endpoint=fake)  # fmt: skip
    assert seen == [("api-dr.example.com", "/healthz"), ("app-dr.example.com", "/healthz")]
    assert [p["ok"] for p in report.to_json()["endpoints"]] == [True, False]
    assert not report.ok and report.deleted  # the restore itself passed; one endpoint did not answer
    assert any("app-dr.example.com -> 203.0.113.10: no answer (timed out)" in line for line in report.render())


def test_doctor_checks_the_zone_and_its_delegation_where_the_parent_is_in_the_account(aws: World) -> None:
    """EDGE-01: a zone staging.example.com delegated from example.com, here in the account (prod's
    settings moved into that zone, so the rest of doctor's stubs stay prod's)."""
    route53 = boto3.client("route53")
    ingress = {**section("prod", "ingress"), "host": "api.staging.example.com"}
    base = {"domain": "staging.example.com", "frontend": {"host": "app.staging.example.com"}}

    def zone_finding(**edge: Any) -> list:
        quota_stubs(aws)
        connection_and_slack_stubs(aws)
        s = settings(ingress=ingress, edge={**base, **edge})
        return [f for f in doctor(aws, s) if f.check in ("hosted zone", "dnssec")]

    # an adopted zone that is not there, or is someone else's
    [f] = zone_finding(zoneId="ZNOTTHERE0000")
    assert f.level == "problem" and "is no hosted zone of this account" in f.detail
    other = route53.create_hosted_zone(Name="other.example.org", CallerReference="o")["HostedZone"]["Id"].rsplit(
        "/", 1
    )[-1]
    [f] = zone_finding(zoneId=other)
    assert (
        f.level == "problem" and "the zone of other.example.org, not the public zone of staging.example.com" in f.detail
    )
    # a zone of that name already exists outside the stack: adopt it rather than create a second one
    stray = route53.create_hosted_zone(Name="staging.example.com", CallerReference="s")["HostedZone"]["Id"]
    [f] = zone_finding()
    assert f.level == "warning" and f.fix == f"adopt it: groundwork:edge.zoneId: {stray.rsplit('/', 1)[-1]}"
    route53.delete_hosted_zone(Id=stray)
    # before the first `up`: the parent is in the account and does not delegate yet
    parent = route53.create_hosted_zone(Name="example.com", CallerReference="p")["HostedZone"]["Id"]
    [f] = zone_finding()
    assert f.level == "warning" and "does not delegate staging.example.com" in f.detail
    assert "aws route53 create-hosted-zone --name staging.example.com" in f.fix and "edge.zoneId" in f.fix
    # after the first `up`: the stack's zone (its comment says so) and a stale delegation
    ours = route53.create_hosted_zone(
        Name="staging.example.com",
        CallerReference="g",
        HostedZoneConfig={"Comment": "groundwork-staging: public zone (groundwork)"},
    )
    servers = sorted(ours["DelegationSet"]["NameServers"])

    def delegate(values: list[str], kind: str = "NS") -> None:
        route53.change_resource_record_sets(HostedZoneId=parent, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
            "Name": "staging.example.com", "Type": kind, "TTL": 300, "ResourceRecords": [{"Value": v} for v in values]}}]})  # fmt: skip

    delegate(["ns-1.old-provider.net", "ns-2.old-provider.net"])
    [f] = zone_finding()
    assert f.level == "problem" and "not to the zone's name servers" in f.detail
    delegate(servers)
    zone, dnssec = zone_finding()
    assert zone.level == "ok" and "delegates staging.example.com to the stack's zone" in zone.detail
    assert dnssec.level == "warning" and "no DS record" in dnssec.detail  # staging signs its zone
    delegate(["12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"], kind="DS")
    assert [f.level for f in zone_finding()] == ["ok"]
