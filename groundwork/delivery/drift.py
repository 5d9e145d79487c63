"""Drift reports from `pulumi refresh --preview-only --json` (GIT-07).

The refresh preview compares the stack's state with what the cloud has now. Its JSON has
`steps` (one per resource, `op` and `urn`, with `diffReasons`/`detailedDiff` when the
resource changed) and `changeSummary` (counts per operation). A stack has drifted when any
operation other than `same` is counted: `update` (changed outside Pulumi), `delete` (gone).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

QUIET_OPS = {"same", "read"}


@dataclass
class Drifted:
    urn: str
    op: str
    properties: list[str] = field(default_factory=list)

    @property
    def type(self) -> str:
        return self.urn.split("::")[-2].split("$")[-1] if "::" in self.urn else ""

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]


@dataclass
class DriftReport:
    stack: str
    summary: dict[str, int]
    resources: list[Drifted]

    @property
    def drifted(self) -> bool:
        return any(n for op, n in self.summary.items() if op not in QUIET_OPS) or bool(self.resources)

    def title(self) -> str:
        return f"Drift detected in stack {self.stack}"

    def markdown(self, run_url: str | None = None) -> str:
        counts = ", ".join(f"{n} {op}" for op, n in sorted(self.summary.items()) if n)
        lines = [
            f"## Drift in `{self.stack}`" if self.drifted else f"## No drift in `{self.stack}`",
            "",
            f"`pulumi refresh --preview-only` found: {counts or 'nothing'}.",
        ]
        if run_url:
            lines.append(f"Run: {run_url}")
        if self.resources:
            lines += ["", "| resource | type | change | properties |", "|---|---|---|---|"]
            for r in self.resources[:200]:
                props = ", ".join(f"`{p}`" for p in r.properties[:8]) or "-"
                lines.append(f"| `{r.name}` | `{r.type}` | {r.op} | {props} |")
            if len(self.resources) > 200:
                lines.append(f"| ... | | {len(self.resources) - 200} more | |")
        if self.drifted:
            lines += [
                "",
                "What to do: if the change was intended, put it in the code (and `pulumi refresh` to "
                "record it); if not, `pulumi up` restores the code's version. Then this issue closes "
                "itself on the next scheduled check.",
            ]
        return "\n".join(lines) + "\n"


def _properties(step: dict[str, Any]) -> list[str]:
    detailed = step.get("detailedDiff") or {}
    if isinstance(detailed, dict) and detailed:
        return sorted(detailed)
    return sorted(str(p) for p in (step.get("diffReasons") or []))


def parse(stack: str, text: str) -> DriftReport:
    """Parse the JSON document (or, for older CLIs, a stream of JSON events) the refresh printed."""
    doc: dict[str, Any]
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        doc = _from_events(text)
    if not isinstance(doc, dict):
        raise ValueError("the refresh output is not a JSON object")
    summary = {str(k): int(v) for k, v in (doc.get("changeSummary") or {}).items() if isinstance(v, int | float)}
    resources = []
    for step in doc.get("steps") or []:
        op = str(step.get("op", ""))
        if op in QUIET_OPS:
            continue
        props = _properties(step)
        if op == "refresh" and not props:
            continue  # refreshed, unchanged
        urn = str(step.get("urn") or (step.get("newState") or step.get("oldState") or {}).get("urn", ""))
        if urn.endswith("pulumi:pulumi:Stack::" + urn.rsplit("::", 1)[-1]) and not props:
            continue
        resources.append(Drifted(urn, "update" if op == "refresh" else op, props))
    return DriftReport(stack, summary, resources)


def _from_events(text: str) -> dict[str, Any]:
    steps: list[dict[str, Any]] = []
    summary: dict[str, int] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        event = json.loads(line)
        if "resOutputsEvent" in event:
            md = event["resOutputsEvent"].get("metadata") or {}
            steps.append({"op": md.get("op"), "urn": md.get("urn"), "diffReasons": md.get("diffs") or []})
        if "summaryEvent" in event:
            summary = event["summaryEvent"].get("resourceChanges") or {}
    return {"steps": steps, "changeSummary": summary}
