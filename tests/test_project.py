"""The Pulumi project itself: Pulumi.yaml against the CLI's schema, stack files, dependencies."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from groundwork.plan.stackconfig import load_stack_config
from groundwork.settings.loader import CONFIG_KEYS

SECRETISH = re.compile(r"(password|passwd|secret|token|apikey|api_key|private_key|authToken)", re.I)


def test_pulumi_yaml_is_valid_against_the_cli_schema(root: Path, shared: Path) -> None:
    schema = json.loads((shared / "schemas/pulumi/project.json").read_text())
    project = yaml.safe_load((root / "Pulumi.yaml").read_text())
    jsonschema.Draft202012Validator(schema).validate(project)
    assert project["name"] == "groundwork"
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}


def test_every_declared_key_has_a_description_and_is_a_setting(root: Path) -> None:
    project = yaml.safe_load((root / "Pulumi.yaml").read_text())
    for key, decl in project["config"].items():
        assert decl.get("description"), key
        assert f"groundwork:{key}" in CONFIG_KEYS, key
    assert "default" not in project["config"]["environment"]  # every stack states its tier


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_stack_files_hold_no_secrets(root: Path, stack: str) -> None:
    text = (root / f"Pulumi.{stack}.yaml").read_text()
    data = yaml.safe_load(text)
    assert "secure:" not in text and "encryptedkey" not in text

    def walk(value: object, path: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                # a key named like a secret may hold rules (services[].secrets) or switches, never a text value
                assert not (SECRETISH.search(str(k)) and isinstance(v, str)), f"{path}.{k} holds a secret value"
                walk(v, f"{path}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")

    walk(data["config"], stack)
    assert load_stack_config(root, stack).secret_keys == []


def test_stack_files_only_hold_known_settings(root: Path) -> None:
    for stack in ("dev", "staging", "prod"):
        keys = set(yaml.safe_load((root / f"Pulumi.{stack}.yaml").read_text())["config"])
        assert keys <= set(CONFIG_KEYS), keys - set(CONFIG_KEYS)


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-tools.txt", "requirements-dev.txt"])
def test_dependencies_are_pinned(root: Path, name: str) -> None:
    for line in (root / name).read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-r"):
            continue
        assert re.fullmatch(r"[A-Za-z0-9_.\-\[\],]+==[0-9][\w.]*", line), f"{name}: {line} is not pinned"


def test_program_requirements_cover_what_the_program_imports(root: Path) -> None:
    wanted = {"pulumi", "pulumi-aws", "pulumi-eks", "pulumi-kubernetes", "pulumi-random", "pydantic", "PyYAML"}
    pinned = {line.split("==")[0] for line in (root / "requirements.txt").read_text().splitlines() if "==" in line}
    assert wanted <= pinned
    tools = (root / "requirements-tools.txt").read_text() + (root / "requirements-dev.txt").read_text()
    for dep in ("pulumi-policy", "pytest", "moto", "hypothesis", "kubernetes-validate", "jsonschema", "boto3"):
        assert f"\n{dep}" in "\n" + tools, dep


def test_stack_config_reads_like_the_cli(root: Path) -> None:
    cfg = load_stack_config(root, "dev")
    assert cfg.config["groundwork:environment"] == "dev"
    assert cfg.config["groundwork:owner"] == "platform-team"  # default declared in Pulumi.yaml
    assert cfg.config["groundwork:protect"] == "false"  # YAML boolean as the CLI passes it
    assert json.loads(cfg.config["groundwork:network"])["azCount"] == 2  # structured values are JSON
