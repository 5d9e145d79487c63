"""Container registry: one ECR repository per service (GIT-06, K8S-07).

Behaviour: repository `<project>-<stack>/<service>`, tags immutable
(a version is built once and promoted by digest, never overwritten), scan on push, encrypted
with the `data` KMS key. A lifecycle policy expires untagged images after `untaggedDays` and
keeps the newest `keepReleases` tagged ones. A repository policy lets the cluster's node role
pull, and nothing else in the account push except through IAM (CI's role, issue 9).
`forceDelete` only when the stack is not protected (dev), so `pulumi destroy` of dev works.
The Kyverno policy `restrict-image-registries` admits only images of `registry` below. With
`replicateToDr`, ECR replicates every image of the stack's repositories to the DR region (the
registry's replication configuration is one per account and region: one stack per account).

Pull-through caches of ECR Public (`<prefix>-ecr-public/...` mirrors `public.ecr.aws/...`)
and quay.io (`<prefix>-quay/...`) serve the public images of the workloads the program itself
deploys (psql for the database bootstrap, the metrics exporters), so those pull only from the
stack's registry and pass the same image rule as the services. Cached repositories are created by
ECR on first pull from a creation template (AES-256, untagged images expire); the node role
may create and import only under that prefix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.options import kept
from groundwork.naming import Naming
from groundwork.settings.model import RegistrySettings

PULL_ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]


def lifecycle_policy(keep_releases: int, untagged_days: int) -> dict:
    """ECR lifecycle rules: lower priority numbers are evaluated first."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Expire untagged images after {untagged_days} days",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": untagged_days,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Keep the newest {keep_releases} tagged images",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPatternList": ["*"],
                    "countType": "imageCountMoreThan",
                    "countNumber": keep_releases,
                },
                "action": {"type": "expire"},
            },
        ]
    }


@dataclass(frozen=True)
class RegistryArgs:
    settings: RegistrySettings
    naming: Naming
    services: list[str]
    data_key_arn: pulumi.Input[str]
    node_role_arn: pulumi.Input[str]
    region: str
    account_id: pulumi.Input[str]
    node_role_name: pulumi.Input[str] | None = None
    dr_region: str | None = None  # replicate every image there
    dr_provider: aws.Provider | None = None
    protect: bool = True


class Registry(pulumi.ComponentResource):
    """`groundwork:registry:Registry`."""

    registry: pulumi.Output[str]
    repository_urls: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:registry:Registry", name, None, opts)
        s = args.settings
        self.repository_urls = {}
        self.repository_arns: dict[str, pulumi.Output[str]] = {}
        for service in args.services:
            repo = aws.ecr.Repository(
                f"{name}-{service}",
                name=f"{args.naming.prefix}/{service}",
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
                encryption_configurations=[
                    aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=args.data_key_arn)
                ],
                force_delete=not args.protect,
                tags={"Service": service},
                opts=kept(self, args.protect),  # images survive a destroy of a protected stack
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-{service}",
                repository=repo.name,
                policy=json.dumps(lifecycle_policy(s.keep_releases, s.untagged_days)),
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.ecr.RepositoryPolicy(
                f"{name}-{service}",
                repository=repo.name,
                policy=pulumi.Output.from_input(args.node_role_arn).apply(
                    lambda arn: json.dumps(
                        {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Sid": "ClusterNodesPull",
                                    "Effect": "Allow",
                                    "Principal": {"AWS": arn},
                                    "Action": PULL_ACTIONS,
                                }
                            ],
                        }
                    )
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.repository_urls[service] = repo.repository_url
            self.repository_arns[service] = repo.arn
        self.registry = pulumi.Output.concat(args.account_id, f".dkr.ecr.{args.region}.amazonaws.com")

        # pull-through caches: ECR Public (no credentials) and quay.io (no credentials)
        self.mirror_prefixes = {
            "ecr-public": (args.naming.physical("ecr-public", kind="ecr-prefix"), "public.ecr.aws"),
            "quay": (args.naming.physical("quay", kind="ecr-prefix"), "quay.io"),
        }
        for key, (prefix, upstream) in self.mirror_prefixes.items():
            aws.ecr.RepositoryCreationTemplate(
                f"{name}-{key}",
                prefix=prefix,
                description=f"Pull-through cache of {upstream} (platform workloads' public images)",
                applied_fors=["PULL_THROUGH_CACHE"],
                image_tag_mutability="MUTABLE",  # the cache follows upstream tags
                encryption_configurations=[
                    aws.ecr.RepositoryCreationTemplateEncryptionConfigurationArgs(encryption_type="AES256")
                ],
                lifecycle_policy=json.dumps(lifecycle_policy(s.keep_releases, s.untagged_days)),
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.ecr.PullThroughCacheRule(
                f"{name}-{key}",
                ecr_repository_prefix=prefix,
                upstream_registry_url=upstream,
                opts=pulumi.ResourceOptions(parent=self),
            )
        if args.node_role_name is not None:
            aws.iam.RolePolicy(
                f"{name}-nodes-pull-through",
                role=args.node_role_name,
                policy=pulumi.Output.from_input(args.account_id).apply(
                    lambda account: json.dumps(
                        {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Sid": "FillThePullThroughCache",
                                    "Effect": "Allow",
                                    "Action": ["ecr:CreateRepository", "ecr:BatchImportUpstreamImage"],
                                    "Resource": [
                                        f"arn:aws:ecr:{args.region}:{account}:repository/{prefix}/*"
                                        for prefix, _ in self.mirror_prefixes.values()
                                    ],
                                }
                            ],
                        }
                    )
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        if args.dr_region and args.dr_provider is not None:
            # images must exist where a DR rebuild runs: replicate the stack's repositories there,
            # created on arrival from this template (immutable tags, scanned like the source)
            aws.ecr.RepositoryCreationTemplate(
                f"{name}-replicas",
                prefix=args.naming.prefix,
                description=f"Replicas of {args.naming.prefix} images from {args.region}",
                applied_fors=["REPLICATION"],
                image_tag_mutability="IMMUTABLE",
                encryption_configurations=[
                    aws.ecr.RepositoryCreationTemplateEncryptionConfigurationArgs(encryption_type="AES256")
                ],
                lifecycle_policy=json.dumps(lifecycle_policy(s.keep_releases, s.untagged_days)),
                opts=pulumi.ResourceOptions(parent=self, provider=args.dr_provider),
            )
            aws.ecr.ReplicationConfiguration(
                f"{name}-to-dr",
                replication_configuration=aws.ecr.ReplicationConfigurationReplicationConfigurationArgs(
                    rules=[
                        aws.ecr.ReplicationConfigurationReplicationConfigurationRuleArgs(
                            destinations=[
                                aws.ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArgs(
                                    region=args.dr_region, registry_id=args.account_id
                                )
                            ],
                            repository_filters=[
                                aws.ecr.ReplicationConfigurationReplicationConfigurationRuleRepositoryFilterArgs(
                                    filter=f"{args.naming.prefix}/", filter_type="PREFIX_MATCH"
                                )
                            ],
                        )
                    ]
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"registry": self.registry, "repositoryUrls": self.repository_urls})

    def mirror(self, image: str, upstream: str = "ecr-public") -> pulumi.Output[str]:
        """`image` of public.ecr.aws (e.g. docker/library/postgres:17.6-alpine), or of quay.io with
        upstream="quay", through the stack's pull-through cache."""
        return pulumi.Output.concat(self.registry, "/", self.mirror_prefixes[upstream][0], "/", image)

    def quay(self, image: str) -> pulumi.Output[str]:
        return self.mirror(image, "quay")
