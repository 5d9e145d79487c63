"""The pack's servicer (groundwork_policies/server.py) answers exactly as pulumi-policy's own.

Both servicers are built in this process from the same registry and stack context and sent the
engine's requests (groundwork.policy.analyzer.Analyzer.requests): every diagnostic and every
not-applicable entry must be the same, in the same order, on the three real stacks and on every
policy case (the one-change mutants of tests/policies/cases.py).
"""

from __future__ import annotations

import contextvars
import dataclasses
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime.config
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
TAGS = {"team": "platform"}


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

    def context(args: sdk.ResourceValidationArgs | sdk.StackValidationArgs, report: sdk.ReportViolation) -> None:
        """What a policy may read besides the resources: the stack's tags (ConfigureStack) and the
        engine's runtime settings and config (the servicer applies them before each request)."""
        runtime = (pulumi.get_project(), pulumi.get_stack(), pulumi.runtime.is_dry_run())
        report(f"tags={sorted(args.stack_tags.items())} runtime={runtime} x={pulumi.Config('s').get('x')}", None)

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
        resource_policy("context", "d", context),
        stack_policy("stack-context", "d", context),
    ]


def _answers(stock: bool, requests: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    from google.protobuf import json_format
    from pulumi.runtime.proto import analyzer_pb2

    cls = sdk._PolicyAnalyzerServicer if stock else server.Servicer
    s = cls("synthetic", "0.0.1", _synthetic(), sdk.EnforcementLevel.ADVISORY)
    configure = analyzer_pb2.AnalyzerStackConfigureRequest(stack="prod", project="p", dry_run=True, tags=TAGS)
    s.ConfigureStack(configure, None)
    out = []
    for kind, request in requests:
        # what an earlier request (or test) left in the runtime must not answer for this one
        pulumi.runtime.configure(pulumi.runtime.Settings(project="stale", stack="stale", dry_run=False))
        pulumi.runtime.config.CONFIG.get().pop("s:x", None)
        response = s.Analyze(request, None) if kind == "resource" else s.AnalyzeStack(request, None)
        out.append(json_format.MessageToDict(response))
    return out


@pytest.fixture
def engine_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment the CLI gives an analyzer plugin: the stack, preview or update, the config."""
    monkeypatch.setenv("PULUMI_PROJECT", "groundwork")
    monkeypatch.setenv("PULUMI_STACK", "prod")
    monkeypatch.setenv("PULUMI_DRY_RUN", "true")
    monkeypatch.setenv("PULUMI_CONFIG", '{"s:x": "from-the-engine"}')


def isolated(stock: bool, requests: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """_answers in a context of its own: the runtime settings and config the servicer sets (context
    variables) do not reach other tests."""

    def run() -> list[dict[str, Any]]:
        pulumi.runtime.config.CONFIG.set({})
        return _answers(stock, requests)

    return contextvars.copy_context().run(run)


def test_same_answers_on_the_paths_the_pack_never_takes(engine_env: None) -> None:
    """Async validations, a property unknown during preview, not applicable from the policy,
    disabled and remediating policies, a policy with only a remediation, a stack policy
    that reads parents, dependencies and property dependencies (of resources in the request
    only), and policies that read the stack's tags and the engine's runtime settings and config:
    the SDK's servicer and the pack's answer the same, entry for entry."""
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
    ours, stock = isolated(False, requests), isolated(True, requests)
    assert ours == stock
    bucket, vpc, whole = ours
    messages = [d["message"] for d in bucket["diagnostics"]]
    assert any("bucket is open" in x for x in messages) and any("async: t:a:Bucket" in x for x in messages)
    assert any("can't run policy 'unknown'" in d["message"] for d in vpc["diagnostics"])
    assert {"policyName": "skip", "reason": "only for buckets"} in vpc["notApplicable"]
    stack_messages = [d["message"] for d in whole["diagnostics"]]
    assert any("bucket parent=vpc deps=vpc props={'vpcId': ['vpc']}" in x for x in stack_messages)
    assert any("key parent=- deps= props={}" in x for x in stack_messages)
    context = "tags=[('team', 'platform')] runtime=('groundwork', 'prod', True) x=from-the-engine"
    for answer in ours:
        assert sum(context in d["message"] for d in answer["diagnostics"]) == 1


def test_an_async_policys_event_loop_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The servicer runs an async validation in a loop of its own; each loop holds a selector and
    a socket pair, so one left open per resource and policy would exhaust file descriptors on a
    large stack."""
    import asyncio

    from google.protobuf import struct_pb2
    from pulumi.runtime.proto import analyzer_pb2

    loops: list[asyncio.AbstractEventLoop] = []
    new_event_loop = asyncio.new_event_loop

    def recording() -> asyncio.AbstractEventLoop:
        loops.append(new_event_loop())
        return loops[-1]

    monkeypatch.setattr(server.asyncio, "new_event_loop", recording)
    s = server.Servicer("synthetic", "0.0.1", _synthetic(), sdk.EnforcementLevel.ADVISORY)
    props = struct_pb2.Struct()
    props.update({"size": 1})
    request = analyzer_pb2.AnalyzeRequest(type="t:a:Bucket", properties=props, urn="urn:b", name="b")
    for _ in range(3):
        s.Analyze(request, None)
    assert len(loops) == 3 and all(loop.is_closed() for loop in loops)
