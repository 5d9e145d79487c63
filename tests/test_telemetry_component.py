"""The Telemetry component on its own (groundwork.plan.run_function): the logs and traces
buckets and their lifecycles, the Loki and Tempo roles reaching exactly their bucket and key,
and the Loki, Alloy, Tempo and collector releases in their order, without planning a stack
(issue 18)."""

from __future__ import annotations

import json
from typing import Any

import pulumi_kubernetes as k8s
import pytest

from components.telemetry import (
    ALLOY_CONFIG,
    COLLECTOR,
    Telemetry,
    TelemetryArgs,
    collector_values,
    loki_values,
    tempo_values,
)
from groundwork.charts import chart
from groundwork.naming import Naming
from groundwork.plan.graph import Graph, Resource
from groundwork.plan.runner import run_function
from groundwork.settings.model import ObservabilitySettings
from tests.helpers import by_name, outside

LOGS_KEY = "arn:aws:kms:eu-west-1:111111111111:key/logs"
ACCOUNT = "111111111111"
SETTINGS = {
    "logs": {"hotDays": 10, "retentionDays": 120, "replicas": 2, "storageGiB": 30},
    "tracing": {"retentionDays": 21, "samplingPercentage": 25},
}


def plan_telemetry(settings: dict[str, Any] | None = None, **args: Any) -> Graph:
    def body() -> None:
        Telemetry(
            "telemetry",
            TelemetryArgs(
                **{
                    "settings": ObservabilitySettings.model_validate(settings if settings is not None else SETTINGS),
                    "naming": Naming("groundwork", "test"),
                    "environment": "prod",
                    "region": "eu-west-1",
                    "cluster_name": "groundwork-test",
                    "cluster_arn": "arn:aws:eks:eu-west-1:111111111111:cluster/groundwork-test",
                    "account_id": ACCOUNT,
                    "logs_key_arn": LOGS_KEY,
                    "namespace": k8s.core.v1.Namespace("ns-monitoring"),
                    **args,
                }
            ),
        )

    return run_function(body, config={"aws:region": "eu-west-1"})


@pytest.fixture(scope="module")
def full() -> Graph:
    return plan_telemetry()


def settings() -> ObservabilitySettings:
    return ObservabilitySettings.model_validate(SETTINGS)


def named(g: Graph) -> dict[str, Resource]:
    return {r.name: r for r in g.resources}


def test_buckets_under_the_logs_key_with_their_lifecycles(full: Graph) -> None:
    """OBS-04: log chunks stay in S3 Standard `hotDays`, then Intelligent-Tiering, and expire a
    day after Loki's own retention (a backstop: the compactor deletes them first); trace blocks
    expire a day after Tempo's retention; noncurrent versions go after a day."""
    buckets = by_name(full, "aws:s3/bucket:Bucket")
    assert buckets["telemetry-logs"].props["bucket"] == f"groundwork-test-logs-{ACCOUNT}"
    assert buckets["telemetry-traces"].props["bucket"] == f"groundwork-test-traces-{ACCOUNT}"
    assert buckets["telemetry-logs"].props["tags"]["Purpose"] == "logs"
    assert buckets["telemetry-logs"].props["forceDestroy"] is False
    for b in buckets.values():
        assert b.options.get("protect") is True
    sse = {
        r.parent.split("::")[-1]: r.props["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"]
        for r in full.of_type("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    }
    assert sse == {"telemetry-logs": LOGS_KEY, "telemetry-traces": LOGS_KEY}
    lifecycles = {
        r.parent.split("::")[-1]: [x for x in r.props["rules"] if x["id"] != "abort-incomplete-uploads"]
        for r in full.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    }
    assert lifecycles["telemetry-logs"] == [
        {
            "id": "hot-then-tiered",
            "status": "Enabled",
            "filter": {},
            "transitions": [{"days": 10, "storageClass": "INTELLIGENT_TIERING"}],
            "expiration": {"days": 121},
            "noncurrentVersionExpiration": {"noncurrentDays": 1},
        }
    ]
    assert lifecycles["telemetry-traces"] == [
        {
            "id": "expire",
            "status": "Enabled",
            "filter": {},
            "expiration": {"days": 22},
            "noncurrentVersionExpiration": {"noncurrentDays": 1},
        }
    ]


def test_dev_buckets_may_be_destroyed() -> None:
    g = plan_telemetry(force_destroy=True, protect=False)
    for b in g.of_type("aws:s3/bucket:Bucket"):
        assert b.props["forceDestroy"] is True and not b.options.get("protect")


def test_loki_and_tempo_reach_only_their_bucket_and_key(full: Graph) -> None:
    """EKS-08: Pod Identity roles for monitoring/loki and monitoring/tempo; list and
    read-write-delete objects of their own bucket only, Tempo also its objects' tags (Grafana
    Tempo docs, "Amazon S3 permissions"); the key only through S3 in this region."""
    buckets = by_name(full, "aws:s3/bucket:Bucket")
    policies = by_name(full, "aws:iam/rolePolicy:RolePolicy")
    for component, bucket, extra in (
        ("loki", "telemetry-logs", []),
        ("tempo", "telemetry-traces", ["s3:GetObjectTagging", "s3:PutObjectTagging"]),
    ):
        arn = buckets[bucket].outputs["arn"]
        assert json.loads(policies[f"telemetry-{component}-policy"].props["policy"])["Statement"] == [
            {
                "Sid": "ListTheBucket",
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
                "Resource": [arn],
            },
            {
                "Sid": "ReadWriteItsObjects",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", *extra],
                "Resource": [f"{arn}/*"],
            },
            {
                "Sid": "UseTheBucketKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": [LOGS_KEY],
                "Condition": {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}},
            },
        ]
        role = by_name(full, "aws:iam/role:Role")[f"telemetry-{component}-role"]
        assert role.props["description"] == f"groundwork-test: {component} reads and writes its bucket"
    associations = {
        (a.props["namespace"], a.props["serviceAccount"])
        for a in full.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    }
    assert associations == {("monitoring", "loki"), ("monitoring", "tempo")}


def test_releases_in_order(full: Graph) -> None:
    """Loki and Tempo after their roles (their pods assume them at start); Alloy after Loki (it
    pushes to it), the collector after Tempo (it exports to it); all in the monitoring namespace."""
    r = named(full)
    ns = r["ns-monitoring"].urn

    roles = {x.name: x.urn for x in full.of_type("groundwork:identity:WorkloadRole")}
    buckets = by_name(full, "aws:s3/bucket:Bucket")

    def resources_of(component: str) -> set[str]:
        return {x.urn for x in full.children(roles[component])}

    releases = {x.name: x for x in full.of_type("kubernetes:helm.sh/v3:Release")}
    assert sorted(releases) == ["telemetry-alloy", "telemetry-collector", "telemetry-loki", "telemetry-tempo"]
    # and on the bucket, through its name in the values
    loki_deps = {ns, *resources_of("telemetry-loki"), buckets["telemetry-logs"].urn}
    assert set(releases["telemetry-loki"].dependencies) == loki_deps
    tempo_deps = {ns, *resources_of("telemetry-tempo"), buckets["telemetry-traces"].urn}
    assert set(releases["telemetry-tempo"].dependencies) == tempo_deps
    assert set(releases["telemetry-alloy"].dependencies) == {ns, releases["telemetry-loki"].urn}
    assert set(releases["telemetry-collector"].dependencies) == {ns, releases["telemetry-tempo"].urn}
    for name, chart_name in (
        ("telemetry-loki", "loki"),
        ("telemetry-alloy", "alloy"),
        ("telemetry-tempo", "tempo"),
        ("telemetry-collector", "opentelemetry-collector"),
    ):
        x = releases[name]
        assert (x.props["chart"], x.props["version"], x.props["namespace"]) == (
            chart_name,
            chart(chart_name).version,
            "monitoring",
        )
    assert releases["telemetry-collector"].props["name"] == COLLECTOR == "otel-collector"
    assert releases["telemetry-loki"].props["timeout"] == 900
    logs_bucket = by_name(full, "aws:s3/bucket:Bucket")["telemetry-logs"].outputs["bucket"]
    traces_bucket = by_name(full, "aws:s3/bucket:Bucket")["telemetry-traces"].outputs["bucket"]
    assert releases["telemetry-loki"].props["values"] == loki_values(settings(), "eu-west-1", logs_bucket)
    assert releases["telemetry-tempo"].props["values"] == tempo_values(settings(), "eu-west-1", traces_bucket)
    assert releases["telemetry-collector"].props["values"] == collector_values(settings(), "prod", True)


def test_loki_single_binary_with_retention_in_s3() -> None:
    """Loki 3 single-binary: TSDB index (schema v13), chunks in S3, the compactor applying the
    retention (which needs a delete-request store: Loki docs, "Log retention"), replication up
    to 3, no other targets, caches, MinIO or canary."""
    values = loki_values(settings(), "eu-west-1", "logs-bucket")
    loki = values["loki"]
    assert loki["commonConfig"] == {"replication_factor": 2}
    assert loki["limits_config"] == {"retention_period": "120d"}
    assert loki["compactor"] == {"retention_enabled": True, "delete_request_store": "s3"}
    assert loki["storage"] == {
        "type": "s3",
        "bucketNames": {"chunks": "logs-bucket", "ruler": "logs-bucket", "admin": "logs-bucket"},
        "s3": {"region": "eu-west-1", "s3ForcePathStyle": False, "insecure": False},
    }
    assert (
        loki["schemaConfig"]["configs"][0]["store"] == "tsdb" and loki["schemaConfig"]["configs"][0]["schema"] == "v13"
    )
    assert loki["auth_enabled"] is False
    assert values["singleBinary"] == {
        "replicas": 2,
        "persistence": {"enabled": True, "storageClass": "gp3", "size": "30Gi"},
    }
    assert [values[k]["replicas"] for k in ("read", "write", "backend")] == [0, 0, 0]
    assert all(values[k] == {"enabled": False} for k in ("chunksCache", "resultsCache", "minio", "lokiCanary", "test"))
    assert values["gateway"] == {"enabled": True} and values["deploymentMode"] == "SingleBinary"
    # the chart creates the `loki` service account the storage role trusts (IRSA's subject)
    assert values["serviceAccount"] == {"create": True, "name": "loki"}
    five = loki_values(ObservabilitySettings.model_validate({"logs": {"replicas": 5}}), "eu-west-1", "b")
    assert five["loki"]["commonConfig"] == {"replication_factor": 3}


def test_alloy_ships_each_nodes_pods_with_the_stacks_labels(full: Graph) -> None:
    """A DaemonSet that tails, through the API, the pods of its own node (NODE_NAME), labelled
    with the stack's cluster and environment, pushing to Loki's gateway."""
    alloy = named(full)["telemetry-alloy"]
    values = alloy.props["values"]
    assert values["controller"] == {"type": "daemonset"}
    assert values["alloy"]["extraEnv"] == [
        {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}
    ]
    assert values["alloy"]["mounts"] == {"varlog": False} and values["alloy"]["configMap"]["create"] is True
    content = alloy.props["values"]["alloy"]["configMap"]["content"]
    assert 'cluster     = "groundwork-test"' in content and 'environment = "prod"' in content
    assert content == ALLOY_CONFIG.replace("CLUSTER", "groundwork-test").replace("ENVIRONMENT", "prod").strip() + "\n"
    assert 'field = "spec.nodeName=" + sys.env("NODE_NAME")' in content
    assert 'url = "http://loki-gateway.monitoring.svc/loki/api/v1/push"' in content


def test_tempo_keeps_traces_their_days_in_s3() -> None:
    values = tempo_values(settings(), "eu-west-1", "traces-bucket")
    assert values["tempo"]["retention"] == "504h"
    assert values["tempo"]["storage"] == {
        "trace": {
            "backend": "s3",
            "s3": {"bucket": "traces-bucket", "endpoint": "s3.eu-west-1.amazonaws.com", "region": "eu-west-1"},
        }
    }
    assert values["serviceAccount"] == {"create": True, "name": "tempo"}
    # the write-ahead log on a gp3 volume (traces not yet flushed survive a restart), OTLP in
    assert values["persistence"] == {"enabled": True, "storageClassName": "gp3", "size": "10Gi"}
    assert values["tempo"]["receivers"]["otlp"]["protocols"] == {
        "grpc": {"endpoint": "0.0.0.0:4317"},
        "http": {"endpoint": "0.0.0.0:4318"},
    }


@pytest.mark.parametrize(("ha", "replicas"), [(True, 2), (False, 1)])
def test_the_collector_samples_and_exports_traces_only(ha: bool, replicas: int) -> None:
    """OBS-05: the probabilistic sampler keeps `samplingPercentage` % of traces; the memory
    limiter comes first (OpenTelemetry Collector docs, "memory_limiter": first in the
    pipeline); the chart's default logs and metrics pipelines are removed."""
    values = collector_values(settings(), "prod", ha)
    assert values["replicaCount"] == replicas and values["fullnameOverride"] == "otel-collector"
    config = values["config"]
    # refuse data at 80 % of the container's memory limit, with 25 % headroom for spikes
    # (the memory_limiter README's default spike limit is 20 % of the limit; 25 % leaves more room)
    assert config["processors"]["memory_limiter"] == {
        "check_interval": "1s",
        "limit_percentage": 80,
        "spike_limit_percentage": 25,
    }
    # k8s.pod.name / namespace on every span (the chart's preset adds the processor and its RBAC)
    assert values["presets"] == {"kubernetesAttributes": {"enabled": True}}
    assert config["processors"]["probabilistic_sampler"] == {"sampling_percentage": 25}
    assert config["processors"]["resource"] == {
        "attributes": [{"key": "deployment.environment", "value": "prod", "action": "upsert"}]
    }
    assert config["service"]["pipelines"] == {
        "traces": {
            "receivers": ["otlp"],
            "processors": ["memory_limiter", "probabilistic_sampler", "resource", "batch"],
            "exporters": ["otlp"],
        },
        "logs": None,
        "metrics": None,
    }
    assert config["exporters"] == {"otlp": {"endpoint": "tempo.monitoring.svc:4317", "tls": {"insecure": True}}}
    assert config["receivers"]["otlp"]["protocols"] == {
        "grpc": {"endpoint": "${env:MY_POD_IP}:4317"},
        "http": {"endpoint": "${env:MY_POD_IP}:4318"},
    }
    assert all(config["receivers"][k] is None for k in ("jaeger", "zipkin", "prometheus"))
    assert all(not p["enabled"] for p in values["ports"].values())


def test_outputs(full: Graph) -> None:
    out = full.one("groundwork:telemetry:Telemetry").outputs
    assert out == {
        "logsBucket": by_name(full, "aws:s3/bucket:Bucket")["telemetry-logs"].outputs["bucket"],
        "tracesBucket": by_name(full, "aws:s3/bucket:Bucket")["telemetry-traces"].outputs["bucket"],
        "otlpEndpoint": "http://otel-collector.monitoring.svc:4317",
    }


def test_every_resource_is_the_components_child(full: Graph) -> None:
    assert outside(full, "groundwork:telemetry:Telemetry") == ["ns-monitoring"]  # the test's own namespace
