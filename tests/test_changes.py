"""The offline diff (groundwork.changes.diff) on small graphs: what it decides, rule by rule."""

from __future__ import annotations

import copy

from groundwork.changes import diff
from groundwork.plan import Graph, Resource

P = "urn:pulumi:prod::groundwork::"


def res(type_: str, name: str, inputs: dict, **kw) -> Resource:
    return Resource(urn=f"{P}{type_}::{name}", type=type_, name=name, custom=True, inputs=inputs, **kw)


def graph(*rs: Resource) -> Graph:
    return Graph(project="groundwork", stack="prod", resources=list(rs))


SUBNET = "aws:ec2/subnet:Subnet"
GROUP = "aws:rds/subnetGroup:SubnetGroup"
DB = "aws:rds/instance:Instance"


def base() -> Graph:
    subnet = res(SUBNET, "a", {"cidrBlock": "10.0.0.0/24", "tags": {"Name": "a"}})
    group = res(GROUP, "g", {"subnetIds": ["subnet-a"]}, property_dependencies={"subnetIds": [subnet.urn]})
    db = res(
        DB,
        "db",
        {"engineVersion": "17", "kmsKeyId": "k1", "dbSubnetGroupName": "g", "scaling": {"min": 1, "desired": 2}},
        property_dependencies={"dbSubnetGroupName": [group.urn]},
        options={"ignoreChanges": ["scaling.desired"]},
    )
    return graph(subnet, group, db)


def changed(mutate) -> dict[str, tuple[str, tuple[str, ...]]]:
    head = Graph.from_json(copy.deepcopy(base().to_json()))
    mutate({r.name: r for r in head.resources}, head)
    return {c.name: (c.op, c.replace_keys) for c in diff(base(), head).steps}


def test_in_place_and_forced_changes() -> None:
    assert changed(lambda r, g: r["db"].inputs.update(engineVersion="18")) == {"db": ("update", ())}
    assert changed(lambda r, g: r["db"].inputs.update(kmsKeyId="k2")) == {"db": ("replace", ("kmsKeyId",))}
    assert changed(lambda r, g: r["a"].inputs.update(tags={"Name": "b"})) == {"a": ("update", ())}


def test_a_replacement_reaches_the_inputs_that_depend_on_it() -> None:
    """A new subnet has a new ID: the group's subnetIds are unknown at preview, so it updates; a
    dependent whose dependent input forces replacement would be replaced in turn."""
    got = changed(lambda r, g: r["a"].inputs.update(cidrBlock="10.0.1.0/24"))
    assert got == {"a": ("replace", ("cidrBlock",)), "g": ("update", ())}


def test_nested_ignore_changes_hide_only_that_field() -> None:
    assert changed(lambda r, g: r["db"].inputs["scaling"].update(desired=5)) == {}
    assert changed(lambda r, g: r["db"].inputs["scaling"].update(min=2)) == {"db": ("update", ())}


def test_renames_with_an_alias_are_not_a_delete_and_a_create() -> None:
    def rename(r, g):
        db = r["db"]
        old = db.urn
        db.urn, db.name = f"{P}{DB}::database", "database"
        db.options["aliasSpecs"] = [{"urn": old}]

    assert changed(rename) == {}

    def rename_without_alias(r, g):
        r["db"].urn, r["db"].name = f"{P}{DB}::database", "database"

    assert changed(rename_without_alias) == {"database": ("create", ()), "db": ("delete", ())}


def test_the_program_s_replace_on_changes_counts() -> None:
    def mark(r, g):
        r["a"].options["replaceOnChanges"] = ["tags"]
        r["a"].inputs["tags"] = {"Name": "b"}

    assert changed(mark) == {"a": ("replace", ("tags",)), "g": ("update", ())}
