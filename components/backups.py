"""Backups and DR copies (DR-01..DR-04, DR-07).

Behaviour:
- A backup bucket (`Purpose: backups`, a SecureBucket under the `data` key) whose lifecycle
  keeps the retention classes: objects under `daily/` for `dailyDays` (7), `weekly/` for
  `weeklyDays` (28, i.e. 4 weekly), `monthly/` for `monthlyDays` (365, 12 monthly, moved to
  Standard-IA after 30 days and Glacier Flexible Retrieval after 90); noncurrent versions
  expire after a week. Object Lock is enabled on the bucket whatever the mode (switching `objectLockMode`
  later must not replace the bucket); the mode and days set the default retention that makes
  recovery points immutable.
- With `replicateToDr`: a replica bucket in the DR region (`Purpose: backups-replica`, the
  DR `data` key, same lifecycle and lock) and a replication rule for every object, through a
  role that may read only the source bucket and write only the replica, with only the two keys.
- AWS Backup (`awsBackup`): a vault under the `data` key, a plan with daily, weekly and monthly
  rules matching the retention above (and a continuous rule for point-in-time recovery of RDS
  with `continuous`), each copying to a DR-region vault with `copyToDr`; points kept 180 days
  or more move to cold storage after 90 where the resource type supports it (EBS snapshot
  archive; RDS stays warm); the selection is every resource
  tagged `Backup: <project>-<stack>` (the database, and EBS volumes of persistent claims);
  vault lock on both vaults with `vaultLock` (recovery points cannot be deleted early).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.bucket import SecureBucket, SecureBucketArgs
from components.providers import account_and_partition
from groundwork import iam
from groundwork.naming import Naming
from groundwork.settings.model import BackupsSettings

COLD_AFTER_DAYS = 90


def lifecycle_rules(s: BackupsSettings) -> list[dict]:
    r = s.retention
    return [
        {"id": "daily", "status": "Enabled", "filter": {"prefix": "daily/"}, "expiration": {"days": r.daily_days}},
        {"id": "weekly", "status": "Enabled", "filter": {"prefix": "weekly/"}, "expiration": {"days": r.weekly_days}},
        {
            "id": "monthly",
            "status": "Enabled",
            "filter": {"prefix": "monthly/"},
            "expiration": {"days": r.monthly_days},
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


@dataclass(frozen=True)
class BackupsArgs:
    settings: BackupsSettings
    naming: Naming
    region: str
    dr_region: str
    data_key_arn: pulumi.Input[str]
    dr_data_key_arn: pulumi.Input[str] | None
    dr_provider: aws.Provider
    backup_tag: str
    continuous_retention_days: int = 7  # the database's own point-in-time window (AWS Backup takes it over)
    aws_backup: bool = True
    force_destroy: bool = False
    protect: bool = True


class Backups(pulumi.ComponentResource):
    bucket: pulumi.Output[str]
    dr_bucket: pulumi.Output[str] | None
    vault_name: pulumi.Output[str] | None
    dr_vault_name: pulumi.Output[str] | None

    def __init__(self, name: str, args: BackupsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:backups:Backups", name, None, opts)
        s = args.settings
        account, partition = account_and_partition(self)
        if s.adopt_bucket:
            # a DR rebuild takes over the surviving replica instead of creating an empty bucket
            self.bucket = pulumi.Output.from_input(s.adopt_bucket)
            self.dr_bucket = None
        else:
            self._buckets(name, args, account)

        self.vault_name = self.dr_vault_name = None
        self.plan_vault_name: pulumi.Output[str] | None = None
        if args.aws_backup:
            self._aws_backup(name, args, partition)
        self.register_outputs({"bucket": self.bucket, "drBucket": self.dr_bucket, "vault": self.vault_name})

    def _buckets(self, name: str, args: BackupsArgs, account: pulumi.Output[str]) -> None:
        s, naming = args.settings, args.naming
        child = pulumi.ResourceOptions(parent=self)
        dr = pulumi.ResourceOptions(parent=self, provider=args.dr_provider)
        lock = None if s.object_lock_mode == "none" else s.object_lock_mode
        dr_key = args.dr_data_key_arn
        primary = SecureBucket(
            f"{name}-bucket",
            SecureBucketArgs(
                bucket_name=pulumi.Output.concat(naming.physical("backups"), "-", account),
                kms_key_arn=args.data_key_arn,
                purpose="backups",
                lifecycle_rules=lifecycle_rules(s),
                object_lock=True,  # always: the mode then changes without replacing the bucket
                object_lock_mode=lock,
                object_lock_days=s.object_lock_days,
                force_destroy=args.force_destroy,
                protect=args.protect,
            ),
            opts=child,
        )
        self.bucket = primary.bucket
        self.dr_bucket = None
        if s.replicate_to_dr:
            assert dr_key is not None, "replication needs the DR region's data key"
            replica = SecureBucket(
                f"{name}-replica",
                SecureBucketArgs(
                    bucket_name=pulumi.Output.concat(naming.physical("backups-dr"), "-", account),
                    kms_key_arn=dr_key,
                    purpose="backups-replica",
                    lifecycle_rules=lifecycle_rules(s),
                    object_lock=True,
                    object_lock_mode=lock,
                    object_lock_days=s.object_lock_days,
                    force_destroy=args.force_destroy,
                    protect=args.protect,
                ),
                opts=dr,
            )
            self.dr_bucket = replica.bucket
            role = aws.iam.Role(
                f"{name}-replication",
                assume_role_policy=json.dumps(iam.assume_role("s3.amazonaws.com")),
                description=f"{naming.prefix}: replicate the backup bucket to {args.dr_region}",
                opts=child,
            )
            aws.iam.RolePolicy(
                f"{name}-replication",
                role=role.id,
                policy=pulumi.Output.all(primary.arn, replica.arn, args.data_key_arn, args.dr_data_key_arn).apply(
                    lambda a: json.dumps(
                        iam.document(
                            {
                                "Sid": "ReadSource",
                                "Effect": "Allow",
                                "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                                "Resource": [a[0]],
                            },
                            {
                                "Sid": "ReadSourceObjects",
                                "Effect": "Allow",
                                "Action": [
                                    "s3:GetObjectVersionForReplication",
                                    "s3:GetObjectVersionAcl",
                                    "s3:GetObjectVersionTagging",
                                    "s3:GetObjectRetention",
                                    "s3:GetObjectLegalHold",
                                ],
                                "Resource": [f"{a[0]}/*"],
                            },
                            {
                                "Sid": "WriteReplica",
                                "Effect": "Allow",
                                "Action": [
                                    "s3:ReplicateObject",
                                    "s3:ReplicateDelete",
                                    "s3:ReplicateTags",
                                    "s3:ObjectOwnerOverrideToBucketOwner",
                                ],
                                "Resource": [f"{a[1]}/*"],
                            },
                            {"Sid": "DecryptSource", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [a[2]]},
                            {
                                "Sid": "EncryptReplica",
                                "Effect": "Allow",
                                "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
                                "Resource": [a[3]],
                            },
                        )
                    )
                ),
                opts=child,
            )
            aws.s3.BucketReplicationConfig(
                f"{name}-replication",
                bucket=primary.resource.id,
                role=role.arn,
                rules=[
                    aws.s3.BucketReplicationConfigRuleArgs(
                        id="to-dr-region",
                        status="Enabled",
                        filter=aws.s3.BucketReplicationConfigRuleFilterArgs(),
                        delete_marker_replication=aws.s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(
                            status="Enabled"
                        ),
                        source_selection_criteria=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
                            sse_kms_encrypted_objects=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(
                                status="Enabled"
                            )
                        ),
                        destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                            bucket=replica.arn,
                            encryption_configuration=aws.s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
                                replica_kms_key_id=dr_key
                            ),
                        ),
                    )
                ],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[primary.versioning, replica.versioning]),
            )

    def _aws_backup(self, name: str, args: BackupsArgs, partition: pulumi.Output[str]) -> None:
        s, naming = args.settings, args.naming
        child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect)
        vault = aws.backup.Vault(
            f"{name}-vault",
            name=naming.physical("vault", kind="backup-vault"),
            kms_key_arn=args.data_key_arn,
            opts=stateful,
        )
        self.vault_name = vault.name
        vaults = [vault]
        dr_vault = None
        if s.copy_to_dr:
            dr_vault = aws.backup.Vault(
                f"{name}-dr-vault",
                name=naming.physical("vault-dr", kind="backup-vault"),
                kms_key_arn=args.dr_data_key_arn,
                opts=pulumi.ResourceOptions(
                    parent=self, provider=args.dr_provider, protect=args.protect, retain_on_delete=args.protect
                ),
            )
            self.dr_vault_name = dr_vault.name
            vaults.append(dr_vault)
        if s.vault_lock:
            for v in vaults:
                aws.backup.VaultLockConfiguration(
                    f"{name}-lock-{'dr' if v is dr_vault else 'primary'}",
                    backup_vault_name=v.name,
                    min_retention_days=min(7, s.retention.daily_days),
                    # the longest retention any rule keeps: monthly (90-3650 days) is always above
                    # weekly (at most 90), daily and continuous (at most 35), bounds the settings hold
                    max_retention_days=s.retention.monthly_days,
                    changeable_for_days=3,
                    opts=pulumi.ResourceOptions(parent=self, provider=args.dr_provider if v is dr_vault else None),
                )
        r = s.retention

        def rule(rule_name: str, schedule: str, days: int, continuous: bool = False) -> aws.backup.PlanRuleArgs:
            # Long-lived points move to cold storage after 90 days where the resource type supports it
            # (EBS snapshot archive; AWS Backup ignores it for RDS). Deletion must be 90 days later still.
            cold = COLD_AFTER_DAYS if not continuous and days >= COLD_AFTER_DAYS + 90 else None
            archive = True if cold else None
            copies = (
                [
                    aws.backup.PlanRuleCopyActionArgs(
                        destination_vault_arn=dr_vault.arn,
                        lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(
                            delete_after=days,
                            cold_storage_after=cold,
                            opt_in_to_archive_for_supported_resources=archive,
                        ),
                    )
                ]
                if dr_vault
                else None
            )
            return aws.backup.PlanRuleArgs(
                rule_name=rule_name,
                target_vault_name=vault.name,
                schedule=schedule,
                start_window=60,
                completion_window=180,
                enable_continuous_backup=continuous or None,
                lifecycle=aws.backup.PlanRuleLifecycleArgs(
                    delete_after=days, cold_storage_after=cold, opt_in_to_archive_for_supported_resources=archive
                ),
                copy_actions=copies,
                recovery_point_tags={"Backup": args.backup_tag, "Retention": rule_name},
            )

        rules = [
            rule("daily", "cron(0 3 * * ? *)", r.daily_days),
            rule("weekly", "cron(0 4 ? * SUN *)", r.weekly_days),
            rule("monthly", "cron(0 5 1 * ? *)", r.monthly_days),
        ]
        if s.continuous:
            # point-in-time recovery is continuous; the schedule only sets when the daily snapshot is cut
            rules.append(
                rule("continuous-pitr", "cron(0 2 * * ? *)", min(35, args.continuous_retention_days), continuous=True)
            )
        plan = aws.backup.Plan(f"{name}-plan", name=naming.physical("backup-plan"), rules=rules, opts=child)
        role = aws.iam.Role(
            f"{name}-aws-backup",
            assume_role_policy=json.dumps(iam.assume_role("backup.amazonaws.com")),
            description=f"{naming.prefix}: AWS Backup takes and restores recovery points of tagged resources",
            opts=child,
        )
        for policy in ("AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"):
            aws.iam.RolePolicyAttachment(
                f"{name}-{policy}",
                role=role.name,
                policy_arn=partition.apply(_service_role_policy(policy)),
                opts=child,
            )
        aws.backup.Selection(
            f"{name}-tagged",
            name="tagged-resources",
            plan_id=plan.id,
            iam_role_arn=role.arn,
            selection_tags=[
                aws.backup.SelectionSelectionTagArgs(type="STRINGEQUALS", key="Backup", value=args.backup_tag)
            ],
            opts=child,
        )
        self.plan_id = plan.id
        # the vault the plan writes to, read from the plan (alarms on its jobs depend on the plan alone)
        self.plan_vault_name = plan.rules.apply(lambda rules: rules[0].target_vault_name)


def _service_role_policy(policy: str) -> Callable[[str], str]:
    return lambda partition: f"arn:{partition}:iam::aws:policy/service-role/{policy}"
