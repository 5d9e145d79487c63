"""The pack's servicer (groundwork_policies/server.py) answers exactly as pulumi-policy's own.

Both servicers are built in this process from the same registry and stack context and sent the
engine's requests (groundwork.policy.analyzer.Analyzer.requests): every diagnostic and every
not-applicable entry must be the same, in the same order, on the three real stacks and on every
policy case (the one-change mutants of tests/policies/cases.py).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

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


# ---------------------------------------------------------------------------------------------
# The paths the pack's own policies never take: a synthetic pack, both servicers, same answers
# ---------------------------------------------------------------------------------------------

UNKNOWN = (
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown value (pulumi/sdk/go/common/resource/plugin/rpc.go)
)


def _synthetic() -> list[Any]:
    def flag(args: sdk.ResourceValidationArgs, report: sdk.ReportViolation) -> None:
        if args.props.get("open"):
            report(f"{args.name} is open", None)

    async def later(args: sdk.ResourceValidationArgs, report: sdk.ReportViolation) -> None:
        report(f"async: {args.resource_type}", None)

    def unknown(args: sdk.ResourceValidationArgs, report: sdk.ReportViolation) -> None:
        if args.props["size"] > 1:  # unknown during preview: the SDK says it cannot run
            report("too big", None)

    def skip(args: sdk.ResourceValidationArgs, report: sdk.ReportViolation) -> None:
        args.not_applicable("only for buckets" if args.resource_type != "t:a:Bucket" else None)

    def links(args: sdk.StackValidationArgs, report: sdk.ReportViolation) -> None:
        for r in args.resources:
            parent = r.parent.name if r.parent else "-"
            deps = ",".join(d.name for d in r.dependencies)
            prop_deps = {k: [d.name for d in v] for k, v in r.property_dependencies.items()}
            report(f"{r.name} parent={parent} deps={deps} props={prop_deps}", r.urn)

    def stack_skip(args: sdk.StackValidationArgs, report: sdk.ReportViolation) -> None:
        args.not_applicable("nothing to check")

    level = sdk.EnforcementLevel
    resource_policy: Any = sdk.ResourceValidationPolicy
    stack_policy: Any = sdk.StackValidationPolicy
    return [
        resource_policy("flag", "d", flag, level.MANDATORY),
        resource_policy("later", "d", later),
        resource_policy("unknown", "d", unknown, level.MANDATORY),
        resource_policy("skip", "d", skip),
        resource_policy("off", "d", flag, level.DISABLED),
        resource_policy("fix", "d", flag, level.REMEDIATE),
        resource_policy("none", "d", remediate=lambda args: None),
        stack_policy("links", "d", links),
        stack_policy("stack-off", "d", links, level.DISABLED),
        stack_policy("stack-fix", "d", links, level.REMEDIATE),
        stack_policy("stack-skip", "d", stack_skip),
    ]


def _answers(stock: bool, requests: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    from google.protobuf import json_format
    from pulumi.runtime.proto import analyzer_pb2

    cls = sdk._PolicyAnalyzerServicer if stock else server.Servicer
    s = cls("synthetic", "0.0.1", _synthetic(), sdk.EnforcementLevel.ADVISORY)
    s.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(stack="prod", project="p", dry_run=True), None)
    out = []
    for kind, request in requests:
        response = s.Analyze(request, None) if kind == "resource" else s.AnalyzeStack(request, None)
        out.append(json_format.MessageToDict(response))
    return out


def test_same_answers_on_the_paths_the_pack_never_takes() -> None:
    """Async validations, a property unknown during preview, not applicable from the policy,
    disabled and remediating policies, a policy with only a remediation, and a stack policy
    that reads parents, dependencies and property dependencies (of resources in the request
    only): the SDK's servicer and the pack's answer the same, entry for entry."""
    from google.protobuf import struct_pb2
    from pulumi.runtime.proto import analyzer_pb2

    def struct(d: dict[str, object]) -> struct_pb2.Struct:
        s = struct_pb2.Struct()
        s.update(d)
        return s

    def resource(name: str, type_: str, props: dict[str, Any]) -> tuple[str, Any]:
        return (
            "resource",
            analyzer_pb2.AnalyzeRequest(type=type_, properties=struct(props), urn=f"urn:{name}", name=name),
        )

    stack = analyzer_pb2.AnalyzeStackRequest(
        resources=[
            analyzer_pb2.AnalyzerResource(type="t:a:Vpc", properties=struct({}), urn="urn:vpc", name="vpc"),
            analyzer_pb2.AnalyzerResource(
                type="t:a:Bucket",
                properties=struct({"open": True}),
                urn="urn:bucket",
                name="bucket",
                parent="urn:vpc",
                dependencies=["urn:vpc", "urn:elsewhere"],
                propertyDependencies={
                    "vpcId": analyzer_pb2.AnalyzerPropertyDependencies(urns=["urn:vpc", "urn:elsewhere"])
                },
            ),
            analyzer_pb2.AnalyzerResource(
                type="t:a:Key", properties=struct({}), urn="urn:key", name="key", parent="urn:gone"
            ),
        ]
    )
    requests = [
        resource("bucket", "t:a:Bucket", {"open": True, "size": 2}),
        resource("vpc", "t:a:Vpc", {"open": False, "size": UNKNOWN}),
        ("stack", stack),
    ]
    ours, stock = _answers(False, requests), _answers(True, requests)
    assert ours == stock
    bucket, vpc, whole = ours
    messages = [d["message"] for d in bucket["diagnostics"]]
    assert any("bucket is open" in x for x in messages) and any("async: t:a:Bucket" in x for x in messages)
    assert any("can't run policy 'unknown'" in d["message"] for d in vpc["diagnostics"])
    assert {"policyName": "skip", "reason": "only for buckets"} in vpc["notApplicable"]
    stack_messages = [d["message"] for d in whole["diagnostics"]]
    assert any("bucket parent=vpc deps=vpc props={'vpcId': ['vpc']}" in x for x in stack_messages)
    assert any("key parent=- deps= props={}" in x for x in stack_messages)
