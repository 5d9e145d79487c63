"""The Access component on its own (groundwork.plan.run_function): the CodeBuild-hosted GitHub
Actions runner inside the VPC with its narrow role, the SSM operator host, and the cluster
security group opened on 443 to exactly those two sources, without planning a stack (issue 18)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.access import CODEBUILD_IMAGE, Access, AccessArgs, runner_policy, runner_project_name
from groundwork.naming import Naming
from groundwork.plan import PlanFailed
from groundwork.plan.graph import Graph, Resource
from groundwork.plan.runner import run_function
from tests.helpers import by_name, deps, outside

CONNECTION = "arn:aws:codeconnections:eu-west-1:111111111111:connection/0123abcd"
LOGS_KEY = "arn:aws:kms:eu-west-1:111111111111:key/logs"
DATA_KEY = "arn:aws:kms:eu-west-1:111111111111:key/data"
NAMING = Naming("groundwork", "test")


def plan_access(**args: Any) -> Graph:
    def body() -> None:
        Access(
            "access",
            AccessArgs(
                naming=NAMING,
                region="eu-west-1",
                vpc_id="vpc-1",
                private_subnet_ids=["subnet-p0", "subnet-p1"],
                cluster_security_group_id="sg-cluster",
                logs_key_arn=LOGS_KEY,
                data_key_arn=DATA_KEY,
                log_retention_days=90,
                **args,
            ),
        )

    return run_function(body, config={"aws:region": "eu-west-1"})


@pytest.fixture(scope="module")
def both() -> Graph:
    return plan_access(github_repository="acme/platform", code_connection_arn=CONNECTION, tags={"Team": "platform"})


def groups(g: Graph) -> dict[str, Resource]:
    return by_name(g, "aws:ec2/securityGroup:SecurityGroup")


def test_each_source_gets_a_group_that_only_leaves_on_https(both: Graph) -> None:
    """No inbound rule on either source group; out on 443 only (the API, AWS APIs, GitHub)."""
    sgs = groups(both)
    assert {n: sg.props for n, sg in sgs.items()} == {
        "access-runner": {
            "vpcId": "vpc-1",
            "description": "groundwork-test: CodeBuild-hosted GitHub Actions runners",
            "tags": {"Name": "groundwork-test-runner"},
        },
        "access-operator-access": {
            "vpcId": "vpc-1",
            "description": "groundwork-test: SSM host for operators (no inbound rules)",
            "tags": {"Name": "groundwork-test-operator-access"},
        },
    }
    egress = by_name(both, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    assert sorted(egress) == ["access-operator-access-https-out", "access-runner-https-out"]
    for kind in ("runner", "operator-access"):
        rule = egress[f"access-{kind}-https-out"]
        assert rule.props == {
            "securityGroupId": sgs[f"access-{kind}"].id,
            "ipProtocol": "tcp",
            "fromPort": 443,
            "toPort": 443,
            "cidrIpv4": "0.0.0.0/0",
            "description": "HTTPS: the cluster API, AWS APIs, GitHub (through the NAT gateways)",
        }
        assert deps(rule, "securityGroupId") == [sgs[f"access-{kind}"].urn]


def test_the_cluster_admits_exactly_the_two_sources_on_443(both: Graph) -> None:
    """EKS-04: with a private endpoint the API is reached through the cluster security group;
    it admits the runner and the operator host by group, never a CIDR."""
    ingress = by_name(both, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    sgs = groups(both)
    assert {n: r.props for n, r in ingress.items()} == {
        "access-runner-to-api": {
            "securityGroupId": "sg-cluster",
            "referencedSecurityGroupId": sgs["access-runner"].id,
            "ipProtocol": "tcp",
            "fromPort": 443,
            "toPort": 443,
            "description": "Kubernetes API from the runner (private endpoint)",
        },
        "access-operator-access-to-api": {
            "securityGroupId": "sg-cluster",
            "referencedSecurityGroupId": sgs["access-operator-access"].id,
            "ipProtocol": "tcp",
            "fromPort": 443,
            "toPort": 443,
            "description": "Kubernetes API from the operator-access (private endpoint)",
        },
    }


def test_runner_logs_to_a_kept_encrypted_group(both: Graph) -> None:
    group = both.one("aws:cloudwatch/logGroup:LogGroup")
    assert group.name == "access-runner"
    assert group.props == {"name": "/groundwork/test/ci-runner", "retentionInDays": 90, "kmsKeyId": LOGS_KEY}
    assert group.options.get("protect") is True and group.options.get("retainOnDelete") is True
    # kept, and still the component's child (its URN and its place in `pulumi stack` follow it)
    assert group.parent == both.one("groundwork:access:Access").urn
    unkept = plan_access(github_repository="acme/platform", code_connection_arn=CONNECTION, protect=False)
    group = unkept.one("aws:cloudwatch/logGroup:LogGroup")
    assert not group.options.get("protect") and not group.options.get("retainOnDelete")


def test_runner_role_may_only_log_attach_to_its_subnets_and_use_the_connection(both: Graph) -> None:
    """The VPC permissions CodeBuild documents for VPC builds, with network-interface permissions
    only for CodeBuild in the stack's private subnets (AWS CodeBuild User Guide, "Use CodeBuild
    with Amazon VPC"); the connection under both its service prefixes (CodeConnections was
    CodeStar Connections: AWS CodeConnections User Guide, "Service name change")."""
    role = by_name(both, "aws:iam/role:Role")["access-runner"]
    assert json.loads(role.props["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "codebuild.amazonaws.com"
    }
    assert (
        role.props["description"] == "groundwork-test: CodeBuild runner (logs, VPC interfaces, GitHub connection only)"
    )
    policy = by_name(both, "aws:iam/rolePolicy:RolePolicy")["access-runner"]
    assert deps(policy, "role") == [role.urn]
    group_arn = both.one("aws:cloudwatch/logGroup:LogGroup").outputs["arn"]
    statements = {s["Sid"]: s for s in json.loads(policy.props["policy"])["Statement"]}
    assert statements["Logs"]["Resource"] == [group_arn, f"{group_arn}:*"]
    assert statements["Logs"]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    attach = statements["AttachToOwnSubnets"]
    assert attach["Resource"] == "arn:aws:ec2:eu-west-1:111111111111:network-interface/*"
    assert attach["Condition"] == {
        "StringEquals": {
            "ec2:AuthorizedService": "codebuild.amazonaws.com",
            "ec2:Subnet": [
                "arn:aws:ec2:eu-west-1:111111111111:subnet/subnet-p0",
                "arn:aws:ec2:eu-west-1:111111111111:subnet/subnet-p1",
            ],
        }
    }
    assert statements["GitHubConnection"]["Resource"] == CONNECTION
    assert sorted(statements) == ["AttachToOwnSubnets", "DescribeNetwork", "GitHubConnection", "Logs"]
    assert json.loads(policy.props["policy"]) == runner_policy(
        log_group_arn=group_arn, connection_arn=CONNECTION, subnet_ids=["subnet-p0", "subnet-p1"], region="eu-west-1"
    )


def test_runner_project_runs_github_actions_jobs_in_the_private_subnets(both: Graph) -> None:
    """A CodeBuild-hosted GitHub Actions runner: a GITHUB source through CodeConnections and a
    webhook that forwards only queued workflow jobs (AWS CodeBuild User Guide, "Tutorial:
    Configure a CodeBuild-hosted GitHub Actions runner"); builds run in the VPC under the runner
    group and log to the kept group."""
    project = both.one("aws:codebuild/project:Project")
    sg = groups(both)["access-runner"]
    role = by_name(both, "aws:iam/role:Role")["access-runner"]
    assert {k: v for k, v in project.props.items() if k not in ("serviceRole", "logsConfig")} == {
        "name": "groundwork-test-runner",
        "description": "groundwork-test: GitHub Actions jobs of acme/platform inside the VPC",
        "buildTimeout": 120,
        "artifacts": {"type": "NO_ARTIFACTS"},
        "environment": {
            "type": "LINUX_CONTAINER",
            "computeType": "BUILD_GENERAL1_MEDIUM",
            "image": CODEBUILD_IMAGE,
            "imagePullCredentialsType": "CODEBUILD",
        },
        "source": {
            "type": "GITHUB",
            "location": "https://github.com/acme/platform.git",
            "auth": {"type": "CODECONNECTIONS", "resource": CONNECTION},
        },
        "vpcConfig": {"vpcId": "vpc-1", "subnets": ["subnet-p0", "subnet-p1"], "securityGroupIds": [sg.id]},
        "tags": {"Name": "groundwork-test-runner"},
    }
    assert CODEBUILD_IMAGE == "aws/codebuild/amazonlinux-x86_64-standard:5.0"
    assert deps(project, "serviceRole") == [role.urn]
    logs = project.props["logsConfig"]["cloudwatchLogs"]
    assert logs == {"status": "ENABLED", "groupName": "/groundwork/test/ci-runner"}
    webhook = both.one("aws:codebuild/webhook:Webhook")
    assert webhook.props == {
        "projectName": "groundwork-test-runner",
        "buildType": "BUILD",
        "filterGroups": [{"filters": [{"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"}]}],
    }
    assert deps(webhook, "projectName") == [project.urn]
    assert runner_project_name(NAMING) == "groundwork-test-runner"


def test_operator_host_in_the_first_private_subnet(both: Graph) -> None:
    """A t4g.nano Systems Manager host (no key pair, no public address) behind its own group."""
    host = both.one("aws:ec2/instance:Instance")
    assert host.name == "access-operator-access"
    assert host.props["subnetId"] == "subnet-p0"
    assert host.props["vpcSecurityGroupIds"] == [groups(both)["access-operator-access"].id]
    assert host.props["associatePublicIpAddress"] is False and "keyName" not in host.props
    template = both.one("aws:ec2/launchTemplate:LaunchTemplate")
    assert template.props["instanceType"] == "t4g.nano"
    assert template.props["namePrefix"] == "groundwork-test-operator-access-"
    assert host.props["tags"] == {"Name": "groundwork-test-operator-access"}
    tagged = {"Team": "platform", "Name": "groundwork-test-operator-access"}
    assert template.props["tagSpecifications"] == [
        {"resourceType": "instance", "tags": tagged},
        {"resourceType": "volume", "tags": tagged},
    ]


def test_outputs(both: Graph) -> None:
    out = both.one("groundwork:access:Access").outputs
    assert out == {
        "runnerProject": "groundwork-test-runner",
        "operatorAccessInstanceId": both.one("aws:ec2/instance:Instance").id,
    }


def test_only_the_operator_host_without_a_repository() -> None:
    g = plan_access()
    assert g.of_type("aws:codebuild/project:Project") == [] and g.of_type("aws:cloudwatch/logGroup:LogGroup") == []
    assert sorted(groups(g)) == ["access-operator-access"]
    assert len(g.of_type("aws:ec2/instance:Instance")) == 1
    assert g.one("groundwork:access:Access").outputs.get("runnerProject") is None


def test_only_the_runner_without_operator_access() -> None:
    g = plan_access(github_repository="acme/platform", code_connection_arn=CONNECTION, operator_access=False)
    assert g.of_type("aws:ec2/instance:Instance") == []
    assert sorted(groups(g)) == ["access-runner"]
    assert g.one("groundwork:access:Access").outputs.get("operatorAccessInstanceId") is None


def test_a_runner_needs_the_connection() -> None:
    with pytest.raises(PlanFailed, match=r"CI runners need delivery\.codeConnectionArn"):
        plan_access(github_repository="acme/platform")


def test_every_resource_is_the_access_child(both: Graph) -> None:
    assert outside(both, "groundwork:access:Access") == []
