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
