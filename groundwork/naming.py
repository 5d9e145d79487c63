"""Physical names derived from project and stack (GOV-03). Pure module.

Every name Groundwork gives AWS starts with `<project>-<stack>` so two stacks in one account
never collide. AWS limits differ per service; a name that would be too long keeps its
readable start and ends in a stable 6-character hash of the full name, so it stays unique
and does not change between runs.
"""

from __future__ import annotations

import hashlib
import re

# Maximum lengths of the physical names Groundwork sets (AWS API limits).
LIMITS = {
    "default": 63,
    "eks-cluster": 100,
    "iam-role": 64,
    "iam-policy": 128,
    "rds": 63,
    "elasticache-replication-group": 40,
    "s3-bucket": 63,
    "alb": 32,
    "target-group": 32,
    "log-group": 512,
    "kms-alias": 256,
    "secret": 512,
    "backup-vault": 50,
    "ecr-prefix": 30,
    # CloudWatch Logs PutDeliverySource / PutDeliveryDestination `name`: 1-60 of [\w-]
    # (botocore's logs service model, DeliverySourceName / DeliveryDestinationName)
    "log-delivery": 60,
    # an EKS node group's name_prefix, before its "-": the provider appends a 26-character unique
    # suffix to the prefix and rejects prefixes over 63 - 26 = 37 characters at preview
    # (hashicorp/terraform-provider-aws internal/service/eks/node_group.go, node_group_name_prefix:
    # StringLenBetween(0, 63-id.UniqueIDSuffixLength); terraform-plugin-sdk helper/id: 26)
    "eks-nodegroup-prefix": 36,
}


def fit(name: str, limit: int) -> str:
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{name[: limit - 7].rstrip('-')}-{digest}"


class Naming:
    def __init__(self, project: str, stack: str) -> None:
        self.project = project
        self.stack = stack
        self.prefix = f"{project}-{stack}"

    def physical(self, *parts: str, kind: str = "default") -> str:
        """`<project>-<stack>-<parts...>`, lowercased and cut to the limit of `kind`."""
        raw = "-".join([self.prefix, *[p for p in parts if p]])
        clean = re.sub(r"[^a-z0-9-]+", "-", raw.lower()).strip("-")
        return fit(clean, LIMITS[kind])

    def child(self, suffix: str) -> Naming:
        """Names for a second copy of a component (e.g. the DR region's keys): `<project>-<stack>-<suffix>-...`."""
        n = Naming(self.project, self.stack)
        n.prefix = f"{self.prefix}-{suffix}"
        return n

    def path(self, *parts: str) -> str:
        """`/<project>/<stack>/<parts...>`: log groups and secret names (slash-separated namespaces)."""
        return "/" + "/".join([self.project, self.stack, *parts])
