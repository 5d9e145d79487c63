"""Network paths to a private Kubernetes API: CI runners inside the VPC and an operator host.

Staging and prod keep the EKS API endpoint private (EKS-04); GitHub-hosted runners and laptops
are outside the VPC, so every Kubernetes resource and Helm release of a `pulumi up` from there
times out. This component gives each principal that applies the stack a path, and opens the
cluster security group on 443 to exactly those sources:

- **CI runners** (`delivery.githubRepository` set): an AWS CodeBuild project that runs the
  repository's GitHub Actions jobs as self-hosted runners in the private subnets ("Tutorial:
  Configure a CodeBuild-hosted GitHub Actions runner", AWS CodeBuild User Guide). A job lands on
  it with `runs-on: codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}`; the
  webhook only forwards `WORKFLOW_JOB_QUEUED` events. CodeBuild reaches GitHub through the
  account's CodeConnections connection (`delivery.codeConnectionArn`, authorised once in the
  console; `groundwork doctor` checks it). The jobs still assume the deploy, preview or drift
  role through GitHub OIDC; the project's own role may only write its logs, manage its network
  interfaces (the VPC permissions CodeBuild documents for VPC builds) and use the connection.
- **Operators** (`cluster.operatorAccess: ssm`): a small Graviton instance with no public IP and
  no inbound rule, managed by Systems Manager (AmazonSSMManagedInstanceCore), through which
  `scripts/cluster-tunnel.sh` forwards the API endpoint to the operator's machine
  (AWS-StartPortForwardingSessionToRemoteHost). IMDSv2 required, encrypted gp3 root volume.

Both sit in the private subnets, whose egress goes through the NAT gateways (and the VPC's
interface endpoints where enabled).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.host import ssm_host
from components.options import kept
from groundwork import iam
from groundwork.naming import Naming

# CodeBuild's curated Amazon Linux image (Python 3.11+, Node.js, the AWS CLI) on x86: LINUX_CONTAINER
# with BUILD_GENERAL1_MEDIUM (4 vCPU, 7 GB) is a combination every CodeBuild region offers
CODEBUILD_IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
HTTPS = 443


@dataclass(frozen=True)
class AccessArgs:
    naming: Naming
    region: str
    vpc_id: pulumi.Input[str]
    private_subnet_ids: list[pulumi.Input[str]]
    cluster_security_group_id: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    data_key_arn: pulumi.Input[str]
    log_retention_days: int
    github_repository: str | None = None
    code_connection_arn: str | None = None
    operator_access: bool = True
    tags: dict[str, str] | None = None
    protect: bool = True  # the runner's log group is kept (GOV-02)


def runner_project_name(naming: Naming) -> str:
    """The CodeBuild project whose label the workflows use (`codebuild-<this>-<run id>-<attempt>`)."""
    return naming.physical("runner")


class Access(pulumi.ComponentResource):
    """Outputs: `runner_project` (name or None), `runner_security_group_id`, `operator_instance_id`."""

    def __init__(self, name: str, args: AccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:access:Access", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        naming = args.naming
        self.runner_project: pulumi.Output[str] | None = None
        self.runner_security_group_id: pulumi.Output[str] | None = None
        self.operator_instance_id: pulumi.Output[str] | None = None

        def source_group(kind: str, description: str) -> aws.ec2.SecurityGroup:
            sg = aws.ec2.SecurityGroup(
                f"{name}-{kind}",
                vpc_id=args.vpc_id,
                description=description,
                tags={"Name": naming.physical(kind)},
                opts=child,
            )
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-{kind}-https-out",
                security_group_id=sg.id,
                ip_protocol="tcp",
                from_port=HTTPS,
                to_port=HTTPS,
                cidr_ipv4="0.0.0.0/0",
                description="HTTPS: the cluster API, AWS APIs, GitHub (through the NAT gateways)",
                opts=child,
            )
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-{kind}-to-api",
                security_group_id=args.cluster_security_group_id,
                referenced_security_group_id=sg.id,
                ip_protocol="tcp",
                from_port=HTTPS,
                to_port=HTTPS,
                description=f"Kubernetes API from the {kind} (private endpoint)",
                opts=child,
            )
            return sg

        if args.github_repository:
            if not args.code_connection_arn:
                raise ValueError("CI runners need delivery.codeConnectionArn")  # the settings refuse this first
            sg = source_group("runner", f"{naming.prefix}: CodeBuild-hosted GitHub Actions runners")
            project_name = runner_project_name(naming)
            log_group = aws.cloudwatch.LogGroup(
                f"{name}-runner",
                name=naming.path("ci-runner"),
                retention_in_days=args.log_retention_days,
                kms_key_id=args.logs_key_arn,
                opts=kept(self, args.protect),
            )
            role = aws.iam.Role(
                f"{name}-runner",
                assume_role_policy=json.dumps(iam.assume_role("codebuild.amazonaws.com")),
                description=f"{naming.prefix}: CodeBuild runner (logs, VPC interfaces, GitHub connection only)",
                opts=child,
            )
            aws.iam.RolePolicy(
                f"{name}-runner",
                role=role.id,
                policy=pulumi.Output.all(log_group.arn, args.private_subnet_ids, args.logs_key_arn).apply(
                    lambda a: json.dumps(
                        runner_policy(
                            log_group_arn=a[0],
                            connection_arn=str(args.code_connection_arn),
                            subnet_ids=list(a[1]),
                            region=args.region,
                        )
                    )
                ),
                opts=child,
            )
            project = aws.codebuild.Project(
                f"{name}-runner",
                name=project_name,
                description=f"{naming.prefix}: GitHub Actions jobs of {args.github_repository} inside the VPC",
                service_role=role.arn,
                build_timeout=120,
                artifacts=aws.codebuild.ProjectArtifactsArgs(type="NO_ARTIFACTS"),
                environment=aws.codebuild.ProjectEnvironmentArgs(
                    type="LINUX_CONTAINER",
                    compute_type="BUILD_GENERAL1_MEDIUM",
                    image=CODEBUILD_IMAGE,
                    image_pull_credentials_type="CODEBUILD",
                ),
                source=aws.codebuild.ProjectSourceArgs(
                    type="GITHUB",
                    location=f"https://github.com/{args.github_repository}.git",
                    auth=aws.codebuild.ProjectSourceAuthArgs(type="CODECONNECTIONS", resource=args.code_connection_arn),
                ),
                vpc_config=aws.codebuild.ProjectVpcConfigArgs(
                    vpc_id=args.vpc_id, subnets=args.private_subnet_ids, security_group_ids=[sg.id]
                ),
                logs_config=aws.codebuild.ProjectLogsConfigArgs(
                    cloudwatch_logs=aws.codebuild.ProjectLogsConfigCloudwatchLogsArgs(
                        status="ENABLED", group_name=log_group.name
                    )
                ),
                tags={"Name": project_name},
                opts=child,
            )
            aws.codebuild.Webhook(
                f"{name}-runner",
                project_name=project.name,
                build_type="BUILD",
                filter_groups=[
                    aws.codebuild.WebhookFilterGroupArgs(
                        filters=[
                            aws.codebuild.WebhookFilterGroupFilterArgs(type="EVENT", pattern="WORKFLOW_JOB_QUEUED")
                        ]
                    )
                ],
                opts=child,
            )
            self.runner_project = project.name
            self.runner_security_group_id = sg.id

        if args.operator_access:
            sg = source_group("operator-access", f"{naming.prefix}: SSM host for operators (no inbound rules)")
            instance = ssm_host(
                f"{name}-operator-access",
                naming=naming,
                kind="operator-access",
                purpose="operator access host",
                role_purpose="SSM-managed host for port forwarding to the private API",
                instance_type="t4g.nano",
                subnet_id=args.private_subnet_ids[0],
                security_group_id=sg.id,
                data_key_arn=args.data_key_arn,
                tags=args.tags,
                opts=child,
            )
            self.operator_instance_id = instance.id

        self.register_outputs(
            {"runnerProject": self.runner_project, "operatorAccessInstanceId": self.operator_instance_id}
        )


def runner_policy(*, log_group_arn: str, connection_arn: str, subnet_ids: list[str], region: str) -> dict:
    """The CodeBuild runner's own permissions: its log group, the network interfaces of a VPC
    build (AWS CodeBuild User Guide, "Use CodeBuild with Amazon VPC": the policy for VPC builds),
    and the GitHub connection. Jobs assume their stack role through OIDC for everything else."""
    account = connection_arn.split(":")[4]
    return iam.document(
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [log_group_arn, f"{log_group_arn}:*"],
        },
        {
            "Sid": "DescribeNetwork",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeVpcs",
                "ec2:CreateNetworkInterface",
                "ec2:DeleteNetworkInterface",
            ],
            "Resource": "*",
        },
        {
            "Sid": "AttachToOwnSubnets",
            "Effect": "Allow",
            "Action": "ec2:CreateNetworkInterfacePermission",
            "Resource": f"arn:aws:ec2:{region}:{account}:network-interface/*",
            "Condition": {
                "StringEquals": {
                    "ec2:AuthorizedService": "codebuild.amazonaws.com",
                    "ec2:Subnet": [f"arn:aws:ec2:{region}:{account}:subnet/{s}" for s in subnet_ids],
                }
            },
        },
        {
            "Sid": "GitHubConnection",
            "Effect": "Allow",
            "Action": [
                "codeconnections:GetConnectionToken",
                "codeconnections:GetConnection",
                "codeconnections:UseConnection",
                "codestar-connections:GetConnectionToken",
                "codestar-connections:GetConnection",
                "codestar-connections:UseConnection",
            ],
            "Resource": connection_arn,
        },
    )
