"""Account prerequisites (issue 13, defect 5): no key policy names a principal that may not exist.

The landed `data` key policy named AWSServiceRoleForAutoScaling by a constructed ARN; on a fresh
account (no Auto Scaling group ever created) that role does not exist and CreateKey fails with
an invalid principal. Now the role is a resource of the stack (unless the account already has it)
and the keys take its ARN from that resource, so the engine creates them after it."""

from __future__ import annotations

import json

from groundwork.plan.graph import Graph
from tests.helpers import by_name

SLR = "aws:iam/serviceLinkedRole:ServiceLinkedRole"
KEY = "aws:kms/key:Key"


def principals(doc: dict) -> set[str]:
    out = set()
    for st in doc["Statement"]:
        p = st.get("Principal", {})
        for v in p.values() if isinstance(p, dict) else [p]:
            out.update([v] if isinstance(v, str) else v)
    return out


def test_fresh_account_creates_the_role_before_the_keys_that_name_it(any_stack: str, graph_of) -> None:
    g: Graph = graph_of(any_stack)
    role = g.one(SLR)
    assert role.props["awsServiceName"] == "autoscaling.amazonaws.com"
    assert role.options.get("retainOnDelete") is True
    data_keys = [k for k in g.of_type(KEY) if k.props["tags"]["Purpose"] == "data"]
    assert data_keys
    for key in data_keys:
        assert role.outputs["arn"] in principals(json.loads(key.props["policy"]))
        assert role.urn in key.property_dependencies["policy"]  # the engine orders the key after the role


def test_every_iam_principal_a_key_policy_names_exists_or_is_created(any_stack: str, graph_of) -> None:
    """Account roots always exist; any other IAM role ARN must be an output of a resource in the stack."""
    g: Graph = graph_of(any_stack)
    created = {r.outputs.get("arn") for r in g.resources if r.type in (SLR, "aws:iam/role:Role")}
    for key in g.of_type(KEY):
        for p in principals(json.loads(key.props["policy"])):
            if p.startswith("arn:aws:iam::") and not p.endswith(":root"):
                assert p in created, (key.name, p)


def test_an_account_that_has_the_role_names_it_without_creating_it(graph_of) -> None:
    g: Graph = graph_of("prod", existingServiceLinkedRoles=["autoscaling.amazonaws.com"])
    assert g.of_type(SLR) == []
    key = by_name(g, KEY)["keys-data"]
    assert (
        "arn:aws:iam::333333333333:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
        in principals(json.loads(key.props["policy"]))
    )
