"""The pack's framework helpers (policies/groundwork_policies/core.py) on their own (issue 18):
what a policy reads through View for each shape the engine sends, and the small helpers every
policy leans on. Each assertion is a decision a surviving mutant showed no test pinned."""

from __future__ import annotations

import dataclasses

import pytest
from groundwork_policies import core
from groundwork_policies.core import (
    REGISTRY,
    UNKNOWN,
    StrictList,
    View,
    _unknown_sentinel_at,
    as_list,
    first,
    resolve_environment,
    truthy,
    unknown,
)
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
