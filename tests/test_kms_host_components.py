"""The Keys component and the SSM host builder on their own (groundwork.plan.run_function): what
they decide for each resource, without planning a stack (issue 18: fast enough for a mutation
run to rerun them for every mutant)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.host import AL2023_ARM64, SSM_CORE, ssm_host
from components.kms import Keys, KeysArgs
from groundwork import iam
from groundwork.naming import Naming
from groundwork.plan import PlanFailed
from groundwork.plan.graph import Graph, Resource
from groundwork.plan.runner import run_function
from tests.helpers import by_name, deps, outside

NAMING = Naming("groundwork", "test")
ACCOUNT = "123456789012"  # the offline plan's account (groundwork.plan.mocks)
# the Auto Scaling service-linked role components/account.py makes sure of, named by the data key
AUTOSCALING = "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"


def plan_keys(region: str = "eu-west-1", provider_region: str | None = None, **args: Any) -> Graph:
    def body() -> None:
        opts = None
        if provider_region:
            opts = pulumi.ResourceOptions(provider=aws.Provider("dr", region=provider_region))
        args.setdefault("autoscaling_role_arn", AUTOSCALING)
        Keys("keys", KeysArgs(naming=NAMING, region=provider_region or region, **args), opts=opts)

    return run_function(body, config={"aws:region": region, "groundwork:accountId": ACCOUNT})


# --------------------------------------------------------------------------------------------- keys


def test_a_key_per_purpose_rotated_yearly_with_a_thirty_day_window() -> None:
    """SEC-06: rotation on, every 365 days (the KMS default and the CIS benchmark's yearly
    rotation; KMS accepts 90-2560: KMS Developer Guide, "Rotating AWS KMS keys"), a 30-day
    deletion window (KMS's maximum, the longest time to notice a scheduled deletion)."""
    g = plan_keys()
    keys = by_name(g, "aws:kms/key:Key")
    assert sorted(keys) == ["keys-data", "keys-logs", "keys-secrets"]  # the default purposes
    for purpose, key in ((p, keys[f"keys-{p}"]) for p in ("logs", "data", "secrets")):
        props = {k: v for k, v in key.props.items() if k != "policy"}
        assert props == {
            "description": f"groundwork-test: {__import__('components.kms').kms.PURPOSES[purpose]}",
            "enableKeyRotation": True,
            "rotationPeriodInDays": 365,
            "deletionWindowInDays": 30,
            "tags": {"Name": f"groundwork-test-{purpose}", "Purpose": purpose},
        }


def test_each_key_policy_is_its_purposes_for_this_account_and_partition() -> None:
    role = AUTOSCALING
    g = plan_keys(purposes=("logs", "data"))
    keys = by_name(g, "aws:kms/key:Key")
    for purpose in ("logs", "data"):
        want = iam.kms_key_policy(
            purpose,
            partition="aws",
            account_id=ACCOUNT,
            region="eu-west-1",
            autoscaling_role_arn=role,
        )
        assert json.loads(keys[f"keys-{purpose}"].props["policy"]) == want
    # the data key names the service-linked role the caller made sure of, and is refused without it
    with pytest.raises(PlanFailed, match="the data key policy needs the Auto Scaling service-linked role's ARN"):
        plan_keys(purposes=("data",), autoscaling_role_arn=None)


def test_keys_of_the_dr_region_ask_its_provider() -> None:
    """The DR keys (components built with the DR provider) read the account and partition through
    that provider and write the DR region into their policies."""
    g = plan_keys(provider_region="eu-central-1", purposes=("logs",), description_suffix=" (DR copy)")
    provider = g.one("pulumi:providers:aws").urn
    invokes = [i for i in g.invokes if i["token"].endswith(("getCallerIdentity", "getPartition"))]
    assert len(invokes) == 2 and all(i["provider"].startswith(provider) for i in invokes)
    key = g.one("aws:kms/key:Key")
    assert "logs.eu-central-1.amazonaws.com" in key.props["policy"]
    assert key.props["description"].endswith(" (DR copy)")


def test_keys_are_kept_unless_told_otherwise() -> None:
    """GOV-02: protect and retain on delete by default: data encrypted under a key stays
    readable after `pulumi destroy`."""
    kept = plan_keys(purposes=("data",)).one("aws:kms/key:Key")
    assert kept.options.get("protect") is True and kept.options.get("retainOnDelete") is True
    loose = plan_keys(purposes=("data",), protect=False, deletion_window_days=7).one("aws:kms/key:Key")
    assert not loose.options.get("protect") and not loose.options.get("retainOnDelete")
    assert loose.props["deletionWindowInDays"] == 7


def test_aliases_and_outputs() -> None:
    g = plan_keys(purposes=("secrets", "frontend"))
    keys = by_name(g, "aws:kms/key:Key")
    aliases = by_name(g, "aws:kms/alias:Alias")
    for purpose in ("secrets", "frontend"):
        alias = aliases[f"keys-{purpose}"]
        assert alias.props["name"] == f"alias/groundwork-test-{purpose}"
        assert deps(alias, "targetKeyId") == [keys[f"keys-{purpose}"].urn]
        assert alias.parent == g.one("groundwork:kms:Keys").urn
    outputs = g.one("groundwork:kms:Keys").outputs
    assert set(outputs) == {"arns"} and set(outputs["arns"]) == {"secrets", "frontend"}


# --------------------------------------------------------------------------------------------- the SSM host


def plan_host(**kwargs: Any) -> Graph:
    def body() -> None:
        parent = pulumi.ComponentResource("groundwork:test:Holder", "holder")
        ssm_host(
            "holder-host",
            naming=NAMING,
            kind="host",
            purpose="test host",
            role_purpose="test host (Systems Manager only)",
            instance_type="t4g.nano",
            subnet_id="subnet-0123",
            security_group_id="sg-0123",
            data_key_arn="arn:aws:kms:eu-west-1:123456789012:key/data",
            opts=pulumi.ResourceOptions(parent=parent),
            **kwargs,
        )

    return run_function(body, config={"aws:region": "eu-west-1"})


def test_host_role_is_for_ec2_with_ssm_core_only() -> None:
    """Session Manager and Patch Manager need only AmazonSSMManagedInstanceCore on the instance's
    role (Systems Manager User Guide, "Configure instance permissions required for Systems
    Manager"); no other policy is attached."""
    g = plan_host()
    role = g.one("aws:iam/role:Role")
    assert json.loads(role.props["assumeRolePolicy"]) == iam.assume_role("ec2.amazonaws.com")
    assert role.props["description"] == "groundwork-test: test host (Systems Manager only)"
    [attachment] = g.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.props["policyArn"] == SSM_CORE and deps(attachment, "role") == [role.urn]
    profile = g.one("aws:iam/instanceProfile:InstanceProfile")
    assert deps(profile, "role") == [role.urn]
    holder = g.one("groundwork:test:Holder").urn
    assert all(r.parent == holder for r in g.resources if r.custom and r.type != "pulumi:providers:aws")


def template(g: Graph) -> Resource:
    return g.one("aws:ec2/launchTemplate:LaunchTemplate")


def test_host_template_imdsv2_encrypted_root_and_latest_al2023() -> None:
    """EKS-10's launch-template rules: IMDSv2 required with hop limit 1 (EC2 User Guide,
    "Configure the instance metadata options"), an encrypted gp3 root volume under the data key
    deleted with the instance, AL2023 arm64 resolved from AWS's public parameter at launch."""
    t = template(plan_host())
    assert t.props["namePrefix"] == "groundwork-test-host-"
    assert t.props["description"] == "groundwork-test test host: IMDSv2, encrypted gp3 root volume"
    assert t.props["imageId"] == AL2023_ARM64 and t.props["instanceType"] == "t4g.nano"
    assert t.props["updateDefaultVersion"] is True
    assert t.props["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 1,
    }
    assert t.props["blockDeviceMappings"] == [
        {
            "deviceName": "/dev/xvda",
            "ebs": {
                "volumeSize": 8,
                "volumeType": "gp3",
                "encrypted": "true",
                "kmsKeyId": "arn:aws:kms:eu-west-1:123456789012:key/data",
                "deleteOnTermination": "true",
            },
        }
    ]
    assert "userData" not in t.props
    specs = {s["resourceType"]: s["tags"] for s in t.props["tagSpecifications"]}
    assert specs == {"instance": {"Name": "groundwork-test-host"}, "volume": {"Name": "groundwork-test-host"}}


def test_host_user_data_and_tags_reach_the_template() -> None:
    t = template(plan_host(user_data="#!/bin/bash\necho hi\n", tags={"Team": "platform"}))
    assert base64.b64decode(t.props["userData"]).decode() == "#!/bin/bash\necho hi\n"
    for spec in t.props["tagSpecifications"]:
        assert spec["tags"] == {"Team": "platform", "Name": "groundwork-test-host"}


@pytest.mark.parametrize(("public", "check"), [(None, None), (False, True), (True, False)])
def test_host_instance_launches_the_templates_latest_version(public: bool | None, check: bool | None) -> None:
    """A private host keeps EC2's source/destination check (the property is left unset: the
    provider's default, true); a NAT instance turns it off, which forwarding needs (Amazon VPC
    User Guide, "NAT instances", "Disable source/destination checks"). Left out, a host is
    private with the check on."""
    given = {k: v for k, v in (("public_address", public), ("source_dest_check", check)) if v is not None}
    g = plan_host(**given)
    public, check = bool(public), check is not False
    host = g.one("aws:ec2/instance:Instance")
    assert host.props["launchTemplate"] == {"id": template(g).id, "version": "$Latest"}
    assert deps(host, "launchTemplate") == [template(g).urn]
    assert host.props["subnetId"] == "subnet-0123" and host.props["vpcSecurityGroupIds"] == ["sg-0123"]
    assert deps(host, "iamInstanceProfile") == [g.one("aws:iam/instanceProfile:InstanceProfile").urn]
    assert host.props["associatePublicIpAddress"] is public
    assert host.props.get("sourceDestCheck") is (None if check else False)
    assert host.props["tags"] == {"Name": "groundwork-test-host"}


def test_every_key_and_alias_is_the_components_child() -> None:
    assert outside(plan_keys(), "groundwork:kms:Keys") == []
    assert outside(plan_keys(provider_region="eu-central-1"), "groundwork:kms:Keys") == []
