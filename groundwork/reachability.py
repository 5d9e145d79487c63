"""Reachability: every principal that applies a stack can reach the Kubernetes API endpoint
(pure module; runs on the recorded graph, in `groundwork plan` and in the tests).

`pulumi up` talks to the API server for every Kubernetes resource and Helm release. Who runs it:
- CI's jobs (deploy, preview, drift) when `delivery.githubRepository` is set: they run on the
  stack's CodeBuild runner project (components/access.py); its security groups must be allowed
  on 443 by the cluster security group, and the project must sit in the cluster's VPC.
- Operators (the admin roles): through the SSM operator host (same rule), or from the public
  endpoint's CIDRs where the stack has a public endpoint.
A GitHub-hosted runner has no fixed address: it reaches neither a private endpoint nor a public one
restricted to named CIDRs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from groundwork.plan.graph import Graph, Resource

EKS = "aws:eks/cluster:Cluster"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
PROJECT = "aws:codebuild/project:Project"
VPC = "aws:ec2/vpc:Vpc"
INSTANCE = "aws:ec2/instance:Instance"
HTTPS = 443


@dataclass(frozen=True)
class Path:
    principal: str
    reachable: bool
    how: str

    def __str__(self) -> str:
        return f"{self.principal}: {'reaches' if self.reachable else 'CANNOT reach'} the API ({self.how})"


def _allowed_sources(g: Graph, cluster_sg: str) -> set[str]:
    """Security groups the cluster security group admits on 443."""
    out = set()
    for rule in g.of_type(INGRESS):
        p = rule.outputs or rule.props
        if p.get("securityGroupId") != cluster_sg or p.get("ipProtocol") not in ("tcp", "-1"):
            continue
        lo, hi = p.get("fromPort", 0), p.get("toPort", 65535)
        if (p.get("ipProtocol") == "-1" or lo <= HTTPS <= hi) and p.get("referencedSecurityGroupId"):
            out.add(str(p["referencedSecurityGroupId"]))
    return out


def _sg_ids(r: Resource, key: str) -> list[str]:
    value: Any = r.outputs or r.props
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return [str(v) for v in value or []]


def paths(g: Graph, *, ci: bool) -> list[Path]:
    """The path of each principal that applies the stack (`ci`: the stack is deployed from CI)."""
    clusters = g.of_type(EKS)
    if not clusters:
        return []
    c = clusters[0].outputs or clusters[0].props
    vpc = c.get("vpcConfig") or {}
    private, public = vpc.get("endpointPrivateAccess") is True, vpc.get("endpointPublicAccess") is not False
    cidrs = vpc.get("publicAccessCidrs") or (["0.0.0.0/0"] if public else [])
    allowed = _allowed_sources(g, str(vpc.get("clusterSecurityGroupId")))
    # the private endpoint's name resolves inside the VPC only with both DNS attributes on
    # (EKS User Guide, "Cluster API server endpoint": private access needs enableDnsHostnames
    # and enableDnsSupport)
    vpcs = [v for v in g.of_type(VPC) if v.id == vpc.get("vpcId")]
    dns = not vpcs or all(
        (v.outputs or v.props).get(k) is True for v in vpcs for k in ("enableDnsHostnames", "enableDnsSupport")
    )
    out = []

    def inside(kind: str, sgs: list[str], in_vpc: bool) -> Path:
        if private and in_vpc and not dns:
            return Path(kind, False, "the VPC does not resolve the private endpoint (enableDnsHostnames/Support off)")
        if private and in_vpc and set(sgs) & allowed:
            return Path(kind, True, "private endpoint, security group allowed on 443")
        if not private:
            return Path(kind, False, "the private endpoint is off")
        return Path(kind, False, "its security group is not allowed on 443 by the cluster security group")

    if ci:
        projects = g.of_type(PROJECT)
        if not projects:
            open_to_all = public and "0.0.0.0/0" in cidrs
            out.append(
                Path(
                    "CI jobs (deploy, preview, drift)",
                    open_to_all,
                    "GitHub-hosted runners have no fixed address"
                    + ("" if open_to_all else f": the endpoint admits only {', '.join(cidrs) or 'the VPC'}"),
                )
            )
        for p in projects:
            in_vpc = (p.props.get("vpcConfig") or {}).get("vpcId") == vpc.get("vpcId")
            out.append(
                inside(
                    f"CI jobs on CodeBuild project {p.props.get('name')}",
                    _sg_ids(p, "vpcConfig.securityGroupIds"),
                    in_vpc,
                )
            )
    hosts = [i for i in g.of_type(INSTANCE) if "operator-access" in i.name]
    via_host = [inside("operators through the SSM host", _sg_ids(h, "vpcSecurityGroupIds"), True) for h in hosts]
    if any(p.reachable for p in via_host):
        out += via_host
    elif public and cidrs:
        out.append(Path("operators", True, f"public endpoint from {', '.join(cidrs)}"))
    else:
        out += via_host or [Path("operators", False, "private endpoint and no operator host (cluster.operatorAccess)")]
    return out


def problems(g: Graph, *, ci: bool) -> list[str]:
    return [str(p) for p in paths(g, ci=ci) if not p.reachable]
