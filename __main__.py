"""Groundwork: the composition root.

Load the typed stack settings (every problem is reported before any resource exists), build
the components, export the outputs. All logic lives in `components/` and `groundwork/`.
"""

import pulumi

from components.access import Access, AccessArgs
from components.account import Account, AccountArgs
from components.alarms import Alarms, AlarmsArgs
from components.backups import Backups, BackupsArgs
from components.cache import Cache, CacheArgs
from components.cluster import Cluster, ClusterArgs
from components.database import Database, DatabaseArgs, ServiceDatabase
from components.database_bootstrap import DatabaseBootstrap, DatabaseBootstrapArgs
from components.edge import Edge, EdgeArgs, ExternalDns, ExternalDnsArgs
from components.external_secrets import ExternalSecrets, ExternalSecretsArgs, StoreSpec, SyncedSecret
from components.gitops import GitOps, GitOpsArgs, ServiceSource
from components.guardrails import Guardrails, GuardrailsArgs
from components.ingress import Exposed, Ingress, IngressArgs
from components.kms import Keys, KeysArgs
from components.monitoring import Monitoring, MonitoringArgs, Scraped
from components.network import Network, NetworkArgs
from components.providers import AwsProvidersArgs, aws_providers
from components.registry import Registry, RegistryArgs
from components.secrets import PlatformSecret, Secrets, SecretsArgs
from components.telemetry import Telemetry, TelemetryArgs
from groundwork import catalog, manifests, topology
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

account = Account(
    "account", AccountArgs(existing_service_linked_roles=list(settings.existing_service_linked_roles)), opts=primary
)
autoscaling_role = account.service_linked_role_arns["autoscaling.amazonaws.com"]
keys = Keys(
    "keys",
    KeysArgs(
        naming=naming,
        region=settings.region,
        purposes=("logs", "data", "secrets", *(("frontend",) if settings.edge.frontend else ())),
        protect=settings.protect,
        autoscaling_role_arn=autoscaling_role,
    ),
    opts=primary,
)
# keys in the DR region only where something is copied there (a DR rebuild copies nowhere)
dr_keys = (
    Keys(
        "keys-dr",
        KeysArgs(
            naming=naming.child("dr"),
            region=settings.dr_region,
            purposes=("data", "secrets"),
            protect=settings.protect,
            description_suffix=f" (copies in {settings.dr_region})",
            autoscaling_role_arn=autoscaling_role,
        ),
        opts=in_dr,
    )
    if settings.copies_to_dr_region
    else None
)
dr_data_key = dr_keys.arns["data"] if dr_keys else None
secret_replicas = (
    [(settings.dr_region, dr_keys.arns["secrets"])] if dr_keys and settings.secrets.replicate_to_dr else []
)

# ---- Edge: the public zone, certificates, frontend CDN (us-east-1 for CloudFront, DNSSEC, query logs)
edge: Edge | None = None
if settings.edge.domain:
    needs_us_east_1_logs = settings.edge.query_logging or settings.edge.frontend is not None
    us_east_1_logs = (
        keys.arns["logs"]
        if settings.region == "us-east-1"
        else Keys(
            "keys-us-east-1",
            KeysArgs(
                naming=naming.child("use1"),
                region="us-east-1",
                purposes=("logs",),
                protect=settings.protect,
                description_suffix=" (us-east-1: CDN and DNS logs)",
            ),
            opts=pulumi.ResourceOptions(providers=[providers.us_east_1]),
        ).arns["logs"]
        if needs_us_east_1_logs
        else None
    )
    edge = Edge(
        "edge",
        EdgeArgs(
            settings=settings.edge,
            naming=naming,
            region=settings.region,
            api_host=settings.ingress.host if settings.ingress.enabled else None,
            request_api_certificate=settings.ingress.certificate_arn is None,
            us_east_1=providers.us_east_1,
            us_east_1_logs_key_arn=us_east_1_logs,
            frontend_key_arn=keys.arns.get("frontend"),
            force_destroy=not settings.protect,
            protect=settings.protect,
        ),
        opts=primary,
    )
# the ALB's certificate: the one the stack requests, or the hand-supplied override (EDGE-02)
api_certificate = settings.ingress.certificate_arn or (edge.api_certificate_arn if edge else None)

network = Network(
    "network",
    NetworkArgs(
        settings=settings.network,
        naming=naming,
        region=settings.region,
        logs_key_arn=keys.arns["logs"],
        data_key_arn=keys.arns["data"],
        protect=settings.protect,
    ),
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
        ci_viewer_role_arns=settings.ci_roles("preview"),
        ci_reader_role_arns=settings.ci_roles("drift"),
        creator_role_arn=next(iter(settings.ci_roles("deploy")), None),
        storage_class=settings.in_cluster,
    ),
    opts=primary,
)

# network paths to the (private) API for CI's jobs and for operators (groundwork.reachability)
access = Access(
    "access",
    AccessArgs(
        naming=naming,
        region=settings.region,
        vpc_id=network.vpc_id,
        private_subnet_ids=network.private_subnet_ids,
        cluster_security_group_id=cluster.security_group_id,
        logs_key_arn=keys.arns["logs"],
        data_key_arn=keys.arns["data"],
        log_retention_days=settings.cluster.log_retention_days,
        github_repository=settings.delivery.github_repository,
        code_connection_arn=settings.delivery.code_connection_arn,
        operator_access=settings.cluster.operator_access == "ssm",
        tags=settings.base_tags,
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
        dr_data_key_arn=dr_data_key,
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
        platform_secrets=[PlatformSecret(**x) for x in topology.platform_secrets(settings)],
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
        dr_data_key_arn=dr_data_key,
        dr_provider=providers.dr,
        backup_tag=naming.prefix,
        continuous_retention_days=settings.database.backup_retention_days,
        aws_backup=settings.backups.aws_backup,
        force_destroy=not settings.protect,
        protect=settings.protect,
    ),
    opts=primary,
)

registry = Registry(
    "registry",
    RegistryArgs(
        settings=settings.registry,
        naming=naming,
        services=[s.name for s in settings.services],
        data_key_arn=keys.arns["data"],
        node_role_arn=cluster.node_role_arn,
        node_role_name=cluster.node_role_name,
        region=settings.region,
        account_id=cluster.account_id,
        dr_region=settings.dr_region if settings.registry.replicate_to_dr else None,
        dr_provider=providers.dr,
        protect=settings.protect,
    ),
    opts=primary,
)

# ---- Kubernetes platform -------------------------------------------------------------------
# A first deploy from outside the VPC sets `groundwork:inCluster: false` (docs/delivery.md): the AWS
# layer comes up, including the CI runner and operator host that reach the private API; the
# in-cluster layer follows from there.
ingress: Ingress | None = None
telemetry: Telemetry | None = None
if settings.in_cluster:
    # every in-cluster layer waits for the nodes, cluster DNS and the EBS CSI driver (cluster.ready)
    in_cluster = pulumi.ResourceOptions(providers=[providers.primary, cluster.provider], depends_on=cluster.ready)

    guardrails = Guardrails(
        "guardrails",
        GuardrailsArgs(
            settings=settings.platform,
            workloads=topology.workloads(settings),
            network=manifests.Network(
                load_balancer_cidrs=network.public_subnet_cidrs
                if settings.ingress.scheme == "internet-facing"
                else network.private_subnet_cidrs,
                data_cidrs=network.database_subnet_cidrs,
                extra_egress=[manifests.otlp_egress()],
            ),
            registry=registry.registry,
        ),
        opts=in_cluster,
    )
    namespaces = {**guardrails.platform_namespaces, **guardrails.namespaces}

    external_secrets = ExternalSecrets(
        "external-secrets",
        ExternalSecretsArgs(
            naming=naming,
            region=settings.region,
            cluster_name=cluster.name,
            cluster_arn=cluster.arn,
            account_id=cluster.account_id,
            secrets_key_arn=keys.arns["secrets"],
            service_secrets=[
                *[
                    SyncedSecret(
                        s.name,
                        s.team,
                        "database",
                        database.service_secret_names[s.name],
                        database.service_secret_arns[s.name],
                    )
                    for s in settings.services
                    if s.database
                ],
                *[
                    SyncedSecret(s.name, s.team, "cache", cache.secret_name, cache.secret_arn)
                    for s in settings.services
                    if s.cache
                ],
                *[
                    SyncedSecret(
                        s.name, s.team, "app", secrets.app_secret_names[s.name], secrets.app_secret_arns[s.name]
                    )
                    for s in settings.services
                    if s.secrets
                ],
            ],
            extra_stores=[
                StoreSpec(
                    "gitops",
                    ["argocd"],
                    [
                        SyncedSecret(n, "gitops", n, secrets.platform_secret_names[n], secrets.platform_secret_arns[n])
                        for n in secrets.platform_secret_names
                        if n.startswith("argocd-")
                    ],
                ),
                StoreSpec(
                    "monitoring",
                    ["monitoring"],
                    [
                        *[
                            SyncedSecret(
                                n, "monitoring", n, secrets.platform_secret_names[n], secrets.platform_secret_arns[n]
                            )
                            for n in ("alerting", "grafana-admin", "postgres-monitor")
                            if n in secrets.platform_secret_names
                        ],
                        SyncedSecret("cache", "monitoring", "cache", cache.secret_name, cache.secret_arn),
                    ],
                ),
                StoreSpec(
                    "database-admin",
                    ["groundwork-system"],
                    [
                        SyncedSecret(
                            "master", "database-admin", "master", database.master_secret_arn, database.master_secret_arn
                        ),
                        *[
                            SyncedSecret(
                                n,
                                "database-admin",
                                n,
                                secrets.platform_secret_names[n],
                                secrets.platform_secret_arns[n],
                            )
                            for n in ("postgres-monitor",)
                            if n in secrets.platform_secret_names
                        ],
                        *[
                            SyncedSecret(
                                s.name,
                                "database-admin",
                                "database",
                                database.service_secret_names[s.name],
                                database.service_secret_arns[s.name],
                            )
                            for s in settings.services
                            if s.database
                        ],
                    ],
                ),
            ],
            namespace_resources=namespaces,
            refresh_interval=settings.platform.secret_refresh_interval,
            high_availability=settings.platform.high_availability,
        ),
        opts=in_cluster,
    )

    db_services = [s.name for s in settings.services if s.database]
    if db_services:
        DatabaseBootstrap(
            "database-bootstrap",
            DatabaseBootstrapArgs(
                services=db_services,
                service_secret_names=database.service_secret_names,
                master_secret_arn=database.master_secret_arn,
                image=registry.mirror(catalog.POSTGRES_CLIENT_IMAGES[settings.database.engine_version.split(".")[0]]),
                store=external_secrets.stores["database-admin"],
                database_host=database.address,
                monitor_secret_name=secrets.platform_secret_names.get("postgres-monitor"),
                reset_passwords=settings.database.restore is not None,
                depends_on=[namespaces["groundwork-system"], external_secrets.store_resources["database-admin"]],
                database=[database.instance],
                service_depends_on={n: [database.service_secret_versions[n]] for n in db_services},
                refresh_interval=settings.platform.secret_refresh_interval,
            ),
            opts=in_cluster,
        )

    ingress = None
    if settings.ingress.enabled:
        ingress = Ingress(
            "ingress",
            IngressArgs(
                settings=settings.ingress,
                certificate_arn=api_certificate,
                naming=naming,
                region=settings.region,
                vpc_id=network.vpc_id,
                cluster_name=cluster.name,
                cluster_arn=cluster.arn,
                account_id=cluster.account_id,
                logs_key_arn=keys.arns["logs"],
                tags=settings.base_tags,
                teams=settings.teams,
                exposed=[
                    Exposed(s.name, s.team, s.port, s.ingress.path, s.ingress.health_check_path)
                    for s in settings.services
                    if s.ingress
                ],
                namespace_resources=namespaces,
                log_retention_days=settings.ingress.waf_log_retention_days,
                high_availability=settings.platform.high_availability,
                protect=settings.protect,
            ),
            opts=in_cluster,
        )
        if edge is not None and settings.ingress.host:
            ExternalDns(
                "external-dns",
                ExternalDnsArgs(
                    naming=naming,
                    region=settings.region,
                    domain=str(settings.edge.domain),
                    zone_id=edge.zone_id,
                    zone_arn=edge.zone_arn,
                    hosts=[settings.ingress.host],
                    owner=settings.edge.record_owner or naming.prefix,
                    cluster_name=cluster.name,
                    cluster_arn=cluster.arn,
                    account_id=cluster.account_id,
                ),
                opts=in_cluster,
            )

    gitops = GitOps(
        "gitops",
        GitOpsArgs(
            settings=settings.gitops,
            environment=settings.environment,
            services=[ServiceSource(*x) for x in topology.sources(settings)],
            namespace=namespaces["argocd"],
            platform_store=external_secrets.stores.get("gitops"),
            platform_store_resource=external_secrets.store_resources.get("gitops"),
            repository_secret=secrets.platform_secret_names.get("argocd-repository"),
            oidc_secret=secrets.platform_secret_names.get("argocd-oidc"),
            refresh_interval=settings.platform.secret_refresh_interval,
            hpa_owns_replicas=settings.platform.availability_policies,
            depends_on=guardrails.policies,
            team_namespaces=guardrails.namespaces,
            service_depends_on=external_secrets.synced,
        ),
        opts=in_cluster,
    )

    # ---- Observability ---------------------------------------------------------------------------
    telemetry = Telemetry(
        "telemetry",
        TelemetryArgs(
            settings=settings.observability,
            naming=naming,
            environment=settings.environment,
            region=settings.region,
            cluster_name=cluster.name,
            cluster_arn=cluster.arn,
            account_id=cluster.account_id,
            logs_key_arn=keys.arns["logs"],
            namespace=namespaces["monitoring"],
            high_availability=settings.platform.high_availability,
            force_destroy=not settings.protect,
            protect=settings.protect,
        ),
        opts=in_cluster,
    )

    monitoring = Monitoring(
        "monitoring",
        MonitoringArgs(
            settings=settings.observability,
            environment=settings.environment,
            cluster_name=cluster.name,
            services=[
                Scraped(s.name, s.team, s.port, s.metrics_port or s.port, s.metrics_path) for s in settings.services
            ],
            namespace_resources=namespaces,
            store=external_secrets.stores["monitoring"],
            store_resource=external_secrets.store_resources["monitoring"],
            grafana_admin_secret=secrets.platform_secret_names["grafana-admin"],
            alerting_secret=secrets.platform_secret_names["alerting"],
            database_host=database.address,
            database_monitor_secret=secrets.platform_secret_names.get("postgres-monitor"),
            cache_host=cache.primary_endpoint,
            cache_secret=cache.secret_name,
            quay=registry.quay,
            probe_url=f"https://{settings.ingress.host}/"
            if settings.ingress.enabled and settings.ingress.host and api_certificate is not None
            else None,
            refresh_interval=settings.platform.secret_refresh_interval,
        ),
        opts=pulumi.ResourceOptions.merge(in_cluster, pulumi.ResourceOptions(depends_on=[telemetry])),
    )


if settings.observability.aws_alarms.enabled:
    Alarms(
        "alarms",
        AlarmsArgs(
            settings=settings.observability.aws_alarms,
            notifications=settings.observability.notifications,
            naming=naming,
            logs_key_arn=keys.arns["logs"],
            database_id=database.instance.identifier,
            cache_group_id=cache.group.id,
            cache_nodes=settings.cache.nodes,
            nat_gateway_ids=network.nat_gateway_ids,
            nat_instance_id=network.nat_instance_id,
            backup_plan_vault=backups.plan_vault_name,
            certificate_arn=api_certificate if settings.ingress.enabled else None,
            load_balancer=settings.ingress.enabled and any(s.ingress for s in settings.services),
            alerting_secret_arn=secrets.platform_secret_arns["alerting"],
            chatbot_provider=providers.chatbot,
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
pulumi.export("clusterCreatorRoleArn", cluster.creator_role_arn)
pulumi.export("ciRunnerProject", access.runner_project)
pulumi.export("operatorAccessInstanceId", access.operator_instance_id)
pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("databaseIdentifier", database.instance.identifier)
pulumi.export("databaseAddress", database.address)
pulumi.export("databaseProxyEndpoint", database.proxy_endpoint)
pulumi.export("databaseMasterSecretArn", database.master_secret_arn)
pulumi.export("serviceDatabaseSecretArns", database.service_secret_arns)
pulumi.export("cacheGroupId", cache.group.id)
pulumi.export("cacheEndpoint", cache.primary_endpoint)
pulumi.export("cacheSecretArn", cache.secret_arn)
pulumi.export("appSecretArns", secrets.app_secret_arns)
pulumi.export("backupBucket", backups.bucket)
pulumi.export("backupReplicaBucket", backups.dr_bucket)
pulumi.export("backupVault", backups.vault_name)
pulumi.export("backupDrVault", backups.dr_vault_name)
pulumi.export("registry", registry.registry)
pulumi.export("repositoryUrls", registry.repository_urls)
pulumi.export("teamNamespaces", settings.teams)
pulumi.export("ingressClass", ingress.class_name if ingress else None)
pulumi.export("webAclArn", ingress.web_acl_arn if ingress else None)
pulumi.export("zoneId", edge.zone_id if edge else None)
pulumi.export("nameServers", edge.name_servers if edge else None)
pulumi.export("frontendUrl", edge.frontend_url if edge else None)
pulumi.export("distributionId", edge.distribution_id if edge else None)
pulumi.export("frontendBucket", edge.frontend_bucket if edge else None)
pulumi.export("otlpEndpoint", telemetry.otlp_endpoint if telemetry else None)
