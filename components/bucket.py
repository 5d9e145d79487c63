"""A hardened S3 bucket (DR-01, DR-02, DR-07): every bucket Groundwork creates is one of these.

Behaviour: versioning on; SSE-KMS with the given customer-managed key and the S3 bucket key
(one exception: a target of S3 server access logs, `purpose="access-logs"`, uses SSE-S3,
because log delivery supports only SSE-S3 default encryption on the target bucket: AWS S3 User
Guide, "Enabling Amazon S3 server access logging", destination bucket requirements);
all four public-access blocks; ACLs disabled (BucketOwnerEnforced); a bucket policy denying
any request not made over TLS (plus the caller's statements); the caller's lifecycle rules
plus aborting incomplete multipart uploads after a day; optional Object Lock: `object_lock`
enables it when the bucket is created, and `object_lock_mode` only sets the default retention
(GOVERNANCE or COMPLIANCE, or none). Object Lock is fixed at creation in the AWS provider
(`objectLockEnabled` forces a new bucket: pulumi-aws 7.x `s3.Bucket` docs, "Forces new
resource"), so a bucket that may ever need a lock is created with it, and changing the mode later
is an in-place update of `aws.s3.BucketObjectLockConfiguration`. With `protect`, Pulumi
refuses to delete or replace the bucket and leaves it in AWS on destroy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class SecureBucketArgs:
    bucket_name: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str] | None  # None only for an access-log target (SSE-S3)
    lifecycle_rules: list[dict[str, Any]] = field(default_factory=list)
    purpose: str | None = None
    object_lock: bool = False  # enabled at creation; cannot be turned on in place by the provider
    object_lock_mode: str | None = None  # default retention: "COMPLIANCE" | "GOVERNANCE" | None (no default)
    object_lock_days: int = 7
    policy_statements: list[pulumi.Input[dict[str, Any]]] = field(default_factory=list)
    force_destroy: bool = False
    protect: bool = True
    # server access logs of this bucket: (target bucket name, key prefix); the target is an
    # `access-logs` SecureBucket whose policy lets logging.s3.amazonaws.com write under the prefix
    access_logs: tuple[pulumi.Input[str], str] | None = None


ACCESS_LOGS = "access-logs"  # the purpose of a server-access-log target bucket (SSE-S3, see above)


def tls_only_statement(bucket_arn: str) -> dict[str, Any]:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


ABORT_UPLOADS = {
    "id": "abort-incomplete-uploads",
    "status": "Enabled",
    "filter": {},
    "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
}


class SecureBucket(pulumi.ComponentResource):
    bucket: pulumi.Output[str]
    arn: pulumi.Output[str]
    resource: aws.s3.Bucket

    def __init__(self, name: str, args: SecureBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:bucket:SecureBucket", name, None, opts)
        if args.purpose == ACCESS_LOGS and (args.object_lock or args.object_lock_mode):
            # "The destination bucket must not have a default retention period configuration" (same page)
            raise ValueError("an access-log target bucket cannot use Object Lock")
        if args.purpose != ACCESS_LOGS and args.kms_key_arn is None:
            raise ValueError(f"bucket {name} needs a KMS key (DR-01)")
        child = pulumi.ResourceOptions(parent=self)
        tags = {"Purpose": args.purpose} if args.purpose else {}
        self.resource = aws.s3.Bucket(
            name,
            bucket=args.bucket_name,
            object_lock_enabled=args.object_lock or bool(args.object_lock_mode),
            force_destroy=args.force_destroy,
            tags={"Name": args.bucket_name, **tags},  # type: ignore[dict-item]
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect),
        )
        b = self.resource
        self.bucket, self.arn = b.bucket, b.arn
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=b.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-sse",
            bucket=b.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="AES256"
                    ),
                )
                if args.purpose == ACCESS_LOGS
                else aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=args.kms_key_arn
                    ),
                    bucket_key_enabled=True,
                )
            ],
            opts=child,
        )
        block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=b.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=b.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        policy = pulumi.Output.all(b.arn, *args.policy_statements).apply(
            lambda a: json.dumps({"Version": "2012-10-17", "Statement": [tls_only_statement(a[0]), *a[1:]]})
        )
        aws.s3.BucketPolicy(
            f"{name}-policy", bucket=b.id, policy=policy, opts=pulumi.ResourceOptions(parent=self, depends_on=[block])
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=b.id,
            rules=[ABORT_UPLOADS, *args.lifecycle_rules],  # type: ignore[list-item]
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        if args.object_lock_mode:
            aws.s3.BucketObjectLockConfiguration(
                f"{name}-object-lock",
                bucket=b.id,
                rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                    default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                        mode=args.object_lock_mode, days=args.object_lock_days
                    )
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
            )
        if args.access_logs is not None:
            target, prefix = args.access_logs
            aws.s3.BucketLogging(
                f"{name}-access-logs",
                bucket=b.id,
                target_bucket=target,
                target_prefix=prefix,
                target_object_key_format=aws.s3.BucketLoggingTargetObjectKeyFormatArgs(
                    partitioned_prefix=aws.s3.BucketLoggingTargetObjectKeyFormatPartitionedPrefixArgs(
                        partition_date_source="EventTime"
                    )
                ),
                opts=child,
            )
        self.versioning = versioning
        self.register_outputs({"bucket": self.bucket, "arn": self.arn})
