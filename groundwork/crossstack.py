"""Checks across the stack files of one project (pure; reads the stack files only).

Each stack's settings are valid on their own, but some must differ between stacks: two VPCs
with overlapping ranges can never be peered or joined by a transit gateway, which a DR copy,
a shared-services VPC or a migration will want (docs/settings.md, `network.cidr`); two stacks
serving the same host name fight over its DNS record. Physical names need no check: they all
start from `<project>-<stack>` (GOV-03). These are warnings with the fix, printed by
`groundwork plan`: a project may keep stacks apart on purpose.
"""

from __future__ import annotations

import json
from ipaddress import IPv4Network
from pathlib import Path

from groundwork.plan.stackconfig import StackFileError, load_stack_config, stack_names
from groundwork.settings.model import NetworkSettings

DEFAULT_CIDR = NetworkSettings.model_fields["cidr"].default


def _cidr(project_dir: Path, stack: str) -> IPv4Network | None:
    try:
        cfg = load_stack_config(project_dir, stack)
        raw = cfg.config.get(f"{cfg.project}:network")
        value = json.loads(raw).get("cidr") if raw else None
        return IPv4Network(value) if value else DEFAULT_CIDR
    except (StackFileError, ValueError, TypeError, AttributeError):
        return None  # that stack's own validation reports it


def _host(project_dir: Path, stack: str) -> str | None:
    try:
        cfg = load_stack_config(project_dir, stack)
        raw = cfg.config.get(f"{cfg.project}:ingress")
        host = json.loads(raw).get("host") if raw else None
        return host if isinstance(host, str) and host else None
    except (StackFileError, ValueError, TypeError, AttributeError):
        return None


def warnings(project_dir: Path, stack: str) -> list[str]:
    mine, host = _cidr(project_dir, stack), _host(project_dir, stack)
    out = []
    for other in stack_names(project_dir):
        if other == stack:
            continue
        if host is not None and _host(project_dir, other) == host:
            out.append(
                f"Pulumi.{stack}.yaml: groundwork:ingress.host {host} is also stack {other}'s; both would claim "
                f"its DNS record. Fix: give {stack} its own host name (e.g. api.{stack}.<domain>)"
            )
        theirs = _cidr(project_dir, other)
        if mine is not None and theirs is not None and mine.overlaps(theirs):
            out.append(
                f"Pulumi.{stack}.yaml: groundwork:network.cidr {mine} overlaps stack {other}'s {theirs}; "
                f"overlapping VPCs can never be peered or joined by a transit gateway. "
                f"Fix: give {stack} its own range (e.g. another /16 of 10.0.0.0/8)"
            )
    return out
