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
