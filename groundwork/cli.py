"""`groundwork`: operator tooling for the Groundwork Pulumi program.

Exit codes: 0 success; 1 the plan found problems (bad settings, a failing program, a
mandatory policy violation, a budget breach in prod); 2 a usage or environment error (no
such stack file, missing credentials). User errors print one clear message, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from groundwork.plan import PlanFailed, StackFileError, load_stack_config, run_program
from groundwork.plan.render import print_plan

app = typer.Typer(
    name="groundwork",
    help="Offline plan, policy, cost and DR tooling for the Groundwork Pulumi program.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


@app.callback()
def _root() -> None:
    """Offline plan, policy, cost and DR tooling for the Groundwork Pulumi program."""


ProjectDir = Annotated[
    Path, typer.Option("--project-dir", "-C", help="Directory holding Pulumi.yaml.", file_okay=False)
]
Stack = Annotated[str, typer.Option("--stack", "-s", help="Stack name: reads Pulumi.<stack>.yaml.")]


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print("[red]error:[/red] ", end="")
    err.print(message, markup=False, highlight=False)
    return typer.Exit(code)


@app.command()
def plan(
    stack: Stack,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the whole recorded graph as JSON.")] = None,
    tree: Annotated[bool, typer.Option("--tree/--no-tree", help="Print the resource tree.")] = True,
    project_dir: ProjectDir = Path("."),
) -> None:
    """Run the program offline for STACK and show what `pulumi preview` would create."""
    try:
        cfg = load_stack_config(project_dir, stack)
    except StackFileError as exc:
        raise fail(str(exc)) from None
    try:
        graph = run_program(cfg)
    except PlanFailed as exc:
        raise fail(exc.message, 1) from None
    print_plan(graph, console, tree=tree)
    if json_out:
        graph.write(json_out)
        console.print(f"Graph written to {json_out}")


@app.command()
def docs(
    check: Annotated[bool, typer.Option("--check", help="Fail if a generated document is stale.")] = False,
    project_dir: ProjectDir = Path("."),
) -> None:
    """Regenerate the reference documents (docs/settings.md, ...) from the code."""
    from groundwork import docs as generated

    if check:
        stale = generated.stale(project_dir)
        if stale:
            raise fail(f"stale: {', '.join(stale)}; run `groundwork docs`", 1)
        console.print("generated documents are up to date")
        return
    for path in generated.write_all(project_dir):
        console.print(f"wrote {path}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
