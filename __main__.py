"""Groundwork: the composition root.

Load the typed stack settings (every problem is reported before any resource exists), build
the components, export the outputs. All logic lives in `components/` and `groundwork/`.
"""

import pulumi

from components.backups import Backups, BackupsArgs
from components.cache import Cache, CacheArgs
from components.cluster import Cluster, ClusterArgs
from components.database import Database, DatabaseArgs, ServiceDatabase
from components.kms import Keys, KeysArgs
from components.network import Network, NetworkArgs
from components.providers import AwsProvidersArgs, aws_providers
from components.secrets import Secrets, SecretsArgs
from groundwork.naming import Naming
from groundwork.settings import from_pulumi

settings = from_pulumi()
for warning in settings.warnings:
    pulumi.log.warn(warning)

naming = Naming(settings.project, settings.stack)
providers = aws_providers(
    "aws",
    AwsProvidersArgs(
        region=settings.region,
        dr_region=settings.dr_region,
        tags=settings.base_tags,
        account_id=settings.account_id,
    ),
)
primary = pulumi.ResourceOptions(providers=[providers.primary])
in_dr = pulumi.ResourceOptions(providers=[providers.dr])

keys = Keys("keys", KeysArgs(naming=naming, region=settings.region, protect=settings.protect), opts=primary)
dr_keys = Keys(
    "keys-dr",
    KeysArgs(
        naming=naming.child("dr"),
        region=settings.dr_region,
        purposes=("data", "secrets"),
        protect=settings.protect,
        description_suffix=f" (copies in {settings.dr_region})",
    ),
    opts=in_dr,
)
secret_replicas = [(settings.dr_region, dr_keys.arns["secrets"])] if settings.secrets.replicate_to_dr else []

network = Network(
    "network",
    NetworkArgs(settings=settings.network, naming=naming, region=settings.region, logs_key_arn=keys.arns["logs"]),
    opts=primary,
)

cluster = Cluster(
    "cluster",
    ClusterArgs(
        settings=settings.cluster,
        naming=naming,
        vpc_id=network.vpc_id,
        private_subnet_ids=network.private_subnet_ids,
        secrets_key_arn=keys.arns["secrets"],
        logs_key_arn=keys.arns["logs"],
        data_key_arn=keys.arns["data"],
        tags=settings.base_tags,
        backup_tag=naming.prefix,
        protect=settings.protect,
    ),
    opts=primary,
)

database = Database(
    "database",
    DatabaseArgs(
        settings=settings.database,
        naming=naming,
        region=settings.region,
        vpc_id=network.vpc_id,
        subnet_group_name=network.database_subnet_group_name,
        database_subnet_ids=network.database_subnet_ids,
        private_subnet_ids=network.private_subnet_ids,
        cluster_security_group_id=cluster.security_group_id,
        data_key_arn=keys.arns["data"],
        secrets_key_arn=keys.arns["secrets"],
        logs_key_arn=keys.arns["logs"],
        log_retention_days=settings.database.log_retention_days,
        services=[ServiceDatabase(s.name, s.team) for s in settings.services if s.database],
        rotation_days=settings.secrets.rotation_days,
        recovery_window_days=settings.secrets.recovery_window_days,
        replica_regions=secret_replicas,
        backup_tag=naming.prefix,
        dr_provider=providers.dr,
        dr_data_key_arn=dr_keys.arns["data"],
        protect=settings.protect,
    ),
    opts=primary,
)

cache = Cache(
    "cache",
    CacheArgs(
        settings=settings.cache,
        naming=naming,
        vpc_id=network.vpc_id,
        database_subnet_ids=network.database_subnet_ids,
        cluster_security_group_id=cluster.security_group_id,
        data_key_arn=keys.arns["data"],
        secrets_key_arn=keys.arns["secrets"],
        logs_key_arn=keys.arns["logs"],
        log_retention_days=settings.database.log_retention_days,
        recovery_window_days=settings.secrets.recovery_window_days,
        replica_regions=secret_replicas,
        protect=settings.protect,
    ),
    opts=primary,
)

secrets = Secrets(
    "secrets",
    SecretsArgs(
        naming=naming,
        region=settings.region,
        services=settings.services,
        secrets_key_arn=keys.arns["secrets"],
        logs_key_arn=keys.arns["logs"],
        recovery_window_days=settings.secrets.recovery_window_days,
        replica_regions=secret_replicas,
        cloud_trail=settings.secrets.cloud_trail,
        protect=settings.protect,
    ),
    opts=primary,
)

backups = Backups(
    "backups",
    BackupsArgs(
        settings=settings.backups,
        naming=naming,
        region=settings.region,
        dr_region=settings.dr_region,
        data_key_arn=keys.arns["data"],
        dr_data_key_arn=dr_keys.arns["data"],
        dr_provider=providers.dr,
        backup_tag=naming.prefix,
        continuous_retention_days=settings.database.backup_retention_days,
        aws_backup=settings.backups.aws_backup,
        force_destroy=not settings.protect,
        protect=settings.protect,
    ),
    opts=primary,
)

pulumi.export("environment", settings.environment)
pulumi.export("region", settings.region)
pulumi.export("drRegion", settings.dr_region)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("databaseSubnetGroupName", network.database_subnet_group_name)
pulumi.export("clusterName", cluster.name)
pulumi.export("clusterEndpoint", cluster.endpoint)
pulumi.export("oidcProviderArn", cluster.oidc_provider_arn)
pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("databaseAddress", database.address)
pulumi.export("databaseProxyEndpoint", database.proxy_endpoint)
pulumi.export("databaseMasterSecretArn", database.master_secret_arn)
pulumi.export("serviceDatabaseSecretArns", database.service_secret_arns)
pulumi.export("cacheEndpoint", cache.primary_endpoint)
pulumi.export("cacheSecretArn", cache.secret_arn)
pulumi.export("appSecretArns", secrets.app_secret_arns)
pulumi.export("backupBucket", backups.bucket)
pulumi.export("backupReplicaBucket", backups.dr_bucket)
pulumi.export("backupVault", backups.vault_name)
pulumi.export("backupDrVault", backups.dr_vault_name)
