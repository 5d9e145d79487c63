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


def _facts(project_dir: Path, stack: str) -> tuple[IPv4Network | None, str | None]:
    """The stack's VPC range (default if unset) and ingress host; None where the stack's own
    validation will report a problem."""
    try:
        cfg = load_stack_config(project_dir, stack)
    except StackFileError:
        return None, None

    def section(name: str) -> dict:
        try:
            value = json.loads(cfg.config.get(f"{cfg.project}:{name}", "{}"))
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    try:
        cidr: IPv4Network | None = IPv4Network(section("network").get("cidr") or DEFAULT_CIDR)
    except (ValueError, TypeError):
        cidr = None
    host = section("ingress").get("host")
    return cidr, host if isinstance(host, str) and host else None


def warnings(project_dir: Path, stack: str) -> list[str]:
    mine, host = _facts(project_dir, stack)
    out = []
    for other in stack_names(project_dir):
        if other == stack:
            continue
        theirs, their_host = _facts(project_dir, other)
        if host is not None and their_host == host:
            out.append(
                f"Pulumi.{stack}.yaml: groundwork:ingress.host {host} is also stack {other}'s; both would claim "
                f"its DNS record. Fix: give {stack} its own host name (e.g. api.{stack}.<domain>)"
            )
        if mine is not None and theirs is not None and mine.overlaps(theirs):
            out.append(
                f"Pulumi.{stack}.yaml: groundwork:network.cidr {mine} overlaps stack {other}'s {theirs}; "
                f"overlapping VPCs can never be peered or joined by a transit gateway. "
                f"Fix: give {stack} its own range (e.g. another /16 of 10.0.0.0/8)"
            )
    return out
