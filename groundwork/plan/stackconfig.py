"""Read a stack's configuration the way the Pulumi CLI hands it to a program.

- `Pulumi.yaml` `config:` declarations give defaults (`default:`) for the project's keys;
  a plain value under a namespaced key (`aws:region: x`) is a project-wide value.
- `Pulumi.<stack>.yaml` `config:` overrides them. Keys without a namespace belong to the
  project (`environment` is `groundwork:environment`).
- Every value reaches the program as text: strings as they are, booleans and numbers in
  their YAML spelling, structured values as JSON (what `Config.get_object` parses).
- `secure:` values are ciphertext only the CLI can decrypt: offline they become the text
  `[secret]`, are listed as secret keys, and settings that need them fail clearly.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class StackFileError(Exception):
    """A missing or malformed Pulumi.yaml / Pulumi.<stack>.yaml (a user error, shown without traceback)."""


@dataclass
class StackConfig:
    project: str
    stack: str
    config: dict[str, str]
    secret_keys: list[str] = field(default_factory=list)
    path: Path | None = None
    project_dir: Path | None = None
    main: str = "__main__.py"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return json.dumps(value, default=str, separators=(",", ":"))


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        from groundwork.files import yaml_problem

        raise StackFileError(f"{path.name} is not valid YAML: {yaml_problem(exc)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise StackFileError(f"{path.name} must be a YAML mapping at the top level")
    return data


def stack_names(project_dir: Path) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


def load_stack_config(project_dir: Path, stack: str) -> StackConfig:
    project_file = project_dir / "Pulumi.yaml"
    if not project_file.exists():
        raise StackFileError(f"no Pulumi.yaml in {project_dir}: run groundwork from the project directory")
    project = _read_yaml(project_file)
    name = project.get("name")
    if not isinstance(name, str):
        raise StackFileError("Pulumi.yaml has no project name")
    stack_dir = project_dir / project.get("stackConfigDir", ".")
    path = stack_dir / f"Pulumi.{stack}.yaml"
    if not path.exists():
        known = ", ".join(stack_names(stack_dir)) or "none"
        raise StackFileError(
            f"no stack file {path.name} in {stack_dir}: stacks here are {known}. "
            f"Create one with `pulumi stack init {stack}` or copy an existing Pulumi.<stack>.yaml"
        )
    config: dict[str, str] = {}
    secrets: list[str] = []

    def full(key: str) -> str:
        return key if ":" in key else f"{name}:{key}"

    for key, decl in (project.get("config") or {}).items():
        if isinstance(decl, dict) and "type" in decl:
            if "default" in decl:
                config[full(key)] = _text(decl["default"])
        elif isinstance(decl, dict) and "value" in decl:
            config[full(key)] = _text(decl["value"])
        else:
            config[full(key)] = _text(decl)

    data = _read_yaml(path)
    for key, value in (data.get("config") or {}).items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[full(key)] = "[secret]"
            secrets.append(full(key))
        else:
            config[full(key)] = _text(value)
    return StackConfig(
        project=name,
        stack=stack,
        config=config,
        secret_keys=secrets,
        path=path,
        project_dir=project_dir,
        main=project.get("main", "__main__.py"),
    )
