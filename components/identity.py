"""Workload identity: an AWS role for one Kubernetes service account (EKS-08).

The one mechanism is EKS Pod Identity: the role trusts `pods.eks.amazonaws.com` (only for
this account and this cluster, the confused-deputy conditions) and a
`PodIdentityAssociation` binds it to exactly one namespace/service account. No OIDC trust
policies to template, no annotation on the service account, and the association is an AWS
resource the plan can check. (The cluster's OIDC provider remains for tools that only
support IRSA.)

The permissions are statements over named ARNs. A data action (S3 object access, secret
values, KMS decrypt, ...) on Resource "*" is refused when the role is declared, before any
resource exists: that is a programming error, not a setting.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from groundwork import iam
from groundwork.naming import Naming


@dataclass(frozen=True)
class WorkloadRoleArgs:
    naming: Naming
    cluster_name: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]
    namespace: str
    service_account: str
    # IAM statements; Resource values may be Outputs (ARNs of resources this program creates).
    statements: Sequence[dict[str, Any]] = field(default_factory=tuple)
    description: str = ""


class WorkloadRole(pulumi.ComponentResource):
    """`groundwork:identity:WorkloadRole`: role + inline policy + Pod Identity association."""

    arn: pulumi.Output[str]
    name: pulumi.Output[str]

    def __init__(self, name: str, args: WorkloadRoleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:identity:WorkloadRole", name, None, opts)
        _refuse_data_actions_on_star(name, args.statements)
        child = pulumi.ResourceOptions(parent=self)
        subject = f"{args.namespace}/{args.service_account}"
        role = aws.iam.Role(
            f"{name}-role",
            name=args.naming.physical("pod", args.namespace, args.service_account, kind="iam-role"),
            description=args.description or f"{args.naming.prefix}: pods of {subject} (EKS Pod Identity)",
            assume_role_policy=pulumi.Output.all(args.account_id, args.cluster_arn).apply(
                lambda a: json.dumps(iam.pod_identity_trust(account_id=a[0], cluster_arn=a[1]))
            ),
            opts=child,
        )
        if args.statements:
            aws.iam.RolePolicy(
                f"{name}-policy",
                role=role.id,
                policy=pulumi.Output.json_dumps(iam.document(*args.statements)),
                opts=child,
            )
        aws.eks.PodIdentityAssociation(
            f"{name}-association",
            cluster_name=args.cluster_name,
            namespace=args.namespace,
            service_account=args.service_account,
            role_arn=role.arn,
            opts=child,
        )
        self.arn, self.name = role.arn, role.name
        self.register_outputs({"arn": self.arn, "subject": subject})


def _refuse_data_actions_on_star(name: str, statements: Sequence[dict[str, Any]]) -> None:
    bad = iam.data_actions_on_star({"Statement": [s for s in statements if _known(s)]})
    if bad:
        raise ValueError(f"workload role {name}: data actions on '*' ({', '.join(bad)}); name the resources (EKS-08)")


def _known(statement: dict[str, Any]) -> bool:
    """Statements whose Resource is plain data (Outputs are named ARNs by construction)."""
    res = statement.get("Resource")
    return isinstance(res, str) or (isinstance(res, list) and all(isinstance(r, str) for r in res))
