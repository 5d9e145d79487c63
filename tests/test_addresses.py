"""Addresses: every in-cluster address the platform hands to services or other components is a
Service that the pinned chart or the program actually creates (issue 13, mechanism "Addresses").

On the landed code the OTLP endpoint given to every service (`otel-collector.monitoring.svc:4317`,
the stack output `otlpEndpoint` and docs/observability.md) named no Service: the collector chart
called it `otel-collector-opentelemetry-collector` (release name without the chart name)."""

from __future__ import annotations

from typing import Any

import pytest

from groundwork import addresses
from groundwork.plan.graph import Graph, plain
from tests.k8s import manifests

RELEASE = "kubernetes:helm.sh/v3:Release"
API = {("kubernetes", "default"): {443}}


def known(g: Graph) -> dict[tuple[str, str], set[int]]:
    out: dict[tuple[str, str], set[int]] = {k: set(v) for k, v in API.items()}
    for r in g.of_type(RELEASE):
        p = plain(r.props)
        for key, ports in addresses.chart_services(
            p["name"], p["chart"], p["namespace"], p.get("values") or {}
        ).items():
            out.setdefault(key, set()).update(ports)
    for svc in manifests(g, "Service"):
        key = (svc["metadata"]["name"], svc["metadata"].get("namespace", "default"))
        out.setdefault(key, set()).update(int(p["port"]) for p in svc["spec"].get("ports", []))
    return out


def handed_out(g: Graph) -> list[tuple[str, str, str, int | None]]:
    found = []
    for r in g.resources:
        for value in (plain(r.inputs), plain(r.outputs)):
            found += [(r.name, *a) for a in addresses.addresses(value)]
    found += [("(stack outputs)", *a) for a in addresses.addresses(plain(g.outputs))]
    return found


def unresolved(g: Graph) -> list[str]:
    services = known(g)
    bad = []
    for where, name, ns, port in handed_out(g):
        ports = services.get((name, ns))
        if ports is None or (port is not None and port not in ports):
            bad.append(f"{where}: {name}.{ns}.svc:{port} (known: {sorted(ports) if ports else 'no such Service'})")
    return sorted(set(bad))


def test_chart_service_tables_are_read_at_the_pinned_versions() -> None:
    assert list(addresses.stale()) == []


def test_every_address_is_a_service_that_exists(any_stack: str, graph_of) -> None:
    g: Graph = graph_of(any_stack)
    found = {(name, ns) for _, name, ns, _ in handed_out(g)}
    # what the platform hands out: OTLP (services), Loki (Alloy, Grafana), Tempo (collector, Grafana), the probe
    assert {("otel-collector", "monitoring"), ("loki-gateway", "monitoring"), ("tempo", "monitoring")} <= found
    assert unresolved(g) == []


def test_the_otlp_endpoint_is_the_collectors_service(prod: Graph) -> None:
    collector = next(r for r in prod.of_type(RELEASE) if r.props["chart"] == "opentelemetry-collector")
    p = plain(collector.props)
    assert addresses.fullname(p["name"], p["chart"], p["values"]) == "otel-collector"
    assert prod.outputs["otlpEndpoint"] == "http://otel-collector.monitoring.svc:4317"


def test_seeded_mistake_release_name_without_the_chart_name(prod: Graph) -> None:
    """The landed collector values had no fullnameOverride: Helm named the Service
    `otel-collector-opentelemetry-collector`, so the OTLP address every service used went nowhere."""
    broken = Graph(project=prod.project, stack=prod.stack, outputs=prod.outputs)
    for r in prod.resources:
        if r.type == RELEASE and r.props["chart"] == "opentelemetry-collector":
            values: dict[str, Any] = {k: v for k, v in r.inputs["values"].items() if k != "fullnameOverride"}
            r = type(r)(**{**r.__dict__, "inputs": {**r.inputs, "values": values}})
        broken.resources.append(r)
    assert "(stack outputs): otel-collector.monitoring.svc:4317 (known: no such Service)" in unresolved(broken)


@pytest.mark.parametrize(
    ("release", "chart", "values", "name"),
    [
        ("loki", "loki", {}, "loki"),
        ("otel-collector", "opentelemetry-collector", {}, "otel-collector-opentelemetry-collector"),
        ("otel-collector", "opentelemetry-collector", {"fullnameOverride": "otel-collector"}, "otel-collector"),
        ("x", "tempo", {"nameOverride": "traces"}, "x-traces"),
    ],
)
def test_helm_fullname_rule(release: str, chart: str, values: dict, name: str) -> None:
    assert addresses.fullname(release, chart, values) == name
