"""The policy pack's analyzer in this process, for the benchmark, the profile and the equivalence test.

`groundwork plan` and the CLI run the pack in a child process (groundwork.policy.analyzer); this
module builds the same servicer the pack's `__main__` serves, from the same registry and stack
context, and calls its `Analyze`/`AnalyzeStack` with the requests the engine would send, so the
pack's own cost can be measured without gRPC and the stock SDK servicer can be compared with the
pack's (`stock=True`).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from groundwork.plan import Graph, StackConfig
from groundwork.policy.analyzer import Analyzer, _struct


@dataclass
class Finding:
    policy: str
    urn: str
    level: int
    message: str


def _load(pack_dir: Path) -> Any:
    path = str(pack_dir.resolve())
    if path not in sys.path:
        sys.path.insert(0, path)
    import groundwork_policies

    return groundwork_policies


def servicer(
    pack_dir: Path,
    project: str,
    stack: str,
    config: dict[str, str],
    *,
    stock: bool = False,
    only: Iterable[str] | None = None,
    today: dt.date | None = None,
) -> Any:
    """The pack's analyzer servicer for a stack, configured as the CLI configures it; the SDK's own
    servicer with `stock=True`; `only` keeps the named policies."""
    from pulumi.runtime.proto import analyzer_pb2
    from pulumi_policy import EnforcementLevel
    from pulumi_policy.policy import _PolicyAnalyzerServicer

    pack = _load(pack_dir)
    ctx = pack.PackContext.build(project, stack, config, today)
    policies = pack.REGISTRY.build(ctx)
    if only is not None:
        keep = set(only)
        policies = [p for p in policies if p.name in keep]
    cls = _PolicyAnalyzerServicer if stock else pack.server.Servicer
    s = cls("groundwork", "0.0.1", policies, EnforcementLevel.ADVISORY)
    s.ConfigureStack(
        analyzer_pb2.AnalyzerStackConfigureRequest(stack=stack, project=project, dry_run=True, config=_struct(config)),
        None,
    )
    return s


def for_stack(cfg: StackConfig, pack_dir: Path, *, stock: bool = False) -> Any:
    return servicer(pack_dir, cfg.project, cfg.stack, dict(cfg.config), stock=stock)


def run(s: Any, requests: list[Any], stack: Any) -> Iterator[tuple[str, Any]]:
    """Each response in the engine's order: ("analyze", urn) per resource, then ("stack", "")."""
    for request in requests:
        yield request.urn, s.Analyze(request, None)
    yield "", s.AnalyzeStack(stack, None)


def findings(s: Any, graph: Graph) -> list[Finding]:
    """Every diagnostic and not-applicable entry, attributed as the engine attributes them."""
    requests, stack = Analyzer.requests(graph)
    out = []
    for urn, response in run(s, requests, stack):
        out += [Finding(d.policyName, d.urn or urn, d.enforcementLevel, d.message) for d in response.diagnostics]
        out += [Finding(n.policy_name, urn, -1, n.reason) for n in response.not_applicable]
    return out
