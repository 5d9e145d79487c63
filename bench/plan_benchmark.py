"""Benchmark of the offline plan (issue 16: linear in services, the pack and cost estimate cheap).

Prints, for each stack, the wall time of `groundwork plan` as a user runs it (a fresh process:
interpreter start, imports, plan, printing), program alone and in full (with the policy pack and
the cost estimate); then prod's program in process with 0, 10, 100 and 300 generated services,
the cost per added service, and the targets. Run:

    venv/bin/python bench/plan_benchmark.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from groundwork.plan import load_stack_config, run_program  # noqa: E402


def cli_plan(stack: str, tmp: Path) -> tuple[float, int]:
    out = tmp / f"{stack}.json"
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "groundwork.cli",
            "plan",
            "--stack",
            stack,
            "--no-tree",
            "--no-policies",
            "--no-cost",
            "--json",
            str(out),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started, json.loads(out.read_text())["resourceCount"]


def services(n: int) -> list[dict[str, object]]:
    teams = ["edge", "identity", "catalog", "orders", "insights"]
    # like the stack files' services: most have a database, some the cache or generated secrets
    return [
        {
            "name": f"svc-{i:03d}",
            "port": 3000 + i,
            "team": teams[i % len(teams)],
            "database": i % 4 != 0,
            "cache": i % 2 == 0,
            "secrets": [{"name": "signing-key"}] if i % 3 == 0 else [],
        }
        for i in range(n)
    ]


def in_process(n_services: int) -> tuple[float, int]:
    """Seconds to run prod's program with `n_services` generated services, including collecting
    the garbage the run leaves (the runner pauses the collector during the run)."""
    cfg = load_stack_config(ROOT, "prod")
    cfg.config["groundwork:services"] = json.dumps(services(n_services))
    gc.collect()
    started = time.perf_counter()
    graph = run_program(cfg)
    gc.collect()
    return time.perf_counter() - started, graph.resource_count


def wall(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "groundwork.cli", *args], cwd=ROOT, capture_output=True, check=False)
    return time.perf_counter() - started


TARGET_PER_SERVICE, TARGET_LINEAR, TARGET_FULL = 0.050, 1.2, 1.3


def verdict(ok: bool) -> str:
    return "holds" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tmp = ROOT / "build" / "bench"
    tmp.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} cores; medians of {args.repeat} runs")

    print("\ngroundwork plan, fresh process (bench/policy_benchmark.py times the pack alone)")
    print(f"{'stack':<10}{'resources':>10}{'program s':>11}{'full s':>8}{'full/program':>14}")
    full_ratio = {}
    for stack in ("dev", "staging", "prod"):
        runs = [cli_plan(stack, tmp) for _ in range(args.repeat)]
        program = statistics.median(r[0] for r in runs)
        full = statistics.median(wall(["plan", "--stack", stack, "--no-tree"]) for _ in range(args.repeat))
        full_ratio[stack] = full / program
        print(f"{stack:<10}{runs[0][1]:>10}{program:>11.2f}{full:>8.2f}{full / program:>14.2f}")
    print("  program: plan --no-policies --no-cost; full: plan (program, policy pack, cost estimate and budget)")

    in_process(0)  # warm the imports once
    print("\nprod program in process by number of generated services")
    print(f"{'services':<10}{'resources':>10}{'plan s':>8}{'s/service vs 0':>16}")
    t: dict[int, float] = {}
    for n in (0, 10, 100, 300):
        runs = [in_process(n) for _ in range(args.repeat)]
        t[n] = statistics.median(r[0] for r in runs)
        per = "" if n == 0 else f"{(t[n] - t[0]) / n:>16.4f}"
        print(f"{n:<10}{runs[0][1]:>10}{t[n]:>8.2f}{per}")
    low, high, whole = (t[100] - t[10]) / 90, (t[300] - t[100]) / 200, (t[300] - t[10]) / 290
    print(
        f"  per added service: 10->100 {1000 * low:.0f} ms, 100->300 {1000 * high:.0f} ms, 10->300 {1000 * whole:.0f} ms"
    )

    print("\ntargets")
    worst = max(low, high)
    print(
        f"  <= {1000 * TARGET_PER_SERVICE:.0f} ms per added service (10 to 300): {1000 * worst:.0f} ({verdict(worst <= TARGET_PER_SERVICE)})"
    )
    print(
        f"  linear: 100->300 within {TARGET_LINEAR}x of 10->100: {high / low:.2f} ({verdict(high / low <= TARGET_LINEAR)})"
    )
    r = full_ratio["prod"]
    print(f"  full plan of prod <= {TARGET_FULL}x the program alone: {r:.2f} ({verdict(r <= TARGET_FULL)})")


if __name__ == "__main__":
    main()
