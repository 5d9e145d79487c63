"""Benchmark of the policy pack on the offline plans (issue 16).

Prints, for each stack: resources, policies, the pack's own analysis per resource in process (the
pack's servicer, and pulumi-policy's stock servicer for comparison), the same through gRPC from
a child process as `groundwork plan` runs it, and the pack's start-up alone; then prod's
in-process analysis per resource with 0, 50, 100 and 300 generated services and its ratio to 0
services; then each target and whether it holds. Run:

    venv/bin/python bench/policy_benchmark.py [--repeat 3] [--services 0,50,100,300] [--no-stock]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from plan_benchmark import services  # noqa: E402

from groundwork.plan import load_stack_config, run_program  # noqa: E402
from groundwork.policy import inprocess  # noqa: E402
from groundwork.policy.analyzer import Analyzer  # noqa: E402
from groundwork.policy.check import evaluate  # noqa: E402

PACK = ROOT / "policies"
TARGET_MS, TARGET_RATIO, TARGET_START = 1.0, 1.2, 1.0


def in_process(cfg, graph, *, stock: bool, repeat: int) -> float:  # type: ignore[no-untyped-def]
    """Median seconds for every Analyze and the AnalyzeStack of `graph`, requests built beforehand."""
    requests, stack = Analyzer.requests(graph)
    s = inprocess.for_stack(cfg, PACK, stock=stock)
    times = []
    for _ in range(repeat):
        # The pack's process holds only the requests, not the plan: collect the plan's garbage and
        # set its live objects aside so the collector's passes do not scan them during the timing.
        gc.collect()
        gc.freeze()
        started = time.perf_counter()
        for _response in inprocess.run(s, requests, stack):
            pass
        times.append(time.perf_counter() - started)
        gc.unfreeze()
    return statistics.median(times)


def start_up(repeat: int) -> float:
    """Median seconds from starting the pack's process to its Analyzer answering (nothing else running)."""
    times = []
    for _ in range(repeat):
        a = Analyzer(PACK, project="groundwork", stack="prod", config={})
        try:
            a.connect()
            times.append(a.ready_seconds)
        finally:
            a.close()
    return statistics.median(times)


def verdict(ok: bool) -> str:
    return "holds" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--services", default="0,50,100,300", help="Service counts for the scaling table.")
    parser.add_argument("--no-stock", action="store_true", help="Skip the stock SDK servicer (slow).")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; medians of {args.repeat} runs")
    print(
        f"{'stack':<9}{'resources':>10}{'policies':>9}{'ms/res':>8}{'stock ms/res':>14}{'speed-up':>10}"
        f"{'gRPC s':>8}{'gRPC ms/res':>13}"
    )
    prod_ms = 0.0
    for stack in ("dev", "staging", "prod"):
        cfg = load_stack_config(ROOT, stack)
        graph = run_program(cfg)
        n = len(Analyzer.analyzed(graph))
        ours = in_process(cfg, graph, stock=False, repeat=args.repeat)
        stock = None if args.no_stock else in_process(cfg, graph, stock=True, repeat=1)
        grpc_runs = [evaluate(cfg, PACK, graph=graph)[1] for _ in range(args.repeat)]
        grpc_s = statistics.median(r.seconds["analyze"] for r in grpc_runs)
        stock_ms = f"{1000 * stock / n:>14.2f}{stock / ours:>9.1f}x" if stock else f"{'-':>14}{'-':>10}"
        print(
            f"{stack:<9}{n:>10}{len(grpc_runs[0].policies):>9}{1000 * ours / n:>8.2f}{stock_ms}"
            f"{grpc_s:>8.2f}{1000 * grpc_s / n:>13.2f}"
        )
        prod_ms = 1000 * ours / n
    start = start_up(args.repeat)
    print(f"\npack start-up alone: {start:.2f} s")

    print("\nprod pack analysis in process by number of services")
    print(f"{'services':<10}{'resources':>10}{'analyze s':>11}{'ms/res':>8}{'ratio':>7}")
    base = None
    ratios: dict[int, float] = {}
    for count in (int(x) for x in args.services.split(",") if x.strip()):
        cfg = load_stack_config(ROOT, "prod")
        if count:
            cfg.config["groundwork:services"] = json.dumps(services(count))
        graph = run_program(cfg)
        n = len(Analyzer.analyzed(graph))
        seconds = in_process(cfg, graph, stock=False, repeat=args.repeat)
        per = 1000 * seconds / n
        base = per if base is None else base
        ratios[count] = per / base
        print(f"{count:<10}{n:>10}{seconds:>11.2f}{per:>8.2f}{per / base:>7.2f}")

    print("\ntargets")
    print(f"  prod analysis <= {TARGET_MS} ms/resource in process: {prod_ms:.2f} ({verdict(prod_ms <= TARGET_MS)})")
    if 100 in ratios:
        r = ratios[100]
        print(f"  100 services <= {TARGET_RATIO}x the per-resource cost at 0: {r:.2f} ({verdict(r <= TARGET_RATIO)})")
    print(f"  pack start-up <= {TARGET_START} s: {start:.2f} ({verdict(start <= TARGET_START)})")


if __name__ == "__main__":
    main()
