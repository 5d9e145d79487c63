"""Benchmark of the policy pack on the offline plans (issue: policy evaluation adds <= 2 s to the prod plan).

For each stack: resources analyzed, time for all Analyze calls plus AnalyzeStack, per resource,
the pack's start-up (which overlaps the program run), and the plan wall time with and without
the pack; then prod's analysis per resource with 0, 50, 100 and 300 generated services and its
ratio to 0 services (issue 16: linear means a ratio near 1). Run:
venv/bin/python bench/policy_benchmark.py [--repeat 3] [--services 0,50,100,300]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from groundwork.plan import load_stack_config  # noqa: E402
from groundwork.policy.check import evaluate  # noqa: E402


def wall(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "groundwork.cli", *args], cwd=ROOT, capture_output=True, check=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--services", default="0,50,100,300", help="Service counts for the scaling table.")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores")
    print(
        f"{'stack':<9}{'resources':>10}{'policies':>9}{'analyze s':>11}{'ms/resource':>13}{'pack start s':>14}"
        f"{'plan s':>8}{'plan+pack s':>13}{'added s':>9}"
    )
    for stack in ("dev", "staging", "prod"):
        runs = [evaluate(load_stack_config(ROOT, stack), ROOT / "policies")[1] for _ in range(args.repeat)]
        analyze = statistics.median(r.seconds["analyze"] for r in runs)
        start = statistics.median(r.seconds["pack_start"] for r in runs)
        plain = statistics.median(
            wall(["plan", "--stack", stack, "--no-tree", "--no-policies"]) for _ in range(args.repeat)
        )
        full = statistics.median(wall(["plan", "--stack", stack, "--no-tree"]) for _ in range(args.repeat))
        r = runs[0]
        print(
            f"{stack:<9}{r.analyzed:>10}{len(r.policies):>9}{analyze:>11.3f}{1000 * analyze / r.analyzed:>13.2f}"
            f"{start:>14.2f}{plain:>8.2f}{full:>13.2f}{full - plain:>9.2f}"
        )
    sys.path.insert(0, str(ROOT / "bench"))
    from plan_benchmark import services

    print("\nprod pack analysis by number of services (median of", args.repeat, "runs)")
    print(f"{'services':<10}{'resources':>10}{'analyze s':>11}{'ms/resource':>13}{'ratio':>7}")
    base = None
    for n in (int(x) for x in args.services.split(",") if x.strip()):
        cfg = load_stack_config(ROOT, "prod")
        if n:
            cfg.config["groundwork:services"] = json.dumps(services(n))
        runs = [evaluate(cfg, ROOT / "policies")[1] for _ in range(args.repeat)]
        analyze = statistics.median(r.seconds["analyze"] for r in runs)
        per = 1000 * analyze / runs[0].analyzed
        base = per if base is None else base
        print(f"{n:<10}{runs[0].analyzed:>10}{analyze:>11.2f}{per:>13.2f}{per / base:>7.2f}")


if __name__ == "__main__":
    main()
