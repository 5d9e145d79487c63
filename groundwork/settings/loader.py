"""Load `StackSettings` from Pulumi configuration, reporting every problem in one pass.

Input is the flat config map the Pulumi CLI gives a program (`"groundwork:network"` ->
JSON text, `"aws:region"` -> `"eu-west-1"`). Each top-level setting is validated on its
own, so a broken `cluster` section does not hide a bad `network` one; then the rules in
`rules.py` run over every section that validated. All problems are raised together as one
`SettingsError`.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import difflib
import functools
import json
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from groundwork.settings.errors import MISSING, Problem, SettingsError
from groundwork.settings.model import StackSettings
from groundwork.settings.rules import Context, run_rules

PROJECT_NS = "groundwork"
# The AWS provider's configuration keys (pulumi-aws 7.51.1, pulumi_aws/config/vars.py, as camelCase
# Pulumi config keys); a key outside this list is a typo the provider would silently ignore.
AWS_PROVIDER_KEYS = (
    "accessKey", "allowedAccountIds", "assumeRoleWithWebIdentity", "assumeRoles", "customCaBundle", "defaultTags",
    "ec2MetadataServiceEndpoint", "ec2MetadataServiceEndpointMode", "endpoints", "forbiddenAccountIds", "httpProxy",
    "httpsProxy", "ignoreTags", "insecure", "maxRetries", "noProxy", "profile", "region", "retryMode",
    "s3UsEast1RegionalEndpoint", "s3UsePathStyle", "secretKey", "sharedConfigFiles", "sharedCredentialsFiles",
    "skipCredentialsValidation", "skipMetadataApiCheck", "skipRegionValidation", "skipRequestingAccountId",
    "stsRegion", "tagPolicyCompliance", "token", "tokenBucketRateLimiterCapacity", "useDualstackEndpoint",
    "useFipsEndpoint", "userAgents",
)  # fmt: skip
# Namespaces a stack file may use: this project, the providers the program uses, the engine's own.
NAMESPACES = (PROJECT_NS, "aws", "kubernetes", "random", "pulumi")
_NOT_FROM_CONFIG = {"project", "stack", "warnings"}
_CONTEXT_OWN = {"source", "today", "exemptions", "substituted"}


def config_key(name: str) -> str:
    """The Pulumi config key of a top-level StackSettings field."""
    if name == "region":
        return "aws:region"
    field = StackSettings.model_fields[name]
    return f"{PROJECT_NS}:{field.alias or name}"


CONFIG_KEYS: dict[str, str] = {
    config_key(name): name for name in StackSettings.model_fields if name not in _NOT_FROM_CONFIG
}


def load_settings(
    config: Mapping[str, Any],
    *,
    project: str,
    stack: str,
    source: str | None = None,
    today: dt.date | None = None,
) -> StackSettings:
    """Validate `config` into StackSettings or raise SettingsError listing every problem."""
    source = source or f"Pulumi.{stack}.yaml"
    today = today or dt.date.today()
    problems: list[Problem] = []
    values: dict[str, Any] = {"project": project, "stack": stack}
    substituted: set[str] = set()  # keys whose invalid value was replaced by its default for the rule pass

    for key in sorted(config):
        ns, _, rest = key.partition(":")
        if ns == PROJECT_NS and key not in CONFIG_KEYS:
            names = sorted(k.split(":", 1)[1] for k in CONFIG_KEYS if k.startswith(PROJECT_NS))
            close = difflib.get_close_matches(rest, names, n=1)
            problems.append(
                Problem(
                    key,
                    _parse(config[key], str),
                    "unknown setting" + (f" (did you mean {PROJECT_NS}:{close[0]}?)" if close else ""),
                    f"one of: {', '.join(names)}",
                    f"rename it to {PROJECT_NS}:{close[0]}" if close else f"remove {key} from {source}",
                )
            )
        elif ns == "aws" and rest not in AWS_PROVIDER_KEYS:
            close = difflib.get_close_matches(rest, AWS_PROVIDER_KEYS, n=1)
            problems.append(
                Problem(
                    key,
                    _parse(config[key], str),
                    "not a setting of the AWS provider, which would ignore it"
                    + (f" (did you mean aws:{close[0]}?)" if close else ""),
                    "aws:region, or another pulumi-aws provider setting (aws:profile, aws:allowedAccountIds, ...)",
                    f"rename it to aws:{close[0]}" if close else f"remove {key} from {source}",
                )
            )
        elif ns not in NAMESPACES:
            close = difflib.get_close_matches(ns, NAMESPACES, n=1)
            problems.append(
                Problem(
                    key,
                    _parse(config[key], str),
                    f"unknown namespace {ns!r}: nothing reads this key"
                    + (f" (did you mean {close[0]}:{rest}?)" if close else ""),
                    f"keys of the namespaces {', '.join(NAMESPACES)}",
                    f"rename it to {close[0]}:{rest}" if close else f"remove {key} from {source}",
                )
            )

    for key, name in CONFIG_KEYS.items():
        field = StackSettings.model_fields[name]
        if key not in config:
            if field.is_required():
                problems.append(
                    Problem(
                        key, MISSING, "required setting is missing", _allowed_for(field, {}), f"add {key} to {source}"
                    )
                )
            else:
                values[name] = field.get_default(call_default_factory=True)
            continue
        raw = _parse(config[key], field.annotation)
        try:
            values[name] = _adapter(name).validate_python(raw)
        except ValidationError as exc:
            problems += [_problem(err, key, field, source) for err in exc.errors()]
            partial, dropped = _partial(name, raw, exc)
            if partial is not None:
                values[name] = partial
                # "" marks a top-level list that lost an item: every index after it moved, so findings
                # about its items are dropped (findings about the list as a whole stay)
                substituted |= {
                    f"{key}[" if not k else f"{key}{k}" if k.startswith("[") else f"{key}.{k}" for k in dropped
                }

    ctx = Context(
        source=source,
        today=today,
        exemptions=values.get("exemptions") or [],
        substituted=substituted,
        **{f.name: values.get(f.name) for f in dataclasses.fields(Context) if f.name not in _CONTEXT_OWN},
    )
    rule_problems, warnings = run_rules(ctx)
    problems += [p for p in rule_problems if not any(p.key.startswith(k) for k in substituted)]
    if problems:
        raise SettingsError(problems, source)
    return StackSettings.model_validate({**values, "warnings": tuple(warnings)})


def from_pulumi() -> StackSettings:
    """Load the running stack's settings inside a Pulumi program (real CLI or mock runtime),
    as of today, reporting problems against `Pulumi.<stack>.yaml`."""
    import pulumi
    from pulumi.runtime.config import CONFIG, get_config_env

    config = {**get_config_env(), **CONFIG.get()}
    return load_settings(config, project=pulumi.get_project(), stack=pulumi.get_stack())


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _partial(name: str, raw: Any, exc: ValidationError) -> tuple[Any, set[str]]:
    """Re-validate a failed section with its failing parts pruned, for the rule pass.

    The rules can then still check the rest of the section (e.g. NET-01 on azCount when the
    cidr is malformed). First the deepest prunable point of each error is removed (a bad
    list item such as one instance type, or a key that has a default); if that does not
    validate, the shallowest (e.g. the whole node group). Returns the pruned value and the
    paths whose rule findings must be dropped, or (None, ...) when nothing valid is left.
    """
    annotation = StackSettings.model_fields[name].annotation
    for deepest in (True, False):
        found = [_prune_point(annotation, tuple(err["loc"]), deepest) for err in exc.errors()]
        points = [p for p in found if p is not None]
        if len(points) != len(found):
            continue
        pruned = copy.deepcopy(raw)
        # remove later list items first so earlier indices stay valid: paths sort as tuples, and at
        # any position paths with the same prefix hold the same kind of part (an index inside a
        # list, a key inside a mapping), so the comparison never mixes the two
        for path in sorted(set(points), reverse=True):
            _remove(pruned, path)
        try:
            value = _adapter(name).validate_python(pruned)
        except ValidationError:
            continue
        # a removed list item shifts the indices after it: mark the whole list as substituted
        marks = {_path("", p[:-1] if isinstance(p[-1], int) else p).lstrip(".") for p in points if p}
        return value, marks
    return None, set()


def _prune_point(annotation: Any, loc: tuple[Any, ...], deepest: bool) -> tuple[Any, ...] | None:
    """The path to remove for one error: deepest or shallowest list item / defaulted key."""
    t = annotation
    found: tuple[Any, ...] | None = None
    for i, part in enumerate(loc):
        t = _unwrap(t)
        origin = get_origin(t)
        point: tuple[Any, ...] | None = None
        if origin in (list, tuple):  # inside a list, pydantic's loc part is the item's index
            point, t = loc[: i + 1], get_args(t)[0]
        elif isinstance(t, type) and issubclass(t, BaseModel):
            match = next((f for n, f in t.model_fields.items() if (f.alias or n) == part), None)
            if match is None:  # an unknown key: dropping it is what the user must do anyway
                return loc[: i + 1]
            if not match.is_required():
                point = loc[: i + 1]
            t = match.annotation
        elif origin is dict:
            point, t = loc[: i + 1], get_args(t)[1]
        else:
            break
        if point is not None:
            found = point
            if not deepest:
                return found
    return found


def _remove(data: Any, path: tuple[Any, ...]) -> None:
    for part in path[:-1]:
        data = data[part]
    last = path[-1]
    if isinstance(data, list) and isinstance(last, int) and last < len(data):
        data.pop(last)
    elif isinstance(data, dict):
        data.pop(last, None)


@functools.cache
def _adapter(name: str) -> TypeAdapter[Any]:
    """A validator for one top-level field, constraints included (built once per process)."""
    field = StackSettings.model_fields[name]
    annotated: Any = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
    return TypeAdapter(annotated)


def _parse(value: Any, annotation: Any) -> Any:
    """Pulumi hands every config value over as text; structured ones are JSON."""
    if not isinstance(value, str) or _is_text(annotation):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def _is_text(annotation: Any) -> bool:
    t = _unwrap(annotation)
    if get_origin(t) is Literal:
        return all(isinstance(a, str) for a in get_args(t))
    return t is str


def _unwrap(t: Any) -> Any:
    """Strip Annotated[...] and Optional[...] down to the underlying type."""
    while True:
        origin = get_origin(t)
        if origin is Annotated:
            t = get_args(t)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in get_args(t) if a is not type(None)]
            if len(args) != 1:
                return t
            t = args[0]
        else:
            return t


def _field_at(field: FieldInfo, loc: tuple[Any, ...]) -> tuple[FieldInfo, type[BaseModel] | None]:
    """The FieldInfo addressed by a pydantic error location, and the model that holds it."""
    info, holder = field, None
    t = field.annotation
    for part in loc:
        t = _unwrap(t)
        origin = get_origin(t)
        if origin in (list, tuple):
            t = get_args(t)[0]
            item_info = _annotated_field(t)
            if item_info is not None and isinstance(item_info.json_schema_extra, dict):
                info = item_info
        elif isinstance(t, type) and issubclass(t, BaseModel):
            holder = t
            match = next((f for n, f in t.model_fields.items() if (f.alias or n) == part), None)
            if match is None:
                break
            info, t = match, match.annotation
        elif origin is dict:
            t = get_args(t)[1]
        else:
            break
    return info, holder


def _annotated_field(t: Any) -> FieldInfo | None:
    if get_origin(t) is Annotated:
        return next((a for a in get_args(t)[1:] if isinstance(a, FieldInfo)), None)
    return None


def _path(key: str, loc: tuple[Any, ...]) -> str:
    out = key
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


_TYPE_WORDS = {
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "text",
    "list_type": "a list",
    "dict_type": "a mapping of keys to values",
    "model_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values",
    "ip_v4_network": "an IPv4 CIDR with no host bits, e.g. 10.0.0.0/16",
    "date_from_datetime_parsing": "a date, e.g. 2027-01-31",
    "date_parsing": "a date, e.g. 2027-01-31",
}


def _allowed_for(info: FieldInfo, ctx: dict[str, Any], err_type: str = "") -> str:
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    if "allowed" in extra:
        return str(extra["allowed"])
    if "expected" in ctx:  # the values a literal (or any error that names them) accepts
        return str(ctx["expected"])
    bounds = []
    for m in info.metadata:
        for attr, word in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(m, attr, None) is not None:
                bounds.append(f"{word} {getattr(m, attr)}")
        for attr, word in (("min_length", "at least"), ("max_length", "at most")):
            if getattr(m, attr, None) is not None:
                bounds.append(f"{word} {getattr(m, attr)} long")
        if getattr(m, "pattern", None):
            bounds.append(f"text matching {m.pattern}")
    if bounds:
        return ", ".join(bounds)
    t = _unwrap(info.annotation)
    if get_origin(t) is Literal:
        return " or ".join(json.dumps(a) for a in get_args(t))
    return _TYPE_WORDS.get(err_type, f"a value of type {getattr(t, '__name__', t)}")


def _problem(err: Any, key: str, field: FieldInfo, source: str) -> Problem:
    loc = tuple(err["loc"])
    path = _path(key, loc)
    info, holder = _field_at(field, loc)
    etype = err["type"]
    if etype == "extra_forbidden" and holder is not None:
        known = ", ".join(f.alias or n for n, f in holder.model_fields.items())
        return Problem(
            path, err["input"], "unknown key", f"one of: {known}", f"remove {loc[-1]} or correct its spelling"
        )
    if etype == "missing":
        return Problem(path, MISSING, "required setting is missing", _allowed_for(info, {}), f"add {path} to {source}")
    allowed = _allowed_for(info, err.get("ctx") or {}, etype)
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    fix = (
        str(extra.get("fix") or "")
        or f"change {path} in {source} to an allowed value (see `{key}` in docs/settings.md)"
    )
    message = "does not have the required form" if etype == "string_pattern_mismatch" else err["msg"]
    value = err.get("input", MISSING)
    if etype == "string_type" and isinstance(value, int | float) and not isinstance(value, bool):
        # YAML reads an unquoted 1.35 as the number 1.35 (and 1.30 as 1.3)
        message = f"YAML read {value} as a number, and this setting is text"
        fix = f'quote it in {source}: {loc[-1] if loc else key.split(":")[-1]}: "{value}"'
    return Problem(path, value, message, allowed, fix)
