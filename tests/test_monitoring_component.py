"""The Monitoring component on its own (groundwork.plan.run_function): the receivers' and
Grafana's secrets, kube-prometheus-stack's values, the rules, dashboards and ServiceMonitors
after it, and the exporters only where there is something to export, without planning a stack
(issue 18). Alert content is groundwork.alerting's, dashboards groundwork.dashboards'."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.monitoring import (
    BLACKBOX_EXPORTER,
    POSTGRES_EXPORTER,
    REDIS_EXPORTER,
    Monitoring,
    MonitoringArgs,
    Scraped,
    stack_values,
)
from groundwork import alerting, dashboards
from groundwork import manifests as m
from groundwork.charts import chart
from groundwork.plan.graph import Graph, Resource
from groundwork.plan.runner import run_function
from groundwork.settings.model import ObservabilitySettings
from tests.helpers import outside

REGISTRY = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/groundwork-test-quay"
SERVICES = (Scraped("orders", "shop", 8080, 9090, "/metrics"), Scraped("cart", "shop", 8080, 8080, "/prom"))


def quay(image: str) -> pulumi.Output[str]:
    return pulumi.Output.from_input(f"{REGISTRY}/{image}")


def plan_monitoring(settings: dict[str, Any] | None = None, **args: Any) -> Graph:
    def body() -> None:
        Monitoring(
            "monitoring",
            MonitoringArgs(
                **{
                    "settings": ObservabilitySettings.model_validate(settings or {}),
                    "environment": "prod",
                    "cluster_name": "groundwork-test",
                    "services": SERVICES,
                    "namespace_resources": {
                        "monitoring": k8s.core.v1.Namespace("ns-monitoring"),
                        "shop": k8s.core.v1.Namespace("ns-shop"),
                    },
                    "store": "platform",
                    "store_resource": k8s.core.v1.ConfigMap("platform-store"),
                    "grafana_admin_secret": "groundwork/test/platform/grafana-admin",
                    "alerting_secret": "groundwork/test/platform/alerting",
                    **args,
                }
            ),
        )

    return run_function(body, config={"aws:region": "eu-west-1"})


EXPORTED = {
    "database_host": "groundwork-test-db.abc.eu-west-1.rds.amazonaws.com",
    "database_monitor_secret": "groundwork/test/platform/postgres-monitor",
    "cache_host": "master.groundwork-test-cache.abc.euw1.cache.amazonaws.com",
    "cache_secret": "groundwork/test/cache/auth",
    "quay": quay,
    "probe_url": "https://api.example.com/healthz",
}


@pytest.fixture(scope="module")
def full() -> Graph:
    return plan_monitoring({"prometheus": {"retentionDays": 45, "replicas": 2, "storageGiB": 100}}, **EXPORTED)


def named(g: Graph) -> dict[str, Resource]:
    return {r.name: r for r in g.resources}


def test_prometheus_keeps_its_retention_on_a_volume_it_never_fills() -> None:
    """OBS-01: retention in days, and a size cap at 90 % of the gp3 volume (Prometheus stops
    compacting and fails writes on a full disk: prometheus-operator docs, "retentionSize"); two
    replicas on different nodes; every ServiceMonitor, PodMonitor, Probe and rule of the cluster."""
    s = ObservabilitySettings.model_validate({"prometheus": {"retentionDays": 45, "replicas": 2, "storageGiB": 100}})
    spec = stack_values(s, "prod", "groundwork-test")["prometheus"]["prometheusSpec"]
    assert {k: v for k, v in spec.items() if k != "storageSpec"} == {
        "replicas": 2,
        "retention": "45d",
        "retentionSize": "90GB",
        "scrapeInterval": "30s",
        "evaluationInterval": "30s",
        "externalLabels": {"cluster": "groundwork-test", "environment": "prod"},
        "serviceMonitorSelectorNilUsesHelmValues": False,
        "podMonitorSelectorNilUsesHelmValues": False,
        "probeSelectorNilUsesHelmValues": False,
        "ruleSelectorNilUsesHelmValues": False,
        "podAntiAffinity": "hard",
        "resources": {"requests": {"cpu": "200m", "memory": "1Gi"}, "limits": {"memory": "4Gi"}},
    }
    assert spec["storageSpec"] == {
        "volumeClaimTemplate": {
            "spec": {
                "storageClassName": "gp3",
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "100Gi"}},
            }
        }
    }
    single = stack_values(
        ObservabilitySettings.model_validate({"prometheus": {"replicas": 1, "storageGiB": 25}}), "dev", "c"
    )
    assert single["prometheus"]["prometheusSpec"]["podAntiAffinity"] == ""
    assert single["prometheus"]["prometheusSpec"]["retentionSize"] == "22GB"
    assert single["alertmanager"]["alertmanagerSpec"]["podAntiAffinity"] == ""


def test_alertmanager_and_the_charts_crds() -> None:
    """Helm never upgrades CRDs: the chart's CRD upgrade job does on each chart upgrade."""
    s = ObservabilitySettings.model_validate({})
    values = stack_values(s, "prod", "groundwork-test")
    assert values["fullnameOverride"] == "kps"
    assert values["crds"] == {"enabled": True, "upgradeJob": {"enabled": True}}
    assert values["defaultRules"] == {"create": True}
    assert values["alertmanager"] == {
        "alertmanagerSpec": {
            "replicas": s.prometheus.replicas,
            "secrets": [alerting.RECEIVER_SECRET],
            "storage": {
                "volumeClaimTemplate": {
                    "spec": {
                        "storageClassName": "gp3",
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "2Gi"}},
                    }
                }
            },
            "podAntiAffinity": "hard",
        },
        "config": alerting.alertmanager_config("prod", s.notifications),
    }


def test_grafana_logs_in_from_the_synced_secret_and_links_logs_and_traces() -> None:
    """The admin login from the `grafana-admin` Secret's admin-user / admin-password (the keys
    groundwork.topology generates); Loki's trace_id links to Tempo and Tempo's traces to logs;
    no sign-up, anonymous access or phoning home."""
    grafana = stack_values(ObservabilitySettings.model_validate({}), "prod", "c")["grafana"]
    assert grafana["admin"] == {
        "existingSecret": "grafana-admin",
        "userKey": "admin-user",
        "passwordKey": "admin-password",
    }
    assert {d["uid"]: d["url"] for d in grafana["additionalDataSources"]} == {
        "loki": "http://loki-gateway.monitoring.svc",
        "tempo": "http://tempo.monitoring.svc:3200",
    }
    loki, tempo = grafana["additionalDataSources"]
    assert loki["jsonData"]["derivedFields"][0]["datasourceUid"] == "tempo"
    assert tempo["jsonData"]["tracesToLogsV2"] == {"datasourceUid": "loki", "filterByTraceID": True}
    # the sidecar loads the dashboards' ConfigMaps (groundwork.dashboards labels them) only when on
    assert grafana["sidecar"]["dashboards"]["enabled"] is True
    # each dashboard in the folder its ConfigMap's grafana_folder annotation names
    assert grafana["sidecar"]["dashboards"]["folderAnnotation"] == "grafana_folder"
    assert grafana["sidecar"]["dashboards"]["provider"] == {"foldersFromFilesStructure": True}
    assert grafana["sidecar"]["dashboards"]["label"] == "grafana_dashboard"
    assert grafana["sidecar"]["dashboards"]["labelValue"] == "1"
    # the chart's own Prometheus data source, the default one, with the uid dashboards name
    assert grafana["sidecar"]["datasources"] == {"enabled": True, "defaultDatasourceEnabled": True, "uid": "prometheus"}
    assert grafana["grafana.ini"] == {
        "analytics": {"reporting_enabled": False, "check_for_updates": False},
        "users": {"allow_sign_up": False},
        "auth.anonymous": {"enabled": False},
    }
    assert grafana["persistence"] == {"enabled": False} and grafana["enabled"] is True


def test_secrets_first_then_the_stack(full: Graph) -> None:
    r = named(full)
    base = {r["ns-monitoring"].urn, r["platform-store"].urn}
    for name, secret, key in (
        ("monitoring-grafana-admin", "grafana-admin", "groundwork/test/platform/grafana-admin"),
        ("monitoring-alertmanager-receivers", alerting.RECEIVER_SECRET, "groundwork/test/platform/alerting"),
    ):
        assert r[name].props == m.external_secret(secret, "monitoring", store="platform", key=key, refresh="1h")
        assert set(r[name].dependencies) == base
    stack = r["monitoring-stack"]
    assert (stack.props["chart"], stack.props["version"], stack.props["namespace"], stack.props["timeout"]) == (
        "kube-prometheus-stack",
        chart("kube-prometheus-stack").version,
        "monitoring",
        900,
    )
    assert set(stack.dependencies) == base | {
        r["monitoring-grafana-admin"].urn,
        r["monitoring-alertmanager-receivers"].urn,
    }


def test_rules_dashboards_and_service_monitors_after_the_stack(full: Graph) -> None:
    """They are the chart's CRDs (PrometheusRule, ServiceMonitor) or read by its sidecar."""
    r = named(full)
    stack = r["monitoring-stack"].urn
    rules = r["monitoring-rules"]
    names = ["orders", "cart"]
    s = ObservabilitySettings.model_validate({})
    assert rules.props == m.prometheus_rule(
        "groundwork", alerting.rule_groups(names, s.alerts, s.slo, database=True, cache=True)
    )
    assert rules.dependencies == [stack]
    rendered = dashboards.render(names)
    for dash, model in rendered.items():
        assert r[f"monitoring-dashboard-{dash}"].props == m.dashboard_config_map(dash, model)
        assert r[f"monitoring-dashboard-{dash}"].dependencies == [stack]
    orders, cart = r["monitoring-scrape-orders"], r["monitoring-scrape-cart"]
    # a separate metrics port is named `metrics`; metrics on the service port are scraped on `http`
    assert orders.props == m.service_monitor("orders", "shop", port_name="metrics", path="/metrics", interval="30s")
    assert cart.props == m.service_monitor("cart", "shop", port_name="http", path="/prom", interval="30s")
    assert set(orders.dependencies) == {stack, r["ns-shop"].urn}


def test_exporters_for_the_database_the_cache_and_the_public_endpoint(full: Graph) -> None:
    """postgres-exporter signs in as the pg_monitor login over TLS; redis-exporter over TLS
    (rediss://) with the AUTH token; the blackbox exporter probes the public URL (certificate
    expiry); all pulled through the stack's quay.io cache, after the stack and their secrets."""
    r = named(full)
    deployments = {x.props["metadata"]["name"]: x for x in full.of_type("kubernetes:apps/v1:Deployment")}
    assert sorted(deployments) == ["blackbox-exporter", "postgres-exporter", "redis-exporter"]
    images = {n: d.props["spec"]["template"]["spec"]["containers"][0]["image"] for n, d in deployments.items()}
    assert images == {
        "postgres-exporter": f"{REGISTRY}/{POSTGRES_EXPORTER}",
        "redis-exporter": f"{REGISTRY}/{REDIS_EXPORTER}",
        "blackbox-exporter": f"{REGISTRY}/{BLACKBOX_EXPORTER}",
    }
    env = {n: d.props["spec"]["template"]["spec"]["containers"][0].get("env", []) for n, d in deployments.items()}
    assert env["postgres-exporter"] == [
        {
            "name": "DATA_SOURCE_URI",
            "value": "groundwork-test-db.abc.eu-west-1.rds.amazonaws.com:5432/postgres?sslmode=require",
        },
        {"name": "DATA_SOURCE_USER", "valueFrom": {"secretKeyRef": {"name": "db-monitor", "key": "username"}}},
        {"name": "DATA_SOURCE_PASS", "valueFrom": {"secretKeyRef": {"name": "db-monitor", "key": "password"}}},
    ]
    assert env["redis-exporter"] == [
        {"name": "REDIS_ADDR", "value": "rediss://master.groundwork-test-cache.abc.euw1.cache.amazonaws.com:6379"},
        {"name": "REDIS_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "cache-auth", "key": "authToken"}}},
    ]
    assert env["blackbox-exporter"] == []
    # each exporter's default listen port and health endpoint upstream: postgres_exporter :9187
    # (landing page at /), redis_exporter :9121 (/health), blackbox_exporter :9115 (/-/healthy);
    # the probes would restart a healthy exporter on any other path or port
    container = {n: d.props["spec"]["template"]["spec"]["containers"][0] for n, d in deployments.items()}
    assert {n: (c["ports"], c["livenessProbe"]["httpGet"]["path"]) for n, c in container.items()} == {
        "postgres-exporter": ([{"name": "metrics", "containerPort": 9187}], "/"),
        "redis-exporter": ([{"name": "metrics", "containerPort": 9121}], "/health"),
        "blackbox-exporter": ([{"name": "metrics", "containerPort": 9115}], "/-/healthy"),
    }
    services = {
        x.props["metadata"]["name"]: x.props["spec"]["ports"][0]["port"]
        for x in full.of_type("kubernetes:core/v1:Service")
    }
    assert services == {"postgres-exporter": 9187, "redis-exporter": 9121, "blackbox-exporter": 9115}
    creds = {r["monitoring-db-monitor"].urn, r["monitoring-cache-auth"].urn}
    for obj in ("deployment", "service", "servicemonitor"):
        for e in ("postgres-exporter", "redis-exporter", "blackbox-exporter"):
            assert set(r[f"monitoring-{e}-{obj}"].dependencies) == {r["monitoring-stack"].urn, *creds}, (e, obj)
    assert r["monitoring-cache-auth"].props == m.external_secret(
        "cache-auth", "monitoring", store="platform", key="groundwork/test/cache/auth", refresh="1h"
    )
    probe = r["monitoring-probe"]
    assert probe.props == m.blackbox_probe(
        "public-endpoint", prober="blackbox-exporter.monitoring.svc:9115", targets=["https://api.example.com/healthz"]
    )
    assert probe.dependencies == [r["monitoring-stack"].urn]


@pytest.mark.parametrize(
    ("args", "present"),
    [
        ({}, []),
        ({**EXPORTED, "quay": None}, []),
        ({**EXPORTED, "database_monitor_secret": None}, ["blackbox-exporter", "redis-exporter"]),
        ({**EXPORTED, "database_host": None}, ["blackbox-exporter", "redis-exporter"]),
        ({**EXPORTED, "cache_secret": None}, ["blackbox-exporter", "postgres-exporter"]),
        ({**EXPORTED, "cache_host": None}, ["blackbox-exporter", "postgres-exporter"]),
        ({**EXPORTED, "probe_url": None}, ["postgres-exporter", "redis-exporter"]),
    ],
)
def test_an_exporter_only_where_there_is_something_to_export(args: dict[str, Any], present: list[str]) -> None:
    g = plan_monitoring(**args)
    assert sorted(d.props["metadata"]["name"] for d in g.of_type("kubernetes:apps/v1:Deployment")) == present
    assert ("monitoring-probe" in named(g)) is ("blackbox-exporter" in present)


def test_rules_follow_what_exists_and_the_alert_count_is_output() -> None:
    g = plan_monitoring()
    s = ObservabilitySettings.model_validate({})
    groups = alerting.rule_groups(["orders", "cart"], s.alerts, s.slo, database=False, cache=False)
    assert named(g)["monitoring-rules"].props == m.prometheus_rule("groundwork", groups)
    alerts = [rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule]
    out = g.one("groundwork:monitoring:Monitoring").outputs
    assert out["alerts"] == len(alerts) > 0 and out["release"] == "kube-prometheus-stack"


def test_every_resource_is_the_components_child(full: Graph) -> None:
    assert sorted(outside(full, "groundwork:monitoring:Monitoring")) == [
        "ns-monitoring",
        "ns-shop",
        "platform-store",
    ]  # the test's own stand-ins
