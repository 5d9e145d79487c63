"""The pack's servicer (groundwork_policies/server.py) answers exactly as pulumi-policy's own.

Both servicers are built in this process from the same registry and stack context and sent the
engine's requests (groundwork.policy.analyzer.Analyzer.requests): every diagnostic and every
not-applicable entry must be the same, in the same order, on the three real stacks and on every
policy case (the one-change mutants of tests/policies/cases.py).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from groundwork_policies import server
from groundwork_policies.core import StrictDict, StrictList, View
from pulumi_policy import policy as sdk

from groundwork.plan.graph import Graph
from groundwork.policy import inprocess
from groundwork.policy.analyzer import Analyzer
from tests.policies.cases import CASES, Case
from tests.policies.harness import to_graph
from tests.policies.test_policy_cases import WORLD

PACK = Path(__file__).resolve().parents[2] / "policies"
TODAY = inprocess.dt.date(2026, 11, 21)


def both(graph: Graph, config: dict[str, str], only: set[str] | None = None) -> tuple[list, list]:
    out = []
    for stock in (True, False):
        s = inprocess.servicer(PACK, graph.project, graph.stack, config, stock=stock, only=only, today=TODAY)
        out.append([dataclasses.astuple(f) for f in inprocess.findings(s, graph)])
    return out[0], out[1]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_same_answers_as_the_sdk_servicer_on_every_stack(stack: str, request: pytest.FixtureRequest) -> None:
    graph: Graph = request.getfixturevalue(stack)
    from tests.conftest import stack_config

    stock, ours = both(graph, dict(stack_config(stack).config))
    assert ours == stock
    # the comparison covers something: every resource gets an answer from every resource policy
    resource_policies = sum(1 for s in inprocess._load(PACK).REGISTRY.specs.values() if s.kind == "resource")
    assert len([f for f in ours if f[2] == -1]) >= len(Analyzer.analyzed(graph)) * (resource_policies - 10)


def _case_graph(c: Case) -> tuple[Graph, dict[str, str]]:
    world = c.mutate(WORLD)
    return to_graph(world), world.config(c.env)


@pytest.mark.parametrize("c", CASES, ids=[f"{c.policy}[{c.id}]" for c in CASES])
def test_same_answers_as_the_sdk_servicer_on_every_policy_case(c: Case) -> None:
    graph, config = _case_graph(c)
    stock, ours = both(graph, config, only={c.policy})
    assert ours == stock
    reported = [f for f in ours if f[0] == c.policy and f[2] != -1]
    assert reported, "the mutant is caught through the servicer too"


def test_same_answers_with_every_policy_on_the_compliant_world() -> None:
    graph = to_graph(WORLD)
    stock, ours = both(graph, WORLD.config("prod"))
    assert ours == stock
    assert [f for f in ours if f[2] != -1] == []


def test_the_servicer_is_installed_only_for_the_sdk_it_mirrors(monkeypatch: pytest.MonkeyPatch) -> None:
    original = sdk._PolicyAnalyzerServicer
    monkeypatch.setattr(sdk, "_PolicyAnalyzerServicer", original)
    monkeypatch.setattr(server, "VERSION", "1.22.0")
    assert server.install() is False
    assert sdk._PolicyAnalyzerServicer is original  # another SDK: the stock servicer, slower but right
    monkeypatch.setattr(server, "VERSION", server.SDK_VERSION)
    assert server.install() is True
    assert sdk._PolicyAnalyzerServicer is server.Servicer


def test_the_pack_entry_point_installs_the_servicer() -> None:
    main = (PACK / "__main__.py").read_text()
    assert main.index("server.install()") < main.index("PolicyPack(")


def test_the_pinned_sdk_is_the_one_the_servicer_mirrors() -> None:
    pins = (PACK / "requirements.txt").read_text()
    assert f"pulumi-policy=={server.SDK_VERSION}" in pins
    assert server.servicer_is_compatible()


def test_shared_props_cannot_be_changed_by_a_policy() -> None:
    view = View({"tags": {"a": "1"}, "rules": [1, 2]})
    tags, rules = view.get("tags"), view.get("rules")
    assert isinstance(tags, StrictDict) and isinstance(rules, StrictList)
    for change in (
        lambda: tags.__setitem__("b", "2"),
        lambda: tags.pop("a"),
        lambda: tags.update(b="2"),
        lambda: tags.setdefault("b", "2"),
        lambda: rules.append(3),
        lambda: rules.sort(),
        lambda: rules.__setitem__(0, 9),
    ):
        with pytest.raises(TypeError, match="read-only"):
            change()
    assert view.get("tags") == {"a": "1"} and view.get("rules") == [1, 2]
