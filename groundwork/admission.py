"""Pod Security admission of the platform's own pods (pure module, no resources).

Kubernetes enforces a namespace's Pod Security level (`pod-security.kubernetes.io/enforce`) when
a pod is created: a DaemonSet whose pods the level forbids stays at zero pods, Helm's wait times
out and the atomic release rolls back. The offline plan never creates a pod, so this module
records, per pinned chart version and with our values, what the chart's pods ask of the node
(host namespaces, hostPath volumes, host ports, privileged containers, added capabilities), with
the upstream file that says so, and derives from it the level each platform namespace must
enforce. `tests/test_admission.py` checks every Helm release of every stack against this table
(a chart upgraded in `groundwork/charts.py` fails until its entry is re-derived) and checks the
pods the program writes itself (the database bootstrap Job) from their real pod specs.

The checks follow the Pod Security Standards (kubernetes.io/docs/concepts/security/
pod-security-standards/): `baseline` forbids host namespaces, hostPath volumes, host ports,
privileged containers and capabilities beyond its allowed list; `restricted` further requires
non-root, no privilege escalation, a RuntimeDefault/Localhost seccomp profile and `drop: [ALL]`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from groundwork.charts import CHARTS

LEVELS = ("restricted", "baseline", "privileged")  # from strictest to most permissive
# capabilities a `baseline` pod may add (Pod Security Standards, "Capabilities")
BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)


@dataclass(frozen=True)
class PodNeeds:
    """What one workload of a chart asks of the node, with our values."""

    chart: str
    version: str  # the chart version this was read at (must equal the pin)
    workload: str
    source: str  # repo, tag and path the facts come from
    host_network: bool = False
    host_pid: bool = False
    host_ipc: bool = False
    host_path: tuple[str, ...] = ()
    host_ports: tuple[int, ...] = ()
    privileged: bool = False
    capabilities: tuple[str, ...] = ()
    restricted: bool = True  # the chart's default securityContext meets `restricted`
    subchart: str = ""  # set when the workload comes from a dependency of `chart`

    def violations(self, level: str) -> list[str]:
        return violations(self, level)


def violations(p: PodNeeds, level: str) -> list[str]:
    """Why `level` rejects the pod (empty: admitted)."""
    if level == "privileged":
        return []
    out = []
    for flag, what in ((p.host_network, "hostNetwork"), (p.host_pid, "hostPID"), (p.host_ipc, "hostIPC")):
        if flag:
            out.append(f"{what}: true")
    if p.host_path:
        out.append(f"hostPath volumes {', '.join(p.host_path)}")
    if p.host_ports:
        out.append(f"hostPort {', '.join(map(str, p.host_ports))}")
    if p.privileged:
        out.append("a privileged container")
    extra = sorted(set(p.capabilities) - BASELINE_CAPABILITIES)
    if extra:
        out.append(f"capabilities {', '.join(extra)}")
    if level == "restricted" and not p.restricted:
        out.append("a securityContext that is not `restricted` (root, escalation, seccomp or capabilities)")
    return out


def required_level(pods: Iterable[PodNeeds]) -> str:
    """The strictest level that admits every pod."""
    need = 0
    for p in pods:
        need = max(need, next(i for i, lvl in enumerate(LEVELS) if not violations(p, lvl)))
    return LEVELS[need]


def needs_of_pod_spec(chart: str, workload: str, spec: dict[str, Any]) -> PodNeeds:
    """The needs of a real pod spec (for the pods the program writes itself)."""
    containers = [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
    ports = tuple(int(port["hostPort"]) for c in containers for port in c.get("ports") or [] if port.get("hostPort"))
    pod_sc = spec.get("securityContext") or {}

    def restricted(c: dict[str, Any]) -> bool:
        sc = c.get("securityContext") or {}
        seccomp = (sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")
        caps = sc.get("capabilities") or {}
        return (
            sc.get("allowPrivilegeEscalation") is False
            and (sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True)
            and sc.get("runAsUser", pod_sc.get("runAsUser")) != 0
            and seccomp in ("RuntimeDefault", "Localhost")
            and "ALL" in (caps.get("drop") or [])
            and set(caps.get("add") or []) <= {"NET_BIND_SERVICE"}
        )

    return PodNeeds(
        chart=chart,
        version="(program)",
        workload=workload,
        source="the program's own manifest",
        host_network=bool(spec.get("hostNetwork")),
        host_pid=bool(spec.get("hostPID")),
        host_ipc=bool(spec.get("hostIPC")),
        host_path=tuple(v["hostPath"]["path"] for v in spec.get("volumes") or [] if v.get("hostPath")),
        host_ports=ports,
        privileged=any((c.get("securityContext") or {}).get("privileged") for c in containers),
        capabilities=tuple(
            cap
            for c in containers
            for cap in ((c.get("securityContext") or {}).get("capabilities") or {}).get("add") or []
        ),
        restricted=all(restricted(c) for c in containers),
    )


def _tag(repo: str, tag: str, path: str) -> str:
    return f"{repo} @ {tag}: {path}"


# ---------------------------------------------------------------------------------------------
# What each pinned chart's pods need, with the values the components set. Read from the chart's
# values.yaml and pod templates at the pinned tag. `restricted=False` where the chart's default
# securityContext does not meet `restricted` or was not established; that only affects the
# `warn`/`audit` labels, never admission under `baseline`.
# ---------------------------------------------------------------------------------------------
POD_NEEDS: tuple[PodNeeds, ...] = (
    PodNeeds(
        "kube-prometheus-stack",
        "88.2.0",
        "prometheus-node-exporter (DaemonSet)",
        _tag(
            "prometheus-community/helm-charts",
            "prometheus-node-exporter-4.56.1 (the dependency kube-prometheus-stack-88.2.0's Chart.yaml pins)",
            "charts/prometheus-node-exporter/values.yaml (hostNetwork: true, hostPID: true, hostRootFsMount, "
            "hostProcFsMount, hostSysFsMount) and templates/daemonset.yaml (hostPort: service.port 9100)",
        ),
        host_network=True,
        host_pid=True,
        host_path=("/", "/proc", "/sys"),
        host_ports=(9100,),
        subchart="prometheus-node-exporter",
    ),
    PodNeeds(
        "kube-prometheus-stack",
        "88.2.0",
        "operator, Prometheus, Alertmanager, Grafana, kube-state-metrics, CRD upgrade job",
        _tag(
            "prometheus-community/helm-charts",
            "kube-prometheus-stack-88.2.0",
            "charts/kube-prometheus-stack/values.yaml (securityContext runAsNonRoot, no host fields)",
        ),
        restricted=False,
    ),
    PodNeeds(
        "kyverno",
        "3.9.0",
        "admission, background, cleanup and reports controllers",
        _tag(
            "kyverno/kyverno",
            "kyverno-chart-3.9.0",
            "charts/kyverno/values.yaml (hostNetwork: false, privileged: false)",
        ),
    ),
    PodNeeds(
        "external-secrets",
        "2.9.0",
        "controller, webhook, cert-controller",
        _tag(
            "external-secrets/external-secrets",
            "helm-chart-2.9.0",
            "deploy/charts/external-secrets/values.yaml (hostNetwork: false, allowPrivilegeEscalation: false)",
        ),
    ),
    PodNeeds(
        "aws-load-balancer-controller",
        "3.5.0",
        "controller",
        _tag(
            "aws/eks-charts",
            "commit 5239609 'aws-load-balancer-controller: v3.5.0'",
            "stable/aws-load-balancer-controller/values.yaml (hostNetwork: false)",
        ),
    ),
    PodNeeds(
        "external-dns",
        "1.21.1",
        "external-dns (Deployment)",
        _tag(
            "kubernetes-sigs/external-dns",
            "external-dns-helm-chart-1.21.1",
            "charts/external-dns/values.yaml (podSecurityContext runAsNonRoot, seccompProfile RuntimeDefault; "
            "securityContext allowPrivilegeEscalation false, runAsUser 65532, capabilities drop ALL; no host fields)",
        ),
    ),
    PodNeeds(
        "argo-cd",
        "10.9.0",
        "server, repo-server, application controller, applicationset, redis, dex",
        "argoproj/argo-helm, charts/argo-cd/values.yaml (no host fields; not in the stored snapshot, "
        "which ends at argo-cd-10.1.1: re-read at 10.9.0 before relying on `restricted`)",
        restricted=False,
    ),
    PodNeeds(
        "loki",
        "6.53.0",
        "single binary, gateway",
        _tag("grafana/loki", "helm-loki-6.53.0", "production/helm/loki/values.yaml (no hostPath unless enabled)"),
        restricted=False,
    ),
    PodNeeds(
        "alloy",
        "1.10.1",
        "alloy (DaemonSet; logs through the Kubernetes API, mounts.varlog false)",
        _tag(
            "grafana/alloy",
            "helm-chart/1.10.1",
            "operations/helm/charts/alloy/values.yaml (hostNetwork: false, hostPID: false; "
            "the /var/log hostPath only with mounts.varlog, which we leave off)",
        ),
        restricted=False,
    ),
    PodNeeds(
        "tempo",
        "1.24.0",
        "tempo (single binary)",
        _tag("grafana/helm-charts", "tempo-1.24.0", "charts/tempo/values.yaml (no host fields)"),
        restricted=False,
    ),
    PodNeeds(
        "opentelemetry-collector",
        "0.158.2",
        "collector (mode deployment)",
        _tag(
            "open-telemetry/opentelemetry-helm-charts",
            "opentelemetry-collector-0.158.2",
            "charts/opentelemetry-collector/templates/_config.tpl (hostPort only `if $.isAgent`, "
            "i.e. in daemonset mode; we run mode deployment)",
        ),
        restricted=False,
    ),
)


def needs_of_chart(chart: str) -> list[PodNeeds]:
    return [p for p in POD_NEEDS if p.chart == chart]


def stale_entries() -> Iterator[str]:
    """Entries read at another version than the pin (re-derive them after an upgrade)."""
    for p in POD_NEEDS:
        pinned = CHARTS[p.chart].version if p.chart in CHARTS else None
        if pinned != p.version:
            yield f"{p.chart} {p.workload}: read at {p.version}, pinned {pinned}"


# The charts installed into each platform namespace (components/*.py); the namespace's
# enforce level is the strictest that admits all their pods.
NAMESPACE_CHARTS: dict[str, tuple[str, ...]] = {
    "kyverno": ("kyverno",),
    "external-secrets": ("external-secrets",),
    "argocd": ("argo-cd",),
    "monitoring": ("kube-prometheus-stack", "loki", "alloy", "tempo", "opentelemetry-collector"),
    "groundwork-system": (),
    "cert-manager": (),
}


def enforce_level(namespace: str) -> str:
    """The Pod Security level a platform namespace enforces: what its charts' pods need, never
    less strict, and at least `baseline` (the platform's own jobs are checked against it)."""
    level = required_level(p for c in NAMESPACE_CHARTS.get(namespace, ()) for p in needs_of_chart(c))
    return max(level, "baseline", key=LEVELS.index)


@dataclass
class Finding:
    namespace: str
    level: str
    pod: PodNeeds
    reasons: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.pod.chart} {self.pod.workload} in namespace {self.namespace} is rejected by Pod Security "
            f"{self.level!r}: {'; '.join(self.reasons)} (source: {self.pod.source})"
        )
