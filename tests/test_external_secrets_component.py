"""The ExternalSecrets component on its own (groundwork.plan.run_function): the controller's
Pod Identity role that may only assume the store roles, one store role per team and platform
store reading exactly its secrets, the operator sized by availability, a ClusterSecretStore per
store usable only from its namespaces, and an ExternalSecret per service secret, without planning
a stack (issue 18)."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.external_secrets import ExternalSecrets, ExternalSecretsArgs, StoreSpec, SyncedSecret
from groundwork import manifests as m
from groundwork.charts import chart
from groundwork.naming import Naming
from groundwork.plan import PlanFailed
from groundwork.plan.graph import Graph, Resource
from groundwork.plan.runner import run_function
from tests.helpers import by_name, deps, outside

KEY = "arn:aws:kms:eu-west-1:111111111111:key/secrets"
CLUSTER_ARN = "arn:aws:eks:eu-west-1:111111111111:cluster/groundwork-test"


def arn(name: str) -> str:
    return f"arn:aws:secretsmanager:eu-west-1:111111111111:secret:{name}-AbCdEf"


SERVICE_SECRETS = (
    SyncedSecret("orders", "shop", "database", "groundwork/test/services/orders/database", arn("orders-db")),
    SyncedSecret("orders", "shop", "cache", "groundwork/test/cache/auth", arn("cache")),
    SyncedSecret("cart", "shop", "cache", "groundwork/test/cache/auth", arn("cache")),
    SyncedSecret("payments", "billing", "app", "groundwork/test/services/payments/app", arn("payments-app")),
)
PLATFORM_STORE = StoreSpec(
    "platform",
    ("monitoring", "argocd"),
    (SyncedSecret("grafana", "monitoring", "admin", "groundwork/test/platform/grafana", arn("grafana")),),
)


def plan_eso(namespaces: tuple[str, ...] = (), **args: Any) -> Graph:
    def body() -> None:
        ns: dict[str, pulumi.Resource] = {n: k8s.core.v1.Namespace(f"ns-{n}") for n in namespaces}
        ExternalSecrets(
            "eso",
            ExternalSecretsArgs(
                **{
                    "naming": Naming("groundwork", "test"),
                    "region": "eu-west-1",
                    "cluster_name": "groundwork-test",
                    "cluster_arn": CLUSTER_ARN,
                    "account_id": "111111111111",
                    "secrets_key_arn": KEY,
                    "service_secrets": SERVICE_SECRETS,
                    "namespace_resources": ns,
                    **args,
                }
            ),
        )

    return run_function(body, config={"aws:region": "eu-west-1"})


@pytest.fixture(scope="module")
def full() -> Graph:
    return plan_eso(
        namespaces=("external-secrets", "shop", "billing"),
        extra_stores=(PLATFORM_STORE, StoreSpec("empty", ("argocd",), ())),
        refresh_interval="15m",
    )


def controller_resources(g: Graph) -> set[str]:
    return {r.urn for r in g.children(g.one("groundwork:identity:WorkloadRole").urn)}


def roles(g: Graph) -> dict[str, Resource]:
    return by_name(g, "aws:iam/role:Role")


def policy_of(g: Graph, name: str) -> dict[str, Any]:
    return json.loads(by_name(g, "aws:iam/rolePolicy:RolePolicy")[name].props["policy"])  # type: ignore[no-any-return]


def test_the_controller_runs_as_its_own_pod_identity_role(full: Graph) -> None:
    controller = roles(full)["eso-controller-role"]
    assert controller.props["name"] == "groundwork-test-pod-external-secrets-external-secrets"
    assert controller.props["description"] == (
        "groundwork-test: External Secrets controller (assumes the per-team store roles only)"
    )
    association = full.one("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert (association.props["namespace"], association.props["serviceAccount"]) == (
        "external-secrets",
        "external-secrets",
    )


def test_a_store_role_per_team_and_non_empty_platform_store(full: Graph) -> None:
    """SEC-04: a team's store role is assumed only by the controller's role; a platform store
    with no secrets gets nothing."""
    r = roles(full)
    stores = sorted(n for n in r if n.startswith("eso-store-"))
    assert stores == ["eso-store-billing", "eso-store-platform", "eso-store-shop"]
    controller_arn = r["eso-controller-role"].outputs["arn"]
    for name in stores:
        store = name.removeprefix("eso-store-")
        role = r[name]
        assert role.props["name"] == f"groundwork-test-eso-{store}"
        assert role.props["description"] == f"groundwork-test: External Secrets store {store} (reads only its secrets)"
        assert json.loads(role.props["assumeRolePolicy"]) == {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": controller_arn},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                }
            ],
        }
        assert deps(role, "assumeRolePolicy") == [r["eso-controller-role"].urn]


def test_each_store_reads_exactly_its_secrets_and_decrypts_only_through_secrets_manager(full: Graph) -> None:
    """A team's ExternalSecret naming another team's secret is refused by AWS; a secret two
    services share is granted once; kms:ViaService keeps the key to Secrets Manager's use (KMS
    Developer Guide, "kms:ViaService")."""

    def expected(*secret_arns: str) -> dict[str, Any]:
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ReadTheseSecrets",
                    "Effect": "Allow",
                    "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                    "Resource": sorted(secret_arns),
                },
                {
                    "Sid": "DecryptThroughSecretsManager",
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": [KEY],
                    "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}},
                },
            ],
        }

    assert policy_of(full, "eso-store-shop") == expected(arn("orders-db"), arn("cache"))
    assert policy_of(full, "eso-store-billing") == expected(arn("payments-app"))
    assert policy_of(full, "eso-store-platform") == expected(arn("grafana"))
    for store in ("shop", "billing", "platform"):
        policy = by_name(full, "aws:iam/rolePolicy:RolePolicy")[f"eso-store-{store}"]
        assert deps(policy, "role") == [roles(full)[f"eso-store-{store}"].urn]


def test_the_controller_may_only_assume_the_store_roles(full: Graph) -> None:
    r = roles(full)
    assert policy_of(full, "eso-controller-assume") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AssumeStoreRoles",
                "Effect": "Allow",
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Resource": sorted(r[f"eso-store-{s}"].outputs["arn"] for s in ("billing", "platform", "shop")),
            }
        ],
    }
    assume = by_name(full, "aws:iam/rolePolicy:RolePolicy")["eso-controller-assume"]
    assert deps(assume, "role") == [r["eso-controller-role"].urn]


@pytest.mark.parametrize(("ha", "replicas"), [(True, 2), (False, 1)])
def test_the_operator_is_sized_by_availability(ha: bool, replicas: int) -> None:
    g = plan_eso(namespaces=("external-secrets",), high_availability=ha)
    operator = by_name(g, "kubernetes:helm.sh/v3:Release")["eso-operator"]
    assert (operator.props["chart"], operator.props["version"], operator.props["namespace"]) == (
        "external-secrets",
        chart("external-secrets").version,
        "external-secrets",
    )
    assert operator.props["values"] == {
        "installCRDs": True,
        "replicaCount": replicas,
        "podDisruptionBudget": {"enabled": ha, "minAvailable": 1},
        "serviceAccount": {"create": True, "name": "external-secrets"},
        "webhook": {"replicaCount": replicas},
        "certController": {"replicaCount": replicas},
    }
    namespace = g.one("kubernetes:core/v1:Namespace").urn
    # depending on a component is depending on its resources (the controller's role and association)
    assert set(operator.dependencies) == {namespace, *controller_resources(g)}


def test_stores_usable_only_from_their_namespaces_after_the_operator(full: Graph) -> None:
    stores = {r.name: r for r in full.of_type("kubernetes:external-secrets.io/v1:ClusterSecretStore")}
    assert sorted(stores) == ["eso-store-billing", "eso-store-platform", "eso-store-shop"]
    operator = by_name(full, "kubernetes:helm.sh/v3:Release")["eso-operator"]
    for name, store_name, namespaces in (
        ("eso-store-shop", "team-shop", ["shop"]),
        ("eso-store-billing", "team-billing", ["billing"]),
        ("eso-store-platform", "platform", ["argocd", "monitoring"]),
    ):
        s = stores[name]
        assert s.props["metadata"]["name"] == store_name
        assert s.props["spec"] == {
            "provider": {
                "aws": {
                    "service": "SecretsManager",
                    "region": "eu-west-1",
                    "role": roles(full)[name].outputs["arn"],
                }
            },
            "conditions": [{"namespaces": namespaces}],
        }
        assert operator.urn in s.dependencies
    assert full.one("groundwork:externalsecrets:ExternalSecrets").outputs["stores"] == {
        "billing": "team-billing",
        "platform": "platform",
        "shop": "team-shop",
    }


def test_an_external_secret_per_service_secret_in_its_namespace(full: Graph) -> None:
    """Every JSON key of the secret becomes a key of `<service>-<kind>` in the team namespace,
    refreshed at the set interval (rotations arrive without a deploy); it waits for its store and
    its namespace."""
    synced = {r.name: r for r in full.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")}
    assert sorted(synced) == ["eso-cart-cache", "eso-orders-cache", "eso-orders-database", "eso-payments-app"]
    stores = {r.name: r for r in full.of_type("kubernetes:external-secrets.io/v1:ClusterSecretStore")}
    namespaces = {r.name: r.urn for r in full.of_type("kubernetes:core/v1:Namespace")}
    orders_db = synced["eso-orders-database"]
    assert orders_db.props["metadata"] == {
        "name": "orders-database",
        "namespace": "shop",
        "labels": m.labels(**{m.APP_LABEL: "orders"}),
    }
    assert orders_db.props["spec"] == {
        "refreshInterval": "15m",
        "secretStoreRef": {"kind": "ClusterSecretStore", "name": "team-shop"},
        "target": {"name": "orders-database", "creationPolicy": "Owner", "deletionPolicy": "Retain"},
        "dataFrom": [{"extract": {"key": "groundwork/test/services/orders/database"}}],
    }
    assert set(orders_db.dependencies) == {stores["eso-store-shop"].urn, namespaces["ns-shop"]}
    payments = synced["eso-payments-app"]
    assert payments.props["spec"]["secretStoreRef"]["name"] == "team-billing"
    assert set(payments.dependencies) == {stores["eso-store-billing"].urn, namespaces["ns-billing"]}


def test_without_namespace_resources_only_the_store_is_waited_for() -> None:
    g = plan_eso()
    synced = {r.name: r for r in g.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")}
    store = {r.name: r for r in g.of_type("kubernetes:external-secrets.io/v1:ClusterSecretStore")}["eso-store-shop"]
    assert synced["eso-orders-database"].dependencies == [store.urn]
    assert synced["eso-orders-database"].props["spec"]["refreshInterval"] == "1h"
    operator = by_name(g, "kubernetes:helm.sh/v3:Release")["eso-operator"]
    assert set(operator.dependencies) == controller_resources(g)
    assert operator.props["values"]["replicaCount"] == 2  # high availability unless told otherwise


def test_a_platform_store_may_not_take_a_teams_name() -> None:
    with pytest.raises(PlanFailed, match="store shop collides with a team"):
        plan_eso(extra_stores=(StoreSpec("shop", ("argocd",), PLATFORM_STORE.secrets),))


def test_every_resource_is_the_components_child(full: Graph) -> None:
    assert sorted(outside(full, "groundwork:externalsecrets:ExternalSecrets")) == [
        "ns-billing",
        "ns-external-secrets",
        "ns-shop",
    ]  # the test's own stand-ins for the namespaces


def test_a_64_character_store_role_name_is_kept_whole() -> None:
    """64 is IAM's role-name limit, not 63 (the default for physical names)."""
    team = "a" + "b" * 49
    g = plan_eso(
        naming=Naming("acme", "prod"),
        service_secrets=(SyncedSecret("svc", team, "app", "acme/prod/services/svc/app", arn("svc")),),
    )
    name = roles(g)[f"eso-store-{team}"].props["name"]
    assert name == f"acme-prod-eso-{team}" and len(name) == 64
