"""The Registry component on its own (groundwork.plan.run_function): a repository per service
with immutable tags, scanning, the data key and a lifecycle; the nodes' pull policy; pull-through
caches of ECR Public and quay.io; replication to the DR region, without planning a stack
(issue 18)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.registry import PULL_ACTIONS, Registry, RegistryArgs, lifecycle_policy
from groundwork.naming import Naming
from groundwork.plan.graph import Graph, Resource
from groundwork.plan.runner import run_function
from groundwork.settings.model import RegistrySettings
from tests.helpers import by_name, deps, outside

DATA_KEY = "arn:aws:kms:eu-west-1:111111111111:key/data"
NODE_ROLE = "arn:aws:iam::111111111111:role/groundwork-test-nodes"
ACCOUNT = "111111111111"


def plan_registry(
    naming: Naming = Naming("groundwork", "test"),
    built: Callable[[Registry], None] | None = None,
    dr: bool = False,
    **args: Any,
) -> Graph:
    def body() -> None:
        extra: dict[str, Any] = {}
        if dr:
            extra = {"dr_region": "eu-central-1", "dr_provider": aws.Provider("dr", region="eu-central-1")}
        r = Registry(
            "registry",
            RegistryArgs(
                **{
                    "settings": RegistrySettings.model_validate({"keepReleases": 12, "untaggedDays": 3}),
                    "naming": naming,
                    "services": ["orders", "payments"],
                    "data_key_arn": DATA_KEY,
                    "node_role_arn": NODE_ROLE,
                    "region": "eu-west-1",
                    "account_id": ACCOUNT,
                    **extra,
                    **args,
                }
            ),
        )
        if built is not None:
            built(r)

    return run_function(body, config={"aws:region": "eu-west-1"})


@pytest.fixture(scope="module")
def full() -> Graph:
    return plan_registry(dr=True, node_role_name="groundwork-test-nodes")


def repos(g: Graph) -> dict[str, Resource]:
    return by_name(g, "aws:ecr/repository:Repository")


def test_lifecycle_expires_untagged_images_first_then_keeps_the_newest_releases() -> None:
    """ECR evaluates rules by rulePriority, lowest first (Amazon ECR User Guide, "Lifecycle
    policy properties"): untagged images go after `untaggedDays`, then all but the newest
    `keepReleases` tagged ones."""
    assert lifecycle_policy(12, 3) == {
        "rules": [
            {
                "rulePriority": 1,
                "description": "Expire untagged images after 3 days",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 3,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": "Keep the newest 12 tagged images",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPatternList": ["*"],
                    "countType": "imageCountMoreThan",
                    "countNumber": 12,
                },
                "action": {"type": "expire"},
            },
        ]
    }


def test_a_repository_per_service_immutable_scanned_encrypted_and_kept(full: Graph) -> None:
    """GIT-06/K8S-07: a version is built once and promoted by digest (immutable tags), scanned on
    push, encrypted with the data key; a protected stack keeps its images on destroy."""
    r = repos(full)
    assert sorted(r) == ["registry-orders", "registry-payments"]
    assert r["registry-orders"].props == {
        "name": "groundwork-test/orders",
        "imageTagMutability": "IMMUTABLE",
        "imageScanningConfiguration": {"scanOnPush": True},
        "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": DATA_KEY}],
        "forceDelete": False,
        "tags": {"Service": "orders"},
    }
    for repo in r.values():
        assert repo.options.get("protect") is True and repo.options.get("retainOnDelete") is True
    lifecycles = by_name(full, "aws:ecr/lifecyclePolicy:LifecyclePolicy")
    for service in ("orders", "payments"):
        policy = lifecycles[f"registry-{service}"]
        assert policy.props["repository"] == f"groundwork-test/{service}"
        assert deps(policy, "repository") == [r[f"registry-{service}"].urn]
        assert json.loads(policy.props["policy"]) == lifecycle_policy(12, 3)


def test_an_unprotected_stack_deletes_repositories_with_their_images() -> None:
    """dev: `pulumi destroy` must delete a repository that still holds images (forceDelete)."""
    g = plan_registry(protect=False)
    for repo in repos(g).values():
        assert repo.props["forceDelete"] is True
        assert not repo.options.get("protect") and not repo.options.get("retainOnDelete")


def test_the_nodes_may_pull(full: Graph) -> None:
    policies = by_name(full, "aws:ecr/repositoryPolicy:RepositoryPolicy")
    assert sorted(policies) == ["registry-orders", "registry-payments"]
    assert PULL_ACTIONS == ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    for service, policy in (("orders", policies["registry-orders"]), ("payments", policies["registry-payments"])):
        assert policy.props["repository"] == f"groundwork-test/{service}"
        assert json.loads(policy.props["policy"]) == {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "ClusterNodesPull", "Effect": "Allow", "Principal": {"AWS": NODE_ROLE}, "Action": PULL_ACTIONS}
            ],
        }


def test_pull_through_caches_of_ecr_public_and_quay(full: Graph) -> None:
    """Cached repositories are created by ECR on first pull from a creation template applied to
    PULL_THROUGH_CACHE (Amazon ECR User Guide, "Templates to control repositories created during a
    pull through cache, create on push, or replication action"); a cache follows upstream tags."""
    templates = by_name(full, "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate")
    rules = by_name(full, "aws:ecr/pullThroughCacheRule:PullThroughCacheRule")
    for key, prefix, upstream in (
        ("ecr-public", "groundwork-test-ecr-public", "public.ecr.aws"),
        ("quay", "groundwork-test-quay", "quay.io"),
    ):
        assert templates[f"registry-{key}"].props == {
            "prefix": prefix,
            "description": f"Pull-through cache of {upstream} (platform workloads' public images)",
            "appliedFors": ["PULL_THROUGH_CACHE"],
            "imageTagMutability": "MUTABLE",
            "encryptionConfigurations": [{"encryptionType": "AES256"}],
            "lifecyclePolicy": json.dumps(lifecycle_policy(12, 3)),
        }
        assert rules[f"registry-{key}"].props == {"ecrRepositoryPrefix": prefix, "upstreamRegistryUrl": upstream}
        assert templates[f"registry-{key}"].provider_urn == ""


def test_cache_prefixes_fit_ecrs_30_characters() -> None:
    """ecrRepositoryPrefix is 2-30 characters (Amazon ECR API Reference, CreatePullThroughCacheRule)."""
    g = plan_registry(naming=Naming("groundwork-payments", "production-eu"))
    prefixes = [r.props["ecrRepositoryPrefix"] for r in g.of_type("aws:ecr/pullThroughCacheRule:PullThroughCacheRule")]
    assert len(prefixes) == 2 and len(set(prefixes)) == 2
    assert all(2 <= len(p) <= 30 for p in prefixes), prefixes


def test_the_nodes_may_fill_the_caches_only_under_their_prefixes(full: Graph) -> None:
    """A pull through a cache creates the repository and imports the image as the puller
    (Amazon ECR User Guide, "IAM permissions required to sync an upstream registry with a private
    registry": ecr:CreateRepository and ecr:BatchImportUpstreamImage)."""
    policy = by_name(full, "aws:iam/rolePolicy:RolePolicy")["registry-nodes-pull-through"]
    assert policy.props["role"] == "groundwork-test-nodes"
    assert json.loads(policy.props["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "FillThePullThroughCache",
                "Effect": "Allow",
                "Action": ["ecr:CreateRepository", "ecr:BatchImportUpstreamImage"],
                "Resource": [
                    f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/groundwork-test-ecr-public/*",
                    f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/groundwork-test-quay/*",
                ],
            }
        ],
    }
    assert plan_registry().of_type("aws:iam/rolePolicy:RolePolicy") == []


def test_images_replicate_to_the_dr_region(full: Graph) -> None:
    """DR-06: every image of the stack's repositories (prefix `<project>-<stack>/`) replicates to
    the DR region, where repositories are created on arrival from a REPLICATION template with
    immutable tags."""
    template = by_name(full, "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate")["registry-replicas"]
    assert template.props == {
        "prefix": "groundwork-test",
        "description": "Replicas of groundwork-test images from eu-west-1",
        "appliedFors": ["REPLICATION"],
        "imageTagMutability": "IMMUTABLE",
        "encryptionConfigurations": [{"encryptionType": "AES256"}],
        "lifecyclePolicy": json.dumps(lifecycle_policy(12, 3)),
    }
    assert template.provider_urn == full.one("pulumi:providers:aws").urn
    replication = full.one("aws:ecr/replicationConfiguration:ReplicationConfiguration")
    assert replication.name == "registry-to-dr" and replication.provider_urn == ""
    assert replication.props["replicationConfiguration"] == {
        "rules": [
            {
                "destinations": [{"region": "eu-central-1", "registryId": ACCOUNT}],
                "repositoryFilters": [{"filter": "groundwork-test/", "filterType": "PREFIX_MATCH"}],
            }
        ]
    }


@pytest.mark.parametrize("args", [{}, {"dr_region": "eu-central-1"}])
def test_no_replication_without_a_dr_region_and_its_provider(args: dict[str, Any]) -> None:
    g = plan_registry(**args)
    assert g.of_type("aws:ecr/replicationConfiguration:ReplicationConfiguration") == []
    assert "registry-replicas" not in by_name(g, "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate")


def test_outputs_and_mirrored_image_names(full: Graph) -> None:
    """Images the platform deploys are named through the caches: `<registry>/<prefix>/<image>`."""
    seen: list[str] = []

    def watch(r: Registry) -> None:
        pulumi.Output.all(
            r.registry, r.mirror("docker/library/postgres:17.6-alpine"), r.quay("prometheus/node-exporter:v1")
        ).apply(lambda v: seen.extend(v))

    plan_registry(built=watch)
    registry = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com"
    assert seen == [
        registry,
        f"{registry}/groundwork-test-ecr-public/docker/library/postgres:17.6-alpine",
        f"{registry}/groundwork-test-quay/prometheus/node-exporter:v1",
    ]
    out = full.one("groundwork:registry:Registry").outputs
    assert out["registry"] == registry
    assert out["repositoryUrls"] == {
        s: repos(full)[f"registry-{s}"].outputs["repositoryUrl"] for s in ("orders", "payments")
    }


def test_every_resource_is_the_registrys_child(full: Graph) -> None:
    assert outside(full, "groundwork:registry:Registry") == []
