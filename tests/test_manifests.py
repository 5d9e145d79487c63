"""groundwork.manifests on its own: the objects whose exact content the cluster acts on,
written out here so that a changed label, port or selector fails a test (issue 18). The
components' tests check that each is applied where it belongs; the plan-based tests
(test_platform.py, test_admission.py) validate them against the upstream schemas."""

from __future__ import annotations

from typing import Any

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


NETWORK = m.Network(
    load_balancer_cidrs=("10.0.0.0/24", "10.0.1.0/24"),
    data_cidrs=("10.0.200.0/24",),
    extra_egress=(m.otlp_egress(),),
)
ORDERS = m.Workload(
    "orders", "shop", 8080, 9090, database=True, cache=True, https_egress=True, exposed=True, calls=("cart",)
)
CART = m.Workload("cart", "billing", 8081, 8081)
WEB = m.Workload("web", "shop", 3000, 3000, exposed=True, calls=("orders",))


def _ns(name: str) -> dict[str, object]:
    return {"matchLabels": {"kubernetes.io/metadata.name": name}}


def _app(name: str) -> dict[str, object]:
    return {"matchLabels": {"app.kubernetes.io/name": name}}


def test_network_policies_deny_by_default_and_open_exactly_the_declared_paths() -> None:
    """K8S-03: default deny both ways; DNS to CoreDNS (EKS labels its pods `k8s-app: kube-dns`
    in kube-system); per service, ingress from the load balancer's subnets when exposed, from
    its callers and from `monitoring` on the metrics port; egress to its callees, to the data
    subnets on the ports it uses, HTTPS anywhere only when asked, and the platform's extras.
    A service in another team is left to that team's namespace."""
    policies = {p["metadata"]["name"]: p for p in m.network_policies("shop", [WEB, ORDERS, CART], NETWORK)}
    assert list(policies) == [
        "default-deny",
        "allow-dns",
        "orders-ingress",
        "orders-egress",
        "web-ingress",
        "web-egress",
    ]
    for p in policies.values():
        assert p["apiVersion"] == "networking.k8s.io/v1" and p["kind"] == "NetworkPolicy"
        assert p["metadata"]["namespace"] == "shop" and p["metadata"]["labels"] == m.labels()
    assert policies["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert policies["allow-dns"]["spec"] == {
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [
            {
                "to": [
                    {"namespaceSelector": _ns("kube-system"), "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}
                ],
                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
            }
        ],
    }
    assert policies["orders-ingress"]["spec"] == {
        "podSelector": _app("orders"),
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [{"ipBlock": {"cidr": "10.0.0.0/24"}}, {"ipBlock": {"cidr": "10.0.1.0/24"}}],
                "ports": [{"protocol": "TCP", "port": 8080}],
            },
            {
                "from": [{"namespaceSelector": _ns("shop"), "podSelector": _app("web")}],
                "ports": [{"protocol": "TCP", "port": 8080}],
            },
            {"from": [{"namespaceSelector": _ns("monitoring")}], "ports": [{"protocol": "TCP", "port": 9090}]},
        ],
    }
    assert policies["orders-egress"]["spec"] == {
        "podSelector": _app("orders"),
        "policyTypes": ["Egress"],
        "egress": [
            {
                "to": [{"namespaceSelector": _ns("billing"), "podSelector": _app("cart")}],
                "ports": [{"protocol": "TCP", "port": 8081}],
            },
            {
                "to": [{"ipBlock": {"cidr": "10.0.200.0/24"}}],
                "ports": [{"protocol": "TCP", "port": 5432}, {"protocol": "TCP", "port": 6379}],
            },
            {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 443}]},
            m.otlp_egress(),
        ],
    }
    # web: no data stores, no HTTPS; its only egress is its callee and the collector
    assert policies["web-egress"]["spec"]["egress"] == [
        {
            "to": [{"namespaceSelector": _ns("shop"), "podSelector": _app("orders")}],
            "ports": [{"protocol": "TCP", "port": 8080}],
        },
        m.otlp_egress(),
    ]


def test_a_service_that_calls_nothing_gets_no_egress_policy_and_ports_are_listed_once() -> None:
    """Nothing to allow, no policy (default deny holds); a metrics port equal to the service
    port is one entry; the data ports only for the stores the service uses."""
    lone = m.Workload("lone", "shop", 8080, 8080)
    policies = {
        p["metadata"]["name"]: p
        for p in m.network_policies("shop", [lone], m.Network(("10.0.0.0/24",), ("10.0.200.0/24",)))
    }
    assert list(policies) == ["default-deny", "allow-dns", "lone-ingress"]
    assert policies["lone-ingress"]["spec"]["ingress"] == [
        {"from": [{"namespaceSelector": _ns("monitoring")}], "ports": [{"protocol": "TCP", "port": 8080}]}
    ]
    cache_only = m.Workload("c", "shop", 8080, 8080, cache=True)
    egress = m.network_policies("shop", [cache_only], m.Network((), ("10.0.200.0/24",)))[-1]["spec"]["egress"]
    assert egress == [{"to": [{"ipBlock": {"cidr": "10.0.200.0/24"}}], "ports": [{"protocol": "TCP", "port": 6379}]}]
    assert m.Network((), ()).database_port == 5432 and m.Network((), ()).monitoring_namespace == "monitoring"


REGISTRY = "111111111111.dkr.ecr.eu-west-1.amazonaws.com"
TENANT_PODS = {"namespaceSelector": {"matchLabels": {"groundwork.io/tenant": "true"}}}
PLATFORM = {"resources": {"namespaces": list(m.PLATFORM_NAMESPACES)}}


def _rules(policies: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for p in policies for r in p["spec"]["rules"]}


def test_admission_policies_judge_tenant_pods_only_in_the_tiers_mode() -> None:
    """Each ClusterPolicy (kyverno.io/v1) validates new objects and reports on existing ones
    (`admission`, `background`); it matches Pods in namespaces labelled tenant, leaves the
    platform's namespaces out, and fails in the stack's mode (`failureAction`, the per-rule
    field of the pinned chart's CRD, schemas/crds/kyverno). Its title, category and controls
    are annotations that Policy Reports show."""
    policies = m.admission_policies(mode="Enforce", registry=REGISTRY, availability=False, max_replicas=5)
    assert [p["metadata"]["name"] for p in policies] == [
        "require-requests-limits",
        "require-probes",
        "disallow-latest-tag",
        "restrict-image-registries",
        "require-ro-rootfs",
        "disallow-secret-env-values",
    ]
    for p in policies:
        assert p["apiVersion"] == "kyverno.io/v1" and p["kind"] == "ClusterPolicy"
        assert p["spec"]["background"] is True and p["spec"]["admission"] is True
        notes = p["metadata"]["annotations"]
        assert notes["policies.kyverno.io/category"] == "Groundwork guardrails"
        assert notes["groundwork.io/controls"] == ",".join(m.ADMISSION_POLICIES[p["metadata"]["name"]][0])
        for rule in p["spec"]["rules"]:
            assert rule["match"] == {"any": [{"resources": {"kinds": ["Pod"], **TENANT_PODS}}]}
            assert rule["exclude"]["any"][0] == PLATFORM
            assert rule["validate"]["failureAction"] == "Enforce"
    assert policies[0]["metadata"]["annotations"]["policies.kyverno.io/title"] == "Require requests limits"
    audit = m.admission_policies(mode="Audit", registry=REGISTRY, availability=False, max_replicas=5)
    assert {r["validate"]["failureAction"] for r in _rules(audit).values()} == {"Audit"}


def test_admission_policy_patterns() -> None:
    """Kyverno pattern syntax (Kyverno docs, "Validate Rules: Patterns" and "Anchors"): `?*`
    any non-empty value, `*:*` an image with a tag or digest, `!*:latest` not `:latest`, `>0`
    a probe that is set; `=(initContainers)` applies the same pattern to init containers where
    there are any. Probes are not required of Job pods (the Job controller labels them
    `batch.kubernetes.io/job-name`), and the probe rule is generated for Deployments,
    StatefulSets and DaemonSets only (autogen), not for Jobs and CronJobs."""
    policies = m.admission_policies(mode="Enforce", registry=REGISTRY, availability=False, max_replicas=5)
    rules = _rules(policies)

    def each(pattern: dict[str, Any]) -> dict[str, Any]:
        return {"spec": {"containers": [pattern], "=(initContainers)": [pattern]}}

    assert rules["requests-and-memory-limit"]["validate"]["pattern"] == each(
        {"resources": {"requests": {"cpu": "?*", "memory": "?*"}, "limits": {"memory": "?*"}}}
    )
    assert rules["require-tag"]["validate"]["pattern"] == each({"image": "*:*"})
    assert rules["no-latest"]["validate"]["pattern"] == each({"image": "!*:latest"})
    assert rules["project-registry"]["validate"]["pattern"] == each({"image": f"{REGISTRY}/*"})
    assert rules["read-only-root-filesystem"]["validate"]["pattern"] == each(
        {"securityContext": {"readOnlyRootFilesystem": True}}
    )
    probes = rules["liveness-and-readiness"]
    assert probes["validate"]["pattern"] == {
        "spec": {"containers": [{"livenessProbe": {"periodSeconds": ">0"}, "readinessProbe": {"periodSeconds": ">0"}}]}
    }
    assert probes["exclude"] == {
        "any": [
            PLATFORM,
            {
                "resources": {
                    "selector": {"matchExpressions": [{"key": "batch.kubernetes.io/job-name", "operator": "Exists"}]}
                }
            },
        ]
    }
    autogen = {
        p["metadata"]["name"]: p["metadata"]["annotations"].get("pod-policies.kyverno.io/autogen-controllers")
        for p in policies
    }
    assert autogen == {
        "require-requests-limits": None,
        "require-probes": "Deployment,StatefulSet,DaemonSet",
        "disallow-latest-tag": None,
        "restrict-image-registries": None,
        "require-ro-rootfs": None,
        "disallow-secret-env-values": None,
    }
    for kind in ("containers", "initContainers"):
        (each_env,) = rules[f"no-literal-secret-env-{kind.lower()}"]["validate"]["foreach"]
        assert each_env["list"] == f"request.object.spec.{kind}[].env[] || `[]`"
        # deny a literal value of a variable whose name looks like a secret
        assert each_env["deny"]["conditions"]["all"][0] == {
            "key": "{{ regex_match('" + m.SECRET_ENV_NAME + "', element.name) }}",
            "operator": "Equals",
            "value": True,
        }
        assert each_env["deny"]["conditions"]["all"][1] == {
            "key": "{{ element.value || '' }}",
            "operator": "NotEquals",
            "value": "",
        }


def test_availability_generates_an_hpa_and_a_pdb_for_every_deployment() -> None:
    """K8S-09 with `availability`: HPAs below two replicas are refused; every tenant Deployment
    gets an autoscaling/v2 HPA (2 to the annotation's or the stack's maximum, CPU 70 %, memory
    80 %) unless labelled to ship its own, and a policy/v1 PDB with maxUnavailable 1 on the
    Deployment's own selector; both kept in sync and made for Deployments that already exist."""
    policies = m.admission_policies(mode="Enforce", registry=REGISTRY, availability=True, max_replicas=12)
    rules = _rules(policies)
    assert rules["min-replicas"]["match"]["any"][0]["resources"]["kinds"] == ["HorizontalPodAutoscaler"]
    assert rules["min-replicas"]["validate"]["pattern"] == {"spec": {"minReplicas": ">=2"}}
    hpa, pdb = rules["hpa-for-deployment"], rules["pdb-for-deployment"]
    for rule in (hpa, pdb):
        assert rule["match"] == {"any": [{"resources": {"kinds": ["Deployment"], **TENANT_PODS}}]}
        assert rule["generate"]["synchronize"] is True and rule["generate"]["generateExisting"] is True
        assert rule["generate"]["name"] == "{{request.object.metadata.name}}"
    assert hpa["exclude"] == {
        "any": [PLATFORM, {"resources": {"selector": {"matchLabels": {"groundwork.io/hpa": "custom"}}}}]
    }
    assert hpa["generate"]["data"]["spec"] == {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "{{request.object.metadata.name}}"},
        "minReplicas": 2,
        "maxReplicas": "{{ to_number(request.object.metadata.annotations.\"groundwork.io/max-replicas\" || '12') }}",
        "metrics": [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
            },
            {
                "type": "Resource",
                "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": 80}},
            },
        ],
    }
    assert (hpa["generate"]["apiVersion"], hpa["generate"]["kind"]) == ("autoscaling/v2", "HorizontalPodAutoscaler")
    assert (pdb["generate"]["apiVersion"], pdb["generate"]["kind"]) == ("policy/v1", "PodDisruptionBudget")
    assert pdb["generate"]["data"]["spec"] == {
        "maxUnavailable": 1,
        "selector": {"matchLabels": "{{request.object.spec.selector.matchLabels}}"},
    }


def test_manifest_paths_fill_every_placeholder() -> None:
    assert (
        m.manifest_path(
            "deploy/{team}/{service}/{environment}/{service}", service="orders", team="shop", environment="prod"
        )
        == "deploy/shop/orders/prod/orders"
    )


# The IngressClassParams spec fields this project sets and their types, as the CRD of the pinned
# controller declares them (aws/eks-charts commit 5239609, "aws-load-balancer-controller: v3.5.0",
# stable/aws-load-balancer-controller/crds/crds.yaml, ingressclassparams.elbv2.k8s.aws v1beta1).
CLASS_PARAMS_FIELDS: dict[str, type | tuple[str, ...]] = {
    "group": dict,
    "scheme": ("internal", "internet-facing"),
    "ipAddressType": ("ipv4", "dualstack", "dualstack-without-public-ipv4"),
    "targetType": ("instance", "ip"),
    "inboundCIDRs": list,
    "loadBalancerAttributes": list,
    "tags": list,
    "namespaceSelector": dict,
    "certificateArn": list,  # a list of ARNs, not one string
    "sslPolicy": str,
    "sslRedirectPort": str,  # a string, not a number
    "wafv2AclArn": str,
}


def _params(certificate: str | None, waf: str | None) -> dict[str, Any]:
    return m.ingress_class_params(
        "groundwork",
        group="groundwork-prod",
        scheme="internet-facing",
        certificate_arn=certificate,
        ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06",
        inbound_cidrs=["0.0.0.0/0"],
        waf_acl_arn=waf,
        deletion_protection=True,
        tags={"b": "2", "a": "1"},
        namespaces=["shop", "billing"],
    )


def test_the_shared_alb_terminates_tls_redirects_http_and_admits_only_team_namespaces() -> None:
    """One IngressGroup for the stack, IP targets (pods, through the VPC CNI), TLS with the
    ACM certificate and HTTP redirected to 443, the WAF ACL when there is one; invalid header
    fields dropped and the strictest desync mitigation (Elastic Load Balancing User Guide,
    "Application Load Balancer attributes"); only the team namespaces may join the group."""
    params = _params(
        "arn:aws:acm:eu-west-1:111111111111:certificate/abc", "arn:aws:wafv2:eu-west-1:111111111111:regional/webacl/x/y"
    )
    assert (params["apiVersion"], params["kind"]) == ("elbv2.k8s.aws/v1beta1", "IngressClassParams")
    spec = params["spec"]
    assert spec == {
        "group": {"name": "groundwork-prod"},
        "scheme": "internet-facing",
        "ipAddressType": "ipv4",
        "targetType": "ip",
        "inboundCIDRs": ["0.0.0.0/0"],
        "loadBalancerAttributes": [
            {"key": "routing.http.drop_invalid_header_fields.enabled", "value": "true"},
            {"key": "routing.http.desync_mitigation_mode", "value": "strictest"},
            {"key": "deletion_protection.enabled", "value": "true"},
            {"key": "idle_timeout.timeout_seconds", "value": "60"},
        ],
        "tags": [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}],
        "namespaceSelector": {
            "matchExpressions": [
                {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["billing", "shop"]}
            ]
        },
        "certificateArn": ["arn:aws:acm:eu-west-1:111111111111:certificate/abc"],
        "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "sslRedirectPort": "443",
        "wafv2AclArn": "arn:aws:wafv2:eu-west-1:111111111111:regional/webacl/x/y",
    }
    for key, value in spec.items():
        allowed = CLASS_PARAMS_FIELDS[key]
        assert value in allowed if isinstance(allowed, tuple) else isinstance(value, allowed), key
    plain = _params(None, None)["spec"]
    assert not {"certificateArn", "sslPolicy", "sslRedirectPort", "wafv2AclArn"} & set(plain)
    assert {"key": "deletion_protection.enabled", "value": "false"} in m.ingress_class_params(
        "g",
        group="g",
        scheme="internal",
        certificate_arn=None,
        ssl_policy="p",
        inbound_cidrs=[],
        waf_acl_arn=None,
        deletion_protection=False,
        tags={},
        namespaces=[],
    )["spec"]["loadBalancerAttributes"]


class _Later:
    """Stands for a Pulumi Output: the registry host is known only once the registry exists."""

    def apply(self, fn: Any) -> str:
        return str(fn("111111111111.dkr.ecr.eu-west-1.amazonaws.com/groundwork-prod"))


def test_the_registry_pattern_waits_for_the_registry_host() -> None:
    rules = _rules(m.admission_policies(mode="Enforce", registry=_Later(), availability=False, max_replicas=2))
    assert rules["project-registry"]["validate"]["pattern"]["spec"]["containers"] == [
        {"image": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/groundwork-prod/*"}
    ]


def test_an_application_syncs_its_service_into_its_team_and_leaves_replicas_to_the_hpa() -> None:
    """Argo CD Application fields (argo-cd docs, "Declarative Setup" and "Sync Options"): the
    namespace is the program's, never created by Argo CD; pruning last and in the foreground;
    automated sync with prune and self-heal only where the stack asks; ten revisions of history;
    the replica count ignored where the generated HPA owns it (otherwise every sync would undo
    the autoscaler)."""
    app = m.application(
        "orders",
        namespace="argocd",
        project="prod",
        team="shop",
        repo_url="https://github.com/example-org/orders.git",
        path="deploy/prod",
        revision="main",
        auto_sync=True,
        hpa_owns_replicas=True,
    )
    spec = app["spec"]
    assert spec["destination"] == {"server": "https://kubernetes.default.svc", "namespace": "shop"}
    assert spec["syncPolicy"] == {
        "syncOptions": ["CreateNamespace=false", "PruneLast=true", "PrunePropagationPolicy=foreground"],
        "retry": {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}},
        "automated": {"prune": True, "selfHeal": True},
    }
    assert spec["revisionHistoryLimit"] == 10
    assert spec["ignoreDifferences"] == [{"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}]
    manual = m.application(
        "orders",
        namespace="argocd",
        project="prod",
        team="shop",
        repo_url="r",
        path="p",
        revision="main",
        auto_sync=False,
        hpa_owns_replicas=False,
    )["spec"]
    assert "automated" not in manual["syncPolicy"] and "ignoreDifferences" not in manual


def test_a_service_ingress_joins_the_shared_alb_on_its_listeners() -> None:
    """Load balancer controller annotations (kubernetes-sigs/aws-load-balancer-controller docs,
    "Ingress annotations"): listen-ports is a JSON list, HTTPS only with a certificate and then
    HTTP redirected to 443; IP targets; the health check path the service names."""
    tls = m.service_ingress(
        "orders",
        "shop",
        port=8080,
        path="/orders",
        health_check_path="/healthz",
        ingress_class_name="groundwork",
        host="api.example.com",
        https=True,
    )
    assert tls["metadata"]["annotations"] == {
        "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
        "alb.ingress.kubernetes.io/healthcheck-path": "/healthz",
        "alb.ingress.kubernetes.io/target-type": "ip",
        "alb.ingress.kubernetes.io/ssl-redirect": "443",
    }
    assert tls["spec"] == {
        "ingressClassName": "groundwork",
        "rules": [
            {
                "host": "api.example.com",
                "http": {
                    "paths": [
                        {
                            "path": "/orders",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": "orders", "port": {"number": 8080}}},
                        }
                    ]
                },
            }
        ],
    }
    plain = m.service_ingress(
        "orders", "shop", port=8080, path="/", health_check_path="/", ingress_class_name="g", host=None, https=False
    )
    assert plain["metadata"]["annotations"]["alb.ingress.kubernetes.io/listen-ports"] == '[{"HTTP": 80}]'
    assert "alb.ingress.kubernetes.io/ssl-redirect" not in plain["metadata"]["annotations"]
    assert "host" not in plain["spec"]["rules"][0]


def test_a_dashboard_is_a_configmap_the_grafana_sidecar_loads_into_its_folder() -> None:
    cm = m.dashboard_config_map("slo", {"title": "SLO", "panels": [{"id": 1}]})
    assert cm["metadata"]["name"] == "dashboard-slo" and cm["metadata"]["namespace"] == "monitoring"
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert cm["metadata"]["annotations"] == {"grafana_folder": "Groundwork"}
    assert cm["data"] == {"slo.json": '{\n "panels": [\n  {\n   "id": 1\n  }\n ],\n "title": "SLO"\n}'}


def test_an_exporter_runs_as_a_restricted_pod_with_probes_on_its_metrics_port() -> None:
    """The exporters meet Pod Security `restricted` (non-root as nobody, 65534; no privilege
    escalation; all capabilities dropped; RuntimeDefault seccomp) and the workload rules the
    services meet (read-only root, requests and a memory limit, probes), one replica each."""
    deployment, service, monitor = m.exporter(m.Exporter("x-exporter", "img:1", 9999, env=[], health_path="/h"))
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert deployment["spec"]["replicas"] == 1 and pod["automountServiceAccountToken"] is False
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 65534,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert container["livenessProbe"] == {"httpGet": {"path": "/h", "port": "metrics"}, "periodSeconds": 30}
    assert container["readinessProbe"] == {"httpGet": {"path": "/h", "port": "metrics"}, "periodSeconds": 15}
    assert container["resources"] == {"requests": {"cpu": "20m", "memory": "32Mi"}, "limits": {"memory": "128Mi"}}
    assert "args" not in container
    assert m.exporter(m.Exporter("y", "img:1", 1, env=[], args=["--a"]))[0]["spec"]["template"]["spec"]["containers"][
        0
    ]["args"] == ["--a"]
    assert service["spec"]["ports"] == [{"name": "metrics", "port": 9999, "targetPort": "metrics"}]
    assert monitor == m.service_monitor(
        "x-exporter", "monitoring", port_name="metrics", path="/metrics", interval="30s"
    )


def test_the_project_warns_of_orphans_and_keeps_the_programs_kinds() -> None:
    project = m.app_project("prod", namespace="argocd", repos=["r2", "r1", "r1"], teams=["shop", "billing"])
    assert project["spec"]["orphanedResources"] == {"warn": True}
    assert project["spec"]["sourceRepos"] == ["r1", "r2"] and project["spec"]["clusterResourceWhitelist"] == []
    assert [d["namespace"] for d in project["spec"]["destinations"]] == ["billing", "shop"]
    assert {"group": "networking.k8s.io", "kind": "NetworkPolicy"} in project["spec"]["namespaceResourceBlacklist"]
