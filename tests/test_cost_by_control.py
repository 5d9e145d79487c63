"""What each control costs (groundwork/cost/by_control.py, issue 16).

The lines are checked against figures computed by hand from the price catalog and the stack
files. The tests also check that every control named is in the catalogue, that no line is
counted above its resource, that a real preview's JSON (with or without property dependencies)
gives the plan's attribution, and what docs/cost.md concludes from the figures: prod misses the
audit's ~$753 only by what its controls cost, and dev misses ~$193 even without them."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from groundwork.controls import CONTROLS
from groundwork.cost import catalog as prices
from groundwork.cost import report
from groundwork.cost.by_control import ControlCost, attribute, by_control
from groundwork.cost.estimate import Component, Estimate, ResourceCost
from groundwork.cost.preview import read as read_preview
from groundwork.cost.usage import Usage
from groundwork.cost.usage import load as load_usage
from groundwork.plan.graph import Graph, Resource
from tests.conftest import section
from tests.test_cost import H, cli, est, preview_of, price

STACKS = ("dev", "staging", "prod")


def cost_of(e: Estimate, control: str) -> float:
    return sum(x.monthly for x in e.control_costs if control in x.controls)


def resources_of(e: Estimate, controls: tuple[str, ...]) -> set[str]:
    return {x.resource for x in e.control_costs if x.controls == controls}


def with_profile(g: Graph, stack: str) -> Estimate:
    usage, _ = load_usage(stack)
    return est(g, usage)


def test_net02_is_each_nat_gateway_after_the_first_with_its_address(prod: Graph, dev: Graph) -> None:
    e = est(prod)
    assert resources_of(e, ("NET-02",)) == {"network-nat-1", "network-nat-2"}  # two gateways, two addresses
    assert [x.what for x in e.control_costs if x.controls == ("NET-02",)].count("public IPv4 address") == 2
    hand = 2 * H * (price("vpc.nat.hour") + price("vpc.public_ipv4.hour"))
    assert cost_of(e, "NET-02") == pytest.approx(hand)
    # the traffic is the same with one gateway or three: data processed is not NET-02's
    assert cost_of(est(prod, Usage.model_validate({"nat_gb": 500})), "NET-02") == pytest.approx(hand)
    # dev's single NAT instance is egress, not a control
    assert cost_of(est(dev), "NET-02") == 0


def test_db02_is_the_standby_half_of_the_database(prod: Graph, dev: Graph) -> None:
    cls = section("prod", "database")["instanceClass"]
    hand = H * (price(f"rds.postgres.{cls}.multi_az") - price(f"rds.postgres.{cls}.single_az")) + 20 * (
        price("rds.gp3.storage.multi_az") - price("rds.gp3.storage.single_az")
    )
    e = est(prod)
    assert cost_of(e, "DB-02") == pytest.approx(hand)
    assert {x.what for x in e.control_costs if x.controls == ("DB-02",)} == {
        f"{cls} PostgreSQL (Multi-AZ): the standby",
        "20 GB gp3 storage (Multi-AZ): the standby",
    }
    assert cost_of(est(dev), "DB-02") == 0  # single-AZ
    assert cost_of(e, "DB-11") == pytest.approx(2 * H * price("rds.proxy.vcpu"))  # the whole proxy
    assert cost_of(e, "DB-08") == pytest.approx(price("secretsmanager.secret"))  # the RDS-managed master secret


def test_cache01_is_the_replica_nodes(prod: Graph, dev: Graph) -> None:
    node = section("prod", "cache")["nodeType"]
    nodes = section("prod", "cache")["nodes"]
    assert cost_of(est(prod), "CACHE-01") == pytest.approx((nodes - 1) * H * price(f"elasticache.{node}.valkey"))
    assert cost_of(est(dev), "CACHE-01") == 0  # one node


def test_waf_logs_go_to_the_control_of_their_web_acl_with_or_without_property_dependencies(prod: Graph) -> None:
    usage, _ = load_usage("prod")
    bare = dataclasses.replace(
        prod, resources=[dataclasses.replace(r, property_dependencies={}) for r in prod.resources]
    )
    for g in (prod, bare):
        e = est(g, usage)
        assert resources_of(e, ("NET-10",)) == {"ingress-waf", "ingress-waf-logs"}
        assert resources_of(e, ("EDGE-04",)) >= {"edge-frontend-waf", "edge-frontend-waf-logs"}
        # and the NAT gateways' addresses are found by name
        assert resources_of(e, ("NET-02",)) == {"network-nat-1", "network-nat-2"}
    for control in ("NET-10", "EDGE-04", "NET-02"):
        assert cost_of(est(bare, usage), control) == pytest.approx(cost_of(est(prod, usage), control))


def test_a_real_preview_is_attributed_like_the_plan(prod: Graph, tmp_path: Path) -> None:
    f = tmp_path / "preview.json"
    f.write_text(json.dumps(preview_of(prod)))
    g, _ = read_preview(f, "prod")
    assert est(g).control_costs == est(prod).control_costs


@pytest.mark.parametrize("stack", STACKS)
def test_every_line_names_catalogued_controls_and_stays_within_its_resource(stack: str, graph_of) -> None:
    e = with_profile(graph_of(stack), stack)
    assert e.control_costs
    by_name: dict[str, float] = {}
    for x in e.control_costs:
        assert x.controls and all(c in CONTROLS for c in x.controls), x
        assert x.monthly > 0, x
        by_name[x.resource] = by_name.get(x.resource, 0.0) + x.monthly
    totals = {r.name: 0.0 for r in e.resources}
    for r in e.resources:
        totals[r.name] += r.total()
    for name, attributed in by_name.items():
        assert attributed <= totals[name] + 1e-9, name
    assert sum(v for _, v, _ in by_control(e.control_costs)) == pytest.approx(sum(by_name.values()))


def test_what_the_platform_needs_whatever_the_controls_is_not_attributed(prod: Graph) -> None:
    e = est(prod)
    named = {x.resource for x in e.control_costs}
    for platform in ("cluster-eks-eksCluster", "cluster-general", "network-nat-0", "edge-frontend"):
        assert platform not in named


def test_docs_conclusions_prod_misses_the_audit_only_by_its_controls_dev_even_without_them(
    prod: Graph, dev: Graph
) -> None:
    """docs/cost.md "What the controls cost": the audit's targets (seed 001) are ~$753 for prod
    and ~$193 for dev. Prod is over only because of its controls; dev is over without them."""
    p, d = with_profile(prod, "prod"), with_profile(dev, "dev")
    assert p.total > 753 >= p.total - p.required_by_controls
    assert d.total - d.required_by_controls > 193


def test_json_and_the_by_control_table(tmp_path: Path) -> None:
    data = json.loads(cli("--stack", "prod", "-f", "json").stdout)  # type: ignore[attr-defined]
    lines = data["stacks"][0]["controlCosts"]
    assert {"controls", "resource", "what", "monthly", "usageBased"} == set(lines[0])
    assert {tuple(x["controls"]) for x in lines} >= {("NET-02",), ("DB-02",), ("DB-11",)}
    out = tmp_path / "table.txt"
    result = cli("--stack", "prod", "--by-control", "-o", str(out))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    text = out.read_text()
    required = sum(x["monthly"] for x in lines)
    assert "what the controls cost" in text and f"${required:,.2f}" in text
    assert "NET-02" in text and "network-nat-1, network-nat-2" in text
    plain = tmp_path / "plain.txt"
    assert cli("--stack", "prod", "-o", str(plain)).exit_code == 0  # type: ignore[attr-defined]
    assert "what the controls cost" not in plain.read_text()


def controls_of(e: Estimate) -> dict[str, set[tuple[str, ...]]]:
    out: dict[str, set[tuple[str, ...]]] = {}
    for x in e.control_costs:
        out.setdefault(x.resource, set()).add(x.controls)
    return out


def test_keys_go_to_the_controls_that_ask_for_a_customer_managed_key_where_they_are(prod: Graph) -> None:
    e = est(prod)
    keys = {r.name for r in e.resources if r.type == "aws:kms/key:Key"}
    assert {name: controls_of(e)[name] for name in keys} == {
        "keys-logs": {("NET-03", "EKS-02")},  # the stack region's keys, by Purpose tag
        "keys-data": {("DB-03", "CACHE-02", "DR-01")},
        "keys-secrets": {("SEC-02", "EKS-03")},
        "keys-frontend": {("EDGE-03",)},
        "keys-us-east-1-logs": {("EDGE-04", "EDGE-05")},  # CloudFront's and Route 53's logs
        "keys-dr-data": {("DR-04",)},  # the DR vault's copies
        "keys-dr-secrets": {("DR-06",)},  # the secrets' DR replicas
        "edge-dnssec": {("EDGE-05",)},  # the KSK's key, in us-east-1 whatever the stack's region
    }
    assert all(x.monthly == price("kms.key") for x in e.control_costs if x.resource in keys)


def test_buckets_volumes_secrets_and_the_operator_host(prod: Graph, dev: Graph) -> None:
    usage, _ = load_usage("prod")
    e = est(prod, usage)
    found = controls_of(e)
    for name, controls in {
        "backups-bucket": ("DR-01", "DR-02"),
        "backups-replica": ("DR-03",),
        "secrets-audit": ("SEC-07",),
        "secrets-access-logs": ("SEC-07",),
        "telemetry-logs": ("OBS-04",),
        "telemetry-traces": ("OBS-05",),
        "telemetry-loki": ("OBS-04",),
        "telemetry-tempo": ("OBS-05",),
        "access-operator-access": ("EKS-04",),
    }.items():
        assert found[name] == {controls}, name
    volumes = {x.what.split(" ")[0]: x for x in e.control_costs if x.resource == "monitoring-stack"}
    assert volumes["Prometheus"].controls == ("OBS-01",) and volumes["Alertmanager"].controls == ("OBS-03",)
    replicas = 2  # OBS-01: two Prometheus replicas in prod, each with its volume
    assert volumes["Prometheus"].monthly == pytest.approx(replicas * 100 * price("ebs.gp3.storage"))
    secrets = [r.name for r in e.resources if r.type == "aws:secretsmanager/secret:Secret"]
    assert sorted(x.resource for x in e.control_costs if x.controls == ("SEC-02",)) == sorted(secrets)
    assert sorted(x.resource for x in e.control_costs if x.controls == ("DR-06",) and x.what.startswith("replica")) == (
        sorted(secrets)
    )
    # usage lines by hand from the profile
    assert usage.rds_backup_gb_beyond_free and usage.rds_replicated_backup_gb
    assert usage.cache_snapshot_gb and usage.inter_region_gb
    assert cost_of(e, "DB-06") == pytest.approx(usage.rds_backup_gb_beyond_free * price("rds.backup.storage"))
    dr = "eu-central-1"  # Pulumi.yaml's drRegion default, which prod keeps: the copies are stored there
    assert cost_of(e, "DR-05") == pytest.approx(usage.rds_replicated_backup_gb * price("rds.backup.storage", dr))
    assert cost_of(e, "CACHE-04") == pytest.approx(usage.cache_snapshot_gb * price("elasticache.snapshot"))
    assert [x for x in e.control_costs if x.controls == ("DR-03", "DR-04")] == [
        ControlCost(
            ("DR-03", "DR-04"),
            "stack-wide usage",
            "data copied to the DR region",
            usage.inter_region_gb * price("transfer.inter_region"),
            True,
        )
    ]
    # not a control's: dev's NAT instance (egress), the frontend's bucket (the product), a cache's slow log
    named = {x.resource for x in with_profile(dev, "dev").control_costs} | set(found)
    assert not named & {"network-nat-instance", "edge-frontend", "cache-slow-log"}


def _res(urn: str, type_: str, **props: object) -> Resource:
    return Resource(urn=urn, type=type_, name=urn, custom=True, inputs=dict(props))


def _rc(urn: str, type_: str, region: str, *components: Component) -> ResourceCost:
    return ResourceCost(urn, urn, type_, region, list(components))


ACL = "aws:wafv2/webAcl:WebAcl"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"


def test_waf_logs_in_a_region_with_both_web_acls_follow_their_logging_configuration() -> None:
    """A stack in us-east-1 has its REGIONAL and its CLOUDFRONT web ACL in one region: only the
    logging configurations tell their log groups apart; without them both controls are named."""
    cat = prices.load()
    line = Component("waf logs ingested", "GB", 0.5, "logs.ingest", 2.0, usage_based=True)
    graph = Graph(project="p", stack="s")
    graph.resources = [
        _res("alb-acl", ACL, scope="REGIONAL"),
        _res("cdn-acl", ACL, scope="CLOUDFRONT"),
        _res("alb-logs", LOG_GROUP, name="aws-waf-logs-alb"),
        _res("cdn-logs", LOG_GROUP, name="aws-waf-logs-cdn"),
        _res("orphan-logs", LOG_GROUP, name="aws-waf-logs-orphan"),
    ]
    for acl, logs in (("alb-acl", "alb-logs"), ("cdn-acl", "cdn-logs")):
        cfg = _res(f"{acl}-logging", LOGGING)
        cfg.property_dependencies = {"resourceArn": [acl], "logDestinationConfigs": [logs]}
        graph.resources.append(cfg)
    resources = [
        _rc("alb-acl", ACL, "us-east-1"),
        _rc("cdn-acl", ACL, "us-east-1"),
        _rc("alb-logs", LOG_GROUP, "us-east-1", line),
        _rc("cdn-logs", LOG_GROUP, "us-east-1", line),
        _rc("orphan-logs", LOG_GROUP, "eu-west-1", line),
    ]
    got = {x.resource: x.controls for x in attribute(resources, graph, cat, "us-east-1")}
    assert got == {"alb-logs": ("NET-10",), "cdn-logs": ("EDGE-04",), "orphan-logs": ("NET-10",)}
    graph.resources = graph.resources[:5]  # a preview without property dependencies
    got = {x.resource: x.controls for x in attribute(resources, graph, cat, "us-east-1")}
    assert got["alb-logs"] == got["cdn-logs"] == ("EDGE-04", "NET-10")
    assert got["orphan-logs"] == ("NET-10",)  # no web ACL in its region: the ALB's is the default


def test_a_catalog_without_the_single_az_price_gives_no_standby_line_and_no_crash() -> None:
    cat = prices.load()
    key = "rds.postgres.db.x9.multi_az"  # not in the catalog, nor its single-AZ twin
    db = Component("db.x9 PostgreSQL (Multi-AZ)", "hour", 1.0, key, 730.0, hourly_quantity=1)
    graph = Graph(project="p", stack="s")
    graph.resources = [_res("db", "aws:rds/instance:Instance")]
    assert attribute([_rc("db", "aws:rds/instance:Instance", "eu-west-1", db)], graph, cat, "eu-west-1") == []


def test_groups_come_dearest_first_ties_by_control_and_the_json_keeps_four_decimals() -> None:
    lines = [
        ControlCost(("B-01",), "b", "x", 1.0, False),
        ControlCost(("A-01",), "a", "x", 0.5, False),
        ControlCost(("C-01",), "c", "x", 5.0, False),
        ControlCost(("A-01",), "a2", "y", 0.5, True),
        ControlCost(("A-01",), "a", "z", 0.25, True),  # a resource is named once per group
    ]
    assert by_control(lines) == [
        (("C-01",), 5.0, ["c"]),
        (("A-01",), 1.25, ["a", "a2"]),
        (("B-01",), 1.0, ["b"]),
    ]
    assert by_control(lines[:4])[1:] == [(("A-01",), 1.0, ["a", "a2"]), (("B-01",), 1.0, ["b"])]  # a tie: by ID
    assert ControlCost(("A-01",), "a", "y", 1 / 3, True).to_json() == {
        "controls": ["A-01"],
        "resource": "a",
        "what": "y",
        "monthly": 0.3333,
        "usageBased": True,
    }


def test_the_by_control_table_row_by_row() -> None:
    """Dearest first, each control's title cut at 48 characters, at most two resources named and
    the rest counted (two are named as they are; cut at 60 characters), the amounts right-aligned, then the total required
    by controls and the rest of the estimate."""
    lines = [ControlCost(("NET-02",), f"network-nat-{i}", "NAT gateway", 35.04, False) for i in (1, 2, 3)] + [
        ControlCost(("DB-11",), "database-proxy", "RDS Proxy", 24.09, False),
        ControlCost(("DB-11",), "database-proxy-reader", "RDS Proxy", 1.0, False),
        ControlCost(("SEC-02",), "secrets-platform-argocd-repository", "secret", 0.4, False),
        ControlCost(("SEC-02",), "secrets-platform-grafana-admin", "secret", 0.4, False),
        ControlCost(("SEC-02",), "secrets-platform-alerting", "secret", 0.4, False),
    ]
    rc = ResourceCost("u", "everything", "t", "eu-west-1", [Component("all", "month", 200.0, "k", 1.0)])
    e = Estimate("prod", "eu-west-1", "USD", "v", None, [rc], [], 0, control_costs=lines)
    buffer = io.StringIO()
    report.controls_table(Console(file=buffer, width=160, emoji=False), e)
    rows = [line.rstrip() for line in buffer.getvalue().splitlines()[1:] if line.strip()]
    assert rows == [
        "┏━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━┓",
        "┃ controls             ┃ what the first asks                              ┃ resources                                                    ┃ monthly ┃",
        "┡━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━┩",
        "│ NET-02               │ NAT gateway per AZ (no single point of egress f… │ network-nat-1, network-nat-2 and 1 more                      │ $105.12 │",
        "│ DB-11                │ Connection pooling available to services (RDS P… │ database-proxy, database-proxy-reader                        │  $25.09 │",
        "│ SEC-02               │ Application secrets live in AWS Secrets Manager… │ secrets-platform-argocd-repository, secrets-platform-grafan… │   $1.20 │",
        "├──────────────────────┼──────────────────────────────────────────────────┼──────────────────────────────────────────────────────────────┼─────────┤",
        "│ required by controls │                                                  │                                                              │ $131.41 │",
        "│ the rest             │ the platform itself, at its usage                │                                                              │  $68.59 │",
        "└──────────────────────┴──────────────────────────────────────────────────┴──────────────────────────────────────────────────────────────┴─────────┘",
    ]
