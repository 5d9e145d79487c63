"""The controls table the program and the pack share matches ../shared/controls.md."""

from __future__ import annotations

import re
from pathlib import Path

from groundwork.controls import CONTROLS, applies

ROW = re.compile(r"^\| ([A-Z0-9]+-\d\d) \| (.+?) \| (.+?) \| .*? \| (.*?) \| (.*?) \|\s*$")


CATALOGUES = ("controls.md", "controls-edge.md")  # the edge file is a supplement in the same format


def _lines(shared: Path) -> list[str]:
    return [line for f in CATALOGUES for line in (shared / f).read_text(encoding="utf-8").splitlines()]


def catalogue(shared: Path) -> dict[str, tuple[str, str, tuple[str, ...], str]]:
    rows = {}
    for line in _lines(shared):
        m = ROW.match(line)
        if m:
            cid, title, tier, where, anchors = m.groups()
            rows[cid] = (title, tier, tuple(where.split()), anchors)
    return rows


def test_table_matches_the_catalogue(shared: Path) -> None:
    rows = catalogue(shared)
    assert len(rows) == 79 + 6
    assert set(CONTROLS) == set(rows)
    for cid, (title, tier, where, anchors) in rows.items():
        c = CONTROLS[cid]
        assert (c.title, c.tier_note, c.where, c.anchors) == (title, tier, where, anchors), cid
        assert c.tier == tier.split("/")[0].strip()


def test_controls_sit_in_their_catalogue_section(shared: Path) -> None:
    area = None
    for line in _lines(shared):
        if line.startswith("## "):
            area = line[3:].rsplit(" (", 1)[0]
        m = ROW.match(line)
        if m:
            assert CONTROLS[m.group(1)].area == area, m.group(1)


def test_tiers() -> None:
    assert [applies("stg+", e) for e in ("dev", "staging", "prod")] == [False, True, True]
    assert [applies("prod", e) for e in ("dev", "staging", "prod")] == [False, False, True]
    assert all(applies("all", e) for e in ("dev", "staging", "prod"))


def test_every_p_control_has_a_policy(shared: Path) -> None:
    import groundwork_policies as pack

    covered = {c for spec in pack.REGISTRY.specs.values() for c in spec.controls}
    p_controls = sorted(cid for cid, (_t, _tier, where, _a) in catalogue(shared).items() if "P" in where)
    assert len(p_controls) == 72 + 5
    assert [c for c in p_controls if c not in covered] == []


def test_policies_name_only_p_controls_and_carry_metadata() -> None:
    import groundwork_policies as pack

    for spec in pack.REGISTRY.specs.values():
        assert all("P" in CONTROLS[c].where for c in spec.controls), spec.name
        assert spec.description and spec.remediation and spec.types, spec.name
        assert re.fullmatch(r"(aws|kubernetes)(-[a-z0-9]+)+", spec.name), spec.name


def test_registry_rejects_duplicate_names() -> None:
    import pytest
    from groundwork_policies.core import Registry

    registry = Registry()
    decorate = registry.resource(
        "aws-x-y", controls="NET-07", types="aws:ec2/subnet:Subnet", severity="low", description="d", remediation="r"
    )
    decorate(lambda r, ctx: [])
    with pytest.raises(ValueError, match="duplicate policy name 'aws-x-y'"):
        decorate(lambda r, ctx: [])
    with pytest.raises(ValueError, match="unknown controls"):
        registry.resource("aws-x-z", controls="NET-99", types="t", severity="low", description="d", remediation="r")(
            lambda r, ctx: []
        )


# Policies whose tier is not the strictest tier of their controls: the part of the control the
# catalogue reserves for a higher tier (the words are checked against the row), or a reason.
TIER_EXCEPTIONS = {
    "aws-backup-vault-require-lock": ("prod", "vault lock in prod"),
    "aws-cloudfront-distribution-require-waf": ("prod", "WAF prod"),
    "aws-eks-cluster-no-public-endpoint": ("prod", "off prod"),
    "aws-eks-node-group-min-two-nodes": ("stg+", "min size ≥ 2 in stg+"),
    "aws-elasticache-require-7-day-snapshots": ("prod", "≥ 7 in prod"),
    "aws-lb-require-waf": ("prod", "WAF prod"),
    "aws-rds-instance-require-30-day-backups": ("prod", "≥ 30 in prod"),
    "aws-rds-instance-require-insights-and-monitoring": ("stg+", "all / stg+"),
    "kubernetes-argocd-high-availability": ("prod", "HA in prod"),
    "kubernetes-prometheus-high-availability": ("prod", "HA prod"),
    "kubernetes-tracing-sampling-prod": ("prod", "10 % in prod"),
    # looser than CACHE-01 (stg+): a standalone cache cluster also lacks transit encryption with AUTH,
    # which every tier needs, so it is refused in dev too
    "aws-elasticache-require-replication-group": ("all", None),
    # K8S-09 (HPA and PDB) is stg+, but this policy checks that the admission policies of every
    # workload control (K8S-05..08, SEC-05: all tiers) are installed: in Audit mode in dev too
    "kubernetes-admission-policies-present": ("all", None),
}


def test_every_policy_is_mandatory_from_the_tier_of_its_controls() -> None:
    """A policy is mandatory from the strictest tier of its controls (controls.md "Tier"), or as
    TIER_EXCEPTIONS says with the catalogue's words for it. A dropped `tier=` would make a prod
    control mandatory in dev (issue 18: such mutants survived in rds.py)."""
    import groundwork_policies as pack

    order = {"all": 0, "stg+": 1, "prod": 2}
    found = {}
    for name, spec in pack.REGISTRY.specs.items():
        controls = [CONTROLS[c] for c in spec.controls]
        strictest = max((c.tier for c in controls), key=order.__getitem__)
        if name in TIER_EXCEPTIONS:
            tier, words = TIER_EXCEPTIONS[name]
            assert words is None or any(words in f"{c.title} {c.tier_note}" for c in controls), name
            found[name] = spec.tier == tier
        else:
            found[name] = spec.tier == strictest
    assert [n for n, ok in found.items() if not ok] == []
    assert set(TIER_EXCEPTIONS) <= set(found)
