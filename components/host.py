"""One small Graviton host on AL2023, managed by Systems Manager: the operator access host
(components/access.py) and dev's NAT instance (components/network.py) are built the same way.

Behaviour (what the pack's launch-template policy, EKS-10, asks of every template):
- AL2023 for arm64 through AWS's public SSM parameter, resolved by EC2 at launch (EC2 User Guide,
  "Use a Systems Manager parameter instead of an AMI ID" in launch templates; documented for
  aws_launch_template image_id in hashicorp/terraform-provider-aws#37880): a new instance gets
  AWS's newest AMI and the stack shows no diff when AWS publishes one.
- IMDSv2 only (hop limit 1), an encrypted gp3 root volume with the stack's data key.
- A role with AmazonSSMManagedInstanceCore only: Session Manager and Patch Manager reach it; no
  key pair, no inbound SSH.
- Created by this function (not a component) so that the operator host keeps the URNs it had
  when Access built it inline.
"""

from __future__ import annotations

import base64
import json

import pulumi
import pulumi_aws as aws

from groundwork import iam
from groundwork.naming import Naming

AL2023_ARM64 = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"


def ssm_host(
    name: str,
    *,
    naming: Naming,
    kind: str,
    purpose: str,
    role_purpose: str,
    instance_type: str,
    subnet_id: pulumi.Input[str],
    security_group_id: pulumi.Input[str],
    data_key_arn: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
    tags: dict[str, str] | None = None,
    user_data: str | None = None,
    public_address: bool = False,
    source_dest_check: bool = True,
) -> aws.ec2.Instance:
    """`name` names every resource (`<component>-<kind>`); `kind` is the physical name's suffix;
    `purpose` describes the template, `role_purpose` the role."""
    role = aws.iam.Role(
        name,
        assume_role_policy=json.dumps(iam.assume_role("ec2.amazonaws.com")),
        description=f"{naming.prefix}: {role_purpose}",
        opts=opts,
    )
    aws.iam.RolePolicyAttachment(name, role=role.name, policy_arn=SSM_CORE, opts=opts)
    profile = aws.iam.InstanceProfile(name, role=role.name, opts=opts)
    physical = naming.physical(kind)
    template = aws.ec2.LaunchTemplate(
        name,
        name_prefix=f"{physical}-",
        description=f"{naming.prefix} {purpose}: IMDSv2, encrypted gp3 root volume",
        image_id=AL2023_ARM64,
        instance_type=instance_type,
        update_default_version=True,
        user_data=base64.b64encode(user_data.encode()).decode() if user_data else None,
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
            http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
        ),
        block_device_mappings=[
            aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name="/dev/xvda",
                ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    volume_size=8,
                    volume_type="gp3",
                    encrypted="true",
                    kms_key_id=data_key_arn,
                    delete_on_termination="true",
                ),
            )
        ],
        tag_specifications=[
            aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=k, tags={**(tags or {}), "Name": physical})
            for k in ("instance", "volume")
        ],
        opts=opts,
    )
    return aws.ec2.Instance(
        name,
        launch_template=aws.ec2.InstanceLaunchTemplateArgs(id=template.id, version="$Latest"),
        subnet_id=subnet_id,
        vpc_security_group_ids=[security_group_id],
        iam_instance_profile=profile.name,
        associate_public_ip_address=public_address,
        source_dest_check=None if source_dest_check else False,
        tags={"Name": physical},
        opts=opts,
    )
