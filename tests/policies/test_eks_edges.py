"""EKS policies (EKS-01..EKS-09) at the edges the one-change cases leave out (issue 18: each row
was found by a surviving mutant of policies/groundwork_policies/eks.py): settings the engine
sends as unknown, null or absent (read as EKS's own default), boundaries (two nodes, hop limit
2, equal sizes), and which roles are a pod's.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from groundwork_policies.core import PackContext
from pulumi_policy.proxy import UnknownValueError

from tests.policies.cases import add, chain, patch
from tests.policies.harness import DELETE, UNKNOWN_STRING, Fx, run_resource, run_stack
from tests.policies.test_policy_cases import WORLD

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"


def on_cluster(policy: str, *changes: tuple[str, Any]) -> list[str]:
    world = WORLD
    for path, value in changes:
        world = world.patch("eks-cluster", path, value)
    return run_resource(policy, world.resources["eks-cluster"])


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ([("encryptionConfig", UNKNOWN_STRING)], []),  # known at the update
        # a key that encrypts something other than Secrets does not count
        ([("encryptionConfig.resources", ["other"])], ["[EKS-03] no KMS key encrypts Kubernetes Secrets"]),
        ([("encryptionConfig", DELETE)], ["[EKS-03] no KMS key encrypts Kubernetes Secrets"]),
    ],
)
def test_secrets_encryption(changes: list[tuple[str, Any]], expected: list[str]) -> None:
    assert on_cluster("aws-eks-cluster-require-secrets-encryption", *changes) == expected


def test_an_unknown_field_of_the_encryption_config_waits_for_the_update() -> None:
    """The SDK reports "can't run during preview" for the policy (UnknownValueError)."""
    with pytest.raises(UnknownValueError):
        on_cluster("aws-eks-cluster-require-secrets-encryption", ("encryptionConfig.resources", UNKNOWN_STRING))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ([("vpcConfig", UNKNOWN_STRING)], []),
        ([("vpcConfig.endpointPublicAccess", True), ("vpcConfig.publicAccessCidrs", UNKNOWN_STRING)], []),
        ([("vpcConfig.endpointPublicAccess", True), ("vpcConfig.publicAccessCidrs", ["203.0.113.0/24"])], []),
        (
            [("vpcConfig.endpointPublicAccess", True), ("vpcConfig.publicAccessCidrs", ["0.0.0.0/0"])],
            ["[EKS-04] the public endpoint is open to 0.0.0.0/0"],
        ),
        (
            [("vpcConfig.endpointPublicAccess", True), ("vpcConfig.publicAccessCidrs", [])],
            ["[EKS-04] the public endpoint is open to everyone"],
        ),
        # EKS's defaults: private endpoint off, public endpoint on and open to 0.0.0.0/0
        (
            [("vpcConfig", {"subnetIds": ["s"]})],
            ["[EKS-04] the private endpoint is off", "[EKS-04] the public endpoint is open to 0.0.0.0/0"],
        ),
    ],
)
def test_restricted_endpoint(changes: list[tuple[str, Any]], expected: list[str]) -> None:
    assert on_cluster("aws-eks-cluster-restrict-endpoint", *changes) == expected


def test_authentication_mode_defaults_to_config_map() -> None:
    """EKS's default mode when accessConfig is absent or null is CONFIG_MAP."""
    expected = ["[EKS-05] authentication mode is CONFIG_MAP, not API (access entries only)"]
    assert on_cluster("aws-eks-cluster-require-access-entries", ("accessConfig", None)) == expected
    assert on_cluster("aws-eks-cluster-require-access-entries", ("accessConfig", DELETE)) == expected


def test_deletion_protection_defaults_to_off() -> None:
    assert on_cluster("aws-eks-cluster-require-deletion-protection", ("deletionProtection", DELETE)) == [
        "[EKS-09] deletion protection is off"
    ]


def test_version_messages_say_why() -> None:
    def version(v: str, today: dt.date) -> list[str]:
        ctx = PackContext.build("groundwork", "prod", {"groundwork:environment": "prod"}, today=today)
        fx = WORLD.patch("eks-cluster", "version", v).resources["eks-cluster"]
        return run_resource("aws-eks-cluster-require-supported-version", fx, ctx=ctx)

    assert version("1.33", dt.date(2026, 7, 29)) == []  # its last day of standard support
    assert version("1.33", dt.date(2026, 7, 30)) == ["[EKS-01] Kubernetes 1.33: standard support ended 2026-07-29"]
    assert version("1.35", dt.date(2025, 1, 1)) == ["[EKS-01] Kubernetes 1.35: not released on EKS before 2026-01-28"]
    assert version("1.99", dt.date(2026, 11, 21)) == ["[EKS-01] Kubernetes 1.99: not a known EKS version"]


def config_map(name: str, namespace: str) -> Fx:
    return Fx(
        "kubernetes:core/v1:ConfigMap",
        "cm",
        {"metadata": {"name": name, "namespace": namespace}, "data": {"mapRoles": "- rolearn: x"}},
        provider=None,
    )


@pytest.mark.parametrize(
    ("name", "namespace", "expected"),
    [
        (
            "aws-auth",
            "kube-system",
            ["[EKS-05] the aws-auth ConfigMap maps IAM identities into the cluster (use access entries)"],
        ),
        ("aws-auth", "default", []),  # only kube-system/aws-auth is read by EKS
        ("role-map", "kube-system", []),
    ],
)
def test_only_the_aws_auth_config_map_maps_identities(name: str, namespace: str, expected: list[str]) -> None:
    assert run_resource("aws-eks-cluster-require-access-entries", config_map(name, namespace)) == expected


STACK_EDGES: list[tuple[str, str, Any, list[str]]] = [
    # EKS's default bootstraps the creator as admin: without the flag, the creator must be named
    (
        "creator-bootstrapped-by-default",
        "aws-eks-cluster-declare-creator-admin",
        chain(
            patch("eks-cluster", "accessConfig", {"authenticationMode": "API"}),
            patch("eks-cluster", "tags", {"Name": "x"}),
        ),
        [
            "[EKS-05] cluster eks-cluster makes whoever creates it an admin without naming that principal "
            "(tag groundwork:creator)"
        ],
    ),
    (
        "creator-not-bootstrapped",
        "aws-eks-cluster-declare-creator-admin",
        chain(
            patch("eks-cluster", "accessConfig.bootstrapClusterCreatorAdminPermissions", False),
            patch("eks-cluster", "tags", {"Name": "x"}),
        ),
        [],
    ),
]


def _pod_role(name: str, trust: dict[str, Any]) -> Fx:
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": trust, "Action": "sts:AssumeRole"}]}
    return Fx(ROLE, name, {"assumeRolePolicy": json.dumps(doc)})


def _doc(action: str, resource: str = "*") -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}
    )


IRSA = {"Federated": "arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"}
GITHUB = {"Federated": "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"}
EC2 = {"Service": "ec2.amazonaws.com"}
STACK_EDGES += [
    (
        "irsa-role-with-data-on-star",
        "aws-eks-workload-role-least-privilege",
        add(_pod_role("irsa", IRSA), Fx(ROLE_POLICY, "irsa-p", {"policy": _doc("s3:GetObject")}, {"role": ["irsa"]})),
        ["[EKS-08] role irsa policy irsa-p allows s3:GetObject on '*'"],
    ),
    # CI's role (GitHub Actions OIDC) and an instance role are not pods' roles
    (
        "github-oidc-role",
        "aws-eks-workload-role-least-privilege",
        add(_pod_role("ci", GITHUB), Fx(ROLE_POLICY, "ci-p", {"policy": _doc("s3:GetObject")}, {"role": ["ci"]})),
        [],
    ),
    (
        "instance-role-with-managed-policy",
        "aws-eks-workload-role-least-privilege",
        add(
            _pod_role("node", EC2),
            Fx(
                ATTACHMENT,
                "node-ssm",
                {"policyArn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"},
                {"role": ["node"]},
            ),
        ),
        [],
    ),
    # an action that reads no data may name '*' (describe calls have no resource-level permissions)
    (
        "describe-on-star",
        "aws-eks-workload-role-least-privilege",
        add(
            _pod_role("irsa", IRSA),
            Fx(ROLE_POLICY, "irsa-p", {"policy": _doc("ec2:DescribeInstances")}, {"role": ["irsa"]}),
        ),
        [],
    ),
    (
        "inline-policy-as-an-object",
        "aws-eks-workload-role-least-privilege",
        add(
            Fx(
                ROLE,
                "irsa",
                {
                    "assumeRolePolicy": _pod_role("x", IRSA).props["assumeRolePolicy"],
                    "inlinePolicies": [{"name": "data", "policy": json.loads(_doc("secretsmanager:GetSecretValue"))}],
                },
            )
        ),
        ["[EKS-08] role irsa inline policy data allows secretsmanager:GetSecretValue on '*'"],
    ),
    # a customer-managed policy attached to the pod's role is read through the attachment
    (
        "attached-customer-policy",
        "aws-eks-workload-role-least-privilege",
        add(
            _pod_role("irsa", IRSA),
            Fx("aws:iam/policy:Policy", "wide", {"policy": _doc("s3:*")}),
            Fx(ATTACHMENT, "irsa-wide", {"policyArn": "arn:wide"}, {"role": ["irsa"], "policyArn": ["wide"]}),
        ),
        ["[EKS-08] role irsa policy wide allows s3:* on '*'"],
    ),
    # a policy of another role that only names the pod's role (iam:PassRole on its ARN) is that role's
    (
        "policy-of-another-role-naming-the-pod-role",
        "aws-eks-workload-role-least-privilege",
        add(
            _pod_role("irsa", IRSA),
            _pod_role("node", EC2),
            Fx(ROLE_POLICY, "node-p", {"policy": _doc("s3:*")}, {"role": ["node"], "policy": ["irsa"]}),
            Fx(
                ATTACHMENT,
                "node-ssm",
                {"policyArn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"},
                {"role": ["node"], "tags": ["irsa"]},
            ),
        ),
        [],
    ),
]


@pytest.mark.parametrize(
    ("policy", "mutate", "expected"), [e[1:] for e in STACK_EDGES], ids=[e[0] for e in STACK_EDGES]
)
def test_eks_stack_edge(policy: str, mutate: Any, expected: list[str]) -> None:
    assert run_stack(policy, mutate(WORLD)) == expected


def node_group(min_size: int, desired: int, max_size: int) -> Fx:
    return WORLD.patch(
        "nodes", "scalingConfig", {"minSize": min_size, "desiredSize": desired, "maxSize": max_size}
    ).resources["nodes"]


@pytest.mark.parametrize(
    ("sizes", "headroom", "minimum"),
    [
        ((2, 2, 4), [], []),  # two nodes, equal min and desired, max exactly twice
        ((3, 3, 6), [], []),
        ((1, 3, 6), [], ["[EKS-06] minSize is 1"]),  # the minimum counts, not the desired size
        ((1, 3, 3), ["[EKS-06] maxSize 3 is less than 2 x desiredSize (6)"], ["[EKS-06] minSize is 1"]),
        ((3, 2, 6), ["[EKS-06] sizes are not ordered: min 3, desired 2, max 6"], []),
    ],
)
def test_node_group_sizes(sizes: tuple[int, int, int], headroom: list[str], minimum: list[str]) -> None:
    fx = node_group(*sizes)
    assert run_resource("aws-eks-node-group-require-headroom", fx) == headroom
    assert run_resource("aws-eks-node-group-min-two-nodes", fx) == minimum


@pytest.mark.parametrize(
    ("hops", "expected"),
    [
        (2, []),
        (3, ["[EKS-07] metadataOptions.httpPutResponseHopLimit is 3 (lets pods reach the instance's credentials)"]),
    ],
)
def test_hop_limit_two_is_the_most(hops: int, expected: list[str]) -> None:
    fx = WORLD.patch("node-template", "metadataOptions.httpPutResponseHopLimit", hops).resources["node-template"]
    assert run_resource("aws-ec2-launch-template-imdsv2-encrypted-gp3", fx) == expected


def test_a_device_without_ebs_settings_is_judged_not_skipped() -> None:
    fx = WORLD.patch("node-template", "blockDeviceMappings", [{"deviceName": "/dev/xvda"}]).resources["node-template"]
    assert run_resource("aws-ec2-launch-template-imdsv2-encrypted-gp3", fx) == [
        "[EKS-07] blockDeviceMappings[0] is not encrypted",
        "[EKS-07] blockDeviceMappings[0] volumeType is None, not gp3",
        "[EKS-07] blockDeviceMappings[0] has no customer-managed KMS key",
    ]
