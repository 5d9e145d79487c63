"""The shared builders on their own (groundwork.plan.run_function): a manifest as its typed
Kubernetes resource or a CustomResource, a Helm release of a pinned chart, and the stack's AWS
providers per region, without planning a stack (issue 18)."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.kube import TYPED, apply, release
from components.providers import AwsProviders, AwsProvidersArgs, account_and_partition, aws_providers
from groundwork.charts import chart
from groundwork.plan.graph import Graph
from groundwork.plan.runner import run_function

TAGS = {"Environment": "prod", "Project": "groundwork", "ManagedBy": "pulumi"}


def plan(body: Any) -> Graph:
    return run_function(body, config={"aws:region": "eu-west-1"})


@pytest.mark.parametrize(("api_version", "kind"), sorted(TYPED))
def test_a_core_kind_becomes_its_typed_resource(api_version: str, kind: str) -> None:
    """Typed resources get the provider's schema-aware diff (e.g. a Deployment's rollout) that a
    generic CustomResource does not; the type token names the group, version and kind."""
    manifest: dict[str, Any] = {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": "x", "labels": {"team": "a"}},
    }
    if kind == "Deployment":
        manifest["spec"] = {
            "selector": {"matchLabels": {"app": "x"}},
            "template": {"metadata": {"labels": {"app": "x"}}},
        }

    def body() -> None:
        apply("thing", manifest, pulumi.ResourceOptions())

    g = plan(body)
    group, version = api_version.split("/") if "/" in api_version else ("core", api_version)
    r = g.resources[-1]
    assert r.type == f"kubernetes:{group}/{version}:{kind}"
    assert r.name == "thing"
    assert r.props["metadata"] == {"name": "x", "labels": {"team": "a"}}
    assert r.props.get("apiVersion", api_version) == api_version and r.props.get("kind", kind) == kind


def test_a_crd_kind_becomes_a_custom_resource_with_its_body() -> None:
    manifest = {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": "orders", "namespace": "orders"},
        "spec": {"refreshInterval": "1h"},
    }

    def body() -> None:
        apply("orders-secret", manifest, pulumi.ResourceOptions())

    r = plan(body).resources[-1]
    assert r.type == "kubernetes:external-secrets.io/v1:ExternalSecret"
    assert r.props == {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": "orders", "namespace": "orders"},
        "spec": {"refreshInterval": "1h"},
    }


def test_a_release_is_the_pinned_chart_atomic_in_a_namespace_it_does_not_create() -> None:
    """Exact version from the chart's https repository (groundwork/charts.py); a failed upgrade
    rolls back (atomic) and cleans up what it created; Helm never creates the namespace (the
    program owns it, with its Pod Security labels); ten revisions kept."""
    c = chart("kyverno")

    def body() -> None:
        release("kyverno", "kyverno", namespace="kyverno", values={"replicaCount": 3}, opts=pulumi.ResourceOptions())

    r = plan(body).one("kubernetes:helm.sh/v3:Release")
    assert r.props == {
        "name": "kyverno",
        "chart": c.name,
        "version": c.version,
        "repositoryOpts": {"repo": c.repo},
        "namespace": "kyverno",
        "createNamespace": False,
        "values": {"replicaCount": 3},
        "atomic": True,
        "cleanupOnFail": True,
        "maxHistory": 10,
        "timeout": 600,
        "compat": "true",  # set by pulumi-kubernetes' SDK on every Release
    }
    assert c.repo.startswith("https://")


def test_a_release_may_be_renamed_and_given_longer() -> None:
    def body() -> None:
        release(
            "policies",
            "kyverno",
            namespace="kyverno",
            values={},
            opts=pulumi.ResourceOptions(),
            release_name="kyverno-policies",
            timeout_seconds=900,
        )

    r = plan(body).one("kubernetes:helm.sh/v3:Release")
    assert (r.name, r.props["name"], r.props["timeout"]) == ("policies", "kyverno-policies", 900)


# --------------------------------------------------------------------------------------------- providers


def plan_providers(region: str, account_id: str | None = None) -> tuple[Graph, list[AwsProviders]]:
    held: list[AwsProviders] = []

    def body() -> None:
        held.append(
            aws_providers(
                "aws", AwsProvidersArgs(region=region, dr_region="eu-central-1", tags=TAGS, account_id=account_id)
            )
        )

    return plan(body), held


def provider_regions(g: Graph) -> dict[str, str]:
    return {p.name: p.provider_config["region"] for p in g.of_type("pulumi:providers:aws")}


def test_primary_and_dr_providers_tag_everything_and_pin_the_account() -> None:
    """GOV-01: every AWS resource carries the default tags; with `accountId` the provider refuses
    to deploy to any other account (allowedAccountIds)."""
    g, [p] = plan_providers("eu-west-1", account_id="111111111111")
    assert provider_regions(g) == {"aws-primary": "eu-west-1", "aws-dr": "eu-central-1", "aws-us-east-1": "us-east-1"}
    for provider in g.of_type("pulumi:providers:aws"):
        config = provider.provider_config
        assert config["defaultTags"] == {"tags": TAGS}, provider.name
        assert config["allowedAccountIds"] == ["111111111111"], provider.name
    assert p.chatbot is p.primary  # eu-west-1 has the Chatbot API


def test_no_account_pin_unless_given() -> None:
    g, _ = plan_providers("eu-west-1")
    assert all("allowedAccountIds" not in p.provider_config for p in g.of_type("pulumi:providers:aws"))


def test_chatbot_goes_to_ohio_where_the_region_has_no_chatbot_api() -> None:
    """AWS Chatbot's API exists in us-east-2, us-west-2, eu-west-1 and ap-southeast-1 only."""
    g, [p] = plan_providers("eu-central-2")
    assert provider_regions(g)["aws-chatbot"] == "us-east-2"
    assert p.chatbot is not p.primary


def test_us_east_1_reuses_the_primary_provider_there() -> None:
    g, [p] = plan_providers("us-east-1")
    assert p.us_east_1 is p.primary
    assert provider_regions(g) == {"aws-primary": "us-east-1", "aws-dr": "eu-central-1", "aws-chatbot": "us-east-2"}


def test_the_account_and_partition_come_from_the_components_provider() -> None:
    """A DR component asks its own region's provider who it deploys as."""

    def body() -> None:
        dr = aws.Provider("dr", region="eu-central-1")
        holder = pulumi.ComponentResource("groundwork:test:Holder", "holder", opts=pulumi.ResourceOptions(provider=dr))
        account_and_partition(holder)

    g = plan(body)
    dr = g.one("pulumi:providers:aws", "dr").urn
    asked = {i["token"]: i["provider"] for i in g.invokes}
    assert set(asked) == {"aws:index/getCallerIdentity:getCallerIdentity", "aws:index/getPartition:getPartition"}
    assert all(p.startswith(dr) for p in asked.values()), asked
