"""Static facts the settings are validated against (pure module, no resources).

Each table states when it was last checked and where from, because every entry is a claim
about AWS that ages. `groundwork doctor` re-checks the EKS add-on pins against the live
`eks:DescribeAddonVersions` API before a first `pulumi up`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from groundwork import controls as shared

CHECKED_ON = dt.date(2026, 11, 21)


# The EKS release calendar lives with the policy pack (EKS-01 is checked there too).
EKS_RELEASES = shared.EKS_RELEASES

# Warn this many days before a version leaves standard support.
SUPPORT_WARNING_DAYS = 60

# EKS managed add-ons, pinned per Kubernetes minor version. Chosen on CHECKED_ON; before an
# upgrade run `aws eks describe-addon-versions --kubernetes-version <v> --addon-name <name>`
# (or `groundwork doctor`) and bump them here in the same change as `cluster.version`.
EKS_ADDON_VERSIONS: dict[str, dict[str, str]] = {
    "1.34": {
        "vpc-cni": "v1.20.4-eksbuild.2",
        "kube-proxy": "v1.34.0-eksbuild.5",
        "coredns": "v1.12.4-eksbuild.1",
        "aws-ebs-csi-driver": "v1.51.1-eksbuild.1",
        "eks-pod-identity-agent": "v1.3.9-eksbuild.3",
    },
    "1.35": {
        "vpc-cni": "v1.21.1-eksbuild.1",
        "kube-proxy": "v1.35.0-eksbuild.2",
        "coredns": "v1.13.2-eksbuild.1",
        "aws-ebs-csi-driver": "v1.53.0-eksbuild.1",
        "eks-pod-identity-agent": "v1.3.10-eksbuild.1",
    },
}


@dataclass(frozen=True)
class InstanceType:
    name: str
    arch: str  # "x86_64" | "arm64"
    vcpu: int
    memory_gib: float
    burstable: bool = False


# vCPUs per size; GiB of memory per vCPU per family letter (general 4, compute 2, memory 8).
_SIZES = {"medium": 2, "large": 2, "xlarge": 4, "2xlarge": 8}
_GIB_PER_VCPU = {"t": 4, "m": 4, "c": 2, "r": 8}


def _family(prefix: str, arch: str, burstable: bool = False) -> list[InstanceType]:
    """Burstable families are offered medium..xlarge (t3.medium is 2 vCPU / 4 GiB), the others large..2xlarge."""
    sizes = ("medium", "large", "xlarge") if burstable else ("large", "xlarge", "2xlarge")
    out = []
    for size in sizes:
        vcpu = _SIZES[size]
        memory = 4.0 if size == "medium" else vcpu * _GIB_PER_VCPU[prefix[0]]
        out.append(InstanceType(f"{prefix}.{size}", arch, vcpu, memory, burstable))
    return out


# EC2 types Groundwork offers for node groups: the price catalog covers exactly these.
INSTANCE_TYPES: dict[str, InstanceType] = {
    t.name: t
    for t in (
        *_family("t3", "x86_64", burstable=True),
        *_family("t3a", "x86_64", burstable=True),
        *_family("t4g", "arm64", burstable=True),
        *_family("m6i", "x86_64"),
        *_family("m7i", "x86_64"),
        *_family("m6g", "arm64"),
        *_family("m7g", "arm64"),
        *_family("c7i", "x86_64"),
        *_family("c7g", "arm64"),
        *_family("r7i", "x86_64"),
        *_family("r7g", "arm64"),
    )
}

AMI_TYPES = {"x86_64": "AL2023_x86_64_STANDARD", "arm64": "AL2023_ARM_64_STANDARD"}

# Interface endpoints the network component knows how to create (service suffix after
# com.amazonaws.<region>.). The S3 gateway endpoint is always created (NET-09).
INTERFACE_ENDPOINTS = (
    "ecr.api",
    "ecr.dkr",
    "sts",
    "secretsmanager",
    "logs",
    "kms",
    "ec2",
    "elasticloadbalancing",
    "ssm",
)

# CloudWatch Logs accepts only these retention values (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


def supported_versions(today: dt.date) -> list[str]:
    """Kubernetes versions in EKS standard support on `today`, oldest first."""
    return [v for v, r in EKS_RELEASES.items() if r.released <= today <= r.end_of_standard_support]


# RDS for PostgreSQL versions Groundwork offers (major.minor pinned; checked CHECKED_ON). The
# parameter group family is postgres<major>.
# PostgreSQL major versions: the stack pins the major and RDS applies minor versions itself
# (autoMinorVersionUpgrade). A pinned minor drifts as soon as AWS upgrades the instance, and a
# refresh then plans a downgrade RDS refuses (the AWS provider suppresses the diff only when
# `engine_version` is a prefix of the running version: terraform-provider-aws, aws_db_instance
# `engine_version` / `engine_version_actual`).
POSTGRES_VERSIONS = ("16", "17", "18")
# psql for the database bootstrap job, per server major version: the Docker official image
# through ECR Public (public.ecr.aws/docker/library/postgres), pulled via the stack's ECR
# pull-through cache so nodes only ever pull from the stack's own registry (K8S-07).
POSTGRES_CLIENT_IMAGES = {
    "16": "docker/library/postgres:16.10-alpine",
    "17": "docker/library/postgres:17.6-alpine",
    "18": "docker/library/postgres:18.1-alpine",
}


@dataclass(frozen=True)
class DatabaseClass:
    name: str
    vcpu: int
    memory_gib: float
    arch: str = "arm64"


# RDS instance classes offered (the price catalog covers exactly these).
DB_CLASSES: dict[str, DatabaseClass] = {
    c.name: c
    for c in (
        DatabaseClass("db.t3.micro", 2, 1, "x86_64"),
        DatabaseClass("db.t3.medium", 2, 4, "x86_64"),
        DatabaseClass("db.t4g.micro", 2, 1),
        DatabaseClass("db.t4g.small", 2, 2),
        DatabaseClass("db.t4g.medium", 2, 4),
        DatabaseClass("db.t4g.large", 2, 8),
        DatabaseClass("db.m7g.large", 2, 8),
        DatabaseClass("db.m7g.xlarge", 4, 16),
        DatabaseClass("db.m7g.2xlarge", 8, 32),
        DatabaseClass("db.r7g.large", 2, 16),
        DatabaseClass("db.r7g.xlarge", 4, 32),
    )
}

# ElastiCache engines and versions offered (pinned), and node types.
CACHE_VERSIONS = {"valkey": ("8.0", "8.1"), "redis": ("7.1",)}
CACHE_NODE_TYPES = {
    "cache.t4g.micro": 0.5,
    "cache.t4g.small": 1.37,
    "cache.t4g.medium": 3.09,
    "cache.m7g.large": 6.38,
    "cache.r7g.large": 13.07,
}  # memory GiB
