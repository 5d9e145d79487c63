"""The Guardrails component on its own (groundwork.plan.run_function): the platform's and each
team's namespace, the quota, limits and network policies inside a team namespace once it
exists, Kyverno sized by availability, and the admission policies after Kyverno and its RBAC,
without planning a stack (issue 18). What each manifest holds is groundwork.manifests' (tested
in tests/test_manifests*.py); here, what the component applies, where and in which order."""

from __future__ import annotations

from typing import Any

import pytest

from components.guardrails import PLATFORM, Guardrails, GuardrailsArgs
from groundwork import manifests as m
from groundwork.charts import chart
from groundwork.plan.graph import Graph, Resource
from groundwork.plan.runner import run_function
from groundwork.settings.model import PlatformSettings
from tests.helpers import outside

REGISTRY = "111111111111.dkr.ecr.eu-west-1.amazonaws.com"
WORKLOADS = (
    m.Workload("orders", "shop", 8080, 9090, database=True, exposed=True, calls=("payments",)),
    m.Workload("payments", "billing", 8080, 9090, cache=True, https_egress=True),
    m.Workload("cart", "shop", 8080, 9090),
)
NETWORK = m.Network(load_balancer_cidrs=["10.0.0.0/24"], data_cidrs=["10.0.200.0/24"])


def plan_guardrails(**settings: Any) -> Graph:
    def body() -> None:
        Guardrails(
            "guardrails",
            GuardrailsArgs(
                settings=PlatformSettings.model_validate(settings),
                workloads=WORKLOADS,
                network=NETWORK,
                registry=REGISTRY,
            ),
        )

    return run_function(body, config={"aws:region": "eu-west-1"})


@pytest.fixture(scope="module")
def ha() -> Graph:
    return plan_guardrails(admissionMode="Enforce", highAvailability=True, availabilityPolicies=True, maxReplicas=12)


def named(g: Graph) -> dict[str, Resource]:
    return {r.name: r for r in g.resources}


def body_of(r: Resource) -> dict[str, Any]:
    return {k: v for k, v in r.props.items() if k not in ("apiVersion", "kind")}


def manifest_body(manifest: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in manifest.items() if k not in ("apiVersion", "kind")}


def test_platform_and_team_namespaces(ha: Graph) -> None:
    """K8S-01: every team gets its own namespace (never `default`), from the workloads' teams;
    the platform's namespaces are created here too, with their own Pod Security labels."""
    assert PLATFORM == ("kyverno", "external-secrets", "argocd", "monitoring", "groundwork-system")
    namespaces = {r.name: r for r in ha.of_type("kubernetes:core/v1:Namespace")}
    assert sorted(namespaces) == sorted(
        [*(f"guardrails-ns-{ns}" for ns in PLATFORM), "guardrails-ns-billing", "guardrails-ns-shop"]
    )
    for ns in PLATFORM:
        assert body_of(namespaces[f"guardrails-ns-{ns}"]) == manifest_body(m.platform_namespace(ns))
    for team in ("billing", "shop"):
        assert body_of(namespaces[f"guardrails-ns-{team}"]) == manifest_body(m.team_namespace(team))
    assert ha.one("groundwork:guardrails:Guardrails").outputs["teamNamespaces"] == ["billing", "shop"]


def test_quota_limits_and_network_policies_wait_for_their_namespace(ha: Graph) -> None:
    """K8S-03/K8S-04/K8S-05: a namespaced object applied before its namespace exists is refused
    by the API server, so each depends on its team's namespace."""
    s = PlatformSettings.model_validate({})
    r = named(ha)
    for team in ("billing", "shop"):
        ns = r[f"guardrails-ns-{team}"].urn
        quota, limits = r[f"guardrails-{team}-quota"], r[f"guardrails-{team}-limits"]
        assert quota.type == "kubernetes:core/v1:ResourceQuota" and limits.type == "kubernetes:core/v1:LimitRange"
        assert body_of(quota) == manifest_body(m.resource_quota(team, s.namespace_quota))
        assert body_of(limits) == manifest_body(m.limit_range(team, s.limit_range))
        policies = m.network_policies(team, WORKLOADS, NETWORK)
        assert len(policies) >= 2
        for policy in policies:
            applied = r[f"guardrails-{team}-{policy['metadata']['name']}"]
            assert applied.type == "kubernetes:networking.k8s.io/v1:NetworkPolicy"
            assert body_of(applied) == manifest_body(policy)
            assert applied.dependencies == [ns]
        assert quota.dependencies == [ns] and limits.dependencies == [ns]
    counted = len(ha.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy"))
    assert counted == sum(len(m.network_policies(t, WORKLOADS, NETWORK)) for t in ("billing", "shop"))


@pytest.mark.parametrize(("available", "admission", "background"), [(True, 3, 2), (False, 1, 1)])
def test_kyverno_is_sized_by_availability(available: bool, admission: int, background: int) -> None:
    """Three admission replicas with a disruption budget keep admission up through a node drain
    (Kyverno docs, "High Availability": 3 replicas for the admission controller, 2 for the
    others); one of each without high availability."""
    g = plan_guardrails(highAvailability=available)
    kyverno = named(g)["guardrails-kyverno"]
    c = chart("kyverno")
    assert (kyverno.props["chart"], kyverno.props["version"], kyverno.props["namespace"]) == (
        "kyverno",
        c.version,
        "kyverno",
    )
    assert kyverno.props["values"] == {
        "admissionController": {"replicas": admission, "podDisruptionBudget": {"enabled": available}},
        "backgroundController": {"replicas": background},
        "cleanupController": {"replicas": background},
        "reportsController": {"replicas": background},
        "features": {"policyExceptions": {"enabled": True, "namespace": "kyverno"}},
    }
    assert kyverno.dependencies == [named(g)["guardrails-ns-kyverno"].urn]


def test_policies_after_kyverno_and_its_rbac(ha: Graph) -> None:
    """A ClusterPolicy is a Kyverno CRD: it can be applied only once the chart installed it, and
    its generate rules need Kyverno's extra RBAC first."""
    r = named(ha)
    kyverno, rbac = r["guardrails-kyverno"], r["guardrails-kyverno-generate-rbac"]
    assert rbac.dependencies == [kyverno.urn]
    assert body_of(rbac) == manifest_body(m.kyverno_generate_rbac())
    expected = m.admission_policies(mode="Enforce", registry=REGISTRY, availability=True, max_replicas=12)
    policies = ha.of_type("kubernetes:kyverno.io/v1:ClusterPolicy")
    assert [p.name for p in policies] == [f"guardrails-policy-{p['metadata']['name']}" for p in expected]
    for applied, manifest in zip(policies, expected, strict=True):
        assert applied.props == manifest
        assert set(applied.dependencies) == {kyverno.urn, rbac.urn}
    out = ha.one("groundwork:guardrails:Guardrails").outputs
    assert out["admissionMode"] == "Enforce" and out["policies"] == [p["metadata"]["name"] for p in expected]


def test_policies_follow_the_admission_settings() -> None:
    g = plan_guardrails(admissionMode="Audit", availabilityPolicies=False, maxReplicas=5)
    expected = m.admission_policies(mode="Audit", registry=REGISTRY, availability=False, max_replicas=5)
    assert [p.props for p in g.of_type("kubernetes:kyverno.io/v1:ClusterPolicy")] == expected
    assert g.one("groundwork:guardrails:Guardrails").outputs["admissionMode"] == "Audit"


def test_every_resource_is_the_guardrails_child(ha: Graph) -> None:
    assert outside(ha, "groundwork:guardrails:Guardrails") == []
