"""How the settings loader keeps checking a section after part of it failed (issue 18).

A section that fails validation is re-validated with its failing parts pruned, so the rules can
still judge the rest of it (a misspelled instance type must not hide that prod's API endpoint is
public). These tests pin what is pruned (the deepest list item or defaulted key first, else the
shallowest), in which order (later list items first, so earlier indices stay valid), and which
rule findings are then dropped because they would describe the pruned value rather than the
user's (a removed list item moves every index after it)."""

from __future__ import annotations

import copy
import json
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field, ValidationError
from pydantic.fields import FieldInfo

from groundwork.settings import loader as L
from groundwork.settings.model import ClusterSettings, StackSettings
from tests.conftest import section, stack_config
from tests.test_settings import problems

CLUSTER = StackSettings.model_fields["cluster"].annotation


def partial(name: str, raw: Any) -> tuple[Any, set[str]]:
    with pytest.raises(ValidationError) as info:
        L._adapter(name).validate_python(raw)
    return L._partial(name, raw, info.value)


def found(**overrides: Any) -> list[tuple[str, str]]:
    """Each problem of prod's settings with these overrides, as (key, message)."""
    return [(p.key, p.message) for p in problems("prod", **overrides)]


def keys(**overrides: Any) -> list[str]:
    return [k for k, _ in found(**overrides)]


def prod_services() -> list[Any]:
    services: list[Any] = json.loads(stack_config("prod").config["groundwork:services"])
    return services


def prod_cluster(**changes: Any) -> dict[str, Any]:
    cluster = section("prod", "cluster")
    cluster.update(changes)
    return cluster


# ---------------------------------------------------------------------------------------------
# The prune point of one error
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loc", "deepest", "point"),
    [
        # a bad list item: the item alone, or the whole node group
        (("nodeGroups", 0, "instanceTypes", 1), True, ("nodeGroups", 0, "instanceTypes", 1)),
        (("nodeGroups", 0, "instanceTypes", 1), False, ("nodeGroups", 0)),
        # a bad value of a mapping: that entry
        (("nodeGroups", 0, "labels", "team"), True, ("nodeGroups", 0, "labels", "team")),
        # a key with a default: the key (its default stands in)
        (("nodeGroups", 0, "minSize"), True, ("nodeGroups", 0, "minSize")),
        (("version",), True, ("version",)),
        (("version",), False, ("version",)),
        # a required key: the nearest prunable point above it
        (("nodeGroups", 0, "name"), True, ("nodeGroups", 0)),
        # a bad key of a list item inside a list item: the inner item, or the outer one
        (("nodeGroups", 0, "taints", 0, "key"), True, ("nodeGroups", 0, "taints", 0)),
        (("nodeGroups", 0, "taints", 0, "key"), False, ("nodeGroups", 0)),
        # an unknown key: the key itself (what the user must remove anyway), however deep
        (("bogus",), True, ("bogus",)),
        (("nodeGroups", 0, "bogus", "x"), True, ("nodeGroups", 0, "bogus")),
        (("nodeGroups", 0, "bogus", "x"), False, ("nodeGroups", 0)),
    ],
)
def test_the_prune_point_of_an_error(loc: tuple[Any, ...], deepest: bool, point: tuple[Any, ...]) -> None:
    assert L._prune_point(CLUSTER, loc, deepest) == point


def test_a_section_that_is_wrong_as_a_whole_has_no_prune_point() -> None:
    assert L._prune_point(CLUSTER, (), True) is None
    assert L._prune_point(CLUSTER, (), False) is None


@pytest.mark.parametrize(
    ("data", "path", "after"),
    [
        ({"a": [1, 2, 3]}, ("a", 1), {"a": [1, 3]}),
        ({"a": [1, 2, 3]}, ("a", 3), {"a": [1, 2, 3]}),  # an index past the end: nothing to remove
        ({"a": {"b": 1, "c": 2}}, ("a", "b"), {"a": {"c": 2}}),
        ({"a": {"c": 2}}, ("a", "b"), {"a": {"c": 2}}),
        ({"a": [{"b": 1, "c": 2}]}, ("a", 0, "c"), {"a": [{"b": 1}]}),
    ],
)
def test_remove_takes_out_one_list_item_or_key(data: Any, path: tuple[Any, ...], after: Any) -> None:
    L._remove(data, path)
    assert data == after


# ---------------------------------------------------------------------------------------------
# The pruned section
# ---------------------------------------------------------------------------------------------


def test_bad_list_items_are_pruned_alone_later_ones_first() -> None:
    """Two bad instance types around a good one: both go (the later first, else removing the first
    would shift the second out of reach), the node group stays, and the list is marked."""
    cluster = prod_cluster()
    cluster["nodeGroups"][0]["instanceTypes"] = ["zz.bad", "m7g.large", "yy.bad"]
    value, marks = partial("cluster", cluster)
    assert [g.name for g in value.node_groups] == ["general"]
    assert value.node_groups[0].instance_types == ["m7g.large"]
    assert value.node_groups[0].min_size == 3
    assert marks == {"nodeGroups[0].instanceTypes"}


def test_items_of_several_lists_are_pruned_each_at_its_own_index() -> None:
    cluster = prod_cluster()
    second = copy.deepcopy(cluster["nodeGroups"][0]) | {"name": "second"}
    cluster["nodeGroups"].append(second)
    cluster["nodeGroups"][0]["instanceTypes"] = ["m7g.large", "zz.bad"]
    cluster["nodeGroups"][1]["instanceTypes"] = ["yy.bad", "m7g.xlarge"]
    value, marks = partial("cluster", cluster)
    assert [g.instance_types for g in value.node_groups] == [["m7g.large"], ["m7g.xlarge"]]
    assert marks == {"nodeGroups[0].instanceTypes", "nodeGroups[1].instanceTypes"}


def test_a_defaulted_key_is_pruned_and_marked_as_the_key() -> None:
    cluster = prod_cluster(logRetentionDays="a year")
    value, marks = partial("cluster", cluster)
    assert value.log_retention_days == ClusterSettings.model_fields["log_retention_days"].get_default()
    assert value.endpoint_public_access is False
    assert marks == {"logRetentionDays"}


def test_when_the_deepest_prune_is_not_enough_the_shallowest_is_taken() -> None:
    """A node group whose only instance type is bad: without it the group has no type (at least one
    is required), so the whole group goes, and the list of groups is marked."""
    cluster = prod_cluster()
    second = copy.deepcopy(cluster["nodeGroups"][0]) | {"name": "second", "instanceTypes": ["zz.bad"]}
    cluster["nodeGroups"].append(second)
    value, marks = partial("cluster", cluster)
    assert [g.name for g in value.node_groups] == ["general"]
    assert marks == {"nodeGroups"}


def test_nothing_valid_left_gives_no_section() -> None:
    cluster = prod_cluster()
    cluster["nodeGroups"][0]["instanceTypes"] = ["zz.bad"]
    assert partial("cluster", cluster) == (None, set())
    assert partial("cluster", ["a list"]) == (None, set())


def test_bad_top_level_items_are_removed_later_first() -> None:
    """A service with a required key broken and a last item that is no service at all: both go
    (the last first, so services[1] is still the one to remove), and the whole list is marked."""
    services = prod_services()
    services[1]["port"] = "three thousand"
    services.append("not a service")
    value, marks = partial("services", services)
    assert [s.name for s in value] == [s["name"] for s in services[:1] + services[2:-1]]
    assert marks == {""}


def test_a_removed_top_level_item_marks_the_whole_list() -> None:
    services = prod_services()
    services[0].pop("name")
    value, marks = partial("services", services)
    assert [s.name for s in value] == [s["name"] for s in services[1:]]
    assert marks == {""}


# ---------------------------------------------------------------------------------------------
# What the rules still say about a pruned section
# ---------------------------------------------------------------------------------------------


def test_rules_still_judge_the_rest_of_a_pruned_section() -> None:
    """A misspelled instance type in one group, a second group with no valid type at all, and a
    public API endpoint in prod: the type is reported, and so is the endpoint (the section was
    pruned to something the rules could judge), and the mixed architectures of the first group are
    not (that list was substituted)."""
    cluster = prod_cluster(endpointPublicAccess=True)
    cluster["nodeGroups"][0]["instanceTypes"] = ["m7g.large", "m7i.large"]
    second = copy.deepcopy(cluster["nodeGroups"][0]) | {"name": "second", "instanceTypes": ["zz.bad"]}
    cluster["nodeGroups"].append(second)
    assert keys(cluster=cluster) == [
        "groundwork:cluster.nodeGroups[1].instanceTypes[0]",
        "groundwork:cluster.endpointPublicAccess",
        "groundwork:cluster.publicAccessCidrs",
    ]


def test_a_rule_finding_about_a_substituted_list_is_dropped() -> None:
    """Mixed architectures are reported on their own; beside a bad type in the same list they are
    not (the rules saw the list without it)."""
    cluster = prod_cluster()
    cluster["nodeGroups"][0]["instanceTypes"] = ["m7g.large", "m7i.large"]
    assert keys(cluster=cluster) == ["groundwork:cluster.nodeGroups[0].instanceTypes"]
    cluster["nodeGroups"][0]["instanceTypes"] = ["zz.bad", "m7g.large", "m7i.large"]
    assert keys(cluster=cluster) == ["groundwork:cluster.nodeGroups[0].instanceTypes[0]"]


def test_findings_about_other_items_stay_when_a_key_was_pruned() -> None:
    services = prod_services()
    services[0]["bogus"] = 1
    services[4]["calls"] = ["menu-service", "billing-service"]
    assert found(services=services) == [
        ("groundwork:services[0].bogus", "unknown key"),
        ("groundwork:services[4].calls[1]", "not another service of this stack"),
    ]


def test_a_removed_item_drops_findings_about_items_but_not_about_the_list() -> None:
    """Without services[0] every index after it moved: a finding about services[4] would name the
    wrong service, so it is dropped; a duplicate in the list is still a duplicate."""
    services = prod_services()
    services[0].pop("name")
    services[4]["calls"] = ["menu-service", "billing-service"]
    services.append(dict(services[1]))
    assert keys(services=services) == ["groundwork:services[0].name", "groundwork:services"]


def test_a_section_of_the_wrong_kind_is_one_problem_and_the_rules_go_on() -> None:
    problems = found(cluster="oops", network=section("prod", "network") | {"azCount": 2})
    assert [k for k, _ in problems] == ["groundwork:cluster", "groundwork:network.azCount"]
    assert problems[0][1].startswith("Input should be a valid dictionary")


def test_a_rule_does_not_judge_a_default_that_stands_in_for_a_bad_value() -> None:
    """A VPC CIDR with host bits is replaced by the default 10.0.0.0/16 for the rule pass; a service
    range overlapping that default is not the user's problem and is not reported."""
    network = section("prod", "network") | {"cidr": "10.30.0.1/16"}
    assert keys(network=network, cluster=prod_cluster(serviceCidr="10.0.0.0/16")) == ["groundwork:network.cidr"]
    # with the CIDR valid, the same overlap is reported
    network["cidr"] = "10.0.0.0/16"
    assert keys(network=network, cluster=prod_cluster(serviceCidr="10.0.0.0/16")) == ["groundwork:cluster.serviceCidr"]


# ---------------------------------------------------------------------------------------------
# How a value is read and what a problem says is allowed
# ---------------------------------------------------------------------------------------------


def test_a_structured_setting_that_is_not_json_is_reported_as_written() -> None:
    (p,) = problems("prod", network="{cidr: 10.0.0.0/16")
    assert (p.key, p.value, p.allowed) == ("groundwork:network", "{cidr: 10.0.0.0/16", "a mapping of keys to values")


def test_a_text_setting_is_never_read_as_json() -> None:
    """The CLI hands `environment: true` over as the text "true": it is reported as that text (a
    choice of words), and an account ID of digits stays text (JSON would make it a number)."""
    (p,) = problems("prod", environment="true")
    assert (p.key, p.value, p.allowed) == ("groundwork:environment", "true", "'dev', 'staging' or 'prod'")
    assert L._is_text(StackSettings.model_fields["account_id"].annotation)
    assert L._is_text(StackSettings.model_fields["environment"].annotation)
    assert not L._is_text(CLUSTER)
    assert L._parse("111111111111", StackSettings.model_fields["account_id"].annotation) == "111111111111"
    assert L._parse('{"a": 1}', CLUSTER) == {"a": 1} and L._parse(3, CLUSTER) == 3


@pytest.mark.parametrize(
    ("change", "key", "allowed"),
    [
        # a length bound with no hint of its own: the bound in words
        ({"taints": [{"key": "dedicated", "value": "x" * 64, "effect": "NO_SCHEDULE"}]}, "taints[0].value", "at most 63 long"),
        # a choice: the values it accepts
        ({"taints": [{"key": "dedicated", "effect": "NoSchedule"}]}, "taints[0].effect", "'NO_SCHEDULE', 'NO_EXECUTE' or 'PREFER_NO_SCHEDULE'"),
        # the wrong kind of value with neither: the kind in words
        ({"labels": {"team": 5}}, "labels.team", "text"),
    ],
)  # fmt: skip
def test_what_a_problem_says_is_allowed(change: dict[str, Any], key: str, allowed: str) -> None:
    cluster = prod_cluster()
    cluster["nodeGroups"][0].update(change)
    (p,) = problems("prod", cluster=cluster)
    assert (p.key, p.allowed) == (f"groundwork:cluster.nodeGroups[0].{key}", allowed)


def test_allowed_words_for_each_kind_of_constraint() -> None:
    """Each bound pydantic records on a field becomes words; a field with none names its type."""

    class M(BaseModel):
        closed: int = Field(ge=1, le=10)
        open_: int = Field(gt=0, lt=5)
        sized: str = Field(min_length=2, max_length=4)
        patterned: str = Field(pattern=r"^a+$")
        plain: int
        choice: Literal["a", "b"]

    def allowed(name: str, err: str = "", ctx: dict[str, Any] | None = None) -> str:
        return L._allowed_for(M.model_fields[name], ctx or {}, err)

    assert allowed("closed", "int_parsing") == ">= 1, <= 10"
    assert allowed("open_") == "> 0, < 5"
    assert allowed("sized") == "at least 2 long, at most 4 long"
    assert allowed("patterned") == "text matching ^a+$"
    assert allowed("plain", "int_parsing") == "a whole number"
    assert allowed("plain", "some_new_error") == "a value of type int"
    assert allowed("choice") == '"a" or "b"'
    assert allowed("plain", "enum", {"expected": "'x' or 'y'"}) == "'x' or 'y'"


# ---------------------------------------------------------------------------------------------
# Types the settings do not use today, that the loader must still walk without a crash
# ---------------------------------------------------------------------------------------------


class _Port(BaseModel):
    port: int = Field(1, ge=1, json_schema_extra={"allowed": "a port number"})


class _Named(BaseModel):
    name: str


class _Shapes(BaseModel):
    either: int | list[int] = 0
    ports: dict[str, _Port] = Field(default_factory=dict)
    inner: _Named | None = None
    named: dict[str, _Named] = Field(default_factory=dict)
    words: list[Annotated[str, Field(pattern="^a+$", json_schema_extra={"allowed": "a's only"})]] = Field(
        default_factory=list
    )


def _errors(data: dict[str, Any]) -> list[tuple[Any, ...]]:
    with pytest.raises(ValidationError) as info:
        _Shapes.model_validate(data)
    return [tuple(e["loc"]) for e in info.value.errors()]


def test_unwrap_strips_annotations_and_optional_only() -> None:
    assert L._unwrap(Annotated[int, "meta"]) is int
    assert L._unwrap(int | None) is int
    assert L._unwrap(Annotated[list[int], "meta"] | None) == list[int]
    assert L._unwrap(int | str | None) == int | str | None  # a real choice of types stays as it is
    assert L._unwrap(int | str) == int | str


def test_a_union_member_in_an_error_location_prunes_the_field() -> None:
    """pydantic names the union member in the location (`either.list[int].0`): the field itself is
    the point to prune, and its own words are what is allowed."""
    loc = ("either", "list[int]", 0)
    assert loc in _errors({"either": ["x"]})
    assert L._prune_point(_Shapes, loc, True) == ("either",)
    info, holder = L._field_at(FieldInfo.from_annotation(_Shapes), loc)
    assert (info, holder) == (_Shapes.model_fields["either"], _Shapes)


def test_a_model_inside_a_mapping_names_its_own_key() -> None:
    loc = ("ports", "web", "port")
    assert _errors({"ports": {"web": {"port": 0}}}) == [loc]
    info, holder = L._field_at(FieldInfo.from_annotation(_Shapes), loc)
    assert (info, holder) == (_Port.model_fields["port"], _Port)
    assert L._prune_point(_Shapes, loc, True) == loc and L._prune_point(_Shapes, loc, False) == ("ports",)


def test_the_deepest_point_stops_above_a_required_key() -> None:
    """A required key cannot be dropped: the point is the optional model or the mapping entry that
    holds it."""
    assert _errors({"inner": {}}) == [("inner", "name")]
    assert L._prune_point(_Shapes, ("inner", "name"), True) == ("inner",)
    assert _errors({"named": {"k": {}}}) == [("named", "k", "name")]
    assert L._prune_point(_Shapes, ("named", "k", "name"), True) == ("named", "k")


def test_a_list_item_with_words_of_its_own_says_them() -> None:
    """An annotated item type with an `allowed` hint names what an item may be, not the list."""
    assert _errors({"words": ["a", "b"]}) == [("words", 1)]
    info, holder = L._field_at(FieldInfo.from_annotation(_Shapes), ("words", 1))
    assert L._allowed_for(info, {}, "string_pattern_mismatch") == "a's only" and holder is _Shapes
