"""Logs and traces: Loki with an Alloy agent on every node, Tempo behind an OpenTelemetry
Collector (OBS-04, OBS-05).

Behaviour:
- Logs: a KMS-encrypted bucket (the `logs` key) whose objects stay in S3 Standard `hotDays`
  and then move to Intelligent-Tiering, and expire one day after `retentionDays` (a backstop:
  Loki's compactor deletes them at `retentionDays`). Loki (single-binary mode, `replicas`
  replicas, replication factor up to 3, TSDB index, chunks in S3) reaches the bucket through an
  EKS Pod Identity role allowed exactly that bucket and key. Alloy runs as a DaemonSet and
  ships every pod's logs with namespace, pod, container, app and node labels plus the
  stack's cluster and environment.
- Traces: Tempo (single binary) stores blocks in its own bucket, deleted after
  `tracing.retentionDays`, through its own role. Services send OTLP to the collector
  (`otel-collector.monitoring.svc`: gRPC 4317, HTTP 4318), which keeps
  `tracing.samplingPercentage` % of traces (probabilistic sampler; 100 % in dev, 10 % in prod)
  and exports them to Tempo.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.bucket import SecureBucket, SecureBucketArgs
from components.identity import WorkloadRole, WorkloadRoleArgs
from components.kube import release
from groundwork import manifests as m
from groundwork.naming import Naming
from groundwork.settings.model import ObservabilitySettings

COLLECTOR = "otel-collector"
# Object actions beyond get/put/delete that the backend's documented minimal policy lists:
# Tempo tags the objects it writes ("Amazon S3 permissions", Grafana Tempo documentation,
# configuration/hosted-storage/s3: PutObject, GetObject, ListBucket, DeleteObject,
# GetObjectTagging, PutObjectTagging); Loki's ("Storage", Grafana Loki documentation: the
# AWS deployment example) needs none.
OBJECT_ACTIONS = {"tempo": ["s3:GetObjectTagging", "s3:PutObjectTagging"]}


@dataclass(frozen=True)
class TelemetryArgs:
    settings: ObservabilitySettings
    naming: Naming
    environment: str
    region: str
    cluster_name: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    namespace: pulumi.Resource | None
    high_availability: bool = True
    force_destroy: bool = False
    protect: bool = True


class Telemetry(pulumi.ComponentResource):
    """`groundwork:telemetry:Telemetry`."""

    def __init__(self, name: str, args: TelemetryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:telemetry:Telemetry", name, None, opts)
        s = args.settings
        ns_deps = [args.namespace] if args.namespace is not None else []

        logs_bucket = self._bucket(
            name,
            "logs",
            args,
            [
                {
                    "id": "hot-then-tiered",
                    "status": "Enabled",
                    "filter": {},
                    "transitions": [{"days": s.logs.hot_days, "storage_class": "INTELLIGENT_TIERING"}],
                    "expiration": {"days": s.logs.retention_days + 1},
                    "noncurrent_version_expiration": {"noncurrent_days": 1},
                }
            ],
        )
        traces_bucket = self._bucket(
            name,
            "traces",
            args,
            [
                {
                    "id": "expire",
                    "status": "Enabled",
                    "filter": {},
                    "expiration": {"days": s.tracing.retention_days + 1},
                    "noncurrent_version_expiration": {"noncurrent_days": 1},
                }
            ],
        )
        loki_role = self._role(name, "loki", logs_bucket, args)
        tempo_role = self._role(name, "tempo", traces_bucket, args)

        self.loki = release(
            f"{name}-loki",
            "loki",
            namespace=m.MONITORING,
            values=loki_values(s, args.region, logs_bucket.bucket),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*ns_deps, loki_role]),
            timeout_seconds=900,
        )
        self.alloy = release(
            f"{name}-alloy",
            "alloy",
            namespace=m.MONITORING,
            values=alloy_values(args.environment, args.cluster_name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*ns_deps, self.loki]),
        )
        self.tempo = release(
            f"{name}-tempo",
            "tempo",
            namespace=m.MONITORING,
            values=tempo_values(s, args.region, traces_bucket.bucket),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*ns_deps, tempo_role]),
        )
        self.collector = release(
            f"{name}-collector",
            "opentelemetry-collector",
            release_name=COLLECTOR,
            namespace=m.MONITORING,
            values=collector_values(s, args.environment, args.high_availability),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*ns_deps, self.tempo]),
        )
        self.otlp_endpoint = f"http://{COLLECTOR}.{m.MONITORING}.svc:4317"
        self.register_outputs(
            {"logsBucket": logs_bucket.bucket, "tracesBucket": traces_bucket.bucket, "otlpEndpoint": self.otlp_endpoint}
        )

    def _bucket(self, name: str, purpose: str, args: TelemetryArgs, lifecycle: list[dict]) -> SecureBucket:
        account = pulumi.Output.from_input(args.account_id)
        return SecureBucket(
            f"{name}-{purpose}",
            SecureBucketArgs(
                bucket_name=pulumi.Output.concat(args.naming.physical(purpose), "-", account),
                kms_key_arn=args.logs_key_arn,
                purpose=purpose,
                lifecycle_rules=lifecycle,
                force_destroy=args.force_destroy,
                protect=args.protect,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _role(self, name: str, component: str, bucket: SecureBucket, args: TelemetryArgs) -> WorkloadRole:
        return WorkloadRole(
            f"{name}-{component}",
            WorkloadRoleArgs(
                naming=args.naming,
                cluster_name=args.cluster_name,
                cluster_arn=args.cluster_arn,
                account_id=args.account_id,
                namespace=m.MONITORING,
                service_account=component,
                statements=[
                    {
                        "Sid": "ListTheBucket",
                        "Effect": "Allow",
                        "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
                        "Resource": [bucket.arn],
                    },
                    {
                        "Sid": "ReadWriteItsObjects",
                        "Effect": "Allow",
                        "Action": [
                            "s3:GetObject",
                            "s3:PutObject",
                            "s3:DeleteObject",
                            *OBJECT_ACTIONS.get(component, []),
                        ],
                        "Resource": [pulumi.Output.concat(bucket.arn, "/*")],
                    },
                    {
                        "Sid": "UseTheBucketKey",
                        "Effect": "Allow",
                        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                        "Resource": [args.logs_key_arn],
                        "Condition": {"StringEquals": {"kms:ViaService": f"s3.{args.region}.amazonaws.com"}},
                    },
                ],
                description=f"{args.naming.prefix}: {component} reads and writes its bucket",
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )


def loki_values(s: ObservabilitySettings, region: str, bucket: pulumi.Input[str]) -> dict:
    replicas = s.logs.replicas
    return {
        "deploymentMode": "SingleBinary",
        "serviceAccount": {"create": True, "name": "loki"},
        "loki": {
            "auth_enabled": False,
            "commonConfig": {"replication_factor": min(3, replicas)},
            "schemaConfig": {
                "configs": [
                    {
                        "from": "2024-04-01",
                        "store": "tsdb",
                        "object_store": "s3",
                        "schema": "v13",
                        "index": {"prefix": "index_", "period": "24h"},
                    }
                ]
            },
            "storage": {
                "type": "s3",
                "bucketNames": {"chunks": bucket, "ruler": bucket, "admin": bucket},
                "s3": {"region": region, "s3ForcePathStyle": False, "insecure": False},
            },
            "limits_config": {"retention_period": f"{s.logs.retention_days}d"},
            "compactor": {"retention_enabled": True, "delete_request_store": "s3"},
        },
        "singleBinary": {
            "replicas": replicas,
            "persistence": {"enabled": True, "storageClass": "gp3", "size": f"{s.logs.storage_gib}Gi"},
        },
        "read": {"replicas": 0},
        "write": {"replicas": 0},
        "backend": {"replicas": 0},
        "chunksCache": {"enabled": False},
        "resultsCache": {"enabled": False},
        "minio": {"enabled": False},
        "lokiCanary": {"enabled": False},
        "test": {"enabled": False},
        "gateway": {"enabled": True},
    }


ALLOY_CONFIG = """
discovery.kubernetes "pods" {
  role = "pod"
  selectors {
    role  = "pod"
    field = "spec.nodeName=" + sys.env("NODE_NAME")
  }
}

discovery.relabel "pods" {
  targets = discovery.kubernetes.pods.targets
  rule {
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_name"]
    target_label  = "pod"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_container_name"]
    target_label  = "container"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_label_app_kubernetes_io_name"]
    target_label  = "app"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_node_name"]
    target_label  = "node"
  }
}

loki.source.kubernetes "pods" {
  targets    = discovery.relabel.pods.output
  forward_to = [loki.process.stack.receiver]
}

loki.process "stack" {
  stage.static_labels {
    values = {
      cluster     = "CLUSTER",
      environment = "ENVIRONMENT",
    }
  }
  forward_to = [loki.write.loki.receiver]
}

loki.write "loki" {
  endpoint {
    url = "http://loki-gateway.monitoring.svc/loki/api/v1/push"
  }
}
"""


def alloy_values(environment: str, cluster_name: pulumi.Input[str]) -> dict:
    config = pulumi.Output.from_input(cluster_name).apply(
        lambda c: ALLOY_CONFIG.replace("CLUSTER", c).replace("ENVIRONMENT", environment).strip() + "\n"
    )
    return {
        "controller": {"type": "daemonset"},
        "alloy": {
            "configMap": {"create": True, "content": config},
            "extraEnv": [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
            "mounts": {"varlog": False},
        },
    }


def tempo_values(s: ObservabilitySettings, region: str, bucket: pulumi.Input[str]) -> dict:
    return {
        "serviceAccount": {"create": True, "name": "tempo"},
        "tempo": {
            "retention": f"{s.tracing.retention_days * 24}h",
            "storage": {
                "trace": {
                    "backend": "s3",
                    "s3": {"bucket": bucket, "endpoint": f"s3.{region}.amazonaws.com", "region": region},
                }
            },
            "receivers": {
                "otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:4317"}, "http": {"endpoint": "0.0.0.0:4318"}}}
            },
        },
        "persistence": {"enabled": True, "storageClassName": "gp3", "size": "10Gi"},
    }


def collector_values(s: ObservabilitySettings, environment: str, ha: bool) -> dict:
    """OTLP in, probabilistic sampling, OTLP out to Tempo (pipelines the chart enables by default
    for logs and metrics are removed: the collector carries traces only)."""
    return {
        # the Service services send OTLP to: the chart names it `<release>-<chart>` unless the
        # release name contains the chart name (templates/_helpers.tpl, fullname), which
        # `otel-collector` does not (groundwork/addresses.py, tests/test_addresses.py)
        "fullnameOverride": COLLECTOR,
        "mode": "deployment",
        "replicaCount": 2 if ha else 1,
        "image": {"repository": "otel/opentelemetry-collector-contrib"},
        "presets": {"kubernetesAttributes": {"enabled": True}},
        "config": {
            "receivers": {
                "otlp": {
                    "protocols": {
                        "grpc": {"endpoint": "${env:MY_POD_IP}:4317"},
                        "http": {"endpoint": "${env:MY_POD_IP}:4318"},
                    }
                },
                "jaeger": None,
                "zipkin": None,
                "prometheus": None,
            },
            "processors": {
                "memory_limiter": {"check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 25},
                "probabilistic_sampler": {"sampling_percentage": s.tracing.sampling_percentage},
                "resource": {
                    "attributes": [{"key": "deployment.environment", "value": environment, "action": "upsert"}]
                },
                "batch": {},
            },
            "exporters": {"otlp": {"endpoint": f"tempo.{m.MONITORING}.svc:4317", "tls": {"insecure": True}}},
            "service": {
                "pipelines": {
                    "traces": {
                        "receivers": ["otlp"],
                        "processors": ["memory_limiter", "probabilistic_sampler", "resource", "batch"],
                        "exporters": ["otlp"],
                    },
                    "logs": None,
                    "metrics": None,
                }
            },
        },
        "ports": {
            "jaeger-compact": {"enabled": False},
            "jaeger-thrift": {"enabled": False},
            "jaeger-grpc": {"enabled": False},
            "zipkin": {"enabled": False},
        },
    }
