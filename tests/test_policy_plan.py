"""The policy pack on the real stacks' offline plans, as `groundwork plan` runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from groundwork.cli import app
from groundwork.plan.graph import Graph, Resource
from groundwork.policy.check import evaluate
from groundwork.policy.report import PolicyReport, offline_secret_check
from tests.conftest import ROOT, stack_config

runner = CliRunner()
_reports: dict[str, tuple[Graph, PolicyReport]] = {}


def report(stack: str) -> tuple[Graph, PolicyReport]:
    if stack not in _reports:
        _reports[stack] = evaluate(stack_config(stack), ROOT / "policies")
    return _reports[stack]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_staging_and_prod_have_no_mandatory_violation(stack: str) -> None:
    _, r = report(stack)
    assert [f"{d.policy}: {r.detail(d)}" for d in r.mandatory] == []


BUILT_FAMILIES = ("NET", "EKS", "GOV", "DB", "CACHE", "DR", "SEC", "K8S", "GIT", "OBS")


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_built_layers_have_no_mandatory_violation(stack: str) -> None:
    _, r = report(stack)
    found = [
        f"{d.policy}: {r.detail(d)}"
        for d in r.mandatory
        if any(c.split("-")[0] in BUILT_FAMILIES for c in r.controls_of(d))
    ]
    assert found == []


def _exemptions(stack: str) -> list[dict]:
    return json.loads(stack_config(stack).config.get("groundwork:exemptions", "[]"))


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_advisory_is_a_documented_relaxation(stack: str) -> None:
    _, r = report(stack)
    undocumented = [f"{d.policy}: {r.detail(d)}" for d in r.advisory if "exempted for this stack" not in d.message]
    assert undocumented == []


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_relaxation_is_still_needed(stack: str) -> None:
    _, r = report(stack)
    used = {c for d in r.advisory for c in r.controls_of(d)}
    assert sorted(e["control"] for e in _exemptions(stack) if e["control"] not in used) == []


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_relaxed_policies_belong_to_their_control(stack: str) -> None:
    import groundwork_policies as pack

    for e in _exemptions(stack):
        for name in e.get("policies", []):
            assert e["control"] in pack.REGISTRY.specs[name].controls, name


def test_offline_secret_check_finds_plain_credentials() -> None:
    g = Graph(project="groundwork", stack="dev")
    g.resources.append(
        Resource(
            urn="urn:x",
            type="aws:rds/instance:Instance",
            name="db",
            custom=True,
            inputs={"password": "hunter2", "passwordKeyId": "k", "masterUserSecretKmsKeyId": "k"},
        )
    )
    found = offline_secret_check(g)
    assert [(d.policy, d.urn, d.message.split("\n")[1]) for d in found] == [
        ("pulumi-inputs-secret-marked", "urn:x", "[SEC-01] input password is plain text")
    ]


def test_the_stacks_send_no_plain_credentials() -> None:
    for stack in ("dev", "prod"):
        graph, _ = report(stack)
        assert offline_secret_check(graph) == []


def test_policy_evaluation_is_fast_enough() -> None:
    _, r = report("prod")
    assert r.analyzed > 50
    assert r.seconds["analyze"] < 10  # the figure itself is measured by bench/policy_benchmark.py


def test_sarif_report_names_rules_and_component_sources(tmp_path: Path) -> None:
    graph, r = report("dev")
    sarif = r.sarif(graph, ROOT)
    run = sarif["runs"][0]
    assert sarif["version"] == "2.1.0" and run["tool"]["driver"]["name"] == "groundwork-policies"
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert len(rule_ids) == 113 and "pulumi-inputs-secret-marked" in rule_ids
    assert len(run["results"]) == len(r.diagnostics)
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert (ROOT / uri).exists(), uri
        assert result["level"] in ("error", "warning")
    net01 = next(x for x in run["results"] if x["ruleId"] == "aws-vpc-require-three-tiers-across-azs")
    assert net01["level"] == "warning"
    assert net01["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "components/network.py"


def test_plan_exits_non_zero_on_a_mandatory_violation(tmp_path: Path) -> None:
    config = tmp_path / "policy.yaml"
    config.write_text("aws-eks-cluster-require-deletion-protection: mandatory\n")
    result = runner.invoke(
        app, ["plan", "--stack", "dev", "--no-tree", "--policy-config", str(config), "-C", str(ROOT)]
    )
    assert result.exit_code == 1, result.output
    assert "mandatory high     EKS-09" in result.output


def test_lowering_a_policy_needs_a_reason(tmp_path: Path) -> None:
    config = tmp_path / "policy.yaml"
    config.write_text("aws-kms-key-require-rotation-and-policy: advisory\n")
    result = runner.invoke(
        app, ["plan", "--stack", "prod", "--no-tree", "--policy-config", str(config), "-C", str(ROOT)]
    )
    assert result.exit_code == 2
    assert "lowering mandatory to advisory needs a `reason` of at least 20 characters" in result.output


def test_sarif_option_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "dev.sarif"
    runner.invoke(app, ["plan", "--stack", "dev", "--no-tree", "--sarif", str(out), "-C", str(ROOT)])
    assert json.loads(out.read_text())["version"] == "2.1.0"


def test_the_report_states_an_exemption_reason_once_and_what_each_exemption_does() -> None:
    """Issue 15: dev printed 50 advisories each repeating its reason, and an exemption that changed
    nothing (or named another control's policy) was accepted silently."""
    from groundwork.policy.analyzer import Diagnostic, PolicyInfo

    reason = "exempted for this stack (GOV-02: nothing in dev is protected so `pulumi destroy` works)"
    diags = [
        Diagnostic("aws-stateful-resource-require-protect", f"[GOV-02] the resource is not protected ({reason})",
                   "advisory", "high", f"urn:pulumi:dev::groundwork::aws:kms/key:Key::keys-{k}")
        for k in ("data", "logs", "secrets")
    ]  # fmt: skip
    policies = [
        PolicyInfo("aws-stateful-resource-require-protect", "", "advisory", "high", ["GOV-02", "tier:prod"]),
        PolicyInfo("aws-vpc-require-three-tiers-across-azs", "", "mandatory", "high", ["NET-01", "tier:all"]),
    ]
    exemptions = [
        {"control": "GOV-02", "reason": "nothing in dev is protected so `pulumi destroy` works"},
        {"control": "NET-01", "policies": ["aws-rds-instance-require-multi-az"], "reason": "a reason long enough"},
    ]
    lines = PolicyReport(
        {"name": "groundwork", "version": "0.1.0"}, policies, diags, "dev", exemptions=exemptions
    ).render()
    assert lines[1] == f"  advisory  high     GOV-02 ({reason})"
    assert lines[2:5] == [
        f"      aws-stateful-resource-require-protect @ keys-{k}: [GOV-02] the resource is not protected"
        for k in ("data", "logs", "secrets")
    ]
    assert (
        "  warning: the exemption of NET-01 names aws-rds-instance-require-multi-az, not a policy of NET-01 "
        "(its policies: aws-vpc-require-three-tiers-across-azs)" in lines
    )
    assert (
        "  note: 1 exemption(s) change nothing in dev, whose tier makes their policies advisory anyway; they only "
        "give the reasons shown: GOV-02" in lines
    )
    # two different notes in one group stay on their findings
    mixed = [
        diags[0],
        Diagnostic(
            diags[1].policy,
            "[GOV-02] the resource is not protected (advisory in dev: mandatory in tier prod)",
            "advisory",
            "high",
            diags[1].urn,
        ),
    ]
    lines = PolicyReport({}, policies, mixed, "dev").render()
    assert lines[1] == "  advisory  high     GOV-02" and lines[2].endswith(f"({reason})")
