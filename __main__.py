"""Groundwork: the composition root.

Load the typed stack settings (every problem is reported before any resource exists), build
the components, export the outputs. All logic lives in `components/` and `groundwork/`.
"""

import pulumi

from components.cluster import Cluster, ClusterArgs
from components.kms import Keys, KeysArgs
from components.network import Network, NetworkArgs
from components.providers import AwsProvidersArgs, aws_providers
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

keys = Keys("keys", KeysArgs(naming=naming, region=settings.region, protect=settings.protect), opts=primary)

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
        protect=settings.protect,
    ),
    opts=primary,
)

pulumi.export("environment", settings.environment)
pulumi.export("region", settings.region)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("databaseSubnetGroupName", network.database_subnet_group_name)
pulumi.export("clusterName", cluster.name)
pulumi.export("clusterEndpoint", cluster.endpoint)
pulumi.export("oidcProviderArn", cluster.oidc_provider_arn)
pulumi.export("kubeconfig", cluster.kubeconfig)
