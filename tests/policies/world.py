"""A compliant prod stack for the policy tests: every resource type the pack reads, wired by property
dependencies as Pulumi records them. Every policy passes on it; each violation test changes one thing."""

from __future__ import annotations

import copy
import json

from tests.policies.harness import Fx, World

ACCOUNT = "333333333333"
CLUSTER = "groundwork-prod"
SERVICES = [{"name": "api-gateway", "port": 3000, "team": "edge"}, {"name": "orders", "port": 3004, "team": "orders"}]
ENFORCE = {"validationFailureAction": "Enforce"}


def _policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def build() -> World:
    r: dict[str, Fx] = {}

    def add(
        type_: str,
        name: str,
        props: dict,
        deps: dict | None = None,
        provider: str | None = "primary",
        protect: bool = False,
    ) -> None:
        r[name] = Fx(type_, name, props, deps or {}, provider, protect)

    # -- keys ------------------------------------------------------------------------------------
    for purpose in ("data", "logs", "secrets"):
        add(
            "aws:kms/key:Key",
            f"key-{purpose}",
            {
                "enableKeyRotation": True,
                "description": purpose,
                "policy": _policy(
                    {
                        "Sid": "AccountAdministration",
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                        "Action": "kms:*",
                        "Resource": "*",
                    }
                ),
                "tags": {"Name": f"{CLUSTER}-{purpose}"},
            },
            protect=True,
        )

    # -- network ---------------------------------------------------------------------------------
    add("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.30.0.0/16", "tags": {"Name": f"{CLUSTER}-vpc"}})
    add("aws:ec2/internetGateway:InternetGateway", "igw", {"tags": {"Name": "igw"}}, {"vpcId": ["vpc"]})
    add("aws:ec2/routeTable:RouteTable", "rt-public", {"tags": {"Name": "public"}}, {"vpcId": ["vpc"]})
    add(
        "aws:ec2/route:Route",
        "route-public",
        {"destinationCidrBlock": "0.0.0.0/0", "routeTableId": "rtb-p", "gatewayId": "igw-1"},
        {"routeTableId": ["rt-public"], "gatewayId": ["igw"]},
    )
    add("aws:ec2/routeTable:RouteTable", "rt-db", {"tags": {"Name": "db"}}, {"vpcId": ["vpc"]})
    for i, az in enumerate(("eu-west-1a", "eu-west-1b", "eu-west-1c")):
        for tier in ("public", "private", "db"):
            add(
                "aws:ec2/subnet:Subnet",
                f"subnet-{tier}-{i}",
                {
                    "cidrBlock": f"10.30.{i * 3 + ('public', 'private', 'db').index(tier)}.0/24",
                    "availabilityZone": az,
                    "mapPublicIpOnLaunch": False,
                    "tags": {"Name": f"{CLUSTER}-{tier}-{i}"},
                },
                {"vpcId": ["vpc"]},
            )
        add("aws:ec2/eip:Eip", f"eip-{i}", {"domain": "vpc", "tags": {"Name": "eip"}})
        add(
            "aws:ec2/natGateway:NatGateway",
            f"nat-{i}",
            {"allocationId": "eipalloc-1", "subnetId": "subnet-1", "tags": {"Name": "nat"}},
            {"subnetId": [f"subnet-public-{i}"], "allocationId": [f"eip-{i}"]},
        )
        add("aws:ec2/routeTable:RouteTable", f"rt-private-{i}", {"tags": {"Name": "private"}}, {"vpcId": ["vpc"]})
        add(
            "aws:ec2/route:Route",
            f"route-private-{i}",
            {"destinationCidrBlock": "0.0.0.0/0", "routeTableId": "rtb", "natGatewayId": "nat"},
            {"routeTableId": [f"rt-private-{i}"], "natGatewayId": [f"nat-{i}"]},
        )
        for tier, table in (("public", "rt-public"), ("private", f"rt-private-{i}"), ("db", "rt-db")):
            add(
                "aws:ec2/routeTableAssociation:RouteTableAssociation",
                f"assoc-{tier}-{i}",
                {"subnetId": "s", "routeTableId": "t"},
                {"subnetId": [f"subnet-{tier}-{i}"], "routeTableId": [table]},
            )
    add(
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "default-sg",
        {"vpcId": "vpc-1", "ingress": [], "egress": [], "tags": {"Name": "default"}},
        {"vpcId": ["vpc"]},
    )
    add(
        "aws:cloudwatch/logGroup:LogGroup",
        "flow-log-group",
        {"name": "/groundwork/prod/vpc/flow-logs", "retentionInDays": 365, "kmsKeyId": "arn:key"},
        {"kmsKeyId": ["key-logs"]},
        protect=True,
    )
    add(
        "aws:ec2/flowLog:FlowLog",
        "flow-log",
        {
            "vpcId": "vpc-1",
            "trafficType": "ALL",
            "logDestination": "arn:lg",
            "logDestinationType": "cloud-watch-logs",
            "tags": {"Name": "fl"},
        },
        {"vpcId": ["vpc"], "logDestination": ["flow-log-group"]},
    )
    add(
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "s3-endpoint",
        {"serviceName": "com.amazonaws.eu-west-1.s3", "vpcEndpointType": "Gateway", "tags": {"Name": "s3"}},
        {"vpcId": ["vpc"]},
    )
    add(
        "aws:ec2/securityGroup:SecurityGroup",
        "endpoints-sg",
        {
            "description": "Interface endpoints: HTTPS from the VPC",
            "tags": {"Name": "endpoints"},
            "ingress": [
                {
                    "description": "HTTPS from the VPC",
                    "protocol": "tcp",
                    "fromPort": 443,
                    "toPort": 443,
                    "cidrBlocks": ["10.30.0.0/16"],
                }
            ],
        },
        {"vpcId": ["vpc"]},
    )

    # -- an internet-facing load balancer with WAF ------------------------------------------------
    add(
        "aws:ec2/securityGroup:SecurityGroup",
        "alb-sg",
        {
            "description": "Public load balancer",
            "tags": {"Name": "alb"},
            "ingress": [
                {
                    "description": "HTTPS",
                    "protocol": "tcp",
                    "fromPort": 443,
                    "toPort": 443,
                    "cidrBlocks": ["0.0.0.0/0"],
                },
                {
                    "description": "HTTP redirect",
                    "protocol": "tcp",
                    "fromPort": 80,
                    "toPort": 80,
                    "cidrBlocks": ["0.0.0.0/0"],
                },
            ],
        },
        {"vpcId": ["vpc"]},
    )
    add(
        "aws:lb/loadBalancer:LoadBalancer",
        "alb",
        {"internal": False, "loadBalancerType": "application", "name": f"{CLUSTER}-edge", "tags": {"Name": "alb"}},
        {"securityGroups": ["alb-sg"]},
    )
    add(
        "aws:lb/listener:Listener",
        "listener-https",
        {
            "protocol": "HTTPS",
            "port": 443,
            "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "certificateArn": f"arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/abc",
            "tags": {"Name": "https"},
        },
        {"loadBalancerArn": ["alb"]},
    )
    add(
        "aws:lb/listener:Listener",
        "listener-http",
        {
            "protocol": "HTTP",
            "port": 80,
            "tags": {"Name": "http"},
            "defaultActions": [
                {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
            ],
        },
        {"loadBalancerArn": ["alb"]},
    )
    add(
        "aws:wafv2/webAclAssociation:WebAclAssociation",
        "waf-assoc",
        {"resourceArn": "arn:alb", "webAclArn": "arn:waf"},
        {"resourceArn": ["alb"]},
    )

    # -- EKS ---------------------------------------------------------------------------------------
    eks_common = {
        "name": CLUSTER,
        "version": "1.35",
        "deletionProtection": True,
        "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
    }
    # pulumi-eks's component reaches the analyzer with no properties (a remote component
    # registered through the Node.js SDK): the controls judge the resources it creates below
    add("eks:index:Cluster", "eks", {}, provider=None, protect=True)
    add(
        "aws:eks/cluster:Cluster",
        "eks-cluster",
        {
            **eks_common,
            "roleArn": "arn:role",
            "vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False, "subnetIds": ["s"]},
            "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": "arn:key-secrets"}},
            "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": True},
            "tags": {"Name": CLUSTER, "groundwork:creator": f"arn:aws:iam::{ACCOUNT}:role/groundwork-deploy-prod"},
        },
        protect=True,
    )
    add(
        "aws:cloudwatch/logGroup:LogGroup",
        "eks-log-group",
        {"name": f"/aws/eks/{CLUSTER}/cluster", "retentionInDays": 365, "kmsKeyId": "arn:key"},
        protect=True,
    )
    add(
        "aws:eks/accessEntry:AccessEntry",
        "access-entry",
        {"principalArn": f"arn:aws:iam::{ACCOUNT}:role/Developer", "clusterName": CLUSTER, "tags": {"Name": "x"}},
    )
    add(
        "aws:ec2/launchTemplate:LaunchTemplate",
        "node-template",
        {
            "namePrefix": f"{CLUSTER}-general-",
            "tags": {"Name": "lt"},
            "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1},
            "blockDeviceMappings": [
                {
                    "deviceName": "/dev/xvda",
                    "ebs": {"volumeSize": 50, "volumeType": "gp3", "encrypted": "true", "kmsKeyId": "arn:key"},
                }
            ],
        },
    )
    add(
        "aws:eks/nodeGroup:NodeGroup",
        "nodes",
        {
            "clusterName": CLUSTER,
            "nodeGroupNamePrefix": f"{CLUSTER}-general-",
            "instanceTypes": ["m7g.large"],
            "scalingConfig": {"minSize": 3, "desiredSize": 3, "maxSize": 6},
            "launchTemplate": {"id": "lt-1", "version": "1"},
            "tags": {"Name": "nodes"},
        },
        {"subnetIds": [f"subnet-private-{i}" for i in range(3)], "launchTemplate": ["node-template"]},
    )
    add(
        "aws:iam/role:Role",
        "ebs-role",
        {
            "assumeRolePolicy": _policy(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "pods.eks.amazonaws.com"},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                }
            ),
            "tags": {"Name": "ebs"},
        },
    )
    add(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "ebs-managed",
        {"policyArn": "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy", "role": "ebs"},
        {"role": ["ebs-role"]},
    )
    add(
        "aws:iam/rolePolicy:RolePolicy",
        "ebs-kms",
        {
            "role": "ebs",
            "policy": _policy(
                {
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": ["arn:aws:kms:eu-west-1:1:key/abc"],
                }
            ),
        },
        {"role": ["ebs-role"]},
    )

    # -- database ------------------------------------------------------------------------------------
    add(
        "aws:rds/subnetGroup:SubnetGroup",
        "db-subnets",
        {"name": f"{CLUSTER}-database", "tags": {"Name": "db"}},
        {"subnetIds": [f"subnet-db-{i}" for i in range(3)]},
    )
    add(
        "aws:rds/parameterGroup:ParameterGroup",
        "db-params",
        {
            "family": "postgres17",
            "name": f"{CLUSTER}-postgres17",
            "tags": {"Name": "pg"},
            "parameters": [
                {"name": "rds.force_ssl", "value": "1"},
                {"name": "log_min_duration_statement", "value": "500"},
            ],
        },
    )
    add(
        "aws:ec2/securityGroup:SecurityGroup",
        "db-sg",
        {
            "description": "PostgreSQL from the cluster",
            "tags": {"Name": "db"},
            "ingress": [
                {
                    "description": "PostgreSQL from the cluster",
                    "protocol": "tcp",
                    "fromPort": 5432,
                    "toPort": 5432,
                    "securityGroups": ["sg-cluster"],
                }
            ],
        },
        {"vpcId": ["vpc"]},
    )
    add(
        "aws:rds/instance:Instance",
        "db",
        {
            "identifier": f"{CLUSTER}-db",
            "engine": "postgres",
            "engineVersion": "17",
            "autoMinorVersionUpgrade": True,
            "multiAz": True,
            "storageEncrypted": True,
            "kmsKeyId": "arn:key-data",
            "publiclyAccessible": False,
            "backupRetentionPeriod": 30,
            "backupWindow": "02:00-03:00",
            "maintenanceWindow": "sun:03:30-sun:04:30",
            "copyTagsToSnapshot": True,
            "deletionProtection": True,
            "skipFinalSnapshot": False,
            "finalSnapshotIdentifier": f"{CLUSTER}-db-final",
            "manageMasterUserPassword": True,
            "masterUserSecretKmsKeyId": "arn:key-secrets",
            "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
            "performanceInsightsEnabled": True,
            "performanceInsightsKmsKeyId": "arn:key-data",
            "monitoringInterval": 60,
            "monitoringRoleArn": "arn:role",
            "storageType": "gp3",
            "allocatedStorage": 50,
            "maxAllocatedStorage": 200,
            "port": 5432,
            "tags": {"Name": "db"},
            "parameterGroupName": f"{CLUSTER}-postgres17",
            "dbSubnetGroupName": f"{CLUSTER}-database",
            "vpcSecurityGroupIds": ["sg-db"],
        },
        {"parameterGroupName": ["db-params"], "dbSubnetGroupName": ["db-subnets"], "vpcSecurityGroupIds": ["db-sg"]},
        protect=True,
    )
    add(
        "aws:rds/proxy:Proxy",
        "db-proxy",
        {
            "name": f"{CLUSTER}-proxy",
            "engineFamily": "POSTGRESQL",
            "requireTls": True,
            "auths": [{"authScheme": "SECRETS", "secretArn": "arn:secret", "iamAuth": "REQUIRED"}],
            "tags": {"Name": "proxy"},
            "vpcSecurityGroupIds": ["sg-db"],
        },
        {"vpcSecurityGroupIds": ["db-sg"]},
    )
    add(
        "aws:rds/proxyTarget:ProxyTarget",
        "db-proxy-target",
        {"dbProxyName": "p", "dbInstanceIdentifier": "db", "targetGroupName": "default"},
        {"dbProxyName": ["db-proxy"], "dbInstanceIdentifier": ["db"]},
    )

    # -- cache -----------------------------------------------------------------------------------------
    add(
        "aws:elasticache/subnetGroup:SubnetGroup",
        "cache-subnets",
        {"name": f"{CLUSTER}-cache", "tags": {"Name": "c"}},
        {"subnetIds": [f"subnet-db-{i}" for i in range(3)]},
    )
    add(
        "aws:ec2/securityGroup:SecurityGroup",
        "cache-sg",
        {
            "description": "Redis from the cluster",
            "tags": {"Name": "cache"},
            "ingress": [
                {
                    "description": "Redis from the cluster",
                    "protocol": "tcp",
                    "fromPort": 6379,
                    "toPort": 6379,
                    "securityGroups": ["sg-c"],
                }
            ],
        },
        {"vpcId": ["vpc"]},
    )
    add(
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "cache",
        {
            "replicationGroupId": f"{CLUSTER}-cache",
            "engine": "valkey",
            "numCacheClusters": 2,
            "automaticFailoverEnabled": True,
            "multiAzEnabled": True,
            "atRestEncryptionEnabled": True,
            "kmsKeyId": "arn:key-data",
            "transitEncryptionEnabled": True,
            "transitEncryptionMode": "required",
            "authToken": "generated",
            "snapshotRetentionLimit": 7,
            "finalSnapshotIdentifier": f"{CLUSTER}-cache-final",
            "subnetGroupName": f"{CLUSTER}-cache",
            "port": 6379,
            "tags": {"Name": "cache"},
            "securityGroupIds": ["sg-cache"],
        },
        {"subnetGroupName": ["cache-subnets"], "securityGroupIds": ["cache-sg"]},
        protect=True,
    )

    add(
        "kubernetes:core/v1:Secret",
        "sa-token",
        {
            "metadata": {
                "name": "ci-token",
                "namespace": "orders",
                "annotations": {"kubernetes.io/service-account.name": "ci"},
            },
            "type": "kubernetes.io/service-account-token",
        },
        provider=None,
    )
    add(
        "aws:elasticache/cluster:Cluster",
        "cache-member",
        {"clusterId": f"{CLUSTER}-cache-1", "replicationGroupId": f"{CLUSTER}-cache", "tags": {"Name": "member"}},
    )

    # -- buckets -----------------------------------------------------------------------------------------
    def bucket(name: str, provider: str, purpose: str | None, lifecycle: list[dict]) -> None:
        sse = (
            {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
            if purpose == "access-logs"
            else {
                "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "arn:key"},
                "bucketKeyEnabled": True,
            }
        )
        tags = {"Name": name, **({"Purpose": purpose} if purpose else {})}
        add(
            "aws:s3/bucket:Bucket",
            name,
            {"bucket": f"{CLUSTER}-{name}-{ACCOUNT}", "objectLockEnabled": purpose == "backups", "tags": tags},
            provider=provider,
            protect=True,
        )
        dep = {"bucket": [name]}
        add(
            "aws:s3/bucketVersioning:BucketVersioning",
            f"{name}-versioning",
            {"bucket": "b", "versioningConfiguration": {"status": "Enabled"}},
            dep,
            provider,
        )
        add(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            f"{name}-sse",
            {
                "bucket": "b",
                "rules": [sse],
            },
            dep,
            provider,
        )
        add(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            f"{name}-pab",
            {
                "bucket": "b",
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
            dep,
            provider,
        )
        add(
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
            f"{name}-ownership",
            {"bucket": "b", "rule": {"objectOwnership": "BucketOwnerEnforced"}},
            dep,
            provider,
        )
        add(
            "aws:s3/bucketPolicy:BucketPolicy",
            f"{name}-policy",
            {
                "bucket": "b",
                "policy": _policy(
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": ["arn:b", "arn:b/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ),
            },
            dep,
            provider,
        )
        add(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            f"{name}-lifecycle",
            {"bucket": "b", "rules": copy.deepcopy(lifecycle)},
            dep,
            provider,
        )
        if purpose == "backups":
            add(
                "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
                f"{name}-lock",
                {"bucket": "b", "rule": {"defaultRetention": {"mode": "COMPLIANCE", "days": 7}}},
                dep,
                provider,
            )

    backup_rules = [
        {
            "id": "abort-uploads",
            "status": "Enabled",
            "filter": {},
            "abortIncompleteMultipartUpload": {"daysAfterInitiation": 1},
        },
        {"id": "daily", "status": "Enabled", "filter": {"prefix": "daily/"}, "expiration": {"days": 7}},
        {
            "id": "weekly",
            "status": "Enabled",
            "filter": {"prefix": "weekly/"},
            "expiration": {"days": 28},
            "transitions": [{"days": 7, "storageClass": "STANDARD_IA"}],
        },
        {
            "id": "monthly",
            "status": "Enabled",
            "filter": {"prefix": "monthly/"},
            "expiration": {"days": 365},
            "transitions": [{"days": 30, "storageClass": "STANDARD_IA"}, {"days": 90, "storageClass": "GLACIER"}],
        },
    ]
    bucket("backups", "primary", "backups", backup_rules)
    bucket("backups-dr", "dr", "backups", backup_rules)
    bucket(
        "logs",
        "primary",
        None,
        [
            {
                "id": "expire",
                "status": "Enabled",
                "filter": {},
                "expiration": {"days": 90},
                "abortIncompleteMultipartUpload": {"daysAfterInitiation": 1},
            }
        ],
    )
    audit_rules = [
        {
            "id": "age-out",
            "status": "Enabled",
            "filter": {},
            "expiration": {"days": 365},
            "abortIncompleteMultipartUpload": {"daysAfterInitiation": 1},
        }
    ]
    bucket("audit", "primary", "audit-logs", audit_rules)
    bucket("access-logs", "primary", "access-logs", audit_rules)
    add(
        "aws:s3/bucketLogging:BucketLogging",
        "audit-access-logs",
        {"bucket": "b", "targetBucket": "t", "targetPrefix": "audit-logs/"},
        {"bucket": ["audit"], "targetBucket": ["access-logs"]},
    )
    add(
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        "backups-replication",
        {
            "bucket": "b",
            "role": "arn:role",
            "rules": [{"id": "to-dr", "status": "Enabled", "destination": {"bucket": "arn:dr"}}],
        },
        {"bucket": ["backups"], "rules": ["backups-dr"]},
    )
    add(
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        "backups-dr-replication",
        {
            "bucket": "b",
            "role": "arn:role",
            "rules": [{"id": "to-primary", "status": "Enabled", "destination": {"bucket": "arn:p"}}],
        },
        {"bucket": ["backups-dr"], "rules": ["backups"]},
        provider="dr",
    )

    # -- AWS Backup -----------------------------------------------------------------------------------------
    add(
        "aws:backup/vault:Vault",
        "vault",
        {"name": f"{CLUSTER}-vault", "kmsKeyArn": "arn:key", "tags": {"Name": "v"}},
        protect=True,
    )
    add(
        "aws:backup/vault:Vault",
        "vault-dr",
        {"name": f"{CLUSTER}-vault-dr", "kmsKeyArn": "arn:key-dr", "tags": {"Name": "v"}},
        provider="dr",
        protect=True,
    )
    for v in ("vault", "vault-dr"):
        add(
            "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
            f"{v}-lock",
            {"backupVaultName": "v", "minRetentionDays": 7},
            {"backupVaultName": [v]},
            provider="dr" if v.endswith("dr") else "primary",
        )
    add(
        "aws:backup/plan:Plan",
        "plan",
        {
            "name": f"{CLUSTER}-plan",
            "tags": {"Name": "p"},
            "rules": [
                {
                    "ruleName": name,
                    "targetVaultName": "v",
                    "schedule": cron,
                    "lifecycle": {"deleteAfter": days},
                    "copyActions": [{"destinationVaultArn": "arn:dr", "lifecycle": {"deleteAfter": days}}],
                }
                for name, cron, days in (
                    ("daily", "cron(0 3 * * ? *)", 7),
                    ("weekly", "cron(0 4 ? * SUN *)", 28),
                    ("monthly", "cron(0 5 1 * ? *)", 365),
                )
            ],
        },
        {"rules": ["vault", "vault-dr"]},
    )
    add(
        "aws:backup/selection:Selection",
        "selection",
        {
            "name": "rds",
            "planId": "p",
            "iamRoleArn": "arn:role",
            "selectionTags": [{"type": "STRINGEQUALS", "key": "Backup", "value": "groundwork-prod"}],
        },
        {"planId": ["plan"]},
    )

    # -- secrets and audit ----------------------------------------------------------------------------------
    add(
        "aws:secretsmanager/secret:Secret",
        "db-secret",
        {
            "name": "groundwork/prod/db/orders",
            "kmsKeyId": "arn:key-secrets",
            "tags": {"Name": "s", "SecretType": "database"},
        },
        {"kmsKeyId": ["key-secrets"]},
        protect=True,
    )
    add(
        "aws:secretsmanager/secretRotation:SecretRotation",
        "db-secret-rotation",
        {"secretId": "arn", "rotationLambdaArn": "arn:fn", "rotationRules": {"automaticallyAfterDays": 30}},
        {"secretId": ["db-secret"]},
    )
    add(
        "aws:cloudtrail/trail:Trail",
        "trail",
        {
            "name": f"{CLUSTER}-trail",
            "isMultiRegionTrail": True,
            "enableLogFileValidation": True,
            "kmsKeyId": "arn:key",
            "s3BucketName": "b",
            "tags": {"Name": "t"},
        },
        {"s3BucketName": ["audit"]},
    )

    # -- ECR -----------------------------------------------------------------------------------------------
    add(
        "aws:ecr/repository:Repository",
        "ecr-orders",
        {
            "name": f"{CLUSTER}/orders",
            "imageTagMutability": "IMMUTABLE",
            "imageScanningConfiguration": {"scanOnPush": True},
            "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": "arn:key"}],
            "tags": {"Name": "orders"},
        },
        protect=True,
    )
    add(
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "ecr-orders-lifecycle",
        {"repository": "r", "policy": "{}"},
        {"repository": ["ecr-orders"]},
    )

    # -- alarms --------------------------------------------------------------------------------------------
    add(
        "aws:sns/topic:Topic",
        "alerts",
        {"name": f"{CLUSTER}-alerts", "kmsMasterKeyId": "arn:key", "tags": {"Name": "a"}},
    )
    alarms = [
        ("db", "AWS/RDS", ("CPUUtilization", "FreeStorageSpace", "DatabaseConnections")),
        ("cache", "AWS/ElastiCache", ("DatabaseMemoryUsagePercentage", "Evictions", "EngineCPUUtilization")),
        *[(f"nat-{i}", "AWS/NATGateway", ("ErrorPortAllocation", "PacketsDropCount")) for i in range(3)],
        ("plan", "AWS/Backup", ("NumberOfBackupJobsFailed",)),
    ]
    for target, namespace, metrics in alarms:
        for metric in metrics:
            add(
                "aws:cloudwatch/metricAlarm:MetricAlarm",
                f"alarm-{target}-{metric}",
                {
                    "namespace": namespace,
                    "metricName": metric,
                    "alarmActions": ["arn:sns"],
                    "tags": {"Name": "x"},
                    "dimensions": {"Resource": "x"},
                },
                {"dimensions": [target], "alarmActions": ["alerts"]},
            )

    # -- Kubernetes ----------------------------------------------------------------------------------------
    psa = {f"pod-security.kubernetes.io/{m}": "restricted" for m in ("enforce", "audit", "warn")}
    for team in ("edge", "orders"):
        add("kubernetes:core/v1:Namespace", f"ns-{team}", {"metadata": {"name": team, "labels": psa}}, provider=None)
        add(
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            f"np-{team}-deny",
            {
                "metadata": {"name": "default-deny", "namespace": team},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            },
            {"metadata": [f"ns-{team}"]},
            provider=None,
        )
        add(
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            f"np-{team}-dns",
            {
                "metadata": {"name": "allow-dns", "namespace": team},
                "spec": {
                    "podSelector": {},
                    "policyTypes": ["Egress"],
                    "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}],
                },
            },
            {"metadata": [f"ns-{team}"]},
            provider=None,
        )
        add(
            "kubernetes:core/v1:ResourceQuota",
            f"quota-{team}",
            {"metadata": {"name": "quota", "namespace": team}, "spec": {"hard": {"requests.cpu": "8"}}},
            {"metadata": [f"ns-{team}"]},
            provider=None,
        )
        add(
            "kubernetes:core/v1:LimitRange",
            f"limits-{team}",
            {"metadata": {"name": "limits", "namespace": team}, "spec": {"limits": [{"type": "Container"}]}},
            {"metadata": [f"ns-{team}"]},
            provider=None,
        )
    add(
        "kubernetes:core/v1:Namespace",
        "ns-monitoring",
        {"metadata": {"name": "monitoring", "labels": {}}},
        provider=None,
    )

    def release(name: str, chart: str, namespace: str, values: dict) -> None:
        add(
            "kubernetes:helm.sh/v3:Release",
            name,
            {
                "chart": chart,
                "version": "1.2.3",
                "namespace": namespace,
                "name": name,
                "repositoryOpts": {"repo": "https://charts.example.org"},
                "values": values,
            },
            provider=None,
        )

    release("kyverno", "kyverno", "kyverno", {"admissionController": {"replicas": 3}})
    for name in (
        "require-requests-limits",
        "require-probes",
        "disallow-latest-tag",
        "restrict-image-registries",
        "require-ro-rootfs",
        "disallow-secret-env-values",
        "require-hpa-min-replicas",
    ):
        add(
            "kubernetes:kyverno.io/v1:ClusterPolicy",
            f"cp-{name}",
            {
                "metadata": {"name": name},
                "spec": {"rules": [{"name": name, "validate": {"failureAction": "Enforce", "message": "m"}}]},
            },
            provider=None,
        )
    for name in ("generate-hpa", "generate-pdb"):
        add(
            "kubernetes:kyverno.io/v1:ClusterPolicy",
            f"cp-{name}",
            {
                "metadata": {"name": name},
                "spec": {"rules": [{"name": name, "generate": {"kind": "PodDisruptionBudget"}}]},
            },
            provider=None,
        )
    release(
        "external-secrets", "external-secrets", "external-secrets", {"serviceAccount": {"name": "external-secrets"}}
    )
    add(
        "kubernetes:external-secrets.io/v1:ClusterSecretStore",
        "secret-store",
        {
            "metadata": {"name": "aws-secrets-manager"},
            "spec": {"provider": {"aws": {"service": "SecretsManager", "region": "eu-west-1"}}},
        },
        provider=None,
    )
    release("lbc", "aws-load-balancer-controller", "kube-system", {"clusterName": CLUSTER})
    add(
        "kubernetes:networking.k8s.io/v1:IngressClass",
        "ingress-class",
        {"metadata": {"name": "alb"}, "spec": {"controller": "ingress.k8s.aws/alb"}},
        provider=None,
    )
    add(
        "kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams",
        "ingress-params",
        {
            "metadata": {"name": "alb"},
            "spec": {
                "scheme": "internet-facing",
                "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
                "certificateArn": [f"arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/abc"],
                "wafv2AclArn": "arn:waf",
            },
        },
        {"spec": ["cert-api-validation"]},
        provider=None,
    )
    add(
        "kubernetes:networking.k8s.io/v1:Ingress",
        "edge-ingress",
        {
            "metadata": {
                "name": "edge",
                "namespace": "edge",
                "annotations": {
                    "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP":80},{"HTTPS":443}]',
                    "alb.ingress.kubernetes.io/ssl-redirect": "443",
                },
            },
            "spec": {"ingressClassName": "alb"},
        },
        provider=None,
    )
    add(
        "kubernetes:apps/v1:Deployment",
        "app",
        {
            "metadata": {"name": "app", "namespace": "orders"},
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {
                                "name": "app",
                                "image": f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/orders:1.4.2",
                                "resources": {
                                    "requests": {"cpu": "100m", "memory": "128Mi"},
                                    "limits": {"memory": "256Mi"},
                                },
                                "livenessProbe": {"httpGet": {"path": "/health", "port": 3004}},
                                "readinessProbe": {"httpGet": {"path": "/ready", "port": 3004}},
                                "securityContext": {"readOnlyRootFilesystem": True},
                                "env": [
                                    {
                                        "name": "DB_PASSWORD",
                                        "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}},
                                    },
                                    {"name": "LOG_LEVEL", "value": "info"},
                                ],
                            }
                        ]
                    }
                }
            },
        },
        provider=None,
    )
    add(
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
        "app-hpa",
        {"metadata": {"name": "app", "namespace": "orders"}, "spec": {"minReplicas": 2, "maxReplicas": 6}},
        provider=None,
    )

    # -- observability ----------------------------------------------------------------------------------------
    release(
        "kps",
        "kube-prometheus-stack",
        "monitoring",
        {
            "prometheus": {
                "prometheusSpec": {
                    "retention": "30d",
                    "replicas": 2,
                    "storageSpec": {"volumeClaimTemplate": {"spec": {"storageClassName": "gp3"}}},
                }
            },
            "alertmanager": {
                "alertmanagerSpec": {"replicas": 2},
                "config": {
                    "route": {
                        "routes": [
                            {"receiver": "pager", "matchers": ['severity="critical"']},
                            {"receiver": "chat", "matchers": ['severity="warning"']},
                        ]
                    }
                },
            },
            "grafana": {"enabled": True, "admin": {"existingSecret": "grafana-admin"}},
        },
    )
    for s in SERVICES:
        add(
            "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
            f"sm-{s['name']}",
            {
                "metadata": {"name": s["name"], "namespace": s["team"]},
                "spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": s["name"]}}},
            },
            provider=None,
        )
    rules = [
        {"alert": a, "expr": "up == 0"}
        for a in (
            "ServiceDown",
            "ServiceHighErrorRate",
            "ServiceHighLatencyP95",
            "PostgresConnectionsHigh",
            "PersistentVolumeFillingUp",
            "CertificateExpiringSoon",
            "PodCrashLooping",
            "NodeNotReady",
        )
    ]
    rules += [
        {"record": "slo:sli_error:ratio_rate5m", "expr": "x"},
        {"alert": "SLOErrorBudgetBurnRateFast", "expr": "x"},
    ]
    add(
        "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
        "rules",
        {
            "metadata": {"name": "groundwork", "namespace": "monitoring"},
            "spec": {"groups": [{"name": "groundwork", "rules": rules}]},
        },
        provider=None,
    )
    for d in ("cluster-overview", "service-red", "database", "cache", "business-kpis"):
        add(
            "kubernetes:core/v1:ConfigMap",
            f"dashboard-{d}",
            {
                "metadata": {"name": f"dashboard-{d}", "namespace": "monitoring", "labels": {"grafana_dashboard": "1"}},
                "data": {"x.json": "{}"},
            },
            provider=None,
        )
    release(
        "loki",
        "loki",
        "monitoring",
        {"loki": {"storage": {"type": "s3"}, "limits_config": {"retention_period": "2160h"}}},
    )
    release("alloy", "alloy", "monitoring", {})
    release("tempo", "tempo", "monitoring", {})
    release(
        "otel",
        "opentelemetry-collector",
        "monitoring",
        {"config": {"processors": {"probabilistic_sampler": {"sampling_percentage": 10}}}},
    )

    # -- GitOps -----------------------------------------------------------------------------------------------
    release(
        "argocd",
        "argo-cd",
        "argocd",
        {
            "configs": {"cm": {"admin.enabled": False}},
            "redis-ha": {"enabled": True},
            "server": {"replicas": 2},
            "repoServer": {"replicas": 2},
            "applicationSet": {"replicas": 2},
        },
    )
    add(
        "kubernetes:argoproj.io/v1alpha1:AppProject",
        "project",
        {
            "metadata": {"name": "prod", "namespace": "argocd"},
            "spec": {
                "sourceRepos": ["https://github.com/cafe/deploy.git"],
                "destinations": [
                    {"server": "https://kubernetes.default.svc", "namespace": t} for t in ("edge", "orders")
                ],
                "clusterResourceWhitelist": [],
            },
        },
        provider=None,
    )
    for s in SERVICES:
        add(
            "kubernetes:argoproj.io/v1alpha1:Application",
            f"app-{s['name']}",
            {
                "metadata": {"name": s["name"], "namespace": "argocd"},
                "spec": {
                    "project": "prod",
                    "syncPolicy": {"syncOptions": ["ServerSideApply=true"], "retry": {"limit": 5}},
                },
            },
            provider=None,
        )

    # -- edge (EDGE-01..05): zone, certificates, the frontend bucket and its distribution ---------
    add("aws:route53/zone:Zone", "zone", {"name": "example.com", "forceDestroy": False}, protect=True)
    add(
        "aws:kms/key:Key",
        "key-dnssec",
        {
            "customerMasterKeySpec": "ECC_NIST_P256",
            "keyUsage": "SIGN_VERIFY",
            "enableKeyRotation": False,
            "policy": _policy(
                {
                    "Sid": "AccountAdministration",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ),
            "tags": {"Name": f"{CLUSTER}-dnssec"},
        },
        provider="global",
        protect=True,
    )
    add(
        "aws:route53/keySigningKey:KeySigningKey",
        "ksk",
        {"hostedZoneId": "Z1", "name": "groundwork_prod_ksk", "status": "ACTIVE", "keyManagementServiceArn": "arn:k"},
        {"hostedZoneId": ["zone"], "keyManagementServiceArn": ["key-dnssec"]},
    )
    add(
        "aws:route53/hostedZoneDnsSec:HostedZoneDnsSec",
        "dnssec",
        {"hostedZoneId": "Z1", "signingStatus": "SIGNING"},
        {"hostedZoneId": ["ksk"]},
    )
    add(
        "aws:cloudwatch/logGroup:LogGroup",
        "query-logs",
        {"name": f"/aws/route53/{CLUSTER}/example.com", "retentionInDays": 90, "kmsKeyId": "arn:k"},
        provider="global",
        protect=True,
    )
    add(
        "aws:route53/queryLog:QueryLog",
        "query-log",
        {"zoneId": "Z1", "cloudwatchLogGroupArn": "arn:lg"},
        {"zoneId": ["zone"], "cloudwatchLogGroupArn": ["query-logs"]},
    )
    for cert, host, provider in (("cert-api", "api.example.com", "primary"), ("cert-app", "app.example.com", "global")):
        add(
            "aws:acm/certificate:Certificate",
            cert,
            {"domainName": host, "validationMethod": "DNS", "tags": {"Name": host}},
            provider=provider,
        )
        add(
            "aws:route53/record:Record",
            f"{cert}-record",
            {
                "zoneId": "Z1",
                "name": f"_abc.{host}.",
                "type": "CNAME",
                "ttl": 300,
                "records": ["_def.mhbtsbpdnt.acm-validations.aws."],
            },
            {"zoneId": ["zone"], "name": [cert], "type": [cert], "records": [cert]},
        )
        add(
            "aws:acm/certificateValidation:CertificateValidation",
            f"{cert}-validation",
            {"certificateArn": f"arn:aws:acm:x:{ACCOUNT}:certificate/{cert}"},
            {"certificateArn": [cert], "validationRecordFqdns": [f"{cert}-record"]},
            provider=provider,
        )
    add(
        "aws:cloudfront/originAccessControl:OriginAccessControl",
        "oac",
        {"name": f"{CLUSTER}-frontend", "originAccessControlOriginType": "s3", "signingBehavior": "always"},
        provider="global",
    )
    add(
        "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy",
        "headers",
        {
            "name": f"{CLUSTER}-frontend-security-headers",
            "securityHeadersConfig": {"frameOptions": {"frameOption": "DENY"}},
        },
        provider="global",
    )
    behaviour = {
        "targetOriginId": "assets",
        "viewerProtocolPolicy": "redirect-to-https",
        "allowedMethods": ["GET", "HEAD", "OPTIONS"],
        "cachedMethods": ["GET", "HEAD"],
        "responseHeadersPolicyId": "rhp-1",
    }
    add(
        "aws:cloudfront/distribution:Distribution",
        "distribution",
        {
            "aliases": ["app.example.com"],
            "enabled": True,
            "origins": [
                {
                    "originId": "assets",
                    "domainName": f"{CLUSTER}-frontend-{ACCOUNT}.s3.eu-west-1.amazonaws.com",
                    "originAccessControlId": "E1",
                },
                {
                    "originId": "api",
                    "domainName": "api.example.com",
                    "customOriginConfig": {"originProtocolPolicy": "https-only", "originSslProtocols": ["TLSv1.2"]},
                },
            ],
            "defaultCacheBehavior": behaviour,
            "orderedCacheBehaviors": [
                {**behaviour, "pathPattern": "/api/*", "targetOriginId": "api", "viewerProtocolPolicy": "https-only"}
            ],
            "viewerCertificate": {
                "acmCertificateArn": "arn:cert",
                "sslSupportMethod": "sni-only",
                "minimumProtocolVersion": "TLSv1.2_2021",
            },
            "webAclId": "arn:aws:wafv2:us-east-1:333333333333:global/webacl/frontend/1",
        },
        {"viewerCertificate": ["cert-app-validation"], "origins": ["oac"], "defaultCacheBehavior": ["headers"]},
        provider="global",
    )
    add(
        "aws:cloudwatch/logDeliverySource:LogDeliverySource",
        "access-source",
        {"name": f"{CLUSTER}-frontend-access", "logType": "ACCESS_LOGS", "resourceArn": "arn:d"},
        {"resourceArn": ["distribution"]},
        provider="global",
    )
    add(
        "aws:cloudwatch/logDelivery:LogDelivery",
        "access-delivery",
        {"deliverySourceName": f"{CLUSTER}-frontend-access", "deliveryDestinationArn": "arn:dd"},
        {"deliverySourceName": ["access-source"]},
        provider="global",
    )
    for record_type in ("A", "AAAA"):
        add(
            "aws:route53/record:Record",
            f"app-{record_type.lower()}",
            {
                "zoneId": "Z1",
                "name": "app.example.com",
                "type": record_type,
                "aliases": [{"name": "d1.cloudfront.net", "zoneId": "Z2FDTNDATAQYW2", "evaluateTargetHealth": False}],
            },
            {"zoneId": ["zone"], "aliases": ["distribution"]},
        )
    bucket(
        "frontend",
        "primary",
        "frontend",
        [
            {
                "id": "expire-superseded-assets",
                "status": "Enabled",
                "filter": {},
                "noncurrentVersionExpiration": {"noncurrentDays": 30},
                "abortIncompleteMultipartUpload": {"daysAfterInitiation": 1},
            }
        ],
    )
    frontend_policy = json.loads(r["frontend-policy"].props["policy"])
    frontend_policy["Statement"].append(
        {
            "Sid": "CloudFrontOriginAccessControl",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{CLUSTER}-frontend-{ACCOUNT}/*",
            "Condition": {"StringEquals": {"AWS:SourceArn": f"arn:aws:cloudfront::{ACCOUNT}:distribution/E1"}},
        }
    )
    r["frontend-policy"].props["policy"] = json.dumps(frontend_policy)
    r["frontend-policy"].deps["policy"] = ["distribution"]

    return World(resources=r, services=SERVICES)
