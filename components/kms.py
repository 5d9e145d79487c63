"""Customer-managed KMS keys, one per purpose (SEC-06).

Behaviour: every key has rotation on (yearly), an explicit key policy with no `*` principal
(see groundwork.iam.kms_key_policy), a 30-day deletion window and an alias
`alias/<project>-<stack>-<purpose>`. With `protect`, Pulumi refuses to delete or replace a
key and leaves it in AWS on `pulumi destroy` (GOV-02): data encrypted under it stays readable.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.providers import account_and_partition
from groundwork import iam
from groundwork.naming import Naming

PURPOSES = {
    "logs": "CloudWatch log groups (flow logs, EKS control plane, RDS logs)",
    "data": "EBS volumes, RDS, ElastiCache and backups",
    "secrets": "Secrets Manager and Kubernetes Secrets envelope encryption",
    "frontend": "the frontend's assets, read by the stack's CloudFront distribution",
}


@dataclass(frozen=True)
class KeysArgs:
    naming: Naming
    region: str
    purposes: tuple[str, ...] = ("logs", "data", "secrets")
    deletion_window_days: int = 30
    protect: bool = True
    description_suffix: str = ""
    # the Auto Scaling service-linked role (components.account): named by the `data` key policy
    autoscaling_role_arn: pulumi.Input[str] | None = None


def _key_policy(values: list[str], purpose: str, region: str) -> str:
    partition, account_id, autoscaling_role_arn = values
    return json.dumps(
        iam.kms_key_policy(
            purpose,
            partition=partition,
            account_id=account_id,
            region=region,
            autoscaling_role_arn=autoscaling_role_arn or None,
        )
    )


class Keys(pulumi.ComponentResource):
    """KMS keys by purpose. Outputs: `arns[purpose]`, `ids[purpose]`."""

    arns: dict[str, pulumi.Output[str]]
    ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: KeysArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:kms:Keys", name, None, opts)
        account_id, partition = account_and_partition(self)
        self.arns, self.ids = {}, {}
        for purpose in args.purposes:
            policy = pulumi.Output.all(partition, account_id, args.autoscaling_role_arn or "").apply(
                functools.partial(_key_policy, purpose=purpose, region=args.region)
            )
            key = aws.kms.Key(
                f"{name}-{purpose}",
                description=f"{args.naming.prefix}: {PURPOSES[purpose]}{args.description_suffix}",
                enable_key_rotation=True,
                rotation_period_in_days=365,
                deletion_window_in_days=args.deletion_window_days,
                policy=policy,
                tags={"Name": args.naming.physical(purpose), "Purpose": purpose},
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect),
            )
            aws.kms.Alias(
                f"{name}-{purpose}",
                name=f"alias/{args.naming.physical(purpose, kind='kms-alias')}",
                target_key_id=key.key_id,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.arns[purpose] = key.arn
            self.ids[purpose] = key.key_id
        self.register_outputs({"arns": self.arns})
