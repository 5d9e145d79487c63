"""The pack's framework: policy metadata, tiers, exemptions, and safe property access.

Every policy is registered with a stable name, the control IDs it enforces, a severity, a
tier ("all", "stg+", "prod"), the resource types it reads, a description and remediation.
The registry rejects duplicate names. `build()` turns the registry into `pulumi_policy`
policies for one stack:

- Tier rule (one, documented): the stack's environment is the config value
  `<project>:environment` (Groundwork sets `groundwork:environment`); without it, the
  stack name decides: a name starting `dev` is dev, `staging`/`stg` is staging, anything
  else is prod (fail closed). A policy is mandatory where its tier applies and advisory
  below it; its message says which.
- Exemptions: `groundwork:exemptions` in the stack config lists `{control, reason}`. A
  policy whose controls are all exempted is advisory and its message carries the reason.
- `--policy-pack-config` may still set any policy's enforcement level; a `reason`
  property in that config is shown in every message of the policy.

Property access follows the SDK's rules for values unknown at preview: `View.get` raises the
SDK's UnknownValueError (the SDK turns it into a "can't run during preview" advisory), while
`View.has` treats an unknown value as present, so presence checks never trip on unknowns.
Numbers arrive as floats; props are read-only mappings and are never mutated.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError, _DictProxy, _is_unknown, _ListProxy

from .controls import CONTROLS, applies
from .server import TypedResourcePolicy

SEVERITIES = {"low": Severity.LOW, "medium": Severity.MEDIUM, "high": Severity.HIGH, "critical": Severity.CRITICAL}
UNKNOWN: Any = object()  # returned by View.peek for values unknown at preview


# ---------------------------------------------------------------------------------------------
# Safe, read-only views over props
# ---------------------------------------------------------------------------------------------


def _raw(value: Any) -> Any:
    """The plain data behind the SDK's proxies, unknown sentinels kept as the strings they are.

    The SDK wraps props in _DictProxy/_ListProxy, which raise on unknown values; reading the
    wrapped data through their "__target" key never does.
    """
    if isinstance(value, _DictProxy | _ListProxy):
        value = value["__target"]
    if isinstance(value, Mapping):
        return {k: _raw(v) for k, v in value.items()} if not isinstance(value, _DictProxy) else _raw(value)
    if isinstance(value, list | tuple):
        return [_raw(v) for v in value]
    return value


def _read_only(self: Any, *args: Any, **kwargs: Any) -> Any:
    raise TypeError("a resource's props are read-only in a policy (every policy of a request shares them)")


class StrictDict(dict):
    """A dict whose unknown values raise the SDK's UnknownValueError when read (like the SDK's proxy),
    while staying a dict for isinstance checks and JSON. Read-only: the policies of a request
    share one View (server.py), so no policy may change what the next one reads."""

    __setitem__ = __delitem__ = _read_only
    pop = popitem = clear = update = setdefault = _read_only
    __ior__ = _read_only

    path: tuple[str, ...] = ()

    def _check(self, key: Any, value: Any) -> Any:
        if _is_unknown(value):
            raise UnknownValueError(value, [*self.path, str(key)])
        return value

    def __getitem__(self, key: Any) -> Any:
        return self._check(key, dict.__getitem__(self, key))

    def get(self, key: Any, default: Any = None) -> Any:
        return self[key] if dict.__contains__(self, key) else default

    def items(self):  # type: ignore[override]
        return [(k, self._check(k, v)) for k, v in dict.items(self)]

    def values(self):  # type: ignore[override]
        return [self._check(k, v) for k, v in dict.items(self)]


class StrictList(list):
    """A list whose unknown elements raise UnknownValueError when read, iterated or searched. Read-only."""

    __setitem__ = __delitem__ = __iadd__ = __imul__ = _read_only
    append = extend = insert = pop = remove = clear = sort = reverse = _read_only

    path: tuple[str, ...] = ()

    def _check(self, i: Any, value: Any) -> Any:
        if _is_unknown(value):
            raise UnknownValueError(value, [*self.path, str(i)])
        return value

    def __getitem__(self, i: Any) -> Any:
        value = list.__getitem__(self, i)
        return value if isinstance(i, slice) else self._check(i, value)

    def __iter__(self):  # type: ignore[override]
        for i, v in enumerate(list.__iter__(self)):
            yield self._check(i, v)

    def __contains__(self, item: Any) -> bool:
        return any(v == item for v in self)


def _strict(value: Any, path: tuple[str, ...] = ()) -> Any:
    if isinstance(value, dict):
        d = StrictDict({k: _strict(v, (*path, str(k))) for k, v in value.items()})
        d.path = path
        return d
    if isinstance(value, list):
        lst = StrictList(_strict(v, (*path, str(i))) for i, v in enumerate(value))
        lst.path = path
        return lst
    return value


class View:
    """Read-only access to a resource's props that follows the SDK's rules for unknown values.

    - `get(path)`: the value (absent -> `default`); an unknown value raises the SDK's
      UnknownValueError (reported by the SDK as "can't run during preview"), and so does reading
      an unknown inside a returned dict or list.
    - `peek(path)`: like get, but returns UNKNOWN instead of raising for an unknown value on the
      path, for checks that decide what an unknown means.
    - `has(path)`: present and not empty; an unknown value counts as present, so presence checks
      never trip on unknowns.
    """

    __slots__ = ("_data", "_props")

    def __init__(self, props: Any) -> None:
        # converted on first read: a stack policy builds a View for every resource of the stack
        # and reads the few of its own types (issue 16: the eager copy was a third of AnalyzeStack)
        self._props = props
        self._data: Any = None

    @property
    def data(self) -> Any:
        if self._data is None:
            self._data = _strict(_raw(self._props) if self._props is not None else {})
            self._props = None
        return self._data

    def peek(self, path: str, default: Any = None) -> Any:
        value: Any = self.data
        for part in _split(path):
            if isinstance(value, dict) and isinstance(part, str) and dict.__contains__(value, part):
                value = dict.__getitem__(value, part)
            elif isinstance(value, list) and isinstance(part, int) and -len(value) <= part < len(value):
                value = list.__getitem__(value, part)
            else:
                return default
            if _is_unknown(value):
                return UNKNOWN
        return value

    def get(self, path: str, default: Any = None) -> Any:
        value = self.peek(path, default)
        if value is UNKNOWN:
            raise UnknownValueError(_unknown_sentinel_at(self.data, path), _split_str(path))
        return value

    def has(self, path: str) -> bool:
        value = self.peek(path)
        return value is UNKNOWN or value not in (None, "", [], {})

    def text(self, path: str, default: str = "") -> str:
        value = self.get(path, default)
        return value if isinstance(value, str) else default

    def number(self, path: str, default: float | None = None) -> float | None:
        value = self.get(path, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            if isinstance(value, str):
                try:
                    return float(value)
                except ValueError:
                    return default
            return default
        return float(value)

    def flag(self, path: str, default: bool | None = None) -> bool | None:
        value = self.get(path, default)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return default

    def items(self, path: str) -> list[Any]:
        value = self.get(path, [])
        return value if isinstance(value, list) else []

    def mapping(self, path: str) -> dict[str, Any]:
        value = self.get(path, {})
        return value if isinstance(value, dict) else {}

    def json(self, path: str) -> Any:
        """A property holding a JSON document as text (IAM policies, provider config)."""
        value = self.get(path)
        if isinstance(value, str):
            try:
                return _strict(json.loads(value))
            except json.JSONDecodeError:
                return None
        return value


def _split(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for piece in path.replace("]", "").split("."):
        for j, sub in enumerate(piece.split("[")):
            if j == 0:
                if sub:
                    parts.append(sub)
            else:
                parts.append(int(sub) if sub.lstrip("-").isdigit() else sub)
    return parts


def _split_str(path: str) -> list[str]:
    return [str(p) for p in _split(path)]


def _unknown_sentinel_at(data: Any, path: str) -> str:
    value = data
    for part in _split(path):
        try:
            value = dict.__getitem__(value, part) if isinstance(value, dict) else list.__getitem__(value, part)
        except (KeyError, IndexError, TypeError):
            break
        if _is_unknown(value):
            return str(value)
    return "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def num(value: float | None) -> str:
    if value is None:
        return "unset"
    return str(int(value)) if float(value).is_integer() else str(value)


# ---------------------------------------------------------------------------------------------
# Stack context
# ---------------------------------------------------------------------------------------------


def resolve_environment(stack: str, config: Mapping[str, Any], project: str = "groundwork") -> str:
    """The documented tier rule (see the module docstring)."""
    value = config.get(f"{project}:environment")
    if value in ("dev", "staging", "prod"):
        return str(value)
    name = (stack or "").lower()
    if name.startswith("dev"):
        return "dev"
    if name.startswith(("staging", "stg")):
        return "staging"
    return "prod"


@dataclass
class PackContext:
    project: str = "groundwork"
    stack: str = ""
    environment: str = "prod"
    config: dict[str, Any] = field(default_factory=dict)
    exemptions: dict[str, tuple[str, frozenset[str]]] = field(default_factory=dict)  # control -> (reason, policies)
    today: dt.date = field(default_factory=dt.date.today)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PackContext:
        env = os.environ if environ is None else environ
        project = env.get("PULUMI_PROJECT", "groundwork")
        stack = env.get("PULUMI_STACK", "")
        try:
            config = json.loads(env.get("PULUMI_CONFIG") or "{}")
        except json.JSONDecodeError:
            config = {}
        today = dt.date.fromisoformat(env["GROUNDWORK_TODAY"]) if env.get("GROUNDWORK_TODAY") else dt.date.today()
        return cls.build(project, stack, config, today)

    @classmethod
    def build(cls, project: str, stack: str, config: Mapping[str, Any], today: dt.date | None = None) -> PackContext:
        today = today or dt.date.today()
        exemptions: dict[str, tuple[str, frozenset[str]]] = {}
        raw = config.get(f"{project}:exemptions")
        try:
            entries = json.loads(raw) if isinstance(raw, str) else raw or []
        except json.JSONDecodeError:
            entries = []
        for e in entries if isinstance(entries, list) else []:
            if not isinstance(e, dict) or not isinstance(e.get("control"), str) or not e.get("reason"):
                continue  # an exemption needs a written reason; the settings refuse it too
            expires = e.get("expires")
            if expires:
                try:
                    if dt.date.fromisoformat(str(expires)) < today:
                        continue
                except ValueError:
                    continue
            policies = e.get("policies") if isinstance(e.get("policies"), list) else []
            exemptions[e["control"]] = (str(e["reason"]), frozenset(str(p) for p in policies))
        return cls(project, stack, resolve_environment(stack, config, project), dict(config), exemptions, today)

    @property
    def in_cluster(self) -> bool:
        """False for the first `up` of a stack from outside its VPC (`groundwork:inCluster: false`):
        the in-cluster layer is not in the graph yet, so its controls are advisory until it is."""
        return str(self.config.get(f"{self.project}:inCluster", "true")).lower() != "false"

    def setting(self, key: str, default: Any = None) -> Any:
        """A structured project setting from the stack config (e.g. `services`)."""
        raw = self.config.get(f"{self.project}:{key}")
        if raw is None:
            return default
        if isinstance(raw, str):
            try:
                return json.loads(raw)
            except json.JSONDecodeError:
                return raw
        return raw

    @property
    def services(self) -> list[dict[str, Any]]:
        value = self.setting("services", [])
        return (
            [s for s in value if isinstance(s, dict) and isinstance(s.get("name"), str)]
            if isinstance(value, list)
            else []
        )

    @property
    def name_prefix(self) -> str:
        return f"{self.project}-{self.stack}"


# ---------------------------------------------------------------------------------------------
# Resources for stack policies
# ---------------------------------------------------------------------------------------------


@dataclass
class Res:
    """One resource of AnalyzeStack, with property dependencies resolved to URNs."""

    urn: str
    type: str
    name: str
    props: View
    protect: bool
    parent: str
    provider: View | None
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]

    def deps(self, prop: str) -> list[str]:
        return self.property_dependencies.get(prop, [])


class Graph:
    """The stack's resources, queryable by type and by dependency."""

    def __init__(self, resources: Iterable[Res]) -> None:
        self.resources = list(resources)
        self.by_urn = {r.urn: r for r in self.resources}
        self._by_type: dict[str, list[Res]] = {}
        for r in self.resources:
            self._by_type.setdefault(r.type, []).append(r)
        self._position = {id(r): i for i, r in enumerate(self.resources)}

    def of(self, *types: str) -> list[Res]:
        """The resources of `types`, in the stack's order (an index, not a scan: issue 16)."""
        if len(types) == 1:
            return list(self._by_type.get(types[0], ()))
        found = [r for t in dict.fromkeys(types) for r in self._by_type.get(t, ())]
        return sorted(found, key=lambda r: self._position[id(r)])

    def referencing(self, target: Res, *types: str, prop: str) -> list[Res]:
        """Resources of `types` whose property `prop` depends on `target`: the property that attaches
        them (a subnet's vpcId), never any dependency (a rule whose source is `target` belongs to
        another group; issue 18, tests/policies/test_network_edges.py)."""
        return [r for r in self.of(*types) if target.urn in r.deps(prop)]

    def targets(self, r: Res, prop: str, *types: str) -> list[Res]:
        """The resources of `types` that `r`'s property `prop` depends on."""
        return [
            self.by_urn[u] for u in r.deps(prop) if u in self.by_urn and (not types or self.by_urn[u].type in types)
        ]

    @classmethod
    def from_args(cls, args: StackValidationArgs) -> Graph:
        resources = []
        for r in args.resources:
            provider = View(r.provider.props) if r.provider is not None else None
            resources.append(
                Res(
                    urn=r.urn,
                    type=r.resource_type,
                    name=r.name,
                    props=View(r.props),
                    protect=bool(getattr(r.opts, "protect", False)),
                    parent=getattr(r.opts, "parent", None) or "",
                    provider=provider,
                    dependencies=[d.urn for d in r.dependencies],
                    property_dependencies={k: [d.urn for d in v] for k, v in r.property_dependencies.items()},
                )
            )
        return cls(resources)


# ---------------------------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------------------------

ResourceCheck = Callable[["Resource", PackContext], Iterable[str]]
StackCheck = Callable[[Graph, PackContext], Iterable[tuple[str, str]]]


@dataclass
class Resource:
    """What a resource policy's check receives."""

    type: str
    name: str
    urn: str
    props: View
    protect: bool
    provider: View | None


@dataclass(frozen=True)
class Spec:
    name: str
    controls: tuple[str, ...]
    description: str
    severity: str
    tier: str
    remediation: str
    types: tuple[str, ...]
    kind: str  # "resource" | "stack"
    module: str
    check: Callable[..., Iterable[Any]]

    @property
    def url(self) -> str:
        return f"https://github.com/groundwork/groundwork/blob/main/docs/policies.md#{self.name}"


class Registry:
    def __init__(self) -> None:
        self.specs: dict[str, Spec] = {}

    def _add(self, spec: Spec) -> None:
        if spec.name in self.specs:
            raise ValueError(f"duplicate policy name {spec.name!r} ({spec.module} and {self.specs[spec.name].module})")
        unknown = [c for c in spec.controls if c not in CONTROLS]
        if unknown:
            raise ValueError(f"policy {spec.name} names unknown controls {unknown}")
        if spec.tier not in ("all", "stg+", "prod"):
            raise ValueError(f"policy {spec.name} has unknown tier {spec.tier!r}")
        if spec.severity not in SEVERITIES:
            raise ValueError(f"policy {spec.name} has unknown severity {spec.severity!r}")
        self.specs[spec.name] = spec

    def resource(
        self,
        name: str,
        *,
        controls: tuple[str, ...] | str,
        types: tuple[str, ...] | str,
        severity: str,
        description: str,
        remediation: str,
        tier: str = "all",
    ) -> Callable[[ResourceCheck], ResourceCheck]:
        def decorate(fn: ResourceCheck) -> ResourceCheck:
            self._add(
                Spec(
                    name,
                    _tuple(controls),
                    description,
                    severity,
                    tier,
                    remediation,
                    _tuple(types),
                    "resource",
                    fn.__module__,
                    fn,
                )
            )
            return fn

        return decorate

    def stack(
        self,
        name: str,
        *,
        controls: tuple[str, ...] | str,
        types: tuple[str, ...] | str,
        severity: str,
        description: str,
        remediation: str,
        tier: str = "all",
    ) -> Callable[[StackCheck], StackCheck]:
        def decorate(fn: StackCheck) -> StackCheck:
            self._add(
                Spec(
                    name,
                    _tuple(controls),
                    description,
                    severity,
                    tier,
                    remediation,
                    _tuple(types),
                    "stack",
                    fn.__module__,
                    fn,
                )
            )
            return fn

        return decorate

    def build(self, ctx: PackContext) -> list[ResourceValidationPolicy | StackValidationPolicy]:
        return [build_policy(spec, ctx) for spec in self.specs.values()]


def _tuple(value: tuple[str, ...] | str) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


REGISTRY = Registry()
IN_CLUSTER_LATER = (
    "the in-cluster layer is not deployed yet (groundwork:inCluster is false for a first deploy in two steps; "
    "the next `up` from inside the VPC installs it and this control is mandatory again)"
)

CONFIG_SCHEMA = PolicyConfigSchema(
    properties={
        "reason": {"type": "string", "description": "Why this policy's enforcement was changed (shown in the report)."}
    }
)


def enforcement(spec: Spec, ctx: PackContext) -> tuple[EnforcementLevel, str]:
    """The level of `spec` for this stack, and the note its messages carry."""
    exempted = [
        c
        for c in spec.controls
        if c in ctx.exemptions and (not ctx.exemptions[c][1] or spec.name in ctx.exemptions[c][1])
    ]
    if exempted and len(exempted) == len(spec.controls):
        reasons = "; ".join(f"{c}: {ctx.exemptions[c][0]}" for c in exempted)
        return EnforcementLevel.ADVISORY, f"exempted for this stack ({reasons})"
    if spec.name.startswith("kubernetes-") and not ctx.in_cluster:
        return EnforcementLevel.ADVISORY, IN_CLUSTER_LATER
    if applies(spec.tier, ctx.environment):
        return EnforcementLevel.MANDATORY, ""
    return EnforcementLevel.ADVISORY, f"advisory in {ctx.environment}: mandatory in tier {spec.tier}"


def _message(spec: Spec, detail: str, note: str, config: Mapping[str, Any]) -> str:
    tags = "/".join(spec.controls)
    extra = [note] if note else []
    if config.get("reason"):
        extra.append(f"enforcement changed: {config['reason']}")
    suffix = f" ({'; '.join(extra)})" if extra else ""
    return f"[{tags}] {detail}{suffix}"


EVALUATION_FAILED = "could not be evaluated"


def _guarded(spec: Spec, run: Callable[[], list[Any]], urn: str) -> list[Any]:
    """Run a check; an unexpected error becomes a violation (fail closed) instead of crashing the preview.

    UnknownValueError and not-applicable propagate: the SDK handles both.
    """
    try:
        return run()
    except UnknownValueError:
        raise
    except Exception as exc:
        if type(exc).__name__ == "_NotApplicableError":
            raise
        return [f"{EVALUATION_FAILED} on {urn or 'the stack'}: {type(exc).__name__}: {exc}"]


_last_view: tuple[Any, View | None] = (None, None)
_last_graph: tuple[Any, Graph | None] = (None, None)


def _shared_view(props: Any) -> View:
    """One View per props object: the pack's servicer hands every policy of a request the same
    props, so the conversion is done once (a one-entry cache keyed by identity; a miss only costs
    a new View)."""
    global _last_view
    key, view = _last_view
    if key is not props or view is None:
        view = View(props)
        _last_view = (props, view)
    return view


def _shared_graph(args: StackValidationArgs) -> Graph:
    """One Graph per AnalyzeStack: every stack policy receives the same resources list."""
    global _last_graph
    key, graph = _last_graph
    if key is not args.resources or graph is None:
        graph = Graph.from_args(args)
        _last_graph = (args.resources, graph)
    return graph


def build_policy(spec: Spec, ctx: PackContext) -> ResourceValidationPolicy | StackValidationPolicy:
    level, note = enforcement(spec, ctx)
    common = dict(
        name=spec.name,
        description=spec.description,
        enforcement_level=level,
        severity=SEVERITIES[spec.severity],
        remediation_steps=spec.remediation,
        tags=[*spec.controls, f"tier:{spec.tier}"],
        config_schema=CONFIG_SCHEMA,
        url=spec.url,
    )
    if spec.kind == "resource":
        not_applicable = f"{spec.name} checks {', '.join(spec.types)}"

        def validate_resource(args: ResourceValidationArgs, report: ReportViolation) -> None:
            if not matches(args.resource_type, spec.types):
                args.not_applicable(not_applicable)
            resource = Resource(
                type=args.resource_type,
                name=args.name,
                urn=args.urn,
                props=_shared_view(args.props),
                protect=bool(getattr(args.opts, "protect", False)),
                provider=_shared_view(args.provider.props) if args.provider is not None else None,
            )
            for detail in _guarded(spec, lambda: list(spec.check(resource, ctx)), args.urn):
                report(_message(spec, detail, note, args.get_config()), None)

        return TypedResourcePolicy(
            validate=validate_resource,  # type: ignore[arg-type]
            types=spec.types,
            not_applicable_reason=not_applicable,
            applies=matches,
            **common,  # type: ignore[arg-type]
        )

    def validate_stack(args: StackValidationArgs, report: ReportViolation) -> None:
        graph = _shared_graph(args)
        for item in _guarded(spec, lambda: list(spec.check(graph, ctx)), ""):
            detail, urn = item if isinstance(item, tuple) else (item, "")
            report(_message(spec, detail, note, args.get_config()), urn or None)

    return StackValidationPolicy(validate=validate_stack, **common)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Small helpers shared by the modules
# ---------------------------------------------------------------------------------------------


def sub(value: Any, *keys: str, default: Any = None) -> Any:
    """value[k1][k2]... through mappings only; `default` where a level is missing or not a mapping."""
    for key in keys:
        if not isinstance(value, dict):
            return default
        value = value.get(key)
        if value is None:
            return default
    return value


def dicts(value: Any) -> list[dict[str, Any]]:
    """The mapping elements of a list (anything else in it is ignored)."""
    return [v for v in as_list(value) if isinstance(v, dict)]


def matches(type_: str, patterns: tuple[str, ...]) -> bool:
    """A resource type against a policy's types (exact tokens or globs such as "aws:*")."""
    return any(type_ == p or (("*" in p) and fnmatch.fnmatchcase(type_, p)) for p in patterns)


def first(values: Iterable[Any], default: Any = None) -> Any:
    return next(iter(values), default)


def as_list(value: Any) -> list[Any]:
    if value is None or value is UNKNOWN:
        return []
    return value if isinstance(value, list) else [value]


def statements(doc: Any) -> Iterator[dict[str, Any]]:
    if isinstance(doc, dict):
        st = doc.get("Statement", [])
        for s in st if isinstance(st, list) else [st]:
            if isinstance(s, dict):
                yield s


def unknown(value: Any) -> bool:
    """A value unknown at preview: View's UNKNOWN, or a raw sentinel inside a nested mapping."""
    return value is UNKNOWN or _is_unknown(value)


def truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")
