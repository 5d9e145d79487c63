"""Cost estimate timing and figures: `venv/bin/python bench/cost_benchmark.py`.

Prints, per stack, the baseline / usage / total monthly cost with the top five baseline
drivers, the savings against on-demand (Spot), the time the estimate takes on top of the offline
plan (median of N runs), and each total against the stack's budget and the audit's estimate,
with what the stack's controls cost and what it would cost without them (docs/cost.md "What the
controls cost").
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from groundwork import cost as costing  # noqa: E402
from groundwork.cost.report import money, top_drivers  # noqa: E402
from groundwork.plan import load_stack_config, run_program  # noqa: E402
from groundwork.settings import load_settings  # noqa: E402

AUDIT = {"dev": 193.0, "prod": 753.0}  # the audit's monthly estimates (seed 001, "Cost Estimation")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    today = dt.date(2026, 11, 21)
    totals: dict[str, float] = {}
    controls: dict[str, float] = {}
    budgets: dict[str, float | None] = {}
    print(f"{'stack':<9}{'plan s':>8}{'cost s':>8}{'baseline':>11}{'usage':>10}{'total':>11}  top baseline drivers")
    for stack in ("dev", "staging", "prod"):
        cfg = load_stack_config(ROOT, stack)
        settings = load_settings(cfg.config, project=cfg.project, stack=stack, today=today)
        started = time.perf_counter()
        graph = run_program(cfg)
        plan_s = time.perf_counter() - started
        runs = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            e = costing.estimate_stack(graph, settings, ROOT, today=today)
            runs.append(time.perf_counter() - t)
        drivers = ", ".join(f"{name} {money(v)}" for name, v in top_drivers(e))
        print(
            f"{stack:<9}{plan_s:>8.2f}{statistics.median(runs):>8.3f}{money(e.baseline):>11}"
            f"{money(e.usage):>10}{money(e.total):>11}  {drivers}"
        )
        totals[stack] = e.total
        controls[stack] = e.required_by_controls
        budgets[stack] = settings.cost.monthly_budget
        for name, component, saving in e.savings:
            print(f"{'':<9}saving against the default design: {money(saving)} on {name} ({component})")

    print("\nagainst the stack budgets and the audit's estimates (seed 001: dev ~$193, prod ~$753)")
    for stack in ("dev", "staging", "prod"):
        budget = budgets[stack]
        audit = AUDIT.get(stack)
        versus = f"; audit {money(audit)}: {'within' if totals[stack] <= audit else 'ABOVE'}" if audit else ""
        within = "within" if budget is None or totals[stack] <= budget else "OVER"
        print(f"  {stack:<8}{money(totals[stack]):>10}  budget {money(budget)}: {within}{versus}")
        rest = totals[stack] - controls[stack]
        without = f"; audit: {'within' if rest <= audit else 'ABOVE'}" if audit else ""
        print(f"  {'':<8}{'':>10}  required by controls {money(controls[stack])}, without them {money(rest)}{without}")


if __name__ == "__main__":
    main()
