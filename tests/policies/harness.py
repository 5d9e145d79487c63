"""Run one policy of the pack on fixtures, through the same objects and wrappers the servicer uses.

Props are prepared as the SDK's servicer prepares them: a protobuf Struct round trip (numbers
become floats), `deserialize_properties`, then `unknown_checking_proxy` (read-only, raising on
unknown values). The gRPC path itself is exercised in test_policy_analyzer.py.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

import groundwork_policies as pack  # on sys.path through tests/conftest.py
from google.protobuf import json_format, struct_pb2
from groundwork_policies.core import PackContext, build_policy
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import unknown_checking_proxy

from groundwork.plan.graph import Graph, Resource

DELETE = object()
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
PROVIDERS = {
    "primary": {
        "region": "eu-west-1",
        "allowedAccountIds": '["333333333333"]',
        "defaultTags": json.dumps(
            {
                "tags": {
                    "Environment": "prod",
                    "Project": "groundwork",
                    "Owner": "platform-team",
                    "CostCenter": "platform",
                    "ManagedBy": "pulumi",
                }
            }
        ),
    },
    "global": {  # us-east-1: CloudFront's certificate and WAF, DNSSEC keys, query logs
        "region": "us-east-1",
        "allowedAccountIds": '["333333333333"]',
        "defaultTags": json.dumps(
            {
                "tags": {
                    "Environment": "prod",
                    "Project": "groundwork",
                    "Owner": "platform-team",
                    "CostCenter": "platform",
                    "ManagedBy": "pulumi",
                }
            }
        ),
    },
    "dr": {
        "region": "eu-central-1",
        "allowedAccountIds": '["333333333333"]',
        "defaultTags": json.dumps(
            {
                "tags": {
                    "Environment": "prod",
                    "Project": "groundwork",
                    "Owner": "platform-team",
                    "CostCenter": "platform",
                    "ManagedBy": "pulumi",
                }
            }
        ),
    },
}


class NotApplicable(Exception):
    pass


def wire(props: dict[str, Any]) -> Any:
    s = struct_pb2.Struct()
    s.update(props)
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(s)))


@dataclass
class Fx:
    type: str
    name: str
    props: dict[str, Any]
    deps: dict[str, list[str]] = field(default_factory=dict)
    provider: str | None = "primary"
    protect: bool = False


@dataclass
class World:
    resources: dict[str, Fx]
    services: list[dict[str, Any]]
    stack: str = "prod"

    def urn(self, name: str) -> str:
        fx = self.resources[name]
        return f"urn:pulumi:{self.stack}::groundwork::{fx.type}::{name}"

    def copy(self) -> World:
        return copy.deepcopy(self)

    def patch(self, name: str, path: str, value: Any) -> World:
        w = self.copy()
        set_path(w.resources[name].props, path, value)
        return w

    def without(self, *names: str) -> World:
        w = self.copy()
        for n in names:
            del w.resources[n]
        for fx in w.resources.values():
            fx.deps = {k: [d for d in v if d not in names] for k, v in fx.deps.items()}
        return w

    def with_(self, *fxs: Fx) -> World:
        w = self.copy()
        for fx in fxs:
            w.resources[fx.name] = fx
        return w

    def config(self, env: str) -> dict[str, str]:
        return {"groundwork:environment": env, "groundwork:services": json.dumps(self.services)}


def set_path(data: Any, path: str, value: Any) -> None:
    parts: list[Any] = []
    for piece in path.split("."):
        for j, sub in enumerate(piece.replace("]", "").split("[")):
            parts.append(int(sub) if j and sub.isdigit() else sub)
    for part in parts[:-1]:
        data = data[part]
    if value is DELETE:
        data.pop(parts[-1], None) if isinstance(data, dict) else data.pop(parts[-1])
    else:
        data[parts[-1]] = value


def context(env: str, config: dict[str, str] | None = None, stack: str | None = None) -> PackContext:
    import datetime as dt

    return PackContext.build(
        "groundwork", stack or env, config or {"groundwork:environment": env}, today=dt.date(2026, 11, 21)
    )


def built(policy_name: str, ctx: PackContext) -> Any:
    return build_policy(pack.REGISTRY.specs[policy_name], ctx)


def _options(protect: bool) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def run_resource(
    policy_name: str,
    fx: Fx,
    env: str = "prod",
    ctx: PackContext | None = None,
    policy_config: dict[str, Any] | None = None,
) -> list[str]:
    """Messages the resource policy reports for `fx` (raises NotApplicable for other types)."""
    ctx = ctx or context(env)
    policy = built(policy_name, ctx)
    provider = (
        PolicyProviderResource("pulumi:providers:aws", wire(PROVIDERS[fx.provider]), "urn:p", fx.provider)
        if fx.provider
        else None
    )
    args = ResourceValidationArgs(
        fx.type,
        wire(fx.props),
        f"urn:pulumi:{env}::groundwork::{fx.type}::{fx.name}",
        fx.name,
        _options(fx.protect),
        provider,
        policy_config,
    )
    messages: list[str] = []
    try:
        policy.validate(args, lambda message, urn=None: messages.append(message))
    except _NotApplicableError as exc:
        raise NotApplicable(exc.reason) from None
    return messages


def stack_args(world: World) -> StackValidationArgs:
    resources: dict[str, PolicyResource] = {}
    for name, fx in world.resources.items():
        provider = (
            PolicyProviderResource(
                "pulumi:providers:aws", wire(PROVIDERS[fx.provider]), f"urn:p:{fx.provider}", fx.provider
            )
            if fx.provider
            else None
        )
        resources[name] = PolicyResource(
            fx.type, wire(fx.props), world.urn(name), name, _options(fx.protect), provider, None, [], {}
        )
    for name, fx in world.resources.items():
        r = resources[name]
        for prop, targets in fx.deps.items():
            r.property_dependencies[prop] = [resources[t] for t in targets if t in resources]
            r.dependencies += [resources[t] for t in targets if t in resources]
    return StackValidationArgs(list(resources.values()), {})


def run_stack(policy_name: str, world: World, env: str = "prod") -> list[str]:
    ctx = context(env, world.config(env), stack=world.stack)
    policy = built(policy_name, ctx)
    messages: list[str] = []
    policy.validate(stack_args(world), lambda message, urn=None: messages.append(message))
    return messages


def to_graph(world: World) -> Graph:
    """A recorded graph (as the offline plan records one) of the fixture world."""
    g = Graph(project="groundwork", stack=world.stack)
    prov_urn = {name: f"urn:pulumi:{world.stack}::groundwork::pulumi:providers:aws::aws-{name}" for name in PROVIDERS}
    for name, inputs in PROVIDERS.items():
        g.resources.append(
            Resource(
                urn=prov_urn[name],
                type="pulumi:providers:aws",
                name=f"aws-{name}",
                custom=True,
                id=f"{name}-id",
                inputs=dict(inputs),
            )
        )
    for name, fx in world.resources.items():
        deps = {k: [world.urn(t) for t in v if t in world.resources] for k, v in fx.deps.items()}
        g.resources.append(
            Resource(
                urn=world.urn(name),
                type=fx.type,
                name=name,
                custom=fx.type != "eks:index:Cluster",
                id=f"{name}-id",
                provider=f"{prov_urn[fx.provider]}::{fx.provider}-id" if fx.provider else "",
                dependencies=sorted({u for v in deps.values() for u in v}),
                property_dependencies=deps,
                inputs=fx.props,
                options={"protect": True} if fx.protect else {},
            )
        )
    return g
