"""Pure modules: subnet layout, physical names, IAM/KMS policy documents."""

from __future__ import annotations

from ipaddress import IPv4Network, ip_network

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groundwork import iam
from groundwork.naming import Naming, fit
from groundwork.subnets import MAX_AZS, LayoutError, layout, slots


def test_layout_of_a_16_over_three_azs() -> None:
    out = layout(IPv4Network("10.30.0.0/16"), 3, {"private": 19, "public": 22, "database": 24})
    assert [str(n) for n in out["private"]] == ["10.30.0.0/19", "10.30.32.0/19", "10.30.64.0/19"]
    assert [str(n) for n in out["public"]] == ["10.30.96.0/22", "10.30.100.0/22", "10.30.104.0/22"]
    assert [str(n) for n in out["database"]] == ["10.30.108.0/24", "10.30.109.0/24", "10.30.110.0/24"]


def test_layout_never_overlaps_and_stays_inside_the_vpc() -> None:
    vpc = IPv4Network("10.0.0.0/18")
    for azs in (2, 3, 4):
        out = layout(vpc, azs, {"private": 21, "public": 25, "database": 26})
        blocks = [b for tier in out.values() for b in tier]
        assert all(b.subnet_of(vpc) for b in blocks)
        assert not any(a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1 :])


def test_adding_an_az_never_moves_a_subnet() -> None:
    """Day 2 (issue 14): azCount 2 -> 3 -> ... -> 6 only adds blocks; every existing block stays."""
    for vpc, prefixes in (
        (IPv4Network("10.10.0.0/16"), {"private": 19, "public": 22, "database": 24}),
        (IPv4Network("10.0.0.0/18"), {"private": 21, "public": 25, "database": 26}),
        (IPv4Network("10.0.0.0/20"), {"private": 23, "public": 26, "database": 28}),
    ):
        for n in range(2, MAX_AZS):
            try:
                grown = layout(vpc, n + 1, prefixes)
            except LayoutError:
                continue  # the larger count does not fit: the settings refuse it, nothing moves
            before = layout(vpc, n, prefixes)
            for tier in before:
                assert grown[tier][:n] == before[tier], (vpc, n, tier)


def test_slots_stay_clear_of_each_other_for_the_maximum_az_count() -> None:
    vpc = IPv4Network("10.10.0.0/16")
    every = [b for slot in slots(vpc, {"private": 19, "public": 22, "database": 24}) for b in slot.values()]
    assert len(every) == 3 * MAX_AZS
    assert not any(a.overlaps(b) for i, a in enumerate(every) for b in every[i + 1 :])
    assert all(b.subnet_of(vpc) for b in every)  # the default /16 has room for all six AZs
    # the dev stack's 2-AZ layout is the front of the 3-AZ one
    two = layout(vpc, 2, {"private": 19, "public": 22, "database": 24})
    assert [str(b) for b in two["public"]] == ["10.10.96.0/22", "10.10.100.0/22"]
    assert [str(b) for b in two["database"]] == ["10.10.108.0/24", "10.10.109.0/24"]


def test_a_count_whose_slots_leave_the_vpc_is_refused() -> None:
    prefixes = {"private": 19, "public": 22, "database": 24}
    layout(IPv4Network("10.0.0.0/17"), 3, prefixes)
    with pytest.raises(LayoutError, match=r"4 AZs .* need \d+ addresses; the /17 VPC has 32768"):
        layout(IPv4Network("10.0.0.0/17"), 4, prefixes)


def test_layout_explains_what_does_not_fit() -> None:
    with pytest.raises(LayoutError, match=r"need 28416 addresses; the /19 VPC has 8192"):
        layout(IPv4Network("10.0.0.0/19"), 3, {"private": 19, "public": 22, "database": 24})


def test_names_start_with_project_and_stack_and_respect_limits() -> None:
    n = Naming("groundwork", "prod-dr")
    assert n.physical("database") == "groundwork-prod-dr-database"
    long = n.physical("a-very-long-purpose-name-for-a-cache-cluster", kind="elasticache-replication-group")
    assert len(long) == 40 and long.startswith("groundwork-prod-dr-a-very")
    assert long == n.physical("a-very-long-purpose-name-for-a-cache-cluster", kind="elasticache-replication-group")
    assert fit("x" * 10, 10) == "x" * 10
    assert n.path("vpc", "flow-logs") == "/groundwork/prod-dr/vpc/flow-logs"


def test_two_stacks_never_share_a_name() -> None:
    assert Naming("groundwork", "prod").physical("db") != Naming("groundwork", "prod-dr").physical("db")


@pytest.mark.parametrize("purpose", ["logs", "data", "secrets"])
def test_key_policies_have_no_wildcard_principal(purpose: str) -> None:
    doc = iam.kms_key_policy(
        purpose, partition="aws", account_id="333333333333", region="eu-west-1", autoscaling_role_arn=ASG
    )
    principals = [st["Principal"] for st in doc["Statement"]]
    assert all(p != "*" and p.get("AWS") != "*" for p in principals)
    assert doc["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::333333333333:root"}


def test_logs_key_is_usable_only_by_this_accounts_log_groups() -> None:
    doc = iam.kms_key_policy("logs", partition="aws", account_id="333333333333", region="eu-west-1")
    logs = next(st for st in doc["Statement"] if st["Sid"] == "CloudWatchLogs")
    assert logs["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == (
        "arn:aws:logs:eu-west-1:333333333333:log-group:*"
    )


ASG = "arn:aws:iam::333333333333:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"


def test_data_key_lets_auto_scaling_launch_encrypted_nodes() -> None:
    doc = iam.kms_key_policy(
        "data", partition="aws", account_id="333333333333", region="eu-west-1", autoscaling_role_arn=ASG
    )
    grant = next(st for st in doc["Statement"] if st["Sid"] == "AutoScalingGrants")
    assert grant["Principal"]["AWS"].endswith(
        ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    )
    assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    # the role's ARN must come from somewhere that guarantees it exists (components.account)
    with pytest.raises(ValueError, match="service-linked role"):
        iam.kms_key_policy("data", partition="aws", account_id="333333333333", region="eu-west-1")


def test_flow_log_role_writes_only_to_its_group() -> None:
    arn = "arn:aws:logs:eu-west-1:1:log-group:/groundwork/prod/vpc/flow-logs"
    doc = iam.flow_log_delivery(arn)
    assert doc["Statement"][0]["Resource"] == [arn, f"{arn}:*"]
    assert iam.data_actions_on_star(doc) == []


def test_data_actions_on_star_are_found() -> None:
    bad = iam.document({"Effect": "Allow", "Action": ["s3:GetObject", "ec2:DescribeInstances"], "Resource": "*"})
    assert iam.data_actions_on_star(bad) == ["s3:GetObject"]
    assert iam.data_actions_on_star(iam.document({"Effect": "Allow", "Action": "*", "Resource": "*"})) == ["*"]
    scoped = iam.document({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})
    assert iam.data_actions_on_star(scoped) == []


def test_eks_trust_allows_session_tags() -> None:
    assert iam.assume_role("eks.amazonaws.com")["Statement"][0]["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    trust = iam.pod_identity_trust()["Statement"][0]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}


def test_private_ranges_helper_matches_rfc1918() -> None:
    from groundwork.settings.rules import PRIVATE_RANGES

    assert ip_network("172.20.0.0/16").subnet_of(PRIVATE_RANGES[1])


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    vpc_prefix=st.integers(16, 24),
    private=st.integers(16, 28),
    public=st.integers(16, 28),
    database=st.integers(16, 28),
    azs=st.integers(1, MAX_AZS),
)
def test_a_layout_either_fits_inside_the_vpc_or_is_refused(
    vpc_prefix: int, private: int, public: int, database: int, azs: int
) -> None:
    """Issue 18, gap 2: whatever the sizes, a layout that is returned has every block inside the
    VPC, aligned to its size and clear of the others; anything else is a LayoutError (the
    settings turn it into a problem before any resource exists)."""
    vpc = IPv4Network(f"10.0.0.0/{vpc_prefix}")
    prefixes = {"private": private, "public": public, "database": database}
    try:
        out = layout(vpc, azs, prefixes)
    except LayoutError:
        slot = (
            [b for s in slots(vpc, prefixes, azs) for b in s.values()] if min(prefixes.values()) >= vpc_prefix else []
        )
        assert min(prefixes.values()) < vpc_prefix or any(not b.subnet_of(vpc) for b in slot)
        return
    blocks = [b for tier in out.values() for b in tier]
    assert len(blocks) == 3 * azs
    assert all(b.subnet_of(vpc) for b in blocks)
    assert all(int(b.network_address) % b.num_addresses == 0 for b in blocks)
    assert not any(a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1 :])


def test_a_layout_that_fills_the_vpc_exactly_is_accepted() -> None:
    """The last block may end on the VPC's last address (issue 18: `last > end` is the rule; with
    `>=` this layout would be refused although it fits)."""
    vpc = IPv4Network("10.0.0.0/16")
    out = layout(vpc, 2, {"private": 18, "public": 21, "database": 20})
    last = max(int(b.broadcast_address) for tier in out.values() for b in tier)
    assert last == int(vpc.broadcast_address)
