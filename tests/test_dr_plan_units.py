"""`groundwork dr plan`'s choices against recording fakes (issue 18): which point of the
database, the cache and the bucket a DR rebuild restores, the certificate and the zone it
finds, and the plan as JSON. tests/test_dr.py runs the command against moto and Stubber."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from groundwork.dr.aws import OperatorError
from groundwork.dr.plan import (
    Choice,
    DrPlan,
    EdgePlan,
    choose,
    choose_bucket,
    choose_cache,
    choose_database,
    find_certificate,
    find_zone,
    summary,
    write_stack_file,
)
from groundwork.plan import load_stack_config
from groundwork.settings import StackSettings, load_settings
from tests.conftest import ROOT, stack_config
from tests.test_dr_status_units import NOW, Fake, R, _error, ago, by_instance, factory
from tests.test_dr_status_units import rds as rds_fake

DR = R.dr_region
ARN = "arn:aws:rds:eu-central-1:111111111111:auto-backup:ab-1"


def rds(windows: list[dict[str, Any]], snapshots: list[dict[str, Any]] | None = None) -> Fake:
    """The DR region's RDS with these replicated backups and snapshots of the database (the status
    tests' fake: it answers for the instance a call names, and another one has a newer snapshot)."""
    return rds_fake(snapshots=snapshots, backups=by_instance("DBInstanceAutomatedBackups", {R.database: windows}))


WINDOW = {"DBInstanceAutomatedBackupsArn": ARN, "RestoreWindow": {"EarliestTime": ago(600), "LatestTime": ago(5)}}


def vault(points: list[dict[str, Any]] | Exception) -> Fake:
    return Fake(
        {
            "list_recovery_points_by_backup_vault": points
            if isinstance(points, Exception)
            else {"RecoveryPoints": points}
        }
    )


def test_point_in_time_at_the_latest_or_inside_the_window_bounds() -> None:
    """A replicated automated backup restores any second of its window (RDS User Guide,
    "Replicating automated backups to another AWS Region"); a backup without a window yet is
    skipped. Both ends of the window are restorable."""
    no_window = {"DBInstanceAutomatedBackupsArn": "other", "RestoreWindow": {"EarliestTime": ago(60)}}
    clients = factory({("rds", DR): rds([no_window, WINDOW]), ("backup", DR): vault([])})
    assert choose_database(clients, R, DR, None) == Choice("point-in-time", ARN, ago(5), "latest restorable time")
    for at in (ago(600), ago(5), ago(100)):
        chosen = choose_database(clients, R, DR, at)
        assert (chosen.kind, chosen.ref, chosen.at) == ("point-in-time", ARN, at)
    assert chosen.detail == "window 2026-11-21 02:00 to 2026-11-21 11:55"
    rds_fake = clients("rds", DR)
    assert rds_fake.calls[0] == ("describe_db_instance_automated_backups", {"DBInstanceIdentifier": R.database})


def test_outside_the_window_the_newest_available_snapshot_at_or_before_the_time() -> None:
    """Manual and AWS Backup snapshots of this database in the DR region count; one still being
    copied (not available / not COMPLETED), one of another database and one after the
    requested time do not."""
    snapshots = [
        {
            "DBSnapshotArn": "s-old",
            "DBSnapshotIdentifier": "old",
            "SnapshotCreateTime": ago(3000),
            "Status": "available",
        },
        {"DBSnapshotArn": "s-copying", "SnapshotCreateTime": ago(1000), "Status": "copying"},
        {
            "DBSnapshotArn": "s-late",
            "DBSnapshotIdentifier": "late",
            "SnapshotCreateTime": ago(10),
            "Status": "available",
        },
    ]
    points = [
        {
            "RecoveryPointArn": "arn:aws:rds:eu-central-1:1:snapshot:awsbackup:job-1",
            "CreationDate": ago(2000),
            "Status": "COMPLETED",
            "ResourceType": "RDS",
            "ResourceArn": f"arn:aws:rds:eu-west-1:1:db:{R.database}",
        },
        {
            "RecoveryPointArn": "arn:x:partial",
            "CreationDate": ago(1500),
            "Status": "PARTIAL",
            "ResourceType": "RDS",
            "ResourceArn": f"arn:aws:rds:eu-west-1:1:db:{R.database}",
        },
        {
            "RecoveryPointArn": "arn:x:other",
            "CreationDate": ago(1200),
            "Status": "COMPLETED",
            "ResourceType": "RDS",
            "ResourceArn": "arn:aws:rds:eu-west-1:1:db:another",
        },
        {
            "RecoveryPointArn": "arn:x:s3",
            "CreationDate": ago(1100),
            "Status": "COMPLETED",
            "ResourceType": "S3",
            "ResourceArn": R.database,
        },
    ]
    backup = vault(points)
    clients = factory({("rds", DR): rds([WINDOW], snapshots), ("backup", DR): backup})
    at = ago(700)  # before the window: a snapshot
    assert choose_database(clients, R, DR, at) == Choice(
        "snapshot", "arn:aws:rds:eu-central-1:1:snapshot:awsbackup:job-1", ago(2000), "job-1"
    )
    assert backup.calls == [("list_recovery_points_by_backup_vault", {"BackupVaultName": R.dr_vault})]
    assert choose_database(clients, R, DR, ago(3000)) == Choice("snapshot", "s-old", ago(3000), "old")
    no_window = factory({("rds", DR): rds([], snapshots), ("backup", DR): vault(_error("ResourceNotFoundException"))})
    assert choose_database(no_window, R, DR, None) == Choice("snapshot", "s-late", ago(10), "late")
    early = ago(5000)
    with pytest.raises(
        OperatorError, match=f"nothing of {R.database} is restorable in {DR} at or before {early:%Y-%m-%d %H:%M} UTC"
    ):
        choose_database(no_window, R, DR, early)
    nothing = factory({("rds", DR): rds([]), ("backup", DR): vault([])})
    with pytest.raises(OperatorError, match=r"restorable in eu-central-1 at all: .*pick another --at or --to-region"):
        choose_database(nothing, R, DR, None)
    refused = factory({("rds", DR): rds([]), ("backup", DR): vault(_error("Throttling"))})
    with pytest.raises(Exception, match="Throttling"):
        choose_database(refused, R, DR, None)


def test_the_cache_restores_its_newest_snapshot_at_or_before_the_time() -> None:
    snaps = [
        {"SnapshotName": "a", "NodeSnapshots": [{"SnapshotCreateTime": ago(300)}]},
        {"SnapshotName": "b", "NodeSnapshots": [{"SnapshotCreateTime": ago(30)}]},
        {"SnapshotName": "c", "NodeSnapshots": []},
    ]
    clients = factory({("elasticache", DR): Fake({"describe_snapshots": {"Snapshots": snaps}})})
    assert choose_cache(clients, R, DR, None) == Choice("cache-snapshot", "b", ago(30))
    assert choose_cache(clients, R, DR, ago(30)) == Choice("cache-snapshot", "b", ago(30))
    assert choose_cache(clients, R, DR, ago(31)) == Choice("cache-snapshot", "a", ago(300))
    assert choose_cache(clients, R, DR, ago(301)) is None
    gone = factory({("elasticache", DR): Fake({"describe_snapshots": _error("ReplicationGroupNotFoundFault")})})
    assert choose_cache(gone, R, DR, None) is None


def test_the_replica_bucket_is_adopted_when_it_is_there() -> None:
    there = Fake({"head_bucket": {}})
    assert choose_bucket(factory({("s3", DR): there}), R, DR) == Choice(
        "bucket", R.replica_bucket, None, "adopted as the backup bucket"
    )
    assert there.calls == [("head_bucket", {"Bucket": R.replica_bucket})]
    assert choose_bucket(factory({("s3", DR): Fake({"head_bucket": _error("404")})}), R, DR) is None
    with pytest.raises(Exception, match="Forbidden"):
        choose_bucket(factory({("s3", DR): Fake({"head_bucket": _error("Forbidden")})}), R, DR)


def test_an_issued_certificate_for_the_host_its_wildcard_or_a_san() -> None:
    listing = [
        {"DomainName": "other.example.org", "CertificateArn": "no"},
        {"DomainName": "*.example.com", "CertificateArn": "wild"},
    ]
    acm = Fake({"list_certificates": {"CertificateSummaryList": listing}})
    clients = factory({("acm", DR): acm})
    assert find_certificate(clients, DR, "api.example.com") == "wild"
    assert acm.calls == [("list_certificates", {"CertificateStatuses": ["ISSUED"]})]
    assert find_certificate(clients, DR, None) is None and find_certificate(clients, DR, "api.example.net") is None
    exact = [{"DomainName": "localhost", "CertificateArn": "bare"}]
    assert (
        find_certificate(
            factory({("acm", DR): Fake({"list_certificates": {"CertificateSummaryList": exact}})}), DR, "localhost"
        )
        == "bare"
    )
    san = [
        {"DomainName": "x.example.org", "SubjectAlternativeNameSummaries": ["api.example.com"], "CertificateArn": "san"}
    ]
    assert (
        find_certificate(
            factory({("acm", DR): Fake({"list_certificates": {"CertificateSummaryList": san}})}), DR, "api.example.com"
        )
        == "san"
    )


def test_the_zone_is_the_one_public_zone_of_that_name() -> None:
    zones: list[dict[str, Any]] = [
        {"Id": "/hostedzone/ZPRIVATE", "Name": "example.com.", "Config": {"PrivateZone": True}},
        {"Id": "/hostedzone/ZSUB", "Name": "sub.example.com."},
        {"Id": "/hostedzone/ZPUBLIC", "Name": "example.com.", "Config": {"PrivateZone": False}},
    ]
    route53 = Fake({"list_hosted_zones_by_name": {"HostedZones": zones}})
    assert find_zone(factory({("route53", "us-east-1"): route53}), "example.com") == "ZPUBLIC"
    assert route53.calls == [("list_hosted_zones_by_name", {"DNSName": "example.com"})]
    two = Fake({"list_hosted_zones_by_name": {"HostedZones": [zones[2], {**zones[2], "Id": "/hostedzone/Z2"}]}})
    with pytest.raises(OperatorError, match=r"2 public hosted zones are named example\.com"):
        find_zone(factory({("route53", "us-east-1"): two}), "example.com")
    with pytest.raises(OperatorError, match=r"no public hosted zone example\.com"):
        find_zone(
            factory({("route53", "us-east-1"): Fake({"list_hosted_zones_by_name": {"HostedZones": zones[:2]}})}),
            "example.com",
        )


def test_the_plan_as_json() -> None:
    plan = DrPlan(
        "prod", "prod-dr", DR, ago(60), Choice("point-in-time", ARN, ago(60), "window"), None,
        Choice("bucket", R.replica_bucket, None, "adopted"), None, ["note"], EdgePlan("Z1", True, "api.example.com", "groundwork-prod"),
    )  # fmt: skip
    assert plan.to_json() == {
        "sourceStack": "prod",
        "stack": "prod-dr",
        "region": DR,
        "at": "2026-11-21T11:00:00+00:00",
        "database": {"kind": "point-in-time", "ref": ARN, "at": "2026-11-21T11:00:00+00:00", "detail": "window"},
        "cache": None,
        "bucket": {"kind": "bucket", "ref": R.replica_bucket, "at": None, "detail": "adopted"},
        "certificateArn": None,
        "edge": {"zoneId": "Z1", "takesTraffic": True, "apiHost": "api.example.com", "recordOwner": "groundwork-prod"},
        "notes": ["note"],
    }
    plan.at, plan.edge = None, None
    assert plan.to_json()["at"] is None and plan.to_json()["edge"] is None


# ---------------------------------------------------------------------------------------------
# The whole plan: edge, certificate and the operator's notes
# ---------------------------------------------------------------------------------------------

CERT = "arn:aws:acm:eu-central-1:333333333333:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"


def prod() -> StackSettings:
    return load_settings(stack_config("prod").config, project="groundwork", stack="prod", today=NOW.date())


def without_edge(s: StackSettings, certificate: str | None = CERT) -> StackSettings:
    """The stack as it would be with no managed zone and its own certificate (the settings are
    frozen: a copy with those two changed)."""
    return s.model_copy(
        update={
            "edge": s.edge.model_copy(update={"domain": None, "frontend": None}),
            "ingress": s.ingress.model_copy(update={"certificate_arn": certificate}),
        }
    )


def dr_world(*, cache: bool = True, bucket: bool = True, certificates: list[dict[str, Any]] | None = None) -> Any:
    snaps = [{"SnapshotName": "nightly", "NodeSnapshots": [{"SnapshotCreateTime": ago(90)}]}] if cache else []
    return factory(
        {
            ("rds", DR): rds([WINDOW]),
            ("backup", DR): vault([]),
            ("elasticache", DR): Fake({"describe_snapshots": {"Snapshots": snaps}}),
            ("s3", DR): Fake({"head_bucket": {} if bucket else _error("404")}),
            ("acm", DR): Fake({"list_certificates": {"CertificateSummaryList": certificates or []}}),
        }
    )


ZONED = dataclasses.replace(R, zone_id="ZOUTPUTS")
ALWAYS = [
    "generated application secrets are new in the DR stack: sessions signed with the old keys end",
    "point the services' image references at the DR region's registry (ECR replicated them) before syncing",
]


def test_a_dr_stack_with_a_managed_zone_takes_the_traffic_and_says_what_to_do() -> None:
    s = prod()
    plan = choose(dr_world(cache=False, bucket=False), s, ZONED, DR, None)
    assert plan.edge == EdgePlan("ZOUTPUTS", True, "api.example.com", "groundwork-prod")
    assert (plan.stack, plan.region, plan.certificate_arn) == ("prod-dr", DR, None)
    assert (plan.cache, plan.bucket) == (None, None)
    assert plan.notes[0].startswith("the DR stack takes over api.example.com: once its load balancer is up")
    assert "(owner groundwork-prod)" in plan.notes[0]
    assert plan.notes[1].startswith("the frontend CDN is global and keeps app.example.com")
    assert plan.notes[2:] == [
        "no cache snapshot in the DR region: the cache starts empty and fills from the database",
        f"the replica bucket {R.replica_bucket} is not in {DR}: the DR stack creates an empty backup bucket",
        *ALWAYS,
    ]


def test_a_rehearsal_serves_dr_hosts_and_takes_no_traffic() -> None:
    plan = choose(dr_world(), prod(), ZONED, DR, ago(30), rehearsal=True)
    assert plan.edge == EdgePlan("ZOUTPUTS", False, "api-dr.example.com", None)
    assert (plan.cache is not None, plan.bucket is not None, plan.at) == (True, True, ago(30))
    assert plan.notes[0].startswith("the frontend CDN is global") and plan.notes[1:] == ALWAYS


def test_without_a_managed_zone_the_certificate_is_found_in_the_dr_region() -> None:
    """An ACM certificate serves its own region only: the DR stack needs one issued there."""
    s = without_edge(prod())
    found = dr_world(certificates=[{"DomainName": "*.example.com", "CertificateArn": CERT}])
    plan = choose(found, s, R, DR, None)
    assert (plan.edge, plan.certificate_arn, plan.notes) == (None, CERT, ALWAYS)
    with pytest.raises(
        OperatorError, match=rf"no issued ACM certificate for api\.example\.com in {DR} .*--certificate-arn"
    ):
        choose(dr_world(), s, R, DR, None)
    given = dr_world()
    assert choose(given, s, R, DR, None, certificate_arn="arn:given").certificate_arn == "arn:given"
    assert [api for api, _ in given("acm", DR).calls] == []
    # a frontend without a managed zone (EDGE-01 exempted) has no record for /api to follow
    unzoned = without_edge(prod())
    unzoned = unzoned.model_copy(update={"edge": unzoned.edge.model_copy(update={"frontend": prod().edge.frontend})})
    assert choose(found, unzoned, R, DR, None).notes == ALWAYS
    # a stack whose ingress has no certificate of its own needs none in the DR region either
    assert choose(dr_world(), without_edge(prod(), None), R, DR, None).certificate_arn is None


# ---------------------------------------------------------------------------------------------
# The DR stack file
# ---------------------------------------------------------------------------------------------


def test_the_dr_stack_file_drops_what_belongs_to_the_source_stack(tmp_path: Path) -> None:
    """The source's data key (the DR stack gets its own at `pulumi stack init`) and its ingress
    certificate (of the lost region) are not copied; quoting is kept as written; the exemptions
    the source already has are not listed twice."""
    source = (ROOT / "Pulumi.prod.yaml").read_text()
    source = source.replace("config:\n", "encryptedkey: c2VjcmV0\nconfig:\n", 1)
    source = source.replace(
        "    host: api.example.com", f"    certificateArn: {CERT.replace(DR, 'eu-west-1')}\n    host: api.example.com"
    )
    long = "xxxx the zone is the source stack's which signs it and logs its queries one query logging configuration per"
    source += (
        "  groundwork:exemptions:\n    - control: DR-03\n      reason: kept as written\n      expires: '2026-12-01'\n"
        f"    - control: EDGE-05\n      reason: {long}\n      expires: '2026-12-02'\n"
    )
    assert len(f"      reason: {long}") == 121
    (tmp_path / "Pulumi.prod.yaml").write_text(source)
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    plan = DrPlan("prod", "prod-dr", DR, None, Choice("point-in-time", ARN, None, ""), None, None, None,
                  edge=EdgePlan("Z1", True, "api.example.com", "groundwork-prod"))  # fmt: skip
    text = write_stack_file(tmp_path, plan, prod(), today=NOW.date()).read_text()
    assert "encryptedkey" not in text and "certificateArn" not in text
    assert 'groundwork:accountId: "333333333333"' in text  # quoted as in the source
    config = load_stack_config(tmp_path, "prod-dr").config
    exemptions = json.loads(config["groundwork:exemptions"])
    assert [(e["control"], e["expires"]) for e in exemptions] == [
        ("DR-03", "2026-12-01"),
        ("EDGE-05", "2026-12-02"),
        ("DR-04", "2026-12-21"),
    ]
    assert exemptions[1]["reason"] == long
    # a value longer than the project's 120 columns is folded (and reads back the same); lines with
    # a comment or in flow style are kept as written (tests/test_dr.py)
    lines = text.splitlines()
    start = lines.index("    - control: EDGE-05")
    assert lines[start + 1].startswith("      reason: xxxx") and lines[start + 3] == "      expires: '2026-12-02'"
    assert max(len(line) for line in lines[start : start + 4]) <= 120
    # no time given: the latest restorable time of the replicated backups
    assert json.loads(config["groundwork:database"])["restore"] == {
        "pointInTime": {"sourceDbInstanceAutomatedBackupsArn": ARN, "useLatestRestorableTime": True}
    }
    # what `dr plan --json` prints: the plan, indented for a reader
    printed = summary(plan)
    assert json.loads(printed) == plan.to_json() and printed.splitlines()[1] == '  "sourceStack": "prod",'
