"""WorkloadRole and Account on their own (groundwork.plan.run_function): a pod's role trusted
only by EKS Pod Identity of this account's cluster, bound to one service account, with named
resources; the service-linked roles the key policies name, created on a fresh account or
adopted, without planning a stack (issue 18)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.account import Account, AccountArgs
from components.identity import WorkloadRole, WorkloadRoleArgs
from groundwork.naming import Naming
from groundwork.plan import PlanFailed
from groundwork.plan.graph import Graph
from groundwork.plan.runner import run_function
from tests.helpers import deps, outside

CLUSTER_ARN = "arn:aws:eks:eu-west-1:111111111111:cluster/groundwork-test"
ACCOUNT = "111111111111"
MOCK_ACCOUNT = "123456789012"  # the offline plan's caller identity


def plan_role(naming: Naming = Naming("groundwork", "test"), **args: Any) -> Graph:
    def body() -> None:
        statements = args.pop("statements", None)
        if callable(statements):
            statements = statements()
        WorkloadRole(
            "orders-app",
            WorkloadRoleArgs(
                **{
                    "naming": naming,
                    "cluster_name": "groundwork-test",
                    "cluster_arn": CLUSTER_ARN,
                    "account_id": ACCOUNT,
                    "namespace": "orders",
                    "service_account": "orders-app",
                    **({"statements": statements} if statements is not None else {}),
                    **args,
                }
            ),
        )

    return run_function(body, config={"aws:region": "eu-west-1"})


def bucket_statements() -> list[dict[str, Any]]:
    bucket = aws.s3.Bucket("reports")
    return [
        {
            "Sid": "Reports",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": pulumi.Output.concat(bucket.arn, "/*"),
        }
    ]


@pytest.fixture(scope="module")
def with_policy() -> Graph:
    return plan_role(statements=bucket_statements)


def test_the_role_trusts_pod_identity_of_this_accounts_cluster_only(with_policy: Graph) -> None:
    """EKS-08: EKS Pod Identity assumes the role with sts:AssumeRole and sts:TagSession (EKS User
    Guide, "Create IAM role with trust policy required by EKS Pod Identity"); aws:SourceAccount
    and aws:SourceArn keep other accounts and clusters out (the confused-deputy conditions)."""
    role = with_policy.one("aws:iam/role:Role")
    assert role.name == "orders-app-role"
    assert role.props["name"] == "groundwork-test-pod-orders-orders-app"
    assert role.props["description"] == "groundwork-test: pods of orders/orders-app (EKS Pod Identity)"
    assert json.loads(role.props["assumeRolePolicy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": ACCOUNT},
                    "ArnEquals": {"aws:SourceArn": CLUSTER_ARN},
                },
            }
        ],
    }


def test_one_association_binds_the_role_to_one_service_account(with_policy: Graph) -> None:
    association = with_policy.one("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    role = with_policy.one("aws:iam/role:Role")
    assert association.name == "orders-app-association"
    assert association.props == {
        "clusterName": "groundwork-test",
        "namespace": "orders",
        "serviceAccount": "orders-app",
        "roleArn": role.outputs["arn"],
    }
    assert deps(association, "roleArn") == [role.urn]


def test_permissions_over_named_resources(with_policy: Graph) -> None:
    policy = with_policy.one("aws:iam/rolePolicy:RolePolicy")
    bucket = with_policy.one("aws:s3/bucket:Bucket")
    assert policy.name == "orders-app-policy"
    assert deps(policy, "role") == [with_policy.one("aws:iam/role:Role").urn]
    assert json.loads(policy.props["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Reports", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": f"{bucket.outputs['arn']}/*"}
        ],
    }
    assert bucket.urn in deps(policy, "policy")


def test_no_policy_without_statements_and_a_given_description() -> None:
    g = plan_role(description="orders: reads its reports")
    assert g.of_type("aws:iam/rolePolicy:RolePolicy") == []
    assert g.one("aws:iam/role:Role").props["description"] == "orders: reads its reports"
    out = g.one("groundwork:identity:WorkloadRole").outputs
    assert out == {"arn": g.one("aws:iam/role:Role").outputs["arn"], "subject": "orders/orders-app"}


@pytest.mark.parametrize("resource", ["*", ["arn:aws:s3:::reports/*", "*"]], ids=["star", "star-in-a-list"])
def test_a_data_action_on_star_is_refused_before_any_resource(resource: Any) -> None:
    statements = [{"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": resource}]
    with pytest.raises(
        PlanFailed, match=r"workload role orders-app: data actions on '\*' \(secretsmanager:GetSecretValue\)"
    ):
        plan_role(statements=statements)


def test_a_list_action_on_star_is_allowed() -> None:
    """Actions that support no resource-level permission (e.g. ec2:Describe*) must use '*'."""
    g = plan_role(statements=[{"Effect": "Allow", "Action": ["ec2:DescribeInstances"], "Resource": "*"}])
    assert len(g.of_type("aws:iam/rolePolicy:RolePolicy")) == 1


def test_role_names_fit_iams_64_characters() -> None:
    """An IAM role name is at most 64 characters (IAM User Guide, "IAM object quotas")."""
    g = plan_role(
        naming=Naming("groundwork-payments", "production-eu"),
        namespace="payments-settlement",
        service_account="settlement-reconciler",
    )
    name = g.one("aws:iam/role:Role").props["name"]
    assert len(name) <= 64 and name.startswith("groundwork-payments-production-eu-pod-")
    assert len("groundwork-payments-production-eu-pod-payments-settlement-settlement-reconciler") > 64


def test_a_64_character_role_name_is_kept_whole() -> None:
    """64 is IAM's limit, not 63 (the default for physical names): such a name is not cut."""
    account = "settlement-reconciler-batch-01"  # 30 characters
    g = plan_role(naming=Naming("acme", "prod"), namespace="payments-settlement", service_account=account)
    name = g.one("aws:iam/role:Role").props["name"]
    assert name == f"acme-prod-pod-payments-settlement-{account}" and len(name) == 64


def test_every_resource_is_the_roles_child(with_policy: Graph) -> None:
    assert outside(with_policy, "groundwork:identity:WorkloadRole") == ["reports"]  # the test's own bucket


# --------------------------------------------------------------------------------------------- the account


def plan_account(existing: list[str] | None = None, built: Callable[[Account], None] | None = None) -> Graph:
    def body() -> None:
        a = Account("account", AccountArgs(existing_service_linked_roles=existing or []))
        if built is not None:
            built(a)

    return run_function(body, config={"aws:region": "eu-west-1"})


def test_a_fresh_account_gets_the_auto_scaling_role_kept_on_destroy() -> None:
    """A key policy naming a principal that does not exist fails CreateKey; AWS creates
    AWSServiceRoleForAutoScaling only with the account's first Auto Scaling group, so the stack
    creates it and never deletes it (other workloads may use it)."""
    seen: list[str] = []

    def watch(a: Account) -> None:
        a.service_linked_role_arns["autoscaling.amazonaws.com"].apply(seen.append)

    g = plan_account(built=watch)
    role = g.one("aws:iam/serviceLinkedRole:ServiceLinkedRole")
    assert role.name == "account-autoscaling"
    assert role.props == {
        "awsServiceName": "autoscaling.amazonaws.com",
        "description": "Created by Groundwork before the KMS keys that name it",
    }
    assert role.options.get("retainOnDelete") is True and not role.options.get("protect")
    assert seen == [role.outputs["arn"]]
    assert g.one("groundwork:account:Account").outputs["serviceLinkedRoleArns"] == {
        "autoscaling.amazonaws.com": role.outputs["arn"]
    }
    assert outside(g, "groundwork:account:Account") == []


def test_by_default_every_role_is_created() -> None:
    """Left out, no service-linked role is assumed to exist: a fresh account works."""

    def body() -> None:
        Account("account", AccountArgs())

    g = run_function(body, config={"aws:region": "eu-west-1"})
    assert len(g.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole")) == 1


def test_an_existing_role_is_named_not_created() -> None:
    seen: list[str] = []

    def watch(a: Account) -> None:
        a.service_linked_role_arns["autoscaling.amazonaws.com"].apply(seen.append)

    g = plan_account(existing=["autoscaling.amazonaws.com"], built=watch)
    assert g.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole") == []
    assert seen == [
        f"arn:aws:iam::{MOCK_ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    ]
    tokens = {i["token"] for i in g.invokes}
    assert {"aws:index/getCallerIdentity:getCallerIdentity", "aws:index/getPartition:getPartition"} <= tokens
