"""Regions: every AWS service the program uses exists in the region it is used in: the stack's
region, its DR region, and the DR rebuild's region (issue 13, mechanism "Regions").

On the landed code a DR rebuild of prod in eu-central-1 created the AWS Chatbot configuration in
eu-central-1, where Chatbot has no API endpoint (AWS General Reference, "Amazon Q Developer in
chat applications endpoints": us-east-2, us-west-2, eu-west-1, ap-southeast-1)."""

from __future__ import annotations

from groundwork import regions
from groundwork.plan.graph import Graph
from tests.conftest import stack_config


def used(g: Graph) -> dict[str, set[str]]:
    """aws module -> regions it is used in (by each resource's own provider)."""
    out: dict[str, set[str]] = {}
    for r in g.resources:
        if not r.custom or not r.type.startswith("aws:"):
            continue
        provider = g.by_urn.get(r.provider_urn)
        region = provider.provider_config.get("region") if provider else None
        assert region, f"{r.name} has no explicit regional provider"
        out.setdefault(r.type.split(":")[1].split("/")[0], set()).add(str(region))
    return out


def dr_rebuild(graph_of, stack: str = "prod") -> Graph:
    """The stack as `groundwork dr plan` writes it: the same settings in the DR region (restore
    inputs aside, which use the same services)."""
    cfg = stack_config(stack)
    dr, primary = cfg.config["groundwork:drRegion"], cfg.config["aws:region"]
    # the DR stack requests its own certificate there (components/edge.py)
    return graph_of(stack, **{"aws:region": dr, "drRegion": primary})


def test_every_service_exists_where_each_stack_uses_it(any_stack: str, graph_of) -> None:
    u = used(graph_of(any_stack))
    assert "eu-west-1" in u["eks"] and u["iam"]  # the table is consulted for every module used
    assert list(regions.missing(u)) == []


def test_the_dr_rebuild_uses_only_services_of_the_dr_region(graph_of) -> None:
    g = dr_rebuild(graph_of)
    u = used(g)
    assert list(regions.missing(u)) == []
    assert u["chatbot"] == {"us-east-2"}  # eu-central-1 has no Chatbot API: the console's region
    assert "eu-central-1" in u["eks"] and "eu-central-1" in u["serverlessrepository"]


def test_seeded_mistake_chatbot_in_a_region_without_it() -> None:
    assert list(regions.missing({"chatbot": {"eu-central-1"}})) == [
        "aws:chatbot in eu-central-1: the service has no endpoint there "
        "(https://docs.aws.amazon.com/general/latest/gr/chatbot.html)"
    ]
    assert list(regions.missing({"appflow": {"eu-west-1"}})) == [
        "aws:appflow: not in groundwork/regions.py (add where the service exists, with its source)"
    ]


def test_chatbot_region() -> None:
    assert regions.chatbot_region("eu-west-1") == "eu-west-1"
    assert regions.chatbot_region("eu-central-1") == "us-east-2"
