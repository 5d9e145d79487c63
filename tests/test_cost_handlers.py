"""Every pricing rule of groundwork/cost/estimate.py on one resource at a time (issue 18).

No program runs here: each test builds the few recorded resources a rule reads and asserts every
component it prices (name, catalog key, monthly quantity, usage or baseline). The quantities are
the rule's decisions: per AZ, per node, per GB of the usage profile, shared between log groups of
one purpose, split between the primary and the DR vault. The unit prices are the catalog's and
are checked against the AWS price list in tests/test_cost.py.
"""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

import pytest

from groundwork.cost.catalog import load as load_catalog
from groundwork.cost.estimate import Component, Estimate, ResourceCost, estimate, gib, release_volumes
from groundwork.cost.usage import Usage
from groundwork.plan.graph import Graph, Resource

REGION = "eu-west-1"
DR = "eu-central-1"
TODAY = dt.date(2026, 11, 21)
H = load_catalog().hours_per_month
PROVIDERS = {
    REGION: Resource(
        urn="urn:pulumi:t::p::pulumi:providers:aws::aws",
        type="pulumi:providers:aws",
        name="aws",
        custom=True,
        id="pid",
        inputs={"region": REGION},
    ),
    DR: Resource(
        urn="urn:pulumi:t::p::pulumi:providers:aws::aws-dr",
        type="pulumi:providers:aws",
        name="aws-dr",
        custom=True,
        id="did",
        inputs={"region": DR},
    ),
}
# every usage quantity set, each a different number, so a rule that reads the wrong one shows
USAGE = Usage(
    nat_gb=11,
    spot_discount=0.5,
    alb_lcu=2,
    interface_endpoint_gb=13,
    logs_ingest_gb={"flow-logs": 6, "eks": 4, "cache": 1},
    logs_stored_gb={"flow-logs": 30, "eks": 20},
    s3_gb={"backups": {"standard": 100, "glacier": 50}},
    s3_put_thousands={"backups": 7},
    rds_backup_gb_beyond_free=17,
    rds_replicated_backup_gb=19,
    cache_snapshot_gb=23,
    backup_gb={"primary_rds_warm": 29, "primary_ebs_warm": 31, "primary_ebs_cold": 37, "dr_rds_warm": 41},
    inter_region_gb=43,
    secret_api_calls=50_000,
    kms_requests=200_000,
    waf_requests_million=3,
    ecr_gb=5,
    cdn_gb=400,
    cdn_requests_million=10,
    dns_queries_million=2,
    sns_publishes_million=4,
)


def res(type_: str, name: str, inputs: dict[str, Any] | None = None, region: str = REGION, **kw: Any) -> Resource:
    return Resource(
        urn=f"urn:pulumi:t::p::{type_}::{name}",
        type=type_,
        name=name,
        custom=kw.pop("custom", True),
        provider=f"{PROVIDERS[region].urn}::{PROVIDERS[region].id}",
        inputs=inputs or {},
        **kw,
    )


def run(*resources: Resource, usage: Usage = USAGE, today: dt.date = TODAY) -> Estimate:
    g = Graph(project="p", stack="t")
    g.resources = [*PROVIDERS.values(), *resources]
    return estimate(g, usage, today=today, usage_profile="test.yaml")


Row = tuple[str, str, float | None, bool]


def lines(*resources: Resource, usage: Usage = USAGE) -> dict[str, list[Row]]:
    """name -> [(component, catalog key, monthly quantity, usage-based)] of every priced resource."""
    return {
        rc.name: [
            (c.name, c.price_key, None if c.monthly_quantity is None else round(c.monthly_quantity, 6), c.usage_based)
            for c in rc.components
        ]
        for rc in run(*resources, usage=usage).resources
        if rc.name != "stack-wide usage"
    }


# --------------------------------------------------------------------------------------------- compute


def test_eks_control_plane_is_one_cluster_hour_and_extended_support_after_its_end() -> None:
    assert lines(res("aws:eks/cluster:Cluster", "c", {"version": "1.35"})) == {
        "c": [("EKS control plane (1.35, standard support)", "eks.cluster.standard", H, False)]
    }
    # 1.33's standard support ended on 2026-07-29 (groundwork/controls.py, from the EKS release calendar)
    [old] = run(res("aws:eks/cluster:Cluster", "c", {"version": "1.33"})).resources[0].components
    assert (old.name, old.price_key) == ("EKS control plane (1.33, extended support)", "eks.cluster.extended")
    last_day = run(res("aws:eks/cluster:Cluster", "c", {"version": "1.33"}), today=dt.date(2026, 7, 29))
    assert last_day.resources[0].components[0].price_key == "eks.cluster.standard"
    unknown = run(res("aws:eks/cluster:Cluster", "c", {"version": "1.99"})).resources[0].components[0]
    assert unknown.price_key == "eks.cluster.standard"  # a version the calendar does not list yet


def test_a_pulumi_eks_component_is_priced_only_without_its_child() -> None:
    component = res("eks:index:Cluster", "eks", {"version": "1.35"}, custom=False)
    child = res("aws:eks/cluster:Cluster", "eks-eksCluster", {"version": "1.35"}, parent=component.urn)
    assert list(lines(component, child)) == ["eks-eksCluster"]
    assert list(lines(component)) == ["eks"]


def node_group(inputs: dict[str, Any], **kw: Any) -> Resource:
    return res("aws:eks/nodeGroup:NodeGroup", "ng", inputs, **kw)


def test_a_node_group_is_desired_nodes_and_their_root_volumes() -> None:
    ng = node_group({"instanceTypes": ["m7g.large"], "scalingConfig": {"desiredSize": 3, "minSize": 2}})
    assert lines(ng)["ng"] == [
        ("3 x m7g.large on-demand", "ec2.m7g.large", 3 * H, False),
        ("3 x 20 GB gp3 root volume", "ebs.gp3.storage", 60, False),  # the EKS default disk
    ]


def test_a_node_group_without_a_desired_size_counts_its_minimum_then_one() -> None:
    assert lines(node_group({"instanceTypes": ["t4g.large"], "scalingConfig": {"minSize": 2}}))["ng"][0][2] == 2 * H
    assert lines(node_group({"instanceTypes": ["t4g.large"]}))["ng"][0][:3] == (
        "1 x t4g.large on-demand",
        "ec2.t4g.large",
        H,
    )
    assert lines(node_group({}))["ng"][0][:2] == ("1 x t3.medium on-demand", "ec2.t3.medium")  # EKS's default type


def test_spot_pools_are_priced_at_the_dearest_with_the_assumed_discount() -> None:
    ng = node_group(
        {
            "instanceTypes": ["t4g.large", "m7g.large", "m6g.large"],
            "capacityType": "SPOT",
            "scalingConfig": {"desiredSize": 2},
        }
    )
    [nodes, _disk] = run(ng).resources[0].components
    on_demand = load_catalog().price(REGION, "ec2.m7g.large").price
    assert nodes.name == (
        f"2 x m7g.large (dearest of t4g.large, m7g.large, m6g.large) spot, assumed 50% below on-demand "
        f"(${on_demand:g}; usage spot_discount)"
    )
    assert nodes.price == pytest.approx(on_demand * 0.5) and nodes.usage_based
    assert nodes.saving == pytest.approx(on_demand * 0.5 * 2 * H)
    [undiscounted, _] = run(ng, usage=Usage()).resources[0].components
    assert undiscounted.price == on_demand and not undiscounted.usage_based and undiscounted.saving == 0
    assert undiscounted.name.endswith("spot, priced at on-demand (no spot_discount in the usage profile)")


def test_root_volumes_above_the_gp3_baseline_pay_iops_and_throughput() -> None:
    lt = res(
        "aws:ec2/launchTemplate:LaunchTemplate",
        "lt",
        {"blockDeviceMappings": [{"ebs": {"volumeSize": 50, "iops": 4000, "throughput": 250}}]},
    )
    ng = node_group(
        {"instanceTypes": ["m7g.large"], "scalingConfig": {"desiredSize": 2}, "diskSize": 30},
        property_dependencies={"launchTemplate": [lt.urn]},
    )
    assert lines(lt, ng)["ng"][1:] == [
        ("2 x 50 GB gp3 root volume", "ebs.gp3.storage", 100, False),
        ("gp3 IOPS above 3000", "ebs.gp3.iops", 2000, False),
        ("gp3 throughput above 125 MB/s", "ebs.gp3.throughput", 250, False),
    ]
    at_baseline = res("aws:ec2/launchTemplate:LaunchTemplate", "lt", {"blockDeviceMappings": [{"ebs": {}}]})
    assert lines(at_baseline, ng)["ng"][1:] == [("2 x 30 GB gp3 root volume", "ebs.gp3.storage", 60, False)]


def test_an_instance_takes_its_type_and_volume_from_its_launch_template() -> None:
    lt = res(
        "aws:ec2/launchTemplate:LaunchTemplate",
        "lt",
        {"instanceType": "t4g.nano", "blockDeviceMappings": [{"ebs": {"volumeSize": 12}}]},
    )
    host = res("aws:ec2/instance:Instance", "host", property_dependencies={"launchTemplate": ["urn:gone", lt.urn]})
    assert lines(lt, host)["host"] == [
        ("1 x t4g.nano on-demand", "ec2.t4g.nano", H, False),
        ("12 GB gp3 root volume", "ebs.gp3.storage", 12, False),
    ]
    plain = res("aws:ec2/instance:Instance", "plain", {"instanceType": "t4g.nano"})
    assert lines(plain)["plain"][1] == ("8 GB gp3 root volume", "ebs.gp3.storage", 8, False)


def test_codebuild_is_listed_as_unpriced_with_the_reason() -> None:
    e = run(res("aws:codebuild/project:Project", "ci", {"environment": {"computeType": "BUILD_GENERAL1_SMALL"}}))
    assert e.unpriced == [
        {
            "type": "aws:codebuild/project:Project",
            "name": "ci",
            "urn": "urn:pulumi:t::p::aws:codebuild/project:Project::ci",
            "reason": "CodeBuild bills per build minute (BUILD_GENERAL1_SMALL); the catalog has no build-minute prices",
        }
    ]


# --------------------------------------------------------------------------------------------- network


def test_nat_gateway_address_and_endpoints() -> None:
    found = lines(
        res("aws:ec2/natGateway:NatGateway", "nat"),
        res("aws:ec2/eip:Eip", "eip"),
        res("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {"serviceName": "com.amazonaws.eu-west-1.s3"}),
        res(
            "aws:ec2/vpcEndpoint:VpcEndpoint",
            "ecr",
            {
                "serviceName": "com.amazonaws.eu-west-1.ecr.api",
                "vpcEndpointType": "Interface",
                "subnetIds": ["a", "b", "c"],
            },
        ),
        res(
            "aws:ec2/vpcEndpoint:VpcEndpoint",
            "sts",
            {"serviceName": "com.amazonaws.eu-west-1.sts", "vpcEndpointType": "Interface"},
        ),
    )
    assert found == {
        "nat": [("NAT gateway", "vpc.nat.hour", H, False), ("data processed", "vpc.nat.gb", 11, True)],
        "eip": [("public IPv4 address", "vpc.public_ipv4.hour", H, False)],
        "ecr": [
            ("interface endpoint api in 3 AZ(s)", "vpc.endpoint.interface.hour", 3 * H, False),
            ("data processed", "vpc.endpoint.interface.gb", 13, True),
        ],
        "sts": [
            ("interface endpoint sts in 1 AZ(s)", "vpc.endpoint.interface.hour", H, False),
            ("data processed", "vpc.endpoint.interface.gb", 13, True),
        ],
    }  # the S3 gateway endpoint is free


def test_load_balancers_by_kind_scheme_and_zones() -> None:
    public = res("aws:ec2/subnet:Subnet", "pub", {"tags": {"kubernetes.io/role/elb": "1"}})
    private = res("aws:ec2/subnet:Subnet", "priv", {"tags": {"kubernetes.io/role/internal-elb": "1"}})
    params = res("kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams", "icp", {"spec": {"scheme": "internet-facing"}})
    internal_params = res("kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams", "icp-int", {"spec": {}})
    nlb = res("aws:lb/loadBalancer:LoadBalancer", "nlb", {"loadBalancerType": "network", "subnets": ["a", "b", "c"]})
    alb = res("aws:alb/loadBalancer:LoadBalancer", "alb", {"internal": True})
    found = lines(public, private, params, internal_params, nlb, alb)
    lcu = ("LCU-hours", "elb.alb.lcu", 2 * H, True)
    assert found == {
        "icp": [
            ("application load balancer", "elb.alb.hour", H, False),
            lcu,
            ("1 public IPv4 addresses (one per AZ)", "vpc.public_ipv4.hour", H, False),
        ],
        "icp-int": [("application load balancer", "elb.alb.hour", H, False), lcu],
        "nlb": [
            ("network load balancer", "elb.nlb.hour", H, False),
            ("NLCU-hours", "elb.nlb.nlcu", 2 * H, True),
            ("3 public IPv4 addresses (one per AZ)", "vpc.public_ipv4.hour", 3 * H, False),
        ],
        "alb": [("application load balancer", "elb.alb.hour", H, False), lcu],
    }
    # without tagged public subnets the controller's ALB spans two AZs (its minimum), as does a
    # load balancer whose subnets are not known
    assert lines(params)["icp"][2][2] == 2 * H
    assert lines(res("aws:lb/loadBalancer:LoadBalancer", "lb"))["lb"][2][2] == 2 * H
    assert lines(params, usage=Usage())["icp"][1] == ("LCU-hours", "elb.alb.lcu", None, True)
    assert lines(nlb, usage=Usage())["nlb"][1] == ("NLCU-hours", "elb.nlb.nlcu", None, True)


# --------------------------------------------------------------------------------------------- data


def test_rds_instance_storage_secret_and_backups() -> None:
    db = res(
        "aws:rds/instance:Instance",
        "db",
        {"instanceClass": "db.t4g.medium", "multiAz": True, "allocatedStorage": 50, "manageMasterUserPassword": True},
    )
    assert lines(db)["db"] == [
        ("db.t4g.medium PostgreSQL (Multi-AZ)", "rds.postgres.db.t4g.medium.multi_az", H, False),
        ("50 GB gp3 storage (Multi-AZ)", "rds.gp3.storage.multi_az", 50, False),
        ("RDS-managed master secret", "secretsmanager.secret", 1, False),
        ("backup storage beyond the free allowance", "rds.backup.storage", 17, True),
    ]
    assert lines(res("aws:rds/instance:Instance", "db"))["db"][:2] == [
        ("db.t4g.micro PostgreSQL (Single-AZ)", "rds.postgres.db.t4g.micro.single_az", H, False),
        ("20 GB gp3 storage (Single-AZ)", "rds.gp3.storage.single_az", 20, False),
    ]
    replication = res(
        "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication", "copy", region=DR
    )
    assert lines(replication)["copy"] == [("replicated backup storage (DR region)", "rds.backup.storage", 19, True)]


def test_rds_proxy_bills_the_targets_vcpus_and_at_least_two() -> None:
    db = res("aws:rds/instance:Instance", "db", {"instanceClass": "db.m7g.xlarge"})
    small = res("aws:rds/instance:Instance", "small", {"instanceClass": "db.t4g.micro"})
    proxy = res("aws:rds/proxy:Proxy", "proxy")
    target = res(
        "aws:rds/proxyTarget:ProxyTarget",
        "target",
        property_dependencies={"dbProxyName": [proxy.urn], "dbInstanceIdentifier": [db.urn]},
    )
    other = res(
        "aws:rds/proxyTarget:ProxyTarget",
        "other",
        property_dependencies={"dbProxyName": ["urn:another-proxy"], "dbInstanceIdentifier": [db.urn]},
    )
    assert lines(db, proxy, target)["proxy"] == [("RDS Proxy (4 vCPU of the target)", "rds.proxy.vcpu", 4 * H, False)]
    assert lines(db, proxy, other)["proxy"][0][0] == "RDS Proxy (2 vCPU of the target)"
    small_target = res(
        "aws:rds/proxyTarget:ProxyTarget",
        "target",
        property_dependencies={"dbProxyName": [proxy.urn], "dbInstanceIdentifier": [small.urn]},
    )
    assert lines(small, proxy, small_target)["proxy"][0][:3] == (
        "RDS Proxy (2 vCPU of the target)",
        "rds.proxy.vcpu",
        2 * H,
    )


def test_cache_nodes_by_engine_and_snapshots() -> None:
    valkey = res(
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "rg",
        {"nodeType": "cache.t4g.small", "engine": "Valkey", "numCacheClusters": 2},
    )
    assert lines(valkey)["rg"] == [
        ("2 x cache.t4g.small (valkey)", "elasticache.cache.t4g.small.valkey", 2 * H, False),
        ("snapshot storage beyond the free one", "elasticache.snapshot", 23, True),
    ]
    assert lines(res("aws:elasticache/replicationGroup:ReplicationGroup", "rg"))["rg"][0][:3] == (
        "1 x cache.t4g.micro (redis)",
        "elasticache.cache.t4g.micro.redis",
        H,
    )


def test_buckets_by_purpose_and_storage_class() -> None:
    backups = res("aws:s3/bucketV2:BucketV2", "b", {"tags": {"Purpose": "backups"}})
    logs = res("aws:s3/bucket:Bucket", "l")
    assert lines(backups, logs) == {
        "b": [
            ("backups: standard storage", "s3.standard", 100, True),
            ("backups: glacier storage", "s3.glacier", 50, True),
            ("backups: PUT/COPY/POST requests", "s3.requests.put", 7, True),
        ],
        "l": [
            ("other: Standard storage", "s3.standard", None, True),
            ("other: PUT/COPY/POST requests", "s3.requests.put", None, True),
        ],
    }


# --------------------------------------------------------------------------------------------- secrets, keys, logs


def test_secrets_and_their_replicas_keys_alarms_and_the_trail() -> None:
    found = lines(
        res("aws:secretsmanager/secret:Secret", "s", {"replicas": [{"region": DR}]}),
        res("aws:kms/key:Key", "k"),
        res("aws:kms/replicaKey:ReplicaKey", "rk", region=DR),
        res("aws:cloudwatch/metricAlarm:MetricAlarm", "a"),
        res("aws:cloudtrail/trail:Trail", "t"),
    )
    assert found == {
        "s": [("secret", "secretsmanager.secret", 1, False), (f"replica in {DR}", "secretsmanager.secret", 1, False)],
        "k": [("customer-managed key", "kms.key", 1, False)],
        "rk": [("customer-managed key", "kms.key", 1, False)],
        "a": [("alarm", "cloudwatch.alarm", 1, False)],
        "t": [("management events (the account's first copy)", "cloudtrail.management.first_copy", 0, False)],
    }
    replica = run(res("aws:secretsmanager/secret:Secret", "s", {"replicas": [{"region": DR}]})).resources[0]
    assert replica.components[1].price == load_catalog().price(DR, "secretsmanager.secret").price


@pytest.mark.parametrize(
    ("name", "purpose"),
    [
        ("/groundwork/prod/vpc/flow-logs", "flow-logs"),
        ("/aws/eks/groundwork-prod/cluster", "eks"),
        ("/aws/rds/instance/db/postgresql", "rds"),
        ("aws-waf-logs-groundwork", "waf"),
        ("/aws/route53/example.com", "dns"),
        ("/groundwork/prod/cloudfront/frontend", "cdn"),
        ("/groundwork/prod/cache/slow-log", "cache"),
        ("/groundwork/prod/codebuild", "other"),
    ],
)
def test_log_groups_are_priced_by_purpose(name: str, purpose: str) -> None:
    [ingested, stored] = lines(res("aws:cloudwatch/logGroup:LogGroup", "lg", {"name": name}))["lg"]
    assert (ingested[0], ingested[1], stored[0], stored[1]) == (
        f"{purpose} logs ingested",
        "logs.ingest",
        f"{purpose} logs stored",
        "logs.storage",
    )


def test_log_groups_of_one_purpose_share_its_usage() -> None:
    groups = [res("aws:cloudwatch/logGroup:LogGroup", f"lg{i}", {"name": f"/aws/eks/c{i}/cluster"}) for i in (1, 2)]
    flow = res("aws:cloudwatch/logGroup:LogGroup", "flow", {"name": "/x/flow-logs"})
    cache = res("aws:cloudwatch/logGroup:LogGroup", "cache", {"name": "/x/cache"})
    found = lines(*groups, flow, cache)
    assert found["lg1"] == [
        ("eks logs ingested", "logs.ingest", 2, True),
        ("eks logs stored", "logs.storage", 10, True),
    ]
    assert found["flow"] == [
        ("flow-logs logs ingested", "logs.ingest", 6, True),
        ("flow-logs logs stored", "logs.storage", 30, True),
    ]
    assert found["cache"] == [
        ("cache logs ingested", "logs.ingest", 1, True),
        ("cache logs stored", "logs.storage", None, True),
    ]


# --------------------------------------------------------------------------------------------- backup, edge, misc


def test_vaults_are_priced_as_primary_in_the_stacks_region_and_dr_elsewhere() -> None:
    primary = res("aws:backup/vault:Vault", "v")
    dr = res("aws:backup/vault:Vault", "v-dr", region=DR)
    nodes = node_group({"instanceTypes": ["t4g.large"]})  # makes eu-west-1 the stack's region
    found = lines(primary, dr, nodes, res("aws:kms/key:Key", "k"))
    assert found["v"] == [
        ("primary vault: rds warm recovery points", "backup.rds.warm", 29, True),
        ("primary vault: ebs warm recovery points", "backup.ebs.warm", 31, True),
        ("primary vault: ebs cold recovery points", "backup.ebs.cold", 37, True),
    ]
    assert found["v-dr"] == [
        ("dr vault: rds warm recovery points", "backup.rds.warm", 41, True),
        ("dr vault: ebs warm recovery points", "backup.ebs.warm", None, True),
        ("dr vault: ebs cold recovery points", "backup.ebs.cold", None, True),
    ]


def test_web_acls_count_rules_and_inspect_their_own_traffic() -> None:
    regional = res("aws:wafv2/webAcl:WebAcl", "waf", {"scope": "REGIONAL", "rules": [{}, {}, {}]})
    cdn = res("aws:wafv2/webAcl:WebAcl", "cdn-waf", {"scope": "CLOUDFRONT"})
    found = lines(regional, cdn)
    assert found["waf"] == [
        ("web ACL", "waf.webacl", 1, False),
        ("3 rules and managed rule groups", "waf.rule", 3, False),
        ("requests inspected", "waf.requests", 3, True),
    ]
    assert found["cdn-waf"] == [
        ("web ACL", "waf.webacl", 1, False),
        ("0 rules and managed rule groups", "waf.rule", 0, False),
        ("requests inspected", "waf.requests", 10, True),
    ]


def test_zone_distribution_registry_and_topics() -> None:
    found = lines(
        res("aws:route53/zone:Zone", "zone"),
        res("aws:cloudfront/distribution:Distribution", "cdn"),
        res("aws:ecr/repository:Repository", "repo"),
        res("aws:sns/topic:Topic", "t1"),
        res("aws:sns/topic:Topic", "t2"),
    )
    assert found == {
        "zone": [("hosted zone", "route53.zone", 1, False), ("standard queries", "route53.queries", 2, True)],
        "cdn": [
            ("data out to viewers", "cloudfront.transfer", 400, True),
            ("HTTPS requests", "cloudfront.requests", 1000, True),  # priced per 10,000: 10 M is 1,000 of them
        ],
        "repo": [("image storage", "ecr.storage", 5, True)],
        "t1": [("publishes", "sns.requests", 2, True)],  # 4 M publishes shared by the two topics
        "t2": [("publishes", "sns.requests", 2, True)],
    }
    assert lines(res("aws:cloudfront/distribution:Distribution", "cdn"), usage=Usage())["cdn"][1][2] is None
    assert lines(res("aws:sns/topic:Topic", "t1"), usage=Usage())["t1"][0][2] is None


@pytest.mark.parametrize(
    ("size", "expected"),
    [("20Gi", 20), ("1.5G", 1.5), ("2Ti", 2048), ("1T", 1024), ("512Mi", 0.5), ("20", 0), ("", 0), (None, 0)],
)
def test_volume_sizes_in_gib(size: Any, expected: float) -> None:
    assert gib(size) == expected


def test_chart_volumes() -> None:
    storage = {"volumeClaimTemplate": {"spec": {"resources": {"requests": {"storage": "50Gi"}}}}}
    prometheus = {
        "prometheus": {"prometheusSpec": {"replicas": 2, "storageSpec": storage}},
        "alertmanager": {"alertmanagerSpec": {"storage": storage}},
    }
    assert release_volumes("kube-prometheus-stack", prometheus) == [
        ("Prometheus volumes (2 x 50 GiB)", 100),
        ("Alertmanager volumes (1 x 50 GiB)", 50),
    ]
    assert release_volumes("kube-prometheus-stack", {"prometheus": "off"}) == []
    loki = {
        "singleBinary": {"replicas": 3, "persistence": {"size": "10Gi"}},
        "write": {"replicas": 0},
        "backend": {"replicas": 2, "persistence": {"size": "5Gi"}},
    }
    assert release_volumes("loki", loki) == [
        ("Loki singleBinary volumes (3 x 10 GiB)", 30),
        ("Loki backend volumes (2 x 5 GiB)", 10),
    ]
    assert release_volumes("tempo", {"persistence": {"enabled": True, "size": "8Gi"}}) == [("Tempo volume", 8)]
    assert release_volumes("tempo", {"persistence": {"enabled": False, "size": "8Gi"}}) == []
    assert release_volumes("grafana", {"persistence": {"enabled": True, "size": "8Gi"}}) == []
    release = res(
        "kubernetes:helm.sh/v3:Release",
        "tempo",
        {"chart": "tempo", "values": {"persistence": {"enabled": True, "size": "8Gi"}}},
    )
    assert lines(release)["tempo"] == [("Tempo volume gp3", "ebs.gp3.storage", 8, False)]


# --------------------------------------------------------------------------------------------- the estimate


def test_stack_wide_usage_is_priced_per_ten_thousand_calls() -> None:
    e = run(res("aws:kms/key:Key", "k"))
    [stack] = [r for r in e.resources if r.name == "stack-wide usage"]
    assert (stack.urn, stack.type, stack.region) == ("stack-usage", "groundwork:usage", REGION)
    assert [(c.name, c.price_key, c.monthly_quantity, c.usage_based) for c in stack.components] == [
        ("Secrets Manager API calls", "secretsmanager.api", 5, True),
        ("KMS requests", "kms.requests", 20, True),
        ("data copied to the DR region", "transfer.inter_region", 43, True),
    ]
    assert [c.monthly_quantity for c in run(usage=Usage()).resources[0].components] == [None, None, None]


def test_what_is_free_unpriced_or_skipped() -> None:
    e = run(
        res("aws:iam/role:Role", "role"),  # free by type
        res("kubernetes:core/v1:Namespace", "ns"),  # Kubernetes objects cost nothing by themselves
        res("random:index/randomPassword:RandomPassword", "pw"),
        res("groundwork:x:Component", "component", custom=False),
        res("aws:ec2/vpcEndpoint:VpcEndpoint", "s3"),  # priced, but no component: free
        res("aws:lambda/function:Function", "fn"),  # not in the catalog
        res("pulumi:pulumi:Stack", "stack", custom=False),
    )
    assert e.free == 5
    assert e.unpriced == [
        {
            "type": "aws:lambda/function:Function",
            "name": "fn",
            "urn": "urn:pulumi:t::p::aws:lambda/function:Function::fn",
        }
    ]
    assert [r.name for r in e.resources] == ["stack-wide usage"]


def test_a_region_without_prices_makes_the_estimate_partial() -> None:
    tokyo = Resource(
        urn="urn:pulumi:t::p::pulumi:providers:aws::aws-osaka",
        type="pulumi:providers:aws",
        name="aws-osaka",
        custom=True,
        id="o",
        inputs={"region": "ap-northeast-3"},
    )
    key = Resource(
        urn="urn:pulumi:t::p::aws:kms/key:Key::k",
        type="aws:kms/key:Key",
        name="k",
        custom=True,
        provider=f"{tokyo.urn}::o",
    )
    g = Graph(project="p", stack="t")
    g.resources = [tokyo, key]
    e = estimate(g, USAGE, today=TODAY)
    assert e.region == "ap-northeast-3" and e.partial and e.unpriced_regions == ("ap-northeast-3",)
    assert e.resources == []  # not even stack-wide usage: nothing to price it with
    assert e.unpriced[0]["reason"] == "no price 'kms.key' for ap-northeast-3 in the catalog"


def test_the_estimates_totals_and_json() -> None:
    e = run(
        res("aws:ec2/natGateway:NatGateway", "nat"),
        node_group({"instanceTypes": ["t4g.large"], "capacityType": "SPOT"}),
    )
    nat = load_catalog().price(REGION, "vpc.nat.hour").price * H
    assert e.baseline == pytest.approx(nat + 20 * load_catalog().price(REGION, "ebs.gp3.storage").price)
    assert e.total == pytest.approx(e.baseline + e.usage) and e.usage > 0
    assert e.usage_profile == "test.yaml" and e.stack == "t"
    doc = e.to_json()
    assert doc["usageProfile"] == "test.yaml" and doc["partial"] is False and doc["unpricedRegions"] == []
    assert doc["totalMonthlyCost"] == round(e.total, 2) and doc["freeResources"] == 0
    [saving] = doc["savings"]
    assert saving["resource"] == "ng" and saving["monthly"] == round(e.savings[0][2], 2) > 0
    [nat_json] = [r for r in doc["resources"] if r["name"] == "nat"]
    assert nat_json["baselineMonthlyCost"] == round(nat, 4)
    assert nat_json["usageMonthlyCost"] == round(11 * load_catalog().price(REGION, "vpc.nat.gb").price, 4)
    assert nat_json["costComponents"][0] == {
        "name": "NAT gateway",
        "unit": load_catalog().price(REGION, "vpc.nat.hour").unit,
        "price": load_catalog().price(REGION, "vpc.nat.hour").price,
        "price_key": "vpc.nat.hour",
        "monthly_quantity": H,
        "hourly_quantity": 1,
        "usage_based": False,
        "saving": 0.0,
        "monthly_cost": round(nat, 4),
    }


def test_a_component_without_a_quantity_costs_nothing_and_says_so() -> None:
    c = Component("data processed", "GB", 0.048, "vpc.nat.gb", None)
    assert c.monthly_cost is None and not c.usage_based and c.saving == 0 and c.hourly_quantity is None
    assert c.to_json()["monthly_cost"] is None
    rc = ResourceCost("u", "n", "t", REGION, [c, Component("x", "h", 2.0, "k", 3, usage_based=True)])
    assert (rc.total(), rc.total(usage=False), rc.total(usage=True)) == (6.0, 0.0, 6.0)
    assert rc.to_json()["monthlyCost"] == 6.0


# --------------------------------------------------------------------------------------------- edges


def test_prices_registers_the_handler_and_returns_it() -> None:
    module = importlib.import_module("groundwork.cost.estimate")  # the package exports the function by that name

    assert module.HANDLERS["aws:kms/replicaKey:ReplicaKey"] is module._key
    assert module.prices("x:y:Z")(len) is len
    del module.HANDLERS["x:y:Z"]


def test_an_unpriced_pool_never_counts_as_the_dearest() -> None:
    ng = node_group({"instanceTypes": ["x9.large", "m7g.large"], "scalingConfig": {"desiredSize": 1}})
    assert lines(ng)["ng"][0][:2] == ("1 x m7g.large (dearest of x9.large, m7g.large) on-demand", "ec2.m7g.large")


def test_the_spot_price_is_kept_to_six_decimals() -> None:
    ng = node_group({"instanceTypes": ["m7g.large"], "capacityType": "SPOT"})
    [nodes, _] = run(ng, usage=Usage(spot_discount=0.333)).resources[0].components
    on_demand = load_catalog().price(REGION, "ec2.m7g.large").price
    assert nodes.price == round(on_demand * 0.667, 6) != on_demand * 0.667


@pytest.mark.parametrize(("iops", "throughput", "extra"), [(3000, 125, []), (3001, 126, [1, 1])])
def test_gp3_extras_start_above_the_baseline(iops: int, throughput: int, extra: list[float]) -> None:
    lt = res(
        "aws:ec2/launchTemplate:LaunchTemplate",
        "lt",
        {"blockDeviceMappings": [{"ebs": {"volumeSize": 20, "iops": iops, "throughput": throughput}}]},
    )
    ng = node_group({"instanceTypes": ["m7g.large"]}, property_dependencies={"launchTemplate": [lt.urn]})
    assert [q for _, _, q, _ in lines(lt, ng)["ng"][2:]] == extra


def test_a_pulumi_eks_node_group_component_is_priced_unless_it_has_a_node_group_child() -> None:
    component = res("eks:index:ManagedNodeGroup", "mng", {"instanceTypes": ["m7g.large"]}, custom=False)
    its_template = res("aws:ec2/launchTemplate:LaunchTemplate", "mng-lt", parent=component.urn)
    another_group = node_group({"instanceTypes": ["t4g.large"]})
    assert set(lines(component, its_template, another_group)) == {"mng", "ng"}


def test_a_secret_replica_in_an_unpriced_region_is_said() -> None:
    e = run(res("aws:secretsmanager/secret:Secret", "s", {"replicas": [{"region": "ap-northeast-3"}]}))
    assert e.unpriced[0]["reason"] == "no price 'secretsmanager.secret' for ap-northeast-3 in the catalog"


def test_loki_parts_need_both_replicas_and_a_size() -> None:
    loki = {
        "singleBinary": {"replicas": 2},
        "write": {"persistence": {"size": "5Gi"}},
        "backend": {"replicas": 1, "persistence": {"size": "4Gi"}},
    }
    assert release_volumes("loki", loki) == [("Loki backend volumes (1 x 4 GiB)", 4)]


def test_json_rounds_components_to_four_places_and_totals_to_two() -> None:
    c = Component("x", "GB", 0.0123456, "k", 1, usage_based=True)
    rc = ResourceCost("u", "n", "t", REGION, [c, Component("y", "GB", 0.0123456, "k", 1)])
    assert c.to_json()["monthly_cost"] == 0.0123
    assert (rc.to_json()["monthlyCost"], rc.to_json()["baselineMonthlyCost"], rc.to_json()["usageMonthlyCost"]) == (
        0.0247,
        0.0123,
        0.0123,
    )
    e = Estimate("t", REGION, "USD", "v", None, [rc], [], 0)
    doc = e.to_json()
    assert (doc["baselineMonthlyCost"], doc["usageMonthlyCost"], doc["totalMonthlyCost"]) == (0.01, 0.01, 0.02)
