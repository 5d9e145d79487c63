"""Small helpers the in-cluster components share: a manifest as a Pulumi resource, and a Helm
release of a chart pinned in `groundwork/charts.py`."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from groundwork.charts import chart

TYPED = {
    ("v1", "Namespace"): k8s.core.v1.Namespace,
    ("v1", "ResourceQuota"): k8s.core.v1.ResourceQuota,
    ("v1", "LimitRange"): k8s.core.v1.LimitRange,
    ("v1", "ServiceAccount"): k8s.core.v1.ServiceAccount,
    ("v1", "Service"): k8s.core.v1.Service,
    ("v1", "ConfigMap"): k8s.core.v1.ConfigMap,
    ("apps/v1", "Deployment"): k8s.apps.v1.Deployment,
    ("networking.k8s.io/v1", "NetworkPolicy"): k8s.networking.v1.NetworkPolicy,
    ("networking.k8s.io/v1", "Ingress"): k8s.networking.v1.Ingress,
    ("networking.k8s.io/v1", "IngressClass"): k8s.networking.v1.IngressClass,
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): k8s.rbac.v1.ClusterRole,
}


def apply(name: str, manifest: dict[str, Any], opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    """The manifest as the matching typed resource, or a CustomResource for CRD kinds."""
    api_version, kind = manifest["apiVersion"], manifest["kind"]
    body = {k: v for k, v in manifest.items() if k not in ("apiVersion", "kind")}
    typed = TYPED.get((api_version, kind))
    if typed is not None:
        return typed(name, opts=opts, **body)
    return k8s.apiextensions.CustomResource(name, api_version=api_version, kind=kind, opts=opts, **body)


def release(
    name: str,
    chart_name: str,
    *,
    namespace: pulumi.Input[str],
    values: dict[str, Any],
    opts: pulumi.ResourceOptions,
    release_name: str | None = None,
    timeout_seconds: int = 600,
) -> k8s.helm.v3.Release:
    """A Helm release of a pinned chart: exact version from its https repository, rolled back
    on a failed upgrade (atomic), namespace owned by the program (never created by Helm)."""
    c = chart(chart_name)
    return k8s.helm.v3.Release(
        name,
        name=release_name or chart_name,
        chart=c.name,
        version=c.version,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=c.repo),
        namespace=namespace,
        create_namespace=False,
        values=values,
        atomic=True,
        cleanup_on_fail=True,
        max_history=10,
        timeout=timeout_seconds,
        opts=opts,
    )
