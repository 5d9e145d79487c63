"""The recorded resource graph of one offline plan, and its JSON form (`groundwork plan --json`).

Each `Resource` is one `RegisterResource` request exactly as the program sent it: inputs are
the serialized protobuf Struct as JSON, so secrets still carry Pulumi's secret signature
(`{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": ...}`)
and resource references theirs. `plain()` strips those markers for readers that only want values.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SIG = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
STACK_TYPE = "pulumi:pulumi:Stack"


def plain(value: Any) -> Any:
    """Values with secret wrappers unwrapped and resource references reduced to {urn, id}."""
    if isinstance(value, dict):
        if value.get(SIG) == SECRET_SIG:
            return plain(value.get("value"))
        if value.get(SIG) == RESOURCE_SIG:
            return {"urn": value.get("urn"), "id": value.get("id")}
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG) == SECRET_SIG


def secret_paths(value: Any, path: str = "") -> list[str]:
    """Property paths that hold a secret-wrapped value."""
    if is_secret(value):
        return [path or "."]
    out: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            out += secret_paths(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += secret_paths(v, f"{path}[{i}]")
    return out


@dataclass
class Resource:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str = ""
    remote: bool = False
    id: str = ""
    provider: str = ""
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def provider_urn(self) -> str:
        return self.provider.rsplit("::", 1)[0] if self.provider else ""

    @property
    def props(self) -> dict[str, Any]:
        return plain(self.inputs)  # type: ignore[no-any-return]

    @property
    def provider_config(self) -> dict[str, Any]:
        """A provider resource's inputs decoded: Pulumi passes structured provider config as JSON text."""
        return {k: _decode(v) for k, v in self.props.items()}


@dataclass
class Graph:
    project: str
    stack: str
    resources: list[Resource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    invokes: list[dict[str, Any]] = field(default_factory=list)
    logs: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def by_urn(self) -> dict[str, Resource]:
        return {r.urn: r for r in self.resources}

    def of_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> Resource:
        matches = [r for r in self.of_type(type_) if name is None or r.name == name]
        if len(matches) != 1:
            raise LookupError(f"expected one {type_} {name or ''}, found {len(matches)}")
        return matches[0]

    def children(self, urn: str) -> list[Resource]:
        return [r for r in self.resources if r.parent == urn]

    def counts(self) -> Counter[str]:
        return Counter(r.type for r in self.resources if r.type != STACK_TYPE)

    @property
    def resource_count(self) -> int:
        return sum(1 for r in self.resources if r.type != STACK_TYPE)

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "seconds": round(self.seconds, 3),
            "resourceCount": self.resource_count,
            "resources": [asdict(r) for r in self.resources],
            "outputs": self.outputs,
            "invokes": self.invokes,
            "logs": self.logs,
        }

    def write(self, path: Path) -> None:
        from groundwork.files import write_text  # whole or not at all

        write_text(path, json.dumps(self.to_json(), indent=2, sort_keys=False) + "\n")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Graph:
        g = cls(
            project=data["project"],
            stack=data["stack"],
            outputs=data.get("outputs", {}),
            invokes=data.get("invokes", []),
            logs=data.get("logs", []),
            seconds=data.get("seconds", 0.0),
        )
        g.resources = [Resource(**r) for r in data["resources"]]
        return g

    @classmethod
    def read(cls, path: Path) -> Graph:
        return cls.from_json(json.loads(path.read_text()))
