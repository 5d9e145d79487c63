"""The Cache component on its own (groundwork.plan.run_function), for what the stack plans do not
show: a stack name long enough that the replication group's ID must be cut (issue 18)."""

from __future__ import annotations

from types import SimpleNamespace

from components.cache import Cache, CacheArgs
from groundwork.dr.names import expected
from groundwork.naming import Naming
from groundwork.plan.graph import Graph
from groundwork.plan.runner import run_function
from groundwork.settings.model import CacheSettings

LONG = Naming("groundwork", "preview-pr-1234-feature-x")


def plan_cache(naming: Naming) -> Graph:
    def body() -> None:
        Cache(
            "cache",
            CacheArgs(
                settings=CacheSettings.model_validate({}),
                naming=naming,
                vpc_id="vpc-1",
                database_subnet_ids=["subnet-d0", "subnet-d1"],
                cluster_security_group_id="sg-cluster",
                data_key_arn="arn:aws:kms:eu-west-1:111111111111:key/data",
                secrets_key_arn="arn:aws:kms:eu-west-1:111111111111:key/secrets",
                logs_key_arn="arn:aws:kms:eu-west-1:111111111111:key/logs",
                log_retention_days=30,
            ),
        )

    return run_function(body, config={"aws:region": "eu-west-1"})


def test_a_long_stack_name_gives_a_group_id_elasticache_accepts_and_dr_finds() -> None:
    """A replication group ID is 1-40 characters (ElastiCache API reference, CreateReplicationGroup,
    ReplicationGroupId); `groundwork-preview-pr-1234-feature-x-cache` has 42, so it keeps its start
    and ends in a hash. `groundwork dr status` and `dr plan` look the cache up by the same ID."""
    assert len(f"{LONG.prefix}-cache") == 42
    group = plan_cache(LONG).one("aws:elasticache/replicationGroup:ReplicationGroup")
    group_id = group.props["replicationGroupId"]
    assert len(group_id) == 40 and group_id.startswith("groundwork-preview-pr-1234-featur-")
    stack = SimpleNamespace(
        project=LONG.project, stack=LONG.stack, region="eu-west-1", dr_region="eu-central-1",
        backups=SimpleNamespace(adopt_bucket=None),
    )  # fmt: skip
    assert expected(stack, "111111111111").cache == group_id  # type: ignore[arg-type]
