"""Cross-cutting: providers and tags (GOV-01), names (GOV-03), secrets in the plan (SEC-01)."""

from __future__ import annotations

from groundwork.plan.graph import Graph, is_secret

MANDATORY = {"Environment", "Project", "Owner", "CostCenter", "ManagedBy"}


def test_every_aws_resource_uses_an_explicit_tagged_provider(any_stack: str, graph_of) -> None:
    g: Graph = graph_of(any_stack)
    providers = {p.urn: p for p in g.of_type("pulumi:providers:aws")}
    assert len(providers) == 3  # the stack's region, the DR region, us-east-1 (components/edge.py)
    for p in providers.values():
        tags = p.provider_config["defaultTags"]["tags"]
        assert set(tags) >= MANDATORY and tags["ManagedBy"] == "pulumi" and tags["Environment"] == any_stack
    for r in g.resources:
        if r.custom and r.type.startswith("aws:"):
            assert r.provider_urn in providers, f"{r.urn} does not use Groundwork's AWS provider"


def test_providers_are_pinned_to_the_account_and_regions(prod: Graph) -> None:
    regions = {p.name: p.props["region"] for p in prod.of_type("pulumi:providers:aws")}
    assert regions == {"aws-primary": "eu-west-1", "aws-dr": "eu-central-1", "aws-us-east-1": "us-east-1"}
    for p in prod.of_type("pulumi:providers:aws"):
        assert p.provider_config["allowedAccountIds"] == ["333333333333"]


def test_physical_names_derive_from_project_and_stack(any_stack: str, graph_of) -> None:
    g: Graph = graph_of(any_stack)
    prefix = f"groundwork-{any_stack}"
    explicit = [
        r.props["name"]
        for r in g.resources
        if r.custom and isinstance(r.props.get("name"), str) and r.type.startswith("aws:") and r.type not in DNS_NAMED
    ]
    assert explicit
    for name in explicit:
        assert name.startswith(
            (
                prefix,
                f"alias/{prefix}",
                f"/groundwork/{any_stack}/",
                f"groundwork/{any_stack}/",
                f"/aws/eks/{prefix}/",
                f"/aws/rds/instance/{prefix}-",
                f"aws-waf-logs-{prefix}",  # WAF only logs to groups with this prefix
                f"/aws/route53/{prefix}/",  # the query-log resource policy covers /aws/route53/*
                f"{prefix.replace('-', '_')}_",  # a key-signing key's name takes no hyphen
            )
        ) or r_scoped(name), name
    tags = [
        r.props["tags"]["Name"]
        for r in g.resources
        if isinstance(r.props.get("tags"), dict) and "Name" in r.props["tags"]
    ]
    assert tags and all(t.startswith(prefix) for t in tags)


# a zone is named by its domain and a record by its host name (the pack's SCOPED_NAMES)
DNS_NAMED = ("aws:route53/zone:Zone", "aws:route53/record:Record")


def test_a_stack_in_us_east_1_needs_no_third_provider(graph_of) -> None:
    g: Graph = graph_of("prod", **{"aws:region": "us-east-1"})
    regions = sorted(p.props["region"] for p in g.of_type("pulumi:providers:aws"))
    assert regions == ["eu-central-1", "us-east-1", "us-east-2"]  # Chatbot has no us-east-1 endpoint
    # and the us-east-1 log groups use the stack's own logs key
    assert not [k for k in g.of_type("groundwork:kms:Keys") if k.name == "keys-us-east-1"]


def r_scoped(name: str) -> bool:
    return name == "tagged-resources"  # the backup selection: its name is unique within its plan only


def test_two_stacks_share_no_physical_name(prod: Graph, staging: Graph) -> None:
    def names(g: Graph) -> set[str]:
        return {
            r.props["name"]
            for r in g.resources
            if r.custom
            and r.type.startswith("aws:")  # Kubernetes names live in each stack's own cluster
            and isinstance(r.props.get("name"), str)
            and r.type != "aws:backup/selection:Selection"
        }

    assert not names(prod) & names(staging)


def test_secret_outputs_stay_secret(prod: Graph) -> None:
    assert is_secret(prod.outputs["kubeconfig"])
