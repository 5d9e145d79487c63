"""Prometheus alerting and recording rules, and the Alertmanager configuration (pure module).

Every alert carries `severity` (critical pages where the stack pages, warning goes to chat),
a summary, a description and a `runbook` line: the first response. docs/alerts.md is
generated from `ALERTS` below, so the rules and their runbook cannot drift apart.

Service metrics follow the OpenTelemetry HTTP semantic conventions as exported to Prometheus
(docs/observability.md): `http_server_request_duration_seconds` histogram with
`http_response_status_code`; the ServiceMonitor gives every series `job=<service>` and
`namespace=<team>`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

REQUESTS = "http_server_request_duration_seconds"
SERVER_ERRORS = 'http_response_status_code=~"5.."'


@dataclass(frozen=True)
class Alert:
    name: str
    severity: str  # critical | warning
    expr: str
    for_: str
    summary: str
    description: str
    runbook: str  # first response, one line
    control: str = "OBS-03"


def _jobs(services: Sequence[str]) -> str:
    return "|".join(sorted(services)) or "none"


def alerts(services: Sequence[str], t: Any, *, database: bool, cache: bool) -> list[Alert]:
    """The alerts of OBS-03 with thresholds from `groundwork:observability.alerts` (`t`)."""
    jobs = f'job=~"{_jobs(services)}"'
    out = [
        Alert(
            "ServiceDown",
            "critical",
            f"sum by (namespace, job) (up{{{jobs}}}) == 0",
            "2m",
            "{{ $labels.job }} has no instance Prometheus can scrape",
            "Every target of {{ $labels.job }} in {{ $labels.namespace }} is down or unreachable.",
            "kubectl -n {{ $labels.namespace }} get pods -l app.kubernetes.io/name={{ $labels.job }}; check the "
            "Argo CD sync, image pull and crash logs; roll back the Application if the last sync caused it.",
        ),
        Alert(
            "ServiceHighErrorRate",
            "critical",
            f"sum by (namespace, job) (rate({REQUESTS}_count{{{jobs},{SERVER_ERRORS}}}[5m]))"
            f" / sum by (namespace, job) (rate({REQUESTS}_count{{{jobs}}}[5m])) > {t.error_rate}",
            "5m",
            "{{ $labels.job }} answers more than " + f"{t.error_rate:.0%}" + " of requests with 5xx",
            "{{ $labels.job }} error ratio is {{ $value | humanizePercentage }} over 5 minutes.",
            "Open the service RED dashboard and the service's logs in Loki (level=error); correlate with the "
            "latest deploy, the database and cache dashboards; roll back if a release caused it.",
        ),
        Alert(
            "ServiceHighLatencyP95",
            "warning",
            f"histogram_quantile(0.95, sum by (namespace, job, le) (rate({REQUESTS}_bucket{{{jobs}}}[5m])))"
            f" > {t.latency_p95_seconds}",
            "10m",
            "{{ $labels.job }} p95 latency is above " + f"{t.latency_p95_seconds * 1000:g} ms",
            "{{ $labels.job }} p95 latency is {{ $value | humanizeDuration }}.",
            "Find slow spans in Tempo for the service; check database connections and slow-query log, cache hit "
            "ratio and CPU throttling of the pods.",
        ),
        Alert(
            "PersistentVolumeFillingUp",
            "warning",
            f"kubelet_volume_stats_used_bytes / kubelet_volume_stats_capacity_bytes > {t.disk_usage}",
            "10m",
            "Volume {{ $labels.persistentvolumeclaim }} is more than " + f"{t.disk_usage:.0%}" + " full",
            "{{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is {{ $value | humanizePercentage }} full.",
            "Expand the PVC (the gp3 StorageClass allows expansion) or lower the retention of what writes to it.",
        ),
        Alert(
            "NodeDiskFillingUp",
            "warning",
            '1 - node_filesystem_avail_bytes{fstype!~"tmpfs|overlay|squashfs"}'
            ' / node_filesystem_size_bytes{fstype!~"tmpfs|overlay|squashfs"}'
            f" > {t.disk_usage}",
            "10m",
            "A node filesystem is more than " + f"{t.disk_usage:.0%}" + " full",
            "{{ $labels.instance }} {{ $labels.mountpoint }} is {{ $value | humanizePercentage }} full.",
            "Check image garbage collection and emptyDir usage on the node; cordon and replace the node if needed.",
        ),
        Alert(
            "PodCrashLooping",
            "warning",
            f"increase(kube_pod_container_status_restarts_total[15m]) > {t.crash_loop_restarts}",
            "5m",
            "{{ $labels.namespace }}/{{ $labels.pod }} is restarting",
            "Container {{ $labels.container }} restarted {{ $value }} times in 15 minutes.",
            "kubectl -n {{ $labels.namespace }} logs {{ $labels.pod }} -c {{ $labels.container }} --previous; "
            "check OOMKilled (memory limit) and failing probes.",
        ),
        Alert(
            "NodeNotReady",
            "critical",
            'kube_node_status_condition{condition="Ready",status="true"} == 0',
            "5m",
            "Node {{ $labels.node }} is not ready",
            "{{ $labels.node }} has reported NotReady for 5 minutes; its pods are being evicted.",
            "kubectl describe node {{ $labels.node }}; if the instance is impaired, terminate it and let the "
            "managed node group replace it.",
        ),
    ]
    if database:
        out.append(
            Alert(
                "PostgresConnectionsHigh",
                "warning",
                "sum by (instance) (pg_stat_database_numbackends)"
                f" / max by (instance) (pg_settings_max_connections) > {t.postgres_connections}",
                "5m",
                "PostgreSQL uses more than " + f"{t.postgres_connections:.0%}" + " of max_connections",
                "{{ $value | humanizePercentage }} of max_connections are in use.",
                "Find the service holding connections (pg_stat_activity by usename); check the RDS Proxy pool and "
                "connection leaks; scale the instance class if the load is real.",
            )
        )
    if cache:
        out.append(
            Alert(
                "CacheMemoryHigh",
                "warning",
                f"redis_memory_used_bytes / redis_memory_max_bytes > {t.cache_memory}",
                "10m",
                "The cache uses more than " + f"{t.cache_memory:.0%}" + " of its memory",
                "Memory use is {{ $value | humanizePercentage }}; evictions follow.",
                "Check key growth and TTLs per service prefix; raise the node type if the working set grew.",
            )
        )
    # fed by the blackbox probe of the stack's public host (where it serves HTTPS on a host name);
    # the ACM DaysToExpiry alarm covers the certificate on the AWS side in every case
    out.append(
        Alert(
            "CertificateExpiringSoon",
            "warning",
            f"(probe_ssl_earliest_cert_expiry - time()) / 86400 < {t.certificate_days}",
            "1h",
            "The TLS certificate of {{ $labels.instance }} expires soon",
            "It expires in {{ $value | humanize }} days.",
            "ACM renews DNS-validated certificates automatically: check the validation CNAME still exists; "
            "imported certificates must be re-imported.",
        )
    )
    return out


# ---------------------------------------------------------------------------------------------
# SLOs (OBS-07): recording rules and multi-window, multi-burn-rate alerts (Google SRE workbook)
# ---------------------------------------------------------------------------------------------

WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
# (severity, long window, short window, burn rate): 2 % of a 30-day budget in 1 h, 5 % in 6 h,
# 10 % in 3 days
BURN_RATES = (
    ("critical", "1h", "5m", 14.4),
    ("critical", "6h", "30m", 6.0),
    ("warning", "1d", "2h", 3.0),
    ("warning", "3d", "6h", 1.0),
)


def slo_rules(services: Sequence[str], slo: Any) -> tuple[list[dict[str, Any]], list[Alert]]:
    """Recording rules `slo:sli_error:ratio_rate<w>` (share of 5xx) and `slo:sli_latency:ratio_rate<w>`
    (share slower than the latency objective) per service, and burn-rate alerts on both."""
    jobs = f'job=~"{_jobs(services)}"'
    records: list[dict[str, Any]] = []
    le = _le(slo.latency_p95_seconds)
    for w in WINDOWS:
        records.append(
            {
                "record": f"slo:sli_error:ratio_rate{w}",
                "expr": f"sum by (namespace, job) (rate({REQUESTS}_count{{{jobs},{SERVER_ERRORS}}}[{w}]))"
                f" / sum by (namespace, job) (rate({REQUESTS}_count{{{jobs}}}[{w}]))",
            }
        )
        records.append(
            {
                "record": f"slo:sli_latency:ratio_rate{w}",
                "expr": f'1 - sum by (namespace, job) (rate({REQUESTS}_bucket{{{jobs},le="{le}"}}[{w}]))'
                f" / sum by (namespace, job) (rate({REQUESTS}_count{{{jobs}}}[{w}]))",
            }
        )
    error_budget = round(1 - slo.availability / 100, 6)
    latency_budget = 0.05  # p95 objective: 5 % of requests may be slower
    alerts_: list[Alert] = []
    for kind, budget, what in (("error", error_budget, "errors"), ("latency", latency_budget, "slow requests")):
        for severity in ("critical", "warning"):
            conditions = [
                f"(slo:sli_{kind}:ratio_rate{long} > {rate} * {budget} and slo:sli_{kind}:ratio_rate{short} > {rate} * {budget})"
                for sev, long, short, rate in BURN_RATES
                if sev == severity
            ]
            name = f"Service{kind.capitalize()}BudgetBurnRate{'Critical' if severity == 'critical' else 'Warning'}"
            alerts_.append(
                Alert(
                    name,
                    severity,
                    " or ".join(conditions),
                    "2m" if severity == "critical" else "15m",
                    "{{ $labels.job }} burns its " + kind + " budget too fast",
                    f"{{{{ $labels.job }}}} {what} consume the 30-day budget of its SLO "
                    f"({slo.availability}% available, p95 < {slo.latency_p95_seconds * 1000:g} ms) "
                    + ("at a rate that exhausts it within days." if severity == "critical" else "faster than planned."),
                    "Treat as an incident if critical: find the cause in the RED dashboard, traces and logs; freeze "
                    "releases of the service until the budget recovers.",
                    control="OBS-07",
                )
            )
    return records, alerts_


def _le(seconds: float) -> str:
    """The histogram bucket boundary as Prometheus prints it (0.5 -> "0.5", 1 -> "1")."""
    return f"{seconds:g}"


def rule_groups(
    services: Sequence[str], thresholds: Any, slo: Any, *, database: bool, cache: bool
) -> list[dict[str, Any]]:
    """PrometheusRule `spec.groups`."""

    def as_rule(a: Alert) -> dict[str, Any]:
        return {
            "alert": a.name,
            "expr": a.expr,
            "for": a.for_,
            "labels": {"severity": a.severity, "control": a.control},
            "annotations": {"summary": a.summary, "description": a.description, "runbook": a.runbook},
        }

    groups = [
        {
            "name": "groundwork.alerts",
            "rules": [as_rule(a) for a in alerts(services, thresholds, database=database, cache=cache)],
        }
    ]
    if slo.enabled and services:
        records, burn = slo_rules(services, slo)
        groups.append({"name": "groundwork.slo.records", "interval": "30s", "rules": records})
        groups.append({"name": "groundwork.slo.alerts", "rules": [as_rule(a) for a in burn]})
    return groups


# ---------------------------------------------------------------------------------------------
# Alertmanager
# ---------------------------------------------------------------------------------------------

RECEIVER_SECRET = "alertmanager-receivers"
SECRET_DIR = f"/etc/alertmanager/secrets/{RECEIVER_SECRET}"


def alertmanager_config(environment: str, notifications: Any) -> dict[str, Any]:
    """Routes by severity and environment: critical pages (where the stack pages) and also goes
    to chat, warning goes to chat; a firing critical silences the warnings of the same service.
    Receiver credentials are files of the Secret synced from Secrets Manager, never values."""
    env = f'environment="{environment}"'
    routes: list[dict[str, Any]] = [{"matchers": ['alertname="Watchdog"'], "receiver": "null"}]
    if notifications.page_on_critical:
        routes.append({"matchers": ['severity="critical"', env], "receiver": "pager", "continue": True})
    routes += [
        {"matchers": ['severity="critical"', env], "receiver": "chat"},
        {"matchers": ['severity="warning"', env], "receiver": "chat"},
    ]
    title = "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.environment }})"
    return {
        "global": {"resolve_timeout": "5m"},
        "route": {
            "receiver": "chat",
            "group_by": ["alertname", "namespace", "job"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": routes,
        },
        "inhibit_rules": [
            {
                "source_matchers": ['severity="critical"'],
                "target_matchers": ['severity="warning"'],
                "equal": ["namespace", "job"],
            }
        ],
        "receivers": [
            {"name": "null"},
            {
                "name": "pager",
                "pagerduty_configs": [
                    {
                        "routing_key_file": f"{SECRET_DIR}/pagerdutyRoutingKey",
                        "severity": "critical",
                        "send_resolved": True,
                        "details": {"environment": environment, "runbook": "{{ .CommonAnnotations.runbook }}"},
                    }
                ],
            },
            {
                "name": "chat",
                "slack_configs": [
                    {
                        "api_url_file": f"{SECRET_DIR}/slackWebhookUrl",
                        "channel": notifications.slack_channel,
                        "send_resolved": True,
                        "title": title,
                        "text": "{{ range .Alerts }}{{ .Annotations.description }}\nFirst response: "
                        "{{ .Annotations.runbook }}\n{{ end }}",
                    }
                ],
            },
        ],
    }


# ---------------------------------------------------------------------------------------------
# CloudWatch alarms (OBS-06): one table for the Alarms component and docs/alerts.md
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AwsAlarm:
    key: str  # alarm name suffix; N = node or gateway index
    namespace: str
    metric: str
    comparison: str  # GreaterThanThreshold | LessThanThreshold
    threshold: str  # attribute of AwsAlarmSettings (or a number)
    severity: str
    statistic: str
    period: int
    periods: int
    meaning: str
    runbook: str


AWS_ALARMS = (
    AwsAlarm(
        "rds-cpu",
        "AWS/RDS",
        "CPUUtilization",
        "GreaterThanThreshold",
        "rds_cpu_percent",
        "warning",
        "Average",
        300,
        3,
        "RDS CPU above rdsCpuPercent for 15 min",
        "Performance Insights top SQL; scale the instance class if the load is legitimate.",
    ),
    AwsAlarm(
        "rds-free-storage",
        "AWS/RDS",
        "FreeStorageSpace",
        "LessThanThreshold",
        "rds_free_storage_gib",
        "critical",
        "Average",
        300,
        1,
        "RDS free storage below rdsFreeStorageGiB",
        "Storage autoscaling should act; at maxAllocatedStorageGiB raise it, and find the table or WAL growth.",
    ),
    AwsAlarm(
        "rds-connections",
        "AWS/RDS",
        "DatabaseConnections",
        "GreaterThanThreshold",
        "rds_connections",
        "warning",
        "Average",
        300,
        3,
        "RDS connections above rdsConnections for 15 min",
        "Check the RDS Proxy pool and which service's role holds the connections (pg_stat_activity).",
    ),
    AwsAlarm(
        "cache-N-memory",
        "AWS/ElastiCache",
        "DatabaseMemoryUsagePercentage",
        "GreaterThanThreshold",
        "cache_memory_percent",
        "warning",
        "Average",
        300,
        3,
        "a cache node's memory above cacheMemoryPercent",
        "Check key growth and TTLs per service; raise the node type if the working set grew.",
    ),
    AwsAlarm(
        "cache-N-cpu",
        "AWS/ElastiCache",
        "EngineCPUUtilization",
        "GreaterThanThreshold",
        "cache_cpu_percent",
        "warning",
        "Average",
        300,
        3,
        "a cache node's engine CPU above cacheCpuPercent",
        "Look for expensive commands in the slow-log group; scale the node type.",
    ),
    AwsAlarm(
        "cache-N-evictions",
        "AWS/ElastiCache",
        "Evictions",
        "GreaterThanThreshold",
        "cache_evictions",
        "warning",
        "Sum",
        300,
        1,
        "a cache node evicts more than cacheEvictions keys in 5 min",
        "The cache is full: check the memory alarm and TTLs.",
    ),
    AwsAlarm(
        "nat-N-port-allocation",
        "AWS/NATGateway",
        "ErrorPortAllocation",
        "GreaterThanThreshold",
        "0",
        "critical",
        "Sum",
        300,
        1,
        "a NAT gateway fails to allocate a source port",
        "Too many connections to one destination: find the workload, add NAT capacity or a VPC endpoint.",
    ),
    AwsAlarm(
        "nat-N-packets-dropped",
        "AWS/NATGateway",
        "PacketsDropCount",
        "GreaterThanThreshold",
        "nat_packets_dropped",
        "warning",
        "Sum",
        300,
        1,
        "a NAT gateway drops more than natPacketsDropped packets in 5 min",
        "Check the NAT gateway's AZ health and bandwidth.",
    ),
    AwsAlarm(
        "nat-instance-status",
        "AWS/EC2",
        "StatusCheckFailed",
        "GreaterThanThreshold",
        "0",
        "critical",
        "Maximum",
        60,
        2,
        "the NAT instance (natMode: instance) fails a status check for 2 min: the private subnets lose egress",
        "EC2 moves it off a failed host by itself (simplified automatic recovery); on an instance check "
        "failure reboot it, or replace it with `pulumi up --replace` on network-nat-instance.",
    ),
    AwsAlarm(
        "backup-jobs-failed",
        "AWS/Backup",
        "NumberOfBackupJobsFailed",
        "GreaterThanThreshold",
        "0",
        "critical",
        "Sum",
        3600,
        1,
        "a backup job of the plan's vault failed",
        "aws backup list-backup-jobs --by-state FAILED; fix the cause and start an on-demand backup.",
    ),
    AwsAlarm(
        "backup-copies-failed",
        "AWS/Backup",
        "NumberOfCopyJobsFailed",
        "GreaterThanThreshold",
        "0",
        "critical",
        "Sum",
        3600,
        1,
        "a copy of a recovery point to the DR region failed",
        "aws backup list-copy-jobs --by-state FAILED; check the DR vault's key and lock.",
    ),
    AwsAlarm(
        "certificate-expiry",
        "AWS/CertificateManager",
        "DaysToExpiry",
        "LessThanThreshold",
        "certificate_days",
        "warning",
        "Minimum",
        86400,
        1,
        "the ACM certificate expires within certificateDays",
        "ACM renews DNS-validated certificates: restore the validation CNAME; re-import an imported one.",
    ),
    AwsAlarm(
        "alb-5xx",
        "AWS/ApplicationELB",
        "HTTPCode_ELB_5XX_Count",
        "GreaterThanThreshold",
        "alb_5xx",
        "warning",
        "Sum",
        300,
        1,
        "the ALB itself answers more than alb5xx 5xx in 5 min",
        "Check target health (no healthy pods behind a path) and the load balancer controller's events.",
    ),
)
AWS_ALARM = {a.key: a for a in AWS_ALARMS}


def aws_threshold(a: AwsAlarm, settings: Any) -> float:
    value = float(getattr(settings, a.threshold)) if not a.threshold.replace(".", "").isdigit() else float(a.threshold)
    return value * 1024**3 if a.threshold == "rds_free_storage_gib" else value
