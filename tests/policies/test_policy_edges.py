"""What the one-change cases leave out: the threshold itself, a missing property read as its
default, and the other shapes a resource can take (issue 18: each found by a surviving mutant).

Each row changes the compliant world (tests/policies/world.py) and gives the exact messages the
policy must report on its target.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy.proxy import UnknownValueError

from tests.policies.cases import add, chain, deps, patch, remove
from tests.policies.harness import DELETE, UNKNOWN_STRING, Fx, run_resource, run_stack
from tests.policies.test_policy_cases import WORLD

RG = "cache"  # the world's replication group

# (id, policy, target, changes (path, value; DELETE removes), expected messages)
EDGES: list[tuple[str, str, str, list[tuple[str, Any]], list[str]]] = [
    # ElastiCache: cluster-mode groups count 1 primary + replicasPerNodeGroup; a missing count is one node
    (
        "cache-cluster-mode-replicas",
        "aws-elasticache-require-multi-az-failover",
        RG,
        [("numCacheClusters", DELETE), ("replicasPerNodeGroup", 2)],
        [],
    ),
    (
        "cache-cluster-mode-no-replica",
        "aws-elasticache-require-multi-az-failover",
        RG,
        [("numCacheClusters", DELETE), ("replicasPerNodeGroup", 0)],
        ["[CACHE-01] 1 node(s); at least 2"],
    ),
    (
        "cache-no-count",
        "aws-elasticache-require-multi-az-failover",
        RG,
        [("numCacheClusters", DELETE)],
        ["[CACHE-01] 1 node(s); at least 2"],
    ),
    ("cache-one-day-of-snapshots", "aws-elasticache-require-snapshots", RG, [("snapshotRetentionLimit", 1)], []),
    (
        "cache-no-snapshot-retention",
        "aws-elasticache-require-snapshots",
        RG,
        [("snapshotRetentionLimit", DELETE)],
        ["[CACHE-04] snapshotRetentionLimit is 0 days (at least 1)"],
    ),
    (
        "cache-negative-snapshot-retention",
        "aws-elasticache-require-snapshots",
        RG,
        [("snapshotRetentionLimit", -1)],
        ["[CACHE-04] snapshotRetentionLimit is -1 days (at least 1)"],
    ),
    (
        "cache-prod-no-snapshot-retention",
        "aws-elasticache-require-7-day-snapshots",
        RG,
        [("snapshotRetentionLimit", DELETE)],
        ["[CACHE-04] snapshotRetentionLimit is 0 days (at least 7)"],
    ),
    ("cache-prod-seven-days", "aws-elasticache-require-7-day-snapshots", RG, [("snapshotRetentionLimit", 7)], []),
]


@pytest.mark.parametrize(("policy", "target", "changes", "expected"), [e[1:] for e in EDGES], ids=[e[0] for e in EDGES])
def test_edge(policy: str, target: str, changes: list[tuple[str, Any]], expected: list[str]) -> None:
    world = WORLD
    for path, value in changes:
        world = world.patch(target, path, value)
    assert run_resource(policy, world.resources[target]) == expected


# -- stack policies ------------------------------------------------------------------------------

ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
SECRET = "aws:secretsmanager/secret:Secret"

STACK_EDGES: list[tuple[str, str, Any, list[str]]] = [
    # only secrets tagged SecretType: database must rotate
    (
        "app-secrets-need-no-rotation",
        "aws-secretsmanager-database-secret-require-rotation",
        add(
            Fx(SECRET, "app-secret", {"name": "app", "kmsKeyId": "k", "tags": {"SecretType": "app"}}),
            Fx(SECRET, "untagged-secret", {"name": "u", "kmsKeyId": "k"}),
        ),
        [],
    ),
    (
        "rotation-at-90-days",
        "aws-secretsmanager-database-secret-require-rotation",
        patch("db-secret-rotation", "rotationRules.automaticallyAfterDays", 90),
        [],
    ),
    (
        "rotation-at-91-days",
        "aws-secretsmanager-database-secret-require-rotation",
        patch("db-secret-rotation", "rotationRules.automaticallyAfterDays", 91),
        ["[SEC-03] database secret db-secret rotates every 91 days (at most 90)"],
    ),
    (
        "rotation-without-schedule",
        "aws-secretsmanager-database-secret-require-rotation",
        patch("db-secret-rotation", "rotationRules", {}),
        ["[SEC-03] rotation db-secret-rotation of db-secret has no schedule"],
    ),
    (
        "rotation-by-expression",
        "aws-secretsmanager-database-secret-require-rotation",
        patch("db-secret-rotation", "rotationRules", {"scheduleExpression": "rate(30 days)"}),
        [],
    ),
    # a rotation counts for the secret it names in secretId, not for one it merely depends on
    (
        "rotation-of-another-secret",
        "aws-secretsmanager-database-secret-require-rotation",
        chain(
            add(Fx(SECRET, "db-secret-2", {"name": "db2", "kmsKeyId": "k", "tags": {"SecretType": "database"}})),
            deps("db-secret-rotation", "rotationLambdaArn", ["db-secret-2"]),
        ),
        ["[SEC-03] database secret db-secret-2 does not rotate"],
    ),
    (
        "trail-stopped",
        "aws-cloudtrail-require-audited-management-events",
        patch("trail", "enableLogging", False),
        ["[SEC-07] trail trail is not logging"],
    ),
    ("trail-logging", "aws-cloudtrail-require-audited-management-events", patch("trail", "enableLogging", True), []),
    (
        "trail-selector-default-includes-management-events",
        "aws-cloudtrail-require-audited-management-events",
        patch("trail", "eventSelectors", [{"readWriteType": "All"}]),
        [],
    ),
    # the audit bucket's own logging configuration is the one whose `bucket` is the audit bucket
    (
        "audit-bucket-only-a-log-target",
        "aws-cloudtrail-bucket-require-access-logging",
        chain(
            remove("audit-access-logs"),
            add(
                Fx(
                    "aws:s3/bucketLogging:BucketLogging",
                    "other-logs",
                    {"bucket": "o", "targetBucket": "b", "targetPrefix": "x/"},
                    {"bucket": ["access-logs"], "targetBucket": ["audit"]},
                )
            ),
        ),
        ["[SEC-07] trail trail writes to bucket audit, which has no server access logging"],
    ),
]


@pytest.mark.parametrize(
    ("policy", "mutate", "expected"), [e[1:] for e in STACK_EDGES], ids=[e[0] for e in STACK_EDGES]
)
def test_stack_edge(policy: str, mutate: Any, expected: list[str]) -> None:
    assert run_stack(policy, mutate(WORLD)) == expected


def test_an_unknown_key_policy_waits_for_the_update() -> None:
    """The SDK reports "can't run during preview" for the policy; text that is no JSON object has no statements."""
    world = WORLD.patch("key-secrets", "policy", UNKNOWN_STRING)
    with pytest.raises(UnknownValueError):
        run_resource("aws-kms-key-require-rotation-and-policy", world.resources["key-secrets"])
    world = WORLD.patch("key-secrets", "policy", "[]")
    assert run_resource("aws-kms-key-require-rotation-and-policy", world.resources["key-secrets"]) == []


def test_unreadable_provider_default_tags_count_as_none(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.policies import harness

    monkeypatch.setitem(harness.PROVIDERS, "broken", {"region": "eu-west-1", "defaultTags": "{not json"})
    own = {"Environment": "prod", "Project": "groundwork", "Owner": "o", "CostCenter": "c", "ManagedBy": "pulumi"}
    tagged = Fx("aws:sns/topic:Topic", "topic", {"tags": own}, provider="broken")
    assert run_resource("aws-resource-require-mandatory-tags", tagged) == []
    bare = Fx("aws:sns/topic:Topic", "topic", {"tags": {"Owner": "o"}}, provider="broken")
    assert run_resource("aws-resource-require-mandatory-tags", bare) == [
        "[GOV-01] tags missing: Environment, Project, CostCenter, ManagedBy"
    ]


def _no_services(w: Any) -> Any:
    w = w.copy()
    w.services = []
    return w


APPSET = "kubernetes:argoproj.io/v1alpha1:ApplicationSet"
GITOPS_EDGES: list[tuple[str, str, Any, list[str]]] = [
    # team namespaces without configured services still need ArgoCD to deploy into them
    (
        "namespaces-without-services",
        "kubernetes-argocd-installed-admin-disabled",
        chain(_no_services, remove("argocd")),
        ["[GIT-01] services are configured but ArgoCD is not installed"],
    ),
    (
        "admin-on-with-external-password",
        "kubernetes-argocd-installed-admin-disabled",
        chain(
            patch("argocd", "values.configs.cm", {"admin.enabled": True}),
            patch("argocd", "values.configs.secret", {"createSecret": False}),
        ),
        [],
    ),
    (
        "services-from-an-application-set",
        "kubernetes-argocd-application-per-service",
        chain(
            remove("app-orders"),
            add(
                Fx(
                    APPSET,
                    "appset",
                    {"spec": {"generators": [None, {"list": {"elements": ["junk", {"name": "orders"}, {"x": 1}]}}]}},
                    provider=None,
                )
            ),
        ),
        [],
    ),
    (
        "lifecycle-of-another-repository",
        "aws-ecr-repository-require-lifecycle",
        chain(
            add(Fx("aws:ecr/repository:Repository", "ecr-users", {"name": "users"})),
            deps("ecr-orders-lifecycle", "policy", ["ecr-users"]),
        ),
        ["[GIT-06] repository ecr-users has no lifecycle policy"],
    ),
]


@pytest.mark.parametrize(
    ("policy", "mutate", "expected"), [e[1:] for e in GITOPS_EDGES], ids=[e[0] for e in GITOPS_EDGES]
)
def test_gitops_edge(policy: str, mutate: Any, expected: list[str]) -> None:
    assert run_stack(policy, mutate(WORLD)) == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"sourceRepos": []}, ["[GIT-02] sourceRepos is not a list of named repositories"]),
        ({"destinations": [{"server": "*", "namespace": "orders"}]}, ["[GIT-02] destinations[0] allows every cluster"]),
        ({"destinations": [{"name": "*", "namespace": "orders"}]}, ["[GIT-02] destinations[0] allows every cluster"]),
        ({"destinations": [{"name": "in-cluster", "namespace": "orders"}, "junk"]}, []),
        (
            {"clusterResourceWhitelist": [{"group": "", "kind": "*"}]},
            ["[GIT-02] clusterResourceWhitelist[0] allows every cluster-scoped kind"],
        ),
        (
            {"clusterResourceWhitelist": [{"group": "*", "kind": "Namespace"}]},
            ["[GIT-02] clusterResourceWhitelist[0] allows every cluster-scoped kind"],
        ),
        ({"clusterResourceWhitelist": [{"group": "", "kind": "Namespace"}, "junk"]}, []),
    ],
)
def test_app_project_edges(spec: dict[str, Any], expected: list[str]) -> None:
    world = WORLD
    for key, value in spec.items():
        world = world.patch("project", f"spec.{key}", value)
    assert run_resource("kubernetes-argocd-project-restricted", world.resources["project"]) == expected


@pytest.mark.parametrize(
    ("automated", "expected"),
    [
        ({"prune": True, "selfHeal": True}, []),
        ({"prune": True}, ["[GIT-03] dev does not sync automatically with prune and selfHeal"]),
        ({"selfHeal": True, "prune": False}, ["[GIT-03] dev does not sync automatically with prune and selfHeal"]),
    ],
)
def test_dev_syncs_with_prune_and_self_heal(automated: dict[str, Any], expected: list[str]) -> None:
    world = WORLD.patch("app-orders", "spec.syncPolicy.automated", automated)
    assert (
        run_resource("kubernetes-argocd-sync-policy-by-environment", world.resources["app-orders"], env="dev")
        == expected
    )


# -- observability ---------------------------------------------------------------------------------

RETENTION = "kubernetes-prometheus-retention-and-storage"
PROM_PATH = "values.prometheus.prometheusSpec.retention"


@pytest.mark.parametrize(
    ("retention", "passes"),
    [
        ("30d", True),
        ("29d", False),
        ("720h", True),
        ("719h", False),
        ("43200m", True),
        ("43199m", False),
        ("2592000s", True),
        ("2591999s", False),
        ("5w", True),
        ("4w", False),
        ("1y", True),
        ("30 days", False),
    ],
)
def test_prometheus_retention_in_every_unit(retention: str, passes: bool) -> None:
    found = run_stack(RETENTION, WORLD.patch("kps", PROM_PATH, retention))
    assert found == ([] if passes else [f"[OBS-01] Prometheus retention is {retention}, under 30 days"])


def test_loki_retention_counts_hours() -> None:
    path = "values.loki.limits_config.retention_period"
    assert run_stack("kubernetes-logs-to-s3-with-retention", WORLD.patch("loki", path, "2160h")) == []
    assert run_stack("kubernetes-logs-to-s3-with-retention", WORLD.patch("loki", path, "2159h")) == [
        "[OBS-04] Loki keeps logs less than 90 days"
    ]


OBS_EDGES: list[tuple[str, str, Any, list[str]]] = [
    (
        "alertmanager-replicas-not-a-number",
        "kubernetes-prometheus-high-availability",
        patch("kps", "values.alertmanager.alertmanagerSpec.replicas", "two"),
        ["[OBS-01] alertmanager.alertmanagerSpec.replicas is 1"],
    ),
    (
        "grafana-enabled-by-default-needs-its-secret",
        "kubernetes-grafana-dashboards-and-admin-secret",
        patch("kps", "values.grafana", {}),
        ["[OBS-02] Grafana's admin credentials do not come from an existing Secret"],
    ),
    (
        "grafana-enabled-by-default",
        "kubernetes-grafana-dashboards-and-admin-secret",
        patch("kps", "values.grafana", {"admin": {"existingSecret": "grafana-admin"}}),
        [],
    ),
    (
        "grafana-off",
        "kubernetes-grafana-dashboards-and-admin-secret",
        patch("kps", "values.grafana", {"enabled": False}),
        ["[OBS-02] no Grafana is installed"],
    ),
    (
        "grafana-standalone",
        "kubernetes-grafana-dashboards-and-admin-secret",
        chain(
            patch("kps", "values.grafana", {"enabled": False}),
            add(
                Fx(
                    "kubernetes:helm.sh/v3:Release",
                    "grafana",
                    {"chart": "grafana", "namespace": "monitoring", "values": {}},
                    provider=None,
                )
            ),
        ),
        [],
    ),
    (
        "only-critical-routed",
        "kubernetes-alert-rules-and-routing",
        patch(
            "kps",
            "values.alertmanager.config.route.routes",
            [{"receiver": "pager", "matchers": ['severity="critical"']}],
        ),
        ["[OBS-03] Alertmanager does not route severity critical and warning to their receivers"],
    ),
    # a ServiceMonitor covers a service by its name or by selecting the service's pods
    (
        "monitor-named-otherwise",
        "kubernetes-servicemonitor-per-service",
        patch("sm-orders", "metadata.name", "orders-monitor"),
        [],
    ),
    (
        "monitor-selecting-otherwise",
        "kubernetes-servicemonitor-per-service",
        patch("sm-orders", "spec.selector.matchLabels", {"app.kubernetes.io/name": "orders-v2"}),
        [],
    ),
    (
        "sampling-11",
        "kubernetes-tracing-sampling-prod",
        patch("otel", "values.config.processors.probabilistic_sampler.sampling_percentage", 11),
        ["[OBS-05] the collector keeps 11 % of traces"],
    ),
    (
        "an-alarm-watches-its-own-target",
        "aws-cloudwatch-alarms-for-data-and-network",
        add(
            Fx(
                "aws:elasticache/replicationGroup:ReplicationGroup",
                "cache-2",
                {"replicationGroupId": "groundwork-prod-cache-2"},
            )
        ),
        ["[OBS-06] cache-2 has no alarm on DatabaseMemoryUsagePercentage, Evictions, EngineCPUUtilization"],
    ),
]


@pytest.mark.parametrize(("policy", "mutate", "expected"), [e[1:] for e in OBS_EDGES], ids=[e[0] for e in OBS_EDGES])
def test_observability_edge(policy: str, mutate: Any, expected: list[str]) -> None:
    assert run_stack(policy, mutate(WORLD)) == expected


# -- backups and buckets ---------------------------------------------------------------------------

_DENY_WITH_TLS = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "arn:b",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            },
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:b/*"},
        ],
    }
)

BACKUP_EDGES: list[tuple[str, str, Any, list[str]]] = [
    (
        "tls-condition-inverted",
        "aws-s3-bucket-require-owner-enforced-and-tls",
        patch("logs-policy", "policy", _DENY_WITH_TLS),
        ["[DR-01] bucket logs has no policy denying non-TLS requests"],
    ),
    # an access-logs bucket is a log target only when a BucketLogging delivers *to* it
    (
        "access-logs-bucket-only-logs-itself",
        "aws-s3-bucket-require-versioning-and-kms",
        chain(
            remove("audit-access-logs"),
            add(
                Fx(
                    "aws:s3/bucketLogging:BucketLogging",
                    "access-logs-logging",
                    {"bucket": "a", "targetBucket": "t", "targetPrefix": "self/"},
                    {"bucket": ["access-logs"], "targetBucket": ["audit"]},
                )
            ),
        ),
        ["[DR-01] bucket access-logs encrypts with AES256, not SSE-KMS"],
    ),
    (
        "daily-8",
        "aws-s3-bucket-require-lifecycle",
        patch("backups-lifecycle", "rules[1].expiration.days", 8),
        ["[DR-02] backup bucket backups does not expire daily/ after 7 days"],
    ),
    ("weekly-35", "aws-s3-bucket-require-lifecycle", patch("backups-lifecycle", "rules[2].expiration.days", 35), []),
    (
        "weekly-36",
        "aws-s3-bucket-require-lifecycle",
        patch("backups-lifecycle", "rules[2].expiration.days", 36),
        ["[DR-02] backup bucket backups does not expire weekly/ after 28 days"],
    ),
    ("monthly-366", "aws-s3-bucket-require-lifecycle", patch("backups-lifecycle", "rules[3].expiration.days", 366), []),
    (
        "monthly-367",
        "aws-s3-bucket-require-lifecycle",
        patch("backups-lifecycle", "rules[3].expiration.days", 367),
        ["[DR-02] backup bucket backups does not expire monthly/ after 365 days"],
    ),
    # a vault lock counts for the vault it names in backupVaultName only
    (
        "lock-of-another-vault",
        "aws-backup-vault-require-lock",
        chain(
            add(Fx("aws:backup/vault:Vault", "vault-3", {"name": "v3", "kmsKeyArn": "arn:key"})),
            deps("vault-lock", "minRetentionDays", ["vault-3"]),
        ),
        ["[DR-04] backup vault vault-3 has no vault lock"],
    ),
]


@pytest.mark.parametrize(
    ("policy", "mutate", "expected"), [e[1:] for e in BACKUP_EDGES], ids=[e[0] for e in BACKUP_EDGES]
)
def test_backup_edge(policy: str, mutate: Any, expected: list[str]) -> None:
    assert run_stack(policy, mutate(WORLD)) == expected
