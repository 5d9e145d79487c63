"""URN stability (CONTRIBUTING.md, "Releases and upgrade notes").

A resource whose URN changes is deleted and created again by `pulumi up`: for a database, a
bucket or a key that is data loss. Every stack's URNs are kept in tests/snapshots/urns-<stack>.txt;
a URN that disappears fails here unless a resource of the plan carries an alias to it. After a
deliberate change: `GROUNDWORK_UPDATE_SNAPSHOTS=1 venv/bin/pytest tests/test_urns.py`, and an
upgrade note in CHANGELOG.md.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

from groundwork.changes import alias_urns
from groundwork.plan import Graph, load_stack_config, run_program
from tests.conftest import ROOT, STACKS, plan

SNAPSHOTS = ROOT / "tests" / "snapshots"


def missing_urns(graph: Graph, snapshot: set[str]) -> list[str]:
    current = {r.urn for r in graph.resources}
    aliased = set().union(*(alias_urns(graph, r) for r in graph.resources))
    return sorted(snapshot - current - aliased)


@pytest.mark.parametrize("stack", STACKS)
def test_no_urn_disappears_without_an_alias(stack: str) -> None:
    graph = plan(stack)
    path = SNAPSHOTS / f"urns-{stack}.txt"
    current = sorted(r.urn for r in graph.resources)
    if os.environ.get("GROUNDWORK_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        path.write_text("\n".join(current) + "\n")
    snapshot = set(path.read_text().split())
    gone = missing_urns(graph, snapshot)
    assert gone == [], (
        f"{len(gone)} resource(s) of {stack} would be deleted and created again by `pulumi up` "
        "(their URN changed): add `aliases=[pulumi.Alias(...)]` to keep them, or, if the replacement is "
        "intended, regenerate the snapshot (GROUNDWORK_UPDATE_SNAPSHOTS=1) and write an upgrade note. "
        f"First: {gone[:5]}"
    )


def _program(tmp_path: Path, body: str) -> Graph:
    (tmp_path / "Pulumi.yaml").write_text("name: probe\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text(textwrap.dedent(body))
    return run_program(load_stack_config(tmp_path, "dev"))


def test_the_check_sees_aliases_and_renames(tmp_path: Path) -> None:
    """The check itself: a renamed child is missing unless an alias names its old URN."""
    before = _program(
        tmp_path,
        """
        import pulumi
        class Box(pulumi.ComponentResource):
            def __init__(self, name, opts=None):
                super().__init__("probe:index:Box", name, None, opts)
                pulumi.CustomResource("probe:index:Thing", f"{name}-data", {}, opts=pulumi.ResourceOptions(parent=self))
        Box("box")
    """,
    )
    snapshot = {r.urn for r in before.resources}
    renamed = _program(
        tmp_path,
        """
        import pulumi
        class Box(pulumi.ComponentResource):
            def __init__(self, name, opts=None):
                super().__init__("probe:index:Box", name, None, opts)
                pulumi.CustomResource("probe:index:Thing", f"{name}-store", {}, opts=pulumi.ResourceOptions(parent=self))
        Box("box")
    """,
    )
    assert missing_urns(renamed, snapshot) == ["urn:pulumi:dev::probe::probe:index:Box$probe:index:Thing::box-data"]
    aliased = _program(
        tmp_path,
        """
        import pulumi
        class Box(pulumi.ComponentResource):
            def __init__(self, name, opts=None):
                super().__init__("probe:index:Box", name, None, opts)
                pulumi.CustomResource("probe:index:Thing", f"{name}-store", {},
                    opts=pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(name=f"{name}-data")]))
        Box("box")
    """,
    )
    assert missing_urns(aliased, snapshot) == []
    moved: Any = _program(
        tmp_path,
        """
        import pulumi
        pulumi.CustomResource("probe:index:Thing", "box-data", {})
    """,
    )
    assert "urn:pulumi:dev::probe::probe:index:Box$probe:index:Thing::box-data" in missing_urns(moved, snapshot)
