"""The observability layer (OBS-01..07) as the offline plan records it: sizing and retention per
tier, every rule and dashboard query parsed by a real PromQL parser, CRD validity, alert routing,
least privilege of the storage roles, and the CloudWatch alarms."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import promql_parser
import pytest

from groundwork import alerting, dashboards
from groundwork.controls import platform as pack_platform
from groundwork.plan.graph import Graph, Resource, plain
from tests.conftest import section
from tests.helpers import by_name, deps
from tests.k8s import External, Pod, manifests, reachable, validate_core, validate_crd

RELEASE = "kubernetes:helm.sh/v3:Release"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
CRDS = "schemas/crds/prometheus-operator"
SERVICES = ["api-gateway", "customer-service", "menu-service", "order-service", "payment-service", "user-service"]


def values(g: Graph, chart: str) -> dict[str, Any]:
    [r] = [r for r in g.of_type(RELEASE) if r.props["chart"] == chart]
    return plain(r.props["values"])


def rules(g: Graph) -> list[dict[str, Any]]:
    [rule] = manifests(g, "PrometheusRule")
    return [r for group in rule["spec"]["groups"] for r in group["rules"]]


def parses(expr: str) -> None:
    try:
        promql_parser.parse(expr)
    except ValueError as e:  # the parser's error names the position
        raise AssertionError(f"{expr!r} does not parse: {e}") from None


# --------------------------------------------------------------------------------------------- metrics


@pytest.mark.parametrize(
    ("stack", "replicas", "storage"), [("dev", 1, "20Gi"), ("staging", 2, "50Gi"), ("prod", 2, "100Gi")]
)
def test_prometheus_sized_and_retained_per_tier(stack: str, replicas: int, storage: str, graph_of) -> None:
    v = values(graph_of(stack), "kube-prometheus-stack")
    spec = v["prometheus"]["prometheusSpec"]
    assert spec["retention"] == "30d" and spec["replicas"] == replicas
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "gp3" and claim["resources"]["requests"]["storage"] == storage
    assert spec["externalLabels"]["environment"] == stack and spec["externalLabels"]["cluster"] == f"groundwork-{stack}"
    assert v["alertmanager"]["alertmanagerSpec"]["replicas"] == replicas
    assert v["crds"] == {"enabled": True, "upgradeJob": {"enabled": True}}  # chart upgrades upgrade the CRDs
    assert spec["serviceMonitorSelectorNilUsesHelmValues"] is False and spec["ruleSelectorNilUsesHelmValues"] is False


def test_a_service_monitor_per_service(any_stack: str, graph_of, shared: Path) -> None:
    g: Graph = graph_of(any_stack)
    monitors = {(x["metadata"]["namespace"], x["metadata"]["name"]): x for x in manifests(g, "ServiceMonitor")}
    teams = {s["name"]: s["team"] for s in section(any_stack, "services")}
    for svc, team in teams.items():
        sm = monitors[(team, svc)]
        assert sm["spec"]["selector"] == {"matchLabels": {"app.kubernetes.io/name": svc}}
        assert sm["spec"]["endpoints"][0]["path"] == "/metrics" and sm["spec"]["jobLabel"] == "app.kubernetes.io/name"
    for sm in monitors.values():
        validate_crd(sm, shared / CRDS / "monitoring.coreos.com_servicemonitors.yaml")
    assert {("monitoring", "postgres-exporter"), ("monitoring", "redis-exporter")} <= set(monitors)


def test_metrics_port_and_path_follow_the_settings(graph_of) -> None:
    services = section("prod", "services")
    services[1].update(metricsPort=9464, metricsPath="/internal/metrics")
    sm = {x["metadata"]["name"]: x for x in manifests(graph_of("prod", services=services), "ServiceMonitor")}[
        "user-service"
    ]
    assert sm["spec"]["endpoints"][0] | {"interval": None} == {
        "port": "metrics", "path": "/internal/metrics", "scheme": "http", "interval": None,
    }  # fmt: skip


# --------------------------------------------------------------------------------------------- rules


def test_required_alerts_parse_and_validate(any_stack: str, graph_of, shared: Path) -> None:
    g: Graph = graph_of(any_stack)
    [rule] = manifests(g, "PrometheusRule")
    validate_crd(rule, shared / CRDS / "monitoring.coreos.com_prometheusrules.yaml")
    found = rules(g)
    for r in found:
        parses(r["expr"])
    alerts = {r["alert"]: r for r in found if "alert" in r}
    required = {"ServiceDown", "ServiceHighErrorRate", "ServiceHighLatencyP95", "PostgresConnectionsHigh",
                "PersistentVolumeFillingUp", "CertificateExpiringSoon", "PodCrashLooping", "NodeNotReady"}  # fmt: skip
    assert required <= set(alerts)
    for a in alerts.values():
        assert a["labels"]["severity"] in ("critical", "warning")
        assert a["annotations"]["summary"] and a["annotations"]["runbook"]
    assert all(svc in alerts["ServiceDown"]["expr"] for svc in SERVICES)


def test_slo_rules_only_where_enabled(prod: Graph, staging: Graph) -> None:
    records = {r["record"] for r in rules(prod) if "record" in r}
    assert {f"slo:sli_error:ratio_rate{w}" for w in alerting.WINDOWS} <= records
    assert {f"slo:sli_latency:ratio_rate{w}" for w in alerting.WINDOWS} <= records
    burn = {r["alert"]: r for r in rules(prod) if "BurnRate" in r.get("alert", "")}
    assert set(burn) == {
        "ServiceErrorBudgetBurnRateCritical", "ServiceErrorBudgetBurnRateWarning",
        "ServiceLatencyBudgetBurnRateCritical", "ServiceLatencyBudgetBurnRateWarning",
    }  # fmt: skip
    # 99.9 %: a budget of 0.001, burned 14.4x over 1 h and 5 min pages
    assert "slo:sli_error:ratio_rate1h > 14.4 * 0.001" in burn["ServiceErrorBudgetBurnRateCritical"]["expr"]
    assert "slo:sli_error:ratio_rate5m > 14.4 * 0.001" in burn["ServiceErrorBudgetBurnRateCritical"]["expr"]
    assert 'le="0.5"' in next(r["expr"] for r in rules(prod) if r.get("record") == "slo:sli_latency:ratio_rate5m")
    assert not any("record" in r or "BurnRate" in r.get("alert", "") for r in rules(staging))


def test_thresholds_come_from_the_settings(graph_of) -> None:
    obs = section("prod", "observability")
    obs["alerts"] = {"errorRate": 0.02, "latencyP95Seconds": 0.25, "postgresConnections": 0.9}
    obs["slo"] = {"availability": 99.5, "latencyP95Seconds": 0.3}
    found = {r.get("alert") or r["record"]: r["expr"] for r in rules(graph_of("prod", observability=obs))}
    assert found["ServiceHighErrorRate"].endswith("> 0.02")
    assert found["ServiceHighLatencyP95"].endswith("> 0.25")
    assert found["PostgresConnectionsHigh"].endswith("> 0.9")
    assert "14.4 * 0.005" in found["ServiceErrorBudgetBurnRateCritical"]
    assert 'le="0.3"' in found["slo:sli_latency:ratio_rate1h"]


def test_a_broken_expression_would_be_caught() -> None:
    with pytest.raises(AssertionError, match="does not parse"):
        parses("sum by (job) (rate(http_server_request_duration_seconds_count[5m])")


# --------------------------------------------------------------------------------------------- alertmanager


def test_alerts_route_by_severity_and_environment(prod: Graph, staging: Graph) -> None:
    p = values(prod, "kube-prometheus-stack")["alertmanager"]
    route = p["config"]["route"]
    by_receiver = [(r["receiver"], r["matchers"]) for r in route["routes"]]
    assert ("pager", ['severity="critical"', 'environment="prod"']) in by_receiver
    assert ("chat", ['severity="warning"', 'environment="prod"']) in by_receiver
    assert p["config"]["inhibit_rules"] == [
        {
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity="warning"'],
            "equal": ["namespace", "job"],
        }
    ]
    receivers = {r["name"]: r for r in p["config"]["receivers"]}
    assert receivers["pager"]["pagerduty_configs"][0]["routing_key_file"].startswith("/etc/alertmanager/secrets/")
    assert receivers["chat"]["slack_configs"][0]["api_url_file"].startswith("/etc/alertmanager/secrets/")
    assert p["alertmanagerSpec"]["secrets"] == ["alertmanager-receivers"]
    # staging does not page: its criticals go to chat
    s = values(staging, "kube-prometheus-stack")["alertmanager"]["config"]["route"]["routes"]
    assert "pager" not in {r["receiver"] for r in s}


def test_receiver_and_grafana_credentials_come_from_secrets_manager(prod: Graph) -> None:
    synced = {
        x["metadata"]["name"]: x["spec"]
        for x in manifests(prod, "ExternalSecret")
        if x["metadata"]["namespace"] == "monitoring"
    }
    assert synced["alertmanager-receivers"]["dataFrom"] == [{"extract": {"key": "groundwork/prod/platform/alerting"}}]
    assert synced["grafana-admin"]["dataFrom"] == [{"extract": {"key": "groundwork/prod/platform/grafana-admin"}}]
    grafana = values(prod, "kube-prometheus-stack")["grafana"]
    assert grafana["admin"]["existingSecret"] == "grafana-admin"
    # the alerting secret is operator-provided (created empty); grafana's admin password is generated and secret
    versions = {deps(v, "secretId")[0]: v for v in prod.of_type("aws:secretsmanager/secretVersion:SecretVersion")}
    secrets = by_name(prod, "aws:secretsmanager/secret:Secret")
    assert secrets["secrets-platform-alerting"].urn not in versions
    from groundwork.plan.graph import is_secret

    assert is_secret(versions[secrets["secrets-platform-grafana-admin"].urn].inputs["secretString"])


# --------------------------------------------------------------------------------------------- dashboards


def test_dashboards_are_provisioned_and_every_query_parses(prod: Graph) -> None:
    maps = {
        x["metadata"]["name"]: x
        for x in manifests(prod, "ConfigMap")
        if x["metadata"]["labels"].get("grafana_dashboard") == "1"
    }
    expected = {f"dashboard-{n}" for n in dashboards.PLATFORM} | {f"dashboard-business-kpis-{s}" for s in SERVICES}
    assert set(maps) == expected
    uids = set()
    for cm in maps.values():
        [(filename, text)] = cm["data"].items()
        model = json.loads(text)
        uids.add(model["uid"])
        queries = list(dashboards.panel_queries(model))
        assert queries, filename
        for title, expr in queries:
            try:
                parses(dashboards.as_promql(expr))
            except AssertionError as e:
                raise AssertionError(f"{filename} panel {title!r}: {e}") from None
        for panel in model["panels"]:
            if panel["type"] != "text":
                assert panel["datasource"]["uid"] == "prometheus"
    assert len(uids) == len(maps)  # one uid per dashboard
    assert "order-service" in maps["dashboard-business-kpis-order-service"]["data"]["business-kpis-order-service.json"]


def test_red_dashboard_has_rate_errors_and_latency_percentiles() -> None:
    model = dashboards.load("service-red")
    exprs = [e for _, e in dashboards.panel_queries(model)]
    assert any('http_response_status_code=~"5.."' in e for e in exprs)
    for q in ("0.5", "0.95", "0.99"):
        assert any(e.startswith(f"histogram_quantile({q},") for e in exprs)


def test_grafana_datasources_are_wired(prod: Graph) -> None:
    ds = {d["uid"]: d for d in values(prod, "kube-prometheus-stack")["grafana"]["additionalDataSources"]}
    assert ds["loki"]["url"] == "http://loki-gateway.monitoring.svc"
    assert ds["tempo"]["jsonData"]["tracesToLogsV2"]["datasourceUid"] == "loki"


# --------------------------------------------------------------------------------------------- logs and traces


@pytest.mark.parametrize(("stack", "replicas"), [("dev", 1), ("staging", 2), ("prod", 3)])
def test_loki_keeps_90_days_in_s3(stack: str, replicas: int, graph_of) -> None:
    g: Graph = graph_of(stack)
    v = values(g, "loki")
    assert v["loki"]["storage"]["type"] == "s3" and v["loki"]["limits_config"]["retention_period"] == "90d"
    assert v["loki"]["compactor"]["retention_enabled"] is True
    assert v["singleBinary"]["replicas"] == replicas and v["loki"]["commonConfig"]["replication_factor"] == min(
        3, replicas
    )
    buckets = {r.props["tags"].get("Purpose"): r for r in g.of_type("aws:s3/bucket:Bucket")}
    logs = buckets["logs"]
    assert v["loki"]["storage"]["bucketNames"]["chunks"] == logs.outputs["bucket"]
    lifecycle = next(
        r
        for r in g.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
        if logs.urn in deps(r, "bucket")
    )
    rule = next(x for x in lifecycle.props["rules"] if x["id"] == "hot-then-tiered")
    assert rule["transitions"] == [{"days": 7, "storageClass": "INTELLIGENT_TIERING"}]
    assert rule["expiration"]["days"] == 91
    assert "alloy" in {r.props["chart"] for r in g.of_type(RELEASE)}


def test_storage_roles_reach_only_their_bucket_and_key(prod: Graph) -> None:
    buckets = {r.props["tags"].get("Purpose"): r for r in prod.of_type("aws:s3/bucket:Bucket")}
    logs_key = by_name(prod, "aws:kms/key:Key")["keys-logs"]
    policies = by_name(prod, "aws:iam/rolePolicy:RolePolicy")
    for component, purpose in (("loki", "logs"), ("tempo", "traces")):
        p = policies[f"telemetry-{component}-policy"]
        doc = json.loads(p.props["policy"])["Statement"]
        arn = buckets[purpose].outputs["arn"]
        assert [s["Resource"] for s in doc] == [[arn], [f"{arn}/*"], [logs_key.outputs["arn"]]]
        assert set(deps(p, "policy")) == {buckets[purpose].urn, logs_key.urn}
    assoc = {
        (a.props["namespace"], a.props["serviceAccount"])
        for a in prod.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    }
    assert {("monitoring", "loki"), ("monitoring", "tempo")} <= assoc
    assert (
        values(prod, "loki")["serviceAccount"]["name"] == "loki"
        and values(prod, "tempo")["serviceAccount"]["name"] == "tempo"
    )


@pytest.mark.parametrize(("stack", "percent"), [("dev", 100), ("staging", 25), ("prod", 10)])
def test_traces_sampled_per_tier(stack: str, percent: float, graph_of) -> None:
    v = values(graph_of(stack), "opentelemetry-collector")
    assert v["config"]["processors"]["probabilistic_sampler"]["sampling_percentage"] == percent
    pipeline = v["config"]["service"]["pipelines"]["traces"]
    assert pipeline["processors"].index("probabilistic_sampler") < pipeline["processors"].index("batch")
    assert v["config"]["exporters"]["otlp"]["endpoint"] == "tempo.monitoring.svc:4317"


def test_services_reach_the_collector_and_nothing_else_in_monitoring(prod: Graph) -> None:
    policies = manifests(prod, "NetworkPolicy")
    ns = {"kubernetes.io/metadata.name": "monitoring"}
    collector = Pod("monitoring", {"app.kubernetes.io/name": "opentelemetry-collector"}, ns)
    grafana = Pod("monitoring", {"app.kubernetes.io/name": "grafana"}, ns)
    order = Pod("orders", {"app.kubernetes.io/name": "order-service"}, {"kubernetes.io/metadata.name": "orders"})
    assert reachable(policies, order, collector, 4317) and reachable(policies, order, collector, 4318)
    assert not reachable(policies, order, grafana, 3000)
    assert not reachable(policies, order, External("10.30.255.1"), 4317)


# --------------------------------------------------------------------------------------------- exporters


def test_exporters_meet_the_workload_rules(prod: Graph) -> None:
    deployments = {x["metadata"]["name"]: x for x in manifests(prod, "Deployment")}
    assert set(deployments) == {"postgres-exporter", "redis-exporter", "blackbox-exporter"}
    for name, d in deployments.items():
        validate_core(d, "1.35")
        [c] = d["spec"]["template"]["spec"]["containers"]
        assert c["image"].startswith("333333333333.dkr.ecr.eu-west-1.amazonaws.com/groundwork-prod-quay/"), name
        assert c["securityContext"]["readOnlyRootFilesystem"] is True and c["livenessProbe"] and c["readinessProbe"]
        assert all("value" not in e for e in c["env"] if e["name"] in ("DATA_SOURCE_PASS", "REDIS_PASSWORD"))
    env = {e["name"]: e for e in deployments["postgres-exporter"]["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["DATA_SOURCE_URI"]["value"].endswith(":5432/postgres?sslmode=require")
    assert env["DATA_SOURCE_PASS"]["valueFrom"]["secretKeyRef"] == {"name": "db-monitor", "key": "password"}
    [probe] = manifests(prod, "Probe")
    assert probe["spec"]["targets"]["staticConfig"]["static"] == ["https://api.example.com/"]


def test_probe_validates(prod: Graph, shared: Path) -> None:
    for p in manifests(prod, "Probe"):
        validate_crd(p, shared / CRDS / "monitoring.coreos.com_probes.yaml")


def test_the_pack_sees_one_release_per_observability_role(prod: Graph) -> None:
    charts = {r.props["chart"] for r in prod.of_type(RELEASE)}
    for role in ("prometheus", "loki", "log-agent", "tracing", "otel-collector"):
        assert charts & set(pack_platform.CHARTS[role]), role


# --------------------------------------------------------------------------------------------- aws alarms


def alarms(g: Graph) -> dict[str, Resource]:
    return {r.name.removeprefix("alarms-"): r for r in g.of_type(ALARM)}


def test_aws_alarms_watch_the_data_layer_nat_backups_alb_and_certificate(prod: Graph) -> None:
    found = alarms(prod)
    assert set(found) == {
        "rds-cpu", "rds-free-storage", "rds-connections",
        *(f"cache-{i}-{m}" for i in (1, 2) for m in ("memory", "cpu", "evictions")),
        *(f"nat-{i}-{m}" for i in range(3) for m in ("port-allocation", "packets-dropped")),
        "backup-jobs-failed", "backup-copies-failed", "certificate-expiry", "alb-5xx",
    }  # fmt: skip
    rds, group, plan = (
        prod.one("aws:rds/instance:Instance"),
        prod.one("aws:elasticache/replicationGroup:ReplicationGroup"),
        prod.one("aws:backup/plan:Plan"),
    )
    assert deps(found["rds-cpu"], "dimensions") == [rds.urn]
    assert deps(found["cache-2-memory"], "dimensions") == [group.urn]
    assert found["cache-2-memory"].props["dimensions"]["CacheClusterId"].endswith("-002")
    assert deps(found["backup-jobs-failed"], "dimensions") == [plan.urn]
    assert found["rds-free-storage"].props["threshold"] == 5 * 1024**3
    topics = {t.urn: t for t in prod.of_type("aws:sns/topic:Topic")}
    for name, a in found.items():
        [topic] = deps(a, "alarmActions")
        assert topics[topic].props["tags"]["Severity"] in a.props["alarmDescription"], name
        assert "First response:" in a.props["alarmDescription"]
    logs_key = by_name(prod, "aws:kms/key:Key")["keys-logs"].urn
    assert all(deps(t, "kmsMasterKeyId") == [logs_key] for t in topics.values())


def test_alarms_in_stg_plus_only_and_thresholds_from_settings(dev: Graph, graph_of) -> None:
    assert dev.of_type(ALARM) == []
    obs = section("prod", "observability")
    obs["awsAlarms"] = {"rdsCpuPercent": 65, "alb5xx": 10}
    found = alarms(graph_of("prod", observability=obs))
    assert found["rds-cpu"].props["threshold"] == 65 and found["alb-5xx"].props["threshold"] == 10


def test_alarm_notifications_reach_chat_through_aws_chatbot(prod: Graph, staging: Graph) -> None:
    chatbot = prod.one("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration")
    assert chatbot.props["slackTeamId"] == "T0123ABCDE" and chatbot.props["guardrailPolicyArns"] == [
        "arn:aws:iam::aws:policy/AWSDenyAll"
    ]
    assert set(deps(chatbot, "snsTopicArns")) == {t.urn for t in prod.of_type("aws:sns/topic:Topic")}
    assert staging.of_type("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration") == []


def test_critical_alarms_can_page_through_sns(graph_of) -> None:
    obs = section("prod", "observability")
    obs["notifications"]["pagerSnsSubscription"] = True
    g: Graph = graph_of("prod", observability=obs)
    sub = g.one("aws:sns/topicSubscription:TopicSubscription")
    topics = {t.props["tags"]["Severity"]: t.urn for t in g.of_type("aws:sns/topic:Topic")}
    assert deps(sub, "topic") == [topics["critical"]] and sub.props["protocol"] == "https"
    from groundwork.plan.graph import is_secret

    assert is_secret(sub.inputs["endpoint"])  # the integration URL carries the PagerDuty key
