"""External Secrets Operator: Secrets Manager into Kubernetes, least privilege per team (SEC-04).

Behaviour:
- The operator (chart pinned in groundwork/charts.py) runs in `external-secrets` with an EKS
  Pod Identity role that can do one thing: assume the store roles below.
- One ClusterSecretStore per team, usable only from that team's namespace, reading Secrets
  Manager as a role that may read exactly the secrets of the team's services (their
  database credentials, generated application secrets, and the cache AUTH token when one
  of them uses the cache) and decrypt them with the secrets key only through Secrets
  Manager. A team's ExternalSecret naming another team's secret is refused by AWS.
- Further stores for the platform (`extra_stores`), each usable only from the namespaces that
  need it and reading only its secrets: `platform` (argocd, monitoring: Argo CD repository and
  SSO secrets, Grafana) and `database-admin` (groundwork-system only: the database master
  secret and the service credentials the bootstrap job needs). Their consumers create the
  ExternalSecrets.
- For each service an ExternalSecret per secret it has, materialising every JSON key as a
  Kubernetes Secret `<service>-database|cache|app` in its namespace, refreshed every
  `secretRefreshInterval` (rotations arrive without a deploy). The program never writes a
  `kind: Secret` with data.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.identity import WorkloadRole, WorkloadRoleArgs
from components.kube import apply, release
from groundwork import iam
from groundwork import manifests as m
from groundwork.naming import Naming

NAMESPACE = "external-secrets"
SERVICE_ACCOUNT = "external-secrets"


@dataclass(frozen=True)
class SyncedSecret:
    """A Secrets Manager secret a service (or a platform component) receives."""

    owner: str  # service name, or platform component
    team: str  # namespace the Kubernetes Secret lands in
    kind: str  # database | cache | app | any platform key
    name: pulumi.Input[str]  # Secrets Manager name (or ARN, for secrets AWS names, e.g. RDS's master secret)
    arn: pulumi.Input[str]


@dataclass(frozen=True)
class StoreSpec:
    """A ClusterSecretStore for platform components: who may use it, what it may read."""

    name: str
    namespaces: Sequence[str]
    secrets: Sequence[SyncedSecret]


@dataclass(frozen=True)
class ExternalSecretsArgs:
    naming: Naming
    region: str
    cluster_name: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]
    secrets_key_arn: pulumi.Input[str]
    service_secrets: Sequence[SyncedSecret]
    extra_stores: Sequence[StoreSpec] = field(default_factory=tuple)
    namespace_resources: dict[str, pulumi.Resource] = field(default_factory=dict)
    refresh_interval: str = "1h"
    high_availability: bool = True


class ExternalSecrets(pulumi.ComponentResource):
    """`groundwork:externalsecrets:ExternalSecrets`."""

    def __init__(self, name: str, args: ExternalSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:externalsecrets:ExternalSecrets", name, None, opts)
        naming = args.naming
        child = pulumi.ResourceOptions(parent=self)

        controller = WorkloadRole(
            f"{name}-controller",
            WorkloadRoleArgs(
                naming=naming,
                cluster_name=args.cluster_name,
                cluster_arn=args.cluster_arn,
                account_id=args.account_id,
                namespace=NAMESPACE,
                service_account=SERVICE_ACCOUNT,
                description=f"{naming.prefix}: External Secrets controller (assumes the per-team store roles only)",
            ),
            opts=child,
        )

        by_store: dict[str, list[SyncedSecret]] = {}
        for x in args.service_secrets:
            by_store.setdefault(x.team, []).append(x)
        extra = {e.name: e for e in args.extra_stores if e.secrets}
        for e in extra.values():
            assert e.name not in by_store, f"store {e.name} collides with a team"
            by_store[e.name] = list(e.secrets)

        store_roles: dict[str, aws.iam.Role] = {}
        for store, secrets in sorted(by_store.items()):
            role = aws.iam.Role(
                f"{name}-store-{store}",
                name=naming.physical("eso", store, kind="iam-role"),
                description=f"{naming.prefix}: External Secrets store {store} (reads only its secrets)",
                assume_role_policy=controller.arn.apply(
                    lambda arn: json.dumps(
                        iam.document(
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": arn},
                                "Action": ["sts:AssumeRole", "sts:TagSession"],
                            }
                        )
                    )
                ),
                opts=child,
            )
            unique = {(x.name if isinstance(x.name, str) else id(x.name)): x.arn for x in secrets}
            aws.iam.RolePolicy(
                f"{name}-store-{store}",
                role=role.id,
                policy=pulumi.Output.all(args.secrets_key_arn, *unique.values()).apply(
                    lambda a: json.dumps(_store_policy(args.region, key_arn=a[0], secret_arns=sorted(set(a[1:]))))
                ),
                opts=child,
            )
            store_roles[store] = role

        aws.iam.RolePolicy(
            f"{name}-controller-assume",
            role=controller.name,
            policy=pulumi.Output.all(*[r.arn for r in store_roles.values()]).apply(
                lambda arns: json.dumps(
                    iam.document(
                        {
                            "Sid": "AssumeStoreRoles",
                            "Effect": "Allow",
                            "Action": ["sts:AssumeRole", "sts:TagSession"],
                            "Resource": sorted(arns),
                        }
                    )
                )
            ),
            opts=child,
        )

        ns = args.namespace_resources.get(NAMESPACE)
        ha = args.high_availability
        self.release = release(
            f"{name}-operator",
            "external-secrets",
            namespace=NAMESPACE,
            values={
                "installCRDs": True,
                "replicaCount": 2 if ha else 1,
                "podDisruptionBudget": {"enabled": ha, "minAvailable": 1},
                "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
                "webhook": {"replicaCount": 2 if ha else 1},
                "certController": {"replicaCount": 2 if ha else 1},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[x for x in (ns, controller) if x is not None]),
        )

        self.stores: dict[str, str] = {}
        store_resources: dict[str, pulumi.Resource] = {}
        for store, role in store_roles.items():
            namespaces = list(extra[store].namespaces) if store in extra else [store]
            store_name = store if store in extra else f"team-{store}"
            store_resources[store] = apply(
                f"{name}-store-{store}",
                m.cluster_secret_store(store_name, region=args.region, role_arn=role.arn, namespaces=namespaces),
                pulumi.ResourceOptions(parent=self, depends_on=[self.release]),
            )
            self.stores[store] = store_name

        # each owner's ExternalSecrets: what its workloads (its Argo CD Application) wait for
        self.synced: dict[str, list[pulumi.Resource]] = {}
        for x in args.service_secrets:
            target = f"{x.owner}-{x.kind}"
            deps = [store_resources[x.team]]
            if x.team in args.namespace_resources:
                deps.append(args.namespace_resources[x.team])
            self.synced.setdefault(x.owner, []).append(
                apply(
                    f"{name}-{target}",
                    m.external_secret(
                        target,
                        x.team,
                        store=self.stores[x.team],
                        key=x.name,
                        refresh=args.refresh_interval,
                        extra_labels={m.APP_LABEL: x.owner},
                    ),
                    pulumi.ResourceOptions(parent=self, depends_on=deps),
                )
            )
        self.store_resources = store_resources
        self.register_outputs({"stores": self.stores, "controllerRoleArn": controller.arn})


def _store_policy(region: str, *, key_arn: str, secret_arns: list[str]) -> dict:
    return iam.document(
        {
            "Sid": "ReadTheseSecrets",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            "Resource": secret_arns,
        },
        {
            "Sid": "DecryptThroughSecretsManager",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": [key_arn],
            "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}},
        },
    )
