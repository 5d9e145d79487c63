"""Cost estimates (GOV-04): each component against figures computed by hand from the catalog,
Multi-AZ doubling, public IPv4 counting, usage profiles, unpriced types, previews, diffs, the
PR comment, budgets and exit codes, and the catalog refresh against a stubbed Price List API."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from typer.testing import CliRunner

from groundwork import catalog as facts
from groundwork.cli import app
from groundwork.cost import catalog as prices
from groundwork.cost import report
from groundwork.cost.estimate import Estimate, estimate, release_volumes
from groundwork.cost.preview import read as read_preview
from groundwork.cost.refresh import refresh
from groundwork.cost.usage import Usage
from groundwork.cost.usage import load as load_usage
from groundwork.plan.graph import Graph, Resource
from tests.conftest import ROOT, section

TODAY = dt.date(2026, 12, 1)
H = 730
runner = CliRunner()


def price(key: str, region: str = "eu-west-1") -> float:
    p = prices.load().price(region, key)
    assert p is not None, key
    return p.price


def est(g: Graph, usage: Usage | None = None) -> Estimate:
    return estimate(g, usage or Usage(), today=TODAY)


def component(e: Estimate, name: str, key: str) -> float:
    [c] = [c for r in e.resources if r.name == name for c in r.components if c.price_key == key]
    assert c.monthly_cost is not None
    return c.monthly_cost


# --------------------------------------------------------------------------------------------- catalog


def test_catalog_covers_every_offered_type_in_every_region_with_source_and_date() -> None:
    cat = prices.load()
    assert cat.hours_per_month == 730 and cat.pricing == "on-demand, no free tier"
    for region, entries in cat.regions.items():
        for t in facts.INSTANCE_TYPES:
            assert f"ec2.{t}" in entries, (region, t)
        for c in facts.DB_CLASSES:
            assert {f"rds.postgres.{c}.single_az", f"rds.postgres.{c}.multi_az"} <= set(entries), (region, c)
        for n in facts.CACHE_NODE_TYPES:
            assert {f"elasticache.{n}.redis", f"elasticache.{n}.valkey"} <= set(entries), (region, n)
        for key, p in entries.items():
            assert str(p.source).startswith("https://") and p.date <= TODAY, key
        assert entries["vpc.public_ipv4.hour"].price == 0.005  # every public address, attached or not


def test_multi_az_is_twice_single_az() -> None:
    for region, entries in prices.load().regions.items():
        for c in facts.DB_CLASSES:
            single = entries[f"rds.postgres.{c}.single_az"].price
            assert entries[f"rds.postgres.{c}.multi_az"].price == pytest.approx(2 * single), (region, c)
        assert entries["rds.gp3.storage.multi_az"].price == pytest.approx(
            2 * entries["rds.gp3.storage.single_az"].price
        )


# --------------------------------------------------------------------------------------------- components by hand


def test_prod_baseline_components_by_hand(prod: Graph) -> None:
    e = est(prod)
    assert component(e, "cluster-general", "ec2.m7g.large") == pytest.approx(3 * H * price("ec2.m7g.large"))
    assert component(e, "cluster-general", "ebs.gp3.storage") == pytest.approx(3 * 50 * price("ebs.gp3.storage"))
    # priced on the pulumi-eks child the engine sees, not on the component
    assert component(e, "cluster-eks-eksCluster", "eks.cluster.standard") == pytest.approx(H * 0.10)
    assert [r for r in e.resources if r.name == "cluster-eks"] == []
    assert component(e, "access-operator-access", "ec2.t4g.nano") == pytest.approx(H * price("ec2.t4g.nano"))
    assert component(e, "access-operator-access", "ebs.gp3.storage") == pytest.approx(8 * price("ebs.gp3.storage"))
    db = "rds.postgres.db.t4g.medium.multi_az"
    assert component(e, "database-instance", db) == pytest.approx(H * price(db))
    assert component(e, "database-instance", "rds.gp3.storage.multi_az") == pytest.approx(
        20 * price("rds.gp3.storage.multi_az")
    )
    assert component(e, "database-proxy", "rds.proxy.vcpu") == pytest.approx(2 * H * price("rds.proxy.vcpu"))
    assert component(e, "cache-group", "elasticache.cache.t4g.small.valkey") == pytest.approx(
        2 * H * price("elasticache.cache.t4g.small.valkey")
    )
    assert component(e, "network-nat-0", "vpc.nat.hour") == pytest.approx(H * price("vpc.nat.hour"))
    assert component(e, "ingress-waf", "waf.rule") == pytest.approx(5 * 1.0)  # four managed groups and the rate rule
    secrets = [r for r in e.resources if r.type == "aws:secretsmanager/secret:Secret"]
    # every prod secret has a DR replica, each billed as a secret
    assert secrets and all([c.name.split(" in ")[0] for c in r.components] == ["secret", "replica"] for r in secrets)
    keys = [r for r in e.resources if r.type == "aws:kms/key:Key"]
    assert len(keys) == 8 and all(r.total() == 1.0 for r in keys)  # 5 + frontend, us-east-1 logs, DNSSEC


def test_dev_is_single_az_and_the_stack_setting_doubles_it(dev: Graph, graph_of) -> None:
    single = component(est(dev), "database-instance", "rds.postgres.db.t4g.micro.single_az")
    assert single == pytest.approx(H * price("rds.postgres.db.t4g.micro.single_az"))
    database = {**section("dev", "database"), "multiAz": True}
    doubled = component(
        est(graph_of("dev", database=database)), "database-instance", "rds.postgres.db.t4g.micro.multi_az"
    )
    assert doubled == pytest.approx(2 * single)


def _group(e: Estimate):
    [c] = [
        c for r in e.resources if r.name == "cluster-general" for c in r.components if c.price_key.startswith("ec2.")
    ]
    return c


def test_spot_nodes_are_priced_at_the_assumed_discount_of_the_dearest_pool(dev: Graph) -> None:
    """Issue 16: dev runs on Spot across three Graviton pools. The price list has no Spot prices,
    so the usage profile states the discount; the group is priced at the dearest pool (it may run
    any of them), counted as usage (an assumption, not a list price), and the saving is shown."""
    assert section("dev", "cluster")["nodeGroups"][0]["capacityType"] == "SPOT"
    group = next(r for r in dev.of_type("aws:eks/nodeGroup:NodeGroup") if r.name == "cluster-general")
    assert group.props["capacityType"] == "SPOT" and len(group.props["instanceTypes"]) == 3
    dearest = max(price(f"ec2.{t}") for t in group.props["instanceTypes"])
    assert dearest == price("ec2.m7g.large") > price("ec2.t4g.large")

    c = _group(est(dev, Usage(spot_discount=0.6)))
    assert c.price_key == "ec2.m7g.large" and c.usage_based
    assert c.monthly_cost == pytest.approx(2 * H * dearest * 0.4)
    assert c.saving == pytest.approx(2 * H * dearest * 0.6)
    assert "assumed 60% below on-demand" in c.name and "usage spot_discount" in c.name
    e = est(dev, Usage(spot_discount=0.6))
    assert [s["resource"] for s in e.to_json()["savings"]] == ["network-nat-instance", "cluster-general"]

    upper = _group(est(dev))  # no assumption: on-demand, an upper bound, said so
    assert upper.monthly_cost == pytest.approx(2 * H * dearest) and not upper.saving and not upper.usage_based
    assert "priced at on-demand (no spot_discount" in upper.name


def test_on_demand_groups_are_unchanged_by_a_spot_discount(prod: Graph) -> None:
    c = _group(est(prod, Usage(spot_discount=0.6)))
    assert c.monthly_cost == pytest.approx(3 * H * price("ec2.m7g.large")) and not c.saving and not c.usage_based


@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5])
def test_a_spot_discount_is_a_fraction_below_one(bad: float) -> None:
    with pytest.raises(ValueError):
        Usage(spot_discount=bad)


def test_dev_nat_instance_is_priced_with_its_address_and_its_saving_against_a_gateway(dev: Graph) -> None:
    """natMode instance: the t4g.nano, its 8 GB volume and its public address are billed; the
    saving is a NAT gateway's hours and processing (the usage profile's nat_gb) less the host."""
    e = est(dev, Usage(nat_gb=30))
    [nat] = [r for r in e.resources if r.name == "network-nat-instance"]
    host, volume, address = nat.components
    assert (host.price_key, volume.price_key, address.price_key) == (
        "ec2.t4g.nano",
        "ebs.gp3.storage",
        "vpc.public_ipv4.hour",
    )
    assert host.name == "1 x t4g.nano on-demand NAT instance (instead of a NAT gateway)"
    assert (volume.monthly_quantity, address.monthly_quantity) == (8, H)
    gateway = H * price("vpc.nat.hour") + 30 * price("vpc.nat.gb")
    own = H * price("ec2.t4g.nano") + 8 * price("ebs.gp3.storage")
    assert host.saving == pytest.approx(gateway - own) and host.saving > 30
    assert not volume.saving and not address.saving
    assert [r for r in e.resources if r.type == "aws:ec2/natGateway:NatGateway"] == []
    # without nat_gb the gateway's processing is unknown and counts for nothing in the saving
    [unknown] = [c for r in est(dev).resources if r.name == "network-nat-instance" for c in r.components if c.saving]
    assert unknown.saving == pytest.approx(gateway - 30 * price("vpc.nat.gb") - own)


def test_every_public_ipv4_address_is_counted(prod: Graph, dev: Graph) -> None:
    def ipv4(g: Graph) -> float:
        return sum(
            c.monthly_quantity or 0
            for r in est(g).resources
            for c in r.components
            if c.price_key == "vpc.public_ipv4.hour"
        )

    # prod: a NAT gateway address per AZ and the ALB's address in each of the 3 public subnets
    assert ipv4(prod) == pytest.approx((3 + 3) * H)
    assert ipv4(dev) == pytest.approx((1 + 2) * H)


def test_kubernetes_volumes_count_as_ebs(prod: Graph) -> None:
    e = est(prod)
    volumes = {
        r.name: sum(c.monthly_quantity or 0 for c in r.components)
        for r in e.resources
        if r.type == "kubernetes:helm.sh/v3:Release"
    }
    assert volumes == {"monitoring-stack": 2 * 100 + 2 * 2, "telemetry-loki": 3 * 20, "telemetry-tempo": 10}
    assert release_volumes("loki", {"singleBinary": {"replicas": 2, "persistence": {"size": "1Ti"}}}) == [
        ("Loki singleBinary volumes (2 x 1024 GiB)", 2048.0)
    ]


def test_extended_support_versions_cost_six_times_more(prod: Graph) -> None:
    e = estimate(prod, Usage(), today=dt.date(2027, 4, 1))  # 1.35 left standard support on 2027-03-27
    assert component(e, "cluster-eks-eksCluster", "eks.cluster.extended") == pytest.approx(H * 0.60)


# --------------------------------------------------------------------------------------------- usage


def test_usage_without_a_profile_is_priced_per_unit_and_adds_nothing(prod: Graph) -> None:
    bare = est(prod)
    assert bare.usage == 0
    nat = next(
        c for r in bare.resources if r.name == "network-nat-0" for c in r.components if c.price_key == "vpc.nat.gb"
    )
    assert nat.monthly_quantity is None and nat.monthly_cost is None and nat.price == price("vpc.nat.gb")
    usage, _ = load_usage("prod", ROOT / "cost" / "usage" / "prod.yaml")
    full = est(prod, usage)
    assert full.baseline == pytest.approx(bare.baseline)
    assert component(full, "network-nat-0", "vpc.nat.gb") == pytest.approx(usage.nat_gb * price("vpc.nat.gb"))
    assert component(full, "ingress-class-params", "elb.alb.lcu") == pytest.approx(
        usage.alb_lcu * H * price("elb.alb.lcu")
    )
    # log GB of a purpose are shared by its groups: the two RDS log groups split rds' GB
    rds_groups = {
        r.urn for r in prod.of_type("aws:cloudwatch/logGroup:LogGroup") if r.props["name"].startswith("/aws/rds/")
    }
    ingested = [
        c.monthly_quantity
        for r in full.resources
        if r.urn in rds_groups
        for c in r.components
        if c.price_key == "logs.ingest"
    ]
    assert ingested == [usage.logs_ingest_gb["rds"] / 2] * 2


def test_unpriced_types_are_listed_not_dropped(prod: Graph) -> None:
    g = Graph(project=prod.project, stack=prod.stack, resources=[*prod.resources])
    g.resources.append(
        Resource(
            urn="urn:pulumi:prod::groundwork::aws:dynamodb/table:Table::orders",
            type="aws:dynamodb/table:Table",
            name="orders",
            custom=True,
        )
    )
    e = est(g)
    runner = {
        "type": "aws:codebuild/project:Project",
        "name": "access-runner",
        "urn": "urn:pulumi:prod::groundwork::groundwork:access:Access$aws:codebuild/project:Project::access-runner",
        "reason": "CodeBuild bills per build minute (BUILD_GENERAL1_MEDIUM); the catalog has no build-minute prices",
    }
    assert e.unpriced == [
        runner,
        {
            "type": "aws:dynamodb/table:Table",
            "name": "orders",
            "urn": "urn:pulumi:prod::groundwork::aws:dynamodb/table:Table::orders",
        },
    ]
    assert est(prod).unpriced == [runner]


# --------------------------------------------------------------------------------------------- previews


def preview_of(g: Graph, *, sames: bool = True) -> dict:
    steps = [
        {
            "op": "create" if i % 3 else ("same" if sames else "create"),
            "urn": r.urn,
            "newState": {
                "urn": r.urn,
                "type": r.type,
                "custom": r.custom,
                "parent": r.parent,
                "provider": r.provider,
                "inputs": r.inputs,
                "propertyDependencies": r.property_dependencies,
            },
        }
        for i, r in enumerate(g.resources)
    ]
    return {"steps": steps, "changeSummary": {"create": len(steps)}}


def test_a_real_preview_is_priced_like_the_plan(prod: Graph, tmp_path: Path) -> None:
    f = tmp_path / "preview.json"
    f.write_text(json.dumps(preview_of(prod)))
    g, warnings = read_preview(f, "prod")
    assert warnings == []
    assert est(g).total == pytest.approx(est(prod).total)


def test_a_real_pulumi_eks_child_replaces_the_component_price(prod: Graph) -> None:
    eks = [r for r in est(prod).resources if "eks.cluster.standard" in [c.price_key for c in r.components]]
    assert [r.type for r in eks] == ["aws:eks/cluster:Cluster"]  # priced once, on the child the plan records
    # a graph without the child (a preview JSON of an older engine) prices the component instead
    bare = Graph(
        project="groundwork", stack="prod", resources=[r for r in prod.resources if r.type != "aws:eks/cluster:Cluster"]
    )
    eks = [r for r in est(bare).resources if "eks.cluster.standard" in [c.price_key for c in r.components]]
    assert [r.type for r in eks] == ["eks:index:Cluster"]


def test_a_preview_without_show_sames_warns(tmp_path: Path) -> None:
    f = tmp_path / "p.json"
    f.write_text(json.dumps({"steps": [], "changeSummary": {"same": 300, "update": 2}}))
    _, warnings = read_preview(f, "prod")
    assert warnings and "--show-sames" in warnings[0]
    # with --show-sames the unchanged resources are steps of their own: nothing is missing
    same = {"op": "same", "urn": "urn:x", "newState": {"urn": "urn:x", "type": "aws:s3/bucket:Bucket"}}
    f.write_text(json.dumps({"steps": [same], "changeSummary": {"same": 1}}))
    assert read_preview(f, "prod")[1] == []
    f.write_text(json.dumps({"steps": [], "changeSummary": {"create": 2}}))
    assert read_preview(f, "prod")[1] == []


def test_a_preview_step_becomes_the_resource_the_engine_describes(tmp_path: Path) -> None:
    """Each step's newState as `pulumi preview --json` writes it (pulumi/pulumi, the PreviewDigest
    and PreviewStep of sdk/go/common/display; newState is an apitype.ResourceV3 of
    sdk/go/common/apitype/core.go); a step without one (a delete) is left out. The engine always
    writes `custom` (no omitempty); a hand-trimmed state without it counts as a custom resource,
    so it is priced rather than skipped as a component."""
    urn = "urn:pulumi:prod::groundwork::groundwork:data:Database$aws:rds/instance:Instance::data-db"
    state = {
        "urn": urn,
        "type": "aws:rds/instance:Instance",
        "parent": "urn:pulumi:prod::groundwork::groundwork:data:Database::data",
        "provider": "urn:pulumi:prod::groundwork::pulumi:providers:aws::default::id-1",
        "dependencies": ["urn:a"],
        "propertyDependencies": {"kmsKeyId": ["urn:a"]},
        "inputs": {"instanceClass": "db.m7g.large"},
        "outputs": {"endpoint": "db.example"},
    }
    steps = [{"op": "create", "urn": urn, "newState": state}, {"op": "delete", "urn": "urn:gone"}]
    f = tmp_path / "p.json"
    f.write_text(json.dumps({"steps": steps}))
    g, warnings = read_preview(f, "prod", project="groundwork")
    [r] = g.resources
    assert (g.project, g.stack, warnings) == ("groundwork", "prod", [])
    assert (r.urn, r.type, r.name, r.custom) == (urn, "aws:rds/instance:Instance", "data-db", True)
    assert (r.parent, r.provider_urn) == (state["parent"], "urn:pulumi:prod::groundwork::pulumi:providers:aws::default")
    assert (r.dependencies, r.property_dependencies) == (["urn:a"], {"kmsKeyId": ["urn:a"]})
    assert (r.inputs, r.outputs) == (state["inputs"], state["outputs"])


# --------------------------------------------------------------------------------------------- diff, markdown, budgets


def test_diff_arithmetic(graph_of) -> None:
    base = est(graph_of("prod")).to_json()
    cluster = section("prod", "cluster")
    cluster["nodeGroups"][0].update(desiredSize=4, maxSize=8)
    head = est(graph_of("prod", cluster=cluster)).to_json()
    before, after, changes = report.diff(base, head)
    assert after - before == pytest.approx(sum(c.delta for c in changes), abs=0.01)  # totals are in cents
    assert changes[0].name == "cluster-general"
    assert changes[0].delta == pytest.approx(H * price("ec2.m7g.large") + 50 * price("ebs.gp3.storage"), abs=0.01)


def _fixture_estimate(total: float) -> dict:
    return {
        "stack": "prod", "region": "eu-west-1", "currency": "USD", "catalogVersion": "2026-11-21",
        "usageProfile": "cost/usage/prod.yaml", "baselineMonthlyCost": total - 10.0, "usageMonthlyCost": 10.0,
        "totalMonthlyCost": total, "unpriced": [], "freeResources": 1,
        "resources": [
            {"urn": "u1", "name": "nodes", "type": "aws:eks/nodeGroup:NodeGroup", "monthlyCost": total - 10.0},
            {"urn": "u2", "name": "nat", "type": "aws:ec2/natGateway:NatGateway", "monthlyCost": 10.0},
        ],
        "budget": {"budget": 500.0, "total": total, "over": total > 500, "mode": "fail"},
    }  # fmt: skip


def test_pr_comment_markdown_snapshot() -> None:
    body = report.markdown({"stacks": [_fixture_estimate(520.0)]}, {"stacks": [_fixture_estimate(400.0)]})
    snapshot = ROOT / "tests" / "snapshots" / "cost-comment.md"
    assert body == snapshot.read_text()
    assert body.startswith(report.COMMENT_TAG)


def cli(*args: str) -> object:
    return runner.invoke(app, ["cost", "-C", str(ROOT), *args])


def test_budget_fails_prod_and_warns_dev(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ok = cli("--stack", "prod", "-f", "json")
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.stdout)
    assert data["stacks"][0]["budget"]["over"] is False

    # the same stacks with budgets they exceed: prod fails, dev only warns
    for stack, budget, code in (("prod", 100, 1), ("dev", 50, 0)):
        cfg_path = tmp_path / stack
        cfg_path.mkdir()
        for f in ("Pulumi.yaml", f"Pulumi.{stack}.yaml", "__main__.py"):
            (cfg_path / f).symlink_to(ROOT / f)
        (cfg_path / "cost").symlink_to(ROOT / "cost")
        text = (ROOT / f"Pulumi.{stack}.yaml").read_text()
        import re

        text = re.sub(r"monthlyBudget: \d+", f"monthlyBudget: {budget}", text)
        (cfg_path / f"Pulumi.{stack}.yaml").unlink()
        (cfg_path / f"Pulumi.{stack}.yaml").write_text(text)
        monkeypatch.chdir(cfg_path)
        result = runner.invoke(app, ["cost", "-C", str(cfg_path), "--stack", stack, "-f", "json"])
        assert result.exit_code == code, (stack, result.output)
        assert "OVER budget" in result.stderr


def test_compare_to_shows_the_change(tmp_path: Path) -> None:
    base = tmp_path / "base.json"
    assert cli("--stack", "dev", "-f", "json", "-o", str(base)).exit_code == 0
    data = json.loads(base.read_text())
    data["stacks"][0]["totalMonthlyCost"] -= 25
    data["stacks"][0]["resources"][0]["monthlyCost"] -= 25
    base.write_text(json.dumps(data))
    md = cli("--stack", "dev", "-f", "markdown", "--compare-to", str(base))
    assert md.exit_code == 0 and "+$25.00" in md.stdout


# --------------------------------------------------------------------------------------------- refresh


def product(usd: str) -> str:
    return json.dumps({"terms": {"OnDemand": {"T": {"priceDimensions": {"D": {"pricePerUnit": {"USD": usd}}}}}}})


def pricing_client():  # type: ignore[no-untyped-def]
    return boto3.client("pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def small_catalog(region: str) -> prices.Catalog:
    """The catalog cut down to three keys of one region, for the refresh tests."""
    full = prices.load()
    return prices.Catalog.model_validate(
        {
            **full.model_dump(mode="json", exclude={"regions"}),
            "regions": {
                region: {
                    k: full.regions[region][k].model_dump(mode="json")
                    for k in ("ec2.m7g.large", "rds.postgres.db.t4g.medium.multi_az", "waf.webacl")
                }
            },
        }
    )


def test_refresh_rebuilds_prices_from_the_price_list_api() -> None:
    client = pricing_client()
    small = small_catalog("eu-west-1")
    with Stubber(client) as stub:
        stub.add_response(
            "get_products",
            {"PriceList": [product("0.0950000000")], "FormatVersion": "aws_v1"},
            {
                "ServiceCode": "AmazonEC2",
                "Filters": [
                    {"Type": "TERM_MATCH", "Field": "location", "Value": "EU (Ireland)"},
                    {"Type": "TERM_MATCH", "Field": "instanceType", "Value": "m7g.large"},
                    {"Type": "TERM_MATCH", "Field": "operatingSystem", "Value": "Linux"},
                    {"Type": "TERM_MATCH", "Field": "tenancy", "Value": "Shared"},
                    {"Type": "TERM_MATCH", "Field": "preInstalledSw", "Value": "NA"},
                    {"Type": "TERM_MATCH", "Field": "capacitystatus", "Value": "Used"},
                ],
                "MaxResults": 10,
            },
        )
        stub.add_response("get_products", {"PriceList": [product("0.1"), product("0.2")]})  # ambiguous: kept
        new, kept = refresh(small, client, today=TODAY)
        stub.assert_no_pending_responses()
    ec2 = new.regions["eu-west-1"]["ec2.m7g.large"]
    assert (
        ec2.price == 0.095
        and str(ec2.source).startswith("https://pricing.us-east-1.amazonaws.com")
        and ec2.date == TODAY
    )
    assert (
        new.regions["eu-west-1"]["rds.postgres.db.t4g.medium.multi_az"]
        == small.regions["eu-west-1"]["rds.postgres.db.t4g.medium.multi_az"]
    )
    assert any("2 products matched" in k for k in kept) and any("waf.webacl" in k for k in kept)


def test_refresh_round_trips_through_the_yaml(tmp_path: Path) -> None:
    target = tmp_path / "prices.yaml"
    prices.dump(prices.load(), target)
    assert prices.Catalog.model_validate(__import__("yaml").safe_load(target.read_text())) == prices.load()


def test_the_stack_region_does_not_depend_on_registration_order(prod: Graph) -> None:
    providers = [r for r in prod.resources if r.type == "pulumi:providers:aws"]
    rest = [r for r in prod.resources if r.type != "pulumi:providers:aws"]
    for order in (providers, providers[::-1]):
        g = Graph(project="groundwork", stack="prod", resources=[*order, *rest])
        e = est(g)
        assert e.region == "eu-west-1"
        assert component(e, "ingress-class-params", "elb.alb.hour") == pytest.approx(H * price("elb.alb.hour"))


def test_a_pulumi_eks_managed_node_group_is_priced_from_its_inputs() -> None:
    provider = Resource(urn="urn:p::pulumi:providers:aws::aws", type="pulumi:providers:aws", name="aws", custom=True,
                        id="1", inputs={"region": "eu-west-1"})  # fmt: skip
    mng = Resource(
        urn="urn:p::eks:index:ManagedNodeGroup::workers", type="eks:index:ManagedNodeGroup", name="workers", custom=False,
        provider="urn:p::pulumi:providers:aws::aws::1",
        inputs={"instanceTypes": ["t4g.large"], "scalingConfig": {"desiredSize": 2}, "diskSize": 30},
    )  # fmt: skip
    e = est(Graph(project="p", stack="s", resources=[provider, mng]))
    assert component(e, "workers", "ec2.t4g.large") == pytest.approx(2 * H * price("ec2.t4g.large"))
    assert component(e, "workers", "ebs.gp3.storage") == pytest.approx(2 * 30 * price("ebs.gp3.storage"))
    child = Resource(urn="urn:p::aws:eks/nodeGroup:NodeGroup::w", type="aws:eks/nodeGroup:NodeGroup", name="w",
                     custom=True, parent=mng.urn, provider=mng.provider, inputs=mng.inputs)  # fmt: skip
    e = est(Graph(project="p", stack="s", resources=[provider, mng, child]))
    assert [r.name for r in e.resources if r.type != "groundwork:usage"] == ["w"]  # priced once


def _elsewhere(region: str, **more: object) -> dict[str, object]:
    """Prod's settings moved to `region` (its connection with it; the stack requests its certificate there)."""
    delivery = {**section("prod", "delivery")}
    delivery["codeConnectionArn"] = delivery["codeConnectionArn"].replace("eu-west-1", region)
    return {"aws:region": region, "delivery": delivery, **more}


def test_a_region_outside_the_catalog_gives_a_partial_estimate_not_a_crash() -> None:
    """Issue 15: us-west-2 used to crash plan and cost (KeyError: no price 'secretsmanager.api')."""
    from tests.conftest import plan

    e = est(plan("prod", **_elsewhere("us-west-2")))
    assert e.partial and e.unpriced_regions == ("us-west-2",)
    unpriced = {u["name"] for u in e.unpriced}
    assert {"database-instance", "cache-group", "cluster-general", "network-nat-0"} <= unpriced
    assert all(u.get("reason", "").startswith("no price") for u in e.unpriced if u["name"] == "database-instance")
    assert e.to_json()["partial"] is True and e.to_json()["unpricedRegions"] == ["us-west-2"]
    line = report.BudgetStatus(950.0, e.total, "fail", e.unpriced_regions).describe()
    assert "PARTIAL: the price catalog has no prices for us-west-2" in line


def test_a_dr_region_outside_the_catalog_is_said_not_silently_dropped() -> None:
    from tests.conftest import plan

    e = est(plan("prod", drRegion="ap-northeast-3"))
    assert e.unpriced_regions == ("ap-northeast-3",)
    dr = [u for u in e.unpriced if "ap-northeast-3" in u.get("reason", "")]
    assert dr, "the DR region's resources are listed as unpriced"
    full = est(plan("prod"))
    assert not full.partial and full.unpriced_regions == ()


def test_cost_and_plan_say_partial_on_the_command_line(root: Path, tmp_path: Path) -> None:
    import shutil

    import yaml as pyyaml

    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(root / name, tmp_path / name)
    for name in ("components", "policies", "cost", "groundwork", "dashboards"):
        (tmp_path / name).symlink_to(root / name)
    doc = pyyaml.safe_load((root / "Pulumi.prod.yaml").read_text())
    for key, value in _elsewhere("us-west-2").items():
        doc["config"][key if ":" in key else f"groundwork:{key}"] = value
    (tmp_path / "Pulumi.prod.yaml").write_text(pyyaml.safe_dump(doc))
    result = runner.invoke(app, ["cost", "--stack", "prod", "-C", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "PARTIAL: the price catalog has no prices for us-west-2" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_refresh_adds_a_region_priced_from_the_api_only() -> None:
    """Issue 15: a region the catalog lacks is added by `groundwork cost refresh --region R` (with
    AWS credentials), priced for the template region's keys; what the API cannot price stays out."""
    client = pricing_client()
    small = small_catalog("us-east-1")
    with Stubber(client) as stub:
        stub.add_response("get_products", {"PriceList": [product("0.0816000000")]})  # ec2 in Oregon
        stub.add_response("get_products", {"PriceList": []})  # RDS: nothing matched
        new, kept = refresh(small, client, regions=["us-west-2"], today=TODAY)
        stub.assert_no_pending_responses()
    assert set(new.regions) == {"us-east-1", "us-west-2"}
    assert new.regions["us-east-1"] == small.regions["us-east-1"]  # not asked for: untouched
    oregon = new.regions["us-west-2"]
    assert set(oregon) == {"ec2.m7g.large"} and oregon["ec2.m7g.large"].price == 0.0816
    assert "us-west-2 waf.webacl (not priced: no API query)" in kept
    assert any(k.startswith("us-west-2 rds.postgres") and "0 products matched" in k for k in kept)


def test_refresh_refuses_a_region_without_a_price_list_location() -> None:
    result = runner.invoke(app, ["cost", "refresh", "--region", "mars-1"])
    assert result.exit_code == 2 and "--region mars-1: no Price List location known" in result.output


# --------------------------------------------------------------------------------------------- branches no stack takes (issue 18, gap 6)


def _with(g: Graph, *extra: Resource) -> Graph:
    import copy

    out = copy.deepcopy(g)
    out.resources.extend(extra)
    return out


def test_interface_endpoints_are_priced_per_az_and_gateway_endpoints_are_free(prod: Graph) -> None:
    provider = next(r.provider for r in prod.of_type("aws:ec2/subnet:Subnet"))
    urn = "urn:pulumi:prod::groundwork::aws:ec2/vpcEndpoint:VpcEndpoint::"
    g = _with(
        prod,
        Resource(
            urn + "ecr-api",
            "aws:ec2/vpcEndpoint:VpcEndpoint",
            "ecr-api",
            True,
            provider=provider,
            inputs={
                "vpcEndpointType": "Interface",
                "serviceName": "com.amazonaws.eu-west-1.ecr.api",
                "subnetIds": ["a", "b", "c"],
            },
        ),
        Resource(
            urn + "s3",
            "aws:ec2/vpcEndpoint:VpcEndpoint",
            "s3",
            True,
            provider=provider,
            inputs={"vpcEndpointType": "Gateway", "serviceName": "com.amazonaws.eu-west-1.s3"},
        ),
    )
    e = est(g, Usage(interface_endpoint_gb=100))
    assert component(e, "ecr-api", "vpc.endpoint.interface.hour") == pytest.approx(
        3 * H * price("vpc.endpoint.interface.hour")
    )
    assert component(e, "ecr-api", "vpc.endpoint.interface.gb") == pytest.approx(
        100 * price("vpc.endpoint.interface.gb")
    )
    assert not [r for r in e.resources if r.name == "s3" and r.components]


def test_root_volume_iops_and_throughput_above_the_gp3_baseline_are_priced(prod: Graph) -> None:
    import copy

    g = copy.deepcopy(prod)
    group = next(r for r in g.of_type("aws:eks/nodeGroup:NodeGroup") if r.name == "cluster-general")
    [lt_urn] = group.property_dependencies["launchTemplate"]
    lt = g.by_urn[lt_urn]
    lt.inputs["blockDeviceMappings"][0]["ebs"].update(iops=4000, throughput=250)
    e = est(g)
    assert component(e, "cluster-general", "ebs.gp3.iops") == pytest.approx(3 * 1000 * price("ebs.gp3.iops"))
    assert component(e, "cluster-general", "ebs.gp3.throughput") == pytest.approx(3 * 125 * price("ebs.gp3.throughput"))
    assert not [
        c for r in est(prod).resources for c in r.components if c.price_key in ("ebs.gp3.iops", "ebs.gp3.throughput")
    ]


def test_backup_vault_usage_is_split_between_the_primary_and_the_dr_vault(prod: Graph) -> None:
    usage = Usage(backup_gb={"primary_rds_warm": 100, "dr_rds_warm": 40})
    e = est(prod, usage)
    vaults = {r.region: r for r in e.resources if r.type == "aws:backup/vault:Vault"}
    assert set(vaults) == {"eu-west-1", "eu-central-1"}
    warm = {region: next(c for c in r.components if c.price_key == "backup.rds.warm") for region, r in vaults.items()}
    assert warm["eu-west-1"].monthly_quantity == 100 and warm["eu-central-1"].monthly_quantity == 40
    assert warm["eu-central-1"].monthly_cost == pytest.approx(40 * price("backup.rds.warm", "eu-central-1"))
