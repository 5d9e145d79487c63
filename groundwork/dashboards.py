"""Grafana dashboards kept as JSON files in `dashboards/` (pure module).

The platform dashboards (cluster overview, service RED, database, cache) are provisioned as
they are; `business-kpis.json` is a template rendered once per service (`${SERVICE}`). Each
becomes a ConfigMap labelled `grafana_dashboard: "1"` that Grafana's sidecar loads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DIR = Path(__file__).resolve().parent.parent / "dashboards"
PLATFORM = ("cluster-overview", "service-red", "database", "cache")
TEMPLATE = "business-kpis"

# Grafana's built-in and dashboard variables, replaced by representative values so that a
# panel query can be parsed as plain PromQL.
_VARIABLES = {
    "$__rate_interval": "5m",
    "$__interval": "1m",
    "$__range": "1h",
    "${__rate_interval}": "5m",
}


def load(name: str) -> dict[str, Any]:
    return json.loads((DIR / f"{name}.json").read_text())


def render(services: list[str]) -> dict[str, dict[str, Any]]:
    """Dashboard name -> JSON model: the platform ones and a business-KPI one per service."""
    out = {name: load(name) for name in PLATFORM}
    template = (DIR / f"{TEMPLATE}.json").read_text()
    for svc in services:
        out[f"{TEMPLATE}-{svc}"] = json.loads(template.replace("${SERVICE}", svc))
    return out


def panel_queries(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(panel title, PromQL expression) of every query target, rows included."""

    def panels(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for p in items:
            yield p
            yield from panels(p.get("panels", []))

    for p in panels(dashboard.get("panels", [])):
        for t in p.get("targets", []):
            if t.get("expr"):
                yield p.get("title", ""), t["expr"]
    for v in dashboard.get("templating", {}).get("list", []):
        query = v.get("query")
        q = query.get("query") if isinstance(query, dict) else query
        m = re.fullmatch(r"label_values\((.+),\s*[A-Za-z_]\w*\)", q or "")
        if m:
            yield f"variable {v['name']}", m.group(1)


def as_promql(expr: str) -> str:
    """Grafana variables replaced so the expression is plain PromQL."""
    for k, v in _VARIABLES.items():
        expr = expr.replace(k, v)
    return re.sub(r"\$\{?([A-Za-z_]\w*)\}?", r"\1-value", expr)
