"""Kubernetes checks for the tests: manifests out of the plan, CRD and core schema validation,
and a NetworkPolicy evaluator (the Kubernetes semantics, to test reachability, not fields)."""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from ipaddress import ip_address, ip_network
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

from groundwork.plan.graph import Graph, Resource, plain


def _ints(value: Any) -> Any:
    """JSON numbers cross the Pulumi RPC as doubles; the API server reads 53.0 as 53."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


def manifest(r: Resource) -> dict[str, Any]:
    """The object the Kubernetes provider would send, from the recorded inputs."""
    return _ints(plain(r.props))


def manifests(g: Graph, kind: str) -> list[dict[str, Any]]:
    return [manifest(r) for r in g.resources if r.type.startswith("kubernetes:") and r.type.endswith(f":{kind}")]


# ---------------------------------------------------------------------------------------------
# CRD schemas (../shared/schemas/crds) as strict JSON Schema
# ---------------------------------------------------------------------------------------------


def _strict(schema: Any) -> Any:
    """OpenAPI v3 (CRD structural schema) -> JSON Schema that also rejects unknown fields.

    The API server prunes unknown fields silently (or rejects them with strict field
    validation); either way a typo would be lost, so the tests refuse them.
    """
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items() if not k.startswith("x-kubernetes-")}
    if schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if (
        out.get("type") == "object"
        and "properties" in out
        and "additionalProperties" not in out
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    pattern = out.get("pattern")
    if isinstance(pattern, str) and "(?i)" in pattern and not pattern.startswith("(?i)"):
        # Go (RE2) allows inline flags anywhere; Python only at the start
        out["pattern"] = "(?i)" + pattern.replace("(?i)", "")
    if schema.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    return out


@functools.cache
def crd_schema(path: Path, version: str) -> dict[str, Any]:
    crd = yaml.safe_load(path.read_text())
    for v in crd["spec"]["versions"]:
        if v["name"] == version:
            assert v.get("served"), f"{path.name} does not serve {version}"
            schema = copy.deepcopy(v["schema"]["openAPIV3Schema"])
            # metadata is validated by the API server itself, not by the CRD schema
            schema.get("properties", {}).pop("metadata", None)
            schema["required"] = [x for x in schema.get("required", []) if x != "metadata"]
            return _strict(schema)
    raise AssertionError(f"{path.name} has no version {version}")


def validate_crd(obj: dict[str, Any], crd_file: Path) -> None:
    version = obj["apiVersion"].split("/")[-1]
    body = {k: v for k, v in obj.items() if k != "metadata"}
    jsonschema.validate(body, crd_schema(crd_file, version))


def validate_core(obj: dict[str, Any], kubernetes_version: str) -> None:
    """The Kubernetes OpenAPI schema of that minor version, unknown fields refused."""
    kubernetes_validate.validate(obj, f"{kubernetes_version}.0", strict=True)


# ---------------------------------------------------------------------------------------------
# NetworkPolicy semantics
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pod:
    namespace: str
    labels: dict[str, str]
    namespace_labels: dict[str, str]
    ip: str = "10.0.200.10"  # a pod address in the private subnets


@dataclass(frozen=True)
class External:
    ip: str  # a client outside the cluster (ALB node, database endpoint, internet host)


def _selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    if selector is None:
        return True
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        present, value = e["key"] in labels, labels.get(e["key"])
        op = e["operator"]
        if (op == "In" and value not in e["values"]) or (op == "NotIn" and value in e["values"]):
            return False
        if (op == "Exists" and not present) or (op == "DoesNotExist" and present):
            return False
    return True


def _peer_matches(peer: dict[str, Any], other: Pod | External, policy_ns: str) -> bool:
    if "ipBlock" in peer:
        ip = ip_address(other.ip)
        block = peer["ipBlock"]
        return ip in ip_network(block["cidr"]) and not any(ip in ip_network(x) for x in block.get("except", []))
    if isinstance(other, External):
        return False
    ns_sel, pod_sel = peer.get("namespaceSelector"), peer.get("podSelector")
    if ns_sel is None and other.namespace != policy_ns:
        return False  # a podSelector alone means pods of the policy's namespace
    if ns_sel is not None and not _selects(ns_sel, other.namespace_labels):
        return False
    return _selects(pod_sel, other.labels)


def _port_matches(ports: list[dict[str, Any]] | None, port: int, protocol: str) -> bool:
    if not ports:
        return True
    return any(p.get("protocol", "TCP") == protocol and p.get("port") in (None, port) for p in ports)


def _allowed(
    policies: list[dict[str, Any]], pod: Pod, other: Pod | External, port: int, protocol: str, direction: str
) -> bool:
    kind, rules_key, peers_key = ("Ingress", "ingress", "from") if direction == "in" else ("Egress", "egress", "to")
    applying = [
        p
        for p in policies
        if p["metadata"]["namespace"] == pod.namespace
        and _selects(p["spec"].get("podSelector") or {}, pod.labels)
        and kind in p["spec"].get("policyTypes", ["Ingress"])
    ]
    if not applying:
        return True  # no policy isolates the pod in this direction
    for p in applying:
        for rule in p["spec"].get(rules_key) or []:
            peers = rule.get(peers_key)
            if _port_matches(rule.get("ports"), port, protocol) and (
                not peers or any(_peer_matches(peer, other, pod.namespace) for peer in peers)
            ):
                return True
    return False


def reachable(
    policies: list[dict[str, Any]], src: Pod | External, dst: Pod | External, port: int, protocol: str = "TCP"
) -> bool:
    """Whether NetworkPolicies let `src` open a connection to `dst:port` (both directions checked)."""
    out_ok = _allowed(policies, src, dst, port, protocol, "out") if isinstance(src, Pod) else True
    in_ok = _allowed(policies, dst, src, port, protocol, "in") if isinstance(dst, Pod) else True
    return out_ok and in_ok
