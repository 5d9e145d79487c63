"""Backups and DR: S3 buckets (split resources of pulumi-aws v7) and AWS Backup (DR-01..04, DR-07).

Bucket policies are stack policies: the split resources (BucketVersioning, ...) reference
their bucket through the `bucket` property, whose value is unknown at preview, so they are
matched to it by property dependency. Backup buckets are the ones tagged `Purpose: backups`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .core import REGISTRY, Graph, PackContext, Res, Resource, dicts, statements, sub, unknown

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
BUCKETS = (BUCKET, BUCKET_V2)
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
BACKUP_PLAN = "aws:backup/plan:Plan"
BACKUP_VAULT = "aws:backup/vault:Vault"
BACKUP_SELECTION = "aws:backup/selection:Selection"
VAULT_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
RDS = "aws:rds/instance:Instance"
PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def is_backup_bucket(b: Res) -> bool:
    tags = b.props.get("tags") or {}
    return isinstance(tags, dict) and tags.get("Purpose") == "backups"


def attached(g: Graph, bucket: Res, type_: str) -> list[Res]:
    return g.referencing(bucket, type_, prop="bucket")


def is_access_log_target(g: Graph, b: Res) -> bool:
    """A bucket tagged `Purpose: access-logs` that some BucketLogging delivers to. S3 server access
    log delivery supports only SSE-S3 default encryption on its target (AWS S3 User Guide,
    "Enabling Amazon S3 server access logging"), so DR-01's SSE-KMS rule asks SSE-S3 of these."""
    tags = b.props.get("tags") or {}
    purpose = tags.get("Purpose") if isinstance(tags, dict) else None
    return purpose == "access-logs" and bool(g.referencing(b, LOGGING, prop="targetBucket"))


def region_of(r: Res) -> str | None:
    if r.provider is None:
        return None
    region = r.provider.peek("region")
    return region if isinstance(region, str) else None


@REGISTRY.stack(
    "aws-s3-bucket-require-public-access-block",
    controls="DR-01",
    types=(*BUCKETS, PAB),
    severity="critical",
    description="Every bucket has a public-access block with all four settings on.",
    remediation="Add aws.s3.BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets true.",
)
def public_access_block(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    for b in g.of(*BUCKETS):
        blocks = attached(g, b, PAB)
        if not blocks:
            yield f"bucket {b.name} has no public-access block", b.urn
        for pab in blocks:
            off = [f for f in PAB_FLAGS if pab.props.peek(f) is not True and not unknown(pab.props.peek(f))]
            if off:
                yield f"public-access block {pab.name} of {b.name} leaves {', '.join(off)} off", pab.urn


@REGISTRY.stack(
    "aws-s3-bucket-require-versioning-and-kms",
    controls="DR-01",
    types=(*BUCKETS, VERSIONING, SSE),
    severity="high",
    description="Every bucket has versioning on and SSE-KMS with a customer-managed key and the bucket key "
    "(a server-access-log target, tagged Purpose: access-logs, uses SSE-S3: log delivery supports nothing else).",
    remediation="Add BucketVersioning (Enabled) and a BucketServerSideEncryptionConfiguration (aws:kms, kmsMasterKeyId, bucketKeyEnabled).",
)
def versioning_kms(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    for b in g.of(*BUCKETS):
        versions = attached(g, b, VERSIONING)
        status = [v.props.get("versioningConfiguration.status") for v in versions]
        if not any(s == "Enabled" or unknown(s) for s in status):
            yield f"bucket {b.name} has no versioning", b.urn
        sse = attached(g, b, SSE)
        log_target = is_access_log_target(g, b)
        if not sse:
            yield f"bucket {b.name} has no {'SSE-S3' if log_target else 'SSE-KMS'} configuration", b.urn
        for cfg in sse:
            for rule in dicts(cfg.props.items("rules")):
                default = sub(rule, "applyServerSideEncryptionByDefault", default={})
                algorithm = sub(default, "sseAlgorithm")
                if log_target:
                    if algorithm != "AES256" and not unknown(algorithm):
                        yield (
                            f"access-log bucket {b.name} encrypts with {algorithm}: S3 server access logs are "
                            "delivered only to buckets with SSE-S3 (AES256) default encryption",
                            cfg.urn,
                        )
                    continue
                if algorithm not in ("aws:kms", "aws:kms:dsse") and not unknown(algorithm):
                    yield f"bucket {b.name} encrypts with {algorithm}, not SSE-KMS", cfg.urn
                elif not sub(default, "kmsMasterKeyId"):
                    yield f"bucket {b.name} uses SSE-KMS without a customer-managed key", cfg.urn
                if rule.get("bucketKeyEnabled") is not True and algorithm == "aws:kms":
                    yield f"bucket {b.name} does not use an S3 bucket key (every object costs a KMS call)", cfg.urn


def _tls_only(doc: Any) -> bool:
    for st in statements(doc):
        secure = sub(st, "Condition", "Bool", "aws:SecureTransport")
        if st.get("Effect") == "Deny" and str(secure).lower() == "false":
            return True
    return False


@REGISTRY.stack(
    "aws-s3-bucket-require-owner-enforced-and-tls",
    controls="DR-01",
    types=(*BUCKETS, OWNERSHIP, BUCKET_POLICY),
    severity="high",
    description="Every bucket disables ACLs (BucketOwnerEnforced) and denies requests that are not over TLS.",
    remediation="Add BucketOwnershipControls (BucketOwnerEnforced) and a bucket policy denying aws:SecureTransport false.",
)
def ownership_tls(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    for b in g.of(*BUCKETS):
        owners = attached(g, b, OWNERSHIP)
        if not any(
            o.props.peek("rule.objectOwnership") in ("BucketOwnerEnforced",)
            or unknown(o.props.peek("rule.objectOwnership"))
            for o in owners
        ):
            yield f"bucket {b.name} does not enforce bucket-owner ownership (ACLs stay on)", b.urn
        policies = attached(g, b, BUCKET_POLICY)
        if not any(unknown(p.props.peek("policy")) or _tls_only(p.props.json("policy")) for p in policies):
            yield f"bucket {b.name} has no policy denying non-TLS requests", b.urn


@REGISTRY.resource(
    "aws-s3-bucket-no-public-acl",
    controls="DR-01",
    types=(*BUCKETS, "aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"),
    severity="critical",
    description="No bucket or object ACL grants public access.",
    remediation="Remove public ACLs; access goes through bucket policies and IAM.",
)
def no_public_acl(r: Resource, ctx: PackContext) -> Iterator[str]:
    acl = r.props.get("acl")
    if acl in ("public-read", "public-read-write", "authenticated-read"):
        yield f"ACL {acl}"


def _lifecycle_rules(g: Graph, b: Res) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for lc in attached(g, b, LIFECYCLE):
        rules += [r for r in dicts(lc.props.items("rules")) if r.get("status", "Enabled") == "Enabled"]
    return rules


def _prefix(rule: dict[str, Any]) -> str:
    return str(sub(rule, "filter", "prefix") or sub(rule, "filter", "and", "prefix") or sub(rule, "prefix") or "")


def _days(value: Any) -> float | None:
    if isinstance(value, dict):
        value = value.get("days")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@REGISTRY.stack(
    "aws-s3-bucket-require-lifecycle",
    controls="DR-02",
    types=(*BUCKETS, LIFECYCLE),
    severity="medium",
    description="Every bucket has a lifecycle that aborts incomplete uploads and expires or tiers objects; backup "
    "buckets keep 7 daily, 4 weekly and 12 monthly backups and move them to colder storage classes.",
    remediation="Use the Backups component's lifecycle (daily/ 7 days, weekly/ 28 days, monthly/ 365 days, IA then Glacier).",
)
def lifecycle(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    for b in g.of(*BUCKETS):
        rules = _lifecycle_rules(g, b)
        if not rules:
            yield f"bucket {b.name} has no lifecycle configuration", b.urn
            continue
        if not any(r.get("abortIncompleteMultipartUpload") for r in rules):
            yield f"bucket {b.name} never aborts incomplete multipart uploads", b.urn
        if not any(r.get("expiration") or r.get("transitions") or r.get("noncurrentVersionExpiration") for r in rules):
            yield f"bucket {b.name}'s lifecycle neither expires nor tiers objects", b.urn
        if not is_backup_bucket(b):
            continue
        classes = [
            (_prefix(r), _days(r.get("expiration")), [t.get("storageClass") for t in dicts(r.get("transitions"))])
            for r in rules
        ]
        for prefix, lo, hi in (("daily/", 7, 7), ("weekly/", 28, 35), ("monthly/", 365, 366)):
            match = [c for c in classes if c[0] == prefix]
            if not match:
                yield f"backup bucket {b.name} has no lifecycle rule for {prefix}", b.urn
            elif not any(days is not None and lo <= days <= hi for _, days, _ in match):
                yield f"backup bucket {b.name} does not expire {prefix} after {lo} days", b.urn
        if not any(
            c
            for _, _, transitions in classes
            for c in transitions
            if c in ("STANDARD_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE")
        ):
            yield f"backup bucket {b.name} never moves backups to a colder storage class", b.urn


@REGISTRY.stack(
    "aws-s3-backup-bucket-require-cross-region-replication",
    controls="DR-03",
    types=(*BUCKETS, REPLICATION),
    severity="high",
    tier="prod",
    description="Backup buckets replicate to a bucket in the DR region.",
    remediation="Set groundwork:backups.replicateToDr (on in prod); the Backups component creates the DR bucket and rule.",
)
def replication(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    for b in g.of(*BUCKETS):
        if not is_backup_bucket(b):
            continue
        configs = attached(g, b, REPLICATION)
        if not configs:
            yield f"backup bucket {b.name} does not replicate", b.urn
        for cfg in configs:
            enabled = [r for r in dicts(cfg.props.items("rules")) if r.get("status") == "Enabled"]
            if not enabled:
                yield f"replication {cfg.name} of {b.name} has no enabled rule", cfg.urn
            for dest in g.targets(cfg, "rules", *BUCKETS):
                if dest.urn != b.urn and region_of(dest) and region_of(dest) == region_of(b):
                    yield f"backup bucket {b.name} replicates to {dest.name} in the same region", cfg.urn


@REGISTRY.stack(
    "aws-s3-backup-bucket-require-object-lock",
    controls="DR-07",
    types=(*BUCKETS, OBJECT_LOCK),
    severity="high",
    tier="prod",
    description="Backup buckets use S3 Object Lock in compliance mode.",
    remediation="Create backup buckets with objectLockEnabled and a COMPLIANCE default retention (groundwork:backups.objectLockMode).",
)
def object_lock(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    for b in g.of(*BUCKETS):
        if not is_backup_bucket(b):
            continue
        if b.props.peek("objectLockEnabled") is not True and not unknown(b.props.peek("objectLockEnabled")):
            yield f"backup bucket {b.name} was not created with Object Lock", b.urn
        locks = attached(g, b, OBJECT_LOCK)
        modes = [lock.props.get("rule.defaultRetention.mode") for lock in locks]
        if not any(m == "COMPLIANCE" or unknown(m) for m in modes):
            yield f"backup bucket {b.name} has no COMPLIANCE-mode default retention", b.urn


def _copy_regions(g: Graph, plan: Res) -> list[str | None]:
    vaults = g.targets(plan, "rules", BACKUP_VAULT)
    own = region_of(plan)
    return [region_of(v) for v in vaults if region_of(v) != own or own is None]


@REGISTRY.stack(
    "aws-backup-plan-covers-databases-with-dr-copy",
    controls="DR-04",
    types=(RDS, BACKUP_PLAN, BACKUP_SELECTION, BACKUP_VAULT),
    severity="high",
    tier="stg+",
    description="An AWS Backup plan with daily, weekly and monthly rules covers every database and copies to a vault "
    "in the DR region; the vault is KMS-encrypted.",
    remediation="The Backups component creates the plan, the tag-based selection and the DR vault.",
)
def backup_plan(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    if not g.of(RDS):
        return
    plans = g.of(BACKUP_PLAN)
    if not plans:
        yield "databases exist but no AWS Backup plan covers them", ""
        return
    for plan in plans:
        rules = dicts(plan.props.items("rules"))
        names = " ".join(str(r.get("ruleName", "")).lower() for r in rules)
        missing = [k for k in ("daily", "weekly", "monthly") if k not in names]
        if missing:
            yield f"backup plan {plan.name} has no {', '.join(missing)} rule", plan.urn
        if not any(r.get("copyActions") for r in rules):
            yield f"backup plan {plan.name} copies nothing to another region", plan.urn
        elif not _copy_regions(g, plan):
            yield f"backup plan {plan.name} copies only within its own region", plan.urn
    selections = g.of(BACKUP_SELECTION)
    covered = {u for s in selections for u in s.deps("resources")}
    by_tag = any(s.props.has("selectionTags") or s.props.has("conditions") for s in selections)
    for db in g.of(RDS):
        if db.urn not in covered and not by_tag:
            yield f"database {db.name} is in no backup selection", db.urn
    for vault in g.of(BACKUP_VAULT):
        if not vault.props.has("kmsKeyArn"):
            yield f"backup vault {vault.name} is not encrypted with a customer-managed key", vault.urn


@REGISTRY.stack(
    "aws-backup-vault-require-lock",
    controls="DR-04",
    types=(BACKUP_VAULT, VAULT_LOCK),
    severity="high",
    tier="prod",
    description="Backup vaults have a vault lock (backups cannot be deleted early, even by an administrator).",
    remediation="The Backups component adds a VaultLockConfiguration in prod (groundwork:backups.vaultLock).",
)
def vault_lock(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    for vault in g.of(BACKUP_VAULT):
        if not g.referencing(vault, VAULT_LOCK, prop="backupVaultName"):
            yield f"backup vault {vault.name} has no vault lock", vault.urn
