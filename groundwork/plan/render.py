"""Printing a recorded graph the way `pulumi preview` shows a plan."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from groundwork.plan.graph import STACK_TYPE, Graph, Resource, is_secret


def short_type(token: str) -> str:
    """`aws:ec2/vpc:Vpc` -> `aws:ec2:Vpc`, as the CLI displays types."""
    parts = token.split(":")
    if len(parts) == 3:
        return f"{parts[0]}:{parts[1].split('/')[0]}:{parts[2]}"
    return token


def tree_lines(graph: Graph) -> list[tuple[str, str, str]]:
    """(indented type, name, operation) rows, children under their parent, registration order."""
    children: dict[str, list[Resource]] = {}
    for r in sorted(graph.resources, key=lambda r: (r.custom, r.name, r.type)):  # deterministic, components first
        children.setdefault(r.parent, []).append(r)
    rows: list[tuple[str, str, str]] = []

    def walk(r: Resource, prefix: str, last: bool, top: bool) -> None:
        branch = "" if top else ("└─ " if last else "├─ ")
        flags = " [protect]" if r.options.get("protect") else ""
        rows.append((f"{prefix}{branch}{short_type(r.type)}", r.name, f"create{flags}"))
        kids = children.get(r.urn, [])
        ext = "" if top else ("   " if last else "│  ")
        for i, kid in enumerate(kids):
            walk(kid, prefix + ext, i == len(kids) - 1, False)

    roots = [r for r in graph.resources if r.type == STACK_TYPE] or [r for r in graph.resources if not r.parent]
    for root in roots:
        walk(root, "", True, True)
    # providers and anything parented to the stack implicitly are already under the root
    return rows


def show_value(value: Any) -> str:
    if is_secret(value):
        return "[secret]"
    if isinstance(value, list):
        return "[" + ", ".join(show_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def print_plan(graph: Graph, console: Console, *, tree: bool = True) -> None:
    if tree:
        console.print(f"Previewing update ({graph.stack}) [dim]offline, under the Pulumi SDK's mock runtime[/dim]\n")
        rows = tree_lines(graph)
        w_type = max(len(t) for t, _, _ in rows) + 2
        w_name = max(len(n) for _, n, _ in rows) + 2
        console.print(f"     {'Type':<{w_type}}{'Name':<{w_name}}Plan", highlight=False, markup=False)
        for type_col, name, op in rows:
            console.print(Text.assemble((" +", "green"), f"   {type_col:<{w_type}}{name:<{w_name}}{op}"))
    warnings = [entry["message"] for entry in graph.logs if entry["severity"] == "warning"]
    if warnings:
        console.print("\n[yellow]Warnings:[/yellow]")
        for w in warnings:
            console.print(Text.assemble(("  warning: ", "yellow"), w))
    console.print("\n[bold]Outputs:[/bold]")
    for key in sorted(graph.outputs):
        console.print(f"    {key}: {show_value(graph.outputs[key])}", markup=False, highlight=False)
    counts = Table(title="Resources by type", box=None, show_edge=False)
    counts.add_column("Type")
    counts.add_column("Count", justify="right")
    for typ, n in sorted(graph.counts().items(), key=lambda kv: (-kv[1], kv[0])):
        counts.add_row(short_type(typ), str(n))
    console.print()
    console.print(counts)
    console.print(f"\n[bold]Resources:[/bold]\n    [green]+ {graph.resource_count} to create[/green]")
    console.print(f"\nPlanned in {graph.seconds:.2f}s")
