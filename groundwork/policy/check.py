"""Plan a stack and evaluate the policy pack on it, the way `pulumi preview --policy-pack` would."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from groundwork.plan import Graph, StackConfig, run_program
from groundwork.policy.analyzer import Analyzer, AnalyzerError
from groundwork.policy.report import PolicyReport, load_policy_config, offline_secret_check, pack_version


def environment_of(cfg: StackConfig) -> str:
    """The pack's tier rule, for the report heading (the pack itself applies it for enforcement)."""
    value = cfg.config.get(f"{cfg.project}:environment")
    if value in ("dev", "staging", "prod"):
        return value
    name = cfg.stack.lower()
    return "dev" if name.startswith("dev") else "staging" if name.startswith(("staging", "stg")) else "prod"


def _exemptions(cfg: StackConfig) -> list[dict[str, Any]]:
    try:
        value = json.loads(cfg.config.get(f"{cfg.project}:exemptions", "[]"))
    except json.JSONDecodeError:
        return []
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def evaluate(
    cfg: StackConfig, pack_dir: Path, *, policy_config: Path | None = None, graph: Graph | None = None
) -> tuple[Graph, PolicyReport]:
    """Run the program (unless `graph` is given) while the pack starts, then analyze every resource."""
    if not (pack_dir / "PulumiPolicy.yaml").exists():
        raise AnalyzerError(f"no policy pack (PulumiPolicy.yaml) in {pack_dir}; pass --pack DIR or --no-policies")
    analyzer = Analyzer(pack_dir, project=cfg.project, stack=cfg.stack, config=cfg.config)
    try:
        if graph is None:
            graph = run_program(cfg)
        analyzer.connect()
        pack, policies = analyzer.info()
        pack["version"] = pack_version(pack_dir)  # as the CLI does: PulumiPolicy.yaml's version wins
        overrides = load_policy_config(policy_config, policies) if policy_config else {}
        if overrides:
            analyzer.configure(overrides)
        analyzer.configure_stack()
        started = time.perf_counter()
        diagnostics, _ = analyzer.analyze(graph)
        diagnostics += offline_secret_check(graph)
        seconds = {"analyze": time.perf_counter() - started, "pack_start": analyzer.ready_seconds}
        analyzed = len(Analyzer.analyzed(graph))
        exemptions = _exemptions(cfg)
        report = PolicyReport(pack, policies, diagnostics, environment_of(cfg), seconds, analyzed, exemptions)
        return graph, report
    finally:
        analyzer.close()
