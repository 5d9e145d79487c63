"""Team namespaces and the guardrails around them (K8S-01..K8S-10, SEC-05).

Behaviour:
- One namespace per team in `groundwork:services` (never `default`), labelled for Pod
  Security Admission `restricted` (enforce, audit, warn), with a default-deny NetworkPolicy
  for ingress and egress, a DNS allow, and per service exactly the paths it declares (ALB,
  callers, Prometheus scrape, the services it calls, database/cache subnets, optional HTTPS
  egress); a ResourceQuota and a LimitRange from `groundwork:platform`.
- The platform's own namespaces (`PLATFORM_NAMESPACES`: kyverno, external-secrets, argocd,
  monitoring, ...) are created here too, `baseline` enforced and `restricted` warned; they are
  the only namespaces the admission policies exclude.
- Kyverno (chart pinned in groundwork/charts.py) and the ClusterPolicies of
  `groundwork.manifests.admission_policies`, in `admissionMode` (Audit in dev, Enforce in
  staging and prod); PolicyExceptions are honoured only from the kyverno namespace, which
  only platform admins can write to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.kube import apply, release
from groundwork import manifests as m
from groundwork.settings.model import PlatformSettings

PLATFORM = ("kyverno", "external-secrets", "argocd", "monitoring", "groundwork-system")


@dataclass(frozen=True)
class GuardrailsArgs:
    settings: PlatformSettings
    workloads: Sequence[m.Workload]
    network: m.Network
    registry: pulumi.Input[str]


class Guardrails(pulumi.ComponentResource):
    """`groundwork:guardrails:Guardrails`."""

    namespaces: dict[str, k8s.core.v1.Namespace]

    def __init__(self, name: str, args: GuardrailsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:guardrails:Guardrails", name, None, opts)
        s = args.settings
        child = pulumi.ResourceOptions(parent=self)

        self.platform_namespaces = {ns: apply(f"{name}-ns-{ns}", m.platform_namespace(ns), child) for ns in PLATFORM}
        self.namespaces = {}
        teams = sorted({w.team for w in args.workloads})
        for team in teams:
            ns = apply(f"{name}-ns-{team}", m.team_namespace(team), child)
            self.namespaces[team] = ns  # type: ignore[assignment]
            in_ns = pulumi.ResourceOptions(parent=self, depends_on=[ns])
            apply(f"{name}-{team}-quota", m.resource_quota(team, s.namespace_quota), in_ns)
            apply(f"{name}-{team}-limits", m.limit_range(team, s.limit_range), in_ns)
            for policy in m.network_policies(team, args.workloads, args.network):
                apply(f"{name}-{team}-{policy['metadata']['name']}", policy, in_ns)

        ha = s.high_availability
        kyverno_ns = self.platform_namespaces["kyverno"]
        self.kyverno = release(
            f"{name}-kyverno",
            "kyverno",
            namespace="kyverno",
            values={
                "admissionController": {"replicas": 3 if ha else 1, "podDisruptionBudget": {"enabled": ha}},
                "backgroundController": {"replicas": 2 if ha else 1},
                "cleanupController": {"replicas": 2 if ha else 1},
                "reportsController": {"replicas": 2 if ha else 1},
                "features": {"policyExceptions": {"enabled": True, "namespace": "kyverno"}},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[kyverno_ns]),
        )
        after_kyverno = pulumi.ResourceOptions(parent=self, depends_on=[self.kyverno])
        rbac = apply(f"{name}-kyverno-generate-rbac", m.kyverno_generate_rbac(), after_kyverno)
        policy_manifests = m.admission_policies(
            mode=s.admission_mode,
            registry=args.registry,
            availability=s.availability_policies,
            max_replicas=s.max_replicas,
        )
        after = pulumi.ResourceOptions(parent=self, depends_on=[self.kyverno, rbac])
        self.policies = [apply(f"{name}-policy-{p['metadata']['name']}", p, after) for p in policy_manifests]
        self.register_outputs(
            {
                "teamNamespaces": teams,
                "admissionMode": s.admission_mode,
                "policies": [p["metadata"]["name"] for p in policy_manifests],
            }
        )
