"""Shared fixtures: the repository, ../shared, and offline plans of the real stacks."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from groundwork.plan import Graph, StackConfig, load_stack_config, run_program

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "policies"))  # the pack's modules, importable as `groundwork_policies`
SHARED = Path(os.environ.get("GROUNDWORK_SHARED", ROOT.parent / "shared")).resolve()
STACKS = ("dev", "staging", "prod")

_cache: dict[Any, Graph] = {}


def stack_config(stack: str, **overrides: Any) -> StackConfig:
    """The stack's config as the CLI would pass it, with keys replaced (values given as Python data).

    A value of None removes the key.
    """
    cfg = load_stack_config(ROOT, stack)
    for key, value in overrides.items():
        full = key if ":" in key else f"groundwork:{key}"
        if value is None:
            cfg.config.pop(full, None)
        else:
            cfg.config[full] = value if isinstance(value, str) else json.dumps(value)
    return cfg


def plan(stack: str, **overrides: Any) -> Graph:
    key = (stack, json.dumps(overrides, sort_keys=True, default=str))
    if key not in _cache:
        _cache[key] = run_program(stack_config(stack, **overrides))
    return _cache[key]


# --------------------------------------------------------------------------------------------- plans kept on disk
# For mutation runs only (tools/mutation.py sets GROUNDWORK_TEST_PLAN_CACHE when the mutated module
# is not imported by the program, so no mutant can change a plan): each mutant's test run then
# loads the plans the unmutated run recorded instead of running the program again. Never set in CI.
_PLAN_CACHE = os.environ.get("GROUNDWORK_TEST_PLAN_CACHE")


def _plan_key(cfg: StackConfig, preview: bool) -> str:
    main = (cfg.project_dir or ROOT) / cfg.main
    program = main.read_text() if main.exists() else ""
    parts = [cfg.project, cfg.stack, cfg.config, sorted(cfg.secret_keys), cfg.main, preview, program]
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _cached(run: Callable[..., Graph], where: Path) -> Callable[..., Graph]:
    def run_cached(cfg: StackConfig, *, preview: bool = True) -> Graph:
        path = where / f"{_plan_key(cfg, preview)}.pickle"
        if path.exists():
            graph: Graph = pickle.loads(path.read_bytes())
            return graph
        graph = run(cfg, preview=preview)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(graph))
        tmp.replace(path)
        return graph

    return run_cached


if _PLAN_CACHE:
    import groundwork.cli
    import groundwork.plan
    import groundwork.policy.check

    run_program = _cached(run_program, Path(_PLAN_CACHE))
    for _module in (groundwork.plan, groundwork.cli, groundwork.policy.check):
        _module.run_program = run_program  # type: ignore[attr-defined]


def section(stack: str, name: str) -> dict[str, Any]:
    """A structured setting of a stack file, as a dict to modify in a test."""
    return json.loads(load_stack_config(ROOT, stack).config[f"groundwork:{name}"])


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.exists():
        pytest.fail(f"../shared not found at {SHARED}; set GROUNDWORK_SHARED")
    return SHARED


@pytest.fixture(params=STACKS)
def any_stack(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def graph_of() -> Callable[..., Graph]:
    return plan


@pytest.fixture(scope="session")
def prod() -> Graph:
    return plan("prod")


@pytest.fixture(scope="session")
def staging() -> Graph:
    return plan("staging")


@pytest.fixture(scope="session")
def dev() -> Graph:
    return plan("dev")
