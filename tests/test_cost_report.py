"""The cost report (groundwork/cost/report.py) on hand-built estimates (issue 18: three quarters
of its decisions had no test): money and signs, which component a resource is grouped under,
budgets at their boundary, the table's rows and order, the drivers, the per-resource diff and
the pull-request comment."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from rich.table import Table

from groundwork.cost.estimate import Component, Estimate, ResourceCost
from groundwork.cost.report import (
    COMMENT_TAG,
    BudgetStatus,
    Change,
    diff,
    group_of,
    markdown,
    money,
    signed,
    table,
    to_json,
    top_drivers,
)

NAT_URN = "urn:pulumi:dev::groundwork::groundwork:network:Network$aws:ec2/instance:Instance::network-nat-instance"


def c(name: str, key: str, price: float, qty: float | None, usage: bool = False, saving: float = 0.0) -> Component:
    return Component(name, "unit", price, key, qty, usage_based=usage, saving=saving)


def estimate() -> Estimate:
    nat = ResourceCost(NAT_URN, "network-nat-instance", "aws:ec2/instance:Instance", "eu-west-1")
    nat.components = [c("host", "ec2.t4g.nano", 1.0, 3, saving=32.42), c("processing", "vpc.nat.gb", 1.0, None, True)]
    eks = ResourceCost(
        "urn:pulumi:dev::groundwork::groundwork:cluster:Cluster$eks:index:Cluster$aws:eks/cluster:Cluster::eks",
        "eks",
        "aws:eks/cluster:Cluster",
        "eu-west-1",
        [c("control plane", "eks.cluster.standard", 73.0, 1), c("logs", "cloudwatch.logs", 2.0, 1, True)],
    )
    keys = ResourceCost(
        "urn:pulumi:dev::groundwork::groundwork:network:Network$aws:kms/key:Key::k",
        "k",
        "aws:kms/key:Key",
        "eu-west-1",
        [c("key", "kms.key", 5.0, 1)],
    )
    return Estimate("dev", "eu-west-1", "USD", "2026-11-21", "cost/usage/dev.yaml", [nat, eks, keys], [], 0)


# --------------------------------------------------------------------------------------------- small pieces


def test_money_and_signs() -> None:
    assert (money(None), money(0), money(1234.5)) == ("-", "$0.00", "$1,234.50")
    assert (signed(0), signed(2), signed(-1.5)) == ("+$0.00", "+$2.00", "-$1.50")


@pytest.mark.parametrize(
    ("urn", "group"),
    [
        ("stack-usage", "Usage (stack-wide)"),
        (NAT_URN, "Network"),
        ("urn:pulumi:dev::groundwork::groundwork:a:Outer$groundwork:b:Inner$aws:s3/bucket:Bucket::x", "Outer"),
        ("urn:pulumi:dev::groundwork::aws:s3/bucket:Bucket::x", "Other"),
        ("urn:pulumi:dev::groundwork", "Other"),
    ],
)
def test_a_resource_is_grouped_under_its_outermost_component(urn: str, group: str) -> None:
    assert group_of(urn) == group


@pytest.mark.parametrize(
    ("budget", "total", "mode", "over", "fails"),
    [
        (100.0, 100.0, "fail", False, False),  # at the budget is within it
        (100.0, 100.01, "fail", True, True),
        (100.0, 100.01, "warn", True, False),
        (None, 10_000.0, "fail", False, False),
    ],
)
def test_budget_boundaries(budget: float | None, total: float, mode: str, over: bool, fails: bool) -> None:
    status = BudgetStatus(budget, total, mode)
    assert (status.over, status.fails) == (over, fails)
    assert status.to_json() == {"budget": budget, "total": round(total, 2), "over": over, "mode": mode}
    with pytest.raises(dataclasses.FrozenInstanceError):
        status.total = 0  # type: ignore[misc]


def test_budget_descriptions() -> None:
    assert BudgetStatus(None, 12.0, "warn").describe() == "$12.00/month (no budget set)"
    assert BudgetStatus(200.0, 150.0, "fail").describe() == "$150.00/month of $200.00 budget (75%): within budget"
    assert BudgetStatus(100.0, 150.0, "warn").describe() == (
        "$150.00/month of $100.00 budget (150%): OVER budget - warning only in this stack"
    )
    partial = BudgetStatus(100.0, 150.0, "fail", ("ap-south-2",)).describe()
    assert partial.startswith("$150.00/month of $100.00 budget (150%): OVER budget - fails in this stack (PARTIAL: ")
    assert "no prices for ap-south-2" in partial


def test_json_carries_each_stacks_budget() -> None:
    e = estimate()
    doc = to_json([e], {"dev": BudgetStatus(100.0, e.total, "warn")})
    assert doc["stacks"][0]["budget"] == {"budget": 100.0, "total": 83.0, "over": False, "mode": "warn"}
    assert "budget" not in to_json([e], {})["stacks"][0]


def test_top_drivers_are_baseline_costs_by_kind_largest_first() -> None:
    e = estimate()
    assert top_drivers(e) == [("EKS control plane", 73.0), ("KMS keys", 5.0), ("EC2 nodes", 3.0)]
    assert top_drivers(e, n=1) == [("EKS control plane", 73.0)]
    e.resources[2].components.append(c("odd", "something.else", 1.0, 0.5))
    assert top_drivers(e)[-1] == ("something.else", 0.5)  # an unnamed kind keeps its price key
    assert len(top_drivers(e)) == 4
    e.resources[2].components.extend(c(f"k{i}", k, 1.0, 0.1) for i, k in enumerate(["waf.x", "rds.gp3.x", "elb.x"]))
    assert len(top_drivers(e)) == 5 and top_drivers(e, n=6)[-1][1] == pytest.approx(0.1)


# --------------------------------------------------------------------------------------------- the table


class Recorder:
    def __init__(self) -> None:
        self.printed: list[Any] = []

    def print(self, item: Any) -> None:
        self.printed.append(item)


def cells(t: Table) -> list[list[str]]:
    return [[str(col._cells[i]) for col in t.columns] for i in range(t.row_count)]


def test_the_table_groups_sorts_and_totals() -> None:
    console = Recorder()
    e = estimate()
    e.unpriced = [{"type": "aws:codebuild/project:Project", "name": "runner"}]
    table(console, e, BudgetStatus(100.0, e.total, "warn"))  # type: ignore[arg-type]
    t, *lines = console.printed
    assert t.title == "dev: monthly cost estimate (eu-west-1, USD, catalog 2026-11-21)"
    assert [col.header for col in t.columns] == [
        "component / resource",
        "cost component",
        "quantity",
        "unit price",
        "monthly",
    ]
    assert [col.justify for col in t.columns] == ["left", "left", "right", "right", "right"]
    assert cells(t) == [
        ["[bold]Cluster[/bold]", "", "", "", "[bold]$75.00[/bold]"],
        ["  eks", "control plane", "1.00", "$73 / unit", "$73.00"],
        ["", "logs (usage)", "1.00", "$2 / unit", "$2.00"],
        ["[bold]Network[/bold]", "", "", "", "[bold]$8.00[/bold]"],
        ["  k", "key", "1.00", "$5 / unit", "$5.00"],
        ["  network-nat-instance", "host", "3.00", "$1 / unit", "$3.00"],
        ["", "processing (usage)", "usage?", "$1 / unit", "-"],
        ["[bold]baseline[/bold]", "from the plan", "", "", "[bold]$81.00[/bold]"],
        ["[bold]usage[/bold]", "from cost/usage/dev.yaml", "", "", "[bold]$2.00[/bold]"],
        ["[bold]total[/bold]", "", "", "", "[bold]$83.00[/bold]"],
    ]
    assert t.rows[6].end_section  # the totals are a section of their own
    assert lines == [
        "saving against the default design: $32.42/month on network-nat-instance (host)",
        "unpriced resources (1): aws:codebuild/project:Project runner",
        "budget: $83.00/month of $100.00 budget (83%): within budget",
    ]


def test_groups_are_ordered_by_cost_not_by_name() -> None:
    """The dearest component comes first even when its name sorts last (Ingress after Cluster)."""
    console = Recorder()
    e = estimate()
    alb = ResourceCost(
        "urn:pulumi:dev::groundwork::groundwork:ingress:Ingress$aws:lb/loadBalancer:LoadBalancer::alb",
        "alb",
        "aws:lb/loadBalancer:LoadBalancer",
        "eu-west-1",
        [c("load balancer", "elb.alb", 100.0, 1)],
    )
    e.resources.append(alb)
    table(console, e, None)  # type: ignore[arg-type]
    groups = [row[0] for row in cells(console.printed[0]) if row[0].startswith("[bold]")]
    assert groups[:3] == ["[bold]Ingress[/bold]", "[bold]Cluster[/bold]", "[bold]Network[/bold]"]


def test_json_budget_total_is_in_cents() -> None:
    assert BudgetStatus(100.0, 83.4567, "warn").to_json()["total"] == 83.46


def test_the_table_without_profile_savings_or_budget() -> None:
    console = Recorder()
    e = estimate()
    e.usage_profile = None
    e.resources[0].components[0].saving = 0.0
    table(console, e, None)  # type: ignore[arg-type]
    [t] = console.printed
    assert cells(t)[-2][1] == "from no usage profile"


# --------------------------------------------------------------------------------------------- diff and comment


def stack(name: str, total: float, resources: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "stack": name,
        "catalogVersion": "2026-11-21",
        "baselineMonthlyCost": total,
        "usageMonthlyCost": 0.0,
        "totalMonthlyCost": total,
        "resources": resources,
        **extra,
    }


def res(urn: str, cost: float | None = None) -> dict[str, Any]:
    r = {"urn": urn, "name": f"n-{urn}", "type": f"t:{urn}"}
    return r if cost is None else {**r, "monthlyCost": cost}


def test_diff_by_urn_largest_change_first() -> None:
    base = stack("dev", 10.0, [res("same", 1.0), res("gone", 4.0), res("grows", 1.0), res("tiny", 1.0)])
    head = stack("dev", 12.0, [res("same", 1.0), res("new", 2.0), res("grows", 7.0), res("tiny", 1.00004)])
    before, after, changes = diff(base, head)
    assert (before, after) == (10.0, 12.0)
    assert changes == [
        Change("n-grows", "t:grows", 1.0, 7.0),
        Change("n-gone", "t:gone", 4.0, 0.0),
        Change("n-new", "t:new", 0.0, 2.0),
    ]
    assert changes[1].delta == -4.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        changes[0].after = 0  # type: ignore[misc]


def test_diff_of_estimates_without_costs_or_totals() -> None:
    assert diff({}, {}) == (0.0, 0.0, [])
    _, _, [change] = diff({"resources": [res("a")]}, {"resources": [res("a", 3.0)]})
    assert (change.before, change.after) == (0.0, 3.0)
    _, _, [change] = diff({"resources": [res("a", 3.0)]}, {"resources": [res("a")]})
    assert (change.before, change.after) == (3.0, 0.0)


def test_the_comment_for_a_new_stack_lists_its_largest_resources_and_budget_states() -> None:
    resources = [res(str(i), float(i)) for i in range(1, 8)]
    head = {
        "stacks": [
            stack("dev", 28.0, resources, budget={"budget": 20.0, "over": True, "mode": "warn"}),
            stack("prod", 5.0, [], budget={"budget": 4.0, "over": True, "mode": "fail"}),
            stack("staging", 5.0, [], budget={"budget": 50.0, "over": False, "mode": "fail"}),
            stack("qa", 1.0, [], unpriced=[{"type": "aws:x:Y", "name": "y"}]),
        ]
    }
    text = markdown(head)
    assert text.startswith(f"{COMMENT_TAG}\n## Monthly cost estimate\n\n| stack | baseline |")
    assert "| dev | $28.00 | $0.00 | $28.00 | new | **over** $20.00 (warns) |" in text
    assert "| prod | $5.00 | $0.00 | $5.00 | new | **over** $4.00 (fails) |" in text
    assert "| staging | $5.00 | $0.00 | $5.00 | new | within $50.00 |" in text
    assert "| qa | $1.00 | $0.00 | $1.00 | new | - |" in text
    dev = text.split("### dev")[1].split("###")[0]
    assert [line.split(" | ")[0] for line in dev.splitlines() if line.startswith("| n-")] == [
        f"| n-{i}" for i in (7, 6, 5, 4, 3)
    ]
    assert "Unpriced: `aws:x:Y` y" in text and "(2026-11-21), on-demand.</sub>" in text


@pytest.mark.parametrize(("changed", "more"), [(15, None), (16, "| ... 1 more | | | | |")])
def test_the_comment_shows_fifteen_changes_and_counts_the_rest(changed: int, more: str | None) -> None:
    base = {"stacks": [stack("dev", 0.0, [res(str(i), 0.0) for i in range(changed)])]}
    head = {"stacks": [stack("dev", float(changed), [res(str(i), float(i + 1)) for i in range(changed)])]}
    text = markdown(head, base)
    assert f"| dev | ${changed}.00 | $0.00 | ${changed}.00 | +${changed}.00 | - |" in text
    rows = [line for line in text.splitlines() if line.startswith("| n-")]
    assert (
        len(rows) == 15
        and rows[0] == f"| n-{changed - 1} | `t:{changed - 1}` | $0.00 | ${changed}.00 | +${changed}.00 |"
    )
    assert (more in text.splitlines()) if more else "more |" not in text


def test_an_unchanged_stack_says_so() -> None:
    s = stack("dev", 3.0, [res("a", 3.0)])
    assert "### dev\n\nNo cost change." in markdown({"stacks": [s]}, {"stacks": [s]})
    assert markdown({"stacks": []}).endswith("prices from groundwork/cost/prices.yaml (), on-demand.</sub>\n")
