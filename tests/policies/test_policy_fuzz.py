"""Property-based tests: no policy crashes on any props, and unknown values never cause a violation.

1. Random props (any nesting of maps, lists, floats, nulls, text and unknown sentinels, with keys
   the policies read) never raise anything but the SDK's UnknownValueError.
2. A compliant fixture with any subset of its values unknown (as at preview) either raises
   UnknownValueError (the SDK reports "can't run during preview") or reports nothing: unknowns
   never produce a false violation, and presence-only checks pass.
"""

from __future__ import annotations

from typing import Any

import pytest
from groundwork_policies.core import EVALUATION_FAILED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

from tests.policies.harness import Fx, NotApplicable, World, pack, run_resource, run_stack
from tests.policies.test_policy_cases import RESOURCE, STACK, WORLD, applicable

SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def _keys(value: Any, out: set[str]) -> set[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(k)
            _keys(v, out)
    elif isinstance(value, list):
        for v in value:
            _keys(v, out)
    return out


KEYS = sorted(set().union(*(_keys(fx.props, set()) for fx in WORLD.resources.values())))
UNKNOWNS = [
    UNKNOWN_STRING_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_OBJECT_VALUE,
]
scalars = (
    st.none()
    | st.booleans()
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.integers(-5, 70000)
    | st.text(max_size=12)
    | st.sampled_from(
        [*UNKNOWNS, "0.0.0.0/0", "Enforce", "aws:kms", "true", "gp3", "postgres", "*", "HTTPS", "{}", "[]"]
    )
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=5)
    ),
    max_leaves=25,
)
props = st.dictionaries(st.sampled_from(KEYS), values, max_size=10)


def _types(name: str) -> list[str]:
    return sorted({fx.type for fx in applicable(name, WORLD)}) or [
        t for t in pack.REGISTRY.specs[name].types if "*" not in t
    ]


@pytest.mark.parametrize("name", RESOURCE)
@SETTINGS
@given(data=st.data())
def test_random_props_never_crash_a_resource_policy(name: str, data: st.DataObject) -> None:
    type_ = data.draw(st.sampled_from(_types(name) or ["aws:ec2/vpc:Vpc"]))
    fx = Fx(type_, "fuzz", data.draw(props), provider=data.draw(st.sampled_from(["primary", "dr", None])))
    try:
        messages = run_resource(name, fx, env=data.draw(st.sampled_from(["dev", "staging", "prod"])))
    except (UnknownValueError, NotApplicable):
        return
    assert not [m for m in messages if EVALUATION_FAILED in m], messages


@pytest.mark.parametrize("name", STACK)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_random_props_never_crash_a_stack_policy(name: str, data: st.DataObject) -> None:
    world = WORLD.copy()
    types = list(pack.REGISTRY.specs[name].types)
    victims = [n for n, fx in world.resources.items() if fx.type in types]
    for victim in data.draw(st.lists(st.sampled_from(victims), max_size=4, unique=True)) if victims else []:
        world.resources[victim].props = data.draw(props)
    try:
        messages = run_stack(name, world, env=data.draw(st.sampled_from(["dev", "staging", "prod"])))
    except UnknownValueError:
        return
    assert not [m for m in messages if EVALUATION_FAILED in m], messages


# ---------------------------------------------------------------------------------------------
# unknown values: never a false violation
# ---------------------------------------------------------------------------------------------


def _leaf_paths(value: Any, path: tuple = ()) -> list[tuple]:
    paths = [path] if path else []
    if isinstance(value, dict):
        for k, v in value.items():
            paths += _leaf_paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            paths += _leaf_paths(v, (*path, i))
    return paths


def _unknown_for(value: Any) -> str:
    if isinstance(value, bool):
        return UNKNOWN_BOOLEAN_VALUE
    if isinstance(value, int | float):
        return UNKNOWN_NUMBER_VALUE
    if isinstance(value, list):
        return UNKNOWN_ARRAY_VALUE
    if isinstance(value, dict):
        return UNKNOWN_OBJECT_VALUE
    return UNKNOWN_STRING_VALUE


def _with_unknowns(value: Any, paths: list[tuple]) -> Any:
    import copy

    out = copy.deepcopy(value)
    for path in sorted(paths, key=len):
        target = out
        try:
            for part in path[:-1]:
                target = target[part]
            target[path[-1]] = _unknown_for(target[path[-1]])
        except (KeyError, IndexError, TypeError):
            continue  # an ancestor is already unknown
    return out


@pytest.mark.parametrize("name", RESOURCE)
@SETTINGS
@given(data=st.data())
def test_unknowns_never_cause_a_resource_violation(name: str, data: st.DataObject) -> None:
    fixtures = applicable(name, WORLD)
    if not fixtures:
        return
    fx = data.draw(st.sampled_from(fixtures))
    paths = _leaf_paths(fx.props)
    chosen = data.draw(st.lists(st.sampled_from(paths), min_size=1, max_size=6, unique=True)) if paths else []
    unknown = Fx(fx.type, fx.name, _with_unknowns(fx.props, chosen), fx.deps, fx.provider, fx.protect)
    try:
        messages = run_resource(name, unknown)
    except UnknownValueError:
        return
    assert messages == [], f"{name} reported {messages} with unknowns at {chosen}"


@pytest.mark.parametrize("name", STACK)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_unknowns_never_cause_a_stack_violation(name: str, data: st.DataObject) -> None:
    world: World = WORLD.copy()
    types = set(pack.REGISTRY.specs[name].types)
    relevant = [n for n, fx in world.resources.items() if fx.type in types]
    for victim in (
        data.draw(st.lists(st.sampled_from(relevant), min_size=1, max_size=4, unique=True)) if relevant else []
    ):
        fx = world.resources[victim]
        paths = _leaf_paths(fx.props)
        if paths:
            chosen = data.draw(st.lists(st.sampled_from(paths), min_size=1, max_size=4, unique=True))
            fx.props = _with_unknowns(fx.props, chosen)
    try:
        messages = run_stack(name, world)
    except UnknownValueError:
        return
    assert messages == [], f"{name} reported {messages}"


def test_helm_values_with_unknowns_are_still_judged() -> None:
    """A chart value unknown at preview (an ID in an argument list, a VPC ID) used to make the SEC-01
    policy not run at all ("can't be known during preview"); it must judge the rest: clean values
    pass, and a literal secret beside an unknown is still reported."""
    values = {
        "extraArgs": ["--aws-zone-type=public", UNKNOWN_STRING_VALUE],
        "vpcId": UNKNOWN_STRING_VALUE,
        "nested": {"list": [UNKNOWN_OBJECT_VALUE, {"ok": "x"}]},
    }
    release = Fx("kubernetes:helm.sh/v3:Release", "r", {"chart": "x", "values": values}, provider=None)
    assert run_resource("kubernetes-helm-release-no-secret-values", release) == []
    leaky = Fx(
        "kubernetes:helm.sh/v3:Release",
        "r",
        {"chart": "x", "values": {**values, "auth": {"password": "hunter22"}}},
        provider=None,
    )
    assert run_resource("kubernetes-helm-release-no-secret-values", leaky) == [
        "[SEC-01] values.auth.password holds a literal secret"
    ]
