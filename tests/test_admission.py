"""Admission: every pod the platform installs is admitted by its namespace's Pod Security level
and by the platform's own Kyverno policies (issue 13, defect 3).

The offline plan never creates a pod; `groundwork.admission` records what each pinned chart's
pods ask of the node (with the upstream file that says so) and the program's own pod specs are
read from the plan. A namespace that enforced `baseline` where node-exporter runs would leave the
DaemonSet at zero pods and Helm's atomic wait would roll the whole release back."""

from __future__ import annotations

import pytest

from groundwork import admission, charts
from groundwork.controls import platform
from groundwork.plan.graph import Graph
from tests.k8s import manifests

RELEASE = "kubernetes:helm.sh/v3:Release"
ENFORCE = "pod-security.kubernetes.io/enforce"


def namespace_levels(g: Graph) -> dict[str, str]:
    return {
        n["metadata"]["name"]: n["metadata"]["labels"].get(ENFORCE, "privileged") for n in manifests(g, "Namespace")
    }


def test_every_pinned_chart_has_pod_needs_read_at_its_version() -> None:
    assert list(admission.stale_entries()) == []
    assert {p.chart for p in admission.POD_NEEDS} == set(charts.CHARTS)
    assert all(p.source for p in admission.POD_NEEDS)


def test_a_chart_upgrade_makes_its_entry_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    bumped = charts.Chart(**{**charts.CHARTS["kube-prometheus-stack"].__dict__, "version": "89.0.0"})
    monkeypatch.setitem(charts.CHARTS, "kube-prometheus-stack", bumped)
    stale = list(admission.stale_entries())
    assert stale and all("kube-prometheus-stack" in s and "89.0.0" in s for s in stale)


def test_every_release_is_admitted_by_its_namespace(any_stack: str, graph_of) -> None:
    g: Graph = graph_of(any_stack)
    levels = namespace_levels(g)
    found = []
    for r in g.of_type(RELEASE):
        ns, chart = r.props["namespace"], r.props["chart"]
        assert chart in admission.NAMESPACE_CHARTS.get(ns, ()) or ns == "kube-system", (chart, ns)
        level = levels.get(ns, "privileged")  # kube-system: unlabelled, i.e. privileged
        for pod in admission.needs_of_chart(chart):
            assert pod.violations(level) == [], admission.Finding(ns, level, pod, pod.violations(level))
            found.append((chart, pod.workload))
    assert ("kube-prometheus-stack", "prometheus-node-exporter (DaemonSet)") in found


def test_namespaces_enforce_the_strictest_level_that_admits_their_pods(any_stack: str, graph_of) -> None:
    levels = namespace_levels(graph_of(any_stack))
    for ns, chart_names in admission.NAMESPACE_CHARTS.items():
        if ns not in levels:
            continue
        need = admission.required_level(p for c in chart_names for p in admission.needs_of_chart(c))
        assert levels[ns] == max(need, "baseline", key=admission.LEVELS.index), ns
    assert levels["monitoring"] == "privileged"
    assert all(levels[ns] == "baseline" for ns in ("kyverno", "external-secrets", "argocd", "groundwork-system"))


def test_seeded_mistake_baseline_monitoring_rejects_node_exporter() -> None:
    """The landed code enforced `baseline` in `monitoring`: this is what the API server says."""
    node_exporter = next(p for p in admission.POD_NEEDS if p.subchart == "prometheus-node-exporter")
    reasons = node_exporter.violations("baseline")
    assert reasons == ["hostNetwork: true", "hostPID: true", "hostPath volumes /, /proc, /sys", "hostPort 9100"]
    assert node_exporter.violations("privileged") == []


def test_pod_security_rules() -> None:
    base = dict(chart="x", version="1", workload="w", source="s")
    assert admission.PodNeeds(**base).violations("restricted") == []
    assert admission.PodNeeds(**base, restricted=False).violations("baseline") == []
    assert admission.PodNeeds(**base, restricted=False).violations("restricted")
    assert admission.PodNeeds(**base, capabilities=("CHOWN",)).violations("baseline") == []
    assert admission.PodNeeds(**base, capabilities=("NET_ADMIN",)).violations("baseline") == ["capabilities NET_ADMIN"]
    assert admission.PodNeeds(**base, privileged=True).violations("baseline") == ["a privileged container"]
    assert admission.PodNeeds(**base, host_ipc=True).violations("baseline") == ["hostIPC: true"]
    assert admission.required_level([admission.PodNeeds(**base), admission.PodNeeds(**base, host_pid=True)]) == (
        "privileged"
    )


def test_the_programs_own_pods_meet_restricted(prod: Graph) -> None:
    """The database bootstrap Job, read from the plan: admitted by `groundwork-system`, and
    `restricted` too (so the audit/warn labels stay quiet)."""
    levels = namespace_levels(prod)
    jobs = manifests(prod, "Job")
    assert jobs
    for job in jobs:
        ns = job["metadata"]["namespace"]
        pod = admission.needs_of_pod_spec("(program)", job["metadata"]["name"], job["spec"]["template"]["spec"])
        assert pod.violations(levels[ns]) == []
        assert pod.violations("restricted") == [], job["metadata"]["name"]
    hostile = {"hostNetwork": True, "containers": [{"name": "c", "securityContext": {"privileged": True}}]}
    assert admission.needs_of_pod_spec("x", "y", hostile).violations("baseline") == [
        "hostNetwork: true",
        "a privileged container",
    ]


def test_kyverno_policies_never_select_platform_pods(any_stack: str, graph_of) -> None:
    """The platform's Kyverno ClusterPolicies apply to tenant namespaces only: every rule matches
    by the tenant label and excludes every platform namespace the releases and jobs use."""
    g: Graph = graph_of(any_stack)
    used = {r.props["namespace"] for r in g.of_type(RELEASE)} | {
        j["metadata"]["namespace"] for j in manifests(g, "Job")
    }
    assert used <= set(platform.PLATFORM_NAMESPACES)
    policies = manifests(g, "ClusterPolicy")
    assert policies
    for policy in policies:
        for rule in policy["spec"]["rules"]:
            excluded = {
                ns
                for block in (rule.get("exclude") or {}).get("any", [])
                for ns in block.get("resources", {}).get("namespaces", [])
            }
            selectors = [
                block.get("resources", {}).get("namespaceSelector")
                for block in (rule.get("match") or {}).get("any", [])
            ]
            tenant_only = selectors and all(s == {"matchLabels": {"groundwork.io/tenant": "true"}} for s in selectors)
            assert tenant_only or used <= excluded, (policy["metadata"]["name"], rule["name"])


def test_every_pinned_chart_names_where_its_version_was_released() -> None:
    """Defect 7: opentelemetry-collector 0.158.3 was pinned and never released (0.158.2 is)."""
    for c in charts.CHARTS.values():
        assert c.released and c.version in c.released, c.name
    assert charts.chart("opentelemetry-collector").version == "0.158.2"
