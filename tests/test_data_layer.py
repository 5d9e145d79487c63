"""The data layer as the offline plan records it (DB-*, CACHE-*, DR-01..04/07, SEC-01..03/06/07, GOV-02)."""

from __future__ import annotations

import json

import pytest

from groundwork.plan.graph import Graph, is_secret
from tests.conftest import section
from tests.helpers import by_name, deps

RDS = "aws:rds/instance:Instance"
SECRET = "aws:secretsmanager/secret:Secret"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
RG = "aws:elasticache/replicationGroup:ReplicationGroup"
BUCKET = "aws:s3/bucket:Bucket"
DB_SERVICES = ["customer-service", "menu-service", "order-service", "payment-service", "user-service"]


def key(g: Graph, name: str) -> str:
    return by_name(g, "aws:kms/key:Key")[name].urn


def provider_region(g: Graph, r) -> str:
    return g.by_urn[r.provider_urn].props["region"]


# --------------------------------------------------------------------------------------------- database


def test_database_per_tier(prod: Graph, dev: Graph) -> None:
    p, d = prod.one(RDS).props, dev.one(RDS).props
    # the major only, so AWS's minor upgrades never show as drift; majors are explicit changes
    assert (p["engine"], p["engineVersion"], p["autoMinorVersionUpgrade"]) == ("postgres", "17", True)
    assert p["allowMajorVersionUpgrade"] is True and p["applyImmediately"] is False
    assert (p["multiAz"], d["multiAz"]) == (True, False)
    assert (p["instanceClass"], d["instanceClass"]) == ("db.t4g.medium", "db.t4g.micro")
    assert (p["backupRetentionPeriod"], d["backupRetentionPeriod"]) == (30, 7)
    assert (
        p["deletionProtection"] is True
        and p["skipFinalSnapshot"] is False
        and p["finalSnapshotIdentifier"].startswith("groundwork-prod-db-final-")
    )
    suffix = prod.one("random:index/randomId:RandomId", "database-final-snapshot")
    assert p["finalSnapshotIdentifier"] == f"groundwork-prod-db-final-{suffix.outputs['hex']}"
    assert d["deletionProtection"] is False and d["skipFinalSnapshot"] is True and "finalSnapshotIdentifier" not in d
    assert p["performanceInsightsEnabled"] is True and p["monitoringInterval"] == 60
    assert d["performanceInsightsEnabled"] is False and d["monitoringInterval"] == 0
    assert p["storageType"] == "gp3" and p["maxAllocatedStorage"] > p["allocatedStorage"]
    assert p["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"] and p["publiclyAccessible"] is False
    assert p["copyTagsToSnapshot"] is True and p["tags"]["Backup"] == "groundwork-prod"
    assert prod.one(RDS).options["protect"] is True and prod.one(RDS).options["retainOnDelete"] is True
    assert not dev.one(RDS).options.get("protect")


def test_master_password_is_rds_managed_under_the_secrets_key(prod: Graph) -> None:
    db = prod.one(RDS)
    assert "password" not in db.props and db.props["manageMasterUserPassword"] is True
    assert deps(db, "masterUserSecretKmsKeyId") == [key(prod, "keys-secrets")]
    assert deps(db, "kmsKeyId") == [key(prod, "keys-data")] and db.props["storageEncrypted"] is True
    assert deps(db, "performanceInsightsKmsKeyId") == [key(prod, "keys-data")]


def test_database_placement_parameters_and_logs(prod: Graph) -> None:
    db = prod.one(RDS)
    assert deps(db, "dbSubnetGroupName") == [prod.one("aws:rds/subnetGroup:SubnetGroup").urn]
    params = prod.one("aws:rds/parameterGroup:ParameterGroup")
    assert deps(db, "parameterGroupName") == [params.urn] and params.props["family"] == "postgres17"
    values = {p["name"]: p["value"] for p in params.props["parameters"]}
    assert values["rds.force_ssl"] == "1" and values["log_min_duration_statement"] == "500"
    groups = by_name(prod, "aws:cloudwatch/logGroup:LogGroup")
    for kind in ("postgresql", "upgrade"):
        lg = groups[f"database-log-{kind}"]
        assert lg.props["name"] == f"/aws/rds/instance/groundwork-prod-db/{kind}"
        assert deps(lg, "kmsKeyId") == [key(prod, "keys-logs")] and lg.props["retentionInDays"] == 365
        assert lg.urn in db.dependencies


def test_database_accepts_only_cluster_proxy_and_rotation(prod: Graph) -> None:
    db = prod.one(RDS)
    sg_urn = deps(db, "vpcSecurityGroupIds")[0]
    sg = prod.by_urn[sg_urn]
    assert "ingress" not in sg.props  # rules are separate resources only (inline rules would delete them)
    rules = [
        r
        for r in prod.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if deps(r, "securityGroupId") == [sg_urn]
    ]
    assert {(r.props["fromPort"], r.props["toPort"]) for r in rules} == {(5432, 5432)}
    # the cluster's security group is created by EKS for the pulumi-eks child aws:eks/cluster:Cluster
    sources = {prod.by_urn[u].type for r in rules for u in deps(r, "referencedSecurityGroupId") if u in prod.by_urn}
    assert sources == {"eks:index:Cluster", "aws:eks/cluster:Cluster", "aws:ec2/securityGroup:SecurityGroup"}
    assert {r.name for r in rules} == {"database-from-cluster", "database-from-rotation", "database-from-proxy"}
    assert all("cidrIpv4" not in r.props for r in rules)


def test_service_credentials_are_generated_secret_and_rotated(prod: Graph, staging: Graph) -> None:
    secrets = {
        s.props["tags"].get("Service"): s
        for s in prod.of_type(SECRET)
        if s.props["tags"].get("SecretType") == "database"
    }
    assert sorted(secrets) == DB_SERVICES
    rotation_app = prod.one("aws:serverlessrepository/cloudFormationStack:CloudFormationStack")
    assert rotation_app.props["applicationId"].endswith("applications/SecretsManagerRDSPostgreSQLRotationMultiUser")
    # the multi-user function reads the master secret (and decrypts it) to set each service's password
    master_arn = prod.one(RDS).outputs["masterUserSecrets"][0]["secretArn"]
    assert rotation_app.props["parameters"]["masterSecretArn"] == master_arn
    assert deps(rotation_app, "parameters") and key(prod, "keys-secrets") in deps(rotation_app, "parameters")
    assert rotation_app.props["parameters"]["masterSecretKmsKeyArn"] == rotation_app.props["parameters"]["kmsKeyArn"]
    assert prod.one(RDS).props["masterUserSecretKmsKeyId"] == rotation_app.props["parameters"]["masterSecretKmsKeyArn"]
    for svc, secret in secrets.items():
        assert secret.props["name"] == f"groundwork/prod/services/{svc}/database"
        assert deps(secret, "kmsKeyId") == [key(prod, "keys-secrets")]
        assert [r["region"] for r in secret.props["replicas"]] == ["eu-central-1"]
        assert deps(secret, "replicas") == [key(prod, "keys-dr-secrets")]
        version = by_name(prod, VERSION)[f"database-{svc}"]
        assert is_secret(version.inputs["secretString"])
        payload = json.loads(version.props["secretString"])
        assert set(payload) == {"engine", "host", "proxyHost", "port", "dbname", "username", "password", "masterarn"}
        assert payload["proxyHost"].startswith("groundwork-prod-db-proxy.proxy-") and payload["host"].startswith(
            "groundwork-prod-db."
        )
        assert payload["masterarn"] == prod.one(RDS).outputs["masterUserSecrets"][0]["secretArn"]
        rotation = by_name(prod, "aws:secretsmanager/secretRotation:SecretRotation")[f"database-{svc}"]
        assert (
            rotation.props["rotationRules"] == {"automaticallyAfterDays": 30}
            and rotation.props["rotateImmediately"] is False
        )
        assert rotation.props["rotationLambdaArn"] == rotation_app.outputs["outputs"]["RotationLambdaARN"]
    assert all("replicas" not in s.props or s.props["replicas"] == [] for s in staging.of_type(SECRET))


def test_rds_proxy_requires_tls_and_reads_only_its_secrets(prod: Graph, dev: Graph) -> None:
    proxy = prod.one("aws:rds/proxy:Proxy")
    assert proxy.props["requireTls"] is True and proxy.props["engineFamily"] == "POSTGRESQL"
    secret_arns = sorted(a["secretArn"] for a in proxy.props["auths"])
    expected = sorted(
        [
            prod.one(RDS).outputs["masterUserSecrets"][0]["secretArn"],
            *[s.outputs["arn"] for s in prod.of_type(SECRET) if s.props["tags"].get("SecretType") == "database"],
        ]
    )
    assert secret_arns == expected
    policy = json.loads(by_name(prod, "aws:iam/rolePolicy:RolePolicy")["database-proxy"].props["policy"])
    assert sorted(policy["Statement"][0]["Resource"]) == expected
    assert prod.one("aws:rds/proxyTarget:ProxyTarget").props["dbInstanceIdentifier"] == "groundwork-prod-db"
    assert dev.of_type("aws:rds/proxy:Proxy") == []


def test_automated_backups_are_replicated_to_the_dr_region_in_prod(prod: Graph, staging: Graph) -> None:
    rep = prod.one("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication")
    assert provider_region(prod, rep) == "eu-central-1"
    assert deps(rep, "sourceDbInstanceArn") == [prod.one(RDS).urn] and deps(rep, "kmsKeyId") == [
        key(prod, "keys-dr-data")
    ]
    assert (
        provider_region(
            staging, staging.one("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication")
        )
        == "eu-central-1"
    )


def test_restore_from_snapshot(graph_of) -> None:
    db = section("prod", "database")
    db["restore"] = {
        "snapshotIdentifier": "arn:aws:rds:eu-central-1:333333333333:snapshot:groundwork-prod-db-2026-11-20"
    }
    g = graph_of("prod", database=db)
    r = g.one(RDS)
    assert r.props["snapshotIdentifier"].endswith(":snapshot:groundwork-prod-db-2026-11-20")
    assert "username" not in r.props and "dbName" not in r.props and "restoreToPointInTime" not in r.props
    assert set(r.options["ignoreChanges"]) == {"snapshotIdentifier", "restoreToPointInTime"}


def test_restore_to_a_point_in_time_from_replicated_backups(graph_of) -> None:
    db = section("prod", "database")
    arn = "arn:aws:rds:eu-central-1:333333333333:auto-backup:ab-xyz"
    db["restore"] = {"pointInTime": {"sourceDbInstanceAutomatedBackupsArn": arn, "restoreTime": "2026-11-20T22:15:00Z"}}
    r = graph_of("prod", database=db).one(RDS)
    assert r.props["restoreToPointInTime"] == {
        "sourceDbInstanceAutomatedBackupsArn": arn,
        "restoreTime": "2026-11-20T22:15:00Z",
    }
    assert "snapshotIdentifier" not in r.props and r.props["engine"] == "postgres"


# --------------------------------------------------------------------------------------------- cache


def test_cache_per_tier(prod: Graph, dev: Graph) -> None:
    p, d = prod.one(RG).props, dev.one(RG).props
    assert (p["numCacheClusters"], p["automaticFailoverEnabled"], p["multiAzEnabled"]) == (2, True, True)
    assert (d["numCacheClusters"], d["automaticFailoverEnabled"], d["multiAzEnabled"]) == (1, False, False)
    assert (p["engine"], p["engineVersion"]) == ("valkey", "8.0")
    assert (
        p["atRestEncryptionEnabled"] is True
        and p["transitEncryptionEnabled"] is True
        and p["transitEncryptionMode"] == "required"
    )
    assert (p["snapshotRetentionLimit"], d["snapshotRetentionLimit"]) == (7, 1)
    # a new name for every incarnation: the suffix is created and destroyed with the group, so
    # destroying a rebuilt stack a second time does not hit SnapshotAlreadyExistsFault
    suffix = prod.one("random:index/randomId:RandomId", "cache-final-snapshot")
    assert p["finalSnapshotIdentifier"] == f"groundwork-prod-cache-final-{suffix.outputs['hex']}"
    assert deps(prod.one(RG), "finalSnapshotIdentifier") == [suffix.urn]
    assert not suffix.options.get("retainOnDelete") and not suffix.options.get("protect")
    assert prod.one(RG).options["protect"] is True


def test_cache_token_stays_secret_and_network_is_its_own(prod: Graph) -> None:
    rg = prod.one(RG)
    assert is_secret(rg.inputs["authToken"])
    assert deps(rg, "kmsKeyId") == [key(prod, "keys-data")]
    subnets = prod.one("aws:elasticache/subnetGroup:SubnetGroup")
    db_subnets = sorted(
        s.urn for s in prod.of_type("aws:ec2/subnet:Subnet") if s.props["tags"]["groundwork.io/tier"] == "database"
    )
    assert deps(rg, "subnetGroupName") == [subnets.urn] and sorted(deps(subnets, "subnetIds")) == db_subnets
    sg = prod.by_urn[deps(rg, "securityGroupIds")[0]]
    assert [(i["fromPort"], i["toPort"]) for i in sg.props["ingress"]] == [(6379, 6379)]
    assert prod.one("eks:index:Cluster").urn in deps(sg, "ingress")  # the EKS-created cluster security group
    version = by_name(prod, VERSION)["cache-auth"]
    assert is_secret(version.inputs["secretString"]) and json.loads(version.props["secretString"])["tls"] is True


def test_restore_cache_from_snapshot(graph_of) -> None:
    cache = section("prod", "cache")
    cache["restoreSnapshotName"] = "groundwork-prod-cache-2026-11-20"
    rg = graph_of("prod", cache=cache).one(RG)
    assert rg.props["snapshotName"] == "groundwork-prod-cache-2026-11-20" and rg.options["ignoreChanges"] == [
        "snapshotName"
    ]


# --------------------------------------------------------------------------------------------- secrets and audit


def test_application_secrets_are_generated_per_service(prod: Graph) -> None:
    apps = {
        s.props["tags"]["Service"]: s
        for s in prod.of_type(SECRET)
        if s.props["tags"].get("SecretType") == "application"
    }
    assert sorted(apps) == ["api-gateway", "payment-service"]
    version = by_name(prod, VERSION)["secrets-api-gateway"]
    assert is_secret(version.inputs["secretString"])
    assert list(json.loads(version.props["secretString"])) == ["jwt-signing-key"]
    password = by_name(prod, "random:index/randomPassword:RandomPassword")["secrets-api-gateway-jwt-signing-key"]
    assert password.props["length"] == 64


def test_every_generated_value_stays_secret(any_stack: str, graph_of) -> None:
    g: Graph = graph_of(any_stack)
    for r in g.resources:
        for prop in ("secretString", "authToken", "password"):
            if prop in r.inputs:
                assert is_secret(r.inputs[prop]), f"{r.urn} {prop}"


def test_cloudtrail_only_in_prod(prod: Graph, staging: Graph) -> None:
    trail = prod.one("aws:cloudtrail/trail:Trail")
    assert trail.props["enableLogFileValidation"] is True and trail.props["isMultiRegionTrail"] is True
    assert deps(trail, "kmsKeyId") == [key(prod, "keys-logs")]
    audit = next(b for b in prod.of_type(BUCKET) if b.props["tags"].get("Purpose") == "audit-logs")
    policy = json.loads(by_name(prod, "aws:s3/bucketPolicy:BucketPolicy")["secrets-audit-policy"].props["policy"])
    write = next(st for st in policy["Statement"] if st["Sid"] == "CloudTrailWrite")
    assert (
        write["Condition"]["StringEquals"]["aws:SourceArn"]
        == "arn:aws:cloudtrail:eu-west-1:333333333333:trail/groundwork-prod-trail"
    )
    assert audit.props["bucket"] == "groundwork-prod-audit-logs-333333333333"
    assert staging.of_type("aws:cloudtrail/trail:Trail") == []


def test_reads_of_the_audit_trail_are_logged(prod: Graph, staging: Graph) -> None:
    """Issue 14 / CIS 3.6: the CloudTrail bucket's server access logs go to an access-logs bucket
    with SSE-S3 (the only default encryption log delivery supports), written only by the S3
    logging service for that source bucket and account, kept as long as the trail."""
    buckets = by_name(prod, BUCKET)
    audit, logs = buckets["secrets-audit"], buckets["secrets-access-logs"]
    logging = by_name(prod, "aws:s3/bucketLogging:BucketLogging")["secrets-audit-access-logs"]
    assert deps(logging, "bucket") == [audit.urn] and deps(logging, "targetBucket") == [logs.urn]
    assert logging.props["targetPrefix"] == "audit-logs/"
    assert logging.props["targetObjectKeyFormat"] == {"partitionedPrefix": {"partitionDateSource": "EventTime"}}
    sse = by_name(prod, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert sse["secrets-access-logs-sse"].props["rules"] == [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
    ]
    assert sse["secrets-audit-sse"].props["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    policy = json.loads(by_name(prod, "aws:s3/bucketPolicy:BucketPolicy")["secrets-access-logs-policy"].props["policy"])
    grant = next(st for st in policy["Statement"] if st["Sid"] == "S3ServerAccessLogs")
    assert grant["Principal"] == {"Service": "logging.s3.amazonaws.com"} and grant["Action"] == "s3:PutObject"
    assert grant["Resource"] == "arn:aws:s3:::groundwork-prod-access-logs-333333333333/audit-logs/*"
    assert grant["Condition"] == {
        "ArnLike": {"aws:SourceArn": "arn:aws:s3:::groundwork-prod-audit-logs-333333333333"},
        "StringEquals": {"aws:SourceAccount": "333333333333"},
    }
    lifecycle = by_name(prod, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    age_out = next(r for r in lifecycle["secrets-access-logs-lifecycle"].props["rules"] if r["id"] == "age-out")
    assert age_out["expiration"] == {"days": 365}
    assert logs.props.get("objectLockEnabled") is not True  # a log target must not have a default retention
    assert logs.options.get("protect") is True and logs.options.get("retainOnDelete") is True
    assert staging.of_type("aws:s3/bucketLogging:BucketLogging") == []


# --------------------------------------------------------------------------------------------- backups


def test_backup_bucket_lifecycle_and_lock(prod: Graph, staging: Graph, dev: Graph) -> None:
    lifecycle = by_name(prod, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")[
        "backups-bucket-lifecycle"
    ]
    rules = {r["id"]: r for r in lifecycle.props["rules"]}
    assert rules["daily"]["expiration"] == {"days": 7} and rules["daily"]["filter"] == {"prefix": "daily/"}
    assert rules["weekly"]["expiration"] == {"days": 28}
    assert rules["monthly"]["expiration"] == {"days": 365}
    assert [t["storageClass"] for t in rules["monthly"]["transitions"]] == ["STANDARD_IA", "GLACIER"]
    assert rules["abort-incomplete-uploads"]["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 1}

    def lock(g: Graph) -> str | None:
        locks = by_name(g, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
        return (
            locks["backups-bucket-object-lock"].props["rule"]["defaultRetention"]["mode"]
            if "backups-bucket-object-lock" in locks
            else None
        )

    assert (lock(prod), lock(staging), lock(dev)) == ("COMPLIANCE", "GOVERNANCE", None)
    # Day 2 (issue 14): Object Lock is on at creation in every tier, dev's `objectLockMode: none`
    # included, so switching the mode later never replaces the bucket (objectLockEnabled is
    # ForceNew in the provider); the mode only sets the default retention.
    for g in (prod, staging, dev):
        buckets = by_name(g, "aws:s3/bucket:Bucket")
        assert buckets["backups-bucket"].props["objectLockEnabled"] is True
    assert by_name(prod, "aws:s3/bucket:Bucket")["backups-replica"].props["objectLockEnabled"] is True


def test_backup_bucket_replicates_to_the_dr_region_in_prod_only(prod: Graph, staging: Graph) -> None:
    buckets = {
        b.props["tags"]["Purpose"]: b
        for b in prod.of_type(BUCKET)
        if b.props["tags"].get("Purpose", "").startswith("backups")
    }
    assert (
        provider_region(prod, buckets["backups"]) == "eu-west-1"
        and provider_region(prod, buckets["backups-replica"]) == "eu-central-1"
    )
    cfg = prod.one("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    assert deps(cfg, "bucket") == [buckets["backups"].urn] and buckets["backups-replica"].urn in deps(cfg, "rules")
    policy = json.loads(by_name(prod, "aws:iam/rolePolicy:RolePolicy")["backups-replication"].props["policy"])
    resources = {st["Sid"]: st["Resource"] for st in policy["Statement"]}
    assert resources["WriteReplica"] == [f"{buckets['backups-replica'].outputs['arn']}/*"]
    assert resources["ReadSource"] == [buckets["backups"].outputs["arn"]]
    assert staging.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig") == []


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_aws_backup_plan_copies_to_the_dr_vault(stack: str, graph_of) -> None:
    g: Graph = graph_of(stack)
    plan = g.one("aws:backup/plan:Plan")
    rules = {r["ruleName"]: r for r in plan.props["rules"]}
    assert set(rules) == {"daily", "weekly", "monthly", "continuous-pitr"}
    assert rules["continuous-pitr"]["enableContinuousBackup"] is True
    dr_vault = next(v for v in g.of_type("aws:backup/vault:Vault") if provider_region(g, v) == "eu-central-1")
    assert all(r["copyActions"][0]["destinationVaultArn"] == dr_vault.outputs["arn"] for r in rules.values())
    pitr_days = {"staging": 14, "prod": 30}[stack]  # follows the database's own backup retention
    assert {n: r["lifecycle"]["deleteAfter"] for n, r in rules.items()} == {
        "daily": 7,
        "weekly": 28,
        "monthly": 365,
        "continuous-pitr": pitr_days,
    }
    # only the year-long monthly points go cold (after 90 days, 90+ days before deletion), in both vaults
    assert {n: r["lifecycle"].get("coldStorageAfter") for n, r in rules.items()} == {
        "daily": None,
        "weekly": None,
        "monthly": 90,
        "continuous-pitr": None,
    }
    assert rules["monthly"]["copyActions"][0]["lifecycle"]["coldStorageAfter"] == 90
    assert rules["monthly"]["lifecycle"]["optInToArchiveForSupportedResources"] is True
    selection = g.one("aws:backup/selection:Selection")
    assert selection.props["selectionTags"] == [
        {"type": "STRINGEQUALS", "key": "Backup", "value": f"groundwork-{stack}"}
    ]
    locks = g.of_type("aws:backup/vaultLockConfiguration:VaultLockConfiguration")
    assert len(locks) == (2 if stack == "prod" else 0)


def test_no_aws_backup_in_dev(dev: Graph) -> None:
    assert dev.of_type("aws:backup/plan:Plan") == [] and dev.of_type("aws:backup/vault:Vault") == []


def test_dr_keys_live_in_the_dr_region(prod: Graph) -> None:
    for purpose in ("data", "secrets"):
        k = by_name(prod, "aws:kms/key:Key")[f"keys-dr-{purpose}"]
        assert provider_region(prod, k) == "eu-central-1" and k.props["enableKeyRotation"] is True
    aliases = {a.props["name"] for a in prod.of_type("aws:kms/alias:Alias")}
    assert {"alias/groundwork-prod-dr-data", "alias/groundwork-prod-dr-secrets"} <= aliases


def test_stateful_resources_are_protected_and_retained_in_prod(prod: Graph) -> None:
    stateful = [
        *prod.of_type(RDS),
        *prod.of_type(RG),
        *prod.of_type("aws:kms/key:Key"),
        *prod.of_type("aws:backup/vault:Vault"),
        *[b for b in prod.of_type(BUCKET) if b.props["tags"].get("Purpose", "").startswith("backups")],
    ]
    assert len(stateful) == 14  # three keys of the edge: frontend, us-east-1 logs, DNSSEC
    for r in stateful:
        assert r.options.get("protect") is True and r.options.get("retainOnDelete") is True, r.urn


def test_secrets_and_log_groups_are_kept_in_prod_only(prod: Graph, dev: Graph) -> None:
    """Credentials and the logs an audit reads (flow logs, control plane, database, WAF, CI runner)
    survive a mistaken delete or `pulumi destroy` in prod (issue 14); dev stays disposable."""
    kept = [
        *prod.of_type(SECRET),
        *prod.of_type("aws:cloudwatch/logGroup:LogGroup"),
        *prod.of_type("aws:ecr/repository:Repository"),  # the images a rollback or a DR rebuild pulls
    ]
    names = {r.name for r in kept}
    assert {"registry-order-service", "registry-payment-service"} <= names, names
    assert {"network-flow-logs", "cluster-control-plane", "access-runner", "cache-auth"} <= names, names
    for r in kept:
        assert r.options.get("protect") is True and r.options.get("retainOnDelete") is True, r.urn
    for r in [*dev.of_type(SECRET), *dev.of_type("aws:cloudwatch/logGroup:LogGroup")]:
        assert not r.options.get("protect") and not r.options.get("retainOnDelete"), r.urn


def test_major_upgrade_path(graph_of) -> None:
    """A major upgrade is a change of the major: a parameter group of the new family under a new
    name (created before the old one is deleted), the instance allowed to upgrade, and the change
    applied in this run so the old group is free to delete (docs/data-layer.md)."""
    upgrade = {**section("prod", "database"), "engineVersion": "18", "applyImmediately": True}
    base, head = graph_of("prod"), graph_of("prod", database=upgrade)
    old, new = (g.one("aws:rds/parameterGroup:ParameterGroup").props for g in (base, head))
    assert (old["family"], new["family"]) == ("postgres17", "postgres18")
    assert old["namePrefix"] != new["namePrefix"]  # no name collision while both exist
    db = head.one(RDS).props
    assert (db["engineVersion"], db["allowMajorVersionUpgrade"], db["applyImmediately"]) == ("18", True, True)
    assert head.one(RDS).urn == base.one(RDS).urn  # the same instance, upgraded in place
    job = next(r for r in head.resources if r.type == "kubernetes:batch/v1:Job")
    assert "postgres:18" in json.dumps(job.props)  # psql matches the server's major


@pytest.mark.parametrize(
    "restore",
    [
        {"snapshotIdentifier": "arn:aws:rds:eu-central-1:333333333333:snapshot:groundwork-prod-db-2026-11-20"},
        {
            "pointInTime": {
                "sourceDbInstanceAutomatedBackupsArn": "arn:aws:rds:eu-central-1:333333333333:auto-backup:ab-xyz",
                "restoreTime": "2026-11-20T22:15:00Z",
            }
        },
    ],
    ids=["snapshot", "point-in-time"],
)
def test_the_pack_passes_a_restored_prod_database(graph_of, restore: dict) -> None:
    """Issue 18, gap 1: a DR rebuild restores the instance, which then carries no engine (a snapshot
    restore takes it from the snapshot) and no storageEncrypted; the pack must stay clean on it,
    or every DR rebuild is blocked at preview. Run through the pack's servicer, as the CLI does."""
    from groundwork.policy import inprocess
    from tests.conftest import ROOT, stack_config

    db = section("prod", "database")
    db["restore"] = restore
    g = graph_of("prod", database=db)
    cfg = stack_config("prod", database=db)
    s = inprocess.servicer(ROOT / "policies", cfg.project, cfg.stack, dict(cfg.config))
    findings = [f for f in inprocess.findings(s, g) if f.level != -1]
    mandatory = [f for f in findings if f.level == 1]  # analyzer_pb2.MANDATORY
    assert mandatory == []
    rds = [f for f in findings if f.policy.startswith("aws-rds-instance")]
    assert rds == [], rds


def test_the_cache_secret_holds_what_its_readers_read(prod: Graph) -> None:
    """Issue 18, gap 3: services (through External Secrets, every key) and the redis exporter
    (`authToken`) read the cache's connection secret; its keys and where each comes from are a
    contract."""
    rg = prod.one(RG)
    version = by_name(prod, VERSION)["cache-auth"]
    doc = json.loads(version.props["secretString"])
    assert sorted(doc) == ["authToken", "host", "port", "readerHost", "tls"]
    assert (doc["port"], doc["tls"]) == (6379, True)
    assert (
        doc["host"] == rg.outputs["primaryEndpointAddress"] and doc["readerHost"] == rg.outputs["readerEndpointAddress"]
    )
    token = prod.one("random:index/randomPassword:RandomPassword", "cache-auth-token")
    result = token.outputs["result"]["value"]  # a secret output, recorded with its signature
    assert doc["authToken"] == result and rg.inputs["authToken"]["value"] == result
    exporter = [
        e
        for d in prod.of_type("kubernetes:apps/v1:Deployment")
        for c in d.props["spec"]["template"]["spec"]["containers"]
        for e in c.get("env", [])
        if e["name"] == "REDIS_PASSWORD"
    ]
    assert [e["valueFrom"]["secretKeyRef"]["key"] for e in exporter] == ["authToken"]


def test_the_cache_auth_token_is_one_elasticache_accepts(prod: Graph) -> None:
    """ElastiCache AUTH tokens: 16 to 128 printable characters, the only non-alphanumerics
    allowed being ! & # $ ^ < > - (AWS ElastiCache User Guide, "Authenticating with the Valkey and
    Redis OSS AUTH command"). The random provider's default specials include @ % * ( ) and others,
    so the token is alphanumeric; a token with a refused character fails the group's creation."""
    token = prod.one("random:index/randomPassword:RandomPassword", "cache-auth-token").props
    # 64, within ElastiCache's 16-128; a new length would replace the token (every attribute of a
    # random password forces a new value) and rotate AUTH on every live stack
    assert token["length"] == 64
    if token.get("special", True):  # the provider's default is special characters on
        assert token.get("overrideSpecial") and set(token["overrideSpecial"]) <= set("!&#$^<>-"), token
    rg = prod.one(RG).props
    # maintenance happens in the window, not at the next apply; minor versions are AWS's to apply
    assert rg["applyImmediately"] is False and rg["autoMinorVersionUpgrade"] is True
    # the documented default: after the snapshot window (04:00-05:00), outside it
    assert (rg["snapshotWindow"], rg["maintenanceWindow"]) == ("04:00-05:00", "sun:05:30-sun:06:30")
    sg = prod.by_urn[deps(prod.one(RG), "securityGroupIds")[0]]
    assert [i["protocol"] for i in sg.props["ingress"]] == ["tcp"]


def test_cache_resources_keep_their_names_keys_and_protection(prod: Graph, dev: Graph) -> None:
    """Issue 18 (mutation survivors of components/cache.py): what the cache's resources are
    created with. A security group's or subnet group's description and a log group's name are
    replaced when they change (hashicorp/terraform-provider-aws: ForceNew), so they are decisions
    of day 1 that day 2 must keep; the keys and prod's protection are controls."""
    sg = prod.by_urn[deps(prod.one(RG), "securityGroupIds")[0]]
    assert (
        sg.props["description"] == "valkey: only from the cluster"
        and sg.props["tags"]["Name"] == "groundwork-prod-cache"
    )
    assert [i["description"] for i in sg.props["ingress"]] == ["valkey from the cluster"]
    assert deps(sg, "vpcId") == [prod.one("aws:ec2/vpc:Vpc").urn]
    subnets = prod.one("aws:elasticache/subnetGroup:SubnetGroup").props
    assert (subnets["name"], subnets["description"]) == (
        "groundwork-prod-cache",
        "groundwork-prod: isolated database subnets",
    )
    rg = prod.one(RG)
    assert (rg.props["replicationGroupId"], rg.props["port"], rg.props["nodeType"]) == (
        "groundwork-prod-cache",
        6379,
        "cache.t4g.small",  # Pulumi.prod.yaml
    )
    assert rg.options.get("retainOnDelete") is True and dev.one(RG).options.get("retainOnDelete") in (None, False)
    assert rg.props["tags"] == {"Name": "groundwork-prod-cache"}
    assert rg.props["logDeliveryConfigurations"] == [
        {
            "destination": "/groundwork/prod/cache/slow-log",
            "destinationType": "cloudwatch-logs",
            "logFormat": "json",
            "logType": "slow-log",
        }
    ]
    slow = by_name(prod, "aws:cloudwatch/logGroup:LogGroup")["cache-slow-log"]
    assert slow.props["name"] == "/groundwork/prod/cache/slow-log" and slow.props["retentionInDays"] == 365
    assert deps(slow, "kmsKeyId") == [key(prod, "keys-logs")]
    assert slow.options.get("protect") is True and slow.options.get("retainOnDelete") is True
    secret = by_name(prod, SECRET)["cache-auth"]
    assert deps(secret, "kmsKeyId") == [key(prod, "keys-secrets")]
    # the name External Secrets reads (components/external_secrets.py gets it from the component)
    assert secret.props["name"] == "groundwork/prod/platform/cache"
    assert secret.props["description"] == "valkey endpoint and AUTH token (read through External Secrets)"
    assert secret.props["recoveryWindowInDays"] == 30 and secret.props["tags"] == {"SecretType": "cache"}
    assert [r["region"] for r in secret.props["replicas"]] == ["eu-central-1"]
    assert deps(secret, "replicas") == [key(prod, "keys-dr-secrets")]  # the DR copy under the DR region's key
    assert secret.options.get("protect") is True and secret.options.get("retainOnDelete") is True


def test_cache_outputs_and_token_rotation(prod: Graph) -> None:
    """The component's registered outputs (what the stack outputs and other stacks read), and how
    a new AUTH token is applied: ROTATE keeps the old token valid next to the new one until the
    next change, so connected clients are not cut off (AWS ElastiCache API,
    ModifyReplicationGroup AuthTokenUpdateStrategy)."""
    component = prod.one("groundwork:cache:Cache")
    rg = prod.one(RG)
    assert component.outputs["primaryEndpoint"] == rg.outputs["primaryEndpointAddress"]
    assert component.outputs["secretArn"] == by_name(prod, SECRET)["cache-auth"].outputs["arn"]
    assert rg.props["authTokenUpdateStrategy"] == "ROTATE"
