"""The capacity model pod by pod: what each chart renders for given values at its pinned version,
what each EKS add-on and workload adds, and how many pods the node groups take.

Each default below was read from the chart at the version `capacity.MODELLED_CHARTS` names (the
citations are in policies/groundwork_policies/capacity.py); a value the program sets is read,
a value missing takes the chart's default, and an unknown value counts as no pod.
"""

from __future__ import annotations

import json
from typing import Any

import groundwork_policies.capacity as capacity
import pytest
from groundwork_policies.core import Graph

from tests.policies.harness import UNKNOWN_STRING, Fx, World, run_stack, stack_args

POLICY = "aws-eks-node-groups-fit-platform-pods"


def _world(*fxs: Fx) -> World:
    return World({f.name: f for f in fxs}, services=[])


def pods(*fxs: Fx) -> capacity.Pods:
    return capacity.platform_pods(Graph.from_args(stack_args(_world(*fxs))))


def release(chart: str, values: Any) -> Fx:
    return Fx(capacity.RELEASE, chart, {"chart": chart, "version": "1", "values": values}, provider=None)


def addon(name: str, conf: Any = None) -> Fx:
    props: dict[str, Any] = {"addonName": name, "clusterName": "c"}
    if conf is not None:
        props["configurationValues"] = conf if isinstance(conf, str) else json.dumps(conf)
    return Fx(capacity.ADDON, name, props)


def group(name: str = "general", desired: Any = 3, types: Any = ("m7g.large",), **props: Any) -> Fx:
    p: dict[str, Any] = {"scalingConfig": {"minSize": 1, "desiredSize": desired, "maxSize": 9}, **props}
    if types is not None:
        p["instanceTypes"] = list(types)
    return Fx(capacity.NODE_GROUP, name, p)


def deployment(name: str, replicas: Any = None, kind: str = capacity.DEPLOYMENT) -> Fx:
    spec = {} if replicas is None else {"replicas": replicas}
    return Fx(kind, name, {"metadata": {"namespace": "x"}, "spec": spec}, provider=None)


KYVERNO = {
    "kyverno-admission-controller": 1,
    "kyverno-backgroundController": 1,
    "kyverno-cleanupController": 1,
    "kyverno-reportsController": 1,
}
ARGO = {
    "argocd-application-controller": 1,
    "argocd-server": 1,
    "argocd-repo-server": 1,
    "argocd-applicationset-controller": 1,
    "argocd-notifications": 1,
    "argocd-dex": 1,
    "argocd-redis": 1,
}
KPS = {"prometheus-operator": 1, "prometheus": 1, "alertmanager": 1, "grafana": 1, "kube-state-metrics": 1}

CHARTS: list[tuple[str, str, Any, dict[str, int], list[str], dict[str, int]]] = [
    # id, chart, values, pods, DaemonSets, required anti-affinity
    ("kyverno-defaults", "kyverno", {}, KYVERNO, [], {}),
    (
        "kyverno-set",
        "kyverno",
        {"admissionController": {"replicas": 3}, "backgroundController": {"enabled": False, "replicas": 2}},
        {
            "kyverno-admission-controller": 3,
            "kyverno-cleanupController": 1,
            "kyverno-reportsController": 1,
        },
        [],
        {},
    ),
    (
        "kyverno-replicas",
        "kyverno",
        {"cleanupController": {"replicas": 2}, "reportsController": {"replicas": 4}},
        {**KYVERNO, "kyverno-cleanupController": 2, "kyverno-reportsController": 4},
        [],
        {},
    ),
    (
        "eso-defaults",
        "external-secrets",
        {},
        {"external-secrets": 1, "external-secrets-webhook": 1, "external-secrets-certController": 1},
        [],
        {},
    ),
    (
        "eso-set",
        "external-secrets",
        {
            "replicaCount": 2,
            "webhook": {"create": False, "replicaCount": 5},
            "certController": {"replicaCount": 3},
            "bitwarden-sdk-server": {"enabled": True},
        },
        {"external-secrets": 2, "external-secrets-certController": 3, "bitwarden-sdk-server": 1},
        [],
        {},
    ),
    (
        "eso-no-cert-controller",
        "external-secrets",
        {"certController": {"create": False}, "webhook": {"replicaCount": 2}},
        {"external-secrets": 1, "external-secrets-webhook": 2},
        [],
        {},
    ),
    ("lbc-default", "aws-load-balancer-controller", {}, {"aws-load-balancer-controller": 2}, [], {}),
    ("lbc-set", "aws-load-balancer-controller", {"replicaCount": 1}, {"aws-load-balancer-controller": 1}, [], {}),
    ("external-dns", "external-dns", {"replicaCount": 4}, {"external-dns": 1}, [], {}),
    ("tempo-default", "tempo", {}, {"tempo": 1}, [], {}),
    ("tempo-set", "tempo", {"replicas": 2}, {"tempo": 2}, [], {}),
    (
        "loki-defaults",
        "loki",
        {},
        {
            "loki-read": 3,
            "loki-write": 3,
            "loki-backend": 3,
            "loki-gateway": 1,
            "loki-chunksCache": 1,
            "loki-resultsCache": 1,
        },
        ["loki-canary"],
        {},
    ),
    (
        "loki-simple-scalable-set",
        "loki",
        {
            "read": {"replicas": 2},
            "write": {"replicas": 4},
            "backend": {"replicas": 1},
            "gateway": {"enabled": False, "replicas": 3},
            "chunksCache": {"replicas": 2},
            "resultsCache": {"enabled": False},
            "lokiCanary": {"kind": "Deployment"},
        },
        {"loki-read": 2, "loki-write": 4, "loki-backend": 1, "loki-chunksCache": 2},
        [],
        {},
    ),
    (
        "loki-single-binary",
        "loki",
        {
            "deploymentMode": "SingleBinary",
            "singleBinary": {"replicas": 3},
            "read": {"replicas": 0},
            "gateway": {"replicas": 2},
            "chunksCache": {"enabled": False},
            "resultsCache": {"enabled": False, "replicas": 2},
            "lokiCanary": {"enabled": False},
        },
        {"loki-single-binary": 3, "loki-gateway": 2},
        [],
        {"loki-single-binary": 3},
    ),
    (
        "loki-single-binary-default-replicas",
        "loki",
        {"deploymentMode": "SingleBinary", "gateway": {"enabled": False}, "lokiCanary": {"enabled": False}},
        {"loki-chunksCache": 1, "loki-resultsCache": 1},
        [],
        {},
    ),
    (
        "loki-distributed",
        "loki",
        {"deploymentMode": "Distributed", "lokiCanary": {"enabled": False}, "chunksCache": {"enabled": "false"}},
        {"loki-gateway": 1, "loki-resultsCache": 1},
        [],
        {},
    ),
    ("collector-daemonset", "opentelemetry-collector", {"mode": "daemonset"}, {}, ["otel-collector"], {}),
    ("collector-deployment", "opentelemetry-collector", {"mode": "deployment"}, {"otel-collector": 1}, [], {}),
    (
        "collector-statefulset",
        "opentelemetry-collector",
        {"mode": "statefulset", "replicaCount": 3},
        {"otel-collector": 3},
        [],
        {},
    ),
    ("collector-no-mode", "opentelemetry-collector", {"replicaCount": 3}, {}, [], {}),
    ("alloy-default", "alloy", {"controller": {"replicas": 4}}, {}, ["alloy"], {}),
    ("alloy-deployment", "alloy", {"controller": {"type": "deployment", "replicas": 2}}, {"alloy": 2}, [], {}),
    ("alloy-statefulset", "alloy", {"controller": {"type": "statefulset"}}, {"alloy": 1}, [], {}),
    ("argo-defaults", "argo-cd", {}, ARGO, [], {}),
    (
        "argo-ha",
        "argo-cd",
        {
            "redis-ha": {"enabled": True},
            "redis": {"enabled": True},
            "dex": {"enabled": False},
            "notifications": {"enabled": False},
            "commitServer": {"enabled": True},
            "controller": {"replicas": 2},
            "server": {"replicas": 3},
            "repoServer": {"replicas": 4},
            "applicationSet": {"replicas": 5},
        },
        {
            "argocd-application-controller": 2,
            "argocd-server": 3,
            "argocd-repo-server": 4,
            "argocd-applicationset-controller": 5,
            "argocd-commitServer": 1,
            "argocd-redis-ha-server": 3,
            "argocd-redis-ha-haproxy": 3,
        },
        [],
        {"argocd-redis-ha-server": 3, "argocd-redis-ha-haproxy": 3},
    ),
    (
        "argo-ha-sized",
        "argo-cd",
        {"redis-ha": {"enabled": True, "replicas": 5, "haproxy": {"replicas": 2}}},
        {
            **{k: v for k, v in ARGO.items() if k != "argocd-redis"},
            "argocd-redis-ha-server": 5,
            "argocd-redis-ha-haproxy": 2,
        },
        [],
        {"argocd-redis-ha-server": 5, "argocd-redis-ha-haproxy": 2},
    ),
    (
        "argo-ha-no-haproxy",
        "argo-cd",
        {"redis-ha": {"enabled": True, "haproxy": {"enabled": False}}},
        {**{k: v for k, v in ARGO.items() if k != "argocd-redis"}, "argocd-redis-ha-server": 3},
        [],
        {"argocd-redis-ha-server": 3},
    ),
    (
        "argo-no-redis",
        "argo-cd",
        {"redis": {"enabled": False}},
        {k: v for k, v in ARGO.items() if k != "argocd-redis"},
        [],
        {},
    ),
    ("kps-defaults", "kube-prometheus-stack", {}, KPS, ["node-exporter"], {}),
    (
        "kps-set",
        "kube-prometheus-stack",
        {
            "prometheus": {"prometheusSpec": {"replicas": 2}},
            "alertmanager": {"alertmanagerSpec": {"replicas": 3}},
            "grafana": {"replicas": 2},
            "thanosRuler": {"enabled": True, "thanosRulerSpec": {"replicas": 2}},
        },
        {**KPS, "prometheus": 2, "alertmanager": 3, "grafana": 2, "thanos-ruler": 2},
        ["node-exporter"],
        {},
    ),
    (
        "kps-off",
        "kube-prometheus-stack",
        {
            "prometheusOperator": {"enabled": False},
            "prometheus": {"enabled": False},
            "alertmanager": {"enabled": False},
            "grafana": {"enabled": False},
            "kubeStateMetrics": {"enabled": False},
            "nodeExporter": {"enabled": False},
            "thanosRuler": {"enabled": True},
        },
        {"thanos-ruler": 1},
        [],
        {},
    ),
    ("unmodelled-chart", "cert-manager", {"replicaCount": 3}, {}, [], {}),
]


@pytest.mark.parametrize(
    ("chart", "values", "fixed", "per_node", "spread"), [c[1:] for c in CHARTS], ids=[c[0] for c in CHARTS]
)
def test_chart_pods(
    chart: str, values: Any, fixed: dict[str, int], per_node: list[str], spread: dict[str, int]
) -> None:
    p = pods(release(chart, values))
    assert (p.fixed, p.per_node, p.spread) == (fixed, per_node, spread)


def test_unknown_or_odd_values_count_as_no_pod() -> None:
    p = pods(
        release("tempo", {"replicas": UNKNOWN_STRING}),
        release("aws-load-balancer-controller", {"replicaCount": True}),
        release("external-secrets", {"replicaCount": "two", "webhook": {"replicaCount": -1}}),
        release("argo-cd", {"server": {"replicas": 2.0}, "dex": {"enabled": UNKNOWN_STRING}}),
    )
    assert p.fixed == {
        "external-secrets-certController": 1,
        **{k: v for k, v in ARGO.items() if k != "argocd-dex"},
        "argocd-server": 2,
    }


def test_unknown_modes_and_charts_add_nothing() -> None:
    p = pods(
        release(
            "loki", {"deploymentMode": UNKNOWN_STRING, "gateway": {"enabled": False}, "lokiCanary": {"enabled": False}}
        ),
        release("opentelemetry-collector", {"mode": UNKNOWN_STRING}),
        release("alloy", {"controller": {"type": 3}}),
        Fx(capacity.RELEASE, "no-chart", {"values": {"replicaCount": 2}}, provider=None),
    )
    assert p.fixed == {"loki-chunksCache": 1, "loki-resultsCache": 1, "alloy": 1} and p.per_node == []


ADDONS = [
    ("coredns", None, {"coredns": 2}, []),
    ("coredns", {"replicaCount": 3}, {"coredns": 3}, []),
    ("coredns", {"replicaCount": "3"}, {"coredns": 2}, []),
    ("coredns", "not json", {"coredns": 2}, []),
    ("coredns", "[1, 2]", {"coredns": 2}, []),
    ("coredns", UNKNOWN_STRING, {"coredns": 2}, []),
    ("aws-ebs-csi-driver", None, {"ebs-csi-controller": 2}, ["ebs-csi-node"]),
    ("aws-ebs-csi-driver", {"controller": {"replicaCount": 1}}, {"ebs-csi-controller": 1}, ["ebs-csi-node"]),
    ("aws-ebs-csi-driver", {"controller": "x"}, {"ebs-csi-controller": 2}, ["ebs-csi-node"]),
    ("vpc-cni", {"enableNetworkPolicy": "true"}, {}, ["aws-node"]),
    ("kube-proxy", None, {}, ["kube-proxy"]),
    ("eks-pod-identity-agent", None, {}, ["eks-pod-identity-agent"]),
    ("amazon-cloudwatch-observability", None, {}, []),
]


@pytest.mark.parametrize(("name", "conf", "fixed", "per_node"), ADDONS)
def test_addon_pods(name: str, conf: Any, fixed: dict[str, int], per_node: list[str]) -> None:
    p = pods(addon(name, conf))
    assert (p.fixed, p.per_node) == (fixed, per_node)


def test_workloads_and_services() -> None:
    p = pods(
        deployment("exporter"),
        deployment("workers", 3),
        deployment("db", 2, capacity.STATEFUL_SET),
        deployment("agent", None, capacity.DAEMON_SET),
        deployment("unknown", UNKNOWN_STRING),
        deployment("odd", True),
        Fx(capacity.APPLICATION, "orders", {"metadata": {"name": "orders"}}, provider=None),
        Fx(capacity.APPLICATION, "users", {"metadata": {"name": "users"}}, provider=None),
        Fx(capacity.CLUSTER_POLICY, "cp", {"metadata": {"name": "require-probes"}}, provider=None),
    )
    assert p.fixed == {"exporter": 1, "workers": 3, "db": 2, "service orders": 1, "service users": 1}
    assert p.per_node == ["agent"]


def test_services_count_two_once_the_generated_hpa_holds_them() -> None:
    p = pods(
        Fx(capacity.APPLICATION, "orders", {"metadata": {"name": "orders"}}, provider=None),
        Fx(capacity.CLUSTER_POLICY, "cp", {"metadata": {"name": "generate-hpa"}}, provider=None),
    )
    assert p.fixed == {"service orders": 2}


def test_pods_add_up_across_sources() -> None:
    second = Fx(capacity.RELEASE, "tempo-2", {"chart": "tempo", "values": {"replicas": 2}}, provider=None)
    loki = release("loki", {"deploymentMode": "SingleBinary", "singleBinary": {"replicas": 2}})
    p = pods(release("tempo", {}), second, loki)
    assert p.fixed["tempo"] == 3 and p.spread == {"loki-single-binary": 2}


def _nodes(*fxs: Fx, per_node: int = 0) -> capacity.Nodes | None:
    return capacity.schedulable(Graph.from_args(stack_args(_world(*fxs))), per_node)


def test_node_groups_at_desired_size_less_their_daemonsets() -> None:
    n = _nodes(group("a", 2, ["t4g.large", "m7g.large"]), group("b", 1, ["m7g.xlarge"]), per_node=6)
    assert n is not None
    assert (n.count, n.slots, n.groups, n.smallest, n.max_pods) == (
        3,
        2 * (29 - 6) + (58 - 6),
        ["a", "b"],
        "m7g.large",
        29,
    )
    assert n.urn.endswith("::a")


def test_the_smallest_type_is_found_across_groups() -> None:
    n = _nodes(group("a", 1, ["m7g.xlarge"]), group("b", 1, ["t4g.medium"]))
    assert n is not None and (n.smallest, n.max_pods, n.slots) == ("t4g.medium", 17, 58 + 17)


def test_a_group_is_counted_at_its_type_with_the_fewest_pods() -> None:
    n = _nodes(group("a", 2, ["t4g.medium", "m7g.large"]))
    assert n is not None and (n.smallest, n.slots) == ("t4g.medium", 34)


def test_of_equal_types_the_first_group_is_named() -> None:
    n = _nodes(group("a", 1, ["m7g.large"]), group("b", 1, ["m6g.large"]))
    assert n is not None and n.smallest == "m7g.large"


def test_createnodegroup_default_type_is_t3_medium() -> None:
    n = _nodes(group("a", 2, None), per_node=20)
    assert n is not None and (n.smallest, n.slots) == ("t3.medium", 0)


def test_tainted_groups_are_left_out() -> None:
    taint = [{"key": "batch", "value": "", "effect": "NO_SCHEDULE"}]
    n = _nodes(group("a", 2), group("b", 5, ["m7g.2xlarge"], taints=taint))
    assert n is not None and (n.count, n.groups) == (2, ["a"])
    assert _nodes(group("b", 5, taints=taint)) is None


@pytest.mark.parametrize(
    "fx",
    [
        group("a", UNKNOWN_STRING),
        group("a", True),
        group("a", 2, ["p5.48xlarge"]),
        group("a", 2, []),
        group("a", 2, UNKNOWN_STRING),
        group("a", 2, taints=UNKNOWN_STRING),
    ],
    ids=["unknown-size", "bool-size", "unlisted-type", "no-types", "unknown-types", "unknown-taints"],
)
def test_what_is_not_known_is_not_judged(fx: Fx) -> None:
    assert _nodes(group("ok", 3), fx) is None
    assert run_stack(POLICY, _world(fx, release("argo-cd", {"redis-ha": {"enabled": True}}))) == []


def test_no_node_groups_no_finding() -> None:
    assert run_stack(POLICY, _world(release("argo-cd", {}))) == []


def test_one_node_is_named_in_the_singular() -> None:
    found = run_stack(POLICY, _world(group("a", 1, ["t4g.medium"]), deployment("w", 17)))
    assert found == [
        "[EKS-06] node groups a hold 17 pods (1 node x (17 pods a t4g.medium takes - 0 DaemonSet pods)) "
        "and the platform runs 17: no slot is left for a rolling update's surge pod"
    ]


def test_one_spare_slot_is_enough() -> None:
    assert run_stack(POLICY, _world(group("a", 1, ["t4g.medium"]), deployment("w", 16))) == []


def test_overflow_names_the_largest_workloads() -> None:
    found = run_stack(
        POLICY,
        _world(
            group("a", 1, ["t4g.medium"]),
            addon("kube-proxy"),
            deployment("w", 9),
            deployment("x", 4),
            deployment("z", 2),
            deployment("y", 2),
            deployment("v", 1),
        ),
    )
    assert found == [
        "[EKS-06] node groups a hold 16 pods (1 node x (17 pods a t4g.medium takes - 1 DaemonSet pods)), but the "
        "platform runs at least 18 (largest: w 9, x 4, y 2, z 2): 2 would stay Pending"
    ]


def test_spread_equal_to_the_nodes_fits() -> None:
    w = _world(group("a", 3), release("loki", {"deploymentMode": "SingleBinary", "singleBinary": {"replicas": 3}}))
    assert run_stack(POLICY, w) == []
    w = _world(group("a", 2), release("loki", {"deploymentMode": "SingleBinary", "singleBinary": {"replicas": 3}}))
    assert run_stack(POLICY, w) == [
        "[EKS-06] loki-single-binary runs 3 pods that must be on different nodes (required pod anti-affinity), "
        "but node groups a run 2"
    ]
