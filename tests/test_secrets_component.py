"""The Secrets component on its own (groundwork.plan.run_function): application and platform
secrets, their generated values and rotation by generation, and the audit trail with its
buckets, without planning a stack (issue 18)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.secrets import PlatformSecret, Secrets, SecretsArgs
from groundwork.naming import Naming
from groundwork.plan.graph import Graph, is_secret
from groundwork.plan.runner import run_function
from groundwork.settings.model import ServiceSettings
from tests.helpers import by_name, deps, outside

KEYS = {p: f"arn:aws:kms:eu-west-1:111111111111:key/{p}" for p in ("secrets", "logs")}
DR_KEY = "arn:aws:kms:eu-central-1:111111111111:key/dr-secrets"
ACCOUNT = "123456789012"


def service(name: str, *secrets: dict[str, Any]) -> ServiceSettings:
    return ServiceSettings.model_validate({"name": name, "team": "team-a", "port": 8080, "secrets": list(secrets)})


def plan_secrets(**args: Any) -> Graph:
    def body() -> None:
        Secrets(
            "secrets",
            SecretsArgs(
                naming=Naming("groundwork", "test"),
                region="eu-west-1",
                secrets_key_arn=KEYS["secrets"],
                logs_key_arn=KEYS["logs"],
                **{"services": [], "cloud_trail": False, **args},
            ),
        )

    return run_function(body, config={"aws:region": "eu-west-1"})


@pytest.fixture(scope="module")
def apps() -> Graph:
    return plan_secrets(
        services=[
            service("api", {"name": "jwt-key", "length": 64, "special": True}, {"name": "cookie", "generation": 3}),
            service("quiet"),
        ],
        replica_regions=[("eu-central-1", DR_KEY)],
        recovery_window_days=14,
        platform_secrets=[
            PlatformSecret(
                "grafana-admin", "Grafana admin", generated_keys=("password",), fixed=(("user", "admin"),), length=40
            ),
            PlatformSecret("argocd-repository", "Argo CD repository credentials"),
        ],
    )


@pytest.fixture(scope="module")
def trail() -> Graph:
    return plan_secrets(cloud_trail=True, trail_retention_days=400)


def test_app_secret_per_service_with_secrets(apps: Graph) -> None:
    """SEC-01/SEC-02: one secret per service that declares secrets, under the secrets key,
    replicated to the DR region, with its recovery window, kept; a service without secrets gets
    none."""
    secrets = by_name(apps, "aws:secretsmanager/secret:Secret")
    api = secrets["secrets-api"]
    assert api.props == {
        "name": "groundwork/test/services/api/app",
        "description": "Generated application secrets of api: jwt-key, cookie",
        "kmsKeyId": KEYS["secrets"],
        "recoveryWindowInDays": 14,
        "replicas": [{"region": "eu-central-1", "kmsKeyId": DR_KEY}],
        "tags": {"SecretType": "application", "Service": "api", "Team": "team-a"},
    }
    assert api.options.get("protect") is True
    assert "secrets-quiet" not in secrets


def test_generated_values_and_rotation_by_generation(apps: Graph) -> None:
    """Every value comes from pulumi-random and stays a Pulumi secret; raising `generation`
    replaces it (a keeper changes, and every input of RandomPassword forces a new value), while
    generation 1 sets no keeper so values made before the setting existed are kept."""
    passwords = by_name(apps, "random:index/randomPassword:RandomPassword")
    assert passwords["secrets-api-jwt-key"].props == {"length": 64, "special": True}
    assert passwords["secrets-api-cookie"].props == {"length": 32, "special": False, "keepers": {"generation": "3"}}
    version = by_name(apps, "aws:secretsmanager/secretVersion:SecretVersion")["secrets-api"]
    assert is_secret(version.inputs["secretString"])
    assert set(json.loads(version.props["secretString"])) == {"jwt-key", "cookie"}
    assert deps(version, "secretId") == [by_name(apps, "aws:secretsmanager/secret:Secret")["secrets-api"].urn]
    assert {passwords["secrets-api-jwt-key"].urn, passwords["secrets-api-cookie"].urn} <= set(
        deps(version, "secretString")
    )
    first = plan_secrets(services=[service("api", {"name": "cookie", "generation": 1})])
    assert "keepers" not in first.one("random:index/randomPassword:RandomPassword").props
    second = plan_secrets(services=[service("api", {"name": "cookie", "generation": 2})])
    assert second.one("random:index/randomPassword:RandomPassword").props["keepers"] == {"generation": "2"}


def test_platform_secrets_generated_or_left_to_the_operator(apps: Graph) -> None:
    """A generated platform secret holds its fixed keys and generated values; an operator-provided
    one is created empty (its value never passes through the program or the state)."""
    secrets = by_name(apps, "aws:secretsmanager/secret:Secret")
    grafana, repo = secrets["secrets-platform-grafana-admin"], secrets["secrets-platform-argocd-repository"]
    assert grafana.props["name"] == "groundwork/test/platform/grafana-admin"
    assert grafana.props["description"] == "Grafana admin"
    assert grafana.props["tags"] == {"SecretType": "platform-generated"}
    assert repo.props["tags"] == {"SecretType": "platform"}
    for s in (grafana, repo):
        assert s.props["kmsKeyId"] == KEYS["secrets"] and s.props["recoveryWindowInDays"] == 14
        assert s.props["replicas"] == [{"region": "eu-central-1", "kmsKeyId": DR_KEY}]
        assert s.options.get("protect") is True
    versions = by_name(apps, "aws:secretsmanager/secretVersion:SecretVersion")
    assert "secrets-platform-argocd-repository" not in versions
    value = json.loads(versions["secrets-platform-grafana-admin"].props["secretString"])
    assert set(value) == {"user", "password"} and value["user"] == "admin"
    assert deps(versions["secrets-platform-grafana-admin"], "secretId") == [grafana.urn]
    pw = by_name(apps, "random:index/randomPassword:RandomPassword")["secrets-platform-grafana-admin-password"]
    assert pw.props == {"length": 40, "special": False}


def test_secrets_not_kept_when_not_protected() -> None:
    g = plan_secrets(services=[service("api", {"name": "k"})], protect=False)
    assert not g.one("aws:secretsmanager/secret:Secret").options.get("protect")
    assert g.one("aws:secretsmanager/secret:Secret").props["recoveryWindowInDays"] == 30


def test_defaults_log_the_account_and_generate_32_characters() -> None:
    """Left out, the arguments mean a CloudTrail trail (SEC-07) and platform values of 32
    characters without special characters."""

    def body() -> None:
        Secrets(
            "secrets",
            SecretsArgs(
                naming=Naming("groundwork", "test"),
                region="eu-west-1",
                services=[],
                secrets_key_arn=KEYS["secrets"],
                logs_key_arn=KEYS["logs"],
                platform_secrets=[PlatformSecret("grafana-admin", "Grafana admin", generated_keys=("password",))],
            ),
        )

    g = run_function(body, config={"aws:region": "eu-west-1"})
    assert len(g.of_type("aws:cloudtrail/trail:Trail")) == 1
    assert g.one("random:index/randomPassword:RandomPassword").props == {"length": 32, "special": False}


def test_no_trail_unless_asked(apps: Graph) -> None:
    assert apps.of_type("aws:cloudtrail/trail:Trail") == [] and apps.of_type("aws:s3/bucket:Bucket") == []
    assert apps.one("groundwork:secrets:Secrets").outputs.get("trailArn") is None


def test_trail_is_multi_region_validated_encrypted_and_logging(trail: Graph) -> None:
    """SEC-07 (CIS AWS 3.1, 3.2, 3.5): multi-region with global service events, log file
    validation, KMS-encrypted, logging; it waits for its bucket (CloudTrail checks the bucket
    policy when the trail is created)."""
    t = trail.one("aws:cloudtrail/trail:Trail")
    assert {k: v for k, v in t.props.items() if k != "s3BucketName"} == {
        "name": "groundwork-test-trail",
        "kmsKeyId": KEYS["logs"],
        "isMultiRegionTrail": True,
        "includeGlobalServiceEvents": True,
        "enableLogFileValidation": True,
        "enableLogging": True,
        "tags": {"Name": "groundwork-test-trail"},
    }
    audit = by_name(trail, "aws:s3/bucket:Bucket")["secrets-audit"]
    assert t.props["s3BucketName"] == audit.props["bucket"] == f"groundwork-test-audit-logs-{ACCOUNT}"
    # depending on the component is depending on its children (the SDK expands it): the policy among them
    policy = next(p for p in trail.of_type("aws:s3/bucketPolicy:BucketPolicy") if p.name == "secrets-audit-policy")
    assert policy.urn in t.dependencies


def test_audit_bucket_admits_only_this_trail(trail: Graph) -> None:
    """The bucket policy CloudTrail needs (CloudTrail User Guide, "Amazon S3 bucket policy for
    CloudTrail"): GetBucketAcl for the account, PutObject under AWSLogs/<account>/ for this trail
    only, with the bucket-owner-full-control ACL."""
    bucket_arn = f"arn:aws:s3:::groundwork-test-audit-logs-{ACCOUNT}"
    trail_arn = f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/groundwork-test-trail"
    policies = {
        p.parent.split("::")[-1]: json.loads(p.props["policy"])
        for p in trail.of_type("aws:s3/bucketPolicy:BucketPolicy")
    }
    statements = policies["secrets-audit"]["Statement"]
    assert statements[1:] == [
        {
            "Sid": "CloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        },
        {
            "Sid": "CloudTrailWrite",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/AWSLogs/{ACCOUNT}/*",
            "Condition": {"StringEquals": {"aws:SourceArn": trail_arn, "s3:x-amz-acl": "bucket-owner-full-control"}},
        },
    ]
    logs_arn = f"arn:aws:s3:::groundwork-test-access-logs-{ACCOUNT}"
    assert policies["secrets-access-logs"]["Statement"][1:] == [
        {
            "Sid": "S3ServerAccessLogs",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{logs_arn}/audit-logs/*",
            "Condition": {"ArnLike": {"aws:SourceArn": bucket_arn}, "StringEquals": {"aws:SourceAccount": ACCOUNT}},
        }
    ]


def test_audit_and_access_log_buckets(trail: Graph) -> None:
    """The audit bucket (logs key) ages objects to Standard-IA and Glacier and keeps them as long
    as the trail's retention; its reads and writes go to the access-log bucket (SSE-S3, no lock:
    what log delivery supports), kept as long (CIS AWS 3.6)."""
    buckets = by_name(trail, "aws:s3/bucket:Bucket")
    assert buckets["secrets-audit"].props["tags"] == {
        "Name": f"groundwork-test-audit-logs-{ACCOUNT}",
        "Purpose": "audit-logs",
    }
    assert buckets["secrets-access-logs"].props["bucket"] == f"groundwork-test-access-logs-{ACCOUNT}"
    assert buckets["secrets-access-logs"].props["tags"]["Purpose"] == "access-logs"
    for b in buckets.values():
        assert b.options.get("protect") is True
    rules = {
        r.parent.split("::")[-1]: r.props["rules"][1]
        for r in trail.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    }
    assert rules["secrets-audit"] == {
        "id": "age-out",
        "status": "Enabled",
        "filter": {},
        "transitions": [{"days": 30, "storageClass": "STANDARD_IA"}, {"days": 90, "storageClass": "GLACIER"}],
        "expiration": {"days": 400},
        "noncurrentVersionExpiration": {"noncurrentDays": 30},
    }
    assert rules["secrets-access-logs"] == {
        "id": "age-out",
        "status": "Enabled",
        "filter": {},
        "expiration": {"days": 400},
        "noncurrentVersionExpiration": {"noncurrentDays": 30},
    }
    sse = {
        r.parent.split("::")[-1]: r.props["rules"][0]["applyServerSideEncryptionByDefault"]
        for r in trail.of_type("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    }
    assert sse == {
        "secrets-audit": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEYS["logs"]},
        "secrets-access-logs": {"sseAlgorithm": "AES256"},
    }
    logging = trail.one("aws:s3/bucketLogging:BucketLogging")
    assert logging.props["targetBucket"] == f"groundwork-test-access-logs-{ACCOUNT}"
    assert logging.props["targetPrefix"] == "audit-logs/"
    assert logging.parent.split("::")[-1] == "secrets-audit"


def test_unprotected_trail_buckets() -> None:
    g = plan_secrets(cloud_trail=True, protect=False)
    assert all(not b.options.get("protect") for b in g.of_type("aws:s3/bucket:Bucket"))
    rules = [
        r.props["rules"][1]["expiration"]
        for r in g.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    ]
    assert rules == [{"days": 365}, {"days": 365}]


def test_outputs(apps: Graph, trail: Graph) -> None:
    out = apps.one("groundwork:secrets:Secrets").outputs
    assert set(out["appSecretArns"]) == {"api"}
    assert (
        trail.one("groundwork:secrets:Secrets").outputs["trailArn"]
        == trail.one("aws:cloudtrail/trail:Trail").outputs["arn"]
    )


def test_every_resource_is_the_secrets_child(apps: Graph, trail: Graph) -> None:
    assert outside(apps, "groundwork:secrets:Secrets") == []
    assert outside(trail, "groundwork:secrets:Secrets") == []
