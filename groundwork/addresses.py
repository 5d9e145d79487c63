"""Addresses: every in-cluster address the platform hands out is a Service that exists (pure module).

The program writes addresses like `http://loki-gateway.monitoring.svc` into Grafana's data
sources, Alloy's and the collector's exporters, blackbox probes and the stack output services
use for OTLP. A Helm chart names its Services from its own `fullname` helper, and the offline
plan never renders a chart: a wrong guess is only found when traffic goes nowhere. This module
records, per pinned chart version, how the chart names its Services (the standard Helm
`fullname` rule: `fullnameOverride`, else the release name when it contains the chart name,
else `<release>-<chart>`) and which Services and ports it creates with our values, with the
template that says so. `tests/test_addresses.py` scans every string the plan records for
`<service>.<namespace>.svc[:port]` and checks it against these and the Services the program
creates itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from groundwork.charts import CHARTS

ADDRESS = re.compile(
    r"(?:(https?)://)?([a-z0-9]([a-z0-9-]*[a-z0-9])?)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?(?::(\d+))?"
)


@dataclass(frozen=True)
class ChartServices:
    chart: str
    version: str  # the version the templates were read at (must equal the pin)
    services: tuple[tuple[str, tuple[int, ...]], ...]  # (suffix after fullname, ports); "" = the fullname
    source: str


CHART_SERVICES: dict[str, ChartServices] = {
    c.chart: c
    for c in (
        ChartServices(
            "opentelemetry-collector",
            "0.158.2",
            (("", (4317, 4318)),),
            "open-telemetry/opentelemetry-helm-charts @ opentelemetry-collector-0.158.2: "
            "templates/_helpers.tpl (opentelemetry-collector.fullname), templates/service.yaml, values.yaml ports",
        ),
        ChartServices(
            "tempo",
            "1.24.0",
            (("", (3200, 4317, 4318)),),
            "grafana/helm-charts @ tempo-1.24.0: templates/_helpers.tpl (tempo.fullname), templates/service.yaml, "
            "templates/_ports.tpl (3200; OTLP 4317/4318 from tempo.receivers.otlp)",
        ),
        ChartServices(
            "loki",
            "6.53.0",
            (("-gateway", (80,)),),
            "grafana/loki @ helm-loki-6.53.0: templates/_helpers.tpl (loki.fullname), "
            "templates/gateway/_helpers-gateway.tpl (<fullname>-gateway), values.yaml gateway.service.port 80",
        ),
    )
}


def fullname(release: str, chart: str, values: dict[str, Any]) -> str:
    """The standard Helm `<chart>.fullname` helper (the charts above define it this way)."""
    if values.get("fullnameOverride"):
        return str(values["fullnameOverride"])[:63].rstrip("-")
    name = str(values.get("nameOverride") or chart)
    return (release if name in release else f"{release}-{name}")[:63].rstrip("-")


def chart_services(release: str, chart: str, namespace: str, values: dict[str, Any]) -> dict[tuple[str, str], set[int]]:
    spec = CHART_SERVICES.get(chart)
    if spec is None:
        return {}
    base = fullname(release, chart, values)
    return {(base + suffix, namespace): set(ports) for suffix, ports in spec.services}


def stale() -> Iterator[str]:
    for c in CHART_SERVICES.values():
        if CHARTS[c.chart].version != c.version:
            yield f"{c.chart}: Services read at {c.version}, pinned {CHARTS[c.chart].version}"


def addresses(value: Any) -> Iterator[tuple[str, str, int | None]]:
    """(service, namespace, port) of every in-cluster address in a value (strings, nested)."""
    if isinstance(value, str):
        for m in ADDRESS.finditer(value):
            port = int(m.group(5)) if m.group(5) else (443 if m.group(1) == "https" else 80 if m.group(1) else None)
            yield m.group(2), m.group(4), port
    elif isinstance(value, dict):
        for v in value.values():
            yield from addresses(v)
    elif isinstance(value, list):
        for v in value:
            yield from addresses(v)
