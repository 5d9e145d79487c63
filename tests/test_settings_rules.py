"""Settings rules one change at a time: the exact problems (key, reported value, control) each
change gives, at the boundaries the rules draw, and the changes that must give none.

tests/test_settings.py covers the rules' behaviour; this file pins what a user is shown (the
bad value as the key holds it) and where each limit sits, so a moved boundary or a wrong value
in a message fails here (issue 18).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from groundwork.settings import SettingsError, load_settings, rules
from groundwork.settings.errors import MISSING
from tests.conftest import section, stack_config

TODAY = dt.date(2026, 11, 21)


def findings(stack: str, today: dt.date = TODAY, **overrides: Any) -> list[tuple[str, Any, str | None]]:
    cfg = stack_config(stack, **overrides)
    try:
        load_settings(cfg.config, project="groundwork", stack=stack, today=today)
    except SettingsError as e:
        return [(p.key.removeprefix("groundwork:"), p.value, p.control) for p in e.problems]
    return []


def warnings(stack: str, today: dt.date = TODAY, **overrides: Any) -> tuple[str, ...]:
    cfg = stack_config(stack, **overrides)
    return load_settings(cfg.config, project="groundwork", stack=stack, today=today).warnings


def sec(stack: str, name: str, **changes: Any) -> dict[str, Any]:
    data = section(stack, name) if f"groundwork:{name}" in stack_config(stack).config else {}
    data.update(changes)
    return data


def nested(stack: str, name: str, path: str, value: Any) -> dict[str, Any]:
    data = sec(stack, name)
    *parents, last = path.split(".")
    node = data
    for p in parents:
        node = node.setdefault(p, {})
    node[last] = value
    return data


def group(stack: str, **changes: Any) -> dict[str, Any]:
    cluster = section(stack, "cluster")
    cluster["nodeGroups"][0].update(changes)
    return cluster


Change = Callable[[], dict[str, Any]]

# (id, stack, overrides, exact findings)
ONE_CHANGE: list[tuple[str, str, Change, list[tuple[str, Any, str | None]]]] = [
    (
        "prod-cluster-unprotected",
        "prod",
        lambda: {"cluster": sec("prod", "cluster", deletionProtection=False)},
        [("cluster.deletionProtection", False, "EKS-09")],
    ),
    ("prod-unprotected", "prod", lambda: {"protect": "false"}, [("protect", False, "GOV-02")]),
    (
        "staging-single-az-database",
        "staging",
        lambda: {"database": sec("staging", "database", multiAz=False)},
        [("database.multiAz", False, "DB-02")],
    ),
    (
        "staging-database-unprotected",
        "staging",
        lambda: {"database": sec("staging", "database", deletionProtection=False)},
        [("database.deletionProtection", False, "DB-07")],
    ),
    (
        "prod-backups-stay-home",
        "prod",
        lambda: {"backups": sec("prod", "backups", replicateToDr=False)},
        [("backups.replicateToDr", False, "DR-03")],
    ),
    (
        "staging-no-aws-backup",
        "staging",
        lambda: {"backups": sec("staging", "backups", awsBackup=False)},
        [("backups.awsBackup", False, "DR-04")],
    ),
    (
        "staging-no-dr-copies",
        "staging",
        lambda: {"backups": sec("staging", "backups", copyToDr=False)},
        [("backups.copyToDr", False, "DR-04")],
    ),
    (
        "prod-vault-unlocked",
        "prod",
        lambda: {"backups": sec("prod", "backups", vaultLock=False)},
        [("backups.vaultLock", False, "DR-04")],
    ),
    ("prod-rto-30", "prod", lambda: {"backups": sec("prod", "backups", rtoMinutes=30)}, []),
    (
        "prod-rto-31",
        "prod",
        lambda: {"backups": sec("prod", "backups", rtoMinutes=31)},
        [("backups.rtoMinutes", 31, "DR-05")],
    ),
    (
        "daily-as-long-as-weekly",
        "prod",
        lambda: {"backups": nested("prod", "backups", "retention", {"dailyDays": 28, "weeklyDays": 28})},
        [],
    ),
    (
        "daily-outlives-weekly",
        "dev",
        lambda: {"backups": nested("dev", "backups", "retention", {"dailyDays": 29, "weeklyDays": 28})},
        [("backups.retention", {"dailyDays": 29, "weeklyDays": 28, "monthlyDays": 365}, None)],
    ),
    (
        "prod-no-trail",
        "prod",
        lambda: {"secrets": sec("prod", "secrets", cloudTrail=False)},
        [("secrets.cloudTrail", False, "SEC-07")],
    ),
    (
        "staging-no-availability-policies",
        "staging",
        lambda: {"platform": sec("staging", "platform", availabilityPolicies=False)},
        [("platform.availabilityPolicies", False, "K8S-09")],
    ),
    (
        "prod-no-waf",
        "prod",
        lambda: {"ingress": sec("prod", "ingress", waf=False)},
        [("ingress.waf", False, "NET-10")],
    ),
    (
        "prod-cdn-no-waf",
        "prod",
        lambda: {"edge": nested("prod", "edge", "frontend.waf", False)},
        [("edge.frontend.waf", False, "EDGE-04")],
    ),
    (
        "prod-unsigned-zone",
        "prod",
        lambda: {"edge": sec("prod", "edge", dnssec=False)},
        [("edge.dnssec", False, "EDGE-05")],
    ),
    (
        "prod-auto-sync",
        "prod",
        lambda: {"gitops": sec("prod", "gitops", autoSync=True)},
        [("gitops.autoSync", True, "GIT-03")],
    ),
    (
        "dev-manual-sync",
        "dev",
        lambda: {"gitops": sec("dev", "gitops", autoSync=False)},
        [("gitops.autoSync", False, "GIT-03")],
    ),
    (
        "prod-argocd-single",
        "prod",
        lambda: {"gitops": sec("prod", "gitops", highAvailability=False)},
        [("gitops.highAvailability", False, "GIT-01")],
    ),
    (
        "prod-no-slo",
        "prod",
        lambda: {"observability": nested("prod", "observability", "slo.enabled", False)},
        [("observability.slo.enabled", False, "OBS-07")],
    ),
    (
        "staging-no-alarms",
        "staging",
        lambda: {"observability": nested("staging", "observability", "awsAlarms.enabled", False)},
        [("observability.awsAlarms.enabled", False, "OBS-06")],
    ),
    (
        "prod-sampling-10",
        "prod",
        lambda: {"observability": nested("prod", "observability", "tracing.samplingPercentage", 10)},
        [],
    ),
    (
        "prod-sampling-11",
        "prod",
        lambda: {"observability": nested("prod", "observability", "tracing.samplingPercentage", 11)},
        [("observability.tracing.samplingPercentage", 11.0, "OBS-05")],
    ),
    (
        "staging-no-approval",
        "staging",
        lambda: {"delivery": sec("staging", "delivery", approval=False)},
        [("delivery.approval", False, "GIT-05")],
    ),
    (
        "staging-no-drift-detection",
        "staging",
        lambda: {"delivery": sec("staging", "delivery", driftDetection=False)},
        [("delivery.driftDetection", False, "GIT-07")],
    ),
    # network sizes: a /16 to /20 VPC, private subnets of /22 or larger
    # a /20 gets /22 private subnets by default (VPC prefix + 3 would be a /23, too small)
    ("vpc-20", "dev", lambda: {"network": sec("dev", "network", cidr="10.10.0.0/20")}, []),
    ("vpc-20-three-azs", "prod", lambda: {"network": sec("prod", "network", cidr="10.30.0.0/20")}, []),
    (
        "vpc-21",
        "dev",
        lambda: {"network": sec("dev", "network", cidr="10.10.0.0/21")},
        [("network.cidr", "10.10.0.0/21", None)],
    ),
    ("private-22", "dev", lambda: {"network": sec("dev", "network", privateSubnetPrefix=22)}, []),
    (
        "private-23",
        "dev",
        lambda: {"network": sec("dev", "network", privateSubnetPrefix=23)},
        [("network.privateSubnetPrefix", 23, None)],
    ),
    # EKS accepts a service range inside RFC 1918, /12 to /24
    ("service-cidr-12", "dev", lambda: {"cluster": sec("dev", "cluster", serviceCidr="172.16.0.0/12")}, []),
    ("service-cidr-24", "dev", lambda: {"cluster": sec("dev", "cluster", serviceCidr="172.20.0.0/24")}, []),
    (
        "service-cidr-25",
        "dev",
        lambda: {"cluster": sec("dev", "cluster", serviceCidr="172.20.0.0/25")},
        [("cluster.serviceCidr", "172.20.0.0/25", None)],
    ),
    (
        "service-cidr-public",
        "dev",
        lambda: {"cluster": sec("dev", "cluster", serviceCidr="100.64.0.0/16")},
        [("cluster.serviceCidr", "100.64.0.0/16", None)],
    ),
    # node groups
    (
        "node-groups-named-twice",
        "dev",
        lambda: {"cluster": sec("dev", "cluster", nodeGroups=[*section("dev", "cluster")["nodeGroups"]] * 2)},
        [("cluster.nodeGroups", "general", None)],
    ),
    (
        "desired-at-max",
        "dev",
        lambda: {"cluster": group("dev", minSize=1, desiredSize=2, maxSize=2)},
        [("cluster.nodeGroups[0].maxSize", 2, "EKS-06")],
    ),
    ("staging-min-2", "staging", lambda: {"cluster": group("staging", minSize=2)}, []),
    # an exemption that expires today still holds (and is not reported as expired)
    (
        "exemption-expiring-today",
        "prod",
        lambda: {
            "database": sec("prod", "database", multiAz=False),
            "exemptions": [
                {"control": "DB-02", "reason": "one AZ while the replica is rebuilt", "expires": "2026-11-21"}
            ],
        },
        [],
    ),
    (
        "exemption-expired-yesterday",
        "prod",
        lambda: {
            "database": sec("prod", "database", multiAz=False),
            "exemptions": [
                {"control": "DB-02", "reason": "one AZ while the replica is rebuilt", "expires": "2026-11-20"}
            ],
        },
        [("database.multiAz", False, "DB-02"), ("exemptions[0].expires", "2026-11-20", None)],
    ),
    (
        "exempted-twice",
        "dev",
        lambda: {
            "exemptions": [
                *section("dev", "exemptions"),
                {"control": "NET-01", "reason": "the same control a second time"},
            ]
        },
        [("exemptions", "NET-01", None)],
    ),
    # tags: AWS takes keys up to 128 and values up to 256 characters, no aws: prefix
    ("tag-limits", "dev", lambda: {"tags": {"k" * 128: "v" * 256}}, []),
    ("tag-key-129", "dev", lambda: {"tags": {"k" * 129: "v"}}, [(f"tags.{'k' * 129}", "v", None)]),
    ("tag-value-257", "dev", lambda: {"tags": {"team": "v" * 257}}, [("tags.team", "v" * 257, None)]),
    ("tag-aws-prefix", "dev", lambda: {"tags": {"AWS:team": "x"}}, [("tags.AWS:team", "x", None)]),
    # operators need a way to the API
    (
        "no-operator-host-public-endpoint",
        "dev",
        lambda: {"cluster": sec("dev", "cluster", operatorAccess="none")},
        [],
    ),
    (
        "no-operator-host-private-endpoint",
        "staging",
        lambda: {"cluster": sec("staging", "cluster", operatorAccess="none")},
        [("cluster.operatorAccess", "none", None)],
    ),
    (
        "no-operator-host-public-endpoint-without-cidrs",
        "dev",
        lambda: {"cluster": sec("dev", "cluster", operatorAccess="none", publicAccessCidrs=[])},
        [("cluster.publicAccessCidrs", [], "EKS-04"), ("cluster.operatorAccess", "none", None)],
    ),
    # a service that calls only itself: there is no other service to name
    (
        "lonely-service-calls-itself",
        "dev",
        lambda: {"services": [{"name": "solo", "port": 3000, "team": "edge", "calls": ["solo"]}]},
        [("services[0].calls[0]", "solo", "K8S-03")],
    ),
    # ingress: a disabled controller with no exposed service is fine
    (
        "ingress-off-nothing-exposed",
        "dev",
        lambda: {
            "ingress": sec("dev", "ingress", enabled=False),
            "services": [{k: v for k, v in s.items() if k != "ingress"} for s in section("dev", "services")],
            "edge": nested("dev", "edge", "frontend.apiPath", None),
        },
        [],
    ),
    (
        "ingress-off-service-exposed",
        "dev",
        lambda: {"ingress": sec("dev", "ingress", enabled=False)},
        [("ingress.enabled", False, "K8S-11")],
    ),
]


@pytest.mark.parametrize(("stack", "change", "expected"), [c[1:] for c in ONE_CHANGE], ids=[c[0] for c in ONE_CHANGE])
def test_one_change(stack: str, change: Change, expected: list[tuple[str, Any, str | None]]) -> None:
    assert findings(stack, **change()) == expected


def test_an_internal_api_outside_the_zone_is_not_the_edges_business() -> None:
    ingress = sec("dev", "ingress", scheme="internal", host="api.elsewhere.example.org")
    assert ("ingress.host", "api.elsewhere.example.org", "EDGE-01") not in findings("dev", ingress=ingress)
    ingress = sec("dev", "ingress", host="api.elsewhere.example.org")
    assert ("ingress.host", "api.elsewhere.example.org", "EDGE-01") in findings("dev", ingress=ingress)


def test_the_cdn_api_path_needs_a_public_api_host() -> None:
    internal = sec("dev", "ingress", scheme="internal")
    assert ("edge.frontend.apiPath", "/api/*", "EDGE-04") in findings(
        "dev", ingress=internal, edge=nested("dev", "edge", "frontend.apiPath", "/api/*")
    )
    # no service exposed and the controller off: the CDN's API path has nowhere to go
    off = {
        "ingress": sec("dev", "ingress", enabled=False),
        "services": [{k: v for k, v in s.items() if k != "ingress"} for s in section("dev", "services")],
        "edge": nested("dev", "edge", "frontend.apiPath", "/api/*"),
    }
    assert findings("dev", **off) == [("edge.frontend.apiPath", "/api/*", "EDGE-04")]


def test_zones_of_an_unknown_region_are_not_judged() -> None:
    """Only a region the catalogue knows has its zone names checked; an unknown one is its own problem."""
    network = sec("dev", "network", availabilityZones=["eu-west-1a", "eu-west-1b"])
    found = findings("dev", **{"aws:region": "xx-north-9", "network": network})
    assert [f for f in found if f[0] == "network.availabilityZones"] == []
    found = findings("dev", **{"aws:region": "eu-central-1", "network": network})
    assert ("network.availabilityZones", ["eu-west-1a", "eu-west-1b"], None) in found


def test_restore_problems_show_the_restore_as_written() -> None:
    both = {
        "snapshotIdentifier": "snap-1",
        "pointInTime": {"sourceDbInstanceIdentifier": "db", "useLatestRestorableTime": True},
    }
    assert findings("dev", database=sec("dev", "database", restore=both)) == [
        (
            "database.restore",
            {
                "snapshotIdentifier": "snap-1",
                "pointInTime": {"sourceDbInstanceIdentifier": "db", "useLatestRestorableTime": True},
            },
            None,
        )
    ]
    no_source = {"pointInTime": {"useLatestRestorableTime": True}}
    assert findings("dev", database=sec("dev", "database", restore=no_source)) == [
        ("database.restore.pointInTime", {"useLatestRestorableTime": True}, None)
    ]
    no_time = {"pointInTime": {"sourceDbInstanceIdentifier": "db"}}
    assert findings("dev", database=sec("dev", "database", restore=no_time)) == [
        ("database.restore.pointInTime", {"sourceDbInstanceIdentifier": "db", "useLatestRestorableTime": False}, None)
    ]


def test_delivery_roles_of_another_account_and_roles_without_an_account() -> None:
    own = "arn:aws:iam::222222222222:role/groundwork-deploy-staging"
    assert findings("staging", delivery=sec("staging", "delivery", deployRoleArn=own)) == []
    other = "arn:aws:iam::999999999999:role/groundwork-deploy-staging"
    assert findings("staging", delivery=sec("staging", "delivery", deployRoleArn=other)) == [
        ("delivery.deployRoleArn", other, None)
    ]
    found = findings("dev", **{"groundwork:accountId": None})
    assert [f for f in found if f[0].startswith("delivery.")] == [
        ("delivery.deployRoleArn", MISSING, None),
        ("delivery.previewRoleArn", MISSING, None),
        ("delivery.driftRoleArn", MISSING, None),
    ]


def test_support_warning_starts_sixty_days_before_the_end() -> None:
    """1.34 leaves standard support on 2026-12-02: the warning names the next version."""
    cluster = sec("dev", "cluster", version="1.34")
    assert [w for w in warnings("dev", dt.date(2026, 10, 2), cluster=cluster) if "standard support" in w] == []
    at_sixty = [w for w in warnings("dev", dt.date(2026, 10, 3), cluster=cluster) if "standard support" in w]
    assert at_sixty == [
        "groundwork:cluster.version: Kubernetes 1.34 leaves EKS standard support in 60 days (2026-12-02). "
        "Plan the upgrade to 1.35"
    ]


def test_every_rule_is_the_module_function_it_registers() -> None:
    assert rules.RULES and all(getattr(rules, fn.__name__) is fn for fn in rules.RULES)


def _problem(stack: str, key: str, **overrides: Any) -> Any:
    cfg = stack_config(stack, **overrides)
    with pytest.raises(SettingsError) as info:
        load_settings(cfg.config, project="groundwork", stack=stack, today=TODAY)
    [p] = [p for p in info.value.problems if p.key == f"groundwork:{key}"]
    return p


def test_a_21_vpc_is_refused_for_its_size_not_for_its_layout() -> None:
    p = _problem("dev", "network.cidr", network=sec("dev", "network", cidr="10.10.0.0/21"))
    assert p.message == "a /21 VPC is outside the sizes Groundwork lays out"


def test_a_service_that_only_calls_itself_is_told_there_is_no_other() -> None:
    p = _problem(
        "dev", "services[0].calls[0]", services=[{"name": "solo", "port": 3000, "team": "edge", "calls": ["solo"]}]
    )
    assert (p.message, p.allowed) == ("a service does not call itself", "another service")
