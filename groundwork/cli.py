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
console = Console(soft_wrap=True, emoji=False)
err = Console(stderr=True, soft_wrap=True, emoji=False)


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
    policies: Annotated[bool, typer.Option("--policies/--no-policies", help="Run the policy pack on the plan.")] = True,
    policy_config: Annotated[
        Path | None,
        typer.Option(
            "--policy-config", help="Enforcement overrides (as --policy-pack-config); lowering one needs a reason."
        ),
    ] = None,
    sarif: Annotated[Path | None, typer.Option("--sarif", help="Write the policy results as SARIF 2.1.0.")] = None,
    pack: Annotated[
        Path | None, typer.Option("--pack", help="Policy pack directory (default: <project>/policies).")
    ] = None,
    project_dir: ProjectDir = Path("."),
) -> None:
    """Run the program offline for STACK, show what `pulumi preview` would create, and run the policy pack on it.

    Exits 1 on bad settings, a failing program or any mandatory policy violation.
    """
    try:
        cfg = load_stack_config(project_dir, stack)
    except StackFileError as exc:
        raise fail(str(exc)) from None
    report = None
    try:
        if policies:
            from groundwork.policy.analyzer import AnalyzerError
            from groundwork.policy.check import evaluate
            from groundwork.policy.report import PolicyConfigError

            try:
                graph, report = evaluate(cfg, pack or project_dir / "policies", policy_config=policy_config)
            except (PolicyConfigError, AnalyzerError) as exc:
                raise fail(str(exc)) from None
        else:
            graph = run_program(cfg)
    except PlanFailed as exc:
        raise fail(exc.message, 1) from None
    print_plan(graph, console, tree=tree)
    if json_out:
        graph.write(json_out)
        console.print(f"Graph written to {json_out}")
    if report is None:
        return
    console.print()
    for line in report.render():
        console.print(line, markup=False, highlight=False)
    if sarif:
        from groundwork.policy.report import write_sarif

        write_sarif(report, graph, project_dir.resolve(), sarif)
        console.print(f"SARIF written to {sarif}")
    if report.mandatory:
        raise typer.Exit(1)


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
