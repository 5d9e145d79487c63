"""Kubernetes policies (K8S-01..K8S-11, SEC-04/05) at the edges the one-change cases leave out
(issue 18: each found by a surviving mutant of policies/groundwork_policies/kubernetes.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from groundwork_policies.core import Graph
from groundwork_policies.kubernetes import in_namespace

from tests.policies.cases import add, chain, patch, remove
from tests.policies.harness import DELETE, Fx, run_resource, run_stack, stack_args
from tests.policies.test_policy_cases import WORLD

NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
QUOTA = "kubernetes:core/v1:ResourceQuota"


def test_a_resource_is_in_a_namespace_by_its_name_or_by_depending_on_it() -> None:
    world = add(
        Fx(QUOTA, "by-name", {"metadata": {"name": "q", "namespace": "orders"}}, provider=None),
        Fx(QUOTA, "by-dependency", {"metadata": {"name": "q"}}, {"metadata": ["ns-orders"]}, provider=None),
        Fx(QUOTA, "elsewhere", {"metadata": {"name": "q", "namespace": "edge"}}, provider=None),
    )(WORLD.without("quota-orders", "quota-edge"))
    g = Graph.from_args(stack_args(world))
    [orders] = [r for r in g.resources if r.name == "ns-orders"]
    assert sorted(r.name for r in in_namespace(g, orders, QUOTA)) == ["by-dependency", "by-name"]


def _dns(port: Any) -> Any:
    return patch("np-orders-dns", "spec.egress", [{"ports": [{"port": port, "protocol": "UDP"}]}])


STACK_EDGES: list[tuple[str, str, Any, list[str]]] = [
    # the engine sends numbers as floats; a named port "dns" and the text "53" count too
    ("dns-port-as-float", "kubernetes-namespace-require-default-deny", _dns(53.0), []),
    ("dns-port-named", "kubernetes-namespace-require-default-deny", _dns("dns"), []),
    (
        "dns-port-wrong",
        "kubernetes-namespace-require-default-deny",
        _dns(54),
        ["[K8S-03] namespace orders denies everything but allows no DNS"],
    ),
    # Enforce set for the whole policy, whatever its rules say
    (
        "policy-wide-enforce",
        "kubernetes-admission-policies-enforced",
        chain(
            patch("cp-require-probes", "spec.validationFailureAction", "Enforce"),
            patch("cp-require-probes", "spec.rules[0].validate.failureAction", "Audit"),
        ),
        [],
    ),
    # a policy that only generates or mutates has nothing to reject
    (
        "mutate-only-policy",
        "kubernetes-admission-policies-enforced",
        patch("cp-generate-pdb", "spec.rules", [{"name": "m", "mutate": {"patchStrategicMerge": {}}}]),
        [],
    ),
    (
        "neither-validate-nor-generate",
        "kubernetes-admission-policies-enforced",
        patch("cp-generate-pdb", "spec.rules", [{"name": "v", "verifyImages": [{}]}]),
        ["[K8S-10] Kyverno ClusterPolicy generate-pdb is not in Enforce mode"],
    ),
    # presence does not ask for Enforce (dev audits)
    (
        "present-in-audit",
        "kubernetes-admission-policies-present",
        patch("cp-require-probes", "spec.rules[0].validate.failureAction", "Audit"),
        [],
    ),
    # ingresses without an ingress class resource still need a controller
    (
        "ingress-without-controller-or-class",
        "kubernetes-single-ingress-controller",
        remove("lbc", "ingress-class"),
        ["[K8S-11] ingresses exist but no ingress controller is installed"],
    ),
]


@pytest.mark.parametrize(
    ("policy", "mutate", "expected"), [e[1:] for e in STACK_EDGES], ids=[e[0] for e in STACK_EDGES]
)
def test_kubernetes_stack_edge(policy: str, mutate: Any, expected: list[str]) -> None:
    assert run_stack(policy, mutate(WORLD)) == expected


def test_a_container_without_resources_lacks_all_three() -> None:
    fx = WORLD.patch("app", "spec.template.spec.containers[0].resources", DELETE).resources["app"]
    [message] = run_resource("kubernetes-workload-require-resources", fx)
    assert message.endswith("has no requests.cpu, requests.memory, limits.memory")


def test_an_hpa_without_min_replicas_keeps_one() -> None:
    """Kubernetes defaults spec.minReplicas to 1 (autoscaling/v2 HorizontalPodAutoscalerSpec)."""
    fx = WORLD.patch("app-hpa", "spec.minReplicas", DELETE).resources["app-hpa"]
    assert run_resource("kubernetes-hpa-require-two-replicas", fx) == ["[K8S-09] spec.minReplicas is 1"]


@pytest.mark.parametrize(
    ("repo", "chart", "expected"),
    [
        ("", "oci://registry.example.org/charts/kyverno", []),  # an empty repository: the chart names its source
        ("https://charts.example.org", "kyverno", []),
        ("", "kyverno", ["[K8S-07] chart source 'kyverno' is not https:// or oci://"]),
    ],
)
def test_helm_chart_source(repo: str, chart: str, expected: list[str]) -> None:
    fx = WORLD.patch("kyverno", "repositoryOpts.repo", repo).patch("kyverno", "chart", chart).resources["kyverno"]
    assert run_resource("kubernetes-helm-release-pinned-over-tls", fx) == expected
