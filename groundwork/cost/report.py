"""Estimate reports: rich table, JSON (Infracost-like), PR-comment markdown, diffs, budgets."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from groundwork.cost.estimate import Estimate

COMMENT_TAG = "<!-- groundwork-cost -->"


def money(x: float | None) -> str:
    if x is None:
        return "-"
    return f"${x:,.2f}"


def signed(x: float) -> str:
    return f"+${x:,.2f}" if x >= 0 else f"-${-x:,.2f}"


def group_of(urn: str) -> str:
    """The Groundwork component a resource belongs to, from the type chain in its URN."""
    if urn == "stack-usage":
        return "Usage (stack-wide)"
    qualified = urn.split("::")[2] if urn.count("::") >= 3 else ""
    for part in qualified.split("$"):
        if part.startswith("groundwork:"):
            return part.split(":")[-1]
    return "Other"


# ---------------------------------------------------------------------------------------------
# Budgets
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetStatus:
    budget: float | None
    total: float
    mode: str  # fail | warn
    unpriced_regions: tuple[str, ...] = ()  # the total leaves out what runs there

    @property
    def over(self) -> bool:
        return self.budget is not None and self.total > self.budget

    @property
    def fails(self) -> bool:
        return self.over and self.mode == "fail"

    def describe(self) -> str:
        partial = (
            f" (PARTIAL: the price catalog has no prices for {', '.join(self.unpriced_regions)}; "
            "what runs there is listed as unpriced, docs/cost.md)"
            if self.unpriced_regions
            else ""
        )
        if self.budget is None:
            return f"{money(self.total)}/month (no budget set){partial}"
        share = self.total / self.budget
        state = "OVER budget" if self.over else "within budget"
        action = " - fails in this stack" if self.fails else (" - warning only in this stack" if self.over else "")
        return f"{money(self.total)}/month of {money(self.budget)} budget ({share:.0%}): {state}{action}{partial}"

    def to_json(self) -> dict[str, Any]:
        return {"budget": self.budget, "total": round(self.total, 2), "over": self.over, "mode": self.mode}


# ---------------------------------------------------------------------------------------------
# Output formats
# ---------------------------------------------------------------------------------------------


def to_json(estimates: list[Estimate], budgets: dict[str, BudgetStatus]) -> dict[str, Any]:
    out: dict[str, Any] = {"stacks": []}
    for e in estimates:
        d = e.to_json()
        if e.stack in budgets:
            d["budget"] = budgets[e.stack].to_json()
        out["stacks"].append(d)
    return out


def table(console: Console, e: Estimate, budget: BudgetStatus | None) -> None:
    t = Table(title=f"{e.stack}: monthly cost estimate ({e.region}, {e.currency}, catalog {e.catalog_version})")
    t.add_column("component / resource")
    t.add_column("cost component")
    t.add_column("quantity", justify="right")
    t.add_column("unit price", justify="right")
    t.add_column("monthly", justify="right")
    groups: dict[str, list[Any]] = defaultdict(list)
    for r in e.resources:
        groups[group_of(r.urn)].append(r)
    for group in sorted(groups, key=lambda g: -sum(r.total() for r in groups[g])):
        subtotal = sum(r.total() for r in groups[group])
        t.add_row(f"[bold]{group}[/bold]", "", "", "", f"[bold]{money(subtotal)}[/bold]")
        for r in sorted(groups[group], key=lambda r: -r.total()):
            for i, c in enumerate(r.components):
                qty = "usage?" if c.monthly_quantity is None else f"{c.monthly_quantity:,.2f}"
                t.add_row(
                    f"  {r.name}" if i == 0 else "",
                    c.name + (" (usage)" if c.usage_based else ""),
                    qty,
                    f"${c.price:g} / {c.unit}",
                    money(c.monthly_cost),
                )
    t.add_section()
    t.add_row("[bold]baseline[/bold]", "from the plan", "", "", f"[bold]{money(e.baseline)}[/bold]")
    t.add_row(
        "[bold]usage[/bold]", f"from {e.usage_profile or 'no usage profile'}", "", "", f"[bold]{money(e.usage)}[/bold]"
    )
    t.add_row("[bold]total[/bold]", "", "", "", f"[bold]{money(e.total)}[/bold]")
    console.print(t)
    for name, component, saving in e.savings:
        console.print(f"saving against the default design: {money(saving)}/month on {name} ({component})")
    if e.unpriced:
        console.print(
            f"unpriced resources ({len(e.unpriced)}): " + ", ".join(f"{u['type']} {u['name']}" for u in e.unpriced)
        )
    if budget:
        console.print(f"budget: {budget.describe()}")


def controls_table(console: Console, e: Estimate) -> None:
    """What each control costs in the stack (groundwork/cost/by_control.py), dearest first."""
    from groundwork.controls import CONTROLS
    from groundwork.cost.by_control import by_control

    t = Table(title=f'{e.stack}: what the controls cost (docs/cost.md "What the controls cost")')
    t.add_column("controls")
    t.add_column("what the first asks", no_wrap=True, max_width=48)  # cut with an ellipsis (rich's default)
    t.add_column("resources", no_wrap=True, max_width=60)
    t.add_column("monthly", justify="right")
    for controls, monthly, names in by_control(e.control_costs):
        shown = ", ".join(names[:2]) + (f" and {len(names) - 2} more" if len(names) > 2 else "")
        t.add_row(" ".join(controls), CONTROLS[controls[0]].title, shown, money(monthly))
    required = e.required_by_controls
    t.add_section()
    t.add_row("[bold]required by controls[/bold]", "", "", f"[bold]{money(required)}[/bold]")
    t.add_row(
        "[bold]the rest[/bold]", "the platform itself, at its usage", "", f"[bold]{money(e.total - required)}[/bold]"
    )
    console.print(t)


def top_drivers(e: Estimate, n: int = 5) -> list[tuple[str, float]]:
    by_kind: dict[str, float] = defaultdict(float)
    for r in e.resources:
        for c in r.components:
            if c.monthly_cost and not c.usage_based:
                by_kind[_driver(r.type, c.price_key)] += c.monthly_cost
    return sorted(by_kind.items(), key=lambda kv: -kv[1])[:n]


def _driver(type_: str, key: str) -> str:
    names = {
        "ec2.": "EC2 nodes",
        "rds.postgres.": "RDS PostgreSQL instance",
        "eks.cluster": "EKS control plane",
        "vpc.nat": "NAT gateways",
        "vpc.public_ipv4": "public IPv4 addresses",
        "elasticache.": "ElastiCache nodes",
        "elb.": "load balancer",
        "rds.proxy": "RDS Proxy",
        "ebs.": "EBS volumes",
        "vpc.endpoint": "interface endpoints",
        "secretsmanager": "Secrets Manager",
        "kms": "KMS keys",
        "waf": "WAF",
        "rds.gp3": "RDS storage",
        "cloudwatch.alarm": "CloudWatch alarms",
    }
    return next((v for k, v in names.items() if key.startswith(k)), key)


# ---------------------------------------------------------------------------------------------
# Diff
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    name: str
    type: str
    before: float
    after: float

    @property
    def delta(self) -> float:
        return self.after - self.before


def diff(base: dict[str, Any], head: dict[str, Any]) -> tuple[float, float, list[Change]]:
    """Per-resource change between two JSON estimates of one stack (by URN), largest first."""
    before = {r["urn"]: r for r in base.get("resources", [])}
    after = {r["urn"]: r for r in head.get("resources", [])}
    changes = []
    for urn in sorted(set(before) | set(after)):
        b = before.get(urn, {}).get("monthlyCost", 0.0)
        a = after.get(urn, {}).get("monthlyCost", 0.0)
        if round(a - b, 4):
            r = after.get(urn) or before[urn]
            changes.append(Change(r["name"], r["type"], b, a))
    changes.sort(key=lambda c: -abs(c.delta))
    return base.get("totalMonthlyCost", 0.0), head.get("totalMonthlyCost", 0.0), changes


def markdown(head: dict[str, Any], base: dict[str, Any] | None = None) -> str:
    """A pull-request comment body: one section per stack (baseline, usage, total, change)."""
    base_stacks = {s["stack"]: s for s in (base or {}).get("stacks", [])}
    lines = [COMMENT_TAG, "## Monthly cost estimate", ""]
    lines += ["| stack | baseline | usage | total | change | budget |", "|---|---:|---:|---:|---:|---|"]
    for s in head["stacks"]:
        b = base_stacks.get(s["stack"])
        change = signed(s["totalMonthlyCost"] - b["totalMonthlyCost"]) if b else "new"
        budget = s.get("budget") or {}
        status = (
            "-"
            if not budget.get("budget")
            else (
                f"**over** {money(budget['budget'])} ({'fails' if budget['mode'] == 'fail' else 'warns'})"
                if budget["over"]
                else f"within {money(budget['budget'])}"
            )
        )
        lines.append(
            f"| {s['stack']} | {money(s['baselineMonthlyCost'])} | {money(s['usageMonthlyCost'])} | "
            f"{money(s['totalMonthlyCost'])} | {change} | {status} |"
        )
    for s in head["stacks"]:
        lines += ["", f"### {s['stack']}", ""]
        b = base_stacks.get(s["stack"])
        if b:
            _, _, changes = diff(b, s)
            if changes:
                lines += ["| resource | type | before | after | change |", "|---|---|---:|---:|---:|"]
                for c in changes[:15]:
                    lines.append(
                        f"| {c.name} | `{c.type}` | {money(c.before)} | {money(c.after)} | {signed(c.delta)} |"
                    )
                if len(changes) > 15:
                    lines.append(f"| ... {len(changes) - 15} more | | | | |")
            else:
                lines.append("No cost change.")
        else:
            top = sorted(s["resources"], key=lambda r: -r["monthlyCost"])[:5]
            lines += ["| largest resources | type | monthly |", "|---|---|---:|"]
            lines += [f"| {r['name']} | `{r['type']}` | {money(r['monthlyCost'])} |" for r in top]
        if s.get("unpriced"):
            lines += ["", "Unpriced: " + ", ".join(f"`{u['type']}` {u['name']}" for u in s["unpriced"])]
    lines += [
        "",
        "<sub>Baseline from the offline plan; usage from cost/usage/&lt;stack&gt;.yaml; prices from "
        f"groundwork/cost/prices.yaml ({head['stacks'][0]['catalogVersion'] if head['stacks'] else ''}), on-demand.</sub>",
    ]
    return "\n".join(lines) + "\n"
