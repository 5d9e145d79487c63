"""The change matrix (issue 14): the changes a team makes on a live stack, each planned against
the base graph of the same stack (`groundwork.changes.diff`, which knows the provider's
replacement-forcing properties), with what is created, updated, replaced and deleted.

Every change keeps every stateful resource (database, cache, buckets, keys, vaults, secrets, log
groups, ECR repositories, the cluster): none is replaced, and none is deleted except the
resources of a service the change removes, which the guard then blocks in prod until an
allowance says so. Every URN of the base either survives or is one of the asserted deletions
(URN stability: a rename without an alias would show here as a delete and a create).
docs/living-with-a-stack.md carries the same table; the last test keeps the two in step.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from groundwork.changes import STATEFUL, Changes, diff
from groundwork.guard import judge
from groundwork.settings import load_settings
from tests.conftest import ROOT, plan, section, stack_config


@dataclass(frozen=True)
class Case:
    id: str
    title: str
    stack: str
    overrides: Callable[[], dict[str, Any]]
    created: int
    updated: set[str]  # names of updated resources
    replaced: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    created_names: set[str] = field(default_factory=set)  # must be among the created
    stateful_deleted: set[str] = field(default_factory=set)


def _with(stack: str, key: str, change: Callable[[Any], Any]) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        value = section(stack, key)
        return {key: change(value) or value}

    return build


def _nodes(count: bool) -> Callable[[Any], None]:
    def change(cluster: Any) -> None:
        group = cluster["nodeGroups"][0]
        if count:
            group.update(minSize=4, desiredSize=4, maxSize=9)
        else:
            group["instanceTypes"] = ["m7g.xlarge"]

    return change


def _add_service(services: list[dict[str, Any]]) -> None:
    services.append(
        {"name": "review-service", "port": 3006, "team": "catalog", "database": True, "secrets": [{"name": "api-key"}]}
    )


def _remove_service(services: list[dict[str, Any]]) -> list[dict[str, Any]]:
    kept = [s for s in services if s["name"] != "customer-service"]
    kept[0]["calls"].remove("customer-service")
    return kept


def _rotate(services: list[dict[str, Any]]) -> None:
    payment = next(s for s in services if s["name"] == "payment-service")
    payment["secrets"][0]["generation"] = 2


GUARDRAIL_POLICIES = {
    f"guardrails-{team}-{svc}-{d}"
    for team, svc, d in (
        ("catalog", "menu-service", "egress"),
        ("edge", "api-gateway", "ingress"),
        ("edge", "api-gateway", "egress"),
        ("identity", "customer-service", "egress"),
        ("identity", "user-service", "egress"),
        ("orders", "order-service", "egress"),
        ("orders", "payment-service", "egress"),
    )
}
DB_SERVICES = ("user-service", "customer-service", "menu-service", "order-service", "payment-service")

CASES = [
    Case(
        "replan",
        "Plan again with nothing changed (no perpetual diff)",
        "prod",
        lambda: {},
        created=0,
        updated=set(),
    ),
    Case(
        "add-an-az",
        "Add an AZ (dev: network.azCount 2 → 3)",
        "dev",
        _with("dev", "network", lambda n: n.update(azCount=3)),
        created=9,
        created_names={
            "network-private-2",
            "network-public-2",
            "network-database-2",
            "network-private-rt-2",
            "network-nat-instance-from-private-2",  # the NAT instance admits the new private subnet
        },
        # the existing subnets keep their slots: only lists of subnets grow
        updated={
            "network-s3",
            "network-database-acl",
            "network-database",
            "cache-subnets",
            "access-runner",
            "cluster-eks-eksCluster",
            "database-rotation",
            *GUARDRAIL_POLICIES,
        },
        # EKS cannot move a managed node group to new subnets: a new group (name prefix) comes up first
        replaced={"cluster-general"},
    ),
    Case(
        "nat-gateway",
        "Egress through a NAT gateway instead of the NAT instance (dev: network.natMode instance → single)",
        "dev",
        _with("dev", "network", lambda n: n.update(natMode="single")),
        created=2,
        created_names={"network-nat-0"},  # the gateway and its address
        # the private default routes change target in place (ReplaceRoute), never replaced
        updated={"network-private-default-0", "network-private-default-1"},
        deleted={
            "network-nat-instance",
            "network-nat-instance-from-private-0",
            "network-nat-instance-from-private-1",
            "network-nat-instance-out",
        },
    ),
    Case(
        "add-a-service",
        "Add a service with a database and a secret",
        "prod",
        _with("prod", "services", _add_service),
        created=18,
        created_names={"registry-review-service", "database-review-service", "secrets-review-service"},
        updated={
            "database-proxy",
            "external-secrets-store-catalog",
            "external-secrets-store-database-admin",
            "monitoring-rules",
        },
        # the bootstrap Job is named by a digest of its inputs: a new Job runs for the new service
        replaced={"database-bootstrap-job"},
    ),
    Case(
        "remove-a-service",
        "Remove a service (and the calls to it)",
        "prod",
        _with("prod", "services", _remove_service),
        created=0,
        updated={
            "database-proxy",
            "guardrails-edge-api-gateway-egress",
            "external-secrets-store-database-admin",
            "external-secrets-store-identity",
            "monitoring-rules",
        },
        replaced={"database-bootstrap-job"},
        deleted={
            "database-customer-service-password",
            "registry-customer-service",
            "database-customer-service",
            "guardrails-identity-customer-service-ingress",
            "guardrails-identity-customer-service-egress",
            "database-bootstrap-customer-service",
            "external-secrets-customer-service-database",
            "gitops-app-customer-service",
            "monitoring-dashboard-business-kpis-customer-service",
            "monitoring-scrape-customer-service",
        },
        stateful_deleted={"registry-customer-service", "database-customer-service"},
    ),
    Case(
        "node-counts",
        "Raise node counts (min 3 → 4, max 6 → 9)",
        "prod",
        _with("prod", "cluster", _nodes(count=True)),
        created=0,
        updated={"cluster-general"},
    ),
    Case(
        "node-size",
        "Raise the node size (m7g.large → m7g.xlarge)",
        "prod",
        _with("prod", "cluster", _nodes(count=False)),
        created=0,
        updated=set(),
        replaced={"cluster-general"},
    ),
    Case(
        "instance-classes",
        "Change instance classes (db.t4g.medium → db.r7g.large, cache.t4g.small → cache.r7g.large)",
        "prod",
        lambda: {
            "database": {**section("prod", "database"), "instanceClass": "db.r7g.large"},
            "cache": {**section("prod", "cache"), "nodeType": "cache.r7g.large"},
        },
        created=0,
        updated={"database-instance", "cache-group"},
    ),
    Case(
        "engine-minor",
        "Bump the cache engine minor version (8.0 → 8.1); PostgreSQL minors are applied by RDS",
        "prod",
        _with("prod", "cache", lambda c: c.update(engineVersion="8.1")),
        created=0,
        updated={"cache-group"},
    ),
    Case(
        "engine-major",
        "Bump the PostgreSQL major version (17 → 18)",
        "prod",
        _with("prod", "database", lambda d: d.update(engineVersion="18")),
        created=0,
        # a parameter group per family (name prefix): the new one exists before the instance moves to it
        updated={"database-instance"},
        replaced={"database-params", "database-bootstrap-job"},
    ),
    Case(
        "alarms",
        "Turn AWS alarms on (dev)",
        "dev",
        _with("dev", "observability", lambda o: o.update(awsAlarms={"enabled": True})),
        created=11,
        created_names={"alarms-critical", "alarms-rds-cpu", "alarms-nat-instance-status"},
        updated=set(),
    ),
    Case(
        "ingress-waf",
        "Turn the ingress WAF on (dev)",
        "dev",
        _with("dev", "ingress", lambda i: i.update(waf=True)),
        created=3,
        created_names={"ingress-waf", "ingress-waf-logs"},
        updated={"ingress-class-params"},
    ),
    Case(
        "exemption",
        "Add an exemption (policy-only: no resource changes)",
        "prod",
        lambda: {
            "exemptions": [
                {"control": "OBS-07", "reason": "SLOs are being redefined with the product team this quarter"}
            ]
        },
        created=0,
        updated=set(),
    ),
    Case(
        "rotate-app-secret",
        "Rotate a generated application secret (generation 1 → 2)",
        "prod",
        _with("prod", "services", _rotate),
        created=0,
        updated=set(),
        # a new value, a new secret version; the secret keeps its name and ARN
        replaced={"secrets-payment-service-webhook-signing-key", "secrets-payment-service"},
    ),
    Case(
        "rotation-period",
        "Shorten the database credential rotation period (30 → 7 days)",
        "prod",
        lambda: {"secrets": {"rotationDays": 7}},
        created=0,
        updated={f"database-{s}" for s in DB_SERVICES},
    ),
]


def changes_of(case: Case) -> Changes:
    return diff(plan(case.stack), plan(case.stack, **case.overrides()))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_change(case: Case) -> None:
    changes = changes_of(case)
    assert len(changes.of("create")) == case.created, sorted(changes.names("create"))
    assert case.created_names <= changes.names("create")
    assert changes.names("update") == case.updated
    assert changes.names("replace") == case.replaced
    assert changes.names("delete") == case.deleted
    # no stateful resource is replaced; only a removed service's own are deleted
    assert [c.name for c in changes.of("replace") if c.stateful] == []
    assert {c.name for c in changes.of("delete") if c.stateful} == case.stateful_deleted
    cfg = stack_config(case.stack, **case.overrides())
    settings = load_settings(cfg.config, project=cfg.project, stack=case.stack)
    report = judge(changes, settings)
    assert {v.change.name for v in report.verdicts} == case.stateful_deleted
    assert report.exit_code == (1 if case.stateful_deleted and settings.environment == "prod" else 0)


def test_every_stateful_type_has_its_replacement_rule_with_a_source() -> None:
    from groundwork.changes import FORCE_NEW

    assert set(STATEFUL) <= set(FORCE_NEW)
    for type_, rule in FORCE_NEW.items():
        assert rule.props and rule.source, type_
    # the properties that matter most for this program's resources
    assert {"kmsKeyId", "storageEncrypted", "identifier", "username", "dbName"} <= set(
        FORCE_NEW["aws:rds/instance:Instance"].props
    )
    assert "engineVersion" not in FORCE_NEW["aws:rds/instance:Instance"].props  # modified in place
    assert "objectLockEnabled" in FORCE_NEW["aws:s3/bucket:Bucket"].props
    assert "vpcConfig" not in FORCE_NEW["aws:eks/cluster:Cluster"].props  # subnets update in place (v5.25.0)


def test_the_docs_table_is_the_matrix() -> None:
    """docs/living-with-a-stack.md's change matrix lists each case with its figures."""
    text = (ROOT / "docs" / "living-with-a-stack.md").read_text()
    rows = {
        m.group(1): m.groups()[1:]
        for m in re.finditer(r"^\| `([a-z0-9-]+)` \|[^|]+\| (\d+) \| (\d+) \| (\d+) \| (\d+) \|", text, re.M)
    }
    assert set(rows) == {c.id for c in CASES}
    for c in CASES:
        expected = (str(c.created), str(len(c.updated)), str(len(c.replaced)), str(len(c.deleted)))
        assert rows[c.id] == expected, c.id


def test_the_live_change_table_names_real_settings_and_matrix_cases() -> None:
    from groundwork.live import LIVE, VERDICTS, resolve

    assert not resolve("network.azCont") and not resolve("cluster.nodeGroups[].sizes")
    ids = {c.id for c in CASES}
    for x in LIVE:
        assert resolve(x.setting), x.setting
        assert x.verdict in VERDICTS, x.setting
        for case in re.findall(r"matrix ([a-z0-9, -]+)", x.evidence):
            assert {c.strip() for c in case.split(",")} <= ids, x.setting
    verdict = {x.setting: x.verdict for x in LIVE}
    # the matrix's findings, as the table states them
    assert verdict["network.azCount"] == verdict["database.engineVersion"] == "safe"
    assert verdict["services"] == "guarded"  # removing a service deletes its repository and secrets
    assert verdict["network.cidr"] == "rebuild"
