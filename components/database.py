"""RDS PostgreSQL for the stack's services (DB-01..DB-11, SEC-01..03).

Behaviour:
- One PostgreSQL instance, engine version pinned with automatic minor upgrades, gp3 storage
  with an autoscaling ceiling, encrypted with the `data` key, Multi-AZ per settings, in the
  isolated database subnets, reachable only from the cluster's security group (and the
  rotation function's) on 5432, never public.
- A parameter group of the version's family with `rds.force_ssl = 1` and slow-query,
  connection and lock logging; the `postgresql` and `upgrade` logs go to pre-created log
  groups (retention, `logs` key); Performance Insights (`data` key) and enhanced monitoring
  per settings; backups kept as configured, tags copied to snapshots, deletion protection and
  a final snapshot per settings, Pulumi `protect` with the stack's `protect`.
- The master password is never an input: RDS manages it in Secrets Manager under the
  `secrets` key and rotates it. Each service with `database: true` gets its own secret
  (engine, host, proxyHost, port, dbname, username, generated password, masterarn) tagged
  `SecretType: database`, rotated every `rotationDays` by AWS's multi-user rotation function
  (deployed from the Serverless Application Repository). The program never logs into the
  database: each service's role and database are created by the bootstrap job
  (components/database_bootstrap.py, docs/data-layer.md).
- Connection pooling: an RDS Proxy requiring TLS, authenticating each service with its secret.
- DR: `restore` builds the instance from a snapshot or by point-in-time restore; those inputs
  are in ignoreChanges, so removing them later does not replace it. With
  `replicateBackupsToDr`, automated backups are replicated to the DR region (cross-region
  point-in-time restore, the `dr plan` source).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.options import kept
from groundwork import iam
from groundwork.naming import Naming
from groundwork.settings.model import DatabaseSettings

PORT = 5432
ADMIN_USER = "groundwork_admin"
# AWS's rotation function for PostgreSQL users that have a master secret (multi-user strategy),
# from the Serverless Application Repository; pinned (verify with `aws serverlessrepo get-application`).
ROTATION_APP = "arn:aws:serverlessrepo:us-east-1:297356227824:applications/SecretsManagerRDSPostgreSQLRotationMultiUser"
ROTATION_APP_VERSION = "1.1.581"


@dataclass(frozen=True)
class ServiceDatabase:
    service: str
    team: str


@dataclass(frozen=True)
class DatabaseArgs:
    settings: DatabaseSettings
    naming: Naming
    region: str
    vpc_id: pulumi.Input[str]
    subnet_group_name: pulumi.Input[str]
    database_subnet_ids: list[pulumi.Input[str]]
    private_subnet_ids: list[pulumi.Input[str]]
    cluster_security_group_id: pulumi.Input[str]
    data_key_arn: pulumi.Input[str]
    secrets_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    log_retention_days: int
    services: list[ServiceDatabase] = field(default_factory=list)
    rotation_days: int = 30
    recovery_window_days: int = 30
    replica_regions: list[tuple[str, pulumi.Input[str]]] = field(default_factory=list)  # (region, secrets key)
    backup_tag: str = ""
    dr_provider: aws.Provider | None = None
    dr_data_key_arn: pulumi.Input[str] | None = None
    protect: bool = True


class Database(pulumi.ComponentResource):
    address: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    arn: pulumi.Output[str]
    master_secret_arn: pulumi.Output[str]
    service_secret_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:database:Database", name, None, opts)
        s, naming = args.settings, args.naming
        child = pulumi.ResourceOptions(parent=self)
        identifier = naming.physical("db", kind="rds")
        major = s.engine_version.split(".")[0]

        # Security groups with rules as separate resources only (inline rules are authoritative and
        # would delete the cross-referencing rules on the next update).
        rotation_sg = aws.ec2.SecurityGroup(
            f"{name}-rotation",
            vpc_id=args.vpc_id,
            description="Database credential rotation function: PostgreSQL and HTTPS out",
            tags={"Name": naming.physical("db-rotation")},
            opts=child,
        )
        db_sg = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="PostgreSQL: only from the cluster, the RDS Proxy and the rotation function",
            tags={"Name": naming.physical("db")},
            opts=child,
        )
        self._rule(name, "from-cluster", db_sg, args.cluster_security_group_id, "PostgreSQL from the cluster")
        self._rule(name, "from-rotation", db_sg, rotation_sg.id, "PostgreSQL from the rotation function")
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-rotation-to-db",
            security_group_id=rotation_sg.id,
            referenced_security_group_id=db_sg.id,
            ip_protocol="tcp",
            from_port=PORT,
            to_port=PORT,
            description="Rotation function to PostgreSQL",
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-rotation-https",
            security_group_id=rotation_sg.id,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="Rotation function to Secrets Manager over HTTPS",
            opts=child,
        )

        params = aws.rds.ParameterGroup(
            f"{name}-params",
            name_prefix=naming.physical(f"postgres{major}") + "-",
            family=f"postgres{major}",
            description=f"{naming.prefix}: TLS required, slow queries and connections logged",
            parameters=[
                aws.rds.ParameterGroupParameterArgs(name=k, value=v, apply_method=m)
                for k, v, m in (
                    ("rds.force_ssl", "1", "immediate"),
                    ("log_min_duration_statement", str(s.log_min_duration_ms), "immediate"),
                    ("log_connections", "1", "immediate"),
                    ("log_disconnections", "1", "immediate"),
                    ("log_lock_waits", "1", "immediate"),
                    ("log_temp_files", "0", "immediate"),
                    ("shared_preload_libraries", "pg_stat_statements", "pending-reboot"),
                )
            ],
            opts=child,
        )

        log_groups = [
            aws.cloudwatch.LogGroup(
                f"{name}-log-{kind}",
                name=f"/aws/rds/instance/{identifier}/{kind}",
                retention_in_days=args.log_retention_days,
                kms_key_id=args.logs_key_arn,
                opts=kept(self, args.protect),
            )
            for kind in ("postgresql", "upgrade")
        ]

        monitoring_role = None
        if s.monitoring_interval_seconds:
            monitoring_role = aws.iam.Role(
                f"{name}-monitoring",
                assume_role_policy=json.dumps(iam.assume_role("monitoring.rds.amazonaws.com")),
                description=f"{naming.prefix}: RDS enhanced monitoring",
                opts=child,
            )
            aws.iam.RolePolicyAttachment(
                f"{name}-monitoring",
                role=monitoring_role.name,
                policy_arn="arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
                opts=child,
            )

        restore = s.restore
        instance_args: dict = {}
        if restore is None:
            instance_args.update(engine="postgres", username=ADMIN_USER, db_name="groundwork")
        elif restore.snapshot_identifier:
            instance_args.update(snapshot_identifier=restore.snapshot_identifier)
        elif restore.point_in_time:
            p = restore.point_in_time
            instance_args.update(
                engine="postgres",
                restore_to_point_in_time=aws.rds.InstanceRestoreToPointInTimeArgs(
                    source_db_instance_identifier=p.source_db_instance_identifier,
                    source_db_instance_automated_backups_arn=p.source_db_instance_automated_backups_arn,
                    restore_time=p.restore_time.isoformat().replace("+00:00", "Z") if p.restore_time else None,
                    use_latest_restorable_time=p.use_latest_restorable_time or None,
                ),
            )
        # a new final snapshot name for every incarnation (a constant one fails the second destroy
        # of a rebuilt stack with DBSnapshotAlreadyExists); created and destroyed with the instance
        final_suffix = (
            random.RandomId(f"{name}-final-snapshot", byte_length=4, opts=child) if s.deletion_protection else None
        )
        self.instance = aws.rds.Instance(
            f"{name}-instance",
            identifier=identifier,
            engine_version=s.engine_version,  # the major only: minors follow auto_minor_version_upgrade
            auto_minor_version_upgrade=True,
            # a major upgrade is an explicit change of groundwork:database.engineVersion
            allow_major_version_upgrade=True,
            instance_class=s.instance_class,
            allocated_storage=s.allocated_storage_gib,
            max_allocated_storage=s.max_allocated_storage_gib,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=args.data_key_arn,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=args.secrets_key_arn,
            multi_az=s.multi_az,
            db_subnet_group_name=args.subnet_group_name,
            vpc_security_group_ids=[db_sg.id],
            parameter_group_name=params.name,
            publicly_accessible=False,
            port=PORT,
            ca_cert_identifier="rds-ca-rsa2048-g1",
            iam_database_authentication_enabled=True,
            backup_retention_period=s.backup_retention_days,
            backup_window=s.backup_window,
            maintenance_window=s.maintenance_window,
            copy_tags_to_snapshot=True,
            delete_automated_backups=False,
            deletion_protection=s.deletion_protection,
            skip_final_snapshot=not s.deletion_protection,
            final_snapshot_identifier=final_suffix.hex.apply(lambda h: f"{identifier}-final-{h}")
            if final_suffix
            else None,
            enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
            performance_insights_enabled=s.performance_insights,
            performance_insights_kms_key_id=args.data_key_arn if s.performance_insights else None,
            performance_insights_retention_period=7 if s.performance_insights else None,
            monitoring_interval=s.monitoring_interval_seconds,
            monitoring_role_arn=monitoring_role.arn if monitoring_role else None,
            apply_immediately=s.apply_immediately,
            tags={"Name": identifier, "Backup": args.backup_tag},
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=log_groups,
                protect=args.protect,
                retain_on_delete=args.protect,
                ignore_changes=["snapshotIdentifier", "restoreToPointInTime"],
            ),
            **instance_args,
        )
        db = self.instance
        self.address, self.endpoint, self.arn = db.address, db.endpoint, db.arn
        self.master_secret_arn = db.master_user_secrets.apply(
            lambda secrets: (secrets[0].secret_arn or "") if secrets else ""
        )
        self.security_group_id = db_sg.id

        if s.replicate_backups_to_dr and args.dr_provider is not None:
            aws.rds.InstanceAutomatedBackupsReplication(
                f"{name}-backups-to-dr",
                source_db_instance_arn=db.arn,
                kms_key_id=args.dr_data_key_arn,
                retention_period=s.backup_retention_days,
                opts=pulumi.ResourceOptions(parent=self, provider=args.dr_provider),
            )

        # Per-service credentials, rotated by AWS's multi-user rotation function.
        self.service_secret_arns = {}
        self.service_secret_names: dict[str, str] = {}
        # what a reader of a service's credentials waits for: its secret's first version (a
        # dependency on this component instead would cost every service O(services) in the SDK's
        # cycle check, pulumi/runtime/resource_cycle_breaker.py: issue 16)
        self.service_secret_versions: dict[str, pulumi.Resource] = {}
        secrets: list[aws.secretsmanager.Secret] = []
        rotation_fn: pulumi.Output[str] | None = None
        if args.services:
            stack = aws.serverlessrepository.CloudFormationStack(
                f"{name}-rotation",
                name=naming.physical("db-rotation"),
                application_id=ROTATION_APP,
                semantic_version=ROTATION_APP_VERSION,
                capabilities=["CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY"],
                parameters={
                    "endpoint": f"https://secretsmanager.{args.region}.amazonaws.com",
                    "functionName": naming.physical("db-rotation"),
                    "vpcSubnetIds": pulumi.Output.all(*args.private_subnet_ids).apply(",".join),
                    "vpcSecurityGroupIds": rotation_sg.id,
                    "kmsKeyArn": args.secrets_key_arn,
                    # The multi-user function signs in as the master user to set each service's
                    # password: without these two the SAR template grants its role no access to the
                    # master secret or its key, and every rotation stops at setSecret (AWSPENDING).
                    # Parameters of the SAR application, as aws-cdk-lib's SecretRotation passes them
                    # for multi-user applications (aws-cdk, packages/aws-cdk-lib/aws-secretsmanager/
                    # lib/secret-rotation.ts: masterSecretArn, masterSecretKmsKeyArn).
                    "masterSecretArn": self.master_secret_arn,
                    "masterSecretKmsKeyArn": args.secrets_key_arn,
                    "excludeCharacters": "/@\"'\\ :?#[]%&+",
                },
                opts=child,
            )
            rotation_fn = stack.outputs.apply(lambda o: o.get("RotationLambdaARN", ""))
        passwords: dict[str, random.RandomPassword] = {}
        for svc in args.services:
            passwords[svc.service] = random.RandomPassword(
                f"{name}-{svc.service}-password", length=32, special=False, min_numeric=2, min_upper=2, opts=child
            )
            secret_name = f"{naming.project}/{naming.stack}/services/{svc.service}/database"
            secret = aws.secretsmanager.Secret(
                f"{name}-{svc.service}",
                name=secret_name,
                description=f"PostgreSQL credentials of {svc.service} (rotated; read through External Secrets)",
                kms_key_id=args.secrets_key_arn,
                recovery_window_in_days=args.recovery_window_days,
                replicas=[
                    aws.secretsmanager.SecretReplicaArgs(region=r, kms_key_id=k) for r, k in args.replica_regions
                ],
                tags={"SecretType": "database", "Service": svc.service, "Team": svc.team},
                opts=kept(self, args.protect),
            )
            secrets.append(secret)
            self.service_secret_arns[svc.service] = secret.arn
            self.service_secret_names[svc.service] = secret_name

        self.proxy_endpoint: pulumi.Output[str] | None = None
        if s.pooling == "rds-proxy":
            self.proxy_endpoint = self._proxy(name, args, db, db_sg, secrets)
        proxy_host = self.proxy_endpoint if self.proxy_endpoint is not None else db.address

        for svc, secret in zip(args.services, secrets, strict=True):
            version = aws.secretsmanager.SecretVersion(
                f"{name}-{svc.service}",
                secret_id=secret.id,
                secret_string=pulumi.Output.json_dumps(
                    {
                        "engine": "postgres",
                        "host": db.address,  # the rotation function connects here
                        "proxyHost": proxy_host,  # services connect here
                        "port": PORT,
                        "dbname": svc.service.replace("-", "_"),
                        "username": svc.service.replace("-", "_"),
                        "password": passwords[svc.service].result,
                        "masterarn": self.master_secret_arn,
                    }
                ),
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=["secretString"]),
            )
            self.service_secret_versions[svc.service] = version
            if rotation_fn is not None:
                aws.secretsmanager.SecretRotation(
                    f"{name}-{svc.service}",
                    secret_id=secret.id,
                    rotation_lambda_arn=rotation_fn,
                    rotation_rules=aws.secretsmanager.SecretRotationRotationRulesArgs(
                        automatically_after_days=args.rotation_days
                    ),
                    rotate_immediately=False,  # the role exists only after the service's first migration
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[version]),
                )

        self.register_outputs(
            {
                "address": self.address,
                "proxyEndpoint": self.proxy_endpoint,
                "masterSecretArn": self.master_secret_arn,
                "serviceSecretArns": self.service_secret_arns,
            }
        )

    def _rule(self, name: str, suffix: str, sg: aws.ec2.SecurityGroup, source: pulumi.Input[str], text: str) -> None:
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-{suffix}",
            security_group_id=sg.id,
            referenced_security_group_id=source,
            ip_protocol="tcp",
            from_port=PORT,
            to_port=PORT,
            description=text,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _proxy(
        self,
        name: str,
        args: DatabaseArgs,
        db: aws.rds.Instance,
        db_sg: aws.ec2.SecurityGroup,
        secrets: list[aws.secretsmanager.Secret],
    ) -> pulumi.Output[str]:
        naming = args.naming
        child = pulumi.ResourceOptions(parent=self)
        secret_arns = [self.master_secret_arn, *[x.arn for x in secrets]]
        role = aws.iam.Role(
            f"{name}-proxy",
            assume_role_policy=json.dumps(iam.assume_role("rds.amazonaws.com")),
            description=f"{naming.prefix}: RDS Proxy reads the credentials it pools",
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-proxy",
            role=role.id,
            policy=pulumi.Output.all(args.secrets_key_arn, *secret_arns).apply(
                lambda a: json.dumps(
                    iam.document(
                        {
                            "Sid": "ReadPooledCredentials",
                            "Effect": "Allow",
                            "Action": ["secretsmanager:GetSecretValue"],
                            "Resource": list(a[1:]),
                        },
                        {
                            "Sid": "DecryptThem",
                            "Effect": "Allow",
                            "Action": "kms:Decrypt",
                            "Resource": [a[0]],
                            "Condition": {
                                "StringEquals": {"kms:ViaService": f"secretsmanager.{args.region}.amazonaws.com"}
                            },
                        },
                    )
                )
            ),
            opts=child,
        )
        proxy_sg = aws.ec2.SecurityGroup(
            f"{name}-proxy-sg",
            vpc_id=args.vpc_id,
            description="RDS Proxy: PostgreSQL from the cluster",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    description="PostgreSQL from the cluster",
                    protocol="tcp",
                    from_port=PORT,
                    to_port=PORT,
                    security_groups=[args.cluster_security_group_id],
                )
            ],
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    description="PostgreSQL to the database",
                    protocol="tcp",
                    from_port=PORT,
                    to_port=PORT,
                    security_groups=[db_sg.id],
                )
            ],
            tags={"Name": naming.physical("db-proxy")},
            opts=child,
        )
        self._rule(name, "from-proxy", db_sg, proxy_sg.id, "PostgreSQL from the RDS Proxy")
        proxy = aws.rds.Proxy(
            f"{name}-proxy",
            name=naming.physical("db-proxy"),
            engine_family="POSTGRESQL",
            require_tls=True,
            role_arn=role.arn,
            vpc_subnet_ids=args.database_subnet_ids,
            vpc_security_group_ids=[proxy_sg.id],
            idle_client_timeout=1800,
            auths=[
                aws.rds.ProxyAuthArgs(
                    auth_scheme="SECRETS",
                    secret_arn=arn,
                    iam_auth="DISABLED",
                    client_password_auth_type="POSTGRES_SCRAM_SHA_256",
                )
                for arn in secret_arns
            ],
            tags={"Name": naming.physical("db-proxy")},
            opts=child,
        )
        aws.rds.ProxyDefaultTargetGroup(
            f"{name}-proxy",
            db_proxy_name=proxy.name,
            connection_pool_config=aws.rds.ProxyDefaultTargetGroupConnectionPoolConfigArgs(
                max_connections_percent=90, max_idle_connections_percent=50, connection_borrow_timeout=120
            ),
            opts=child,
        )
        aws.rds.ProxyTarget(
            f"{name}-proxy",
            db_proxy_name=proxy.name,
            target_group_name="default",
            db_instance_identifier=db.identifier,
            opts=child,
        )
        return proxy.endpoint
