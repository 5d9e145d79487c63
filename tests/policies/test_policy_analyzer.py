"""The pack through the real Analyzer gRPC path, started as the Pulumi CLI starts a Python pack.

`python -u -m pulumi.policy <engine-address> .` in policies/, with PULUMI_PROJECT, PULUMI_STACK,
PULUMI_DRY_RUN and PULUMI_CONFIG set; then GetAnalyzerInfo, Configure, ConfigureStack, Analyze
(every resource) and AnalyzeStack.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from groundwork.plan.graph import RESOURCE_SIG, SIG, UNKNOWN
from groundwork.policy.analyzer import Analyzer, properties_json
from tests.policies.cases import patch, remove
from tests.policies.harness import World, to_graph
from tests.policies.world import build

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "policies"


def analyzer(world: World, env: str, config: dict[str, str] | None = None) -> Analyzer:
    cfg = {**world.config(env), **(config or {})}
    a = Analyzer(
        PACK, project="groundwork", stack=world.stack, config=cfg, extra_env={"GROUNDWORK_TODAY": "2026-11-21"}
    )
    a.connect()
    a.configure_stack()
    return a


@pytest.fixture(scope="module")
def prod() -> Iterator[Analyzer]:
    a = analyzer(build(), "prod")
    yield a
    a.close()


def test_the_pack_starts_like_the_cli_starts_it(prod: Analyzer) -> None:
    assert prod.process.args[1:4] == ["-u", "-m", "pulumi.policy"] and prod.process.args[-1] == "."
    assert Path(prod.process.args[4].split(":")[0]) != PACK  # the engine address, then the pack directory
    info, policies = prod.info()
    assert info["name"] == "groundwork" and info["supportsConfig"] is True
    assert len(policies) == 112
    for p in policies:
        assert p.controls and p.tier in ("all", "stg+", "prod") and p.remediation and p.severity != "unspecified"


def test_compliant_world_has_no_diagnostics(prod: Analyzer) -> None:
    diagnostics, calls = prod.analyze(to_graph(build()))
    assert diagnostics == [] and calls > 150


def test_violations_come_back_with_policy_level_and_urn(prod: Analyzer) -> None:
    world = remove("trail")(patch("db", "multiAz", False)(build()))
    diagnostics, _ = prod.analyze(to_graph(world))
    found = {(d.policy, d.level, d.urn.rsplit("::", 1)[-1]) for d in diagnostics}
    assert found == {
        ("aws-rds-instance-require-multi-az", "mandatory", "db"),
        ("aws-cloudtrail-require-audited-management-events", "mandatory", ""),
    }
    multi_az = next(d for d in diagnostics if d.policy == "aws-rds-instance-require-multi-az")
    assert (
        multi_az.message == "Databases run Multi-AZ (a synchronous standby in another AZ).\n[DB-02] multiAz is not true"
    )
    assert multi_az.severity == "high"


def test_unknown_values_are_reported_as_cannot_run(prod: Analyzer) -> None:
    world = patch("db", "multiAz", "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7")(build())  # an unknown boolean
    diagnostics, _ = prod.analyze(to_graph(world))
    assert len(diagnostics) == 1
    d = diagnostics[0]
    assert d.policy == "aws-rds-instance-require-multi-az" and d.level == "advisory"
    assert "during preview: boolean value at .multiAz can't be known during preview" in d.message


def test_tier_comes_from_the_stack_config() -> None:
    world = remove("trail")(patch("db", "multiAz", False)(build()))
    for app in ("app-api-gateway", "app-orders"):  # staging syncs automatically (GIT-03)
        world = patch(app, "spec.syncPolicy.automated", {"prune": True, "selfHeal": True})(world)
    a = analyzer(world, "staging")
    try:
        levels = {d.policy: d.level for d in a.analyze(to_graph(world))[0]}
    finally:
        a.close()
    assert levels == {
        "aws-rds-instance-require-multi-az": "mandatory",
        "aws-cloudtrail-require-audited-management-events": "advisory",
    }


def test_exemption_and_policy_config_reasons_show_in_messages() -> None:
    world = remove("trail")(patch("db", "multiAz", False)(build()))
    exemption = [{"control": "SEC-07", "reason": "the organisation trail covers this account"}]
    a = analyzer(world, "prod", {"groundwork:exemptions": json.dumps(exemption)})
    try:
        a.configure(
            {
                "aws-rds-instance-require-multi-az": {
                    "enforcementLevel": "advisory",
                    "reason": "migration window approved by change CHG-1234",
                }
            }
        )
        diagnostics = {d.policy: d for d in a.analyze(to_graph(world))[0]}
    finally:
        a.close()
    trail = diagnostics["aws-cloudtrail-require-audited-management-events"]
    assert (
        trail.level == "advisory"
        and "exempted for this stack (SEC-07: the organisation trail covers this account)" in trail.message
    )
    db = diagnostics["aws-rds-instance-require-multi-az"]
    assert db.level == "advisory" and "enforcement changed: migration window approved by change CHG-1234" in db.message


def test_resource_references_reach_the_pack_as_ids() -> None:
    g = to_graph(build())
    node_group = next(r for r in g.resources if r.name == "nodes")
    node_group.inputs["cluster"] = {
        SIG: RESOURCE_SIG,
        "urn": "urn:pulumi:prod::groundwork::eks:index:Cluster::eks",
        "id": "",
    }
    node_group.inputs["role"] = {SIG: RESOURCE_SIG, "urn": g.resources[3].urn, "id": "role-id"}
    node_group.inputs["subnetIds"] = ["subnet-1", UNKNOWN]
    props = properties_json(node_group, g)
    assert props["cluster"] == "eks-id"  # the engine sends a component's reference as its URN; ours carries an id
    assert props["role"] == "role-id" and props["subnetIds"] == ["subnet-1", UNKNOWN]
