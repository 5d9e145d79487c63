"""Read the JSON of a real `pulumi preview --json` as a resource graph the estimator can price.

Each step's `newState` (type, URN, inputs, parent, provider, dependencies) becomes a Resource;
deleted resources (steps without `newState`) are left out. `pulumi preview --json` lists only
the resources that change unless `--show-sames` is given, so totals need:

    pulumi preview --stack prod --json --show-sames > preview.json
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from groundwork.plan.graph import Graph, Resource


class PreviewError(ValueError):
    pass


def read(path: Path, stack: str, project: str = "groundwork") -> tuple[Graph, list[str]]:
    """The graph of the preview and warnings (e.g. an incomplete preview without --show-sames)."""
    try:
        data: Any = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise PreviewError(f"{path}: not a `pulumi preview --json` file ({e})") from None
    steps = data.get("steps") if isinstance(data, dict) else None
    if not isinstance(steps, list):
        raise PreviewError(f"{path}: no `steps` (is it the output of `pulumi preview --json`?)")
    g = Graph(project=project, stack=stack)
    warnings: list[str] = []
    for step in steps:
        state = step.get("newState")
        if not isinstance(state, dict):
            continue
        g.resources.append(
            Resource(
                urn=state.get("urn", step.get("urn", "")),
                type=state.get("type", ""),
                name=str(state.get("urn", "")).rpartition("::")[2],
                custom=bool(state.get("custom", True)),
                parent=state.get("parent", ""),
                provider=state.get("provider", ""),
                dependencies=list(state.get("dependencies") or []),
                property_dependencies=dict(state.get("propertyDependencies") or {}),
                inputs=dict(state.get("inputs") or {}),
                outputs=dict(state.get("outputs") or {}),
            )
        )
    ops = {s.get("op") for s in steps}
    summary = data.get("changeSummary") or {}
    if summary.get("same") and "same" not in ops:
        warnings.append(
            f"the preview lists only changes ({summary.get('same')} unchanged resources are missing): "
            "run `pulumi preview --json --show-sames` for the stack's total"
        )
    return g, warnings
