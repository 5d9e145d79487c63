"""Subnet layout of the VPC (pure; `ipaddress` only).

Three tiers per AZ: `private` (workloads; the VPC CNI gives every pod a VPC address, so
these are the big ones), `public` (NAT gateways and internet-facing load balancers) and
`database` (isolated: no route to the internet).

**Slots that never move.** Every AZ index has a fixed slot, computed for the largest AZ count
the settings allow (`MAX_AZS`), so adding an AZ to a live stack only adds subnets: the
existing subnets, the database and cache subnet groups and the NAT gateways are untouched
(a subnet's CIDR cannot change in place: a new block replaces the subnet, and a subnet that
still holds the database's or the cache's network interfaces cannot be deleted).

Slots are carved in groups of three AZs from the start of the VPC range. Inside a group the
blocks are packed largest tier first (private, then public, then database), each aligned to
its own size; the next group starts after the previous one. Three AZs (the staging and prod
default) therefore fill the front of the range exactly as a packed three-AZ layout would, and
AZs four to six sit after them. Slots past the end of the VPC are not an error until an AZ
count asks for them: `layout` then says how many addresses that count needs.
"""

from __future__ import annotations

from ipaddress import IPv4Network

TIERS = ("private", "public", "database")
MAX_AZS = 6  # the settings' upper bound for network.azCount
GROUP = 3  # AZs packed together; a group's slots do not depend on how many AZs are used


class LayoutError(ValueError):
    pass


def slots(cidr: IPv4Network, prefixes: dict[str, int], count: int = MAX_AZS) -> list[dict[str, IPv4Network]]:
    """The fixed slot of each AZ index (0..count-1): one block per tier. Slots never overlap,
    and slot i is the same whatever `count` is; slots may extend past the VPC's end."""
    for tier in TIERS:
        if prefixes[tier] < cidr.prefixlen:
            raise LayoutError(f"a /{prefixes[tier]} {tier} subnet is larger than the /{cidr.prefixlen} VPC")
    order = sorted(TIERS, key=lambda t: (prefixes[t], TIERS.index(t)))
    cursor = int(cidr.network_address)
    out: list[dict[str, IPv4Network]] = [{} for _ in range(count)]
    for first in range(0, count, GROUP):
        members = range(first, min(first + GROUP, MAX_AZS))  # always carve whole groups
        for tier in order:
            size = 2 ** (32 - prefixes[tier])
            for az in members:
                cursor = (cursor + size - 1) // size * size  # align to the block size
                if az < count:
                    out[az][tier] = IPv4Network((cursor, prefixes[tier]))
                cursor += size
    return [{tier: slot[tier] for tier in TIERS} for slot in out]


def layout(cidr: IPv4Network, az_count: int, prefixes: dict[str, int]) -> dict[str, list[IPv4Network]]:
    """CIDRs per tier, one per AZ, in AZ order. Raises LayoutError when they do not fit."""
    if not 1 <= az_count <= MAX_AZS:
        raise LayoutError(f"{az_count} AZs: the layout has slots for 1 to {MAX_AZS}")
    used = slots(cidr, prefixes, az_count)
    end = int(cidr.network_address) + cidr.num_addresses
    last = max(int(block.broadcast_address) + 1 for slot in used for block in slot.values())
    if last > end:
        raise LayoutError(
            f"{az_count} AZs x (private /{prefixes['private']} + public /{prefixes['public']} + "
            f"database /{prefixes['database']}) need {last - int(cidr.network_address)} addresses; "
            f"the /{cidr.prefixlen} VPC has {cidr.num_addresses}"
        )
    return {tier: [slot[tier] for slot in used] for tier in TIERS}
