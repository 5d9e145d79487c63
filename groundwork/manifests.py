"""Kubernetes objects of the platform layer, as plain manifests (pure module, no resources).

The components wrap these in Pulumi resources; the tests validate the manifests the program
actually registers against the upstream CRDs and the Kubernetes OpenAPI schema. Values that
come from other resources (role ARNs, the registry host) may be Pulumi Outputs nested in the
dicts; Pulumi resolves them before anything reaches the cluster.

Conventions a service's own manifests rely on (docs/platform.md):
- its pods carry `app.kubernetes.io/name: <service>` (NetworkPolicies select them by it);
- its Service is named `<service>` and listens on the service's port (the ALB routes to it);
- its Secrets arrive as `<service>-database`, `<service>-cache`, `<service>-app`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from groundwork import admission
from groundwork.controls import platform

PLATFORM_NAMESPACES: tuple[str, ...] = platform.PLATFORM_NAMESPACES
ADMISSION_POLICIES: dict[str, tuple[tuple[str, ...], str, str]] = platform.ADMISSION_POLICIES

Manifest = dict[str, Any]

TENANT_LABEL = "groundwork.io/tenant"
TEAM_LABEL = "groundwork.io/team"
APP_LABEL = "app.kubernetes.io/name"
MAX_REPLICAS_ANNOTATION = "groundwork.io/max-replicas"
CUSTOM_HPA_LABEL = "groundwork.io/hpa"  # "custom": the team ships its own HPA (still validated)
IN_CLUSTER = "https://kubernetes.default.svc"
PSA_MODES = ("enforce", "audit", "warn")
SECRET_ENV_NAME = r"(?i)(password|passwd|secret|token|api[-_]?key|private[-_]?key|credential|auth)"


@dataclass(frozen=True)
class Workload:
    """What the NetworkPolicies and ExternalSecrets need to know about one service."""

    name: str
    team: str
    port: int
    metrics_port: int
    database: bool = False
    cache: bool = False
    https_egress: bool = False
    exposed: bool = False
    calls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Network:
    """Address ranges the policies allow: where the ALB's nodes and the data stores live."""

    load_balancer_cidrs: Sequence[str]
    data_cidrs: Sequence[str]
    database_port: int = 5432
    cache_port: int = 6379
    monitoring_namespace: str = "monitoring"
    extra_egress: Sequence[dict[str, Any]] = field(default_factory=tuple)


def otlp_egress(namespace: str = "monitoring", collector: str = "opentelemetry-collector") -> dict[str, Any]:
    """Egress from service pods to the OpenTelemetry Collector (traces over OTLP gRPC and HTTP)."""
    return {
        "to": [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": collector}},
            }
        ],
        "ports": [{"protocol": "TCP", "port": 4317}, {"protocol": "TCP", "port": 4318}],
    }


def labels(**extra: str) -> dict[str, str]:
    return {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "groundwork", **extra}


# ---------------------------------------------------------------------------------------------
# Namespaces and their guardrails (K8S-01..04)
# ---------------------------------------------------------------------------------------------


def team_namespace(team: str) -> Manifest:
    """A team namespace: Pod Security `restricted` enforced, audited and warned (K8S-02)."""
    psa = {f"pod-security.kubernetes.io/{m}": "restricted" for m in PSA_MODES}
    psa.update({f"pod-security.kubernetes.io/{m}-version": "latest" for m in PSA_MODES})
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": team, "labels": labels(**psa, **{TENANT_LABEL: "true", TEAM_LABEL: team})},
    }


def platform_namespace(name: str) -> Manifest:
    """A namespace of a platform component: it enforces the strictest Pod Security level that
    admits the pods its pinned charts create (`groundwork.admission`: `baseline` for most,
    `privileged` for `monitoring`, whose node-exporter DaemonSet needs the host's network, PID
    namespace, filesystem and port 9100), `restricted` warned and audited so regressions show."""
    assert name in PLATFORM_NAMESPACES, name
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": labels(
                **{
                    "pod-security.kubernetes.io/enforce": admission.enforce_level(name),
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                    "groundwork.io/platform": "true",
                }
            ),
        },
    }


def resource_quota(team: str, q: Any) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "team-quota", "namespace": team, "labels": labels()},
        "spec": {
            "hard": {
                "requests.cpu": q.requests_cpu,
                "requests.memory": q.requests_memory,
                "limits.memory": q.limits_memory,
                "pods": str(q.pods),
                "services.loadbalancers": str(q.services_load_balancers),
                "services.nodeports": "0",
            }
        },
    }


def limit_range(team: str, lr: Any) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "container-defaults", "namespace": team, "labels": labels()},
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "defaultRequest": {"cpu": lr.default_request_cpu, "memory": lr.default_request_memory},
                    "default": {"memory": lr.default_limit_memory},
                    "max": {"memory": lr.max_memory},
                }
            ]
        },
    }


def _netpol(name: str, namespace: str, spec: dict[str, Any]) -> Manifest:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace, "labels": labels()},
        "spec": spec,
    }


def _pods(service: str) -> dict[str, Any]:
    return {"matchLabels": {APP_LABEL: service}}


def _tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": p} for p in sorted(set(ports))]


def network_policies(team: str, workloads: Sequence[Workload], network: Network) -> list[Manifest]:
    """Default deny in and out, DNS, and exactly the paths the services declare (K8S-03).

    Per service: ingress from the ALB (exposed services), from the services that call it and
    from Prometheus on its metrics port; egress to the services it calls, to the database and
    cache subnets when it uses them, and HTTPS anywhere only with `httpsEgress`.
    """
    by_name = {w.name: w for w in workloads}
    mine = sorted((w for w in workloads if w.team == team), key=lambda w: w.name)
    out = [
        _netpol("default-deny", team, {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        _netpol(
            "allow-dns",
            team,
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            },
        ),
    ]
    for w in mine:
        ingress: list[dict[str, Any]] = []
        if w.exposed:
            ingress.append(
                {"from": [{"ipBlock": {"cidr": c}} for c in network.load_balancer_cidrs], "ports": _tcp(w.port)}
            )
        callers = sorted((c for c in workloads if w.name in c.calls), key=lambda c: c.name)
        if callers:
            ingress.append(
                {
                    "from": [
                        {
                            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": c.team}},
                            "podSelector": _pods(c.name),
                        }
                        for c in callers
                    ],
                    "ports": _tcp(w.port),
                }
            )
        ingress.append(
            {
                "from": [
                    {
                        "namespaceSelector": {
                            "matchLabels": {"kubernetes.io/metadata.name": network.monitoring_namespace}
                        }
                    }
                ],
                "ports": _tcp(w.metrics_port),
            }
        )
        out.append(
            _netpol(
                f"{w.name}-ingress",
                team,
                {"podSelector": _pods(w.name), "policyTypes": ["Ingress"], "ingress": ingress},
            )
        )

        egress: list[dict[str, Any]] = []
        for callee in sorted(w.calls):
            target = by_name[callee]
            egress.append(
                {
                    "to": [
                        {
                            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": target.team}},
                            "podSelector": _pods(target.name),
                        }
                    ],
                    "ports": _tcp(target.port),
                }
            )
        data_ports = [p for p, used in ((network.database_port, w.database), (network.cache_port, w.cache)) if used]
        if data_ports:
            egress.append({"to": [{"ipBlock": {"cidr": c}} for c in network.data_cidrs], "ports": _tcp(*data_ports)})
        if w.https_egress:
            egress.append({"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": _tcp(443)})
        egress.extend(network.extra_egress)
        if egress:
            out.append(
                _netpol(
                    f"{w.name}-egress",
                    team,
                    {"podSelector": _pods(w.name), "policyTypes": ["Egress"], "egress": egress},
                )
            )
    return out


# ---------------------------------------------------------------------------------------------
# Kyverno ClusterPolicies (K8S-05..K8S-10, SEC-05)
# ---------------------------------------------------------------------------------------------

_TENANT_PODS = {"namespaceSelector": {"matchLabels": {TENANT_LABEL: "true"}}}
_EXCLUDE_PLATFORM = {"resources": {"namespaces": list(PLATFORM_NAMESPACES)}}
_JOB_PODS = {
    "resources": {"selector": {"matchExpressions": [{"key": "batch.kubernetes.io/job-name", "operator": "Exists"}]}}
}


def _policy(name: str, description: str, rules: list[dict[str, Any]], *, autogen: str | None = None) -> Manifest:
    controls, _kind, _tier = ADMISSION_POLICIES[name]
    annotations = {
        "policies.kyverno.io/title": name.replace("-", " ").capitalize(),
        "policies.kyverno.io/category": "Groundwork guardrails",
        "policies.kyverno.io/description": description,
        "groundwork.io/controls": ",".join(controls),
    }
    if autogen:
        annotations["pod-policies.kyverno.io/autogen-controllers"] = autogen
    return {
        "apiVersion": "kyverno.io/v1",
        "kind": "ClusterPolicy",
        "metadata": {"name": name, "annotations": annotations, "labels": labels()},
        "spec": {"background": True, "admission": True, "rules": rules},
    }


def _match(*kinds: str) -> dict[str, Any]:
    return {"any": [{"resources": {"kinds": list(kinds), **_TENANT_PODS}}]}


def _validate(mode: str, message: str, **body: Any) -> dict[str, Any]:
    return {"failureAction": mode, "message": message, **body}


def _each_container(pattern: dict[str, Any]) -> dict[str, Any]:
    """A pod pattern applied to every container and init container."""
    return {"spec": {"containers": [pattern], "=(initContainers)": [pattern]}}


def admission_policies(*, mode: str, registry: Any, availability: bool, max_replicas: int) -> list[Manifest]:
    """The ClusterPolicies that enforce the workload controls on everything in team namespaces.

    Exclusions: only the platform's own namespaces (listed), and for the probe rule the pods
    of Jobs (which run to completion). With `availability`, every Deployment gets a generated
    HPA (min 2, CPU 70 %, memory 80 %) and PodDisruptionBudget (maxUnavailable 1), and HPAs
    below two replicas are rejected.
    """
    policies = [
        _policy(
            "require-requests-limits",
            "Containers declare CPU and memory requests and a memory limit (K8S-05).",
            [
                {
                    "name": "requests-and-memory-limit",
                    "match": _match("Pod"),
                    "exclude": {"any": [_EXCLUDE_PLATFORM]},
                    "validate": _validate(
                        mode,
                        "CPU and memory requests and a memory limit are required (K8S-05).",
                        pattern=_each_container(
                            {"resources": {"requests": {"cpu": "?*", "memory": "?*"}, "limits": {"memory": "?*"}}}
                        ),
                    ),
                }
            ],
        ),
        _policy(
            "require-probes",
            "Long-running containers have liveness and readiness probes (K8S-06).",
            [
                {
                    "name": "liveness-and-readiness",
                    "match": _match("Pod"),
                    "exclude": {"any": [_EXCLUDE_PLATFORM, _JOB_PODS]},
                    "validate": _validate(
                        mode,
                        "Liveness and readiness probes are required (K8S-06).",
                        pattern={
                            "spec": {
                                "containers": [
                                    {
                                        "livenessProbe": {"periodSeconds": ">0"},
                                        "readinessProbe": {"periodSeconds": ">0"},
                                    }
                                ]
                            }
                        },
                    ),
                }
            ],
            autogen="Deployment,StatefulSet,DaemonSet",
        ),
        _policy(
            "disallow-latest-tag",
            "Images name an explicit tag or digest, never :latest (K8S-07).",
            [
                {
                    "name": "require-tag",
                    "match": _match("Pod"),
                    "exclude": {"any": [_EXCLUDE_PLATFORM]},
                    "validate": _validate(
                        mode, "Images need a tag or digest (K8S-07).", pattern=_each_container({"image": "*:*"})
                    ),
                },
                {
                    "name": "no-latest",
                    "match": _match("Pod"),
                    "exclude": {"any": [_EXCLUDE_PLATFORM]},
                    "validate": _validate(
                        mode,
                        "The :latest tag is not allowed (K8S-07).",
                        pattern=_each_container({"image": "!*:latest"}),
                    ),
                },
            ],
        ),
        _policy(
            "restrict-image-registries",
            "Images come from the project's ECR registry only (K8S-07).",
            [
                {
                    "name": "project-registry",
                    "match": _match("Pod"),
                    "exclude": {"any": [_EXCLUDE_PLATFORM]},
                    "validate": _validate(
                        mode,
                        "Images must come from the project's ECR registry (K8S-07).",
                        pattern=_each_container({"image": _registry_pattern(registry)}),
                    ),
                }
            ],
        ),
        _policy(
            "require-ro-rootfs",
            "Containers run with a read-only root filesystem (K8S-08).",
            [
                {
                    "name": "read-only-root-filesystem",
                    "match": _match("Pod"),
                    "exclude": {"any": [_EXCLUDE_PLATFORM]},
                    "validate": _validate(
                        mode,
                        "securityContext.readOnlyRootFilesystem must be true; mount an emptyDir where the app writes (K8S-08).",
                        pattern=_each_container({"securityContext": {"readOnlyRootFilesystem": True}}),
                    ),
                }
            ],
        ),
        _policy(
            "disallow-secret-env-values",
            "Secret-looking environment variables come from secretKeyRef or files, never literal values (SEC-05).",
            [
                {
                    "name": f"no-literal-secret-env-{kind.lower()}",
                    "match": _match("Pod"),
                    "exclude": {"any": [_EXCLUDE_PLATFORM]},
                    "validate": _validate(
                        mode,
                        "{{ element.name }} looks like a secret: use valueFrom.secretKeyRef or a mounted file (SEC-05).",
                        foreach=[
                            {
                                "list": f"request.object.spec.{kind}[].env[] || `[]`",
                                "deny": {
                                    "conditions": {
                                        "all": [
                                            {
                                                "key": f"{{{{ regex_match('{SECRET_ENV_NAME}', element.name) }}}}",
                                                "operator": "Equals",
                                                "value": True,
                                            },
                                            {"key": "{{ element.value || '' }}", "operator": "NotEquals", "value": ""},
                                        ]
                                    }
                                },
                            }
                        ],
                    ),
                }
                for kind in ("containers", "initContainers")
            ],
        ),
    ]
    if availability:
        policies += _availability_policies(mode, max_replicas)
    return policies


def _registry_pattern(registry: Any) -> Any:
    if isinstance(registry, str):
        return f"{registry}/*"
    return registry.apply(lambda r: f"{r}/*")  # a Pulumi Output


def _availability_policies(mode: str, max_replicas: int) -> list[Manifest]:
    deployments = {
        "any": [{"resources": {"kinds": ["Deployment"], **_TENANT_PODS}}],
    }
    not_custom = {
        "any": [_EXCLUDE_PLATFORM, {"resources": {"selector": {"matchLabels": {CUSTOM_HPA_LABEL: "custom"}}}}]
    }
    target = "{{request.object.metadata.name}}"
    return [
        _policy(
            "require-hpa-min-replicas",
            "HorizontalPodAutoscalers keep at least two replicas (K8S-09).",
            [
                {
                    "name": "min-replicas",
                    "match": _match("HorizontalPodAutoscaler"),
                    "exclude": {"any": [_EXCLUDE_PLATFORM]},
                    "validate": _validate(
                        mode, "spec.minReplicas must be 2 or more (K8S-09).", pattern={"spec": {"minReplicas": ">=2"}}
                    ),
                }
            ],
        ),
        _policy(
            "generate-hpa",
            "Every Deployment gets an HPA: min 2 replicas, CPU 70 %, memory 80 % (K8S-09). "
            f"Label a Deployment {CUSTOM_HPA_LABEL}=custom to ship your own instead.",
            [
                {
                    "name": "hpa-for-deployment",
                    "match": deployments,
                    "exclude": not_custom,
                    "generate": {
                        "apiVersion": "autoscaling/v2",
                        "kind": "HorizontalPodAutoscaler",
                        "name": target,
                        "namespace": "{{request.object.metadata.namespace}}",
                        "synchronize": True,
                        "generateExisting": True,
                        "data": {
                            "metadata": {"labels": labels()},
                            "spec": {
                                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                                "minReplicas": 2,
                                "maxReplicas": (
                                    f'{{{{ to_number(request.object.metadata.annotations."{MAX_REPLICAS_ANNOTATION}"'
                                    f" || '{max_replicas}') }}}}"
                                ),
                                "metrics": [
                                    _utilization("cpu", 70),
                                    _utilization("memory", 80),
                                ],
                            },
                        },
                    },
                }
            ],
        ),
        _policy(
            "generate-pdb",
            "Every Deployment gets a PodDisruptionBudget allowing one pod down at a time (K8S-09).",
            [
                {
                    "name": "pdb-for-deployment",
                    "match": deployments,
                    "exclude": {"any": [_EXCLUDE_PLATFORM]},
                    "generate": {
                        "apiVersion": "policy/v1",
                        "kind": "PodDisruptionBudget",
                        "name": target,
                        "namespace": "{{request.object.metadata.namespace}}",
                        "synchronize": True,
                        "generateExisting": True,
                        "data": {
                            "metadata": {"labels": labels()},
                            "spec": {
                                "maxUnavailable": 1,
                                "selector": {"matchLabels": "{{request.object.spec.selector.matchLabels}}"},
                            },
                        },
                    },
                }
            ],
        ),
    ]


def _utilization(resource: str, percent: int) -> dict[str, Any]:
    return {
        "type": "Resource",
        "resource": {"name": resource, "target": {"type": "Utilization", "averageUtilization": percent}},
    }


def kyverno_generate_rbac() -> Manifest:
    """Kyverno's controllers may manage the HPAs and PDBs the generate policies create."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {
            "name": "groundwork:kyverno:generate-availability",
            "labels": labels(
                **{
                    "rbac.kyverno.io/aggregate-to-background-controller": "true",
                    "rbac.kyverno.io/aggregate-to-admission-controller": "true",
                }
            ),
        },
        "rules": [
            {
                "apiGroups": ["autoscaling"],
                "resources": ["horizontalpodautoscalers"],
                "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"],
            },
            {
                "apiGroups": ["policy"],
                "resources": ["poddisruptionbudgets"],
                "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"],
            },
        ],
    }


# ---------------------------------------------------------------------------------------------
# External Secrets (SEC-04)
# ---------------------------------------------------------------------------------------------


def cluster_secret_store(name: str, *, region: str, role_arn: Any, namespaces: Iterable[str]) -> Manifest:
    """A store usable only from `namespaces`, reading Secrets Manager as `role_arn` (assumed by the
    controller), so one team's ExternalSecrets can never read another team's secrets."""
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ClusterSecretStore",
        "metadata": {"name": name, "labels": labels()},
        "spec": {
            "provider": {"aws": {"service": "SecretsManager", "region": region, "role": role_arn}},
            "conditions": [{"namespaces": sorted(namespaces)}],
        },
    }


def external_secret(
    name: str,
    namespace: str,
    *,
    store: str,
    key: Any,  # a Secrets Manager name or ARN (may be an Output)
    refresh: str,
    template: dict[str, Any] | None = None,
    extra_labels: dict[str, str] | None = None,
) -> Manifest:
    """Materialise every key of the JSON secret `key` as a Kubernetes Secret `name`."""
    target: dict[str, Any] = {"name": name, "creationPolicy": "Owner", "deletionPolicy": "Retain"}
    if template:
        target["template"] = template
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": name, "namespace": namespace, "labels": labels(**(extra_labels or {}))},
        "spec": {
            "refreshInterval": refresh,
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": store},
            "target": target,
            "dataFrom": [{"extract": {"key": key}}],
        },
    }


# ---------------------------------------------------------------------------------------------
# Ingress (K8S-11, NET-10)
# ---------------------------------------------------------------------------------------------

ALB_CONTROLLER = "ingress.k8s.aws/alb"


def ingress_class(name: str) -> Manifest:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {
            "name": name,
            "labels": labels(),
            "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"},
        },
        "spec": {
            "controller": ALB_CONTROLLER,
            "parameters": {"apiGroup": "elbv2.k8s.aws", "kind": "IngressClassParams", "name": name},
        },
    }


def ingress_class_params(
    name: str,
    *,
    group: str,
    scheme: str,
    certificate_arn: Any | None,
    ssl_policy: str,
    inbound_cidrs: Sequence[str],
    waf_acl_arn: Any | None,
    deletion_protection: bool,
    tags: dict[str, str],
    namespaces: Iterable[str],
) -> Manifest:
    """One ALB for the stack (an IngressGroup), TLS 1.2+ with the ACM certificate, HTTP redirected
    to HTTPS, the WAF web ACL, and only team namespaces may use it."""
    attributes = {
        "routing.http.drop_invalid_header_fields.enabled": "true",
        "routing.http.desync_mitigation_mode": "strictest",
        "deletion_protection.enabled": str(deletion_protection).lower(),
        "idle_timeout.timeout_seconds": "60",
    }
    spec: dict[str, Any] = {
        "group": {"name": group},
        "scheme": scheme,
        "ipAddressType": "ipv4",
        "targetType": "ip",
        "inboundCIDRs": list(inbound_cidrs),
        "loadBalancerAttributes": [{"key": k, "value": v} for k, v in attributes.items()],
        "tags": [{"key": k, "value": v} for k, v in sorted(tags.items())],
        "namespaceSelector": {
            "matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In", "values": sorted(namespaces)}]
        },
    }
    if certificate_arn:
        spec.update(certificateArn=[certificate_arn], sslPolicy=ssl_policy, sslRedirectPort="443")
    if waf_acl_arn is not None:
        spec["wafv2AclArn"] = waf_acl_arn
    return {
        "apiVersion": "elbv2.k8s.aws/v1beta1",
        "kind": "IngressClassParams",
        "metadata": {"name": name, "labels": labels()},
        "spec": spec,
    }


def service_ingress(
    service: str,
    namespace: str,
    *,
    port: int,
    path: str,
    health_check_path: str,
    ingress_class_name: str,
    host: str | None,
    https: bool,
) -> Manifest:
    listen = [{"HTTP": 80}, {"HTTPS": 443}] if https else [{"HTTP": 80}]
    annotations = {
        "alb.ingress.kubernetes.io/listen-ports": json.dumps(listen),
        "alb.ingress.kubernetes.io/healthcheck-path": health_check_path,
        "alb.ingress.kubernetes.io/target-type": "ip",
    }
    if https:
        annotations["alb.ingress.kubernetes.io/ssl-redirect"] = "443"
    rule: dict[str, Any] = {
        "http": {
            "paths": [
                {
                    "path": path,
                    "pathType": "Prefix",
                    "backend": {"service": {"name": service, "port": {"number": port}}},
                }
            ]
        }
    }
    if host:
        rule["host"] = host
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": service,
            "namespace": namespace,
            "labels": labels(**{APP_LABEL: service}),
            "annotations": annotations,
        },
        "spec": {"ingressClassName": ingress_class_name, "rules": [rule]},
    }


# ---------------------------------------------------------------------------------------------
# Argo CD (GIT-02, GIT-03)
# ---------------------------------------------------------------------------------------------

OWNED_BY_THE_PROGRAM = [
    {"group": "", "kind": "ResourceQuota"},
    {"group": "", "kind": "LimitRange"},
    {"group": "networking.k8s.io", "kind": "NetworkPolicy"},
    {"group": "external-secrets.io", "kind": "SecretStore"},
]


def app_project(environment: str, *, namespace: str, repos: Iterable[str], teams: Iterable[str]) -> Manifest:
    """The environment's AppProject: named repositories, the team namespaces of this cluster,
    no cluster-scoped kinds, and none of the kinds the program owns."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": environment, "namespace": namespace, "labels": labels()},
        "spec": {
            "description": f"Services of the {environment} environment (generated by Groundwork)",
            "sourceRepos": sorted(set(repos)),
            "destinations": [{"server": IN_CLUSTER, "namespace": t} for t in sorted(set(teams))],
            "clusterResourceWhitelist": [],
            "namespaceResourceBlacklist": OWNED_BY_THE_PROGRAM,
            "orphanedResources": {"warn": True},
        },
    }


def application(
    service: str,
    *,
    namespace: str,
    project: str,
    team: str,
    repo_url: str,
    path: str,
    revision: str,
    auto_sync: bool,
    hpa_owns_replicas: bool,
) -> Manifest:
    sync: dict[str, Any] = {
        "syncOptions": ["CreateNamespace=false", "PruneLast=true", "PrunePropagationPolicy=foreground"],
        "retry": {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}},
    }
    if auto_sync:
        sync["automated"] = {"prune": True, "selfHeal": True}
    spec: dict[str, Any] = {
        "project": project,
        "source": {"repoURL": repo_url, "targetRevision": revision, "path": path},
        "destination": {"server": IN_CLUSTER, "namespace": team},
        "syncPolicy": sync,
        "revisionHistoryLimit": 10,
    }
    if hpa_owns_replicas:
        spec["ignoreDifferences"] = [{"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": service,
            "namespace": namespace,
            "labels": labels(**{TEAM_LABEL: team, APP_LABEL: service}),
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        "spec": spec,
    }


def manifest_path(template: str, *, service: str, team: str, environment: str) -> str:
    return template.replace("{service}", service).replace("{team}", team).replace("{environment}", environment)


# ---------------------------------------------------------------------------------------------
# Observability (OBS-01..03)
# ---------------------------------------------------------------------------------------------

MONITORING = "monitoring"


def service_monitor(
    service: str,
    namespace: str,
    *,
    port_name: str,
    path: str,
    interval: str,
    extra_labels: dict[str, str] | None = None,
) -> Manifest:
    """Scrape the Service labelled `app.kubernetes.io/name: <service>`; its series get job=<service>."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": service, "namespace": namespace, "labels": labels(**(extra_labels or {}))},
        "spec": {
            "jobLabel": APP_LABEL,
            "selector": {"matchLabels": {APP_LABEL: service}},
            "endpoints": [{"port": port_name, "path": path, "interval": interval, "scheme": "http"}],
        },
    }


def prometheus_rule(name: str, groups: list[dict[str, Any]]) -> Manifest:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": name, "namespace": MONITORING, "labels": labels()},
        "spec": {"groups": groups},
    }


def dashboard_config_map(name: str, dashboard: dict[str, Any]) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"dashboard-{name}",
            "namespace": MONITORING,
            "labels": labels(grafana_dashboard="1"),
            "annotations": {"grafana_folder": "Groundwork"},
        },
        "data": {f"{name}.json": json.dumps(dashboard, indent=1, sort_keys=True)},
    }


@dataclass(frozen=True)
class Exporter:
    name: str
    image: Any  # pinned, from the stack's registry (pull-through cache)
    port: int
    env: Sequence[dict[str, Any]]
    health_path: str = "/"
    args: Sequence[str] = ()


def exporter(e: Exporter) -> list[Manifest]:
    """Deployment, Service and ServiceMonitor of a metrics exporter in `monitoring`, held to the
    same workload rules as the services (non-root, read-only root, probes, requests/limits)."""
    pod_labels = labels(**{APP_LABEL: e.name})
    container: dict[str, Any] = {
        "name": e.name,
        "image": e.image,
        "ports": [{"name": "metrics", "containerPort": e.port}],
        "env": list(e.env),
        "resources": {"requests": {"cpu": "20m", "memory": "32Mi"}, "limits": {"memory": "128Mi"}},
        "livenessProbe": {"httpGet": {"path": e.health_path, "port": "metrics"}, "periodSeconds": 30},
        "readinessProbe": {"httpGet": {"path": e.health_path, "port": "metrics"}, "periodSeconds": 15},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    if e.args:
        container["args"] = list(e.args)
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": e.name, "namespace": MONITORING, "labels": pod_labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {APP_LABEL: e.name}},
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 65534,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [container],
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": e.name, "namespace": MONITORING, "labels": pod_labels},
        "spec": {
            "selector": {APP_LABEL: e.name},
            "ports": [{"name": "metrics", "port": e.port, "targetPort": "metrics"}],
        },
    }
    return [
        deployment,
        service,
        service_monitor(e.name, MONITORING, port_name="metrics", path="/metrics", interval="30s"),
    ]


def blackbox_probe(name: str, *, prober: str, targets: Sequence[str], interval: str = "60s") -> Manifest:
    """Probe `targets` over HTTPS through the blackbox exporter (TLS expiry, availability)."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "Probe",
        "metadata": {"name": name, "namespace": MONITORING, "labels": labels()},
        "spec": {
            "jobName": name,
            "interval": interval,
            "module": "http_2xx",
            "prober": {"url": prober, "path": "/probe"},
            "targets": {"staticConfig": {"static": list(targets)}},
        },
    }
