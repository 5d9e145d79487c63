"""IAM sufficiency: where upstream publishes a reference policy, the role grants at least it
(issue 13, defect 4). A policy can be valid and still insufficient: the load balancer controller
v3.5.0 tags the listeners and rules it creates, and without those statements CreateListener is
denied, the Ingress never gets an address and the release's wait fails."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from components.ingress import controller_statements
from groundwork import iam
from groundwork.charts import chart
from groundwork.plan.graph import Graph
from tests.helpers import by_name

REFERENCES = {
    # role policy (by resource name) -> reference file in ../shared/reference/iam and the chart it goes with
    "ingress-controller-policy": ("aws-load-balancer-controller-v3.5.0.json", "aws-load-balancer-controller"),
}


def reference(shared: Path, name: str) -> dict:
    return json.loads((shared / "reference" / "iam" / name).read_text())


def test_references_match_the_pinned_releases() -> None:
    for file, chart_name in REFERENCES.values():
        assert file.endswith(f"-v{chart(chart_name).version}.json"), "re-read the reference policy after an upgrade"


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_controller_role_grants_the_reference_policy(shared: Path, graph_of, stack: str) -> None:
    g: Graph = graph_of(stack)
    policies = by_name(g, "aws:iam/rolePolicy:RolePolicy")
    for policy_name, (file, _) in REFERENCES.items():
        granted = json.loads(policies[policy_name].props["policy"])
        assert iam.missing_grants(granted, reference(shared, file)) == []


def test_seeded_mistake_the_landed_statements_miss_listener_tags(shared: Path) -> None:
    """The landed policy lacked the v3.5.0 listener/rule tagging and SetRulePriorities."""
    ours = {"Version": "2012-10-17", "Statement": controller_statements()}
    ref = reference(shared, REFERENCES["ingress-controller-policy"][0])
    assert iam.missing_grants(ours, ref) == []
    landed = copy.deepcopy(ours)
    landed["Statement"] = [st for st in landed["Statement"] if st.get("Sid") != "TagListenersAndRules"]
    for st in landed["Statement"]:
        if st.get("Sid") == "ListenerUpdates":
            st["Action"].remove("elasticloadbalancing:SetRulePriorities")
    missing = iam.missing_grants(landed, ref)
    assert "elasticloadbalancing:SetRulePriorities on *" in missing
    assert "elasticloadbalancing:AddTags on arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*" in missing


def test_missing_grants_semantics() -> None:
    ref = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["ec2:DeleteTags"],
                "Resource": "arn:aws:ec2:*:*:security-group/*",
                "Condition": {"Null": {"aws:ResourceTag/x": "false"}},
            }
        ]
    }
    broader = {"Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}
    narrower_resource = {
        "Statement": [{"Effect": "Allow", "Action": "ec2:DeleteTags", "Resource": "arn:aws:ec2:*:*:instance/*"}]
    }
    extra_condition = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "ec2:DeleteTags",
                "Resource": "*",
                "Condition": {"Null": {"aws:ResourceTag/x": "false"}, "Bool": {"aws:SecureTransport": "true"}},
            }
        ]
    }
    assert iam.missing_grants(broader, ref) == []
    assert iam.missing_grants(narrower_resource, ref)
    assert iam.missing_grants(extra_condition, ref)
    assert iam.missing_grants(
        {"Statement": [*broader["Statement"], {"Effect": "Deny", "Action": "*", "Resource": "*"}]}, ref
    )


# Minimal policies published in documentation pages rather than files (our record of them, with
# the page; `<bucket>` stands for the role's own bucket).
DOCUMENTED = {
    "telemetry-tempo-policy": (
        "https://grafana.com/docs/tempo/latest/configuration/hosted-storage/s3/",
        [
            "s3:PutObject",
            "s3:GetObject",
            "s3:ListBucket",
            "s3:DeleteObject",
            "s3:GetObjectTagging",
            "s3:PutObjectTagging",
        ],
    ),
}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_tempo_role_grants_the_documented_minimal_policy(graph_of, stack: str) -> None:
    """On the landed code Tempo's role lacked the object tagging actions Tempo's documentation lists."""
    g: Graph = graph_of(stack)
    policies = by_name(g, "aws:iam/rolePolicy:RolePolicy")
    for name, (_page, actions) in DOCUMENTED.items():
        granted = json.loads(policies[name].props["policy"])
        bucket = next(r for st in granted["Statement"] for r in st["Resource"] if ":s3:::" in r and "/" not in r)
        reference = {
            "Statement": [
                {"Effect": "Allow", "Action": [a], "Resource": bucket if a == "s3:ListBucket" else f"{bucket}/*"}
                for a in actions
            ]
        }
        assert iam.missing_grants(granted, reference) == []
