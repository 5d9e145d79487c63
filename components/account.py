"""Account prerequisites: the service-linked roles the stack's key policies name.

Behaviour: a KMS key policy that names a principal which does not exist fails `CreateKey`
("MalformedPolicyDocumentException: Policy contains a statement with one or more invalid
principals"). The `data` key names the Auto Scaling service-linked role
(`AWSServiceRoleForAutoScaling`), which EKS managed node groups launch instances through and
which needs the key for CMK-encrypted root volumes (AWS docs: "Required AWS KMS key policy for use
with encrypted volumes", EC2 Auto Scaling User Guide). AWS creates that role only the first time
an Auto Scaling group is created in the account, so on a fresh account it is missing when the
keys are made. This component creates each such role that `existingServiceLinkedRoles` does not
list, and hands out its ARN: the keys take the ARN from the resource, so Pulumi creates them
after it. Roles it creates are kept on `pulumi destroy` (other workloads of the account may rely
on them; AWS refuses to delete a service-linked role in use anyway). `groundwork doctor` checks
which roles exist and prints the setting to use.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.providers import account_and_partition
from groundwork.iam import SERVICE_LINKED_ROLES, service_linked_role_arn


@dataclass(frozen=True)
class AccountArgs:
    existing_service_linked_roles: list[str] = field(default_factory=list)


def _arn(service: str, values: list[str]) -> str:
    return service_linked_role_arn(service, partition=values[0], account_id=values[1])


class Account(pulumi.ComponentResource):
    """Outputs: `service_linked_role_arns[service]` (from the created role where we create it)."""

    service_linked_role_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: AccountArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:account:Account", name, None, opts)
        account_id, partition = account_and_partition(self)
        self.service_linked_role_arns = {}
        for service in SERVICE_LINKED_ROLES:
            if service in args.existing_service_linked_roles:
                self.service_linked_role_arns[service] = pulumi.Output.all(partition, account_id).apply(
                    functools.partial(_arn, service)
                )
                continue
            role = aws.iam.ServiceLinkedRole(
                f"{name}-{service.split('.')[0]}",
                aws_service_name=service,
                description="Created by Groundwork before the KMS keys that name it",
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
            )
            self.service_linked_role_arns[service] = role.arn
        self.register_outputs({"serviceLinkedRoleArns": self.service_linked_role_arns})
