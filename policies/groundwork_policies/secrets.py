"""Secrets and keys: SEC-02, SEC-03, SEC-06, SEC-07 (SEC-01/04/05 live with the resources they concern)."""

from __future__ import annotations

from collections.abc import Iterator

from .core import REGISTRY, Graph, PackContext, Resource, as_list, statements

KEY = "aws:kms/key:Key"
REPLICA_KEY = "aws:kms/replicaKey:ReplicaKey"
SECRET = "aws:secretsmanager/secret:Secret"
ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
TRAIL = "aws:cloudtrail/trail:Trail"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
LOGGING = "aws:s3/bucketLogging:BucketLogging"


@REGISTRY.resource(
    "aws-secretsmanager-secret-require-cmk",
    controls="SEC-02",
    types=SECRET,
    severity="high",
    description="Secrets Manager secrets are encrypted with a customer-managed KMS key.",
    remediation="Set kmsKeyId to the stack's secrets key.",
)
def secret_cmk(r: Resource, ctx: PackContext) -> Iterator[str]:
    if not r.props.has("kmsKeyId"):
        yield "no customer-managed kmsKeyId (the AWS-managed aws/secretsmanager key would be used)"


@REGISTRY.stack(
    "aws-secretsmanager-database-secret-require-rotation",
    controls="SEC-03",
    types=(SECRET, ROTATION),
    severity="high",
    tier="stg+",
    description="Database credential secrets (tag SecretType: database) rotate automatically at least every 90 days.",
    remediation="Attach a SecretRotation (the Database component's rotation function) with automaticallyAfterDays <= 90.",
)
def rotation(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    for s in g.of(SECRET):
        tags = s.props.get("tags") or {}
        if not (isinstance(tags, dict) and tags.get("SecretType") == "database"):
            continue
        rotations = g.referencing(s, ROTATION, prop="secretId")
        if not rotations:
            yield f"database secret {s.name} does not rotate", s.urn
        for rot in rotations:
            days = rot.props.peek("rotationRules.automaticallyAfterDays")
            schedule = rot.props.peek("rotationRules.scheduleExpression")
            if isinstance(days, int | float) and days > 90:
                yield f"database secret {s.name} rotates every {days:g} days (at most 90)", rot.urn
            if days is None and not schedule:
                yield f"rotation {rot.name} of {s.name} has no schedule", rot.urn


@REGISTRY.resource(
    "aws-kms-key-require-rotation-and-policy",
    controls="SEC-06",
    types=(KEY, REPLICA_KEY),
    severity="high",
    description="KMS keys rotate, have an explicit key policy, and no statement allows the '*' principal without conditions.",
    remediation="enableKeyRotation true; a policy naming the account root and service principals with conditions.",
)
def key_policy(r: Resource, ctx: PackContext) -> Iterator[str]:
    if (
        r.type == KEY
        and r.props.flag("enableKeyRotation") is not True
        and r.props.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
    ):
        yield "enableKeyRotation is not true"
    if not r.props.has("policy"):
        yield "no explicit key policy (the default grants the whole account through IAM only)"
        return
    # an unknown policy raises the SDK's UnknownValueError here ("can't run during preview"); text
    # that is not a JSON object has no statements
    for st in statements(r.props.json("policy")):
        principal = st.get("Principal")
        aws = principal.get("AWS") if isinstance(principal, dict) else principal
        if st.get("Effect") == "Allow" and "*" in as_list(aws) and not st.get("Condition"):
            yield f"statement {st.get('Sid', '?')} allows the '*' principal without conditions"


@REGISTRY.stack(
    "aws-cloudtrail-require-audited-management-events",
    controls="SEC-07",
    types=TRAIL,
    severity="high",
    tier="prod",
    description="A CloudTrail trail records management events (Secrets Manager access among them), validated and KMS-encrypted.",
    remediation="The Secrets component creates the trail in prod (multi-region, log file validation, KMS).",
)
def cloudtrail(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    trails = g.of(TRAIL)
    if not trails:
        yield "no CloudTrail trail records management events", ""
    for t in trails:
        if t.props.get("enableLogFileValidation") is not True:
            yield f"trail {t.name} has no log file validation", t.urn
        if not t.props.has("kmsKeyId"):
            yield f"trail {t.name} is not KMS-encrypted", t.urn
        if t.props.get("enableLogging") is False:
            yield f"trail {t.name} is not logging", t.urn
        selectors = [s for s in t.props.items("eventSelectors") if isinstance(s, dict)]
        if selectors and not any(s.get("includeManagementEvents", True) is True for s in selectors):
            yield f"trail {t.name} excludes management events", t.urn


@REGISTRY.stack(
    "aws-cloudtrail-bucket-require-access-logging",
    controls="SEC-07",
    types=(TRAIL, *BUCKETS, LOGGING),
    severity="medium",
    tier="prod",
    description="The bucket a CloudTrail trail writes to has S3 server access logging into another bucket, so reads "
    "of the audit trail itself are recorded (CIS AWS Foundations 3.6, checkov CKV_AWS_18).",
    remediation="The Secrets component adds a BucketLogging from the audit bucket to its access-logs bucket.",
)
def cloudtrail_bucket_logging(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    for t in g.of(TRAIL):
        for b in g.targets(t, "s3BucketName", *BUCKETS):
            logging = g.referencing(b, LOGGING, prop="bucket")
            if not logging:
                yield f"trail {t.name} writes to bucket {b.name}, which has no server access logging", b.urn
            for cfg in logging:
                if b.urn in cfg.deps("targetBucket"):
                    yield f"bucket {b.name} logs its own access to itself (each log write would be logged)", cfg.urn
