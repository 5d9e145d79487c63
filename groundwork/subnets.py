"""Subnet layout of the VPC (pure; `ipaddress` only).

Three tiers per AZ: `private` (workloads; the VPC CNI gives every pod a VPC address, so
these are the big ones), `public` (NAT gateways and internet-facing load balancers) and
`database` (isolated: no route to the internet). Blocks are carved from the start of the
VPC range, largest tier first, each aligned to its own size, so the layout is deterministic:
the same settings always give the same CIDRs, and adding a tier never moves another.
"""

from __future__ import annotations

from ipaddress import IPv4Network

TIERS = ("private", "public", "database")


class LayoutError(ValueError):
    pass


def layout(cidr: IPv4Network, az_count: int, prefixes: dict[str, int]) -> dict[str, list[IPv4Network]]:
    """CIDRs per tier, one per AZ, in AZ order. Raises LayoutError when they do not fit."""
    for tier in TIERS:
        if prefixes[tier] < cidr.prefixlen:
            raise LayoutError(f"a /{prefixes[tier]} {tier} subnet is larger than the /{cidr.prefixlen} VPC")
    base = int(cidr.network_address)
    end = base + cidr.num_addresses
    cursor = base
    out: dict[str, list[IPv4Network]] = {}
    for tier in sorted(TIERS, key=lambda t: (prefixes[t], TIERS.index(t))):
        size = 2 ** (32 - prefixes[tier])
        blocks = []
        for _ in range(az_count):
            cursor = (cursor + size - 1) // size * size  # align to the block size
            if cursor + size > end:
                needed = required_addresses(az_count, prefixes)
                raise LayoutError(
                    f"{az_count} AZs x (private /{prefixes['private']} + public /{prefixes['public']} + "
                    f"database /{prefixes['database']}) need {needed} addresses; the /{cidr.prefixlen} VPC has "
                    f"{cidr.num_addresses}"
                )
            blocks.append(IPv4Network((cursor, prefixes[tier])))
            cursor += size
        out[tier] = blocks
    return {tier: out[tier] for tier in TIERS}


def required_addresses(az_count: int, prefixes: dict[str, int]) -> int:
    return az_count * sum(2 ** (32 - prefixes[t]) for t in TIERS)
