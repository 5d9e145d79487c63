"""What each audit control costs in a stack: the lines of an estimate that a control puts there.

A line (or the part of one) is attributed to a control when that control is why it is on the
bill: without the control, the resource, or that part of it, would not exist. For example, the
second and third NAT gateway are NET-02's (one gateway would give egress). The Multi-AZ standby
half of the database is DB-02's. The RDS Proxy is DB-11's. Flow-log ingestion and storage are
NET-03's.

Not attributed: what the platform needs whatever the controls say. That is the EKS control plane,
the node groups, the database and cache at one node, the load balancer, the CDN and their
traffic. The node capacity the platform's own pods take (Prometheus, Loki, Argo CD, Kyverno) is
part of the node groups. It is not split by control, because a pod's share of a node is not a
price.

The result backs docs/cost.md "What the controls cost". An owner who weighs relaxing a control in
a tier sees what that control costs in each stack. `groundwork cost` prints the lines per control
and the JSON carries them as `controlCosts`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from groundwork.cost.catalog import Catalog
from groundwork.cost.estimate import Component, ResourceCost, log_purpose
from groundwork.plan.graph import Graph, Resource


@dataclass(frozen=True)
class ControlCost:
    controls: tuple[str, ...]  # the control IDs that require the line (../shared/controls.md)
    resource: str
    what: str
    monthly: float
    usage_based: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "controls": list(self.controls),
            "resource": self.resource,
            "what": self.what,
            "monthly": round(self.monthly, 4),
            "usageBased": self.usage_based,
        }


# Log groups by the purpose the estimate gives them (estimate.log_purpose). WAF logs go to the
# control of their web ACL, below. A cache's slow log is not required by any control.
LOG_CONTROLS = {
    "flow-logs": ("NET-03",),
    "eks": ("EKS-02",),
    "rds": ("DB-09",),
    "dns": ("EDGE-05",),
    "cdn": ("EDGE-04",),
}

# KMS keys by their Purpose tag (components/kms.py PURPOSES): the controls that ask for a
# customer-managed key for what that key encrypts. A key in another region than the stack's is
# there for the DR region (copies in the DR vault, replicated secrets) or, for `logs`, for
# us-east-1's CloudFront and Route 53 logs.
KEY_CONTROLS = {
    "logs": ("NET-03", "EKS-02"),
    "data": ("DB-03", "CACHE-02", "DR-01"),
    "secrets": ("SEC-02", "EKS-03"),
    "frontend": ("EDGE-03",),
    "dnssec": ("EDGE-05",),
}
KEY_CONTROLS_ELSEWHERE = {
    **KEY_CONTROLS,
    "logs": ("EDGE-04", "EDGE-05"),
    "data": ("DR-04",),
    "secrets": ("DR-06",),
}

# S3 buckets by their Purpose tag. `backups-replica` is the DR copy; `audit-logs` and
# `access-logs` keep the CloudTrail trail and its bucket's access logs.
BUCKET_CONTROLS = {
    "backups": ("DR-01", "DR-02"),
    "backups-replica": ("DR-03",),
    "audit-logs": ("SEC-07",),
    "access-logs": ("SEC-07",),
    "logs": ("OBS-04",),
    "traces": ("OBS-05",),
}

# Persistent volumes of the charts (estimate.release_volumes labels) by what keeps them.
VOLUME_CONTROLS = {
    "Prometheus": ("OBS-01",),
    "Alertmanager": ("OBS-03",),
    "Loki": ("OBS-04",),
    "Tempo": ("OBS-05",),
}

SIMPLE = {
    "aws:rds/proxy:Proxy": ("DB-11",),
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": ("DR-05",),
    "aws:backup/vault:Vault": ("DR-04",),
    "aws:cloudtrail/trail:Trail": ("SEC-07",),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("OBS-06",),
    "aws:sns/topic:Topic": ("OBS-06",),
    "aws:ecr/repository:Repository": ("GIT-06",),
}


class _Context:
    def __init__(self, graph: Graph, catalog: Catalog, resources: list[ResourceCost]) -> None:
        self.catalog = catalog
        nats = sorted(graph.of_type("aws:ec2/natGateway:NatGateway"), key=lambda r: r.name)
        # one NAT gateway gives egress; each further one is there for NET-02 (one per AZ)
        self.extra_nats = {r.urn for r in nats[1:]}
        addresses = {u for r in nats[1:] for u in r.property_dependencies.get("allocationId", [])}
        names = {r.name for r in nats[1:]}  # a preview's JSON has no property dependencies
        self.extra_nat_addresses = addresses | {
            r.urn for r in graph.of_type("aws:ec2/eip:Eip") if not addresses and r.name in names
        }
        # a WAF log group belongs to the web ACL whose logging configuration names it
        self.waf_logs: dict[str, tuple[str, ...]] = {}
        for cfg in graph.of_type("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"):
            acls = [graph.by_urn.get(u) for u in cfg.property_dependencies.get("resourceArn", [])]
            for acl in acls:
                if acl is not None:
                    for group in cfg.property_dependencies.get("logDestinationConfigs", []):
                        self.waf_logs[group] = _waf_controls(acl)
        # without property dependencies, to the web ACLs of its region (a CLOUDFRONT web ACL and
        # its log group are in us-east-1, a REGIONAL one in the stack's region)
        self.waf_by_region: dict[str, set[str]] = defaultdict(set)
        for rc in resources:
            acl = graph.by_urn.get(rc.urn)
            if acl is not None and acl.type == "aws:wafv2/webAcl:WebAcl":
                self.waf_by_region[rc.region].update(_waf_controls(acl))

    def waf_log_controls(self, rc: ResourceCost) -> tuple[str, ...]:
        return self.waf_logs.get(rc.urn) or tuple(sorted(self.waf_by_region.get(rc.region) or {"NET-10"}))


def _waf_controls(acl: Resource) -> tuple[str, ...]:
    return ("EDGE-04",) if acl.props.get("scope") == "CLOUDFRONT" else ("NET-10",)


def _cost(controls: tuple[str, ...], rc: ResourceCost, what: str, monthly: float, usage: bool) -> Iterator[ControlCost]:
    if monthly > 0:  # a line that costs nothing (the trail's first copy, a one-node cache's replicas) says nothing
        yield ControlCost(controls, rc.name, what, monthly, usage)


def _line(controls: tuple[str, ...], rc: ResourceCost, c: Component, share: float = 1.0) -> Iterator[ControlCost]:
    yield from _cost(controls, rc, c.name, (c.monthly_cost or 0.0) * share, c.usage_based)


def _lines(ctx: _Context, rc: ResourceCost, r: Resource, stack_region: str) -> Iterator[ControlCost]:
    t = r.type
    if t in SIMPLE:
        for c in rc.components:
            yield from _line(SIMPLE[t], rc, c)
    elif t == "aws:ec2/natGateway:NatGateway" and r.urn in ctx.extra_nats:
        for c in rc.components:
            if not c.usage_based:  # the traffic is the same, split across more gateways
                yield from _line(("NET-02",), rc, c)
    elif t == "aws:ec2/eip:Eip" and r.urn in ctx.extra_nat_addresses:
        for c in rc.components:
            yield from _line(("NET-02",), rc, c)
    elif t == "aws:rds/instance:Instance":
        yield from _rds(ctx, rc)
    elif t == "aws:elasticache/replicationGroup:ReplicationGroup":
        for c in rc.components:
            if c.usage_based:  # snapshots beyond the free one: CACHE-04's retention
                yield from _line(("CACHE-04",), rc, c)
            elif c.hourly_quantity:  # the nodes after the first: CACHE-01's replicas
                yield from _line(("CACHE-01",), rc, c, (c.hourly_quantity - 1) / c.hourly_quantity)
    elif t == "aws:wafv2/webAcl:WebAcl":
        for c in rc.components:
            yield from _line(_waf_controls(r), rc, c)
    elif t == "aws:cloudwatch/logGroup:LogGroup":
        purpose = log_purpose(str(r.props.get("name", "")))
        controls = ctx.waf_log_controls(rc) if purpose == "waf" else LOG_CONTROLS.get(purpose, ())
        for c in rc.components if controls else ():
            yield from _line(controls, rc, c)
    elif t in ("aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey"):
        purpose = str((r.props.get("tags") or {}).get("Purpose", ""))
        table = KEY_CONTROLS if rc.region == stack_region else KEY_CONTROLS_ELSEWHERE
        for c in rc.components if purpose in table else ():
            yield from _line(table[purpose], rc, c)
    elif t == "aws:secretsmanager/secret:Secret":
        for c in rc.components:  # in Secrets Manager rather than in plain text; replicas for a DR rebuild
            yield from _line(("DR-06",) if c.name.startswith("replica") else ("SEC-02",), rc, c)
    elif t in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"):
        purpose = str((r.props.get("tags") or {}).get("Purpose", ""))
        for c in rc.components if purpose in BUCKET_CONTROLS else ():
            yield from _line(BUCKET_CONTROLS[purpose], rc, c)
    elif t == "aws:ec2/instance:Instance" and r.props.get("sourceDestCheck") is not False:
        for c in rc.components:  # the operators' way to a private-only API endpoint
            yield from _line(("EKS-04",), rc, c)
    elif t == "kubernetes:helm.sh/v3:Release":
        for c in rc.components:  # labelled by chart part: "Prometheus volumes (...)", "Tempo volume"
            part = c.name.split(" ")[0]
            if part in VOLUME_CONTROLS:
                yield from _line(VOLUME_CONTROLS[part], rc, c)


def _rds(ctx: _Context, rc: ResourceCost) -> Iterator[ControlCost]:
    for c in rc.components:
        if c.price_key.endswith(".multi_az"):  # the standby and its storage: DB-02
            single = ctx.catalog.price(rc.region, c.price_key.removesuffix(".multi_az") + ".single_az")
            if single is not None:  # a catalog without the single-AZ price has no standby to tell apart
                standby = (c.price - single.price) * (c.monthly_quantity or 0.0)
                yield from _cost(("DB-02",), rc, f"{c.name}: the standby", standby, c.usage_based)
        elif c.price_key == "secretsmanager.secret":
            yield from _line(("DB-08",), rc, c)
        elif c.price_key == "rds.backup.storage":
            yield from _line(("DB-06",), rc, c)


def attribute(resources: list[ResourceCost], graph: Graph, catalog: Catalog, stack_region: str) -> list[ControlCost]:
    """The lines of `resources` each control requires, in the order of `resources`."""
    ctx = _Context(graph, catalog, resources)
    out: list[ControlCost] = []
    for rc in resources:
        r = graph.by_urn.get(rc.urn)
        if r is not None:
            out += _lines(ctx, rc, r, stack_region)
            continue
        for c in rc.components:  # the stack-wide usage: what the DR copies move between regions
            if c.price_key == "transfer.inter_region":
                out += _line(("DR-03", "DR-04"), rc, c)
    return out


def by_control(lines: list[ControlCost]) -> list[tuple[tuple[str, ...], float, list[str]]]:
    """(controls, monthly, resources) per group of controls, dearest first."""
    totals: dict[tuple[str, ...], float] = defaultdict(float)
    names: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for x in lines:
        totals[x.controls] += x.monthly
        if x.resource not in names[x.controls]:
            names[x.controls].append(x.resource)
    return sorted(((k, v, names[k]) for k, v in totals.items()), key=lambda kv: (-kv[1], kv[0]))
