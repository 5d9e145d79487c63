"""SecureBucket on its own (groundwork.plan.run_function): what it decides for every bucket the
platform creates (DR-01, DR-02, DR-07), without planning a stack (issue 18)."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.bucket import ABORT_UPLOADS, ACCESS_LOGS, SecureBucket, SecureBucketArgs, tls_only_statement
from groundwork.plan import PlanFailed
from groundwork.plan.graph import Graph, Resource
from groundwork.plan.runner import run_function
from tests.helpers import deps, outside

KEY = "arn:aws:kms:eu-west-1:111111111111:key/data"


def plan_bucket(**args: Any) -> Graph:
    def body() -> None:
        args.setdefault("bucket_name", "groundwork-test-backups")
        args.setdefault("kms_key_arn", KEY)
        SecureBucket("b", SecureBucketArgs(**args))

    return run_function(body, config={"aws:region": "eu-west-1"})


def child(g: Graph, type_: str) -> Resource:
    return g.one(type_)


@pytest.fixture(scope="module")
def plain() -> Graph:
    return plan_bucket(purpose="backups")


def test_bucket_named_tagged_and_kept(plain: Graph) -> None:
    """GOV-02: protected and retained by default; never emptied by a destroy unless asked."""
    b = child(plain, "aws:s3/bucket:Bucket")
    assert b.props == {
        "bucket": "groundwork-test-backups",
        "objectLockEnabled": False,
        "forceDestroy": False,
        "tags": {"Name": "groundwork-test-backups", "Purpose": "backups"},
    }
    assert b.options.get("protect") is True and b.options.get("retainOnDelete") is True
    assert b.parent == plain.one("groundwork:bucket:SecureBucket").urn
    loose = child(plan_bucket(protect=False, force_destroy=True), "aws:s3/bucket:Bucket")
    assert not loose.options.get("protect") and not loose.options.get("retainOnDelete")
    assert loose.props["forceDestroy"] is True and loose.props["tags"] == {"Name": "groundwork-test-backups"}


def test_versioned_kms_encrypted_with_the_bucket_key(plain: Graph) -> None:
    """DR-01: SSE-KMS under the given customer-managed key, with the S3 Bucket Key (fewer KMS
    requests: S3 User Guide, "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys")."""
    b = child(plain, "aws:s3/bucket:Bucket")
    v = child(plain, "aws:s3/bucketVersioning:BucketVersioning")
    assert v.props["versioningConfiguration"] == {"status": "Enabled"} and deps(v, "bucket") == [b.urn]
    sse = child(plain, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert sse.props["rules"] == [
        {
            "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY},
            "bucketKeyEnabled": True,
        }
    ]
    assert deps(sse, "bucket") == [b.urn]


def test_an_access_log_target_uses_sse_s3_and_no_lock() -> None:
    """Server access log delivery writes only to SSE-S3 buckets without a default retention
    (S3 User Guide, "Enabling Amazon S3 server access logging", destination bucket requirements)."""
    g = plan_bucket(purpose=ACCESS_LOGS, kms_key_arn=None)
    sse = child(g, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert sse.props["rules"] == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    for lock in ({"object_lock": True}, {"object_lock_mode": "GOVERNANCE"}):
        with pytest.raises(PlanFailed, match="an access-log target bucket cannot use Object Lock"):
            plan_bucket(purpose=ACCESS_LOGS, kms_key_arn=None, **lock)


def test_every_other_bucket_needs_a_key() -> None:
    with pytest.raises(PlanFailed, match="bucket b needs a KMS key"):
        plan_bucket(purpose="backups", kms_key_arn=None)


def test_public_access_blocked_acls_off(plain: Graph) -> None:
    """DR-07 (CIS AWS 2.1.4): all four public-access blocks; ACLs disabled, the bucket owner owns
    every object (S3 User Guide, "Controlling ownership of objects and disabling ACLs")."""
    block = child(plain, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert {k: v for k, v in block.props.items() if k != "bucket"} == {
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    own = child(plain, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert own.props["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    b = child(plain, "aws:s3/bucket:Bucket").urn
    assert deps(block, "bucket") == [b] and deps(own, "bucket") == [b]


def test_policy_denies_plain_http_first_then_the_callers_statements() -> None:
    """The policy is written after the public-access block exists: with block_public_policy on,
    S3 then refuses any public statement instead of accepting it in a race."""
    extra = {"Sid": "LogDelivery", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}}
    g = plan_bucket(purpose="backups", policy_statements=[extra])
    policy = child(g, "aws:s3/bucketPolicy:BucketPolicy")
    arn = child(g, "aws:s3/bucket:Bucket").outputs["arn"]
    assert json.loads(policy.props["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [tls_only_statement(arn), extra],
    }
    assert tls_only_statement("arn:aws:s3:::x") == {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::x", "arn:aws:s3:::x/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    assert child(g, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").urn in policy.dependencies


def test_lifecycle_aborts_uploads_then_the_callers_rules_after_versioning() -> None:
    """The lifecycle configuration of a versioned bucket waits for its versioning (pulumi-aws
    s3.BucketLifecycleConfiguration docs: a rule on noncurrent versions needs versioning first)."""
    rule = {"id": "expire", "status": "Enabled", "filter": {}, "expiration": {"days": 35}}
    g = plan_bucket(purpose="backups", lifecycle_rules=[rule])
    life = child(g, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert [r["id"] for r in life.props["rules"]] == ["abort-incomplete-uploads", "expire"]
    assert life.props["rules"][0] == {
        "id": "abort-incomplete-uploads",
        "status": "Enabled",
        "filter": {},
        "abortIncompleteMultipartUpload": {"daysAfterInitiation": 1},
    }
    assert ABORT_UPLOADS["abort_incomplete_multipart_upload"] == {"days_after_initiation": 1}
    assert child(g, "aws:s3/bucketVersioning:BucketVersioning").urn in life.dependencies


def test_object_lock_at_creation_and_default_retention() -> None:
    """Object Lock is fixed when the bucket is created (objectLockEnabled forces a new bucket),
    so a lockable bucket is created with it even without a default retention; the retention is an
    in-place configuration that waits for versioning (Object Lock requires versioning)."""
    lockable = plan_bucket(purpose="backups", object_lock=True)
    assert child(lockable, "aws:s3/bucket:Bucket").props["objectLockEnabled"] is True
    assert lockable.of_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration") == []
    g = plan_bucket(purpose="backups", object_lock_mode="COMPLIANCE", object_lock_days=30)
    assert child(g, "aws:s3/bucket:Bucket").props["objectLockEnabled"] is True  # the mode alone enables it
    lock = child(g, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert lock.props["rule"] == {"defaultRetention": {"mode": "COMPLIANCE", "days": 30}}
    assert child(g, "aws:s3/bucketVersioning:BucketVersioning").urn in lock.dependencies
    assert deps(lock, "bucket") == [child(g, "aws:s3/bucket:Bucket").urn]
    default_days = plan_bucket(purpose="backups", object_lock_mode="GOVERNANCE")
    lock = child(default_days, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert lock.props["rule"]["defaultRetention"] == {"mode": "GOVERNANCE", "days": 7}


def test_server_access_logs_partitioned_by_event_time() -> None:
    """Date-partitioned keys by the time of the request (S3 User Guide, "Logging requests with
    server access logging", log object key format: EventTime or DeliveryTime)."""
    g = plan_bucket(purpose="backups", access_logs=("groundwork-test-access-logs", "backups/"))
    log = child(g, "aws:s3/bucketLogging:BucketLogging")
    assert log.props["targetBucket"] == "groundwork-test-access-logs" and log.props["targetPrefix"] == "backups/"
    assert log.props["targetObjectKeyFormat"] == {"partitionedPrefix": {"partitionDateSource": "EventTime"}}
    assert deps(log, "bucket") == [child(g, "aws:s3/bucket:Bucket").urn]
    assert plan_bucket(purpose="backups").of_type("aws:s3/bucketLogging:BucketLogging") == []


def test_outputs(plain: Graph) -> None:
    component = plain.one("groundwork:bucket:SecureBucket")
    assert component.outputs == {
        "bucket": "groundwork-test-backups",
        "arn": child(plain, "aws:s3/bucket:Bucket").outputs["arn"],
    }
    assert all(r.parent == component.urn for r in plain.resources if r.custom and not r.type.startswith("pulumi:"))


def test_the_components_opts_reach_the_bucket() -> None:
    """A bucket built with another provider (the DR replica) is created through it."""

    def body() -> None:
        import pulumi_aws as aws

        dr = aws.Provider("dr", region="eu-central-1")
        SecureBucket("b", SecureBucketArgs("x", KEY), opts=pulumi.ResourceOptions(provider=dr))

    g = run_function(body, config={"aws:region": "eu-west-1"})
    assert child(g, "aws:s3/bucket:Bucket").provider_urn == g.one("pulumi:providers:aws").urn


def test_every_resource_is_the_buckets_child(plain: Graph) -> None:
    assert outside(plain, "groundwork:bucket:SecureBucket") == []
