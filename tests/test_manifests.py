"""groundwork.manifests on its own: the objects whose exact content the cluster acts on,
written out here so that a changed label, port or selector fails a test (issue 18). The
components' tests check that each is applied where it belongs; the plan-based tests
(test_platform.py, test_admission.py) validate them against the upstream schemas."""

from __future__ import annotations

from groundwork import manifests as m


def test_a_team_namespace_enforces_restricted_at_the_clusters_own_version() -> None:
    """Pod Security Admission reads `pod-security.kubernetes.io/<mode>` and `<mode>-version`
    (Kubernetes docs, "Pod Security Admission"); `latest` follows the cluster's minor version,
    as an absent version label would, but written out so that `kubectl get ns --show-labels`
    says so. The tenant and team labels are what the admission policies and the NetworkPolicies
    select."""
    assert m.team_namespace("shop") == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": "shop",
            "labels": {
                "app.kubernetes.io/managed-by": "pulumi",
                "app.kubernetes.io/part-of": "groundwork",
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
                "pod-security.kubernetes.io/audit-version": "latest",
                "pod-security.kubernetes.io/warn-version": "latest",
                "groundwork.io/tenant": "true",
                "groundwork.io/team": "shop",
            },
        },
    }


def test_services_reach_the_collector_on_both_otlp_ports() -> None:
    """OTLP over gRPC (4317) and HTTP (4318) to the collector's pods in `monitoring`. The chart
    labels its pods `app.kubernetes.io/name: <chart name>` unless nameOverride is set
    (open-telemetry/opentelemetry-helm-charts tag opentelemetry-collector-0.158.2,
    charts/opentelemetry-collector/templates/_helpers.tpl, "opentelemetry-collector.name" and
    "opentelemetry-collector.selectorLabels"; the release's fullnameOverride does not change it), and every namespace carries
    `kubernetes.io/metadata.name` (set by the API server since Kubernetes 1.22)."""
    assert m.otlp_egress() == {
        "to": [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": "opentelemetry-collector"}},
            }
        ],
        "ports": [{"protocol": "TCP", "port": 4317}, {"protocol": "TCP", "port": 4318}],
    }
