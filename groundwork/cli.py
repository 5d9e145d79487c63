"""`groundwork`: operator tooling for the Groundwork Pulumi program.

Exit codes: 0 success; 1 the plan found problems (bad settings, a failing program, a
mandatory policy violation, a budget breach in prod); 2 a usage or environment error (no
such stack file, missing credentials). User errors print one clear message, never a traceback.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from groundwork import files
from groundwork.plan import PlanFailed, StackFileError, load_stack_config, run_program
from groundwork.plan.render import print_plan

app = typer.Typer(
    name="groundwork",
    rich_markup_mode=None,  # help text is plain: `[secret]` and brackets print as written
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


def checked(check: Any, *args: Any) -> Any:
    """Run a `groundwork.files` check; a bad path is a usage error (exit 2), never a traceback."""
    try:
        return check(*args)
    except files.FileOptionError as exc:
        raise fail(str(exc)) from None


def _usage_checked(project_dir: Path, settings: Any, usage_file: Path | None) -> None:
    """Validate the usage profile before any work, so a typo in it never hides the plan's results."""
    from groundwork.cost import usage_path
    from groundwork.cost.usage import UsageError
    from groundwork.cost.usage import load as load_usage

    try:
        load_usage(
            settings.stack,
            usage_file or usage_path(settings, project_dir),
            required=bool(usage_file or settings.cost.usage_profile),
        )
    except UsageError as exc:
        raise fail(str(exc)) from None


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
    cost: Annotated[
        bool, typer.Option("--cost/--no-cost", help="Estimate the monthly cost and check the budget.")
    ] = True,
    project_dir: ProjectDir = Path("."),
) -> None:
    """Run the program offline for STACK, show what `pulumi preview` would create, and run the policy pack on it.

    Exits 1 on bad settings, a failing program, any mandatory policy violation, or (where the
    stack's settings say `overBudget: fail`, i.e. prod) an estimate over the budget.
    """
    checked(files.output_file, json_out, "--json")
    checked(files.output_file, sarif, "--sarif")
    checked(files.input_file, policy_config, "--policy-config", "a policy config (as --policy-pack-config)")
    if policy_config is not None and policies:
        from groundwork.policy.report import PolicyConfigError, parse_policy_config

        try:
            parse_policy_config(policy_config)
        except PolicyConfigError as exc:
            raise fail(f"--policy-config {exc}") from None
    try:
        cfg = load_stack_config(project_dir, stack)
    except StackFileError as exc:
        raise fail(str(exc)) from None
    from groundwork import crossstack

    for warning in crossstack.warnings(project_dir, stack):
        err.print("[yellow]warning:[/yellow] ", end="")
        err.print(warning, markup=False, highlight=False)
    if cost:
        import contextlib

        from groundwork.settings import SettingsError, load_settings

        with contextlib.suppress(SettingsError):  # the run reports the settings' problems, all at once
            _usage_checked(project_dir, load_settings(cfg.config, project=cfg.project, stack=stack), None)
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
    over_budget, cost_line = False, None
    if cost:
        from groundwork import cost as costing
        from groundwork.settings import load_settings

        settings = load_settings(cfg.config, project=cfg.project, stack=stack)
        estimate = costing.estimate_stack(graph, settings, project_dir)
        status = costing.budget_status(estimate, settings)
        cost_line = (
            f"Monthly cost: {costing.report.money(estimate.baseline)} baseline + "
            f"{costing.report.money(estimate.usage)} usage; budget: {status.describe()}"
        )
        over_budget = status.fails
    if report is not None:
        console.print()
        for line in report.render():
            console.print(line, markup=False, highlight=False)
        if sarif:
            from groundwork.policy.report import write_sarif

            write_sarif(report, graph, project_dir.resolve(), sarif)
            console.print(f"SARIF written to {sarif}")
    if cost_line:
        console.print()
        console.print(cost_line, markup=False, highlight=False)
    from groundwork import reachability

    ci = bool(json.loads(cfg.config.get(f"{cfg.project}:delivery", "{}")).get("githubRepository"))
    unreachable = reachability.problems(graph, ci=ci)
    console.print()
    for path in reachability.paths(graph, ci=ci):
        console.print(f"API reachability: {path}", markup=False, highlight=False)
    if (report is not None and report.mandatory) or over_budget or unreachable:
        raise typer.Exit(1)


cost_app = typer.Typer(
    help="Monthly cost estimates per stack, and the price catalog.", no_args_is_help=False, rich_markup_mode=None
)
app.add_typer(cost_app, name="cost")


class Format(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


@cost_app.callback(invoke_without_command=True)
def cost(
    ctx: typer.Context,
    stacks: Annotated[
        list[str] | None, typer.Option("--stack", "-s", help="Stack(s) to price; repeat for several.")
    ] = None,
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="table, json or markdown (a PR comment body).")
    ] = Format.table,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report here instead of stdout.")
    ] = None,
    from_preview: Annotated[
        Path | None,
        typer.Option("--from-preview", help="Price a real `pulumi preview --json --show-sames` output (one stack)."),
    ] = None,
    compare_to: Annotated[
        Path | None, typer.Option("--compare-to", help="A previous JSON estimate: show per-resource and total changes.")
    ] = None,
    usage: Annotated[
        Path | None, typer.Option("--usage", help="Usage profile (default cost/usage/<stack>.yaml).")
    ] = None,
    by_control: Annotated[
        bool,
        typer.Option(
            "--by-control",
            help="Also show what each audit control costs (table format; the JSON always has controlCosts).",
        ),
    ] = False,
    project_dir: ProjectDir = Path("."),
) -> None:
    """Estimate what each stack costs per month (baseline from the plan, usage from the profile).

    Exits 1 when a stack whose settings say `overBudget: fail` (prod) is over its budget.
    """
    if ctx.invoked_subcommand is not None:
        return
    import json

    from groundwork import cost as costing
    from groundwork.cost import report
    from groundwork.cost.preview import PreviewError
    from groundwork.cost.preview import read as read_preview
    from groundwork.settings import SettingsError, load_settings

    if not stacks:
        raise fail("give at least one --stack")
    if from_preview and len(stacks) != 1:
        raise fail("--from-preview prices one stack: give exactly one --stack")
    if usage and len(stacks) != 1:
        raise fail("--usage is one stack's usage profile: give exactly one --stack")
    checked(files.output_file, output, "--output")
    checked(files.input_file, from_preview, "--from-preview", "a `pulumi preview --json` output")
    checked(files.input_file, usage, "--usage", "a usage profile (cost/usage/<stack>.yaml)")
    base = _estimate_file(compare_to) if compare_to else None
    estimates, budgets = [], {}
    for stack in stacks:
        try:
            cfg = load_stack_config(project_dir, stack)
            settings = load_settings(cfg.config, project=cfg.project, stack=stack)
        except StackFileError as exc:
            raise fail(str(exc)) from None
        except SettingsError as exc:
            raise fail(exc.render(), 1) from None
        _usage_checked(project_dir, settings, usage)
        try:
            if from_preview:
                graph, warnings = read_preview(from_preview, stack, cfg.project)
                for w in warnings:
                    err.print(f"[yellow]warning:[/yellow] {w}")
            else:
                graph = run_program(cfg)
        except PreviewError as exc:
            raise fail(str(exc)) from None
        except PlanFailed as exc:
            raise fail(exc.message, 1) from None
        e = costing.estimate_stack(graph, settings, project_dir, usage_file=usage if len(stacks) == 1 else None)
        estimates.append(e)
        budgets[stack] = costing.budget_status(e, settings)
    data = report.to_json(estimates, budgets)
    if fmt is Format.json:
        text = json.dumps(data, indent=2) + "\n"
    elif fmt is Format.markdown:
        text = report.markdown(data, base)
    else:
        import io

        text = ""
        buffer = io.StringIO()
        out = (
            Console(file=buffer, width=160, emoji=False)
            if output
            else Console(width=max(console.size.width, 150), emoji=False)
        )
        for e in estimates:
            report.table(out, e, budgets[e.stack])
            if by_control:
                report.controls_table(out, e)
            if base:
                b = next((s for s in base.get("stacks", []) if s["stack"] == e.stack), None)
                if b:
                    before, after, changes = report.diff(b, e.to_json())
                    out.print(
                        f"change vs {compare_to}: {report.signed(after - before)} ({report.money(before)} -> {report.money(after)})"
                    )
                    for c in changes[:10]:
                        out.print(f"  {c.name} ({c.type}): {report.signed(c.delta)}")
        if output:
            text = buffer.getvalue()
    if text:
        if output:
            files.write_text(output, text)
        else:
            sys.stdout.write(text)
    for stack, b in budgets.items():
        if b.over:
            (err.print)(f"[{'red' if b.fails else 'yellow'}]{stack}:[/] {b.describe()}")
    if any(b.fails for b in budgets.values()):
        raise typer.Exit(1)


@cost_app.command("refresh")
def cost_refresh(
    regions: Annotated[list[str] | None, typer.Option("--region", help="Only these regions.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the changes, write nothing.")] = False,
) -> None:
    """Rebuild groundwork/cost/prices.yaml from the AWS Price List API (needs AWS credentials)."""
    import boto3
    import botocore.exceptions

    from groundwork.cost import catalog as prices
    from groundwork.cost.refresh import LOCATIONS, refresh

    unknown = [r for r in regions or [] if r not in LOCATIONS]
    if unknown:
        raise fail(
            f"--region {', '.join(unknown)}: no Price List location known; one of: {', '.join(LOCATIONS)} "
            "(add the region's location name to groundwork/cost/refresh.py LOCATIONS)"
        )
    client = boto3.client("pricing", region_name="us-east-1")
    try:
        new, kept = refresh(prices.load(), client, regions=regions, progress=lambda line: console.print(line))
    except (botocore.exceptions.NoCredentialsError, botocore.exceptions.ClientError) as exc:
        raise fail(f"the Price List API refused: {exc}") from None
    console.print(f"{len(kept)} entries kept (not refreshable or ambiguous)")
    if not dry_run:
        prices.dump(new)
        console.print(f"wrote {prices.PRICES}")


dr_app = typer.Typer(
    rich_markup_mode=None,
    help="Disaster recovery: status, DR stack generation, drills (DR-05, DR-06).",
    no_args_is_help=True,
)
app.add_typer(dr_app, name="dr")


def _known_stack(project_dir: Path, stack: str) -> None:
    """STACK is a stack of the project in -C (a typo in --stack is a usage error)."""
    try:
        load_stack_config(project_dir, stack)
    except StackFileError as exc:
        raise fail(str(exc)) from None


def _stack_settings(project_dir: Path, stack: str) -> Any:
    from groundwork.settings import SettingsError, load_settings

    try:
        cfg = load_stack_config(project_dir, stack)
        return load_settings(cfg.config, project=cfg.project, stack=stack)
    except StackFileError as exc:
        raise fail(str(exc)) from None
    except SettingsError as exc:
        raise fail(exc.render(), 1) from None


def _estimate_file(path: Path) -> Any:
    """A previous `groundwork cost --format json` output, checked to be one."""
    data = checked(files.read_json, path, "--compare-to", "a JSON estimate from `groundwork cost --format json`")
    stacks = data.get("stacks") if isinstance(data, dict) else None
    if not isinstance(stacks, list) or not all(
        isinstance(s, dict) and isinstance(s.get("stack"), str) and isinstance(s.get("totalMonthlyCost"), int | float)
        for s in stacks
    ):
        raise fail(
            f"--compare-to {path}: not an estimate (expected the JSON of `groundwork cost --format json`: "
            '{"stacks": [{"stack": ..., "totalMonthlyCost": ...}]})'
        )
    return data


def _resources(clients: Any, settings: Any, outputs: Path | None) -> Any:
    from groundwork.dr.aws import call
    from groundwork.dr.names import expected, with_outputs

    account = (
        settings.account_id
        or call("identify the caller", clients("sts", settings.region).get_caller_identity)["Account"]
    )
    return with_outputs(expected(settings, account), outputs)


Outputs = Annotated[
    Path | None, typer.Option("--outputs", help="`pulumi stack output --json` of the stack (else names are derived).")
]
JsonOut = Annotated[Path | None, typer.Option("--json", help="Also write the result as JSON.")]


def _dr_report(project_dir: Path, stack: str, outputs: Path | None, json_out: Path | None, run: Any) -> None:
    """Run a DR check against AWS and print its report (and JSON); exit 1 when it fails, 2 on an operator error."""
    import json

    from groundwork.dr.aws import OPERATOR_FAILURES, boto3_clients

    checked(files.input_file, outputs, "--outputs", "`pulumi stack output --json` of the stack")
    checked(files.output_file, json_out, "--json")
    settings = _stack_settings(project_dir, stack)
    clients = boto3_clients()
    try:
        report = run(clients, settings, _resources(clients, settings, outputs))
    except OPERATOR_FAILURES as exc:
        raise fail(str(exc)) from None
    for line in report.render():
        console.print(line, markup=False, highlight=False)
    if json_out:
        files.write_text(json_out, json.dumps(report.to_json(), indent=2) + "\n")
    if not report.ok:
        raise typer.Exit(1)


@dr_app.command("status")
def dr_status(
    stack: Stack,
    outputs: Outputs = None,
    json_out: JsonOut = None,
    project_dir: ProjectDir = Path("."),
) -> None:
    """Newest recovery points in the primary and DR regions against the stack's RPO; exit 1 when the RPO is not met."""
    from groundwork.dr.status import status

    def run(clients: Any, settings: Any, r: Any) -> Any:
        return status(
            clients,
            stack,
            r,
            rpo_minutes=settings.backups.rpo_minutes,
            replicate_bucket=settings.backups.replicate_to_dr,
            aws_backup=settings.backups.aws_backup,
        )

    _dr_report(project_dir, stack, outputs, json_out, run)


@dr_app.command("plan")
def dr_plan(
    stack: Stack,
    to_region: Annotated[str, typer.Option("--to-region", help="Region to rebuild in (where the copies are).")],
    at: Annotated[
        str | None, typer.Option("--at", help="Restore to this UTC time (ISO 8601); default: the latest restorable.")
    ] = None,
    certificate_arn: Annotated[
        str | None,
        typer.Option(
            "--certificate-arn",
            help="ACM certificate in the DR region (else found by host name); only for a stack without "
            "groundwork:edge.domain, whose DR stack requests its own.",
        ),
    ] = None,
    rehearsal: Annotated[
        bool,
        typer.Option(
            "--rehearsal",
            help="Serve the DR stack under <first label>-dr.<domain> and leave production's records alone (a drill); "
            "without it the DR stack takes over the API's record (EDGE-06).",
        ),
    ] = False,
    outputs: Outputs = None,
    json_out: JsonOut = None,
    project_dir: ProjectDir = Path("."),
) -> None:
    """Choose the newest restorable points in --to-region and write Pulumi.<stack>-dr.yaml."""
    import datetime as dt
    import json

    import boto3

    from groundwork.dr.aws import OPERATOR_FAILURES, boto3_clients
    from groundwork.dr.plan import choose, write_stack_file

    checked(files.input_file, outputs, "--outputs", "`pulumi stack output --json` of the stack")
    checked(files.output_file, json_out, "--json")
    settings = _stack_settings(project_dir, stack)
    regions = set(boto3.session.Session().get_available_regions("rds"))
    if to_region not in regions:
        raise fail(
            f"--to-region {to_region!r} is not an AWS region with RDS (e.g. {settings.dr_region}, the stack's DR region)"
        )
    when = None
    if at:
        try:
            when = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            raise fail(f"--at {at!r} is not an ISO 8601 time, e.g. 2026-11-20T10:00:00Z") from None
        when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    clients = boto3_clients()
    try:
        r = _resources(clients, settings, outputs)
        plan = choose(clients, settings, r, to_region, when, certificate_arn=certificate_arn, rehearsal=rehearsal)
    except OPERATOR_FAILURES as exc:
        raise fail(str(exc)) from None
    path = write_stack_file(project_dir, plan, settings)
    console.print(
        f"database: {plan.database.kind} {plan.database.ref}"
        + (f" at {plan.database.at:%Y-%m-%d %H:%M} UTC" if plan.database.at else "")
    )
    console.print(f"cache:    {plan.cache.ref if plan.cache else 'none (starts empty)'}")
    console.print(f"bucket:   {plan.bucket.ref if plan.bucket else 'none (a new, empty one)'}")
    if plan.edge is not None:
        console.print(
            f"traffic:  {plan.edge.api_host} "
            + (
                f"taken over in zone {plan.edge.zone_id} (ExternalDNS owner {plan.edge.record_owner})"
                if plan.edge.take_traffic
                else f"(rehearsal) in zone {plan.edge.zone_id}; production's records untouched"
            )
        )
    for note in plan.notes:
        console.print(f"note:     {note}")
    console.print(f"wrote {path}; next: pulumi stack init {plan.stack} && pulumi up -s {plan.stack}")
    if json_out:
        files.write_text(json_out, json.dumps(plan.to_json(), indent=2) + "\n")


@dr_app.command("drill")
def dr_drill(
    stack: Stack,
    check: Annotated[
        str | None,
        typer.Option(
            "--check", help="Command run against the restored instance (env DRILL_HOST, DRILL_PORT, DRILL_INSTANCE)."
        ),
    ] = None,
    db_subnet_group: Annotated[
        str | None, typer.Option("--db-subnet-group", help="Subnet group in the DR region (default VPC if omitted).")
    ] = None,
    security_group: Annotated[
        list[str] | None, typer.Option("--security-group", help="Security group(s) for the instance.")
    ] = None,
    endpoint: Annotated[
        list[str] | None,
        typer.Option(
            "--endpoint",
            help="A DR stack's public host to resolve and ask over HTTPS (a rehearsal stack's -dr hosts, from "
            "`groundwork dr plan --rehearsal`); repeatable.",
        ),
    ] = None,
    endpoint_path: Annotated[
        str, typer.Option("--endpoint-path", help="Path requested on each --endpoint (a status below 500 passes).")
    ] = "/",
    outputs: Outputs = None,
    json_out: JsonOut = None,
    project_dir: ProjectDir = Path("."),
) -> None:
    """Restore the newest DR-region snapshot into a temporary instance, time it, check it, delete it."""
    from groundwork.dr.drill import command_check, drill

    def run(clients: Any, settings: Any, r: Any) -> Any:
        return drill(
            clients,
            stack,
            r,
            instance_class=settings.database.instance_class,
            rpo_minutes=settings.backups.rpo_minutes,
            rto_minutes=settings.backups.rto_minutes,
            check=command_check(check) if check else None,
            db_subnet_group=db_subnet_group,
            security_groups=security_group,
            endpoints=endpoint,
            endpoint_path=endpoint_path if endpoint_path.startswith("/") else f"/{endpoint_path}",
        )

    _dr_report(project_dir, stack, outputs, json_out, run)


@app.command()
def guard(
    stack: Stack,
    preview: Annotated[
        Path | None,
        typer.Option("--preview", help="A real `pulumi preview --json` of the stack (what the pipelines pass)."),
    ] = None,
    base: Annotated[
        Path | None,
        typer.Option("--base", help="Offline: the base graph (`groundwork plan --json` on the base commit)."),
    ] = None,
    head: Annotated[
        Path | None,
        typer.Option("--head", help="Offline: the head graph (default: plan the working tree now)."),
    ] = None,
    project_dir: ProjectDir = Path("."),
) -> None:
    """Fail when the change would replace or delete a stateful resource in prod without an allowance (GOV-02).

    Give --preview (a real preview), or --base (and --head) graphs for an offline check. Stateful:
    databases, caches, buckets, KMS keys, backup vaults, secrets, log groups, ECR repositories and
    the EKS cluster. Allowances: `groundwork:allowances` in the stack file (resource, operations,
    reason, expires). Exits 1 when a prod change is blocked, 2 on a usage error.
    """
    from groundwork import changes
    from groundwork.guard import judge
    from groundwork.plan.graph import Graph

    if (preview is None) == (base is None):
        raise fail("give either --preview (a `pulumi preview --json` file) or --base (offline graphs)")
    if head is not None and base is None:
        raise fail("--head needs --base")
    settings = _stack_settings(project_dir, stack)
    if preview is not None:
        try:
            found = changes.from_preview(
                checked(files.read_json, preview, "--preview", "`pulumi preview --json` output")
            )
        except changes.PreviewError as exc:
            raise fail(f"{preview}: {exc}") from None
    else:
        assert base is not None

        def graph(path: Path, option: str) -> Graph:
            try:
                return Graph.from_json(checked(files.read_json, path, option, "a graph from `groundwork plan --json`"))
            except (KeyError, TypeError) as exc:
                raise fail(f"{path}: not a graph from `groundwork plan --json` ({exc})") from None

        old = graph(base, "--base")
        if head is not None:
            new = graph(head, "--head")
        else:
            try:
                new = run_program(load_stack_config(project_dir, stack))
            except StackFileError as exc:
                raise fail(str(exc)) from None
            except PlanFailed as exc:
                raise fail(exc.message, 1) from None
        if (old.project, old.stack) != (new.project, new.stack):
            raise fail(f"--base is a graph of {old.project}/{old.stack}, not of {new.project}/{new.stack}")
        found = changes.diff(old, new)
    other = sorted({c.urn.split("::")[0] for c in found.steps if not c.urn.startswith(f"urn:pulumi:{stack}::")})
    if other:
        raise fail(f"the changes are of another stack ({', '.join(other)}), not of {stack}: give that stack's preview")
    report = judge(found, settings)
    for line in report.render():
        console.print(line, markup=False, highlight=False)
    raise typer.Exit(report.exit_code)


@app.command()
def doctor(
    stack: Stack,
    json_out: JsonOut = None,
    project_dir: ProjectDir = Path("."),
) -> None:
    """Preflight before a first `pulumi up`: credentials, regions, certificate, zone, OIDC, quotas, backend."""
    import json

    from groundwork.doctor import doctor as run_doctor
    from groundwork.doctor import read_yaml
    from groundwork.dr.aws import OPERATOR_FAILURES, boto3_clients

    checked(files.output_file, json_out, "--json")
    settings = _stack_settings(project_dir, stack)
    try:
        findings = run_doctor(
            boto3_clients(),
            settings,
            project=read_yaml(project_dir / "Pulumi.yaml"),
            stack_file=read_yaml(project_dir / f"Pulumi.{stack}.yaml"),
        )
    except OPERATOR_FAILURES as exc:
        raise fail(str(exc)) from None
    marks = {"ok": "ok     ", "warning": "warning", "problem": "PROBLEM"}
    for f in findings:
        console.print(
            f"{marks[f.level]} {f.check}: {f.detail}" + (f"\n        fix: {f.fix}" if f.fix else ""),
            markup=False,
            highlight=False,
        )
    if json_out:
        files.write_text(json_out, json.dumps([f.to_json() for f in findings], indent=2) + "\n")
    if any(f.level == "problem" for f in findings):
        raise typer.Exit(1)


ci_app = typer.Typer(
    rich_markup_mode=None,
    help="What the GitHub workflows run: stack discovery, per-stack CI values, drift issues, "
    "deploy summaries, OIDC role bootstrap, GitHub environments (docs/delivery.md).",
    no_args_is_help=True,
)
app.add_typer(ci_app, name="ci")
GithubOutput = Annotated[
    Path | None,
    typer.Option("--github-output", help="Append name=value lines here (default: $GITHUB_OUTPUT when set)."),
]


def _emit(values: dict[str, str], github_output: Path | None) -> None:
    import os

    target = github_output or (Path(os.environ["GITHUB_OUTPUT"]) if os.environ.get("GITHUB_OUTPUT") else None)
    lines = [f"{k}={v}" for k, v in values.items()]
    if any("\n" in v for v in values.values()):
        raise fail("a value spans lines; refusing to write it as a step output")
    if target:
        with target.open("a") as fh:
            fh.write("".join(f"{line}\n" for line in lines))
    for line in lines:
        console.print(line, markup=False, highlight=False)


def _stack_names(project_dir: Path) -> list[str]:
    if not (project_dir / "Pulumi.yaml").is_file():
        raise fail(f"no Pulumi.yaml in {project_dir}: run groundwork from the project directory")
    order = {"dev": 0, "staging": 1, "prod": 2}
    names = [p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml")]
    return sorted(names, key=lambda n: (order.get(n, 3), n))


@ci_app.command("stacks")
def ci_stacks(
    drift: Annotated[bool, typer.Option("--drift", help="Only stacks with delivery.driftDetection on.")] = False,
    github_output: GithubOutput = None,
    project_dir: ProjectDir = Path("."),
) -> None:
    """The stacks of the project (every Pulumi.<stack>.yaml) as a JSON list: a workflow matrix."""
    import json

    names = [n for n in _stack_names(project_dir) if not n.endswith("-dr")]  # DR stacks are run by hand
    if drift:
        names = [n for n in names if _stack_settings(project_dir, n).delivery.drift_detection]
    _emit({"stacks": json.dumps(names)}, github_output)


@ci_app.command("stack-env")
def ci_stack_env(stack: Stack, github_output: GithubOutput = None, project_dir: ProjectDir = Path(".")) -> None:
    """The values a job needs for STACK: region, deploy/preview role, backend, secrets provider, approval."""
    from groundwork.delivery.stack import DeliveryError, stack_env

    try:
        _emit(stack_env(_stack_settings(project_dir, stack)), github_output)
    except DeliveryError as exc:
        raise fail(f"Pulumi.{stack}.yaml: {exc}") from None


@ci_app.command("drift")
def ci_drift(
    stack: Stack,
    refresh_json: Annotated[
        Path, typer.Option("--refresh-json", help="Output of `pulumi refresh --preview-only --json`.", exists=True)
    ],
    repo: Annotated[
        str | None, typer.Option("--repo", help="owner/name: open, update or close its drift issue.")
    ] = None,
    run_url: Annotated[str | None, typer.Option("--run-url", help="Link to the workflow run.")] = None,
    summary: Annotated[
        Path | None, typer.Option("--summary", help="Append the report here ($GITHUB_STEP_SUMMARY).")
    ] = None,
    fail_on_drift: Annotated[bool, typer.Option("--fail-on-drift", help="Exit 1 when the stack drifted.")] = False,
    project_dir: ProjectDir = Path("."),
) -> None:
    """Report drift from a refresh preview; with --repo keep one issue per drifted stack (closed when clean)."""
    from groundwork.delivery.drift import parse
    from groundwork.delivery.github import GitHub, GitHubError, upsert_issue

    _known_stack(project_dir, stack)
    checked(files.output_file, summary, "--summary")

    try:
        report = parse(stack, refresh_json.read_text())
    except ValueError as exc:
        raise fail(f"{refresh_json}: not the JSON of `pulumi refresh --preview-only --json` ({exc})") from None
    body = report.markdown(run_url)
    console.print(body, markup=False, highlight=False)
    if summary:
        with summary.open("a") as fh:
            fh.write(body)
    if repo:
        try:
            result = upsert_issue(GitHub.from_env(), repo, stack, report.title(), body if report.drifted else None)
        except GitHubError as exc:
            raise fail(str(exc)) from None
        console.print(result)
    if report.drifted and fail_on_drift:
        raise typer.Exit(1)


@ci_app.command("outputs-summary")
def ci_outputs_summary(
    stack: Stack,
    outputs: Annotated[Path, typer.Option("--outputs", help="`pulumi stack output --json`.", exists=True)],
    commit: Annotated[str | None, typer.Option("--commit", help="Deployed commit.")] = None,
    project_dir: ProjectDir = Path("."),
) -> None:
    """Markdown of the stack's outputs for the job summary (secrets stay `[secret]`)."""
    import json

    from groundwork.delivery.stack import outputs_markdown

    _known_stack(project_dir, stack)

    try:
        data = json.loads(outputs.read_text() or "{}")
    except json.JSONDecodeError as exc:
        raise fail(f"{outputs}: not JSON ({exc})") from None
    console.print(outputs_markdown(stack, data, commit), markup=False, highlight=False)


@ci_app.command("bootstrap")
def ci_bootstrap(
    stack: Stack,
    out_dir: Annotated[Path, typer.Option("--out", help="Write the policy documents here.", file_okay=False)] = Path(
        ".groundwork/bootstrap"
    ),
    default_branch: Annotated[
        str,
        typer.Option("--default-branch", help="The branch the deploy and preview roles trust (pushes to it)."),
    ] = "main",
    project_dir: ProjectDir = Path("."),
) -> None:
    """Write the trust and permission documents of STACK's CI roles and print the AWS CLI commands that create them."""
    import json

    from groundwork.delivery.stack import DeliveryError, preview_policy, role, trust_policy

    settings = _stack_settings(project_dir, stack)
    try:
        docs_ = {
            "deploy-trust.json": trust_policy(settings, "deploy", default_branch),
            "preview-trust.json": trust_policy(settings, "preview", default_branch),
            "drift-trust.json": trust_policy(settings, "drift", default_branch),
            "read-policy.json": preview_policy(settings),
        }
        names = {kind: role(settings, kind).rsplit("/", 1)[-1] for kind in ("deploy", "preview", "drift")}
    except DeliveryError as exc:
        raise fail(f"Pulumi.{stack}.yaml: {exc}") from None
    target = checked(files.output_dir, out_dir / stack, "--out")
    target.mkdir(parents=True, exist_ok=True)
    for name, doc in docs_.items():
        files.write_text(target / name, json.dumps(doc, indent=2) + "\n")
    d = target.as_posix()
    commands = [
        "# once per account: trust GitHub's OIDC tokens",
        "aws iam create-open-id-connect-provider --url https://token.actions.githubusercontent.com \\",
        "  --client-id-list sts.amazonaws.com",
        f"# the deploy role: only jobs in the GitHub environment {stack!r} (after approval) can assume it",
        f"aws iam create-role --role-name {names['deploy']} --max-session-duration 7200 \\",
        f"  --assume-role-policy-document file://{d}/deploy-trust.json",
        f"aws iam attach-role-policy --role-name {names['deploy']} \\",
        "  --policy-arn arn:aws:iam::aws:policy/AdministratorAccess  # or your deploy boundary, docs/delivery.md",
    ]
    for kind, who in (("preview", "pull requests and the default branch"), ("drift", f"the environment drift-{stack}")):
        commands += [
            f"# the {kind} role: {who}, read-only",
            f"aws iam create-role --role-name {names[kind]} --assume-role-policy-document file://{d}/{kind}-trust.json",
            f"aws iam attach-role-policy --role-name {names[kind]} --policy-arn arn:aws:iam::aws:policy/ReadOnlyAccess",
            f"aws iam put-role-policy --role-name {names[kind]} --policy-name groundwork-read \\",
            f"  --policy-document file://{d}/read-policy.json",
        ]
    for line in commands:
        console.print(line, markup=False, highlight=False)


@ci_app.command("environments")
def ci_environments(
    apply: Annotated[bool, typer.Option("--apply", help="Create/update them through the GitHub API.")] = False,
    project_dir: ProjectDir = Path("."),
) -> None:
    """The GitHub environments of the stacks: <stack> with required reviewers from
    delivery.reviewers where delivery.approval is on, drift-<stack> without; both protected
    branches only."""
    from groundwork.delivery.github import GitHub, GitHubError, put_environment, resolve_reviewers

    plans = []
    for name in _stack_names(project_dir):
        if name.endswith("-dr"):
            continue
        s = _stack_settings(project_dir, name)
        reviewers = s.delivery.reviewers if s.delivery.approval else []
        plans.append((name, s.delivery.github_repository, reviewers))
        if s.delivery.drift_detection:
            plans.append((f"drift-{name}", s.delivery.github_repository, []))
    for name, repo, reviewers in plans:
        console.print(f"{name}: {repo or '(no repository)'}: "
                      f"{'approval by ' + ', '.join(reviewers) if reviewers else 'no approval'}", markup=False)  # fmt: skip
    if not apply:
        return
    try:
        gh = GitHub.from_env()
        for name, repo, reviewers in plans:
            if repo:
                console.print(put_environment(gh, repo, name, resolve_reviewers(gh, repo, reviewers)), markup=False)
    except GitHubError as exc:
        raise fail(str(exc)) from None


@app.command()
def docs(
    check: Annotated[bool, typer.Option("--check", help="Fail if a generated document is stale.")] = False,
    project_dir: ProjectDir = Path("."),
) -> None:
    """Regenerate the reference documents (docs/settings.md, ...) from the code."""
    from groundwork import docs as generated

    if not (project_dir / "Pulumi.yaml").is_file() or not (project_dir / "policies" / "PulumiPolicy.yaml").is_file():
        raise fail(f"-C {project_dir}: not a Groundwork project (Pulumi.yaml and policies/PulumiPolicy.yaml)")

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
