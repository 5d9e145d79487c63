"""Do the platform's pods fit on its nodes? (EKS-06)

What the mock cannot see and a real first `pulumi up` meets: a Helm release waits for its pods,
and a pod that no node can take stays Pending until the release times out. No cluster
autoscaler is installed, so the node groups run `desiredSize` nodes and nothing adds one.

Two limits decide whether the platform fits, and both are known at preview:

- **Pods per node.** The VPC CNI in secondary-IP mode (the add-on's configuration here only
  turns on network policy, not prefix delegation) gives a node at most
  `ENIs x (IPv4 addresses per ENI - 1) + 2` pods, and the EKS AMI sets kubelet's maxPods to that
  (awslabs/amazon-eks-ami v20260724, nodeadm/internal/kubelet/eni_max_pods.go `CalcMaxPods`).
  `MAX_PODS` is that number for every instance type the settings offer, as listed in
  aws/amazon-vpc-cni-k8s v1.21.1, misc/eni-max-pods.txt. A group of several types may launch
  any of them, so it is counted at its smallest.
- **Pods that must be on different nodes.** Loki's single binary and Argo CD's redis-ha servers
  and HAProxy carry a *required* pod anti-affinity on the node name by default, so N replicas
  need N nodes (grafana/loki helm-loki-6.53.0 production/helm/loki/values.yaml
  `singleBinary.affinity`; DandyDeveloper/charts charts/redis-ha/values.yaml `hardAntiAffinity:
  true` for the servers and `haproxy.hardAntiAffinity: true`, HAProxy enabled by argo-cd's values).

The pods counted are a lower bound: a Deployment or StatefulSet each chart renders for our
values at its pinned version (`MODELLED_CHARTS`; a test keeps it equal to groundwork/charts.py,
so an upgrade makes someone re-read the chart), the EKS add-ons' pods, the program's own
workloads, and each service at its minimum (2 once the generated HPAs hold it there, else 1).
Jobs, hooks and rolling-update surges are not counted, so a violation is a pod that cannot be
scheduled, never a guess. Memory and CPU requests are not judged here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .core import REGISTRY, UNKNOWN, Graph, PackContext, Res

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"
RELEASE = "kubernetes:helm.sh/v3:Release"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
DAEMON_SET = "kubernetes:apps/v1:DaemonSet"
APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application"
CLUSTER_POLICY = "kubernetes:kyverno.io/v1:ClusterPolicy"

# Pods per node by the ENI formula (aws/amazon-vpc-cni-k8s v1.21.1, misc/eni-max-pods.txt), for
# the instance types groundwork/catalog.py offers: burstable medium 3 x (6 - 1) + 2, burstable
# large 3 x (12 - 1) + 2, other large 3 x (10 - 1) + 2, xlarge and 2xlarge 4 x (15 - 1) + 2.
MAX_PODS: dict[str, int] = {
    **{f"{f}.medium": 17 for f in ("t3", "t3a", "t4g")},
    **{f"{f}.large": 35 for f in ("t3", "t3a", "t4g")},
    **{f"{f}.xlarge": 58 for f in ("t3", "t3a", "t4g")},
    **{
        f"{f}.{size}": pods
        for f in ("m6i", "m7i", "m6g", "m7g", "c7i", "c7g", "r7i", "r7g")
        for size, pods in (("large", 29), ("xlarge", 58), ("2xlarge", 58))
    },
}

# The chart versions whose templates and default values the models below were read from.
MODELLED_CHARTS: dict[str, str] = {
    "kyverno": "3.9.0",
    "external-secrets": "2.9.0",
    "aws-load-balancer-controller": "3.5.0",
    "external-dns": "1.21.1",
    "tempo": "1.24.0",
    "loki": "6.53.0",
    "opentelemetry-collector": "0.158.2",
    "alloy": "1.10.1",
    # argo-cd 10.9.0 is not in the stored snapshot of argoproj/argo-helm (it ends at argo-cd-10.1.1):
    # its defaults here (replicas, notifications and dex on, redis-ha off) were read at 10.1.1
    "argo-cd": "10.9.0",
    "kube-prometheus-stack": "88.2.0",
}

# Minimum replicas of a service's Deployment once the generated HPA (ClusterPolicy
# generate-hpa, groundwork/manifests.py: minReplicas 2) holds it, else 1.
GENERATED_HPA = "generate-hpa"


@dataclass
class Pods:
    """What one release, add-on or workload puts on the nodes."""

    fixed: dict[str, int] = field(default_factory=dict)  # workload -> pods somewhere in the cluster
    per_node: list[str] = field(default_factory=list)  # DaemonSets: one pod on every node
    spread: dict[str, int] = field(default_factory=dict)  # workload -> distinct nodes it requires

    def add(self, name: str, count: int, *, spread: bool = False) -> None:
        if count > 0:
            self.fixed[name] = self.fixed.get(name, 0) + count
            if spread:
                self.spread[name] = count


class _Values:
    """A release's values with the chart's defaults: a missing key is the default, an unknown
    value counts as nothing (the count stays a lower bound)."""

    def __init__(self, r: Res, prefix: str = "values") -> None:
        self.r, self.prefix = r, prefix

    def _peek(self, path: str) -> Any:
        return self.r.props.peek(f"{self.prefix}.{path}")

    def count(self, path: str, default: int) -> int:
        v = self._peek(path)
        if v is None:
            return default
        if isinstance(v, bool) or not isinstance(v, int | float):
            return 0
        return max(int(v), 0)

    def on(self, path: str, default: bool) -> bool:
        v = self._peek(path)
        if v is None:
            return default
        return v is True or (isinstance(v, str) and v.lower() == "true")

    def text(self, path: str, default: str) -> str:
        v = self._peek(path)
        if v is None:
            return default
        return v if isinstance(v, str) else ""


def _kyverno(v: _Values) -> Pods:
    # templates/<controller>/deployment.yaml; `replicas: ~` renders no field: Kubernetes' 1
    p = Pods()
    p.add("kyverno-admission-controller", v.count("admissionController.replicas", 1))
    for c in ("backgroundController", "cleanupController", "reportsController"):
        if v.on(f"{c}.enabled", True):
            p.add(f"kyverno-{c}", v.count(f"{c}.replicas", 1))
    return p


def _external_secrets(v: _Values) -> Pods:
    p = Pods()
    p.add("external-secrets", v.count("replicaCount", 1))
    for c in ("webhook", "certController"):
        if v.on(f"{c}.create", True):
            p.add(f"external-secrets-{c}", v.count(f"{c}.replicaCount", 1))
    if v.on("bitwarden-sdk-server.enabled", False):
        p.add("bitwarden-sdk-server", 1)
    return p


def _load_balancer_controller(v: _Values) -> Pods:
    p = Pods()
    p.add("aws-load-balancer-controller", v.count("replicaCount", 2))
    return p


def _external_dns(v: _Values) -> Pods:
    p = Pods()
    p.add("external-dns", 1)  # templates/deployment.yaml: `replicas: 1`, not a value
    return p


def _tempo(v: _Values) -> Pods:
    p = Pods()
    p.add("tempo", v.count("replicas", 1))
    return p


def _loki(v: _Values) -> Pods:
    p = Pods()
    mode = v.text("deploymentMode", "SimpleScalable")
    if mode == "SingleBinary":
        p.add("loki-single-binary", v.count("singleBinary.replicas", 0), spread=True)
    elif mode == "SimpleScalable":
        for c in ("read", "write", "backend"):
            p.add(f"loki-{c}", v.count(f"{c}.replicas", 3))
    if v.on("gateway.enabled", True):
        p.add("loki-gateway", v.count("gateway.replicas", 1))
    for c in ("chunksCache", "resultsCache"):
        if v.on(f"{c}.enabled", True):
            p.add(f"loki-{c}", v.count(f"{c}.replicas", 1))
    if v.on("lokiCanary.enabled", True) and v.text("lokiCanary.kind", "DaemonSet") == "DaemonSet":
        p.per_node.append("loki-canary")
    return p


def _collector(v: _Values) -> Pods:
    p = Pods()
    mode = v.text("mode", "")
    if mode == "daemonset":
        p.per_node.append("otel-collector")
    elif mode in ("deployment", "statefulset"):
        p.add("otel-collector", v.count("replicaCount", 1))
    return p


def _alloy(v: _Values) -> Pods:
    p = Pods()
    kind = v.text("controller.type", "daemonset")
    if kind == "daemonset":
        p.per_node.append("alloy")
    else:
        p.add("alloy", v.count("controller.replicas", 1))
    return p


def _argo_cd(v: _Values) -> Pods:
    p = Pods()
    for c, name in (
        ("controller", "argocd-application-controller"),
        ("server", "argocd-server"),
        ("repoServer", "argocd-repo-server"),
        ("applicationSet", "argocd-applicationset-controller"),
    ):
        p.add(name, v.count(f"{c}.replicas", 1))
    for c, default in (("notifications", True), ("dex", True), ("commitServer", False)):
        if v.on(f"{c}.enabled", default):
            p.add(f"argocd-{c}", 1)
    if v.on("redis-ha.enabled", False):
        p.add("argocd-redis-ha-server", v.count("redis-ha.replicas", 3), spread=True)
        if v.on("redis-ha.haproxy.enabled", True):
            p.add("argocd-redis-ha-haproxy", v.count("redis-ha.haproxy.replicas", 3), spread=True)
    elif v.on("redis.enabled", True):
        p.add("argocd-redis", 1)
    return p


def _kube_prometheus_stack(v: _Values) -> Pods:
    p = Pods()
    if v.on("prometheusOperator.enabled", True):
        p.add("prometheus-operator", 1)
    if v.on("prometheus.enabled", True):
        p.add("prometheus", v.count("prometheus.prometheusSpec.replicas", 1))
    if v.on("alertmanager.enabled", True):
        p.add("alertmanager", v.count("alertmanager.alertmanagerSpec.replicas", 1))
    if v.on("grafana.enabled", True):
        p.add("grafana", v.count("grafana.replicas", 1))
    if v.on("kubeStateMetrics.enabled", True):
        p.add("kube-state-metrics", 1)
    if v.on("thanosRuler.enabled", False):
        p.add("thanos-ruler", v.count("thanosRuler.thanosRulerSpec.replicas", 1))
    if v.on("nodeExporter.enabled", True):
        p.per_node.append("node-exporter")
    return p


CHART_MODELS: dict[str, Callable[[_Values], Pods]] = {
    "kyverno": _kyverno,
    "external-secrets": _external_secrets,
    "aws-load-balancer-controller": _load_balancer_controller,
    "external-dns": _external_dns,
    "tempo": _tempo,
    "loki": _loki,
    "opentelemetry-collector": _collector,
    "alloy": _alloy,
    "argo-cd": _argo_cd,
    "kube-prometheus-stack": _kube_prometheus_stack,
}


def _addon(r: Res) -> Pods:
    """EKS add-ons' pods at their defaults, or the replica count their configuration sets:
    CoreDNS runs 2 replicas (EKS user guide, "Manage CoreDNS"), the EBS CSI driver 2 controllers
    (kubernetes-sigs/aws-ebs-csi-driver charts/aws-ebs-csi-driver/values.yaml
    `controller.replicaCount: 2`) and a node DaemonSet; vpc-cni (aws-node), kube-proxy and the
    Pod Identity agent are DaemonSets."""
    p = Pods()
    name = r.props.peek("addonName")
    raw = r.props.peek("configurationValues")
    try:
        conf = json.loads(raw) if isinstance(raw, str) and raw else {}
    except json.JSONDecodeError:
        conf = {}
    conf = conf if isinstance(conf, dict) else {}

    def replicas(value: Any, default: int) -> int:
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else default

    if name == "coredns":
        p.add("coredns", replicas(conf.get("replicaCount"), 2))
    elif name == "aws-ebs-csi-driver":
        controller = conf.get("controller")
        p.add(
            "ebs-csi-controller", replicas(controller.get("replicaCount") if isinstance(controller, dict) else None, 2)
        )
        p.per_node.append("ebs-csi-node")
    elif name in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent"):
        p.per_node.append({"vpc-cni": "aws-node"}.get(name, name))
    return p


def _workload(r: Res) -> Pods:
    p = Pods()
    if r.type == DAEMON_SET:
        p.per_node.append(r.name)
    else:
        v = r.props.peek("spec.replicas")
        count = 1 if v is None else (int(v) if isinstance(v, int | float) and not isinstance(v, bool) else 0)
        p.add(r.name, count)
    return p


def platform_pods(g: Graph) -> Pods:
    """Every pod the stack's graph puts on the nodes (a lower bound, see the module's docstring)."""
    total = Pods()
    parts: list[Pods] = []
    for r in g.of(RELEASE):
        model = CHART_MODELS.get(str(r.props.peek("chart") or ""))
        if model:
            parts.append(model(_Values(r)))
    parts += [_addon(r) for r in g.of(ADDON)]
    parts += [_workload(r) for r in g.of(DEPLOYMENT, STATEFUL_SET, DAEMON_SET)]
    hpa = any(r.props.peek("metadata.name") == GENERATED_HPA for r in g.of(CLUSTER_POLICY))
    for app in g.of(APPLICATION):
        parts.append(Pods(fixed={f"service {app.name}": 2 if hpa else 1}))
    for p in parts:
        for name, count in p.fixed.items():
            total.add(name, count)
        total.per_node += p.per_node
        total.spread.update(p.spread)
    return total


@dataclass
class Nodes:
    count: int
    slots: int  # pods the nodes take beyond their DaemonSets
    groups: list[str]
    urn: str  # the first group's, where a finding is reported
    smallest: str  # the instance type with the fewest pods per node
    max_pods: int


def schedulable(g: Graph, per_node: int) -> Nodes | None:
    """The untainted node groups at their desired size, or None where a size or type is not
    known here (a preview with unknowns, a type outside MAX_PODS): then nothing is judged.
    Tainted groups are left out: the platform's charts tolerate no custom taint."""
    count = slots = 0
    groups: list[str] = []
    urns: list[str] = []
    lows: list[str] = []  # each group's type with the fewest pods
    for ng in g.of(NODE_GROUP):
        taints = ng.props.peek("taints")
        if taints is UNKNOWN:
            return None
        if taints:
            continue
        desired = ng.props.peek("scalingConfig.desiredSize")
        types = ng.props.peek("instanceTypes")
        if types is None:
            types = ["t3.medium"]  # CreateNodegroup's default instance type
        if not isinstance(desired, int | float) or isinstance(desired, bool) or not isinstance(types, list):
            return None
        if not types or any(t not in MAX_PODS for t in types):
            return None
        low = min(types, key=lambda t: MAX_PODS[t])
        count += int(desired)
        slots += int(desired) * max(MAX_PODS[low] - per_node, 0)
        groups.append(ng.name)
        urns.append(ng.urn)
        lows.append(low)
    if not groups:
        return None
    smallest = min(lows, key=lambda t: MAX_PODS[t])
    return Nodes(count, slots, groups, urns[0], smallest, MAX_PODS[smallest])


def _largest(fixed: dict[str, int], n: int = 4) -> str:
    top = sorted(fixed.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return ", ".join(f"{name} {count}" for name, count in top)


@REGISTRY.stack(
    "aws-eks-node-groups-fit-platform-pods",
    controls="EKS-06",
    types=(NODE_GROUP, ADDON, RELEASE, DEPLOYMENT, STATEFUL_SET, DAEMON_SET, APPLICATION, CLUSTER_POLICY),
    severity="high",
    description="The node groups' desired nodes hold every pod the platform runs (the VPC CNI's pods-per-node "
    "limit less the DaemonSets) with one to spare for a rolling update, and as many nodes as its required anti-affinities ask.",
    remediation="Raise desiredSize (and minSize) in groundwork:cluster.nodeGroups, or choose an instance type "
    "that takes more pods (a larger size); or lower the replicas the message names.",
)
def fit(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    pods = platform_pods(g)
    nodes = schedulable(g, len(pods.per_node))
    if nodes is None:
        return
    urn = nodes.urn
    groups = ", ".join(nodes.groups)
    need = sum(pods.fixed.values())
    held = (
        f"node groups {groups} hold {nodes.slots} pods ({nodes.count} node{'' if nodes.count == 1 else 's'} x "
        f"({nodes.max_pods} pods a "
        f"{nodes.smallest} takes - {len(pods.per_node)} DaemonSet pods))"
    )
    if need > nodes.slots:
        yield (
            f"{held}, but the platform runs at least {need} (largest: {_largest(pods.fixed)}): "
            f"{need - nodes.slots} would stay Pending",
            urn,
        )
    elif need == nodes.slots:
        # A Deployment's default rolling update surges by 25 % rounded up (at least one pod) and,
        # below 4 replicas, keeps every old pod until the new one runs: with no slot free, the
        # next rollout stalls (Kubernetes docs, Deployments, "Max Surge" and "Max Unavailable").
        yield f"{held} and the platform runs {need}: no slot is left for a rolling update's surge pod", urn
    for name, spread in sorted(pods.spread.items()):
        if spread > nodes.count:
            yield (
                f"{name} runs {spread} pods that must be on different nodes (required pod anti-affinity), "
                f"but node groups {groups} run {nodes.count}",
                urn,
            )
