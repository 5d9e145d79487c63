"""The Backups component on its own (groundwork.plan.run_function): the backup bucket and its DR
replica, the replication role, AWS Backup's vaults, locks, plan, rules and selection, without
planning a stack (issue 18)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pytest

from components.backups import Backups, BackupsArgs, lifecycle_rules
from groundwork.naming import Naming
from groundwork.plan.graph import Graph, Resource
from groundwork.plan.runner import run_function
from groundwork.settings.model import BackupsSettings
from tests.helpers import by_name, deps, outside

KEY = "arn:aws:kms:eu-west-1:111111111111:key/data"
DR_KEY = "arn:aws:kms:eu-central-1:111111111111:key/dr-data"
ACCOUNT = "123456789012"  # the offline plan's account


def plan_backups(
    args: dict[str, Any] | None = None,
    naming: Naming = Naming("groundwork", "test"),
    built: Callable[[Backups], None] | None = None,
    **settings: Any,
) -> Graph:
    def body() -> None:
        dr = aws.Provider("dr", region="eu-central-1")
        s = BackupsSettings.model_validate(settings)
        b = Backups(
            "backups",
            BackupsArgs(
                settings=s,
                naming=naming,
                region="eu-west-1",
                dr_region="eu-central-1",
                data_key_arn=KEY,
                dr_data_key_arn=DR_KEY,
                dr_provider=dr,
                backup_tag="groundwork-test",
                **{"aws_backup": s.aws_backup, **(args or {})},
            ),
        )
        if built is not None:
            built(b)

    return run_function(body, config={"aws:region": "eu-west-1"})


@pytest.fixture(scope="module")
def full() -> Graph:
    return plan_backups(args={"continuous_retention_days": 30})


def dr_provider(g: Graph) -> str:
    return g.one("pulumi:providers:aws").urn


def test_lifecycle_keeps_seven_daily_four_weekly_twelve_monthly() -> None:
    """DR-02: objects expire by their retention class; monthly ones move to Standard-IA at 30
    days (S3's minimum age for STANDARD_IA: S3 User Guide, "Transitioning objects using Amazon S3
    Lifecycle", constraints) and Glacier at 90; noncurrent versions go after a week and the
    delete markers they leave behind are removed."""
    s = BackupsSettings.model_validate({"retention": {"dailyDays": 5, "weeklyDays": 21, "monthlyDays": 400}})
    assert lifecycle_rules(s) == [
        {"id": "daily", "status": "Enabled", "filter": {"prefix": "daily/"}, "expiration": {"days": 5}},
        {"id": "weekly", "status": "Enabled", "filter": {"prefix": "weekly/"}, "expiration": {"days": 21}},
        {
            "id": "monthly",
            "status": "Enabled",
            "filter": {"prefix": "monthly/"},
            "expiration": {"days": 400},
            "transitions": [{"days": 30, "storage_class": "STANDARD_IA"}, {"days": 90, "storage_class": "GLACIER"}],
        },
        {
            "id": "noncurrent",
            "status": "Enabled",
            "filter": {},
            "noncurrent_version_expiration": {"noncurrent_days": 7},
            "expiration": {"expired_object_delete_marker": True},
        },
    ]


def test_backup_bucket_and_replica(full: Graph) -> None:
    """The primary bucket under the data key, the replica in the DR region under the DR key, both
    lockable (Object Lock is fixed at creation) with the mode's default retention; names carry the
    account so they are unique in S3's global namespace."""
    buckets = by_name(full, "aws:s3/bucket:Bucket")
    primary, replica = buckets["backups-bucket"], buckets["backups-replica"]
    assert primary.props["bucket"] == f"groundwork-test-backups-{ACCOUNT}"
    assert replica.props["bucket"] == f"groundwork-test-backups-dr-{ACCOUNT}"
    assert primary.props["tags"]["Purpose"] == "backups" and replica.props["tags"]["Purpose"] == "backups-replica"
    assert primary.props["objectLockEnabled"] is True and replica.props["objectLockEnabled"] is True
    assert primary.options.get("protect") is True and replica.options.get("protect") is True
    assert primary.props["forceDestroy"] is False
    assert replica.provider_urn == dr_provider(full) and primary.provider_urn != dr_provider(full)
    sse = {
        r.parent.split("::")[-1]: r.props["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"]
        for r in full.of_type("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    }
    assert sse == {"backups-bucket": KEY, "backups-replica": DR_KEY}
    locks = {
        r.parent.split("::")[-1]: r.props["rule"]["defaultRetention"]
        for r in full.of_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    }
    assert locks == {
        "backups-bucket": {"mode": "COMPLIANCE", "days": 7},
        "backups-replica": {"mode": "COMPLIANCE", "days": 7},
    }
    lifecycle = [
        r.props["rules"] for r in full.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    ]
    assert len(lifecycle) == 2 and all(
        [x["id"] for x in rules] == ["abort-incomplete-uploads", "daily", "weekly", "monthly", "noncurrent"]
        for rules in lifecycle
    )


def test_lock_mode_none_keeps_the_lock_without_a_default_retention() -> None:
    """Both buckets are created lockable whatever the mode (Object Lock cannot be enabled on an
    existing bucket by the provider), so a later mode is an in-place change; the mode and its days
    apply to the replica as to the primary."""
    g = plan_backups(objectLockMode="none", objectLockDays=30, awsBackup=False)
    buckets = by_name(g, "aws:s3/bucket:Bucket")
    assert sorted(buckets) == ["backups-bucket", "backups-replica"]
    assert all(b.props["objectLockEnabled"] is True for b in buckets.values())
    assert g.of_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration") == []
    governance = plan_backups(objectLockMode="GOVERNANCE", objectLockDays=30, awsBackup=False)
    locks = governance.of_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert len(locks) == 2
    assert all(lock.props["rule"]["defaultRetention"] == {"mode": "GOVERNANCE", "days": 30} for lock in locks)


def test_destroyable_buckets_when_asked() -> None:
    g = plan_backups(args={"force_destroy": True, "protect": False}, awsBackup=False)
    buckets = by_name(g, "aws:s3/bucket:Bucket")
    assert sorted(buckets) == ["backups-bucket", "backups-replica"]
    for b in buckets.values():
        assert b.props["forceDestroy"] is True and not b.options.get("protect")
        assert not b.options.get("retainOnDelete")


def test_defaults_back_up_with_aws_backup_and_a_week_of_point_in_time() -> None:
    """Left out, the arguments mean AWS Backup on (DR-04) and a continuous rule that keeps 7 days,
    the database's default point-in-time window."""

    def body() -> None:
        Backups(
            "backups",
            BackupsArgs(
                settings=BackupsSettings.model_validate({"replicateToDr": False, "copyToDr": False}),
                naming=Naming("groundwork", "test"),
                region="eu-west-1",
                dr_region="eu-central-1",
                data_key_arn=KEY,
                dr_data_key_arn=None,
                dr_provider=aws.Provider("dr", region="eu-central-1"),
                backup_tag="groundwork-test",
            ),
        )

    g = run_function(body, config={"aws:region": "eu-west-1"})
    rules = {r["ruleName"]: r for r in g.one("aws:backup/plan:Plan").props["rules"]}
    assert rules["continuous-pitr"]["lifecycle"] == {"deleteAfter": 7}
    assert len(g.of_type("aws:backup/vault:Vault")) == 1


def test_vault_names_fit_aws_backups_limit() -> None:
    """A backup vault's name is 2-50 characters of letters, digits, hyphens and underscores (AWS
    Backup API Reference, CreateBackupVault, BackupVaultName); a long project and stack are cut to
    fit with a digest, not sent to fail at `pulumi up`."""
    g = plan_backups(naming=Naming("groundwork-payments-platform", "production-eu-west-blue"))
    names = [v.props["name"] for v in g.of_type("aws:backup/vault:Vault")]
    assert len(names) == 2 and len(set(names)) == 2
    assert all(2 <= len(n) <= 50 and re.fullmatch(r"[A-Za-z0-9_-]+", n) for n in names), names


def test_replication_of_every_object_through_a_narrow_role(full: Graph) -> None:
    """S3 replication of SSE-KMS objects must opt in to them and name the replica's key (S3 User
    Guide, "Replicating encrypted objects"); Object Lock retention and legal holds replicate only
    when the role may read them (S3 User Guide, "Using Object Lock with S3 Replication"); both
    buckets must be versioned first."""
    role = by_name(full, "aws:iam/role:Role")["backups-replication"]
    assert json.loads(role.props["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}
    assert role.props["description"] == "groundwork-test: replicate the backup bucket to eu-central-1"
    buckets = by_name(full, "aws:s3/bucket:Bucket")
    src, dst = buckets["backups-bucket"].outputs["arn"], buckets["backups-replica"].outputs["arn"]
    policy = by_name(full, "aws:iam/rolePolicy:RolePolicy")["backups-replication"]
    assert deps(policy, "role") == [role.urn]
    statements = {s["Sid"]: (s["Action"], s["Resource"]) for s in json.loads(policy.props["policy"])["Statement"]}
    assert statements == {
        "ReadSource": (["s3:GetReplicationConfiguration", "s3:ListBucket"], [src]),
        "ReadSourceObjects": (
            [
                "s3:GetObjectVersionForReplication",
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionTagging",
                "s3:GetObjectRetention",
                "s3:GetObjectLegalHold",
            ],
            [f"{src}/*"],
        ),
        "WriteReplica": (
            ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags", "s3:ObjectOwnerOverrideToBucketOwner"],
            [f"{dst}/*"],
        ),
        "DecryptSource": (["kms:Decrypt"], [KEY]),
        "EncryptReplica": (["kms:Encrypt", "kms:GenerateDataKey"], [DR_KEY]),
    }
    config = full.one("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    assert deps(config, "bucket") == [buckets["backups-bucket"].urn] and deps(config, "role") == [role.urn]
    [rule] = config.props["rules"]
    assert rule == {
        "id": "to-dr-region",
        "status": "Enabled",
        "filter": {},
        "deleteMarkerReplication": {"status": "Enabled"},
        "sourceSelectionCriteria": {"sseKmsEncryptedObjects": {"status": "Enabled"}},
        "destination": {"bucket": dst, "encryptionConfiguration": {"replicaKmsKeyId": DR_KEY}},
    }
    versionings = {r.urn for r in full.of_type("aws:s3/bucketVersioning:BucketVersioning")}
    assert len(versionings) == 2 and versionings <= set(config.dependencies)


def test_no_replica_without_replication() -> None:
    g = plan_backups(replicateToDr=False, awsBackup=False)
    assert [b.name for b in g.of_type("aws:s3/bucket:Bucket")] == ["backups-bucket"]
    assert g.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig") == []
    assert g.one("groundwork:backups:Backups").outputs.get("drBucket") is None


def test_an_adopted_bucket_is_used_as_it_is() -> None:
    """A DR rebuild takes over the surviving replica: no bucket is created."""
    g = plan_backups(adoptBucket="groundwork-prod-backups-dr-1", awsBackup=False)
    assert g.of_type("aws:s3/bucket:Bucket") == []
    assert g.one("groundwork:backups:Backups").outputs["bucket"] == "groundwork-prod-backups-dr-1"


# --------------------------------------------------------------------------------------------- AWS Backup


def vaults(g: Graph) -> dict[str, Resource]:
    return by_name(g, "aws:backup/vault:Vault")


def test_vaults_and_their_locks(full: Graph) -> None:
    """DR-04: a vault under the data key and one in the DR region under its key, both kept; vault
    lock bounds retention between a week (or the daily retention) and the monthly retention (the
    longest any rule keeps) and becomes immutable after 3 days, AWS Backup's minimum grace time (AWS Backup
    Developer Guide, "AWS Backup Vault Lock": ChangeableForDays at least 3)."""
    v = vaults(full)
    assert v["backups-vault"].props == {"name": "groundwork-test-vault", "kmsKeyArn": KEY}
    assert v["backups-dr-vault"].props == {"name": "groundwork-test-vault-dr", "kmsKeyArn": DR_KEY}
    assert v["backups-dr-vault"].provider_urn == dr_provider(full)
    for vault in v.values():
        assert vault.options.get("protect") is True and vault.options.get("retainOnDelete") is True
    locks = by_name(full, "aws:backup/vaultLockConfiguration:VaultLockConfiguration")
    assert sorted(locks) == ["backups-lock-dr", "backups-lock-primary"]
    for lock_name, vault_name in (("backups-lock-primary", "backups-vault"), ("backups-lock-dr", "backups-dr-vault")):
        lock = locks[lock_name]
        assert (lock.props["minRetentionDays"], lock.props["maxRetentionDays"], lock.props["changeableForDays"]) == (
            7,
            365,
            3,
        )
        assert deps(lock, "backupVaultName") == [v[vault_name].urn]
    assert locks["backups-lock-dr"].provider_urn == dr_provider(full)
    assert locks["backups-lock-primary"].provider_urn != dr_provider(full)
    short = by_name(
        plan_backups(retention={"dailyDays": 3, "weeklyDays": 7, "monthlyDays": 90}, copyToDr=False),
        "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
    )
    assert list(short) == ["backups-lock-primary"]
    assert (
        short["backups-lock-primary"].props["minRetentionDays"],
        short["backups-lock-primary"].props["maxRetentionDays"],
    ) == (3, 90)
    long = plan_backups(retention={"dailyDays": 14, "monthlyDays": 90}, copyToDr=False)
    lock = long.one("aws:backup/vaultLockConfiguration:VaultLockConfiguration")
    assert lock.props["minRetentionDays"] == 7 and lock.props["maxRetentionDays"] == 90
    assert plan_backups(vaultLock=False).of_type("aws:backup/vaultLockConfiguration:VaultLockConfiguration") == []


@pytest.mark.parametrize(
    ("daily", "weekly", "monthly", "continuous"),
    [(1, 7, 90, 7), (35, 90, 90, 35), (7, 28, 3650, 30), (3, 7, 180, 7)],
)
def test_every_rule_keeps_its_points_within_the_vault_lock(
    daily: int, weekly: int, monthly: int, continuous: int
) -> None:
    """A backup or copy job whose retention falls outside the vault lock's minimum and maximum
    fails (AWS Backup Developer Guide, "AWS Backup Vault Lock"), so at the settings' bounds (daily
    1-35, weekly 7-90, monthly 90-3650; the database keeps 7-35 days of point-in-time) every rule
    and its copy stay inside both locks."""
    g = plan_backups(
        retention={"dailyDays": daily, "weeklyDays": weekly, "monthlyDays": monthly},
        args={"continuous_retention_days": continuous},
    )
    locks = g.of_type("aws:backup/vaultLockConfiguration:VaultLockConfiguration")
    assert len(locks) == 2
    kept = [
        lc["deleteAfter"]
        for r in g.one("aws:backup/plan:Plan").props["rules"]
        for lc in [r["lifecycle"], *[c["lifecycle"] for c in r["copyActions"]]]
    ]
    assert len(kept) == 8
    for lock in locks:
        assert all(lock.props["minRetentionDays"] <= days <= lock.props["maxRetentionDays"] for days in kept), kept


def test_plan_rules_schedule_retention_cold_storage_and_copies(full: Graph) -> None:
    """Daily, weekly and monthly rules in UTC with a 1-hour start and 3-hour completion window;
    monthly points go to cold storage after 90 days where the type supports it (EBS snapshot
    archive), which AWS Backup allows only when they are deleted 90 days after that or later
    (AWS Backup Developer Guide, "Lifecycle and storage tiers"); each copies to the DR vault with
    the same lifecycle; continuous backup (RDS point-in-time) is kept at most 35 days, AWS
    Backup's ceiling for continuous backups."""
    plan = full.one("aws:backup/plan:Plan")
    assert plan.props["name"] == "groundwork-test-backup-plan"
    rules = {r["ruleName"]: r for r in plan.props["rules"]}
    assert list(rules) == ["daily", "weekly", "monthly", "continuous-pitr"]
    dr_arn = vaults(full)["backups-dr-vault"].outputs["arn"]
    expected = {
        "daily": ("cron(0 3 * * ? *)", 7, None),
        "weekly": ("cron(0 4 ? * SUN *)", 28, None),
        "monthly": ("cron(0 5 1 * ? *)", 365, 90),
        "continuous-pitr": ("cron(0 2 * * ? *)", 30, None),
    }
    for name, (schedule, days, cold) in expected.items():
        r = rules[name]
        assert (r["schedule"], r["startWindow"], r["completionWindow"]) == (schedule, 60, 180)
        lifecycle = {"deleteAfter": days} | (
            {"coldStorageAfter": cold, "optInToArchiveForSupportedResources": True} if cold else {}
        )
        assert r["lifecycle"] == lifecycle, name
        assert r["copyActions"] == [{"destinationVaultArn": dr_arn, "lifecycle": lifecycle}], name
        assert r["recoveryPointTags"] == {"Backup": "groundwork-test", "Retention": name}
        assert r.get("enableContinuousBackup") is (True if name == "continuous-pitr" else None)
        assert r["targetVaultName"] == vaults(full)["backups-vault"].outputs["name"]


def test_cold_storage_boundary_and_the_continuous_ceiling() -> None:
    """180 days is the first retention that can move to cold storage after 90 (90 + 90); a
    continuous rule never does, and never keeps more than 35 days."""
    at = plan_backups(retention={"monthlyDays": 180}, copyToDr=False, args={"continuous_retention_days": 40})
    rules = {r["ruleName"]: r for r in at.one("aws:backup/plan:Plan").props["rules"]}
    assert rules["monthly"]["lifecycle"]["coldStorageAfter"] == 90
    assert "copyActions" not in rules["monthly"]
    assert rules["continuous-pitr"]["lifecycle"] == {"deleteAfter": 35}
    below = plan_backups(retention={"monthlyDays": 179}, continuous=False)
    rules = {r["ruleName"]: r for r in below.one("aws:backup/plan:Plan").props["rules"]}
    assert rules["monthly"]["lifecycle"] == {"deleteAfter": 179} and "continuous-pitr" not in rules


def test_backup_role_and_tag_selection(full: Graph) -> None:
    """AWS Backup assumes a role with its two managed service-role policies (AWS Backup Developer
    Guide, "Default service role for AWS Backup") and selects every resource tagged
    Backup=<project>-<stack> (the database and the EBS volumes of persistent claims)."""
    role = by_name(full, "aws:iam/role:Role")["backups-aws-backup"]
    assert json.loads(role.props["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "backup.amazonaws.com"
    }
    assert role.props["description"] == (
        "groundwork-test: AWS Backup takes and restores recovery points of tagged resources"
    )
    attachments = {
        a.props["policyArn"]
        for a in full.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if deps(a, "role") == [role.urn]
    }
    assert attachments == {
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
    }
    selection = full.one("aws:backup/selection:Selection")
    assert selection.props["name"] == "tagged-resources"
    assert selection.props["selectionTags"] == [{"type": "STRINGEQUALS", "key": "Backup", "value": "groundwork-test"}]
    assert deps(selection, "planId") == [full.one("aws:backup/plan:Plan").urn]
    assert deps(selection, "iamRoleArn") == [role.urn]


def test_no_aws_backup_when_off() -> None:
    g = plan_backups(awsBackup=False)
    assert g.of_type("aws:backup/vault:Vault") == [] and g.of_type("aws:backup/plan:Plan") == []
    assert g.one("groundwork:backups:Backups").outputs.get("vault") is None


def test_the_plans_vault_is_the_primary_vault() -> None:
    """Alarms on backup jobs watch the vault the plan's rules write to, the primary one."""
    seen: list[str] = []

    def watch(b: Backups) -> None:
        assert b.plan_vault_name is not None
        b.plan_vault_name.apply(seen.append)

    plan_backups(built=watch)
    assert seen == ["groundwork-test-vault"]


def test_outputs(full: Graph) -> None:
    out = full.one("groundwork:backups:Backups").outputs
    assert out == {
        "bucket": f"groundwork-test-backups-{ACCOUNT}",
        "drBucket": f"groundwork-test-backups-dr-{ACCOUNT}",
        "vault": "groundwork-test-vault",
    }


def test_every_resource_is_the_backups_child(full: Graph) -> None:
    assert outside(full, "groundwork:backups:Backups") == []
