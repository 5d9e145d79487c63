"""Observability controls OBS-01..OBS-07: metrics, dashboards, alerts, logs, traces, AWS alarms, SLOs.

The in-cluster stack is installed with Helm, so these checks read the Release values and the
custom resources the program creates (ServiceMonitor, PrometheusRule, dashboard ConfigMaps).
They apply once the stack has a Kubernetes cluster.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .core import REGISTRY, Graph, PackContext, Res, as_list, dicts, num, sub, unknown
from .kubernetes import RELEASE, chart_of, releases

CLUSTERS = ("eks:index:Cluster", "aws:eks/cluster:Cluster")
SERVICE_MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
PROMETHEUS_RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
RDS = "aws:rds/instance:Instance"
CACHE = "aws:elasticache/replicationGroup:ReplicationGroup"
NAT = "aws:ec2/natGateway:NatGateway"
BACKUP_PLAN = "aws:backup/plan:Plan"
REQUIRED_ALERTS = {
    "ServiceDown": "service down",
    "ServiceHighErrorRate": "error rate > 5 %",
    "ServiceHighLatencyP95": "p95 latency > 500 ms",
    "PostgresConnectionsHigh": "PostgreSQL connections > 80 %",
    "PersistentVolumeFillingUp": "disk/PVC > 85 %",
    "CertificateExpiringSoon": "certificate expiring < 30 days",
    "PodCrashLooping": "pod crash-looping",
    "NodeNotReady": "node not ready",
}
DASHBOARDS = ("cluster-overview", "service-red", "database", "cache", "business-kpis")
AWS_ALARMS = {
    RDS: ("AWS/RDS", ("CPUUtilization", "FreeStorageSpace", "DatabaseConnections")),
    CACHE: ("AWS/ElastiCache", ("DatabaseMemoryUsagePercentage", "Evictions", "EngineCPUUtilization")),
    NAT: ("AWS/NATGateway", ("ErrorPortAllocation", "PacketsDropCount")),
    BACKUP_PLAN: ("AWS/Backup", ("NumberOfBackupJobsFailed",)),
}
DURATION = re.compile(r"^(\d+)([smhdwy])$")


def _days(value: Any) -> float | None:
    m = DURATION.match(str(value))
    if not m:
        return None
    n, unit = int(m.group(1)), m.group(2)
    return n * {"s": 1 / 86400, "m": 1 / 1440, "h": 1 / 24, "d": 1, "w": 7, "y": 365}[unit]


def _values(r: Res) -> dict[str, Any]:
    v = r.props.get("values", {})
    return v if isinstance(v, dict) else {}


def _dig(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _has_cluster(g: Graph) -> bool:
    return bool(g.of(*CLUSTERS))


@REGISTRY.stack(
    "kubernetes-prometheus-retention-and-storage",
    controls="OBS-01",
    types=(*CLUSTERS, RELEASE),
    severity="high",
    description="kube-prometheus-stack runs Prometheus with at least 30 days of retention on persistent storage.",
    remediation="The Observability component installs it; set groundwork:observability.prometheus.retentionDays >= 30.",
)
def prometheus(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    if not _has_cluster(g):
        return
    stacks = releases(g, "prometheus")
    if not stacks:
        yield "the cluster has no kube-prometheus-stack release", ""
    for r in stacks:
        spec = _mapping(_dig(_values(r), "prometheus.prometheusSpec"))
        days = _days(spec.get("retention", "10d"))
        if not unknown(spec.get("retention")) and (days is None or days < 30):
            yield f"Prometheus retention is {spec.get('retention', '10d (chart default)')}, under 30 days", r.urn
        if not _dig(spec, "storageSpec.volumeClaimTemplate"):
            yield "Prometheus has no persistent volume (storageSpec.volumeClaimTemplate)", r.urn


@REGISTRY.stack(
    "kubernetes-prometheus-high-availability",
    controls="OBS-01",
    types=RELEASE,
    severity="medium",
    tier="prod",
    description="Prometheus and Alertmanager run 2 replicas.",
    remediation="Set groundwork:observability.prometheus.replicas to 2.",
)
def prometheus_ha(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    for r in releases(g, "prometheus"):
        for path in ("prometheus.prometheusSpec.replicas", "alertmanager.alertmanagerSpec.replicas"):
            n = _dig(_values(r), path)
            if not unknown(n) and (not isinstance(n, int | float) or n < 2):
                yield f"{path} is {num(n) if isinstance(n, int | float) else 1}", r.urn


def _monitors_service(sm: Res, service: str) -> bool:
    labels = sm.props.mapping("spec.selector.matchLabels")
    return sm.props.get("metadata.name") == service or service in labels.values()


@REGISTRY.stack(
    "kubernetes-servicemonitor-per-service",
    controls="OBS-01",
    types=SERVICE_MONITOR,
    severity="medium",
    description="Every configured service is scraped by a ServiceMonitor.",
    remediation="The Observability component creates one per entry of groundwork:services (metrics port and path).",
)
def service_monitors(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    if not _has_cluster(g):
        return
    monitors = g.of(SERVICE_MONITOR)
    for s in ctx.services:
        if not any(_monitors_service(m, s["name"]) for m in monitors):
            yield f"service {s['name']} has no ServiceMonitor", ""


@REGISTRY.stack(
    "kubernetes-grafana-dashboards-and-admin-secret",
    controls="OBS-02",
    types=(RELEASE, CONFIG_MAP),
    severity="medium",
    description="Grafana takes its admin credentials from an existing Secret and has the cluster, service RED, database, "
    "cache and business-KPI dashboards provisioned.",
    remediation="The Observability component provisions the dashboards from dashboards/*.json and syncs the admin Secret.",
)
def grafana(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    if not _has_cluster(g):
        return
    stacks = releases(g, "prometheus")
    grafana_values = [_mapping(_dig(_values(r), "grafana")) for r in stacks]
    if not any(v.get("enabled", True) for v in grafana_values) and not [
        r for r in g.of(RELEASE) if chart_of(r) == "grafana"
    ]:
        yield "no Grafana is installed", ""
    for r in stacks:
        v = _mapping(_dig(_values(r), "grafana"))
        if v.get("enabled", True) and not _dig(v, "admin.existingSecret"):
            yield "Grafana's admin credentials do not come from an existing Secret", r.urn
    dashboards = " ".join(
        str(cm.props.get("metadata.name"))
        for cm in g.of(CONFIG_MAP)
        if sub(cm.props.mapping("metadata"), "labels", "grafana_dashboard") == "1"
    )
    missing = [d for d in DASHBOARDS if d not in dashboards]
    if missing:
        yield f"dashboards not provisioned: {', '.join(missing)}", ""


def _rule_names(g: Graph, kind: str) -> set[str]:
    names: set[str] = set()
    for pr in g.of(PROMETHEUS_RULE):
        for group in pr.props.items("spec.groups"):
            for rule in dicts(sub(group, "rules")):
                if rule.get(kind):
                    names.add(str(rule[kind]))
    return names


@REGISTRY.stack(
    "kubernetes-alert-rules-and-routing",
    controls="OBS-03",
    types=(PROMETHEUS_RULE, RELEASE),
    severity="high",
    description="The required alerts exist (service down, error rate, p95 latency, PostgreSQL connections, disk, "
    "certificate expiry, crash loops, node not ready) and Alertmanager routes critical to a pager and warning to chat.",
    remediation="The Observability component creates the PrometheusRules and the Alertmanager routes from groundwork:observability.",
)
def alerts(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    if not _has_cluster(g):
        return
    missing = [a for a in REQUIRED_ALERTS if a not in _rule_names(g, "alert")]
    if missing:
        yield f"alerts missing: {', '.join(missing)}", ""
    for r in releases(g, "prometheus"):
        route = _mapping(_dig(_values(r), "alertmanager.config.route"))
        matchers = " ".join(str(x) for child in dicts(sub(route, "routes")) for x in as_list(child.get("matchers")))
        if "critical" not in matchers or "warning" not in matchers:
            yield "Alertmanager does not route severity critical and warning to their receivers", r.urn


@REGISTRY.stack(
    "kubernetes-logs-to-s3-with-retention",
    controls="OBS-04",
    types=RELEASE,
    severity="high",
    description="Loki stores logs in S3 with retention, and a log agent runs on every node.",
    remediation="The Observability component installs Loki (S3, retention per groundwork:observability.logs) and Alloy.",
)
def logs(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    if not _has_cluster(g):
        return
    lokis = releases(g, "loki")
    if not lokis:
        yield "no Loki is installed", ""
    for r in lokis:
        v = _values(r)
        if _dig(v, "loki.storage.type") != "s3":
            yield "Loki does not store logs in S3", r.urn
        days = _days(_dig(v, "loki.limits_config.retention_period"))
        if days is None or days < 90:
            yield "Loki keeps logs less than 90 days", r.urn
    if not releases(g, "log-agent"):
        yield "no log agent (Alloy, Promtail or Fluent Bit) runs on the nodes", ""


def _sampling(r: Res) -> float | None:
    value = sub(_dig(_values(r), "config.processors"), "probabilistic_sampler", "sampling_percentage")
    return float(value) if isinstance(value, int | float) else None


@REGISTRY.stack(
    "kubernetes-tracing-with-otlp",
    controls="OBS-05",
    types=RELEASE,
    severity="medium",
    description="A tracing backend (Tempo or Jaeger) receives OTLP through an OpenTelemetry Collector that samples traces.",
    remediation="The Observability component installs Tempo and the collector (sampling per groundwork:observability.tracing).",
)
def tracing(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    if not _has_cluster(g):
        return
    if not releases(g, "tracing"):
        yield "no tracing backend is installed", ""
    collectors = releases(g, "otel-collector")
    if not collectors:
        yield "no OpenTelemetry Collector receives OTLP", ""
    for r in collectors:
        if _sampling(r) is None:
            yield "the collector has no probabilistic_sampler", r.urn


@REGISTRY.stack(
    "kubernetes-tracing-sampling-prod",
    controls="OBS-05",
    types=RELEASE,
    severity="low",
    tier="prod",
    description="Production samples at most 10 % of traces.",
    remediation="Set groundwork:observability.tracing.samplingPercentage to 10 in prod.",
)
def tracing_prod(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    for r in releases(g, "otel-collector"):
        pct = _sampling(r)
        if pct is not None and pct > 10:
            yield f"the collector keeps {pct:g} % of traces", r.urn


@REGISTRY.stack(
    "aws-cloudwatch-alarms-for-data-and-network",
    controls="OBS-06",
    types=(ALARM, TOPIC, *AWS_ALARMS),
    severity="medium",
    tier="stg+",
    description="CloudWatch alarms watch every database (CPU, storage, connections), cache (memory, evictions, CPU), "
    "NAT gateway (errors) and backup plan (failed jobs), and notify an encrypted SNS topic.",
    remediation="The Observability component creates the alarms with thresholds from groundwork:observability.awsAlarms.",
)
def aws_alarms(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    alarms = g.of(ALARM)
    topics = {t.urn: t for t in g.of(TOPIC)}
    for type_, (namespace, metrics) in AWS_ALARMS.items():
        for target in g.of(type_):
            watching = [
                a for a in alarms if target.urn in a.deps("dimensions") and a.props.get("namespace") == namespace
            ]
            have = {a.props.get("metricName") for a in watching}
            missing = [m for m in metrics if m not in have]
            if missing:
                yield f"{target.name} has no alarm on {', '.join(missing)}", target.urn
    for a in alarms:
        if not a.props.has("alarmActions"):
            yield f"alarm {a.name} notifies no one", a.urn
        for u in a.deps("alarmActions"):
            if u in topics and not topics[u].props.has("kmsMasterKeyId"):
                yield f"SNS topic {topics[u].name} is not KMS-encrypted", u


@REGISTRY.stack(
    "kubernetes-slo-burn-rate-alerts",
    controls="OBS-07",
    types=PROMETHEUS_RULE,
    severity="medium",
    tier="prod",
    description="SLOs (99.9 % availability, p95 < 500 ms, errors < 0.1 %) are recording rules with multi-window burn-rate alerts.",
    remediation="Enable groundwork:observability.slo (on in prod); the Observability component generates the rules.",
)
def slo(g: Graph, ctx: PackContext) -> Iterator[tuple[str, str]]:
    if not _has_cluster(g):
        return
    records = _rule_names(g, "record")
    alerts_ = _rule_names(g, "alert")
    if not any(r.startswith("slo:") for r in records):
        yield "no SLO recording rules (slo:*)", ""
    if not any("BurnRate" in a for a in alerts_):
        yield "no error-budget burn-rate alerts", ""
