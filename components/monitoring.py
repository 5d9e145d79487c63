"""Metrics, alerts and dashboards: kube-prometheus-stack and everything wired to it (OBS-01..03, OBS-07).

Behaviour:
- kube-prometheus-stack (chart pinned in groundwork/charts.py) in `monitoring`, its CRDs
  installed by the chart and upgraded on every chart upgrade by the chart's CRD upgrade job
  (Helm alone never upgrades CRDs). Prometheus keeps `retentionDays` on a persistent gp3
  volume (and stops at 90 % of it), `replicas` replicas, external labels `cluster` and
  `environment`, and selects every ServiceMonitor, PodMonitor, Probe and PrometheusRule in the
  cluster. Alertmanager runs `replicas` replicas with the routes of `groundwork.alerting`;
  its receiver credentials are files of the Secret `alertmanager-receivers`, synced by External
  Secrets from `<project>/<stack>/platform/alerting`.
- Grafana with its admin credentials from Secrets Manager (generated, synced by External
  Secrets), Prometheus, Loki and Tempo datasources wired together, and the dashboards of
  `dashboards/` provisioned through labelled ConfigMaps.
- A ServiceMonitor per service in its namespace (its `metricsPort` and `metricsPath`), the
  alert and SLO rules of `groundwork.alerting` as one PrometheusRule, and exporters for what
  Kubernetes does not show: postgres-exporter (a `pg_monitor` role created by the database
  bootstrap), redis-exporter (TLS, AUTH token) and a blackbox exporter probing the public host
  (certificate expiry). The exporters are Deployments of the program, pulled through the
  stack's registry and held to the same workload rules as the services.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pulumi

from components.kube import apply, release
from groundwork import alerting, dashboards
from groundwork import manifests as m
from groundwork.settings.model import ObservabilitySettings

POSTGRES_EXPORTER = "prometheuscommunity/postgres-exporter:v0.18.1"
REDIS_EXPORTER = "oliver006/redis_exporter:v1.90.0"
BLACKBOX_EXPORTER = "prometheus/blackbox-exporter:v0.27.0"


@dataclass(frozen=True)
class Scraped:
    name: str
    team: str
    port: int
    metrics_port: int
    metrics_path: str


@dataclass(frozen=True)
class MonitoringArgs:
    settings: ObservabilitySettings
    environment: str
    cluster_name: pulumi.Input[str]
    services: Sequence[Scraped]
    namespace_resources: dict[str, pulumi.Resource]
    store: str
    store_resource: pulumi.Resource
    grafana_admin_secret: str
    alerting_secret: str
    database_host: pulumi.Input[str] | None = None
    database_monitor_secret: str | None = None
    cache_host: pulumi.Input[str] | None = None
    cache_secret: str | None = None
    quay: Callable[[str], pulumi.Output[str]] | None = None  # image of quay.io through the registry
    probe_url: str | None = None
    refresh_interval: str = "1h"


class Monitoring(pulumi.ComponentResource):
    """`groundwork:monitoring:Monitoring`."""

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:monitoring:Monitoring", name, None, opts)
        s = args.settings
        ns = args.namespace_resources.get(m.MONITORING)
        base = [x for x in (ns, args.store_resource) if x is not None]

        def synced(secret_name: str, key: str) -> pulumi.Resource:
            return apply(
                f"{name}-{secret_name}",
                m.external_secret(secret_name, m.MONITORING, store=args.store, key=key, refresh=args.refresh_interval),
                pulumi.ResourceOptions(parent=self, depends_on=base),
            )

        secrets = [
            synced("grafana-admin", args.grafana_admin_secret),
            synced(alerting.RECEIVER_SECRET, args.alerting_secret),
        ]
        self.release = release(
            f"{name}-stack",
            "kube-prometheus-stack",
            namespace=m.MONITORING,
            values=stack_values(s, args.environment, args.cluster_name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*base, *secrets]),
            timeout_seconds=900,
        )
        after = pulumi.ResourceOptions(parent=self, depends_on=[self.release])

        names = [x.name for x in args.services]
        apply(
            f"{name}-rules",
            m.prometheus_rule(
                "groundwork",
                alerting.rule_groups(
                    names,
                    s.alerts,
                    s.slo,
                    database=args.database_host is not None,
                    cache=args.cache_host is not None,
                ),
            ),
            after,
        )
        for dash_name, model in dashboards.render(names).items():
            apply(f"{name}-dashboard-{dash_name}", m.dashboard_config_map(dash_name, model), after)

        for x in args.services:
            deps: list[pulumi.Resource] = [self.release]
            if x.team in args.namespace_resources:
                deps.append(args.namespace_resources[x.team])
            apply(
                f"{name}-scrape-{x.name}",
                m.service_monitor(
                    x.name,
                    x.team,
                    port_name="metrics" if x.metrics_port != x.port else "http",
                    path=x.metrics_path,
                    interval=s.prometheus.scrape_interval,
                ),
                pulumi.ResourceOptions(parent=self, depends_on=deps),
            )

        exporters: list[m.Exporter] = []
        if args.quay and args.database_host is not None and args.database_monitor_secret:
            creds = synced("db-monitor", args.database_monitor_secret)
            exporters.append(
                m.Exporter(
                    "postgres-exporter",
                    args.quay(POSTGRES_EXPORTER),
                    9187,
                    env=[
                        {
                            "name": "DATA_SOURCE_URI",
                            "value": pulumi.Output.concat(args.database_host, ":5432/postgres?sslmode=require"),
                        },
                        _from_secret("DATA_SOURCE_USER", "db-monitor", "username"),
                        _from_secret("DATA_SOURCE_PASS", "db-monitor", "password"),
                    ],
                )
            )
            after_creds = [creds]
        else:
            after_creds = []
        if args.quay and args.cache_host is not None and args.cache_secret:
            after_creds.append(synced("cache-auth", args.cache_secret))
            exporters.append(
                m.Exporter(
                    "redis-exporter",
                    args.quay(REDIS_EXPORTER),
                    9121,
                    env=[
                        {"name": "REDIS_ADDR", "value": pulumi.Output.concat("rediss://", args.cache_host, ":6379")},
                        _from_secret("REDIS_PASSWORD", "cache-auth", "authToken"),
                    ],
                    health_path="/health",
                )
            )
        if args.quay and args.probe_url:
            exporters.append(
                m.Exporter("blackbox-exporter", args.quay(BLACKBOX_EXPORTER), 9115, env=[], health_path="/-/healthy")
            )
        for e in exporters:
            for obj in m.exporter(e):
                apply(
                    f"{name}-{e.name}-{obj['kind'].lower()}",
                    obj,
                    pulumi.ResourceOptions(parent=self, depends_on=[self.release, *after_creds]),
                )
        if args.quay and args.probe_url:
            apply(
                f"{name}-probe",
                m.blackbox_probe(
                    "public-endpoint", prober=f"blackbox-exporter.{m.MONITORING}.svc:9115", targets=[args.probe_url]
                ),
                after,
            )
        self.register_outputs({"release": self.release.name, "alerts": len(_alert_names(args, names))})


def _from_secret(env: str, secret: str, key: str) -> dict:
    return {"name": env, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _alert_names(args: MonitoringArgs, names: list[str]) -> list[str]:
    return [
        r["alert"]
        for g in alerting.rule_groups(
            names,
            args.settings.alerts,
            args.settings.slo,
            database=args.database_host is not None,
            cache=args.cache_host is not None,
        )
        for r in g["rules"]
        if "alert" in r
    ]


def stack_values(s: ObservabilitySettings, environment: str, cluster_name: pulumi.Input[str]) -> dict:
    """Helm values of kube-prometheus-stack for these settings."""
    p = s.prometheus

    def volume(gib: int) -> dict:
        return {
            "volumeClaimTemplate": {
                "spec": {
                    "storageClassName": "gp3",
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": f"{gib}Gi"}},
                }
            }
        }

    return {
        "fullnameOverride": "kps",
        "crds": {"enabled": True, "upgradeJob": {"enabled": True}},
        "defaultRules": {"create": True},
        "prometheus": {
            "prometheusSpec": {
                "replicas": p.replicas,
                "retention": f"{p.retention_days}d",
                "retentionSize": f"{int(p.storage_gib * 0.9)}GB",
                "storageSpec": volume(p.storage_gib),
                "scrapeInterval": p.scrape_interval,
                "evaluationInterval": "30s",
                "externalLabels": {"cluster": cluster_name, "environment": environment},
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                "probeSelectorNilUsesHelmValues": False,
                "ruleSelectorNilUsesHelmValues": False,
                "podAntiAffinity": "hard" if p.replicas > 1 else "",
                "resources": {"requests": {"cpu": "200m", "memory": "1Gi"}, "limits": {"memory": "4Gi"}},
            }
        },
        "alertmanager": {
            "alertmanagerSpec": {
                "replicas": p.replicas,
                "secrets": [alerting.RECEIVER_SECRET],
                "storage": volume(2),
                "podAntiAffinity": "hard" if p.replicas > 1 else "",
            },
            "config": alerting.alertmanager_config(environment, s.notifications),
        },
        "grafana": {
            "enabled": True,
            "admin": {"existingSecret": "grafana-admin", "userKey": "admin-user", "passwordKey": "admin-password"},
            "sidecar": {
                "dashboards": {
                    "enabled": True,
                    "label": "grafana_dashboard",
                    "labelValue": "1",
                    "searchNamespace": m.MONITORING,
                    "folderAnnotation": "grafana_folder",
                    "provider": {"foldersFromFilesStructure": True},
                },
                "datasources": {"enabled": True, "defaultDatasourceEnabled": True, "uid": "prometheus"},
            },
            "additionalDataSources": [
                {
                    "name": "Loki",
                    "type": "loki",
                    "uid": "loki",
                    "access": "proxy",
                    "url": f"http://loki-gateway.{m.MONITORING}.svc",
                    "jsonData": {
                        "derivedFields": [
                            {
                                "name": "trace",
                                "matcherRegex": "trace_id=(\\w+)",
                                "datasourceUid": "tempo",
                                "url": "$${__value.raw}",
                            }
                        ]
                    },
                },
                {
                    "name": "Tempo",
                    "type": "tempo",
                    "uid": "tempo",
                    "access": "proxy",
                    "url": f"http://tempo.{m.MONITORING}.svc:3200",
                    "jsonData": {
                        "tracesToLogsV2": {"datasourceUid": "loki", "filterByTraceID": True},
                        "serviceMap": {"datasourceUid": "prometheus"},
                    },
                },
            ],
            "grafana.ini": {
                "analytics": {"reporting_enabled": False, "check_for_updates": False},
                "users": {"allow_sign_up": False},
                "auth.anonymous": {"enabled": False},
            },
            "persistence": {"enabled": False},
        },
    }
