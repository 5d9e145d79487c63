"""Queries over recorded graphs used by several test modules."""

from __future__ import annotations

from typing import Any

from groundwork.plan.graph import Graph, Resource


def deps(r: Resource, prop: str) -> list[str]:
    """URNs the property `prop` of `r` depends on (how ids unknown at preview are related)."""
    return r.property_dependencies.get(prop, [])


def by_name(graph: Graph, type_: str) -> dict[str, Resource]:
    return {r.name: r for r in graph.of_type(type_)}


def output_of(graph: Graph, urn: str, key: str) -> Any:
    return graph.by_urn[urn].outputs.get(key)


def provider_inputs(graph: Graph, r: Resource) -> dict[str, Any]:
    return graph.by_urn[r.provider_urn].props if r.provider else {}


def outside(graph: Graph, component_type: str) -> list[str]:
    """Names of the resources that do not descend from the one component of `component_type`
    (the stack and providers a test declares itself aside). A child created without
    `parent=self` gets another URN (its parent is part of it), so a later refactor that adds the
    parent replaces it; components keep every child under themselves."""
    root = graph.one(component_type).urn
    index = graph.by_urn
    lost = []
    for r in graph.resources:
        if r.urn == root or r.type == "pulumi:pulumi:Stack" or r.type.startswith("pulumi:providers:"):
            continue
        p = r.parent
        while p and p != root:
            p = index[p].parent if p in index else ""
        if p != root:
            lost.append(r.name)
    return lost
