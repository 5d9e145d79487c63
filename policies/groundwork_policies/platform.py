"""Names the program and the pack must agree on (pure data; loaded by groundwork.controls too).

- PLATFORM_NAMESPACES: the only namespaces excluded from the application guardrails
  (Pod Security "restricted", default-deny NetworkPolicy, quotas, Kyverno policies). They
  run the platform's own components; nothing of a service team's goes there.
- ADMISSION_POLICIES: the Kyverno ClusterPolicies that enforce K8S-05..09 and SEC-05 for
  everything ArgoCD deploys, by name, with the controls each enforces.
- CHARTS: Helm chart names that identify each platform component.
"""

PLATFORM_NAMESPACES = (
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "kyverno",
    "external-secrets",
    "monitoring",
    "argocd",
    "cert-manager",
    "groundwork-system",  # the platform's own jobs (database bootstrap)
)

# name -> (controls, "validate" | "generate", tier at which it must exist)
ADMISSION_POLICIES = {
    "require-requests-limits": (("K8S-05",), "validate", "all"),
    "require-probes": (("K8S-06",), "validate", "all"),
    "disallow-latest-tag": (("K8S-07",), "validate", "all"),
    "restrict-image-registries": (("K8S-07",), "validate", "all"),
    "require-ro-rootfs": (("K8S-08",), "validate", "all"),
    "disallow-secret-env-values": (("SEC-05",), "validate", "all"),
    "require-hpa-min-replicas": (("K8S-09",), "validate", "stg+"),
    "generate-hpa": (("K8S-09",), "generate", "stg+"),
    "generate-pdb": (("K8S-09",), "generate", "stg+"),
}

CHARTS = {
    "kyverno": ("kyverno",),
    "external-secrets": ("external-secrets",),
    "prometheus": ("kube-prometheus-stack",),
    "loki": ("loki",),
    "log-agent": ("alloy", "promtail", "fluent-bit"),
    "tracing": ("tempo", "tempo-distributed", "jaeger"),
    "otel-collector": ("opentelemetry-collector",),
    "argocd": ("argo-cd",),
    "ingress-controller": ("aws-load-balancer-controller", "ingress-nginx"),
    "pgbouncer": ("pgbouncer",),
}
