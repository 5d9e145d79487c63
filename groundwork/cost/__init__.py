"""Cost estimates per stack (GOV-04): price catalog, usage profiles, estimator, reports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from groundwork.cost import report
from groundwork.cost.estimate import Estimate, estimate
from groundwork.cost.report import BudgetStatus
from groundwork.cost.usage import load as load_usage
from groundwork.plan.graph import Graph
from groundwork.settings.model import StackSettings

__all__ = ["BudgetStatus", "Estimate", "budget_status", "estimate", "estimate_stack", "report"]


def usage_path(settings: StackSettings, project_dir: Path) -> Path:
    name = settings.cost.usage_profile or f"cost/usage/{settings.stack}.yaml"
    return project_dir / name


def estimate_stack(
    graph: Graph,
    settings: StackSettings,
    project_dir: Path,
    *,
    usage_file: Path | None = None,
    today: dt.date | None = None,
) -> Estimate:
    """The stack's estimate with its usage profile (`--usage` overrides the settings' one)."""
    path = usage_file or usage_path(settings, project_dir)
    usage, found = load_usage(settings.stack, path, required=bool(usage_file or settings.cost.usage_profile))
    shown = None
    if found is not None:
        try:
            shown = str(found.resolve().relative_to(project_dir.resolve()))
        except ValueError:
            shown = str(found)
    return estimate(graph, usage, usage_profile=shown, today=today, region=settings.region)


def budget_status(e: Estimate, settings: StackSettings) -> BudgetStatus:
    return BudgetStatus(
        budget=settings.cost.monthly_budget,
        total=e.total,
        mode=settings.cost.over_budget,
        unpriced_regions=e.unpriced_regions,
    )
