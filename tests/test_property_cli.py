"""Property-based (hypothesis, fixed seed): whatever a user writes in a stack file or a usage
profile, and whatever path they give an option, the answer is a clear message, never a
traceback; a non-zero exit names the offending key or option; nothing is written on failure.

Stack files are mutated (a value replaced by any YAML value, a key misspelled or removed) and
checked through `load_settings` and through `groundwork ci stack-env`, the cheapest command
that reads the whole stack file; usage profiles through their loader; path options through
every command that takes one, with paths that cannot work (a missing directory, a directory
where a file is expected, a file where a directory is expected).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from groundwork.cli import app
from groundwork.cost.usage import UsageError
from groundwork.cost.usage import load as load_usage
from groundwork.plan import load_stack_config
from groundwork.settings import SettingsError, load_settings
from tests.conftest import ROOT

runner = CliRunner()
PROFILE = settings(
    derandomize=True, deadline=None, max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _decoded(value: str) -> Any:
    try:
        return json.loads(value) if value[:1] in "[{" else value
    except json.JSONDecodeError:
        return value


# the stack's config as the CLI passes it (project defaults from Pulumi.yaml included), decoded
STACK = {k: _decoded(v) for k, v in load_stack_config(ROOT, "prod").config.items()}
RAW_STACK = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())["config"]
USAGE = yaml.safe_load((ROOT / "cost" / "usage" / "prod.yaml").read_text())

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:3]):
            out += paths(v, (*prefix, i))
    return out


STACK_PATHS = paths(STACK)
USAGE_PATHS = paths(USAGE)


@st.composite
def mutated(draw: st.DrawFn, doc: Any, where: list[tuple[Any, ...]]) -> tuple[Any, tuple[Any, ...], str]:
    doc = copy.deepcopy(doc)
    path = draw(st.sampled_from(where))
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    kind = draw(st.sampled_from(["replace", "misspell", "remove"]))
    if kind == "replace" or isinstance(parent, list):
        parent[last] = draw(values)
        kind = "replace"
    elif kind == "misspell":
        value = parent.pop(last)
        parent[f"{last}x"] = value
    else:
        parent.pop(last)
    return doc, path, kind


def _config(doc: dict[str, Any]) -> dict[str, str]:
    """Stack-file values as the Pulumi CLI passes them: strings, structured values as JSON."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in doc.items()}


def _names(path: tuple[Any, ...], kind: str) -> list[str]:
    """Text a message about this mutation must contain: the top-level key (or its misspelling)."""
    top = str(path[0]) + ("x" if kind == "misspell" and len(path) == 1 else "")
    return [top, top.split(":", 1)[-1]]


@PROFILE
@given(mutated(STACK, STACK_PATHS))
def test_any_stack_file_mutation_is_accepted_or_named(case: tuple[Any, tuple[Any, ...], str]) -> None:
    doc, path, kind = case
    try:
        load_settings(_config(doc), project="groundwork", stack="prod")
    except SettingsError as exc:
        text = exc.render()
        assert any(name in text for name in _names(path, kind)), (path, kind, text)


@settings(derandomize=True, deadline=None, max_examples=60, suppress_health_check=list(HealthCheck))
@given(case=mutated(RAW_STACK, paths(RAW_STACK)))
def test_the_cli_never_tracebacks_on_a_mutated_stack_file(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[Any, tuple[Any, ...], str]
) -> None:
    doc, path, kind = case
    project = tmp_path_factory.mktemp("p")
    (project / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (project / "Pulumi.prod.yaml").write_text(yaml.safe_dump({"config": doc}))
    out = project / "env.txt"
    result = runner.invoke(app, ["ci", "stack-env", "-s", "prod", "--github-output", str(out), "-C", str(project)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    if result.exit_code:
        assert result.exit_code in (1, 2)
        assert any(name in result.output for name in _names(path, kind)), (path, kind, result.output)
        assert not out.exists()


@PROFILE
@given(mutated(USAGE, USAGE_PATHS))
def test_any_usage_profile_mutation_is_accepted_or_named(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[Any, tuple[Any, ...], str]
) -> None:
    doc, path, kind = case
    profile = tmp_path_factory.mktemp("u") / "prod.yaml"
    profile.write_text(yaml.safe_dump(doc))
    try:
        load_usage("prod", profile, required=True)
    except UsageError as exc:
        assert str(path[0]) in str(exc) or f"{path[0]}x" in str(exc), (path, kind, str(exc))


BAD_PATHS = st.sampled_from(["missing-dir/out.json", "a-directory", "a-file/inside"])
COMMANDS = [
    (["plan", "-s", "prod", "--json"], "--json", "out"),
    (["plan", "-s", "prod", "--sarif"], "--sarif", "out"),
    (["cost", "-s", "prod", "--output"], "--output", "out"),
    (["cost", "-s", "prod", "--compare-to"], "--compare-to", "in"),
    (["cost", "-s", "prod", "--usage"], "--usage", "in"),
    (["guard", "-s", "prod", "--preview"], "--preview", "in"),
    (["dr", "status", "-s", "prod", "--outputs"], "--outputs", "in"),
    (["dr", "status", "-s", "prod", "--json"], "--json", "out"),
    (["doctor", "-s", "prod", "--json"], "--json", "out"),
    (["ci", "bootstrap", "-s", "prod", "--out"], "--out", "dir"),
]


@settings(derandomize=True, deadline=None, max_examples=30, suppress_health_check=list(HealthCheck))
@given(command=st.sampled_from(COMMANDS), bad=BAD_PATHS)
def test_every_path_option_refuses_what_cannot_work(
    tmp_path_factory: pytest.TempPathFactory, command: tuple[list[str], str, str], bad: str
) -> None:
    args, option, kind = command
    base = tmp_path_factory.mktemp("paths")
    (base / "a-directory").mkdir()
    (base / "a-file").write_text("x")
    if kind == "dir" and bad in ("a-directory", "missing-dir/out.json"):
        bad = "a-file"  # an output directory may exist or be created; a file in its place is wrong
    if kind == "in" and bad == "missing-dir/out.json":
        bad = "missing.json"
    target = base / bad
    before = sorted(p.name for p in base.rglob("*"))
    result = runner.invoke(app, [*args, str(target), "-C", str(ROOT)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 2, (args, bad, result.output)
    assert option in result.output or "Invalid value" in result.output, result.output
    assert sorted(p.name for p in base.rglob("*")) == before  # nothing written
