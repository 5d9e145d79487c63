"""Typed stack settings: defaults, per-tier rules, and bad settings reported all at once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from groundwork.settings import Problem, SettingsError, StackSettings, load_settings
from groundwork.settings.errors import MISSING
from tests.conftest import section, stack_config

TODAY = dt.date(2026, 11, 21)


def load(stack: str, today: dt.date = TODAY, **overrides: Any) -> StackSettings:
    cfg = stack_config(stack, **overrides)
    return load_settings(cfg.config, project="groundwork", stack=stack, today=today)


def problems(stack: str, today: dt.date = TODAY, **overrides: Any) -> list[Problem]:
    with pytest.raises(SettingsError) as info:
        load(stack, today, **overrides)
    return info.value.problems


def only(stack: str, key: str, **overrides: Any) -> Problem:
    found = problems(stack, **overrides)
    assert [p.key for p in found] == [key], [p.render() for p in found]
    return found[0]


def with_(stack: str, name: str, **changes: Any) -> dict[str, Any]:
    """A section of a stack file with changes; a section the file leaves out starts empty (defaults)."""
    data = section(stack, name) if f"groundwork:{name}" in stack_config(stack).config else {}
    data.update(changes)
    return data


def node_group(stack: str, **changes: Any) -> dict[str, Any]:
    cluster = section(stack, "cluster")
    cluster["nodeGroups"][0].update(changes)
    return cluster


# ---------------------------------------------------------------------------------------------
# The three real stacks
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_real_stack_files_validate(stack: str) -> None:
    s = load(stack)
    assert s.environment == stack
    assert s.name_prefix == f"groundwork-{stack}"
    assert s.warnings == ()


def test_defaults_are_the_secure_choices() -> None:
    prod = load("prod")
    assert prod.network.nat_mode == "per-az"
    assert prod.network.az_count == 3
    assert prod.cluster.endpoint_public_access is False
    assert prod.cluster.deletion_protection is True
    assert prod.protect is True
    assert prod.cluster.node_groups[0].imds_hop_limit == 1
    assert prod.cluster.node_groups[0].capacity_type == "ON_DEMAND"


def test_settings_are_read_as_written_trimmed_and_immutable() -> None:
    """A value keeps what the stack file says (a validator that checks a value returns it
    unchanged), surrounding spaces are dropped (a copied `" platform-team "` would otherwise
    become a tag value with spaces), and nothing may change the settings after validation:
    every component reads the same values."""
    s = load(
        "prod",
        network=with_("prod", "network", flowLogRetentionDays=365),
        owner="  platform-team  ",
    )
    assert s.network.flow_log_retention_days == 365 and s.owner == "platform-team"
    with pytest.raises(ValidationError, match="frozen"):
        s.network.az_count = 2  # type: ignore[misc]


def test_dev_relaxations_are_written_in_its_stack_file() -> None:
    dev = load("dev")
    assert (dev.network.az_count, dev.network.nat_mode) == (2, "instance")
    assert dev.cluster.endpoint_public_access is True
    assert dev.protect is False and dev.cluster.deletion_protection is False


def test_derived_subnet_prefixes_follow_the_vpc_size() -> None:
    s = load("prod", network={"cidr": "10.30.0.0/18"})
    assert s.network.prefixes == {"private": 21, "public": 24, "database": 26}


def test_base_tags_carry_the_five_mandatory_tags() -> None:
    tags = load("prod", tags={"Team": "platform"}).base_tags
    assert tags["Environment"] == "prod" and tags["Project"] == "groundwork" and tags["ManagedBy"] == "pulumi"
    assert tags["Owner"] == "platform-team" and tags["CostCenter"] == "platform" and tags["Team"] == "platform"


# ---------------------------------------------------------------------------------------------
# Bad settings: one per test, each with key path, value, allowed and fix
# ---------------------------------------------------------------------------------------------


def test_missing_environment() -> None:
    p = only("dev", "groundwork:environment", environment=None)
    assert p.value is MISSING and "missing" in p.message
    assert "dev" in p.allowed and "prod" in p.allowed
    assert "add groundwork:environment" in p.fix


def test_unknown_environment_value() -> None:
    p = only("dev", "groundwork:environment", environment="production")
    assert p.value == "production"
    assert p.allowed == "'dev', 'staging' or 'prod'"
    assert "see `groundwork:environment` in docs/settings.md" in p.fix


def test_staging_needs_three_azs() -> None:
    p = only("staging", "groundwork:network.azCount", network=with_("staging", "network", azCount=2))
    assert (p.value, p.control) == (2, "NET-01")
    assert "3" in p.allowed and "azCount to 3" in p.fix


def test_staging_needs_a_nat_gateway_per_az() -> None:
    p = only("staging", "groundwork:network.natMode", network=with_("staging", "network", natMode="single"))
    assert (p.value, p.control) == ("single", "NET-02")


def test_prod_has_no_public_api_endpoint() -> None:
    cluster = with_("prod", "cluster", endpointPublicAccess=True, publicAccessCidrs=["198.51.100.0/24"])
    p = only("prod", "groundwork:cluster.endpointPublicAccess", cluster=cluster)
    assert (p.value, p.control) == (True, "EKS-04")


def test_public_endpoint_never_allows_the_internet() -> None:
    cluster = with_("dev", "cluster", publicAccessCidrs=["0.0.0.0/0"])
    p = only("dev", "groundwork:cluster.publicAccessCidrs[0]", cluster=cluster)
    assert (p.value, p.control) == ("0.0.0.0/0", "EKS-04")


def test_public_endpoint_needs_cidrs() -> None:
    p = only(
        "dev",
        "groundwork:cluster.publicAccessCidrs",
        cluster=with_("dev", "cluster", publicAccessCidrs=[], operatorAccess="ssm"),
    )
    assert p.control == "EKS-04" and "never 0.0.0.0/0" in p.allowed


def test_node_sizes_must_be_ordered() -> None:
    found = problems("dev", cluster=node_group("dev", minSize=3, desiredSize=2, maxSize=6))
    assert [p.key for p in found] == ["groundwork:cluster.nodeGroups[0].desiredSize"]
    assert found[0].value == {"minSize": 3, "desiredSize": 2, "maxSize": 6}
    assert found[0].allowed == "minSize <= desiredSize <= maxSize"


def test_max_size_leaves_room_to_scale() -> None:
    p = only("prod", "groundwork:cluster.nodeGroups[0].maxSize", cluster=node_group("prod", maxSize=4))
    assert (p.value, p.control, p.allowed) == (4, "EKS-06", ">= 6")


def test_staging_keeps_two_nodes() -> None:
    p = only("staging", "groundwork:cluster.nodeGroups[0].minSize", cluster=node_group("staging", minSize=1))
    assert (p.value, p.control) == (1, "EKS-06")


def test_cidr_with_host_bits_is_refused() -> None:
    p = only("prod", "groundwork:network.cidr", network=with_("prod", "network", cidr="10.30.0.1/16"))
    assert p.value == "10.30.0.1/16" and "no host bits" in p.allowed


def test_vpc_too_small_for_the_subnets() -> None:
    found = problems("prod", network=with_("prod", "network", cidr="10.30.0.0/22"))
    assert {p.key for p in found} == {"groundwork:network.cidr"}
    assert "/16 to /20" in found[0].allowed


def test_subnets_that_do_not_fit_are_explained() -> None:
    network = with_("prod", "network", cidr="10.30.0.0/20", privateSubnetPrefix=21)
    p = only("prod", "groundwork:network.cidr", network=network)
    assert "do not fit" in p.message and "need" in p.message


def test_private_subnets_must_hold_pods() -> None:
    network = with_("prod", "network", privateSubnetPrefix=24)
    p = only("prod", "groundwork:network.privateSubnetPrefix", network=network)
    assert p.value == 24 and "22 or less" in p.allowed


def test_service_cidr_must_not_overlap_the_vpc() -> None:
    p = only("prod", "groundwork:cluster.serviceCidr", cluster=with_("prod", "cluster", serviceCidr="10.30.128.0/20"))
    assert "overlaps the VPC CIDR 10.30.0.0/16" in p.message


def test_kubernetes_version_out_of_standard_support() -> None:
    p = only("prod", "groundwork:cluster.version", cluster=with_("prod", "cluster", version="1.33"))
    assert p.control == "EKS-01" and "2026-07-29" in p.message
    assert "1.34" in p.allowed and "1.35" in p.allowed and "1.33" not in p.allowed


def test_unknown_instance_type_lists_the_offered_ones() -> None:
    p = only(
        "prod",
        "groundwork:cluster.nodeGroups[0].instanceTypes[0]",
        cluster=node_group("prod", instanceTypes=["m5.huge"]),
    )
    assert p.value == "m5.huge" and "m7g.large" in p.allowed and "t3.medium" in p.allowed


def test_one_architecture_per_node_group() -> None:
    p = only(
        "prod",
        "groundwork:cluster.nodeGroups[0].instanceTypes",
        cluster=node_group("prod", instanceTypes=["m7g.large", "m7i.large"]),
    )
    assert "x86_64 and arm64" in p.message


def test_unknown_keys_are_named_with_the_known_ones() -> None:
    found = problems("prod", network=with_("prod", "network", natmode="per-az"), **{"groundwork:clusterr": "{}"})
    by_key = {p.key: p for p in found}
    assert "natMode" in by_key["groundwork:network.natmode"].allowed
    assert "cluster" in by_key["groundwork:clusterr"].allowed


def test_admins_are_roles_not_users() -> None:
    cluster = with_("prod", "cluster", adminRoleArns=["arn:aws:iam::333333333333:user/alice"])
    p = only("prod", "groundwork:cluster.adminRoleArns[0]", cluster=cluster)
    assert "role" in p.allowed and p.value.endswith("user/alice")


def test_the_deploy_role_is_not_declared_again_as_an_admin() -> None:
    """It creates the cluster, so EKS already gave it an admin entry (bootstrapClusterCreatorAdminPermissions)."""
    deploy = "arn:aws:iam::333333333333:role/groundwork-deploy-prod"
    cluster = with_("prod", "cluster", adminRoleArns=["arn:aws:iam::333333333333:role/PlatformAdmin", deploy])
    p = only("prod", "groundwork:cluster.adminRoleArns[1]", cluster=cluster)
    assert p.control == "EKS-05" and "ResourceInUseException" in p.message and p.value == deploy
    # without CI delivery nobody is declared as the creator: no collision to find
    no_ci = with_("prod", "delivery", githubRepository=None)
    assert load("prod", cluster=cluster, delivery=no_ci).cluster.admin_role_arns[1] == deploy


def test_prod_cluster_keeps_deletion_protection() -> None:
    p = only(
        "prod", "groundwork:cluster.deletionProtection", cluster=with_("prod", "cluster", deletionProtection=False)
    )
    assert p.control == "EKS-09"


def test_prod_keeps_stateful_resources_protected() -> None:
    p = only("prod", "groundwork:protect", protect="false")
    assert p.control == "GOV-02"


def test_dr_region_must_be_another_region() -> None:
    p = only("prod", "groundwork:drRegion", drRegion="eu-west-1")
    assert p.control == "DR-03"


def test_services_stay_out_of_platform_namespaces_and_low_ports() -> None:
    services = section("prod", "services")
    services[0] = {"name": "api-gateway", "port": 80, "team": "default"}
    services.append(dict(services[1]))
    found = {p.key: p for p in problems("prod", services=services)}
    assert set(found) == {"groundwork:services[0].port", "groundwork:services"}
    services[0]["port"] = 3000
    found = {p.key: p for p in problems("prod", services=services)}
    assert found["groundwork:services[0].team"].control == "K8S-01"
    assert "listed 2 times" in found["groundwork:services"].message


def test_reserved_tags_cannot_be_overridden() -> None:
    p = only("prod", "groundwork:tags.Environment", tags={"Environment": "production"})
    assert p.control == "GOV-01"


def test_explicit_zones_must_match_count_and_region() -> None:
    found = problems("prod", network=with_("prod", "network", availabilityZones=["eu-west-1a", "us-east-1b"]))
    messages = " | ".join(p.message for p in found)
    assert "2 zones listed but azCount is 3" in messages and "not zones of eu-west-1: us-east-1b" in messages


def test_exemption_needs_a_reason_and_a_known_control() -> None:
    found = problems("staging", exemptions=[{"control": "NET-99", "reason": "because"}])
    assert {p.key for p in found} == {"groundwork:exemptions[0].reason"}
    found = problems("staging", exemptions=[{"control": "NET-99", "reason": "a long enough reason for the test"}])
    assert [p.key for p in found] == ["groundwork:exemptions[0].control"]


def test_expired_exemption_is_refused() -> None:
    exemption = {"control": "NET-01", "reason": "cost freeze until the new quarter", "expires": "2026-01-31"}
    found = problems("staging", exemptions=[exemption], network=with_("staging", "network", azCount=2))
    assert {p.key for p in found} == {"groundwork:exemptions[0].expires", "groundwork:network.azCount"}


# ---------------------------------------------------------------------------------------------
# All at once, exemptions, warnings
# ---------------------------------------------------------------------------------------------


def test_every_problem_is_reported_in_one_pass() -> None:
    network = with_("staging", "network", cidr="10.20.0.1/16", azCount=2, natMode="single")
    cluster = section("staging", "cluster")
    cluster.update(version="1.31", endpointPublicAccess=True, publicAccessCidrs=["0.0.0.0/0"])
    cluster["nodeGroups"][0].update(instanceTypes=["m7g.large", "nope.large"], minSize=1, desiredSize=3, maxSize=4)
    # Staging exempts DR-03 (its backups stay in-region), which would turn the drRegion problem
    # into an advisory; drop that exemption so every problem in this test is a hard one.
    exemptions = [e for e in section("staging", "exemptions") if e["control"] != "DR-03"]
    found = problems("staging", network=network, cluster=cluster, drRegion="eu-west-1", exemptions=exemptions)
    keys = {p.key for p in found}
    assert keys >= {
        "groundwork:network.cidr",
        "groundwork:network.azCount",
        "groundwork:network.natMode",
        "groundwork:cluster.version",
        "groundwork:cluster.publicAccessCidrs[0]",
        "groundwork:cluster.nodeGroups[0].instanceTypes[1]",
        "groundwork:cluster.nodeGroups[0].minSize",
        "groundwork:cluster.nodeGroups[0].maxSize",
        "groundwork:drRegion",
    }, keys
    text = SettingsError(found, "Pulumi.staging.yaml").render()
    assert text.startswith(f"Pulumi.staging.yaml: {len(found)} problems in the stack settings; nothing was created.")
    assert text.count("problem:") == text.count("allowed:") == text.count("fix:") == len(found)


def test_an_exemption_relaxes_a_control_with_a_warning() -> None:
    reason = "staging runs in a two-AZ test region until the migration"
    s = load(
        "staging", network=with_("staging", "network", azCount=2), exemptions=[{"control": "NET-01", "reason": reason}]
    )
    assert s.network.az_count == 2
    assert any("NET-01 relaxed" in w and reason in w for w in s.warnings)


def test_version_close_to_end_of_support_warns() -> None:
    s = load("prod", today=dt.date(2027, 2, 10))
    assert any("leaves EKS standard support in 45 days" in w for w in s.warnings)


# ---------------------------------------------------------------------------------------------
# Data layer rules (issue 4)
# ---------------------------------------------------------------------------------------------


def test_data_layer_defaults_are_the_secure_ones() -> None:
    s = load("prod")
    assert s.database.multi_az and s.database.deletion_protection and s.database.performance_insights
    assert s.database.pooling == "rds-proxy" and s.database.monitoring_interval_seconds == 60
    assert s.database.backup_retention_days == 30 and s.database.restore is None
    assert s.cache.engine == "valkey" and s.cache.nodes == 2 and s.cache.snapshot_retention_days == 7
    assert s.secrets.replicate_to_dr and s.secrets.cloud_trail and s.secrets.rotation_days == 30
    assert s.backups.aws_backup and s.backups.copy_to_dr and s.backups.replicate_to_dr and s.backups.vault_lock
    assert s.backups.object_lock_mode == "COMPLIANCE"
    r = s.backups.retention
    assert (r.daily_days, r.weekly_days, r.monthly_days) == (7, 28, 365)


@pytest.mark.parametrize(
    ("stack", "name", "changes", "key", "control"),
    [
        ("staging", "database", {"multiAz": False}, "groundwork:database.multiAz", "DB-02"),
        ("prod", "database", {"backupRetentionDays": 14}, "groundwork:database.backupRetentionDays", "DB-06"),
        ("dev", "database", {"backupRetentionDays": 3}, "groundwork:database.backupRetentionDays", "DB-06"),
        ("prod", "database", {"deletionProtection": False}, "groundwork:database.deletionProtection", "DB-07"),
        ("staging", "database", {"monitoringIntervalSeconds": 0}, "groundwork:database.performanceInsights", "DB-09"),
        ("staging", "database", {"pooling": "none"}, "groundwork:database.pooling", "DB-11"),
        (
            "prod",
            "database",
            {"allocatedStorageGiB": 100, "maxAllocatedStorageGiB": 100},
            "groundwork:database.maxAllocatedStorageGiB",
            "DB-10",
        ),
        ("prod", "database", {"instanceClass": "db.x9.huge"}, "groundwork:database.instanceClass", "DB-01"),
        ("staging", "cache", {"nodes": 1}, "groundwork:cache.nodes", "CACHE-01"),
        ("prod", "cache", {"snapshotRetentionDays": 3}, "groundwork:cache.snapshotRetentionDays", "CACHE-04"),
        ("prod", "backups", {"replicateToDr": False}, "groundwork:backups.replicateToDr", "DR-03"),
        ("prod", "backups", {"objectLockMode": "GOVERNANCE"}, "groundwork:backups.objectLockMode", "DR-07"),
        ("prod", "backups", {"vaultLock": False}, "groundwork:backups.vaultLock", "DR-04"),
        ("prod", "backups", {"copyToDr": False}, "groundwork:backups.copyToDr", "DR-04"),
        ("prod", "backups", {"awsBackup": False}, "groundwork:backups.awsBackup", "DR-04"),
        ("prod", "secrets", {"cloudTrail": False}, "groundwork:secrets.cloudTrail", "SEC-07"),
    ],
)
def test_data_layer_tier_rules(stack: str, name: str, changes: dict[str, Any], key: str, control: str) -> None:
    p = only(stack, key, **{name: with_(stack, name, **changes)})
    assert p.control == control
    assert p.fix and p.allowed, p.render()


def test_dev_may_run_a_single_az_database_without_a_pool() -> None:
    s = load(
        "dev", database=with_("dev", "database", multiAz=False, pooling="none"), cache=with_("dev", "cache", nodes=1)
    )
    assert not s.database.multi_az and s.database.pooling == "none" and s.cache.nodes == 1


def test_exempted_data_rule_becomes_an_advisory_with_its_reason() -> None:
    reason = "the DR account is being migrated this quarter; copies resume with ticket OPS-1234"
    s = load(
        "prod",
        backups=with_("prod", "backups", replicateToDr=False),
        exemptions=[{"control": "DR-03", "reason": reason}],
    )
    assert not s.backups.replicate_to_dr
    assert any(w.startswith("DR-03 relaxed") and reason in w for w in s.warnings), s.warnings


def test_cache_version_must_be_a_pinned_one_of_its_engine() -> None:
    p = only(
        "prod", "groundwork:cache.engineVersion", cache=with_("prod", "cache", engine="redis", engineVersion="8.0")
    )
    assert "7.1" in p.allowed


@pytest.mark.parametrize(
    ("restore", "key"),
    [
        ({}, "groundwork:database.restore"),
        (
            {
                "snapshotIdentifier": "snap-1",
                "pointInTime": {"sourceDbInstanceIdentifier": "a", "useLatestRestorableTime": True},
            },
            "groundwork:database.restore",
        ),
        (
            {
                "pointInTime": {
                    "sourceDbInstanceIdentifier": "a",
                    "sourceDbInstanceAutomatedBackupsArn": "arn:aws:rds:eu-central-1:333333333333:auto-backup:ab-1",
                    "useLatestRestorableTime": True,
                }
            },
            "groundwork:database.restore.pointInTime",
        ),
        (
            {
                "pointInTime": {
                    "sourceDbInstanceIdentifier": "a",
                    "restoreTime": "2026-11-20T10:00:00Z",
                    "useLatestRestorableTime": True,
                }
            },
            "groundwork:database.restore.pointInTime",
        ),
        ({"pointInTime": {"sourceDbInstanceIdentifier": "a"}}, "groundwork:database.restore.pointInTime"),
    ],
)
def test_a_restore_names_exactly_one_source_and_one_time(restore: dict[str, Any], key: str) -> None:
    only("prod", key, database=with_("prod", "database", restore=restore))


def test_a_valid_point_in_time_restore_loads() -> None:
    restore = {
        "pointInTime": {"sourceDbInstanceIdentifier": "groundwork-prod-db", "restoreTime": "2026-11-20T10:00:00Z"}
    }
    s = load("prod", database=with_("prod", "database", restore=restore))
    assert s.database.restore is not None and s.database.restore.point_in_time is not None
    assert s.database.restore.point_in_time.restore_time == dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)


def test_backup_retentions_must_be_ordered() -> None:
    p = only("prod", "groundwork:backups.retention", backups={"retention": {"dailyDays": 30, "weeklyDays": 14}})
    assert "dailyDays <= weeklyDays" in p.allowed


# ---------------------------------------------------------------------------------------------
# Kubernetes platform rules (issue 5)
# ---------------------------------------------------------------------------------------------


def test_platform_defaults_are_the_secure_ones() -> None:
    s = load("prod")
    assert s.platform.admission_mode == "Enforce" and s.platform.availability_policies and s.platform.high_availability
    assert s.ingress.enabled and s.ingress.waf and s.ingress.ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert not s.gitops.auto_sync and s.gitops.high_availability and s.gitops.repo_credentials
    assert (s.registry.keep_releases, s.registry.untagged_days) == (30, 7)


@pytest.mark.parametrize(
    ("stack", "name", "changes", "key", "control"),
    [
        ("staging", "platform", {"admissionMode": "Audit"}, "groundwork:platform.admissionMode", "K8S-10"),
        ("prod", "platform", {"availabilityPolicies": False}, "groundwork:platform.availabilityPolicies", "K8S-09"),
        ("prod", "ingress", {"waf": False}, "groundwork:ingress.waf", "NET-10"),
        ("prod", "gitops", {"autoSync": True}, "groundwork:gitops.autoSync", "GIT-03"),
        ("staging", "gitops", {"autoSync": False}, "groundwork:gitops.autoSync", "GIT-03"),
        ("prod", "gitops", {"highAvailability": False}, "groundwork:gitops.highAvailability", "GIT-01"),
        ("prod", "gitops", {"path": "deploy/{environment}"}, "groundwork:gitops.path", "GIT-02"),
        ("prod", "gitops", {"oidc": None}, "groundwork:gitops.adminGroups", "GIT-01"),
    ],
)
def test_platform_tier_rules(stack: str, name: str, changes: dict[str, Any], key: str, control: str) -> None:
    data = with_(stack, name, **changes)
    data = {k: v for k, v in data.items() if v is not None}
    p = only(stack, key, **{name: data})
    assert p.control == control and p.fix and p.allowed, p.render()


ARN = "arn:aws:acm:eu-west-1:333333333333:certificate/9e8d7c6b-3333-4a5b-8c7d-1e2f3a4b5c6d"


def test_stg_plus_needs_a_certificate_in_its_region_and_account() -> None:
    # no host, so no certificate the stack could request, and none given: nothing would serve HTTPS
    ingress = with_("staging", "ingress")
    ingress.pop("host")
    found = {(p.key, p.control): p for p in problems("staging", ingress=ingress)}
    assert set(found) == {("groundwork:ingress.certificateArn", "NET-10"), ("groundwork:ingress.host", "EDGE-01")}
    assert "groundwork:edge.domain" in found["groundwork:ingress.certificateArn", "NET-10"].fix
    # a hand-supplied certificate (an explicit override: an EDGE-02 exemption) must still fit the ALB
    override = [{"control": "EDGE-02", "reason": "the zone is not delegated yet; the old certificate serves"}]
    moved = with_("prod", "ingress", certificateArn=ARN.replace("eu-west-1", "us-east-1"))
    p = only("prod", "groundwork:ingress.certificateArn", ingress=moved, exemptions=override)
    assert "its own region (eu-west-1)" in p.message
    foreign = with_("prod", "ingress", certificateArn=ARN.replace("333333333333", "444444444444"))
    p = only("prod", "groundwork:ingress.certificateArn", ingress=foreign, exemptions=override)
    assert "account 444444444444" in p.message
    dev = with_("dev", "ingress")
    dev.pop("host")
    edge = with_("dev", "edge")
    edge.pop("frontend")
    services = [{k: v for k, v in s.items() if k != "ingress"} for s in section("dev", "services")]
    # dev with nothing public: no zone, no certificate, plain HTTP inside (EDGE-01 asks a zone only of what is public)
    assert load("dev", ingress=dev, edge={}, services=services).ingress.certificate_arn is None


def test_calls_must_name_other_services() -> None:
    services = section("prod", "services")
    services[4]["calls"] = ["menu-service", "billing-service", "order-service"]
    found = problems("prod", services=services)
    assert [(p.key, p.value) for p in found] == [
        ("groundwork:services[4].calls[1]", "billing-service"),
        ("groundwork:services[4].calls[2]", "order-service"),
    ]
    assert "does not call itself" in found[1].message


def test_two_services_cannot_share_an_ingress_path() -> None:
    services = section("prod", "services")
    services[1]["ingress"] = {"path": "/"}
    found = {p.key for p in problems("prod", services=services)}
    assert found == {"groundwork:services[0].ingress.path", "groundwork:services[1].ingress.path"}


def test_exposed_services_need_the_ingress_controller() -> None:
    p = only("prod", "groundwork:ingress.enabled", ingress=with_("prod", "ingress", enabled=False))
    assert p.control == "K8S-11"


def test_every_service_needs_a_manifests_repository() -> None:
    gitops = with_("prod", "gitops")
    gitops.pop("repoUrl")
    found = problems("prod", gitops=gitops)
    assert len(found) == 6 and all(p.key.endswith(".repoUrl") and p.control == "GIT-02" for p in found)
    services = section("prod", "services")
    for svc in services:
        svc["repoUrl"] = f"git@github.com:example-org/{svc['name']}.git"
    assert load("prod", gitops=gitops, services=services).services[0].repo_url.endswith("api-gateway.git")


def test_a_cluster_version_outside_a_charts_range_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    from groundwork import charts

    monkeypatch.setitem(charts.CHARTS, "kyverno", charts.Chart("kyverno", "https://x", "1.0.0", "v1", ("1.30", "1.34")))
    s = load("prod")
    assert any("kyverno v1" in w and "1.30 to 1.34, not 1.35" in w for w in s.warnings), s.warnings


# ---------------------------------------------------------------------------------------------
# Observability rules (issue 6)
# ---------------------------------------------------------------------------------------------


def test_observability_defaults_are_the_production_ones() -> None:
    o = load("prod").observability
    assert (o.prometheus.retention_days, o.prometheus.replicas) == (30, 2)
    assert (o.logs.hot_days, o.logs.retention_days) == (7, 90)
    assert o.tracing.sampling_percentage == 10 and o.slo.enabled and o.slo.availability == 99.9
    assert o.aws_alarms.enabled and o.notifications.page_on_critical
    assert (o.alerts.error_rate, o.alerts.latency_p95_seconds, o.alerts.postgres_connections) == (0.05, 0.5, 0.8)
    assert (o.alerts.disk_usage, o.alerts.certificate_days) == (0.85, 30)


@pytest.mark.parametrize(
    ("stack", "changes", "key", "control"),
    [
        ("dev", {"prometheus": {"retentionDays": 14}}, "groundwork:observability.prometheus.retentionDays", "OBS-01"),
        ("prod", {"prometheus": {"replicas": 1}}, "groundwork:observability.prometheus.replicas", "OBS-01"),
        ("prod", {"logs": {"retentionDays": 30}}, "groundwork:observability.logs.retentionDays", "OBS-04"),
        ("prod", {"logs": {"hotDays": 90}}, "groundwork:observability.logs.hotDays", "OBS-04"),
        (
            "prod",
            {"tracing": {"samplingPercentage": 50}},
            "groundwork:observability.tracing.samplingPercentage",
            "OBS-05",
        ),
        ("prod", {"slo": {"enabled": False}}, "groundwork:observability.slo.enabled", "OBS-07"),
        ("staging", {"awsAlarms": {"enabled": False}}, "groundwork:observability.awsAlarms.enabled", "OBS-06"),
        (
            "prod",
            {"notifications": {"awsChatbotSlackTeamId": "T0123ABCDE"}},
            "groundwork:observability.notifications",
            "OBS-06",
        ),
    ],
)
def test_observability_tier_rules(stack: str, changes: dict[str, Any], key: str, control: str) -> None:
    p = only(stack, key, observability=changes)
    assert p.control == control and p.allowed and p.fix, p.render()


def test_dev_that_samples_less_than_everything_gets_a_warning() -> None:
    obs = section("dev", "observability")
    obs["tracing"] = {"samplingPercentage": 20}
    s = load("dev", observability=obs)
    assert any("OBS-05 expects 100 % in dev" in w for w in s.warnings)


def test_alert_thresholds_are_bounded() -> None:
    found = problems("prod", observability={"alerts": {"errorRate": 1.5, "diskUsage": 0}})
    assert {p.key for p in found} == {
        "groundwork:observability.alerts.errorRate",
        "groundwork:observability.alerts.diskUsage",
    }


def test_prod_over_budget_must_fail() -> None:
    p = only("prod", "groundwork:cost.overBudget", cost={"monthlyBudget": 900, "overBudget": "warn"})
    assert p.control == "GOV-04"
    s = load("prod", cost={})
    assert s.cost.over_budget == "fail" and any("no monthly budget" in w for w in s.warnings)


def test_postgres_minor_versions_are_refused_with_the_major_to_use() -> None:
    p = only("prod", "groundwork:database.engineVersion", database=with_("prod", "database", engineVersion="17.6"))
    assert p.value == "17.6" and "17" in p.allowed and "not 17.6" in p.fix


def test_misspelled_namespaces_and_provider_keys_are_refused_with_the_fix() -> None:
    """Issue 15: `grondwork:cache` and `aws:regoin` used to be ignored (prod planned on defaults)."""
    from groundwork.plan import load_stack_config
    from groundwork.settings import SettingsError, load_settings
    from tests.conftest import ROOT

    cfg = load_stack_config(ROOT, "prod")
    cfg.config["grondwork:cache"] = cfg.config.pop("groundwork:cache")
    cfg.config["aws:regoin"] = "eu-west-1"
    cfg.config["groundwork:netwrk"] = "{}"
    with pytest.raises(SettingsError) as exc:
        load_settings(cfg.config, project="groundwork", stack="prod")
    text = exc.value.render()
    assert "unknown namespace 'grondwork': nothing reads this key (did you mean groundwork:cache?)" in text
    assert "fix:     rename it to groundwork:cache" in text
    assert "not a setting of the AWS provider, which would ignore it (did you mean aws:region?)" in text
    assert "unknown setting (did you mean groundwork:network?)" in text


def test_the_aws_provider_keys_are_those_of_the_installed_sdk() -> None:
    import sys

    import pulumi_aws.config  # noqa: F401  (the module's class lists the provider's settings)

    from groundwork.settings.loader import AWS_PROVIDER_KEYS

    module = sys.modules["pulumi_aws.config"]
    _ = module.max_retries  # loads the lazy module: its class is the provider's config
    cls = type(sys.modules["pulumi_aws.config"])
    names = [n for n, o in vars(cls).items() if isinstance(o, property)]
    camel = {n.split("_")[0] + "".join(p.title() for p in n.split("_")[1:]) for n in names}
    assert camel == set(AWS_PROVIDER_KEYS)


@pytest.mark.parametrize(
    ("key", "value", "suggestion"), [("aws:region", "eu-wset-1", "eu-west-1"), ("drRegion", "us-wets-2", "us-west-2")]
)
def test_regions_must_hold_every_service_of_the_stack(key: str, value: str, suggestion: str) -> None:
    """Issue 15: an invalid aws:region was only reported through the certificate rule."""
    from groundwork.plan import load_stack_config
    from groundwork.settings import SettingsError, load_settings
    from tests.conftest import ROOT

    cfg = load_stack_config(ROOT, "prod")
    cfg.config[key if ":" in key else f"groundwork:{key}"] = value
    with pytest.raises(SettingsError) as exc:
        load_settings(cfg.config, project="groundwork", stack="prod")
    text = exc.value.render()
    assert f"not a region where every service the stack uses is offered (did you mean {suggestion}?)" in text
    assert "certificateArn" not in text  # no knock-on problem from a misspelled region
    assert exc.value.problems[0].allowed.startswith("one of: af-south-1")


# ---------------------------------------------------------------------------------------------
# Rules no test pinned before (issue 18, gap 5): each with its key, value and control
# ---------------------------------------------------------------------------------------------


def test_a_zone_listed_twice_is_refused() -> None:
    zones = ["eu-west-1a", "eu-west-1a", "eu-west-1b"]
    p = only("prod", "groundwork:network.availabilityZones", network=with_("prod", "network", availabilityZones=zones))
    assert (p.value, p.message, p.allowed) == (zones, "zones listed twice: eu-west-1a", "distinct zone names")


def test_a_cluster_with_no_node_kept_is_refused() -> None:
    p = only("dev", "groundwork:cluster.nodeGroups", cluster=node_group("dev", minSize=0, desiredSize=0))
    assert p.value == [0] and "CoreDNS and the add-ons have nowhere to run" in p.message


def test_prod_loses_at_most_an_hour_of_data() -> None:
    p = only("prod", "groundwork:backups.rpoMinutes", backups=with_("prod", "backups", rpoMinutes=61))
    assert (p.value, p.control, p.allowed) == (61, "DR-05", "60 or less")
    load("prod", backups=with_("prod", "backups", rpoMinutes=60))  # the boundary itself is allowed
    load("staging", backups=with_("staging", "backups", rpoMinutes=240))  # a prod rule only


def test_a_secret_listed_twice_in_a_service_is_refused() -> None:
    services = section("prod", "services")
    i = next(i for i, s in enumerate(services) if s.get("secrets"))
    services[i]["secrets"] = [*services[i]["secrets"], services[i]["secrets"][0]]
    p = only("prod", f"groundwork:services[{i}].secrets", services=services)
    name = services[i]["secrets"][0]["name"]
    assert (p.value, p.message) == (name, f"secret {name!r} is listed 2 times")


def test_a_kubernetes_version_without_pinned_add_ons_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from groundwork import catalog

    version = load("prod").cluster.version
    pins = dict(catalog.EKS_ADDON_VERSIONS)
    pins.pop(version)
    monkeypatch.setattr(catalog, "EKS_ADDON_VERSIONS", pins)
    p = only("prod", "groundwork:cluster.version")
    assert (p.value, p.control) == (version, "EKS-01")
    assert p.message == "no EKS add-on versions are pinned for this Kubernetes version"


def test_public_access_cidrs_without_the_public_endpoint_are_refused() -> None:
    cluster = section("staging", "cluster")
    cluster.update(endpointPublicAccess=False, publicAccessCidrs=["203.0.113.0/24"])
    p = only("staging", "groundwork:cluster.publicAccessCidrs", cluster=cluster)
    assert p.value == ["203.0.113.0/24"] and "have no effect" in p.message


def test_what_the_components_derive_from_the_settings() -> None:
    """The derived values the components read: each node group's CPU architecture (from its
    first type; the settings refuse a mix), the teams, a control's exemption, whether anything
    is copied to the DR region (each source alone is enough; AWS Backup copies only with its
    plan on), and CI's roles (only with a GitHub repository, the drift role only with drift
    detection; an explicit ARN wins over the derived name, and no account means no role)."""
    prod, dev = load("prod"), load("dev")
    assert prod.cluster.node_groups[0].arch == "arm64"
    assert load("prod", cluster=node_group("prod", instanceTypes=["m7i.large"])).cluster.node_groups[0].arch == "x86_64"
    assert prod.teams == ["catalog", "edge", "identity", "orders"]
    assert prod.exempted("NET-01") is None
    net01 = dev.exempted("NET-01")
    assert net01 is not None and net01.control == "NET-01" and dev.exempted("EDGE-05") is not None
    assert prod.copies_to_dr_region is True and dev.copies_to_dr_region is False
    for section_, key in (
        ("secrets", "replicateToDr"),
        ("database", "replicateBackupsToDr"),
        ("backups", "replicateToDr"),
        ("registry", "replicateToDr"),
    ):
        assert load("dev", **{section_: with_("dev", section_, **{key: True})}).copies_to_dr_region is True, section_
    only_copy = with_("dev", "backups", copyToDr=True)
    assert load("dev", backups=only_copy).copies_to_dr_region is (load("dev", backups=only_copy).backups.aws_backup)
    assert load("dev", backups={**only_copy, "awsBackup": True}).copies_to_dr_region is True
    assert prod.ci_roles("preview") == ("arn:aws:iam::333333333333:role/groundwork-preview-prod",)
    assert prod.ci_roles("drift") == ("arn:aws:iam::333333333333:role/groundwork-drift-prod",)
    quiet = load("dev", delivery=with_("dev", "delivery", driftDetection=False))
    assert quiet.ci_roles("drift") == () and quiet.ci_roles("preview") != ()
    assert load("prod", delivery=with_("prod", "delivery", githubRepository=None)).ci_roles("preview") == ()
    mine = "arn:aws:iam::333333333333:role/my-preview"
    assert load("prod", delivery=with_("prod", "delivery", previewRoleArn=mine)).ci_roles("preview") == (mine,)
    assert prod.delivery.role("preview", None, "prod") is None  # (the settings refuse this with CI on)
    assert StackSettings.model_fields["protect"].default is True  # the secure default without Pulumi.yaml's
