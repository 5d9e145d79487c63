"""The pack's analyzer servicer: the SDK's, with each request's work done once (issue 16).

pulumi-policy 1.21.0's `_PolicyAnalyzerServicer` (pulumi/pulumi-policy,
sdk/python/lib/pulumi_policy/policy.py, `Analyze` and `AnalyzeStack`) converts the request's
properties (protobuf Struct -> dict -> unknown-checking proxy), options and provider again for
every policy, and in `AnalyzeStack` rebuilds every resource of the stack for every stack policy.
With 104 policies that was 90,000 conversions for prod's 458 resources and 9.6 ms per resource,
against about 1 ms for the checks themselves. This servicer answers exactly as the SDK's does (same
diagnostics, not-applicable entries and order; `tests/policies/test_server.py` compares both on
every stack and every policy case) but:

- converts a request's properties, options and provider once and hands the same (read-only)
  arguments to every policy; the pack's policies never mutate them (core.View copies on read);
- answers "not applicable" for a resource policy whose types do not include the resource's
  without building anything (the reason is the one the policy itself gives, core.build_policy);
- builds the stack's resources once per `AnalyzeStack` for all stack policies.

The SDK is pinned (policies/requirements.txt, constraints.txt): `servicer_is_compatible` is
checked at start-up and a different SDK falls back to the stock servicer, so a bump is slower,
never wrong.
"""

from __future__ import annotations

import asyncio
from inspect import isawaitable
from typing import Any

from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi_policy import policy as sdk
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy
from pulumi_policy.version import VERSION

SDK_VERSION = "1.21.0"  # the servicer this one mirrors; see servicer_is_compatible


class TypedResourcePolicy(sdk.ResourceValidationPolicy):
    """A resource policy that names the resource types it checks; any other type is not applicable
    with `not_applicable_reason`, which is what its validate would report."""

    def __init__(self, *, types: tuple[str, ...], not_applicable_reason: str, applies: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.types = types
        self.not_applicable_reason = not_applicable_reason
        self._applies = applies
        self._cache: dict[str, bool] = {}

    def applies_to(self, resource_type: str) -> bool:
        hit = self._cache.get(resource_type)
        if hit is None:
            hit = self._cache[resource_type] = bool(self._applies(resource_type, self.types))
        return hit


def _props(struct: Any) -> Any:
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(struct)))


class Servicer(sdk._PolicyAnalyzerServicer):
    """`_PolicyAnalyzerServicer` with the per-request work shared by all policies (module docstring)."""

    @property
    def _policies(self) -> list[Any]:
        return self._PolicyAnalyzerServicer__policies  # type: ignore[attr-defined,no-any-return]

    @property
    def _pack(self) -> tuple[str, str]:
        return self._PolicyAnalyzerServicer__policy_pack_name, self._PolicyAnalyzerServicer__policy_pack_version  # type: ignore[attr-defined]

    @property
    def _tags(self) -> Any:
        return self._PolicyAnalyzerServicer__stack_tags  # type: ignore[attr-defined]

    def _run(self, response: Any, policy: Any, args: Any, report: Any) -> None:
        """The SDK's handling of one policy's validate (awaitables, unknowns, not applicable)."""
        name, version = self._pack
        try:
            result = policy.validate(args, report)
            if isawaitable(result):
                loop = asyncio.new_event_loop()
                loop.run_until_complete(asyncio.Task(result, loop=loop))  # type: ignore[arg-type]
                loop.close()
        except UnknownValueError as e:
            response.diagnostics.append(
                proto.AnalyzeDiagnostic(
                    policyName=policy.name,
                    policyPackName=name,
                    policyPackVersion=version,
                    message=(
                        f"can't run policy '{policy.name}' from policy pack '{name}@v{version}' during preview: "
                        f"{e.message}"
                    ),
                    urn="",
                    description=policy.description,
                    enforcementLevel=self._map_enforcement_level(sdk.EnforcementLevel.ADVISORY),
                )
            )
        except sdk._NotApplicableError as e:
            response.not_applicable.append(proto.PolicyNotApplicable(policy_name=policy.name, reason=e.reason or ""))

    def Analyze(self, request: Any, _context: Any) -> Any:
        self._configure_runtime_settings()
        response = proto.AnalyzeResponse()
        shared: tuple[Any, Any, Any] | None = None
        for policy in self._policies:
            level = self._get_enforcement_level(policy)
            if level == sdk.EnforcementLevel.DISABLED or not isinstance(policy, sdk.ResourceValidationPolicy):
                continue
            if not policy.has_validation():
                response.not_applicable.append(
                    proto.PolicyNotApplicable(policy_name=policy.name, reason="Policy does not implement validate")
                )
                continue
            if isinstance(policy, TypedResourcePolicy) and not policy.applies_to(request.type):
                response.not_applicable.append(
                    proto.PolicyNotApplicable(policy_name=policy.name, reason=policy.not_applicable_reason)
                )
                continue
            if level == sdk.EnforcementLevel.REMEDIATE:
                level = sdk.EnforcementLevel.MANDATORY
            report = self._create_report_violation(response, policy.name, policy.description, level, policy.severity)
            if shared is None:
                shared = (
                    _props(request.properties),
                    self._get_resource_options(request),
                    self._get_provider_resource(request),
                )
            props, opts, provider = shared
            args = sdk.ResourceValidationArgs(
                request.type,
                props,
                request.urn,
                request.name,
                opts,
                provider,
                self._get_policy_config(policy.name),
                self._tags,
            )
            self._run(response, policy, args, report)
        return response

    def _stack_resources(self, request: Any) -> list[Any]:
        """The SDK's PolicyResource list for AnalyzeStack, with parents and dependencies linked."""
        resources = []
        links = []
        for r in request.resources:
            resource = sdk.PolicyResource(
                r.type,
                _props(r.properties),
                r.urn,
                r.name,
                self._get_resource_options(r),
                self._get_provider_resource(r),
                None,
                [],
                {},
            )
            resources.append(resource)
            links.append((r.parent, list(r.dependencies), {k: list(v.urns) for k, v in r.propertyDependencies.items()}))
        by_urn = {r.urn: r for r in resources}
        for resource, (parent, dependencies, property_dependencies) in zip(resources, links, strict=True):
            if parent is not None and parent in by_urn:
                resource.parent = by_urn[parent]
            resource.dependencies.extend(by_urn[d] for d in dependencies if d in by_urn)
            for k, urns in property_dependencies.items():
                resource.property_dependencies[k] = [by_urn[d] for d in urns if d in by_urn]
        return resources

    def AnalyzeStack(self, request: Any, _context: Any) -> Any:
        self._configure_runtime_settings()
        response = proto.AnalyzeResponse()
        resources: list[Any] | None = None
        for policy in self._policies:
            level = self._get_enforcement_level(policy)
            if level == sdk.EnforcementLevel.DISABLED or not isinstance(policy, sdk.StackValidationPolicy):
                continue
            if level == sdk.EnforcementLevel.REMEDIATE:
                level = sdk.EnforcementLevel.MANDATORY
            report = self._create_report_violation(response, policy.name, policy.description, level, policy.severity)
            if resources is None:
                resources = self._stack_resources(request)
            args = sdk.StackValidationArgs(resources, self._get_policy_config(policy.name), self._tags)
            self._run(response, policy, args, report)
        return response


def servicer_is_compatible() -> bool:
    """This servicer mirrors pulumi-policy SDK_VERSION's; with another SDK the pack uses the stock one."""
    return VERSION == SDK_VERSION and hasattr(sdk, "_PolicyAnalyzerServicer")


def install() -> bool:
    """Make `PolicyPack` serve this servicer (it instantiates the module's `_PolicyAnalyzerServicer`)."""
    if not servicer_is_compatible():
        return False
    sdk._PolicyAnalyzerServicer = Servicer  # type: ignore[misc]
    return True
