"""The pack's framework helpers (policies/groundwork_policies/core.py) on their own (issue 18):
what a policy reads through View for each shape the engine sends, and the small helpers every
policy leans on. Each assertion is a decision a surviving mutant showed no test pinned."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from groundwork_policies import core
from groundwork_policies.core import (
    IN_CLUSTER_LATER,
    REGISTRY,
    SEVERITIES,
    UNKNOWN,
    PackContext,
    StrictList,
    View,
    _unknown_sentinel_at,
    as_list,
    build_policy,
    enforcement,
    first,
    resolve_environment,
    truthy,
    unknown,
)
from pulumi_policy import EnforcementLevel, StackValidationArgs
from pulumi_policy import policy as sdk
from pulumi_policy.proxy import UnknownValueError

from tests.policies.harness import UNKNOWN_STRING


def test_a_strict_list_slices_without_checking_and_indexes_with_checking() -> None:
    lst = core._strict([1, UNKNOWN_STRING, 3])
    assert isinstance(lst, StrictList)
    assert lst[0:1] == [1] and lst[2] == 3
    with pytest.raises(UnknownValueError):
        _ = lst[1]


@pytest.mark.parametrize(
    ("value", "default", "expected"),
    [(True, None, True), ("TRUE", None, True), ("false", True, False), ("maybe", False, False), (1, None, None)],
)
def test_flags_read_booleans_and_their_text_else_the_default(
    value: object, default: bool | None, expected: bool | None
) -> None:
    assert View({"x": value}).flag("x", default) is expected


def test_json_reads_text_and_passes_documents_through() -> None:
    assert View({"p": '{"a": 1}'}).json("p") == {"a": 1}
    assert View({"p": {"a": 1}}).json("p") == {"a": 1}  # a document the engine sends as an object
    assert View({"p": "{not json"}).json("p") is None
    assert View({}).json("p") is None


def test_an_unknown_value_raises_with_the_sentinel_the_engine_sent() -> None:
    view = View({"a": {"b": UNKNOWN_STRING}})
    assert view.peek("a.b") is UNKNOWN and view.has("a.b")
    with pytest.raises(UnknownValueError):
        view.get("a.b")
    assert _unknown_sentinel_at(view.data, "a.b") == UNKNOWN_STRING
    # no unknown on the path: the SDK's own sentinel
    assert _unknown_sentinel_at(view.data, "a.c") == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@pytest.mark.parametrize(
    ("stack", "config", "expected"),
    [
        ("anything", {"groundwork:environment": "staging"}, "staging"),
        ("dev-eu", {"groundwork:environment": "qa"}, "dev"),  # not a tier: the stack name decides
        ("dev-eu", {}, "dev"),
        ("stg-1", {}, "staging"),
        ("Staging", {}, "staging"),
        ("production", {}, "prod"),
        ("", {}, "prod"),  # fail closed
    ],
)
def test_the_tier_rule(stack: str, config: dict[str, str], expected: str) -> None:
    assert resolve_environment(stack, config) == expected


def test_policy_specs_are_frozen() -> None:
    spec = next(iter(REGISTRY.specs.values()))
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "renamed"  # type: ignore[misc]


def test_small_helpers() -> None:
    assert first([], "none") == "none" and first(iter([2, 3])) == 2
    assert as_list(None) == [] and as_list(UNKNOWN) == [] and as_list("x") == ["x"] and as_list([1]) == [1]
    assert unknown(UNKNOWN) and unknown(UNKNOWN_STRING) and not unknown("x") and not unknown(None)
    assert truthy(True) and truthy("True") and not truthy("yes") and not truthy(1)


def test_the_context_from_the_analyzer_environment() -> None:
    """The CLI starts the pack with PULUMI_PROJECT, PULUMI_STACK and PULUMI_CONFIG (JSON)."""
    ctx = PackContext.from_env(
        {
            "PULUMI_PROJECT": "groundwork",
            "PULUMI_STACK": "staging",
            "PULUMI_CONFIG": json.dumps({"groundwork:environment": "prod", "groundwork:services": "[]"}),
            "GROUNDWORK_TODAY": "2026-11-21",
        }
    )
    assert (ctx.project, ctx.stack, ctx.environment, ctx.today) == (
        "groundwork",
        "staging",
        "prod",
        dt.date(2026, 11, 21),
    )
    broken = PackContext.from_env({"PULUMI_STACK": "dev", "PULUMI_CONFIG": "{not json"})
    assert (broken.project, broken.environment, broken.config) == ("groundwork", "dev", {})


def test_settings_arrive_as_json_text_or_as_data() -> None:
    service = {"name": "api", "port": 3000}
    as_text = PackContext.build("groundwork", "prod", {"groundwork:services": json.dumps([service])})
    as_data = PackContext.build("groundwork", "prod", {"groundwork:services": [service, {"port": 1}, "x"]})
    assert as_text.services == as_data.services == [service]
    assert (
        PackContext.build("groundwork", "prod", {"groundwork:services": "not json"}).setting("services") == "not json"
    )


def test_a_policy_is_advisory_only_when_all_its_controls_are_exempted() -> None:
    spec = REGISTRY.specs["aws-elasticache-require-tls-and-auth"]  # CACHE-03 and SEC-01
    one = [{"control": "CACHE-03", "reason": "r"}]
    both = [*one, {"control": "SEC-01", "reason": "s"}]
    assert enforcement(spec, PackContext.build("groundwork", "prod", {"groundwork:exemptions": one}))[0] == (
        EnforcementLevel.MANDATORY
    )
    level, note = enforcement(spec, PackContext.build("groundwork", "prod", {"groundwork:exemptions": both}))
    assert level == EnforcementLevel.ADVISORY and note == "exempted for this stack (CACHE-03: r; SEC-01: s)"


def test_each_policy_links_to_its_documentation() -> None:
    spec = REGISTRY.specs["aws-elasticache-require-tls-and-auth"]
    assert spec.url.endswith("docs/policies.md#aws-elasticache-require-tls-and-auth")


@pytest.mark.parametrize("name", ["aws-elasticache-require-tls-and-auth", "aws-vpc-require-nat-gateway-per-az"])
def test_a_built_policy_carries_what_the_cli_shows(name: str) -> None:
    """Level, severity, remediation, tags (controls and tier) and the docs link reach the engine
    on both kinds of policy (resource and stack)."""
    spec = REGISTRY.specs[name]
    prod = build_policy(spec, PackContext.build("groundwork", "prod", {}))
    assert prod.enforcement_level == EnforcementLevel.MANDATORY
    assert prod.severity == SEVERITIES[spec.severity] and prod.remediation_steps == spec.remediation
    assert prod.tags == [*spec.controls, f"tier:{spec.tier}"] and prod.url == spec.url
    dev = build_policy(spec, PackContext.build("groundwork", "dev", {}))
    assert dev.enforcement_level == (EnforcementLevel.ADVISORY if spec.tier != "all" else EnforcementLevel.MANDATORY)


def test_in_cluster_policies_wait_for_the_cluster() -> None:
    """The first `up` from outside the VPC (groundwork:inCluster false) has no in-cluster layer yet."""
    spec = REGISTRY.specs["kubernetes-hpa-require-two-replicas"]
    outside = PackContext.build("groundwork", "prod", {"groundwork:inCluster": "false"})
    assert enforcement(spec, outside) == (EnforcementLevel.ADVISORY, IN_CLUSTER_LATER)
    assert enforcement(spec, PackContext.build("groundwork", "prod", {}))[0] == EnforcementLevel.MANDATORY


def test_numbers_read_numbers_and_their_text_else_the_default() -> None:
    view = View({"n": 3, "t": "2.5", "bad": "x", "flag": True, "list": [1]})
    assert view.number("n") == 3.0 and view.number("t") == 2.5
    assert view.number("bad", 7) == 7 and view.number("flag", 7) == 7 and view.number("list", 7) == 7
    assert view.number("missing", 1) == 1


def test_a_context_without_a_date_is_today_and_settings_default() -> None:
    ctx = PackContext.build("groundwork", "prod", {})
    assert ctx.today == dt.date.today()
    assert ctx.setting("services", [{"name": "x"}]) == [{"name": "x"}]


def test_the_resource_decorator_returns_the_check_it_registers() -> None:
    spec = REGISTRY.specs["aws-elasticache-require-tls-and-auth"]
    import groundwork_policies.elasticache as module

    assert getattr(module, spec.check.__name__) is spec.check
    stack_spec = REGISTRY.specs["aws-vpc-require-nat-gateway-per-az"]
    import groundwork_policies.network as network

    assert getattr(network, stack_spec.check.__name__) is stack_spec.check


def test_a_built_policy_takes_the_packs_config_schema() -> None:
    spec = REGISTRY.specs["aws-vpc-require-nat-gateway-per-az"]
    assert build_policy(spec, PackContext.build("groundwork", "prod", {})).config_schema is core.CONFIG_SCHEMA


def test_the_eks_release_calendar_follows_the_support_policy() -> None:
    """EKS gives each minor 14 months of standard support, then 12 of extended support (EKS User
    Guide, "Understand the Kubernetes version lifecycle on EKS"): each end of extended support is
    a year after the end of standard support, which falls 14 months after the release, within the
    few days AWS rounds to; releases come in order, one minor after another."""
    from groundwork_policies.kubernetes_versions import EKS_RELEASES, in_standard_support

    releases = list(EKS_RELEASES.values())
    for r in releases:
        assert r.end_of_extended_support == r.end_of_standard_support.replace(year=r.end_of_standard_support.year + 1)
        months = (
            (r.end_of_standard_support.year - r.released.year) * 12 + r.end_of_standard_support.month - r.released.month
        )
        assert months == 14 and abs(r.end_of_standard_support.day - r.released.day) <= 7, r
        assert in_standard_support(r.version, r.released) and in_standard_support(r.version, r.end_of_standard_support)
        assert not in_standard_support(r.version, r.released - dt.timedelta(days=1))
        assert not in_standard_support(r.version, r.end_of_standard_support + dt.timedelta(days=1))
    assert [r.released for r in releases] == sorted(r.released for r in releases)
    assert [int(r.version.split(".")[1]) for r in releases] == list(range(30, 30 + len(releases)))


def test_view_paths_and_text() -> None:
    view = View({"a": [1, 2], "t": 5, "m": {"k": [{"x": 1}]}})
    assert (
        view.peek("a[1]") == 2 and view.peek("a[-2]") == 1 and view.peek("a[2]") is None and view.peek("a[-3]") is None
    )
    assert view.peek("b", "d") == "d" and view.peek("m.k[0].x") == 1
    assert view.text("t", "d") == "d"
    assert 2 in core._strict([1, 2]) and 3 not in core._strict([1, 2])
    assert core.num(None) == "unset" and core.num(3.0) == "3" and core.num(2.5) == "2.5"
    assert core.sub("x", "a", default=5) == 5 and core.sub({"a": {"b": 1}}, "a", "b") == 1


def test_exemptions_need_a_reason_and_lapse_after_their_date() -> None:
    today = dt.date(2026, 11, 21)
    entries = [
        {"control": "NET-01", "reason": "r", "expires": "2026-11-21"},  # its last day
        {"control": "NET-02", "reason": "r", "expires": "2026-11-20"},
        {"control": "NET-03"},
        {"control": 4, "reason": "r"},
        "DB-01",
    ]
    ctx = PackContext.build("groundwork", "prod", {"groundwork:exemptions": entries}, today=today)
    assert set(ctx.exemptions) == {"NET-01"} and ctx.name_prefix == "groundwork-prod"


def test_an_exemption_for_named_policies_covers_only_them() -> None:
    spec = REGISTRY.specs["aws-elasticache-require-tls-and-auth"]

    def level(policies: list[str]) -> EnforcementLevel:
        ex = [{"control": c, "reason": "r", "policies": policies} for c in spec.controls]
        return enforcement(spec, PackContext.build("groundwork", "prod", {"groundwork:exemptions": ex}))[0]

    assert level(["another-policy"]) == EnforcementLevel.MANDATORY
    assert level([spec.name]) == EnforcementLevel.ADVISORY


def test_a_crashing_check_fails_closed_with_what_broke() -> None:
    spec = REGISTRY.specs["aws-elasticache-require-tls-and-auth"]

    def crash() -> list[str]:
        raise ValueError("boom")

    assert core._guarded(spec, crash, "urn:x") == [f"{core.EVALUATION_FAILED} on urn:x: ValueError: boom"]
    assert core._guarded(spec, crash, "") == [f"{core.EVALUATION_FAILED} on the stack: ValueError: boom"]


def test_each_request_gets_its_own_view_and_the_same_props_share_one() -> None:
    a, b = {"x": 1}, {"x": 2}
    assert core._shared_view(a) is core._shared_view(a)
    assert core._shared_view(b).get("x") == 2 and core._shared_view(a).get("x") == 1


def test_type_patterns_and_the_registry_build() -> None:
    assert core.matches("aws:s3/bucket:Bucket", ("aws:*",)) and core.matches(
        "aws:s3/bucket:Bucket", ("aws:s3/bucket:Bucket",)
    )
    assert not core.matches("aws:s3/bucket:Bucket", ("aws:s3/bucketV2:BucketV2",))
    assert not core.matches("aws:*", ("aws:s3/bucket:Bucket",))
    assert len(REGISTRY.build(PackContext.build("groundwork", "prod", {}))) == len(REGISTRY.specs)


def _stack_args(*resources: tuple[str, str, str | None, bool, list[str]]) -> StackValidationArgs:
    """AnalyzeStack's resources as the SDK builds them: the parent URN in the options."""
    timeouts = sdk.PolicyCustomTimeouts(0, 0, 0)
    out = []
    for urn, type_, parent, protect, _ in resources:
        opts = sdk.PolicyResourceOptions(protect, [], None, [], timeouts, [], parent)
        out.append(sdk.PolicyResource(type_, {"urn": urn}, urn, urn.rpartition("::")[2], opts, None, None, [], {}))
    by_urn = {r.urn: r for r in out}
    for r, (_, _, _, _, deps) in zip(out, resources, strict=True):
        r.dependencies.extend(by_urn[d] for d in deps)
    return StackValidationArgs(out, {}, {})


STACK_ARGS = _stack_args(
    ("urn:c::comp", "groundwork:data:Database", None, False, []),
    ("urn:c::key", "aws:kms/key:Key", "urn:c::comp", True, []),
    ("urn:c::db", "aws:rds/instance:Instance", "urn:c::comp", True, ["urn:c::key"]),
    ("urn:c::key2", "aws:kms/key:Key", None, False, []),
)


def test_a_stack_graph_keeps_parents_protection_and_dependencies() -> None:
    g = core.Graph.from_args(STACK_ARGS)
    rows = [(r.urn, r.parent, r.protect, r.dependencies) for r in g.resources]
    assert rows == [
        ("urn:c::comp", "", False, []),
        ("urn:c::key", "urn:c::comp", True, []),
        ("urn:c::db", "urn:c::comp", True, ["urn:c::key"]),
        ("urn:c::key2", "", False, []),
    ]


def test_resources_of_several_types_come_in_the_stacks_order() -> None:
    g = core.Graph.from_args(STACK_ARGS)
    assert [r.name for r in g.of("aws:kms/key:Key")] == ["key", "key2"]
    assert [r.name for r in g.of("aws:kms/key:Key", "aws:rds/instance:Instance")] == ["key", "db", "key2"]
    assert [r.name for r in g.of("aws:rds/instance:Instance", "aws:kms/key:Key", "aws:rds/instance:Instance")] == [
        "key",
        "db",
        "key2",
    ]


def test_one_graph_per_analyze_stack_and_a_finding_names_its_resource() -> None:
    """Every stack policy of one AnalyzeStack reads the same Graph (built once: issue 16); a finding
    about a resource is reported with its URN (the CLI shows it against that resource), one about
    the stack with none."""
    assert core._shared_graph(STACK_ARGS) is core._shared_graph(STACK_ARGS)
    other = _stack_args(("urn:c::only", "aws:kms/key:Key", None, False, []))
    assert [r.urn for r in core._shared_graph(other).resources] == ["urn:c::only"]
    stack_spec = next(s for s in REGISTRY.specs.values() if s.kind == "stack")
    spec = dataclasses.replace(stack_spec, check=lambda graph, ctx: [("about the key", "urn:c::key"), "about all"])
    policy = build_policy(spec, PackContext.build("groundwork", "prod", {}))
    reported: list[tuple[str, str | None]] = []
    policy.validate(STACK_ARGS, lambda message, urn=None: reported.append((message, urn)))  # type: ignore[call-arg,arg-type]
    assert [urn for _, urn in reported] == ["urn:c::key", None]
    assert "about the key" in reported[0][0] and "about all" in reported[1][0]


def test_a_resource_without_options_counts_as_unprotected() -> None:
    """The SDK always sends options; were they missing, GOV-02 must see an unprotected resource
    (and report it), never assume protection."""
    bare = sdk.PolicyResource("aws:kms/key:Key", {}, "urn:c::bare", "bare", None, None, None, [], {})  # type: ignore[arg-type]
    [r] = core.Graph.from_args(StackValidationArgs([bare], {}, {})).resources
    assert (r.protect, r.parent) == (False, "")
    resource_spec = next(s for s in REGISTRY.specs.values() if s.kind == "resource" and "*" not in s.types[0])
    seen: list[bool] = []

    def check(res: core.Resource, ctx: PackContext) -> list[str]:
        seen.append(res.protect)
        return []

    spec = dataclasses.replace(resource_spec, check=check)
    policy = build_policy(spec, PackContext.build("groundwork", "prod", {}))
    type_ = resource_spec.types[0]
    args = sdk.ResourceValidationArgs(type_, {}, "urn:c::bare", "bare", None, None, {}, {})  # type: ignore[arg-type]
    policy.validate(args, lambda message, urn=None: None)  # type: ignore[call-arg,arg-type]
    assert seen == [False]
