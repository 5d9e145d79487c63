"""Every policy: compliant fixture passes, each one-change violation reports its exact messages,
other types are not applicable, and missing properties never crash it."""

from __future__ import annotations

import pytest
from groundwork_policies.core import EVALUATION_FAILED

from tests.policies.cases import CASES, EMPTY_STACK, Case
from tests.policies.harness import Fx, NotApplicable, World, pack, run_resource, run_stack
from tests.policies.world import build

WORLD = build()
SPECS = pack.REGISTRY.specs
RESOURCE = sorted(n for n, s in SPECS.items() if s.kind == "resource")
STACK = sorted(n for n, s in SPECS.items() if s.kind == "stack")
# Pure prohibitions: every instance of their types is a violation, so the compliant world has none.
PROHIBITIONS = {"aws-iam-no-static-users"}


def applicable(name: str, world: World) -> list[Fx]:
    out = []
    for fx in world.resources.values():
        try:
            run_resource(name, fx)
        except NotApplicable:
            continue
        out.append(fx)
    return out


@pytest.mark.parametrize("name", RESOURCE)
def test_resource_policy_passes_the_compliant_world(name: str) -> None:
    fixtures = applicable(name, WORLD)
    if name in PROHIBITIONS:
        assert fixtures == [], f"{name} forbids its types outright"
        return
    assert fixtures, f"{name} applies to no resource of the compliant world"
    for fx in fixtures:
        assert run_resource(name, fx) == [], fx.name


@pytest.mark.parametrize("name", STACK)
def test_stack_policy_passes_the_compliant_world(name: str) -> None:
    assert run_stack(name, WORLD) == []


@pytest.mark.parametrize("c", CASES, ids=[f"{c.policy}[{c.id}]" for c in CASES])
def test_violation(c: Case) -> None:
    world = c.mutate(WORLD)
    if SPECS[c.policy].kind == "resource":
        assert c.target, "resource cases name their target"
        assert run_resource(c.policy, world.resources[c.target], c.env) == c.expected
    else:
        assert run_stack(c.policy, world, c.env) == c.expected


def test_every_policy_has_a_violation_case() -> None:
    assert sorted(set(SPECS) - {c.policy for c in CASES}) == []


@pytest.mark.parametrize("name", RESOURCE)
def test_other_types_are_not_applicable(name: str) -> None:
    with pytest.raises(NotApplicable):
        run_resource(name, Fx("azure:storage/account:Account", "elsewhere", {"name": "x"}))


@pytest.mark.parametrize("name", RESOURCE)
def test_missing_properties_are_safe(name: str) -> None:
    # the pack's core turns a crash into a message ("could not be evaluated"), so "did not raise"
    # proves nothing: a policy must judge missing properties, never fail on them (issue 18)
    for fx in applicable(name, WORLD):
        messages = run_resource(name, Fx(fx.type, fx.name, {}, provider=fx.provider))
        assert not [m for m in messages if EVALUATION_FAILED in m], messages


@pytest.mark.parametrize("name", STACK)
def test_unrelated_stack_reports_only_presence_controls(name: str) -> None:
    lonely = World(
        {"topic": Fx("aws:sns/topic:Topic", "topic", {"name": "groundwork-prod-t", "kmsMasterKeyId": "k"})}, services=[]
    )
    assert run_stack(name, lonely) == EMPTY_STACK.get(name, [])


@pytest.mark.parametrize("name", STACK)
def test_stack_with_empty_properties_is_safe(name: str) -> None:
    hollow = WORLD.copy()
    for fx in hollow.resources.values():
        fx.props = {}
    messages = run_stack(name, hollow)
    assert not [m for m in messages if EVALUATION_FAILED in m], messages
