"""Helm charts the platform installs, pinned in one place (pure module, no resources).

Every entry names the chart version, the application version it ships and the Kubernetes
minor versions its upstream supports, as checked on CHECKED_ON. The custom resources the
program creates for a chart (Kyverno ClusterPolicies, ExternalSecrets, ArgoCD Applications,
PrometheusRules) are validated in the tests against the CRDs of that application version in
`../shared/schemas/crds/` (`crd_release` below says which release those files are).

To upgrade: change the chart version and app version here, read the chart's upgrade notes,
refresh the CRD files if the app version moved, run `make test`, and `pulumi preview` a
dev stack first. A settings warning appears when the cluster's Kubernetes version is
outside a chart's supported range.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

CHECKED_ON = dt.date(2026, 11, 30)


@dataclass(frozen=True)
class Chart:
    name: str  # chart name in its repository
    repo: str  # https:// Helm repository
    version: str  # exact chart version
    app_version: str  # the application version the chart installs
    kubernetes: tuple[str, str]  # oldest and newest supported Kubernetes minor (upstream's matrix)
    crd_release: str | None = None  # release of the CRD files the tests validate against
    notes: str = ""
    # Where this exact version was seen released: the upstream repository and the tag (or
    # commit) whose Chart.yaml carries `version` and `app_version`. A pin without one is a
    # version nobody has seen (0.158.3 of the collector chart was pinned and never existed).
    released: str = ""

    def supports(self, kubernetes_version: str) -> bool:
        lo, hi = (tuple(int(p) for p in v.split(".")) for v in self.kubernetes)
        v = tuple(int(p) for p in kubernetes_version.split("."))
        return lo <= v <= hi


CHARTS: dict[str, Chart] = {
    c.name: c
    for c in (
        Chart(
            name="kyverno",
            released="kyverno/kyverno tag kyverno-chart-3.9.0, charts/kyverno/Chart.yaml",
            repo="https://kyverno.github.io/kyverno/",
            version="3.9.0",
            app_version="v1.19.0",
            kubernetes=("1.33", "1.35"),
            crd_release="v1.19.0",
            notes="Chart 3.N ships Kyverno 1.(N+10); 1.19 supports Kubernetes 1.33-1.35.",
        ),
        Chart(
            name="external-secrets",
            released="external-secrets/external-secrets tag helm-chart-2.9.0, deploy/charts/external-secrets/Chart.yaml",
            repo="https://charts.external-secrets.io",
            version="2.9.0",
            app_version="v2.9.0",
            kubernetes=("1.32", "1.35"),
            crd_release="v2.9.0",
            notes="API external-secrets.io/v1 (v1beta1 is gone since 1.0).",
        ),
        Chart(
            name="aws-load-balancer-controller",
            released='aws/eks-charts commit 5239609 "aws-load-balancer-controller: v3.5.0", stable/aws-load-balancer-controller/Chart.yaml',
            repo="https://aws.github.io/eks-charts",
            version="3.5.0",
            app_version="v3.5.0",
            kubernetes=("1.22", "1.35"),
            notes="Chart versions follow the controller since 3.0. CRDs upgrade with the chart "
            "(helm upgrade does not update CRDs: apply them first, see docs/platform.md).",
        ),
        Chart(
            name="argo-cd",
            released="argoproj/argo-helm tag argo-cd-10.9.0 (not in the stored snapshot, which ends at argo-cd-10.1.1 on 2026-07-02: unverified here)",
            repo="https://argoproj.github.io/argo-helm",
            version="10.9.0",
            app_version="v3.5.2",
            kubernetes=("1.32", "1.35"),
            crd_release="v3.5.1",
            notes="CRDs validated against v3.5.1; Argo CD does not change CRD schemas in patch releases.",
        ),
        Chart(
            name="external-dns",
            released="kubernetes-sigs/external-dns tag external-dns-helm-chart-1.21.1 (2026-04-30), "
            "charts/external-dns/Chart.yaml",
            repo="https://kubernetes-sigs.github.io/external-dns/",
            version="1.21.1",
            app_version="0.21.0",
            kubernetes=("1.21", "1.35"),
            notes="README 'Kubernetes version compatibility' (v0.21.0): 0.18 and later need Kubernetes 1.21+ "
            "(EndpointSlices) and name no upper bound; the chart sets no kubeVersion.",
        ),
        Chart(
            name="kube-prometheus-stack",
            released="prometheus-community/helm-charts tag kube-prometheus-stack-88.2.0, charts/kube-prometheus-stack/Chart.yaml",
            repo="https://prometheus-community.github.io/helm-charts",
            version="88.2.0",
            app_version="v0.93.0",
            kubernetes=("1.28", "1.35"),
            crd_release="v0.93.0",
            notes="Prometheus Operator v0.93.0 (major 88 follows the operator bump). CRDs upgraded by the "
            "chart's CRD upgrade job (crds.upgradeJob).",
        ),
        Chart(
            name="loki",
            released="grafana/loki tag helm-loki-6.53.0, production/helm/loki/Chart.yaml (appVersion 3.6.5)",
            repo="https://grafana.github.io/helm-charts",
            version="6.53.0",
            app_version="3.6.5",
            kubernetes=("1.25", "1.35"),
        ),
        Chart(
            name="alloy",
            released="grafana/alloy tag helm-chart/1.10.1, operations/helm/charts/alloy/Chart.yaml",
            repo="https://grafana.github.io/helm-charts",
            version="1.10.1",
            app_version="v1.17.1",
            kubernetes=("1.25", "1.35"),
        ),
        Chart(
            name="tempo",
            released="grafana/helm-charts tag tempo-1.24.0, charts/tempo/Chart.yaml",
            repo="https://grafana.github.io/helm-charts",
            version="1.24.0",
            app_version="2.9.0",
            kubernetes=("1.25", "1.35"),
            notes="Tempo single binary.",
        ),
        Chart(
            name="opentelemetry-collector",
            released="open-telemetry/opentelemetry-helm-charts tag opentelemetry-collector-0.158.2, charts/opentelemetry-collector/Chart.yaml",
            repo="https://open-telemetry.github.io/opentelemetry-helm-charts",
            version="0.158.2",
            app_version="0.153.0",
            kubernetes=("1.25", "1.35"),
            notes="Runs the contrib image (the probabilistic sampler is a contrib processor).",
        ),
    )
}


def chart(name: str) -> Chart:
    return CHARTS[name]


def unsupported(kubernetes_version: str) -> list[Chart]:
    """Charts whose upstream does not list `kubernetes_version` as supported."""
    return [c for c in CHARTS.values() if not c.supports(kubernetes_version)]
