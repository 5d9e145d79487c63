"""Benchmark of the offline plan (issue: prod plan <= 10 s on 2 cores, linear in services).

Prints, for each stack, the wall time of `groundwork plan` as a user runs it (a fresh
process: interpreter start, imports, plan, printing) and the resource count; then the
in-process plan time of prod with 10, 50 and 100 generated services. Run:

    venv/bin/python bench/plan_benchmark.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
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
    cfg = load_stack_config(ROOT, "prod")
    cfg.config["groundwork:services"] = json.dumps(services(n_services))
    started = time.perf_counter()
    graph = run_program(cfg)
    return time.perf_counter() - started, graph.resource_count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tmp = ROOT / "build" / "bench"
    tmp.mkdir(parents=True, exist_ok=True)

    print(
        "groundwork plan --no-policies (fresh process, median of",
        args.repeat,
        "runs; bench/policy_benchmark.py times the pack)",
    )
    print(f"{'stack':<10}{'wall s':>8}{'resources':>11}")
    for stack in ("dev", "staging", "prod"):
        runs = [cli_plan(stack, tmp) for _ in range(args.repeat)]
        print(f"{stack:<10}{statistics.median(r[0] for r in runs):>8.2f}{runs[0][1]:>11}")

    in_process(0)  # warm the imports once
    print("\nprod plan in process by number of services (median of", args.repeat, "runs)")
    print(f"{'services':<10}{'plan s':>8}{'resources':>11}{'s/service':>11}")
    base = None
    for n in (0, 10, 50, 100):
        runs = [in_process(n) for _ in range(args.repeat)]
        t = statistics.median(r[0] for r in runs)
        base = t if base is None else base
        per = "" if n == 0 else f"{(t - base) / n:>11.4f}"
        print(f"{n:<10}{t:>8.2f}{runs[0][1]:>11}{per}")


if __name__ == "__main__":
    main()
