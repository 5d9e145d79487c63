"""The Database component on its own (groundwork.plan.run_function): what it decides for the
instance, its network, parameters, logs, monitoring, restore paths, per-service credentials and
their rotation, and the RDS Proxy, without planning a stack (issue 18)."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.database import ADMIN_USER, ROTATION_APP, ROTATION_APP_VERSION, Database, DatabaseArgs, ServiceDatabase
from groundwork import iam
from groundwork.naming import Naming
from groundwork.plan.graph import Graph, Resource
from groundwork.plan.runner import run_function
from groundwork.settings.model import DatabaseSettings
from tests.helpers import by_name, deps, outside

KEYS = {p: f"arn:aws:kms:eu-west-1:111111111111:key/{p}" for p in ("data", "secrets", "logs")}
DR_KEY = "arn:aws:kms:eu-central-1:111111111111:key/dr-data"
IDENTIFIER = "groundwork-test-db"


def plan_db(
    services: tuple[str, ...] = (), dr: bool = False, args: dict[str, Any] | None = None, **settings: Any
) -> Graph:
    def body() -> None:
        extra = dict(args or {})
        if dr:
            extra["dr_provider"] = aws.Provider("dr", region="eu-central-1")
            extra["dr_data_key_arn"] = DR_KEY
        Database(
            "database",
            DatabaseArgs(
                settings=DatabaseSettings.model_validate(settings),
                naming=Naming("groundwork", "test"),
                region="eu-west-1",
                vpc_id="vpc-1",
                subnet_group_name="groundwork-test-database",
                database_subnet_ids=["subnet-d0", "subnet-d1"],
                private_subnet_ids=["subnet-p0", "subnet-p1"],
                cluster_security_group_id="sg-cluster",
                data_key_arn=KEYS["data"],
                secrets_key_arn=KEYS["secrets"],
                logs_key_arn=KEYS["logs"],
                log_retention_days=90,
                services=[ServiceDatabase(s, "team-a") for s in services],
                **extra,
            ),
        )

    return run_function(body, config={"aws:region": "eu-west-1"})


@pytest.fixture(scope="module")
def full() -> Graph:
    """The defaults (prod's shape): Multi-AZ, proxy, monitoring, Performance Insights, two services."""
    return plan_db(("order-service", "menu-service"), dr=True, args={"backup_tag": "daily", "replica_regions": []})


@pytest.fixture(scope="module")
def lean() -> Graph:
    """dev's shape: no proxy, no enhanced monitoring, no Performance Insights, no deletion protection."""
    return plan_db(
        ("order-service",),
        multiAz=False,
        pooling="none",
        monitoringIntervalSeconds=0,
        performanceInsights=False,
        deletionProtection=False,
        replicateBackupsToDr=False,
        applyImmediately=True,
    )


def instance(g: Graph) -> Resource:
    return g.one("aws:rds/instance:Instance")


def rules(g: Graph) -> dict[str, dict[str, Any]]:
    out = {}
    for t in (
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    ):
        for r in g.of_type(t):
            out[r.name] = r.props | {"_deps": {k: v for k, v in r.property_dependencies.items() if v}}
    return out


# --------------------------------------------------------------------------------------------- network


def test_postgres_reachable_only_from_the_cluster_proxy_and_rotation(full: Graph) -> None:
    """DB-04: the database's group admits 5432 from three groups and nothing else; the rotation
    function may reach only the database and HTTPS (Secrets Manager's endpoint)."""
    groups = by_name(full, "aws:ec2/securityGroup:SecurityGroup")
    db, rotation, proxy = groups["database-sg"], groups["database-rotation"], groups["database-proxy-sg"]
    assert db.props["description"] == "PostgreSQL: only from the cluster, the RDS Proxy and the rotation function"
    assert db.props["tags"] == {"Name": "groundwork-test-db"} and db.props["vpcId"] == "vpc-1"
    assert "ingress" not in db.props and "egress" not in db.props  # rules are resources of their own
    assert rotation.props["description"] == "Database credential rotation function: PostgreSQL and HTTPS out"
    assert rotation.props["tags"] == {"Name": "groundwork-test-db-rotation"} and rotation.props["vpcId"] == "vpc-1"
    r = rules(full)
    for name, source, text in (
        ("database-from-cluster", None, "PostgreSQL from the cluster"),
        ("database-from-rotation", rotation.urn, "PostgreSQL from the rotation function"),
        ("database-from-proxy", proxy.urn, "PostgreSQL from the RDS Proxy"),
    ):
        rule = r.pop(name)
        assert (rule["ipProtocol"], rule["fromPort"], rule["toPort"], rule["description"]) == ("tcp", 5432, 5432, text)
        assert rule["_deps"]["securityGroupId"] == [db.urn]
        if source:
            assert rule["_deps"]["referencedSecurityGroupId"] == [source]
        else:
            assert rule["referencedSecurityGroupId"] == "sg-cluster"
    to_db = r.pop("database-rotation-to-db")
    assert (to_db["ipProtocol"], to_db["fromPort"], to_db["toPort"]) == ("tcp", 5432, 5432)
    assert to_db["_deps"] == {"securityGroupId": [rotation.urn], "referencedSecurityGroupId": [db.urn]}
    assert to_db["description"] == "Rotation function to PostgreSQL"
    https = r.pop("database-rotation-https")
    assert (https["ipProtocol"], https["fromPort"], https["toPort"], https["cidrIpv4"]) == (
        "tcp",
        443,
        443,
        "0.0.0.0/0",
    )
    assert https["_deps"]["securityGroupId"] == [rotation.urn]
    assert https["description"] == "Rotation function to Secrets Manager over HTTPS"
    assert r == {}


# --------------------------------------------------------------------------------------------- parameters and logs


def test_parameter_group_requires_tls_and_logs_what_an_incident_needs(full: Graph) -> None:
    """DB-03: rds.force_ssl = 1. Dynamic parameters apply immediately; shared_preload_libraries is
    static, so RDS accepts it only with pending-reboot (RDS User Guide, "Working with parameter
    groups": static parameters take effect after a reboot)."""
    params = full.one("aws:rds/parameterGroup:ParameterGroup")
    assert params.props["family"] == "postgres17" and params.props["namePrefix"] == "groundwork-test-postgres17-"
    assert params.props["description"] == "groundwork-test: TLS required, slow queries and connections logged"
    assert [(p["name"], p["value"], p["applyMethod"]) for p in params.props["parameters"]] == [
        ("rds.force_ssl", "1", "immediate"),
        ("log_min_duration_statement", "500", "immediate"),
        ("log_connections", "1", "immediate"),
        ("log_disconnections", "1", "immediate"),
        ("log_lock_waits", "1", "immediate"),
        ("log_temp_files", "0", "immediate"),
        ("shared_preload_libraries", "pg_stat_statements", "pending-reboot"),
    ]
    assert deps(instance(full), "parameterGroupName") == [params.urn]
    other = plan_db(engineVersion="16", logMinDurationMs=250).one("aws:rds/parameterGroup:ParameterGroup")
    assert other.props["family"] == "postgres16" and other.props["parameters"][1]["value"] == "250"


def test_log_groups_exist_before_rds_exports_to_them(full: Graph) -> None:
    """RDS exports to /aws/rds/instance/<id>/<log> (RDS User Guide, "Publishing PostgreSQL logs to
    Amazon CloudWatch Logs"); created first, encrypted and retained, or RDS creates them itself
    with neither."""
    groups = by_name(full, "aws:cloudwatch/logGroup:LogGroup")
    db = instance(full)
    for kind in ("postgresql", "upgrade"):
        group = groups[f"database-log-{kind}"]
        assert group.props == {
            "name": f"/aws/rds/instance/{IDENTIFIER}/{kind}",
            "retentionInDays": 90,
            "kmsKeyId": KEYS["logs"],
        }
        assert group.options.get("protect") is True and group.urn in db.dependencies
    assert db.props["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]


# --------------------------------------------------------------------------------------------- the instance


def test_instance_defaults(full: Graph) -> None:
    db = instance(full)
    p = db.props
    assert {k: p[k] for k in p if k not in ("kmsKeyId", "masterUserSecretKmsKeyId", "finalSnapshotIdentifier")} | {
        "finalSnapshotIdentifier": p["finalSnapshotIdentifier"].startswith(f"{IDENTIFIER}-final-")
    } == {
        "identifier": IDENTIFIER,
        "engine": "postgres",
        "username": ADMIN_USER,
        "dbName": "groundwork",
        "engineVersion": "17",
        "autoMinorVersionUpgrade": True,
        "allowMajorVersionUpgrade": True,
        "instanceClass": "db.t4g.medium",
        "allocatedStorage": 20,
        "maxAllocatedStorage": 100,
        "storageType": "gp3",
        "storageEncrypted": True,
        "manageMasterUserPassword": True,
        "multiAz": True,
        "dbSubnetGroupName": "groundwork-test-database",
        "vpcSecurityGroupIds": [by_name(full, "aws:ec2/securityGroup:SecurityGroup")["database-sg"].id],
        "parameterGroupName": p["parameterGroupName"],  # unknown at preview: its dependency is asserted above
        "publiclyAccessible": False,
        "port": 5432,
        "caCertIdentifier": "rds-ca-rsa2048-g1",
        "iamDatabaseAuthenticationEnabled": True,
        "backupRetentionPeriod": 14,
        "backupWindow": "02:00-03:00",
        "maintenanceWindow": "sun:03:30-sun:04:30",
        "copyTagsToSnapshot": True,
        "deleteAutomatedBackups": False,
        "deletionProtection": True,
        "skipFinalSnapshot": False,
        "finalSnapshotIdentifier": True,
        "performanceInsightsEnabled": True,
        "performanceInsightsKmsKeyId": KEYS["data"],
        "performanceInsightsRetentionPeriod": 7,
        "monitoringInterval": 60,
        "monitoringRoleArn": by_name(full, "aws:iam/role:Role")["database-monitoring"].outputs["arn"],
        "applyImmediately": False,
        "tags": {"Name": IDENTIFIER, "Backup": "daily"},
        "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
    }
    assert p["kmsKeyId"] == KEYS["data"] and p["masterUserSecretKmsKeyId"] == KEYS["secrets"]
    assert db.options.get("protect") is True and db.options.get("retainOnDelete") is True
    assert sorted(db.options["ignoreChanges"]) == ["restoreToPointInTime", "snapshotIdentifier"]


def test_final_snapshot_name_is_new_for_each_incarnation(full: Graph, lean: Graph) -> None:
    """A constant final snapshot name fails the second destroy of a rebuilt stack
    (DBSnapshotAlreadyExists): a random suffix, created with the instance."""
    suffix = full.one("random:index/randomId:RandomId")
    assert suffix.name == "database-final-snapshot" and suffix.props["byteLength"] == 4
    assert deps(instance(full), "finalSnapshotIdentifier") == [suffix.urn]
    assert lean.of_type("random:index/randomId:RandomId") == []
    p = instance(lean).props
    assert p["skipFinalSnapshot"] is True and p["deletionProtection"] is False and "finalSnapshotIdentifier" not in p


def test_lean_instance_turns_off_what_its_settings_say(lean: Graph) -> None:
    p = instance(lean).props
    assert p["multiAz"] is False and p["applyImmediately"] is True
    assert p["performanceInsightsEnabled"] is False
    assert "performanceInsightsKmsKeyId" not in p and "performanceInsightsRetentionPeriod" not in p
    assert p["monitoringInterval"] == 0 and "monitoringRoleArn" not in p
    assert lean.of_type("aws:iam/role:Role") == []  # neither a monitoring nor a proxy role
    assert lean.of_type("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication") == []


def test_enhanced_monitoring_role(full: Graph) -> None:
    """RDS enhanced monitoring publishes through a role monitoring.rds.amazonaws.com assumes with
    the AmazonRDSEnhancedMonitoringRole managed policy (RDS User Guide, "Setting up and enabling
    Enhanced Monitoring")."""
    role = by_name(full, "aws:iam/role:Role")["database-monitoring"]
    assert json.loads(role.props["assumeRolePolicy"]) == iam.assume_role("monitoring.rds.amazonaws.com")
    assert role.props["description"] == "groundwork-test: RDS enhanced monitoring"
    [attachment] = full.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.props["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
    assert deps(attachment, "role") == [role.urn]


def test_restore_from_a_snapshot_sends_no_engine_or_credentials() -> None:
    """A restore from a snapshot takes the engine, master user and database from the snapshot;
    RDS refuses a master username with one (and db_name renames nothing)."""
    p = instance(plan_db(restore={"snapshotIdentifier": "snap-1"})).props
    assert p["snapshotIdentifier"] == "snap-1"
    assert "engine" not in p and "username" not in p and "dbName" not in p
    assert "restoreToPointInTime" not in p


def test_point_in_time_restore() -> None:
    p = instance(
        plan_db(
            restore={
                "pointInTime": {
                    "sourceDbInstanceAutomatedBackupsArn": "arn:aws:rds:eu-west-1:1:auto-backup:ab-1",
                    "restoreTime": "2026-11-30T08:15:00Z",
                }
            }
        )
    ).props
    assert p["engine"] == "postgres" and "username" not in p and "snapshotIdentifier" not in p
    assert p["restoreToPointInTime"] == {
        "sourceDbInstanceAutomatedBackupsArn": "arn:aws:rds:eu-west-1:1:auto-backup:ab-1",
        "restoreTime": "2026-11-30T08:15:00Z",
    }
    latest = instance(
        plan_db(restore={"pointInTime": {"sourceDbInstanceIdentifier": "old-db", "useLatestRestorableTime": True}})
    ).props["restoreToPointInTime"]
    assert latest == {"sourceDbInstanceIdentifier": "old-db", "useLatestRestorableTime": True}


def test_automated_backups_replicate_to_the_dr_region(full: Graph) -> None:
    """Cross-region automated backups: a replication in the DR region (its provider), under the DR
    data key, kept as long as the source's (RDS User Guide, "Replicating automated backups to
    another AWS Region")."""
    rep = full.one("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication")
    assert rep.props["kmsKeyId"] == DR_KEY and rep.props["retentionPeriod"] == 14
    assert deps(rep, "sourceDbInstanceArn") == [instance(full).urn]
    assert rep.provider_urn == full.one("pulumi:providers:aws").urn
    assert plan_db(replicateBackupsToDr=True).of_type(rep.type) == []  # no DR provider: nothing to replicate to


# --------------------------------------------------------------------------------------------- credentials


def test_each_service_gets_a_generated_password_and_a_kept_secret(full: Graph) -> None:
    passwords = by_name(full, "random:index/randomPassword:RandomPassword")
    secrets = by_name(full, "aws:secretsmanager/secret:Secret")
    for svc in ("order-service", "menu-service"):
        pw = passwords[f"database-{svc}-password"]
        assert pw.props == {"length": 32, "special": False, "minNumeric": 2, "minUpper": 2}
        secret = secrets[f"database-{svc}"]
        assert secret.props == {
            "name": f"groundwork/test/services/{svc}/database",
            "description": f"PostgreSQL credentials of {svc} (rotated; read through External Secrets)",
            "kmsKeyId": KEYS["secrets"],
            "recoveryWindowInDays": 30,
            "replicas": [],
            "tags": {"SecretType": "database", "Service": svc, "Team": "team-a"},
        }
        assert secret.options.get("protect") is True


def test_service_secret_holds_what_services_and_rotation_read(full: Graph, lean: Graph) -> None:
    """AWS's multi-user rotation function reads engine, host, port, username, password, dbname and
    masterarn (Secrets Manager User Guide, "JSON structure of Amazon RDS PostgreSQL secrets");
    services connect to proxyHost. The value is written once (ignoreChanges): rotation owns it."""
    db = instance(full)
    for g, proxy in ((full, True), (lean, False)):
        version = by_name(g, "aws:secretsmanager/secretVersion:SecretVersion")["database-order-service"]
        value = json.loads(version.props["secretString"])
        assert set(value) == {"engine", "host", "proxyHost", "port", "dbname", "username", "password", "masterarn"}
        assert (value["engine"], value["port"], value["dbname"], value["username"]) == (
            "postgres",
            5432,
            "order_service",
            "order_service",
        )
        assert value["host"] == instance(g).outputs["address"]
        if proxy:
            assert value["proxyHost"] == g.one("aws:rds/proxy:Proxy").outputs["endpoint"]
        else:
            assert value["proxyHost"] == instance(g).outputs["address"]
        assert version.options["ignoreChanges"] == ["secretString"]
        assert deps(version, "secretId") == [
            by_name(g, "aws:secretsmanager/secret:Secret")["database-order-service"].urn
        ]
    assert (
        db.urn in by_name(full, "aws:secretsmanager/secretVersion:SecretVersion")["database-order-service"].dependencies
    )


def test_rotation_function_from_the_serverless_repository(full: Graph) -> None:
    """The multi-user rotation application signs in as the master user: without masterSecretArn
    and masterSecretKmsKeyArn its role cannot read the master secret (aws/aws-cdk,
    packages/aws-cdk-lib/aws-secretsmanager/lib/secret-rotation.ts passes both)."""
    stack = full.one("aws:serverlessrepository/cloudFormationStack:CloudFormationStack")
    assert stack.props["name"] == "groundwork-test-db-rotation"
    assert stack.props["applicationId"] == ROTATION_APP and stack.props["semanticVersion"] == ROTATION_APP_VERSION
    assert stack.props["capabilities"] == ["CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY"]
    params = stack.props["parameters"]
    assert params["endpoint"] == "https://secretsmanager.eu-west-1.amazonaws.com"
    assert params["functionName"] == "groundwork-test-db-rotation"
    assert params["vpcSubnetIds"] == "subnet-p0,subnet-p1"
    assert params["kmsKeyArn"] == KEYS["secrets"] and params["masterSecretKmsKeyArn"] == KEYS["secrets"]
    assert params["excludeCharacters"] == "/@\"'\\ :?#[]%&+"
    assert deps(stack, "parameters") and instance(full).urn in deps(stack, "parameters")
    groups = by_name(full, "aws:ec2/securityGroup:SecurityGroup")
    assert groups["database-rotation"].urn in deps(stack, "parameters")


def test_rotation_schedule_waits_for_the_first_version(full: Graph) -> None:
    rotations = by_name(full, "aws:secretsmanager/secretRotation:SecretRotation")
    versions = by_name(full, "aws:secretsmanager/secretVersion:SecretVersion")
    stack = full.one("aws:serverlessrepository/cloudFormationStack:CloudFormationStack")
    for svc in ("order-service", "menu-service"):
        rotation = rotations[f"database-{svc}"]
        assert rotation.props["rotationRules"] == {"automaticallyAfterDays": 30}
        assert rotation.props["rotateImmediately"] is False
        assert versions[f"database-{svc}"].urn in rotation.dependencies
        assert deps(rotation, "rotationLambdaArn") == [stack.urn]
    assert plan_db().of_type(stack.type) == []  # no services: no rotation function


def test_secret_replicas_and_rotation_days() -> None:
    g = plan_db(
        ("order-service",),
        args={"replica_regions": [("eu-central-1", DR_KEY)], "rotation_days": 7, "recovery_window_days": 7},
    )
    secret = g.one("aws:secretsmanager/secret:Secret")
    assert secret.props["replicas"] == [{"region": "eu-central-1", "kmsKeyId": DR_KEY}]
    assert secret.props["recoveryWindowInDays"] == 7
    assert g.one("aws:secretsmanager/secretRotation:SecretRotation").props["rotationRules"] == {
        "automaticallyAfterDays": 7
    }


# --------------------------------------------------------------------------------------------- the proxy


def test_proxy_requires_tls_and_authenticates_each_service_with_its_secret(full: Graph) -> None:
    """DB-11: TLS required, one SECRETS auth per credential it pools (the master secret and each
    service's), SCRAM-SHA-256 between client and proxy."""
    proxy = full.one("aws:rds/proxy:Proxy")
    p = proxy.props
    assert (p["name"], p["engineFamily"], p["requireTls"], p["idleClientTimeout"]) == (
        "groundwork-test-db-proxy",
        "POSTGRESQL",
        True,
        1800,
    )
    assert p["vpcSubnetIds"] == ["subnet-d0", "subnet-d1"] and p["tags"] == {"Name": "groundwork-test-db-proxy"}
    secrets = by_name(full, "aws:secretsmanager/secret:Secret")
    assert [a["secretArn"] for a in p["auths"]][1:] == [
        secrets["database-order-service"].outputs["arn"],
        secrets["database-menu-service"].outputs["arn"],
    ]
    assert {(a["authScheme"], a["iamAuth"], a["clientPasswordAuthType"]) for a in p["auths"]} == {
        ("SECRETS", "DISABLED", "POSTGRES_SCRAM_SHA_256")
    }
    assert len(p["auths"]) == 3
    role = by_name(full, "aws:iam/role:Role")["database-proxy"]
    assert deps(proxy, "roleArn") == [role.urn]
    assert json.loads(role.props["assumeRolePolicy"]) == iam.assume_role("rds.amazonaws.com")
    assert role.props["description"] == "groundwork-test: RDS Proxy reads the credentials it pools"


def test_proxy_role_reads_only_its_secrets_through_secrets_manager(full: Graph) -> None:
    policy = full.one("aws:iam/rolePolicy:RolePolicy")
    doc = json.loads(policy.props["policy"])
    read, decrypt = doc["Statement"]
    secrets = by_name(full, "aws:secretsmanager/secret:Secret")
    assert read["Action"] == ["secretsmanager:GetSecretValue"] and read["Effect"] == "Allow"
    assert read["Resource"][1:] == [secrets[f"database-{s}"].outputs["arn"] for s in ("order-service", "menu-service")]
    assert decrypt == {
        "Sid": "DecryptThem",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": [KEYS["secrets"]],
        "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}},
    }
    assert deps(policy, "role") == [by_name(full, "aws:iam/role:Role")["database-proxy"].urn]


def test_proxy_network_and_pool(full: Graph) -> None:
    groups = by_name(full, "aws:ec2/securityGroup:SecurityGroup")
    sg = groups["database-proxy-sg"]
    assert sg.props["description"] == "RDS Proxy: PostgreSQL from the cluster"
    assert sg.props["ingress"] == [
        {
            "description": "PostgreSQL from the cluster",
            "protocol": "tcp",
            "fromPort": 5432,
            "toPort": 5432,
            "securityGroups": ["sg-cluster"],
        }
    ]
    [egress] = sg.props["egress"]
    assert (egress["protocol"], egress["fromPort"], egress["toPort"]) == ("tcp", 5432, 5432)
    assert egress["securityGroups"] == [groups["database-sg"].id]
    assert egress["description"] == "PostgreSQL to the database"
    assert sg.props["tags"] == {"Name": "groundwork-test-db-proxy"} and sg.props["vpcId"] == "vpc-1"
    proxy = full.one("aws:rds/proxy:Proxy")
    assert deps(proxy, "vpcSecurityGroupIds") == [sg.urn]
    pool = full.one("aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup")
    assert pool.props["connectionPoolConfig"] == {
        "maxConnectionsPercent": 90,
        "maxIdleConnectionsPercent": 50,
        "connectionBorrowTimeout": 120,
    }
    assert deps(pool, "dbProxyName") == [proxy.urn]
    target = full.one("aws:rds/proxyTarget:ProxyTarget")
    assert target.props["targetGroupName"] == "default"
    assert deps(target, "dbProxyName") == [proxy.urn] and deps(target, "dbInstanceIdentifier") == [instance(full).urn]


def test_outputs(full: Graph, lean: Graph) -> None:
    component = full.one("groundwork:database:Database")
    assert set(component.outputs) == {"address", "proxyEndpoint", "masterSecretArn", "serviceSecretArns"}
    assert component.outputs["proxyEndpoint"] == full.one("aws:rds/proxy:Proxy").outputs["endpoint"]
    assert set(component.outputs["serviceSecretArns"]) == {"order-service", "menu-service"}
    assert "proxyEndpoint" not in lean.one("groundwork:database:Database").outputs or (
        lean.one("groundwork:database:Database").outputs["proxyEndpoint"] is None
    )


def test_children_belong_to_the_component(full: Graph) -> None:
    component = full.one("groundwork:database:Database").urn
    for r in full.resources:
        if r.custom and not r.type.startswith("pulumi:providers"):
            assert r.parent == component, r.name


def test_master_secret_arn_is_read_from_rds(full: Graph) -> None:
    """RDS reports the managed master secret in masterUserSecrets; the component exposes its ARN
    (the offline plan's mock answers one secret)."""
    db = instance(full)
    secrets = db.outputs.get("masterUserSecrets") or []
    expected = secrets[0]["secretArn"] if secrets else ""
    assert full.one("groundwork:database:Database").outputs["masterSecretArn"] == expected


def test_component_options_reach_children() -> None:
    """A database built with an explicit provider (a DR rebuild) creates its children through it."""

    def body() -> None:
        p = aws.Provider("p", region="eu-central-1")
        Database(
            "database",
            DatabaseArgs(
                settings=DatabaseSettings.model_validate({"pooling": "none"}),
                naming=Naming("groundwork", "test"),
                region="eu-central-1",
                vpc_id="vpc-1",
                subnet_group_name="g",
                database_subnet_ids=["s"],
                private_subnet_ids=["s"],
                cluster_security_group_id="sg",
                data_key_arn="k",
                secrets_key_arn="k",
                logs_key_arn="k",
                log_retention_days=30,
            ),
            opts=pulumi.ResourceOptions(provider=p),
        )

    g = run_function(body, config={"aws:region": "eu-west-1"})
    assert instance(g).provider_urn == g.one("pulumi:providers:aws").urn


def test_every_resource_is_the_databases_child(full: Graph) -> None:
    assert outside(full, "groundwork:database:Database") == []
